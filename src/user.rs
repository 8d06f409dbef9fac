//! Running the application as another user (`--user`) and socket activation's LISTEN_PID.
//! Names are resolved in the parent before fork; the child only makes the system calls.

use crate::spawn::Stage;

/// The ids the child switches to, resolved before fork.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    pub groups: [u32; 32],
    pub ngroups: usize,
}

impl Credentials {
    /// setgroups, setgid, setuid, in that order (after setuid the others are not allowed).
    /// Async-signal-safe; fails closed: the caller must not exec on error.
    pub fn apply(&self) -> Result<(), (Stage, i32)> {
        let groups = self.groups.get(..self.ngroups).unwrap_or(&[]);
        // SAFETY: the pointer and count describe the live slice `groups`; setgid and setuid
        // take plain integers. All three are async-signal-safe system calls.
        unsafe {
            if libc::setgroups(groups.len(), groups.as_ptr()) != 0 {
                return Err((Stage::Groups, crate::sys::errno()));
            }
            if libc::setgid(self.gid) != 0 {
                return Err((Stage::Gid, crate::sys::errno()));
            }
            if libc::setuid(self.uid) != 0 {
                return Err((Stage::Uid, crate::sys::errno()));
            }
        }
        Ok(())
    }
}

/// Parses a decimal id (no sign, no spaces), as `--user 65532:65532` gives them.
pub fn parse_id(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 10 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = text.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    u32::try_from(n).ok().filter(|id| *id != u32::MAX)
}

/// In the child: points the environment's `LISTEN_PID=` entry at the child's own pid, so a
/// socket-activated application sees its sockets as meant for it. Async-signal-safe.
pub fn fix_listen_pid() {
    // Lives in the child until exec copies the environment.
    static mut ENTRY: [u8; 24] = *b"LISTEN_PID=\0\0\0\0\0\0\0\0\0\0\0\0\0";
    // SAFETY: runs in the single-threaded child between fork and exec; `environ` is the
    // process's NULL-terminated array of C strings, and ENTRY is only touched here.
    unsafe {
        let entry = &raw mut ENTRY;
        let mut pid = libc::getpid() as u32;
        let mut digits = [0u8; 10];
        let mut n = 0;
        loop {
            if let Some(d) = digits.get_mut(n) {
                *d = b'0' + (pid % 10) as u8;
            }
            n += 1;
            pid /= 10;
            if pid == 0 || n == digits.len() {
                break;
            }
        }
        let buf = &mut *entry;
        for i in 0..n {
            if let (Some(slot), Some(d)) = (buf.get_mut(11 + i), digits.get(n - 1 - i)) {
                *slot = *d;
            }
        }
        let mut env = environ;
        while !env.is_null() && !(*env).is_null() {
            let var = core::ffi::CStr::from_ptr(*env).to_bytes();
            if var.starts_with(b"LISTEN_PID=") {
                *env = buf.as_ptr().cast();
                break;
            }
            env = env.add(1);
        }
    }
}

unsafe extern "C" {
    static mut environ: *mut *const libc::c_char;
}

/// Resolves `--user` before fork. `Err` carries pidone's exit status (126: fail closed,
/// never run the application as root by mistake).
pub fn resolve(cfg: &crate::cli::Config) -> Result<Option<Credentials>, i32> {
    let Some(spec) = cfg.user else {
        return Ok(None);
    };
    let (user, group) = match spec.iter().position(|b| *b == b':') {
        Some(colon) => (spec.get(..colon).unwrap_or(b""), spec.get(colon + 1..)),
        None => (spec, None),
    };
    let fail = |what: &str, value: &[u8]| {
        cfg.log
            .message(crate::log::Level::Error)
            .str(what)
            .str(" '")
            .bytes(value)
            .str("'")
            .emit();
        Err(126)
    };
    let Some(uid) = parse_id(user) else {
        return fail("unknown user", user);
    };
    let gid = match group {
        Some(g) => match parse_id(g) {
            Some(gid) => gid,
            None => return fail("unknown group", g),
        },
        None => uid,
    };
    let mut groups = [0u32; 32];
    groups[0] = gid;
    Ok(Some(Credentials {
        uid,
        gid,
        groups,
        ngroups: 1,
    }))
}
