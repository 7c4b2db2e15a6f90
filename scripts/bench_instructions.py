#!/usr/bin/env python3
"""Instructions per iteration from callgrind parts (see scripts/bench-instructions).

    bench_instructions.py iterations OUT_DIR STDERR MARKER...
        For one bench binary's run: the parts callgrind wrote in OUT_DIR
        (one per phase of each criterion case, cut with --dump-before at
        criterion's warm-up, batch and stop_profiling), matched in order to the case
        ids the bench printed on stderr ("Benchmarking <id>: Profiling").
        MARKER is "<id prefix><TAB><function regex>": a function the case calls
        exactly once per iteration. Prints "<case id>\t<iterations>\t<Ir per
        iteration>\t<phase>\t<part file>".
    bench_instructions.py table OLD_NAME NEW_NAME OLD_TSV NEW_TSV
        The side-by-side table with the change in %.
    bench_instructions.py diff OLD_PART NEW_PART [N]
        Which functions gained or lost instructions between two parts of the
        same case: own (self) Ir per iteration of every function, the N
        largest changes (default 25), and the sum.
    bench_instructions.py executables
        Reads cargo's --message-format=json on stdin; prints "<bench>\t<path>".
"""
import glob
import json
import os
import re
import sys

# criterion's profile mode (`--profile-time`) runs a case in two phases: a
# warm-up (1, 2, 4, ... iterations until a second has passed) and then, if
# time is left, one batch. Each phase is one call of one of these functions;
# the script cuts a callgrind part at each of them, so a part holds one
# phase of one case and nothing of the setup around it. The cost of a phase
# is its routine's inclusive count (the benchmarked closure and criterion's
# few timer reads per batch).
PHASES = [
    ("warm-up", re.compile(r"criterion::routine::.*::warm_up$")),
    ("batch", re.compile(r"criterion::routine::.*::bench$")),
]


def parse(path):
    """Callgrind output -> ({fn: self Ir}, {(caller, callee): [calls, inclusive Ir]})."""
    ids = {}
    fn = callee = None
    pending = None  # the calls count that the next cost line belongs to
    own, edges = {}, {}
    npos = 1  # position columns before the cost ("positions: line" by default)

    def name(text):
        # "(12) name" defines id 12, "(12)" reuses it; fn= and cfn= share ids.
        m = re.match(r"\((\d+)\)(?: (.*))?$", text)
        if not m:
            return text
        if m.group(2) is not None:
            ids[m.group(1)] = m.group(2)
        return ids.get(m.group(1), text)

    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                parts = line.split()
                cost = int(parts[npos]) if len(parts) > npos else 0
                if pending is not None:
                    e = edges.setdefault((fn, callee), [0, 0])
                    e[0] += pending
                    e[1] += cost
                    pending = None
                else:
                    own[fn] = own.get(fn, 0) + cost
            elif line.startswith("positions:"):
                npos = len(line.split()) - 1
            elif line.startswith("fn="):
                fn = name(line[3:].rstrip("\n"))
            elif line.startswith("cfn="):
                callee = name(line[4:].rstrip("\n"))
            elif line.startswith("calls="):
                pending = int(line[6:].split()[0])
    return own, edges


PHASES_RX = re.compile("|".join(rx.pattern for _, rx in PHASES))


def reachable(edges, roots):
    """The functions called, directly or not, from `roots` (roots included)."""
    out = {}
    for (a, b), (k, ir) in edges.items():
        out.setdefault(a, []).append(b)
    seen, todo = set(roots), list(roots)
    while todo:
        for b in out.get(todo.pop(), []):
            if b not in seen:
                seen.add(b)
                todo.append(b)
    return seen


def phase_of(own, edges):
    """(phase, inclusive Ir of its routines) for a part, or None for setup.

    Callgrind does not always cut at the batch (its --dump-before on
    `bench` did not fire with valgrind 3.19), so a part may hold the
    warm-up and the batch: then both routines count, and so do the
    iterations of both."""
    names = set(own) | {a for a, _ in edges}
    found, phases = [], []
    for phase, rx in PHASES:
        these = [n for n in names if rx.search(n)]
        if these:
            found += these
            phases.append(phase)
    if not found:
        return None
    inclusive = sum(own.get(n, 0) for n in found)
    inclusive += sum(ir for (a, b), (_, ir) in edges.items() if a in found and b not in found)
    return "+".join(phases), inclusive


def iterations(out_dir, stderr, markers):
    ids = []
    with open(stderr, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.search(r"Benchmarking (.*?): Profiling for", line)
            if m and m.group(1) not in ids:
                ids.append(m.group(1))
    markers = [m.split("\t", 1) for m in markers]

    def header(p):
        # (pid, part): a child process (criterion looks for gnuplot) writes
        # files of its own; the parts of one process are numbered in order.
        pid = part = 0
        with open(p, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("pid:"):
                    pid = int(line.split()[1])
                elif line.startswith("part:"):
                    part = int(line.split()[1])
                elif line.startswith("events:"):
                    break
        return pid, part

    # One row per case: the batch if there was one (no first-call effects),
    # else the warm-up.
    rows = {}
    case = -1
    for part in sorted(glob.glob(os.path.join(out_dir, "callgrind.out*")), key=header):
        own, edges = parse(part)
        found = phase_of(own, edges)
        if found is None:
            continue  # setup before, between or after the cases
        phase, ir = found
        if phase.startswith("warm-up"):
            case += 1
        if case >= len(ids):
            sys.exit(f"{part}: more measured parts than cases named in {stderr}")
        cid = ids[case]
        marker = next((rx for prefix, rx in markers if cid.startswith(prefix)), None)
        if marker is None:
            sys.exit(f"no marker function for case {cid!r}")
        rx = re.compile(marker)
        # Only calls made under the phase's routine (not by setup code that
        # a part might reach into).
        inside = reachable(edges, [n for n in set(own) | {a for a, _ in edges} if PHASES_RX.search(n)])
        n = sum(k for (a, b), (k, _) in edges.items() if rx.search(b) and not rx.search(a) and a in inside)
        if n == 0:
            sys.exit(f"{part}: {cid!r}: no call of {marker} (inlined, or renamed?)")
        if phase == "batch" or cid not in rows:  # a batch on its own has no first-call costs
            rows[cid] = (n, ir / n, phase, os.path.basename(part))
    for cid in ids:
        if cid in rows:
            n, per, phase, part = rows[cid]
            print(f"{cid}\t{n}\t{per:.0f}\t{phase}\t{part}")


def table(old_name, new_name, old_tsv, new_tsv):
    def read(p):
        rows = {}
        if os.path.exists(p):
            with open(p) as f:
                for line in f:
                    cid, n, ir, phase = line.rstrip("\n").split("\t")[:4]
                    rows[cid] = (int(n), float(ir), phase)
        return rows

    old, new = read(old_tsv), read(new_tsv)
    cases = list(old) + [c for c in new if c not in old]
    width = max([len(c) for c in cases] + [5])
    print(f"{'case':<{width}}  {old_name + ' Ir/iter':>20}  {new_name + ' Ir/iter':>20}  {'change':>8}  iterations measured")
    for c in cases:
        o, n = old.get(c), new.get(c)
        fo = f"{o[1]:,.0f}" if o else "-"
        fn = f"{n[1]:,.0f}" if n else "-"
        ch, flag = "", ""
        if o and n:
            pct = (n[1] / o[1] - 1) * 100
            ch = f"{pct:+.2f}%"
            flag = "  <-- over +5%" if pct > 5 else ""
        iters = f"{o[0] if o else '-'} {o[2] if o else ''} / {n[0] if n else '-'} {n[2] if n else ''}"
        print(f"{c:<{width}}  {fo:>20}  {fn:>20}  {ch:>8}  {iters}{flag}")


def per_iteration(part, rx_text=None):
    """({function: own Ir per iteration}, iterations) of one part, iterations
    read from rows.tsv beside it (written by bench-instructions)."""
    own, edges = parse(part)
    out = os.path.dirname(part)
    n = None
    for tsv in glob.glob(os.path.join(out, "rows.tsv")):
        with open(tsv) as f:
            for line in f:
                cols = line.rstrip("\n").split("\t")
                if len(cols) >= 5 and cols[4] == os.path.basename(part):
                    n = int(cols[1])
    if n is None:
        sys.exit(f"{part}: not in a results table; run bench-instructions first")
    return {k: v / n for k, v in own.items()}, n


def diff(old_part, new_part, top=25):
    old, n_old = per_iteration(old_part)
    new, n_new = per_iteration(new_part)
    rows = [(new.get(k, 0) - old.get(k, 0), k) for k in set(old) | set(new)]
    rows.sort(key=lambda r: -abs(r[0]))
    print(f"own Ir per iteration; {n_old} and {n_new} iterations")
    print(f"{'old':>14} {'new':>14} {'change':>14}  function")
    for d, k in rows[:top]:
        print(f"{old.get(k, 0):>14,.0f} {new.get(k, 0):>14,.0f} {d:>+14,.0f}  {k}")
    print(f"{sum(old.values()):>14,.0f} {sum(new.values()):>14,.0f} {sum(new.values()) - sum(old.values()):>+14,.0f}  (the whole part)")


def executables():
    for line in sys.stdin:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and "bench" in msg["target"]["kind"]:
            print(f"{msg['target']['name']}\t{msg['executable']}")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "iterations":
        iterations(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == "table":
        table(*sys.argv[2:6])
    elif cmd == "diff":
        diff(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 25)
    elif cmd == "executables":
        executables()
    else:
        sys.exit(__doc__)
