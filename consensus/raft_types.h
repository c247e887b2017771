// The values the consensus core takes in and gives out. Plain data: the driver maps
// them to Protobuf for the wire and to SQLite rows for the disk; the simulation
// copies them around as they are.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace poolha::consensus {

using MemberId = std::string;
using Term = uint64_t;
using Index = uint64_t;

enum class EntryKind : uint8_t {
  Command = 0,     // application data (a controller engine event)
  Membership = 1,  // a new member set (data: encode_membership), effective once appended
  Noop = 2,        // a new leader's first entry, so entries of older terms commit
};

struct Entry {
  Term term = 0;
  Index index = 0;
  EntryKind kind = EntryKind::Command;
  std::string data;
  bool operator==(const Entry&) const = default;
};

// What a member is for. Controllers may lead; an arbiter votes and keeps the log but
// hands leadership to a controller whenever one is healthy (it leads only so that a
// cluster whose controllers cannot reach each other still elects one of them).
enum class MemberRole : uint8_t { Controller = 0, Arbiter = 1 };

struct Membership {
  std::map<MemberId, MemberRole> voters;
  std::map<MemberId, MemberRole> learners;  // receive the log, never vote or lead
  bool operator==(const Membership&) const = default;
  bool is_voter(const MemberId& id) const { return voters.count(id) > 0; }
  bool contains(const MemberId& id) const { return voters.count(id) || learners.count(id); }
  std::optional<MemberRole> role_of(const MemberId& id) const;
  size_t quorum() const { return voters.size() / 2 + 1; }
};

// Single-server changes only (Raft dissertation §4.1): each changes the voter set by
// at most one, so any two consecutive configurations share a quorum member.
struct MembershipChange {
  enum class Kind : uint8_t { AddLearner, Promote, Demote, Remove };
  Kind kind = Kind::AddLearner;
  MemberId member;
  MemberRole role = MemberRole::Controller;  // for AddLearner
};

// What must survive a crash besides the log (Raft Figure 2).
struct HardState {
  Term term = 0;
  MemberId voted_for;
  Index commit = 0;
  bool operator==(const HardState&) const = default;
};

struct SnapshotMeta {
  Index index = 0;  // the last entry the snapshot covers
  Term term = 0;    // that entry's term
  Membership membership;
  bool operator==(const SnapshotMeta&) const = default;
};

struct Snapshot {
  SnapshotMeta meta;
  std::string data;  // the application's state after entry meta.index
};

enum class MessageType : uint8_t {
  PreVote = 0,       // "would you vote for me?" without anyone changing term (§9.6)
  PreVoteReply = 1,
  Vote = 2,
  VoteReply = 3,
  Append = 4,        // entries after (index, log_term); empty = heartbeat
  AppendReply = 5,
  InstallSnapshot = 6,
  SnapshotReply = 7,
  TimeoutNow = 8,    // leadership transfer: campaign now, skipping pre-vote
};

struct Message {
  MessageType type = MessageType::Append;
  MemberId from;
  MemberId to;
  Term term = 0;
  // Append: the entry before `entries`; Vote/PreVote: the candidate's last entry;
  // AppendReply: the last index the follower now matches (or, rejected, its hint).
  Index index = 0;
  Term log_term = 0;
  Index commit = 0;
  std::vector<Entry> entries;
  bool reject = false;
  // Vote/PreVote sent because of a leadership transfer: members then vote even though
  // they have a live leader.
  bool transfer = false;
  // Append: the leader's tick count when it sent this; echoed in AppendReply, so the
  // leader's lease is counted from when it asked, never from when it heard back.
  uint64_t sent_tick = 0;
  std::optional<Snapshot> snapshot;  // InstallSnapshot
};

// One batch of work for the driver. Contract, in this order:
//  1. persist `snapshot` (if any), then `entries` (replacing any stored entries at the
//     same or higher indices), then `hard_state` (if any), durably (fsync);
//  2. send `messages` (they may acknowledge what step 1 stored);
//  3. restore the application from `snapshot` (if any), then apply `committed` in order;
//  4. call Raft::advance(ready).
// A crash anywhere in this sequence is safe if step 1 is atomic.
struct Ready {
  std::optional<Snapshot> snapshot;
  std::vector<Entry> entries;
  std::optional<HardState> hard_state;
  std::vector<Message> messages;
  std::vector<Entry> committed;
  bool empty() const {
    return !snapshot && entries.empty() && !hard_state && messages.empty() && committed.empty();
  }
};

// What the driver recovered from its disk at start.
struct Recovered {
  HardState hard_state;
  std::optional<Snapshot> snapshot;
  std::vector<Entry> entries;  // after the snapshot, contiguous
  // Used when nothing was ever stored (a brand-new member): its initial membership.
  // A bootstrapped cluster's first member gets the full set; a joining member gets an
  // empty one and learns its configuration from the leader.
  Membership initial;
};

const char* to_string(MessageType t);
const char* to_string(MemberRole r);

}  // namespace poolha::consensus
