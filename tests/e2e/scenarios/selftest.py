"""Checks of the harness itself, without poolha: a VIP moved by hand with `ip addr`."""
import os
import time

import client as client_mod
import gateway
import processes
import topology
import watcher as watcher_mod
from scenarios import scenario

VIP = "198.18.0.101"


@scenario("harness_selftest", "selftest", needs_daemons=False)
def harness_selftest(ctx):
    """Moves a VIP h1 -> h2 by hand with a 300 ms hole and a gratuitous ARP: the client must
    measure about 0.3 s and see h1 then h2; then holds it on both for 200 ms: the watcher
    must report exactly that violation."""
    topo = topology.Topology(ctx.run.prefix)
    procs = processes.ProcessSet(topo, ctx.log_dir)
    w = None
    try:
        topo.create()
        for name, addr in (("h1", "198.18.0.11"), ("h2", "198.18.0.12"), ("client", "198.18.0.250")):
            topo.add_host(name, addr)
        for h in ("h1", "h2"):
            gateway.start(procs, h)
        topo.add_address("h1", VIP)
        w = watcher_mod.VipWatcher({"h1": topo.ns("h1"), "h2": topo.ns("h2")}, [VIP])
        w.start()
        out = os.path.join(ctx.log_dir, "client.records")
        client_mod.start(procs, [VIP], out)
        time.sleep(1.0)

        t0 = time.monotonic()
        topo.del_address("h1", VIP)
        time.sleep(0.3)
        topo.add_address("h2", VIP)
        topo.run_in("h2", ["arping", "-U", "-c", "1", "-I", "eth0", VIP], timeout=5)
        time.sleep(1.5)
        t1 = time.monotonic()
        rec = client_mod.Records(out)
        gap, g0, g1, recovered = rec.outage(VIP, t0, t1)
        ctx.outage_s = gap
        ctx.note("manual move: outage %.3fs, answered by %s" % (gap, ">".join(rec.answered_by(VIP, t0 - 1, t1))))
        ctx.check(recovered and 0.3 <= gap <= 0.4, "outage %.3fs, expected 0.30-0.40" % gap)
        ctx.check(rec.answered_by(VIP, t0 - 1, t1) == ["h1", "h2"], "answers not h1 then h2")
        ctx.check(len(rec.flaps(VIP, t0 - 1, t1)) == 1, "flaps: %s" % rec.flaps(VIP, t0 - 1, t1))
        ctx.check(not w.violations, "watcher reported a violation for a clean move: " + w.summary())

        topo.add_address("h1", VIP)  # deliberate duplicate
        time.sleep(0.2)
        topo.del_address("h1", VIP)
        time.sleep(0.2)
        w.stop()
        ctx.check(len(w.violations) == 1 and w.violations[0][2] == ["h1", "h2"],
                  "watcher should report one h1+h2 duplicate, got: " + w.summary())
        ctx.note("deliberate duplicate seen by watcher: " + w.summary())
        ctx.check(w.error is None, "watcher error %s" % w.error)
    finally:
        if w:
            w.stop()
        procs.stop_all()
        topo.destroy()
