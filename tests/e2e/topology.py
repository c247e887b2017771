"""Hosts as network namespaces on one Linux bridge (see docs/e2e.md).

Every name this module creates starts with the run prefix (e.g. ``pe123-``), so a later
``run.py --cleanup`` can find leftovers. Only 198.18.0.0/15 addresses are used.
"""
import os
import re
import signal
import subprocess
import time

SUBNET_PREFIX = 24
SWITCH_ADDR = "198.18.0.254"  # the hosts' default gateway = isolation address
NS_RE = re.compile(r"^pe\d+-")
RUN_ROOT = "/run/poolha-e2e"


# Every program the testbed runs, with the Debian package that has it
# (scripts/install-deps.sh installs them all; require_tools() says which is missing).
REQUIRED_TOOLS = {"ip": "iproute2", "arping": "iputils-arping", "python3": "python3"}


def require_tools():
    """Names of missing programs with their packages, e.g. ['arping (iputils-arping)']."""
    import shutil
    return ["%s (%s)" % (t, pkg) for t, pkg in REQUIRED_TOOLS.items() if shutil.which(t) is None]


def sh(argv, check=True, timeout=10, input=None):
    """Runs argv (a list) and returns CompletedProcess with text output."""
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr.strip()))
    return p


def ns_pids(ns):
    p = sh(["ip", "netns", "pids", ns], check=False)
    return [int(x) for x in p.stdout.split() if x.isdigit()]


def kill_ns_processes(ns, sig=signal.SIGKILL):
    """Signals every process whose network namespace is ns; returns the pids."""
    pids = ns_pids(ns)
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    return pids


def wait_ns_empty(ns, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not ns_pids(ns):
            return True
        time.sleep(0.05)
    return False


def existing_namespaces():
    p = sh(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in p.stdout.splitlines() if line.strip()]


class Topology:
    """One switch namespace with a bridge, and hosts attached by veth pairs.

    Host ``name`` lives in namespace ``<prefix>-<name>`` with ``eth0``; the switch side
    of its cable is ``<prefix><name>`` (at most 15 characters) in the switch namespace.
    """

    def __init__(self, prefix):
        self.prefix = prefix
        self.switch = prefix + "-sw"
        self.hosts = {}  # name -> address
        self._made = False

    def ns(self, host):
        return "%s-%s" % (self.prefix, host)

    def cable(self, host):
        name = self.prefix + host
        if len(name) > 15:
            raise ValueError("interface name too long: " + name)
        return name

    def create(self):
        sh(["ip", "netns", "add", self.switch])
        self._made = True
        self.exec_ok(self.switch, ["ip", "link", "set", "lo", "up"])
        self.exec_ok(self.switch, ["ip", "link", "add", "br0", "type", "bridge", "stp_state", "0",
                                   "forward_delay", "0"])
        self.exec_ok(self.switch, ["ip", "addr", "add", "%s/%d" % (SWITCH_ADDR, SUBNET_PREFIX), "dev", "br0"])
        self.exec_ok(self.switch, ["ip", "link", "set", "br0", "up"])

    def add_host(self, name, address):
        ns = self.ns(name)
        sh(["ip", "netns", "add", ns])
        self.hosts[name] = address
        sh(["ip", "link", "add", self.cable(name), "netns", self.switch, "type", "veth",
            "peer", "name", "eth0", "netns", ns])
        self.exec_ok(ns, ["ip", "link", "set", "lo", "up"])
        self.exec_ok(ns, ["ip", "addr", "add", "%s/%d" % (address, SUBNET_PREFIX), "dev", "eth0"])
        self.exec_ok(ns, ["ip", "link", "set", "eth0", "up"])
        self.exec_ok(ns, ["ip", "route", "add", "default", "via", SWITCH_ADDR])
        self.exec_ok(self.switch, ["ip", "link", "set", self.cable(name), "master", "br0"])
        self.exec_ok(self.switch, ["ip", "link", "set", self.cable(name), "up"])

    def exec_ok(self, ns, argv, timeout=10):
        return sh(["ip", "netns", "exec", ns] + argv, timeout=timeout)

    def run_in(self, host, argv, timeout=10, check=False, input=None):
        """Runs argv inside host's namespace (all 198.18 traffic must go this way)."""
        return sh(["ip", "netns", "exec", self.ns(host)] + argv, check=check, timeout=timeout, input=input)

    # --- faults -------------------------------------------------------------------
    def link(self, host, up):
        """Unplugs/plugs the host's cable at the switch (the host keeps its addresses)."""
        self.exec_ok(self.switch, ["ip", "link", "set", self.cable(host), "up" if up else "down"])

    def addresses(self, host):
        """IPv4 addresses on the host's eth0, without prefix length."""
        p = sh(["ip", "-n", self.ns(host), "-j", "-4", "addr", "show", "dev", "eth0"], check=False)
        import json
        try:
            data = json.loads(p.stdout or "[]")
        except ValueError:
            return []
        return [a["local"] for i in data for a in i.get("addr_info", [])]

    def drop_extra_addresses(self, host):
        """A crashed host loses what it added at run time (VIPs): keeps only its own address."""
        base = self.hosts[host]
        for a in self.addresses(host):
            if a != base:
                sh(["ip", "-n", self.ns(host), "addr", "del", "%s/%d" % (a, SUBNET_PREFIX), "dev", "eth0"],
                   check=False)

    def add_address(self, host, addr):
        sh(["ip", "-n", self.ns(host), "addr", "add", "%s/%d" % (addr, SUBNET_PREFIX), "dev", "eth0"])

    def del_address(self, host, addr):
        sh(["ip", "-n", self.ns(host), "addr", "del", "%s/%d" % (addr, SUBNET_PREFIX), "dev", "eth0"],
           check=False)

    def destroy(self):
        for name in list(self.hosts) + [None]:
            ns = self.switch if name is None else self.ns(name)
            kill_ns_processes(ns)
        for name in list(self.hosts):
            wait_ns_empty(self.ns(name), 2.0)
            sh(["ip", "netns", "del", self.ns(name)], check=False)
        if self._made:
            sh(["ip", "netns", "del", self.switch], check=False)
        self.hosts.clear()
        self._made = False


def _owner_alive(prefix):
    """True if the run that made `prefix` is still running (its owner.pid is a live process)."""
    try:
        with open(os.path.join(RUN_ROOT, prefix, "owner.pid")) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return b"run.py" in f.read()
    except OSError:
        return False


def cleanup_leftovers(log=print, force=False):
    """Removes namespaces (and their processes) and run directories of earlier runs.

    A run that is still going (its owner.pid alive) is left alone unless force."""
    import shutil
    for ns in existing_namespaces():
        if NS_RE.match(ns):
            prefix = ns.split("-", 1)[0]
            if not force and _owner_alive(prefix):
                log("skipping %s: run %s is still going (use --force)" % (ns, prefix))
                continue
            pids = kill_ns_processes(ns)
            wait_ns_empty(ns, 2.0)
            sh(["ip", "netns", "del", ns], check=False)
            log("removed namespace %s (killed %d processes)" % (ns, len(pids)))
    if os.path.isdir(RUN_ROOT):
        for d in os.listdir(RUN_ROOT):
            if not force and _owner_alive(d):
                continue
            shutil.rmtree(os.path.join(RUN_ROOT, d), ignore_errors=True)
            log("removed %s/%s" % (RUN_ROOT, d))
