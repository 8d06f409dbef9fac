//! pidone: a container init. See README.md for what it does and why.
//!
//! Where to look:
//! - `cli`: the command line and environment, read once into a `config::Config`;
//! - `init`: start-up: block signals, subreaper, spawn, hand over to the loop;
//! - `spawn`: fork and exec, and what the child does in between;
//! - `machine`: every decision about a signal or a child, as a pure state machine;
//! - `supervisor`: the loop that feeds it events and performs its actions;
//! - `terminal`: handing stdin's terminal to the application and taking it back;
//! - `sys`, `log`: system calls and output, with no heap and no panics;
//! - `health`: `pidone health URL`, the HEALTHCHECK for images with no shell or curl.
//!
//! The library is `no_std` so nothing on pidone's runtime path can reach for the heap,
//! `std::io` or `format!`: the release binary has no panic runtime and stays tiny.
#![no_std]

#[cfg(test)]
extern crate std;

pub mod args;
pub mod children;
pub mod cli;
pub mod config;
pub mod decimal;
pub mod duration;
pub mod health;
pub mod init;
pub mod log;
pub mod machine;
pub mod signals;
pub mod spawn;
pub mod supervisor;
pub mod sys;
pub mod terminal;
pub mod user;
