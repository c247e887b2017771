// poolha-lease-keeper: the half of the isolation defence that works while the
// agent cannot (SIGSTOP, hang, crash, restart): host/keeper_loop.h, removing VIPs
// over netlink.
// Deliberately tiny: no event loop, no protobuf, no scripts, nothing that can block
// for long. It exits only when `poolha-agent stop-keeper` asks it to.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>

#include "host/keeper_loop.h"
#include "host/lease.h"
#include "host/linux/keeper_launcher.h"
#include "host/linux/net_ops.h"

namespace {

using namespace poolha::host;

void log(const std::string& line) {
  char when[32];
  std::time_t t = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  std::fprintf(stderr, "%s poolha-lease-keeper[%d]: %s\n", when, static_cast<int>(::getpid()), line.c_str());
  std::fflush(stderr);
}

int usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: poolha-lease-keeper --state-dir DIR\n"
               "Removes the agent's VIPs when its isolation lease (DIR/lease) lapses.\n");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::string state_dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--state-dir" && i + 1 < argc) state_dir = argv[++i];
    else if (a == "--help" || a == "-h") return usage(0);
    else return usage(2);
  }
  if (state_dir.empty()) return usage(2);

  if (int other = linux_keeper::running_keeper(state_dir); other != 0 && other != ::getpid()) {
    log("another keeper (pid " + std::to_string(other) + ") already watches " + state_dir);
    return 0;
  }
  // The agent creates the lease before starting us; wait a little if it is not there yet.
  auto lease = LeaseFile::open(state_dir + "/lease", false);
  for (int i = 0; !lease.ok() && i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    lease = LeaseFile::open(state_dir + "/lease", false);
  }
  if (!lease.ok()) {
    log(lease.error());
    return 1;
  }
  LeaseRegion& r = lease->region();
  r.keeper_pid.store(static_cast<int32_t>(::getpid()));
  if (auto st = linux_keeper::write_pid_file(state_dir); !st.ok()) log(st.error());
  log("watching " + lease->path());

  const int rc = run_keeper_loop(
      r, {[](const std::string& ifname, const std::string& cidr) { return linux_net::remove_address(ifname, cidr); },
          log, nullptr});
  ::unlink((state_dir + "/lease-keeper.pid").c_str());
  return rc;
}
