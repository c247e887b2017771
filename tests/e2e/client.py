#!/usr/bin/python3
"""The settlement-engine stand-in: streams numbered requests through every VIP.

Run in the client namespace:

    python3 client.py --out FILE --vip 198.18.0.101 [--vip ...] [--interval 0.02] [--timeout 0.1]

Per VIP, every INTERVAL seconds it starts an attempt (attempts overlap) that opens a TCP connection to VIP:9000 (timeout
TIMEOUT), sends ``req <n>`` and reads one line. Each attempt is one record line in FILE:

    <monotonic seconds> <vip> <n> ok <host>
    <monotonic seconds> <vip> <n> err <reason>

CLOCK_MONOTONIC is not namespaced, so the test process can compare these times with its own.
Runs until SIGTERM or --duration seconds.
"""
import argparse
import asyncio
import signal
import sys
import time

PORT = 9000


async def probe(vip, n, timeout):
    deadline = time.monotonic() + timeout
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(vip, PORT), timeout)
        writer.write(b"req %d\n" % n)
        line = await asyncio.wait_for(reader.readline(), max(0.001, deadline - time.monotonic()))
        if not line:
            return "err", "closed"
        parts = line.decode(errors="replace").split()
        if len(parts) != 3 or parts[1:] != ["req", str(n)]:
            return "err", "garbled"
        return "ok", parts[0]
    except asyncio.TimeoutError:
        return "err", "timeout"
    except OSError as e:
        return "err", (e.strerror or str(e)).replace(" ", "-")
    finally:
        if writer is not None:
            writer.close()


async def stream(vip, out, stop, interval, timeout):
    """Starts one attempt every interval, without waiting for the previous one, so a
    VIP that comes back is seen within one interval, not one timeout."""
    n = 0
    pending = set()
    next_t = time.monotonic()

    async def one(k):
        status, what = await probe(vip, k, timeout)
        out.write("%.4f %s %d %s %s\n" % (time.monotonic(), vip, k, status, what))

    while not stop.is_set():
        n += 1
        t = asyncio.ensure_future(one(n))
        pending.add(t)
        t.add_done_callback(pending.discard)
        next_t += interval
        delay = next_t - time.monotonic()
        if delay < 0:  # fell behind (loaded machine): do not burst to catch up
            next_t = time.monotonic()
            delay = 0
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except asyncio.TimeoutError:
            pass
    if pending:
        await asyncio.wait(pending, timeout=timeout + 1)


async def amain(a):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    loop.call_later(a.duration, stop.set)
    with open(a.out, "a", buffering=1) as out:
        await asyncio.gather(*(stream(v, out, stop, a.interval, a.timeout) for v in a.vip))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--vip", action="append", required=True)
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--timeout", type=float, default=0.1)
    ap.add_argument("--duration", type=float, default=3600)
    a = ap.parse_args()
    asyncio.run(amain(a))
    return 0


# --- analysis (used by the test process) -------------------------------------------------
class Records:
    """Parsed client records: per VIP, a list of (t, ok, host_or_reason)."""

    def __init__(self, path):
        self.path = path
        self.by_vip = {}
        self.reload()

    def reload(self):
        self.by_vip = {}
        try:
            with open(self.path) as f:
                for line in f:
                    p = line.split()
                    if len(p) != 5:
                        continue
                    self.by_vip.setdefault(p[1], []).append((float(p[0]), p[3] == "ok", p[4]))
        except OSError:
            pass
        for recs in self.by_vip.values():
            recs.sort()
        return self

    def answered_by(self, vip, t0, t1):
        """Hosts that answered for vip in [t0, t1], in order of first answer."""
        seen = []
        for t, ok, who in self.by_vip.get(vip, []):
            if t0 <= t <= t1 and ok and who not in seen:
                seen.append(who)
        return seen

    def last_host(self, vip, t1=None):
        last = None
        for t, ok, who in self.by_vip.get(vip, []):
            if ok and (t1 is None or t <= t1):
                last = who
        return last

    def outage(self, vip, t0, t1):
        """Longest gap between successful answers for vip that overlaps [t0, t1].

        Returns (gap seconds, gap start, gap end, recovered). The gap is counted from the
        last success at or before t0; if nothing answered after t0, it runs to t1 and
        recovered is False.
        """
        recs = [t for t, ok, _ in self.by_vip.get(vip, []) if ok]
        before = [t for t in recs if t <= t0]
        after = [t for t in recs if t0 < t <= t1]
        prev = before[-1] if before else t0
        best = (0.0, prev, prev)
        for t in after:
            if t - prev > best[0]:
                best = (t - prev, prev, t)
            prev = t
        if not after:
            return (t1 - prev, prev, t1, False)
        return best + (True,)

    def flaps(self, vip, t0, t1):
        """Changes of answering host in [t0, t1]: a clean move has at most one.

        Returns the list of (t, from, to) changes."""
        changes, last = [], None
        for t, ok, who in self.by_vip.get(vip, []):
            if not ok or t < t0 or t > t1:
                continue
            if last is not None and who != last:
                changes.append((t, last, who))
            last = who
        return changes

    def count(self, vip, t0, t1):
        ok = sum(1 for t, o, _ in self.by_vip.get(vip, []) if o and t0 <= t <= t1)
        return ok, sum(1 for t, o, _ in self.by_vip.get(vip, []) if t0 <= t <= t1)


def start(procs, vips, out_path, host="client", interval=0.02, timeout=0.1):
    import os
    argv = ["/usr/bin/python3", os.path.abspath(__file__), "--out", out_path, "--interval", str(interval),
            "--timeout", str(timeout)]
    for v in vips:
        argv += ["--vip", v]
    return procs.start("client", host, argv)


if __name__ == "__main__":
    sys.exit(main())
