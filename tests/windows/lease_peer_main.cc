// The lease test's second process (tests/windows/lease_file_win_test.cc): maps the lease
// the test created and either prints what it reads, or acts as the keeper does.
//   lease_peer PATH read        prints "generation N vips K first IF CIDR hold H"
//   lease_peer PATH release     marks the current list released, as the keeper does
//   lease_peer PATH add N       N fetch_adds on keeper_alive_ms (a shared counter)
#include <cstdio>
#include <cstdlib>
#include <string>

#include "host/lease.h"

using namespace poolha::host;

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  auto lease = LeaseFile::open(argv[1], false);
  if (!lease.ok()) {
    std::fprintf(stderr, "%s\n", lease.error().c_str());
    return 1;
  }
  LeaseRegion& r = lease->region();
  const std::string cmd = argv[2];
  if (cmd == "read") {
    const LeaseSnapshot s = read_lease(r);
    std::printf("generation %llu vips %zu first %s %s hold %lld\n", static_cast<unsigned long long>(s.generation),
                s.hold.vips.size(), s.hold.vips.empty() ? "-" : s.hold.vips[0].ifname.c_str(),
                s.hold.vips.empty() ? "-" : s.hold.vips[0].cidr.c_str(), static_cast<long long>(s.hold.hold_until_ms));
    return 0;
  }
  if (cmd == "release") {
    mark_released(r, read_lease(r).generation, monotonic_ms());
    return 0;
  }
  if (cmd == "add" && argc == 4) {
    const long n = std::strtol(argv[3], nullptr, 10);
    for (long i = 0; i < n; ++i) r.keeper_alive_ms.fetch_add(1);
    return 0;
  }
  return 2;
}
