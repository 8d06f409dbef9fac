//! pidone's environment: reading a variable, and the child's environment for execve
//! (pidone's own, or a copy with entries replaced), built without allocating.

use core::ffi::{CStr, c_char};
use core::marker::PhantomData;

/// Reads an environment variable as bytes. Only called before the child starts.
pub fn getenv(name: &CStr) -> Option<&'static [u8]> {
    // SAFETY: `name` is NUL-terminated; pidone is single-threaded and never modifies its
    // environment, so getenv races with nothing.
    let p = unsafe { libc::getenv(name.as_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: a non-NULL getenv result is a NUL-terminated string inside the environment,
    // which pidone never changes: it stays valid and unchanged for the life of the process.
    Some(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// Each `NAME=value` entry of pidone's environment, in order.
pub fn each_env(mut f: impl FnMut(&'static CStr)) {
    let mut entry = environ_start();
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

/// Most entries an edited environment holds (the rest is E2BIG).
pub const ENV_MAX: usize = 4096;

/// What becomes of one entry of pidone's environment in the child's.
pub enum Entry<'a> {
    Keep,
    Drop,
    /// Replaced by this `NAME=value` (its first NUL ends it).
    Replace(&'a [u8]),
}

/// An environment as execve takes it: a NULL-terminated array of C strings that live at
/// least as long as `'a`.
pub struct Envp<'a> {
    /// NULL: pidone's own environment, unchanged.
    edited: Option<[*const c_char; ENV_MAX]>,
    strings: PhantomData<&'a [u8]>,
}

impl<'a> Envp<'a> {
    /// pidone's own environment.
    pub fn inherited() -> Envp<'a> {
        Envp {
            edited: None,
            strings: PhantomData,
        }
    }

    /// pidone's environment with each entry kept, dropped or replaced as `edit` says, and
    /// the `extra` entries (`NAME=value`, NUL-terminated) added at the end. `None` when it
    /// does not fit; an entry with no NUL is left out.
    pub fn edited(
        mut edit: impl FnMut(&[u8]) -> Entry<'a>,
        extra: impl IntoIterator<Item = &'a [u8]>,
    ) -> Option<Envp<'a>> {
        let mut envp = [core::ptr::null(); ENV_MAX];
        let mut n = 0usize;
        let mut push = |entry: &[u8]| {
            // A C string must end inside its buffer: one that does not is left out.
            if !entry.contains(&0) {
                return;
            }
            if let Some(slot) = envp.get_mut(n) {
                *slot = entry.as_ptr().cast();
            }
            n = n.saturating_add(1);
        };
        each_env(|entry| {
            let bytes = entry.to_bytes_with_nul();
            match edit(bytes) {
                Entry::Keep => push(bytes),
                Entry::Drop => {}
                Entry::Replace(with) => push(with),
            }
        });
        for extra in extra {
            push(extra);
        }
        // The rest of `envp` is NULL: it ends the array if one slot is left.
        (n < ENV_MAX).then_some(Envp {
            edited: Some(envp),
            strings: PhantomData,
        })
    }

    pub(super) fn as_ptr(&self) -> *const *const c_char {
        match &self.edited {
            Some(envp) => envp.as_ptr(),
            None => environ_start(),
        }
    }
}

fn environ_start() -> *const *const c_char {
    // SAFETY: `environ` is the process's NULL-terminated array of C strings, unchanged
    // since start (pidone never modifies its environment); reading the pointer races with
    // nothing in single-threaded pidone or its child.
    unsafe { environ }
}

unsafe extern "C" {
    static environ: *const *const c_char;
}
