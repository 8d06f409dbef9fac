//! pidone: a container init. See README.md for what it does and why.
//!
//! Where to look:
//! - `cli`: the command line and environment, read once into a `config::Config`;
//! - `init`: start-up: block signals, subreaper, spawn, hand over to the loop;
//! - `spawn`: fork and exec; `child`: what the child does in between (`--user` included);
//! - `user`: resolving `--user` from /etc/passwd and /etc/group;
//! - `supervisor`: the signal loop, forwarding, reaping and the grace period;
//! - `terminal`: handing stdin's terminal to the application and taking it back;
//! - `sys`, `log`: system calls (all FFI) and output, with no heap and no panics.
//!
//! The library is `no_std` so nothing on pidone's runtime path can reach for the heap,
//! `std::io` or `format!`: the release binary has no panic runtime and stays tiny.
#![no_std]
// One unsafe operation per block, so each has its own SAFETY comment.
#![deny(clippy::multiple_unsafe_ops_per_block)]

#[cfg(test)]
extern crate std;

pub mod args;
pub mod child;
pub mod children;
pub mod cli;
pub mod config;
pub mod decimal;
pub mod duration;
pub mod init;
pub mod log;
pub mod signals;
pub mod spawn;
pub mod supervisor;
pub mod sys;
pub mod terminal;
pub mod user;
