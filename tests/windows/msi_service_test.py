#!/usr/bin/env python3
"""The Windows agent's MSI and services under wine (issue 12 §3), in a wine prefix of its
own: a silent install with the documented properties installs both binaries, registers
and starts both services, writes agent.yaml from the properties, copies the CA and
begins enrolment (no controller answers here: the service keeps running and retries);
the services stop and start through the SCM; the uninstall runs `release-all`, stops
and removes both services and the files. Prints what it measured (install and
uninstall times, the keeper's memory). Usage: msi_service_test.py MSI"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

MSI = os.path.abspath(sys.argv[1])
PREFIX = tempfile.mkdtemp(prefix="poolha-wine-msi-")
ENV = dict(os.environ, WINEPREFIX=PREFIX, WINEDEBUG="-all", WINEDLLOVERRIDES="winemenubuilder.exe,mscoree,mshtml=d")
C = os.path.join(PREFIX, "drive_c")
failures = []


def wine(*args, timeout=120):
    # Output through a file, not a pipe: what the command starts (a service, msiexec's
    # server) may keep a pipe open long after the command itself has exited.
    with tempfile.TemporaryFile() as out:
        rc = subprocess.run(["wine", *args], env=ENV, stdout=out, stderr=subprocess.STDOUT, timeout=timeout).returncode
        out.seek(0)
        return rc, out.read().decode(errors="replace").replace("\r", "")


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failures.append(what)


def state(service):
    _, out = wine("sc", "query", service)
    m = re.search(r"STATE\s*:\s*\d+\s+(\w+)", out)
    return m.group(1) if m else "NOT_INSTALLED"


def wait_state(service, want, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if state(service) == want:
            return True
        time.sleep(0.5)
    return False


def rss_kib(exe):
    """Resident memory of the wine process running `exe` (its Linux process, whose
    command line wine sets to the Windows one)."""
    for d in glob.glob("/proc/[0-9]*"):
        try:
            cmd = open(d + "/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
            if exe in cmd and cmd.startswith("C:"):
                for line in open(d + "/status"):
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
    return None


try:
    t0 = time.time()
    subprocess.run(["wineboot", "-i"], env=ENV, capture_output=True, timeout=180)
    subprocess.run(["wineserver", "-w"], env=ENV, timeout=180)
    print("wine prefix made in %.1f s" % (time.time() - t0))
    # Wine ends its services when the last ordinary process of the prefix exits (as at a
    # Windows shutdown); this one keeps the "machine" up for the test.
    keepalive = subprocess.Popen(["wine", "cmd", "/c", "ping -n 3600 127.0.0.1 >nul"], env=ENV,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.makedirs(os.path.join(C, "deploy"))
    with open(os.path.join(C, "deploy", "ca.crt"), "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nMAo=\n-----END CERTIFICATE-----\n")

    t0 = time.time()
    rc, out = wine("msiexec", "/i", MSI, "/qn", "NODE_ID=win-test-1", "CONTROLLERS=ctl1=127.0.0.1:1,ctl2=127.0.0.1:2",
                   "ARBITER=arb1=127.0.0.1:3", "VIP_INTERFACES=以太网 2", "ENROL_ADDRESS=127.0.0.1:1", "ENROL_TOKEN=tok-123",
                   r"CA_FILE=C:\deploy\ca.crt")
    print("msiexec /i: exit %d in %.1f s" % (rc, time.time() - t0))
    check(rc == 0, "silent install succeeds with no controller reachable yet")
    pf = os.path.join(C, "Program Files", "poolha")
    check(sorted(os.listdir(pf)) == ["poolha-agent.exe", "poolha-keeper.exe"], "both binaries in Program Files\\poolha")
    check(wait_state("poolha-keeper", "RUNNING"), "poolha-keeper service running")
    check(wait_state("poolha-agent", "RUNNING"), "poolha-agent service running")
    data = os.path.join(C, "ProgramData", "poolha")
    yaml = open(os.path.join(data, "agent.yaml"), encoding="utf-8").read() if os.path.exists(os.path.join(data, "agent.yaml")) else ""
    check('node_id: "win-test-1"' in yaml and "role: arbiter" in yaml and "以太网 2" in yaml,
          "agent.yaml written from NODE_ID, CONTROLLERS, ARBITER, VIP_INTERFACES")
    check(os.path.exists(os.path.join(data, "ca.crt")), "CA_FILE copied to ProgramData\\poolha\\ca.crt")
    log = ""
    deadline = time.time() + 15
    while time.time() < deadline and "enrolment with 127.0.0.1:1 failed" not in log:
        time.sleep(0.5)
        path = os.path.join(data, "log", "poolha-agent.log")
        log = open(path, encoding="utf-8", errors="replace").read() if os.path.exists(path) else ""
    check("enrolment with 127.0.0.1:1 failed (will retry)" in log and "next try in" in log,
          "enrolment at ENROL_ADDRESS tried and retried while the service keeps running")
    _, reg = wine("reg", "query", r"HKLM\Software\poolha\agent")
    token_file = os.path.join(data, "enrol.token")
    check("tok-123" not in reg and os.path.exists(token_file) and open(token_file).read() == "tok-123",
          "the token moved out of the registry into an admin-only file until an enrolment succeeds")
    kib = rss_kib("poolha-keeper.exe")
    print("memory under wine: poolha-keeper %s KiB resident (the wine process)" % kib)

    rc, out = wine("sc", "stop", "poolha-keeper")
    stopped = wait_state("poolha-keeper", "STOPPED")
    if not stopped:
        print(out)
        print(open(os.path.join(data, "log", "poolha-keeper.log"), encoding="utf-8", errors="replace").read()[-1500:])
    check(stopped, "sc stop poolha-keeper: stopped")
    rc, _ = wine("sc", "start", "poolha-keeper")
    check(wait_state("poolha-keeper", "RUNNING"), "sc start poolha-keeper: running again")

    t0 = time.time()
    rc, out = wine("msiexec", "/x", MSI, "/qn")
    print("msiexec /x: exit %d in %.1f s" % (rc, time.time() - t0))
    check(rc == 0, "silent uninstall succeeds")
    check(state("poolha-agent") == "NOT_INSTALLED" and state("poolha-keeper") == "NOT_INSTALLED",
          "no poolha service left behind")
    check(not os.path.exists(os.path.join(pf, "poolha-agent.exe")), "binaries removed")
finally:
    subprocess.run(["wineserver", "-k"], env=ENV, capture_output=True)
    if "keepalive" in globals():
        keepalive.kill()
        keepalive.wait()
    shutil.rmtree(PREFIX, ignore_errors=True)

print("msi_service_test: %d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
