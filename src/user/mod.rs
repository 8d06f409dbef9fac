//! `--user USER[:GROUP]`: resolved in the parent before fork, from numbers or from
//! /etc/passwd and /etc/group read directly (a static binary has no NSS). The child only
//! makes the system calls (`child::apply`).
//!
//! The files are streamed a byte at a time through small state machines, so a line of any
//! length (a group with thousands of members) is read whole: never skipped, never cut.
//! Bounds, each failing with a message instead of running with other ids: at most
//! `GROUPS_MAX` groups, a home directory and a passwd name (for a numeric `--user`) of at
//! most `PATH_MAX` bytes each.

mod files;

use files::{GroupId, Is, Lookup, Membership, Num, Passwd, scan};

use crate::log::Level;

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
        match self.groups.get_mut(self.ngroups) {
            Some(slot) => {
                *slot = gid;
                self.ngroups = self.ngroups.saturating_add(1);
                true
            }
            None => false,
        }
    }
}

/// Parses a decimal id (no sign, no spaces), as `--user 65532:65532` gives them.
pub fn parse_id(text: &[u8]) -> Option<u32> {
    // u32::MAX is (uid_t)-1, "no change" to setuid: never a real id.
    let n = crate::decimal::parse(text, u64::from(MAX_ID))?;
    u32::try_from(n).ok()
}

const MAX_ID: u32 = u32::MAX - 1;

/// Resolves `--user` before fork. `Err` carries pidone's exit status: 126, failing closed,
/// never running the application as root (or with fewer groups) by mistake.
pub fn resolve(cfg: &crate::config::Config) -> Result<Option<Credentials>, i32> {
    let Some(spec) = cfg.user else {
        return Ok(None);
    };
    let (user, group) = match spec.iter().position(|b| *b == b':') {
        Some(colon) => (
            spec.get(..colon).unwrap_or(b""),
            spec.get(colon.saturating_add(1)..),
        ),
        None => (spec, None),
    };
    let fail = |what: &str, value: &[u8], why: &str| {
        cfg.log
            .message(Level::Error)
            .str(what)
            .str(" '")
            .bytes(value)
            .str("'")
            .str(why)
            .emit();
        Err(126)
    };
    // A number is always a uid, as in runc and gosu: never a user *named* 1000.
    let by_uid = parse_id(user);
    let mut entry = Passwd::new(by_uid.map_or(Lookup::Name(Is::new(user)), Lookup::Uid));
    scan(c"/etc/passwd", &mut entry);
    if entry.found {
        if entry.home.over {
            return fail(
                "home directory of user",
                user,
                " is too long (over 4096 bytes)",
            );
        }
        if by_uid.is_some() && entry.name.over {
            return fail("name of uid", user, " is too long (over 4096 bytes)");
        }
    }
    let found = entry.found.then_some(&entry);
    let uid = match (by_uid, found.and_then(|e| e.uid.value)) {
        (_, Some(uid)) => uid,
        (Some(uid), None) => uid,
        (None, None) => return fail("unknown user (no such name in /etc/passwd)", user, ""),
    };
    // With no group given: the user's primary group, or for a bare number with no passwd
    // entry (scratch images) the same number, never root's group by accident.
    let gid = match group {
        Some(g) if !g.is_empty() => match parse_id(g).or_else(|| group_id(g)) {
            Some(gid) => gid,
            None => return fail("unknown group (no such name in /etc/group)", g, ""),
        },
        Some(g) => return fail("empty group in --user", g, ""),
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
    if let Some(e) = found {
        let name = if by_uid.is_some() { e.name.get() } else { user };
        let mut member = Membership::new(name, &mut creds);
        scan(c"/etc/group", &mut member);
        if member.full {
            return fail(
                "user",
                user,
                " is in more than 4096 groups (pidone's limit)",
            );
        }
    }
    let home = found.map_or(&b"/"[..], |e| e.home.get());
    let home = if home.is_empty() { b"/" } else { home };
    for (slot, b) in creds.home.iter_mut().zip(HOME_PREFIX.iter().chain(home)) {
        *slot = *b;
    }
    Ok(Some(creds))
}

/// The gid of the group named `group`.
fn group_id(group: &[u8]) -> Option<u32> {
    let mut g = GroupId {
        name: Is::new(group),
        gid: Num::default(),
        found: None,
    };
    scan(c"/etc/group", &mut g);
    g.found
}
