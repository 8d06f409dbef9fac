//! The `pidone` binary: parse, then run. `#![no_main]` skips std's start-up (and the panic
//! and formatting runtime it brings); the C runtime calls `main` directly.
#![no_main]

use core::ffi::{CStr, c_char, c_int};

use pidone::cli::{self, Action, Personality};
use pidone::log::Line;
use pidone::{init, sys};

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[unsafe(no_mangle)]
pub extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    let count = usize::try_from(argc).unwrap_or(0);
    let arg = |i: usize| -> Option<&'static [u8]> {
        if i >= count {
            return None;
        }
        // SAFETY: the C runtime passes argc valid, NUL-terminated strings in argv, which
        // live, unchanged, for the whole process.
        unsafe {
            let p = *argv.add(i);
            (!p.is_null()).then(|| CStr::from_ptr(p).to_bytes())
        }
    };
    match cli::parse(arg, sys::getenv) {
        Ok(Action::Run(cfg)) => init::run(&cfg, argv),
        Ok(Action::Help) => {
            sys::write_all(1, cli::HELP.as_bytes());
            0
        }
        Ok(Action::License) => {
            sys::write_all(1, cli::LICENSE.as_bytes());
            0
        }
        Ok(Action::Version) => {
            version(Personality::from_argv0(arg(0).unwrap_or(b"")));
            0
        }
        Err(err) => {
            let mut line = Line::new();
            line.str("pidone: ").str(err.problem);
            if !err.value.is_empty() {
                line.str(" '").bytes(err.value).str("'");
            }
            line.str(" (see 'pidone --help')").write_to(2);
            2
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
