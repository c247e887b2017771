#!/usr/bin/env python3
"""The console in a real browser (issue 11): Debian's Chromium driven by Playwright
against the real controller pair, arbiters and agents in network namespaces (the e2e
testbed, tests/e2e). The browser runs in the client's namespace and reaches the console
through the controller VIP, as an operator would. The tests ask this harness for faults
(crash a host, kill the active controller) and for `poolhactl status` over a Unix socket
(a file: namespaces do not separate it). Screenshots go to tests/webui/out/.

Usage (root): python3 tests/webui/run.py --build-dir build [--grep PATTERN]
"""
import argparse
import http.server
import json
import os
import shutil
import signal
import socketserver
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

import cluster as cluster_mod  # noqa: E402
import topology  # noqa: E402

OUT = os.path.join(HERE, "out")


class Control(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def make_handler(c, lock):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def answer(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            # BaseHTTPRequestHandler needs a client address on a Unix socket.
            verb = self.path.strip("/").split("/")
            with lock:
                try:
                    if verb[0] == "status":
                        return self.answer(200, c.status() or {})
                    if verb[0] == "crash":
                        c.crash(verb[1])
                        return self.answer(200, {"crashed": verb[1], "t": time.time()})
                    if verb[0] == "kill-active":
                        st = c.status() or {}
                        act = st.get("controller")
                        c.procs.by_name(c.proc_name(act)).kill()
                        return self.answer(200, {"killed": act, "t": time.time()})
                    if verb[0] == "start":
                        c.start_controller(verb[1])
                        return self.answer(200, {"started": verb[1]})
                except Exception as e:  # the test sees the reason
                    return self.answer(500, {"error": str(e)})
            self.answer(404, {"error": "unknown " + self.path})

    class UnixHandler(Handler):
        def address_string(self):
            return "unix"

    return UnixHandler


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--grep", default="")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("webui tests: run as root (network namespaces)")
    dist = os.path.join(ROOT, "webui", "dist")
    if not os.path.isfile(os.path.join(dist, "index.html")):
        sys.exit("webui tests: webui/dist is not built (scripts/build-webui.sh)")
    bins, missing = cluster_mod.find_binaries(os.path.abspath(a.build_dir))
    if missing:
        sys.exit("webui tests: not built: %s" % ", ".join(missing))
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    run = cluster_mod.Run(bins, prefix="pw%d" % (os.getpid() % 1000))
    hosts = ["h1", "h2", "h3", "h4"]
    rules = [cluster_mod.default_rule("r1", vip_index=1, home="h1"), cluster_mod.default_rule("r2", vip_index=2, home="h2", group="g-r2")]
    c = None
    server = None
    sock = os.path.join(run.root, "control.sock")
    rc = 1
    try:
        run.prepare()
        c = cluster_mod.Cluster(run, "webui", hosts, rules, log_dir=os.path.join(run.root, "logs"), pair=True,
                                webui_dir=dist)
        c.build()
        for r in rules:
            ok, _, _ = c.wait_rule(r["id"], "running", timeout=20)
            if not ok:
                raise RuntimeError("rule %s did not start" % r["id"])
        c.start_observers()
        p = c.ctl(["users", "bootstrap", "--json", "--account", "sys=sysadmin", "--account", "sec=secadmin",
                   "--account", "aud=auditadmin", "--account", "ops=operator", "--account", "view=viewer",
                   "--account", "admin=sysadmin+operator"])
        if p.returncode != 0:
            raise RuntimeError("users bootstrap: %s %s" % (p.stdout, p.stderr))
        accounts = {x["name"]: x["one_time_password"] for x in json.loads(p.stdout)["accounts"]}
        server = Control(sock, make_handler(c, threading.Lock()))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        fixture = {"base_url": "https://%s:7443" % cluster_mod.CTL_VIP, "control": sock, "accounts": accounts,
                   "out": OUT}
        fixture_path = os.path.join(run.root, "fixture.json")
        with open(fixture_path, "w") as f:
            json.dump(fixture, f)
        env = dict(os.environ, POOLHA_WEBUI_FIXTURE=fixture_path, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
        # The browser runs where the client does: it reaches the console through the controller VIP.
        cmd = ["ip", "netns", "exec", c.topo.ns("client"), "bash", "-c",
               ". %s/scripts/webui-env.sh && cd %s/webui && npx --no-install playwright test %s" %
               (ROOT, ROOT, ("--grep '%s'" % a.grep) if a.grep else "")]
        print("== console tests in Chromium (%s) against the pair through %s ==" %
              (subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True).stdout.strip(),
               fixture["base_url"]), flush=True)
        rc = subprocess.run(cmd, env=env, timeout=900).returncode
        print("screenshots: %s (%d files)" % (OUT, len([f for f in os.listdir(OUT) if f.endswith(".png")])))
    except Exception as e:
        print("webui tests: %s" % e)
        if c:
            print("logs in %s" % c.log_dir)
        rc = 1
    finally:
        if server:
            server.shutdown()
            server.server_close()
        if c:
            c.teardown()
        if os.path.exists(sock):
            os.unlink(sock)
        if rc == 0:
            run.remove()
        else:
            print("kept for reading: %s" % run.root)
    sys.exit(rc)


if __name__ == "__main__":
    main()
