//! Running the application as another user (`--user`). Names are resolved in the parent
//! before fork; the child only makes the system calls.

use crate::spawn::Stage;

/// The ids the child switches to, resolved before fork.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    pub groups: [u32; 32],
    pub ngroups: usize,
    /// `HOME=...` with a NUL, for the child's environment.
    pub home: [u8; 264],
}

impl Credentials {
    /// setgroups, setgid, setuid, in that order (after setuid the others are not allowed).
    /// Async-signal-safe; fails closed: the caller must not exec on error.
    pub fn apply(&self) -> Result<(), (Stage, i32)> {
        let groups = self.groups.get(..self.ngroups).unwrap_or(&[]);
        // SAFETY: getuid/getgid/geteuid only read the process's ids.
        let (uid, gid, euid) = unsafe { (libc::getuid(), libc::getgid(), libc::geteuid()) };
        if euid != 0 && uid == self.uid && gid == self.gid {
            // Already this user (a non-root container started with --user): nothing to
            // drop, and setgroups would fail without CAP_SETGID.
            return Ok(());
        }
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
    // u32::MAX is (uid_t)-1, "no change" to setuid: never a real id.
    let n = crate::decimal::parse(text, u64::from(u32::MAX - 1))?;
    u32::try_from(n).ok()
}

/// Resolves `--user USER[:GROUP]` before fork, from numbers or from /etc/passwd and
/// /etc/group read directly (a static binary has no NSS). Sets HOME to the user's home.
/// `Err` carries pidone's exit status: 126, failing closed, never running the application
/// as root by mistake.
pub fn resolve(cfg: &crate::config::Config) -> Result<Option<Credentials>, i32> {
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
    let entry = find_user(user);
    let uid = match (parse_id(user), &entry) {
        (_, Some(e)) => e.uid,
        (Some(uid), None) => uid,
        (None, None) => return fail("unknown user (no such name in /etc/passwd)", user),
    };
    // With no group given: the user's primary group, or for a bare number with no passwd
    // entry (scratch images) the same number, never root's group by accident.
    let gid = match group {
        Some(g) if !g.is_empty() => match parse_id(g).or_else(|| find_group_id(g)) {
            Some(gid) => gid,
            None => return fail("unknown group (no such name in /etc/group)", g),
        },
        Some(g) => return fail("empty group in --user", g),
        None => entry.as_ref().map_or(uid, |e| e.gid),
    };
    let mut creds = Credentials {
        uid,
        gid,
        groups: [0; 32],
        ngroups: 0,
        home: [0; 264],
    };
    creds.push_group(gid);
    if let Some(e) = &entry {
        supplementary_groups(e.name(), &mut creds);
    }
    let home = entry.as_ref().map_or(&b"/"[..], |e| e.home());
    let prefix = copy_into(&mut creds.home, b"HOME=");
    copy_into(creds.home.get_mut(prefix..263).unwrap_or(&mut []), home);
    Ok(Some(creds))
}

impl Credentials {
    fn push_group(&mut self, gid: u32) {
        let present = self
            .groups
            .get(..self.ngroups)
            .is_some_and(|g| g.contains(&gid));
        if !present {
            if let Some(slot) = self.groups.get_mut(self.ngroups) {
                *slot = gid;
                self.ngroups += 1;
            }
        }
    }
}

/// One /etc/passwd line's fields that matter, copied out of the read buffer.
struct PasswdEntry {
    uid: u32,
    gid: u32,
    name: [u8; 64],
    name_len: usize,
    home: [u8; 256],
    home_len: usize,
}

impl PasswdEntry {
    fn name(&self) -> &[u8] {
        self.name.get(..self.name_len).unwrap_or(&[])
    }
    fn home(&self) -> &[u8] {
        self.home.get(..self.home_len).unwrap_or(b"/")
    }
}

fn copy_into(dst: &mut [u8], src: &[u8]) -> usize {
    let mut n = 0;
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
        n += 1;
    }
    n
}

/// The passwd entry whose name (or, for a number, uid) is `user`.
fn find_user(user: &[u8]) -> Option<PasswdEntry> {
    let by_uid = parse_id(user);
    let mut found = None;
    each_line(c"/etc/passwd", |line| {
        let mut f = line.split(|b| *b == b':');
        let (Some(name), _, Some(uid), Some(gid), _, Some(home)) =
            (f.next(), f.next(), f.next(), f.next(), f.next(), f.next())
        else {
            return false;
        };
        let (Some(uid), Some(gid)) = (parse_id(uid), parse_id(gid)) else {
            return false;
        };
        if name != user && by_uid != Some(uid) {
            return false;
        }
        let mut e = PasswdEntry {
            uid,
            gid,
            name: [0; 64],
            name_len: 0,
            home: [0; 256],
            home_len: 0,
        };
        e.name_len = copy_into(&mut e.name, name);
        e.home_len = copy_into(&mut e.home, home);
        found = Some(e);
        true
    });
    found
}

fn find_group_id(group: &[u8]) -> Option<u32> {
    let mut found = None;
    each_line(c"/etc/group", |line| {
        let mut f = line.split(|b| *b == b':');
        if let (Some(name), _, Some(gid)) = (f.next(), f.next(), f.next()) {
            if name == group {
                found = parse_id(gid);
                return true;
            }
        }
        false
    });
    found
}

/// Adds every group that lists `user` as a member.
fn supplementary_groups(user: &[u8], creds: &mut Credentials) {
    each_line(c"/etc/group", |line| {
        let mut f = line.split(|b| *b == b':');
        if let (Some(_), _, Some(gid), Some(members)) = (f.next(), f.next(), f.next(), f.next()) {
            if members.split(|b| *b == b',').any(|m| m == user) {
                if let Some(gid) = parse_id(gid) {
                    creds.push_group(gid);
                }
            }
        }
        false
    });
}

/// Calls `visit` for each line of a file until it returns true, through a fixed buffer.
/// Lines longer than the buffer are skipped. A missing file has no lines.
fn each_line(path: &core::ffi::CStr, mut visit: impl FnMut(&[u8]) -> bool) {
    // SAFETY: `path` is NUL-terminated; the flags ask for a read-only descriptor.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return;
    }
    let mut buf = [0u8; 4096];
    let mut len = 0;
    let mut overlong = false;
    loop {
        let room = buf.get_mut(len..).unwrap_or(&mut []);
        // SAFETY: the pointer and length describe the live, writable `room`.
        let n = unsafe { libc::read(fd, room.as_mut_ptr().cast(), room.len()) };
        if n < 0 && crate::sys::errno() == libc::EINTR {
            continue;
        }
        if n <= 0 {
            if len > 0 && !overlong {
                visit(buf.get(..len).unwrap_or(&[]));
            }
            break;
        }
        len += n as usize;
        let mut start = 0;
        let mut done = false;
        while let Some(nl) = buf
            .get(start..len)
            .and_then(|r| r.iter().position(|b| *b == b'\n'))
        {
            if !overlong && !done {
                done = visit(buf.get(start..start + nl).unwrap_or(&[]));
            }
            overlong = false;
            start += nl + 1;
        }
        if done {
            break;
        }
        if start == 0 && len == buf.len() {
            // A line longer than the buffer: drop what we have and skip to its end.
            overlong = true;
            len = 0;
        } else {
            for i in 0..len - start {
                let b = buf.get(start + i).copied().unwrap_or(0);
                if let Some(slot) = buf.get_mut(i) {
                    *slot = b;
                }
            }
            len -= start;
        }
    }
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(fd) };
}
