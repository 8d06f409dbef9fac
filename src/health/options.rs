//! `pidone health`'s command line, and its help.

use super::accept::Accept;
use super::url::{self, Target};
use super::usage::{Usage, bad};
use crate::duration;

pub const DEFAULT_TIMEOUT_MS: u64 = 2_000;

pub const HELP: &str = "\
Usage: pidone health [OPTIONS] URL

Checks one local endpoint, once: exit 0 when it is healthy, 1 when it is not (one line on
stderr says why: connection refused, timeout, status 503, malformed response), 2 for a bad
command line. A HEALTHCHECK for images with no shell, curl or wget:
  HEALTHCHECK CMD [\"/pidone\", \"health\", \"http://127.0.0.1:8080/healthz\"]

URL:
  http://HOST[:PORT][/PATH]  HTTP/1.1 GET; healthy on an accepted status (2xx, 3xx)
  tcp://HOST:PORT            healthy when a TCP connection opens
  unix:///PATH               healthy when a connection to the Unix socket opens
HOST is an IPv4 address, an IPv6 address in brackets ([::1]), or localhost (127.0.0.1,
then ::1). Host names are refused: pidone has no DNS resolver (it would add size and a
dependency on resolv.conf), and a health endpoint is local.

Options:
  --timeout DUR       limit for the whole check: connect, request and answer (default
                      2s; 500ms, 2s, 1m)
  --status LIST       accepted HTTP statuses: 200, 200-299, 200-299,404 (default 200-399)
  --unix-socket PATH  send the http:// request over this Unix socket; HOST then only
                      names the server in the Host header
  -h, --help          this help

No TLS: a health endpoint is local, and a TLS client would cost more than pidone's whole
size budget. Check the plain-HTTP port, or use tcp:// to see that the TLS port is open.
`health` is a subcommand only under the name pidone: as tini, docker-init, dumb-init or
catatonit, pidone runs a command named health, as those tools do. To run a program named
health from pidone, write `pidone -- health`.
";

/// One check, as asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Check<'a> {
    pub target: Target<'a>,
    /// The deadline for the whole check, from its start.
    pub timeout_ms: u64,
    pub accept: Accept<'a>,
    /// The URL as given, for messages.
    pub url: &'a [u8],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    Check(Check<'a>),
    Help,
}

/// The words after `health`. Options may come before or after the URL; `--` ends them.
pub fn parse<'a>(arg: impl Fn(usize) -> Option<&'a [u8]>) -> Result<Command<'a>, Usage<'a>> {
    let mut timeout_ms = DEFAULT_TIMEOUT_MS;
    let mut accept = Accept::default();
    let mut unix_socket = None;
    let mut url: Option<&[u8]> = None;
    let mut only_url = false;
    let mut i = 0;
    while let Some(word) = arg(i) {
        i = i.saturating_add(1);
        if only_url || word == b"-" || word.first() != Some(&b'-') {
            if url.is_some() {
                return bad("one URL only; also given", word);
            }
            url = Some(word);
            continue;
        }
        if word == b"--" {
            only_url = true;
            continue;
        }
        if word == b"-h" || word == b"--help" {
            return Ok(Command::Help);
        }
        let (name, inline) = match crate::bytes::split_once(word, b'=') {
            Some((name, value)) => (name, Some(value)),
            None => (word, None),
        };
        if !matches!(name, b"--timeout" | b"--status" | b"--unix-socket") {
            return bad("unknown option", word);
        }
        let value = match inline {
            Some(value) => value,
            None => {
                i = i.saturating_add(1);
                match arg(i.saturating_sub(1)) {
                    Some(value) => value,
                    None => return bad("missing value for option", word),
                }
            }
        };
        match name {
            b"--timeout" => {
                timeout_ms = match duration::parse_ms(value) {
                    Some(ms) if ms > 0 => ms,
                    _ => {
                        return bad(
                            "--timeout: bad duration (more than 0: 500ms, 2s, 1m)",
                            value,
                        );
                    }
                }
            }
            b"--status" => accept = Accept::parse(value)?,
            _ => unix_socket = Some(value),
        }
    }
    let Some(url) = url else {
        return bad("missing URL, as in http://127.0.0.1:8080/healthz", b"");
    };
    Ok(Command::Check(Check {
        target: url::parse(url, unix_socket)?,
        timeout_ms,
        accept,
        url,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::url::{Endpoint, Host, Probe};

    fn run(words: &[&'static str]) -> Result<Command<'static>, Usage<'static>> {
        parse(|i| words.get(i).map(|w| w.as_bytes()))
    }

    fn check(words: &[&'static str]) -> Check<'static> {
        match run(words) {
            Ok(Command::Check(c)) => c,
            other => panic!("{words:?}: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let c = check(&["tcp://127.0.0.1:5432"]);
        assert_eq!(c.timeout_ms, 2_000);
        assert_eq!(c.accept, Accept::default());
        assert_eq!(c.url, b"tcp://127.0.0.1:5432");
        assert_eq!(
            c.target.endpoint,
            Endpoint::Ip(Host::V4([127, 0, 0, 1]), 5432)
        );
    }

    #[test]
    fn options_before_and_after_the_url() {
        let c = check(&[
            "--timeout",
            "500ms",
            "http://[::1]:81/",
            "--status=200-299,404",
        ]);
        assert_eq!(c.timeout_ms, 500);
        assert!(c.accept.contains(404) && !c.accept.contains(301));
        let c = check(&[
            "--timeout=3s",
            "--unix-socket",
            "/run/a.sock",
            "http://app/up",
        ]);
        assert_eq!(c.timeout_ms, 3_000);
        assert_eq!(c.target.endpoint, Endpoint::Unix(b"/run/a.sock"));
        assert_eq!(
            c.target.probe,
            Probe::Http {
                authority: b"app",
                path: b"/up"
            }
        );
        let c = check(&["--", "http://127.0.0.1/"]);
        assert_eq!(c.url, b"http://127.0.0.1/");
        assert_eq!(run(&["-h"]), Ok(Command::Help));
        assert_eq!(run(&["http://127.0.0.1/", "--help"]), Ok(Command::Help));
    }

    #[test]
    fn usage_errors() {
        let problem = |words: &[&'static str]| run(words).map(|_| ()).unwrap_err().problem;
        assert!(problem(&[]).starts_with("missing URL"));
        assert!(problem(&["--timeout", "0", "tcp://127.0.0.1:1"]).contains("bad duration"));
        assert!(problem(&["--timeout", "2x", "tcp://127.0.0.1:1"]).contains("bad duration"));
        assert!(problem(&["tcp://127.0.0.1:1", "--timeout"]).starts_with("missing value"));
        assert!(problem(&["--status", "2xx", "tcp://127.0.0.1:1"]).starts_with("bad status"));
        assert!(problem(&["--retries", "3", "tcp://127.0.0.1:1"]).starts_with("unknown option"));
        assert!(problem(&["tcp://127.0.0.1:1", "tcp://127.0.0.1:2"]).starts_with("one URL"));
        assert!(problem(&["http://example.com/"]).starts_with("no DNS"));
    }
}
