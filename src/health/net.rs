//! Stream sockets with one deadline: a non-blocking connect, send and receive, each waiting
//! in `poll` for at most the time left before the deadline (monotonic clock). Whatever the
//! peer does (refuse, drop the SYN, accept and say nothing, trickle a byte a second), every
//! call returns by the deadline.
//!
//! These are the only system calls of `pidone health`; every `unsafe` in it is here.

use crate::sys;

/// An address to connect to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addr<'a> {
    V4([u8; 4], u16),
    V6([u8; 16], u16),
    /// A filesystem path of at most 107 bytes (checked by the URL parser; longer is refused
    /// here too).
    Unix(&'a [u8]),
}

/// Why a socket call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The deadline passed first.
    Timeout,
    /// An errno value.
    Os(i32),
}

pub type Io<T> = Result<T, Failure>;

/// A connected socket, closed when dropped.
pub struct Socket {
    fd: i32,
}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: `fd` is the socket this value owns; nothing else closes it.
        unsafe { libc::close(self.fd) };
    }
}

fn last_error() -> Failure {
    Failure::Os(sys::errno())
}

/// Opens a connection to `addr` before `deadline` (`sys::now_ns` time).
pub fn connect(addr: Addr, deadline: u64) -> Io<Socket> {
    let family = match addr {
        Addr::V4(..) => libc::AF_INET,
        Addr::V6(..) => libc::AF_INET6,
        Addr::Unix(_) => libc::AF_UNIX,
    };
    let flags = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socket takes no pointers; a negative result is checked below.
    let fd = unsafe { libc::socket(family, flags, 0) };
    if fd < 0 {
        return Err(last_error());
    }
    let socket = Socket { fd };
    if socket.start_connect(addr)? {
        return Ok(socket);
    }
    // In progress: the socket turns writable when the connection opens or fails.
    socket.wait(libc::POLLOUT, deadline)?;
    let mut err: libc::c_int = 0;
    let mut len = core::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `err` and `len` are live and `len` holds err's size; SO_ERROR writes an int.
    let got = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut err as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    match (got, err) {
        (0, 0) => Ok(socket),
        (0, err) => Err(Failure::Os(err)),
        _ => Err(last_error()),
    }
}

impl Socket {
    /// `connect(2)` on the non-blocking socket: Ok(true) when connected at once, Ok(false)
    /// when the connection is under way.
    fn start_connect(&self, addr: Addr) -> Io<bool> {
        let result = match addr {
            Addr::V4(ip, port) => {
                // SAFETY: sockaddr_in is plain data; all-zero is valid.
                let mut sa: libc::sockaddr_in = unsafe { core::mem::zeroed() };
                sa.sin_family = libc::AF_INET as libc::sa_family_t;
                sa.sin_port = port.to_be();
                sa.sin_addr.s_addr = u32::from_ne_bytes(ip);
                self.raw_connect(&sa)
            }
            Addr::V6(ip, port) => {
                // SAFETY: sockaddr_in6 is plain data; all-zero is valid.
                let mut sa: libc::sockaddr_in6 = unsafe { core::mem::zeroed() };
                sa.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sa.sin6_port = port.to_be();
                sa.sin6_addr.s6_addr = ip;
                self.raw_connect(&sa)
            }
            Addr::Unix(path) => {
                // SAFETY: sockaddr_un is plain data; all-zero is valid, and the zeros after
                // the path are its terminating NUL.
                let mut sa: libc::sockaddr_un = unsafe { core::mem::zeroed() };
                sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
                if path.len() >= sa.sun_path.len() {
                    return Err(Failure::Os(libc::ENAMETOOLONG));
                }
                for (slot, byte) in sa.sun_path.iter_mut().zip(path) {
                    *slot = *byte as libc::c_char;
                }
                self.raw_connect(&sa)
            }
        };
        if result == 0 {
            return Ok(true);
        }
        match sys::errno() {
            // EINTR: the connection goes on being made in the background, as for EINPROGRESS.
            libc::EINPROGRESS | libc::EINTR => Ok(false),
            err => Err(Failure::Os(err)),
        }
    }

    /// `connect(2)` with the address `sa` points to, of type `T`.
    fn raw_connect<T>(&self, sa: &T) -> i32 {
        let len = core::mem::size_of::<T>() as libc::socklen_t;
        // SAFETY: `sa` is a live, initialised sockaddr of `len` bytes; connect only reads it.
        unsafe { libc::connect(self.fd, (sa as *const T).cast(), len) }
    }

    /// Sends all of `buf` before the deadline. MSG_NOSIGNAL: a peer that has gone away is
    /// an EPIPE to report, not a SIGPIPE that kills the check without a word.
    pub fn send_all(&self, mut buf: &[u8], deadline: u64) -> Io<()> {
        while !buf.is_empty() {
            // SAFETY: the pointer and length describe the live slice `buf`.
            let n =
                unsafe { libc::send(self.fd, buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL) };
            if n >= 0 {
                buf = buf.get(n as usize..).unwrap_or(&[]);
                continue;
            }
            match sys::errno() {
                libc::EINTR => {}
                libc::EAGAIN => self.wait(libc::POLLOUT, deadline)?,
                err => return Err(Failure::Os(err)),
            }
        }
        Ok(())
    }

    /// Receives what has arrived into `buf`, waiting for something until the deadline.
    /// Ok(0) is the end of the stream.
    pub fn recv(&self, buf: &mut [u8], deadline: u64) -> Io<usize> {
        loop {
            // SAFETY: the pointer and length describe the live, writable slice `buf`.
            let n = unsafe { libc::recv(self.fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n >= 0 {
                return Ok(n as usize);
            }
            match sys::errno() {
                libc::EINTR => {}
                libc::EAGAIN => self.wait(libc::POLLIN, deadline)?,
                err => return Err(Failure::Os(err)),
            }
        }
    }

    /// Waits until the socket is ready for `events` (or has an error or hang-up to report,
    /// which the next call returns), or the deadline passes.
    fn wait(&self, events: libc::c_short, deadline: u64) -> Io<()> {
        loop {
            let now = sys::now_ns();
            if now >= deadline {
                return Err(Failure::Timeout);
            }
            // Rounded up, so that the last sub-millisecond is slept, not spun through.
            let left_ms = deadline
                .saturating_sub(now)
                .div_ceil(1_000_000)
                .min(i32::MAX as u64) as i32;
            let mut pfd = libc::pollfd {
                fd: self.fd,
                events,
                revents: 0,
            };
            // SAFETY: `pfd` is one live pollfd, and 1 is the count passed.
            let ready = unsafe { libc::poll(&mut pfd, 1, left_ms) };
            if ready > 0 {
                return Ok(());
            }
            // 0: the time ran out (checked at the top); EINTR, EAGAIN: wait again.
            if ready < 0 && !matches!(sys::errno(), libc::EINTR | libc::EAGAIN) {
                return Err(last_error());
            }
        }
    }
}
