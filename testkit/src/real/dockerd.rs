//! A second Docker daemon owned by the test, with its own init-path, as real-world.md
//! describes it: its own socket, data root, exec root and pidfile in a temporary
//! directory; a bridge of its own, created before it starts and deleted after it stops
//! (never `--bridge none`, which deletes the host's docker0); the main daemon's storage
//! driver; and a `--config-file` of its own (see config.rs). It is started once per test
//! binary, stopped by SIGTERM to its pid when the binary exits, and gets SIGTERM from the
//! kernel if the binary dies first.

use super::{
    COMMAND, Engine, at_exit, config, must, remove_tree, run_alive, run_args, run_id, say,
    start_daemon,
};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which init a test daemon is given.
pub enum Init<'a> {
    /// Install this file as docker-init under the daemon's directory, as a user would
    /// under `/` (config::DOCKER_INIT).
    Install(&'a Path),
    /// Use this file where it is (Debian's tini-static).
    Use(&'a str),
}

pub struct Dockerd {
    pub dir: PathBuf,
    pub engine: Engine,
    /// The host file the daemon's init-path names.
    pub init_path: PathBuf,
    pub socket: String,
}

/// Starts a daemon; `role` (one letter) tells the daemons of one run apart.
pub fn start(role: char, init: Init) -> Result<Dockerd, String> {
    remove_stale();
    let run = run_id();
    let dir = PathBuf::from(format!("/tmp/engines-{run}-{role}"));
    let bridge = format!("engines-{run}{role}");
    if bridge.len() > 15 {
        return Err(format!("bridge name {bridge} is longer than 15 bytes"));
    }
    fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let dir_for_exit = dir.clone();
    at_exit(move || remove_tree(&dir_for_exit));

    let init_path = match init {
        Init::Install(source) => {
            let dest = format!("{}{}", dir.join("host").display(), config::DOCKER_INIT);
            let source = source.to_string_lossy();
            must("install", &config::install_args(&source, &dest))?;
            PathBuf::from(dest)
        }
        Init::Use(path) => PathBuf::from(path),
    };

    let storage_driver = must("docker", &["info", "-f", "{{.Driver}}"])?;
    must("ip", &["link", "add", "name", &bridge, "type", "bridge"])?;
    let bridge_for_exit = bridge.clone();
    at_exit(move || {
        let out = run_args("ip", &["link", "del", &bridge_for_exit], COMMAND);
        if !out.ok() {
            say(&format!(
                "LEFT BEHIND: bridge {bridge_for_exit}: {}",
                out.stderr.trim()
            ));
        }
    });
    must("ip", &["link", "set", &bridge, "up"])?;

    let iso = config::Isolation {
        dir: &dir,
        bridge: &bridge,
        storage_driver: &storage_driver,
    };
    let config_file = dir.join("daemon.json");
    let json = config::daemon_json(&init_path.to_string_lossy(), &iso);
    fs::write(&config_file, &json).map_err(|e| format!("write {}: {e}", config_file.display()))?;

    let socket = format!("unix://{}/docker.sock", dir.display());
    let engine = Engine::docker(Some(&socket));
    let mut cmd = Command::new("dockerd");
    cmd.arg("--config-file").arg(&config_file);
    start_daemon(
        cmd,
        &format!("dockerd of {}", dir.display()),
        &dir.join("dockerd.log"),
        || engine.try_run(&["info", "-f", "{{.ServerVersion}}"]),
    )?;
    say(&format!(
        "dockerd started: {} with {}\n{json}",
        socket,
        config_file.display()
    ));
    Ok(Dockerd {
        dir,
        engine,
        init_path,
        socket,
    })
}

/// What runs killed before their exit hooks left: bridges and directories named
/// `engines-PID...` whose PID is dead. Never anything of a live run.
fn remove_stale() {
    let links = run_args("ip", &["-o", "link", "show", "type", "bridge"], COMMAND);
    for line in links.stdout.lines() {
        let Some(name) = line.split(':').nth(1).map(str::trim) else {
            continue;
        };
        let Some(rest) = name.strip_prefix("engines-") else {
            continue;
        };
        let pid = &rest[..rest.len().saturating_sub(1)];
        if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_hexdigit()) && !run_alive(pid) {
            say(&format!("removing bridge {name} of a dead test run"));
            let _ = run_args("ip", &["link", "del", name], COMMAND);
        }
    }
    let Ok(entries) = fs::read_dir("/tmp") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("engines-") else {
            continue;
        };
        let Some((pid, _)) = rest.split_once('-') else {
            continue;
        };
        if pid.bytes().all(|b| b.is_ascii_hexdigit()) && !run_alive(pid) {
            say(&format!(
                "removing {} of a dead test run",
                entry.path().display()
            ));
            remove_tree(&entry.path());
        }
    }
}
