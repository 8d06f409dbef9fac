//! pidone: a container init. See README.md for what it does and why.
//!
//! Where to look:
//! - `cli`: the command line and environment, read once into a `config::Config`;
//! - `init`: start-up: block signals, subreaper, spawn, hand over to the loop;
//! - `spawn`: fork, what the child does before exec (`--user` included), and exec;
//! - `user`: resolving `--user` from /etc/passwd and /etc/group;
//! - `machine`: every decision about a signal or a child, as a pure state machine;
//! - `supervisor`: the loop that feeds it events and performs its actions;
//! - `terminal`: handing stdin's terminal to the application and taking it back;
//! - `procs`: the /proc listing of pidone's children the machine is fed;
//! - `sys`, `log`: system calls (all FFI, the only `unsafe`) and output, with no heap and
//!   no panics; `bytes`: the panic-free slice helpers they and the parsers use;
//! - `health`: `pidone health URL`, the HEALTHCHECK for images with no shell or curl.
//!
//! The library is `no_std` so nothing on pidone's runtime path can reach for the heap,
//! `std::io` or `format!`: the release binary has no panic runtime and stays tiny.
#![no_std]
// All FFI and raw memory is in `sys`, the only module allowed `unsafe` (see sys/mod.rs).
#![deny(unsafe_code)]
// One unsafe operation per block, so each has its own SAFETY comment.
#![deny(clippy::multiple_unsafe_ops_per_block)]
// No arithmetic that can overflow, in any profile: outside input (argv, the environment,
// /etc/passwd, /proc, signal numbers and pids) reaches most of it. Where wrapping or
// saturation is meant, `wrapping_*`, `saturating_*` or `checked_*` say so.
#![deny(clippy::arithmetic_side_effects)]

#[cfg(test)]
extern crate std;

// `pub` only what fuzz/ and tests/ use (the parsers, the config and their types): rustc
// reports an unused item only in a module the crate keeps to itself.
pub(crate) mod bytes;
pub mod cli;
pub mod config;
pub(crate) mod decimal;
pub mod duration;
pub(crate) mod health;
pub(crate) mod init;
pub mod log;
pub(crate) mod machine;
pub(crate) mod oom;
pub(crate) mod procs;
pub(crate) mod secrets;
pub mod signals;
pub(crate) mod spawn;
pub(crate) mod supervisor;
#[allow(unsafe_code)]
pub(crate) mod sys;
pub(crate) mod terminal;
pub(crate) mod termlog;
pub mod user;
pub(crate) mod watchdog;

pub use sys::Args;

use cli::Action;
use config::Personality;
use log::Line;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The whole program, on pidone's own argv: parse, then run. Returns the exit status.
pub fn main(args: Args) -> i32 {
    let personality = Personality::from_argv0(args.get(0).unwrap_or(b""));
    if personality.meaning().health && args.get(1) == Some(b"health") {
        return health::main(|i| args.get(i.saturating_add(2)));
    }
    match cli::parse(|i| args.get(i), sys::getenv) {
        Ok(Action::Run(cfg)) => init::run(&cfg, args),
        Ok(Action::Help) => {
            sys::write_all(1, cli::HELP.as_bytes());
            0
        }
        Ok(Action::License) => {
            sys::write_all(1, cli::LICENSE.as_bytes());
            0
        }
        Ok(Action::Version) => {
            version(personality);
            0
        }
        Err(err) => {
            // In the format asked for: under `--log-format json` every line is JSON.
            let log = log::Log {
                format: err.format,
                ..log::Log::default()
            };
            let mut msg = log.message(log::Level::Error);
            if !err.option.is_empty() {
                msg = msg.bytes(err.option).str(": ");
            }
            msg = msg.str(err.problem);
            if !err.value.is_empty() || !err.option.is_empty() {
                msg = msg.str(" '").bytes(err.value).str("'");
            }
            log::sink::await_room();
            msg.str(" (see 'pidone --help')").emit();
            personality.usage_exit()
        }
    }
}

/// The version line, in the form each replaced tool's callers parse.
fn version(personality: Personality) {
    let meaning = personality.meaning();
    Line::new()
        .str(meaning.version_prefix)
        .str(VERSION)
        .str(meaning.version_suffix)
        .write_to(1);
}
