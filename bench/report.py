#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tables, CSV, JSON and plots from the benchmark's logs (bench/run.sh).

    bench/report.py OUTDIR LOG...

Each LOG starts with "# kernel=K clock=icount|wall vcpus=N" and has one
"# bench mode=M cpus=C backend=B size=S ns=N min=A p90=P max=X written=W
err=E" line per case.  Prints one table per kernel, mode and CPU count:
cost per record (guest instructions under icount, emulated ns otherwise;
the median over batches, and its spread: min, p90, max) and its ratio to
relay_write and to ring_buffer_write of the same size, with the SPEC's
goals checked in the nofill and switch modes; writes OUTDIR/results.csv,
results.json and one PNG per kernel (cost against record size, one line
per back-end, no-fill mode, one CPU).

A row is valid when its case ran (err=0) and wrote exactly when it
should: every record, unless the mode drops them all or the record
cannot fit (write_expected()).  Invalid rows are listed, flagged in the
CSV and JSON, and left out of tables, goals and plots; the exit status
is then 1.  So are offered-load and consumer lines with an error or
nothing written.  Wall-time rows (no icount) are never judged against a
threshold in instructions.
"""
import json
import os
import re
import subprocess
import sys

CONSUMER = re.compile(r"# consumer method=(\S+) mb=([\d.]+) seconds=([\d.]+) "
                      r"mbps=([\d.]+) err=(-?\d+)")
LOAD = re.compile(r"# consumer load rate=(\d+) len=(\d+) seconds=([\d.]+) "
                  r"small_dropped=(\d+) advised=(\d+)x(\d+) attempted=(\d+) "
                  r"accepted=(\d+) written=(-?\d+) dropped=(\d+) "
                  r"(?:zstd=(\d+) stored=(\d+) )?err=(-?\d+)")
PROFILE = re.compile(r"# consumer profile method=(\S+) subbufs=(\d+) "
                     r"next_s=([\d.]+) write_s=([\d.]+) loop_s=([\d.]+)")
LTTNG = re.compile(r"# lttng mode=(\S+) (?:trace_bytes=(\d+) lost=(\S+) )?"
                   r"fire n=(\d+) batches=(\d+) ns=([\d.]+) min=([\d.]+) "
                   r"p90=([\d.]+) max=([\d.]+) zero=([\d.]+) err=(-?\d+)")
LINE = re.compile(r"# bench mode=(\S+) cpus=(\d+) backend=(\S+) size=(\d+) "
                  r"ns=([\d.]+) min=([\d.]+) p90=([\d.]+) max=([\d.]+) "
                  r"written=(\d) err=(-?\d+)")
# Bytes a ring-buffer page holds for one event's payload, at most (the
# page header and the event header take the rest of 4 KiB).
RB_MAX_PAYLOAD = 4096 - 64
# What relayfs_hdr adds to each record (bench_hdr in relayfs_bench.c).
HDR_BYTES = 12


def write_expected(r):
    """Whether every timed write of this case must have written."""
    if r["mode"] == "drop":
        return False
    if r["backend"].startswith("rb_"):
        return r["size"] <= RB_MAX_PAYLOAD
    if r["mode"] == "switch" and r["backend"] == "relayfs_hdr":
        return r["size"] + HDR_BYTES <= 4096
    return True


def invalid_reason(r):
    """Why a write-path row cannot be reported, or None."""
    if r["err"]:
        return "error %d" % r["err"]
    if r["written"] != write_expected(r):
        return "written=%d, expected %d" % (r["written"], write_expected(r))
    return None
ORDER = ["relayfs_write", "relayfs_reserve", "relayfs_hdr", "relay_write",
         "__relay_write", "rb_write", "rb_reserve", "memcpy"]


def consumer_table(rows):
    goals = []
    for key in sorted({(r["kernel"], r["clock"], r["vcpus"]) for r in rows}):
        sel = [r for r in rows if (r["kernel"], r["clock"], r["vcpus"]) == key]
        ceiling = next((r["mbps"] for r in sel
                        if r["method"] == "memcpy-to-tmpfs"), 0)
        print("\n%s, %d vCPU(s), %s: pre-filled buffers drained to tmpfs" %
              (key[0], key[2], "MB per guest second under icount"
               if key[1] == "icount" else "MB per emulated second"))
        print("%-26s %8s %10s %12s" % ("method", "MB", "MB/s", "/ceiling"))
        for r in sel:
            if r["err"] or r["mb"] <= 0:
                continue        # flagged by main()
            print("%-26s %8.1f %10.1f %12s%s" % (
                r["method"], r["mb"], r["mbps"],
                "%.2f" % (r["mbps"] / ceiling) if ceiling else "-",
                "" if not r["err"] else "  (error %d)" % r["err"]))
            if r["method"] == "mmap-one-loop" and ceiling:
                goals.append((key[0], "-", key[2], 0,
                              "collector drain >= 0.8 x memcpy-to-tmpfs",
                              r["mbps"] >= 0.8 * ceiling,
                              "%.2fx" % (r["mbps"] / ceiling)))
                # Issue 19's goal, on 6.12 under icount.
                if key[0].startswith("6.12") and key[1] == "icount":
                    goals.append((key[0], "-", key[2], 0,
                                  "collector drain >= 0.95 x memcpy-to-tmpfs",
                                  r["mbps"] >= 0.95 * ceiling,
                                  "%.2fx" % (r["mbps"] / ceiling)))
    return goals


def load_table(rows):
    """Offered load with the collector's advised sizes: the loss goal."""
    goals = []
    for key in sorted({(r["kernel"], r["clock"], r["vcpus"]) for r in rows}):
        sel = [r for r in rows if (r["kernel"], r["clock"], r["vcpus"]) == key]
        print("\n%s, %d vCPU(s), %s: offered load per CPU (64-byte records "
              "from a per-CPU hrtimer), collected with 4 KiB x 2, then with "
              "the sizes relay-collect advised" %
              (key[0], key[2], "guest seconds under icount"
               if key[1] == "icount" else "emulated seconds"))
        print("%12s %8s %14s %12s %12s %10s %14s" % (
            "records/s", "seconds", "lost (4Kx2)", "advised", "attempted",
            "lost", "zstd (ratio)"))
        for r in sel:
            if r["err"] or r["written"] <= 0:
                continue        # flagged by main()
            print("%12d %8g %14d %12s %12d %10d %14s%s" % (
                r["rate"], r["seconds"], r["small_dropped"],
                "%dx%d" % (r["subbuf"], r["n"]), r["attempted"],
                r["dropped"], "-" if not r["zstd"] else "%d (%.1fx)" % (
                    r["zstd"], r["written"] * r["len"] / r["stored"]
                    if r["stored"] else 0), "" if not r["err"] else
                "  (error %d)" % r["err"]))
            if r["zstd"]:
                continue        # a figure: the goal is the plain collector's
            goals.append((key[0], "-", key[2], 0,
                          "no loss at %d/s per CPU, advised sizes" % r["rate"],
                          r["err"] == 0 and r["dropped"] == 0,
                          "%d lost of %d" % (r["dropped"], r["attempted"])))
    return goals


def load(paths):
    """One pass over the logs: (write-path, consumer, offered-load rows)."""
    rows, consumer, offered, lttng, profile = [], [], [], [], []
    for path in paths:
        meta = {}
        with open(path) as f:
            for line in f:
                if line.startswith("# kernel="):
                    meta = dict(kv.split("=") for kv in line[2:].split())
                    continue
                m = LINE.match(line)
                if m:
                    (mode, cpus, be, size, ns, lo, p90, hi, written,
                     err) = m.groups()
                    rows.append({
                        "kernel": meta["kernel"], "clock": meta["clock"],
                        "vcpus": int(meta["vcpus"]), "mode": mode, "cpus": int(cpus), "backend": be,
                        "size": int(size), "cost": float(ns),
                        "min": float(lo), "p90": float(p90),
                        "max": float(hi), "written": written == "1",
                        "err": int(err)})
                    continue
                m = LOAD.match(line)
                if m:
                    v = m.groups()
                    offered.append({
                        "kernel": meta["kernel"], "clock": meta["clock"],
                        "vcpus": int(meta["vcpus"]), "rate": int(v[0]),
                        "len": int(v[1]), "seconds": float(v[2]),
                        "small_dropped": int(v[3]), "subbuf": int(v[4]),
                        "n": int(v[5]), "attempted": int(v[6]),
                        "accepted": int(v[7]), "written": int(v[8]),
                        "dropped": int(v[9]), "zstd": int(v[10] or 0),
                        "stored": int(v[11] or 0), "err": int(v[12])})
                    continue
                m = LTTNG.match(line)
                if m:
                    v = m.groups()
                    lttng.append({
                        "kernel": meta["kernel"], "clock": meta["clock"],
                        "vcpus": int(meta["vcpus"]), "mode": v[0],
                        "trace_bytes": int(v[1] or 0), "lost": v[2],
                        "n": int(v[3]), "batches": int(v[4]),
                        "ns": float(v[5]), "min": float(v[6]),
                        "p90": float(v[7]), "max": float(v[8]),
                        "zero": float(v[9]), "err": int(v[10])})
                    continue
                m = PROFILE.match(line)
                if m:
                    print("%s, %s vCPU(s): %s: %s sub-buffers; %s s in "
                          "relay_reader_next(), %s s in write(), %s s "
                          "elsewhere" % ((meta["kernel"], meta["vcpus"]) +
                                         m.groups()))
                    continue
                m = CONSUMER.match(line)
                if m:
                    consumer.append({
                        "kernel": meta["kernel"], "clock": meta["clock"],
                        "vcpus": int(meta["vcpus"]), "method": m.group(1),
                        "mb": float(m.group(2)), "mbps": float(m.group(4)),
                        "err": int(m.group(5))})
    return rows, consumer, offered, lttng


def fmt_ratio(a, b):
    return "%.2f" % (a / b) if b else "-"


SWITCH_SUBBUF = 4096     # the switch mode's sub-buffers (relayfs_bench.c)


def switch_goals(rows):
    """Issue 19: a sub-buffer switch <= 300 instructions (6.12, 4 KiB).

    relayfs_write of 1 KiB records switches every 4 records in mode switch
    (no header) and never in mode nofill: the switch costs 4 times the
    difference per record.  Judged under icount only, on each kernel and
    CPU set that has both rows.
    """
    goals = []
    by = {(r["kernel"], r["clock"], r["vcpus"], r["mode"], r["cpus"],
           r["backend"], r["size"]): r for r in rows}
    for (kernel, clock, vcpus, mode, cpus, be, size), sw in \
            sorted(by.items()):
        if (mode, be, size, clock) != ("switch", "relayfs_write", 1024,
                                       "icount"):
            continue
        nf = by.get((kernel, clock, vcpus, "nofill", cpus, be, size))
        if not nf:
            continue
        per = SWITCH_SUBBUF // size
        cost = per * (sw["cost"] - nf["cost"])
        goals.append((kernel, "switch", cpus, size,
                      "a sub-buffer switch <= 300 instructions",
                      cost <= 300, "%.0f" % cost))
    return goals


def tables(rows):
    goals = []
    keys = sorted({(r["kernel"], r["clock"], r["vcpus"], r["mode"], r["cpus"])
                   for r in rows}, key=lambda k: (k[0], k[2], k[3], k[4]))
    for kernel, clock, vcpus, mode, cpus in keys:
        sel = [r for r in rows if (r["kernel"], r["clock"], r["vcpus"],
                                   r["mode"], r["cpus"]) ==
               (kernel, clock, vcpus, mode, cpus)]
        unit = "instructions" if clock == "icount" else "emulated ns"
        print("\n%s, %d vCPU(s), mode %s, %d CPU(s): cost per record in "
              "%s (%s)" % (kernel, vcpus, mode, cpus, unit,
                 "qemu -icount shift=0" if clock == "icount"
                 else "no icount: wall time under emulation"))
        print("%-16s %6s %10s %10s %10s %10s %14s %14s" % (
            "back-end", "size", "cost", "min", "p90", "max", "/relay_write",
            "/rb_write"))
        by = {(r["backend"], r["size"]): r for r in sel}
        for be in ORDER:
            for size in sorted({r["size"] for r in sel}):
                r = by.get((be, size))
                if not r:
                    continue
                rel = by.get(("relay_write", size))
                rb = by.get(("rb_write", size))
                note = ""
                if not r["written"] and mode != "drop":
                    note = "  (refused: too big)"
                print("%-16s %6d %10.1f %10.1f %10.1f %10.1f %14s %14s%s" % (
                    be, size, r["cost"], r["min"], r["p90"], r["max"],
                    fmt_ratio(r["cost"], rel["cost"]) if rel else "-",
                    fmt_ratio(r["cost"], rb["cost"])
                    if rb and rb["written"] else "-", note))
        if mode not in ("nofill", "switch"):
            continue
        # The SPEC section 7 goals, on this table (valid rows only: the
        # caller left the others out).
        for size in sorted({r["size"] for r in sel}):
            w, rel = by.get(("relayfs_write", size)), by.get(("relay_write", size))
            hdr, rb = by.get(("relayfs_hdr", size)), by.get(("rb_write", size))
            # 20 is instructions: emulated wall time is not judged by it.
            if w and rel and size <= 64 and clock == "icount":
                goals.append((kernel, mode, cpus, size,
                              "relayfs_write <= relay_write + 20",
                              w["cost"] - rel["cost"] <= 20,
                              "%+.1f" % (w["cost"] - rel["cost"])))
            if w and rel and size >= 1024 and rel["cost"] > 0:
                goals.append((kernel, mode, cpus, size,
                              "relayfs_write within 5% of relay_write",
                              w["cost"] <= 1.05 * rel["cost"],
                              "%.3fx" % (w["cost"] / rel["cost"])))
            # A wall-time median can come out 0 (less than the empty
            # call's): no ratio to it.
            if hdr and rb and rb["written"] and hdr["written"] and \
                    rb["cost"] > 0:
                goals.append((kernel, mode, cpus, size,
                              "relayfs_write+hdr <= 0.5 x ring_buffer_write",
                              hdr["cost"] <= 0.5 * rb["cost"],
                              "%.2fx" % (hdr["cost"] / rb["cost"])))
                # The fixed cost: less the payload copy both make (the
                # memcpy back-end), which grows with the size.
                cp = by.get(("memcpy", size))
                if cp and rb["cost"] > cp["cost"]:
                    hf, rf = hdr["cost"] - cp["cost"], rb["cost"] - cp["cost"]
                    goals.append((kernel, mode, cpus, size,
                                  "fixed cost: hdr - copy <= 0.5 x (rb - copy)",
                                  hf <= 0.5 * rf,
                                  "%.0f / %.0f = %.2fx" % (hf, rf, hf / rf)))
    goals += switch_goals(rows)
    print("\nSPEC section 7 goals (modes nofill and switch):")
    for kernel, mode, cpus, size, goal, ok, value in goals:
        print("  %-4s %-22s %-6s cpus=%d size=%-5d %-44s %s" % (
            "met" if ok else "MISS", kernel, mode, cpus, size, goal, value))
    return goals


def lttng_table(lttng, rows):
    """LTTng's lttng-test event beside relayfs, relay and ftrace, same boot.

    Each mode's figure less the figure with no session (the loop, the
    event's arguments and the syscall, with the tracepoint disabled); the
    record size is the trace's bytes over the events fired, and the other
    back-ends are shown at the measured size nearest to it."""
    out = []
    for key in sorted({(r["kernel"], r["clock"], r["vcpus"]) for r in lttng}):
        sel = [r for r in lttng if (r["kernel"], r["clock"], r["vcpus"]) == key]
        off = next((r for r in sel if r["mode"] == "off"), None)
        if not off:
            continue
        same = [r for r in rows if (r["kernel"], r["clock"], r["vcpus"]) == key
                and r["mode"] == "nofill" and r["cpus"] == 1]
        print("\n%s, %d vCPU(s), %s: LTTng 2.13.9, the lttng-test event "
              "(%s), cost per event less the same loop with no session" %
              (key[0], key[2], "instructions under qemu -icount"
               if key[1] == "icount" else "emulated ns",
               "4 MiB x 4 sub-buffers per CPU: none fills"))
        print("%-22s %8s %10s %10s %10s %10s %8s" % (
            "back-end", "bytes", "cost", "min", "p90", "max", "lost"))
        size = 0
        for r in sel:
            if r["mode"] == "off":
                continue
            events = r["n"] * r["batches"]
            size = r["trace_bytes"] / events if events else 0
            r["event_cost"] = r["ns"] - off["ns"]
            print("%-22s %8.0f %10.1f %10.1f %10.1f %10.1f %8s" % (
                "lttng_" + r["mode"], size, r["event_cost"],
                r["min"] - off["ns"], r["p90"] - off["ns"],
                r["max"] - off["ns"], r["lost"]))
            out.append(r)
        sizes = sorted({r["size"] for r in same})
        if size and sizes:
            near = min(sizes, key=lambda x: abs(x - size))
            for be in ("relayfs_hdr", "relayfs_write", "relay_write",
                       "rb_write"):
                r = next((r for r in same if r["backend"] == be and
                          r["size"] == near), None)
                if r:
                    print("%-22s %8d %10.1f %10.1f %10.1f %10.1f %8s" % (
                        be, near + (HDR_BYTES if be == "relayfs_hdr" else 0),
                        r["cost"], r["min"], r["p90"], r["max"], "-"))
    return out


def scale_table(rows):
    """Per-CPU cost with every CPU writing at once, against one CPU
    alone, on boots of more than 2 vCPUs: nothing shared, nothing more."""
    for key in sorted({(r["kernel"], r["clock"], r["vcpus"]) for r in rows
                       if r["vcpus"] > 2}):
        sel = [r for r in rows if (r["kernel"], r["clock"], r["vcpus"]) == key
               and r["mode"] == "nofill"]
        print("\n%s, %d vCPUs, %s, nofill: cost per record, one CPU alone "
              "and all %d at once" % (key[0], key[2],
                                      "instructions under qemu -icount"
                                      if key[1] == "icount" else
                                      "emulated ns", key[2]))
        print("%-16s %6s %10s %10s %8s" % ("back-end", "size", "1 CPU",
                                          "%d CPUs" % key[2], "ratio"))
        by = {(r["backend"], r["size"], r["cpus"]): r for r in sel}
        for be in ORDER:
            for size in sorted({r["size"] for r in sel}):
                one, all_ = by.get((be, size, 1)), by.get((be, size, key[2]))
                if one and all_:
                    print("%-16s %6d %10.1f %10.1f %8s" % (
                        be, size, one["cost"], all_["cost"],
                        fmt_ratio(all_["cost"], one["cost"])))


def plot(rows, outdir):
    for kernel in sorted({r["kernel"] for r in rows}):
        sel = [r for r in rows if r["kernel"] == kernel and
               r["mode"] == "nofill" and r["cpus"] == 1 and r["written"]]
        # One boot's figures per kernel: the one with the fewest vCPUs
        # and the most sizes (the 8-vCPU boot has a few sizes only).
        boots = {(r["vcpus"], r["clock"]) for r in sel}
        if not boots:
            continue
        best = max(boots, key=lambda b: (len({r["size"] for r in sel
                                               if (r["vcpus"], r["clock"])
                                               == b}), -b[0]))
        sel = [r for r in sel if (r["vcpus"], r["clock"]) == best]
        if not sel:
            continue
        clock = sel[0]["clock"]
        data = os.path.join(outdir, "plot-%s.dat" % kernel)
        names = [be for be in ORDER if any(r["backend"] == be for r in sel)]
        with open(data, "w") as f:
            for be in names:
                f.write("# %s\n" % be)
                for r in sorted((r for r in sel if r["backend"] == be),
                                key=lambda r: r["size"]):
                    f.write("%d %.1f\n" % (r["size"], r["cost"]))
                f.write("\n\n")
        png = os.path.join(outdir, "bench-%s.png" % kernel)
        # noenhanced: back-end names as written (no subscript for "_").
        script = ("set terminal png noenhanced size 900,600;"
                  "set output '%s';"
                  "set logscale xy 2; set key left top;"
                  "set xlabel 'record size (bytes)';"
                  "set ylabel 'cost per record (%s)';"
                  "set title '%s, %s, one CPU, buffers never fill';"
                  % (png, "guest instructions" if clock == "icount"
                     else "emulated ns",
                     "instructions per record under qemu -icount"
                     if clock == "icount" else
                     "emulated ns per record (no icount)", kernel))
        script += "plot " + ", ".join(
            "'%s' index %d with linespoints title '%s'" % (data, i, be)
            for i, be in enumerate(names))
        subprocess.run(["gnuplot", "-e", script], check=True)
        print("plot: %s" % png)


def flag(rows, consumer, offered, lttng):
    """Mark every row with "invalid" (a reason or None); list the bad."""
    bad = 0
    for r in lttng:
        r["invalid"] = ("error %d" % r["err"] if r["err"] else
                        "nothing traced" if r["mode"] != "off" and
                        r["trace_bytes"] <= 0 else
                        "events lost" if r["mode"] != "off" and
                        r["lost"] not in ("0", "unknown") else None)
    for r in rows:
        r["invalid"] = invalid_reason(r)
    for r in consumer:
        r["invalid"] = ("error %d" % r["err"] if r["err"] else
                        "nothing drained" if r["mb"] <= 0 else None)
    for r in offered:
        r["invalid"] = ("error %d" % r["err"] if r["err"] else
                        "nothing written" if r["written"] <= 0 else None)
    for r in rows + consumer + offered + lttng:
        if r["invalid"]:
            bad += 1
            print("INVALID (%s): %s" % (r["invalid"], ", ".join(
                "%s=%s" % (k, r[k]) for k in sorted(r) if k != "invalid")))
    return bad


def main():
    outdir, paths = sys.argv[1], sys.argv[2:]
    rows, consumer, offered, lttng = load(paths)
    if not rows:
        sys.exit("report: no results in %s" % " ".join(paths))
    bad = flag(rows, consumer, offered, lttng)
    with open(os.path.join(outdir, "results.csv"), "w") as f:
        f.write("kernel,clock,mode,cpus,backend,size,cost,min,p90,max,"
                "written,err,valid\n")
        for r in rows:
            f.write("%(kernel)s,%(clock)s,%(mode)s,%(cpus)d,%(backend)s,"
                    "%(size)d,%(cost).3f,%(min).3f,%(p90).3f,%(max).3f,"
                    "%(written)d,%(err)d," % r +
                    ("0" if r["invalid"] else "1") + "\n")
    valid = [r for r in rows if not r["invalid"]]
    goals = tables(valid)
    scale_table(valid)
    lttng_table([r for r in lttng if not r["invalid"]], valid)
    cgoals = consumer_table([r for r in consumer if not r["invalid"]]) + \
        load_table([r for r in offered if not r["invalid"]])
    for kernel, mode, cpus, size, goal, ok, value in cgoals:
        print("  %-4s %-22s vcpus=%d %-46s %s" % (
            "met" if ok else "MISS", kernel, cpus, goal, value))
    goals += cgoals
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump({"results": rows, "consumer": consumer, "lttng": lttng,
                   "offered_load": offered, "goals": [
            {"kernel": k, "mode": m, "cpus": c, "size": s, "goal": g,
             "met": ok, "value": v} for k, m, c, s, g, ok, v in goals]},
            f, indent=1)
    plot(valid, outdir)
    if bad:
        sys.exit("report: %d invalid rows, left out of tables and goals"
                 % bad)


if __name__ == "__main__":
    main()
