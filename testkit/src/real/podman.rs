//! Podman, rootful, with everything of its own in a temporary directory: `--root`,
//! `--runroot` and `--tmpdir`, and a `CONTAINERS_CONF` (see config.rs) that names pidone
//! as the init and sets the ulimits this machine can give. Every container runs with
//! `--network none`, and every command names its OCI runtime (`--runtime runc`): with crun
//! installed podman prefers it, and crun refuses this machine's hybrid cgroups ("cgroups in
//! hybrid mode not supported"), so every podman test would fail. What the test made goes
//! when the test binary exits.

use super::{Engine, at_exit, config, must, remove_tree, run_id};
use std::fs;
use std::path::{Path, PathBuf};

/// The OCI runtime every podman command of the tests uses, named rather than left to
/// podman's preference (crun when it is installed).
const RUNTIME: &str = "runc";

pub struct Podman {
    pub dir: PathBuf,
    pub engine: Engine,
    /// The host file containers.conf's init_path names (pidone, installed).
    pub init_path: PathBuf,
    pub version: String,
}

pub fn start(pidone: &Path) -> Result<Podman, String> {
    let dir = PathBuf::from(format!("/tmp/engines-{}-podman", run_id()));
    fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let dest = format!("{}{}", dir.join("host").display(), config::PODMAN_INIT);
    must(
        "install",
        &config::install_args(&pidone.to_string_lossy(), &dest),
    )?;
    let conf = dir.join("containers.conf");
    let text = config::containers_conf(&dest, &dir);
    fs::write(&conf, &text).map_err(|e| format!("write {}: {e}", conf.display()))?;
    let d = dir.display();
    let global = vec![
        "--runtime".to_string(),
        RUNTIME.to_string(),
        "--root".to_string(),
        format!("{d}/storage"),
        "--runroot".to_string(),
        format!("{d}/run"),
        "--tmpdir".to_string(),
        format!("{d}/tmp"),
    ];
    let env = vec![(
        "CONTAINERS_CONF".to_string(),
        conf.to_string_lossy().into_owned(),
    )];
    let engine = Engine::podman(global, env);

    let cleanup = engine.clone();
    let dir_for_exit = dir.clone();
    at_exit(move || {
        // The guards removed the containers and pods; this catches what a panic left.
        let _ = cleanup.try_run(&["pod", "rm", "-a", "-f"]);
        let _ = cleanup.try_run(&["rm", "-a", "-f"]);
        let _ = cleanup.try_run(&["rmi", "-a", "-f"]);
        remove_tree(&dir_for_exit);
    });

    let info = engine.try_run(&["info", "-f", "{{.Version.Version}}"]);
    if !info.ok() {
        return Err(format!("podman info failed: {}", info.stderr.trim()));
    }
    super::say(&format!(
        "podman {} with CONTAINERS_CONF={}:\n{text}",
        info.stdout.trim(),
        conf.display()
    ));
    Ok(Podman {
        dir,
        engine,
        init_path: PathBuf::from(dest),
        version: info.stdout.trim().to_string(),
    })
}
