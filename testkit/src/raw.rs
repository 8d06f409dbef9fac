//! Running a command to completion with its raw output, outside the line-based harness.

use super::HANG;
use std::process::{Command, Stdio};

/// What a run without the harness ended with; `None` from `run_raw` when the process
/// could not even be started (e.g. E2BIG before pidone runs).
pub struct Raw {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Raw {
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Runs `cmd` to completion with raw output, failing the test if it takes over `HANG`.
pub fn run_raw(mut cmd: Command) -> Option<Raw> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().ok()?;
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(HANG) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            // SAFETY: kill has no memory effects; `pid` is our unreaped child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("{cmd:?} hung for {HANG:?}");
        }
    };
    Some(Raw {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    })
}
