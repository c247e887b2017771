// controlplane_sim: runs seeds of the control-plane simulation and prints what it
// found. CI: `controlplane_sim --seeds 10000`. Soak: `--soak-minutes 120` (new seeds
// until the time is up). A failing seed replays exactly: `--seed N --verbose`.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "tests/sim/controlplane_sim.h"

using namespace poolha::sim;

int main(int argc, char** argv) {
  uint64_t first = 1, count = 1000;
  bool verbose = false, single = false;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  double soak_minutes = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seeds") count = std::stoull(next());
    else if (a == "--first") first = std::stoull(next());
    else if (a == "--seed") first = std::stoull(next()), count = 1, single = true;
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--soak-minutes") soak_minutes = std::stod(next());
    else if (a == "--verbose") verbose = true;
    else {
      std::fprintf(stderr,
                   "usage: controlplane_sim [--seeds N] [--first S] [--threads T] [--soak-minutes M]\n"
                   "       controlplane_sim --seed S [--verbose]\n");
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::off);  // the cores log every decision; the report says what matters
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double, std::ratio<60>>(soak_minutes);
  std::atomic<uint64_t> next_seed{first}, runs{0}, failed{0}, elections{0}, committed{0}, acked{0}, actions{0}, snaps{0}, failovers{0}, overrides{0},
      replacements{0};
  std::vector<int64_t> replacement_ms;
  std::mutex out;
  auto worker = [&] {
    for (;;) {
      const uint64_t seed = next_seed++;
      if (soak_minutes > 0 ? std::chrono::steady_clock::now() >= deadline : seed >= first + count) return;
      ControlPlaneOptions o;
      o.seed = seed;
      o.verbose = verbose;
      const ControlPlaneReport r = run_control_plane(o);
      ++runs;
      elections += r.elections;
      committed += r.committed;
      acked += r.acked_commands;
      actions += r.actions;
      snaps += r.snapshots_installed;
      failovers += r.failovers;
      overrides += r.overrides;
      std::lock_guard<std::mutex> lock(out);
      replacement_ms.insert(replacement_ms.end(), r.arbiter_replacement_ms.begin(), r.arbiter_replacement_ms.end());
      if (verbose)
        for (const auto& t : r.trace) std::printf("%s\n", t.c_str());
      if (!r.violations.empty()) {
        ++failed;
        std::printf("seed %llu: %s  (replay: controlplane_sim --seed %llu --verbose)\n",
                    static_cast<unsigned long long>(seed), r.violations.front().c_str(),
                    static_cast<unsigned long long>(seed));
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < (single ? 1 : threads); ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Replacement times include schedules where the leader or the standby was down too;
  // the median is the figure for a plain arbiter loss.
  std::sort(replacement_ms.begin(), replacement_ms.end());
  auto pct = [&](double q) {
    return replacement_ms.empty() ? 0LL : static_cast<long long>(replacement_ms[static_cast<size_t>(q * (replacement_ms.size() - 1))]);
  };
  std::printf(
      "control-plane simulation: %llu seeds from %llu, %llu with violations; %llu elections, %llu entries committed, "
      "%llu operator commands acknowledged, %llu agent actions, %llu failovers (checked for 6.4), %llu snapshots installed, %zu arbiter replacements "
      "(loss to promotion: median %lld ms, p90 %lld ms), %llu no-quorum overrides; %.1f s\n",
      static_cast<unsigned long long>(runs.load()), static_cast<unsigned long long>(first),
      static_cast<unsigned long long>(failed.load()), static_cast<unsigned long long>(elections.load()),
      static_cast<unsigned long long>(committed.load()), static_cast<unsigned long long>(acked.load()),
      static_cast<unsigned long long>(actions.load()), static_cast<unsigned long long>(failovers.load()),
      static_cast<unsigned long long>(snaps.load()),
      replacement_ms.size(), pct(0.5), pct(0.9), static_cast<unsigned long long>(overrides.load()), secs);
  return failed == 0 ? 0 : 1;
}
