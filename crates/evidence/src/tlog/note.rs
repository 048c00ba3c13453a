//! Signed notes (C2SP signed-note) with Ed25519 keys, and the deployment's signing key on disk.
//!
//! Owns the note wire format (text, blank line, `— <name> <base64(key ID ‖ signature)>` lines),
//! key IDs, the text forms of keys (verifier key `<name>+<hex ID>+<base64(0x01 ‖ public key)>`,
//! private key `PRIVATE+KEY+<name>+<hex ID>+<base64(0x01 ‖ seed)>`, both as in Go's
//! `golang.org/x/mod/sumdb/note`, so other tools read them) and the key files. Must not know what
//! the text says: checkpoints are parsed in [`super::checkpoint`].

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature type byte of Ed25519 in key IDs and key strings.
const ALG_ED25519: u8 = 0x01;
/// A signature line starts with an em dash (U+2014) and a space.
const SIG_PREFIX: &str = "\u{2014} ";
/// Notes with more signature lines than this are rejected (as Go's `note.Open` does).
const MAX_SIGNATURES: usize = 100;

/// Everything signing, verifying or keeping keys can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// A key name must be non-empty UTF-8 without whitespace or `+`.
    #[error("invalid key name {0:?}: it must be non-empty, without spaces or '+'")]
    InvalidKeyName(String),
    /// A verifier key string is not `<name>+<hex ID>+<base64(0x01 ‖ key)>` or its ID is wrong.
    #[error("malformed verifier key: {0}")]
    MalformedVerifierKey(&'static str),
    /// A private key string or key file is not `PRIVATE+KEY+<name>+<hex ID>+<base64>`.
    #[error("malformed private key: {0}")]
    MalformedPrivateKey(&'static str),
    /// The text to sign or the note is not well formed.
    #[error("malformed note: {0}")]
    MalformedNote(&'static str),
    /// The note carries no signature by the verifier's key (name and key ID).
    #[error("the note is not signed by key {name}")]
    NotSignedByKey { name: String },
    /// The note carries a signature line of the verifier's key that does not verify.
    #[error("the signature by key {name} does not verify")]
    InvalidSignature { name: String },
    /// A key file exists but holds a different key name.
    #[error("{path}: holds key {found:?}, not {wanted:?}")]
    KeyFileMismatch {
        path: PathBuf,
        found: String,
        wanted: String,
    },
    /// A private key file readable by group or others.
    #[error("{path}: private key file has mode {mode:o}; it must be 0600")]
    InsecureKeyFile { path: PathBuf, mode: u32 },
    /// A file-system operation on a known path failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The operating system's random source failed.
    #[error("no randomness for a new key: {0}")]
    Random(String),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> NoteError + '_ {
    move |source| NoteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether `name` may name a key: non-empty, no Unicode whitespace, no `+`.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// The key ID: the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), as the C2SP
/// signed-note spec recommends for Ed25519.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', ALG_ED25519]);
    h.update(public_key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// Splits `<name>+<hex ID>+<base64>` (the base64 may itself contain `+`).
fn split_key(s: &str) -> Option<(&str, [u8; 4], Vec<u8>)> {
    let (name, rest) = s.split_once('+')?;
    let (id_hex, b64) = rest.split_once('+')?;
    if id_hex.len() != 8
        || id_hex
            .bytes()
            .any(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let id: [u8; 4] = hex::decode(id_hex).ok()?.try_into().ok()?;
    Some((name, id, B64.decode(b64).ok()?))
}

/// A public key that checks signatures: parsed from a verifier key string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl Verifier {
    /// Parses `<name>+<hex key ID>+<base64(0x01 ‖ 32-byte Ed25519 public key)>` and checks that
    /// the key ID matches the name and key.
    pub fn parse(verifier_key: &str) -> Result<Verifier, NoteError> {
        let (name, id, key) =
            split_key(verifier_key).ok_or(NoteError::MalformedVerifierKey("not name+id+key"))?;
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName(name.to_string()));
        }
        let [alg, rest @ ..] = key.as_slice() else {
            return Err(NoteError::MalformedVerifierKey("empty key"));
        };
        if *alg != ALG_ED25519 {
            return Err(NoteError::MalformedVerifierKey("not an Ed25519 key"));
        }
        let public: [u8; 32] = rest
            .try_into()
            .map_err(|_| NoteError::MalformedVerifierKey("Ed25519 key is not 32 bytes"))?;
        if key_id(name, &public) != id {
            return Err(NoteError::MalformedVerifierKey("key ID does not match"));
        }
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| NoteError::MalformedVerifierKey("not a valid Ed25519 point"))?;
        Ok(Verifier {
            name: name.to_string(),
            id,
            key,
        })
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key ID.
    pub fn key_id(&self) -> [u8; 4] {
        self.id
    }

    /// The verifier key string this was parsed from (canonical form).
    pub fn to_key_string(&self) -> String {
        let mut material = vec![ALG_ED25519];
        material.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.id),
            B64.encode(material)
        )
    }
}

/// The deployment's Ed25519 signing key with its name. `Debug` shows the name and key ID only.
pub struct Signer {
    name: String,
    id: [u8; 4],
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("name", &self.name)
            .field("key_id", &hex::encode(self.id))
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from a 32-byte Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Signer, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName(name.to_string()));
        }
        let key = SigningKey::from_bytes(seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Ok(Signer {
            name: name.to_string(),
            id,
            key,
        })
    }

    /// A new random key from the operating system's random source.
    pub fn generate(name: &str) -> Result<Signer, NoteError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| NoteError::Random(e.to_string()))?;
        let signer = Signer::from_seed(name, &seed);
        seed.fill(0);
        signer
    }

    /// Parses `PRIVATE+KEY+<name>+<hex ID>+<base64(0x01 ‖ 32-byte seed)>`.
    pub fn from_private_key(private_key: &str) -> Result<Signer, NoteError> {
        let rest = private_key
            .trim_end()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::MalformedPrivateKey("no PRIVATE+KEY+ prefix"))?;
        let (name, id, material) =
            split_key(rest).ok_or(NoteError::MalformedPrivateKey("not name+id+key"))?;
        let [ALG_ED25519, seed @ ..] = material.as_slice() else {
            return Err(NoteError::MalformedPrivateKey("not an Ed25519 key"));
        };
        let seed: &[u8; 32] = seed
            .try_into()
            .map_err(|_| NoteError::MalformedPrivateKey("seed is not 32 bytes"))?;
        let signer = Signer::from_seed(name, seed)?;
        if signer.id != id {
            return Err(NoteError::MalformedPrivateKey("key ID does not match"));
        }
        Ok(signer)
    }

    fn private_key_string(&self) -> String {
        let mut material = vec![ALG_ED25519];
        material.extend_from_slice(self.key.as_bytes());
        let s = format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex::encode(self.id),
            B64.encode(&material)
        );
        material.fill(0);
        s
    }

    /// Loads the key `name` from `dir`, or creates it on first use.
    ///
    /// Files: `<dir>/<file name>.key` (the private key string, mode 0600, refused if group or
    /// others may read it) and `<dir>/<file name>.pub` (the verifier key string, to publish),
    /// where the file name is `name` with every character other than ASCII letters, digits,
    /// `.`, `-` and `_` replaced by `_`. A key file for another name is refused. A new key is
    /// written to a temporary file and linked into place, so a crash never leaves half a key
    /// and two processes creating the key at once end up with the same one.
    pub fn load_or_create(dir: &Path, name: &str) -> Result<Signer, NoteError> {
        if !is_valid_key_name(name) {
            return Err(NoteError::InvalidKeyName(name.to_string()));
        }
        let stem: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let key_path = dir.join(format!("{stem}.key"));
        let pub_path = dir.join(format!("{stem}.pub"));
        if !key_path.exists() {
            fs::create_dir_all(dir).map_err(io_err(dir))?;
            let signer = Signer::generate(name)?;
            let tmp = dir.join(format!(".{stem}.key.{}.tmp", std::process::id()));
            write_private(&tmp, &signer.private_key_string())?;
            let linked = fs::hard_link(&tmp, &key_path);
            let _ = fs::remove_file(&tmp);
            match linked {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(&key_path)(e)),
            }
        }
        let signer = read_private(&key_path)?;
        if signer.name != name {
            return Err(NoteError::KeyFileMismatch {
                path: key_path,
                found: signer.name,
                wanted: name.to_string(),
            });
        }
        let public = format!("{}\n", signer.verifier_key());
        if fs::read_to_string(&pub_path).ok().as_deref() != Some(public.as_str()) {
            fs::write(&pub_path, public).map_err(io_err(&pub_path))?;
        }
        Ok(signer)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key ID.
    pub fn key_id(&self) -> [u8; 4] {
        self.id
    }

    /// The 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The verifier key string to publish: `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`.
    pub fn verifier_key(&self) -> String {
        let mut material = vec![ALG_ED25519];
        material.extend_from_slice(&self.public_key());
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.id),
            B64.encode(material)
        )
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// Signs `text` and returns the signed note: the text, a blank line, one signature line.
    /// The text must end in a newline, contain no blank line and no control character but
    /// newline, so that the note always opens again.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        if text.contains("\n\n") || text.starts_with('\n') {
            return Err(NoteError::MalformedNote("text contains a blank line"));
        }
        let sig = self.key.sign(text.as_bytes());
        let mut blob = Vec::with_capacity(68);
        blob.extend_from_slice(&self.id);
        blob.extend_from_slice(&sig.to_bytes());
        Ok(format!(
            "{text}\n{SIG_PREFIX}{} {}\n",
            self.name,
            B64.encode(blob)
        ))
    }
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::MalformedNote("text does not end in a newline"));
    }
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::MalformedNote("control character"));
    }
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> Result<(), NoteError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err(path))?;
    f.write_all(format!("{contents}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(io_err(path))
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> Result<(), NoteError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err(path))?;
    f.write_all(format!("{contents}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(io_err(path))
}

fn read_private(path: &Path) -> Result<Signer, NoteError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)
            .map_err(io_err(path))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(NoteError::InsecureKeyFile {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    let text = fs::read_to_string(path).map_err(io_err(path))?;
    Signer::from_private_key(&text)
}

/// Checks the signature of `verifier` on `note` and returns the signed text (ending in its
/// newline). Signature lines of other keys are ignored; the first line with the verifier's name
/// and key ID decides, and a bad signature there rejects the note.
pub fn open<'a>(note: &'a str, verifier: &Verifier) -> Result<&'a str, NoteError> {
    if note.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::MalformedNote("control character"));
    }
    let split = note.rfind("\n\n").ok_or(NoteError::MalformedNote(
        "no blank line before the signatures",
    ))?;
    let (text, sigs) = (&note[..=split], &note[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(NoteError::MalformedNote("no signature lines"));
    }
    let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(NoteError::MalformedNote("too many signatures"));
    }
    let mut candidate = None;
    for line in lines {
        let rest = line
            .strip_prefix(SIG_PREFIX)
            .ok_or(NoteError::MalformedNote("signature line without em dash"))?;
        let (name, b64) = rest
            .split_once(' ')
            .ok_or(NoteError::MalformedNote("signature line without signature"))?;
        if !is_valid_key_name(name) {
            return Err(NoteError::MalformedNote(
                "invalid key name in signature line",
            ));
        }
        let blob = B64
            .decode(b64)
            .map_err(|_| NoteError::MalformedNote("signature is not base64"))?;
        if blob.len() < 5 {
            return Err(NoteError::MalformedNote("signature too short"));
        }
        if candidate.is_none() && name == verifier.name && blob[..4] == verifier.id {
            candidate = Some(blob);
        }
    }
    let blob = candidate.ok_or_else(|| NoteError::NotSignedByKey {
        name: verifier.name.clone(),
    })?;
    let bad = || NoteError::InvalidSignature {
        name: verifier.name.clone(),
    };
    let sig = Signature::from_slice(&blob[4..]).map_err(|_| bad())?;
    verifier
        .key
        .verify_strict(text.as_bytes(), &sig)
        .map_err(|_| bad())?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of golang.org/x/mod/sumdb/note (also used across the signed-note ecosystem):
    // reproducing it byte for byte shows that our notes and keys interoperate.
    const GO_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                           then you don't know what your problem is.\n";
    const GO_NOTE: &str = "If you think cryptography is the answer to your problem,\n\
                           then you don't know what your problem is.\n\
                           \n\
                           \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    #[test]
    fn go_reference_note_is_reproduced_and_opens() {
        let signer = Signer::from_private_key(GO_SKEY).unwrap();
        assert_eq!(signer.verifier_key(), GO_VKEY);
        assert_eq!(signer.sign(GO_TEXT).unwrap(), GO_NOTE);
        let verifier = Verifier::parse(GO_VKEY).unwrap();
        assert_eq!(verifier.to_key_string(), GO_VKEY);
        assert_eq!(open(GO_NOTE, &verifier).unwrap(), GO_TEXT);
        assert_eq!(signer.private_key_string(), GO_SKEY);
    }

    #[test]
    fn tampered_or_foreign_notes_are_rejected() {
        let verifier = Verifier::parse(GO_VKEY).unwrap();
        let changed = GO_NOTE.replace("cryptography", "cryptographY");
        assert!(matches!(
            open(&changed, &verifier),
            Err(NoteError::InvalidSignature { .. })
        ));
        let other = Signer::from_seed("PeterNeumann", &[7; 32]).unwrap();
        assert!(matches!(
            open(GO_NOTE, &other.verifier()),
            Err(NoteError::NotSignedByKey { .. })
        ));
        assert!(open(&GO_NOTE.replace('\u{2014}', "--"), &verifier).is_err());
        assert!(open(GO_TEXT, &verifier).is_err());
    }

    #[test]
    fn unknown_signatures_are_ignored() {
        let other = Signer::from_seed("witness.example", &[9; 32]).unwrap();
        let extra = other.sign(GO_TEXT).unwrap();
        let extra_line = extra.lines().last().unwrap();
        let both = format!("{extra_line}\n");
        let note = format!("{GO_NOTE}{both}");
        let verifier = Verifier::parse(GO_VKEY).unwrap();
        assert_eq!(open(&note, &verifier).unwrap(), GO_TEXT);
        assert_eq!(open(&note, &other.verifier()).unwrap(), GO_TEXT);
    }

    #[test]
    fn verifier_keys_are_checked() {
        for bad in [
            "",
            "PeterNeumann",
            "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "PeterNeumann+c74f20a3+Apc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        ] {
            assert!(Verifier::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn texts_that_would_not_reopen_are_refused() {
        let signer = Signer::from_seed("log", &[1; 32]).unwrap();
        assert!(signer.sign("no newline").is_err());
        assert!(signer.sign("a\n\nb\n").is_err());
        assert!(signer.sign("tab\there\n").is_err());
        assert!(Signer::from_seed("has space", &[1; 32]).is_err());
        assert!(Signer::from_seed("a+b", &[1; 32]).is_err());
    }

    #[test]
    fn key_files_are_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let a = Signer::load_or_create(dir.path(), "wangjian.example/log").unwrap();
        let b = Signer::load_or_create(dir.path(), "wangjian.example/log").unwrap();
        assert_eq!(a.public_key(), b.public_key());
        let key_path = dir.path().join("wangjian.example_log.key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            fs::set_permissions(&key_path, fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                Signer::load_or_create(dir.path(), "wangjian.example/log"),
                Err(NoteError::InsecureKeyFile { .. })
            ));
            fs::set_permissions(&key_path, fs::Permissions::from_mode(0o600)).unwrap();
        }
        let public = fs::read_to_string(dir.path().join("wangjian.example_log.pub")).unwrap();
        assert_eq!(public.trim_end(), a.verifier_key());
        // Another name that maps to the same file name is refused, not silently reused.
        assert!(matches!(
            Signer::load_or_create(dir.path(), "wangjian.example_log"),
            Err(NoteError::KeyFileMismatch { .. })
        ));
        assert!(format!("{a:?}").contains("wangjian.example/log"));
    }
}
