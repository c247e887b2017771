#!/usr/bin/env python3
"""Prints what each passing test measured, from CTest's log of the last run.

`ctest --output-on-failure` shows a test's output only when it fails, so the figures
the tests print (latencies, outages, seeds and violations of the simulations, sizes)
would never reach the CI log. This prints each test's own lines, without GoogleTest's
bookkeeping and the daemons' timestamped log lines, at most --max-lines a test (the
rest stays in the log file named at the end).

Usage: print-figures.py BUILD_DIR [--max-lines N]
"""
import argparse
import os
import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colours of the JS tools
NOISE = re.compile(r"^(\[ *(RUN|OK|PASSED|SKIPPED|----------|==========) *\]|\[20\d\d-\d\d-\d\d |Running main\(\)|$)")


def tests(log):
    name, out, inside = None, [], False
    for line in log:
        line = line.rstrip("\n")
        m = re.match(r"^\d+/\d+ Test: (.+)$", line)
        if m:
            name, out, inside = m.group(1), [], False
        elif line == "Output:" and name:
            inside = None  # the separator line comes next
        elif inside is None:
            inside = True
        elif line == "<end of output>":
            inside = False
        elif line.startswith("Test Passed") and name:
            yield name, out
            name = None
        elif inside:
            out.append(line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--max-lines", type=int, default=80)
    a = ap.parse_args()
    path = os.path.join(a.build_dir, "Testing", "Temporary", "LastTest.log")
    try:
        log = open(path, encoding="utf-8", errors="replace")
    except OSError as e:
        sys.exit("no test log: %s" % e)
    with log:
        for name, out in tests(log):
            lines = [ANSI.sub("", l) for l in out]
            lines = [l for l in lines if not NOISE.match(l)]
            if not lines:
                continue
            print("-- %s" % name)
            for l in lines[: a.max_lines]:
                print("   " + l[:300])
            if len(lines) > a.max_lines:
                print("   ... %d more lines in %s" % (len(lines) - a.max_lines, path))


if __name__ == "__main__":
    main()
