#!/usr/bin/env python3
"""pidone side by side with tini, dumb-init and catatonit. Run through bench/run.sh,
which installs the peers and builds the helpers first.

Every init runs as PID 1 of a fresh PID namespace (`unshare --pid --fork --mount-proc`), in
one run, so the ratios are fair. The "bare app" column is the application alone as PID 1.
Timing-sensitive parts are done by the static helpers in bench/helpers/bench_*.rs (see their
header comments); this script starts things, collects samples and writes:
  bench/results/latest.json  every raw sample, the machine and the configuration;
  bench/results/latest.md    the Markdown table (also printed), and pidone's targets.
Standard library only (Python 3.9+).
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "target" / "x86_64-unknown-linux-musl" / "release"
EXAMPLES = RELEASE / "examples"
PIDONE = RELEASE / "pidone"
RESULTS = ROOT / "bench" / "results"

UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc", "--"]
ORPHANS = 5000
GRACE_TEST = "1s"  # pidone's grace in the TERM-ignoring shutdown test
HANG_TIMEOUT_MS = 3000  # how long a shutdown may take before we call it a hang
IDLE_SECONDS = 10
WORKER_MS = 300


class Init:
    def __init__(self, name, path, args=(), note=""):
        self.name = name
        self.path = str(path) if path else None
        self.args = list(args)
        self.note = note

    def argv(self, app, extra=()):
        """The init (if any) running `app`, options ended with `--` (tini and catatonit
        permute options, so without it they would take the app's options as theirs)."""
        if not self.path:
            return list(app)
        return [self.path, *self.args, *extra, "--", *app]


INITS = [
    Init("bare app", None, note="the application alone as PID 1"),
    Init("pidone", PIDONE),
    Init("tini-static", "/usr/bin/tini-static", note="Debian tini-static"),
    Init("tini", "/usr/bin/tini", note="Debian tini (dynamic)"),
    Init("dumb-init", "/usr/bin/dumb-init", note="Debian dumb-init (dynamic)"),
    Init("catatonit", "/usr/bin/catatonit", note="Debian catatonit"),
]
PEERS = ["tini-static", "tini", "dumb-init", "catatonit"]


def log(*parts):
    print("bench:", *parts, file=sys.stderr, flush=True)


# The binaries in use: copied out of target/ when the run starts (see snapshot()), so that
# another build in the same target directory cannot swap them in the middle of a run.
BIN = {}


def example(name):
    return BIN[name]


def snapshot(tmp):
    """Copies pidone and the helpers into `tmp`; points INITS and example() at the copies."""
    names = ["bench_app", "bench_siglat", "bench_stop", "bench_zombies", "graceful", "sigecho"]
    sources = {"pidone": PIDONE, **{n: EXAMPLES / n for n in names}}
    folder = Path(tmp) / "bin"
    folder.mkdir()
    for name, source in sources.items():
        if source.exists():
            BIN[name] = str(folder / name)
            shutil.copy2(source, BIN[name])
    INITS[1].path = BIN["pidone"]


# ---------------------------------------------------------------------------------------
# Running an init as PID 1 of a new namespace


class NsRun:
    """`unshare --pid --fork --mount-proc -- INIT -- APP`, with the app's stdout read here."""

    def __init__(self, init, app, extra=()):
        self.proc = subprocess.Popen(
            UNSHARE + init.argv(app, extra),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.out = b""
        self._pid1 = None

    def read_until(self, token, timeout=10.0):
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while token not in self.out:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return False
            chunk = os.read(fd, 65536)
            if not chunk:
                return token in self.out
            self.out += chunk
        return True

    def pid1(self):
        """The host pid of the namespace's PID 1 (unshare's only child)."""
        if self._pid1 is None:
            path = f"/proc/{self.proc.pid}/task/{self.proc.pid}/children"
            for _ in range(2000):
                try:
                    kids = Path(path).read_text().split()
                except OSError:
                    kids = []
                if kids:
                    self._pid1 = int(kids[0])
                    break
                time.sleep(0.001)
        return self._pid1

    def signal(self, sig):
        pid = self.pid1()
        if pid:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def finish(self, timeout=15.0):
        """Reads what is left of the output and waits; SIGKILLs the namespace if needed."""
        self.read_until(b"\0never\0", timeout)
        try:
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        return self.out

    def stop(self):
        self.signal(signal.SIGKILL)
        return self.finish(5)


def started(init, app, extra=(), token=b"ready"):
    run = NsRun(init, app, extra)
    if not run.read_until(token):
        run.stop()
        raise RuntimeError(f"{init.name}: {' '.join(app)} did not start")
    run.pid1()
    return run


# ---------------------------------------------------------------------------------------
# Statistics and formatting


def percentile(values, q):
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n*q/100)
    return ordered[int(rank) - 1]


def mmm(values, scale=1.0, digits=1):
    """`median [min-max]`, or the single value."""
    if not values:
        return "—"
    v = [x / scale for x in values]
    med = statistics.median(v)
    f = f"{{:.{digits}f}}"
    if len(v) == 1 or min(v) == max(v):
        return f.format(med)
    return f"{f.format(med)} [{f.format(min(v))}–{f.format(max(v))}]"


# ---------------------------------------------------------------------------------------
# 1. Binary size and linkage


def elf_linkage(path):
    """'static' or 'dynamic' from the program headers (PT_INTERP means a loader is needed)."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return "?"
    phoff = int.from_bytes(data[32:40], "little")
    phentsize = int.from_bytes(data[54:56], "little")
    phnum = int.from_bytes(data[56:58], "little")
    for i in range(phnum):
        start = phoff + i * phentsize
        if int.from_bytes(data[start : start + 4], "little") == 3:
            return "dynamic"
    return "static"


def shared_libs(path):
    try:
        out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    except OSError:
        return []
    libs = []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts:
            target = parts[parts.index("=>") + 1]
            if target.startswith("/"):
                libs.append(target)
        elif parts and parts[0].startswith("/"):
            libs.append(parts[0])
    return libs


def measure_sizes():
    sizes = {}
    for init in INITS:
        if not init.path:
            continue
        linkage = elf_linkage(init.path)
        entry = {"bytes": os.path.getsize(init.path), "linkage": linkage}
        if linkage == "dynamic":
            entry["libs"] = shared_libs(init.path)
        sizes[init.name] = entry
    return sizes


# ---------------------------------------------------------------------------------------
# 2 + 4. Memory and idle wake-ups, all inits side by side at the same time


def proc_status(pid):
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()[0] if value.split() else ""
    return {
        "rss_kb": int(fields["VmRSS"]),
        "hwm_kb": int(fields["VmHWM"]),
        "ctxt": int(fields["voluntary_ctxt_switches"]) + int(fields["nonvoluntary_ctxt_switches"]),
    }


def cpu_times():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def measure_memory_idle(instances):
    runs = []
    for _ in range(instances):
        for init in INITS:
            if init.path:
                runs.append((init, started(init, [example("bench_app")])))
    time.sleep(1.0)  # let start-up settle
    before = {id(run): proc_status(run.pid1()) for _, run in runs}
    log(f"idle: {len(runs)} inits side by side for {IDLE_SECONDS} s")
    busy0, total0 = cpu_times()
    time.sleep(IDLE_SECONDS)
    busy1, total1 = cpu_times()
    # Everything here is asleep now: whatever CPU is busy belongs to someone else.
    result = {"_busy_pct": 100.0 * (busy1 - busy0) / max(1, total1 - total0)}
    for init, run in runs:
        after = proc_status(run.pid1())
        entry = result.setdefault(init.name, {"rss_kb": [], "hwm_kb": [], "wakeups": []})
        entry["rss_kb"].append(after["rss_kb"])
        entry["hwm_kb"].append(after["hwm_kb"])
        entry["wakeups"].append(after["ctxt"] - before[id(run)]["ctxt"])
    for _, run in runs:
        run.signal(signal.SIGTERM)
    for _, run in runs:
        run.finish()
    return result


# ---------------------------------------------------------------------------------------
# 3. Start cost with hyperfine


def hyperfine(commands, runs, warmup, rounds):
    """Runs hyperfine `rounds` times over all the commands and pools the times, so that a
    disturbance from another process hits every command alike instead of one batch."""
    pooled = [[] for _ in commands]
    medians = [[] for _ in commands]
    per_round = max(1, runs // rounds)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hf.json"
        for _ in range(rounds):
            subprocess.run(
                ["hyperfine", "-N", "--style", "none", "--runs", str(per_round),
                 "--warmup", str(warmup), "--export-json", str(out), *commands],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            results = json.loads(out.read_text())["results"]
            for times, median, result in zip(pooled, medians, results):
                times.extend(result["times"])
                median.append(statistics.median(result["times"]))
    return pooled, medians


def measure_start(runs_plain, runs_ns, warmup, rounds):
    plain, ns = [], []
    for init in INITS:
        # Outside a namespace, pidone and catatonit make themselves child subreapers; tini
        # gets -s to do the same (and to skip its not-PID-1 warning).
        extra = ["-s"] if init.name.startswith("tini") else []
        plain.append(" ".join(init.argv(["/bin/true"], extra)))
        ns.append(" ".join(UNSHARE + init.argv(["/bin/true"])))
    log(f"start cost: hyperfine, {runs_plain} runs each outside a namespace")
    times_plain, rounds_plain = hyperfine(plain, runs_plain, warmup, rounds)
    log(f"start cost: hyperfine, {runs_ns} runs each in a new PID namespace")
    times_ns, rounds_ns = hyperfine(ns, runs_ns, warmup, rounds)
    return {
        "commands_plain": plain,
        "commands_ns": ns,
        "plain_s": {i.name: t for i, t in zip(INITS, times_plain)},
        "ns_s": {i.name: t for i, t in zip(INITS, times_ns)},
        "plain_round_medians_s": {i.name: t for i, t in zip(INITS, rounds_plain)},
        "ns_round_medians_s": {i.name: t for i, t in zip(INITS, rounds_ns)},
    }


# ---------------------------------------------------------------------------------------
# 5. Signal forwarding latency


def measure_signal_latency(rounds, per_round, tmp):
    result = {init.name: {"ns": [], "rounds": [], "lost": 0} for init in INITS}
    for r in range(rounds):
        for init in INITS:  # interleaved, so a passing disturbance hits everyone alike
            fifo = Path(tmp) / f"fifo-{r}-{init.name.replace(' ', '_')}"
            os.mkfifo(fifo)
            run = started(init, [example("bench_app"), "--fifo", str(fifo)])
            out = subprocess.run(
                [example("bench_siglat"), str(run.pid1()), str(fifo), str(per_round), "1000", "20"],
                capture_output=True, text=True, timeout=120,
            )
            run.signal(signal.SIGTERM)
            run.finish()
            fifo.unlink()
            samples = []
            for line in out.stdout.split():
                if line == "lost":
                    result[init.name]["lost"] += 1
                else:
                    samples.append(int(line))
            result[init.name]["ns"].extend(samples)
            result[init.name]["rounds"].append(samples)
        log(f"signal latency: round {r + 1}/{rounds} done")
    return result


# ---------------------------------------------------------------------------------------
# 6. Zombie reaping


def measure_zombies(reps):
    result = {}
    for mode in ("sequential", "burst"):
        for rep in range(reps):
            for init in INITS:
                if not init.path and rep > 0:
                    continue  # nothing reaps without an init: once is enough to show it
                app = [example("bench_zombies"), str(ORPHANS), "--timeout-ms", "2000"]
                if mode == "burst":
                    app.append("--burst")
                run = NsRun(init, app)
                out = run.finish(60).decode(errors="replace")
                line = next((l for l in out.splitlines() if l.startswith("{")), None)
                if line is None:
                    raise RuntimeError(f"{init.name}: bench_zombies printed nothing")
                result.setdefault(init.name, {}).setdefault(mode, []).append(json.loads(line))
            log(f"zombies: {mode} {rep + 1}/{reps} done")
    return result


# ---------------------------------------------------------------------------------------
# 7. Shutdown


def stop_time(run, timeout_ms=HANG_TIMEOUT_MS):
    out = subprocess.run(
        [example("bench_stop"), str(run.pid1()), str(timeout_ms)],
        capture_output=True, text=True, timeout=timeout_ms / 1000 + 30,
    ).stdout.split()
    return out[0], int(out[1])


def measure_shutdown(reps_exit, reps_ignore, reps_worker):
    result = {}
    for init in INITS:
        entry = result.setdefault(init.name, {})
        # The app exits on SIGTERM.
        entry["exits_on_term"] = []
        for _ in range(reps_exit):
            run = started(init, [example("bench_app")])
            how, ns = stop_time(run)
            run.finish()
            entry["exits_on_term"].append({"result": how, "ns": ns})
        # The app ignores SIGTERM; pidone runs with a short grace.
        extra = ["--grace", GRACE_TEST] if init.name == "pidone" else []
        entry["ignores_term"] = []
        for _ in range(reps_ignore):
            run = started(init, [example("bench_app"), "--ignore-term"], extra)
            how, ns = stop_time(run)
            run.finish()
            entry["ignores_term"].append({"result": how, "ns": ns})
            if how == "timeout":
                break  # it hangs: once is enough to show it
        # A grandchild needs WORKER_MS to finish after SIGTERM.
        entry["grandchild"] = []
        for _ in range(reps_worker):
            run = started(init, [example("bench_app"), "--worker-ms", str(WORKER_MS)])
            how, ns = stop_time(run)
            out = run.finish()
            entry["grandchild"].append(
                {"result": how, "ns": ns, "worker_finished": b"worker finished" in out}
            )
        log(f"shutdown: {init.name} done")
    return result


# ---------------------------------------------------------------------------------------
# 8. docker stop


def docker_available():
    if not shutil.which("docker"):
        return "docker is not installed"
    try:
        ok = subprocess.run(["docker", "info"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return None if ok else "the Docker engine does not answer"


def measure_docker(reps, tmp):
    why = docker_available()
    if why:
        log(f"docker stop: skipped ({why})")
        return {"skipped": why}
    if "graceful" in BIN:
        app, app_name, token = example("graceful"), "graceful", "listening on"
    else:
        app, app_name, token = example("sigecho"), "sigecho", "ready"
    # A FROM-scratch image: the app, and dumb-init with the shared libraries it needs
    # (Debian's dumb-init is dynamically linked, so bind-mounting it alone cannot work).
    rootfs = Path(tmp) / "rootfs"
    rootfs.mkdir()
    shutil.copy2(app, rootfs / "app")
    for path in ["/usr/bin/dumb-init", *shared_libs("/usr/bin/dumb-init")]:
        dest = rootfs / path.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.realpath(path), dest)
    (rootfs / "tmp").mkdir()
    image = "pidone-bench:latest"
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["docker", "import", "-", image], stdin=tar.stdout, check=True,
                   stdout=subprocess.DEVNULL)
    tar.wait()
    configs = {
        "bare app": ([], ["/app"]),
        "pidone": (["-v", f"{BIN['pidone']}:/pidone:ro", "--entrypoint", "/pidone"], ["--", "/app"]),
        "tini-static": (["-v", "/usr/bin/tini-static:/tini:ro", "--entrypoint", "/tini"],
                        ["--", "/app"]),
        "dumb-init": (["--entrypoint", "/usr/bin/dumb-init"], ["--", "/app"]),
        "catatonit": (["-v", "/usr/bin/catatonit:/catatonit:ro", "--entrypoint", "/catatonit"],
                      ["--", "/app"]),
    }
    result = {"app": app_name, "image": "FROM scratch (docker import)", "samples": {}}
    for rep in range(reps):
        for name, (opts, cmd) in configs.items():
            container = f"pidone-bench-{os.getpid()}-{rep}-{name.replace(' ', '_')}"
            subprocess.run(["docker", "run", "-d", "--network", "none", "--name", container,
                            *opts, image, *cmd], check=True, stdout=subprocess.DEVNULL)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                logs = subprocess.run(["docker", "logs", container], capture_output=True,
                                      text=True).stdout
                if token in logs:
                    break
                time.sleep(0.05)
            start = time.monotonic_ns()
            subprocess.run(["docker", "stop", container], check=True, stdout=subprocess.DEVNULL)
            took = time.monotonic_ns() - start
            code = subprocess.run(["docker", "inspect", "-f", "{{.State.ExitCode}}", container],
                                  capture_output=True, text=True).stdout.strip()
            subprocess.run(["docker", "rm", "-f", container], stdout=subprocess.DEVNULL)
            result["samples"].setdefault(name, []).append({"ns": took, "exit_code": code})
        log(f"docker stop: round {rep + 1}/{reps} done")
    subprocess.run(["docker", "rmi", image], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return result


# ---------------------------------------------------------------------------------------
# Machine


def machine():
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
        "pidone_commit": version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
        + (" + uncommitted changes" if version(["git", "-C", str(ROOT), "status", "--porcelain",
                                                "--", "src", "Cargo.toml", "Cargo.lock"])
           else ""),
        "rustc": version(["rustc", "--version"]),
        "packages": {
            p: version(["dpkg-query", "-W", "-f", "${Version}", p])
            for p in ["tini", "dumb-init", "catatonit", "hyperfine"]
        },
    }


# ---------------------------------------------------------------------------------------
# The table


def build_table(data):
    names = [i.name for i in INITS]
    rows = []

    def row(label, cells):
        rows.append([label] + [cells.get(n, "—") for n in names])

    sizes = data["sizes"]
    row("binary size, linkage", {
        n: f"{s['bytes'] / 1024:.1f} KiB {s['linkage']}" for n, s in sizes.items()})

    mem = data["memory_idle"]
    row("VmRSS of the init (kB)", {n: mmm(m["rss_kb"], digits=0) for n, m in mem.items()})
    row("VmHWM of the init (kB)", {n: mmm(m["hwm_kb"], digits=0) for n, m in mem.items()})
    row(f"idle wake-ups in {IDLE_SECONDS} s", {n: mmm(m["wakeups"], digits=0) for n, m in mem.items()})

    start = data["start"]
    row("start: `INIT /bin/true`, no namespace (ms)",
        {n: mmm(t, 1e-3, 2) for n, t in start["plain_s"].items()})
    row("start: same in a new PID namespace (ms)",
        {n: mmm(t, 1e-3, 2) for n, t in start["ns_s"].items()})

    lat = data["signal_latency"]
    for q, label in ((50, "p50"), (99, "p99"), (100, "max")):
        cells = {}
        for n, s in lat.items():
            if s["ns"]:
                # The percentile of all samples, then its range over the rounds.
                per_round = [percentile(r, q) / 1000 for r in s["rounds"] if r]
                cells[n] = f"{percentile(s['ns'], q) / 1000:.1f}"
                if len(per_round) > 1:
                    cells[n] += f" [{min(per_round):.1f}–{max(per_round):.1f}]"
                if q == 100 and s["lost"]:
                    cells[n] += f" ({s['lost']} lost)"
        row(f"signal latency {label} (µs; all samples [range over rounds])", cells)

    zombies = data["zombies"]
    for mode, label in (("sequential", "one after another"), ("burst", "released at once")):
        time_cells, cpu_cells, peak_cells = {}, {}, {}
        for n, modes in zombies.items():
            runs = modes[mode]
            cleared = [r["clear_ns"] for r in runs if r["clear_ns"] is not None]
            time_cells[n] = mmm(cleared, 1e6, 1) if len(cleared) == len(runs) else "never"
            if n != "bare app":
                cpu_cells[n] = mmm([r["pid1_cpu_ns"] for r in runs], 1e6, 1)
            leaked = max(r["leaked"] for r in runs)
            peak_cells[n] = f"{mmm([r['peak'] for r in runs], digits=0)} / {leaked}"
        extra = " from first fork" if mode == "sequential" else " from release"
        row(f"{ORPHANS} orphans {label}: time until none left{extra} (ms)", time_cells)
        row(f"{ORPHANS} orphans {label}: CPU time of PID 1 meanwhile (ms)", cpu_cells)
        row(f"{ORPHANS} orphans {label}: peak unreaped / leaked", peak_cells)

    shut = data["shutdown"]

    def stop_cell(samples, hang_note=True):
        done = [s["ns"] for s in samples if s["result"] == "exited"]
        if len(done) < len(samples):
            return f"hangs (killed after {HANG_TIMEOUT_MS // 1000} s)" if hang_note else "hangs"
        return mmm(done, 1e6, 1)

    row("shutdown, app exits on TERM (ms)",
        {n: stop_cell(s["exits_on_term"]) for n, s in shut.items()})
    row(f"shutdown, app ignores TERM (ms; pidone --grace {GRACE_TEST})",
        {n: stop_cell(s["ignores_term"]) for n, s in shut.items()})
    cells = {}
    for n, s in shut.items():
        finished = sum(1 for x in s["grandchild"] if x["worker_finished"])
        total = len(s["grandchild"])
        verdict = "finished" if finished == total else ("killed" if finished == 0 else
                                                         f"finished {finished}/{total}")
        cells[n] = f"{stop_cell(s['grandchild'])}, grandchild {verdict}"
    row(f"shutdown, grandchild needs {WORKER_MS} ms (ms)", cells)

    docker = data["docker"]
    if "skipped" in docker:
        row("`docker stop` (ms)", {n: f"skipped: {docker['skipped']}" for n in names})
    else:
        cells = {}
        for n, s in docker["samples"].items():
            codes = sorted({x["exit_code"] for x in s})
            cells[n] = f"{mmm([x['ns'] for x in s], 1e6, 0)} (exit {','.join(codes)})"
        cells["tini"] = "n/a: dynamic (tini-static used)"
        row(f"`docker stop`, {docker['app']} app (ms)", cells)

    header = ["measurement"] + [
        n + ("" if n != "tini" else " (dynamic)") for n in names]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def targets(data):
    """pidone's targets (size, stop time, signal latency, memory), checked against this run."""
    out = []

    def verdict(ok):
        return "**met**" if ok else "**missed**"

    def compare(ours, best, ours_spread, best_spread, unit, scale):
        """met/missed for 'ours no worse than best', with the margin and whether the two
        spreads (per-round values or samples) overlap, i.e. the gap is within the noise."""
        if ours <= best:
            return "**met**"
        text = f"**missed** by {(ours - best) / scale:.2f} {unit} ({ours / best - 1:.0%})"
        if min(ours_spread) <= max(best_spread):
            text += ", within this run's spread"
        return text

    size = data["sizes"]["pidone"]
    out.append(f"- binary ≤ 100 KiB static: {size['bytes'] / 1024:.1f} KiB {size['linkage']} — "
               + verdict(size["bytes"] <= 100 * 1024 and size["linkage"] == "static"))
    mem = data["memory_idle"]
    ours = statistics.median(mem["pidone"]["rss_kb"])
    tini = statistics.median(mem["tini-static"]["rss_kb"])
    out.append(f"- VmRSS ≤ half of tini-static's: {ours:.0f} kB vs {tini:.0f} kB "
               f"({ours / tini:.0%}) — " + verdict(ours <= tini / 2))
    wake = mem["pidone"]["wakeups"]
    out.append(f"- zero idle wake-ups: {max(wake)} in {IDLE_SECONDS} s — " + verdict(max(wake) == 0))
    lat = data["signal_latency"]
    for q in (50, 99):
        ours = percentile(lat["pidone"]["ns"], q)
        best_name = min(PEERS, key=lambda n: percentile(lat[n]["ns"], q))
        best = percentile(lat[best_name]["ns"], q)
        rounds = {n: [percentile(r, q) for r in lat[n]["rounds"] if r] for n in lat}
        out.append(f"- signal p{q} no worse than the best peer: {ours / 1000:.1f} µs vs "
                   f"{best / 1000:.1f} µs ({best_name}) — "
                   + compare(ours, best, rounds["pidone"], rounds[best_name], "µs", 1000))
    for key, label in (("plain", "no namespace"), ("ns", "new PID namespace")):
        start = data["start"][key + "_s"]
        rounds = data["start"][key + "_round_medians_s"]
        ours = statistics.median(start["pidone"])
        best_name = min(PEERS, key=lambda n: statistics.median(start[n]))
        best = statistics.median(start[best_name])
        out.append(f"- start cost ({label}) no worse than the best peer: {ours * 1e3:.3f} ms vs "
                   f"{best * 1e3:.3f} ms ({best_name}) — "
                   + compare(ours, best, rounds["pidone"], rounds[best_name], "ms", 1e-3))
    zombies = data["zombies"]
    leaked = sum(r["leaked"] for m in zombies["pidone"].values() for r in m)
    out.append(f"- zero leaked zombies: {leaked} — " + verdict(leaked == 0))

    def burst(n):
        runs = zombies[n]["burst"]
        if any(r["clear_ns"] is None for r in runs):
            return float("inf")
        return statistics.median(r["clear_ns"] for r in runs)

    def burst_cpu(n):
        return statistics.median(r["pid1_cpu_ns"] for r in zombies[n]["burst"])

    def burst_samples(n):
        return [r["clear_ns"] or float("inf") for r in zombies[n]["burst"]]

    best_name = min(PEERS, key=burst)
    best_cpu = min(PEERS, key=burst_cpu)
    out.append(f"- burst cleared no slower than the best peer: {burst('pidone') / 1e6:.1f} ms vs "
               f"{burst(best_name) / 1e6:.1f} ms ({best_name}) — "
               + compare(burst("pidone"), burst(best_name), burst_samples("pidone"),
                         burst_samples(best_name), "ms", 1e6)
               + f"; CPU time spent reaping: {burst_cpu('pidone') / 1e6:.1f} ms vs "
               f"{burst_cpu(best_cpu) / 1e6:.1f} ms ({best_cpu})")
    ignore = data["shutdown"]["pidone"]["ignores_term"]
    grace_ns = 1e9
    over = [s["ns"] - grace_ns for s in ignore if s["result"] == "exited"]
    if len(over) == len(ignore):
        out.append(f"- TERM-ignoring app: exit at grace + < 50 ms: grace + {max(over) / 1e6:.1f} ms "
                   "at worst — " + verdict(max(over) < 50e6))
    else:
        out.append("- TERM-ignoring app: pidone hung — **missed**")
    return "\n".join(out)


AUTOGROUP = Path("/proc/sys/kernel/sched_autogroup_enabled")


@contextlib.contextmanager
def container_scheduling():
    """Turns the scheduler's autogroups off for the run, and back on after.

    Outside a container the kernel gives every session its own scheduling group, so an app
    that its init put in a new session (dumb-init's setsid) wakes about 15 us sooner than
    one in the init's own session (measured: dumb-init and pidone named dumb-init ~24 us,
    dumb-init -c, tini, catatonit and pidone ~40 us; all ~44 us with autogroups off).
    Inside a container's cgroup autogroups never apply, so the run measures that case."""
    try:
        before = AUTOGROUP.read_text().strip()
    except OSError:
        yield "not in this kernel"
        return
    if before == "0":
        yield "off"
        return
    AUTOGROUP.write_text("0")
    try:
        yield "off for the run, as in a container's cgroup (on before)"
    finally:
        AUTOGROUP.write_text(before)


def render(data):
    m = data["machine"]
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, kernel {m['kernel']}; {m['date']}; "
        f"load average {' '.join(m['loadavg_start'])} at start, "
        f"{' '.join(m['loadavg_end'])} at the end; other processes kept the CPUs "
        f"{m.get('others_cpu_busy_pct_run', '?')}% busy during the run (before the Docker "
        f"part) and {m['others_cpu_busy_pct']}% during the {IDLE_SECONDS} s idle window; "
        f"{data['config']['mode']} run in {data['config']['seconds']:.0f} s; "
        f"scheduler autogroups {m.get('sched_autogroup', '?')}.",
    ]
    others = max(m["others_cpu_busy_pct"], m.get("others_cpu_busy_pct_run", 0))
    if others > 10:
        lines += [
            "",
            f"**Warning: other processes kept the machine up to {others}% busy while this "
            "ran: timings are disturbed; re-run on a quiet machine.**",
        ]
    lines += [
        "",
        build_table(data),
        "",
        "Cells are median [min–max] over the samples. Every init is PID 1 of a fresh PID "
        "namespace except in the \"no namespace\" start row; \"bare app\" is the application "
        "alone as PID 1. Peers: Debian packages "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if k != "hyperfine")
        + f"; pidone {m['pidone_commit']} ({m['rustc']}).",
        "",
        "Targets:",
        "",
        targets(data),
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (about a minute)")
    parser.add_argument("--no-docker", action="store_true", help="skip the docker stop measurement")
    parser.add_argument("--out", default=str(RESULTS), help="where latest.json/.md go")
    opts = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: needs root (unshare --pid, docker)")
    for path in [PIDONE] + [EXAMPLES / n for n in
                            ("bench_app", "bench_siglat", "bench_stop", "bench_zombies")]:
        if not path.exists():
            sys.exit(f"bench: {path} is missing: run bench/run.sh (it builds everything)")
    for init in INITS:
        if init.path and not os.access(init.path, os.X_OK):
            sys.exit(f"bench: {init.path} is missing: run bench/run.sh (it installs the peers)")

    q = opts.quick
    config = {
        "mode": "quick" if q else "full",
        "orphans": ORPHANS,
        "idle_seconds": IDLE_SECONDS,
        "memory_instances": 3,
        "start_runs_plain": 100 if q else 500,
        "start_runs_ns": 50 if q else 300,
        "start_rounds": 2 if q else 5,
        "signal_rounds": 2 if q else 10,
        "signal_per_round": 100 if q else 50,
        "zombie_reps": 1 if q else 5,
        "shutdown_reps": {"exits": 3 if q else 10, "ignores": 2 if q else 5,
                          "grandchild": 2 if q else 5},
        "docker_reps": 2 if q else 5,
        "hang_timeout_ms": HANG_TIMEOUT_MS,
        "grace_in_ignore_test": GRACE_TEST,
        "worker_ms": WORKER_MS,
    }
    began = time.monotonic()
    data = {"machine": machine(), "config": config}
    log("machine:", data["machine"]["cpu"], f"{data['machine']['cores']} cores,",
        "load", " ".join(data["machine"]["loadavg_start"]))
    busy_start, total_start = cpu_times()
    ours_start = resource.getrusage(resource.RUSAGE_CHILDREN)
    with container_scheduling() as autogroup, \
            tempfile.TemporaryDirectory(prefix="pidone-bench-") as tmp:
        data["machine"]["sched_autogroup"] = autogroup
        snapshot(tmp)
        data["sizes"] = measure_sizes()
        data["memory_idle"] = measure_memory_idle(config["memory_instances"])
        data["machine"]["others_cpu_busy_pct"] = round(data["memory_idle"].pop("_busy_pct"), 1)
        data["start"] = measure_start(config["start_runs_plain"], config["start_runs_ns"],
                                      5, config["start_rounds"])
        data["signal_latency"] = measure_signal_latency(config["signal_rounds"],
                                                        config["signal_per_round"], tmp)
        data["zombies"] = measure_zombies(config["zombie_reps"])
        reps = config["shutdown_reps"]
        data["shutdown"] = measure_shutdown(reps["exits"], reps["ignores"], reps["grandchild"])
        # Other processes' share of the CPUs from the start until here (Docker's daemon
        # would count as "other" below): the machine's busy time less our own children's.
        busy_end, total_end = cpu_times()
        ours_end = resource.getrusage(resource.RUSAGE_CHILDREN)
        ours_s = (ours_end.ru_utime + ours_end.ru_stime
                  - ours_start.ru_utime - ours_start.ru_stime)
        hz = os.sysconf("SC_CLK_TCK")
        others = (busy_end - busy_start) / hz - ours_s
        data["machine"]["others_cpu_busy_pct_run"] = round(
            max(0.0, 100.0 * others * hz / max(1, total_end - total_start)), 1)
        if opts.no_docker:
            data["docker"] = {"skipped": "--no-docker"}
        else:
            data["docker"] = measure_docker(config["docker_reps"], tmp)
    data["machine"]["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    config["seconds"] = time.monotonic() - began

    table = render(data)
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(data, indent=1) + "\n")
    (out / "latest.md").write_text(table)
    print(table)
    log(f"wrote {out / 'latest.json'} and {out / 'latest.md'}")


if __name__ == "__main__":
    main()
