//! Target `user`: `--user` resolved from an /etc/passwd and /etc/group the fuzzer writes,
//! against a plain reference reader of the same files.
//!
//! pidone reads the fixed paths /etc/passwd and /etc/group (a static binary has no NSS).
//! `init` enters a mount namespace of its own and bind-mounts two unlinked scratch files
//! over them; each input rewrites those files. The real /etc is never written: a write
//! goes only to the scratch files, after checking that /etc/passwd is one of them.
//! Needs root (CAP_SYS_ADMIN), as the test suite has.
//!
//! Input: byte 0's top bit picks raw mode (passwd, group and spec as raw bytes split at
//! 0xff 0x00; checked for invariants only) or structured mode (well-formed lines of names
//! and ids from a pool that holds every known bad case, plus junk lines both readers skip;
//! checked against the reference).
//!
//! The adapter to pidone's API is `resolve` below: the one place to change when the
//! reader's interface changes.

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::sync::OnceLock;

use pidone::config::{Config, Personality};

use crate::Bytes;

/// What a lookup gives: the ids, every group (primary first), and HOME.
#[derive(Debug, PartialEq, Eq)]
pub struct Resolved {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub home: Vec<u8>,
}

/// pidone's reader, through its public API (`user::resolve`, `Credentials::groups`/`home`,
/// as of the `output` branch's streamed reader).
fn resolve(spec: &[u8]) -> Option<Resolved> {
    let log = Config::defaults(Personality::Pidone).log;
    let mut result = None;
    // A failure is logged by its caller; the capture keeps that off the fuzzer's output.
    crate::capture::stderr_of(|| {
        let resolved = pidone::user::resolve(Some(spec));
        if let Err(e) = &resolved {
            e.emit(&log);
        }
        result = Some(resolved);
    });
    match result? {
        Ok(Some(c)) => {
            let home = c.home().split(|b| *b == 0).next().unwrap_or(b"");
            Some(Resolved {
                uid: c.uid,
                gid: c.gid,
                groups: c.groups().to_vec(),
                home: home.strip_prefix(b"HOME=").unwrap_or(home).to_vec(),
            })
        }
        Ok(None) => panic!("a --user given resolved to no user"),
        Err(_) => None,
    }
}

struct FakeEtc {
    passwd: File,
    group: File,
}

static ETC: OnceLock<FakeEtc> = OnceLock::new();

fn sys(what: &str, rc: i32) {
    assert!(rc == 0, "{what}: {}", std::io::Error::last_os_error());
}

/// Enters a private mount namespace with scratch files over /etc/passwd and /etc/group.
pub fn init() {
    crate::capture::init();
    ETC.get_or_init(|| {
        // SAFETY: unshare and mount with NUL-terminated literals; no pointers kept.
        unsafe {
            sys(
                "unshare(CLONE_NEWNS) (needs root, one thread)",
                libc::unshare(libc::CLONE_NEWNS),
            );
            let none = std::ptr::null();
            let flags = libc::MS_REC | libc::MS_PRIVATE;
            sys(
                "mount --make-rprivate /",
                libc::mount(none, c"/".as_ptr(), none, flags, std::ptr::null()),
            );
        }
        let dir = std::env::temp_dir().join(format!("pidone-fuzz-etc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let mut files = Vec::new();
        for name in ["passwd", "group"] {
            let scratch = dir.join(name);
            let file = File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&scratch)
                .expect("scratch file");
            let src = std::ffi::CString::new(scratch.as_os_str().as_encoded_bytes()).unwrap();
            let dst = std::ffi::CString::new(format!("/etc/{name}")).unwrap();
            // A namespace copied from a fuzzer's parent (fork mode) still has the parent's
            // scratch file, unlinked, over /etc/NAME, and nothing mounts on an unlinked
            // file: take such mounts off first (in this private namespace only).
            // SAFETY: a NUL-terminated path; fails harmlessly when nothing is mounted there.
            while unsafe { libc::umount2(dst.as_ptr(), libc::MNT_DETACH) } == 0 {}
            // SAFETY: both paths are NUL-terminated; a bind mount of one file on another.
            let rc = unsafe {
                let none = std::ptr::null();
                libc::mount(
                    src.as_ptr(),
                    dst.as_ptr(),
                    none,
                    libc::MS_BIND,
                    std::ptr::null(),
                )
            };
            sys("bind mount over /etc", rc);
            // Only ever written through `file`, and only if /etc/NAME is now that file.
            let ours = file.metadata().unwrap();
            let etc = std::fs::metadata(format!("/etc/{name}")).unwrap();
            assert!(
                ours.dev() == etc.dev() && ours.ino() == etc.ino(),
                "/etc/{name} not ours"
            );
            std::fs::remove_file(&scratch).unwrap();
            files.push(file);
        }
        let _ = std::fs::remove_dir(&dir);
        let group = files.pop().unwrap();
        let passwd = files.pop().unwrap();
        FakeEtc { passwd, group }
    });
}

fn write_etc(passwd: &[u8], group: &[u8]) {
    let etc = ETC.get().expect("user::init not called");
    for (file, content) in [(&etc.passwd, passwd), (&etc.group, group)] {
        file.set_len(0).unwrap();
        file.write_all_at(content, 0).unwrap();
    }
}

pub fn check(data: &[u8]) {
    let mut input = Bytes::new(data);
    if input.byte() & 0x80 != 0 {
        return check_raw(input.rest());
    }
    let files = Files::generate(&mut input);
    write_etc(&files.passwd, &files.group);
    let got = resolve(&files.spec);
    let want = reference(&files.passwd, &files.group, &files.spec);
    compare(&got, &want, &files.passwd, &files.group, &files.spec);
}

fn compare(
    got: &Option<Resolved>,
    want: &Option<Resolved>,
    passwd: &[u8],
    group: &[u8],
    spec: &[u8],
) {
    let show = || {
        format!(
            "--user {:?}\n/etc/passwd:\n{}\n/etc/group:\n{}",
            String::from_utf8_lossy(spec),
            String::from_utf8_lossy(passwd),
            String::from_utf8_lossy(group)
        )
    };
    match (got, want) {
        (Some(got), Some(want)) => {
            assert_eq!((got.uid, got.gid), (want.uid, want.gid), "ids: {}", show());
            assert_eq!(
                got.groups.first(),
                Some(&got.gid),
                "primary first: {}",
                show()
            );
            let mut sorted = got.groups.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(
                sorted.len(),
                got.groups.len(),
                "duplicate groups: {}",
                show()
            );
            let mut expected = want.groups.clone();
            expected.sort_unstable();
            assert_eq!(sorted, expected, "groups: {}", show());
            assert_eq!(got.home, want.home, "HOME: {}", show());
        }
        (None, None) => {}
        _ => panic!("pidone {got:?}, reference {want:?}: {}", show()),
    }
}

/// Raw bytes (the real distributions' files are seeds of this kind): compared with the
/// reference when every line is well formed (7 passwd fields, 4 group fields, or blank),
/// as real files are; otherwise malformed lines have no one right reading, and the checks
/// are: no crash, no hang, the gid first, no group twice.
fn check_raw(data: &[u8]) {
    let mut parts = data.splitn(3, |b| *b == 0xff);
    let (passwd, group, spec) = (
        parts.next().unwrap_or(b""),
        parts.next().unwrap_or(b""),
        parts.next().unwrap_or(b"0"),
    );
    let spec: Vec<u8> = spec.iter().copied().filter(|b| *b != 0).collect();
    if spec.is_empty() {
        return;
    }
    write_etc(passwd, group);
    let got = resolve(&spec);
    if well_formed(passwd, 7) && well_formed(group, 4) {
        compare(&got, &reference(passwd, group, &spec), passwd, group, &spec);
    } else if let Some(got) = got {
        assert_eq!(got.groups.first(), Some(&got.gid));
        let mut sorted = got.groups.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), got.groups.len(), "duplicate groups");
    }
}

fn well_formed(file: &[u8], fields: usize) -> bool {
    file.split(|b| *b == b'\n').all(|line| {
        line.is_empty()
            || (line.split(|b| *b == b':').count() == fields
                && !line.contains(&0)
                && !line.contains(&b'\r'))
    })
}

/// Names that have broken readers: the 64-byte cut, a name that is a number, long names.
fn name_pool(i: u8) -> Vec<u8> {
    match i % 12 {
        0 => b"root".to_vec(),
        1 => b"app".to_vec(),
        2 => b"1000".to_vec(),
        3 => b"nobody".to_vec(),
        4 => vec![b'a'; 64],
        5 => [vec![b'a'; 64], b"x".to_vec()].concat(),
        6 => [vec![b'a'; 64], b"y".to_vec()].concat(),
        7 => vec![b'u'; 300],
        8 => b"0".to_vec(),
        9 => b"app2".to_vec(),
        10 => b"nonroot".to_vec(),
        _ => b"www-data".to_vec(),
    }
}

fn id_pool(input: &mut Bytes<'_>) -> Vec<u8> {
    let b = input.byte();
    match b % 16 {
        0 => b"0".to_vec(),
        1 => b"1000".to_vec(),
        2 => b"65532".to_vec(),
        3 => b"65534".to_vec(),
        4 => b"4294967294".to_vec(),
        5 => b"4294967295".to_vec(),
        6 => b"4294967296".to_vec(),
        7 => b"01000".to_vec(),
        8 => b"-1".to_vec(),
        9 => b"".to_vec(),
        _ => (u32::from(input.byte()) % 50 + 1000)
            .to_string()
            .into_bytes(),
    }
}

/// A name: from the pool, or up to 255 bytes from the input with the separators removed.
fn name(input: &mut Bytes<'_>) -> Vec<u8> {
    let b = input.byte();
    if b < 0xe0 {
        return name_pool(b);
    }
    let len = usize::from(input.byte());
    let raw: Vec<u8> = input
        .take(len)
        .iter()
        .copied()
        .filter(|c| !b":,\n\0".contains(c))
        .collect();
    if raw.is_empty() { b"x".to_vec() } else { raw }
}

struct Files {
    passwd: Vec<u8>,
    group: Vec<u8>,
    spec: Vec<u8>,
}

impl Files {
    fn generate(input: &mut Bytes<'_>) -> Files {
        let mut passwd = Vec::new();
        let mut users: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for _ in 0..input.byte() % 8 {
            let user = name(input);
            let (uid, gid) = (id_pool(input), id_pool(input));
            let home: Vec<u8> = match input.byte() % 4 {
                0 => b"/root".to_vec(),
                1 => [b"/home/".to_vec(), user.clone()].concat(),
                2 => [b"/".to_vec(), vec![b'h'; 300]].concat(),
                _ => b"".to_vec(),
            };
            junk(input, &mut passwd);
            passwd.extend_from_slice(&[&user[..], b":x:", &uid, b":", &gid, b":gecos:"].concat());
            passwd.extend_from_slice(&[&home[..], b":/bin/sh\n"].concat());
            users.push((user, uid));
        }
        let mut group = Vec::new();
        for _ in 0..input.byte() % 8 {
            let gname = name(input);
            let gid = id_pool(input);
            let mut members: Vec<Vec<u8>> = Vec::new();
            for _ in 0..input.byte() % 4 {
                members.push(name(input));
            }
            // The same line repeated under many gids: more groups than a small array holds.
            let repeat = match input.byte() % 4 {
                3 => 40 + usize::from(input.byte() % 64),
                _ => 1,
            };
            // Filler members that make a line longer than a 4 KiB buffer (450 of them make
            // 4.5 KB); not on repeated lines, which would make megabytes per input.
            let filler = if repeat == 1 {
                usize::from(input.byte() % 4) * 150
            } else {
                0
            };
            let at = usize::from(input.byte()) % (members.len() + 1);
            let fill = (0..filler).map(|k| format!("filler{k:03}").into_bytes());
            members.splice(at..at, fill);
            junk(input, &mut group);
            for r in 0..repeat {
                let gid = if repeat == 1 {
                    gid.clone()
                } else {
                    (2000 + r).to_string().into_bytes()
                };
                group.extend_from_slice(&[&gname[..], b":x:", &gid, b":"].concat());
                group.extend_from_slice(&members.join(&b","[..]));
                group.push(b'\n');
            }
        }
        // The spec: a known user's name or uid, or any name; sometimes with a group.
        let mut spec = match (input.byte() % 4, users.is_empty()) {
            (0, false) => users[usize::from(input.byte()) % users.len()].0.clone(),
            (1, false) => users[usize::from(input.byte()) % users.len()].1.clone(),
            (2, _) => id_pool(input),
            _ => name(input),
        };
        match input.byte() % 6 {
            0 => spec.extend_from_slice(&[b":".to_vec(), name(input)].concat()),
            1 => spec.extend_from_slice(&[b":".to_vec(), id_pool(input)].concat()),
            2 => spec.push(b':'),
            _ => {}
        }
        if spec.is_empty() {
            spec = b"root".to_vec();
        }
        Files {
            passwd,
            group,
            spec,
        }
    }
}

/// Lines every reader skips: comments, blank lines, too few fields.
fn junk(input: &mut Bytes<'_>, out: &mut Vec<u8>) {
    match input.byte() % 8 {
        0 => out.extend_from_slice(b"# comment:x:0:0::/:/bin/sh\n"),
        1 => out.extend_from_slice(b"\n"),
        2 => out.extend_from_slice(b"short:x\n"),
        _ => {}
    }
}

/// The reference reader: what `--user` means, as runc and gosu read it.
/// - USER that is a number (0 to 2^32-2) is that uid, whatever names exist; its passwd
///   entry, if any, gives the primary group and HOME. A name is the first entry with that
///   name, of any length; no entry: failure.
/// - GROUP that is a number is that gid; a name is the first group line with that name.
///   Empty or unknown: failure. No GROUP: the entry's gid, or the uid itself.
/// - The groups: with GROUP given, that one alone (as runc, gosu and Docker do); else the
///   primary one, then every group (line of any length, any count) that lists the user's
///   name as a member, once each. An empty name is nobody: USER empty fails, and an entry
///   with an empty name is a member of nothing.
/// - HOME: the entry's home, whole; `/` without an entry or for an empty home field.
/// - Bounds that fail instead of cutting: more than `GROUPS_MAX` groups, a home longer
///   than `PATH_MAX`, and for a numeric USER a passwd name longer than `PATH_MAX`.
pub fn reference(passwd: &[u8], group: &[u8], spec: &[u8]) -> Option<Resolved> {
    fn id(text: &[u8]) -> Option<u32> {
        let s = std::str::from_utf8(text).ok()?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse::<u64>()
            .ok()
            .filter(|n| *n < u64::from(u32::MAX))
            .map(|n| n as u32)
    }
    struct Entry<'a> {
        name: &'a [u8],
        uid: u32,
        gid: u32,
        home: &'a [u8],
    }
    let entries: Vec<Entry> = passwd
        .split(|b| *b == b'\n')
        .filter_map(|line| {
            let f: Vec<&[u8]> = line.split(|b| *b == b':').collect();
            if f.len() < 7 {
                return None;
            }
            Some(Entry {
                name: f[0],
                uid: id(f[2])?,
                gid: id(f[3])?,
                home: f[5],
            })
        })
        .collect();
    /// A group line: name, gid, members.
    type GroupLine<'a> = (&'a [u8], u32, Vec<&'a [u8]>);
    let groups: Vec<GroupLine> = group
        .split(|b| *b == b'\n')
        .filter_map(|line| {
            let f: Vec<&[u8]> = line.split(|b| *b == b':').collect();
            if f.len() < 4 {
                return None;
            }
            Some((f[0], id(f[2])?, f[3].split(|b| *b == b',').collect()))
        })
        .collect();

    let (user, group_spec) = match spec.iter().position(|b| *b == b':') {
        Some(c) => (&spec[..c], Some(&spec[c + 1..])),
        None => (spec, None),
    };
    if user.is_empty() {
        return None;
    }
    let (uid, entry) = match id(user) {
        Some(uid) => (uid, entries.iter().find(|e| e.uid == uid)),
        None => {
            let e = entries.iter().find(|e| e.name == user)?;
            (e.uid, Some(e))
        }
    };
    let gid = match group_spec {
        Some(g) if !g.is_empty() => match id(g) {
            Some(gid) => gid,
            None => groups.iter().find(|(name, _, _)| *name == g)?.1,
        },
        Some(_) => return None,
        None => entry.map_or(uid, |e| e.gid),
    };
    let mut all = vec![gid];
    if let (Some(e), None) = (entry.filter(|e| !e.name.is_empty()), group_spec) {
        for (_, g, members) in &groups {
            if members.contains(&e.name) && !all.contains(g) {
                all.push(*g);
            }
        }
    }
    let too_long = |b: &[u8]| b.len() > pidone::user::PATH_MAX;
    if all.len() > pidone::user::GROUPS_MAX
        || entry.is_some_and(|e| too_long(e.home) || (id(user).is_some() && too_long(e.name)))
    {
        return None;
    }
    Some(Resolved {
        uid,
        gid,
        groups: all,
        home: match entry {
            Some(e) if !e.home.is_empty() => e.home.to_vec(),
            _ => b"/".to_vec(),
        },
    })
}
