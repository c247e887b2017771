// rules_sim: runs seeded fault schedules against the decision engine.
//   rules_sim --seeds 1000            seeds 1..1000 (CI)
//   rules_sim --seed 42 --verbose     replay one seed with a full trace
//   rules_sim --from 5000 --seeds 100000   a longer soak
//   rules_sim --seed 42 --dump-scenario tests/scenarios/seed42.json
//                                      the seed's every engine event as a scenario
//                                      (then: scenario_corpus --update FILE)
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "tests/sim/sim_cluster.h"
#include "tests/unit/scenario_runner.h"

namespace {

// One seed's run as a scenario file whose steps are exactly the events the engine got;
// replaying it (auto_respond off) must give the same actions, which is checked here.
int dump_scenario(uint64_t seed, int faults, const std::string& path) {
  std::vector<poolha::rules::Json> steps;
  poolha::sim::SimOptions opt;
  opt.seed = seed;
  opt.faults = faults;
  opt.record = &steps;
  const auto rep = poolha::sim::run_simulation(opt);
  std::string about = "rules_sim --seed " + std::to_string(seed) + " --faults " + std::to_string(faults) + ": " +
                      (rep.violations.empty() ? "no violation" : std::to_string(rep.violations.size()) + " violation(s): ");
  for (const auto& v : rep.violations) about += v + "; ";
  const poolha::rules::Json sc{{"description", about}, {"auto_respond", false}, {"steps", steps}};
  const auto replay = poolha::rules::testing::run_scenario(sc, "");
  const std::vector<std::string>& replayed = replay.actions;
  const bool same = replayed == rep.engine_actions;
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "rules_sim: cannot write %s\n", path.c_str());
    return 2;
  }
  const std::string text = sc.dump(1) + "\n";
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  std::printf("seed %llu: %zu steps written to %s; the run emitted %zu actions, the replay %zu, %s\n",
              static_cast<unsigned long long>(seed), steps.size(), path.c_str(), rep.engine_actions.size(),
              replayed.size(), same ? "the same ones" : "NOT THE SAME ONES");
  return same && replay.failures.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t from = 1, count = 1000;
  bool verbose = false;
  int faults = 40;
  std::string dump;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seeds") count = std::stoull(next());
    else if (a == "--seed") from = std::stoull(next()), count = 1;
    else if (a == "--from") from = std::stoull(next());
    else if (a == "--faults") faults = std::stoi(next());
    else if (a == "--verbose") verbose = true;
    else if (a == "--dump-scenario") dump = next();
    else {
      std::fprintf(stderr,
                   "usage: rules_sim [--seeds N] [--from S] [--seed S] [--faults N] [--verbose] "
                   "[--dump-scenario FILE]\n");
      return 2;
    }
  }
  if (!dump.empty()) return dump_scenario(from, faults, dump);
  auto t0 = std::chrono::steady_clock::now();
  uint64_t failed = 0, actions = 0, takeovers = 0;
  long long worst = 0;
  for (uint64_t seed = from; seed < from + count; ++seed) {
    poolha::sim::SimOptions opt;
    opt.seed = seed;
    opt.faults = faults;
    opt.verbose = verbose;
    auto rep = poolha::sim::run_simulation(opt);
    actions += rep.actions_sent;
    takeovers += rep.takeovers;
    worst = std::max<long long>(worst, rep.max_failover_ms);
    for (const auto& line : rep.trace) std::printf("%s\n", line.c_str());
    if (!rep.violations.empty()) {
      ++failed;
      std::printf("SEED %llu FAILED (replay: rules_sim --seed %llu --verbose)\n", (unsigned long long)seed,
                  (unsigned long long)seed);
      for (const auto& v : rep.violations) std::printf("  %s\n", v.c_str());
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("simulation: %llu seeds (%llu..%llu), %llu violations, %llu actions, %llu failovers, "
              "slowest failover %lld ms, %.1f s\n",
              (unsigned long long)count, (unsigned long long)from, (unsigned long long)(from + count - 1),
              (unsigned long long)failed, (unsigned long long)actions, (unsigned long long)takeovers, worst, secs);
  std::printf("%llu passed, %llu failed\n", (unsigned long long)(count - failed), (unsigned long long)failed);
  return failed == 0 ? 0 : 1;
}
