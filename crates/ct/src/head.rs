//! Signed tree heads: what `get-sth` says, and whether the log's key signed it (RFC 6962 §3.5:
//! a TreeHeadSignature in a DigitallySigned, ECDSA P-256 with SHA-256). Must not decide
//! whether a head is consistent with another: that is the monitor's, with the proofs.

use chrono::{DateTime, Utc};
use evidence::tlog::Hash;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Failure, Malformed};
use crate::wire;

/// A signed tree head as the log sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeHead {
    /// Entries in the tree.
    pub size: u64,
    /// When the log signed it, in milliseconds since the Unix epoch, as signed.
    pub timestamp_ms: u64,
    /// The Merkle tree hash of the tree's entries (hex in JSON).
    #[serde(with = "crate::serde_hash")]
    pub root: Hash,
    /// The DigitallySigned structure as sent (base64 in JSON).
    #[serde(with = "crate::serde_b64")]
    pub signature: Vec<u8>,
}

impl TreeHead {
    /// When the log signed it.
    pub fn timestamp(&self) -> DateTime<Utc> {
        i64::try_from(self.timestamp_ms)
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The signed bytes: a TreeHeadSignature (version v1, signature type `tree_hash`,
    /// timestamp, tree size, root).
    pub fn signed_data(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(2 + 8 + 8 + 32);
        data.push(0); // v1
        data.push(1); // tree_hash
        data.extend_from_slice(&self.timestamp_ms.to_be_bytes());
        data.extend_from_slice(&self.size.to_be_bytes());
        data.extend_from_slice(self.root.as_bytes());
        data
    }

    /// Whether `key` signed this head (ECDSA P-256, SHA-256). A signature that is not a
    /// DigitallySigned structure is [`Malformed::SignatureEncoding`]; any other algorithm, or
    /// a signature that does not verify, is [`Failure::BadSignature`].
    pub(crate) fn verify(&self, key: &LogKey) -> Result<(), SignatureProblem> {
        let ds = wire::digitally_signed(&self.signature).map_err(SignatureProblem::Encoding)?;
        if ds.hash != wire::HASH_SHA256 || ds.signature_algorithm != wire::SIGNATURE_ECDSA {
            return Err(SignatureProblem::DoesNotVerify);
        }
        let signature =
            Signature::from_der(ds.signature).map_err(|_| SignatureProblem::DoesNotVerify)?;
        let digest = Sha256::digest(self.signed_data());
        key.0
            .verify_prehash(&digest, &signature)
            .map_err(|_| SignatureProblem::DoesNotVerify)
    }

    /// Reads a `get-sth` answer.
    pub(crate) fn from_json(body: &[u8]) -> Result<TreeHead, Malformed> {
        let sth: wire::SthJson = wire::json(body)?;
        Ok(TreeHead {
            size: sth.tree_size,
            timestamp_ms: sth.timestamp,
            root: wire::hash("sha256_root_hash", &sth.sha256_root_hash)?,
            signature: wire::base64("tree_head_signature", &sth.tree_head_signature)?,
        })
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignatureProblem {
    Encoding(Malformed),
    DoesNotVerify,
}

/// A log's verifying key.
#[derive(Debug, Clone)]
pub(crate) struct LogKey(VerifyingKey);

impl LogKey {
    /// The key in a DER SubjectPublicKeyInfo; only ECDSA P-256 keys are accepted.
    pub fn from_spki(der: &[u8]) -> Result<LogKey, Failure> {
        VerifyingKey::from_public_key_der(der)
            .map(LogKey)
            .map_err(|_| Failure::UnsupportedKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    use p256::ecdsa::SigningKey;
    use p256::pkcs8::EncodePublicKey;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_slice(&[n; 32]).unwrap()
    }

    fn signed(key: &SigningKey, size: u64) -> TreeHead {
        let mut head = TreeHead {
            size,
            timestamp_ms: 1_767_225_600_000,
            root: evidence::tlog::hash::leaf_hash(b"x"),
            signature: Vec::new(),
        };
        let sig: Signature = key
            .sign_prehash(&Sha256::digest(head.signed_data()))
            .unwrap();
        let der = sig.to_der();
        head.signature = [
            &[4u8, 3][..],
            &(der.len() as u16).to_be_bytes(),
            der.as_bytes(),
        ]
        .concat();
        head
    }

    fn log_key(key: &SigningKey) -> LogKey {
        let spki = key.verifying_key().to_public_key_der().unwrap();
        LogKey::from_spki(spki.as_bytes()).unwrap()
    }

    #[test]
    fn the_right_key_verifies_and_another_does_not() {
        let head = signed(&key(1), 10);
        assert_eq!(head.verify(&log_key(&key(1))), Ok(()));
        assert_eq!(
            head.verify(&log_key(&key(2))),
            Err(SignatureProblem::DoesNotVerify)
        );
        // Every signed field counts.
        for change in [
            |h: &mut TreeHead| h.size += 1,
            |h: &mut TreeHead| h.timestamp_ms += 1,
            |h: &mut TreeHead| h.root.0[31] ^= 1,
        ] {
            let mut h = head.clone();
            change(&mut h);
            assert_eq!(
                h.verify(&log_key(&key(1))),
                Err(SignatureProblem::DoesNotVerify)
            );
        }
        // Another algorithm is refused even with a good signature.
        let mut h = head.clone();
        h.signature[0] = 5;
        assert_eq!(
            h.verify(&log_key(&key(1))),
            Err(SignatureProblem::DoesNotVerify)
        );
        h.signature.push(0);
        assert_eq!(
            h.verify(&log_key(&key(1))),
            Err(SignatureProblem::Encoding(Malformed::SignatureEncoding))
        );
    }

    #[test]
    fn signed_data_is_the_tree_head_signature_structure() {
        let head = TreeHead {
            size: 0x0102,
            timestamp_ms: 0x0a0b,
            root: Hash([0xee; 32]),
            signature: Vec::new(),
        };
        let mut want = vec![0, 1, 0, 0, 0, 0, 0, 0, 0x0a, 0x0b, 0, 0, 0, 0, 0, 0, 1, 2];
        want.extend_from_slice(&[0xee; 32]);
        assert_eq!(head.signed_data(), want);
    }

    #[test]
    fn only_p256_keys_are_accepted() {
        assert!(matches!(
            LogKey::from_spki(b"not a key"),
            Err(Failure::UnsupportedKey)
        ));
    }

    #[test]
    fn a_head_round_trips_through_json() {
        let head = signed(&key(1), 3);
        let text = serde_json::to_string(&head).unwrap();
        assert_eq!(serde_json::from_str::<TreeHead>(&text).unwrap(), head);
        assert!(text.contains(&head.root.to_hex()), "{text}");
        assert_eq!(head.timestamp().to_rfc3339(), "2026-01-01T00:00:00+00:00");
    }
}
