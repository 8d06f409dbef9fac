import re,subprocess,sys,collections
b=sys.argv[1]
out=subprocess.run(['objdump','-d','--no-show-raw-insn',b],capture_output=True,text=True).stdout
syms={}
for l in subprocess.run(['nm',b],capture_output=True,text=True).stdout.splitlines():
    p=l.split()
    if len(p)==3: syms[int(p[0],16)]=p[2]
edges=collections.defaultdict(set); fn=None
for l in out.splitlines():
    m=re.match(r'^([0-9a-f]+) <(.*)>:$',l)
    if m: fn=m.group(2); continue
    m=re.search(r'\s(call|jmp)\s+([0-9a-f]+) <([^>+]+)',l)
    if m and fn: edges[fn].add(m.group(3))
    # address taken (lea)
    m=re.search(r'lea\s+.*# ([0-9a-f]+) <([^>+]+)>',l)
    if m and fn: edges[fn].add(m.group(2))
start=sys.argv[2] if len(sys.argv)>2 else 'main'
targets=[s for s in set(edges)|{t for v in edges.values() for t in v} if re.search(r'rust_panic|panic_fmt|rust_begin_unwind',s)]
prev={start:None}; q=collections.deque([start])
while q:
    f=q.popleft()
    for t in edges.get(f,()):
        if t not in prev: prev[t]=f; q.append(t)
for t in targets:
    if t in prev:
        path=[];x=t
        while x: path.append(x); x=prev[x]
        print(' <- '.join(subprocess.run(['c++filt'],input='\n'.join(path),capture_output=True,text=True).stdout.split('\n')[:12])); break
else: print("no panic reachable from",start)
