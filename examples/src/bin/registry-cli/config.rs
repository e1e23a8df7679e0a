//! Where the command line keeps its token: a small JSON file that only
//! its owner can read (`~/.latchkey-registry.json`, or `--config FILE`).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

/// The saved sign-in.
#[derive(Serialize, Deserialize)]
pub struct Saved {
    /// The registry it is for.
    pub registry: String,
    /// The user it signed in as.
    pub username: Option<String>,
    /// The bearer token.
    pub token: String,
}

impl Drop for Saved {
    fn drop(&mut self) {
        self.token.zeroize();
    }
}

impl std::fmt::Debug for Saved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Saved")
            .field("registry", &self.registry)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The default file: `~/.latchkey-registry.json`.
pub fn default_path() -> PathBuf {
    std::env::var_os("HOME")
        .map_or_else(|| PathBuf::from("."), PathBuf::from)
        .join(".latchkey-registry.json")
}

/// Reads the saved sign-in; `Ok(None)` when there is none.
pub fn load(path: &Path) -> Result<Option<Saved>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{} is not a registry-cli file: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes the sign-in, readable by its owner only: to a new file beside
/// it, then renamed over the old one (never half-written).
pub fn save(path: &Path, saved: &Saved) -> Result<(), String> {
    let text = Zeroizing::new(
        serde_json::to_vec_pretty(saved).map_err(|e| format!("cannot write the token: {e}"))?,
    );
    let temporary = path.with_extension("json.tmp");
    let _ = std::fs::remove_file(&temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let failed = |e: std::io::Error| format!("cannot write {}: {e}", temporary.display());
    let mut file = options.open(&temporary).map_err(failed)?;
    file.write_all(&text).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Forgets the sign-in; whether there was one.
pub fn remove(path: &Path) -> Result<bool, String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("cannot remove {}: {e}", path.display())),
    }
}
