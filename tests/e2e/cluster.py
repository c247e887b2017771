"""One poolha test cluster: topology, certificates, configs, daemons, gateways, client.

A Cluster is built fresh for every scenario (namespaces, state directories, processes);
only the certificate authority and the certificates it issued are shared by a run.
"""
import glob
import json
import os
import shutil
import subprocess
import time

import client as client_mod
import gateway
import processes
import topology
import watcher as watcher_mod
import yamlout

# Where a Windows host's VIP shim helper listens, inside the host (tests/e2e/vip_shim_helper.py).
VIP_SHIM = "127.0.0.1:7999"
CTL_ADDR, ARB_ADDR, CLIENT_ADDR, FOREIGN_ADDR = "198.18.0.1", "198.18.0.2", "198.18.0.250", "198.18.0.240"
# The controller pair (Cluster(pair=True)): a second controller, a standby arbiter, and
# the controller VIP the active controller holds (poolhactl goes through it).
CTL2_ADDR, ARB2_ADDR, CTL_VIP = "198.18.0.3", "198.18.0.4", "198.18.0.90"
API = "127.0.0.1:7443"
PAIR_API = CTL_VIP + ":7443"
BINARIES = {
    "controller": "controller/poolha-controller",
    "agent": "agent/poolha-agent",
    "arbiter": "arbiter/poolha-arbiter",
    "cli": "cli/poolhactl",
}


def host_addr(i):
    return "198.18.0.%d" % (10 + i)


def vip_addr(i):
    return "198.18.0.%d" % (100 + i)


# Where every test host may hold VIPs (agent.yaml vip_subnets): the hosts' own subnet.
VIP_SUBNET = "198.18.0.0/%d" % topology.SUBNET_PREFIX


def find_binaries(explicit=None):
    """Paths of the four binaries: all from `explicit` if given; else from the build*/ tree
    that has all four (the most recently built one); else each from the tree where it is
    newest (while the daemons are still built in separate trees).
    Returns (dict kind -> path, list of missing relative paths)."""
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    dirs = [explicit] if explicit else sorted(glob.glob(os.path.join(root, "build*")))
    complete = [d for d in dirs if all(os.path.exists(os.path.join(d, rel)) for rel in BINARIES.values())]
    if complete:  # one tree with everything: no mixing of versions
        dirs = [max(complete, key=lambda d: max(os.path.getmtime(os.path.join(d, r)) for r in BINARIES.values()))]
    found, missing = {}, []
    for kind, rel in BINARIES.items():
        paths = [os.path.join(d, rel) for d in dirs if d and os.path.exists(os.path.join(d, rel))]
        if paths:
            found[kind] = os.path.abspath(max(paths, key=os.path.getmtime))
        else:
            missing.append(rel)
    return found, missing


def find_windows_agent():
    """The e2e tests' Windows agent and keeper (with THE VIP TEST SHIM, tests/windows/
    vip_shim.h) from the Windows build (scripts/build-windows.sh), or None."""
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    build = os.environ.get("POOLHA_WIN_BUILD_DIR") or os.path.join(root, "build-win")
    agent = os.path.join(build, "tests", "windows", "poolha-agent-vipshim.exe")
    keeper = os.path.join(build, "tests", "windows", "poolha-keeper-vipshim.exe")
    return (agent, keeper) if os.path.exists(agent) and os.path.exists(keeper) else None


def zpath(path):
    """A Linux path as the Windows agent under wine names it (wine's Z: is /)."""
    return "Z:" + path.replace("/", "\\")


def make_root_dir(path):
    """Creates path with mode 755, root-owned, as the agent requires for scripts."""
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o755)


def write_file(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


# The same script for a Windows host (a .bat run by cmd.exe under wine): the log line in
# the same form, with 0 for the time (cmd has no clock in seconds since the epoch).
BAT_SCRIPT = "\r\n".join([
    "@echo off",
    "rem poolha e2e {kind} script on {host}",
    "echo 0 {kind} host={host} rule=%POOLHA_RULE% role=%POOLHA_ROLE% vips=%POOLHA_VIPS% old=%POOLHA_OLD_NODE% "
    "new=%POOLHA_NEW_NODE% epoch=%POOLHA_EPOCH% >> {dir}\\script.log",
    "exit /b 0", ""])

SCRIPT = r"""#!/bin/sh
# poolha e2e {kind} script on {host}: logs its environment, can be told to fail or hang.
D={dir}
echo "$(date +%s.%N) {kind} host={host} rule=$POOLHA_RULE role=$POOLHA_ROLE vips=$POOLHA_VIPS old=$POOLHA_OLD_NODE new=$POOLHA_NEW_NODE epoch=$POOLHA_EPOCH args=$*" >> $D/script.log
env | grep '^POOLHA_' | sort | tr '\n' ' ' >> $D/script.env.log; echo >> $D/script.env.log
if [ -e $D/hang-{kind} ] || [ -e "$D/hang-{kind}-$POOLHA_RULE" ]; then echo "hanging as told"; sleep 30; fi
if [ -e $D/fail-{kind} ] || [ -e "$D/fail-{kind}-$POOLHA_RULE" ]; then echo "failing as told"; exit 1; fi
echo "{kind} ok"
exit 0
"""


class Pki:
    """The run's CA directory; certificates are issued once and copied to each host."""

    def __init__(self, run, cli):
        self.dir = os.path.join(run.root, "ca")
        self.cli = cli
        self.issued = set()

    def init(self):
        make_root_dir(self.dir)
        self._cli(["ca", "init", "--dir", self.dir])

    def _cli(self, args):
        # Offline certificate work: no network, so it may run in the root namespace.
        return topology.sh([self.cli] + args, timeout=30)

    def issue(self, name, role, ips=()):
        if name in self.issued:
            return
        args = ["cert", "issue", "--dir", self.dir, "--name", name, "--role", role]
        for ip in ips:
            args += ["--ip", ip]
        self._cli(args)
        self.issued.add(name)

    def files(self, name):
        return (os.path.join(self.dir, "ca.crt"), os.path.join(self.dir, name + ".crt"),
                os.path.join(self.dir, name + ".key"))


class Run:
    """What one invocation of run.py shares: prefix, root directory, binaries, CA."""

    def __init__(self, bins, prefix=None):
        self.prefix = prefix or "pe%d" % (os.getpid() % 1000)
        self.root = os.path.join(topology.RUN_ROOT, self.prefix)
        self.bins = bins  # kind -> path; empty when the daemons are not built
        self.pki = None
        self.enrolled_once = False
        self.enrol_attempted = False
        self.windows = None  # (agent, keeper) .exe copies, once a cluster with Windows hosts asks
        self.wine_template = None

    def prepare(self):
        make_root_dir(topology.RUN_ROOT)
        make_root_dir(self.root)
        write_file(os.path.join(self.root, "owner.pid"), "%d\n" % os.getpid())
        if self.bins:
            self._snapshot_binaries()
            self.pki = Pki(self, self.bins["cli"])
            self.pki.init()
            self.pki.issue("ctl1", "controller", [CTL_ADDR, "127.0.0.1", CTL_VIP])
            self.pki.issue("arb1", "arbiter", [ARB_ADDR])
            self.pki.issue("ctl2", "controller", [CTL2_ADDR, CTL_VIP])
            self.pki.issue("arb2", "arbiter", [ARB2_ADDR])

    def _snapshot_binaries(self):
        """Copies the binaries into the run directory: the daemons are rebuilt while we run,
        and a run must use one version throughout. The lease keeper goes beside the agent
        (the agent starts the keeper from its own directory)."""
        bindir = os.path.join(self.root, "bin")
        make_root_dir(bindir)
        extra = {}
        keeper = os.path.join(os.path.dirname(self.bins.get("agent", "")), "poolha-lease-keeper")
        if os.path.exists(keeper):
            extra["keeper"] = keeper
        # The rogue agent of hostile_agent, a test tool of the same build.
        rogue = os.path.join(os.path.dirname(os.path.dirname(self.bins.get("agent", ""))), "tests", "tools", "rogue_agent")
        if os.path.exists(rogue):
            extra["rogue"] = rogue
        self.sources = dict(self.bins, **extra)
        copies = {}
        for kind, path in self.sources.items():
            dst = os.path.join(bindir, os.path.basename(path))
            for attempt in range(60):  # bounded: wait out a relink (file changing or not an ELF yet)
                try:
                    before = os.stat(path)
                    time.sleep(1.0 if attempt == 0 else 2.0)
                    with open(path, "rb") as f:
                        magic = f.read(4)
                    after = os.stat(path)
                    if (before.st_size, before.st_mtime) != (after.st_size, after.st_mtime) or magic != b"\x7fELF":
                        continue
                    shutil.copy2(path, dst)
                    os.chmod(dst, 0o755)
                    if os.path.getsize(dst) == after.st_size:
                        break
                except OSError:
                    pass
            else:
                raise RuntimeError("cannot take a stable copy of %s (still being rebuilt?)" % path)
            copies[kind] = dst
        copies.pop("keeper", None)
        self.bins = copies

    def windows_binaries(self):
        """Copies of the Windows agent and keeper (side by side: the agent starts the keeper
        beside itself) and a wine prefix made once, which each Windows host copies."""
        if self.windows:
            return self.windows
        found = find_windows_agent()
        if not found:
            raise RuntimeError("no Windows agent: run scripts/build-windows.sh (build-win/tests/windows)")
        d = os.path.join(self.root, "bin", "windows")
        make_root_dir(d)
        self.windows = tuple(shutil.copy2(p, os.path.join(d, os.path.basename(p))) for p in found)
        self.wine_template = os.path.join(self.root, "wine-template")
        env = dict(os.environ, POOLHA_WINEPREFIX=self.wine_template)
        subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "windows", "wine-run.sh"),
                        "cmd", "/c", "exit", "0"], env=env, capture_output=True, timeout=300)
        subprocess.run(["wineserver", "-k"], env=dict(os.environ, WINEPREFIX=self.wine_template), capture_output=True)
        return self.windows

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


def default_rule(rid="r1", vip_index=1, home="h1", **over):
    r = {
        "id": rid, "pool": "p1", "vips": [{"cidr": "%s/24" % vip_addr(vip_index)}], "home": home,
        "acquire_script": "acquire.sh", "release_script": "release.sh", "script_timeout_ms": 2000,
        "local_takeover": True, "fixed_target": "", "failback": "manual", "on_arbiter_down": "hold",
        "group": "", "group_order": 0,
        "monitors": [{"name": "port", "kind": "tcp_port", "params": {"port": "9000"}, "interval_ms": 200,
                      "timeout_ms": 200, "threshold": 2}],
    }
    r.update(over)
    return r


def default_node(nid, priority=100, capacity=1, **over):
    n = {"id": nid, "pool": "p1", "labels": {"app": "gw"}, "priority": priority, "capacity": capacity}
    n.update(over)
    return n


class Cluster:
    """A fresh cluster for one scenario.

    hosts: agent host names (h1..); nodes/rules: the cluster objects to apply;
    extra: other plain hosts (e.g. 'foreign'); enrol: a host that enrols with a token.
    """

    def __init__(self, run, name, hosts, rules, nodes=None, extra=(), enrol=None, start_agents=None,
                 client_interval=0.02, log_dir=None, initial_rules=None, pair=False, agent_config=None,
                 pre_start=None, webui_dir=None, windows=()):
        self.run, self.name = run, name
        self.pair = pair  # two controllers + arbiter + standby arbiter, one Raft group
        self.host_names = list(hosts)
        self.rules = rules
        self.nodes = nodes or [default_node(h) for h in hosts]
        self.extra = list(extra)
        self.enrol_host = enrol
        self.start_agents = list(hosts) if start_agents is None else list(start_agents)
        self.client_interval = client_interval
        self.initial_rules = initial_rules  # rule ids applied at build (default: all)
        self.agent_config = agent_config or {}  # host -> extra agent.yaml keys
        self.pre_start = pre_start  # called with the cluster once files are written, before any daemon starts
        # The built console the controllers serve (webui/dist); none: a folder that does not exist.
        self.webui_dir = webui_dir or os.path.join(run.root, "no-webui")
        self.topo = topology.Topology(run.prefix)
        self.dir = os.path.join(run.root, "c")
        self.log_dir = log_dir or os.path.join(run.root, "logs", name)
        self.procs = None
        self.client = None
        self.watcher = None
        self.client_out = os.path.join(self.log_dir, "client.records")
        self.notes = []
        # Hosts whose agent is the Windows one under wine, each in a wine prefix of its own
        # (its wineserver then lives in the host's namespace, where wine makes its sockets).
        self.windows = set(windows)
        if self.windows:
            self.run.windows_binaries()

    def wine_env(self, h):
        return {"WINEPREFIX": os.path.join(self.hdir(h), "wine"), "WINEDEBUG": "-all",
                "WINEDLLOVERRIDES": "winemenubuilder.exe,mscoree,mshtml=d", "POOLHA_VIP_SHIM": VIP_SHIM}

    def agent_argv(self, h, *args):
        if h in self.windows:
            return ["wine", self.run.windows[0]] + list(args)
        return [self.run.bins["agent"]] + list(args)

    def agent_config_path(self, h):
        path = os.path.join(self.hdir(h), "agent.yaml")
        return zpath(path) if h in self.windows else path

    # ---- paths -------------------------------------------------------------------------
    def hdir(self, host):
        return os.path.join(self.dir, host)

    def vips(self):
        out = []
        for r in self.rules:
            out += [v["cidr"].split("/")[0] for v in r["vips"]]
        return out

    def rule_vip(self, rid):
        for r in self.rules:
            if r["id"] == rid:
                return r["vips"][0]["cidr"].split("/")[0]
        raise KeyError(rid)

    # ---- build -------------------------------------------------------------------------
    def build(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        make_root_dir(self.dir)
        os.makedirs(self.log_dir, exist_ok=True)
        self.procs = processes.ProcessSet(self.topo, self.log_dir)
        self.topo.create()
        self.topo.add_host("ctl1", CTL_ADDR)
        self.topo.add_host("arb1", ARB_ADDR)
        if self.pair:
            self.topo.add_host("ctl2", CTL2_ADDR)
            self.topo.add_host("arb2", ARB2_ADDR)
        for i, h in enumerate(self.host_names):
            self.topo.add_host(h, host_addr(int(h[1:]) if h[1:].isdigit() else 50 + i))
        for i, h in enumerate(self.extra):
            self.topo.add_host(h, FOREIGN_ADDR if h == "foreign" else "198.18.0.%d" % (230 + i))
        self.topo.add_host("client", CLIENT_ADDR)
        self._configs()
        if self.pre_start:
            self.pre_start(self)
        self.start_controller()
        self.start_arbiter()
        if self.pair:
            self.start_controller("ctl2")
            self.start_arbiter("arb2")
        for h in self.host_names:
            gateway.start(self.procs, h)
        self._wait_api()
        for h in self.host_names:
            if h == self.enrol_host and h in self.start_agents:  # else the scenario enrols it
                self.enrol(h)
        for h in self.start_agents:
            self.start_agent(h)
        self.wait_agents_connected(self.start_agents, timeout=10)
        # Nodes first, rules once every started node is up with its subnets known: else a
        # rule lands on whichever node the engine hears first rather than on its home.
        self.apply({"pools": [{"id": "p1"}], "nodes": self.nodes})
        ok, waited, st = self.wait(lambda st: all(
            self.node_state(h, st).get("liveness") == "up" and self.node_state(h, st).get("subnets")
            for h in self.start_agents), 10)
        if not ok:
            self.notes.append("nodes not all up before the rules were applied: %s" % {
                h: self.node_state(h, st).get("liveness") for h in self.start_agents} if st else "no status")
        objs = self.cluster_yaml()
        if self.initial_rules is not None:
            objs["rules"] = [r for r in self.rules if r["id"] in self.initial_rules]
        self.apply(objs)

    def controller_addrs(self):
        """The address of every controller (what agents heartbeat to)."""
        return [CTL_ADDR, CTL2_ADDR] if self.pair else [CTL_ADDR]

    def enrol_endpoint(self):
        """Where agents enrol: the active controller (through the controller VIP in a pair:
        only the active one spends tokens, a standby refuses)."""
        return (CTL_VIP if self.pair else CTL_ADDR) + ":7401"

    def control_plane(self):
        """(name, role, address) of every control-plane member."""
        out = [("ctl1", "controller", CTL_ADDR), ("arb1", "arbiter", ARB_ADDR)]
        if self.pair:
            out += [("ctl2", "controller", CTL2_ADDR), ("arb2", "arbiter", ARB2_ADDR)]
        return out

    def _configs(self):
        pki = self.run.pki
        for name, role, _ in self.control_plane():
            d = self.hdir(name)
            make_root_dir(d)
            make_root_dir(os.path.join(d, "state"))
        members = []
        for name, role, addr in self.control_plane():
            m = {"id": name, "role": role, "address": addr + ":7403"}
            if role == "controller":
                m["api"] = addr + ":7443"
            else:
                m["witness"] = addr + ":7400"
            if name == "arb2":
                m["standby"] = True
            members.append(m)
        for name, role, addr in self.control_plane():
            ca, crt, key = pki.files(name)
            if role == "controller":
                cfg = {"name": name, "state_dir": os.path.join(self.hdir(name), "state"),
                       "tls": {"ca": ca, "cert": crt, "key": key}, "log_level": "info",
                       "listen_agents": addr + ":7400", "webui_dir": self.webui_dir}
                cfg["ca_key"] = os.path.join(pki.dir, "ca.key")
                if self.pair:
                    # Enrolment and the API answer on any address, so through the controller VIP.
                    cfg.update({"listen_api": "0.0.0.0:7443", "listen_enrol": "0.0.0.0:7401",
                                "controller_vip": {"cidr": CTL_VIP + "/24"},
                                "cluster": {"listen": addr + ":7403", "members": members}})
                else:  # a cluster of one voter, the arbiter its witness
                    cfg.update({"listen_enrol": CTL_ADDR + ":7401", "listen_api": API, "arbiter": ARB_ADDR + ":7400"})
                write_file(os.path.join(self.hdir(name), "controller.yaml"), yamlout.dumps(cfg))
            else:
                cfg = {"name": name, "tls": {"ca": ca, "cert": crt, "key": key}, "listen": addr + ":7400",
                       "log_level": "info"}
                if self.pair:
                    cfg.update({"state_dir": os.path.join(self.hdir(name), "state"),
                                "cluster": {"listen": addr + ":7403", "members": members}})
                write_file(os.path.join(self.hdir(name), "arbiter.yaml"), yamlout.dumps(cfg))
        for h in self.host_names:
            d = self.hdir(h)
            for sub in ("", "scripts", "state", "tls"):
                make_root_dir(os.path.join(d, sub))
            for kind in ("acquire", "release"):
                if h in self.windows:
                    write_file(os.path.join(d, "scripts", kind + ".bat"), BAT_SCRIPT.format(kind=kind, host=h, dir=zpath(d)),
                               0o755)
                else:
                    write_file(os.path.join(d, "scripts", kind + ".sh"), SCRIPT.format(kind=kind, host=h, dir=d), 0o755)
            tls = os.path.join(d, "tls")
            shutil.copy(os.path.join(pki.dir, "ca.crt"), os.path.join(tls, "ca.crt"))
            if h != self.enrol_host:
                pki.issue(h, "agent")
                _, crt, key = pki.files(h)
                shutil.copy(crt, os.path.join(tls, h + ".crt"))
                shutil.copy(key, os.path.join(tls, h + ".key"))
                os.chmod(os.path.join(tls, h + ".key"), 0o600)
            agent_cfg = {
                "node_id": h, "state_dir": os.path.join(d, "state"), "script_dir": os.path.join(d, "scripts"),
                "tls": {"ca": os.path.join(tls, "ca.crt"), "cert": os.path.join(tls, h + ".crt"),
                        "key": os.path.join(tls, h + ".key")},
                "members": [{"name": n, "address": a + ":7400", "role": r} for n, r, a in self.control_plane()],
                "isolation_address": topology.SWITCH_ADDR, "log_level": "info",
                "vip_subnets": [VIP_SUBNET], "vip_interfaces": ["eth0"]}
            if h in self.windows:
                for key in ("state_dir", "script_dir"):
                    agent_cfg[key] = zpath(agent_cfg[key])
                agent_cfg["tls"] = {k: zpath(v) for k, v in agent_cfg["tls"].items()}
                shutil.copytree(self.run.wine_template, os.path.join(d, "wine"), symlinks=True)
            agent_cfg.update(self.agent_config.get(h, {}))
            write_file(os.path.join(d, "agent.yaml"), yamlout.dumps(agent_cfg))

    def cluster_yaml(self):
        return {"pools": [{"id": "p1"}], "nodes": self.nodes, "rules": self.rules}

    def apply(self, objects=None):
        path = os.path.join(self.hdir("ctl1"), "cluster.yaml")
        write_file(path, yamlout.dumps(objects or self.cluster_yaml()))
        p = self.ctl(["apply", "-f", path])
        if p.returncode != 0:
            raise RuntimeError("poolhactl apply failed (%d): %s %s" % (p.returncode, p.stdout, p.stderr))
        return p

    # ---- daemons -------------------------------------------------------------------------
    @staticmethod
    def proc_name(member):
        """Process names: "controller"/"arbiter" for the first of each, else their member name."""
        return {"ctl1": "controller", "arb1": "arbiter"}.get(member, member)

    def start_controller(self, name="ctl1"):
        return self.procs.start(self.proc_name(name), name, [self.run.bins["controller"], "run", "--config",
                                                             os.path.join(self.hdir(name), "controller.yaml")])

    def start_arbiter(self, name="arb1"):
        return self.procs.start(self.proc_name(name), name, [self.run.bins["arbiter"], "run", "--config",
                                                             os.path.join(self.hdir(name), "arbiter.yaml")])

    def start_agent(self, h):
        if h in self.windows:
            helper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vip_shim_helper.py")
            self.procs.start("vipshim-" + h, h, ["python3", helper, VIP_SHIM])
            port = VIP_SHIM.rsplit(":", 1)[1]
            for _ in range(50):  # bounded: the helper listens within a fraction of a second
                if self.topo.run_in(h, ["sh", "-c", "ss -ltn | grep -q ':%s '" % port], timeout=3).returncode == 0:
                    break
                time.sleep(0.05)
            return self.procs.start("agent-" + h, h, self.agent_argv(h, "run", "--config", self.agent_config_path(h)),
                                    env=self.wine_env(h))
        return self.procs.start("agent-" + h, h, [self.run.bins["agent"], "run", "--config",
                                                  os.path.join(self.hdir(h), "agent.yaml")])

    def agent(self, h):
        return self.procs.by_name("agent-" + h)

    def keeper_pids(self, h):
        """Processes in h's namespace other than the agent and the gateway (= the keeper)."""
        known = {p.pid for p in self.procs.procs if p.host == h and p.alive()}
        return [pid for pid in topology.ns_pids(self.topo.ns(h)) if pid not in known]

    def install_msi(self, h, msi):
        """Installs the Windows agent on h from its MSI, silently, as an operator would
        (docs/windows.md): both services under wine's service manager in h's namespace,
        configured and enrolled by the first start from the properties. Wine ends its
        services with the last ordinary process of the prefix, so one is kept running."""
        token = self.new_token(h)
        env = self.wine_env(h)
        self.procs.start("wine-session-" + h, h, ["wine", "cmd", "/c", "ping -n 3600 127.0.0.1 >nul"], env=env)
        ca = zpath(os.path.join(self.run.pki.dir, "ca.crt"))
        members = ",".join("%s=%s:7400" % (n, a) for n, r, a in self.control_plane() if r == "controller")
        arbiters = ",".join("%s=%s:7400" % (n, a) for n, r, a in self.control_plane() if r == "arbiter")
        argv = ["wine", "msiexec", "/i", msi, "/qn", "NODE_ID=" + h, "CONTROLLERS=" + members, "ARBITER=" + arbiters,
                "CA_FILE=" + ca, "ENROL_ADDRESS=" + self.enrol_endpoint(), "ENROL_TOKEN=" + token]
        with open(self.procs.log_path("msiexec-" + h), "w") as log:
            rc = subprocess.run(["ip", "netns", "exec", self.topo.ns(h)] + argv, stdout=log, stderr=subprocess.STDOUT,
                                timeout=180, env=dict(os.environ, **env)).returncode
        if rc != 0:
            raise RuntimeError("msiexec /i on %s exited %d" % (h, rc))
        self.notes.append("%s installed from the MSI" % h)

    def msi_log(self, h, name="poolha-agent"):
        path = os.path.join(self.hdir(h), "wine", "drive_c", "ProgramData", "poolha", "log", name + ".log")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def new_token(self, h):
        """A one-time enrolment token for node h (`poolhactl token create`)."""
        p = self.ctl(["--json", "token", "create", h])
        if p.returncode == 2:  # --json only after the command words
            p = self.ctl(["token", "create", h, "--json"])
        if p.returncode != 0:
            raise RuntimeError("token create failed: %s %s" % (p.stdout, p.stderr))
        token = parse_token(p.stdout)
        if not token:
            raise RuntimeError("no token in `poolhactl token create` output: %r" % p.stdout)
        return token

    def enrol(self, h, token=None, endpoint=None):
        """`poolha-agent enrol` on host h with `token` (default: a new one) at `endpoint`
        (default: enrol_endpoint()); RuntimeError with the agent's output if refused."""
        token = token or self.new_token(h)
        log = self.procs.log_path("enrol-" + h)
        argv = self.agent_argv(h, "enrol", "--config", self.agent_config_path(h), "--controller",
                               endpoint or self.enrol_endpoint(), "--token", token)
        if h in self.windows:
            e = subprocess.run(["ip", "netns", "exec", self.topo.ns(h)] + argv, capture_output=True, text=True,
                               errors="replace", timeout=120, env=dict(os.environ, **self.wine_env(h)))
        else:
            e = self.topo.run_in(h, argv, timeout=20)
        with open(log, "w") as f:
            f.write("rc=%d\n%s\n%s\n" % (e.returncode, e.stdout, e.stderr))
        if e.returncode != 0:
            raise RuntimeError("poolha-agent enrol failed (%d): %s %s" % (e.returncode, e.stdout, e.stderr))
        self.run.enrolled_once = True
        self.notes.append("%s enrolled with a one-time token" % h)

    def _wait_api(self, timeout=10):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            p = self.ctl(["status", "--json"], timeout=3)
            if p.returncode == 0:
                return
            last = (p.stdout + p.stderr).strip()
            if not any(p and p.alive() for p in (self.procs.by_name("controller"), self.procs.by_name("ctl2"))):
                raise RuntimeError("controller exited: " + processes.tail(self.procs.log_path("controller"), 15))
            time.sleep(0.2)
        raise RuntimeError("controller API not ready in %ds: %s" % (timeout, last))

    def ctl(self, args, timeout=10):
        """Runs poolhactl inside the controller's namespace (a pair: from the client's,
        through the controller VIP, whichever controller is active)."""
        argv = [self.run.bins["cli"], "--api", PAIR_API if self.pair else API, "--tls-dir", self.run.pki.dir] + args
        try:
            return self.topo.run_in("client" if self.pair else "ctl1", argv, timeout=timeout)
        except Exception as e:  # timeout: report as a failed call
            import subprocess
            return subprocess.CompletedProcess(argv, 124, "", "poolhactl: %s" % e)

    def status(self):
        p = self.ctl(["status", "--json"], timeout=5)
        if p.returncode != 0:
            return None
        try:
            return json.loads(p.stdout)
        except ValueError:
            return None

    def rule_state(self, rid, st=None):
        st = st or self.status() or {}
        return st.get("state", {}).get("rules", {}).get(rid, {})

    def node_state(self, nid, st=None):
        st = st or self.status() or {}
        return st.get("state", {}).get("nodes", {}).get(nid, {})

    def events(self, limit=1000):
        """History rows (newest first): {id, time_ms, kind, rule, node, outcome, detail, ...}."""
        p = self.ctl(["events", "--json", "--limit", str(limit)], timeout=5)
        if p.returncode != 0:
            p = self.ctl(["events", "--json"], timeout=5)
        if p.returncode != 0:
            return []
        try:
            data = json.loads(p.stdout)
        except ValueError:
            return []
        if isinstance(data, dict):
            data = data.get("events", [])
        return data if isinstance(data, list) else []

    def last_event_id(self):
        ids = [e.get("id", 0) for e in self.events(limit=5) if isinstance(e, dict)]
        return max(ids) if ids else 0

    def alerts(self, code=None, since_id=0):
        """Alert events ("alert:<code>") newer than since_id, oldest first."""
        out = []
        for e in self.events():
            if not isinstance(e, dict) or e.get("id", 0) <= since_id:
                continue
            kind = str(e.get("kind", ""))
            if kind.startswith("alert:") and (code is None or kind == "alert:" + code):
                out.append(e)
        return sorted(out, key=lambda e: e.get("id", 0))

    def alert_codes(self, since_id=0):
        return [e["kind"][6:] for e in self.alerts(None, since_id)]

    def _arbiter_has(self, hosts):
        """True once the arbiter's log shows a session from every host (the arbiter
        turns agents away for its first second, and agents retry with a backoff)."""
        p = self.procs.by_name("arbiter") if self.procs else None
        if not p or not p.alive():
            return True  # scenarios that run without an arbiter
        try:
            with open(p.log_path) as f:
                text = f.read()
        except OSError:
            return False
        return all(("agent %s from " % h) in text and " connected" in text.split("agent %s from " % h)[-1].split("\n")[0]
                   for h in hosts)

    def wait_agents_connected(self, hosts, timeout=10):
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.status()
            if st:
                nodes = st.get("state", {}).get("nodes", {})
                agents = st.get("agents", {})
                if all(agents.get(h, {}).get("connected") or nodes.get(h, {}).get("liveness") == "up"
                       for h in hosts) and self._arbiter_has(hosts):
                    return True
            time.sleep(0.2)
        self.notes.append("agents not all connected after %ds" % timeout)
        return False

    def wait(self, pred, timeout, period=0.1):
        """Polls status until pred(status) is true; returns (ok, seconds waited, last status)."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        st = None
        while True:
            st = self.status()
            if st is not None and pred(st):
                return True, time.monotonic() - t0, st
            if time.monotonic() >= deadline:
                return False, time.monotonic() - t0, st
            time.sleep(period)

    def wait_rule(self, rid, phase="running", primary=None, timeout=10, standby=None):
        def ok(st):
            r = self.rule_state(rid, st)
            return (r.get("phase") == phase and (primary is None or r.get("primary") == primary)
                    and (standby is None or r.get("standby") == standby))
        return self.wait(ok, timeout)

    # ---- observers -----------------------------------------------------------------------
    def start_observers(self):
        ns = {h: self.topo.ns(h) for h in self.host_names}
        watched = self.vips()
        if self.pair:  # the controller VIP, on the controllers, under the same §6.1 check
            ns.update({"ctl1": self.topo.ns("ctl1"), "ctl2": self.topo.ns("ctl2")})
            watched = watched + [CTL_VIP]
        self.watcher = watcher_mod.VipWatcher(ns, watched)
        self.watcher.start()
        self.client = client_mod.start(self.procs, self.vips(), self.client_out, interval=self.client_interval)
        time.sleep(0.5)

    def records(self):
        return client_mod.Records(self.client_out)

    def script_log(self, h):
        try:
            with open(os.path.join(self.hdir(h), "script.log")) as f:
                return f.read().splitlines()
        except OSError:
            return []

    def marker(self, h, name, on=True):
        path = os.path.join(self.hdir(h), name)
        if on:
            write_file(path, "")
        elif os.path.exists(path):
            os.unlink(path)

    # ---- faults --------------------------------------------------------------------------
    def crash(self, h):
        """Host crash: cable out, every process SIGKILLed, run-time addresses gone."""
        self.topo.link(h, False)
        self.procs.crash_host(h)
        self.topo.drop_extra_addresses(h)

    def boot(self, h):
        """Host comes back: cable in, gateway and agent started again."""
        self.topo.link(h, True)
        gateway.start(self.procs, h)
        self.start_agent(h)

    def kill_gateway(self, h):
        p = self.procs.by_name("gateway-" + h)
        if p:
            p.kill()

    def collect_files(self):
        """Copies what daemons and scripts wrote under the cluster directory into the log dir."""
        for h in self.host_names:
            for rel, name in (("state/lease-keeper.log", "keeper-%s.log"), ("script.log", "scripts-%s.log"),
                              ("script.env.log", "scripts-env-%s.log")):
                src = os.path.join(self.hdir(h), rel)
                if os.path.exists(src):
                    shutil.copy(src, os.path.join(self.log_dir, name % h))
        if self.watcher:
            with open(os.path.join(self.log_dir, "watcher.timeline"), "w") as f:
                for t, h, k, v in self.watcher.timeline:
                    f.write("%.4f %s %s %s\n" % (t, h, k, v))
                for t, v, hs in self.watcher.violations:
                    f.write("%.4f VIOLATION %s %s\n" % (t, v, "+".join(hs)))

    def teardown(self):
        if self.watcher:
            self.watcher.stop()
        if self.procs and self.run.bins and self.procs.by_name("controller") and \
                self.procs.by_name("controller").alive():
            for name, args in (("events.json", ["events", "--json", "--limit", "1000"]),
                               ("status.json", ["status", "--json"])):
                p = self.ctl(args, timeout=5)
                try:
                    write_file(os.path.join(self.log_dir, name), p.stdout or p.stderr)
                except OSError:
                    pass
        if self.procs:
            self.procs.stop_all()
        try:
            self.collect_files()
        except OSError:
            pass
        self.topo.destroy()
        shutil.rmtree(self.dir, ignore_errors=True)

    def logs_for_failure(self, names=None, lines=25):
        out = []
        if not self.procs:
            return ""
        seen = set()
        for p in self.procs.procs:
            if p.name.startswith("gateway") or p.name == "client" or p.name in seen:
                continue
            seen.add(p.name)
            if names and p.name not in names:
                continue
            out.append("--- %s (%s) ---\n%s" % (p.name, p.log_path, processes.tail(p.log_path, lines)))
        for h in self.host_names:
            path = os.path.join(self.hdir(h), "state", "lease-keeper.log")
            if os.path.exists(path) and (not names or "agent-" + h in names):
                out.append("--- keeper-%s ---\n%s" % (h, processes.tail(path, 10)))
        return "\n".join(out)


def parse_token(text):
    """The token from `poolhactl token create` output (JSON {"token":..} or last word)."""
    text = text.strip()
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            for k in ("token", "Token"):
                if k in data:
                    return str(data[k])
    except ValueError:
        pass
    for line in text.splitlines():
        if line.lower().startswith("token"):
            parts = line.replace(":", " ").replace("=", " ").split()
            if len(parts) >= 2:
                return parts[-1]
    words = text.split()
    return words[-1] if words else None
