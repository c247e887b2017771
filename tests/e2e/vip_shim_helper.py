#!/usr/bin/env python3
"""The Linux side of THE VIP TEST SHIM (tests/windows/vip_shim.h): wine has no IP Helper
address calls, so the Windows agent under wine sends each one here, a line per request,
and this helper, in the same network namespace, does it with `ip addr` and `arping`:

  add IF CIDR       -> ok | exists | error TEXT      (ip addr add CIDR dev IF)
  del IF CIDR       -> ok | absent | error TEXT      (ip addr del CIDR dev IF)
  has IF IP         -> yes | no
  probe IF IP       -> mac AA:BB:.. | none           (arping -D: a reply is a conflict)
  announce IF IP    -> ok                            (arping -U: gratuitous ARP, not awaited)

Usage: vip_shim_helper.py 127.0.0.1:PORT (runs until killed)."""
import re
import socketserver
import subprocess
import sys


def run(argv, timeout=5):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return 124, out
    return p.returncode, (p.stdout + p.stderr).strip()


def handle(line):
    parts = line.split()
    if len(parts) != 3:
        return "error expected: VERB IF ADDRESS"
    verb, ifname, addr = parts
    if verb == "add":
        rc, out = run(["ip", "addr", "add", addr, "dev", ifname])
        return "ok" if rc == 0 else ("exists" if "exists" in out else "error " + out)
    if verb == "del":
        rc, out = run(["ip", "addr", "del", addr, "dev", ifname])
        return "ok" if rc == 0 else ("absent" if "Cannot assign" in out else "error " + out)
    if verb == "has":
        _, out = run(["ip", "-o", "-4", "addr", "show", "dev", ifname])
        return "yes" if (" %s/" % addr) in out else "no"
    if verb == "probe":
        # A neighbour on the test's veth answers in well under a millisecond: 300 ms, as
        # the Linux agent's default probe (2 probes, 50 ms apart, 100 ms wait) allows.
        rc, out = run(["arping", "-D", "-I", ifname, "-c", "1", "-w", "1", addr], timeout=0.3)
        m = re.search(r"\[([0-9A-Fa-f:]{17})\]", out)
        return "mac " + m.group(1).lower() if m else "none"
    if verb == "announce":
        # Sent, not awaited: arping waits out its deadline for replies nobody sends.
        subprocess.Popen(["arping", "-U", "-I", ifname, "-s", addr, "-c", "1", "-w", "1", addr],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return "ok"
    return "error unknown verb " + verb


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().decode(errors="replace").strip()
        reply = handle(line)
        print("%s -> %s" % (line, reply), flush=True)
        self.wfile.write((reply + "\n").encode())


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    host, port = sys.argv[1].rsplit(":", 1)
    Server((host, int(port)), Handler).serve_forever()
