//! What a log entry's certificate says about its subject: names (SAN dNSNames, the common
//! name when it is a host name), organisation, locality, province, serial, issuer, validity
//! and a fingerprint. A precertificate entry carries a TBSCertificate (RFC 6962 §3.2), read
//! the same way. Must not judge the names: matching them to the register is the caller's.

use chrono::{DateTime, Utc};
use der::Decode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::name::{DirectoryString, GeneralName};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::{Certificate, TbsCertificate};

use crate::error::SkipReason;
use crate::wire::{self, Logged};

/// One certificate (or precertificate) read from a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Its index in the log; with the log, what identifies it.
    pub index: u64,
    /// When the log accepted it (the leaf's timestamp).
    pub timestamp: DateTime<Utc>,
    /// A precertificate (`precert_entry`): logged before issuance; the fields come from its
    /// TBSCertificate.
    pub precert: bool,
    /// The subjectAltName dNSNames, lower-case, then the common name when it looks like a host
    /// name and is not among them; no duplicates, in certificate order. Wildcards are kept
    /// (`*.example.test`).
    pub dns_names: Vec<String>,
    /// The subject's organisation (O).
    pub organization: Option<String>,
    /// The subject's locality (L).
    pub locality: Option<String>,
    /// The subject's state or province (ST).
    pub province: Option<String>,
    /// The subject's common name (CN), as written.
    pub common_name: Option<String>,
    /// The serial number, lower-case hex of its DER content octets.
    pub serial: String,
    /// The issuer's distinguished name (RFC 4514).
    pub issuer: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// `sha256:<hex>` of the certificate's DER, or for a precertificate of the
    /// TBSCertificate's DER as logged.
    pub fingerprint: String,
}

/// Reads the leaf at `index` (its `leaf_input` bytes).
pub(crate) fn entry(index: u64, leaf_input: &[u8]) -> Result<Entry, SkipReason> {
    let leaf = wire::leaf(leaf_input)?;
    let (tbs, der, precert) = match leaf.logged {
        Logged::X509(bytes) => {
            let cert = Certificate::from_der(bytes).map_err(bad_certificate)?;
            (cert.tbs_certificate().clone(), bytes, false)
        }
        Logged::Precert { tbs, .. } => {
            let parsed = TbsCertificate::from_der(tbs).map_err(bad_certificate)?;
            (parsed, tbs, true)
        }
    };
    let subject = tbs.subject();
    let text = |s: der::Result<Option<DirectoryString>>| {
        s.ok()
            .flatten()
            .map(|d| d.value().trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let common_name = text(subject.common_name());
    let mut dns_names: Vec<String> = Vec::new();
    if let Ok(Some((_, SubjectAltName(names)))) = tbs.get_extension::<SubjectAltName>() {
        for name in names {
            if let GeneralName::DnsName(n) = name {
                let n = n.as_str().trim().trim_end_matches('.').to_ascii_lowercase();
                if !n.is_empty() && !dns_names.contains(&n) {
                    dns_names.push(n);
                }
            }
        }
    }
    if let Some(cn) = common_name.as_deref().filter(|cn| looks_like_host(cn)) {
        let cn = cn.trim_end_matches('.').to_ascii_lowercase();
        if !dns_names.contains(&cn) {
            dns_names.push(cn);
        }
    }
    let validity = tbs.validity();
    Ok(Entry {
        index,
        timestamp: millis(leaf.timestamp_ms),
        precert,
        dns_names,
        organization: text(subject.organization()),
        locality: text(subject.locality()),
        province: text(subject.state_or_province()),
        common_name,
        serial: hex::encode(tbs.serial_number().as_bytes()),
        issuer: tbs.issuer().to_string(),
        not_before: seconds(validity.not_before.to_unix_duration().as_secs()),
        not_after: seconds(validity.not_after.to_unix_duration().as_secs()),
        fingerprint: format!("sha256:{}", hex::encode(Sha256::digest(der))),
    })
}

fn bad_certificate(e: der::Error) -> SkipReason {
    SkipReason::Certificate {
        detail: e.to_string(),
    }
}

/// A DNS name as a certificate's CN holds one: labels of letters, digits and hyphens (a
/// leading `*` label allowed), at least two of them, ASCII only.
fn looks_like_host(cn: &str) -> bool {
    let cn = cn.strip_suffix('.').unwrap_or(cn);
    let labels: Vec<&str> = cn.split('.').collect();
    labels.len() >= 2
        && cn.len() <= 253
        && labels.iter().enumerate().all(|(i, l)| {
            (i == 0 && *l == "*")
                || (!l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        })
}

fn millis(ms: u64) -> DateTime<Utc> {
    i64::try_from(ms)
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn seconds(s: u64) -> DateTime<Utc> {
    i64::try_from(s)
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_like_common_names() {
        for yes in [
            "www.example.test",
            "*.example.test",
            "a-b.c1.test.",
            "xn--fiq.test",
        ] {
            assert!(looks_like_host(yes), "{yes}");
        }
        for no in [
            "example",
            "Simweb Test CA",
            "南宁.test",
            "a..test",
            "-a.test",
            "a.*.test",
            "",
        ] {
            assert!(!looks_like_host(no), "{no}");
        }
    }

    #[test]
    fn garbage_certificates_are_skipped_with_a_reason() {
        let mut leaf = vec![0, 0];
        leaf.extend_from_slice(&1u64.to_be_bytes());
        leaf.extend_from_slice(&[0, 0, 0, 0, 3, 1, 2, 3, 0, 0]);
        let err = entry(4, &leaf).unwrap_err();
        assert_eq!(err.code(), "bad_certificate", "{err:?}");
    }
}
