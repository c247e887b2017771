// Raft as a pure state machine (after etcd-io/raft and ScyllaDB's raft::fsm): messages,
// ticks, proposals and "your last batch is durable" go in; a Ready batch (what to
// persist, what to send, what to apply) comes out. No sockets, clocks, threads, files
// or global randomness, so a seeded simulation can drive thousands of fault schedules
// through exactly this code.
//
// What the environment must guarantee (and what it may do):
//  - The network may lose, duplicate, delay and reorder messages, and may deliver
//    messages meant for an earlier incarnation of a member. It never forges them (the
//    transport authenticates the sender: `from` is the TLS peer's name).
//  - Storage is durable: what Ready says to persist is on disk (fsync) before any of
//    that Ready's messages leave and before advance(). A crash loses only batches
//    whose step 1 had not finished; the next start passes what survived in Recovered.
//  - Committed entries are applied in order; after a restart, entries after the last
//    snapshot are applied again (the application state is rebuilt from the snapshot).
//  - tick() is called at a steady pace on every member (the driver's period, e.g.
//    50 ms); the tick counts below are in those units. Members' clocks may drift by
//    less than `lease_margin_ticks` over an election timeout.
//
// Features: pre-vote (§9.6) and check-quorum (a leader that has not heard from a quorum
// within an election timeout steps down), leader stickiness (members that hear a live
// leader refuse votes, which is what makes the read lease safe), leader leases,
// snapshots and log compaction, leadership transfer (§3.10), single-server membership
// changes (§4.1, effective once appended), learners, and arbiters that lead only when
// no controller can and hand leadership to a caught-up controller at once.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "common/status.h"
#include "consensus/membership.h"
#include "consensus/raft_types.h"

namespace poolha::consensus {

struct RaftOptions {
  MemberId id;
  int election_ticks = 10;  // minimum election timeout; the actual one is random in [E, 2E)
  int heartbeat_ticks = 2;
  // The leader's lease ends this many ticks before the election timeout that bounds it:
  // room for clock drift between members.
  int lease_margin_ticks = 2;
  size_t max_entries_per_message = 256;
  // Seeds the election-timeout jitter (with the member id), so runs replay exactly.
  uint64_t seed = 0;
};

enum class RaftRole : uint8_t { Follower, PreCandidate, Candidate, Leader };
const char* to_string(RaftRole r);

class Raft {
 public:
  // REQUIRES: rec.entries contiguous and starting right after rec.snapshot (if any).
  Raft(RaftOptions options, Recovered rec);

  // Time passes by one tick.
  void tick();
  // `ticks` ticks at once: the process was not running for all but the last of them
  // (frozen, or its loop blocked on a slow disk). Time still counts in full for leases
  // and election timers, but a leader could not hear anyone meanwhile, so that time is
  // not taken for its peers' silence (it would otherwise step down from a healthy quorum
  // whose answers are waiting in its sockets). Past a few election timeouts more ticks
  // change nothing (every lease and timer has run out), so the excess is skipped.
  void catch_up(uint64_t ticks);
  // A message from the network. Bad messages (not for us, from a non-member, stale)
  // are dropped; the core's state only changes as Raft allows.
  void step(const Message& m);
  // Appends application data (leader only). The index is where it will commit, if it
  // commits; the caller learns the outcome by watching committed entries (an entry of
  // another term at that index means this proposal was lost).
  Expected<Index> propose(std::string data);
  // One single-server change (leader only; one at a time, and only once the leader
  // has committed an entry of its own term).
  Expected<Index> propose_membership(const MembershipChange& change);
  // Hands leadership to `to` (leader only): brings it up to date, then tells it to
  // campaign at once. Proposals are refused meanwhile; gives up after an election
  // timeout. Once the target is told to campaign, this member steps down: its lease
  // ends there.
  Status transfer_leadership(const MemberId& to);
  // The application has applied up to `index` and its state is `data`: entries up to
  // there may be dropped. REQUIRES: index <= applied().
  void compact(Index index, std::string data);
  // Campaign now (operator's "make this member leader", tests). Voters only.
  void campaign_now();

  bool has_ready() const;
  Ready ready();
  // REQUIRES: `r` is the last value ready() returned, and its step 1 is done.
  void advance(const Ready& r);

  // Queries.
  RaftRole role() const { return role_; }
  bool is_leader() const { return role_ == RaftRole::Leader; }
  const MemberId& id() const { return opt_.id; }
  const MemberId& leader() const { return leader_; }
  Term term() const { return term_; }
  Index commit_index() const { return commit_; }
  Index applied() const { return applied_; }
  Index last_index() const;
  Term last_term() const;
  const Membership& membership() const { return membership_; }
  const Snapshot& snapshot() const { return snapshot_; }
  // Entries still held in memory (after the snapshot), for tests and diagnostics.
  const std::vector<Entry>& entries() const { return log_; }
  // The leader holds a lease: a quorum acknowledged it recently enough that no other
  // leader can have been elected. Reads served under the lease are current.
  bool lease_valid() const;
  // Ticks since anything from the current leader (or, for a leader, since its quorum
  // last acknowledged it). The "no quorum" indicator for operators.
  uint64_t ticks_since_quorum_contact() const;
  // A leader's view of each member's replication (match index), for status pages.
  std::map<MemberId, Index> match_indices() const;
  // Ticks since each member last acknowledged the leader (leader only).
  std::map<MemberId, uint64_t> ticks_since_ack() const;
  std::optional<MemberId> transfer_target() const { return transfer_to_; }
  // Messages dropped because their sender is not a member (see step()).
  uint64_t dropped_from_strangers() const { return dropped_from_strangers_; }

 private:
  struct Progress {
    Index match = 0;
    Index next = 1;
    bool recent_active = false;  // heard from since the last check-quorum
    uint64_t acked_sent_tick = 0;  // the newest sent_tick it echoed
    uint64_t last_heard_tick = 0;
    bool snapshot_in_flight = false;
    uint64_t snapshot_sent_tick = 0;
  };

  // Transitions.
  void become_follower(Term term, const MemberId& leader);
  void become_pre_candidate();
  void become_candidate(bool transfer);
  void become_leader();
  void start_election(bool pre, bool transfer);

  // Message handlers.
  void handle_vote_request(const Message& m);
  void handle_vote_reply(const Message& m);
  void handle_append(const Message& m);
  void handle_append_reply(const Message& m);
  void handle_snapshot(const Message& m);
  void handle_snapshot_reply(const Message& m);

  // Leader helpers.
  // The leader's record of `id`, marked as just heard from; null if not leading or
  // not a member.
  Progress* heard_from(const MemberId& id);
  void send_append(const MemberId& to, bool even_if_empty);
  void broadcast_append(bool even_if_empty);
  void maybe_commit();
  void check_quorum();
  void maybe_hand_off();
  void send_timeout_now(const MemberId& to);
  void reset_progress();

  // Log helpers.
  Index first_index() const { return snapshot_.meta.index + 1; }
  std::optional<Term> term_at(Index i) const;
  const Entry* entry_at(Index i) const;
  bool up_to_date(Index last_index, Term last_term) const;
  void append_local(Entry e);
  void truncate_from(Index i);
  void recompute_membership();

  void send(Message m);
  void reset_election_timer();
  bool can_campaign() const;
  bool heard_leader_recently() const;
  uint64_t next_random();

  RaftOptions opt_;
  RaftRole role_ = RaftRole::Follower;
  Term term_ = 0;
  MemberId voted_for_;
  MemberId leader_;
  Index commit_ = 0;
  Index applied_ = 0;   // handed out in a Ready
  Snapshot snapshot_;   // the last snapshot (data needed to catch up lagging members)
  std::vector<Entry> log_;  // entries after snapshot_.meta.index
  Membership initial_membership_;
  Membership membership_;   // the latest in the log (effective once appended)
  Index membership_index_ = 0;

  // Durability bookkeeping: entries from `unstable_from_` and the hard state are not yet
  // handed to the driver; `stable_` is what the driver confirmed durable.
  Index unstable_from_ = 1;
  Index stable_ = 0;
  bool snapshot_unstable_ = false;
  HardState last_persisted_hs_;
  std::vector<Message> outbox_;

  uint64_t now_tick_ = 0;
  int election_elapsed_ = 0;
  int randomized_election_ticks_ = 0;
  int heartbeat_elapsed_ = 0;
  uint64_t last_leader_contact_tick_ = 0;
  bool ever_heard_leader_ = false;
  std::set<MemberId> votes_for_;
  std::set<MemberId> votes_against_;
  std::map<MemberId, Progress> progress_;
  Index pending_membership_index_ = 0;
  std::optional<MemberId> transfer_to_;
  int transfer_elapsed_ = 0;
  uint64_t rng_ = 0;
  uint64_t dropped_from_strangers_ = 0;
};

}  // namespace poolha::consensus
