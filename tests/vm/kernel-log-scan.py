#!/usr/bin/env python3
"""Find the kernel's reports about itself in a test VM's logs.

    kernel-log-scan.py KERNEL RESULTS_LOG CONSOLE_LOG FOREIGN_LOG

RESULTS_LOG is the VM's result stream (tests/vm/init): after every suite,
"# kmsg-begin NAME" ... "# kmsg-end NAME" holds the kernel log records of
that suite, every level, read from /dev/kmsg (tests/user/kmsg-dump.c), and
"# kmsg-lost N" the records the ring buffer lost before they were read.
CONSOLE_LOG is the console (ttyS0): only its part after the last record
the dumps hold is scanned (what a crash left unread); the rest is in the
dumps.

A report fails the suite it belongs to.  Prints one line per failure,
"not ok kernel-log@SUITE@KERNEL: ...", the report itself under it (as
"# " lines), and a last line with the number of failures.

What counts as a report: BUG:, SLUB's "BUG cache (...): ", WARNING:, Oops, a panic, general
protection faults, Call Trace:, soft and hard lockups, hung tasks, RCU stalls,
UBSAN, KASAN, kmemleak's "N new suspected memory leaks", sleeping in
atomic context, refcount and list corruption, and lost log records.
Exempt, and only there: the stack dumps of failed allocations
(warn_alloc) in the "faults" suite, which injects those failures.

KCSAN (the race kernel) reports races anywhere in the kernel.  A report
is ours when one of its two accesses is made by our code (the frame under
the access line is one of our modules) or when the racing memory is ours:
our modules' static data (module space: only our modules are loaded in the
VM) or an object our modules allocated and logged as theirs
("relayfs-obj: + KIND ADDR SIZE" / "relayfs-obj: - ADDR", printed when
booted with no_hash_pointers and MODULE.log_objects=1), live at the time
of the report.  The others (a core helper racing on the core's own state)
are written to FOREIGN_LOG, counted, and fail nothing.
"""
import re
import sys

OURS = re.compile(r"\[(relayfs|relayfs_inject|relayfs_testprod|"
                  r"relayfs_selftest|relayfs_bench|relayfs_plant|relay_sample|"
                  r"relay_drain|klog|klog_demo|tprintk)\]")
BAD = re.compile(r"BUG:|BUG \S+ \(.*\): |WARNING:|Oops|Kernel panic|general protection|"
                 r"Call Trace:|hard LOCKUP|INFO: task .* blocked|"
                 r"rcu: INFO|UBSAN|KASAN|kmemleak: [0-9]+ new suspected|"
                 r"sleeping function called|refcount_t:|"
                 r"list_(add|del) corruption")
TS = re.compile(r"^\[\s*(\d+)\.(\d+)\] ?")
RULE = re.compile(r"^=+\s*$")     # a KCSAN report's closing line
ACCESS = re.compile(r"(read|write)( \(marked\))?( \(reordered\))? to "
                    r"0x([0-9a-f]+) of ([0-9]+) bytes by ")
OBJ_ADD = re.compile(r"relayfs-obj: \+ (\S+) (?:0x)?([0-9a-f]+) ([0-9]+)")
OBJ_DEL = re.compile(r"relayfs-obj: - (?:0x)?([0-9a-f]+)")
# x86-64 module space (MODULES_VADDR .. MODULES_END).
MOD_LO, MOD_HI = 0xffffffffa0000000, 0xffffffffff000000


def stamp(line):
    m = TS.match(line)
    return int(m.group(1)) * 1000000 + int(m.group(2)) if m else None


def text(line):
    return TS.sub("", line, count=1)


class Objects:
    """Our allocations over time, from the relayfs-obj lines."""

    def __init__(self):
        self.live = {}          # start -> (end, kind, t_alloc)
        self.dead = []          # (start, end, kind, t_alloc, t_free)

    def feed(self, line, t):
        m = OBJ_ADD.search(line)
        if m:
            start = int(m.group(2), 16)
            self.live[start] = (start + int(m.group(3)), m.group(1), t)
            return
        m = OBJ_DEL.search(line)
        if m and int(m.group(1), 16) in self.live:
            start = int(m.group(1), 16)
            end, kind, ta = self.live.pop(start)
            self.dead.append((start, end, kind, ta, t))

    def owner(self, addr, t):
        for start, (end, kind, ta) in self.live.items():
            if start <= addr < end and (t is None or ta is None or ta <= t):
                return kind
        for start, end, kind, ta, tf in self.dead:
            if start <= addr < end and t is not None and \
               (ta is None or ta <= t) and (tf is None or t <= tf):
                return kind
        return None


def kcsan_ours(block, objects, t):
    """Why a KCSAN report is ours, or None."""
    after_access = False
    for line in block:
        body = text(line)
        if after_access and OURS.search(body):
            return "accessed by our code: " + body.strip()
        after_access = False
        m = ACCESS.search(body)
        if not m:
            continue
        after_access = True
        addr = int(m.group(4), 16)
        if MOD_LO <= addr < MOD_HI:
            return "memory of our module at 0x%x" % addr
        kind = objects.owner(addr, t)
        if kind:
            return "memory of our %s at 0x%x" % (kind, addr)
    return None


# Stack dumps a suite causes on purpose, exempt in that suite only, each
# up to the end of its stack (</TASK>): failed allocations where the
# faults suite injects them, and sysrq's NMI backtraces where the log suite
# asks for them (what the caller then does is tested).
EXEMPT = {
    "faults": re.compile(r"vmalloc error: |page allocation failure: "),
    "log": re.compile(r"^NMI backtrace for cpu [0-9]+$"),
}
# Lines that name a report without being one: the command line echoed
# at boot, and a stack frame (its function's name is not a report).
NOT_REPORTS = re.compile(r"^((Kernel )?[Cc]ommand line:|"
                         r"Unknown kernel command line|"
                         r"\s*(\? )?[A-Za-z0-9_.]+\+0x[0-9a-f]+/0x[0-9a-f]+)")


def report_line(body, in_dump=False):
    """Does @body start (or belong to) a report?  Inside an exempt stack
    dump, its own "Call Trace:" does not count."""
    if not BAD.search(body) or NOT_REPORTS.match(body):
        return False
    return not (in_dump and body.startswith("Call Trace:"))


def reports(lines, suite, objects, foreign):
    """Yield (first bad line, report lines) for each report in @lines."""
    exempt = EXEMPT.get(suite)
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        t = stamp(line)
        body = text(line)
        if exempt and exempt.search(body):
            # Up to the end of its stack; it ends sooner at any line
            # that is a report itself (another CPU's, interleaved; or a
            # dump with no </TASK>, an NMI that hit user mode), which
            # the loop then takes as usual.
            end = min(n, i + 200)
            i += 1
            while i < end and "</TASK>" not in lines[i] and \
                    not report_line(text(lines[i]), True):
                i += 1
            if i < end and "</TASK>" in lines[i]:
                i += 1
            continue
        if body.startswith("BUG: KCSAN:"):
            # From the header to the closing rule of ='s, or to the next
            # report, which the loop then takes as usual: a foreign
            # block never hides another CPU's report, nor one after a
            # block the log cut short.
            j = i + 1
            while j < n and not RULE.match(text(lines[j])) and \
                    not report_line(text(lines[j])):
                j += 1
            closed = j < n and RULE.match(text(lines[j]))
            block = lines[i:j]
            why = kcsan_ours(block, objects, t)
            if why:
                yield body, block + ["(ours: %s)" % why]
            else:
                foreign.extend(block + [""])
            i = j + 1 if closed else j     # past the rule, if it closed
            continue
        if report_line(body):
            # The report and what led to it; then go on after it, so
            # that one report counts once.
            yield body, lines[max(0, i - 5):i + 80]
            i += 80
            continue
        i += 1


def sections(results):
    """The kmsg dumps: [(suite, lines, lost, errors)], last stamp seen."""
    out, cur, last = [], None, None
    for raw in results:
        line = raw.rstrip("\r\n")
        if line.startswith("# kmsg-begin "):
            cur = [line.split()[2], [], None, []]
            continue
        if cur is None:
            continue
        if line.startswith("# kmsg-end "):
            if cur[2] is None:      # no "# kmsg-lost": not a whole dump
                cur[2] = 0
                cur[3].append("# no kmsg-lost line: the dump is not whole")
            out.append(tuple(cur))
            cur = None
        elif line.startswith("# kmsg-lost "):
            cur[2] = int(line.split()[2])
        elif line.startswith("# kmsg-error"):
            cur[3].append(line)
        else:
            cur[1].append(line)
            t = stamp(line)
            if t is not None:
                last = t
    if cur is not None:         # the VM died while dumping
        out.append((cur[0], cur[1], cur[2] or 0,
                    cur[3] + ["# dump cut off"]))
    return out, last


def main():
    kernel, results, console, foreign_path = sys.argv[1:5]
    with open(results, errors="replace") as f:
        dumps, last = sections(f)
    with open(console, errors="replace") as f:
        cons = [l.rstrip("\r\n") for l in f]
    # What the dumps did not hold: the console after their last record.
    start = 0
    if last is not None:
        start = len(cons)
        for k, line in enumerate(cons):
            t = stamp(line)
            if t is not None and t > last:
                start = k
                break
    todo = [(s, l, lost, err) for s, l, lost, err in dumps]
    todo.append(("console", cons[start:], 0, []))

    # Our objects first: a report's time decides which were live.
    objects, foreign, failures = Objects(), [], 0
    for _, lines, _, _ in todo:
        for line in lines:
            objects.feed(line, stamp(line))
    for suite, lines, lost, errors in todo:
        where = "kernel-log@%s@%s" % (suite, kernel)
        if lost:
            print("not ok %s: the kernel log lost %d records before they "
                  "were read (log_buf_len too small?)" % (where, lost))
            failures += 1
        for e in errors:
            print("not ok %s: reading the kernel log: %s" % (where, e))
            failures += 1
        found = list(reports(lines, suite, objects, foreign))
        if found:
            # One failure per suite; the first report in full, the
            # others by their first line.
            print("not ok %s: %s" % (where, found[0][0]))
            for line in found[0][1]:
                print("# " + line)
            for first, _ in found[1:]:
                print("# and: " + first)
            failures += 1
    with open(foreign_path, "w") as f:
        f.write("\n".join(foreign))
    print(failures)


if __name__ == "__main__":
    main()
