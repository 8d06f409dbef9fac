//! Following a container's output (`docker logs -f`, `podman logs -f`): every line it
//! writes, stdout and stderr, as it comes, with waits that fail the test instead of hanging.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub struct ContainerLog {
    lines: Receiver<String>,
    pub seen: Vec<String>,
    follower: Child,
    /// How long one wait may take before the test fails.
    patience: Duration,
}

impl ContainerLog {
    /// Starts `logs` (a `logs -f NAME` command of some engine) and collects its lines.
    pub fn follow(mut logs: Command, patience: Duration) -> ContainerLog {
        let mut follower = logs
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start logs -f");
        let (tx, rx) = mpsc::channel();
        let out = follower.stdout.take().expect("stdout");
        let err = follower.stderr.take().expect("stderr");
        for stream in [Box::new(out) as Box<dyn Read + Send>, Box::new(err)] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        ContainerLog {
            lines: rx,
            seen: Vec::new(),
            follower,
            patience,
        }
    }

    /// The next line containing `want`; fails the test after the patience or if the log
    /// ends.
    pub fn wait_for(&mut self, want: &str) -> String {
        let deadline = Instant::now() + self.patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(want) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "no line with {want:?} after {:?}; output: {:#?}",
                    self.patience, self.seen
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "container output ended without {want:?}; output: {:#?}",
                    self.seen
                ),
            }
        }
    }

    /// Every line up to the end of the log (the container has exited).
    pub fn all(&mut self) -> Vec<String> {
        let deadline = Instant::now() + self.patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(RecvTimeoutError::Disconnected) => return self.seen.clone(),
                Err(RecvTimeoutError::Timeout) => panic!(
                    "the log did not end within {:?}: {:#?}",
                    self.patience, self.seen
                ),
            }
        }
    }

    /// The followed command's own exit status, once its output has ended: for a runtime's
    /// foreground `run`, the container's. Fails the test if it does not exit in time.
    pub fn status(&mut self) -> ExitStatus {
        self.all();
        let deadline = Instant::now() + self.patience;
        loop {
            match self.follower.try_wait() {
                Ok(Some(status)) => return status,
                _ if Instant::now() > deadline => panic!(
                    "the command did not exit within {:?} of its output's end: {:#?}",
                    self.patience, self.seen
                ),
                // Its output has ended: the exit follows at once.
                _ => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }

    /// The lines so far without waiting (the container is still running).
    pub fn so_far(&mut self) -> Vec<String> {
        self.seen.extend(self.lines.try_iter());
        self.seen.clone()
    }
}

impl Drop for ContainerLog {
    fn drop(&mut self) {
        let _ = self.follower.kill();
        let _ = self.follower.wait();
    }
}
