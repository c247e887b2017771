// rules_sim: runs seeded fault schedules against the decision engine.
//   rules_sim --seeds 1000            seeds 1..1000 (CI)
//   rules_sim --seed 42 --verbose     replay one seed with a full trace
//   rules_sim --from 5000 --seeds 100000   a longer soak
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "tests/sim/sim_cluster.h"

int main(int argc, char** argv) {
  uint64_t from = 1, count = 1000;
  bool verbose = false;
  int faults = 40;
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
    else {
      std::fprintf(stderr, "usage: rules_sim [--seeds N] [--from S] [--seed S] [--faults N] [--verbose]\n");
      return 2;
    }
  }
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
