//! pidone's own argv, as the C runtime hands it over, behind a safe interface.

use core::ffi::{CStr, c_char};

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
    pub argv: *const *const c_char,
    /// argv[COMMAND - 1]: pidone's own argument, unused by the child.
    pub spare: *mut *const c_char,
}
