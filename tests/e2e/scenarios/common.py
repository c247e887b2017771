"""Steps most scenarios share: a settled cluster, a crash with takeover, script-log reads."""
import re
import time

import cluster as cluster_mod

HOST_CRASH_LIMIT = 2.0  # design §4: primary host crash, reboot, network down
MONITOR_LIMIT = 1.0  # design §4: after the failure is confirmed
SWITCH_LIMIT = 0.5  # design §4: forced / manual switch
STANDBY_LIMIT = 0.5  # design §4: standby reassignment
NO_OUTAGE = 0.15  # "no outage": no gap beyond the client's normal rhythm (20 ms) plus load jitter
SUSPECT_AFTER = 0.6  # rules::Settings::suspect_after_ms


def hosts(n):
    return ["h%d" % i for i in range(1, n + 1)]


def settled(ctx, n_hosts=3, rules=None, nodes=None, expect=None, want_standby=True, **kw):
    """Builds a cluster, waits until every rule runs where `expect` says (default: its home)
    with a standby, starts the watcher and client and checks the client's baseline."""
    hs = kw.pop("host_names", None) or hosts(n_hosts)
    rules = rules or [cluster_mod.default_rule()]
    c = ctx.cluster(hs, rules, nodes=nodes, **kw)
    expect = expect or {r["id"]: r.get("home") for r in rules
                        if c.initial_rules is None or r["id"] in c.initial_rules}
    for rid, home in expect.items():
        ok, waited, st = c.wait(lambda st, rid=rid, home=home: _placed(c, st, rid, home, want_standby), 15)
        ctx.require(ok, "rule %s not running on %s with a standby after %.1fs: %s" % (
            rid, home, waited, c.rule_state(rid, st) if st else "no status"))
    c.start_observers()
    time.sleep(0.7)
    rec = c.records()
    st = c.status() or {}
    for rid, home in expect.items():
        vip = c.rule_vip(rid)
        want = home or c.rule_state(rid, st).get("primary")
        ctx.require(rec.last_host(vip) == want, "baseline: %s answered by %s, expected %s" % (
            vip, rec.last_host(vip), want))
    return c


def _placed(c, st, rid, home, want_standby):
    r = c.rule_state(rid, st)
    return (r.get("phase") == "running" and (home is None or r.get("primary") == home)
            and (not want_standby or bool(r.get("standby"))))


def standby_of(c, rid="r1"):
    return c.rule_state(rid).get("standby") or ""


def crash_and_takeover(ctx, c, victim, expect, rid="r1", limit=HOST_CRASH_LIMIT, timeout=8, label="", fault=None,
                       max_changes=1):
    """Crashes victim (or runs fault()), waits until rid runs on expect, measures the outage.

    Returns (takeover seconds as the controller reports it, t0)."""
    vip = c.rule_vip(rid)
    t0 = time.monotonic()
    (fault or (lambda: c.crash(victim)))()
    ok, waited, st = c.wait_rule(rid, "running", primary=expect, timeout=timeout)
    r = c.rule_state(rid, st) if st else {}
    ctx.check(ok, "%s%s not running on %s %.1fs after the fault: %s" % (label and label + ": ", rid, expect,
                                                                       waited, _brief(r)))
    time.sleep(0.8)
    ctx.outage(c, vip, t0, time.monotonic(), limit, label, max_changes=max_changes)
    holders = c.watcher.holders(vip)
    ctx.check(holders == [expect], "%s%s held by %s, expected %s" % (label and label + ": ", vip, holders, expect))
    return waited, t0


def back_idle_after_sigcont(ctx, c, host, rid, primary, up_timeout=6):
    """After a suspended agent is resumed: host up again within up_timeout, then idle, and
    rid still on primary. Returns the status it checked."""
    ok, waited, st = c.wait(lambda st: c.node_state(host, st).get("liveness") == "up", up_timeout)
    ctx.check(ok, "%s not up %.1fs after SIGCONT" % (host, waited))
    time.sleep(1.5)
    st = c.status() or {}
    ctx.check(is_idle(c, host, st), "%s not idle after SIGCONT: %s" % (host, c.node_state(host, st)))
    ctx.check(c.rule_state(rid, st).get("primary") == primary, "%s moved after SIGCONT" % rid)
    return st


def _brief(r):
    return {k: r.get(k) for k in ("phase", "primary", "standby", "epoch", "last_error") if k in r}


def script_events(c, host, since=0):
    """Parsed script-log lines of host: list of dicts (kind, rule, role, old, new, epoch, t)."""
    out = []
    for line in c.script_log(host)[since:]:
        m = re.match(r"(\S+) (acquire|release) host=(\S*) rule=(\S*) role=(\S*) vips=(\S*) old=(\S*) new=(\S*) "
                     r"epoch=(\S*)", line)
        if m:
            out.append({"t": float(m.group(1)), "kind": m.group(2), "host": m.group(3), "rule": m.group(4),
                        "role": m.group(5), "vips": m.group(6), "old": m.group(7), "new": m.group(8),
                        "epoch": m.group(9)})
    return out


def check_env(ctx, ev, rule, old, new):
    """design §3.2: scripts run with documented variables (rule, role, VIPs, old and new node)."""
    what = "%s on %s" % (ev["kind"], ev["host"])
    ctx.check(ev["rule"] == rule, "%s: POOLHA_RULE=%r, expected %s" % (what, ev["rule"], rule))
    ctx.check(ev["vips"] != "", "%s: POOLHA_VIPS empty" % what)
    ctx.check(ev["new"] == new, "%s: POOLHA_NEW_NODE=%r, expected %s" % (what, ev["new"], new))
    if old is not None:
        ctx.check(ev["old"] == old, "%s: POOLHA_OLD_NODE=%r, expected %s" % (what, ev["old"], old))
    ctx.check(ev["epoch"] != "", "%s: POOLHA_EPOCH empty" % what)


def cli_ok(ctx, c, args, what=None):
    p = c.ctl(args)
    ctx.check(p.returncode == 0, "poolhactl %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                                   (p.stderr or p.stdout).strip()[:300]))
    return p


def wait_node(c, node, pred, timeout):
    return c.wait(lambda st: pred(c.node_state(node, st)), timeout)


def is_idle(c, node, st):
    """Node holds nothing: no rule has it as primary and it reports no VIPs."""
    rules = st.get("state", {}).get("rules", {})
    n = c.node_state(node, st)
    return all(r.get("primary") != node for r in rules.values()) and not n.get("held_vips")
