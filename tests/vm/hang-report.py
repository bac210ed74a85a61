#!/usr/bin/env python3
"""Where is each vCPU of a hung test VM?  Asks qemu's monitor (a unix
socket) for every vCPU's registers and names the kernel function each RIP
is in, from the kernel's System.map (the guest runs with nokaslr).

    hang-report.py MONITOR_SOCKET SYSTEM_MAP

Every register goes to hang-registers.txt next to the socket.
"""
import bisect
import re
import socket
import sys
import time


def monitor(path, command):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(2.0)
    out = b""
    s.sendall(command.encode() + b"\n")
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        out += chunk
    s.close()
    return out.decode(errors="replace")


def load_map(path):
    syms = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[1] in "tTwW":
                    syms.append((int(parts[0], 16), parts[2]))
    except OSError:
        pass
    syms.sort()
    return syms


def name(syms, addr):
    i = bisect.bisect_right([a for a, _ in syms], addr) - 1
    if not syms:
        return "(no System.map here: Debian's is in linux-image-*-dbg)"
    if i < 0 or addr >= 0xffffffffa0000000:
        return "(not in the kernel image: user space or a module)"
    return "%s+%#x" % (syms[i][1], addr - syms[i][0])


def main():
    sock, sysmap = sys.argv[1], sys.argv[2]
    syms = load_map(sysmap)
    regs = monitor(sock, "info registers -a")
    with open(sock.rsplit("/", 1)[0] + "/hang-registers.txt", "w") as f:
        f.write(regs)
    for cpu, rip in re.findall(r"CPU#(\d+)\s+RAX.*?RIP=([0-9a-f]+)", regs,
                               re.S):
        addr = int(rip, 16)
        print("# hang: vCPU %s at %#x %s" % (cpu, addr, name(syms, addr)))
    flags = re.findall(r"RFL=([0-9a-f]+)", regs)
    for cpu, rfl in enumerate(flags):
        irqs = "on" if int(rfl, 16) & 0x200 else "off"
        print("# hang: vCPU %d interrupts %s" % (cpu, irqs))


if __name__ == "__main__":
    main()
