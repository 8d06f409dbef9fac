//! Link flags for the pidone binary only (tests and fixtures keep the defaults: a test's
//! panic must unwind).
//!
//! Size (issue 24): the unwind tables (`.eh_frame`, ~10 KB, and its index) are dropped
//! from the binary. Nothing in pidone unwinds: panic = "abort" with no reachable panic
//! (tests/release.rs checks the symbols), and no backtrace is ever taken. The C start-up
//! files keep theirs (crtbeginS.o registers its table at start). A linker script that
//! INSERTs a discard rule keeps the default layout otherwise (PIE, RELRO, separate code).
//! Measured with issue 24's features: 104,328 -> 92,040 bytes on x86_64. The same rule on
//! aarch64 (GNU ld too, a non-PIE static binary): 102,088 -> 93,760 bytes, `.text` and
//! `.rodata` the same size; tests/release.rs and tests/arm64.rs (qemu-user) pass on it.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let arch = var("CARGO_CFG_TARGET_ARCH");
    if var("CARGO_CFG_TARGET_OS") != "linux"
        || !matches!(arch.as_str(), "x86_64" | "x86" | "aarch64")
    {
        return;
    }
    let script = PathBuf::from(var("OUT_DIR")).join("no-unwind-tables.ld");
    let rule = "SECTIONS { /DISCARD/ : { EXCLUDE_FILE(*crtbeginS.o *crtendS.o *crtbegin.o \
                *crtend.o) *(.eh_frame) } } INSERT AFTER .text;\n";
    std::fs::write(&script, rule).expect("write the linker script");
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
    println!("cargo:rustc-link-arg-bins=-Wl,--no-eh-frame-hdr");
    if arch == "aarch64" {
        // Not a PIE there: no relocations to pack, and .cargo/config.toml has its norelro.
        return;
    }
    println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    if arch == "x86" {
        // As for aarch64 in .cargo/config.toml: only a dynamic loader applies RELRO, and a
        // static musl binary has none; here it padded the file by most of a page.
        println!("cargo:rustc-link-arg-bins=-Wl,-z,norelro");
        // One read-only segment for headers, code and constants, as aarch64's GNU ld makes
        // by default, instead of three each padded to a page in the file (up to 8 KB of
        // zeros in a non-PIE 32-bit binary): 105,096 -> 97,816 bytes with issue 22's fixes.
        println!("cargo:rustc-link-arg-bins=-Wl,-z,noseparate-code");
    }
}
