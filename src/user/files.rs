//! The colon-separated files, /etc/passwd and /etc/group, streamed a byte at a time through
//! small state machines: a line of any length is read whole, never skipped or cut.

use core::ffi::CStr;

use super::{Credentials, MAX_ID, PATH_MAX};
use crate::{bytes, sys};

/// A consumer of a colon-separated file, fed byte by byte.
pub(super) trait Scan {
    /// One byte of field `field` (0-based); never a ':' or a newline.
    fn byte(&mut self, field: usize, b: u8);
    /// The end of a line that had `fields` fields; true stops the scan.
    fn end_line(&mut self, fields: usize) -> bool;
}

/// The most of /etc/passwd or /etc/group pidone reads (a real one with 100,000 users is
/// about 6 MB): a lookup that needs more fails closed instead of holding up the start.
pub(super) const FILE_MAX: u64 = 64 << 20;

/// Why /etc/passwd or /etc/group could not be read. Each fails closed: guessing from part
/// of a file could run the application with other ids or fewer groups.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FileError {
    /// A FIFO, a device, a socket: a read could block forever or never end.
    NotRegular,
    /// Over `FILE_MAX` bytes.
    TooLarge,
    /// `open` or `read` failed (EACCES, EMFILE, EIO...), with its errno.
    Unreadable(sys::Errno),
}

/// Feeds every line of `path` to `s`. A missing file has no lines (a scratch image);
/// anything that cannot be read whole, at once and without blocking is an error.
pub(super) fn scan(path: &CStr, s: &mut dyn Scan) -> Result<(), FileError> {
    // O_NONBLOCK: a FIFO opens at once instead of waiting for a writer (it is refused just
    // below); O_NOCTTY: a terminal put there never becomes pidone's.
    let fd = match sys::open(path, libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY) {
        Ok(fd) => fd,
        Err(sys::Errno::ENOENT) => return Ok(()),
        Err(err) => return Err(FileError::Unreadable(err)),
    };
    // A FIFO, a terminal or another device could block or never end; a directory fails
    // its first read (EISDIR), and the size is bounded as it is read.
    if sys::kind(fd.raw()) != sys::Kind::File {
        return Err(FileError::NotRegular);
    }
    let mut buf = [0u8; 4096];
    let mut field = 0usize;
    let mut in_line = false;
    let mut total = 0u64;
    loop {
        let n = match fd.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) => return Err(FileError::Unreadable(err)),
        };
        // A file that grows while it is read (or reports no size) is still bounded.
        total = total.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        if total > FILE_MAX {
            return Err(FileError::TooLarge);
        }
        for &b in buf.get(..n).unwrap_or(&[]) {
            match b {
                b'\n' => {
                    if s.end_line(field.saturating_add(1)) {
                        return Ok(());
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
    Ok(())
}

/// Compares a streamed field with `want`.
pub(super) struct Is<'a> {
    pub(super) want: &'a [u8],
    pub(super) at: usize,
    pub(super) ok: bool,
}

impl<'a> Is<'a> {
    pub(super) fn new(want: &'a [u8]) -> Self {
        Is {
            want,
            at: 0,
            ok: true,
        }
    }
    pub(super) fn feed(&mut self, b: u8) {
        self.ok = self.ok && self.want.get(self.at) == Some(&b);
        self.at = self.at.saturating_add(1);
    }
    /// Whether the field was exactly `want`. An empty `want` matches nothing: an empty
    /// name field (a malformed line, an empty member list) must never pass for a user.
    pub(super) fn matched(&self) -> bool {
        self.ok && self.at == self.want.len() && !self.want.is_empty()
    }
    pub(super) fn reset(&mut self) {
        self.at = 0;
        self.ok = true;
    }
}

/// A streamed id: digits only, at most `MAX_ID`; `None` when empty or malformed.
#[derive(Default)]
pub(super) struct Num {
    pub(super) value: Option<u32>,
    pub(super) bad: bool,
}

impl Num {
    pub(super) fn feed(&mut self, b: u8) {
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
pub(super) struct Kept<const N: usize> {
    pub(super) buf: [u8; N],
    pub(super) len: usize,
    pub(super) over: bool,
}

impl<const N: usize> Kept<N> {
    pub(super) fn new() -> Self {
        Kept {
            buf: [0; N],
            len: 0,
            over: false,
        }
    }
    fn push(&mut self, b: u8) {
        if !bytes::push(&mut self.buf, &mut self.len, b) {
            self.over = true;
        }
    }
    pub(super) fn get(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

pub(super) enum Lookup<'a> {
    Name(Is<'a>),
    Uid(u32),
}

/// The /etc/passwd line of a user: `name:pw:uid:gid:gecos:home:shell`.
pub(super) struct Passwd<'a> {
    pub(super) by: Lookup<'a>,
    pub(super) name: Kept<PATH_MAX>,
    pub(super) uid: Num,
    pub(super) gid: Num,
    pub(super) home: Kept<PATH_MAX>,
    pub(super) found: bool,
}

impl<'a> Passwd<'a> {
    pub(super) fn new(by: Lookup<'a>) -> Self {
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
pub(super) struct GroupId<'a> {
    pub(super) name: Is<'a>,
    pub(super) gid: Num,
    pub(super) found: Option<u32>,
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
pub(super) struct Membership<'a> {
    pub(super) member: Is<'a>,
    pub(super) listed: bool,
    pub(super) gid: Num,
    pub(super) creds: &'a mut Credentials,
    pub(super) full: bool,
}

impl<'a> Membership<'a> {
    pub(super) fn new(user: &'a [u8], creds: &'a mut Credentials) -> Self {
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
