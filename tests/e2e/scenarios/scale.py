"""design §5 rack failure: 10% of the primaries crash at once."""
import time

from cluster import default_node, default_rule
from scenarios import scenario
from scenarios.common import hosts, settled

PRIMARIES, SPARES = 10, 3
CRASH = ["h1"]  # 10% of 10 primaries
RACK_LIMIT = 3.0


@scenario("rack_failure", "scale")
def rack_failure(ctx):
    """10 primaries + 3 spares, 10% of the primaries crash at once: every takeover <= 3 s,
    no node assigned twice (capacity 1), every rule still protected by a standby if a spare is free."""
    ctx.log_focus = ["controller"]
    hs = hosts(PRIMARIES + SPARES)
    rules = [default_rule("r%d" % i, i, "h%d" % i) for i in range(1, PRIMARIES + 1)]
    c = settled(ctx, host_names=hs, rules=rules, nodes=[default_node(h) for h in hs], client_interval=0.04,
                pair=True)
    st = c.status() or {}
    victims_rules = {rid: c.rule_state(rid, st).get("standby") for rid in ("r%d" % int(h[1:]) for h in CRASH)}
    ctx.note("crashing %s; their standbys %s" % (",".join(CRASH), victims_rules))
    t0 = time.monotonic()
    for h in CRASH:
        c.crash(h)

    def done(st):
        return all(c.rule_state(r, st).get("phase") == "running" and c.rule_state(r, st).get("primary") not in CRASH
                   for r in victims_rules)
    ok, waited, st = c.wait(done, 10)
    ctx.check(ok, "not every crashed primary's rule was taken over: %s" % {
        r: c.rule_state(r, st) for r in victims_rules} if st else None)
    time.sleep(1.0)
    st = c.status() or {}
    for rid in victims_rules:
        ctx.outage(c, c.rule_vip(rid), t0, time.monotonic(), RACK_LIMIT, rid)
    others = [r["id"] for r in rules if r["id"] not in victims_rules]
    rec = c.records()
    for rid in others:
        gap, *_ = rec.outage(c.rule_vip(rid), t0, time.monotonic())
        ctx.check(gap <= 0.3, "%s (not affected) had an outage of %.3fs" % (rid, gap))
    primaries = [c.rule_state(r["id"], st).get("primary") for r in rules]
    dup = sorted({p for p in primaries if p and primaries.count(p) > 1})
    ctx.check(not dup, "nodes hosting more than their capacity (1): %s" % dup)
    live_hosts = [h for h in hs if h not in CRASH]
    free = [h for h in live_hosts if h not in primaries]
    unprotected = [r["id"] for r in rules if not c.rule_state(r["id"], st).get("standby")]
    if free:
        ctx.check(not unprotected, "rules without a standby while %s are free: %s" % (free, unprotected))
    ctx.note("free nodes after: %s; unprotected: %s" % (free, unprotected))
    ctx.no_duplicates(c)
