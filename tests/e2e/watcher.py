"""VIP watcher: checks design §6.1 (no VIP on two hosts at once) continuously.

For every watched namespace it opens two rtnetlink sockets *inside* that namespace
(setns on the watcher thread, then back): one subscribed to IPv4 address events, one for
dumps. Events update the view as they happen; a full dump of every namespace every
50 ms corrects anything missed. The view is checked after each batch of messages has
been drained, so the order in which two namespaces' events are read cannot fake a
violation: a VIP counted on two hosts was on both at the moment of the check.
"""
import ctypes
import os
import select
import socket
import struct
import threading
import time

CLONE_NEWNET = 0x40000000
RTMGRP_IPV4_IFADDR = 0x10
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
IFA_LOCAL, IFA_ADDRESS = 2, 1

_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def _sockets_in(ns_path):
    """Creates (event socket, dump socket) in the namespace at ns_path."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(ns_path, os.O_RDONLY)
    try:
        _setns(target)
        try:
            ev = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
            ev.bind((0, RTMGRP_IPV4_IFADDR))
            dump = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
            dump.bind((0, 0))
            dump.settimeout(1.0)  # a lost reply must not hang the watcher
        finally:
            _setns(own)
    finally:
        os.close(own)
        os.close(target)
    ev.setblocking(False)
    return ev, dump


def _parse(data):
    """Yields (msg type, address string) for every address message in data; ('done', None)."""
    off = 0
    while off + 16 <= len(data):
        length, mtype, _flags, _seq, _pid = struct.unpack_from("=IHHII", data, off)
        if length < 16:
            break
        if mtype in (NLMSG_DONE, NLMSG_ERROR):
            yield "done", None
        elif mtype in (RTM_NEWADDR, RTM_DELADDR):
            family = data[off + 16]
            if family == socket.AF_INET:
                a = off + 16 + 8
                local = addr = None
                while a + 4 <= off + length:
                    alen, atype = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if atype in (IFA_LOCAL, IFA_ADDRESS) and alen >= 8:
                        val = socket.inet_ntoa(data[a + 4:a + 8])
                        if atype == IFA_LOCAL:
                            local = val
                        else:
                            addr = val
                    a += (alen + 3) & ~3
                yield ("add" if mtype == RTM_NEWADDR else "del"), (local or addr)
        off += (length + 3) & ~3


class VipWatcher(threading.Thread):
    """Watches `hosts` (name -> namespace) for the addresses in `vips`.

    After ``stop()``: ``violations`` is a list of (monotonic t, vip, [hosts]) for every
    new instant a VIP was seen on two hosts, ``timeline`` the list of (t, host, 'add'|'del',
    vip) changes seen, ``samples`` the number of full checks done.
    """

    def __init__(self, hosts, vips, period=0.05, max_seconds=900):
        super().__init__(daemon=True)
        self.hosts = dict(hosts)
        self.vips = set(vips)
        self.period = period
        self.max_seconds = max_seconds
        self.view = {h: set() for h in self.hosts}
        self.violations = []
        self.timeline = []
        self.samples = 0
        self.error = None
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._socks = {}
        self._active = set()  # VIPs currently in violation, to record each episode once

    def run(self):
        try:
            for h, ns in self.hosts.items():
                self._socks[h] = _sockets_in("/run/netns/" + ns)
            deadline = time.monotonic() + self.max_seconds
            seq = 0
            while not self._halt.is_set() and time.monotonic() < deadline:
                for h, (_, dump) in self._socks.items():
                    seq += 1
                    self._dump(h, dump, seq)
                self._drain_events()
                self._check()
                end = time.monotonic() + self.period
                while not self._halt.is_set():
                    left = end - time.monotonic()
                    if left <= 0:
                        break
                    ready, _, _ = select.select([s for s, _ in self._socks.values()], [], [], left)
                    if ready:
                        self._drain_events()
                        self._check()
        except Exception as e:  # reported by the scenario, never silently
            self.error = "%s: %s" % (type(e).__name__, e)
        finally:
            for ev, dump in self._socks.values():
                ev.close()
                dump.close()

    def _set(self, h, new):
        old = self.view[h]
        t = time.monotonic()
        for v in sorted(new - old):
            self.timeline.append((t, h, "add", v))
        for v in sorted(old - new):
            self.timeline.append((t, h, "del", v))
        self.view[h] = new

    def _dump(self, h, sock, seq):
        req = struct.pack("=IHHII", 16 + 8, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)
        req += struct.pack("=BBBBI", socket.AF_INET, 0, 0, 0, 0)
        sock.send(req)
        found, done, guard = set(), False, 0
        while not done and guard < 100:
            guard += 1
            data = sock.recv(65536)
            for kind, addr in _parse(data):
                if kind == "done":
                    done = True
                elif kind == "add" and addr in self.vips:
                    found.add(addr)
        with self._lock:
            self._set(h, found)

    def _drain_events(self):
        for _ in range(50):  # bounded; each pass reads what is queued now
            got = False
            for h, (ev, _) in self._socks.items():
                while True:
                    try:
                        data = ev.recv(65536)
                    except BlockingIOError:
                        break
                    got = True
                    with self._lock:
                        cur = set(self.view[h])
                        for kind, addr in _parse(data):
                            if addr in self.vips:
                                (cur.add if kind == "add" else cur.discard)(addr)
                        self._set(h, cur)
            if not got:
                break

    def _check(self):
        with self._lock:
            self.samples += 1
            holders = {}
            for h, addrs in self.view.items():
                for a in addrs:
                    holders.setdefault(a, []).append(h)
            now = time.monotonic()
            bad = {v for v, hs in holders.items() if len(hs) > 1}
            for v in bad - self._active:
                self.violations.append((now, v, sorted(holders[v])))
            self._active = bad

    def holders(self, vip):
        with self._lock:
            return sorted(h for h, a in self.view.items() if vip in a)

    def stop(self):
        self._halt.set()
        self.join(3)

    def summary(self):
        if self.error:
            return "watcher error: " + self.error
        if not self.violations:
            return "no duplicate VIP in %d checks" % self.samples
        return "DUPLICATE VIP: " + "; ".join("%s on %s at t=%.3f" % (v, "+".join(h), t)
                                             for t, v, h in self.violations[:5])
