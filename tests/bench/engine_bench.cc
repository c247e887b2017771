// Decision latency of the engine at design §5 scale: 5,000 nodes, 1,000 rules (10 pools
// of 500 nodes and 100 rules). Measures, for primaries failing one at a time, the time
// to apply the arbiter's verdict and then the tick at the isolation deadline that
// emits the acquire ("failure confirmed -> commands sent"), and a steady-state tick.
// Prints p50/p99; the design target (§5) is p99 <= 50 ms. Not a test: run `engine_bench`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "rules/engine.h"
#include "rules/json_codec.h"

using namespace poolha::rules;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

void answer_all(Engine& e, const Decision& d, TimeMs now) {
  std::vector<Event> q;
  for (const auto& a : d.actions)
    if (auto c = agent_command(a)) q.push_back(ActionResult{c->action_id, c->node, ActionOutcome::Ok, true, "", now});
  for (const auto& ev : q) answer_all(e, e.apply(ev), now);
}

void print(const char* what, std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double p) { return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))]; };
  std::printf("%-44s n=%-5zu p50 %8.3f ms  p99 %8.3f ms  max %8.3f ms\n", what, v.size(), at(0.5), at(0.99), v.back());
}

}  // namespace

int main() {
  const int pools = 10, nodes_per_pool = 500, rules_per_pool = 100;
  Engine e;
  auto t0 = Clock::now();
  for (int p = 0; p < pools; ++p) {
    const std::string pool = "pool" + std::to_string(p);
    e.apply(UpsertPool{PoolSpec{pool, 0.1, false}});
    for (int n = 0; n < nodes_per_pool; ++n) {
      NodeSpec s;
      s.id = pool + "-n" + std::to_string(n);
      s.pool = pool;
      s.labels = {{"app", "gw"}};
      e.apply(UpsertNode{s});
      const std::string addr = "198." + std::to_string(18 + p / 8) + "." + std::to_string((p % 8) * 32 + n / 250) + "." +
                               std::to_string(n % 250 + 1) + "/16";
      e.apply(NodeReachable{s.id, 0, {addr}, {}, 0});
    }
  }
  for (int p = 0; p < pools; ++p) {
    const std::string pool = "pool" + std::to_string(p);
    for (int r = 0; r < rules_per_pool; ++r) {
      RuleSpec spec;
      spec.id = pool + "-r" + std::to_string(r);
      spec.pool = pool;
      spec.home = pool + "-n" + std::to_string(r);
      spec.labels = {{"app", "gw"}};
      spec.vips = {{"198." + std::to_string(18 + p / 8) + "." + std::to_string((p % 8) * 32 + 20) + "." +
                        std::to_string(r + 1) + "/16",
                    ""}};
      answer_all(e, e.apply(UpsertRule{spec, 0}), 0);
    }
  }
  std::printf("set-up: %zu nodes, %zu rules placed in %.0f ms\n", e.state().nodes.size(), e.state().rules.size(), ms_since(t0));
  // The consensus snapshot is this JSON; a member behind a compaction receives it in
  // one InstallSnapshot message, which must fit the member links' frame limit.
  std::printf("state snapshot (JSON): %.2f MiB\n", static_cast<double>(to_json(e.state()).dump().size()) / (1 << 20));

  std::vector<double> verdict, deadline, tick;
  TimeMs now = 10000;
  for (int i = 0; i < 200; ++i) {
    const int p = i % pools, r = i / pools;
    const std::string node = "pool" + std::to_string(p) + "-n" + std::to_string(r);
    e.apply(NodeUnreachable{node, now, now - 600});
    auto t = Clock::now();
    Decision d = e.apply(ArbiterView{node, now + 20, true, false, now - 600});
    verdict.push_back(ms_since(t));
    answer_all(e, d, now + 20);
    now += 1000;  // past the isolation deadline
    t = Clock::now();
    Decision d2 = e.apply(Tick{now, 600});
    deadline.push_back(ms_since(t));
    bool acquired = false;
    for (const auto& a : d2.actions) acquired |= std::holds_alternative<Acquire>(a);
    if (!acquired) {
      std::printf("ERROR: no acquire after the deadline for %s\n", node.c_str());
      return 1;
    }
    answer_all(e, d2, now);
    t = Clock::now();
    e.apply(Tick{now + 50, 600});
    tick.push_back(ms_since(t));
    now += 100;
  }
  print("arbiter verdict -> failover planned", verdict);
  print("deadline tick -> acquire sent", deadline);
  print("steady tick (1,000 rules)", tick);
  std::vector<double> total(verdict.size());
  for (size_t i = 0; i < total.size(); ++i) total[i] = verdict[i] + deadline[i];
  print("decision latency (both steps)", total);
  return 0;
}
