//! `--user USER[:GROUP]`: resolved in the parent before fork, from numbers or from
//! /etc/passwd and /etc/group read directly (a static binary has no NSS). The child only
//! makes the system calls (`child::apply`).
//!
//! The files are streamed a byte at a time through small state machines, so a line of any
//! length (a group with thousands of members) is read whole: never skipped, never cut.
//! Bounds, each failing with a message instead of running with other ids: at most
//! `GROUPS_MAX` groups, a home directory and a passwd name (for a numeric `--user`) of at
//! most `PATH_MAX` bytes each.

use core::ffi::CStr;

use crate::log::Level;
use crate::sys;

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

/// A consumer of a colon-separated file, fed byte by byte.
trait Scan {
    /// One byte of field `field` (0-based); never a ':' or a newline.
    fn byte(&mut self, field: usize, b: u8);
    /// The end of a line that had `fields` fields; true stops the scan.
    fn end_line(&mut self, fields: usize) -> bool;
}

/// Feeds every line of `path` to `s`. A missing or unreadable file has no lines; a read
/// error drops the line it cut.
fn scan(path: &CStr, s: &mut impl Scan) {
    let Ok(fd) = sys::open(path, libc::O_RDONLY) else {
        return;
    };
    let mut buf = [0u8; 4096];
    let mut field = 0usize;
    let mut in_line = false;
    loop {
        let n = match fd.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in buf.get(..n).unwrap_or(&[]) {
            match b {
                b'\n' => {
                    if s.end_line(field.saturating_add(1)) {
                        return;
                    }
                    field = 0;
                    in_line = false;
                    continue;
                }
                b':' => field = field.saturating_add(1),
                _ => s.byte(field, b),
            }
            in_line = true;
        }
    }
    if in_line {
        s.end_line(field.saturating_add(1));
    }
}

/// Compares a streamed field with `want`.
struct Is<'a> {
    want: &'a [u8],
    at: usize,
    ok: bool,
}

impl<'a> Is<'a> {
    fn new(want: &'a [u8]) -> Self {
        Is {
            want,
            at: 0,
            ok: true,
        }
    }
    fn feed(&mut self, b: u8) {
        self.ok = self.ok && self.want.get(self.at) == Some(&b);
        self.at = self.at.saturating_add(1);
    }
    fn matched(&self) -> bool {
        self.ok && self.at == self.want.len()
    }
    fn reset(&mut self) {
        self.at = 0;
        self.ok = true;
    }
}

/// A streamed id: digits only, at most `MAX_ID`; `None` when empty or malformed.
#[derive(Default)]
struct Num {
    value: Option<u32>,
    bad: bool,
}

impl Num {
    fn feed(&mut self, b: u8) {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9).map(u32::from);
        let next = digit.and_then(|d| {
            self.value
                .unwrap_or(0)
                .checked_mul(10)?
                .checked_add(d)
                .filter(|v| *v <= MAX_ID)
        });
        self.bad = self.bad || next.is_none();
        self.value = next.filter(|_| !self.bad);
    }
}

/// A streamed field kept in a fixed buffer, with a flag when it did not fit.
struct Kept<const N: usize> {
    buf: [u8; N],
    len: usize,
    over: bool,
}

impl<const N: usize> Kept<N> {
    fn new() -> Self {
        Kept {
            buf: [0; N],
            len: 0,
            over: false,
        }
    }
    fn push(&mut self, b: u8) {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = b;
                self.len = self.len.saturating_add(1);
            }
            None => self.over = true,
        }
    }
    fn get(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

enum Lookup<'a> {
    Name(Is<'a>),
    Uid(u32),
}

/// The /etc/passwd line of a user: `name:pw:uid:gid:gecos:home:shell`.
struct Passwd<'a> {
    by: Lookup<'a>,
    name: Kept<PATH_MAX>,
    uid: Num,
    gid: Num,
    home: Kept<PATH_MAX>,
    found: bool,
}

impl<'a> Passwd<'a> {
    fn new(by: Lookup<'a>) -> Self {
        Passwd {
            by,
            name: Kept::new(),
            uid: Num::default(),
            gid: Num::default(),
            home: Kept::new(),
            found: false,
        }
    }
}

impl Scan for Passwd<'_> {
    fn byte(&mut self, field: usize, b: u8) {
        match (field, &mut self.by) {
            (0, Lookup::Name(is)) => is.feed(b),
            (0, Lookup::Uid(_)) => self.name.push(b),
            (2, _) => self.uid.feed(b),
            (3, _) => self.gid.feed(b),
            (5, _) => self.home.push(b),
            _ => {}
        }
    }
    fn end_line(&mut self, fields: usize) -> bool {
        let valid = fields >= 6 && self.uid.value.is_some() && self.gid.value.is_some();
        let this = match &self.by {
            Lookup::Name(is) => is.matched(),
            Lookup::Uid(uid) => self.uid.value == Some(*uid),
        };
        if valid && this {
            self.found = true;
            return true;
        }
        if let Lookup::Name(is) = &mut self.by {
            is.reset();
        }
        self.name = Kept::new();
        self.home = Kept::new();
        self.uid = Num::default();
        self.gid = Num::default();
        false
    }
}

/// The /etc/group line of a group name: `name:pw:gid:members`.
struct GroupId<'a> {
    name: Is<'a>,
    gid: Num,
    found: Option<u32>,
}

impl Scan for GroupId<'_> {
    fn byte(&mut self, field: usize, b: u8) {
        match field {
            0 => self.name.feed(b),
            2 => self.gid.feed(b),
            _ => {}
        }
    }
    fn end_line(&mut self, fields: usize) -> bool {
        if fields >= 3 && self.name.matched() && self.gid.value.is_some() {
            self.found = self.gid.value;
            return true;
        }
        self.name.reset();
        self.gid = Num::default();
        false
    }
}

/// Every group that lists the user among its members (the fourth field, comma-separated).
struct Membership<'a> {
    member: Is<'a>,
    listed: bool,
    gid: Num,
    creds: &'a mut Credentials,
    full: bool,
}

impl<'a> Membership<'a> {
    fn new(user: &'a [u8], creds: &'a mut Credentials) -> Self {
        Membership {
            member: Is::new(user),
            listed: false,
            gid: Num::default(),
            creds,
            full: false,
        }
    }
}

impl Scan for Membership<'_> {
    fn byte(&mut self, field: usize, b: u8) {
        match (field, b) {
            (2, _) => self.gid.feed(b),
            (3, b',') => {
                self.listed = self.listed || self.member.matched();
                self.member.reset();
            }
            (3, _) => self.member.feed(b),
            _ => {}
        }
    }
    fn end_line(&mut self, fields: usize) -> bool {
        let listed = self.listed || (fields >= 4 && self.member.matched());
        if let (true, Some(gid)) = (fields >= 4 && listed, self.gid.value) {
            self.full = self.full || !self.creds.push_group(gid);
        }
        self.member.reset();
        self.listed = false;
        self.gid = Num::default();
        false
    }
}
