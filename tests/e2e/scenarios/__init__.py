"""Scenario registry. Each scenario module registers functions with @scenario(name, group).

A scenario function takes a Context and returns nothing; it records its verdict with
ctx.check(...) and ctx.outage(...). Build the cluster with ctx.cluster(...): the runner
tears it down whatever happens.
"""
import time

REGISTRY = []  # (name, group, function, needs_daemons)


def scenario(name, group, needs_daemons=True):
    def deco(fn):
        REGISTRY.append((name, group, fn, needs_daemons))
        return fn
    return deco


class ScenarioFailed(Exception):
    pass


class Context:
    """What a scenario sees: its run, a cluster factory, checks and notes."""

    def __init__(self, run, name, log_dir):
        self.run, self.name, self.log_dir = run, name, log_dir
        self.failures = []
        self.notes = []
        self.outage_s = None
        self.figures = {}  # other measured times, by name (seconds), into results.json
        self.clusters = []
        self.log_focus = None  # process names whose logs matter on failure

    def cluster(self, hosts, rules, **kw):
        import cluster as cluster_mod
        c = cluster_mod.Cluster(self.run, self.name, hosts, rules, log_dir=self.log_dir, **kw)
        self.clusters.append(c)
        if self.run.bins and not self.run.enrol_attempted and c.enrol_host is None and len(hosts) > 1:
            c.enrol_host = hosts[-1]  # design §7: at least one host per run enrols for real
        if c.enrol_host:
            self.run.enrol_attempted = True
        c.build()
        self.notes += c.notes
        return c

    def check(self, cond, what):
        if not cond:
            self.failures.append(what)
        return bool(cond)

    def require(self, cond, what):
        """Like check, but stops the scenario: later steps make no sense without it."""
        if not self.check(cond, what):
            raise ScenarioFailed(what)

    def note(self, text):
        self.notes.append(text)

    def outage(self, c, vip, t0, t1, limit, label="", max_changes=1):
        """Measures the client-observed outage of vip in [t0, t1] and checks it against limit."""
        rec = c.records()
        gap, g0, g1, recovered = rec.outage(vip, t0, t1)
        ok, total = rec.count(vip, t0, t1)
        flaps = rec.flaps(vip, t0, t1)
        tag = (label + " ") if label else ""
        self.note("%soutage %.3fs on %s (%d/%d answers ok, hosts %s)" % (
            tag, gap, vip, ok, total, ">".join(rec.answered_by(vip, t0, t1)) or "-"))
        self.outage_s = max(self.outage_s or 0.0, gap)
        self.check(recovered, "%sno answer on %s after the fault" % (tag, vip))
        if limit is not None:
            self.check(gap <= limit, "%soutage %.3fs on %s exceeds %.2fs" % (tag, gap, vip, limit))
        self.check(len(flaps) <= max_changes, "%sflapping on %s: %s" % (
            tag, vip, ", ".join("%s->%s@%.2f" % (a, b, t - t0) for t, a, b in flaps[:6])))
        return gap

    def no_duplicates(self, c):
        if c.watcher is None:
            return
        self.note(c.watcher.summary())
        self.check(c.watcher.error is None, "VIP watcher failed: %s" % c.watcher.error)
        self.check(not c.watcher.violations, "§6.1 violated: " + c.watcher.summary())

    def sleep(self, seconds):
        time.sleep(seconds)
