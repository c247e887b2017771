"""The Windows agent in a mixed pool (issue 12 §3): two Linux hosts (h1, h2) and two
Windows hosts (h3, h4) whose agents run under wine, each in its host's namespace with a
wine prefix of its own, against the real controller pair and arbiters.

Wine has no IP Helper address calls, so on h3 and h4 the VIP is added, removed, probed
and announced through THE VIP TEST SHIM (tests/windows/vip_shim.h, helper
tests/e2e/vip_shim_helper.py): everything else — the agent's wire protocol, enrolment,
heartbeats, roles, monitors, scripts (cmd.exe), the lease and its keeper — is the
Windows agent's own code. The failover time on h3/h4 is therefore a wine-with-shim
figure, not a Windows one (docs/windows.md has the checklist for a real 2012 R2 host).
"""
import glob
import os
import time

import cluster as cluster_mod
import gateway
from scenarios import scenario
from scenarios.common import HOST_CRASH_LIMIT, crash_and_takeover, script_events, settled

# A takeover on the wine hosts: the agent under wine starts its scripts through cmd.exe,
# which under wine takes ~70 ms a run, and the shim adds a round trip per address call.
WINE_TAKEOVER_LIMIT = 4.0


def rss_mib(c, host, exe):
    """Resident memory (MiB) of the wine process running `exe` on host (wine gives the
    process its Windows command line, whose first word is the .exe)."""
    import topology
    for pid in topology.ns_pids(c.topo.ns(host)):
        try:
            argv0 = open("/proc/%d/cmdline" % pid, "rb").read().split(b"\0")[0].decode(errors="replace")
            if argv0.lower().endswith(exe):
                for line in open("/proc/%d/status" % pid):
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024.0
        except OSError:
            pass
    return None


@scenario("windows_mixed_pool", "windows")
def windows_mixed_pool(ctx):
    """A Windows agent under wine enrols with a token, heartbeats, takes its role and reports
    its monitor (a failed gateway moves the Windows rule, scripts and all); the Windows rule
    fails over between the two Windows hosts when its primary crashes, and a Linux rule
    between the two Linux hosts; a rule only ever runs on nodes of its own os."""
    ctx.log_focus = ["controller", "agent-h3", "agent-h4", "vipshim-h3", "vipshim-h4"]
    if not cluster_mod.find_windows_agent():
        ctx.require(False, "no Windows agent built (scripts/build-windows.sh)")
    rules = [cluster_mod.default_rule("rl", vip_index=1, home="h1"),
             cluster_mod.default_rule("rw", vip_index=2, home="h3", os="windows", acquire_script="acquire.bat",
                                      release_script="release.bat", script_timeout_ms=5000)]
    nodes = [cluster_mod.default_node("h1"), cluster_mod.default_node("h2"),
             cluster_mod.default_node("h3", os="windows"), cluster_mod.default_node("h4", os="windows")]
    t_build = time.monotonic()
    c = settled(ctx, host_names=["h1", "h2", "h3", "h4"], rules=rules, nodes=nodes, windows=("h3", "h4"),
                enrol="h4", pair=True, expect={"rl": "h1", "rw": "h3"})
    ctx.note("mixed pool settled %.1fs after the build began (wine prefixes included)" % (time.monotonic() - t_build))
    st = c.status() or {}
    rw, rl = c.rule_state("rw", st), c.rule_state("rl", st)
    ctx.check(rw.get("standby") == "h4", "rw standby %s, expected the other Windows host h4" % rw.get("standby"))
    ctx.check(rl.get("standby") == "h2", "rl standby %s, expected the other Linux host h2" % rl.get("standby"))
    ctx.check(any("h4 enrolled with a one-time token" in n for n in c.notes), "the Windows host h4 did not enrol")
    for h in ("h3", "h4"):
        n = c.node_state(h, st)
        ctx.check(n.get("liveness") == "up", "Windows node %s liveness %s" % (h, n.get("liveness")))
    ctx.note("Windows node h3 as the controller sees it: %s" % {k: v for k, v in c.node_state("h3", st).items()
                                                               if k in ("liveness", "os", "subnets", "roles")})
    acq = [e for e in script_events(c, "h3") if e["kind"] == "acquire"]
    ctx.check(len(acq) == 1 and acq[0]["rule"] == "rw", "acquire.bat on h3: %s" % acq)
    for h, exe in (("h3", "poolha-agent-vipshim.exe"), ("h3", "poolha-keeper-vipshim.exe")):
        mib = rss_mib(c, h, exe)
        ctx.figures["wine_rss_mib_" + exe.split("-")[1]] = mib
        ctx.note("memory under wine on %s: %s %s MiB resident (wine process; not a Windows figure)" %
                 (h, exe, "%.1f" % mib if mib is not None else "?"))

    # The Windows agent's monitor: the gateway on h3 dies, its tcp_port monitor (run by the
    # Windows agent) confirms it, the controller moves rw to h4 (release.bat, acquire.bat).
    since = {h: len(c.script_log(h)) for h in ("h3", "h4")}
    waited, _ = crash_and_takeover(ctx, c, "h3", "h4", rid="rw", limit=0.6 + WINE_TAKEOVER_LIMIT, timeout=15,
                                   label="windows monitor (wine + VIP shim)", fault=lambda: c.kill_gateway("h3"))
    ctx.figures["windows_monitor_switch_wine_shim_s"] = waited
    mons = [e for e in c.events() if e.get("kind") == "monitor" and e.get("outcome") == "failed" and
            e.get("node") in ("h3", None)]
    ctx.check(mons, "no monitor-failed event from the Windows agent on h3")
    rel = [e for e in script_events(c, "h3", since["h3"]) if e["kind"] == "release"]
    acq = [e for e in script_events(c, "h4", since["h4"]) if e["kind"] == "acquire"]
    ctx.check(len(rel) == 1 and rel[0]["new"] == "h4", "release.bat on h3 (POOLHA_NEW_NODE=h4): %s" % rel)
    ctx.check(len(acq) == 1 and acq[0]["old"] == "h3" and acq[0]["new"] == "h4",
              "acquire.bat on h4 (POOLHA_OLD_NODE=h3, POOLHA_NEW_NODE=h4): %s" % acq)

    # The gateway on h3 is back; h3 is rw's standby again. Then h4 crashes: rw returns to h3.
    gateway.start(c.procs, "h3")
    ok, _, st = c.wait(lambda st: c.rule_state("rw", st).get("standby") == "h3", 10)
    ctx.require(ok, "h3 not rw's standby again after its gateway came back: %s" % (c.rule_state("rw", st) if st else None))
    waited, _ = crash_and_takeover(ctx, c, "h4", "h3", rid="rw", limit=WINE_TAKEOVER_LIMIT, timeout=15,
                                   label="windows crash (wine + VIP shim)")
    ctx.figures["windows_takeover_wine_shim_s"] = waited
    ctx.note("rw (Windows) running on h3 %.2fs after h4 crashed (wine + VIP shim, not a Windows figure)" % waited)

    # The Linux rule in the same pool: unaffected by the above, then its own takeover.
    waited, _ = crash_and_takeover(ctx, c, "h1", "h2", rid="rl", limit=HOST_CRASH_LIMIT, label="linux")
    ctx.note("rl (Linux) running on h2 %.2fs after h1 crashed" % waited)
    st = c.status() or {}
    ctx.check(c.rule_state("rw", st).get("primary") == "h3", "rw moved when a Linux host crashed: %s" %
              c.rule_state("rw", st))
    ctx.no_duplicates(c)


@scenario("windows_msi_join", "windows")
def windows_msi_join(ctx):
    """A Windows host installed from the MSI, silently, with the documented properties,
    under wine's service manager in its namespace: the agent service writes agent.yaml,
    enrols with the one-time token through the controller VIP, starts its keeper service's
    watch and joins the pair: the node is up. (No VIP is involved: the MSI's agent has the
    real IP Helper calls, which wine lacks.)"""
    ctx.log_focus = ["controller", "msiexec-h5"]
    found = cluster_mod.find_windows_agent()
    msi = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(found[0])), "..", "packaging", "windows",
                                        "poolha-agent-*-x64.msi"))) if found else []
    ctx.require(msi, "no MSI built (scripts/build-windows.sh)")
    rules = [cluster_mod.default_rule("rl", vip_index=1, home="h1")]
    nodes = [cluster_mod.default_node("h1"), cluster_mod.default_node("h2"), cluster_mod.default_node("h5", os="windows")]
    # enrol=h2: the harness enrols one host per run with `poolha-agent enrol`; here h5 must
    # enrol by itself, from the MSI's properties.
    c = settled(ctx, host_names=["h1", "h2", "h5"], rules=rules, nodes=nodes, windows=("h5",), pair=True,
                start_agents=["h1", "h2"], enrol="h2", expect={"rl": "h1"})
    t0 = time.monotonic()
    c.install_msi("h5", msi[-1])
    ok, waited, st = c.wait(lambda st: c.node_state("h5", st).get("liveness") == "up", 60)
    ctx.check(ok, "h5 (installed from the MSI) not up %.1fs after msiexec: %s; agent log: %s" % (
        time.monotonic() - t0, c.node_state("h5", st) if st else None, c.msi_log("h5")[-600:]))
    ctx.figures["msi_install_to_node_up_s"] = time.monotonic() - t0
    ctx.note("h5 up %.1fs after msiexec /i began (install, first start, enrolment, join; under wine)" %
             (time.monotonic() - t0))
    log = c.msi_log("h5")
    ctx.check("wrote C:\\ProgramData\\poolha\\agent.yaml from the installer's properties" in log,
              "the agent service did not write agent.yaml from the properties")
    ctx.check("enrolled with " in log, "the agent service did not enrol")
    ctx.check(c.msi_log("h5", "poolha-keeper").find("watching") >= 0, "the keeper service does not watch the lease")


@scenario("windows_agent_hung", "windows")
def windows_agent_hung(ctx):
    """The Windows primary's agent is suspended (SIGSTOP to its wine process): the keeper,
    poolha-keeper under wine, removes the VIP once the lease lapses, the other Windows host
    takes over with no duplicate; resumed, the agent comes back as idle."""
    import signal
    from scenarios.common import back_idle_after_sigcont
    ctx.log_focus = ["controller", "agent-h3", "agent-h4", "vipshim-h3", "vipshim-h4"]
    if not cluster_mod.find_windows_agent():
        ctx.require(False, "no Windows agent built (scripts/build-windows.sh)")
    rules = [cluster_mod.default_rule("rw", vip_index=2, home="h3", os="windows", acquire_script="acquire.bat",
                                      release_script="release.bat", script_timeout_ms=5000)]
    nodes = [cluster_mod.default_node(h, os="windows") for h in ("h3", "h4")]
    c = settled(ctx, host_names=["h3", "h4"], rules=rules, nodes=nodes, windows=("h3", "h4"), pair=True,
                expect={"rw": "h3"})
    agent = c.agent("h3")
    waited, t0 = crash_and_takeover(ctx, c, "h3", "h4", rid="rw", limit=WINE_TAKEOVER_LIMIT, timeout=15,
                                    label="windows agent suspended (wine + VIP shim)",
                                    fault=lambda: agent.signal(signal.SIGSTOP))
    shim_log = open(c.procs.log_path("vipshim-h3"), errors="replace").read()
    ctx.check("del eth0 198.18.0.102/24 -> ok" in shim_log, "the keeper on h3 did not remove the VIP (shim log)")
    ctx.note("rw running on h4 %.2fs after h3's agent was suspended; the keeper removed the VIP on h3" % waited)
    agent.signal(signal.SIGCONT)
    back_idle_after_sigcont(ctx, c, "h3", "rw", "h4", up_timeout=8)
    ctx.no_duplicates(c)
