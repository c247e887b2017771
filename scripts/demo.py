#!/usr/bin/python3
"""The poolha demo: the full control plane (two controllers, the arbiter and a standby
arbiter, one Raft group) and five namespaced hosts on this machine.

Three primaries (h1..h3) run the sample gateway behind VIPs 198.18.0.101..103; h4 and
h5 are spares. A client streams requests through every VIP and the screen shows, once a
second, which host answers each VIP and which controller is active. `kill-controller`
kills the active controller so the other takes over; `start-controller NAME` brings it
back. Ctrl-C removes everything (namespaces, processes, files). Run through
scripts/demo.sh, which builds first.
"""
import argparse
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))

import cluster as cluster_mod  # noqa: E402
import topology  # noqa: E402

DEMO_BIN = "/run/poolha-demo"
# The console: this machine reaches the demo's network through one more cable into its
# switch, so a browser here opens the controller VIP like an operator's desk would.
WEB_LINK, WEB_ADDR = "pdemo-web", "198.18.0.253"
DEMO_ACCOUNTS = [("admin", "sysadmin+operator"), ("ops", "operator"), ("view", "viewer"), ("sec", "secadmin"),
                 ("aud", "auditadmin")]


def open_console(c):
    """A veth from this namespace into the switch; the first accounts; the URL to print."""
    import json
    sw = c.topo.switch
    topology.sh(["ip", "link", "del", WEB_LINK], check=False)
    topology.sh(["ip", "link", "add", WEB_LINK, "type", "veth", "peer", "name", "web0", "netns", sw])
    topology.sh(["ip", "-n", sw, "link", "set", "web0", "master", "br0"])
    topology.sh(["ip", "-n", sw, "link", "set", "web0", "up"])
    topology.sh(["ip", "addr", "add", WEB_ADDR + "/24", "dev", WEB_LINK])
    topology.sh(["ip", "link", "set", WEB_LINK, "up"])
    args = ["users", "bootstrap", "--json"]
    for name, roles in DEMO_ACCOUNTS:
        args += ["--account", "%s=%s" % (name, roles)]
    p = c.ctl(args)
    if p.returncode != 0:
        return "console: accounts not created: %s" % (p.stderr.strip() or p.stdout.strip())
    made = {a["name"]: a["one_time_password"] for a in json.loads(p.stdout)["accounts"]}
    lines = ["%-6s %-18s %s" % (n, r, made.get(n, "?")) for n, r in DEMO_ACCOUNTS]
    with open(os.path.join(DEMO_BIN, "accounts.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return ("Console: https://%s:7443  (in a browser on this machine; the demo's own CA signs the\n"
            "certificate: accept it once, or import %s/ca.crt)\n"
            "First sign-in (one-time passwords; the console asks for a new one, at least 12 characters\n"
            "from 3 of upper case, lower case, digits, others), also in %s/accounts.txt:\n  %s"
            % (cluster_mod.CTL_VIP, c.run.pki.dir, DEMO_BIN, "\n  ".join(lines)))


class Stop(BaseException):
    pass


def on_signal(signum, _frame):
    raise Stop()


def write_tools(c, run):
    """Small commands for the operator, printed in the instructions."""
    os.makedirs(DEMO_BIN, exist_ok=True)
    cli = "ip netns exec %s %s --api %s --tls-dir %s" % (c.topo.ns("client"), run.bins["cli"], cluster_mod.PAIR_API,
                                                         run.pki.dir)
    start = "".join(
        "  %s) ip netns exec %s %s run --config %s >>%s 2>&1 </dev/null & ;;\n"
        % (name, c.topo.ns(name), run.bins["controller"], os.path.join(c.hdir(name), "controller.yaml"),
           c.procs.log_path(c.proc_name(name))) for name in ("ctl1", "ctl2"))
    tools = {
        # Through the controller VIP, from the client's namespace: whichever controller is active.
        "poolhactl": "exec %s \"$@\"\n" % cli,
        "kill-controller": "# kill-controller: SIGKILL the active controller; the other is elected and takes the VIP\n"
                           "active=$(%s status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)"
                           "[\"controller\"])') || { echo 'no active controller answers'; exit 1; }\n"
                           "for p in $(ip netns pids %s-$active); do\n"
                           "  [ \"$(cat /proc/$p/comm)\" = poolha-controll ] && kill -9 $p && "
                           "echo \"$active killed; the other controller takes over (start-controller $active brings it "
                           "back)\"\n"
                           "done\n" % (cli, run.prefix),
        "start-controller": "# start-controller ctl1|ctl2: start a killed controller again on its state\n"
                            "for p in $(ip netns pids %s-$1 2>/dev/null); do\n"
                            "  [ \"$(cat /proc/$p/comm)\" = poolha-controll ] && { echo \"$1 is running\"; exit 1; }\n"
                            "done\n"
                            "case \"$1\" in\n%s  *) echo 'usage: start-controller ctl1|ctl2'; exit 2 ;;\nesac\n"
                            "echo \"$1 started; it rejoins as standby\"\n" % (run.prefix, start),
        "crash": "# crash HOST: pull its cable and kill every process on it\n"
                 "ns=%s-$1; ip -n $ns link set eth0 down; for p in $(ip netns pids $ns); do kill -9 $p; done\n"
                 "echo \"$1 crashed (link down, processes killed)\"\n" % run.prefix,
        "logs": "# logs NAME: follow a daemon's log (controller, arbiter, agent-h1, ...)\n"
                "exec tail -f %s/$1.log\n" % c.log_dir,
    }
    for name, body in tools.items():
        path = os.path.join(DEMO_BIN, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build-dir", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--duration", type=float, default=0, help="stop by itself after this many seconds (0: Ctrl-C)")
    a = ap.parse_args()
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    bins, missing = cluster_mod.find_binaries(os.path.abspath(a.build_dir))
    if missing:
        sys.exit("demo: not built yet: %s (run scripts/demo.sh, which builds first)" % ", ".join(missing))
    run = cluster_mod.Run(bins, prefix="pdemo")
    hosts = ["h1", "h2", "h3", "h4", "h5"]
    rules = [cluster_mod.default_rule("gw%d" % i, vip_index=i, home="h%d" % i) for i in (1, 2, 3)]
    c = None
    try:
        for ns in topology.existing_namespaces():  # leftovers of a killed demo
            if ns.startswith(run.prefix + "-"):
                topology.kill_ns_processes(ns)
                topology.sh(["ip", "netns", "del", ns], check=False)
        run.prepare()
        webui = os.path.abspath(os.path.join(HERE, "..", "webui", "dist"))
        c = cluster_mod.Cluster(run, "demo", hosts, rules, log_dir=os.path.join(run.root, "logs"), pair=True,
                                webui_dir=webui)
        print("starting controllers, arbiters and hosts h1..h5 in network namespaces ...", flush=True)
        c.build()
        for r in rules:
            ok, _, _ = c.wait_rule(r["id"], "running", timeout=15)
            if not ok:
                print("rule %s did not start; logs in %s" % (r["id"], c.log_dir))
        c.start_observers()
        write_tools(c, run)
        console = open_console(c)
        print("""
poolha demo is up: controllers ctl1 (198.18.0.1) and ctl2 (.3), arbiter arb1 (.2) and
standby arbiter arb2 (.4) as one Raft group; the active controller holds the controller
VIP %(vip)s. Hosts h1..h5 (198.18.0.11..15). Rules gw1..gw3 float VIPs
198.18.0.101..103 (port 9000); h4 and h5 are the pool's spares. A client streams
requests through every VIP.

In another terminal:
  %(b)s/poolhactl status                 pools, nodes, rules (add --json for scripts)
  %(b)s/poolhactl cluster status         the control plane: leader, quorum, members
  %(b)s/poolhactl switchover gw1 --to h5 graceful switchover
  %(b)s/poolhactl force gw2              forced switch to the standby
  %(b)s/crash h3                         crash a primary: watch h4/h5 take over gw3
  %(b)s/kill-controller                  kill the active controller: the other takes over
  %(b)s/start-controller ctl1            start it again (it rejoins as standby)
  %(b)s/poolhactl events --limit 20      what happened, with durations
  %(b)s/logs controller                  follow a daemon's log (controller = ctl1, ctl2, arbiter, arb2, agent-h1)
Ctrl-C here stops the demo and removes everything it made.

%(console)s
""" % {"b": DEMO_BIN, "vip": cluster_mod.CTL_VIP, "console": console}, flush=True)
        t_end = time.monotonic() + a.duration if a.duration else None
        while t_end is None or time.monotonic() < t_end:
            time.sleep(1.0)
            recs = c.records()
            now = time.monotonic()
            parts = []
            for vip in c.vips():
                host = recs.last_host(vip)
                ok, total = recs.count(vip, now - 1.0, now)
                errs = total - ok
                parts.append("%s→%s%s" % (vip, host or "-", " (%d errors/s)" % errs if errs else ""))
            st = c.status() or {}
            active = st.get("controller") if st.get("active") else "none"
            print(time.strftime("%H:%M:%S "), "  ".join(parts), " active controller: %s" % active, flush=True)
    except Stop:
        print("\nstopping ...")
    finally:
        topology.sh(["ip", "link", "del", WEB_LINK], check=False)
        if c:
            c.teardown()
        run.remove()
        for ns in topology.existing_namespaces():
            if ns.startswith(run.prefix + "-"):
                topology.kill_ns_processes(ns)
                topology.sh(["ip", "netns", "del", ns], check=False)
        import shutil
        shutil.rmtree(DEMO_BIN, ignore_errors=True)
        print("demo removed: namespaces, processes and files are gone")


if __name__ == "__main__":
    main()
