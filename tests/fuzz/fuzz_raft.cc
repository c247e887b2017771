// Member links: a RaftMessage from the wire (member/raft_codec) stepped into a member
// of a three-member group, then the Ready batch handled as the driver does.

#include "consensus/membership.h"
#include "consensus/raft.h"
#include "member/raft_codec.h"
#include "tests/fuzz/records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace poolha;
  consensus::Membership m;
  m.voters = {{"ctl-a", consensus::MemberRole::Controller},
              {"ctl-b", consensus::MemberRole::Controller},
              {"arb-1", consensus::MemberRole::Arbiter}};
  consensus::RaftOptions o;
  o.id = "ctl-a";
  o.seed = 1;
  consensus::Raft raft(o, consensus::Recovered{{}, std::nullopt, {}, m});
  fuzz::Records in(data, size);
  fuzz::Record rec;
  // tag: bits 0-4 ticks before the message; bit 7 set: the payload is a membership text.
  for (int step = 0; step < 16 && in.next(&rec); ++step) {
    for (int t = rec.tag & 31; t > 0; --t) raft.tick();
    if (rec.tag & 0x80) {
      (void)consensus::decode_membership(std::string(rec.payload));
      continue;
    }
    wire::RaftMessage p;
    if (!p.ParseFromString(std::string(rec.payload))) continue;
    auto msg = member::from_proto(p);
    if (!msg.ok()) continue;
    raft.step(*msg);
    if (raft.has_ready()) {
      consensus::Ready r = raft.ready();
      for (const auto& out : r.messages) (void)member::to_proto(out);
      raft.advance(r);
    }
  }
  return 0;
}
