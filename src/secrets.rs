//! Secrets from files (issue 24, `--env-from-files`), without a shell entrypoint.
//!
//! For each `NAME_FILE=PATH` in pidone's environment, the application gets `NAME` set to
//! the content of PATH (one trailing newline removed) and no `NAME_FILE`, as the official
//! images' `file_env` does; `NAME` and `NAME_FILE` both set is a usage error, as there.
//! The files are read before the fork, by pidone (so before `--user` drops privileges),
//! into a mapping that is unmapped once the application has started: the values are in
//! the application's environment only, never in pidone's (its /proc/PID/environ is what
//! it started with) and never in a log line (errors name the variable and the path).

use core::ffi::{CStr, c_char};

use crate::bytes;
use crate::config::Config;
use crate::log::Level;
use crate::sys::{self, Region};

/// Most `_FILE` variables read.
pub const MAX_FILES: usize = 32;
/// Largest file read (64 KiB: a certificate chain fits; the kernel takes at most 128 KiB
/// for one environment string).
pub const FILE_CAP: usize = 64 * 1024;
/// The mapping for all of them, names included (only the pages written cost memory).
const TOTAL: usize = MAX_FILES * (FILE_CAP + 4096);

/// The application's new entries, and the `_FILE` entries it does not get.
pub struct Secrets {
    /// Holds the `NAME=value` strings; unmapped when the Secrets are dropped.
    region: Option<Region>,
    /// Where each `NAME=value` string is in `region`, its NUL included.
    entries: [(usize, usize); MAX_FILES],
    drops: [*const c_char; MAX_FILES],
    n: usize,
}

impl Secrets {
    /// The `NAME=value` strings, NUL-terminated, for the child's environment.
    pub fn entries(&self) -> impl Iterator<Item = &[u8]> {
        let bytes = self.region.as_ref().map_or(&[][..], Region::as_bytes);
        self.entries
            .get(..self.n)
            .unwrap_or(&[])
            .iter()
            .map(move |(from, to)| bytes.get(*from..*to).unwrap_or(&[]))
    }

    /// Whether `entry` of pidone's environment is a `NAME_FILE` the child must not get.
    pub fn drops(&self, entry: *const c_char) -> bool {
        self.drops.get(..self.n).unwrap_or(&[]).contains(&entry)
    }
}

/// `NAME` for a `NAME_FILE=...` entry; `None` for any other.
pub fn file_var(entry: &[u8]) -> Option<&[u8]> {
    let (name, _) = bytes::split_once(entry, b'=')?;
    let base = name.get(..name.len().checked_sub(5)?)?;
    (name.get(base.len()..) == Some(b"_FILE".as_slice()) && !base.is_empty()).then_some(base)
}

/// Reads every `NAME_FILE`; `Err` is pidone's exit status, after a one-line error.
#[inline(never)]
pub fn load(cfg: &Config) -> Result<Secrets, i32> {
    let mut region = Region::new(TOTAL).map_err(|_| 1)?;
    let mut secrets = Secrets {
        region: None,
        entries: [(0, 0); MAX_FILES],
        drops: [core::ptr::null(); MAX_FILES],
        n: 0,
    };
    let mut used = 0usize;
    let mut result = Ok(());
    sys::each_env(|entry| {
        let bytes = entry.to_bytes_with_nul();
        let Some(name) = file_var(bytes) else { return };
        if result.is_err() {
            return;
        }
        let var = bytes.get(..name.len().saturating_add(5)).unwrap_or(bytes);
        result = read_one(cfg, &mut region, &mut used, &mut secrets, entry, name, var);
    });
    result?;
    secrets.region = Some(region);
    Ok(secrets)
}

fn read_one(
    cfg: &Config,
    region: &mut Region,
    used: &mut usize,
    secrets: &mut Secrets,
    entry: &'static CStr,
    name: &[u8],
    var: &[u8],
) -> Result<(), i32> {
    let bytes = entry.to_bytes_with_nul();
    let path = bytes.get(var.len().saturating_add(1)..).unwrap_or(b"\0");
    let path = CStr::from_bytes_with_nul(path).map_err(|_| 1)?;
    let fail = |problem: &str, errno: i32| fail(cfg, var, path, problem, errno);
    let start = *used;
    let value_at = start.saturating_add(name.len()).saturating_add(1);
    let buf = region.bytes();
    let (Some(slot), Some(room)) = (
        secrets.entries.get_mut(secrets.n),
        buf.get_mut(start..value_at.saturating_add(FILE_CAP).saturating_add(2)),
    ) else {
        return Err(fail("too many _FILE secrets", 0));
    };
    for (to, from) in room.iter_mut().zip(name.iter().chain(b"\0")) {
        *to = *from;
    }
    // NAME, NUL-terminated where its `=` goes: is it set too?
    let set = CStr::from_bytes_until_nul(room).is_ok_and(|n| sys::getenv(n).is_some());
    if set {
        return Err(fail("and the variable it sets are both set", -1));
    }
    if let Some(eq) = room.get_mut(name.len()) {
        *eq = b'=';
    }
    let value = room
        .get_mut(name.len().saturating_add(1)..)
        .unwrap_or(&mut []);
    let fd = sys::open(path, libc::O_RDONLY).map_err(|e| fail("cannot read", e.raw()))?;
    let mut n = 0usize;
    while let Some(rest) = value.get_mut(n..).filter(|r| !r.is_empty()) {
        match fd.read(rest) {
            Ok(0) => break,
            Ok(got) => n = n.saturating_add(got),
            Err(e) => return Err(fail("cannot read", e.raw())),
        }
    }
    let text = value.get(..n).unwrap_or(&[]);
    if n > FILE_CAP || text.contains(&0) {
        return Err(fail("file over 64 KiB or with a NUL byte", 0));
    }
    if text.last() == Some(&b'\n') {
        n = n.saturating_sub(1);
    }
    // The string's end: the mapping is zero-filled, but a removed newline may be there.
    if let Some(end) = value.get_mut(n) {
        *end = 0;
    }
    *slot = (start, value_at.saturating_add(n).saturating_add(1));
    if let Some(drop) = secrets.drops.get_mut(secrets.n) {
        *drop = entry.as_ptr();
    }
    secrets.n = secrets.n.saturating_add(1);
    *used = value_at.saturating_add(n).saturating_add(1);
    Ok(())
}

/// One error line: the variable and the path, never the content. Returns the status: a
/// usage error for `errno` -1, else 1.
#[inline(never)]
fn fail(cfg: &Config, var: &[u8], path: &CStr, problem: &str, errno: i32) -> i32 {
    let mut msg = cfg
        .log
        .message(Level::Error)
        .bytes(var)
        .str(": ")
        .str(problem);
    if errno > 0 {
        msg = msg
            .str(" '")
            .bytes(path.to_bytes())
            .str("': ")
            .str(sys::strerror(sys::Errno::from_raw(errno)));
    }
    msg.emit();
    if errno < 0 {
        return cfg.personality.usage_exit();
    }
    1
}

#[cfg(test)]
mod tests {
    use super::file_var;

    #[test]
    fn which_variables_name_a_file() {
        assert_eq!(
            file_var(b"DB_PASSWORD_FILE=/run/secrets/db\0"),
            Some(&b"DB_PASSWORD"[..])
        );
        assert_eq!(file_var(b"X_FILE=\0"), Some(&b"X"[..]));
        assert_eq!(file_var(b"_FILE=/x\0"), None);
        assert_eq!(file_var(b"FILE=/x\0"), None);
        assert_eq!(file_var(b"DB_FILES=/x\0"), None);
        assert_eq!(file_var(b"PATH=/bin\0"), None);
        assert_eq!(file_var(b"A=B_FILE=c\0"), None);
    }
}
