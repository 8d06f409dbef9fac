//! pidone's own environment, as the C runtime gave it (pidone never changes it).

use core::ffi::{CStr, c_char};

/// Each `NAME=value` entry of pidone's environment, in order.
pub fn each_env(mut f: impl FnMut(&'static CStr)) {
    // SAFETY: `environ` is the process's NULL-terminated array of C strings, unchanged
    // since start: pidone never modifies its environment, and is single-threaded.
    let mut entry = unsafe { environ };
    if entry.is_null() {
        return;
    }
    loop {
        // SAFETY: `entry` points into the NULL-terminated array, at most at its NULL,
        // which ends the loop before `entry` moves past it.
        let text = unsafe { *entry };
        if text.is_null() {
            return;
        }
        // SAFETY: every entry before the NULL is a NUL-terminated string that lives, and
        // stays unchanged, for the whole process.
        f(unsafe { CStr::from_ptr(text) });
        // SAFETY: `entry` was not the terminating NULL, so the next slot is in the array.
        entry = unsafe { entry.add(1) };
    }
}

unsafe extern "C" {
    static environ: *const *const c_char;
}
