"""Processes started inside host namespaces, each with its own log file.

``ip netns exec`` execs the program in place, so the Popen pid is the program itself;
children it starts (the agent's lease keeper) are found with ``ip netns pids``.
"""
import os
import signal
import subprocess
import time

import topology


class Proc:
    def __init__(self, name, host, argv, log_path, popen):
        self.name, self.host, self.argv, self.log_path, self.popen = name, host, argv, log_path, popen

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.alive():
            try:
                os.kill(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace=2.0):
        """SIGTERM, then SIGKILL after grace seconds."""
        if not self.alive():
            return self.popen.returncode
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        rc = self.wait(grace)
        if rc is None:
            self.signal(signal.SIGKILL)
            rc = self.wait(2.0)
        return rc

    def kill(self):
        self.signal(signal.SIGKILL)
        return self.wait(2.0)


class ProcessSet:
    """All processes a scenario started; ``stop_all`` is safe to call more than once."""

    def __init__(self, topo, log_dir):
        self.topo = topo
        self.log_dir = log_dir
        self.procs = []
        os.makedirs(log_dir, exist_ok=True)

    def log_path(self, name):
        return os.path.join(self.log_dir, name + ".log")

    def start(self, name, host, argv, env=None):
        path = self.log_path(name)
        logf = open(path, "ab")
        logf.write(("=== %.3f start: %s\n" % (time.monotonic(), " ".join(argv))).encode())
        logf.flush()
        full_env = dict(os.environ)
        full_env.update(env or {})
        popen = subprocess.Popen(["ip", "netns", "exec", self.topo.ns(host)] + argv, stdout=logf,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=full_env,
                                 start_new_session=True)
        logf.close()
        p = Proc(name, host, argv, path, popen)
        self.procs.append(p)
        return p

    def by_name(self, name):
        for p in reversed(self.procs):
            if p.name == name:
                return p
        return None

    def crash_host(self, host):
        """Power loss: every process of the host gets SIGKILL (agent, keeper, gateway...)."""
        ns = self.topo.ns(host)
        killed = []
        for _ in range(5):  # bounded: a dying agent could still fork its keeper
            pids = topology.kill_ns_processes(ns, signal.SIGKILL)
            killed += pids
            if not pids:
                break
            time.sleep(0.02)
        for p in self.procs:
            if p.host == host:
                p.wait(1.0)
        return killed

    def stop_all(self):
        for p in reversed(self.procs):
            p.stop(grace=1.5)
        for host in list(self.topo.hosts):
            topology.kill_ns_processes(self.topo.ns(host), signal.SIGKILL)


def tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode(errors="replace")
    except OSError as e:
        return "(%s)" % e
    return "\n".join(data.splitlines()[-lines:])
