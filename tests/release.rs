//! Facts about the release binary that do not depend on the machine's speed.

mod common;

/// The size budget (issue 6): a static binary of at most 100 KiB. Only a binary with no
/// reachable panic, no heap on the runtime path and no std formatting fits.
#[test]
fn release_binary_is_static_and_within_the_size_budget() {
    if cfg!(debug_assertions) {
        eprintln!("SIZE BUDGET NOT CHECKED: this is a debug build; run `cargo test --release`");
        return;
    }
    let path = common::pidone();
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.len() <= 100 * 1024,
        "{path} is {} bytes, over 100 KiB",
        bytes.len()
    );
    // A static binary has no program interpreter (PT_INTERP) to load shared libraries.
    assert!(
        !bytes.windows(17).any(|w| w == b"/lib/ld-linux-x86"),
        "{path} is dynamic"
    );
    assert!(
        !bytes.windows(11).any(|w| w == b"ld-musl-x86"),
        "{path} is dynamic"
    );
}
