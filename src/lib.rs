//! pidone: a container init. See README.md for what it does and why.
//!
//! Where to look:
//! - `cli`: the command line and environment, read once into a `config::Config`;
//! - `init`: start-up: block signals, subreaper, spawn, hand over to the loop;
//! - `spawn`: fork and exec; `child`: what the child does in between (`--user` included);
//! - `user`: resolving `--user` from /etc/passwd and /etc/group;
//! - `machine`: every decision about a signal or a child, as a pure state machine;
//! - `supervisor`: the loop that feeds it events and performs its actions;
//! - `terminal`: handing stdin's terminal to the application and taking it back;
//! - `procs`: the /proc listing of pidone's children the machine is fed;
//! - `sys`, `log`: system calls (all FFI) and output, with no heap and no panics;
//! - `health`: `pidone health URL`, the HEALTHCHECK for images with no shell or curl.
//!
//! The library is `no_std` so nothing on pidone's runtime path can reach for the heap,
//! `std::io` or `format!`: the release binary has no panic runtime and stays tiny.
#![no_std]
// One unsafe operation per block, so each has its own SAFETY comment.
#![deny(clippy::multiple_unsafe_ops_per_block)]
// No arithmetic that can overflow, in any profile: outside input (argv, the environment,
// /etc/passwd, /proc, signal numbers and pids) reaches most of it. Where wrapping or
// saturation is meant, `wrapping_*`, `saturating_*` or `checked_*` say so (issue 18).
#![deny(clippy::arithmetic_side_effects)]

#[cfg(test)]
extern crate std;

pub mod args;
pub mod child;
pub mod cli;
pub mod config;
pub mod decimal;
pub mod duration;
pub mod health;
pub mod init;
pub mod log;
pub mod machine;
pub mod oom;
pub mod procs;
pub mod secrets;
pub mod signals;
pub mod spawn;
pub mod supervisor;
pub mod sys;
pub mod terminal;
pub mod termlog;
pub mod user;
pub mod watchdog;
