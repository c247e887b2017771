#include "store/log_surgery.h"

#include <algorithm>

#include "consensus/membership.h"
#include "store/raft_storage.h"

namespace poolha::store {

namespace {

struct Stored {
  std::unique_ptr<RaftStorage> storage;
  consensus::Recovered log;
  consensus::Membership membership;
};

Expected<Stored> read(SqliteDb& db) {
  auto storage = RaftStorage::open(db);
  if (!storage.ok()) return storage.status();
  auto rec = (*storage)->recover(consensus::Membership{});
  if (!rec.ok()) return rec.status();
  const consensus::Membership base = rec->snapshot ? rec->snapshot->meta.membership : consensus::Membership{};
  const consensus::Index base_index = rec->snapshot ? rec->snapshot->meta.index : 0;
  auto in_force = consensus::membership_in_force(base, base_index, rec->entries);
  return Stored{std::move(*storage), std::move(*rec), std::move(in_force.membership)};
}

}  // namespace

Expected<SoleVoter> make_sole_voter(SqliteDb& db, const std::string& self, consensus::Term term_above, bool write) {
  using R = Expected<SoleVoter>;
  auto stored = read(db);
  if (!stored.ok()) return stored.status();
  auto role = stored->membership.role_of(self);
  if (!role)
    return R::Error(self + " is not a member in this database's log; give the name of the member it belongs to");
  if (*role != consensus::MemberRole::Controller)
    return R::Error(self + " is an arbiter; recover from a controller's database");
  const consensus::Recovered& rec = stored->log;
  const auto& snap = rec.snapshot;
  const consensus::Index last = rec.entries.empty() ? (snap ? snap->meta.index : 0) : rec.entries.back().index;
  const consensus::Term last_term = rec.entries.empty() ? (snap ? snap->meta.term : 0) : rec.entries.back().term;
  const consensus::Term term = std::max({rec.hard_state.term, last_term, term_above}) + 1;
  if (!write) return SoleVoter{last + 1, term, last};
  consensus::Membership alone;
  alone.voters[self] = *role;
  consensus::Ready r;
  r.entries.push_back({term, last + 1, consensus::EntryKind::Membership, consensus::encode_membership(alone)});
  r.hard_state = consensus::HardState{term, self, last + 1};
  if (auto st = stored->storage->save(r); !st.ok()) return st;
  return SoleVoter{last + 1, term, last};
}

}  // namespace poolha::store
