"""Hostile and messy input (issue 9): a compromised agent attacks the control plane while
the cluster keeps failing over for everyone else; Chinese and GBK script output; monitors
that hang do not hold up commands."""
import json
import os
import time

import cluster as cluster_mod
from scenarios import scenario
from scenarios.common import HOST_CRASH_LIMIT, crash_and_takeover, hosts, settled, standby_of

ROGUE_SECONDS = 10
# GBK bytes (错误), then 启 x 400: 1,200 bytes, which the old 1,024-byte cut split.
CJK_SCRIPT_LINE = "printf '\\264\\355\\316\\363 GBK\\n'; printf '\\345\\220\\257%.0s' $(seq 1 400); echo\n"
HANG_SCRIPT = "#!/bin/sh\nexec sleep 60\n"


@scenario("hostile_agent", "safety")
def hostile_agent(ctx):
    """A compromised agent (a real certificate, node h9) sends oversized, flapping, non-UTF-8 and
    garbage reports, bogus results and an enrolment flood to the controller and the arbiter for
    10 s; meanwhile the primary crashes. The takeover is as fast as without it, the standby's
    three hung monitors do not delay its acquire, Chinese and GBK script output reaches the
    history intact, and the controller, its history and `poolhactl events` stay sound."""
    ctx.log_focus = ["controller", "arbiter", "rogue", "agent-h1", "agent-h2"]
    hang = [{"name": "hang%d" % i, "kind": "script", "params": {"name": "hang.sh"}, "interval_ms": 1000,
             "timeout_ms": 60000, "threshold": 1} for i in range(3)]
    nodes = [cluster_mod.default_node(h) for h in hosts(3)] + [cluster_mod.default_node("h9", capacity=0)]
    c = settled(ctx, nodes=nodes, extra=("rogue",), agent_config={h: {"monitors": hang} for h in ("h2", "h3")},
                pre_start=lambda c: _prepare_hosts(c))
    ctx.require("rogue" in c.run.bins, "rogue_agent not built (tests/tools)")
    sb = standby_of(c)
    c.run.pki.issue("h9", "agent")
    ca, crt, key = c.run.pki.files("h9")
    rogue = c.procs.start("rogue", "rogue", [
        c.run.bins["rogue"], "--ca", ca, "--cert", crt, "--key", key, "--node", "h9",
        "--member", cluster_mod.CTL_ADDR + ":7400", "--member", cluster_mod.ARB_ADDR + ":7400",
        "--enrol", c.enrol_endpoint(), "--vip", "198.18.0.199/24", "--seconds", str(ROGUE_SECONDS)])
    time.sleep(3)
    waited, _ = crash_and_takeover(ctx, c, "h1", sb, limit=HOST_CRASH_LIMIT, label="under attack:")
    ctx.note("takeover on %s reported after %.2fs while the rogue agent ran" % (sb, waited))
    rogue.wait(ROGUE_SECONDS + 10)
    with open(rogue.log_path) as f:
        stats = [json.loads(line) for line in f if line.startswith("{")]
    ctx.check(stats, "the rogue agent printed no statistics")
    if stats:
        s = stats[-1]
        ctx.note("rogue: %(connections)d sessions, %(frames)d frames, %(closed_by_peer)d closed by the peer, "
                 "%(refused)d refused, enrolment %(enrol_closed)d/%(enrol_attempts)d cut" % s)
        ctx.check(s["connections"] >= 3 and s["closed_by_peer"] >= 3,
                  "the rogue's garbage did not cost it its sessions: %s" % s)
        ctx.check(s["enrol_closed"] == s["enrol_attempts"], "an oversized enrolment request was answered: %s" % s)
    # The controller is up and its history readable, by the API and by poolhactl.
    st = c.status()
    ctx.require(st is not None, "the controller does not answer after the attack")
    agent = (st.get("agents") or {}).get("h9") or {}
    ctx.check(agent.get("refused_reports", 0) > 0, "no refused report counted for h9: %s" % agent)
    ctx.check(c.alerts("agent_report_refused"), "no agent_report_refused alert")
    events = c.events(limit=2000)
    ctx.check(not any(e.get("kind") == "enrol" and e.get("outcome") == "refused" for e in events),
              "refused enrolments were written to the history")
    acq = [e for e in events if e.get("kind") == "acquire" and e.get("node") == sb]
    detail = acq[-1].get("detail", "") if acq else ""
    ctx.check("\u542f" * 300 in detail, "the acquire script's Chinese output is not in the history: %r" % detail[:120])
    ctx.check("\ufffd" in detail, "the GBK bytes of the script output were not replaced: %r" % detail[:120])
    p = c.ctl(["events", "--limit", "50"])
    ctx.check(p.returncode == 0, "poolhactl events failed: %s" % p.stderr[-300:])
    ctx.check("\u542f" in p.stdout and "\x1b" not in p.stdout, "poolhactl events: no Chinese, or an escape sequence")
    db = os.path.join(c.hdir("ctl1"), "state", "controller.db")
    size = sum(os.path.getsize(db + sfx) for sfx in ("", "-wal") if os.path.exists(db + sfx))
    ctx.note("controller.db %.1f MiB after the attack" % (size / 2**20))
    ctx.check(size < 32 * 2**20, "controller.db grew to %.1f MiB" % (size / 2**20))
    ctx.figures["hostile_takeover_s"] = waited
    ctx.no_duplicates(c)


def _prepare_hosts(c):
    """Standbys print Chinese and GBK in their acquire script and carry a script that hangs."""
    for h in ("h2", "h3"):
        d = os.path.join(c.hdir(h), "scripts")
        path = os.path.join(d, "acquire.sh")
        with open(path) as f:
            text = f.read()
        text = text.replace('echo "acquire ok"', CJK_SCRIPT_LINE + 'echo "acquire ok"')
        cluster_mod.write_file(path, text, 0o755)
        cluster_mod.write_file(os.path.join(d, "hang.sh"), HANG_SCRIPT, 0o755)
