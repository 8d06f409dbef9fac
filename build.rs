//! Link flags for the pidone binary only (tests and fixtures keep the defaults: a test's
//! panic must unwind).
//!
//! Size (issue 24's features): the binary is ~99 KB of content, and the default layout
//! pads each of its four segments to a page (up to 12 KB of zeros). `-z noseparate-code`
//! maps the ELF header, code and read-only data as one R+X segment instead of three, with
//! no padding between them; `--no-eh-frame-hdr` drops the unwinders' index (1 KB), which
//! nothing uses: with panic = "abort" and no backtrace, pidone never unwinds. PIE and
//! RELRO stay. Measured with the termination message and secrets: 108,504 -> 100,232 bytes.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,noseparate-code");
        println!("cargo:rustc-link-arg-bins=-Wl,--no-eh-frame-hdr");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
