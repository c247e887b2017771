// The one strict reader every daemon's config goes through (common/yaml_reader.h):
// each refusal names the file, line, column and field, and nothing is read past it.
#include "common/yaml_reader.h"

#include <gtest/gtest.h>

namespace poolha {
namespace {

struct Small {
  std::string name;
  int64_t port = 0;
  bool on = false;
};

Small read_small(const YamlReader& r, const YAML::Node& root) {
  r.keys(root, "", {"name", "port", "on", "inner"}, {"name"});
  Small s;
  s.name = r.nonempty_text(root["name"], "name");
  if (root["port"]) s.port = r.integer(root["port"], "port", 1, 65535);
  if (root["on"]) s.on = r.boolean(root["on"], "on");
  if (root["inner"]) r.keys(root["inner"], "inner", {"a"}, {"a"});
  return s;
}

std::string error_of(const std::string& text) {
  auto r = read_yaml_config<Small>(text, "x.yaml", 4096, "name, port, on", read_small);
  return r.ok() ? "ok" : r.error();
}

TEST(YamlReader, RefusalsNameFileLineColumnAndField) {
  EXPECT_EQ(error_of("name: a\nport: 80\non: true\n"), "ok");
  EXPECT_EQ(error_of("name: a\nname: b\n"), "x.yaml:2:1: name: given twice");
  EXPECT_EQ(error_of("name: a\ncolour: red\n"), "x.yaml:2:1: colour: unknown key (allowed: inner, name, on, port)");
  EXPECT_EQ(error_of("port: 80\n"), "x.yaml:1:1: name: required");
  EXPECT_EQ(error_of("name: a\nport: 99999\n"), "x.yaml:2:7: port: expected an integer 1..65535, got '99999'");
  EXPECT_EQ(error_of("name: a\nport: 0x50\n"), "x.yaml:2:7: port: expected an integer 1..65535, got '0x50'");
  EXPECT_EQ(error_of("name: a\non: yes\n"), "x.yaml:2:5: on: true or false");
  EXPECT_EQ(error_of("name: [a]\n"), "x.yaml:1:7: name: expected a string");
  EXPECT_EQ(error_of("name: a\ninner: {b: 1}\n"), "x.yaml:2:9: inner.b: unknown key (allowed: a)");
  EXPECT_EQ(error_of("name: a\ninner: 3\n"), "x.yaml:2:8: inner: expected a mapping (keys: a)");
  EXPECT_EQ(error_of("- a\n"), "x.yaml: expected a mapping of keys (name, port, on)");
  EXPECT_NE(error_of("name: [a\n").find("x.yaml:"), std::string::npos);
}

}  // namespace
}  // namespace poolha
