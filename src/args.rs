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
        // SAFETY: i < count, and `from_main`'s contract makes argv[i] a valid C string that
        // lives for the rest of the process.
        unsafe {
            let p = *self.argv.add(i);
            (!p.is_null()).then(|| CStr::from_ptr(p).to_bytes())
        }
    }

    /// argv from index `i` on, NULL-terminated, in the form execvp takes; `None` past the end.
    pub fn tail(&self, i: usize) -> Option<*const *const c_char> {
        // SAFETY: i < count keeps the pointer inside the argv array.
        (i < self.count).then(|| unsafe { self.argv.add(i) })
    }
}
