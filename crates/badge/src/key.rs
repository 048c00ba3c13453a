//! The badge signing key: an Ed25519 key of its own in the data directory's `keys/`
//! (`badge.key`, the 32-byte seed in hex, readable by its owner only; `badge.pub`, the public
//! key as published on the portal), apart from the transparency log's key.

use crate::BadgeError;
use domain::badge::{public_key_text, SigningKey};
use std::fs;
use std::io::Write;
use std::path::Path;

/// The key's file stem in `keys/`.
pub const KEY_NAME: &str = "badge";

fn key_err(path: &Path) -> impl Fn(std::io::Error) -> BadgeError + '_ {
    move |e| BadgeError::Key {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Loads the badge key from `dir`, or creates it on first use (written to a temporary file
/// and linked into place, so two processes creating it at once end up with the same key).
/// `badge.pub` is rewritten when it does not match.
pub fn load_or_create_key(dir: &Path) -> Result<SigningKey, BadgeError> {
    let key_path = dir.join(format!("{KEY_NAME}.key"));
    let pub_path = dir.join(format!("{KEY_NAME}.pub"));
    if !key_path.exists() {
        fs::create_dir_all(dir).map_err(key_err(dir))?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| BadgeError::Key {
            path: key_path.display().to_string(),
            message: e.to_string(),
        })?;
        let tmp = dir.join(format!(".{KEY_NAME}.key.{}.tmp", std::process::id()));
        write_private(&tmp, &hex::encode(seed))?;
        let linked = fs::hard_link(&tmp, &key_path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(key_err(&key_path)(e)),
        }
    }
    let text = fs::read_to_string(&key_path).map_err(key_err(&key_path))?;
    let seed: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| BadgeError::Key {
            path: key_path.display().to_string(),
            message: "not a 32-byte hex seed".to_string(),
        })?;
    let key = SigningKey::from_bytes(&seed);
    let public = format!("{}\n", public_key_text(&key.verifying_key()));
    if fs::read_to_string(&pub_path).ok().as_deref() != Some(public.as_str()) {
        fs::write(&pub_path, public).map_err(key_err(&pub_path))?;
    }
    Ok(key)
}

/// The published public key text of a signing key.
pub fn public_key(key: &SigningKey) -> String {
    public_key_text(&key.verifying_key())
}

fn write_private(path: &Path, text: &str) -> Result<(), BadgeError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(key_err(path))?;
    f.write_all(text.as_bytes()).map_err(key_err(path))?;
    f.sync_all().map_err(key_err(path))?;
    Ok(())
}
