//! `pidone health URL` against real servers on loopback, written here with std::net: each
//! serves one connection the way the test needs (answers, says nothing, trickles, sends
//! garbage) and hands back the request it read. Every check must end by its deadline with
//! the right exit code (0 healthy, 1 unhealthy, 2 usage) and one line on stderr naming the
//! reason. The bounds on time are behaviour (the timeout is the whole check), with wide
//! margins; the servers' sleeps are the slowness under test, not synchronisation.
//! The real-container test is tests/health_docker.rs.

use pidone_testkit as common;

use common::{HANG, Mode, Outcome, TempDir};
use std::io::{Read, Write};
use std::net::{Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::FromRawFd;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Runs `pidone health ARGS` to the end (the harness kills it after `HANG`). `elapsed`
/// counts from before the spawn, so it is never less than the time pidone itself took.
fn health(args: &[&str]) -> Outcome {
    let mut all = vec!["health"];
    all.extend(args);
    let start = Instant::now();
    let mut out = common::run(Mode::Plain, &all);
    out.elapsed = start.elapsed();
    out
}

/// Exit code 1 and the one stderr line, which must contain `want`.
fn unhealthy(out: &Outcome, want: &str) {
    assert_eq!(out.code(), 1, "{out:?}");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {out:?}");
    assert!(lines[0].starts_with("pidone health: "), "{out:?}");
    assert!(lines[0].contains(want), "want {want:?}: {out:?}");
}

fn healthy(out: &Outcome) {
    assert_eq!(out.code(), 0, "{out:?}");
    assert_eq!(out.stderr, "", "a healthy check is silent");
}

/// Reads one request (to the blank line after its headers) from `stream`.
fn read_request(stream: &mut impl Read) -> Vec<u8> {
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.ends_with(b"\r\n\r\n") && request.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    request
}

/// Waits for the client to close its end, so a server never answers early by closing.
fn until_closed(stream: &mut impl Read) {
    let mut buf = [0u8; 1024];
    while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
}

/// A server of one connection on `listener`: reads the request, sends it to the returned
/// channel, then lets `respond` do the rest.
fn serve_on(
    listener: TcpListener,
    respond: impl FnOnce(&mut TcpStream) + Send + 'static,
) -> Receiver<Vec<u8>> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        stream.set_read_timeout(Some(HANG)).unwrap();
        stream.set_nodelay(true).unwrap();
        let _ = tx.send(read_request(&mut stream));
        respond(&mut stream);
    });
    rx
}

/// A one-connection server on 127.0.0.1: its port, and the request it will read.
fn serve(respond: impl FnOnce(&mut TcpStream) + Send + 'static) -> (u16, Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (port, serve_on(listener, respond))
}

/// A server that sends `response` whole and closes.
fn answer(response: &'static [u8]) -> (u16, Receiver<Vec<u8>>) {
    serve(move |s| {
        let _ = s.write_all(response);
    })
}

fn url(port: u16, path: &str) -> String {
    format!("http://127.0.0.1:{port}{path}")
}

#[test]
fn status_200_is_healthy_and_the_request_is_http_1_1() {
    let (port, request) = answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    healthy(&health(&[&url(port, "/healthz?full=1")]));
    let request = String::from_utf8(request.recv_timeout(HANG).unwrap()).unwrap();
    assert!(
        request.starts_with("GET /healthz?full=1 HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request.contains(&format!("\r\nHost: 127.0.0.1:{port}\r\n")),
        "{request}"
    );
    assert!(request.contains("\r\nConnection: close\r\n"), "{request}");
}

#[test]
fn redirect_is_healthy_error_is_not() {
    let (port, _r) = answer(b"HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\n\r\n");
    healthy(&health(&[&url(port, "/")]));
    let (port, _r) = answer(b"HTTP/1.1 500 Internal Server Error\r\n\r\n");
    unhealthy(
        &health(&[&url(port, "/")]),
        "status 500 (accepted: 200-399)",
    );
    let (port, _r) = answer(b"HTTP/1.0 503 Service Unavailable\r\n\r\n");
    unhealthy(&health(&[&url(port, "/")]), "status 503");
}

#[test]
fn accepted_statuses_can_be_set() {
    let (port, _r) = answer(b"HTTP/1.1 301 Moved Permanently\r\n\r\n");
    let out = health(&["--status", "200-299", &url(port, "/")]);
    unhealthy(&out, "status 301 (accepted: 200-299)");
    let (port, _r) = answer(b"HTTP/1.1 418 I'm a teapot\r\n\r\n");
    healthy(&health(&["--status=200-299,418", &url(port, "/")]));
}

#[test]
fn closed_port_is_refused() {
    // A port that was just free: nothing listens on it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    unhealthy(&health(&[&url(port, "/")]), "connection refused");
    unhealthy(
        &health(&[&format!("tcp://127.0.0.1:{port}")]),
        "connection refused",
    );
}

#[test]
fn tcp_is_healthy_when_a_connection_opens() {
    let (port, _r) = serve(until_closed);
    healthy(&health(&[&format!("tcp://127.0.0.1:{port}")]));
}

#[test]
fn a_server_that_never_answers_times_out() {
    let (port, _r) = serve(until_closed);
    let out = health(&["--timeout", "500ms", &url(port, "/")]);
    unhealthy(&out, "timeout after 500ms waiting for the status line");
    assert!(out.elapsed >= Duration::from_millis(500), "{out:?}");
    assert!(out.elapsed < Duration::from_secs(10), "{out:?}");
}

#[test]
fn a_handshake_that_never_completes_times_out() {
    // A listener with a backlog of 0 whose queue is full: Linux drops further SYNs, as a
    // firewall that filters the port would, so connect() never completes.
    // SAFETY: plain socket calls on a new descriptor this test owns; `sa` and `len` are live.
    let (fd, port) = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as libc::sa_family_t;
        sa.sin_addr.s_addr = u32::from_ne_bytes([127, 0, 0, 1]);
        let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        assert_eq!(libc::bind(fd, (&raw const sa).cast(), len), 0);
        assert_eq!(libc::listen(fd, 0), 0);
        assert_eq!(libc::getsockname(fd, (&raw mut sa).cast(), &mut len), 0);
        (fd, u16::from_be(sa.sin_port))
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut queued = Vec::new();
    let full =
        (0..16).any(
            |_| match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
                Ok(s) => {
                    queued.push(s);
                    false
                }
                Err(_) => true,
            },
        );
    assert!(
        full,
        "the accept queue never filled: {} connections",
        queued.len()
    );
    for url in [format!("tcp://127.0.0.1:{port}"), url(port, "/")] {
        let out = health(&["--timeout", "700ms", &url]);
        unhealthy(&out, "timeout after 700ms connecting");
        assert!(out.elapsed >= Duration::from_millis(700), "{out:?}");
        assert!(out.elapsed < Duration::from_secs(10), "{out:?}");
    }
    // SAFETY: the listener's descriptor, owned here and closed once.
    unsafe { libc::close(fd) };
}

#[test]
fn a_slow_partial_response_is_read_whole() {
    let (port, _r) = serve(|s| {
        for part in [&b"HTT"[..], b"P/1.1 2", b"04", b" No Content\r\n\r\n"] {
            let _ = s.write_all(part);
            sleep(Duration::from_millis(200));
        }
    });
    healthy(&health(&["--timeout", "20s", &url(port, "/")]));
}

#[test]
fn the_timeout_covers_the_whole_check_not_each_read() {
    // One byte every 150 ms: each read is quick, but the status line takes 1.8 s in all.
    let (port, _r) = serve(|s| {
        for b in b"HTTP/1.1 200 OK\r\n\r\n" {
            if s.write_all(&[*b]).is_err() {
                return;
            }
            sleep(Duration::from_millis(150));
        }
    });
    let out = health(&["--timeout", "1s", &url(port, "/")]);
    unhealthy(&out, "timeout after 1s waiting for the status line");
    assert!(out.elapsed < Duration::from_secs(10), "{out:?}");
}

#[test]
fn a_response_split_across_many_packets() {
    // Every byte its own segment (TCP_NODELAY and a pause), with a 103 Early Hints before
    // the final status.
    let respond = |response: &'static [u8]| {
        move |s: &mut TcpStream| {
            for b in response {
                if s.write_all(&[*b]).is_err() {
                    return;
                }
                sleep(Duration::from_millis(2));
            }
        }
    };
    let hints = b"HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n";
    let ok: &'static [u8] = [&hints[..], b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]
        .concat()
        .leak();
    let (port, _r) = serve(respond(ok));
    healthy(&health(&["--timeout", "20s", &url(port, "/")]));
    let sick: &'static [u8] = [&hints[..], b"HTTP/1.1 503 Busy\r\n\r\n"].concat().leak();
    let (port, _r) = serve(respond(sick));
    unhealthy(
        &health(&["--timeout", "20s", &url(port, "/")]),
        "status 503",
    );
}

#[test]
fn garbage_and_broken_responses_are_malformed() {
    let cases: [(&'static [u8], &str); 6] = [
        (
            b"\x00\xff\xfegarbage\r\n",
            "malformed response: not HTTP: '\\x00\\xff\\xfegarbage\\x0d\\x0a'",
        ),
        (
            b"SSH-2.0-OpenSSH_9.6\r\n",
            "malformed response: not HTTP: 'SSH-2.0-OpenSSH_9.6\\x0d\\x0a'",
        ),
        (
            b"\x15\x03\x01\x00\x02\x02\x46",
            "the server answered in TLS",
        ),
        (
            b"HTTP/1.1 2x0 OK\r\n\r\n",
            "malformed response: bad status line: 'HTTP/1.1 2x0 OK",
        ),
        (
            b"HTTP/1.1 20",
            "connection closed inside the status line: 'HTTP/1.1 20'",
        ),
        (b"", "connection closed with no response"),
    ];
    for (response, want) in cases {
        let (port, _r) = answer(response);
        unhealthy(&health(&[&url(port, "/")]), want);
    }
}

#[test]
fn overlong_lines() {
    // A megabyte of reason phrase: the status is known at its start.
    let (port, _r) = serve(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 ");
        let _ = s.write_all(&vec![b'x'; 1 << 20]);
    });
    healthy(&health(&[&url(port, "/")]));
    // An interim response whose header never ends is cut off, not buffered.
    let (port, _r) = serve(|s| {
        let _ = s.write_all(b"HTTP/1.1 100 Continue\r\nX-Long: ");
        let _ = s.write_all(&vec![b'a'; 1 << 20]);
    });
    unhealthy(&health(&[&url(port, "/")]), "over 16 KiB of 1xx responses");
}

#[test]
fn a_reset_connection_is_reported_not_a_crash() {
    // The server resets the connection as soon as it has read the request: pidone's read
    // fails, and the check says so.
    {
        let (port, _r) = serve(|s| {
            let linger = libc::linger {
                l_onoff: 1,
                l_linger: 0,
            };
            // SAFETY: setsockopt reads `linger`, a live value of the size passed.
            unsafe {
                libc::setsockopt(
                    std::os::fd::AsRawFd::as_raw_fd(s),
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    (&raw const linger).cast(),
                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                )
            };
        });
        let out = health(&[&url(port, "/")]);
        unhealthy(&out, "cannot read the response: connection reset by peer");
    }
}

/// `[::1]:0`, or None (loudly; failing in CI) when the machine has no IPv6 loopback.
fn ipv6_listener() -> Option<TcpListener> {
    match TcpListener::bind((Ipv6Addr::LOCALHOST, 0)) {
        Ok(listener) => Some(listener),
        Err(e) if std::env::var_os("CI").is_some() => panic!("no IPv6 loopback in CI: {e}"),
        Err(e) => {
            // Past the harness's capture of eprintln!, so that a normal run shows it.
            let _ = writeln!(
                std::io::stderr(),
                "SKIP: IPv6 loopback missing ({e}): the [::1] checks did not run"
            );
            None
        }
    }
}

#[test]
fn ipv6_literal() {
    let Some(listener) = ipv6_listener() else {
        return;
    };
    let port = listener.local_addr().unwrap().port();
    let request = serve_on(listener, |s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\n");
    });
    healthy(&health(&[&format!("http://[::1]:{port}/up")]));
    let request = String::from_utf8(request.recv_timeout(HANG).unwrap()).unwrap();
    assert!(
        request.contains(&format!("\r\nHost: [::1]:{port}\r\n")),
        "{request}"
    );
    let Some(listener) = ipv6_listener() else {
        return;
    };
    let port = listener.local_addr().unwrap().port();
    let _r = serve_on(listener, until_closed);
    healthy(&health(&[&format!("tcp://[::1]:{port}")]));
}

#[test]
fn localhost_is_127_0_0_1_then_ipv6() {
    let (port, _r) = answer(b"HTTP/1.1 200 OK\r\n\r\n");
    healthy(&health(&[&format!("http://localhost:{port}/")]));
    // A server on ::1 only: 127.0.0.1 refuses, ::1 answers.
    let Some(listener) = ipv6_listener() else {
        return;
    };
    let port = listener.local_addr().unwrap().port();
    let _r = serve_on(listener, |s| {
        let _ = s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
    });
    healthy(&health(&[&format!("http://localhost:{port}/")]));
}

#[test]
fn unix_socket() {
    let dir = TempDir::new("connect");
    let path = PathBuf::from(dir.path("connect.sock"));
    let url = format!("unix://{}", path.display());
    let listener = UnixListener::bind(&path).unwrap();
    healthy(&health(&[&url]));
    // The socket file stays, but nothing listens on it any more.
    drop(listener);
    unhealthy(&health(&[&url]), "connection refused");
    std::fs::remove_file(&path).unwrap();
    unhealthy(
        &health(&[&url]),
        "cannot connect: no such file or directory",
    );
}

#[test]
fn a_unix_socket_whose_server_does_not_accept() {
    // A listener with a backlog of 0, its queue filled: a blocking connect() would wait
    // for the server for ever; the check must say what is wrong, at once.
    let dir = TempDir::new("full");
    let path = PathBuf::from(dir.path("full.sock"));
    let listener = UnixListener::bind(&path).unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&listener);
    // SAFETY: listen on the listener's own descriptor; no memory is passed.
    assert_eq!(unsafe { libc::listen(fd, 0) }, 0);
    let mut queued = Vec::new();
    let full = (0..16).any(|_| {
        // SAFETY: a new socket this test owns; `sa` is a live sockaddr_un of the size given.
        unsafe {
            let client = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 0);
            assert!(client >= 0);
            queued.push(std::os::fd::OwnedFd::from_raw_fd(client));
            let mut sa: libc::sockaddr_un = std::mem::zeroed();
            sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
            for (slot, b) in sa
                .sun_path
                .iter_mut()
                .zip(path.as_os_str().as_encoded_bytes())
            {
                *slot = *b as libc::c_char;
            }
            let len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
            libc::connect(client, (&raw const sa).cast(), len) != 0
                && std::io::Error::last_os_error().raw_os_error() == Some(libc::EAGAIN)
        }
    });
    assert!(full, "the queue never filled: {} connections", queued.len());
    let url = format!("unix://{}", path.display());
    let out = health(&["--timeout", "20s", &url]);
    unhealthy(
        &out,
        "the socket's listen queue is full: the server is not accepting",
    );
    assert!(out.elapsed < Duration::from_secs(10), "{out:?}");
    drop(listener);
}

#[test]
fn http_over_a_unix_socket() {
    let dir = TempDir::new("http");
    let path = PathBuf::from(dir.path("http.sock"));
    let socket = path.to_str().unwrap();
    for (response, want) in [
        (&b"HTTP/1.1 200 OK\r\n\r\n"[..], None),
        (b"HTTP/1.1 500 Oops\r\n\r\n", Some("status 500")),
    ] {
        let listener = UnixListener::bind(&path).unwrap();
        let (tx, request) = channel();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let _ = tx.send(read_request(&mut stream));
            let _ = stream.write_all(response);
        });
        let out = health(&["--unix-socket", socket, "http://app/healthz"]);
        match want {
            None => healthy(&out),
            Some(want) => unhealthy(&out, want),
        }
        let request = String::from_utf8(request.recv_timeout(HANG).unwrap()).unwrap();
        assert!(
            request.starts_with("GET /healthz HTTP/1.1\r\nHost: app\r\n"),
            "{request}"
        );
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn bad_command_lines_are_usage_errors() {
    let cases: [(&[&str], &str); 12] = [
        (&[], "missing URL"),
        (
            &["http://example.com/healthz"],
            "no DNS: give an IP address or localhost instead of the host name 'example.com'",
        ),
        (&["tcp://db:5432"], "no DNS"),
        (&["https://127.0.0.1/"], "no TLS"),
        (&["127.0.0.1:8080"], "not a URL"),
        (&["http://::1:8080/"], "an IPv6 address goes in brackets"),
        (&["http://[::1:8080/"], "missing ']'"),
        (&["http://127.0.0.1:99999/"], "bad port (1-65535): '99999'"),
        (&["tcp://127.0.0.1"], "tcp:// needs a port"),
        (&["--timeout", "0", "tcp://127.0.0.1:1"], "bad duration"),
        (&["--status", "2xx", "http://127.0.0.1/"], "bad status list"),
        (
            &["--retries", "3", "http://127.0.0.1/"],
            "unknown option '--retries'",
        ),
    ];
    for (args, want) in cases {
        let out = health(args);
        assert_eq!(out.code(), 2, "{args:?}: {out:?}");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {out:?}");
        assert!(lines[0].starts_with("pidone health: "), "{out:?}");
        assert!(lines[0].contains(want), "{args:?}: want {want:?}: {out:?}");
        assert!(
            lines[0].ends_with("(see 'pidone health --help')"),
            "{out:?}"
        );
    }
}

#[test]
fn help() {
    let out = health(&["--help"]);
    assert_eq!(out.code(), 0, "{out:?}");
    let text = out.rest.join("\n");
    for want in [
        "Usage: pidone health [OPTIONS] URL",
        "No TLS",
        "no DNS resolver",
        "--timeout",
    ] {
        assert!(text.contains(want), "{want:?} in {text}");
    }
}

#[test]
fn under_the_drop_in_names_health_is_a_command() {
    // tini, dumb-init and catatonit run COMMAND; so does pidone after `--`.
    let dir = TempDir::new("names");
    let target = "http://127.0.0.1:1/";
    for name in ["tini", "docker-init", "dumb-init", "catatonit"] {
        let link = PathBuf::from(dir.path(name));
        std::os::unix::fs::symlink(common::pidone(), &link).unwrap();
        let out = std::process::Command::new(&link)
            .args(["health", target])
            .env("PATH", "/nonexistent")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(127), "{name}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("health: No such file or directory"),
            "{name}: {stderr}"
        );
    }
    let out = common::run(Mode::Plain, &["--", "health", target]);
    assert_eq!(out.code(), 127, "{out:?}");
}
