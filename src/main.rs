//! The `pidone` binary: parse, then run. `#![no_main]` skips std's start-up (and the panic
//! and formatting runtime it brings); the C runtime calls `main` directly.
#![no_main]
#![deny(clippy::multiple_unsafe_ops_per_block)]
#![deny(clippy::arithmetic_side_effects)]

use core::ffi::{c_char, c_int};

use pidone::args::Args;
use pidone::cli::{self, Action};
use pidone::config::Personality;
use pidone::log::{Level, Line, Log};
use pidone::{health, init, sys};

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    // SAFETY: these are main's own arguments from the C runtime.
    let args = unsafe { Args::from_main(argc, argv) };
    // `pidone health URL` only under the pidone name: as tini or dumb-init, `health` would
    // be the command to run, as it is for those tools.
    let personality = Personality::from_argv0(args.get(0).unwrap_or(b""));
    if personality == Personality::Pidone && args.get(1) == Some(b"health") {
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
            let log = Log {
                format: err.format,
                ..Log::default()
            };
            let mut msg = log.message(Level::Error);
            if !err.option.is_empty() {
                msg = msg.bytes(err.option).str(": ");
            }
            msg = msg.str(err.problem);
            if !err.value.is_empty() || !err.option.is_empty() {
                msg = msg.str(" '").bytes(err.value).str("'");
            }
            pidone::log::sink::await_room();
            msg.str(" (see 'pidone --help')").emit();
            personality.usage_exit()
        }
    }
}

/// The version line, in the form each replaced tool's callers parse.
fn version(personality: Personality) {
    let mut line = Line::new();
    match personality {
        // Docker's `docker info` parses `tini version X - git.Y` from its init binary;
        // catatonit prints the same form for the same reason.
        Personality::Tini | Personality::Catatonit => {
            line.str("tini version ")
                .str(VERSION)
                .str("+pidone - git.pidone");
        }
        Personality::DumbInit => {
            line.str("dumb-init v").str(VERSION).str("+pidone");
        }
        Personality::Pidone => {
            line.str("pidone ").str(VERSION);
        }
    }
    line.write_to(1);
}
