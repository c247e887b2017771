// What the controller serves the console with: the built files from memory (headers,
// caching, compression, the page fallback, no path outside the folder) and the live
// feed's events (snapshot, deltas of what changed only, end of a signed-out stream).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/json_text.h"
#include "controller/live_feed.h"
#include "controller/static_assets.h"
#include "rules/json_codec.h"

namespace poolha::controller {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string header(const ApiResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

class StaticAssetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("poolha-assets-" + std::to_string(getpid()));
    fs::create_directories(dir_ / "assets");
    write("index.html", "<!doctype html><div id=root></div>");
    write("assets/index-3f2a.js", "console.log('poolha')");
    write("assets/index-3f2a.js.gz", "GZIPPED");
    fs::create_directories(dir_.parent_path() / "poolha-secret");
    std::ofstream(dir_.parent_path() / "poolha-secret" / "key") << "secret";
  }
  void TearDown() override {
    fs::remove_all(dir_);
    fs::remove_all(dir_.parent_path() / "poolha-secret");
  }
  void write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  fs::path dir_;
};

TEST_F(StaticAssetsTest, ServesFromMemoryWithHeadersCachingAndCompression) {
  auto a = StaticAssets::load(dir_.string());
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ((*a)->count(), 2u);
  auto index = (*a)->get("/", "gzip", "", "text/html");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(header(*index, "Cache-Control"), "no-cache");
  EXPECT_NE(header(*index, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(header(*index, "Content-Security-Policy").find("unsafe-eval"), std::string::npos);
  EXPECT_EQ(header(*index, "X-Frame-Options"), "DENY");
  auto js = (*a)->get("/assets/index-3f2a.js", "gzip, deflate, br", "", "*/*");
  ASSERT_TRUE(js);
  EXPECT_EQ(header(*js, "Content-Encoding"), "gzip");
  EXPECT_EQ(js->text, "GZIPPED");
  EXPECT_EQ(header(*js, "Cache-Control"), "public, max-age=31536000, immutable");
  auto plain = (*a)->get("/assets/index-3f2a.js", "", "", "*/*");
  EXPECT_EQ(plain->text, "console.log('poolha')");
  auto again = (*a)->get("/assets/index-3f2a.js", "gzip", header(*js, "ETag"), "*/*");
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->text.empty());
  // A page of the console, reloaded: the application; a missing asset: nothing.
  auto page = (*a)->get("/rules/gw1", "", "", "text/html,application/xhtml+xml");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  EXPECT_FALSE((*a)->get("/assets/missing.js", "", "", "text/html"));
  EXPECT_FALSE((*a)->get("/favicon.ico", "", "", "image/*"));
  // Paths are keys of what was loaded: nothing outside the folder can be named.
  EXPECT_FALSE((*a)->get("/../poolha-secret/key", "", "", "*/*"));
  EXPECT_FALSE((*a)->get("/assets/../../poolha-secret/key", "", "", "*/*"));
}

TEST_F(StaticAssetsTest, AMissingFolderServesTheApiAlone) {
  auto a = StaticAssets::load((dir_ / "nothing-here").string());
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE((*a)->empty());
  EXPECT_FALSE((*a)->get("/", "", "", "text/html"));
}

TEST(LiveFeedTest, SnapshotThenOnlyWhatChangedThenTheEndOfASignedOutStream) {
  rules::ClusterState state;
  state.rules["gw1"].primary = "h1";
  state.rules["gw2"].primary = "h2";
  state.nodes["h1"].liveness = rules::Liveness::Up;
  uint64_t index = 7, agents_version = 1;
  Json agents = {{"h1", {{"connected", true}}}};
  Json top = {{"controller", "ctl1"}, {"state", {{"term", 3}}}};
  int views_built = 0;
  LiveFeed feed(LiveFeed::Source{[&] { return ++views_built, Json{{"state", rules::to_json(state)}}; },
                                 [&]() -> const rules::ClusterState& { return state; }, [&] { return index; },
                                 [&] { return agents_version; }, [&] { return agents; }, [&] { return top; }});
  std::vector<std::string> a, b;
  bool b_open = true;
  ASSERT_NE(feed.subscribe([&](const std::string& t) { return a.push_back(t), true; }, "session-a"), 0u);
  ASSERT_NE(feed.subscribe([&](const std::string& t) { return b_open && (b.push_back(t), true); }, ""), 0u);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_NE(a[0].find("event: snapshot\nid: 7\n"), std::string::npos);
  auto valid = [](const std::string&) { return true; };
  feed.tick(100, valid);
  EXPECT_EQ(a.size(), 1u);  // nothing changed
  // A new log entry that changed nothing the view shows: still no event.
  index = 8;
  feed.tick(200, valid);
  EXPECT_EQ(a.size(), 1u);
  // A takeover: one rule changes, one node is removed.
  state.rules["gw1"].primary = "h2";
  state.nodes.erase("h1");
  index = 9;
  feed.tick(300, valid);
  ASSERT_EQ(a.size(), 2u);
  const std::string& d = a[1];
  ASSERT_EQ(d.rfind("event: delta\nid: 9\ndata: ", 0), 0u) << d;
  Json delta = Json::parse(d.substr(d.find("data: ") + 6));
  EXPECT_EQ(delta["set"].size(), 1u) << delta;
  EXPECT_EQ(delta["set"]["rules/gw1"]["primary"], "h2");
  EXPECT_EQ(delta["del"], Json::array({"nodes/h1"}));
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(views_built, 2);  // one per subscription: deltas never build the whole view
  // An agent's facts, and the small part, are compared as sent.
  agents["h2"] = {{"connected", true}};
  ++agents_version;
  top["controller"] = "ctl2";
  feed.tick(400, valid);
  delta = Json::parse(a.back().substr(a.back().find("data: ") + 6));
  EXPECT_EQ(delta["set"].size(), 2u) << delta;
  EXPECT_TRUE(delta["set"].contains("agents/h2"));
  EXPECT_EQ(delta["set"]["top"]["controller"], "ctl2");
  // Keepalive comments on a quiet stream.
  feed.tick(400 + LiveFeed::kKeepaliveMs, valid);
  EXPECT_EQ(a.back(), ": keepalive\n\n");
  // A stream that cannot take more is dropped; a signed-out session's stream ends.
  b_open = false;
  state.settings.suspect_after_ms = 999;
  top["state"]["term"] = 4;
  feed.tick(500 + LiveFeed::kKeepaliveMs, valid);
  EXPECT_EQ(feed.streams(), 1u);
  feed.tick(600 + LiveFeed::kKeepaliveMs, [](const std::string& s) { return s != "session-a"; });
  EXPECT_EQ(feed.streams(), 0u);
  EXPECT_EQ(a.back().rfind("event: end\n", 0), 0u);
  // History rows reach the streams as they are written.
  std::vector<std::string> c;
  feed.subscribe([&](const std::string& t) { return c.push_back(t), true; }, "");
  feed.history({{"id", 5}, {"kind", "acquire"}, {"outcome", "ok"}});
  EXPECT_EQ(c.back().rfind("event: history\ndata: {", 0), 0u);
  for (size_t i = 1; i < LiveFeed::kMaxStreams; ++i) feed.subscribe([](const std::string&) { return true; }, "");
  EXPECT_EQ(feed.subscribe([](const std::string&) { return true; }, ""), 0u);  // over the cap
}

}  // namespace
}  // namespace poolha::controller
