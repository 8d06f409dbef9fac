//! The signals a process sends, as the kernel ran its system calls (strace), for counts that
//! must be exact for ordinary signals too: a second kill() of a signal the receiver has not
//! taken yet merges into the pending one, so the receiver's own record cannot show it.

use super::HANG;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::channel;
use std::time::Instant;

/// strace attached to one process, tracing only the system calls that send signals.
pub struct SignalTrace {
    /// None once detached.
    strace: Option<Child>,
    file: String,
    pid: i32,
}

impl SignalTrace {
    /// Attaches to `pid` and returns once every signal it sends from now on is traced.
    pub fn attach(pid: i32) -> SignalTrace {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let file = std::env::temp_dir()
            .join(format!("pidone-trace-{}-{n}", std::process::id()))
            .to_string_lossy()
            .into_owned();
        // -X raw: signals as numbers, as the tests name them.
        let mut strace = Command::new("strace")
            .args(["-X", "raw", "-e", "signal=none", "-o", &file, "-p"])
            .arg(pid.to_string())
            .args([
                "-e",
                "trace=kill,tkill,tgkill,rt_sigqueueinfo,rt_tgsigqueueinfo,pidfd_send_signal",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("strace is missing: scripts/setup.sh installs it");
        // strace says "Process PID attached" after PTRACE_SEIZE and PTRACE_INTERRUPT: from
        // then on the tracee makes no system call that strace does not see.
        let mut err = strace.stderr.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let mut buf = [0u8; 256];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                text.push_str(&String::from_utf8_lossy(&buf[..n]));
                if tx.send(text.clone()).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + HANG;
        let mut said = String::new();
        while !said.contains("attached") {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(text) => said = text,
                Err(_) => panic!("strace did not attach to {pid} within {HANG:?}: {said}"),
            }
        }
        SignalTrace {
            strace: Some(strace),
            file,
            pid,
        }
    }

    /// As `finish`, once at least `expected` sends are in the trace (or the hang bound has
    /// passed): the receiver can see a signal before strace has written the kill() that
    /// sent it, and detaching then would lose that line.
    pub fn finish_after(self, expected: usize) -> Vec<(i32, i32)> {
        let deadline = Instant::now() + HANG;
        while Instant::now() < deadline {
            let text = std::fs::read_to_string(&self.file).unwrap_or_default();
            if text
                .lines()
                .filter(|l| l.trim_end().ends_with("= 0"))
                .count()
                >= expected
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        self.finish()
    }

    /// Detaches and returns every signal sent while attached, as (target, signal), in order.
    pub fn finish(mut self) -> Vec<(i32, i32)> {
        let mut strace = self.strace.take().expect("attached");
        // SAFETY: kill has no memory effects; strace is our unreaped child.
        unsafe { libc::kill(strace.id() as i32, libc::SIGINT) };
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let _ = tx.send(strace.wait());
        });
        if rx.recv_timeout(HANG).is_err() {
            panic!("strace did not detach from {} within {HANG:?}", self.pid);
        }
        let text = std::fs::read_to_string(&self.file).unwrap_or_default();
        let _ = std::fs::remove_file(&self.file);
        // `kill(-2, 1) = 0`; a failed call (`= -1 ESRCH ...`) sent nothing.
        text.lines()
            .filter(|l| l.trim_end().ends_with("= 0"))
            .filter_map(|l| {
                let (call, rest) = l.split_once('(')?;
                let args: Vec<i32> = rest
                    .split_once(')')?
                    .0
                    .split(", ")
                    .map_while(|a| a.trim().parse().ok())
                    .collect();
                // tgkill(tgid, tid, sig); the others (pid, sig, ...).
                match call {
                    "tgkill" => Some((*args.first()?, *args.get(2)?)),
                    _ => Some((*args.first()?, *args.get(1)?)),
                }
            })
            .collect()
    }
}

impl Drop for SignalTrace {
    fn drop(&mut self) {
        if let Some(mut strace) = self.strace.take() {
            let _ = strace.kill();
            let _ = strace.wait();
        }
    }
}
