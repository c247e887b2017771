// Tests for cli::yaml_to_json: what `poolhactl apply -f` sends for a YAML or JSON file.
#include "cli/tables.h"
#include "cli/yaml_json.h"
#include "common/utf8.h"

#include <gtest/gtest.h>

namespace poolha::cli {
namespace {

using Json = nlohmann::json;

Json ok(const std::string& text) {
  auto r = yaml_to_json(text, "f.yaml");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
  return r.ok() ? *r : Json();
}

std::string err(const std::string& text) {
  auto r = yaml_to_json(text, "f.yaml");
  EXPECT_FALSE(r.ok()) << "unexpectedly parsed as " << (r.ok() ? r->dump() : "");
  return r.ok() ? "" : r.error();
}

TEST(YamlToJson, PlainScalarsBecomeNumbersBooleansAndNull) {
  Json j = ok("a: 42\nb: -7\nc: 1.5\nd: 1e3\ne: true\nf: False\ng: null\nh: ~\ni:\nj: 0x1f\nk: +3\n");
  EXPECT_EQ(j["a"], 42);
  EXPECT_TRUE(j["a"].is_number_integer());
  EXPECT_EQ(j["b"], -7);
  EXPECT_DOUBLE_EQ(j["c"].get<double>(), 1.5);
  EXPECT_TRUE(j["c"].is_number_float());
  EXPECT_DOUBLE_EQ(j["d"].get<double>(), 1000.0);
  EXPECT_EQ(j["e"], true);
  EXPECT_EQ(j["f"], false);
  EXPECT_TRUE(j["g"].is_null());
  EXPECT_TRUE(j["h"].is_null());
  EXPECT_TRUE(j["i"].is_null());
  EXPECT_EQ(j["j"], 31);
  EXPECT_EQ(j["k"], 3);
}

TEST(YamlToJson, QuotedAndTaggedScalarsStayStrings) {
  Json j = ok("a: \"42\"\nb: 'true'\nc: !!str 7\nd: \"\"\ne: 'null'\n");
  EXPECT_EQ(j["a"], "42");
  EXPECT_EQ(j["b"], "true");
  EXPECT_EQ(j["c"], "7");
  EXPECT_EQ(j["d"], "");
  EXPECT_EQ(j["e"], "null");
}

TEST(YamlToJson, OtherPlainScalarsAreStrings) {
  // YAML 1.1 booleans are not booleans here: a label value "yes" stays "yes".
  Json j = ok("a: yes\nb: off\nc: 198.18.1.10/24\nd: 1.2.3\ne: app=gw\nf: 12:30\n");
  EXPECT_EQ(j["a"], "yes");
  EXPECT_EQ(j["b"], "off");
  EXPECT_EQ(j["c"], "198.18.1.10/24");
  EXPECT_EQ(j["d"], "1.2.3");
  EXPECT_EQ(j["e"], "app=gw");
  EXPECT_EQ(j["f"], "12:30");
}

TEST(YamlToJson, NestedRuleDocument) {
  Json j = ok(R"(
settings:
  heartbeat_interval_ms: 200
pools:
  - id: p1
    min_takeover_ratio: 0.25
nodes:
  - {id: n1, pool: p1, labels: {app: gw}, priority: 100}
rules:
  - id: r1
    pool: p1
    vips:
      - cidr: 198.18.1.10/24
        interface: ""
    local_takeover: false
    monitors: []
)");
  EXPECT_EQ(j["settings"]["heartbeat_interval_ms"], 200);
  EXPECT_DOUBLE_EQ(j["pools"][0]["min_takeover_ratio"].get<double>(), 0.25);
  EXPECT_EQ(j["nodes"][0]["labels"]["app"], "gw");
  EXPECT_EQ(j["rules"][0]["vips"][0]["cidr"], "198.18.1.10/24");
  EXPECT_EQ(j["rules"][0]["vips"][0]["interface"], "");
  EXPECT_EQ(j["rules"][0]["local_takeover"], false);
  EXPECT_TRUE(j["rules"][0]["monitors"].is_array());
}

TEST(YamlToJson, JsonDocumentsParseAsJson) {
  Json j = ok("{\n\t\"pools\": [{\"id\": \"p1\", \"frozen\": true}],\n\t\"n\": 3, \"s\": \"3\"\n}\n");
  EXPECT_EQ(j["pools"][0]["id"], "p1");
  EXPECT_EQ(j["pools"][0]["frozen"], true);
  EXPECT_EQ(j["n"], 3);
  EXPECT_EQ(j["s"], "3");
}

TEST(YamlToJson, ParseErrorGivesLineAndColumn) {
  std::string e = err("pools:\n  - id: p1\n   bad: [1, 2\n");
  EXPECT_NE(e.find("f.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("not valid YAML"), std::string::npos) << e;
  // Some line number is given, and it is one of the file's lines.
  EXPECT_TRUE(e.find("f.yaml:2:") != std::string::npos || e.find("f.yaml:3:") != std::string::npos ||
              e.find("f.yaml:4:") != std::string::npos)
      << e;
}

TEST(YamlToJson, DuplicateKeyIsAnErrorWithItsPosition) {
  std::string e = err("a: 1\nb:\n  c: 1\n  c: 2\n");
  EXPECT_NE(e.find("f.yaml:4:3"), std::string::npos) << e;
  EXPECT_NE(e.find("'c'"), std::string::npos) << e;
}

TEST(YamlToJson, ValuesWithoutAJsonFormAreErrors) {
  EXPECT_NE(err("a: .inf\n").find("f.yaml:1:4"), std::string::npos);
  EXPECT_NE(err("a: .nan\n").find("quote it"), std::string::npos);
  EXPECT_NE(err("a: 99999999999999999999999\n").find("out of range"), std::string::npos);
  EXPECT_NE(err("? [1, 2]\n: x\n").find("key must be"), std::string::npos);
}

TEST(YamlToJson, EmptyAndMultiDocumentFilesAreErrors) {
  EXPECT_NE(err("").find("empty"), std::string::npos);
  EXPECT_NE(err("a: 1\n---\nb: 2\n").find("more than one"), std::string::npos);
}

TEST(YamlToJson, LargeUnsignedFitsAsUnsigned) {
  Json j = ok("a: 18446744073709551615\nb: -9223372036854775808\n");
  EXPECT_TRUE(j["a"].is_number_unsigned());
  EXPECT_EQ(j["b"].get<int64_t>(), INT64_MIN);
}

}  // namespace
}  // namespace poolha::cli

// Issue 9 §1, the CLI end of every text path: a table of events with Chinese details
// (two columns a character), a GBK remnant already replaced by the controller, and a
// detail that carries an escape sequence and a newline from a script.
namespace poolha::cli {
namespace {

TEST(Tables, ChineseAndControlCharactersRenderSafely) {
  const std::string qi = "\xE5\x90\xAF";  // 启
  Json events = Json::array();
  events.push_back({{"id", 1}, {"time", "t"}, {"kind", "acquire"}, {"node", "h2"}, {"outcome", "ok"},
                    {"detail", qi + qi + " \xEF\xBF\xBD ok"}, {"actor", "controller"}});
  events.push_back({{"id", 2}, {"time", "t"}, {"kind", "monitor"}, {"node", "h1"}, {"outcome", "failed"},
                    {"detail", "\x1b[31mred\nFAKE"}, {"actor", "controller"}});
  const std::string out = render_events(events);
  EXPECT_TRUE(text::is_valid_utf8(out));
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << "an escape sequence reached the terminal";
  EXPECT_NE(out.find("\\x1B[31mred\\x0AFAKE"), std::string::npos) << out;
  // Columns line up by display width: the NODE column starts at the same column on
  // every line, whatever the KIND and DETAIL cells hold.
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = out.find('\n', at)) != std::string::npos; at = nl + 1) lines.push_back(out.substr(at, nl - at));
  ASSERT_EQ(lines.size(), 3u);
  const size_t node_col = text::display_width(lines[0].substr(0, lines[0].find("NODE")));
  EXPECT_EQ(text::display_width(lines[1].substr(0, lines[1].find("h2"))), node_col);
  EXPECT_EQ(text::display_width(lines[2].substr(0, lines[2].find("h1"))), node_col);
  Table t({"A", "B"});
  t.add({qi + qi, "x"});
  t.add({"ab", "y"});
  const std::string two = t.render();
  EXPECT_NE(two.find(qi + qi + "  x\n"), std::string::npos) << two;  // 4 columns wide, then 2 spaces
  EXPECT_NE(two.find("ab    y\n"), std::string::npos) << two;
}

}  // namespace
}  // namespace poolha::cli
