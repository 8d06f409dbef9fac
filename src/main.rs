//! The `pidone` binary: parse, then run. `#![no_main]` skips std's start-up (and the panic
//! and formatting runtime it brings); the C runtime calls `main` directly.
#![no_main]
#![deny(clippy::multiple_unsafe_ops_per_block)]
#![deny(clippy::arithmetic_side_effects)]

use core::ffi::{c_char, c_int};

use pidone::Args;

#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // SAFETY: these are main's own arguments from the C runtime.
    let args = unsafe { Args::from_main(argc, argv) };
    pidone::main(args)
}
