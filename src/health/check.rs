//! One check: connect, and for http:// send a GET and read the status code, all before one
//! deadline. What the check found is returned as data; deciding and saying what it means
//! is the caller's.

use super::net::{self, Addr, Failure, Socket};
use super::status::{self, Malformed, Progress, StatusParser};
use super::url::{Endpoint, Host, MAX_URL, Probe, Target};
use crate::bytes;
use crate::sys::{self, Errno};

const LOOPBACK_V4: [u8; 4] = [127, 0, 0, 1];
const LOOPBACK_V6: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// The part of the check that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Connect,
    Send,
    Receive,
}

/// What the endpoint did, when it did its part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Connected,
    Status(u16),
}

/// Why the endpoint is not healthy, whatever the accepted statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Timeout(Phase),
    Os(Phase, Errno),
    /// A Unix socket whose listen queue is full: a server that no longer accepts.
    QueueFull,
    /// The server closed the connection without sending a byte.
    NoResponse,
    /// What is wrong, and the response's first bytes.
    Malformed(Malformed, Prefix),
}

/// The first bytes of a response, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    bytes: [u8; status::PREFIX],
    len: usize,
}

impl Prefix {
    fn of(parser: &StatusParser) -> Prefix {
        let mut prefix = Prefix {
            bytes: [0; status::PREFIX],
            len: 0,
        };
        prefix.len = bytes::copy(&mut prefix.bytes, parser.prefix());
        prefix
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

pub fn run(target: &Target, timeout_ms: u64) -> Result<Answer, Reason> {
    let deadline = sys::now_ns().saturating_add(timeout_ms.saturating_mul(1_000_000));
    let socket = connect(target.endpoint, deadline)?;
    match target.probe {
        Probe::Connect => Ok(Answer::Connected),
        Probe::Http { authority, path } => {
            let mut request = Request::new();
            request.build(authority, path);
            socket
                .send_all(request.as_bytes(), deadline)
                .map_err(|f| reason(Phase::Send, f))?;
            read_status(&socket, deadline).map(Answer::Status)
        }
    }
}

fn reason(phase: Phase, failure: Failure) -> Reason {
    match failure {
        Failure::Timeout => Reason::Timeout(phase),
        Failure::Os(err) => Reason::Os(phase, err),
    }
}

/// `localhost` is 127.0.0.1, then ::1 if nothing listens on the first: a server may bind
/// either, and a container's /etc/hosts names both.
fn connect(endpoint: Endpoint, deadline: u64) -> Result<Socket, Reason> {
    let first = match endpoint {
        Endpoint::Ip(Host::V4(ip), port) => Addr::V4(ip, port),
        Endpoint::Ip(Host::V6(ip), port) => Addr::V6(ip, port),
        Endpoint::Ip(Host::Localhost, port) => Addr::V4(LOOPBACK_V4, port),
        Endpoint::Unix(path) => Addr::Unix(path),
    };
    let failed = match net::connect(first, deadline) {
        Ok(socket) => return Ok(socket),
        Err(failure) => failure,
    };
    let port = match endpoint {
        Endpoint::Ip(Host::Localhost, port) => port,
        // A Unix socket's connect() fails with EAGAIN, instead of waiting, when the
        // server's queue of connections it has not accepted is full.
        Endpoint::Unix(_) if failed == Failure::Os(Errno::EAGAIN) => return Err(Reason::QueueFull),
        _ => return Err(reason(Phase::Connect, failed)),
    };
    let not_there = matches!(
        failed,
        Failure::Os(Errno::ECONNREFUSED | Errno::ENETUNREACH | Errno::EADDRNOTAVAIL)
    );
    if !not_there {
        return Err(reason(Phase::Connect, failed));
    }
    match net::connect(Addr::V6(LOOPBACK_V6, port), deadline) {
        Ok(socket) => Ok(socket),
        // The time ran out on ::1: that is what the wait was.
        Err(Failure::Timeout) => Err(Reason::Timeout(Phase::Connect)),
        // Refused on both, or no IPv6: 127.0.0.1's answer is the one to report.
        Err(Failure::Os(_)) => Err(reason(Phase::Connect, failed)),
    }
}

fn read_status(socket: &Socket, deadline: u64) -> Result<u16, Reason> {
    let mut parser = StatusParser::new();
    let mut buf = [0u8; 512];
    loop {
        let n = socket
            .recv(&mut buf, deadline)
            .map_err(|f| reason(Phase::Receive, f))?;
        let progress = if n == 0 {
            match parser.at_end() {
                None => return Err(Reason::NoResponse),
                Some(progress) => progress,
            }
        } else {
            parser.feed(buf.get(..n).unwrap_or(&[]))
        };
        match progress {
            Progress::More => {}
            Progress::Final(code) => return Ok(code),
            Progress::Malformed(m) => return Err(Reason::Malformed(m, Prefix::of(&parser))),
        }
    }
}

/// `GET PATH HTTP/1.1` with Host and `Connection: close`, in a fixed buffer. The URL parser
/// bounds authority and path together by `MAX_URL`, so the request always fits.
struct Request {
    buf: [u8; MAX_URL + 128],
    len: usize,
}

impl Request {
    fn new() -> Request {
        Request {
            buf: [0; MAX_URL + 128],
            len: 0,
        }
    }

    fn build(&mut self, authority: &[u8], path: &[u8]) {
        self.put(b"GET ");
        if path.first() != Some(&b'/') {
            self.put(b"/");
        }
        self.put(path);
        self.put(b" HTTP/1.1\r\nHost: ");
        self.put(authority);
        self.put(b"\r\nUser-Agent: pidone-health/");
        self.put(env!("CARGO_PKG_VERSION").as_bytes());
        self.put(b"\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    }

    fn put(&mut self, bytes: &[u8]) {
        let room = self.buf.get_mut(self.len..).unwrap_or(&mut []);
        self.len = self.len.saturating_add(crate::bytes::copy(room, bytes));
    }

    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::Request;

    #[test]
    fn request_bytes() {
        let mut r = Request::new();
        r.build(b"127.0.0.1:8080", b"/healthz?full=1");
        let want = std::format!(
            "GET /healthz?full=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: pidone-health/{}\r\n\
             Accept: */*\r\nConnection: close\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(r.as_bytes(), want.as_bytes());
        let mut r = Request::new();
        r.build(b"[::1]", b"");
        assert!(
            r.as_bytes()
                .starts_with(b"GET / HTTP/1.1\r\nHost: [::1]\r\n")
        );
        let mut r = Request::new();
        r.build(b"app", b"?x");
        assert!(r.as_bytes().starts_with(b"GET /?x HTTP/1.1\r\n"));
    }
}
