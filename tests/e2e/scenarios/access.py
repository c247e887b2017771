"""Accounts and the audit trail on the real pair (issue 11): the first accounts created
with poolhactl, an operator certificate acting as its account's roles, a switchover with a
reason and a change ticket, the active controller killed, and the audit trail read and its
hash chain verified on each controller (each keeps its own copy, applied from the log)."""
import json
import os
import shutil
import time

from scenarios import scenario
from scenarios.common import settled
from scenarios.pair import active_of, other, wait_active

import cluster as cluster_mod


def tls_dir_for(c, account):
    """A poolhactl --tls-dir whose operator certificate has CN `account`."""
    c.run.pki.issue(account, "operator")
    d = os.path.join(c.dir, "tls-" + account)
    os.makedirs(d, exist_ok=True)
    ca, crt, key = c.run.pki.files(account)
    shutil.copy(ca, os.path.join(d, "ca.crt"))
    shutil.copy(crt, os.path.join(d, "operator.crt"))
    shutil.copy(key, os.path.join(d, "operator.key"))
    os.chmod(os.path.join(d, "operator.key"), 0o600)
    return d


def ctl_as(c, account, args, api=None, timeout=10):
    argv = [c.run.bins["cli"], "--api", api or cluster_mod.PAIR_API, "--tls-dir", tls_dir_for(c, account)] + args
    return c.topo.run_in("client", argv, timeout=timeout)


@scenario("pair_audit_trail", "pair")
def pair_audit_trail(ctx):
    """Accounts and roles on poolhactl's certificates; a switchover with a reason goes into
    the audit trail; after the active controller is killed the trail is whole on both
    controllers (`poolhactl audit verify` on each), the switchover's record in it."""
    c = settled(ctx, pair=True, enrol="")
    p = c.ctl(["users", "bootstrap", "--account", "admin=sysadmin+operator", "--account", "sec=secadmin",
               "--account", "aud=auditadmin", "--account", "view=viewer", "--json"])
    ctx.require(p.returncode == 0, "users bootstrap failed: %s %s" % (p.stdout, p.stderr))
    made = {a["name"]: a for a in json.loads(p.stdout)["accounts"]}
    ctx.check(all(len(a["one_time_password"]) >= 16 for a in made.values()), "short one-time passwords: %s" % made)
    ctx.check(c.ctl(["users", "bootstrap"]).returncode != 0, "a second bootstrap was accepted")
    # The viewer's certificate reads, and is refused a switchover (403 from the server).
    ctx.check(ctl_as(c, "view", ["status", "--json"]).returncode == 0, "the viewer cannot read the status")
    refused = ctl_as(c, "view", ["switchover", "r1"])
    ctx.check(refused.returncode != 0 and "operate" in refused.stderr, "viewer switchover: %s" % refused.stderr)
    # The operator (admin: sysadmin+operator) switches over with a reason and a ticket.
    sw = c.ctl(["switchover", "r1", "--reason", "月末切换演练", "--ticket", "CHG-2026-11"])
    ctx.require(sw.returncode == 0, "switchover failed: %s %s" % (sw.stdout, sw.stderr))
    w = c.ctl(["wait", "--rule", "r1", "--phase", "running", "--timeout-ms", "10000"], timeout=15)
    ctx.check(w.returncode == 0, "r1 not running after the switchover: %s" % w.stderr)
    # Only the audit administrator reads the trail.
    ctx.check(c.ctl(["audit", "list"]).returncode != 0, "the system administrator read the audit trail")
    act, _ = active_of(c)
    ctx.require(act, "no active controller")
    t0 = time.monotonic()
    c.procs.by_name(c.proc_name(act)).kill()
    took = wait_active(c, other(act), t0, 8)
    ctx.require(took is not None, "%s not active after %s was killed" % (other(act), act))
    lst = ctl_as(c, "aud", ["audit", "list", "--json", "--limit", "1000"])
    ctx.require(lst.returncode == 0, "audit list on %s failed: %s" % (other(act), lst.stderr))
    records = json.loads(lst.stdout)["records"]
    sw_rec = [r for r in records if r["action"] == "switchover" and r["account"] == "admin"]
    ctx.check(sw_rec and sw_rec[0]["reason"] == "月末切换演练" and sw_rec[0]["ticket"] == "CHG-2026-11"
              and sw_rec[0]["result"] == "ok", "switchover record: %s" % sw_rec)
    denied = [r for r in records if r["action"] == "access.denied" and r["account"] == "view"]
    ctx.check(bool(denied), "the viewer's refused switchover is not in the audit trail")
    v = ctl_as(c, "aud", ["audit", "verify"])
    ctx.check(v.returncode == 0, "audit verify on %s: %s %s" % (other(act), v.stdout, v.stderr))
    ctx.note("%s killed; on %s: %s" % (act, other(act), v.stdout.strip()))
    # The killed controller comes back as standby and catches up; its own copy verifies.
    c.start_controller(act)
    addr = {"ctl1": cluster_mod.CTL_ADDR, "ctl2": cluster_mod.CTL2_ADDR}[act] + ":7443"
    deadline = time.monotonic() + 15
    while True:
        v2 = ctl_as(c, "aud", ["audit", "verify"], api=addr)
        if v2.returncode == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    ctx.check(v2.returncode == 0, "audit verify on the restarted %s: %s %s" % (act, v2.stdout, v2.stderr))
    ctx.note("restarted %s (standby): %s" % (act, v2.stdout.strip()))
    ctx.figures["api_via_controller_vip_s"] = took
