#!/usr/bin/env python3
"""The layers, as Go's import graph would keep them: each folder may include only the
folders listed for it here. Pure cores (rules/, consensus/) and the shared bottom layers
(common/, store/, wire/) include nothing above them; the daemons build on those.

An edge that is known to be wrong and is being removed (issue 10) is allowed only from
the files named in PENDING, so no new file can add it. Prints each violation with file
and line and exits 1 if there is any; prints the graph it checked otherwise."""
import os
import re
import sys

ALLOWED = {
    "common": set(),
    "rules": {"common"},
    # Accounts, roles, sessions and the audit chain (MLPS three-admin separation), pure.
    "access": {"common"},
    "consensus": {"common"},
    "store": {"common", "consensus"},
    "wire": {"common"},
    "host": {"common"},
    "host/linux": {"common", "host"},  # implements the seam (host/host_ops.h) on Linux
    "member": {"common", "consensus", "store", "wire"},
    "agent": {"common", "rules", "consensus", "wire", "host"},
    # The replicated controller core every control-plane member runs on the Raft log.
    "controller_core": {"common", "rules", "access", "consensus", "store", "wire", "member"},
    # The controller runs on Linux only; its VIP uses the host layer like an agent's.
    "controller": {"common", "rules", "access", "consensus", "store", "wire", "member", "controller_core", "host", "host/linux"},
    # The arbiter keeps the replicated core passively (snapshots, catching controllers up).
    "arbiter": {"common", "consensus", "wire", "member", "controller_core"},
    "cli": {"common", "rules", "access", "consensus", "store", "wire"},  # store: recover on a stopped member's file
}

# Edges allowed only from the files named: composition roots (a binary puts a portable
# core and its OS implementation together) and edges being removed (issue 10).
PENDING = {
    # poolha-agent's main chooses the Linux implementation of the seam.
    ("agent", "host/linux"): {"agent/main.cc"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(path):
    parts = path.split("/")
    if parts[0] == "host" and len(parts) > 2 and parts[1] == "linux":
        return "host/linux"
    return parts[0]


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    os.chdir(root)
    violations, used = [], set()
    for top in sorted(ALLOWED):
        if "/" in top:
            continue
        for dirpath, _, files in os.walk(top):
            for name in sorted(files):
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.join(dirpath, name)
                src = folder_of(path)
                text = open(path, encoding="utf-8", errors="replace").read()
                for m in INCLUDE.finditer(text):
                    inc = m.group(1)
                    if "/" not in inc:
                        continue
                    dst = folder_of(inc)
                    if dst == src or dst not in ALLOWED:
                        continue  # same folder, or a third-party header
                    if dst in ALLOWED[src]:
                        used.add((src, dst))
                        continue
                    if path in PENDING.get((src, dst), set()):
                        used.add((src, dst))
                        continue
                    line = text.count("\n", 0, m.start()) + 1
                    violations.append(f"{path}:{line}: {src}/ may not include {inc} "
                                      f"(allowed: {', '.join(sorted(ALLOWED[src])) or 'nothing'}; tests/lint/layers.py)")
    for v in violations:
        print("layers: " + v)
    stale = [(k, f) for k, fs in PENDING.items() for f in fs
             if not os.path.exists(f) or not any(
                 folder_of(i) == k[1] for i in INCLUDE.findall(open(f, encoding="utf-8", errors="replace").read()))]
    for (src, dst), f in stale:
        print(f"layers: {f} no longer includes {dst}/: remove it from PENDING in tests/lint/layers.py")
    if violations or stale:
        return 1
    print("layers: ok; " + ", ".join(f"{s}->{d}" for s, d in sorted(used)) +
          f"; {sum(len(v) for v in PENDING.values())} pending exceptions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
