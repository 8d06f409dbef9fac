//! Starting the application: fork, let `child` set it up and exec. Everything the child
//! needs is computed before `fork`; the child reports any failure to the parent over a
//! close-on-exec pipe, so the parent knows for certain whether exec succeeded.

pub use crate::child::{INTERPRETER_MAX, Plan, REPORT_HEADER, Stage};
use crate::sys::{self, Fd, Pid};

pub enum SpawnError {
    /// pidone could not create the process.
    Fork(i32),
    /// The child could not become the command; it has been reaped.
    Child(Failure),
}

/// What the child reported: the stage that failed, its errno, and for
/// `Stage::Interpreter` the file's first line (a `#!` line names the missing interpreter).
pub struct Failure {
    pub stage: Stage,
    pub errno: i32,
    name: [u8; INTERPRETER_MAX],
    len: u8,
}

impl Failure {
    pub fn interpreter(&self) -> &[u8] {
        self.name.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// pidone's exit status for it: 127 not found, 126 found but not runnable (the
    /// shell's convention, and tini's). A missing interpreter is ENOENT: 127, as tini.
    pub fn exit_status(&self) -> i32 {
        match (self.stage, self.errno) {
            (Stage::Exec | Stage::Interpreter, libc::ENOENT | libc::ENOTDIR) => 127,
            _ => 126,
        }
    }
}

/// How the parent learns whether exec succeeded.
pub enum Report {
    /// The close-on-exec pipe: end of file without a report means exec succeeded.
    Pipe,
    /// No descriptor was free for the pipe (EMFILE, ENFILE): the command still runs, and a
    /// failed exec shows only as the child's status 127.
    None(i32),
}

/// Starts the command. Returns the child's pid once it has exec'd (or, without a report
/// pipe, once it is forked), and how its start was checked.
pub fn spawn(plan: &Plan<'_>) -> Result<(Pid, Report), SpawnError> {
    let pipe = sys::pipe();
    let pid = sys::fork().map_err(SpawnError::Fork)?;
    let (read_end, write_end) = match pipe {
        Ok(ends) => ends,
        Err(err) => {
            if pid == 0 {
                crate::child::run(plan, None);
            }
            return Ok((pid, Report::None(err)));
        }
    };
    if pid == 0 {
        drop(read_end);
        crate::child::run(plan, Some(&write_end));
    }
    drop(write_end);
    let mut header = [0u8; REPORT_HEADER];
    if read_end.read_full(&mut header) == 0 {
        return Ok((pid, Report::Pipe));
    }
    let failure = failure(header, &read_end);
    drop(read_end);
    // The child failed before or at exec and is exiting: reap it so nothing is left.
    sys::wait_for(pid);
    Err(SpawnError::Child(failure))
}

/// The child's report: the header read, the file's first line still in the pipe.
fn failure(header: [u8; REPORT_HEADER], pipe: &Fd) -> Failure {
    let [a, b, c, d, e, f, g, h] = header;
    let stage = Stage::from_raw(i32::from_ne_bytes([a, b, c, d]));
    let mut failure = Failure {
        stage,
        errno: i32::from_ne_bytes([e, f, g, h]),
        name: [0; INTERPRETER_MAX],
        len: 0,
    };
    if stage == Stage::Interpreter {
        let n = pipe.read_full(&mut failure.name);
        failure.len = u8::try_from(n).unwrap_or(0);
    }
    failure
}
