//! A containerd owned by the test, as real-world.md describes it: its own root, state,
//! socket and config file in a temporary directory (never the main daemon's), the CRI
//! plugin off, driven with `ctr --address SOCK --namespace engines-RUN` (containerd makes
//! a cgroup of that name in every hierarchy; it goes at the end). It is started once per test binary,
//! stopped by SIGTERM when the binary exits, and gets SIGTERM from the kernel if the binary
//! dies first.

use super::{COMMAND, Output, at_exit, remove_tree, run, run_id, start_daemon};
use std::fs;
use std::path::PathBuf;
use std::process::Command;

pub struct Containerd {
    socket: String,
    /// The containerd namespace of this run, also the name of its parent cgroup.
    namespace: String,
    pub version: String,
}

impl Containerd {
    /// `ctr --address SOCK ARGS`.
    pub fn ctr(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("ctr");
        cmd.args(["--address", &self.socket, "--namespace", &self.namespace])
            .args(args);
        cmd
    }

    pub fn try_ctr(&self, args: &[&str]) -> Output {
        run(self.ctr(args), COMMAND)
    }
}

/// The config file: everything under `dir`, and no CRI plugin (it would look for CNI).
fn config_toml(dir: &str) -> String {
    format!(
        r#"version = 2
root = "{dir}/root"
state = "{dir}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{dir}/containerd.sock"

[ttrpc]
  address = "{dir}/containerd.sock.ttrpc"

[debug]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{dir}/opt"
"#
    )
}

pub fn start() -> Result<Containerd, String> {
    let dir = PathBuf::from(format!("/tmp/engines-{}-containerd", run_id()));
    fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let dir_for_exit = dir.clone();
    at_exit(move || remove_tree(&dir_for_exit));
    let d = dir.to_string_lossy().into_owned();
    let config = dir.join("config.toml");
    fs::write(&config, config_toml(&d)).map_err(|e| format!("write {}: {e}", config.display()))?;
    let namespace = format!("engines-{}", run_id());
    let cgroup = namespace.clone();
    // Runs after containerd has stopped (hooks run last registered first): the namespace's
    // cgroups are empty then, and rmdir removes nothing else.
    at_exit(move || {
        let hierarchies = fs::read_dir("/sys/fs/cgroup")
            .into_iter()
            .flatten()
            .flatten();
        for h in hierarchies {
            let _ = fs::remove_dir(h.path().join(&cgroup));
        }
    });
    let mut c = Containerd {
        namespace,
        socket: format!("{d}/containerd.sock"),
        version: String::new(),
    };
    let mut cmd = Command::new("containerd");
    cmd.arg("--config").arg(&config);
    start_daemon(
        cmd,
        &format!("containerd of {d}"),
        &dir.join("containerd.log"),
        || c.try_ctr(&["version"]),
    )?;
    let version = c.try_ctr(&["version"]);
    c.version = version
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Server:"))
        .find_map(|l| l.trim().strip_prefix("Version:"))
        .unwrap_or("")
        .trim()
        .to_string();
    Ok(c)
}
