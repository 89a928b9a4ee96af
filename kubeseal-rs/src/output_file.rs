//! Replacing an output file (`-w`, `--merge-into`, `reencrypt-dir`) all at once: the contents go
//! to a new temporary file in the same directory, opened with `O_CREAT|O_EXCL` under an
//! unpredictable name (so a planted file or symlink is never followed or reused), synced, given
//! its final mode, then renamed over the target.

use std::fs::{File, OpenOptions, Permissions};
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The permissions the replaced file gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 0600 whatever existed before: the contents are plaintext (`--recovery-unseal`).
    Private,
    /// The existing file's mode, or 0644 for a new file.
    KeepOrPublic,
}

/// How many unpredictable names are tried before giving up.
const ATTEMPTS: usize = 16;

/// An unpredictable temporary name next to `path`: `.<file>.<random>.partial`.
fn temp_path(path: &Path) -> std::io::Result<PathBuf> {
    let name =
        path.file_name().ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "invalid file name"))?;
    // std's RandomState is seeded from the OS RNG once per process and advanced for each new
    // state, so every call gives a fresh 64-bit value.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(format!(".{:016x}.partial", hasher.finish()));
    Ok(path.with_file_name(temp))
}

/// Creates the temporary file; only a name that did not exist is accepted.
fn create_temp(path: &Path) -> std::io::Result<(PathBuf, File)> {
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let temp = temp_path(path)?;
        match OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temporary file name available")))
}

/// Replaces `path` with `contents` (see the module documentation).
pub fn replace(path: &Path, contents: &[u8], mode: Mode) -> std::io::Result<()> {
    let final_mode = match mode {
        Mode::Private => 0o600,
        Mode::KeepOrPublic => match std::fs::metadata(path) {
            Ok(meta) => meta.permissions().mode() & 0o7777,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0o644,
            Err(e) => return Err(e),
        },
    };
    let (temp, mut file) = create_temp(path)?;
    let result = file
        .write_all(contents)
        .and_then(|()| file.sync_all())
        .and_then(|()| file.set_permissions(Permissions::from_mode(final_mode)))
        .and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        // Only the file created above: the name was new, so it cannot be anyone else's.
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kubeseal-output-file-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn mode_of(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn private_output_is_0600_even_over_a_public_file() {
        let dir = scratch("private");
        let path = dir.join("out.yaml");
        replace(&path, b"one", Mode::Private).unwrap();
        assert_eq!(mode_of(&path), 0o600);
        std::fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        replace(&path, b"two", Mode::Private).unwrap();
        assert_eq!((mode_of(&path), std::fs::read(&path).unwrap()), (0o600, b"two".to_vec()));
    }

    #[test]
    fn an_existing_mode_is_kept_and_a_new_file_is_0644() {
        let dir = scratch("keep");
        let path = dir.join("out.yaml");
        replace(&path, b"one", Mode::KeepOrPublic).unwrap();
        assert_eq!(mode_of(&path), 0o644);
        std::fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
        replace(&path, b"two", Mode::KeepOrPublic).unwrap();
        assert_eq!(mode_of(&path), 0o640);
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["out.yaml"], "no temporary file is left behind");
    }

    #[test]
    fn temporary_names_are_unpredictable_and_never_reused() {
        let dir = scratch("names");
        let path = dir.join("out.yaml");
        let (a, b) = (temp_path(&path).unwrap(), temp_path(&path).unwrap());
        assert_ne!(a, b);
        // The old predictable name, planted as a symlink, is neither followed nor replaced.
        let victim = dir.join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let planted = dir.join(format!(".out.yaml.{}.partial", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        replace(&path, b"new", Mode::KeepOrPublic).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert!(std::fs::symlink_metadata(&planted).unwrap().file_type().is_symlink());
    }
}
