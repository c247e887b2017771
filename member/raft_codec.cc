#include "member/raft_codec.h"

#include <limits>

#include "consensus/membership.h"

namespace poolha::member {

using consensus::Entry;
using consensus::EntryKind;
using consensus::Index;
using consensus::Message;
using consensus::MessageType;

namespace {

void fill(wire::RaftEntry* out, const Entry& e) {
  out->set_term(e.term);
  out->set_index(e.index);
  out->set_kind(static_cast<uint8_t>(e.kind));
  out->set_data(e.data);
}

size_t varint_size(size_t n) {
  size_t bytes = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++bytes;
  }
  return bytes;
}

// A length-delimited field of `n` bytes with a one-byte tag: an entry inside a
// RaftMessage, or the RaftMessage inside an Envelope (field 12).
size_t field_size(size_t n) { return 1 + varint_size(n) + n; }

}  // namespace

wire::RaftMessage to_proto(const Message& m) {
  wire::RaftMessage p;
  p.set_type(static_cast<uint8_t>(m.type));
  p.set_from(m.from);
  p.set_to(m.to);
  p.set_term(m.term);
  p.set_index(m.index);
  p.set_log_term(m.log_term);
  p.set_commit(m.commit);
  for (const Entry& e : m.entries) fill(p.add_entries(), e);
  p.set_reject(m.reject);
  p.set_transfer(m.transfer);
  p.set_sent_tick(m.sent_tick);
  if (m.snapshot) {
    wire::RaftSnapshot* s = p.mutable_snapshot();
    s->set_index(m.snapshot->meta.index);
    s->set_term(m.snapshot->meta.term);
    s->set_membership(consensus::encode_membership(m.snapshot->meta.membership));
    s->set_data(m.snapshot->data);
  }
  return p;
}

Expected<Message> from_proto(const wire::RaftMessage& p) {
  const auto refuse = [&](const std::string& why) {
    return Expected<Message>::Error("raft message" + (p.from().empty() ? "" : " from " + p.from()) + " refused: " + why);
  };
  if (p.type() > static_cast<uint8_t>(MessageType::TimeoutNow)) return refuse("unknown type " + std::to_string(p.type()));
  Message m;
  m.type = static_cast<MessageType>(p.type());
  const std::string type = consensus::to_string(m.type);
  if (p.from().empty()) return refuse(type + " names no sender (from)");
  if (p.to().empty()) return refuse(type + " names no receiver (to)");
  m.from = p.from();
  m.to = p.to();
  m.term = p.term();
  m.index = p.index();
  m.log_term = p.log_term();
  m.commit = p.commit();
  m.reject = p.reject();
  m.transfer = p.transfer();
  m.sent_tick = p.sent_tick();

  if (p.entries_size() > 0 && m.type != MessageType::Append) return refuse(type + " carries entries (only Append does)");
  m.entries.reserve(static_cast<size_t>(p.entries_size()));
  for (int i = 0; i < p.entries_size(); ++i) {
    const wire::RaftEntry& e = p.entries(i);
    const auto refuse_entry = [&](const std::string& why) {
      return refuse("Append after " + std::to_string(p.index()) + ", entry " + std::to_string(e.index()) + ": " + why);
    };
    // Written as a difference so a hostile index near 2^64 cannot wrap around.
    if (e.index() <= p.index() || e.index() - p.index() != static_cast<uint64_t>(i) + 1)
      return refuse_entry("expected index " + std::to_string(p.index() + static_cast<uint64_t>(i) + 1) +
                          " (entries must follow `index` without gaps)");
    if (e.kind() > static_cast<uint8_t>(EntryKind::Noop)) return refuse_entry("unknown kind " + std::to_string(e.kind()));
    Entry out{e.term(), e.index(), static_cast<EntryKind>(e.kind()), e.data()};
    if (out.kind == EntryKind::Membership)
      if (auto d = consensus::decode_membership(out.data); !d.ok()) return refuse_entry(d.error());
    m.entries.push_back(std::move(out));
  }

  const bool wants_snapshot = m.type == MessageType::InstallSnapshot;
  if (p.has_snapshot() != wants_snapshot)
    return refuse(wants_snapshot ? "InstallSnapshot carries no snapshot" : type + " carries a snapshot");
  if (p.has_snapshot()) {
    const wire::RaftSnapshot& s = p.snapshot();
    auto members = consensus::decode_membership(s.membership());
    if (!members.ok()) return refuse("snapshot at " + std::to_string(s.index()) + ": " + members.error());
    m.snapshot = consensus::Snapshot{{s.index(), s.term(), std::move(*members)}, s.data()};
  }
  return m;
}

Expected<std::vector<Message>> split_to_fit(const Message& m, size_t max_frame_bytes) {
  using Out = Expected<std::vector<Message>>;
  const size_t whole = field_size(to_proto(m).ByteSizeLong());
  if (whole <= max_frame_bytes) return std::vector<Message>{m};
  const std::string what = std::string(consensus::to_string(m.type)) + " to " + m.to;
  if (m.type != MessageType::Append)
    return Out::Error(what + ": " + std::to_string(whole) + " bytes do not fit in a frame of " +
                      std::to_string(max_frame_bytes) + " and it cannot be cut");
  Message header = m;
  header.entries.clear();
  // An upper bound for every piece's fixed part: the widest (index, log_term) varints.
  Message widest = header;
  widest.index = widest.log_term = std::numeric_limits<uint64_t>::max();
  const size_t base = to_proto(widest).ByteSizeLong();

  std::vector<Message> out;
  Message piece = header;
  size_t piece_bytes = base;
  for (const Entry& e : m.entries) {
    wire::RaftEntry pe;
    fill(&pe, e);
    const size_t cost = field_size(pe.ByteSizeLong());
    if (field_size(base + cost) > max_frame_bytes)
      return Out::Error(what + ": entry " + std::to_string(e.index) + " alone (" + std::to_string(e.data.size()) +
                        " bytes of data) does not fit in a frame of " + std::to_string(max_frame_bytes));
    if (!piece.entries.empty() && field_size(piece_bytes + cost) > max_frame_bytes) {
      const Index after = piece.entries.back().index;
      const consensus::Term after_term = piece.entries.back().term;
      out.push_back(std::move(piece));
      piece = header;
      piece.index = after;
      piece.log_term = after_term;
      piece_bytes = base;
    }
    piece.entries.push_back(e);
    piece_bytes += cost;
  }
  out.push_back(std::move(piece));
  return out;
}

}  // namespace poolha::member
