//! `ct`: a certificate transparency monitor (RFC 6962).
//!
//! It follows configured CT logs and yields the certificates they hold, each proved part of a
//! tree head the log signed: [`Monitor::head`] fetches `get-sth`, checks its signature with the
//! log's key and, once a head is trusted, that the new tree extends it (`get-sth-consistency`);
//! [`Monitor::next_batch`] reads `get-entries` from a saved [`Position`], hashes every leaf
//! into a compact range (Merkle frontier) and proves the batch against the signed head before
//! handing out its [`Entry`]s. A log that shrinks, forks, signs with another key or serves
//! entries that do not hash to its own head is a [`Failure`], and nothing it said is used.
//! Entries that are in the tree but cannot be read (a malformed leaf, a certificate that does
//! not parse, an oversized entry) are [`Skipped`] with their index and reason, and reading goes
//! on.
//!
//! The first tree head of a log is trusted on its signature alone (there is nothing earlier to
//! check it against); from then on every head is checked against the last one. Resuming is the
//! caller's: it saves each batch's [`Position`] (JSON) with what it took from the entries, in
//! one transaction, and builds the next [`Monitor`] from it. An entry is identified by its log
//! and index, so a batch read twice changes nothing.
//!
//! Module map: `wire` (RFC 6962's TLS structures and JSON answers), `head` (tree heads and
//! their signatures), `compact` (the compact range), `cert` (what an entry's certificate
//! says), `monitor` (fetching and proving), `error` (every reason, each with a `code()`).
//!
//! Must not: write to a database, decide what a certificate means for the register, or fetch
//! anything but through `crawl` (the crawler's address policy, timeouts and body caps).
//! Hashing is `evidence::tlog`'s: RFC 6962 and RFC 9162 hash trees alike.

mod cert;
mod compact;
mod error;
mod head;
mod monitor;
mod wire;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

pub use cert::Entry;
pub use error::{Endpoint, Failure, Malformed, PositionProblem, SkipReason, Skipped};
pub use evidence::tlog::Hash;
pub use head::TreeHead;
pub use monitor::{
    Batch, Monitor, Position, MAX_BATCH_SIZE, MAX_ENTRIES_BODY_BYTES, MAX_ENTRY_BYTES,
};

/// One log to follow, as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogConfig {
    /// A name for people and logs (e.g. `simweb`, `Google Argon 2026h1`).
    pub name: String,
    /// The log's base URL; the API is under `<url>/ct/v1/` (a missing final `/` is added).
    pub url: Url,
    /// The log's public key: a DER SubjectPublicKeyInfo (standard base64 in configuration
    /// files). Only ECDSA P-256 keys are supported.
    #[serde(with = "serde_b64")]
    pub key: Vec<u8>,
}

impl LogConfig {
    /// The log's id (RFC 6962 §3.2): SHA-256 of its key's SubjectPublicKeyInfo.
    pub fn log_id(&self) -> [u8; 32] {
        Sha256::digest(&self.key).into()
    }

    /// The URL of an API call, e.g. `get-sth`, under the base URL.
    fn endpoint(&self, name: &str) -> Url {
        let mut base = self.url.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.set_query(None);
        base.set_fragment(None);
        base.join(&format!("ct/v1/{name}"))
            .expect("a relative path joins any http(s) base URL")
    }
}

/// Bytes as standard base64 in JSON.
pub(crate) mod serde_b64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(serde::de::Error::custom)
    }
}

/// A tree hash as 64 hex digits in JSON.
pub(crate) mod serde_hash {
    use evidence::tlog::Hash;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hash: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hash.to_hex())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let text = String::deserialize(d)?;
        Hash::from_hex(&text).ok_or_else(|| serde::de::Error::custom("not 64 hex digits"))
    }

    /// A list of tree hashes.
    pub mod list {
        use super::*;
        use serde::ser::SerializeSeq;

        pub fn serialize<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(hashes.len()))?;
            for h in hashes {
                seq.serialize_element(&h.to_hex())?;
            }
            seq.end()
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
            Vec::<String>::deserialize(d)?
                .iter()
                .map(|t| {
                    Hash::from_hex(t).ok_or_else(|| serde::de::Error::custom("not 64 hex digits"))
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> LogConfig {
        LogConfig {
            name: "t".into(),
            url: Url::parse(url).unwrap(),
            key: b"key".to_vec(),
        }
    }

    #[test]
    fn endpoints_are_under_the_base_url() {
        for (base, want) in [
            ("http://ct.test/", "http://ct.test/ct/v1/get-sth"),
            ("http://ct.test", "http://ct.test/ct/v1/get-sth"),
            (
                "https://ct.test/logs/a2026/",
                "https://ct.test/logs/a2026/ct/v1/get-sth",
            ),
            (
                "https://ct.test/logs/a2026",
                "https://ct.test/logs/a2026/ct/v1/get-sth",
            ),
            (
                "http://ct.test:8080/x?y=1#z",
                "http://ct.test:8080/x/ct/v1/get-sth",
            ),
        ] {
            assert_eq!(config(base).endpoint("get-sth").as_str(), want, "{base}");
        }
    }

    #[test]
    fn log_id_is_the_sha256_of_the_key() {
        assert_eq!(
            hex::encode(config("http://ct.test/").log_id()),
            "2c70e12b7a0646f92279f427c7b38e7334d8e5389cff167a1dc30e73f826b683"
        );
    }

    #[test]
    fn config_reads_the_key_as_base64() {
        let c: LogConfig =
            serde_json::from_str(r#"{"name":"t","url":"http://ct.test/","key":"a2V5"}"#).unwrap();
        assert_eq!(c, config("http://ct.test/"));
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.contains(r#""key":"a2V5""#), "{text}");
    }
}
