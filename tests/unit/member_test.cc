// The consensus core's driver contract: store::RaftStorage on real SQLite files (round trips,
// truncation, snapshots, compaction, restarts, atomicity, damage) and raft_codec
// (round trips, refusals, splitting), then a 3-member cluster whose every batch goes
// through SQLite and every message through Protobuf, with one member restarted.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "consensus/membership.h"
#include "consensus/raft.h"
#include "member/raft_codec.h"
#include "store/log_surgery.h"
#include "store/raft_storage.h"
#include "store/single_controller_import.h"
#include "store/sqlite_db.h"

namespace poolha::member {
namespace {

namespace fs = std::filesystem;
using consensus::Entry;
using consensus::EntryKind;
using consensus::HardState;
using consensus::Membership;
using consensus::MemberRole;
using consensus::Message;
using consensus::MessageType;
using consensus::Ready;
using consensus::Recovered;
using consensus::Snapshot;
using store::SqliteDb;

// A directory of its own for each test, removed with everything in it afterwards.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    do {
      path_ = fs::temp_directory_path() /
              ("poolha-member-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    } while (!fs::create_directory(path_));
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

const std::string kBinary("\0cmd\xff\x01\0end", 10);

Membership three() {
  Membership m;
  m.voters = {{"a", MemberRole::Controller}, {"b", MemberRole::Controller}, {"c", MemberRole::Arbiter}};
  return m;
}

std::vector<Entry> entries(consensus::Index from, consensus::Index to, consensus::Term term) {
  std::vector<Entry> out;
  for (auto i = from; i <= to; ++i) out.push_back({term, i, EntryKind::Command, "e" + std::to_string(i) + kBinary});
  return out;
}

Ready batch(std::vector<Entry> es, std::optional<HardState> hs = std::nullopt) {
  Ready r;
  r.entries = std::move(es);
  r.hard_state = std::move(hs);
  return r;
}

// ---------------------------------------------------------------- storage

class RaftStorageTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  // Closes the database and opens it again: what a restarted member sees.
  void reopen() {
    store_.reset();
    db_.reset();
    auto db = store::SqliteDb::open(dir_.file("raft.db"));
    ASSERT_TRUE(db.ok()) << db.error();
    db_ = std::move(*db);
    auto store = store::RaftStorage::open(*db_);
    ASSERT_TRUE(store.ok()) << store.error();
    store_ = std::move(*store);
  }

  Recovered recover() {
    auto r = store_->recover(three());
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() ? *r : Recovered{};
  }

  void save(const Ready& r) {
    auto st = store_->save(r);
    ASSERT_TRUE(st.ok()) << st.error();
  }

  TempDir dir_;
  std::unique_ptr<store::SqliteDb> db_;
  std::unique_ptr<store::RaftStorage> store_;
};

TEST_F(RaftStorageTest, FreshStoreIsEmptyAndRecoversTheInitialMembership) {
  EXPECT_TRUE(store_->empty());
  const Recovered r = recover();
  EXPECT_EQ(r.hard_state, HardState{});
  EXPECT_FALSE(r.snapshot);
  EXPECT_TRUE(r.entries.empty());
  EXPECT_EQ(r.initial, three());
}

TEST_F(RaftStorageTest, RoundTripsHardStateEveryKindAndBinaryDataAcrossARestart) {
  const std::vector<Entry> es = {{1, 1, EntryKind::Noop, ""},
                                 {1, 2, EntryKind::Command, kBinary},
                                 {1, 3, EntryKind::Membership, consensus::encode_membership(three())},
                                 {2, 4, EntryKind::Command, ""}};
  save(batch(es, HardState{2, "b", 3}));
  EXPECT_FALSE(store_->empty());
  reopen();
  EXPECT_FALSE(store_->empty());
  const Recovered r = recover();
  EXPECT_EQ(r.entries, es);
  EXPECT_EQ(r.hard_state, (HardState{2, "b", 3}));
  EXPECT_EQ(r.entries[1].data.size(), kBinary.size());
}

TEST_F(RaftStorageTest, EntriesReplaceTheStoredSuffix) {
  save(batch(entries(1, 5, 1), HardState{1, "a", 2}));
  save(batch(entries(3, 4, 2), HardState{2, "", 2}));  // a new leader overwrote 3..5
  const Recovered r = recover();
  std::vector<Entry> want = entries(1, 2, 1);
  for (const Entry& e : entries(3, 4, 2)) want.push_back(e);
  EXPECT_EQ(r.entries, want);
  EXPECT_EQ(r.hard_state, (HardState{2, "", 2}));
}

TEST_F(RaftStorageTest, AnInstalledSnapshotDropsEveryOlderEntry) {
  save(batch(entries(1, 5, 1)));
  Ready r = batch(entries(11, 12, 3), HardState{3, "a", 10});
  r.snapshot = Snapshot{{10, 3, three()}, kBinary};
  save(r);
  reopen();
  const Recovered got = recover();
  ASSERT_TRUE(got.snapshot);
  EXPECT_EQ(got.snapshot->meta, (consensus::SnapshotMeta{10, 3, three()}));
  EXPECT_EQ(got.snapshot->data, kBinary);
  EXPECT_EQ(got.entries, entries(11, 12, 3));
}

TEST_F(RaftStorageTest, CompactionDropsCoveredEntriesAndIgnoresOlderSnapshots) {
  save(batch(entries(1, 6, 1)));
  ASSERT_TRUE(store_->save_compaction(Snapshot{{4, 1, three()}, "state@4"}).ok());
  ASSERT_TRUE(store_->save_compaction(Snapshot{{3, 1, three()}, "state@3"}).ok());  // superseded
  save(batch(entries(7, 7, 2)));
  reopen();
  const Recovered r = recover();
  ASSERT_TRUE(r.snapshot);
  EXPECT_EQ(r.snapshot->meta.index, 4u);
  EXPECT_EQ(r.snapshot->data, "state@4");
  std::vector<Entry> want = entries(5, 6, 1);
  want.push_back(entries(7, 7, 2)[0]);
  EXPECT_EQ(r.entries, want);
}

TEST_F(RaftStorageTest, AFailedSaveChangesNothing) {
  save(batch(entries(1, 5, 1), HardState{1, "a", 0}));
  ASSERT_TRUE(db_->exec("CREATE TRIGGER fail_7 BEFORE INSERT ON raft_entries WHEN NEW.idx = 7"
                        " BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
                  .ok());
  // Truncates 4..5 and inserts 4..6 before failing on 7: all of it must roll back.
  auto st = store_->save(batch(entries(4, 7, 2), HardState{2, "b", 0}));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("injected failure"), std::string::npos) << st.error();
  EXPECT_NE(st.error().find("nothing saved"), std::string::npos) << st.error();
  Recovered r = recover();
  EXPECT_EQ(r.entries, entries(1, 5, 1));
  EXPECT_EQ(r.hard_state, (HardState{1, "a", 0}));

  ASSERT_TRUE(db_->exec("DROP TRIGGER fail_7").ok());  // and no transaction was left open
  save(batch(entries(4, 7, 2), HardState{2, "b", 0}));
  EXPECT_EQ(recover().entries.size(), 7u);
}

TEST_F(RaftStorageTest, RefusesEntriesThatAreNotContiguous) {
  std::vector<Entry> es = entries(1, 2, 1);
  es.push_back(entries(4, 4, 1)[0]);
  auto st = store_->save(batch(es));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("entry 4 follows entry 2"), std::string::npos) << st.error();
  EXPECT_TRUE(recover().entries.empty());
}

// Each case damages a healthy store with raw SQL; recover() must name the row.
// `poolhactl cluster recover` on a stopped controller's database (store/log_surgery.h):
// one entry makes it the only voter above every term seen; what it held is kept, and a
// Raft on the result leads alone. Refusals and the check without --force change nothing.
TEST(LogSurgery, MakesAControllerTheOnlyVoterAndKeepsItsLog) {
  TempDir dir;
  auto db = store::SqliteDb::open(dir.file("raft.db"));
  ASSERT_TRUE(db.ok()) << db.error();
  {
    auto st = store::RaftStorage::open(**db);
    ASSERT_TRUE(st.ok());
    std::vector<Entry> es = entries(1, 9, 3);
    es[0] = {3, 1, EntryKind::Membership, consensus::encode_membership(three())};
    ASSERT_TRUE((*st)->save(batch(es, HardState{4, "b", 8})).ok());
    ASSERT_TRUE((*st)->save_compaction(Snapshot{{5, 3, three()}, "s"}).ok());
  }
  for (bool write : {false, true}) {
    auto arbiter = store::make_sole_voter(**db, "c", 0, write);
    ASSERT_FALSE(arbiter.ok());
    EXPECT_NE(arbiter.error().find("is an arbiter"), std::string::npos) << arbiter.error();
    auto stranger = store::make_sole_voter(**db, "zz", 0, write);
    ASSERT_FALSE(stranger.ok());
    EXPECT_NE(stranger.error().find("not a member"), std::string::npos) << stranger.error();
  }
  auto plan = store::make_sole_voter(**db, "a", 6, /*write=*/false);  // what --force would do
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_EQ(plan->entry, 10u);
  {
    auto st = store::RaftStorage::open(**db);
    auto unchanged = (*st)->recover(Membership{});
    ASSERT_TRUE(unchanged.ok());
    EXPECT_EQ(unchanged->entries.back().index, 9u);
    EXPECT_EQ(unchanged->hard_state.term, 4u);
  }

  auto done = store::make_sole_voter(**db, "a", 6, /*write=*/true);
  ASSERT_TRUE(done.ok()) << done.error();
  std::printf("sole voter: entry %llu, term %llu, kept to %llu\n", static_cast<unsigned long long>(done->entry),
              static_cast<unsigned long long>(done->term), static_cast<unsigned long long>(done->kept_to));
  EXPECT_EQ(done->entry, 10u);
  EXPECT_EQ(done->term, 7u);  // above the floor 6, the stored term 4 and the entries' 3
  EXPECT_EQ(done->kept_to, 9u);

  auto st = store::RaftStorage::open(**db);
  auto rec = (*st)->recover(Membership{});
  ASSERT_TRUE(rec.ok()) << rec.error();
  ASSERT_EQ(rec->entries.size(), 5u);  // 6..9 after the snapshot at 5, then the new one
  EXPECT_EQ(rec->entries.back().index, 10u);
  const auto in_force = consensus::membership_in_force(rec->snapshot->meta.membership, 5, rec->entries);
  EXPECT_EQ(in_force.membership.voters.size(), 1u);
  EXPECT_TRUE(in_force.membership.is_voter("a"));
  EXPECT_EQ(in_force.index, 10u);

  consensus::RaftOptions o;
  o.id = "a";
  consensus::Raft raft(o, *rec);
  for (int t = 0; t < 40 && !raft.is_leader(); ++t) {
    raft.tick();
    while (raft.has_ready()) raft.advance(raft.ready());
  }
  EXPECT_TRUE(raft.is_leader());
  EXPECT_GT(raft.term(), 7u);
}

// A controller.db written before a single controller ran on Raft (two tables: the
// command log after its snapshot, and the snapshot): its rows move into the Raft log
// unchanged and committed, in a term above every old one, and a sole voter on the result
// applies exactly them. Empty old tables are dropped; old rows beside a Raft log, or a
// gap in the old log, are refused and change nothing.
TEST(SingleControllerImport, MovesTheOldLogIntoRaftAndASoleVoterAppliesIt) {
  TempDir dir;
  auto db = store::SqliteDb::open(dir.file("controller.db"));
  ASSERT_TRUE(db.ok()) << db.error();
  const auto old_tables = [&](const std::string& rows) {
    ASSERT_TRUE((*db)->exec("CREATE TABLE IF NOT EXISTS command_log (idx INTEGER PRIMARY KEY, event TEXT NOT NULL);"
                            "CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), idx INTEGER "
                            "NOT NULL, state TEXT NOT NULL);" + rows)
                    .ok());
  };
  const auto tables = [&] {
    int n = 0;
    EXPECT_TRUE((*db)->run("SELECT COUNT(*) FROM sqlite_master WHERE name IN ('command_log', 'snapshot')", {},
                           [&](const SqliteDb::Row& r) { n = static_cast<int>(store::as_int(r[0])); }).ok());
    return n;
  };
  Membership one;
  one.voters = {{"ctl1", MemberRole::Controller}};

  auto none = store::import_single_controller_log(**db, one);  // a new database
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_FALSE(*none);
  old_tables("");  // what every controller created, also in a pair: dropped, nothing imported
  auto empty = store::import_single_controller_log(**db, one);
  ASSERT_TRUE(empty.ok()) << empty.error();
  EXPECT_FALSE(*empty);
  EXPECT_EQ(tables(), 0);

  old_tables("INSERT INTO snapshot VALUES (1, 4, '{\"state\":4}');"
             "INSERT INTO command_log VALUES (5, '{\"e\":5}'), (7, '{\"e\":7}');");
  auto gap = store::import_single_controller_log(**db, one);
  ASSERT_FALSE(gap.ok());
  EXPECT_NE(gap.error().find("command 7 where 6 was expected"), std::string::npos) << gap.error();
  EXPECT_EQ(tables(), 2);
  ASSERT_TRUE((*db)->exec("UPDATE command_log SET idx = 6 WHERE idx = 7").ok());

  auto done = store::import_single_controller_log(**db, one);
  ASSERT_TRUE(done.ok()) << done.error();
  ASSERT_TRUE(*done);
  std::printf("imported: snapshot at %llu, %zu commands, term %llu\n",
              static_cast<unsigned long long>((*done)->snapshot_index), (*done)->entries,
              static_cast<unsigned long long>((*done)->term));
  EXPECT_EQ((*done)->snapshot_index, 4u);
  EXPECT_EQ((*done)->entries, 2u);
  EXPECT_EQ((*done)->term, 7u);  // above index 6, so above every term the old log started
  EXPECT_EQ(tables(), 0);

  auto st = store::RaftStorage::open(**db);
  ASSERT_TRUE(st.ok());
  auto rec = (*st)->recover(one);
  ASSERT_TRUE(rec.ok()) << rec.error();
  ASSERT_TRUE(rec->snapshot);
  EXPECT_EQ(rec->snapshot->data, "{\"state\":4}");
  EXPECT_EQ(rec->hard_state, (HardState{7, "", 6}));
  ASSERT_EQ(rec->entries.size(), 2u);
  EXPECT_EQ(rec->entries[1].data, "{\"e\":7}");

  consensus::RaftOptions o;
  o.id = "ctl1";
  consensus::Raft raft(o, *rec);
  std::vector<std::string> applied;
  raft.tick();
  while (raft.has_ready()) {
    auto r = raft.ready();
    for (const auto& e : r.committed)
      if (e.kind == EntryKind::Command) applied.push_back(e.data);
    raft.advance(r);
  }
  EXPECT_TRUE(raft.is_leader());
  EXPECT_GT(raft.term(), 7u);
  EXPECT_EQ(applied, (std::vector<std::string>{"{\"e\":5}", "{\"e\":7}"}));

  old_tables("INSERT INTO command_log VALUES (1, '{}');");  // old rows beside a Raft log
  auto both = store::import_single_controller_log(**db, one);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().find("both"), std::string::npos) << both.error();
  EXPECT_EQ(tables(), 2);
}

TEST(RaftStorageDamage, NamesTheDamagedRow) {
  struct Case {
    const char* sql;
    std::vector<std::string> expect;
  };
  const std::vector<Case> cases = {
      {"UPDATE raft_entries SET kind = 9 WHERE idx = 6", {"entry 6", "unknown kind 9"}},
      {"UPDATE raft_entries SET kind = 'x' WHERE idx = 6", {"entry 6", "unknown kind"}},
      {"UPDATE raft_entries SET term = 'abc' WHERE idx = 7", {"entry 7", "term"}},
      {"UPDATE raft_entries SET term = 0 WHERE idx = 7", {"entry 7", "lower than the entry before"}},
      {"DELETE FROM raft_entries WHERE idx = 6", {"entry 7", "expected entry 6"}},
      {"DELETE FROM raft_entries WHERE idx = 5", {"entry 6", "expected entry 5", "right after the snapshot"}},
      {"UPDATE raft_entries SET data = CAST('voter a president' AS BLOB) WHERE idx = 5", {"entry 5", "membership line 1"}},
      {"UPDATE raft_snapshot SET membership = 'garbage'", {"snapshot at 4", "membership line 1"}},
      {"UPDATE raft_hard_state SET term = 'x'", {"hard state"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.sql);
    TempDir dir;
    auto db = store::SqliteDb::open(dir.file("raft.db"));
    ASSERT_TRUE(db.ok()) << db.error();
    auto store = store::RaftStorage::open(**db);
    ASSERT_TRUE(store.ok()) << store.error();
    std::vector<Entry> es = entries(1, 7, 1);
    es[4] = {1, 5, EntryKind::Membership, consensus::encode_membership(three())};
    ASSERT_TRUE((*store)->save(batch(es, HardState{1, "a", 4})).ok());
    ASSERT_TRUE((*store)->save_compaction(Snapshot{{4, 1, three()}, "s"}).ok());
    ASSERT_TRUE((*store)->recover(three()).ok());
    ASSERT_TRUE((*db)->exec(c.sql).ok());
    auto r = (*store)->recover(three());
    ASSERT_FALSE(r.ok());
    for (const std::string& want : c.expect) EXPECT_NE(r.error().find(want), std::string::npos) << r.error();
    EXPECT_NE(r.error().find("may be damaged"), std::string::npos) << r.error();
  }
}

// ---------------------------------------------------------------- codec

// What the receiver gets after the whole path: proto, Envelope bytes, proto, Message.
Expected<Message> through_the_wire(const Message& m) {
  wire::Envelope out;
  *out.mutable_raft() = to_proto(m);
  wire::Envelope in;
  if (!in.ParseFromString(out.SerializeAsString())) return Expected<Message>::Error("envelope does not parse");
  if (in.body_case() != wire::Envelope::kRaft) return Expected<Message>::Error("envelope carries no raft message");
  return from_proto(in.raft());
}

void expect_same(const Message& a, const Message& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.from, b.from);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.term, b.term);
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.log_term, b.log_term);
  EXPECT_EQ(a.commit, b.commit);
  EXPECT_EQ(a.entries, b.entries);
  EXPECT_EQ(a.reject, b.reject);
  EXPECT_EQ(a.transfer, b.transfer);
  EXPECT_EQ(a.sent_tick, b.sent_tick);
  ASSERT_EQ(a.snapshot.has_value(), b.snapshot.has_value());
  if (a.snapshot) {
    EXPECT_EQ(a.snapshot->meta, b.snapshot->meta);
    EXPECT_EQ(a.snapshot->data, b.snapshot->data);
  }
}

Message sample(MessageType t) {
  Message m;
  m.type = t;
  m.from = "a";
  m.to = "b";
  m.term = 7;
  m.index = 4;
  m.log_term = 3;
  m.commit = 2;
  m.reject = static_cast<int>(t) % 2 == 1;
  m.transfer = t == MessageType::Vote;
  m.sent_tick = 99;
  if (t == MessageType::Append)
    m.entries = {{3, 5, EntryKind::Noop, ""},
                 {3, 6, EntryKind::Command, kBinary},
                 {3, 7, EntryKind::Membership, consensus::encode_membership(three())}};
  if (t == MessageType::InstallSnapshot) m.snapshot = Snapshot{{10, 3, three()}, kBinary};
  return m;
}

TEST(RaftCodec, RoundTripsEveryMessageType) {
  for (int t = 0; t <= static_cast<int>(MessageType::TimeoutNow); ++t) {
    const Message m = sample(static_cast<MessageType>(t));
    SCOPED_TRACE(consensus::to_string(m.type));
    auto got = through_the_wire(m);
    ASSERT_TRUE(got.ok()) << got.error();
    expect_same(*got, m);
  }
}

TEST(RaftCodec, RefusesMalformedMessagesNamingWhy) {
  struct Case {
    const char* name;
    std::function<void(wire::RaftMessage&)> damage;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"unknown type", [](wire::RaftMessage& p) { p.set_type(9); }, "unknown type 9"},
      {"gap", [](wire::RaftMessage& p) { p.mutable_entries(1)->set_index(7); }, "entry 7: expected index 6"},
      {"not after index", [](wire::RaftMessage& p) { p.mutable_entries(0)->set_index(4); }, "entry 4: expected index 5"},
      {"unknown kind", [](wire::RaftMessage& p) { p.mutable_entries(1)->set_kind(3); }, "unknown kind 3"},
      {"bad membership entry", [](wire::RaftMessage& p) { p.mutable_entries(2)->set_data("voter a"); },
       "entry 7: membership line 1"},
      {"empty from", [](wire::RaftMessage& p) { p.clear_from(); }, "no sender"},
      {"empty to", [](wire::RaftMessage& p) { p.clear_to(); }, "no receiver"},
      {"entries on a vote",
       [](wire::RaftMessage& p) { p.set_type(static_cast<uint32_t>(MessageType::Vote)); }, "Vote carries entries"},
      {"snapshot on an append", [](wire::RaftMessage& p) { p.mutable_snapshot(); }, "Append carries a snapshot"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    wire::RaftMessage p = to_proto(sample(MessageType::Append));
    c.damage(p);
    auto got = from_proto(p);
    ASSERT_FALSE(got.ok());
    EXPECT_NE(got.error().find(c.expect), std::string::npos) << got.error();
  }

  wire::RaftMessage snap = to_proto(sample(MessageType::InstallSnapshot));
  snap.mutable_snapshot()->set_membership("voter a president");
  auto bad = from_proto(snap);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("snapshot at 10: membership line 1"), std::string::npos) << bad.error();
  snap.clear_snapshot();
  bad = from_proto(snap);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("InstallSnapshot carries no snapshot"), std::string::npos) << bad.error();
}

TEST(RaftCodec, SplitsALargeAppendIntoFramesThatFit) {
  Message m = sample(MessageType::Append);
  m.entries.clear();
  for (consensus::Index i = 5; i < 15; ++i) m.entries.push_back({3, i, EntryKind::Command, std::string(300'000, 'x')});
  for (size_t i = 3; i < m.entries.size(); ++i) m.entries[i].term = 4;  // a term change mid-way
  auto pieces = split_to_fit(m);
  ASSERT_TRUE(pieces.ok()) << pieces.error();
  ASSERT_GT(pieces->size(), 1u);
  std::vector<Entry> all;
  consensus::Index after = m.index;
  consensus::Term after_term = m.log_term;
  for (const Message& p : *pieces) {
    wire::Envelope e;
    *e.mutable_raft() = to_proto(p);
    EXPECT_LE(e.ByteSizeLong(), wire::kMaxFrameBytes);
    EXPECT_EQ(p.index, after);
    EXPECT_EQ(p.log_term, after_term);
    EXPECT_EQ(p.commit, m.commit);
    ASSERT_TRUE(from_proto(to_proto(p)).ok());
    all.insert(all.end(), p.entries.begin(), p.entries.end());
    after = p.entries.back().index;
    after_term = p.entries.back().term;
  }
  EXPECT_EQ(all, m.entries);

  Message small = sample(MessageType::Append);
  ASSERT_EQ(split_to_fit(small)->size(), 1u);

  m.entries[2].data.assign(wire::kMaxFrameBytes, 'y');
  auto too_big = split_to_fit(m);
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.error().find("entry 7 alone"), std::string::npos) << too_big.error();

  Message snap = sample(MessageType::InstallSnapshot);
  snap.snapshot->data.assign(wire::kMaxFrameBytes, 'z');
  auto uncut = split_to_fit(snap);
  ASSERT_FALSE(uncut.ok());
  EXPECT_NE(uncut.error().find("cannot be cut"), std::string::npos) << uncut.error();
}

// ---------------------------------------------------------------- end to end

// Three members driven as a real driver would, without sockets: every Ready saved
// through store::RaftStorage (its own SQLite file each) before its messages leave, every
// message through Protobuf bytes. The application state is the applied commands.
class StoredCluster {
 public:
  struct Member {
    std::unique_ptr<store::SqliteDb> db;
    std::unique_ptr<store::RaftStorage> store;
    std::unique_ptr<consensus::Raft> raft;
    std::string state;
  };

  StoredCluster() {
    for (const char* id : {"a", "b", "c"}) start(id);
  }

  void start(const std::string& id) {
    Member& n = members_[id];
    auto db = store::SqliteDb::open(dir_.file(id + ".db"));
    ASSERT_TRUE(db.ok()) << db.error();
    n.db = std::move(*db);
    auto store = store::RaftStorage::open(*n.db);
    ASSERT_TRUE(store.ok()) << store.error();
    n.store = std::move(*store);
    auto rec = n.store->recover(three());
    ASSERT_TRUE(rec.ok()) << rec.error();
    n.state = rec->snapshot ? rec->snapshot->data : "";
    consensus::RaftOptions opt;
    opt.id = id;
    opt.seed = 7;
    n.raft = std::make_unique<consensus::Raft>(opt, std::move(*rec));
  }

  void crash(const std::string& id) {
    Member& n = members_[id];
    n.raft.reset();
    n.store.reset();
    n.db.reset();
  }

  // One tick everywhere, then every message delivered until the network is quiet.
  void step() {
    for (auto& [id, n] : members_)
      if (n.raft) {
        n.raft->tick();
        drain(n);
      }
    for (int i = 0; i < 10'000 && !network_.empty(); ++i) {
      Message m = std::move(network_.front());
      network_.pop_front();
      Member& to = members_[m.to];
      if (!to.raft) continue;
      to.raft->step(m);
      drain(to);
    }
  }
  void run(int ticks) {
    for (int i = 0; i < ticks; ++i) step();
  }

  std::string leader() const {
    for (const auto& [id, n] : members_)
      if (n.raft && n.raft->is_leader()) return id;
    return "";
  }

  void propose(const std::string& data) {
    const std::string l = leader();
    ASSERT_FALSE(l.empty());
    auto idx = member(l).raft->propose(data);
    ASSERT_TRUE(idx.ok()) << idx.error();
    drain(member(l));
  }

  // The application snapshots its state, the core drops entries, the disk follows.
  void compact(const std::string& id) {
    Member& n = members_[id];
    n.raft->compact(n.raft->applied(), n.state);
    auto st = n.store->save_compaction(n.raft->snapshot());
    ASSERT_TRUE(st.ok()) << st.error();
  }

  Member& member(const std::string& id) { return members_.at(id); }
  std::set<std::string> cut;  // members whose messages are lost, both ways

 private:
  void drain(Member& n) {
    while (n.raft->has_ready()) {
      const Ready r = n.raft->ready();
      auto st = n.store->save(r);  // step 1, before anything leaves
      ASSERT_TRUE(st.ok()) << st.error();
      for (const Message& m : r.messages) send(m);
      if (r.snapshot) n.state = r.snapshot->data;
      for (const Entry& e : r.committed)
        if (e.kind == EntryKind::Command) n.state += e.data + '\n';
      n.raft->advance(r);
    }
  }

  void send(const Message& m) {
    if (cut.count(m.from) || cut.count(m.to)) return;
    wire::Envelope out;
    *out.mutable_raft() = to_proto(m);
    const std::string bytes = out.SerializeAsString();
    EXPECT_LE(bytes.size(), wire::kMaxFrameBytes);
    wire::Envelope in;
    ASSERT_TRUE(in.ParseFromString(bytes));
    ASSERT_EQ(in.body_case(), wire::Envelope::kRaft);
    auto back = from_proto(in.raft());
    ASSERT_TRUE(back.ok()) << back.error();
    network_.push_back(std::move(*back));
  }

  TempDir dir_;
  std::map<std::string, Member> members_;
  std::deque<Message> network_;
};

// What the member's disk holds equals what its core holds in memory.
void expect_disk_matches_memory(StoredCluster::Member& n) {
  auto rec = n.store->recover(three());
  ASSERT_TRUE(rec.ok()) << rec.error();
  EXPECT_EQ(rec->hard_state.term, n.raft->term());
  EXPECT_EQ(rec->hard_state.commit, n.raft->commit_index());
  EXPECT_EQ(rec->entries, n.raft->entries());
  if (n.raft->snapshot().meta.index > 0) {
    ASSERT_TRUE(rec->snapshot);
    EXPECT_EQ(rec->snapshot->meta, n.raft->snapshot().meta);
    EXPECT_EQ(rec->snapshot->data, n.raft->snapshot().data);
  }
}

TEST(MemberDriver, EveryBatchThroughSqliteEveryMessageThroughProtobufAndARestart) {
  StoredCluster c;
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(c.member(id).raft) << id << " did not start";
  for (int i = 0; i < 100 && c.leader().empty(); ++i) c.step();
  c.run(5);  // an arbiter that won would have handed over to a controller by now
  const std::string l = c.leader();
  ASSERT_FALSE(l.empty());
  const std::string lagger = l == "c" ? "b" : "c";

  for (int i = 0; i < 5; ++i) c.propose("cmd" + std::to_string(i) + kBinary);
  c.run(5);
  for (const char* id : {"a", "b", "c"}) EXPECT_EQ(c.member(id).state, c.member(l).state) << id;

  // The lagger misses entries the leader then compacts away: it must catch up by an
  // InstallSnapshot, which its storage must persist.
  c.cut.insert(lagger);
  for (int i = 5; i < 10; ++i) c.propose("cmd" + std::to_string(i) + kBinary);
  c.run(5);
  ASSERT_EQ(c.leader(), l);
  c.compact(l);
  const consensus::Index compacted = c.member(l).raft->snapshot().meta.index;
  ASSERT_GT(compacted, c.member(lagger).raft->last_index());
  c.cut.clear();
  c.run(20);
  EXPECT_EQ(c.member(lagger).raft->snapshot().meta.index, compacted);
  EXPECT_EQ(c.member(lagger).state, c.member(l).state);

  for (int i = 10; i < 13; ++i) c.propose("cmd" + std::to_string(i) + kBinary);
  c.run(5);
  for (const char* id : {"a", "b", "c"}) expect_disk_matches_memory(c.member(id));

  // A real restart: the core is rebuilt from the file alone.
  auto& old = *c.member(lagger).raft;
  const auto term = old.term();
  const auto last = old.last_index();
  const auto commit = old.commit_index();
  const std::vector<Entry> log = old.entries();
  const consensus::SnapshotMeta snap = old.snapshot().meta;
  const std::string state = c.member(lagger).state;
  c.crash(lagger);
  c.start(lagger);
  ASSERT_TRUE(c.member(lagger).raft) << lagger << " did not restart";
  const auto& restarted = *c.member(lagger).raft;
  EXPECT_EQ(restarted.term(), term);
  EXPECT_EQ(restarted.last_index(), last);
  EXPECT_EQ(restarted.commit_index(), commit);
  EXPECT_EQ(restarted.entries(), log);
  EXPECT_EQ(restarted.snapshot().meta, snap);

  // It re-applies what it had committed and keeps replicating.
  c.run(5);
  EXPECT_EQ(c.member(lagger).state, state);
  c.propose("after restart");
  c.run(5);
  for (const char* id : {"a", "b", "c"}) {
    EXPECT_EQ(c.member(id).state, c.member(c.leader()).state) << id;
    expect_disk_matches_memory(c.member(id));
  }
}


// Issue 9 §4: a member's database (the cluster's state, script output, the history) is
// owner-only, also when an older version created it 0644, and so are its WAL files.
TEST(SqliteDbFiles, AreOwnerOnly) {
  const fs::path dir = fs::temp_directory_path() / ("poolha-db-mode-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const mode_t old_mask = ::umask(022);
  auto mode = [](const fs::path& p) { return fs::status(p).permissions() & fs::perms::all; };
  {
    auto db = store::SqliteDb::open((dir / "new.db").string());
    ASSERT_TRUE(db.ok()) << db.error();
    ASSERT_TRUE((*db)->exec("CREATE TABLE t (x)").ok());
    EXPECT_EQ(mode(dir / "new.db"), fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(mode(dir / "new.db-wal"), fs::perms::owner_read | fs::perms::owner_write);
  }
  {
    std::ofstream(dir / "old.db").flush();
    fs::permissions(dir / "old.db", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    auto db = store::SqliteDb::open((dir / "old.db").string());
    ASSERT_TRUE(db.ok()) << db.error();
    EXPECT_EQ(mode(dir / "old.db"), fs::perms::owner_read | fs::perms::owner_write);
  }
  ::umask(old_mask);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace poolha::member
