//! Starting the application: fork, let `child` set it up and exec. Everything the child
//! needs is computed before `fork`; the child reports any failure to the parent over a
//! close-on-exec pipe, so the parent knows for certain whether exec succeeded.

pub use crate::child::{Plan, Stage};
use crate::sys::{self, Pid};

pub enum SpawnError {
    /// pidone could not create the pipe or the process.
    Fork(i32),
    /// The child could not become the command; it has been reaped.
    Child(Stage, i32),
}

/// Starts the command. Returns the child's pid once it has exec'd.
pub fn spawn(plan: &Plan<'_>) -> Result<Pid, SpawnError> {
    let (read_end, write_end) = sys::pipe().map_err(SpawnError::Fork)?;
    let pid = sys::fork().map_err(SpawnError::Fork)?;
    if pid == 0 {
        drop(read_end);
        crate::child::run(plan, &write_end);
    }
    drop(write_end);
    let mut report = [0u8; 8];
    let n = read_end.read_full(&mut report);
    drop(read_end);
    if n == 0 {
        return Ok(pid);
    }
    // The child failed before or at exec and is exiting: reap it so nothing is left.
    sys::wait_for(pid);
    let [a, b, c, d, e, f, g, h] = report;
    let stage = Stage::from_raw(i32::from_ne_bytes([a, b, c, d]));
    Err(SpawnError::Child(stage, i32::from_ne_bytes([e, f, g, h])))
}

/// Exit status for a child that could not be started: 127 not found, 126 found but not
/// runnable (the shell's convention, and tini's).
pub fn exit_status(stage: Stage, err: i32) -> i32 {
    match (stage, err) {
        (Stage::Exec, libc::ENOENT | libc::ENOTDIR) => 127,
        _ => 126,
    }
}
