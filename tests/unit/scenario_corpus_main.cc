// scenario_corpus: runs every scenario of tests/scenarios against the decision engine and
// compares its whole output with tests/scenarios/expected/NAME.txt.
//   scenario_corpus                       check (CTest runs this); exit 1 on any difference
//   scenario_corpus --update              rewrite the expected files; review with git diff
//   scenario_corpus [--update] FILE.json  only these scenarios
//   scenario_corpus --print FILE.json     print the output (while writing a scenario)
// A scenario's partial expectations ("expect_*") must hold either way: --update never
// records an output that breaks what the scenario says it is about.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/scenario_runner.h"

namespace fs = std::filesystem;
using poolha::rules::Json;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The first few differing lines, as "-expected" / "+got", with line numbers.
void print_difference(const std::string& want, const std::string& got) {
  const auto a = lines_of(want), b = lines_of(got);
  size_t shown = 0;
  for (size_t i = 0; i < std::max(a.size(), b.size()) && shown < 8; ++i) {
    const std::string* x = i < a.size() ? &a[i] : nullptr;
    const std::string* y = i < b.size() ? &b[i] : nullptr;
    if (x && y && *x == *y) continue;
    std::printf("    line %zu\n", i + 1);
    if (x) std::printf("    -%s\n", x->c_str());
    if (y) std::printf("    +%s\n", y->c_str());
    ++shown;
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool update = false, print = false;
  std::vector<fs::path> files;
  const fs::path dir = POOLHA_SCENARIO_DIR;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--update") update = true;
    else if (a == "--print") print = true;
    else if (!a.empty() && a[0] != '-') files.emplace_back(a);
    else {
      std::fprintf(stderr, "usage: scenario_corpus [--update | --print] [FILE.json...]\n");
      return 2;
    }
  }
  if (files.empty())
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  fs::create_directories(dir / "expected");

  size_t steps = 0, events = 0, actions = 0, differ = 0, failed = 0, written = 0;
  for (const auto& f : files) {
    std::ifstream in(f);
    const Json sc = Json::parse(in, nullptr, false);
    const std::string name = f.stem().string();
    if (sc.is_discarded()) {
      std::printf("%s: not valid JSON\n", name.c_str());
      ++failed;
      continue;
    }
    const auto out = poolha::rules::testing::run_scenario(sc, (dir / "bases").string());
    if (print) std::fputs(out.transcript.c_str(), stdout);
    steps += out.steps;
    events += out.events;
    actions += out.actions.size();
    for (const auto& why : out.failures) std::printf("%s: %s\n", name.c_str(), why.c_str());
    if (!out.failures.empty()) ++failed;
    const fs::path expected = dir / "expected" / (name + ".txt");
    std::ifstream ein(expected);
    std::stringstream want;
    want << ein.rdbuf();
    if (want.str() == out.transcript) continue;
    if (update) {
      if (out.failures.empty()) {
        std::ofstream(expected) << out.transcript;
        std::printf("%s: expected output %s\n", name.c_str(), ein ? "updated" : "written");
        ++written;
      }
      continue;
    }
    ++differ;
    std::printf("%s: output differs from %s%s\n", name.c_str(), expected.c_str(), ein ? "" : " (missing)");
    if (ein) print_difference(want.str(), out.transcript);
  }
  std::printf("scenario corpus: %zu scenarios, %zu steps, %zu events, %zu actions; %zu differ from the expected "
              "output, %zu break their own expectations%s\n",
              files.size(), steps, events, actions, differ, failed,
              update ? (", " + std::to_string(written) + " expected files written").c_str() : "");
  if (differ) std::printf("if the change is intended: scenario_corpus --update, then review git diff tests/scenarios/expected\n");
  return differ || failed ? 1 : 0;
}
