//! What to check, from the URL: `http://HOST[:PORT][/PATH]`, `tcp://HOST:PORT`,
//! `unix:///PATH`, and `http://` over a Unix socket (`--unix-socket`, as curl spells it).
//!
//! HOST is an IP literal or `localhost`, never a name to look up: pidone is a static binary
//! with no resolver, and a health endpoint is local. A host name is a usage error that says
//! so, instead of a lookup that fails at 3 a.m.

use super::addr;
use super::usage::{Usage, bad};
use crate::bytes;

/// Longest authority plus path: the request must fit pidone's fixed buffer.
pub const MAX_URL: usize = 1024;

/// `sun_path` holds 108 bytes, one of them the terminating NUL.
pub const MAX_SOCKET_PATH: usize = 107;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    V4([u8; 4]),
    V6([u8; 16]),
    /// 127.0.0.1, then ::1: the two addresses every container's /etc/hosts gives it.
    Localhost,
}

/// Where to connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint<'a> {
    Ip(Host, u16),
    Unix(&'a [u8]),
}

/// What makes the endpoint healthy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe<'a> {
    /// A connection opens.
    Connect,
    /// A GET answers with an accepted status. `authority` is the Host header, as written
    /// in the URL; `path` is sent as written (empty means `/`).
    Http { authority: &'a [u8], path: &'a [u8] },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target<'a> {
    pub endpoint: Endpoint<'a>,
    pub probe: Probe<'a>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
    Tcp,
    Unix,
    Other,
}

/// The scheme, case-insensitive, and what follows `://`; `None` for no `://`.
fn scheme(url: &[u8]) -> Option<(Scheme, &[u8])> {
    let (name, after) = bytes::split_once(url, b':')?;
    let rest = bytes::after(after, b"//")?;
    let mut lower = [0u8; 5];
    let name = Some(name).filter(|n| n.len() <= lower.len()).unwrap_or(b"");
    for (slot, b) in lower.iter_mut().zip(name) {
        *slot = b.to_ascii_lowercase();
    }
    let scheme = match lower.get(..name.len()).unwrap_or(b"") {
        b"http" => Scheme::Http,
        b"https" => Scheme::Https,
        b"tcp" => Scheme::Tcp,
        b"unix" => Scheme::Unix,
        _ => Scheme::Other,
    };
    Some((scheme, rest))
}

/// Parses the URL; `unix_socket` is `--unix-socket`'s value, which only an http URL takes.
pub fn parse<'a>(url: &'a [u8], unix_socket: Option<&'a [u8]>) -> Result<Target<'a>, Usage<'a>> {
    let Some((scheme, rest)) = scheme(url) else {
        return bad("not a URL: give http://, tcp:// or unix://, not", url);
    };
    if unix_socket.is_some() && scheme != Scheme::Http {
        return bad("--unix-socket goes with an http:// URL, not", url);
    }
    let (authority, path) = split_authority(rest);
    match scheme {
        Scheme::Http => http(url, authority, path, unix_socket),
        Scheme::Tcp if !path.is_empty() && path != b"/" => bad("tcp:// takes no path:", url),
        Scheme::Tcp => Ok(Target {
            endpoint: ip_endpoint(authority, None)?,
            probe: Probe::Connect,
        }),
        Scheme::Unix if rest.first() != Some(&b'/') => bad(
            "unix:// takes an absolute path, as in unix:///run/app.sock, not",
            url,
        ),
        Scheme::Unix => Ok(Target {
            endpoint: Endpoint::Unix(socket_path(rest)?),
            probe: Probe::Connect,
        }),
        Scheme::Https => bad(
            "no TLS: pidone health speaks plain HTTP to local endpoints, not",
            url,
        ),
        Scheme::Other => bad(
            "unknown URL scheme: give http://, tcp:// or unix://, not",
            url,
        ),
    }
}

fn http<'a>(
    url: &'a [u8],
    authority: &'a [u8],
    path: &'a [u8],
    unix_socket: Option<&'a [u8]>,
) -> Result<Target<'a>, Usage<'a>> {
    // The fragment is the client's own; it is never sent.
    let path = path.split(|b| *b == b'#').next().unwrap_or(b"");
    if path.iter().any(|b| *b <= b' ' || *b >= 0x7f) {
        return bad(
            "the path has a space, control or non-ASCII byte: percent-encode it in",
            url,
        );
    }
    if authority.len().saturating_add(path.len()) > MAX_URL {
        return bad("URL too long (at most 1024 bytes)", b"");
    }
    let endpoint = match unix_socket {
        Some(socket) => {
            // The host only names the server in the Host header: nothing is looked up.
            if authority.is_empty() || authority.iter().any(|b| *b <= b' ' || *b >= 0x7f) {
                return bad("bad host", authority);
            }
            Endpoint::Unix(socket_path(socket)?)
        }
        None => ip_endpoint(authority, Some(80))?,
    };
    Ok(Target {
        endpoint,
        probe: Probe::Http { authority, path },
    })
}

/// `HOST:PORT` and what follows it (`/path?query`, or `?query` alone).
fn split_authority(rest: &[u8]) -> (&[u8], &[u8]) {
    let end = rest
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    (
        rest.get(..end).unwrap_or(rest),
        rest.get(end..).unwrap_or(b""),
    )
}

fn socket_path(path: &[u8]) -> Result<&[u8], Usage<'_>> {
    if path.is_empty() {
        return bad("missing socket path", b"");
    }
    if path.len() > MAX_SOCKET_PATH {
        return bad("socket path too long (at most 107 bytes)", path);
    }
    Ok(path)
}

/// An IP literal or localhost, and a port (`default` when the URL gives none).
fn ip_endpoint(authority: &[u8], default: Option<u16>) -> Result<Endpoint<'_>, Usage<'_>> {
    if authority.contains(&b'@') {
        return bad(
            "user names and passwords in the URL are not supported:",
            authority,
        );
    }
    let (host, port) = if let [b'[', inner @ ..] = authority {
        let Some((literal, after)) = bytes::split_once(inner, b']') else {
            return bad("missing ']' after the IPv6 address in", authority);
        };
        let Some(ip) = addr::ipv6(literal) else {
            return bad("not an IPv6 address:", literal);
        };
        let port = match after {
            [] => None,
            [b':', port @ ..] => Some(port),
            _ => return bad("only :PORT may follow ']' in", authority),
        };
        (Host::V6(ip), port)
    } else {
        let colons = authority.iter().filter(|b| **b == b':').count();
        if colons > 1 {
            return bad(
                "an IPv6 address goes in brackets, as in http://[::1]:8080/, not",
                authority,
            );
        }
        let (name, port) = match bytes::split_once(authority, b':') {
            Some((name, port)) => (name, Some(port)),
            None => (authority, None),
        };
        (host(name)?, port)
    };
    let port = match (port, default) {
        (Some(text), _) => match addr::port(text) {
            Some(port) => port,
            None => return bad("bad port (1-65535):", text),
        },
        (None, Some(port)) => port,
        (None, None) => {
            return bad(
                "tcp:// needs a port, as in tcp://127.0.0.1:5432, not",
                authority,
            );
        }
    };
    Ok(Endpoint::Ip(host, port))
}

fn host(name: &[u8]) -> Result<Host, Usage<'_>> {
    if name.is_empty() {
        return bad("missing host", b"");
    }
    if name.eq_ignore_ascii_case(b"localhost") {
        return Ok(Host::Localhost);
    }
    if name.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        return match addr::ipv4(name) {
            Some(ip) => Ok(Host::V4(ip)),
            None => bad("not an IPv4 address:", name),
        };
    }
    bad(
        "no DNS: give an IP address or localhost instead of the host name",
        name,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(url: &str) -> Target<'_> {
        parse(url.as_bytes(), None).unwrap_or_else(|e| panic!("{url}: {e:?}"))
    }

    fn err(url: &str) -> &'static str {
        match parse(url.as_bytes(), None) {
            Ok(t) => panic!("{url} parsed: {t:?}"),
            Err(e) => e.problem,
        }
    }

    fn http<'a>(endpoint: Endpoint<'a>, authority: &'a str, path: &'a str) -> Target<'a> {
        Target {
            endpoint,
            probe: Probe::Http {
                authority: authority.as_bytes(),
                path: path.as_bytes(),
            },
        }
    }

    #[test]
    fn http_urls() {
        let v4 = |port| Endpoint::Ip(Host::V4([127, 0, 0, 1]), port);
        assert_eq!(
            ok("http://127.0.0.1:8080/healthz"),
            http(v4(8080), "127.0.0.1:8080", "/healthz")
        );
        assert_eq!(ok("http://127.0.0.1"), http(v4(80), "127.0.0.1", ""));
        assert_eq!(ok("HTTP://127.0.0.1/"), http(v4(80), "127.0.0.1", "/"));
        assert_eq!(
            ok("http://127.0.0.1:81?x=1"),
            http(v4(81), "127.0.0.1:81", "?x=1")
        );
        assert_eq!(
            ok("http://127.0.0.1/a?b#frag"),
            http(v4(80), "127.0.0.1", "/a?b")
        );
        let local = Endpoint::Ip(Host::Localhost, 3000);
        assert_eq!(
            ok("http://LocalHost:3000/up"),
            http(local, "LocalHost:3000", "/up")
        );
        let mut one = [0u8; 16];
        one[15] = 1;
        let v6 = Endpoint::Ip(Host::V6(one), 8080);
        assert_eq!(ok("http://[::1]:8080/h"), http(v6, "[::1]:8080", "/h"));
        assert_eq!(ok("http://[::1]").endpoint, Endpoint::Ip(Host::V6(one), 80));
    }

    #[test]
    fn tcp_and_unix_urls() {
        let connect = |endpoint| Target {
            endpoint,
            probe: Probe::Connect,
        };
        assert_eq!(
            ok("tcp://10.1.2.3:5432"),
            connect(Endpoint::Ip(Host::V4([10, 1, 2, 3]), 5432))
        );
        assert_eq!(
            ok("tcp://localhost:6379/"),
            connect(Endpoint::Ip(Host::Localhost, 6379))
        );
        assert_eq!(
            ok("unix:///run/app.sock"),
            connect(Endpoint::Unix(b"/run/app.sock"))
        );
        let over = parse(b"http://app/healthz", Some(b"/run/app.sock")).unwrap();
        assert_eq!(
            over,
            http(Endpoint::Unix(b"/run/app.sock"), "app", "/healthz")
        );
    }

    #[test]
    fn bad_urls() {
        assert!(err("127.0.0.1:8080").starts_with("not a URL"));
        assert!(err("https://127.0.0.1/").starts_with("no TLS"));
        assert!(err("ftp://127.0.0.1/").starts_with("unknown URL scheme"));
        assert!(err("http://example.com/").starts_with("no DNS"));
        assert!(err("http://db:5432/").starts_with("no DNS"));
        assert!(err("http://1.2.3/").starts_with("not an IPv4"));
        assert!(err("http://[::g]/").starts_with("not an IPv6"));
        assert!(err("http://[::1/").starts_with("missing ']'"));
        assert!(err("http://[::1]x/").starts_with("only :PORT"));
        assert!(err("http://::1:80/").starts_with("an IPv6 address goes in brackets"));
        assert!(err("http://127.0.0.1:0/").starts_with("bad port"));
        assert!(err("http://127.0.0.1:/").starts_with("bad port"));
        assert!(err("http://127.0.0.1:99999/").starts_with("bad port"));
        assert!(err("http:///x").starts_with("missing host"));
        assert!(err("http://u:p@127.0.0.1/").starts_with("user names"));
        assert!(err("http://127.0.0.1/a b").starts_with("the path has"));
        assert!(err("http://127.0.0.1/\x7f").starts_with("the path has"));
        assert!(err("tcp://127.0.0.1").starts_with("tcp:// needs a port"));
        assert!(err("tcp://127.0.0.1:1/x").starts_with("tcp:// takes no path"));
        assert!(err("unix://run/app.sock").starts_with("unix:// takes an absolute path"));
        let long = std::format!("unix:///{}", "a".repeat(MAX_SOCKET_PATH));
        assert!(err(&long).starts_with("socket path too long"));
        let long = std::format!("http://127.0.0.1/{}", "a".repeat(MAX_URL));
        assert!(err(&long).starts_with("URL too long"));
        let tcp_over_unix = parse(b"tcp://127.0.0.1:1", Some(b"/s")).unwrap_err();
        assert!(tcp_over_unix.problem.starts_with("--unix-socket goes with"));
    }
}
