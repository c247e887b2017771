// Writes the seed corpus of every fuzzer (tests/fuzz/corpus/NAME/*): valid messages,
// files and sequences the daemons really see, plus the issue 9 attacks, so fuzzing
// starts from the interesting paths. The corpus is checked in; rerun this after a
// protocol change:  build-asan/tests/fuzz/write_seeds tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/json_text.h"
#include "member/raft_codec.h"
#include "rules/json_codec.h"
#include "tests/fuzz/records.h"
#include "wire/frame.h"
#include "wire/pki.h"

namespace {

using namespace poolha;
using fuzz::record;

std::map<std::string, std::vector<std::string>> seeds;

void add(const std::string& target, std::string bytes) { seeds[target].push_back(std::move(bytes)); }
std::string body(const wire::Envelope& e) { return e.SerializeAsString(); }

const std::string kQi = "\xE5\x90\xAF";  // 启

wire::Envelope hello(const std::string& node) {
  wire::Envelope e;
  auto* h = e.mutable_hello();
  h->set_protocol_version(wire::kProtocolVersion);
  h->set_node_id(node);
  auto* f = h->mutable_facts();
  f->set_hostname(node + "-host");
  f->set_os("linux");
  f->set_agent_version("0.1.0");
  auto* i = f->add_interfaces();
  i->set_name("eth0");
  i->set_mac("02:00:00:00:00:01");
  i->add_addresses("198.18.0.11/24");
  f->add_subnets("198.18.0.0/24");
  f->add_vip_subnets("198.18.0.0/24");
  return e;
}

wire::Envelope heartbeat(uint64_t seq, std::vector<std::string> held, bool failing = false) {
  wire::Envelope e;
  auto* hb = e.mutable_heartbeat();
  hb->set_seq(seq);
  hb->set_actions_done(seq);
  for (auto& h : held) hb->add_held_vips(h);
  hb->add_subnets("198.18.0.0/24");
  auto* m = hb->add_monitors();
  m->set_name("gw");
  m->set_rule("r1");
  m->set_healthy(!failing);
  m->set_detail(failing ? "log /var/log/app/gw.log: 1 new line(s) match; first: " + kQi + "\xEF\xBF\xBD" : "ok");
  return e;
}

wire::Envelope result(uint64_t id, wire::CommandResult::Outcome o, std::string output = "") {
  wire::Envelope e;
  auto* r = e.mutable_result();
  r->set_action_id(id);
  r->set_outcome(o);
  r->set_vips_removed(true);
  r->set_detail("acquired 198.18.0.101/24");
  r->set_script_output(std::move(output));
  r->set_agent_term(o == wire::CommandResult::STALE ? 99 : 0);
  return e;
}

wire::Envelope command(uint64_t id, wire::Command::Kind kind, const std::string& cidr, const std::string& script = "",
                       uint64_t term = 2) {
  wire::Envelope e;
  auto* c = e.mutable_command();
  c->set_action_id(id);
  c->set_term(term);
  c->set_epoch(id);
  c->set_rule("r1");
  c->set_kind(kind);
  auto* v = c->add_vips();
  v->set_cidr(cidr);
  c->set_script(script);
  c->set_script_timeout_ms(1000);
  return e;
}

wire::Envelope role(const std::string& kind, std::map<std::string, std::string> params) {
  wire::Envelope e;
  auto* r = e.mutable_role();
  r->set_rule("r1");
  r->set_role("primary");
  r->set_epoch(3);
  r->set_term(2);
  auto* m = r->add_monitors();
  m->set_name("m1");
  m->set_kind(kind);
  for (auto& [k, v] : params) (*m->mutable_params())[k] = v;
  m->set_interval_ms(1000);
  m->set_timeout_ms(500);
  m->set_threshold(3);
  return e;
}

void frames() {
  for (const auto& e : {hello("h1"), heartbeat(1, {"198.18.0.101/24"}, true), result(1, wire::CommandResult::OK, kQi),
                        command(1, wire::Command::ACQUIRE, "198.18.0.101/24", "acquire.sh"),
                        role("log_pattern", {{"path", "/var/log/app/gw.log"}, {"pattern", "ERROR"}})})
    add("fuzz_frame", wire::encode_frame(e));
  add("fuzz_frame", std::string("\x00\x10\x00\x00\xff\xff", 6));
}

void controller() {
  std::string seq;
  seq += record(0, body(hello("h1"))) + record(1, body(hello("h2"))) + record(2, body(hello("h3")));
  for (uint8_t node = 0; node < 3; ++node) seq += record(node | (4 << 2), body(heartbeat(1, {})));
  seq += record(0, body(result(1, wire::CommandResult::OK, "started")));
  seq += record(0 | (8 << 2), body(heartbeat(2, {"198.18.0.101/24"})));
  seq += record(0 | (20 << 2), body(heartbeat(3, {"198.18.0.101/24"}, true)));
  add("fuzz_controller_messages", seq);
  // The audit's rogue agent: huge reports, unknown rules, results it was not asked for.
  std::string rogue;
  wire::Envelope big = heartbeat(9, {});
  for (int i = 0; i < 300; ++i) big.mutable_heartbeat()->add_held_vips("198.18.0." + std::to_string(i % 250) + "/24");
  big.mutable_heartbeat()->set_actions_done(UINT64_MAX);
  rogue += record(1, body(hello("h2"))) + record(1 | (1 << 2), body(big));
  std::string cjk;
  for (int i = 0; i < 400; ++i) cjk += kQi;
  rogue += record(1, body(result(77, wire::CommandResult::REFUSED, cjk))) + record(3, body(result(1, wire::CommandResult::STALE)));
  wire::Envelope sight;
  sight.mutable_member_sightings()->add_unheard("h1");
  sight.mutable_member_sightings()->add_unheard("ghost");
  rogue += record(1, body(sight));
  add("fuzz_controller_messages", rogue);
}

void agent() {
  std::string seq;
  seq += record(0, body(command(1, wire::Command::ACQUIRE, "198.18.1.10/24")));
  seq += record(0, body(role("log_pattern", {{"path", "/var/log/app/gw.log"}, {"pattern", "\xE5\xA4\xB1\xE8\xB4\xA5"}, {"encoding", "gbk"}})));
  seq += record(0, body(role("script", {{"name", "check.sh"}, {"args", "--quick 5"}})));
  seq += record(0, body(command(2, wire::Command::RELEASE, "198.18.1.10/24")));
  add("fuzz_agent_messages", seq);
  std::string attacks;
  attacks += record(0, body(command(3, wire::Command::ACQUIRE, "198.18.1.5/24")));   // the host's own address
  attacks += record(0, body(command(4, wire::Command::RELEASE, "198.18.1.5/24")));
  attacks += record(0, body(command(5, wire::Command::ACQUIRE, "198.18.1.9/1")));    // half of IPv4
  attacks += record(0, body(command(6, wire::Command::ACQUIRE, "198.18.2.9/24")));   // outside vip_subnets
  attacks += record(0, body(command(7, wire::Command::ACQUIRE, "198.18.1.11/24", "../../bin/sh", 1)));
  attacks += record(0, body(role("log_pattern", {{"path", "/dev/watchdog"}, {"pattern", "(a+)+$"}})));
  add("fuzz_agent_messages", attacks);
}

void arbiter() {
  wire::Envelope g;
  g.mutable_vouch_grant()->set_term(3);
  wire::Envelope q;
  q.mutable_arbiter_query()->set_node_id("h1");
  q.mutable_arbiter_query()->set_query_id(1);
  wire::Envelope heard;
  heard.mutable_arbiter_heard()->set_node_id("h1");
  std::string seq;
  seq += record(8 | 0, body(g)) + record(2, body(heartbeat(1, {}))) + record(8 | 1, body(g)) + record(8 | 0, body(q));
  seq += record(2, body(heartbeat(2, {}))) + record(8 | 0, body(heard)) + record(0x80 | 1, "4") + record(8 | 0, body(g));
  seq += record(2, body(q));  // an agent asking: closed
  add("fuzz_arbiter_messages", seq);
}

void raft() {
  consensus::Message m;
  m.type = consensus::MessageType::Append;
  m.from = "ctl-b";
  m.to = "ctl-a";
  m.term = 2;
  m.index = 0;
  m.log_term = 0;
  m.commit = 1;
  m.entries.push_back({2, 1, consensus::EntryKind::Command, "{\"type\":\"tick\",\"now\":5}"});
  std::string seq = record(0, member::to_proto(m).SerializeAsString());
  m.type = consensus::MessageType::Vote;
  m.from = "arb-1";
  m.term = 3;
  m.entries.clear();
  seq += record(12, member::to_proto(m).SerializeAsString());
  m.from = "ctl-retired";
  m.type = consensus::MessageType::InstallSnapshot;
  m.term = 1000;
  m.snapshot = consensus::Snapshot{{5, 1000, {}}, "{}"};
  seq += record(0, member::to_proto(m).SerializeAsString());
  seq += record(0x80, "voter ctl-a controller\nvoter ctl-b controller\nvoter arb-1 arbiter\n");
  add("fuzz_raft", seq);
}

void api() {
  std::string seq;
  seq += record(0 | (0 << 3), "\n");
  seq += record(1 | (4 << 3), "p2\n{\"id\": \"p2\", \"min_takeover_ratio\": 0.5}");
  seq += record(2 | (1 << 3), "\n{\"pools\": [{\"id\": \"p3\"}], \"rules\": [{\"id\": \"r2\", \"pool\": \"p3\", \"vips\": [{\"cidr\": \"198.18.0.120/24\"}]}]}");
  seq += record(2 | (7 << 3), "\n{\"target\": \"h2\", \"forced\": false}");
  seq += record(2 | (10 << 3), "\n{\"serial\": \"0xAB:12\", \"note\": \"lost laptop\"}");
  seq += record(2 | (1 << 3), "\n" + std::string(100, '['));
  add("fuzz_api_routes", seq);
}

void configs() {
  add("fuzz_config_files", std::string("\x00", 1) +
      "node_id: h1\nmembers:\n  - {name: ctl1, address: \"198.18.0.1:7400\", role: controller}\n"
      "vip_subnets: [198.18.0.0/24]\nvip_interfaces: [eth0]\nlog_dirs: [/var/log/app]\nscript_output_encoding: gbk\n"
      "monitors:\n  - {name: disk, kind: disk, params: {path: /, max_percent: \"95\"}, interval_ms: 5000}\n");
  add("fuzz_config_files", std::string("\x01", 1) +
      "name: arb1\ntls: {ca: /etc/poolha/ca.crt, cert: /etc/poolha/arb1.crt, key: /etc/poolha/arb1.key}\n"
      "listen: \"198.18.0.2:7400\"\nsees_within_ms: 600\nlog_level: info\n");
  add("fuzz_config_files", std::string("\x02", 1) +
      "name: ctl1\nstate_dir: /var/lib/poolha/ctl1\ntls: {ca: /etc/poolha/ca.crt, cert: /etc/poolha/ctl1.crt, key: /etc/poolha/ctl1.key}\n"
      "listen_agents: \"198.18.0.1:7400\"\nlisten_api: \"127.0.0.1:7443\"\narbiter: \"198.18.0.2:7400\"\n");
  add("fuzz_config_files", std::string("\x00", 1) + "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c, *c]\n");
  add("fuzz_config_files", std::string("\x02", 1) + "name: \xD6\xD0\xCE\xC4\n");
}

void apply() {
  add("fuzz_apply_file",
      "pools: [{id: p1}]\nnodes:\n  - {id: h1, pool: p1, labels: {app: gw}}\n  - {id: h2, pool: p1}\n"
      "templates:\n  - {id: gw, pool: p1, acquire_script: acquire.sh, script_timeout_ms: 3000}\n"
      "rules:\n  - {id: r1, template: gw, home: h1, vips: [{cidr: 198.18.0.101/24}]}\n");
  add("fuzz_apply_file", "{\"pools\": [{\"id\": \"p1\"}], \"settings\": {\"heartbeat_interval_ms\": 200}}");
  add("fuzz_apply_file", "rules:\n  - id: r2\n    pool: p1\n    vips: [{cidr: \"198.18.0.1/1\"}]\n");
}

void json_codec() {
  rules::RuleSpec r;
  r.id = "r1";
  r.pool = "p1";
  r.vips = {{"198.18.0.101/24", "eth0"}};
  for (const rules::Event& e : std::vector<rules::Event>{
           rules::UpsertRule{r, 5}, rules::NodeReachable{"h1", 5, {"198.18.0.0/24"}, {"198.18.0.101/24"}, 3},
           rules::MonitorReport{"h1", "r1", false, kQi, 7}, rules::RevokeCertificate{"ab12", "lost laptop"},
           rules::Tick{9, 600}})
    add("fuzz_json_codec", json_text(rules::to_json(e)));
  add("fuzz_json_codec", json_text(rules::to_json(rules::ClusterState{})));
}

void text() {
  add("fuzz_text", std::string("\x40", 1) + "\xD6\xD0\xCE\xC4 ERROR \xFF");
  std::string cjk;
  for (int i = 0; i < 400; ++i) cjk += kQi;
  add("fuzz_text", std::string("\x10", 1) + cjk);
  add("fuzz_text", std::string("\x20", 1) + "\x1b[31mred\n\xE2\x80\xAE");
}

void enrolment() {
  auto key = *pki::generate_key();
  wire::Envelope e;
  auto* r = e.mutable_enrol_request();
  r->set_node_id("h7");
  r->set_token("TOKEN");
  r->set_csr_pem(*pki::make_csr(key, "h7"));
  add("fuzz_enrolment", body(e));
  r->set_node_id("\x1b[31m" + std::string(200, 'A'));
  add("fuzz_enrolment", body(e));
  r->set_node_id("h8");
  r->set_token(std::string(64, 'f'));
  add("fuzz_enrolment", body(e));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_seeds CORPUS_DIR\n");
    return 2;
  }
  frames();
  controller();
  agent();
  arbiter();
  raft();
  api();
  configs();
  apply();
  json_codec();
  text();
  enrolment();
  for (const auto& [target, list] : seeds) {
    const auto dir = std::filesystem::path(argv[1]) / target;
    std::filesystem::create_directories(dir);
    for (size_t i = 0; i < list.size(); ++i) std::ofstream(dir / ("seed-" + std::to_string(i)), std::ios::binary) << list[i];
    std::printf("%-28s %zu seeds\n", target.c_str(), list.size());
  }
  return 0;
}
