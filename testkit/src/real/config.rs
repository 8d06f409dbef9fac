//! THE ENGINE CONFIGURATION THE TESTS USE, IN ONE PLACE. docs/install.md tells users the
//! same steps. Each piece is marked:
//!
//! - USER: what a user writes on a real host. The tests do exactly this, under a
//!   temporary directory instead of `/`.
//! - TEST ONLY: what the tests add so that a second Docker daemon, or podman, keeps its
//!   state, socket, network and logs away from the machine's own. Not for users.
//!
//! Docker (`docker run --init`, Compose `init: true`):
//!   1. USER: `install -D -m 0755 pidone /usr/local/lib/pidone/docker-init`. The name
//!      must be `docker-init` (or `tini`): the daemon runs `INIT-PATH --version` and parses
//!      tini's `tini version X - git.Y`, which pidone prints only under those names.
//!   2. USER: `/etc/docker/daemon.json` gets `"init-path"` (`DAEMON_JSON_USER`); restart
//!      the daemon. The tests pass their file with `dockerd --config-file` (`daemon_json`).
//!   3. Containers then run `/sbin/docker-init -- CMD` (a read-only bind mount of that
//!      file) for `docker run --init` and for Compose's `init: true` ([`compose_yaml`]).
//!
//! Podman (`podman run --init`):
//!   1. USER: `install -D -m 0755 pidone /usr/local/bin/pidone` (any name: podman mounts
//!      it as `/run/podman-init`, a name pidone takes as catatonit's).
//!   2. USER: `init_path` in containers.conf (`/etc/containers/containers.conf`, or the
//!      file `CONTAINERS_CONF` names, as in the tests) (`containers_conf`).
//!
//! Rolling back: remove `init-path` / `init_path` and restart the daemon; Docker then uses
//! its own docker-init (tini) again, podman its catatonit.

use std::path::Path;

/// USER: where pidone is installed as Docker's init.
pub(super) const DOCKER_INIT: &str = "/usr/local/lib/pidone/docker-init";

/// USER: where pidone is installed as podman's init.
pub(super) const PODMAN_INIT: &str = "/usr/local/bin/pidone";

/// Debian's tini-static (package tini): the init the tests compare pidone against, set up
/// the same way (`init-path`). Debian's docker.io ships it as /usr/bin/docker-init.
pub const TINI_STATIC: &str = "/usr/bin/tini-static";

/// Podman's stock init (Debian's catatonit, linked there by the catatonit package).
pub const CATATONIT: &str = "/usr/libexec/podman/catatonit";

/// USER: the install step, as `install ARGS`: `install -D -m 0755 SOURCE DEST`.
pub(super) fn install_args<'a>(source: &'a str, dest: &'a str) -> [&'a str; 5] {
    ["-D", "-m", "0755", source, dest]
}

/// USER: `/etc/docker/daemon.json`. `"init": true` would also make `--init` the default
/// for every container; the tests leave it out, so that Compose's `init: true` is what
/// puts pidone in front of the app.
const DAEMON_JSON_USER: &str = r#"{
  "init-path": "/usr/local/lib/pidone/docker-init"
}"#;

/// TEST ONLY: where a test daemon keeps everything, and what it uses.
pub(super) struct Isolation<'a> {
    /// The daemon's directory: socket, data root, exec root and pidfile go below it.
    pub(super) dir: &'a Path,
    /// A bridge the test created (`ip link add NAME type bridge`) and deletes at the end.
    /// Never `"bridge": "none"`: a dockerd started with it deletes the host's docker0.
    pub(super) bridge: &'a str,
    /// The main daemon's storage driver (`docker info -f '{{.Driver}}'`).
    pub(super) storage_driver: &'a str,
}

/// The `--config-file` of a test daemon: the USER keys of [`DAEMON_JSON_USER`], with
/// `init-path` set to `init_path` (the same file under the test's directory, or
/// tini-static), plus the TEST ONLY keys. The machine's /etc/docker/daemon.json is not
/// read: it names the main daemon's data root.
pub(super) fn daemon_json(init_path: &str, iso: &Isolation) -> String {
    let mut config: serde_json::Value =
        serde_json::from_str(DAEMON_JSON_USER).expect("DAEMON_JSON_USER is JSON");
    let dir = iso.dir.to_string_lossy();
    let test_only = serde_json::json!({
        // USER's key, pointed at this test's copy.
        "init-path": init_path,
        // TEST ONLY: its own socket, state and pidfile, away from the main daemon's.
        "hosts": [format!("unix://{dir}/docker.sock")],
        "data-root": format!("{dir}/data"),
        "exec-root": format!("{dir}/exec"),
        "pidfile": format!("{dir}/docker.pid"),
        // TEST ONLY: its own bridge, and no firewall or proxy changes on the host (the
        // containers run with --network none anyway).
        "bridge": iso.bridge,
        "iptables": false,
        "ip-masq": false,
        "ip6tables": false,
        "userland-proxy": false,
        // TEST ONLY: what works on this machine's file system (fuse-overlayfs here).
        "storage-driver": iso.storage_driver,
    });
    if let (Some(config), Some(extra)) = (config.as_object_mut(), test_only.as_object()) {
        for (k, v) in extra {
            config.insert(k.clone(), v.clone());
        }
    }
    serde_json::to_string_pretty(&config).expect("JSON")
}

/// USER: the containers.conf lines for podman.
const CONTAINERS_CONF_USER: &str = r#"[containers]
# `podman run --init` mounts this file read-only as /run/podman-init and runs
# `/run/podman-init -- CMD`.
init_path = "/usr/local/bin/pidone"
"#;

/// The file `CONTAINERS_CONF` names in the tests: [`CONTAINERS_CONF_USER`] with
/// `init_path` set to `init_path`, plus TEST ONLY settings.
pub(super) fn containers_conf(init_path: &str, dir: &Path) -> String {
    let dir = dir.to_string_lossy();
    let user = CONTAINERS_CONF_USER.replace(PODMAN_INIT, init_path);
    format!(
        r#"{user}
# TEST ONLY: this machine cannot raise the nofile and nproc limits (no CAP_SYS_RESOURCE,
# a hard nofile limit of 20000); podman's defaults fail with "error setting rlimit".
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
# TEST ONLY: container logs in files of their own (for `podman logs -f`), not the journal.
log_driver = "k8s-file"

[engine]
# TEST ONLY: podman's events in the test's directory, not in the machine's journal.
events_logger = "file"
events_logfile_path = "{dir}/events.log"

[network]
# TEST ONLY: network configuration under the test's directory. The containers run with
# --network none: the default network would add a bridge and firewall rules.
network_config_dir = "{dir}/net"
"#
    )
}

/// USER: a Compose service whose image has no init: `init: true` runs the daemon's
/// init-path (pidone) as PID 1.
const COMPOSE_USER: &str = "services:
  app:
    image: IMAGE
    init: true
";

/// The compose file of the test: `COMPOSE_USER` for `image`, plus `command` and the
/// TEST ONLY `network_mode: none` (no network of the project is created, so no bridge).
pub fn compose_yaml(image: &str, command: &[&str]) -> String {
    let command: Vec<String> = command.iter().map(|c| format!("{c:?}")).collect();
    format!(
        "{}    command: [{}]\n    # TEST ONLY\n    network_mode: none\n",
        COMPOSE_USER.replace("IMAGE", image),
        command.join(", ")
    )
}
