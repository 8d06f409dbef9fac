//! Interactive terminals, as `docker run -it` gives them: pidone with stdin, stdout and
//! stderr on a real pseudo-terminal, driven by keystrokes written to the master side and
//! checked by reading what the terminal shows.
//!
//! Three layouts of who holds the terminal, all in a fresh PID namespace:
//! - `Group`: unshare leads the session and holds the terminal; pidone (PID 1) is in its
//!   foreground group, as under a shell or `script`;
//! - `Docker`: pidone is PID 1 and leads its own session with the terminal as controlling
//!   terminal, which is what runc sets up for `docker run -it`;
//! - `Exec`: the same but pidone is not PID 1 (a shell is), as with `docker exec -it` or
//!   `kubectl exec -it`; here pidone can stop itself, which PID 1 cannot.
//!
//! Every wait is for something on the screen or in /proc, bounded by `HANG`: a hang fails
//! the test instead of blocking CI, and nothing depends on the machine's speed.

use pidone_testkit as common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use common::{
    HANG, Mode, children, comm_of, descendants, example, pidone, realtime, stat, state_of,
    wait_until,
};
use nix::fcntl::OFlag;
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    Group,
    Docker,
    Exec,
}

const LAYOUTS: [Layout; 3] = [Layout::Group, Layout::Docker, Layout::Exec];

/// What the reader thread has seen on the master side, and whether the terminal hung up.
#[derive(Default)]
struct Screen {
    state: Mutex<(Vec<u8>, bool)>,
    changed: Condvar,
}

/// A terminal with pidone (or another program) running on it.
struct Term {
    layout: Layout,
    master: OwnedFd,
    screen: Arc<Screen>,
    /// Bytes of the screen already consumed by `expect`.
    seen: usize,
    /// The process the test started (unshare).
    child: Child,
    unshare: i32,
    /// The program whose process is "pidone" in `pidone_pid` (a symlink resolves to it).
    program: String,
}

/// A new pseudo-terminal, both ends close-on-exec so that no process another test starts
/// meanwhile inherits them (which would keep the terminal from hanging up at the end).
fn new_pty() -> (OwnedFd, File) {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname_r(&master).unwrap();
    // SAFETY: the descriptor comes straight from the PtyMaster, which gives it up.
    let master = unsafe { OwnedFd::from_raw_fd(master.into_raw_fd()) };
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(name)
        .unwrap();
    set_size(master.as_raw_fd(), 24, 80);
    (master, slave)
}

fn set_size(fd: i32, rows: u16, cols: u16) {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads the winsize that `ws` holds for the duration of the call.
    assert_eq!(unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &ws) }, 0);
}

fn termios(fd: i32) -> libc::termios {
    // SAFETY: termios is plain data that tcgetattr fills.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `t` outlives the call.
    assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0, "tcgetattr");
    t
}

/// The environment every program on the test terminal gets: nothing from the caller that
/// could change pidone's defaults (PIDONE_*, TINI_*, DUMB_INIT_*) or bash's behaviour.
fn clean_env(cmd: &mut Command) {
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TERM", "dumb")
        .env("LC_ALL", "C")
        .env("HOME", "/");
}

impl Term {
    /// Starts `program args` on a new terminal in `layout`; `tweak` may adjust the slave
    /// side (its modes) before anything runs on it.
    fn start(layout: Layout, program: &str, args: &[&str], tweak: impl FnOnce(&File)) -> Term {
        let (master, slave) = new_pty();
        tweak(&slave);
        let mut cmd = Command::new("unshare");
        cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"]);
        match layout {
            Layout::Group => {}
            // util-linux setsid: not a group leader, so no fork; --ctty does TIOCSCTTY.
            Layout::Docker => {
                cmd.args(["setsid", "--ctty"]);
            }
            Layout::Exec => {
                cmd.args(["sh", "-c", "\"$@\"; exit $?", "sh", "setsid", "--ctty"]);
            }
        }
        cmd.arg(program).args(args);
        clean_env(&mut cmd);
        cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        let take_tty = layout == Layout::Group;
        // SAFETY: signal, setsid and ioctl are async-signal-safe; the closure touches no
        // shared state.
        unsafe {
            cmd.pre_exec(move || {
                // A fresh terminal session, however the tests were started: a shell that
                // runs them in the background leaves SIGINT and SIGQUIT ignored, and an
                // ignored disposition survives exec all the way down to the application.
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGQUIT, libc::SIG_DFL);
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if take_tty && libc::ioctl(0, libc::TIOCSCTTY, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start unshare");
        // The Command held the only copies of the slave: from now on the terminal hangs up
        // when the last process on it is gone.
        drop(cmd);
        let unshare = child.id() as i32;
        let screen = Arc::new(Screen::default());
        let mut reader = File::from(master.try_clone().unwrap());
        let sink = screen.clone();
        std::thread::spawn(move || {
            // Keeps up with an application that writes all the time: fallen behind on a
            // loaded machine, the reader lets the terminal fill, and a log line of pidone's
            // waits its 10 ms turn in vain and is dropped. So it runs at real-time
            // priority, and never waits for the screen's lock while the terminal has more
            // to read (the test's thread, which takes it too, may be held up holding it):
            // what it read meanwhile waits in `pending`.
            realtime(true);
            let fd = reader.as_raw_fd();
            let mut buf = [0u8; 4096];
            let mut pending = Vec::new();
            loop {
                if !pending.is_empty() {
                    if let Ok(mut state) = sink.state.try_lock() {
                        state.0.append(&mut pending);
                        sink.changed.notify_all();
                    } else if !readable(fd, 1) {
                        continue;
                    }
                }
                match reader.read(&mut buf) {
                    Ok(n) if n > 0 => pending.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    // EIO: every process that had the slave open is gone.
                    _ => break,
                }
            }
            let mut state = sink.state.lock().unwrap();
            state.0.append(&mut pending);
            state.1 = true;
            sink.changed.notify_all();
        });
        Term {
            layout,
            master,
            screen,
            seen: 0,
            child,
            unshare,
            program: program.to_string(),
        }
    }

    /// pidone on a terminal, named `pidone`.
    fn pidone(layout: Layout, args: &[&str]) -> Term {
        Term::start(layout, pidone(), args, |_| {})
    }

    /// Everything the terminal has shown so far.
    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.state.lock().unwrap().0).into_owned()
    }

    /// Waits until `pattern` appears after what earlier calls consumed; returns the text up
    /// to and including it and consumes that.
    fn expect(&mut self, pattern: &str) -> String {
        let deadline = Instant::now() + HANG;
        let want = pattern.as_bytes();
        let mut state = self.screen.state.lock().unwrap();
        loop {
            let rest = state.0.get(self.seen..).unwrap_or(&[]);
            if let Some(at) = rest.windows(want.len()).position(|w| w == want) {
                let upto = String::from_utf8_lossy(&rest[..at + want.len()]).into_owned();
                self.seen += at + want.len();
                return upto;
            }
            let now = Instant::now();
            if state.1 || now >= deadline {
                let why = if state.1 {
                    "the terminal hung up"
                } else {
                    "timed out"
                };
                drop(state);
                panic!(
                    "{:?}: {why} waiting for {pattern:?}; screen:\n{}",
                    self.layout,
                    self.screen()
                );
            }
            state = self
                .screen
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap()
                .0;
        }
    }

    /// Types `keys`.
    fn send(&self, keys: &str) {
        let mut master = File::from(self.master.try_clone().unwrap());
        master.write_all(keys.as_bytes()).unwrap();
    }

    /// Stops (`TCOOFF`) or restarts (`TCOON`) the terminal's output at once, as Ctrl-S and
    /// Ctrl-Q do once the line discipline gets to them.
    fn flow(&self, action: i32) {
        let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;
        // SAFETY: TIOCGPTPEER opens this master's slave side and returns a new descriptor.
        let fd = unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCGPTPEER, flags) };
        assert!(fd >= 0, "TIOCGPTPEER: {}", std::io::Error::last_os_error());
        // SAFETY: `fd` was just opened and nothing else owns it.
        let slave = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: tcflow only acts on the descriptor.
        let rc = unsafe { libc::tcflow(slave.as_raw_fd(), action) };
        assert_eq!(rc, 0, "tcflow");
    }

    fn resize(&self, rows: u16, cols: u16) {
        set_size(self.master.as_raw_fd(), rows, cols);
    }

    /// The terminal's foreground process group, as a pid of the test's namespace.
    fn foreground(&self) -> i32 {
        // SAFETY: TIOCGPGRP on the master reports the slave side's foreground group.
        unsafe { libc::tcgetpgrp(self.master.as_raw_fd()) }
    }

    /// The pidone process: the descendant of unshare running `program`.
    fn pidone_pid(&self) -> i32 {
        let want = std::fs::canonicalize(&self.program).unwrap();
        let mut found = 0;
        wait_until("pidone to start", || {
            found = descendants(self.unshare)
                .into_iter()
                .find(|p| std::fs::read_link(format!("/proc/{p}/exe")).ok().as_ref() == Some(&want))
                .unwrap_or(0);
            found != 0
        });
        found
    }

    /// pidone's child once it runs `comm` (after exec, not the forked pidone before it).
    fn app_pid(&self, comm: &str) -> i32 {
        let pidone = self.pidone_pid();
        let mut found = 0;
        wait_until(&format!("the application ({comm}) to start"), || {
            found = children(pidone)
                .into_iter()
                .find(|p| comm_of(*p) == comm)
                .unwrap_or(0);
            found != 0
        });
        found
    }

    fn signal_pidone(&self, sig: i32) {
        let pid = self.pidone_pid();
        // SAFETY: kill has no memory effects.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
    }

    /// Waits for the run to end and for the terminal to hang up; returns the exit code.
    fn wait(&mut self) -> i32 {
        let mut status = None;
        wait_until("the run to end", || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        let status = status.unwrap();
        let deadline = Instant::now() + HANG;
        let mut state = self.screen.state.lock().unwrap();
        while !state.1 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self.screen.changed.wait_timeout(state, left).unwrap().0;
        }
        assert!(state.1, "the terminal never hung up");
        drop(state);
        status.code().unwrap_or_else(|| {
            panic!(
                "{:?}: died by a signal ({status:?}); screen:\n{}",
                self.layout,
                self.screen()
            )
        })
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        // On a failed test: take the namespace down (--kill-child does the rest). Child
        // knows whether it was reaped, so this never hits a reused pid.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The first descendant of `root` running `comm`, waiting for it to appear.
fn find(root: i32, comm: &str) -> i32 {
    let mut found = 0;
    wait_until(&format!("{comm} under {root}"), || {
        found = descendants(root)
            .into_iter()
            .find(|p| comm_of(*p) == comm)
            .unwrap_or(0);
        found != 0
    });
    found
}

fn wait_state(pid: i32, what: &str, want: impl Fn(Option<char>) -> bool) {
    wait_until(&format!("{what} (pid {pid})"), || want(state_of(pid)));
}

/// Whether `fd` has something to read (or has hung up) within `ms` milliseconds.
fn readable(fd: i32, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: poll reads and writes the one live pollfd.
    unsafe { libc::poll(&mut p, 1, ms) != 0 }
}

fn stopped(state: Option<char>) -> bool {
    state == Some('T')
}

/// Alive and not stopped. Not just S or R: a process that waits for a lock or a page
/// (on a busy machine, between two lines it writes) shows D for a moment.
fn running(state: Option<char>) -> bool {
    matches!(state, Some('S' | 'R' | 'D'))
}

/// A temporary directory with `dumb-init` linking to pidone: pidone takes dumb-init's
/// defaults when run by that name.
fn dumb_init() -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "pidone-terminal-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let link = dir.join("dumb-init");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(pidone(), &link).unwrap();
    link.to_string_lossy().into_owned()
}

fn count(text: &str, what: &str) -> usize {
    text.matches(what).count()
}

/// Ctrl-C reaches sigecho once (from the terminal; pidone does not forward it again), and
/// the terminal handoff sends it no SIGHUP or SIGCONT. A USR1 sent after the Ctrl-C, which
/// pidone forwards, proves that any second SIGINT would have arrived by then.
fn ctrl_c_once(mut t: Term) {
    t.expect("ready");
    t.send("\x03");
    t.expect("got SIGINT");
    t.signal_pidone(libc::SIGUSR1);
    t.expect("got SIGUSR1");
    // pidone runs with -v: its log shows what it forwarded, and the SIGINT, which came
    // straight from the terminal, is not among it.
    wait_until("pidone's log line", || {
        t.screen().contains("forwarded signal=SIGUSR1")
    });
    let screen = t.screen();
    assert!(
        !screen.contains("signal=SIGINT"),
        "{:?}:\n{screen}",
        t.layout
    );
    assert_eq!(count(&screen, "got SIGINT"), 1, "{:?}:\n{screen}", t.layout);
    assert_eq!(count(&screen, "got SIGHUP"), 0, "{:?}:\n{screen}", t.layout);
    assert_eq!(
        count(&screen, "got SIGCONT"),
        0,
        "{:?}:\n{screen}",
        t.layout
    );
    t.signal_pidone(libc::SIGTERM);
    assert_eq!(t.wait(), 0, "{:?}:\n{}", t.layout, t.screen());
}

#[test]
fn ctrl_c_reaches_the_application_once() {
    for layout in LAYOUTS {
        ctrl_c_once(Term::pidone(layout, &["-v", "--", &example("sigecho")]));
    }
}

#[test]
fn ctrl_c_reaches_the_application_once_single_child() {
    for layout in LAYOUTS {
        ctrl_c_once(Term::pidone(
            layout,
            &["-v", "-c", "--", &example("sigecho")],
        ));
    }
}

/// sigecho under pidone on a terminal, in each layout: `check` once it is ready, then
/// SIGTERM ends it, with 0.
fn sigecho_in_each_layout(check: impl Fn(&mut Term, Layout)) {
    for layout in LAYOUTS {
        let mut t = Term::pidone(layout, &["--", &example("sigecho")]);
        t.expect("ready");
        check(&mut t, layout);
        t.signal_pidone(libc::SIGTERM);
        assert_eq!(t.wait(), 0, "{layout:?}");
    }
}

/// The application leads the terminal's foreground group, in pidone's session.
#[test]
fn application_is_the_foreground_group() {
    sigecho_in_each_layout(|t, layout| {
        let app = t.app_pid("sigecho");
        let pidone = t.pidone_pid();
        assert_eq!(t.foreground(), app, "{layout:?}");
        let app_stat = stat(app).unwrap();
        assert_eq!(app_stat.pgrp, app, "{layout:?}");
        assert_eq!(
            app_stat.session,
            stat(pidone).unwrap().session,
            "{layout:?}"
        );
    });
}

/// `bash -i -c 'echo $-'` under pidone has job control (`m`) and no warning.
#[test]
fn interactive_bash_has_job_control() {
    for layout in LAYOUTS {
        let mut t = Term::pidone(
            layout,
            &[
                "--",
                "bash",
                "--norc",
                "--noprofile",
                "-i",
                "-c",
                "echo \"flags=[$-]\"",
            ],
        );
        t.expect("flags=[");
        let flags = t.expect("]");
        assert!(flags.contains('m'), "{layout:?}: no job control: {flags}");
        assert_eq!(t.wait(), 0);
        let screen = t.screen();
        assert!(
            !screen.contains("cannot set terminal process group")
                && !screen.contains("no job control"),
            "{layout:?}:\n{screen}"
        );
    }
}

/// A whole interactive session: background job, jobs, fg, Ctrl-Z, bg, Ctrl-C on the
/// foreground job, and `exit 3`; afterwards the terminal's modes are the ones from before.
fn bash_session(layout: Layout, program: &str, args: &[&str]) {
    let mut before = None;
    let mut t = Term::start(layout, program, args, |slave| {
        before = Some(termios(slave.as_raw_fd()));
    });
    let before = before.unwrap();
    t.expect("<P>");
    let bash = t.app_pid("bash");
    t.send("stty -echo\n");
    t.expect("<P>");

    t.send("sleep 100 &\n");
    t.expect("[1] ");
    t.expect("<P>");
    let sleep = find(bash, "sleep");
    assert_eq!(
        t.foreground(),
        bash,
        "{layout:?}: the shell holds the terminal"
    );

    t.send("jobs\n");
    t.expect("Running");
    t.expect("<P>");

    t.send("fg\n");
    t.expect("sleep 100");
    wait_until("sleep in the foreground", || t.foreground() == sleep);
    t.send("\x1a");
    t.expect("Stopped");
    t.expect("<P>");
    assert!(
        stopped(state_of(sleep)),
        "{layout:?}: Ctrl-Z did not stop sleep"
    );
    assert_eq!(t.foreground(), bash);

    t.send("bg\n");
    t.expect("<P>");
    wait_state(sleep, "bg to resume sleep", running);

    t.send("fg\n");
    t.expect("sleep 100");
    wait_until("sleep in the foreground again", || t.foreground() == sleep);
    t.send("\x03");
    t.expect("<P>");
    wait_until("sleep to end", || !children(bash).contains(&sleep));

    t.send("echo alive-$((6*7))\n");
    t.expect("alive-42");
    t.expect("<P>");
    let now = state_of(bash);
    assert!(
        running(now),
        "{layout:?}: the shell is not running: state {now:?}"
    );
    t.send("exit 3\n");
    assert_eq!(t.wait(), 3, "{layout:?}:\n{}", t.screen());
    let screen = t.screen();
    assert!(
        !screen.contains("cannot set terminal process group") && !screen.contains("no job control"),
        "{layout:?}:\n{screen}"
    );
    let after = termios(t.master.as_raw_fd());
    assert_ne!(after.c_lflag & libc::ECHO, 0, "{layout:?}: echo left off");
    assert_eq!(after.c_lflag, before.c_lflag, "{layout:?}");
}

fn bash_args(extra: &[&'static str]) -> Vec<&'static str> {
    let mut args = extra.to_vec();
    args.extend([
        "--",
        "env",
        "PS1=<P>",
        "bash",
        "--norc",
        "--noprofile",
        "--noediting",
        "-i",
    ]);
    args
}

#[test]
fn interactive_bash_job_control() {
    for layout in LAYOUTS {
        bash_session(layout, pidone(), &bash_args(&[]));
    }
}

/// Ctrl-Z on the application, or SIGTSTP sent to pidone, stops it like a terminal job;
/// SIGCONT to pidone resumes it; pidone itself keeps running throughout.
#[test]
fn tstp_stops_the_application_and_cont_resumes_it() {
    for layout in LAYOUTS {
        let mut t = Term::pidone(layout, &["--", "sleep", "1000"]);
        let app = t.app_pid("sleep");
        let pidone = t.pidone_pid();

        t.signal_pidone(libc::SIGTSTP);
        wait_state(app, "SIGTSTP to stop the application", stopped);
        assert!(running(state_of(pidone)), "{layout:?}: pidone stopped");
        t.signal_pidone(libc::SIGCONT);
        wait_state(app, "SIGCONT to resume the application", running);

        // From the keyboard: the kernel stops the foreground group (not orphaned: its
        // parent, pidone, is in the same session) and pidone is not in it.
        t.send("\x1a");
        wait_state(app, "Ctrl-Z to stop the application", stopped);
        assert!(running(state_of(pidone)), "{layout:?}: pidone stopped");
        t.signal_pidone(libc::SIGCONT);
        wait_state(app, "SIGCONT to resume the application", running);

        t.send("\x03");
        assert_eq!(t.wait(), 128 + libc::SIGINT, "{layout:?}:\n{}", t.screen());
    }
}

/// `docker stop` on a container whose application was stopped with Ctrl-Z: the SIGTERM
/// must not wait in the stopped process until the grace period SIGKILLs it.
#[test]
fn stopped_application_still_ends_on_sigterm() {
    for layout in LAYOUTS {
        let mut t = Term::pidone(layout, &["--grace", "20s", "--", "sleep", "1000"]);
        let app = t.app_pid("sleep");
        t.send("\x1a");
        wait_state(app, "Ctrl-Z to stop the application", stopped);
        let asked = Instant::now();
        t.signal_pidone(libc::SIGTERM);
        assert_eq!(t.wait(), 128 + libc::SIGTERM, "{layout:?}:\n{}", t.screen());
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "{layout:?}: waited for the grace"
        );
    }
}

/// A resize reaches the application as exactly one SIGWINCH.
#[test]
fn sigwinch_reaches_the_application_once() {
    sigecho_in_each_layout(|t, _| {
        t.resize(40, 120);
        t.expect("got SIGWINCH");
        t.signal_pidone(libc::SIGUSR1);
        t.expect("got SIGUSR1");
        assert_eq!(count(&t.screen(), "got SIGWINCH"), 1, "{}", t.screen());
    });
}

/// With `stty tostop`, a background group that writes gets SIGTTOU; pidone writes its log
/// lines from the background (the application holds the foreground) and must never stop.
#[test]
fn logging_with_tostop_never_stops_pidone() {
    for layout in LAYOUTS {
        let mut t = Term::start(
            layout,
            pidone(),
            &["-v", "--", &example("sigecho")],
            |slave| {
                let mut modes = termios(slave.as_raw_fd());
                modes.c_lflag |= libc::TOSTOP;
                // SAFETY: `modes` came from tcgetattr on the same terminal.
                let rc = unsafe { libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &modes) };
                assert_eq!(rc, 0);
            },
        );
        t.expect("ready");
        let pidone = t.pidone_pid();
        t.signal_pidone(libc::SIGUSR1);
        t.expect("got SIGUSR1");
        wait_until("pidone's log line", || {
            t.screen().contains("forwarded signal=SIGUSR1")
        });
        assert!(running(state_of(pidone)), "{layout:?}: pidone stopped");
        t.signal_pidone(libc::SIGTERM);
        assert_eq!(t.wait(), 0, "{layout:?}:\n{}", t.screen());
        let screen = t.screen();
        assert!(screen.contains("spawned pid="), "{layout:?}:\n{screen}");
        assert!(screen.contains("exit code=0"), "{layout:?}:\n{screen}");
    }
}

/// An application that dies in raw mode without echo leaves a usable terminal; pidone
/// exits with its status.
#[test]
fn exit_status_and_sane_terminal_after_raw_mode() {
    let dumb = dumb_init();
    let runs = LAYOUTS
        .map(|layout| (layout, pidone()))
        .into_iter()
        .chain([(Layout::Docker, &*dumb), (Layout::Exec, &*dumb)]);
    for (layout, program) in runs {
        let mut before = None;
        let mut t = Term::start(
            layout,
            program,
            &["--", "sh", "-c", "stty raw -echo; echo raw-now; exit 3"],
            |slave| before = Some(termios(slave.as_raw_fd())),
        );
        let before = before.unwrap();
        t.expect("raw-now");
        assert_eq!(t.wait(), 3, "{layout:?}:\n{}", t.screen());
        let after = termios(t.master.as_raw_fd());
        assert_ne!(after.c_lflag & libc::ECHO, 0, "{layout:?}: echo left off");
        assert_ne!(
            after.c_lflag & libc::ICANON,
            0,
            "{layout:?}: left in raw mode"
        );
        assert_eq!(after.c_lflag, before.c_lflag, "{layout:?}");
        assert_eq!(after.c_iflag, before.c_iflag, "{layout:?}");
        assert_eq!(after.c_oflag, before.c_oflag, "{layout:?}");
    }
}

/// Run as dumb-init: the child leads a new session with the terminal; TSTP, TTIN and TTOU
/// are forwarded as SIGSTOP; as PID 1 pidone cannot stop itself (the kernel ignores it).
#[test]
fn dumb_init_rewrites_job_control_signals_to_sigstop() {
    let dumb = dumb_init();
    for layout in [Layout::Docker, Layout::Exec] {
        let mut t = Term::start(layout, &dumb, &["-v", "sleep", "1000"], |_| {});
        let app = t.app_pid("sleep");
        let pidone = t.pidone_pid();
        let app_stat = stat(app).unwrap();
        assert_eq!(app_stat.session, app, "{layout:?}: not a session leader");
        assert_eq!(t.foreground(), app, "{layout:?}: no controlling terminal");
        for sig in [libc::SIGTSTP, libc::SIGTTIN, libc::SIGTTOU] {
            t.signal_pidone(sig);
            wait_state(app, "the application to stop", stopped);
            t.expect("forwarded signal=SIGSTOP");
            if layout == Layout::Exec {
                // dumb-init stops itself with its child, so a shell sees the job stop.
                wait_state(pidone, "pidone to stop itself", stopped);
            } else {
                assert!(running(state_of(pidone)), "{layout:?}: PID 1 stopped");
            }
            t.signal_pidone(libc::SIGCONT);
            wait_state(pidone, "pidone to resume", running);
            wait_state(app, "the application to resume", running);
        }
        t.send("\x03");
        assert_eq!(t.wait(), 128 + libc::SIGINT, "{layout:?}:\n{}", t.screen());
    }
}

#[test]
fn dumb_init_ctrl_c_once_and_no_hangup_from_the_handoff() {
    let dumb = dumb_init();
    for layout in [Layout::Docker, Layout::Exec] {
        ctrl_c_once(Term::start(
            layout,
            &dumb,
            &["-v", &example("sigecho")],
            |_| {},
        ));
    }
}

#[test]
fn dumb_init_bash_job_control() {
    let dumb = dumb_init();
    for layout in [Layout::Docker, Layout::Exec] {
        bash_session(layout, &dumb, &bash_args(&[]));
    }
}

/// pidone started in the background by an interactive shell leaves the terminal to the
/// shell: the application runs, the shell keeps the foreground and its job control.
#[test]
fn background_pidone_leaves_the_terminal_alone() {
    let mut t = Term::start(
        Layout::Group,
        "env",
        &[
            "PS1=<P>",
            "bash",
            "--norc",
            "--noprofile",
            "--noediting",
            "-i",
        ],
        |_| {},
    );
    t.expect("<P>");
    let bash = find(t.unshare, "bash");
    t.send("stty -echo\n");
    t.expect("<P>");
    t.send(&format!("{} -- sleep 100 &\n", pidone()));
    t.expect("<P>");
    find(bash, "sleep");
    assert_eq!(
        t.foreground(),
        bash,
        "pidone took the terminal from the shell"
    );
    t.send("echo alive-$((6*7))\n");
    t.expect("alive-42");
    t.expect("<P>");
    t.send("kill %1; wait %1; echo done-$?\n");
    t.expect("done-143");
    t.expect("<P>");
    assert_eq!(t.foreground(), bash);
    t.send("exit 5\n");
    assert_eq!(t.wait(), 5, "{}", t.screen());
    assert!(!t.screen().contains("pidone:"), "{}", t.screen());
}

/// With stdin not a terminal, nothing terminal-related shows: no message, the usual
/// process group, the usual exit status; also when stdout is a terminal and for dumb-init.
#[test]
fn without_a_terminal_nothing_happens() {
    for mode in common::MODES {
        let out = common::run(mode, &["-vvv", "--", "sh", "-c", "echo ok; exit 4"]);
        assert_eq!(out.code(), 4);
        assert_eq!(out.rest, vec!["ok"]);
        for word in ["tty", "terminal", "ioctl", "error", "warn"] {
            assert!(
                !out.stderr.to_lowercase().contains(word),
                "{mode:?}: {}",
                out.stderr
            );
        }
        // The application gets a process group of its own, in pidone's session.
        let p = common::start(mode, &["--", &example("sigecho")]);
        let ready = p.until("ready");
        let pid = p.pidone_pid();
        let field = |name: &str| -> i32 {
            let word = ready.split_whitespace().find_map(|w| w.strip_prefix(name));
            word.unwrap().parse().unwrap()
        };
        assert_eq!(field("pgid="), field("pid="), "{mode:?}: {ready}");
        assert_eq!(
            field("sid="),
            if mode == Mode::Pid1 {
                0
            } else {
                stat(pid).unwrap().session
            },
            "{mode:?}: {ready}"
        );
        p.signal(libc::SIGTERM);
        let out = p.wait();
        assert_eq!(out.code(), 0);
        assert_eq!(out.stderr, "");
    }
    // dumb-init's session mode with no terminal: TIOCNOTTY and TIOCSCTTY fail silently.
    let dumb = dumb_init();
    let mut cmd = Command::new(&dumb);
    cmd.args(["sh", "-c", "echo ok; exit 4"]);
    let out = common::spawn(Mode::Plain, cmd).wait();
    assert_eq!(out.code(), 4);
    assert_eq!(out.rest, vec!["ok"]);
    assert_eq!(out.stderr, "");
}

/// A terminal takes one writer at a time: pidone's non-blocking log write used to fail
/// (EAGAIN) whenever the application was writing at that moment, though the terminal had
/// room, and the line was lost. Here the application writes all the time; every log line
/// must still arrive.
#[test]
fn log_lines_survive_an_application_writing_at_the_same_time() {
    const SIGNALS: usize = 300;
    for layout in LAYOUTS {
        let mut t = Term::pidone(layout, &["-v", "--", &example("sigecho"), "--chatter"]);
        t.expect("ready");
        for _ in 0..SIGNALS {
            t.signal_pidone(libc::SIGUSR1);
            t.expect("got SIGUSR1");
        }
        t.signal_pidone(libc::SIGTERM);
        assert_eq!(t.wait(), 0, "{layout:?}");
        let screen = t.screen();
        let report = screen
            .lines()
            .find(|l| l.contains("exit code="))
            .unwrap_or_else(|| panic!("{layout:?}: no exit report"));
        assert!(report.contains("log_dropped=0"), "{layout:?}: {report}");
        assert_eq!(
            count(&screen, "forwarded signal=SIGUSR1"),
            SIGNALS,
            "{layout:?}: {report}"
        );
    }
}

/// A terminal stopped (as by Ctrl-S) takes nothing: pidone's log lines wait their short turn
/// and are dropped, and forwarding goes on meanwhile. The application writes to a file.
#[test]
fn a_stopped_terminal_never_holds_up_forwarding() {
    const SIGNALS: usize = 20;
    let dir = common::TempDir::new("terminal-stopped");
    let out = format!("{}/out", dir.0);
    let script = format!("exec {} > {out}", example("sigecho"));
    let mut t = Term::pidone(Layout::Docker, &["-v", "--", "sh", "-c", &script]);
    let read = || std::fs::read_to_string(&out).unwrap_or_default();
    wait_until("the application to start", || read().contains("ready"));
    t.flow(libc::TCOOFF);
    for n in 1..=SIGNALS {
        t.signal_pidone(libc::SIGUSR1);
        wait_until("the application to get the signal", || {
            count(&read(), "got SIGUSR1") == n
        });
    }
    let screen = t.screen();
    assert!(
        !screen.contains("forwarded signal=SIGUSR1"),
        "the terminal was not stopped:\n{screen}"
    );
    t.flow(libc::TCOON);
    t.signal_pidone(libc::SIGTERM);
    assert_eq!(t.wait(), 0, "{}", t.screen());
    let screen = t.screen();
    assert!(screen.contains("exit code=0"), "{screen}");
    assert!(!screen.contains("log_dropped=0"), "{screen}");
}
