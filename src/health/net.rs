//! Stream sockets with one deadline: a non-blocking connect, send and receive, each waiting
//! in `poll` for at most the time left before the deadline (monotonic clock). Whatever the
//! peer does (refuse, drop the SYN, accept and say nothing, trickle a byte a second), every
//! call returns by the deadline. The system calls are `sys`'s.

use crate::sys::{self, Errno, Fd};

pub use crate::sys::Addr;

/// Why a socket call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The deadline passed first.
    Timeout,
    Os(Errno),
}

pub type Io<T> = Result<T, Failure>;

/// A connected socket, closed when dropped.
pub struct Socket {
    fd: Fd,
}

/// Opens a connection to `addr` before `deadline` (`sys::now_ns` time).
pub fn connect(addr: Addr, deadline: u64) -> Io<Socket> {
    let socket = Socket {
        fd: sys::stream_socket(addr).map_err(Failure::Os)?,
    };
    match socket.fd.connect(addr) {
        Ok(()) => return Ok(socket),
        // EINTR: the connection goes on being made in the background, as for EINPROGRESS.
        Err(Errno::EINPROGRESS | Errno::EINTR) => {}
        Err(err) => return Err(Failure::Os(err)),
    }
    // In progress: the socket turns writable when the connection opens or fails.
    socket.wait(libc::POLLOUT, deadline)?;
    socket.fd.connect_result().map_err(Failure::Os)?;
    Ok(socket)
}

impl Socket {
    /// Sends all of `buf` before the deadline. MSG_NOSIGNAL: a peer that has gone away is
    /// an EPIPE to report, not a SIGPIPE that kills the check without a word.
    pub fn send_all(&self, mut buf: &[u8], deadline: u64) -> Io<()> {
        while !buf.is_empty() {
            match sys::send_nonblocking(self.fd.raw(), buf) {
                Ok(n) => buf = buf.get(n..).unwrap_or(&[]),
                Err(Errno::EAGAIN) => self.wait(libc::POLLOUT, deadline)?,
                Err(err) => return Err(Failure::Os(err)),
            }
        }
        Ok(())
    }

    /// Receives what has arrived into `buf`, waiting for something until the deadline.
    /// Ok(0) is the end of the stream.
    pub fn recv(&self, buf: &mut [u8], deadline: u64) -> Io<usize> {
        loop {
            match self.fd.read(buf) {
                Err(Errno::EAGAIN) => self.wait(libc::POLLIN, deadline)?,
                got => return got.map_err(Failure::Os),
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
            match sys::poll(self.fd.raw(), events, left_ms) {
                Ok(0) => {} // the time ran out: checked at the top
                Ok(_) => return Ok(()),
                // EINTR, EAGAIN: wait again, for what is left.
                Err(Errno::EINTR | Errno::EAGAIN) => {}
                Err(err) => return Err(Failure::Os(err)),
            }
        }
    }
}
