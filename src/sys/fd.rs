//! File descriptors: an owned one that closes itself, and the calls that use it.

use core::ffi::CStr;

use super::errno;

/// A descriptor pidone opened and owns: closed exactly once, when dropped.
#[derive(Debug)]
pub struct Fd(i32);

impl Drop for Fd {
    fn drop(&mut self) {
        close(self.0);
    }
}

impl Fd {
    pub fn raw(&self) -> i32 {
        self.0
    }

    /// Gives up ownership: the descriptor stays open for the life of the process.
    pub fn leak(self) -> i32 {
        let fd = self.0;
        core::mem::forget(self);
        fd
    }

    /// One `read(2)`, retrying EINTR. `Ok(0)` is the end of the file.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize, i32> {
        read(self.0, buf)
    }

    /// One `getdents64(2)` on a directory opened with O_DIRECTORY, retrying EINTR: the next
    /// `linux_dirent64` records into `buf`. `Ok(0)` is the end of the directory.
    pub fn read_dir(&self, buf: &mut [u8]) -> Result<usize, i32> {
        loop {
            // SAFETY: `buf` is live and writable for its whole length, which is passed as
            // the count; the kernel writes at most that many bytes of records into it.
            let n =
                unsafe { libc::syscall(libc::SYS_getdents64, self.0, buf.as_mut_ptr(), buf.len()) };
            if let Ok(n) = usize::try_from(n) {
                return Ok(n);
            }
            if errno() != libc::EINTR {
                return Err(errno());
            }
        }
    }

    /// Reads until `buf` is full or the file ends; returns how much was read.
    pub fn read_full(&self, buf: &mut [u8]) -> usize {
        let mut got = 0;
        while let Some(rest) = buf.get_mut(got..).filter(|r| !r.is_empty()) {
            match self.read(rest) {
                Ok(0) | Err(_) => break,
                Ok(n) => got = got.saturating_add(n),
            }
        }
        got
    }
}

/// `open(2)` with O_CLOEXEC added: no descriptor of pidone's leaks into the application.
pub fn open(path: &CStr, flags: i32) -> Result<Fd, i32> {
    loop {
        // SAFETY: `path` is NUL-terminated and lives across the call; no mode is passed,
        // and none is read without O_CREAT.
        let fd = unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC) };
        if fd >= 0 {
            return Ok(Fd(fd));
        }
        if errno() != libc::EINTR {
            return Err(errno());
        }
    }
}

/// A close-on-exec pipe: (read end, write end).
pub fn pipe() -> Result<(Fd, Fd), i32> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a live [c_int; 2] that pipe2 fills.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(errno());
    }
    let [read_end, write_end] = fds;
    Ok((Fd(read_end), Fd(write_end)))
}

/// `read(2)` on a descriptor pidone does not own, retrying EINTR.
fn read(fd: i32, buf: &mut [u8]) -> Result<usize, i32> {
    loop {
        // SAFETY: the pointer and length describe the live, writable slice `buf`.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if let Ok(n) = usize::try_from(n) {
            return Ok(n);
        }
        if errno() != libc::EINTR {
            return Err(errno());
        }
    }
}

/// One `write(2)`, retrying EINTR: how much was written, or the errno.
pub fn write(fd: i32, buf: &[u8]) -> Result<usize, i32> {
    loop {
        // SAFETY: the pointer and length describe the live slice `buf`.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if let Ok(n) = usize::try_from(n) {
            return Ok(n);
        }
        if errno() != libc::EINTR {
            return Err(errno());
        }
    }
}

/// Writes all of `buf`, retrying EINTR and short writes; stops at the first error or a
/// write that makes no progress. For pidone's stdout (help, version) and the child's
/// report pipe; log lines go through `log::sink`, which never blocks.
pub fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        match write(fd, buf) {
            Ok(n) if n > 0 => buf = buf.get(n..).unwrap_or(&[]),
            _ => return,
        }
    }
}

/// `send(2)` with MSG_DONTWAIT and MSG_NOSIGNAL: never blocks, never raises SIGPIPE, and
/// leaves the socket's own flags (shared with the application) alone.
pub fn send_nonblocking(fd: i32, buf: &[u8]) -> Result<usize, i32> {
    loop {
        // SAFETY: the pointer and length describe the live slice `buf`.
        let n = unsafe {
            libc::send(
                fd,
                buf.as_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            )
        };
        if let Ok(n) = usize::try_from(n) {
            return Ok(n);
        }
        if errno() != libc::EINTR {
            return Err(errno());
        }
    }
}

/// Whether a write to `fd` would not block right now (`poll` with a zero timeout).
pub fn writable(fd: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: `p` is one live pollfd, and the count passed is 1.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    n == 1 && p.revents & libc::POLLOUT != 0
}

/// Waits at most `ms` milliseconds until a write to `fd` would not block; whether it would
/// not. Signals are blocked while pidone runs, so none cuts the wait short.
pub fn writable_within(fd: i32, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: `p` is one live pollfd, and the count passed is 1.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    n == 1 && p.revents & libc::POLLOUT != 0
}

/// What kind of file a descriptor is, as far as blocking writes go.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A pipe or FIFO: writes block when it is full.
    Pipe,
    /// A terminal (not a pty master): writes block under flow control (Ctrl-S).
    Tty,
    /// Another character device (/dev/null, /dev/kmsg, a pty master).
    Char,
    Socket,
    /// A regular file (never blocks) or anything else.
    File,
    /// Not open.
    Closed,
}

pub fn kind(fd: i32) -> Kind {
    // SAFETY: stat is plain data; all-zero is a valid value, and fstat overwrites it.
    let mut st: libc::stat = unsafe { core::mem::zeroed() };
    // SAFETY: `st` is a live stat that fstat writes.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Kind::Closed;
    }
    match st.st_mode & libc::S_IFMT {
        libc::S_IFIFO => Kind::Pipe,
        // A pty master is a terminal too, but opening its device again would make a new
        // pty: only a real terminal device counts as one here.
        libc::S_IFCHR if st.st_rdev != libc::makedev(5, 2) && is_tty(fd) => Kind::Tty,
        libc::S_IFCHR => Kind::Char,
        libc::S_IFSOCK => Kind::Socket,
        _ => Kind::File,
    }
}

pub fn is_tty(fd: i32) -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(fd) == 1 }
}

/// Whether `path` can be read (`access(R_OK)`).
pub fn readable(path: &CStr) -> bool {
    // SAFETY: `path` is NUL-terminated; access only checks it.
    unsafe { libc::access(path.as_ptr(), libc::R_OK) == 0 }
}

/// Closes a descriptor. Async-signal-safe.
pub fn close(fd: i32) {
    // SAFETY: closing has no memory effects; callers pass descriptors they own.
    unsafe { libc::close(fd) };
}

/// Closes every descriptor from 3 up except `keep` (pidone's log descriptor): pidone needs
/// no other, and a held socket or file would keep it open for the container's life. The
/// application already has its copies.
pub fn close_fds_from_3(keep: Option<i32>) {
    let keep = keep.and_then(|k| u32::try_from(k).ok()).filter(|k| *k >= 3);
    let ranges = match keep {
        // `k - 1` and `k + 1`: k >= 3 and k < u32::MAX, since it came from a positive i32.
        Some(k) => [(3, k.saturating_sub(1)), (k.saturating_add(1), u32::MAX)],
        None => [(3, u32::MAX), (1, 0)],
    };
    for (first, last) in ranges {
        if first <= last && !close_range(first, last) {
            close_each(first, last);
        }
    }
}

fn close_range(first: u32, last: u32) -> bool {
    // SAFETY: close_range only closes descriptors; none in the range is used by pidone.
    unsafe { libc::syscall(libc::SYS_close_range, first, last, 0u32) == 0 }
}

/// Without close_range (kernels before 5.9): one close per descriptor up to the limit.
fn close_each(first: u32, last: u32) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a live rlimit that getrlimit writes.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    let top = u32::try_from(limit.rlim_cur.min(65_536)).unwrap_or(65_536);
    for fd in first..top.min(last.saturating_add(1)) {
        if let Ok(fd) = i32::try_from(fd) {
            close(fd);
        }
    }
}
