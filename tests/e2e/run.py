#!/usr/bin/python3
"""poolha multi-host fault tests: real daemons in network namespaces (docs/e2e.md).

    python3 tests/e2e/run.py [--build-dir DIR] [--only NAME,...] [--keep-logs DIR] [--list] [--cleanup]

Writes tests/e2e/results.json and prints a table; exits non-zero if any scenario failed.
"""
import argparse
import atexit
import json
import os
import shutil
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cluster as cluster_mod  # noqa: E402
import topology  # noqa: E402
from scenarios import REGISTRY, Context, ScenarioFailed  # noqa: E402
from scenarios import selftest, operations, faults, safety, scale, pair, hardening, access, windows  # noqa: E402,F401

SCENARIO_LIMIT_S = 150


class Interrupted(BaseException):
    pass


class ScenarioTimeout(Exception):
    pass


def on_signal(signum, _frame):
    raise Interrupted("signal %d" % signum)


def on_alarm(_signum, _frame):
    raise ScenarioTimeout("scenario exceeded %ds" % SCENARIO_LIMIT_S)


def sweep(run):
    """Last line of defence: everything with this run's prefix goes."""
    for ns in topology.existing_namespaces():
        if ns.startswith(run.prefix + "-"):
            topology.kill_ns_processes(ns)
            topology.wait_ns_empty(ns, 2.0)
            topology.sh(["ip", "netns", "del", ns], check=False)
    run.remove()


def run_one(run, name, fn, keep_logs):
    log_dir = os.path.join(run.root, "logs", name)
    os.makedirs(log_dir, exist_ok=True)
    ctx = Context(run, name, log_dir)
    t0 = time.monotonic()
    error = None
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(SCENARIO_LIMIT_S)
    try:
        fn(ctx)
    except ScenarioFailed:
        pass
    except Exception as e:  # a harness error or ScenarioTimeout fails the scenario, not the run
        error = "%s: %s" % (type(e).__name__, e)
        ctx.failures.append(error)
        ctx.note(traceback.format_exc().strip().splitlines()[-1])
    finally:
        signal.alarm(0)
        logs = ""
        if ctx.failures:
            for c in ctx.clusters:
                logs += c.logs_for_failure(ctx.log_focus)
        for c in ctx.clusters:
            try:
                c.teardown()
            except Exception as e:  # keep tearing down the rest
                ctx.note("teardown error: %s" % e)
        if keep_logs:
            dst = os.path.join(keep_logs, name)
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(log_dir, dst)
    passed = not ctx.failures
    res = {"scenario": name, "passed": passed,
           "outage_s": None if ctx.outage_s is None else round(ctx.outage_s, 3),
           "notes": "; ".join(ctx.notes + (["FAILED: " + " | ".join(ctx.failures)] if ctx.failures else [])),
           "duration_s": round(time.monotonic() - t0, 1)}
    if ctx.figures:
        res["figures"] = {k: round(v, 3) for k, v in ctx.figures.items()}
    print("%-30s %s  outage=%s  (%.1fs)" % (name, "PASS" if passed else "FAIL",
                                            "-" if ctx.outage_s is None else "%.3fs" % ctx.outage_s,
                                            res["duration_s"]), flush=True)
    if not passed:
        for f in ctx.failures:
            print("    failure: " + f)
        for n in ctx.notes:
            print("    note: " + n)
        if logs:
            print("    --- log tails ---")
            print("\n".join("    " + line for line in logs.splitlines()))
    return res


def table(results):
    lines = ["%-30s %-6s %-9s %s" % ("scenario", "result", "outage_s", "notes"), "-" * 110]
    for r in results:
        lines.append("%-30s %-6s %-9s %s" % (r["scenario"], "PASS" if r["passed"] else "FAIL",
                                             "-" if r["outage_s"] is None else "%.3f" % r["outage_s"],
                                             r["notes"][:400]))
    passed = sum(1 for r in results if r["passed"])
    lines.append("-" * 110)
    lines.append("%d/%d passed" % (passed, len(results)))
    return "\n".join(lines)


def medians(results):
    """Median client-observed outage per scenario over repeated runs."""
    import statistics
    lines = ["%-30s %-5s %-9s %-9s %-9s" % ("scenario", "runs", "median_s", "min_s", "max_s")]
    for name in dict.fromkeys(r["scenario"] for r in results):
        outs = [r["outage_s"] for r in results if r["scenario"] == name and r["outage_s"] is not None]
        runs = sum(1 for r in results if r["scenario"] == name)
        if outs:
            lines.append("%-30s %-5d %-9.3f %-9.3f %-9.3f" % (name, runs, statistics.median(outs), min(outs), max(outs)))
        else:
            lines.append("%-30s %-5d %-9s" % (name, runs, "-"))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", help="directory with controller/, agent/, arbiter/, cli/ binaries")
    ap.add_argument("--only", help="comma-separated scenario names or groups")
    ap.add_argument("--keep-logs", help="copy every scenario's logs here")
    ap.add_argument("--list", action="store_true", help="list scenarios and exit")
    ap.add_argument("--cleanup", action="store_true", help="remove leftovers of earlier runs and exit")
    ap.add_argument("--force", action="store_true", help="with --cleanup: also remove runs that look alive")
    ap.add_argument("--results", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each chosen scenario N times and print the median outage (for the design §4 figures)")
    a = ap.parse_args()

    if a.list:
        for name, group, fn, _ in REGISTRY:
            print("%-30s %-12s %s" % (name, group, (fn.__doc__ or "").strip().splitlines()[0]))
        return 0
    if os.geteuid() != 0:
        print("run.py needs root (network namespaces)", file=sys.stderr)
        return 2
    if a.cleanup:
        topology.cleanup_leftovers(force=a.force)
        return 0
    missing_tools = topology.require_tools()
    if missing_tools:
        print("missing programs: %s; scripts/install-deps.sh installs them" % ", ".join(missing_tools), file=sys.stderr)
        return 2

    wanted = set(a.only.split(",")) if a.only else None
    chosen = [(n, g, f, d) for n, g, f, d in REGISTRY if wanted is None or n in wanted or g in wanted]
    if wanted:
        unknown = wanted - {n for n, *_ in REGISTRY} - {g for _, g, *_ in REGISTRY}
        if unknown:
            print("unknown scenario(s): " + ", ".join(sorted(unknown)), file=sys.stderr)
            return 2
    bins, missing = cluster_mod.find_binaries(a.build_dir)
    build = bins if not missing else None
    if missing and any(d for *_, d in chosen):
        print("poolha binaries not found (%s); running only the scenarios that do not need them"
              % ", ".join(missing), file=sys.stderr)
    run = cluster_mod.Run(bins if build else {})
    if a.keep_logs:
        os.makedirs(a.keep_logs, exist_ok=True)
    atexit.register(sweep, run)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    results = []
    try:
        run.prepare()
        print("run %s, binaries: %s" % (run.prefix, ", ".join(sorted(getattr(run, "sources", {}).values())) or "(none)"), flush=True)
        for name, group, fn, needs in [c for c in chosen for _ in range(max(1, a.repeat))]:
            if needs and not build:
                results.append({"scenario": name, "passed": False, "outage_s": None,
                                "notes": "not run: poolha binaries missing", "duration_s": 0})
                print("%-30s SKIP (no binaries)" % name)
                continue
            results.append(run_one(run, name, fn, a.keep_logs))
    except Interrupted as e:
        print("interrupted (%s): cleaning up" % e, file=sys.stderr)
        results.append({"scenario": "(interrupted)", "passed": False, "outage_s": None, "notes": str(e),
                        "duration_s": 0})
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        sweep(run)
        with open(a.results, "w") as f:
            json.dump(results, f, indent=1)
    print()
    print(table(results))
    if a.repeat > 1:
        print()
        print(medians(results))
    return 0 if results and all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
