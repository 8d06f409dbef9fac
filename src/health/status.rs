//! The status code of an HTTP/1.x response, read a byte at a time as the bytes arrive.
//!
//! A pure state machine: whatever way the response is split over reads (one byte at a time,
//! all at once), the answer is the same, and nothing is buffered but a short prefix for the
//! error message, so an overlong line costs nothing. Only the status line matters: the
//! headers and body of the final response are never read. Interim 1xx responses (103 Early
//! Hints, 100 Continue) are skipped with their headers, as RFC 9110 section 15.2 asks of a
//! client; 101 is final, since pidone never asks to switch protocols.

/// Most bytes read before the final status line: interim responses beyond this are an attack
/// or a bug, not a health answer.
pub const MAX_INTERIM: usize = 16 * 1024;

/// How much of the response's beginning is kept to show in an error message.
pub const PREFIX: usize = 24;

/// What is wrong with a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// It does not start `HTTP/d.d `.
    NotHttp,
    /// `HTTP/1.1 ` is followed by something other than a status code 100-599 and a space or
    /// the end of the line.
    BadStatus,
    /// More than `MAX_INTERIM` bytes of 1xx responses.
    TooLong,
    /// The connection ended inside the status line or an interim response.
    Truncated,
}

/// Where the parser is after the bytes seen so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    More,
    Final(u16),
    Malformed(Malformed),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Matching `HTTP/d.d `: this many bytes matched.
    Version(usize),
    /// Reading the three-digit code: digits so far and their value.
    Code(u8, u16),
    /// Skipping a 1xx response: inside a line.
    InterimLine,
    /// Skipping a 1xx response: at the start of a line (an empty one ends the response).
    InterimLineStart,
    /// Skipping a 1xx response: a CR at the start of a line.
    InterimBlankCr,
    Done(Progress),
}

const VERSION: &[u8] = b"HTTP/#.# ";

#[derive(Clone, Debug)]
pub struct StatusParser {
    state: State,
    /// Bytes consumed so far.
    seen: usize,
    prefix: [u8; PREFIX],
}

impl Default for StatusParser {
    fn default() -> Self {
        Self::new()
    }
}

impl StatusParser {
    pub const fn new() -> Self {
        StatusParser {
            state: State::Version(0),
            seen: 0,
            prefix: [0; PREFIX],
        }
    }

    /// Consumes `bytes` up to the point the answer is known. Past it, the rest of `bytes`
    /// only fills the prefix, so that a message can show more of what came than its first
    /// wrong byte.
    pub fn feed(&mut self, bytes: &[u8]) -> Progress {
        for &b in bytes {
            let done = matches!(self.state, State::Done(_));
            if done && self.seen >= PREFIX {
                break;
            }
            if let Some(slot) = self.prefix.get_mut(self.seen) {
                *slot = b;
            }
            self.seen = self.seen.saturating_add(1);
            if !done {
                self.state = self.step(b);
            }
        }
        match self.state {
            State::Done(progress) => progress,
            _ => Progress::More,
        }
    }

    /// The answer when the connection ends: `None` when nothing at all arrived.
    pub fn at_end(&self) -> Option<Progress> {
        match self.state {
            State::Done(progress) => Some(progress),
            _ if self.seen == 0 => None,
            _ => Some(Progress::Malformed(Malformed::Truncated)),
        }
    }

    /// The first bytes of the response, for an error message.
    pub fn prefix(&self) -> &[u8] {
        self.prefix.get(..self.seen.min(PREFIX)).unwrap_or(&[])
    }

    fn step(&self, b: u8) -> State {
        let done = |m| State::Done(Progress::Malformed(m));
        match self.state {
            State::Version(at) => match VERSION.get(at) {
                Some(b'#') if b.is_ascii_digit() => State::Version(at.saturating_add(1)),
                Some(&want) if want == b && want != b'#' => {
                    if at.saturating_add(1) == VERSION.len() {
                        State::Code(0, 0)
                    } else {
                        State::Version(at.saturating_add(1))
                    }
                }
                _ => done(Malformed::NotHttp),
            },
            State::Code(n, value) if n < 3 => {
                if b.is_ascii_digit() {
                    // At most 3 digits: no overflow, but saturate so no input can make it one.
                    let digit = u16::from(b.saturating_sub(b'0'));
                    State::Code(
                        n.saturating_add(1),
                        value.saturating_mul(10).saturating_add(digit),
                    )
                } else {
                    done(Malformed::BadStatus)
                }
            }
            State::Code(_, value) => {
                let ends_line = b == b'\n';
                if !(b == b' ' || b == b'\r' || ends_line) || !(100..=599).contains(&value) {
                    done(Malformed::BadStatus)
                } else if value < 200 && value != 101 {
                    self.interim(if ends_line {
                        State::InterimLineStart
                    } else {
                        State::InterimLine
                    })
                } else {
                    State::Done(Progress::Final(value))
                }
            }
            State::InterimLine => self.interim(if b == b'\n' {
                State::InterimLineStart
            } else {
                State::InterimLine
            }),
            State::InterimLineStart | State::InterimBlankCr => match b {
                b'\n' => State::Version(0),
                b'\r' if self.state == State::InterimLineStart => {
                    self.interim(State::InterimBlankCr)
                }
                _ => self.interim(State::InterimLine),
            },
            State::Done(progress) => State::Done(progress),
        }
    }

    /// `next`, unless the interim responses have gone on too long.
    fn interim(&self, next: State) -> State {
        if self.seen > MAX_INTERIM {
            State::Done(Progress::Malformed(Malformed::TooLong))
        } else {
            next
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn whole(bytes: &[u8]) -> Option<Progress> {
        let mut p = StatusParser::new();
        match p.feed(bytes) {
            Progress::More => p.at_end(),
            done => Some(done),
        }
    }

    /// The answer is the same however the bytes are split: all at once, byte by byte, and
    /// at every single split point.
    fn check(bytes: &[u8], want: Option<Progress>) {
        assert_eq!(
            whole(bytes),
            want,
            "whole {:?}",
            String::from_utf8_lossy(bytes)
        );
        let mut p = StatusParser::new();
        let mut got = Progress::More;
        for b in bytes {
            got = p.feed(core::slice::from_ref(b));
            if got != Progress::More {
                break;
            }
        }
        let got = if got == Progress::More {
            p.at_end()
        } else {
            Some(got)
        };
        assert_eq!(got, want, "bytewise {:?}", String::from_utf8_lossy(bytes));
        for cut in 0..bytes.len() {
            let mut p = StatusParser::new();
            let (a, b) = bytes.split_at(cut);
            let mut got = p.feed(a);
            if got == Progress::More {
                got = p.feed(b);
            }
            let got = if got == Progress::More {
                p.at_end()
            } else {
                Some(got)
            };
            assert_eq!(got, want, "cut at {cut}");
        }
    }

    use std::string::String;

    #[test]
    fn final_statuses() {
        check(
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            Some(Progress::Final(200)),
        );
        check(b"HTTP/1.0 301 Moved\r\n", Some(Progress::Final(301)));
        check(
            b"HTTP/1.1 503 Service Unavailable\r\n",
            Some(Progress::Final(503)),
        );
        // No reason phrase, with and without the space; a bare LF.
        check(b"HTTP/1.1 204\r\n", Some(Progress::Final(204)));
        check(b"HTTP/1.1 204 \r\n", Some(Progress::Final(204)));
        check(b"HTTP/1.1 200\n", Some(Progress::Final(200)));
        check(
            b"HTTP/1.1 101 Switching\r\n\r\n",
            Some(Progress::Final(101)),
        );
        // An overlong reason phrase does not matter: the code is known before it.
        let mut long = Vec::from(&b"HTTP/1.1 200 "[..]);
        long.extend(core::iter::repeat_n(b'x', 100_000));
        assert_eq!(whole(&long), Some(Progress::Final(200)));
    }

    #[test]
    fn interim_responses_are_skipped() {
        check(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n",
            Some(Progress::Final(200)),
        );
        check(
            b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\nLink: </b.js>\r\n\r\nHTTP/1.1 500 No\r\n",
            Some(Progress::Final(500)),
        );
        check(
            b"HTTP/1.1 100\n\nHTTP/1.1 204\n",
            Some(Progress::Final(204)),
        );
        check(
            b"HTTP/1.1 100 A\r\n\r\nHTTP/1.1 102 B\r\nX: y\r\n\r\nHTTP/1.1 404 C\r\n",
            Some(Progress::Final(404)),
        );
        // A header line that is only a CR followed by text is not the end of the headers.
        check(
            b"HTTP/1.1 100 A\r\n\rX\r\n\r\nHTTP/1.1 200 B\r\n",
            Some(Progress::Final(200)),
        );
        // Never ending 1xx headers are cut off.
        let mut long = Vec::from(&b"HTTP/1.1 100 Continue\r\nX: "[..]);
        long.extend(core::iter::repeat_n(b'a', MAX_INTERIM + 10));
        assert_eq!(whole(&long), Some(Progress::Malformed(Malformed::TooLong)));
    }

    #[test]
    fn malformed() {
        let not_http = Some(Progress::Malformed(Malformed::NotHttp));
        let bad = Some(Progress::Malformed(Malformed::BadStatus));
        let cut = Some(Progress::Malformed(Malformed::Truncated));
        check(b"\x00\xff\xfe garbage", not_http);
        check(b"SSH-2.0-OpenSSH_9.6\r\n", not_http);
        check(b"\x15\x03\x01\x00\x02\x02\x46", not_http);
        check(b"http/1.1 200 OK\r\n", not_http);
        check(b"HTTP/1.1  200 OK\r\n", bad);
        check(b"HTTP/11 200 OK\r\n", not_http);
        check(b"HTTP/x.1 200 OK\r\n", not_http);
        check(b" HTTP/1.1 200 OK\r\n", not_http);
        check(b"\r\nHTTP/1.1 200 OK\r\n", not_http);
        check(b"HTTP/1.1 2000 OK\r\n", bad);
        check(b"HTTP/1.1 20 OK\r\n", bad);
        check(b"HTTP/1.1 099 OK\r\n", bad);
        check(b"HTTP/1.1 600 OK\r\n", bad);
        check(b"HTTP/1.1 2x0 OK\r\n", bad);
        check(b"HTTP/1.1 200OK\r\n", bad);
        check(b"HTTP/1.1 -200 OK\r\n", bad);
        check(b"H", cut);
        check(b"HTTP/1.1 20", cut);
        check(b"HTTP/1.1 200", cut);
        check(b"HTTP/1.1 100 Continue\r\n", cut);
        check(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1", cut);
        check(b"", None);
    }

    #[test]
    fn keeps_the_start_for_the_message() {
        let mut p = StatusParser::new();
        p.feed(b"SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n");
        assert_eq!(p.prefix(), b"SSH-2.0-OpenSSH_9.6p1 De");
        let mut p = StatusParser::new();
        p.feed(b"HTTP/1.1 2x0");
        assert_eq!(p.prefix(), b"HTTP/1.1 2x0");
        let mut p = StatusParser::new();
        assert_eq!(p.feed(b"HTTP/1.1 100 Continue\r\n"), Progress::More);
        assert_eq!(p.prefix(), b"HTTP/1.1 100 Continue\r\n");
    }
}
