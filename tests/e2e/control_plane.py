#!/usr/bin/env python3
"""The replicated control plane with the real binaries: two poolha-controller members,
a poolha-arbiter member and a standby arbiter, each in its own network namespace on a
bridge (198.18.0.0/24), and an operator's client in another. The client reaches the
cluster through the controller VIP (198.18.0.100), held by the active controller.

Scenarios (each measured, each printed, all appended to tests/e2e/results.json):
  cp_active_crash      kill -9 the active controller: time until the other one acts and
                       until the API answers again through the controller VIP; nothing
                       acknowledged lost; the old one rejoins as standby
  cp_standby_redirect  the standby answers API calls with a 307 to the active one
  cp_arbiter_replaced  kill -9 the arbiter: the active controller stays active, and the
                       standby arbiter replaces it (time from the kill to the standby
                       voting); restarted, the old one rejoins as the standby
  cp_power_cycle       the active controller's host loses power (every process killed,
                       run-time addresses gone) and comes back
  cp_both_restart      both controllers restarted together: every acknowledged change
                       is still there
  cp_two_members_down  arbiter and one controller down: the survivor shows no quorum
                       and refuses changes; back up, it recovers
  cp_disaster_recovery every member stopped, all but one controller's database lost:
                       `poolhactl cluster recover` makes it the only member, it acts with
                       every acknowledged change, and a wiped controller joins again
                       (`cluster member add` + `promote`)

The members' certificates and config files are made by `poolhactl cluster bootstrap`, so
every scenario also runs on what that command writes.

Agents and service VIPs are not involved here (tests/e2e/run.py covers them with one
controller). Every namespace, process and directory it makes is removed at the end,
also on failure. Usage (root): control_plane.py --build-dir build [--keep DIR]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import topology  # noqa: E402

VIP = "198.18.0.100"
ADDR = {"ctl-a": "198.18.0.1", "arb-1": "198.18.0.2", "ctl-b": "198.18.0.3", "arb-2": "198.18.0.4",
        "client": "198.18.0.50"}
API_PORT, MEMBER_PORT, WITNESS_PORT, AGENT_PORT = 7443, 7403, 7400, 7400

# Runs inside the client's namespace: one HTTPS request per input line (JSON), one
# JSON answer per output line; "watch" polls the VIP and reports each change of who
# answers, with CLOCK_MONOTONIC times (the same clock in every namespace).
CLIENT = r"""
import http.client, json, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[1]); ctx.check_hostname = False
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
def req(host, method, path, body=None, timeout=2.0):
    try:
        c = http.client.HTTPSConnection(host, 7443, context=ctx, timeout=timeout)
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse(); data = r.read(); loc = r.getheader("Location") or ""; c.close()
        try: j = json.loads(data)
        except ValueError: j = None
        return [r.status, j, loc]
    except (OSError, http.client.HTTPException):
        return [0, None, ""]
for line in sys.stdin:
    q = json.loads(line)
    if q.get("watch"):
        last, end = {}, time.monotonic() + q["watch"]
        while time.monotonic() < end:
            for host in q["hosts"]:
                st, j, _ = req(host, "GET", "/v1/cluster", timeout=0.3)
                who = [j.get("member"), bool(j.get("active"))] if st == 200 and j else None
                if who != last.get(host, "?"):
                    print(json.dumps({"t": time.monotonic(), "host": host, "who": who}), flush=True); last[host] = who
            time.sleep(0.02)
        print(json.dumps({"done": True}), flush=True)
        continue
    print(json.dumps(req(q["host"], q["method"], q["path"], q.get("body"), q.get("timeout", 2.0))), flush=True)
"""


class ControlPlane:
    def __init__(self, build, root):
        self.build = build
        self.root = root
        self.cli = os.path.join(build, "cli", "poolhactl")
        self.bins = {"controller": os.path.join(build, "controller", "poolha-controller"),
                     "arbiter": os.path.join(build, "arbiter", "poolha-arbiter")}
        self.procs = {}
        self.pki = root  # the CA and operator.crt (cluster bootstrap --dir)
        self.topo = topology.Topology("cp%d" % (os.getpid() % 1000))
        self.client = None

    def sh(self, args):
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("%s: %s %s" % (" ".join(args), p.stdout, p.stderr))
        return p.stdout

    def prepare(self):
        self.topo.create()
        for name, addr in ADDR.items():
            self.topo.add_host(name, addr)
        # The members' certificates and config files come from `poolhactl cluster bootstrap`
        # (the command operators run), so every scenario here also proves its output works:
        # root/NAME/{controller,arbiter}.yaml, root/NAME/tls/, state in root/NAME/state/<role>.
        out = self.sh([self.cli, "cluster", "bootstrap", "--dir", self.root,
                       "--controller", "ctl-a=" + ADDR["ctl-a"], "--controller", "ctl-b=" + ADDR["ctl-b"],
                       "--arbiter", "arb-1=" + ADDR["arb-1"], "--arbiter", "arb-2=" + ADDR["arb-2"],
                       "--controller-vip", VIP + "/24", "--etc-dir", os.path.join(self.root, "{name}"),
                       "--state-dir", os.path.join(self.root, "{name}", "state")])
        print("  cluster bootstrap: " + out.splitlines()[0], flush=True)
        for name in ("ctl-a", "ctl-b"):
            p = subprocess.run([self.bins["controller"], "check-config", "--config", self.config_path(name)],
                               capture_output=True, text=True)
            if p.returncode != 0:
                raise RuntimeError("bootstrap's %s: %s" % (self.config_path(name), p.stdout + p.stderr))
        self.client = subprocess.Popen(
            ["ip", "netns", "exec", self.topo.ns("client"), sys.executable, "-u", "-c", CLIENT,
             os.path.join(self.pki, "ca.crt"), os.path.join(self.pki, "operator.crt"),
             os.path.join(self.pki, "operator.key")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def poolhactl(self, args, timeout=20):
        """poolhactl inside the client's namespace, through the controller VIP."""
        argv = ["ip", "netns", "exec", self.topo.ns("client"), self.cli, "--api", VIP + ":7443", "--tls-dir",
                self.pki] + args
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

    def state_dir(self, name):
        return os.path.join(self.root, name, "state", "arbiter" if name.startswith("arb") else "controller")

    def config_path(self, name):
        kind = "arbiter" if name.startswith("arb") else "controller"
        return os.path.join(self.root, name, kind + ".yaml")

    def start(self, name):
        kind = "arbiter" if name.startswith("arb") else "controller"
        log = open(os.path.join(self.root, name, "log"), "a")
        cfg = os.path.join(self.root, name, kind + ".yaml")
        self.procs[name] = subprocess.Popen(["ip", "netns", "exec", self.topo.ns(name), self.bins[kind], "run",
                                             "--config", cfg], stdout=log, stderr=log, start_new_session=True)

    def kill(self, name):
        p = self.procs.pop(name, None)
        if p and p.poll() is None:
            os.killpg(p.pid, 9)
            p.wait(timeout=10)

    def power_off(self, name):
        """Every process of the host gone (the VIP keeper too) and its run-time addresses."""
        self.kill(name)
        topology.kill_ns_processes(self.topo.ns(name))
        topology.wait_ns_empty(self.topo.ns(name), 3.0)
        self.topo.drop_extra_addresses(name)

    def stop_all(self):
        for name in list(self.procs):
            self.kill(name)
        if self.client:
            self.client.kill()
            self.client.wait()

    def ask(self, q):
        self.client.stdin.write(json.dumps(q) + "\n")
        self.client.stdin.flush()
        return json.loads(self.client.stdout.readline())

    def request(self, name, method, path, body=None, timeout=2.0):
        """(status, json or None, location) from a controller's API (name, or "vip"); (0, None, '') if unreachable."""
        host = VIP if name == "vip" else ADDR[name]
        st, j, loc = self.ask({"host": host, "method": method, "path": path, "body": body, "timeout": timeout})
        return st, j, loc

    def watch(self, seconds, names):
        """For `seconds` (blocking): [(monotonic time, name, [member, active] or None)], one row per
        change of what each API ("vip" or a controller) answers on /v1/cluster."""
        hosts = {(VIP if n == "vip" else ADDR[n]): n for n in names}
        self.client.stdin.write(json.dumps({"watch": seconds, "hosts": list(hosts)}) + "\n")
        self.client.stdin.flush()
        out = []
        while True:
            j = json.loads(self.client.stdout.readline())
            if j.get("done"):
                return out
            out.append((j["t"], hosts[j["host"]], j["who"]))

    @staticmethod
    def first(rows, name, who, after):
        for t, n, w in rows:
            if n == name and w == who and t >= after:
                return t - after
        return None

    def cluster(self, name):
        st, j, _ = self.request(name, "GET", "/v1/cluster", timeout=1.0)
        return j if st == 200 else None

    def active(self):
        for name in ("ctl-a", "ctl-b"):
            if name in self.procs:
                j = self.cluster(name)
                if j and j.get("active"):
                    return name
        return None

    def wait(self, pred, timeout, step=0.02):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            v = pred()
            if v:
                return v
            time.sleep(step)
        return None

    def log_tail(self, name, n=15):
        try:
            with open(os.path.join(self.root, name, "log")) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""


def pool(i):
    return {"pools": [{"id": "pool-%d" % i}]}


def scenario(results, name, fn):
    t0 = time.monotonic()
    try:
        figure, notes = fn()
        passed = True
    except AssertionError as e:
        figure, notes, passed = None, "FAILED: %s" % e, False
    results.append({"scenario": name, "passed": passed, "outage_s": figure, "notes": notes,
                    "duration_s": round(time.monotonic() - t0, 1)})
    print("%-22s %s  %s  %s" % (name, "PASS" if passed else "FAIL", "-" if figure is None else "%.3fs" % figure, notes),
          flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--results", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--keep", help="keep the run directory here instead of removing it")
    a = ap.parse_args()
    root = tempfile.mkdtemp(prefix="poolha-cp-")
    cp = ControlPlane(os.path.abspath(a.build_dir), root)
    results = []
    acked = []
    try:
        cp.prepare()
        for m in ("arb-1", "arb-2", "ctl-a", "ctl-b"):
            cp.start(m)
        first = cp.wait(cp.active, 10)
        assert first, "no active controller 10 s after start: " + cp.log_tail("ctl-a")

        def apply_through_active(i):
            act = cp.wait(cp.active, 5)
            assert act, "no active controller to apply through"
            st, j, _ = cp.request(act, "POST", "/v1/apply", pool(i), timeout=5)
            assert st == 200, "apply via %s: %s %s" % (act, st, j)
            acked.append("pool-%d" % i)

        def has_all(name):
            st, j, _ = cp.request(name, "GET", "/v1/status")
            return st == 200 and j and all(p in j["state"]["pools"] for p in acked)

        for i in range(5):
            apply_through_active(i)

        def active_crash():
            act = cp.active()
            other = "ctl-b" if act == "ctl-a" else "ctl-a"
            assert cp.wait(lambda: (cp.cluster("vip") or {}).get("member") == act, 5), "the VIP does not reach " + act
            t0 = time.monotonic()
            cp.kill(act)
            rows = cp.watch(5, ["vip", other])
            acts = cp.first(rows, other, [other, True], t0)
            vip = cp.first(rows, "vip", [other, True], t0)
            assert acts is not None, "%s did not take over within 5 s: %s" % (other, cp.log_tail(other))
            assert vip is not None, "the API did not answer through the VIP within 5 s: %s" % cp.log_tail(other)
            assert has_all(other), "an acknowledged change is missing on the new active controller"
            apply_through_active(10)
            cp.start(act)
            ok = cp.wait(lambda: (cp.cluster(act) or {}).get("leader") == other, 10)
            assert ok, "%s did not rejoin as standby" % act
            assert vip <= 3.0, "the API through the VIP answered again after %.2fs (target 3 s)" % vip
            return vip, ("%s killed: %s acts after %.3fs, the API answers through the controller VIP after %.3fs; "
                         "all %d acknowledged changes present; %s rejoined as standby" % (act, other, acts, vip,
                                                                                          len(acked), act))

        def power_cycle():
            act = cp.active()
            other = "ctl-b" if act == "ctl-a" else "ctl-a"
            t0 = time.monotonic()
            cp.power_off(act)
            rows = cp.watch(4, ["vip", other])
            vip = cp.first(rows, "vip", [other, True], t0)
            assert vip is not None, "the API did not answer through the VIP within 4 s"
            assert has_all(other), "an acknowledged change is missing"
            cp.start(act)
            assert cp.wait(lambda: (cp.cluster(act) or {}).get("leader") == other, 10), "%s did not rejoin" % act
            apply_through_active(40)
            return vip, "%s powered off: API through the VIP on %s after %.3fs; %s back as standby" % (act, other, vip, act)

        def standby_redirect():
            act = cp.active()
            standby = "ctl-b" if act == "ctl-a" else "ctl-a"
            st, j, loc = cp.request(standby, "GET", "/v1/status")
            assert st == 307, "standby answered %s %s" % (st, j)
            assert ADDR[act] in loc, "Location %s does not name %s" % (loc, act)
            st, j, loc = cp.request(standby, "POST", "/v1/apply", pool(99))
            assert st == 307, "standby took a command: %s %s" % (st, j)
            return None, "standby %s answers 307 -> %s for reads and commands" % (standby, loc)

        def voters(name):
            j = cp.cluster(name) or {}
            return sorted(m["id"] for m in j.get("members", []) if m.get("voter"))

        def arbiter_crash():
            act = cp.active()
            assert cp.wait(lambda: voters(act) == ["arb-1", "ctl-a", "ctl-b"], 5), "voters before: %s" % voters(act)
            term = (cp.cluster(act) or {}).get("term")
            t0 = time.monotonic()
            cp.kill("arb-1")
            # A change of leader shows as the other controller acting, or as a new term;
            # a poll that no controller answered in time (a loaded machine) is only counted.
            flips, unanswered = [], 0
            replaced = None
            other = "ctl-b" if act == "ctl-a" else "ctl-a"
            while time.monotonic() - t0 < 4:
                mine, theirs = cp.cluster(act), cp.cluster(other)
                if theirs and theirs.get("active"):
                    flips.append(round(time.monotonic() - t0, 2))
                elif mine is None:
                    unanswered += 1
                elif not mine.get("active") or mine.get("term") != term:
                    flips.append(round(time.monotonic() - t0, 2))
                if replaced is None and voters(act) == ["arb-2", "ctl-a", "ctl-b"]:
                    replaced = time.monotonic() - t0
                time.sleep(0.02)
            assert not flips, "the active controller changed after the arbiter died (at %s s)" % flips
            end_term = (cp.cluster(act) or {}).get("term")
            assert end_term == term, "the term moved from %s to %s after the arbiter died" % (term, end_term)
            assert replaced is not None, "standby arbiter not promoted within 4 s: voters %s; %s" % (
                voters(act), cp.log_tail(act))
            apply_through_active(20)
            cp.start("arb-1")
            learner = cp.wait(lambda: any(m["id"] == "arb-1" and m.get("learner")
                                          for m in (cp.cluster(act) or {}).get("members", [])), 10)
            assert learner, "arb-1 did not rejoin as the standby"
            assert replaced <= 2.0, "replacement took %.2fs (target 2 s)" % replaced
            return replaced, ("arbiter killed: %s stayed active (term %s throughout%s); arb-2 voting %.3fs after "
                              "the kill; arb-1 back as standby" % (act, term, ", %d polls unanswered within 1 s" %
                                                                   unanswered if unanswered else "", replaced))

        def both_restart():
            t0 = time.monotonic()
            cp.kill("ctl-a")
            cp.kill("ctl-b")
            cp.start("ctl-a")
            cp.start("ctl-b")
            act = cp.wait(cp.active, 15)
            took = time.monotonic() - t0
            assert act, "no active controller after both restarted"
            assert cp.wait(lambda: has_all(act), 5), "an acknowledged change was lost"
            return took, "both controllers restarted: %s active after %.2fs with all %d acknowledged changes" % (
                act, took, len(acked))

        def two_members_down():
            act = cp.active()
            other = "ctl-b" if act == "ctl-a" else "ctl-a"
            arb = [v for v in voters(act) if v.startswith("arb")][0]
            standby_arb = "arb-1" if arb == "arb-2" else "arb-2"
            cp.kill(standby_arb)  # else it would be promoted in place of the voter
            cp.kill(arb)
            cp.kill(other)
            t0 = time.monotonic()
            lost = cp.wait(lambda: (lambda j: j is not None and not j.get("quorum") and not j.get("active"))(cp.cluster(act)), 5)
            took = time.monotonic() - t0
            assert lost, "the survivor still claims to act without a quorum"
            st, j, _ = cp.request(act, "POST", "/v1/apply", pool(30))
            assert st not in (200,), "a change was accepted without a quorum"
            cp.start(arb)
            cp.start(standby_arb)
            cp.start(other)
            back = cp.wait(cp.active, 10)
            assert back, "no active controller after the members came back"
            apply_through_active(31)
            return None, ("arbiters and %s down: %s showed no quorum after %.2fs and refused a change (%s); "
                          "active again (%s) once they were back" % (other, act, took, st, back))

        scenario(results, "cp_active_crash", active_crash)
        scenario(results, "cp_standby_redirect", standby_redirect)
        scenario(results, "cp_arbiter_replaced", arbiter_crash)
        scenario(results, "cp_power_cycle", power_cycle)
        scenario(results, "cp_both_restart", both_restart)
        def disaster_recovery():
            act = cp.active()
            assert act, "no active controller before the disaster"
            other = "ctl-b" if act == "ctl-a" else "ctl-a"
            for m in ("arb-1", "arb-2", "ctl-a", "ctl-b"):
                cp.kill(m)
            # Only `act`'s database survives.
            for m in ("arb-1", "arb-2", other):
                shutil.rmtree(cp.state_dir(m))
                os.makedirs(cp.state_dir(m))
            db = os.path.join(cp.state_dir(act), "controller.db")
            p = subprocess.run([cp.cli, "cluster", "recover", "-f", db, "--name", act], capture_output=True, text=True)
            assert p.returncode != 0 and "--force" in p.stderr, "recover without --force: %s %s" % (p.returncode, p.stderr)
            p = subprocess.run([cp.cli, "cluster", "recover", "-f", db, "--name", act, "--force"], capture_output=True,
                               text=True)
            assert p.returncode == 0, "cluster recover failed: %s %s" % (p.stdout, p.stderr)
            t0 = time.monotonic()
            cp.start(act)
            assert cp.wait(lambda: cp.active() == act, 10), "%s not active alone after recovery: %s" % (act, cp.log_tail(act))
            took = time.monotonic() - t0
            assert has_all(act), "an acknowledged change is missing after recovery"
            # The wiped controller joins: empty database + cluster.join, added then promoted.
            with open(cp.config_path(other)) as f:
                cfg = f.read()
            assert "\ncluster:\n" in cfg, "no cluster: block in %s" % cp.config_path(other)
            with open(cp.config_path(other), "w") as f:
                f.write(cfg.replace("\ncluster:\n", "\ncluster:\n  join: true\n"))
            cp.start(other)
            p = cp.poolhactl(["cluster", "member", "add", other, "--role", "controller"])
            assert p.returncode == 0, "cluster member add: %s %s" % (p.stdout, p.stderr)
            def caught_up_as_standby():
                view = cp.cluster(act) or {}
                return any(m["id"] == other and m.get("learner") and m.get("match_index", 0) >= view.get("commit_index", 1)
                           for m in view.get("members", []))
            caught_up = cp.wait(caught_up_as_standby, 10)
            assert caught_up, "%s did not catch up as a standby member" % other
            p = cp.poolhactl(["cluster", "member", "promote", other])
            assert p.returncode == 0, "cluster member promote: %s %s" % (p.stdout, p.stderr)
            ok = cp.wait(lambda: voters(act) == ["ctl-a", "ctl-b"], 5)
            assert ok, "voters after the rejoin: %s" % voters(act)
            apply_through_active(50)
            p = cp.poolhactl(["cluster", "status"])
            assert p.returncode == 0 and "quorum" in p.stdout, "cluster status: %s %s" % (p.stdout, p.stderr)
            return took, ("only %s's database kept: recovered and active after %.2fs with all %d acknowledged changes; "
                          "%s wiped, joined and promoted (voters %s)" % (act, took, len(acked) - 1, other, voters(act)))

        scenario(results, "cp_two_members_down", two_members_down)
        scenario(results, "cp_disaster_recovery", disaster_recovery)
    except AssertionError as e:
        results.append({"scenario": "cp_setup", "passed": False, "outage_s": None, "notes": str(e), "duration_s": 0})
        print("cp_setup FAIL", e)
    finally:
        cp.stop_all()
        cp.topo.destroy()
        if a.keep:
            shutil.copytree(root, a.keep, dirs_exist_ok=True)
        shutil.rmtree(root, ignore_errors=True)
    # Alongside the foundation's scenarios: replace our own rows, keep the others.
    try:
        with open(a.results) as f:
            old = [r for r in json.load(f) if not r.get("scenario", "").startswith("cp_")]
    except (OSError, ValueError):
        old = []
    with open(a.results, "w") as f:
        json.dump(old + results, f, indent=1)
    passed = sum(r["passed"] for r in results)
    print("%d/%d control-plane scenarios passed" % (passed, len(results)))
    return 0 if results and passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
