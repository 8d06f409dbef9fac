//! What /proc says about pidone's processes (not `spawn`, which starts the application):
//! the listings the machine is fed (in parts past `LIST_CAP`), each process with what the
//! machine needs to decide (its group, whether it is stopped, which signals it ignores),
//! and whether one process is stopped. Read in fixed buffers.

use core::ffi::CStr;

use crate::machine::{Kid, Listing, Scope};
use crate::{bytes, sys};

/// The processes `scope` names, now, handed to `page` in listings of at most `LIST_CAP`,
/// so that every one is seen however many there are, in a fixed buffer; `main` is the
/// main child, whose process group is the one `Kid::in_group` means (0 in pause mode: none
/// is). `page` is called at least once; its last listing says whether /proc could be read.
pub fn list(main: sys::Pid, scope: Scope, mut page: impl FnMut(&mut Listing)) {
    let mut list = Listing::new();
    // Another PID namespace's /proc names strangers by pidone's numbers: as no /proc.
    if !sys::proc_is_ours() {
        list.complete = false;
        page(&mut list);
        return;
    }
    let me = sys::getpid();
    let mut add = |pid: sys::Pid| {
        if pid <= 1 || pid == me {
            return;
        }
        let in_group = main > 0 && sys::getpgid(pid) == Some(main);
        if scope == Scope::Group && !in_group {
            return;
        }
        let mut kid = Kid::new(pid, in_group);
        if let Some(status) = status(pid) {
            kid.stopped = status.stopped;
            kid.ignored = status.ignored;
        }
        if list.is_full() {
            list.last = false;
            page(&mut list);
            list = Listing::new();
        }
        list.push(kid);
    };
    let complete = match scope {
        Scope::Children => for_each_child(&mut add),
        Scope::Group => for_each_process(&mut add),
    };
    list.complete = complete;
    page(&mut list);
}

/// Calls `each` with each current child of pidone (/proc/self/task/PID/children). Returns
/// false when the list cannot be read (no /proc, no descriptor left).
fn for_each_child(mut each: impl FnMut(sys::Pid)) -> bool {
    let mut path = [0u8; 48];
    let Some(path) = path_of(
        &mut path,
        b"/proc/self/task/",
        sys::getpid(),
        b"/children\0",
    ) else {
        return false;
    };
    let Ok(fd) = sys::open(path, libc::O_RDONLY) else {
        return false;
    };
    let mut buf = [0u8; 4096];
    let mut pid: i32 = 0;
    while let Ok(n) = fd.read(&mut buf) {
        if n == 0 {
            break;
        }
        // A pid may straddle two reads, so digits accumulate across them.
        for &b in buf.get(..n).unwrap_or(&[]) {
            if let Some(d) = b.checked_sub(b'0').filter(|d| *d <= 9) {
                pid = pid.saturating_mul(10).saturating_add(i32::from(d));
            } else {
                // These are unreaped children of ours, so their pids cannot be reused.
                if pid > 1 {
                    each(pid);
                }
                pid = 0;
            }
        }
    }
    if pid > 1 {
        each(pid);
    }
    true
}

/// Calls `each` with every process in /proc (as PID 1: the whole namespace). Returns false
/// when /proc cannot be read.
fn for_each_process(mut each: impl FnMut(sys::Pid)) -> bool {
    let Ok(dir) = sys::open(c"/proc", libc::O_RDONLY | libc::O_DIRECTORY) else {
        return false;
    };
    let mut buf = [0u8; 4096];
    while let Ok(n) = dir.read_dir(&mut buf) {
        if n == 0 {
            break;
        }
        // linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name (NUL-ended).
        let mut at = 0usize;
        let records = buf.get(..n).unwrap_or(&[]);
        while let Some(record) = records.get(at..) {
            let len = match record.get(16..18) {
                Some(&[lo, hi]) => usize::from(u16::from_ne_bytes([lo, hi])),
                _ => break,
            };
            if len == 0 {
                break;
            }
            let name = record.get(19..len.min(record.len())).unwrap_or(&[]);
            let name = name.split(|b| *b == 0).next().unwrap_or(&[]);
            let max = u64::try_from(i32::MAX).unwrap_or(0);
            if let Some(pid) = crate::decimal::parse(name, max) {
                each(i32::try_from(pid).unwrap_or(0));
            }
            at = at.saturating_add(len);
        }
    }
    true
}

/// What /proc/PID/status says about a process.
struct Status {
    stopped: bool,
    /// Signals it ignores and does not block (a blocked one stays pending, so it may yet
    /// act on it): sending it one of these achieves nothing.
    ignored: u64,
}

fn status(pid: sys::Pid) -> Option<Status> {
    let mut path = [0u8; 40];
    let path = path_of(&mut path, b"/proc/", pid, b"/status\0")?;
    let fd = sys::open(path, libc::O_RDONLY).ok()?;
    // The fields needed come before the long lists at the end (capabilities, cpus).
    let mut buf = [0u8; 4096];
    let n = fd.read_full(&mut buf);
    Some(parse_status(buf.get(..n).unwrap_or(&[])))
}

fn parse_status(text: &[u8]) -> Status {
    let (mut stopped, mut blocked, mut ignored) = (false, 0u64, 0u64);
    // Only whole lines: the read may have ended inside one, whose value would be cut.
    for line in text.split_inclusive(|b| *b == b'\n') {
        let Some(line) = line.strip_suffix(b"\n") else {
            continue;
        };
        let Some((key, value)) = bytes::split_once(line, b':') else {
            continue;
        };
        let value = value.trim_ascii_start();
        match key {
            // "T (stopped)", "t (tracing stop)".
            b"State" => stopped = matches!(value.first(), Some(b'T' | b't')),
            b"SigBlk" => blocked = hex(value),
            b"SigIgn" => ignored = hex(value),
            _ => {}
        }
    }
    Status {
        stopped,
        ignored: ignored & !blocked,
    }
}

fn hex(text: &[u8]) -> u64 {
    text.iter()
        .map_while(|b| match b {
            b'0'..=b'9' => Some(b.wrapping_sub(b'0')),
            b'a'..=b'f' => Some(b.wrapping_sub(b'a').wrapping_add(10)),
            _ => None,
        })
        .fold(0u64, |n, d| n.wrapping_shl(4) | u64::from(d))
}

/// Whether `pid`, a child of pidone, is stopped. /proc/PID/stat's state `T` sees every stop,
/// also one the process's old parent already collected with WUNTRACED (a shell's job
/// control), which `waitid` no longer reports; without /proc, `waitid` is all there is.
pub fn is_stopped(pid: sys::Pid) -> bool {
    if !sys::proc_is_ours() {
        return sys::is_stopped(pid);
    }
    let mut path = [0u8; 40];
    let stat = path_of(&mut path, b"/proc/", pid, b"/stat\0")
        .and_then(|path| sys::open(path, libc::O_RDONLY).ok());
    let Some(fd) = stat else {
        return sys::is_stopped(pid);
    };
    // "PID (COMM) S ...": COMM may hold anything, so the state follows the last ')'. A
    // long COMM is at most 16 bytes, so the state is within the first read.
    let mut buf = [0u8; 256];
    let n = fd.read(&mut buf).unwrap_or(0);
    let text = buf.get(..n).unwrap_or(&[]);
    match text.iter().rposition(|b| *b == b')') {
        Some(close) => matches!(text.get(close.saturating_add(2)), Some(b'T' | b't')),
        None => sys::is_stopped(pid),
    }
}

/// `HEAD`, `pid` in decimal and `TAIL` (which ends in the NUL) in `buf`; `None` when they
/// do not fit.
fn path_of<'b>(buf: &'b mut [u8], head: &[u8], pid: sys::Pid, tail: &[u8]) -> Option<&'b CStr> {
    let mut digits = [0u8; 20];
    let number = crate::decimal::format(u64::try_from(pid).unwrap_or(0), &mut digits);
    CStr::from_bytes_until_nul(bytes::join(buf, &[head, number, tail])?).ok()
}

/// Whether pidone can list its children at all (checked once at start, to warn early).
pub fn listable() -> bool {
    sys::readable(c"/proc/self/task")
}

#[cfg(test)]
mod tests {
    #[test]
    fn status_masks_are_hex() {
        assert_eq!(super::hex(b"0000000000004000"), 1 << 14);
        assert_eq!(super::hex(b"ffffffffffffffff"), u64::MAX);
        assert_eq!(super::hex(b""), 0);
    }

    #[test]
    fn a_status_cut_inside_a_line_is_not_read_as_its_value() {
        // A long Groups line (hundreds of groups) pushes the signal masks toward the end
        // of the 4 KiB read: SigIgn 0000000000400000 (SIGURG) cut two digits short would
        // read as SIGTERM ignored, and the process would be SIGKILLed at once.
        let cut = b"State:\tS (sleeping)\nSigBlk:\t0000000000000000\nSigIgn:\t00000000004000";
        let got = super::parse_status(cut);
        assert_eq!(got.ignored, 0, "a cut line gave {:#x}", got.ignored);
        let whole = b"State:\tT (stopped)\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000004000\n";
        let got = super::parse_status(whole);
        assert!(got.stopped);
        assert_eq!(got.ignored, 1 << 14);
    }

    #[test]
    fn this_process_is_listed_with_its_status() {
        // The test runner is not stopped, and ignores what the status says it ignores.
        let me = crate::sys::getpid();
        let got = super::status(me).unwrap();
        assert!(!got.stopped);
        let mut seen = false;
        super::for_each_process(|pid| seen |= pid == me);
        assert!(seen, "/proc lists this process");
    }

    /// `n` sleeping processes in one new process group; the first leads it.
    fn group_of(n: usize) -> std::vec::Vec<std::process::Child> {
        use std::os::unix::process::CommandExt;
        let mut kids: std::vec::Vec<std::process::Child> = std::vec::Vec::new();
        for _ in 0..n {
            let leader = kids.first().map_or(0, |k| k.id() as i32);
            let kid = std::process::Command::new("sleep")
                .arg("60")
                .process_group(leader)
                .spawn()
                .unwrap();
            kids.push(kid);
        }
        kids
    }

    #[test]
    fn a_listing_shows_every_process_past_the_cap() {
        let n = crate::machine::LIST_CAP + 2;
        let mut kids = group_of(n);
        let leader = kids[0].id() as i32;
        let (mut seen, mut pages, mut last) = (0, 0, std::vec::Vec::new());
        super::list(leader, crate::machine::Scope::Group, |list| {
            seen += list.kids().len();
            pages += 1;
            last.push(list.last);
        });
        for k in &mut kids {
            let _ = k.kill();
            let _ = k.wait();
        }
        assert_eq!(seen, n, "processes past the listing's cap were not shown");
        assert_eq!(last, [false, true], "{pages} listings");
    }
}
