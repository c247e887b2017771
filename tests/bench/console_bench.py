#!/usr/bin/env python3
"""The console at scale (issue 11's benchmark): one controller (a cluster of one voter,
the product's own binary and built console) on loopback holding 5,000 nodes in 10
pools and 1,000 rules, and Debian's Chromium driven by Playwright measuring
  - first render: navigation to the dashboard until its counts and the first rules
    show, and to the node list (5,000 rows, paged) until its first rows show;
  - live update: a rule frozen or unfrozen through the API until the open page shows
    it (the commit, the feed's delta and React's render), 20 times;
  - the download: what the first load transfers (compressed) and the live stream's
    first event (the snapshot of the whole view).
Targets: first render <= 1.5 s, update <= 300 ms. Prints the figures; exit 1 only if
the run itself fails. The nodes have no agents (they stay "failed" and rules unplaced):
the console's cost is the size of the view, not the failovers.

Usage (root): python3 tests/bench/console_bench.py --build-dir build
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
API = "127.0.0.1:17443"


def sh(argv, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError("%s: %s %s" % (" ".join(argv[:3]), p.stdout[-500:], p.stderr[-500:]))
    return p


def objects(n_nodes, n_rules, n_pools=10):
    pools = [{"id": "p%d" % i, "min_takeover_ratio": 0.1} for i in range(n_pools)]
    nodes = [{"id": "n%04d" % i, "pool": "p%d" % (i % n_pools), "labels": {"app": "gw"}} for i in range(n_nodes)]
    rules = []
    for i in range(n_rules):
        a = 20 + i // 250
        rules.append({"id": "r%04d" % i, "pool": "p%d" % (i % n_pools),
                      "vips": [{"cidr": "198.%d.%d.%d/24" % (18 + (a > 255), a % 256, 1 + i % 250)}],
                      "acquire_script": "acquire.sh", "release_script": "release.sh", "script_timeout_ms": 2000})
    return {"pools": pools, "nodes": nodes, "rules": rules}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--rules", type=int, default=1000)
    a = ap.parse_args()
    b = os.path.abspath(a.build_dir)
    ctl, cli = os.path.join(b, "controller", "poolha-controller"), os.path.join(b, "cli", "poolhactl")
    dist = os.path.join(ROOT, "webui", "dist")
    work = tempfile.mkdtemp(prefix="poolha-console-bench-")
    proc = None
    try:
        ca = os.path.join(work, "ca")
        sh([cli, "ca", "init", "--dir", ca])
        sh([cli, "cert", "issue", "--dir", ca, "--name", "ctl1", "--role", "controller", "--ip", "127.0.0.1"])
        os.makedirs(os.path.join(work, "state"))
        cfg = os.path.join(work, "controller.yaml")
        with open(cfg, "w") as f:
            f.write("name: ctl1\nstate_dir: %s/state\ntls: {ca: %s/ca.crt, cert: %s/ctl1.crt, key: %s/ctl1.key}\n"
                    "listen_agents: 127.0.0.1:17400\nlisten_api: %s\nwebui_dir: %s\nlog_level: warn\n"
                    % (work, ca, ca, ca, API, dist))
        log = open(os.path.join(work, "controller.log"), "w")
        proc = subprocess.Popen([ctl, "run", "--config", cfg], stdout=log, stderr=subprocess.STDOUT)
        ctlargs = [cli, "--api", API, "--tls-dir", ca]
        deadline = time.monotonic() + 15
        while subprocess.run(ctlargs + ["status", "--json"], capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("controller API not up: " + open(log.name).read()[-500:])
            time.sleep(0.2)
        spec = os.path.join(work, "cluster.json")
        with open(spec, "w") as f:
            json.dump(objects(a.nodes, a.rules), f)
        t0 = time.monotonic()
        sh(ctlargs + ["apply", "-f", spec], timeout=600)
        apply_s = time.monotonic() - t0
        status = sh(ctlargs + ["status", "--json"]).stdout
        p = sh(ctlargs + ["users", "bootstrap", "--json", "--account", "sys=sysadmin", "--account", "sec=secadmin",
                          "--account", "aud=auditadmin", "--account", "ops=operator"])
        otp = {x["name"]: x["one_time_password"] for x in json.loads(p.stdout)["accounts"]}
        fixture = {"base_url": "https://" + API, "account": "ops", "otp": otp["ops"], "nodes": a.nodes,
                   "rules": a.rules, "status_bytes": len(status), "out": os.path.join(work, "out")}
        fpath = os.path.join(work, "fixture.json")
        with open(fpath, "w") as f:
            json.dump(fixture, f)
        print("== console benchmark: %d nodes, %d rules (apply took %.1f s; GET /v1/status %d KiB) =="
              % (a.nodes, a.rules, apply_s, len(status) >> 10), flush=True)
        env = dict(os.environ, POOLHA_WEBUI_FIXTURE=fpath)
        rc = subprocess.run(["bash", "-c", ". %s/scripts/webui-env.sh && cd %s/webui && npx --no-install playwright test "
                             "--config bench/playwright.bench.config.ts" % (ROOT, ROOT)], env=env, timeout=900).returncode
        if rc != 0:
            raise RuntimeError("the browser part failed (rc %d)" % rc)
        rss = int(open("/proc/%d/status" % proc.pid).read().split("VmRSS:")[1].split()[0])
        print("controller memory with the console streaming: VmRSS %d MiB" % (rss >> 10))
        return 0
    except Exception as e:
        print("console bench: %s (files in %s)" % (e, work))
        return 1
    finally:
        if proc:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
