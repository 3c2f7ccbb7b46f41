//! Atomic file writes with explicit permissions.

use super::PkiError;
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of private keys and of the identity's files.
pub const PRIVATE: u32 = 0o600;
/// Mode of public files (trusted certificates, issued certificates).
pub const PUBLIC: u32 = 0o644;

/// Creates `dir` and its parents; a directory created here gets mode 0700.
pub fn create_dir(dir: &Path) -> Result<(), PkiError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| PkiError::io("create directory", dir, e))
}

/// Writes `bytes` to `path` atomically: a temporary file with `mode` in the same directory,
/// flushed to disk, then renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), PkiError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        // The mode given to open() is masked by the umask; set it exactly.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(PkiError::io("write", path, e));
    }
    Ok(())
}

/// Writes a new file, refusing to replace an existing one.
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), PkiError> {
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)?;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    result.map_err(|e| PkiError::io("create", path, e))
}

/// Reads a file to a string.
pub(crate) fn read_string(path: &Path) -> Result<String, PkiError> {
    fs::read_to_string(path).map_err(|e| PkiError::io("read", path, e))
}
