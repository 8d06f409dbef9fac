//! Facts about what ships, that do not depend on the machine's speed: the release binary of
//! every architecture (x86_64, and aarch64 built with .cargo/config.toml's cross settings)
//! is static and within its size budget, links no allocator and no panic, formatting or
//! unwinding machinery, and keeps a small resident stack when idle (aarch64's runs under
//! qemu-user). A cross target whose rustup std is not installed is a loud SKIP.
//!
//! This file is the one place each of these is checked. scripts/check-release.sh only runs
//! it (and prints the sizes) for someone who wants the check alone.

use pidone_testkit as common;

use std::process::Command;
use std::sync::OnceLock;

/// The size budget: pidone is copied into every image, so a static binary of at most
/// 100 KiB. Only a binary with no
/// reachable panic, no heap on the runtime path and no std formatting fits.
const BUDGET: usize = 100 * 1024;

/// Whether this is a release build; a debug build says loudly what it did not check.
fn release_build(what: &str) -> bool {
    common::release_only(what)
}

/// The host's release binary built again without stripping (`target/unstripped`), for
/// its symbols; built once per test process.
fn unstripped() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let root = env!("CARGO_MANIFEST_DIR");
        let status = Command::new(option_env!("CARGO").unwrap_or("cargo"))
            .args(["build", "--release", "--quiet", "--bin", "pidone"])
            .current_dir(root)
            .env("CARGO_PROFILE_RELEASE_STRIP", "false")
            .env("CARGO_TARGET_DIR", format!("{root}/target/unstripped"))
            .status()
            .expect("run cargo");
        assert!(status.success(), "the unstripped build failed");
        format!("{root}/target/unstripped/x86_64-unknown-linux-musl/release/pidone")
    })
}

/// The binaries a test checks, by architecture: the host's release binary, and each
/// cross target's (`stripped`: as released; otherwise for its symbols). A cross target
/// that cannot be built here says why (SKIP, or a failure in CI for a missing tool).
fn binaries(test: &str, stripped: bool) -> Vec<(&'static str, String)> {
    let host = if stripped {
        common::host_pidone().to_string()
    } else {
        unstripped().to_string()
    };
    let mut all = vec![("x86_64", host)];
    for target in common::CROSS {
        // Cargo builds it once; later calls find it up to date.
        match target.build(stripped) {
            Ok(path) => all.push((target.arch, path)),
            Err(missing) => missing.skip(&format!("{test} ({})", target.arch)),
        }
    }
    all
}

/// The names of every symbol in an unstripped build.
fn symbols(binary: &str) -> Vec<String> {
    let nm = Command::new("nm").arg(binary).output().expect("run nm");
    assert!(nm.status.success(), "nm {binary}");
    let names: Vec<String> = String::from_utf8(nm.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .map(str::to_string)
        .collect();
    assert!(
        names.len() > 50,
        "only {} symbols: is {binary} stripped?",
        names.len()
    );
    names
}

/// The program header types of a little-endian ELF file (64- or 32-bit).
fn program_headers(elf: &[u8]) -> Vec<u32> {
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(elf[5], 1, "not a little-endian ELF file");
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap());
    let (phoff, size, count) = match elf[4] {
        2 => (
            u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize,
            u16_at(0x36),
            u16_at(0x38),
        ),
        1 => (u32_at(0x1c) as usize, u16_at(0x2a), u16_at(0x2c)),
        class => panic!("ELF class {class}"),
    };
    (0..count).map(|i| u32_at(phoff + i * size)).collect()
}

#[test]
fn release_binary_is_static_and_within_the_size_budget() {
    const TEST: &str = "release_binary_is_static_and_within_the_size_budget";
    if !release_build("the size budget") {
        return;
    }
    for (arch, path) in binaries(TEST, true) {
        let bytes = std::fs::read(&path).unwrap();
        eprintln!(
            "release binary ({arch}): {} bytes (budget {BUDGET})",
            bytes.len()
        );
        assert!(
            bytes.len() <= BUDGET,
            "{path} is {} bytes, over the {BUDGET}-byte budget",
            bytes.len()
        );
        // A dynamic binary names its loader in a PT_INTERP header (type 3); a static one,
        // position-independent or not, has none and runs in an empty image.
        const PT_INTERP: u32 = 3;
        assert!(
            !program_headers(&bytes).contains(&PT_INTERP),
            "{path} is dynamically linked: it has a program interpreter"
        );
    }
}

/// Whether a symbol belongs to the panic, formatting or unwinding runtime. (Mangled
/// names: `4core3fmt` is `core::fmt`, in both manglings rustc uses.)
fn runtime_symbol(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("panick")
        || lower.contains("rust_begin_unwind")
        || lower.contains("panic_fmt")
        || lower.contains("eh_personality")
        || name.starts_with("_Unwind_")
        || name.contains("4core3fmt")
}

/// No panic machinery: the unstripped release build of each architecture contains no
/// panic, formatting or unwinding symbol. (A `strings | grep panicked` check is not exact:
/// orphaned strings from std's merged string sections stay in .rodata even when no code
/// can reach them.) On failure the message shows the call path from main that pulls a
/// panic in.
#[test]
fn release_binary_links_no_panic_machinery() {
    const TEST: &str = "release_binary_links_no_panic_machinery";
    if !release_build("no panic machinery") {
        return;
    }
    for (arch, binary) in binaries(TEST, false) {
        let panics: Vec<String> = symbols(&binary)
            .into_iter()
            .filter(|name| runtime_symbol(name))
            .collect();
        eprintln!("{arch}: {} panic/format/unwind symbols", panics.len());
        if !panics.is_empty() {
            let root = env!("CARGO_MANIFEST_DIR");
            let path = Command::new("python3")
                .arg(format!("{root}/scripts/panic_path.py"))
                .args([&binary, "main"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_else(|e| format!("(scripts/panic_path.py did not run: {e})"));
            panic!(
                "the {arch} release binary links the panic runtime ({} symbols: {panics:?}). \
                 Path from main:\n{path}",
                panics.len()
            );
        }
    }
}

/// No heap, anywhere in the release binary of any architecture: the unstripped release
/// build contains no allocator symbol at all, neither Rust's (`__rust_alloc`, `alloc::`
/// code) nor the C library's (`malloc`, `free`, ...). musl's static libc.a has malloc,
/// but the linker only pulls it in if something calls it; so this fails the day any code
/// path, pidone's or a libc function it calls, needs the heap.
#[test]
fn release_binary_links_no_allocator() {
    const TEST: &str = "release_binary_links_no_allocator";
    if !release_build("no allocator") {
        return;
    }
    for (arch, binary) in binaries(TEST, false) {
        let heap: Vec<String> = symbols(&binary)
            .into_iter()
            .filter(|name| {
                [
                    "malloc",
                    "calloc",
                    "realloc",
                    "free",
                    "posix_memalign",
                    "aligned_alloc",
                    "memalign",
                    "valloc",
                    "__libc_malloc",
                    "__simple_malloc",
                    "__malloc_donate",
                    "__libc_free",
                    "brk",
                    "sbrk",
                ]
                .contains(&name.as_str())
                    || name.contains("__rust_alloc")
                    || name.contains("__rdl_alloc")
                    || name.contains("__rg_alloc")
                    || name.starts_with("_ZN5alloc")
            })
            .collect();
        assert!(
            heap.is_empty(),
            "allocator symbols in the {arch} release binary: {heap:?}"
        );
    }
}

/// The resident KiB of the mapping of `pid` that `is_stack` picks from /proc/PID/smaps
/// (given each mapping's header line and its start and end addresses).
fn stack_rss_kib(pid: i32, mut is_stack: impl FnMut(&str, u64, u64) -> bool) -> u64 {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap();
    let mut in_stack = false;
    for line in smaps.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) =
                (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
        {
            in_stack = is_stack(line, start, end);
        } else if in_stack && let Some(kib) = line.strip_prefix("Rss:") {
            return kib.trim().trim_end_matches(" kB").parse().unwrap();
        }
    }
    panic!("no stack mapping with an Rss line in /proc/{pid}/smaps");
}

/// Under qemu-user, the guest's stack is an anonymous mapping of the qemu process, not
/// its `[stack]` (that is qemu's own). It is found by what the kernel-like loader of qemu
/// put at its top: the guest's environment, with a marker only this run has.
fn guest_stack_kib(pid: i32, marker: &str) -> u64 {
    use std::io::{Read, Seek, SeekFrom};
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).expect("open /proc/PID/mem");
    stack_rss_kib(pid, |header, start, end| {
        let fields: Vec<&str> = header.split_whitespace().collect();
        // Anonymous and writable: no path, and not the host's [stack].
        if fields.len() != 5 || !fields[1].starts_with("rw") {
            return false;
        }
        let from = end.saturating_sub(64 * 1024).max(start);
        let mut top = vec![0u8; (end - from) as usize];
        mem.seek(SeekFrom::Start(from)).is_ok()
            && mem.read_exact(&mut top).is_ok()
            && top.windows(marker.len()).any(|w| w == marker.as_bytes())
    })
}

/// Stack pages, once touched, stay resident for PID 1's whole life. An idle pidone with
/// no `--user` touches a few pages of stack (argv, the environment, the loop's frames);
/// `--user`'s 50 KB of ids and passwd buffers live in a frame only that path enters. The
/// bound is 32 KiB. Checked for each architecture: aarch64's frames are its own compiler's.
#[test]
fn an_idle_pidone_keeps_a_small_stack() {
    const TEST: &str = "an_idle_pidone_keeps_a_small_stack";
    use common::*;
    if !release_build("the resident stack of an idle pidone") {
        return;
    }
    for (arch, binary) in binaries(TEST, true) {
        let target = CROSS.iter().find(|t| t.arch == arch);
        if let Some(target) = target
            && let Err(missing) = target.runnable()
        {
            missing.skip(&format!("{TEST} ({arch})"));
            continue;
        }
        let emulated = target.and_then(|t| t.binfmt).is_some();
        let marker = format!("PIDONE_STACK_MARKER={}-{arch}", std::process::id());
        let (key, value) = marker.split_once('=').unwrap();
        let mut cmd = Command::new("unshare");
        cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"])
            .arg(&binary)
            .args(["--", &example("sigecho")])
            .env(key, value);
        let p = spawn(Mode::Pid1, cmd);
        p.until("ready");
        let pid = started(&p);
        let stack_kib = if emulated {
            guest_stack_kib(pid, &marker)
        } else {
            stack_rss_kib(pid, |header, _, _| header.ends_with(" [stack]"))
        };
        eprintln!("resident stack of an idle pidone ({arch}): {stack_kib} KiB");
        assert!(stack_kib <= 32, "{arch}: {stack_kib} KiB of stack resident");
        p.signal(libc::SIGTERM);
        assert_eq!(p.wait().code(), 0, "{arch}");
    }
}
