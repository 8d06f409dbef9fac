#!/usr/bin/env python3
"""Prints the call path from a function (default: main) to Rust's panic runtime in an
unstripped binary, by a breadth-first walk over the direct calls and jumps objdump shows.
Used by check-release.sh to name the code that made a panic reachable."""
import collections
import re
import subprocess
import sys

binary = sys.argv[1]
start = sys.argv[2] if len(sys.argv) > 2 else "main"
# The host's objdump disassembles x86 only; another architecture's binary needs the
# objdump of its cross binutils (installed with its gcc by scripts/setup.sh).
with open(binary, "rb") as f:
    machine = int.from_bytes(f.read(20)[18:20], "little")
objdump = {0xB7: "aarch64-linux-gnu-objdump"}.get(machine, "objdump")
listing = subprocess.run([objdump, "-d", "--no-show-raw-insn", binary],
                         capture_output=True, text=True, check=True).stdout
edges = collections.defaultdict(set)
function = None
for line in listing.splitlines():
    header = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
    if header:
        function = header.group(1)
        continue
    call = re.search(r"\s(?:call|jmp|bl|b)\s+[0-9a-f]+ <([^>+]+)", line) or \
        re.search(r"lea\s+.*# [0-9a-f]+ <([^>+]+)>", line)
    if call and function:
        edges[function].add(call.group(1))

previous = {start: None}
queue = collections.deque([start])
while queue:
    caller = queue.popleft()
    for callee in edges.get(caller, ()):
        if callee not in previous:
            previous[callee] = caller
            queue.append(callee)

for name in previous:
    if re.search(r"rust_panic|panic_fmt|rust_begin_unwind", name):
        path = []
        while name:
            path.append(name)
            name = previous[name]
        demangled = subprocess.run(["c++filt"], input="\n".join(path),
                                   capture_output=True, text=True).stdout.split("\n")
        print(" <- ".join(demangled[:12]))
        sys.exit(1)
print(f"no panic reachable from {start}")
