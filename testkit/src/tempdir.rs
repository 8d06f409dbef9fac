//! A fresh directory for the files a test needs, removed when it goes out of scope.

use std::os::unix::fs::PermissionsExt;

pub struct TempDir(pub String);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("pidone-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        TempDir(dir.to_string_lossy().into_owned())
    }

    pub fn path(&self, name: &str) -> String {
        format!("{}/{name}", self.0)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
