#!/usr/bin/env python3
"""The replicated control plane with the real binaries: two poolha-controller members
and a poolha-arbiter member on loopback (their member ports, APIs and the witness
port), driven through the real HTTPS API with an operator certificate.

Scenarios (each measured, each printed, all appended to tests/e2e/results.json):
  cp_active_crash      kill -9 the active controller: time until the other one acts,
                       nothing acknowledged lost, the old one rejoins as standby
  cp_standby_redirect  the standby answers API calls with a 307 to the active one
  cp_arbiter_replaced  kill -9 the arbiter: the active controller stays active, and the
                       standby arbiter replaces it (time from the kill to the standby
                       voting); restarted, the old one rejoins as the standby
  cp_both_restart      both controllers restarted together: every acknowledged change
                       is still there
  cp_two_members_down  arbiter and one controller down: the survivor shows no quorum
                       and refuses changes; back up, it recovers

Agents and VIPs are not involved here (tests/e2e/run.py covers them with one
controller); every process and directory it makes is removed at the end, also on
failure. Usage: control_plane.py --build-dir build [--keep DIR]
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class ControlPlane:
    def __init__(self, build, root):
        self.build = build
        self.root = root
        self.cli = os.path.join(build, "cli", "poolhactl")
        self.bins = {"controller": os.path.join(build, "controller", "poolha-controller"),
                     "arbiter": os.path.join(build, "arbiter", "poolha-arbiter")}
        self.procs = {}
        self.pki = os.path.join(root, "pki")
        self.ports = {}
        for m in ("ctl-a", "ctl-b", "arb-1", "arb-2"):
            self.ports[m] = {"member": free_port(), "api": free_port(), "agents": free_port()}

    def sh(self, args):
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("%s: %s %s" % (" ".join(args), p.stdout, p.stderr))
        return p.stdout

    def prepare(self):
        os.makedirs(self.pki)
        self.sh([self.cli, "ca", "init", "--dir", self.pki])
        for name, role in (("ctl-a", "controller"), ("ctl-b", "controller"), ("arb-1", "arbiter"),
                           ("arb-2", "arbiter"), ("ops", "operator")):
            self.sh([self.cli, "cert", "issue", "--dir", self.pki, "--name", name, "--role", role, "--ip", "127.0.0.1"])
        members = [{"id": m, "role": "arbiter" if m.startswith("arb") else "controller",
                    "address": "127.0.0.1:%d" % self.ports[m]["member"]} for m in ("ctl-a", "ctl-b", "arb-1", "arb-2")]
        for m in members:
            if m["role"] == "controller":
                m["api"] = "127.0.0.1:%d" % self.ports[m["id"]]["api"]
            else:
                m["witness"] = "127.0.0.1:%d" % self.ports[m["id"]]["agents"]
        members[-1]["standby"] = True  # arb-2: the standby arbiter
        for name in ("ctl-a", "ctl-b", "arb-1", "arb-2"):
            d = os.path.join(self.root, name)
            os.makedirs(os.path.join(d, "state"))
            tls = {"ca": os.path.join(self.pki, "ca.crt"), "cert": os.path.join(self.pki, name + ".crt"),
                   "key": os.path.join(self.pki, name + ".key")}
            cluster = {"listen": "127.0.0.1:%d" % self.ports[name]["member"], "members": members}
            if name.startswith("arb"):
                cfg = {"name": name, "tls": tls, "listen": "127.0.0.1:%d" % self.ports[name]["agents"],
                       "state_dir": os.path.join(d, "state"), "cluster": cluster}
                path = os.path.join(d, "arbiter.yaml")
            else:
                cfg = {"name": name, "state_dir": os.path.join(d, "state"), "tls": tls,
                       "listen_agents": "127.0.0.1:%d" % self.ports[name]["agents"],
                       "listen_api": "127.0.0.1:%d" % self.ports[name]["api"], "cluster": cluster}
                path = os.path.join(d, "controller.yaml")
            with open(path, "w") as f:
                json.dump(cfg, f)  # JSON is YAML
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.pki, "ca.crt"))
        self.ctx.check_hostname = False
        self.ctx.load_cert_chain(os.path.join(self.pki, "ops.crt"), os.path.join(self.pki, "ops.key"))

    def start(self, name):
        kind = "arbiter" if name.startswith("arb") else "controller"
        log = open(os.path.join(self.root, name, "log"), "a")
        cfg = os.path.join(self.root, name, kind + ".yaml")
        self.procs[name] = subprocess.Popen([self.bins[kind], "run", "--config", cfg], stdout=log, stderr=log,
                                            start_new_session=True)

    def kill(self, name):
        p = self.procs.pop(name, None)
        if p and p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)

    def stop_all(self):
        for name in list(self.procs):
            self.kill(name)

    def request(self, name, method, path, body=None, timeout=2.0):
        """(status, json or None, location) from one controller's API; (0, None, '') if unreachable."""
        try:
            c = http.client.HTTPSConnection("127.0.0.1", self.ports[name]["api"], context=self.ctx, timeout=timeout)
            c.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            loc = r.getheader("Location") or ""
            c.close()
            try:
                return r.status, json.loads(data), loc
            except ValueError:
                return r.status, None, loc
        except (OSError, http.client.HTTPException):
            return 0, None, ""

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
            t0 = time.monotonic()
            cp.kill(act)
            new = cp.wait(lambda: cp.active() == other and other, 10, step=0.01)
            took = time.monotonic() - t0
            assert new, "%s did not take over within 10 s: %s" % (other, cp.log_tail(other))
            assert has_all(other), "an acknowledged change is missing on the new active controller"
            apply_through_active(10)
            cp.start(act)
            ok = cp.wait(lambda: (cp.cluster(act) or {}).get("leader") == other, 10)
            assert ok, "%s did not rejoin as standby" % act
            assert took <= 3.0, "switch took %.2fs (target 3 s)" % took
            return took, "%s killed, %s active after %.3fs; all %d acknowledged changes present; %s rejoined as standby" % (
                act, other, took, len(acked), act)

        def standby_redirect():
            act = cp.active()
            standby = "ctl-b" if act == "ctl-a" else "ctl-a"
            st, j, loc = cp.request(standby, "GET", "/v1/status")
            assert st == 307, "standby answered %s %s" % (st, j)
            assert str(cp.ports[act]["api"]) in loc, "Location %s does not name %s" % (loc, act)
            st, j, loc = cp.request(standby, "POST", "/v1/apply", pool(99))
            assert st == 307, "standby took a command: %s %s" % (st, j)
            return None, "standby %s answers 307 -> %s for reads and commands" % (standby, loc)

        def voters(name):
            j = cp.cluster(name) or {}
            return sorted(m["id"] for m in j.get("members", []) if m.get("voter"))

        def arbiter_crash():
            act = cp.active()
            assert cp.wait(lambda: voters(act) == ["arb-1", "ctl-a", "ctl-b"], 5), "voters before: %s" % voters(act)
            t0 = time.monotonic()
            cp.kill("arb-1")
            flips = []
            replaced = None
            while time.monotonic() - t0 < 4:
                if cp.active() != act:
                    flips.append(round(time.monotonic() - t0, 2))
                if replaced is None and voters(act) == ["arb-2", "ctl-a", "ctl-b"]:
                    replaced = time.monotonic() - t0
                time.sleep(0.02)
            assert not flips, "the active controller changed after the arbiter died (at %s s)" % flips
            assert replaced is not None, "standby arbiter not promoted within 4 s: voters %s; %s" % (
                voters(act), cp.log_tail(act))
            apply_through_active(20)
            cp.start("arb-1")
            learner = cp.wait(lambda: any(m["id"] == "arb-1" and m.get("learner")
                                          for m in (cp.cluster(act) or {}).get("members", [])), 10)
            assert learner, "arb-1 did not rejoin as the standby"
            assert replaced <= 2.0, "replacement took %.2fs (target 2 s)" % replaced
            return replaced, ("arbiter killed: %s stayed active; arb-2 voting %.3fs after the kill; arb-1 back as "
                              "standby" % (act, replaced))

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
        scenario(results, "cp_both_restart", both_restart)
        scenario(results, "cp_two_members_down", two_members_down)
    except AssertionError as e:
        results.append({"scenario": "cp_setup", "passed": False, "outage_s": None, "notes": str(e), "duration_s": 0})
        print("cp_setup FAIL", e)
    finally:
        cp.stop_all()
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
