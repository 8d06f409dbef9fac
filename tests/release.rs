//! Facts about what ships, that do not depend on the machine's speed: the release binary is
//! static and within its size budget, links no allocator and no panic machinery, keeps a
//! small resident stack when idle, and every `unsafe` block of its source says why it is
//! sound.
//!
//! This file is the one place each of these is checked. scripts/check-release.sh only runs
//! it (and prints the sizes) for someone who wants the check alone.

mod common;

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

/// The release binary built again without stripping (`target/unstripped`), for its
/// symbols; built once per test process.
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

/// The names of every symbol in the unstripped build.
fn symbols() -> Vec<String> {
    let binary = unstripped();
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

/// The program header types of an ELF64 little-endian file.
fn program_headers(elf: &[u8]) -> Vec<u32> {
    assert_eq!(&elf[..5], b"\x7fELF\x02", "not a 64-bit ELF file");
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count)
        .map(|i| {
            let at = phoff + i * size;
            u32::from_le_bytes(elf[at..at + 4].try_into().unwrap())
        })
        .collect()
}

#[test]
fn release_binary_is_static_and_within_the_size_budget() {
    if !release_build("the size budget") {
        return;
    }
    let path = common::pidone();
    let bytes = std::fs::read(path).unwrap();
    eprintln!("release binary: {} bytes (budget {BUDGET})", bytes.len());
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

/// No panic machinery: the unstripped release build contains no panic symbol. (A `strings
/// | grep panicked` check is not exact: orphaned strings from std's merged string sections
/// stay in .rodata even when no code can reach them.) On failure the message shows the call
/// path from main that pulls a panic in.
#[test]
fn release_binary_links_no_panic_machinery() {
    if !release_build("no panic machinery") {
        return;
    }
    let panics: Vec<String> = symbols()
        .into_iter()
        .filter(|name| {
            let name = name.to_ascii_lowercase();
            name.contains("panick")
                || name.contains("rust_begin_unwind")
                || name.contains("panic_fmt")
        })
        .collect();
    if !panics.is_empty() {
        let root = env!("CARGO_MANIFEST_DIR");
        let path = Command::new("python3")
            .arg(format!("{root}/scripts/panic_path.py"))
            .args([unstripped(), "main"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_else(|e| format!("(scripts/panic_path.py did not run: {e})"));
        panic!(
            "the release binary links the panic runtime ({} symbols: {panics:?}). Path from \
             main:\n{path}",
            panics.len()
        );
    }
}

/// No heap, anywhere in the release binary: the unstripped release build contains no
/// allocator symbol at all, neither Rust's (`__rust_alloc`, `alloc::` code) nor the C
/// library's (`malloc`, `free`, ...). musl's static libc.a has malloc, but the linker only
/// pulls it in if something calls it; so this fails the day any code path, pidone's or a
/// libc function it calls, needs the heap.
#[test]
fn release_binary_links_no_allocator() {
    if !release_build("no allocator") {
        return;
    }
    let heap: Vec<String> = symbols()
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
        "allocator symbols in the release binary: {heap:?}"
    );
}

/// Stack pages, once touched, stay resident for PID 1's whole life. An idle pidone with
/// no `--user` touches a few pages of stack (argv, the environment, the loop's frames);
/// `--user`'s 50 KB of ids and passwd buffers live in a frame only that path enters. The
/// bound is 32 KiB.
#[test]
fn an_idle_pidone_keeps_a_small_stack() {
    use common::*;
    if !release_build("the resident stack of an idle pidone") {
        return;
    }
    let sigecho = example("sigecho");
    let p = start(Mode::Pid1, &["--", &sigecho]);
    p.until("ready");
    let pid = p.pidone_pid();
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap();
    let stack_kib: u64 = smaps
        .lines()
        .skip_while(|l| !l.contains(" [stack]"))
        .find_map(|l| l.strip_prefix("Rss:"))
        .and_then(|kib| kib.trim().trim_end_matches(" kB").parse().ok())
        .expect("a [stack] mapping with an Rss line");
    eprintln!("resident stack of an idle pidone: {stack_kib} KiB");
    assert!(stack_kib <= 32, "{stack_kib} KiB of stack resident");
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait().code(), 0);
}
