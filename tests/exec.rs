//! Starting the application: scripts without `#!` (run by /bin/sh, as glibc's execvp does
//! for tini, dumb-init and catatonit), and `--user` as the application sees it in
//! /proc/self/status.

use pidone_testkit as common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

/// An executable script with no `#!` line that prints how it was called and exits 3.
fn script(dir: &TempDir) -> PathBuf {
    let path = PathBuf::from(dir.path("noshebang"));
    std::fs::write(&path, "echo \"ran $0 $1 $2\"\nexit 3\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn run_with_path(program: &str, args: &[&str], path: &str) -> (i32, String, String) {
    let out = Command::new(program)
        .args(args)
        .env("PATH", path)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// By path and through PATH, as PID 1 and not: the script runs with /bin/sh, `$0` is the
/// path found, the arguments follow, and pidone exits with the script's code.
#[test]
fn script_without_shebang_runs_through_sh() {
    let dir = TempDir::new("sh");
    let file = script(&dir);
    let file = file.to_str().unwrap();
    for mode in MODES {
        let out = run(mode, &["--", file, "a", "b c"]);
        assert_eq!(
            out.rest,
            vec![format!("ran {file} a b c")],
            "{mode:?}: {}",
            out.stderr
        );
        assert_eq!(out.code(), 3, "{mode:?}: {}", out.stderr);
    }
    // An empty executable file is an empty script: it succeeds, as under glibc's execvp.
    let empty = dir.path("empty");
    std::fs::write(&empty, "").unwrap();
    std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(Mode::Pid1, &["--", &empty]);
    assert_eq!(out.code(), 0, "{}", out.stderr);
    // Through PATH, past a directory where it is not, as execvp searches.
    let path = format!("/nonexistent:{}:/usr/bin:/bin", dir.0);
    let (code, stdout, stderr) = run_with_path(pidone(), &["--", "noshebang", "x"], &path);
    assert_eq!(
        (code, stdout.as_str()),
        (3, format!("ran {file} x ").trim_end()),
        "{stderr}"
    );
}

/// Under the name docker-init (what `docker run --init` runs), as Debian's tini and
/// tini-static (glibc) do: same output, same exit code.
#[test]
fn script_without_shebang_as_docker_init_beside_tini() {
    let dir = TempDir::new("tini");
    let file = script(&dir);
    let file = file.to_str().unwrap();
    let link = dir.path("docker-init");
    std::os::unix::fs::symlink(pidone(), &link).unwrap();
    let path = format!("{}:/usr/bin:/bin", dir.0);
    let mut originals = Vec::new();
    for tini in ["/usr/bin/tini", "/usr/bin/tini-static"] {
        if Path::new(tini).exists() {
            originals.push(run_with_path(tini, &["-s", "--", "noshebang", "y"], &path));
        } else {
            missing(tini);
        }
    }
    let ours = run_with_path(&link, &["-s", "--", "noshebang", "y"], &path);
    assert_eq!(
        (ours.0, ours.1.as_str()),
        (3, format!("ran {file} y").as_str()),
        "{}",
        ours.2
    );
    for original in originals {
        assert_eq!(
            (original.0, &original.1),
            (ours.0, &ours.1),
            "{}",
            original.2
        );
    }
}

fn missing(what: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is missing (scripts/setup.sh installs it)");
    }
    eprintln!("SKIP: {what} missing: comparison with it skipped");
}

/// No /bin/sh to run a `#!`-less script with (a scratch image): 126, saying why.
#[test]
fn script_without_shebang_and_no_shell_is_126() {
    let dir = TempDir::new("nosh");
    let file = script(&dir);
    // A tmpfs over /usr/bin (where /bin points) hides sh; pidone is static and needs none.
    let shell = format!(
        "mount -t tmpfs none /usr/bin && exec {} -- {} a",
        pidone(),
        file.display()
    );
    let out = run(
        Mode::Plain,
        &["--", "unshare", "--mount", "sh", "-c", &shell],
    );
    assert_eq!(out.code(), 126, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("no #! line, and /bin/sh cannot run it: No such file or directory"),
        "{}",
        out.stderr
    );
}

/// An ELF the kernel cannot run (built for another machine: an arm64 image on an amd64
/// host) is 126 with the reason, never run through /bin/sh as a script (finding 7); a
/// missing `#!` interpreter is named, also when it is a CRLF line's `/bin/sh\r`.
#[test]
fn foreign_elf_and_missing_interpreters_are_named() {
    let dir = TempDir::new("elf");
    // A 64-byte ELF header for machine 0x1234, which no kernel (nor binfmt_misc) takes.
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x34\x12\x01\0\0\0".to_vec();
    elf.resize(128, 0);
    let files = [
        ("foreign", elf),
        ("crlf", b"#!/bin/sh\r\necho ran\r\n".to_vec()),
        ("nowhere", b"#!  /nowhere/sh -e\necho ran\n".to_vec()),
    ];
    for (name, bytes) in &files {
        std::fs::write(dir.path(name), bytes).unwrap();
        std::fs::set_permissions(dir.path(name), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // A dynamically linked program whose loader is missing (a glibc binary in a musl
    // image): /bin/true with its PT_INTERP path pointed at a loader that does not exist.
    let mut dynamic = std::fs::read("/bin/true").unwrap();
    let loader = b"/lib64/ld-linux-x86-64.so.2";
    if let Some(at) = dynamic.windows(loader.len()).position(|w| w == loader) {
        dynamic[at + loader.len() - 1] = b'X';
        std::fs::write(dir.path("noloader"), &dynamic).unwrap();
        std::fs::set_permissions(dir.path("noloader"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let path = format!("{}:/usr/bin:/bin", dir.0);
    let foreign = dir.path("foreign");
    let cases = [
        (
            foreign.as_str(),
            126,
            format!(
                "pidone: {foreign}: Exec format error (an ELF program for another architecture?)\n"
            ),
        ),
        (
            "crlf",
            127,
            "pidone: crlf: its interpreter does not exist: '#!/bin/sh\\x0d'\n".into(),
        ),
        (
            "nowhere",
            127,
            "pidone: nowhere: its interpreter does not exist: '#!  /nowhere/sh -e'\n".into(),
        ),
    ];
    let noloader = (
        "noloader",
        127,
        "pidone: noloader: its interpreter (for an ELF program, its dynamic loader) does not \
         exist\n"
            .to_string(),
    );
    let has_noloader = Path::new(&dir.path("noloader")).exists();
    if !has_noloader {
        eprintln!("NOT CHECKED: a missing ELF loader: /bin/true names no x86-64 glibc loader");
    }
    for (command, code, message) in cases.iter().chain(has_noloader.then_some(&noloader)) {
        for mode in MODES {
            let mut cmd = common::command(mode, &["--", command]);
            cmd.env("PATH", &path);
            let out = spawn(mode, cmd).wait();
            assert_eq!(
                (out.code(), &out.stderr),
                (*code, message),
                "{command} {mode:?}"
            );
            assert!(
                out.rest.is_empty(),
                "{command}: something ran: {:?}",
                out.rest
            );
        }
    }
}

/// What the application sees of its ids in /proc/self/status, and its HOME.
const IDS: &str =
    "grep -E '^(Uid|Gid|Groups):' /proc/self/status | tr -s '\\t ' ' '; echo HOME=$HOME";

/// Runs `pidone --user SPEC` with `passwd` and `group` as /etc/passwd and /etc/group
/// (bind-mounted in a private mount namespace); returns (code, stdout lines, stderr).
fn as_user(tag: &str, passwd: &str, group: &str, spec: &str) -> (i32, Vec<String>, String) {
    as_user_after(tag, passwd, group, "true", spec)
}

/// `as_user`, with `prepare` run in /etc (the test's directory bound over it) first, to put
/// something other than a regular file there. pidone runs under `timeout -s KILL 10`: one
/// that blocks or spins on such a file ends with 137 instead of hanging the test.
fn as_user_after(
    tag: &str,
    passwd: &str,
    group: &str,
    prepare: &str,
    spec: &str,
) -> (i32, Vec<String>, String) {
    let dir = TempDir::new(tag);
    let etc = PathBuf::from(dir.path("etc"));
    std::fs::create_dir(&etc).unwrap();
    std::fs::write(etc.join("passwd"), passwd).unwrap();
    std::fs::write(etc.join("group"), group).unwrap();
    std::fs::write(dir.path("ids"), IDS).unwrap();
    let shell = format!(
        "mount --bind {e} /etc && cd /etc && {prepare} && \
         exec timeout -s KILL 10 {p} --user '{spec}' -- sh {d}/ids",
        e = etc.display(),
        d = dir.0,
        p = pidone()
    );
    let out = run(
        Mode::Plain,
        &["--", "unshare", "--mount", "sh", "-c", &shell],
    );
    (out.code(), out.rest.clone(), out.stderr.clone())
}

fn ids(uid: u32, gid: u32, groups: &[u32], home: &str) -> Vec<String> {
    let mut g = String::new();
    for n in groups {
        g.push_str(&format!("{n} "));
    }
    vec![
        format!("Uid: {uid} {uid} {uid} {uid}"),
        format!("Gid: {gid} {gid} {gid} {gid}"),
        format!("Groups: {g}"),
        format!("HOME={home}"),
    ]
}

/// `USER:GROUP` gets GROUP alone, no supplementary groups, as runc, gosu and Docker's
/// `--user u:g` do (issue 22 finding 3); `USER` gets all of USER's groups.
#[test]
fn user_with_a_group_gets_that_group_alone() {
    let passwd = "alice:x:1500:1600::/home/alice:/bin/sh\n";
    let group = "staff:x:1600:\nvideo:x:1700:alice\naudio:x:1800:bob\n";
    let (code, out, err) = as_user("withgroup", passwd, group, "alice:audio");
    assert_eq!(out, ids(1500, 1800, &[1800], "/home/alice"), "{err}");
    assert_eq!(code, 0);
    let (code, out, err) = as_user("withgid", passwd, group, "alice:1900");
    assert_eq!(out, ids(1500, 1900, &[1900], "/home/alice"), "{err}");
    assert_eq!(code, 0);
    let (code, out, err) = as_user("nogroup", passwd, group, "alice");
    assert_eq!(out, ids(1500, 1600, &[1600, 1700], "/home/alice"), "{err}");
    assert_eq!(code, 0);
}

/// /etc/passwd or /etc/group that is not a regular file, or too large, fails closed at
/// once with the cause (finding 2 and 4): a FIFO blocked pidone in `open` forever,
/// /dev/zero made it spin, a directory as /etc/group ran the app with fewer groups. Files
/// that are not needed are not read: numeric `UID:GID` reads no /etc/group.
#[test]
fn user_files_that_cannot_be_read_fail_closed_at_once() {
    let passwd = "alice:x:1500:1600::/home/alice:/bin/sh\n";
    let group = "staff:x:1600:\nvideo:x:1700:alice\n";
    let not_regular =
        |file: &str| format!("pidone: --user: cannot read /etc/{file}: not a regular file\n");
    let cases = [
        ("rm passwd && mkfifo passwd", "alice", not_regular("passwd")),
        (
            "mount --bind /dev/zero passwd",
            "alice",
            not_regular("passwd"),
        ),
        (
            "mount --bind /dev/zero passwd",
            "1500",
            not_regular("passwd"),
        ),
        ("rm group && mkfifo group", "alice", not_regular("group")),
        (
            "mount --bind /dev/zero group",
            "alice",
            not_regular("group"),
        ),
        (
            "rm group && mkdir group",
            "alice",
            "pidone: --user: cannot read /etc/group: Is a directory\n".into(),
        ),
        (
            "rm group && mkfifo group",
            "alice:video",
            not_regular("group"),
        ),
        (
            // Read whole for the memberships: 65 MiB of nothing is refused at 64.
            "truncate -s 65M group",
            "alice",
            "pidone: --user: cannot read /etc/group: larger than 64 MiB\n".into(),
        ),
    ];
    for (prepare, spec, message) in &cases {
        let (code, out, err) = as_user_after("unreadable", passwd, group, prepare, spec);
        assert_eq!((code, &err), (126, message), "{prepare}, --user {spec}");
        assert!(out.is_empty(), "{prepare}: the application ran: {out:?}");
    }
    // Numeric ids need no /etc/group (and a numeric group no group name), so a FIFO there
    // is never opened.
    for (spec, gid) in [("65534:65534", 65534), ("alice:1900", 1900)] {
        let (code, out, err) =
            as_user_after("fifo", passwd, group, "rm group && mkfifo group", spec);
        let (uid, home) = if spec == "alice:1900" {
            (1500, "/home/alice")
        } else {
            (65534, "/")
        };
        assert_eq!(out, ids(uid, gid, &[gid], home), "{spec}: {err}");
        assert_eq!(code, 0, "{spec}");
    }
}

/// A read error is named as itself: with no descriptor left, EMFILE, not "unknown user".
#[test]
fn user_files_unreadable_for_lack_of_descriptors_say_so() {
    let passwd = "alice:x:1500:1600::/home/alice:/bin/sh\n";
    let (code, out, err) = as_user_after("emfile", passwd, "", "true", "alice");
    assert_eq!(
        (code, out),
        (0, ids(1500, 1600, &[1600], "/home/alice")),
        "{err}"
    );
    let dir = TempDir::new("emfile-limit");
    std::fs::write(dir.path("passwd"), passwd).unwrap();
    let shell = format!(
        "mount --bind {d}/passwd /etc/passwd && \
         exec timeout -s KILL 10 prlimit --nofile=3 {p} --user alice -- true",
        d = dir.0,
        p = pidone()
    );
    let out = run(
        Mode::Plain,
        &["--", "unshare", "--mount", "sh", "-c", &shell],
    );
    assert_eq!(
        (out.code(), out.stderr.as_str()),
        (
            126,
            "pidone: --user: cannot read /etc/passwd: Too many open files\n"
        )
    );
}

/// An empty name never matches (finding 12): `--user :GROUP` is a usage error, not uid 0,
/// and a passwd line with an empty name never lends its groups (an empty member field
/// would otherwise match it).
#[test]
fn an_empty_user_name_matches_nothing() {
    let passwd = "::0:0::/:/bin/sh\n::4242:4242::/nowhere:/bin/sh\n";
    let group = "wheel:x:10:\napp:x:1800:\n";
    let (code, out, err) = as_user("emptyname", passwd, group, ":app");
    assert_eq!((code, out), (2, vec![]), "{err}");
    assert_eq!(
        err,
        "pidone: --user: empty user name in ':app' (see 'pidone --help')\n"
    );
    let (code, out, err) = as_user("emptyuid", passwd, group, "4242");
    assert_eq!(out, ids(4242, 4242, &[4242], "/nowhere"), "{err}");
    assert_eq!(code, 0);
}

/// A 70-byte name gets its own groups, not those of its 64-byte prefix.
#[test]
fn user_with_a_long_name_gets_its_own_groups() {
    let long = "u".repeat(70);
    let prefix = &long[..64];
    let passwd = format!(
        "{long}:x:2100:2100::/home/long:/bin/sh\n{prefix}:x:2200:2200::/home/short:/bin/sh\n"
    );
    let group = format!("mine:x:3001:{long}\nprefix:x:3002:{prefix}\n");
    let (code, out, err) = as_user("long", &passwd, &group, &long);
    assert_eq!(out, ids(2100, 2100, &[2100, 3001], "/home/long"), "{err}");
    assert_eq!(code, 0);
}

/// A group line over 4096 bytes (a group with many members) is read whole.
#[test]
fn user_in_a_group_line_over_4096_bytes() {
    let mut members: Vec<String> = (0..1000).map(|i| format!("member{i:04}")).collect();
    members.push("alice".into());
    let group = format!("big:x:3100:{}\nsmall:x:3200:alice\n", members.join(","));
    assert!(group.len() > 8192);
    let passwd = "alice:x:1500:1600::/home/alice:/bin/sh\n";
    let (code, out, err) = as_user("bigline", passwd, &group, "alice");
    assert_eq!(
        out,
        ids(1500, 1600, &[1600, 3100, 3200], "/home/alice"),
        "{err}"
    );
    assert_eq!(code, 0);
}

/// More than 32 supplementary groups: all of them.
#[test]
fn user_in_forty_groups_gets_all_forty() {
    let group: String = (0..40)
        .map(|i| format!("g{i}:x:{}:bob\n", 4000 + i))
        .collect();
    let passwd = "bob:x:1700:1700::/home/bob:/bin/sh\n";
    let (code, out, err) = as_user("forty", passwd, &group, "bob");
    let mut want = vec![1700];
    want.extend(4000..4040);
    assert_eq!(out, ids(1700, 1700, &want, "/home/bob"), "{err}");
    assert_eq!(code, 0);
}

/// Past pidone's documented bound (4096 groups) it refuses with a message: never fewer
/// groups than the user has.
#[test]
fn user_in_too_many_groups_is_refused() {
    let group: String = (0..4100)
        .map(|i| format!("g{i}:x:{}:bob\n", 10_000 + i))
        .collect();
    let passwd = "bob:x:1700:1700::/home/bob:/bin/sh\n";
    let (code, out, err) = as_user("toomany", passwd, &group, "bob");
    assert_eq!((code, out), (126, vec![]), "{err}");
    assert!(
        err.contains("pidone: user 'bob' is in more than 4096 groups"),
        "{err}"
    );
}

/// A number is always a uid (as in runc and gosu), even when a user is named like it.
#[test]
fn user_number_is_a_uid_not_a_name() {
    let passwd = "1000:x:2000:2000::/home/named:/bin/sh\nbob:x:1000:1500::/home/bob:/bin/sh\n";
    let group = "ops:x:1900:bob\nnamed:x:1901:1000\n";
    let (code, out, err) = as_user("number", passwd, group, "1000");
    assert_eq!(out, ids(1000, 1500, &[1500, 1900], "/home/bob"), "{err}");
    assert_eq!(code, 0);
}

/// `--user 65532` with no passwd entry (a scratch image): gid 65532 too, never root's 0.
#[test]
fn user_number_without_passwd_entry_gets_its_own_gid() {
    let (code, out, err) = as_user("nobody", "root:x:0:0::/root:/bin/sh\n", "", "65532");
    assert_eq!(out, ids(65532, 65532, &[65532], "/"), "{err}");
    assert_eq!(code, 0);
}
