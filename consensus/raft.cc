#include "consensus/raft.h"

#include <algorithm>

namespace poolha::consensus {

namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// The quorum-th largest of `values` (values.size() voters): the value a quorum has
// reached. REQUIRES: quorum <= values.size().
template <class T>
T quorum_value(std::vector<T> values, size_t quorum) {
  std::sort(values.begin(), values.end(), std::greater<T>());
  return values[quorum - 1];
}

}  // namespace

const char* to_string(RaftRole r) {
  switch (r) {
    case RaftRole::Follower: return "follower";
    case RaftRole::PreCandidate: return "pre-candidate";
    case RaftRole::Candidate: return "candidate";
    case RaftRole::Leader: return "leader";
  }
  return "?";
}

Raft::Raft(RaftOptions options, Recovered rec) : opt_(std::move(options)) {
  rng_ = opt_.seed ^ fnv1a(opt_.id);
  term_ = rec.hard_state.term;
  voted_for_ = rec.hard_state.voted_for;
  initial_membership_ = rec.initial;
  if (rec.snapshot) {
    snapshot_ = std::move(*rec.snapshot);
  } else {
    snapshot_.meta.membership = rec.initial;
  }
  log_ = std::move(rec.entries);
  stable_ = last_index();
  unstable_from_ = last_index() + 1;
  commit_ = std::clamp(rec.hard_state.commit, snapshot_.meta.index, last_index());
  applied_ = snapshot_.meta.index;
  last_persisted_hs_ = rec.hard_state;
  recompute_membership();
  reset_election_timer();
}

// ---------------------------------------------------------------- log helpers

Index Raft::last_index() const { return log_.empty() ? snapshot_.meta.index : log_.back().index; }
Term Raft::last_term() const { return log_.empty() ? snapshot_.meta.term : log_.back().term; }

const Entry* Raft::entry_at(Index i) const {
  if (i < first_index() || i > last_index()) return nullptr;
  return &log_[i - first_index()];
}

std::optional<Term> Raft::term_at(Index i) const {
  if (i == snapshot_.meta.index) return snapshot_.meta.term;
  if (const Entry* e = entry_at(i)) return e->term;
  return std::nullopt;
}

bool Raft::up_to_date(Index idx, Term t) const {
  return t > last_term() || (t == last_term() && idx >= last_index());
}

void Raft::append_local(Entry e) {
  const bool membership = e.kind == EntryKind::Membership;
  unstable_from_ = std::min(unstable_from_, e.index);
  log_.push_back(std::move(e));
  if (membership) recompute_membership();
}

void Raft::truncate_from(Index i) {
  if (i <= last_index()) log_.resize(i - first_index());
  unstable_from_ = std::min(unstable_from_, i);
  stable_ = std::min(stable_, i - 1);
  if (membership_index_ >= i) recompute_membership();
}

void Raft::recompute_membership() {
  auto in_force = membership_in_force(snapshot_.meta.membership, snapshot_.meta.index, log_);
  membership_ = std::move(in_force.membership);
  membership_index_ = in_force.index;
  if (role_ != RaftRole::Leader) return;
  // Keep one progress record per other member.
  for (auto it = progress_.begin(); it != progress_.end();)
    it = membership_.contains(it->first) ? std::next(it) : progress_.erase(it);
  for (const auto& set : {membership_.voters, membership_.learners})
    for (const auto& [id, role] : set)
      if (id != opt_.id && !progress_.count(id)) {
        Progress p;
        p.next = last_index() + 1;
        p.last_heard_tick = now_tick_;
        progress_[id] = p;
      }
}

// ---------------------------------------------------------------- time

uint64_t Raft::next_random() {
  // splitmix64: deterministic per (seed, member), good enough for timeout jitter.
  uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void Raft::reset_election_timer() {
  election_elapsed_ = 0;
  randomized_election_ticks_ = opt_.election_ticks + static_cast<int>(next_random() % opt_.election_ticks);
  // An arbiter waits one more election timeout, so a controller nearly always wins.
  if (membership_.role_of(opt_.id) == MemberRole::Arbiter) randomized_election_ticks_ += opt_.election_ticks;
}

bool Raft::can_campaign() const { return membership_.is_voter(opt_.id); }

bool Raft::heard_leader_recently() const {
  if (role_ == RaftRole::Leader) return true;
  // A member that has just (re)started may have acknowledged a leader a moment before
  // it went down; it must not help elect another before that leader's lease ran out.
  if (now_tick_ < static_cast<uint64_t>(opt_.election_ticks) && term_ > 0) return true;
  return !leader_.empty() && election_elapsed_ < opt_.election_ticks;
}

void Raft::catch_up(uint64_t ticks) {
  ticks = std::min(ticks, 4 * static_cast<uint64_t>(opt_.election_ticks));
  for (; ticks > 0; --ticks) {
    // Silence is counted in time this member was listening: every tick but the last was
    // deaf, so "last heard" moves with it. Leases use acked_sent_tick and are untouched.
    if (ticks > 1 && role_ == RaftRole::Leader)
      for (auto& [id, p] : progress_) p.last_heard_tick = std::min(p.last_heard_tick + 1, now_tick_ + 1);
    tick();
  }
}

void Raft::tick() {
  ++now_tick_;
  ++election_elapsed_;
  if (role_ != RaftRole::Leader) {
    // A sole voter has nobody to wait for: no other leader can exist, so it leads at
    // its first tick instead of after an election timeout (a one-controller cluster
    // starts acting at once).
    const bool sole_voter = membership_.voters.size() == 1;
    if ((sole_voter || election_elapsed_ >= randomized_election_ticks_) && can_campaign())
      start_election(/*pre=*/true, false);
    return;
  }
  check_quorum();
  if (role_ != RaftRole::Leader) return;
  if (transfer_to_ && ++transfer_elapsed_ >= opt_.election_ticks) transfer_to_.reset();
  if (++heartbeat_elapsed_ >= opt_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    broadcast_append(/*even_if_empty=*/true);
  }
  maybe_hand_off();
}

// ---------------------------------------------------------------- transitions

void Raft::become_follower(Term term, const MemberId& leader) {
  if (term > term_) {
    term_ = term;
    voted_for_.clear();
  }
  role_ = RaftRole::Follower;
  leader_ = leader;
  votes_for_.clear();
  votes_against_.clear();
  progress_.clear();
  transfer_to_.reset();
  reset_election_timer();
  if (!leader.empty()) {
    last_leader_contact_tick_ = now_tick_;
    ever_heard_leader_ = true;
  }
}

void Raft::start_election(bool pre, bool transfer) {
  votes_for_ = {opt_.id};
  votes_against_.clear();
  leader_.clear();
  reset_election_timer();
  Term t = term_ + 1;
  if (pre) {
    role_ = RaftRole::PreCandidate;
  } else {
    role_ = RaftRole::Candidate;
    term_ = t;
    voted_for_ = opt_.id;
  }
  if (votes_for_.size() >= membership_.quorum()) {  // a one-voter cluster
    if (pre) start_election(false, transfer);
    else become_leader();
    return;
  }
  for (const auto& [id, role] : membership_.voters) {
    if (id == opt_.id) continue;
    Message m;
    m.type = pre ? MessageType::PreVote : MessageType::Vote;
    m.to = id;
    m.term = t;
    m.index = last_index();
    m.log_term = last_term();
    m.transfer = transfer;
    send(std::move(m));
  }
}

void Raft::campaign_now() {
  // Not a transfer: members that hear a live leader still refuse (only the leader can
  // hand its lease over, through transfer_leadership).
  if (can_campaign() && role_ != RaftRole::Leader) start_election(/*pre=*/false, /*transfer=*/false);
}

void Raft::become_leader() {
  role_ = RaftRole::Leader;
  leader_ = opt_.id;
  votes_for_.clear();
  votes_against_.clear();
  heartbeat_elapsed_ = 0;
  transfer_to_.reset();
  progress_.clear();
  last_leader_contact_tick_ = now_tick_;
  recompute_membership();  // builds progress for every other member
  // The no-op commits every older entry with it (§5.4.2) and must commit before any
  // membership change (the fix in the dissertation's §4.1 errata).
  append_local({term_, last_index() + 1, EntryKind::Noop, ""});
  pending_membership_index_ = last_index();
  broadcast_append(/*even_if_empty=*/true);
}

// ---------------------------------------------------------------- proposals

Expected<Index> Raft::propose(std::string data) {
  if (role_ != RaftRole::Leader)
    return Expected<Index>::Error("not the leader" + (leader_.empty() ? std::string(" (no leader known)") : " (leader: " + leader_ + ")"));
  if (transfer_to_) return Expected<Index>::Error("leadership is being handed to " + *transfer_to_ + "; retry there");
  const Index idx = last_index() + 1;
  append_local({term_, idx, EntryKind::Command, std::move(data)});
  broadcast_append(false);
  return idx;
}

Expected<Index> Raft::propose_membership(const MembershipChange& change) {
  if (role_ != RaftRole::Leader) return Expected<Index>::Error("not the leader");
  if (transfer_to_) return Expected<Index>::Error("leadership is being handed over; retry");
  if (pending_membership_index_ > commit_)
    return Expected<Index>::Error("a membership change (or the new leader's first entry) is not committed yet; retry");
  auto next = apply_change(membership_, change);
  if (!next.ok()) return next.status();
  const Index idx = last_index() + 1;
  append_local({term_, idx, EntryKind::Membership, encode_membership(*next)});
  pending_membership_index_ = idx;
  broadcast_append(false);
  return idx;
}

Status Raft::transfer_leadership(const MemberId& to) {
  if (role_ != RaftRole::Leader) return Status::Error("not the leader");
  if (to == opt_.id) return Status::Error(to + " is already the leader");
  if (!membership_.is_voter(to)) return Status::Error(to + " is not a voter");
  transfer_to_ = to;
  transfer_elapsed_ = 0;
  const Progress& p = progress_.at(to);
  if (p.match == last_index()) {
    send_timeout_now(to);
  } else {
    send_append(to, true);
  }
  return Status::Ok();
}

void Raft::send_timeout_now(const MemberId& to) {
  Message m;
  m.type = MessageType::TimeoutNow;
  m.to = to;
  send(std::move(m));
  // The target will be elected with votes that ignore our lease, so the lease ends
  // here: step down now instead of acting until the new term reaches us.
  become_follower(term_, "");
}

void Raft::maybe_hand_off() {
  if (transfer_to_ || membership_.role_of(opt_.id) != MemberRole::Arbiter) return;
  for (const auto& [id, role] : membership_.voters) {
    if (role != MemberRole::Controller) continue;
    const Progress& p = progress_.at(id);
    if (p.match == last_index() && now_tick_ - p.last_heard_tick < static_cast<uint64_t>(opt_.heartbeat_ticks) * 2 + 1) {
      (void)transfer_leadership(id);
      return;
    }
  }
}

void Raft::compact(Index index, std::string data) {
  if (index <= snapshot_.meta.index || index > applied_) return;
  Membership m = snapshot_.meta.membership;
  for (const Entry& e : log_) {
    if (e.index > index) break;
    if (e.kind == EntryKind::Membership)
      if (auto d = decode_membership(e.data); d.ok()) m = std::move(*d);
  }
  const Term t = *term_at(index);
  log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(index - first_index() + 1));
  snapshot_.meta = {index, t, std::move(m)};
  snapshot_.data = std::move(data);
}

// ---------------------------------------------------------------- messages

void Raft::send(Message m) {
  m.from = opt_.id;
  if (m.type != MessageType::PreVote && m.type != MessageType::PreVoteReply) m.term = term_;
  outbox_.push_back(std::move(m));
}

void Raft::step(const Message& m) {
  if (m.to != opt_.id || m.from == opt_.id || m.from.empty()) return;
  // Only members speak (issue 9 §3; etcd drops removed members at its transport): a
  // removed or never-added member cannot campaign, append or install a snapshot. The
  // leader we follow in this term may finish it even if it just removed itself.
  // An empty membership is a joining member's, which has everything to learn.
  if (!membership_.voters.empty() && !membership_.contains(m.from) && !(m.from == leader_ && m.term == term_)) {
    ++dropped_from_strangers_;
    return;
  }
  if (m.term > term_) {
    const bool vote_request = m.type == MessageType::PreVote || m.type == MessageType::Vote;
    if (vote_request && !m.transfer && heard_leader_recently()) {
      // Leader stickiness: a live leader exists, so this candidate is partitioned or
      // disruptive (e.g. a removed member). Not even a reply, like etcd.
      return;
    }
    if (m.type == MessageType::PreVote) {
      // no term change for pre-votes
    } else if (m.type == MessageType::PreVoteReply && !m.reject) {
      // a granted pre-vote carries the term we would campaign in
    } else {
      const bool from_leader = m.type == MessageType::Append || m.type == MessageType::InstallSnapshot;
      become_follower(m.term, from_leader ? m.from : MemberId{});
    }
  } else if (m.term < term_) {
    if (m.type == MessageType::Append || m.type == MessageType::InstallSnapshot) {
      // A deposed leader: tell it our term so it steps down (with pre-vote it may
      // otherwise never learn it, since we will not campaign against it).
      Message r;
      r.type = MessageType::AppendReply;
      r.to = m.from;
      r.reject = true;
      r.index = last_index();
      send(std::move(r));
    } else if (m.type == MessageType::PreVote) {
      Message r;
      r.type = MessageType::PreVoteReply;
      r.to = m.from;
      r.term = term_;
      r.reject = true;
      send(std::move(r));
    }
    return;
  }

  switch (m.type) {
    case MessageType::PreVote:
    case MessageType::Vote: handle_vote_request(m); break;
    case MessageType::PreVoteReply:
    case MessageType::VoteReply: handle_vote_reply(m); break;
    case MessageType::Append: handle_append(m); break;
    case MessageType::AppendReply: handle_append_reply(m); break;
    case MessageType::InstallSnapshot: handle_snapshot(m); break;
    case MessageType::SnapshotReply: handle_snapshot_reply(m); break;
    case MessageType::TimeoutNow:
      if (role_ != RaftRole::Leader && m.from == leader_ && can_campaign()) start_election(false, /*transfer=*/true);
      break;
  }
}

void Raft::handle_vote_request(const Message& m) {
  const bool pre = m.type == MessageType::PreVote;
  bool can_vote = voted_for_ == m.from || (voted_for_.empty() && leader_.empty()) || (pre && m.term > term_);
  // A member that hears a live leader refuses pre-votes at its own term too.
  if (pre && !m.transfer && heard_leader_recently() && leader_ != m.from) can_vote = false;
  const bool grant = can_vote && up_to_date(m.index, m.log_term);
  Message r;
  r.type = pre ? MessageType::PreVoteReply : MessageType::VoteReply;
  r.to = m.from;
  r.reject = !grant;
  // A granted pre-vote answers in the candidate's future term; a refusal in ours.
  r.term = pre ? (grant ? m.term : term_) : term_;
  send(std::move(r));
  if (grant && !pre) {
    voted_for_ = m.from;
    election_elapsed_ = 0;
  }
}

void Raft::handle_vote_reply(const Message& m) {
  const bool pre = m.type == MessageType::PreVoteReply;
  if (pre ? role_ != RaftRole::PreCandidate : role_ != RaftRole::Candidate) return;
  if (pre && !m.reject && m.term != term_ + 1) return;  // answers an older pre-vote
  if (!membership_.is_voter(m.from)) return;
  (m.reject ? votes_against_ : votes_for_).insert(m.from);
  if (votes_for_.size() >= membership_.quorum()) {
    if (pre) start_election(/*pre=*/false, /*transfer=*/false);
    else become_leader();
  } else if (votes_against_.size() >= membership_.quorum()) {
    become_follower(term_, "");
  }
}

void Raft::handle_append(const Message& m) {
  if (role_ != RaftRole::Follower || leader_ != m.from) become_follower(term_, m.from);
  election_elapsed_ = 0;
  last_leader_contact_tick_ = now_tick_;
  ever_heard_leader_ = true;
  Message r;
  r.type = MessageType::AppendReply;
  r.to = m.from;
  r.sent_tick = m.sent_tick;
  if (m.index < commit_) {
    // Everything up to our commit index is settled; tell the leader where we are.
    r.index = commit_;
    send(std::move(r));
    return;
  }
  const auto local = term_at(m.index);
  if (!local || *local != m.log_term) {
    r.reject = true;
    r.index = m.index == 0 ? 0 : std::min(m.index - 1, last_index());  // where the leader should probe next
    send(std::move(r));
    return;
  }
  for (const Entry& e : m.entries) {
    if (e.index <= snapshot_.meta.index) continue;
    if (const auto t = term_at(e.index)) {
      if (*t == e.term) continue;
      truncate_from(e.index);  // Raft guarantees e.index > commit_ here
    }
    if (e.index != last_index() + 1) break;  // a gap: the message was malformed
    append_local(e);
  }
  const Index last_new = m.index + m.entries.size();
  commit_ = std::max(commit_, std::min({m.commit, last_new, last_index()}));
  r.index = std::min(last_new, last_index());
  send(std::move(r));
}

Raft::Progress* Raft::heard_from(const MemberId& id) {
  if (role_ != RaftRole::Leader) return nullptr;
  auto it = progress_.find(id);
  if (it == progress_.end()) return nullptr;
  it->second.recent_active = true;
  it->second.last_heard_tick = now_tick_;
  return &it->second;
}

void Raft::handle_append_reply(const Message& m) {
  Progress* pp = heard_from(m.from);
  if (!pp) return;
  Progress& p = *pp;
  p.acked_sent_tick = std::max(p.acked_sent_tick, m.sent_tick);
  if (m.reject) {
    p.next = std::max(p.match + 1, std::min(p.next > 1 ? p.next - 1 : 1, m.index + 1));
    send_append(m.from, true);
    return;
  }
  if (m.index > p.match) {
    p.match = std::min(m.index, last_index());
    p.next = std::max(p.next, p.match + 1);
    maybe_commit();
    if (role_ != RaftRole::Leader) return;
  }
  if (transfer_to_ == m.from && p.match == last_index()) {
    send_timeout_now(m.from);
  } else if (p.next <= last_index()) {
    send_append(m.from, false);
  }
}

void Raft::handle_snapshot(const Message& m) {
  if (role_ != RaftRole::Follower || leader_ != m.from) become_follower(term_, m.from);
  election_elapsed_ = 0;
  last_leader_contact_tick_ = now_tick_;
  Message r;
  r.type = MessageType::SnapshotReply;
  r.to = m.from;
  if (!m.snapshot) return;
  const SnapshotMeta& meta = m.snapshot->meta;
  if (meta.index <= commit_) {
    r.index = commit_;
  } else if (term_at(meta.index) == meta.term) {
    // We hold that entry already: the snapshot only tells us it is committed.
    commit_ = meta.index;
    r.index = meta.index;
  } else {
    snapshot_ = *m.snapshot;
    log_.clear();
    commit_ = applied_ = meta.index;
    stable_ = std::min(stable_, meta.index);
    unstable_from_ = meta.index + 1;
    snapshot_unstable_ = true;
    recompute_membership();
    r.index = meta.index;
  }
  send(std::move(r));
}

void Raft::handle_snapshot_reply(const Message& m) {
  Progress* pp = heard_from(m.from);
  if (!pp) return;
  Progress& p = *pp;
  p.snapshot_in_flight = false;
  p.match = std::max(p.match, std::min(m.index, last_index()));
  p.next = p.match + 1;
  maybe_commit();
  if (role_ == RaftRole::Leader) send_append(m.from, false);
}

// ---------------------------------------------------------------- leader

void Raft::send_append(const MemberId& to, bool even_if_empty) {
  Progress& p = progress_.at(to);
  if (p.next < first_index()) {
    // What it needs was compacted away: send the snapshot (again, if the last one
    // went unanswered for an election timeout).
    if (p.snapshot_in_flight && now_tick_ - p.snapshot_sent_tick < static_cast<uint64_t>(opt_.election_ticks)) return;
    p.snapshot_in_flight = true;
    p.snapshot_sent_tick = now_tick_;
    Message m;
    m.type = MessageType::InstallSnapshot;
    m.to = to;
    m.snapshot = snapshot_;
    send(std::move(m));
    return;
  }
  Message m;
  m.type = MessageType::Append;
  m.to = to;
  m.index = p.next - 1;
  m.log_term = *term_at(m.index);
  m.commit = commit_;
  m.sent_tick = now_tick_;
  for (Index i = p.next; i <= last_index() && m.entries.size() < opt_.max_entries_per_message; ++i)
    m.entries.push_back(*entry_at(i));
  if (m.entries.empty() && !even_if_empty) return;
  if (!m.entries.empty()) p.next = m.entries.back().index + 1;  // optimistic; a reject rewinds it
  send(std::move(m));
}

void Raft::broadcast_append(bool even_if_empty) {
  for (auto& [id, p] : progress_) send_append(id, even_if_empty);
}

void Raft::maybe_commit() {
  std::vector<Index> matches;
  for (const auto& [id, role] : membership_.voters)
    matches.push_back(id == opt_.id ? stable_ : (progress_.count(id) ? progress_.at(id).match : 0));
  if (matches.empty()) return;
  const Index n = quorum_value(matches, membership_.quorum());
  // Only entries of the leader's own term commit by counting (§5.4.2).
  if (n > commit_ && term_at(n) == term_) {
    commit_ = n;
    // Followers learn the new commit index now, not at the next heartbeat: a standby
    // controller that applies late takes over late.
    broadcast_append(/*even_if_empty=*/true);
    // A leader that removed (or demoted) itself steps down once that is committed.
    if (!membership_.is_voter(opt_.id) && membership_index_ <= commit_) become_follower(term_, "");
  }
}

void Raft::check_quorum() {
  // Counted every tick, so a leader cut off from its quorum stops within one election
  // timeout of the last acknowledgement, not two.
  size_t active = 0;
  for (const auto& [id, role] : membership_.voters) {
    if (id == opt_.id) ++active;
    else if (auto it = progress_.find(id);
             it != progress_.end() && now_tick_ - it->second.last_heard_tick < static_cast<uint64_t>(opt_.election_ticks))
      ++active;
  }
  if (active < membership_.quorum()) become_follower(term_, "");
}

bool Raft::lease_valid() const {
  if (role_ != RaftRole::Leader) return false;
  std::vector<uint64_t> acked;
  for (const auto& [id, role] : membership_.voters) {
    if (id == opt_.id) acked.push_back(now_tick_);
    else if (auto it = progress_.find(id); it != progress_.end()) acked.push_back(it->second.acked_sent_tick);
    else acked.push_back(0);
  }
  if (acked.empty()) return false;
  const uint64_t since = quorum_value(acked, membership_.quorum());
  if (since == 0 && membership_.voters.size() > 1) return false;
  return since + static_cast<uint64_t>(opt_.election_ticks - opt_.lease_margin_ticks) > now_tick_;
}

uint64_t Raft::ticks_since_quorum_contact() const {
  if (role_ != RaftRole::Leader) return ever_heard_leader_ ? now_tick_ - last_leader_contact_tick_ : now_tick_;
  std::vector<uint64_t> heard;
  for (const auto& [id, role] : membership_.voters)
    heard.push_back(id == opt_.id ? now_tick_ : progress_.count(id) ? progress_.at(id).last_heard_tick : 0);
  return now_tick_ - quorum_value(heard, membership_.quorum());
}

std::map<MemberId, Index> Raft::match_indices() const {
  std::map<MemberId, Index> out;
  for (const auto& [id, p] : progress_) out[id] = p.match;
  if (role_ == RaftRole::Leader) out[opt_.id] = stable_;
  return out;
}

std::map<MemberId, uint64_t> Raft::ticks_since_ack() const {
  std::map<MemberId, uint64_t> out;
  for (const auto& [id, p] : progress_) out[id] = now_tick_ - p.last_heard_tick;
  return out;
}

// ---------------------------------------------------------------- ready / advance

bool Raft::has_ready() const {
  return snapshot_unstable_ || unstable_from_ <= last_index() || !outbox_.empty() || commit_ > applied_ ||
         HardState{term_, voted_for_, commit_} != last_persisted_hs_;
}

Ready Raft::ready() {
  Ready r;
  if (snapshot_unstable_) r.snapshot = snapshot_;
  for (Index i = std::max(unstable_from_, first_index()); i <= last_index(); ++i) r.entries.push_back(*entry_at(i));
  const HardState hs{term_, voted_for_, commit_};
  if (hs != last_persisted_hs_) r.hard_state = hs;
  r.messages = std::move(outbox_);
  outbox_.clear();
  for (Index i = applied_ + 1; i <= commit_; ++i) r.committed.push_back(*entry_at(i));
  applied_ = commit_;
  snapshot_unstable_ = false;
  unstable_from_ = last_index() + 1;
  last_persisted_hs_ = hs;
  return r;
}

void Raft::advance(const Ready& r) {
  if (r.snapshot) stable_ = std::max(stable_, r.snapshot->meta.index);
  if (!r.entries.empty()) {
    // Only if what was persisted is still our log (a later truncation rewinds stable_).
    const Entry& last = r.entries.back();
    if (term_at(last.index) == last.term) stable_ = std::max(stable_, std::min(last.index, unstable_from_ - 1));
  }
  if (role_ == RaftRole::Leader) maybe_commit();
}

}  // namespace poolha::consensus
