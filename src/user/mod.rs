//! `--user USER[:GROUP]`: resolved in the parent before fork, from numbers or from
//! /etc/passwd and /etc/group read directly (a static binary has no NSS). The child only
//! makes the system calls (`spawn::apply`).
//!
//! The files are streamed a byte at a time through small state machines, so a line of any
//! length (a group with thousands of members) is read whole: never skipped, never cut.
//! Bounds, each failing with a message instead of running with other ids: at most
//! `GROUPS_MAX` groups, a home directory and a passwd name (for a numeric `--user`) of at
//! most `PATH_MAX` bytes each. Each file is read only when needed, must be a regular file,
//! and is read up to 64 MiB without error: a FIFO, a device or a directory there fails
//! closed at once, since this runs before the signal loop and must never block it.

mod files;

use core::ffi::CStr;

pub use files::FileError;
use files::{GroupId, Is, Lookup, Membership, Num, Passwd, scan};

use crate::bytes;
use crate::log::{Level, Log};

/// Most groups (primary included) pidone sets for the application. The kernel allows
/// 65536 (NGROUPS_MAX); pidone's buffer lives on its stack, so it stops at 4096 and says so.
pub const GROUPS_MAX: usize = 4096;
/// Longest home directory, and longest passwd name looked up by uid (PATH_MAX).
pub const PATH_MAX: usize = 4096;
const HOME_PREFIX: &[u8] = b"HOME=";
/// `HOME=` + the directory + NUL.
const HOME_BUF: usize = 5 + PATH_MAX + 1;

/// The ids the child switches to, resolved before fork.
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    groups: [u32; GROUPS_MAX],
    ngroups: usize,
    /// `HOME=...` and a NUL, for the child's environment.
    home: [u8; HOME_BUF],
}

impl Credentials {
    /// The supplementary groups for setgroups: the primary group first.
    pub fn groups(&self) -> &[u32] {
        self.groups.get(..self.ngroups).unwrap_or(&[])
    }

    /// `HOME=DIR` and its NUL.
    pub fn home(&self) -> &[u8] {
        &self.home
    }

    /// Adds `gid` unless present; false when the buffer is full.
    fn push_group(&mut self, gid: u32) -> bool {
        if self.groups().contains(&gid) {
            return true;
        }
        bytes::push(&mut self.groups, &mut self.ngroups, gid)
    }
}

/// Parses a decimal id (no sign, no spaces), as `--user 65532:65532` gives them.
pub fn parse_id(text: &[u8]) -> Option<u32> {
    // u32::MAX is (uid_t)-1, "no change" to setuid: never a real id.
    let n = crate::decimal::parse(text, u64::from(MAX_ID))?;
    u32::try_from(n).ok()
}

const MAX_ID: u32 = u32::MAX - 1;

/// Why `--user` could not be resolved; pidone then exits 126 without starting anything.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UserError<'a> {
    /// No such user name in /etc/passwd.
    UnknownUser(&'a [u8]),
    /// No such group name in /etc/group.
    UnknownGroup(&'a [u8]),
    /// `USER:`: no group to look up.
    EmptyGroup(&'a [u8]),
    /// The user's home directory is over `PATH_MAX` bytes.
    HomeTooLong(&'a [u8]),
    /// The passwd name of a numeric uid is over `PATH_MAX` bytes.
    NameTooLong(&'a [u8]),
    /// The user is in more than `GROUPS_MAX` groups.
    TooManyGroups(&'a [u8]),
    /// /etc/passwd or /etc/group could not be read.
    File(&'static CStr, FileError),
}

impl UserError<'_> {
    /// The one-line error message.
    pub fn emit(&self, log: &Log) {
        // Each as: text, the value from outside, text, text.
        let (what, value, then, why) = match *self {
            UserError::UnknownUser(u) => {
                ("unknown user (no such name in /etc/passwd) '", u, "'", "")
            }
            UserError::UnknownGroup(g) => {
                ("unknown group (no such name in /etc/group) '", g, "'", "")
            }
            UserError::EmptyGroup(spec) => ("empty group in --user '", spec, "'", ""),
            UserError::HomeTooLong(u) => (
                "home directory of user '",
                u,
                "'",
                " is too long (over 4096 bytes)",
            ),
            UserError::NameTooLong(u) => {
                ("name of uid '", u, "'", " is too long (over 4096 bytes)")
            }
            UserError::TooManyGroups(u) => (
                "user '",
                u,
                "'",
                " is in more than 4096 groups (pidone's limit)",
            ),
            UserError::File(path, err) => (
                "--user: cannot read ",
                path.to_bytes(),
                ": ",
                match err {
                    FileError::NotRegular => "not a regular file",
                    FileError::TooLarge => "larger than 64 MiB",
                    FileError::Unreadable(errno) => crate::sys::strerror(errno),
                },
            ),
        };
        log.message(Level::Error)
            .str(what)
            .bytes(value)
            .str(then)
            .str(why)
            .emit();
    }
}

/// Resolves `--user` before fork, failing closed: never the application as root, with
/// other ids or with fewer groups by mistake. `Ok(None)` when `--user` was not given.
///
/// As runc, gosu and Docker do: `USER` gets USER's primary group and supplementary
/// groups; `USER:GROUP` gets GROUP alone. /etc/group is read only for a group name or for
/// a user's supplementary groups, so `--user 65534:65534` needs no /etc/group at all.
pub fn resolve(spec: Option<&[u8]>) -> Result<Option<Credentials>, UserError<'_>> {
    let Some(spec) = spec else {
        return Ok(None);
    };
    let (user, group) = match bytes::split_once(spec, b':') {
        Some((user, group)) => (user, Some(group)),
        None => (spec, None),
    };
    // `:GROUP` is refused by the parser already; an empty name must never be looked up.
    if user.is_empty() {
        return Err(UserError::UnknownUser(user));
    }
    if group.is_some_and(<[u8]>::is_empty) {
        return Err(UserError::EmptyGroup(spec));
    }
    // A number is always a uid, as in runc and gosu: never a user *named* 1000.
    let by_uid = parse_id(user);
    let mut entry = Passwd::new(by_uid.map_or(Lookup::Name(Is::new(user)), Lookup::Uid));
    scan(c"/etc/passwd", &mut entry).map_err(|e| UserError::File(c"/etc/passwd", e))?;
    if entry.found {
        if entry.home.over {
            return Err(UserError::HomeTooLong(user));
        }
        if by_uid.is_some() && entry.name.over {
            return Err(UserError::NameTooLong(user));
        }
    }
    let found = entry.found.then_some(&entry);
    let uid = match (by_uid, found.and_then(|e| e.uid.value)) {
        (_, Some(uid)) => uid,
        (Some(uid), None) => uid,
        (None, None) => return Err(UserError::UnknownUser(user)),
    };
    // With no group given: the user's primary group, or for a bare number with no passwd
    // entry (scratch images) the same number, never root's group by accident.
    let gid = match group {
        Some(g) => match parse_id(g) {
            Some(gid) => gid,
            None => group_id(g)?.ok_or(UserError::UnknownGroup(g))?,
        },
        None => found.and_then(|e| e.gid.value).unwrap_or(uid),
    };
    let mut creds = Credentials {
        uid,
        gid,
        groups: [0; GROUPS_MAX],
        ngroups: 0,
        home: [0; HOME_BUF],
    };
    creds.push_group(gid);
    if let (Some(e), None) = (found, group) {
        let name = if by_uid.is_some() { e.name.get() } else { user };
        let mut member = Membership::new(name, &mut creds);
        scan(c"/etc/group", &mut member).map_err(|e| UserError::File(c"/etc/group", e))?;
        if member.full {
            return Err(UserError::TooManyGroups(user));
        }
    }
    let home = found.map_or(&b"/"[..], |e| e.home.get());
    let home = if home.is_empty() { b"/" } else { home };
    bytes::copy(&mut creds.home, HOME_PREFIX.iter().chain(home));
    Ok(Some(creds))
}

/// The gid of the group named `group`, `None` when there is no such group.
fn group_id(group: &[u8]) -> Result<Option<u32>, UserError<'_>> {
    let mut g = GroupId {
        name: Is::new(group),
        gid: Num::default(),
        found: None,
    };
    scan(c"/etc/group", &mut g).map_err(|e| UserError::File(c"/etc/group", e))?;
    Ok(g.found)
}
