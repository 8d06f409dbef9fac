//! pidone built for the other architectures it ships for (.cargo/config.toml names each
//! one's linker and flags; scripts/setup.sh installs them). A target whose rustup std is
//! not installed (rustup could not fetch it) is skipped loudly, even in CI: a missing
//! download never makes the suite red. Anything else missing (the linker, qemu-user) is a
//! Debian package setup.sh installs: skipped outside CI, a failure in CI.

use std::path::Path;
use std::process::Command;

/// A target pidone ships for besides the host's.
#[derive(Clone, Copy, Debug)]
pub struct Cross {
    /// The Rust target triple.
    pub triple: &'static str,
    /// The architecture as the release file names it (`pidone-VERSION-ARCH-linux-musl`).
    pub arch: &'static str,
    /// The linker .cargo/config.toml names for it.
    pub linker: &'static str,
    /// The binfmt_misc entry that runs its binaries here (under qemu-user); none for an
    /// architecture the x86_64 kernel runs itself.
    pub binfmt: Option<&'static str>,
}

/// Every other architecture pidone ships for; scripts/release.sh builds the same list.
pub const CROSS: &[Cross] = &[
    Cross {
        triple: "aarch64-unknown-linux-musl",
        arch: "aarch64",
        linker: "aarch64-linux-gnu-gcc",
        binfmt: Some("qemu-aarch64"),
    },
    Cross {
        triple: "i686-unknown-linux-musl",
        arch: "i686",
        linker: "i686-linux-gnu-gcc",
        binfmt: None,
    },
];

pub const AARCH64: Cross = CROSS[0];

/// Why a cross build or run cannot happen here.
#[derive(Clone, Debug)]
pub enum Missing {
    /// rustup could not fetch the target's std: never a failure.
    Download(String),
    /// A package scripts/setup.sh installs: a failure in CI.
    Tool(String),
}

impl Missing {
    /// Says it loudly, as `SKIP: TEST: ...`; panics instead in CI when a tool is missing.
    pub fn skip(&self, test: &str) {
        match self {
            Missing::Download(why) => eprintln!("SKIP: {test}: {why}"),
            Missing::Tool(why) if std::env::var_os("CI").is_some() => {
                panic!("{test}: {why} (CI is set: scripts/setup.sh installs it)")
            }
            Missing::Tool(why) => eprintln!("SKIP: {test}: {why}"),
        }
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Whether the active toolchain has the target's std (what `rustup target add` installs).
fn std_installed(triple: &str) -> bool {
    let out = Command::new("rustc").args(["--print", "sysroot"]).output();
    let Ok(out) = out else { return false };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(triple)
        .join("lib")
        .is_dir()
}

impl Cross {
    /// Whether this machine can build for the target.
    pub fn buildable(&self) -> Result<(), Missing> {
        if !std_installed(self.triple) {
            return Err(Missing::Download(format!(
                "{}: its rustup target is not installed (rustup could not fetch it): \
                 `rustup target add {}`",
                self.triple, self.triple
            )));
        }
        if !on_path(self.linker) {
            return Err(Missing::Tool(format!(
                "{}: its linker {} is missing",
                self.triple, self.linker
            )));
        }
        Ok(())
    }

    /// Whether this machine can run the target's binaries (binfmt_misc and qemu-user).
    pub fn runnable(&self) -> Result<(), Missing> {
        let Some(binfmt) = self.binfmt else {
            return Ok(());
        };
        let entry = format!("/proc/sys/fs/binfmt_misc/{binfmt}");
        match std::fs::read_to_string(&entry) {
            Ok(text) if text.starts_with("enabled") => Ok(()),
            _ => Err(Missing::Tool(format!(
                "{} binaries cannot run here: {entry} is not an enabled binfmt_misc entry \
                 (qemu-user-static, binfmt-support)",
                self.arch
            ))),
        }
    }

    /// The release binary for the target, built with the release profile into
    /// `target/cross` (or `target/unstripped`, without stripping, for its symbols).
    pub fn build(&self, stripped: bool) -> Result<String, Missing> {
        self.buildable()?;
        let root = crate::repo();
        let dir = format!(
            "{}/target/{}",
            root.display(),
            if stripped { "cross" } else { "unstripped" }
        );
        let status = Command::new(option_env!("CARGO").unwrap_or("cargo"))
            .args(["build", "--release", "--quiet", "--bin", "pidone"])
            .args(["--target", self.triple])
            .current_dir(root)
            .env(
                "CARGO_PROFILE_RELEASE_STRIP",
                if stripped { "true" } else { "false" },
            )
            .env("CARGO_TARGET_DIR", &dir)
            .status()
            .expect("run cargo");
        assert!(status.success(), "the {} build failed", self.triple);
        Ok(format!("{dir}/{}/release/pidone", self.triple))
    }
}
