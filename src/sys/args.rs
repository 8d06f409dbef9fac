//! pidone's own argv, as the C runtime hands it over, behind a safe interface.

use core::ffi::{CStr, c_char};

use super::{Envp, Errno};

/// argv: `count` NUL-terminated strings followed by a NULL pointer, alive and unchanged for
/// the whole life of the process.
#[derive(Clone, Copy)]
pub struct Args {
    argv: *const *const c_char,
    count: usize,
}

impl Args {
    /// # Safety
    /// `argv` must point to `argc` valid C strings followed by NULL that live, unchanged,
    /// until the process exits, as the C runtime guarantees for `main`'s arguments.
    pub unsafe fn from_main(argc: i32, argv: *const *const c_char) -> Args {
        Args {
            argv,
            count: usize::try_from(argc).unwrap_or(0),
        }
    }

    /// Argument `i` as bytes, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<&'static [u8]> {
        if i >= self.count {
            return None;
        }
        // SAFETY: i < count keeps the pointer inside the argv array.
        let slot = unsafe { self.argv.add(i) };
        // SAFETY: `slot` is in the array, which lives unchanged for the process's life.
        let p = unsafe { *slot };
        // SAFETY: `from_main`'s contract makes a non-NULL argv[i] a valid C string that
        // lives for the rest of the process.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_bytes())
    }

    /// argv from index `i` on, for exec: the NULL-terminated array from COMMAND on, and the
    /// slot before it, which the child may overwrite to run a script through /bin/sh (argv
    /// is writable memory, as C's `main` receives it). `None` past the end or for argv[0].
    pub fn command(&self, i: usize) -> Option<CommandArgv> {
        let before = i.checked_sub(1).filter(|_| i < self.count)?;
        // SAFETY: before < i < count keeps both pointers inside the argv array.
        let spare = unsafe { self.argv.add(before) };
        Some(CommandArgv {
            spare: spare.cast_mut(),
            // SAFETY: as above; `spare + 1` is argv[i].
            argv: unsafe { spare.add(1) },
        })
    }
}

/// The command's argv, with one writable slot before it (see `Args::command`).
#[derive(Clone, Copy, Debug)]
pub struct CommandArgv {
    /// argv[COMMAND..], NULL-terminated, as execve takes it.
    argv: *const *const c_char,
    /// argv[COMMAND - 1]: pidone's own argument, unused by the child.
    spare: *mut *const c_char,
}

impl CommandArgv {
    /// The command (argv[COMMAND]) with its NUL.
    pub fn file(&self) -> Option<&'static [u8]> {
        // SAFETY: argv[COMMAND] exists: `Args::command` checked it is inside argv.
        let file = unsafe { *self.argv };
        // SAFETY: a non-NULL argv entry is a C string that lives for the whole process.
        (!file.is_null()).then(|| unsafe { CStr::from_ptr(file) }.to_bytes_with_nul())
    }

    /// `execve(path, argv, envp)`; returns (only on failure) its errno. Async-signal-safe.
    pub fn exec(&self, path: &[u8], envp: &Envp<'_>) -> Errno {
        if !path.contains(&0) {
            return Errno::ENAMETOOLONG;
        }
        // SAFETY: `path` is a C string ending inside its slice (checked above); argv and
        // envp are NULL-terminated arrays of C strings that live across the call.
        unsafe { libc::execve(path.as_ptr().cast(), self.argv, envp.as_ptr()) };
        super::errno()
    }

    /// Runs `path`, a file with no `#!` line, with /bin/sh as glibc's execvp does: argv
    /// `/bin/sh PATH ARGS...`, in the slot before the command. Only in the child, which has
    /// its own copy of argv. Returns (only on failure) its errno. Async-signal-safe.
    pub fn exec_shell(&self, path: &[u8], envp: &Envp<'_>) -> Errno {
        if !path.contains(&0) {
            return Errno::ENAMETOOLONG;
        }
        let sh = c"/bin/sh";
        // SAFETY: `spare` is argv[COMMAND - 1], inside pidone's writable argv array; after
        // fork the child has its own copy, and nothing reads the slot again but execve.
        unsafe { *self.spare = sh.as_ptr() };
        // SAFETY: `spare + 1` is argv[COMMAND], in the same array.
        let command = unsafe { self.spare.add(1) };
        // SAFETY: writable, under the same ownership as `spare`.
        unsafe { *command = path.as_ptr().cast() };
        // SAFETY: `sh` and `path` are NUL-terminated; `spare` now starts a NULL-terminated
        // argv (the command's own NULL ends it); envp as in `exec`.
        unsafe { libc::execve(sh.as_ptr(), self.spare, envp.as_ptr()) };
        super::errno()
    }
}
