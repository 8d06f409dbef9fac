//! Root file systems the real-engine tests make themselves (there is no registry): Debian's
//! static busybox with every applet linked, the files a test adds (fixtures, pidone, the
//! other inits), and the directories a runtime mounts over. Engines import the tar of it;
//! low-level runtimes (runc, crun, containerd's `ctr --rootfs`) run the directory.

use super::{at_exit, must, remove_tree, run_args, run_id};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

const BUSYBOX: &str = "/bin/busybox";

/// A root file system under `/tmp/engines-RUN-WHAT/root`, removed when the test binary
/// exits: busybox as `/bin/*`, each `(name, host file)` of `files` copied to `/name`
/// (mode 0755), and empty `/tmp`, `/proc`, `/dev` and `/sys`.
pub fn build(what: &str, files: &[(&str, PathBuf)]) -> Result<PathBuf, String> {
    let dir = PathBuf::from(format!("/tmp/engines-{}-{what}", run_id()));
    let root = dir.join("root");
    at_exit(move || remove_tree(&dir));
    let bin = root.join("bin");
    fs::create_dir_all(&bin).map_err(|e| e.to_string())?;
    if !Path::new(BUSYBOX).exists() {
        return Err(format!(
            "{BUSYBOX} is missing: apt-get install busybox-static"
        ));
    }
    fs::copy(BUSYBOX, bin.join("busybox")).map_err(|e| e.to_string())?;
    let applets = run_args(BUSYBOX, &["--list"], Duration::from_secs(10));
    for applet in applets
        .stdout
        .lines()
        .filter(|a| !a.is_empty() && *a != "busybox")
    {
        std::os::unix::fs::symlink("busybox", bin.join(applet)).map_err(|e| e.to_string())?;
    }
    for (name, source) in files {
        let dest = root.join(name);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        fs::copy(source, &dest).map_err(|e| format!("copy {}: {e}", source.display()))?;
        fs::set_permissions(&dest, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
    }
    for empty in ["tmp", "proc", "dev", "sys"] {
        fs::create_dir_all(root.join(empty)).map_err(|e| e.to_string())?;
    }
    fs::set_permissions(root.join("tmp"), fs::Permissions::from_mode(0o1777))
        .map_err(|e| e.to_string())?;
    Ok(root)
}

/// `root` as a tar next to it (`ROOT/../NAME.tar`), for `docker import` and `podman import`.
pub fn tar(root: &Path, name: &str) -> Result<PathBuf, String> {
    let tar = root
        .parent()
        .ok_or("the root file system has no parent")?
        .join(format!("{name}.tar"));
    let (root_s, tar_s) = (root.to_string_lossy(), tar.to_string_lossy());
    must("tar", &["-C", &root_s, "-cf", &tar_s, "."])?;
    Ok(tar)
}
