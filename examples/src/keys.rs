//! The site's keys: the pepper and the 2FA encryption key, from the
//! environment (hex) when set, else from a key file beside the database
//! (created on the first run, mode 0600), so a restart keeps every code,
//! device token and authenticator working. The keys are never printed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use data_encoding::HEXLOWER_PERMISSIVE;
use latchkey::Keys;
use latchkey::core::{EncryptionKey, KeyId, Pepper, random};
use zeroize::Zeroizing;

/// The environment variable holding the pepper (hex, 14 to 64 bytes).
pub const PEPPER_VAR: &str = "LATCHKEY_EXAMPLE_PEPPER";
/// The environment variable holding the encryption key (hex, 32 bytes).
pub const ENCRYPTION_KEY_VAR: &str = "LATCHKEY_EXAMPLE_ENCRYPTION_KEY";
/// The id of the encryption key (kept beside each sealed 2FA secret).
const KEY_ID: &str = "web-1";

/// The keys, and a sentence saying where they came from.
pub fn load(key_file: &Path) -> Result<(Keys, String), String> {
    let pepper_env = std::env::var(PEPPER_VAR).ok();
    let key_env = std::env::var(ENCRYPTION_KEY_VAR).ok();
    let mut file_note = String::new();
    let file = if pepper_env.is_some() && key_env.is_some() {
        None
    } else {
        let (file, created) = KeyFile::open_or_create(key_file)?;
        file_note = format!(
            "{} ({})",
            key_file.display(),
            if created {
                "created now, mode 0600"
            } else {
                "kept from an earlier run"
            }
        );
        Some(file)
    };
    let from = |var: &str, env: &Option<String>| {
        if env.is_some() {
            var.to_owned()
        } else {
            file_note.clone()
        }
    };
    let pepper_hex = match (&pepper_env, &file) {
        (Some(hex), _) => Hex::new(hex),
        (None, Some(file)) => Hex::new(&file.pepper),
        (None, None) => unreachable!("the file is read when a variable is unset"),
    };
    let key_hex = match (&key_env, &file) {
        (Some(hex), _) => Hex::new(hex),
        (None, Some(file)) => Hex::new(&file.encryption_key),
        (None, None) => unreachable!("the file is read when a variable is unset"),
    };
    let pepper = Pepper::from_bytes(&pepper_hex.decode("the pepper")?)
        .map_err(|e| format!("the pepper: {e}"))?;
    let key: [u8; 32] = key_hex
        .decode("the encryption key")?
        .as_slice()
        .try_into()
        .map_err(|_| "the encryption key must be 32 bytes (64 hex digits)".to_owned())?;
    let key_id = KeyId::new(KEY_ID).map_err(|e| e.to_string())?;
    let keys = Keys::new(pepper).with_encryption_key(EncryptionKey::new(key_id, key));
    let note = match (&pepper_env, &key_env) {
        (None, None) => format!("pepper and encryption key from {file_note}"),
        _ => format!(
            "pepper from {}, encryption key from {}",
            from(PEPPER_VAR, &pepper_env),
            from(ENCRYPTION_KEY_VAR, &key_env)
        ),
    };
    Ok((keys, note))
}

/// Where the key file goes: beside a SQLite database file, else in the
/// current directory.
pub fn key_file_for(database_url: &str) -> PathBuf {
    let file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|f| !f.is_empty() && *f != ":memory:");
    match file {
        Some(file) => PathBuf::from(format!("{file}.keys")),
        None => PathBuf::from("latchkey-web.keys"),
    }
}

/// The key file's two lines, as hex (wiped when dropped).
struct KeyFile {
    pepper: Zeroizing<String>,
    encryption_key: Zeroizing<String>,
}

impl KeyFile {
    fn open_or_create(path: &Path) -> Result<(Self, bool), String> {
        match fs::read_to_string(path) {
            Ok(text) => {
                warn_if_readable_by_others(path);
                Ok((Self::parse(&text, path)?, false))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let file = Self::generate()?;
                file.write_new(path)?;
                Ok((file, true))
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    fn generate() -> Result<Self, String> {
        let fresh = || -> Result<Zeroizing<String>, String> {
            let mut bytes = Zeroizing::new([0u8; 32]);
            random::fill(bytes.as_mut()).map_err(|e| e.to_string())?;
            Ok(Zeroizing::new(
                data_encoding::HEXLOWER.encode(bytes.as_ref()),
            ))
        };
        Ok(Self {
            pepper: fresh()?,
            encryption_key: fresh()?,
        })
    }

    fn parse(text: &str, path: &Path) -> Result<Self, String> {
        let value = |name: &str| {
            text.lines()
                .filter_map(|line| line.split_once('='))
                .find(|(key, _)| key.trim() == name)
                .map(|(_, value)| Zeroizing::new(value.trim().to_owned()))
                .ok_or_else(|| format!("{} has no line `{name} = HEX`", path.display()))
        };
        Ok(Self {
            pepper: value("pepper")?,
            encryption_key: value("encryption-key")?,
        })
    }

    /// Writes a new file, readable by its owner only; never replaces one.
    fn write_new(&self, path: &Path) -> Result<(), String> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let text = Zeroizing::new(format!(
            "# Keys of the latchkey web example. Keep this file secret: whoever\n\
             # reads it can forge codes and open 2FA secrets in the database.\n\
             pepper = {}\nencryption-key = {}\n",
            *self.pepper, *self.encryption_key
        ));
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        eprintln!(
            "warning: {} is readable by others; `chmod 600` it",
            path.display()
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// Hex text of a key, wiped when dropped.
struct Hex(Zeroizing<String>);

impl Hex {
    fn new(text: &str) -> Self {
        Self(Zeroizing::new(text.to_owned()))
    }

    fn decode(&self, what: &str) -> Result<Zeroizing<Vec<u8>>, String> {
        HEXLOWER_PERMISSIVE
            .decode(self.0.trim().as_bytes())
            .map(Zeroizing::new)
            .map_err(|_| format!("{what} is not hex"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_sits_beside_a_sqlite_file() {
        assert_eq!(
            key_file_for("sqlite://data/site.db?mode=rwc"),
            PathBuf::from("data/site.db.keys")
        );
        assert_eq!(
            key_file_for("sqlite:latchkey-web.sqlite3"),
            PathBuf::from("latchkey-web.sqlite3.keys")
        );
        assert_eq!(
            key_file_for("postgres://postgres@127.0.0.1/web"),
            PathBuf::from("latchkey-web.keys")
        );
    }

    #[test]
    fn a_key_file_is_created_once_owner_only_and_read_back() {
        let dir = std::env::temp_dir().join(format!(
            "latchkey-web-keys-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("db.sqlite3.keys");
        let (first, created) = KeyFile::open_or_create(&path).expect("created");
        assert!(created, "the first run creates the file");
        let (again, created) = KeyFile::open_or_create(&path).expect("read back");
        assert!(!created, "a later run keeps it");
        assert_eq!(
            first.pepper, again.pepper,
            "the same pepper after a restart"
        );
        assert_eq!(first.encryption_key, again.encryption_key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "only the owner may read the keys");
        }
        let _ = fs::remove_dir_all(&dir);
    }
}
