//! A certificate transparency log of the simulated web (RFC 6962), served on three hosts:
//! [`CT_HOST`] is an honest log; [`CT_FORGED_HOST`] serves the same entries with tree heads
//! signed by another key (a monitor trusting the log's key must refuse them);
//! [`CT_FORK_HOST`] shows another history once the log has grown: the last entry of the log
//! as first built is replaced, so its later heads, though signed with the log's key, do not
//! extend the heads it signed before (a split view).
//!
//! Certificates are real X.509 made with `rcgen`, issued by a simulated CA ("simweb Test CA")
//! to the [`CtSubject`]s given: ECDSA P-256 keys derived from the seed (SHA-256 of a label,
//! the seed and the entry's number), ECDSA signatures per RFC 6979, serials, validity and leaf
//! timestamps derived from the seed and the index; so a log is byte-for-byte a function of its
//! seed and the subjects and oddities appended, in order. About one subject in three is
//! logged as a precertificate (`precert_entry`, the poison extension in the logged
//! precertificate, not in the TBSCertificate of the leaf). [`CtOddity`] appends entries a
//! monitor must skip. The log's key is a P-256 key derived from the seed
//! ([`CtLog::public_key_der`] is what a monitor trusts).
//!
//! Endpoints: `GET /ct/v1/get-sth`, `/ct/v1/get-sth-consistency?first=&second=`,
//! `/ct/v1/get-entries?start=&end=` (at most [`MAX_ENTRIES_PER_ANSWER`] per answer),
//! `/ct/v1/get-roots`. No clock: timestamps are derived, and a tree head's is its last entry's
//! plus a minute. Must not: open connections, or read the time.

use std::sync::RwLock;

use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use rcgen::{
    CertificateParams, CustomExtension, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyUsagePurpose, PublicKeyData, SerialNumber, SignatureAlgorithm, PKCS_ECDSA_P256_SHA256,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::SimResponse;

/// The honest log's host.
pub const CT_HOST: &str = "ct.simweb.test";
/// The host whose tree heads are signed by a key other than the log's.
pub const CT_FORGED_HOST: &str = "ct-forged.simweb.test";
/// The host that rewrites the log's history once the log has grown.
pub const CT_FORK_HOST: &str = "ct-fork.simweb.test";
/// `get-entries` answers at most this many entries (real logs cap their answers too).
pub const MAX_ENTRIES_PER_ANSWER: u64 = 64;

/// Milliseconds since the Unix epoch of 2026-01-01T00:00:00Z: the first entry's day.
const EPOCH_MS: u64 = 1_767_225_600_000;
/// Entries are ten minutes apart (plus a derived jitter below that).
const SPACING_MS: u64 = 600_000;
/// The size of an oversized entry's certificate: more than any monitor should parse.
const OVERSIZED_BYTES: usize = 2 * 1024 * 1024;

/// Who a certificate is issued to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CtSubject {
    /// The subjectAltName DNS names (ASCII; the first is also the common name). At least one.
    pub dns_names: Vec<String>,
    /// The subject's organisation (O), e.g. `南宁青秀区某某科技有限公司`.
    pub organization: Option<String>,
    /// The subject's locality (L), e.g. `南宁市` or `Nanning`.
    pub locality: Option<String>,
    /// The subject's state or province (ST), e.g. `广西壮族自治区`.
    pub province: Option<String>,
}

/// An entry a monitor cannot read as a certificate, though the log holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtOddity {
    /// An `x509_entry` whose certificate bytes are not DER.
    GarbageCertificate,
    /// A leaf of an entry type RFC 6962 does not define (7).
    UnknownEntryType,
    /// A leaf whose certificate length runs past its end.
    TruncatedLeaf,
    /// An `x509_entry` of 2 MiB.
    Oversized,
}

/// Why subjects were refused; nothing was appended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CtError {
    /// The subject (numbered from 0 in the list given) has no DNS name.
    #[error("subject {subject} has no DNS name")]
    NoDnsName { subject: usize },
    /// A DNS name that X.509 cannot hold as a dNSName (not ASCII, or empty).
    #[error("subject {subject}: {name:?} is not an ASCII DNS name")]
    BadDnsName { subject: usize, name: String },
}

/// Which of the three hosts a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    Honest,
    Forged,
    Fork,
}

impl View {
    /// The view served on `host` (already normalised), if it is one of the log's hosts.
    pub(crate) fn of(host: &str) -> Option<View> {
        match host {
            CT_HOST => Some(View::Honest),
            CT_FORGED_HOST => Some(View::Forged),
            CT_FORK_HOST => Some(View::Fork),
            _ => None,
        }
    }
}

/// A log entry as stored: the MerkleTreeLeaf, the chain (`extra_data`) and its leaf hash.
#[derive(Debug, Clone)]
struct Leaf {
    input: Vec<u8>,
    extra: Vec<u8>,
    hash: [u8; 32],
}

impl Leaf {
    fn new(input: Vec<u8>, extra: Vec<u8>) -> Leaf {
        let hash = leaf_hash(&input);
        Leaf { input, extra, hash }
    }
}

#[derive(Debug)]
struct State {
    leaves: Vec<Leaf>,
    /// Subjects appended so far (numbers the next subject's key and serial).
    subjects: u64,
    /// The size of the log as first built; the fork rewrites its last entry once the log is
    /// larger.
    first_size: u64,
    /// The fork's replacement for entry `first_size - 1`.
    fork_leaf: Option<Leaf>,
}

/// The simulated CT log. Shared by the server's tasks: appending takes `&self`.
pub struct CtLog {
    seed: u64,
    log_key: SigningKey,
    forged_key: SigningKey,
    ca: P256Key,
    ca_params: CertificateParams,
    ca_der: Vec<u8>,
    state: RwLock<State>,
}

impl std::fmt::Debug for CtLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CtLog")
            .field("seed", &self.seed)
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

impl CtLog {
    /// A log holding one certificate per subject, in order.
    pub fn new(seed: u64, subjects: Vec<CtSubject>) -> Result<CtLog, CtError> {
        let ca = P256Key::derive(b"simweb-ct-ca", seed, 0);
        let mut ca_params = CertificateParams::default();
        ca_params.distinguished_name = rcgen::DistinguishedName::new();
        ca_params.distinguished_name.push(DnType::CountryName, "CN");
        ca_params
            .distinguished_name
            .push(DnType::OrganizationName, "simweb Trust");
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "simweb Test CA");
        ca_params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.serial_number = Some(SerialNumber::from_slice(&[1]));
        ca_params.not_before = rcgen::date_time_ymd(2025, 1, 1);
        ca_params.not_after = rcgen::date_time_ymd(2035, 1, 1);
        let ca_der = ca_params
            .self_signed(&ca)
            .expect("the simulated CA's parameters are valid")
            .der()
            .to_vec();
        let log = CtLog {
            seed,
            log_key: P256Key::derive(b"simweb-ct-log", seed, 0).key,
            forged_key: P256Key::derive(b"simweb-ct-forged", seed, 0).key,
            ca,
            ca_params,
            ca_der,
            state: RwLock::new(State {
                leaves: Vec::new(),
                subjects: 0,
                first_size: 0,
                fork_leaf: None,
            }),
        };
        log.append(subjects)?;
        {
            let mut state = log.write();
            state.first_size = state.leaves.len() as u64;
            if let Some(last) = state.leaves.last() {
                // The same leaf a millisecond later: another entry, another history.
                let mut input = last.input.clone();
                let ts = u64::from_be_bytes(input[2..10].try_into().expect("8 bytes"));
                input[2..10].copy_from_slice(&(ts + 1).to_be_bytes());
                state.fork_leaf = Some(Leaf::new(input, last.extra.clone()));
            }
        }
        Ok(log)
    }

    /// Appends one certificate per subject, in order, and returns the new size. Refuses the
    /// whole list, appending nothing, when a subject is unusable.
    pub fn append(&self, subjects: Vec<CtSubject>) -> Result<u64, CtError> {
        let mut params = Vec::with_capacity(subjects.len());
        for (i, s) in subjects.iter().enumerate() {
            params.push(subject_params(i, s)?);
        }
        let mut state = self.write();
        for p in params {
            let n = state.subjects;
            state.subjects += 1;
            let index = state.leaves.len() as u64;
            let leaf = self.certificate_leaf(n, index, p);
            state.leaves.push(leaf);
        }
        Ok(state.leaves.len() as u64)
    }

    /// Appends an entry a monitor cannot read and returns its index.
    pub fn append_oddity(&self, oddity: CtOddity) -> u64 {
        let mut state = self.write();
        let index = state.leaves.len() as u64;
        let ts = timestamp_ms(self.seed, index);
        let input = match oddity {
            CtOddity::GarbageCertificate => x509_leaf(ts, b"not a certificate"),
            CtOddity::UnknownEntryType => {
                let mut v = x509_leaf(ts, b"\x30\x00");
                v[10..12].copy_from_slice(&7u16.to_be_bytes());
                v
            }
            CtOddity::TruncatedLeaf => {
                let mut v = x509_leaf(ts, &[0x30; 40]);
                v.truncate(v.len() - 12);
                v
            }
            CtOddity::Oversized => {
                let mut cert = vec![0x30, 0x83];
                cert.extend_from_slice(&((OVERSIZED_BYTES - 5) as u32).to_be_bytes()[1..]);
                cert.resize(OVERSIZED_BYTES, 0);
                x509_leaf(ts, &cert)
            }
        };
        state.leaves.push(Leaf::new(input, chain(&[])));
        index
    }

    /// Entries in the log.
    pub fn size(&self) -> u64 {
        self.read().leaves.len() as u64
    }

    /// The log's public key, a DER SubjectPublicKeyInfo (what a monitor is configured with).
    pub fn public_key_der(&self) -> Vec<u8> {
        spki(&self.log_key)
    }

    /// The forged host's signing key's SubjectPublicKeyInfo (not the log's).
    pub fn forged_public_key_der(&self) -> Vec<u8> {
        spki(&self.forged_key)
    }

    /// The simulated CA's certificate (DER), the log's one accepted root.
    pub fn root_der(&self) -> Vec<u8> {
        self.ca_der.clone()
    }

    /// The answer to `path_and_query` on the host of `view`.
    pub(crate) fn respond(&self, view: View, path_and_query: &str) -> SimResponse {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let param = |name: &str| -> Option<u64> {
            query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == name)
                .and_then(|(_, v)| v.parse().ok())
        };
        let state = self.read();
        let leaves = self.view_hashes(&state, view);
        match path {
            "/ct/v1/get-sth" => {
                let size = leaves.len() as u64;
                let timestamp = match size {
                    0 => EPOCH_MS,
                    n => timestamp_ms(self.seed, n - 1) + 60_000,
                };
                let root = root(&leaves);
                let key = match view {
                    View::Forged => &self.forged_key,
                    View::Honest | View::Fork => &self.log_key,
                };
                ok(json!({
                    "tree_size": size,
                    "timestamp": timestamp,
                    "sha256_root_hash": b64(&root),
                    "tree_head_signature": b64(&sign_tree_head(key, timestamp, size, &root)),
                }))
            }
            "/ct/v1/get-sth-consistency" => {
                let (Some(first), Some(second)) = (param("first"), param("second")) else {
                    return bad_request("first and second are required");
                };
                if first > second || second > leaves.len() as u64 {
                    return bad_request("first and second are not within the tree");
                }
                let proof: Vec<String> = if first == 0 {
                    Vec::new()
                } else {
                    consistency_proof(first as usize, &leaves[..second as usize])
                        .iter()
                        .map(|h| b64(h))
                        .collect()
                };
                ok(json!({ "consistency": proof }))
            }
            "/ct/v1/get-entries" => {
                let (Some(start), Some(end)) = (param("start"), param("end")) else {
                    return bad_request("start and end are required");
                };
                let size = leaves.len() as u64;
                if start > end || start >= size {
                    return bad_request("start and end are not within the tree");
                }
                let end = end.min(size - 1).min(start + MAX_ENTRIES_PER_ANSWER - 1);
                let entries: Vec<_> = (start..=end)
                    .map(|i| {
                        let leaf = self.view_leaf(&state, view, i);
                        json!({
                            "leaf_input": b64(&leaf.input),
                            "extra_data": b64(&leaf.extra),
                        })
                    })
                    .collect();
                ok(json!({ "entries": entries }))
            }
            "/ct/v1/get-roots" => ok(json!({ "certificates": [b64(&self.ca_der)] })),
            _ => SimResponse {
                status: 404,
                content_type: "application/json".into(),
                body: br#"{"error_message":"not found"}"#.to_vec(),
                headers: Vec::new(),
                gzip: false,
            },
        }
    }

    /// The leaf hashes a view serves.
    fn view_hashes(&self, state: &State, view: View) -> Vec<[u8; 32]> {
        (0..state.leaves.len() as u64)
            .map(|i| self.view_leaf(state, view, i).hash)
            .collect()
    }

    /// Entry `i` as a view serves it: the fork rewrote the first build's last entry once the
    /// log grew past it.
    fn view_leaf<'a>(&self, state: &'a State, view: View, i: u64) -> &'a Leaf {
        match (&state.fork_leaf, view) {
            (Some(fork), View::Fork)
                if i + 1 == state.first_size && state.leaves.len() as u64 > state.first_size =>
            {
                fork
            }
            _ => &state.leaves[i as usize],
        }
    }

    /// The leaf of subject number `n` at `index`: a certificate or, for about one subject in
    /// three, a precertificate.
    fn certificate_leaf(&self, n: u64, index: u64, mut params: CertificateParams) -> Leaf {
        let ts = timestamp_ms(self.seed, index);
        let subject_key = P256Key::derive(b"simweb-ct-subject", self.seed, n);
        let mut serial = derive(b"simweb-ct-serial", self.seed, n, 0)[..16].to_vec();
        serial[0] &= 0x7f;
        serial[0] |= 0x01; // positive, 16 octets
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        // Valid from a day before it is logged.
        let not_before = rcgen::date_time_ymd(2025, 12, 31)
            + std::time::Duration::from_secs((ts - EPOCH_MS) / 1000);
        params.not_before = not_before;
        let days = if params
            .distinguished_name
            .get(&DnType::OrganizationName)
            .is_some()
        {
            365
        } else {
            90
        };
        params.not_after = not_before + std::time::Duration::from_secs(days * 86_400);
        let issuer = Issuer::from_params(&self.ca_params, &self.ca);
        let cert = params
            .signed_by(&subject_key, &issuer)
            .expect("a subject's validated parameters sign");
        let precert = derive(b"simweb-ct-precert", self.seed, n, 0)[0].is_multiple_of(3);
        if !precert {
            return Leaf::new(
                x509_leaf(ts, cert.der()),
                chain(&[cert.der(), &self.ca_der]),
            );
        }
        // The TBSCertificate of the leaf is the final certificate's; the precertificate logged
        // in the chain is the same with the critical poison extension.
        let tbs = first_element(cert.der()).expect("rcgen writes a DER certificate");
        let mut poison = CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 3],
            vec![0x05, 0x00],
        );
        poison.set_criticality(true);
        params.custom_extensions.push(poison);
        let pre = params
            .signed_by(&subject_key, &issuer)
            .expect("a subject's validated parameters sign");
        let issuer_key_hash: [u8; 32] = Sha256::digest(self.ca.subject_public_key_info()).into();
        let mut input = vec![0, 0];
        input.extend_from_slice(&ts.to_be_bytes());
        input.extend_from_slice(&1u16.to_be_bytes());
        input.extend_from_slice(&issuer_key_hash);
        push_u24(&mut input, tbs);
        input.extend_from_slice(&[0, 0]);
        let mut extra = Vec::new();
        push_u24(&mut extra, pre.der());
        extra.extend_from_slice(&chain(&[&self.ca_der]));
        Leaf::new(input, extra)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The certificate parameters of subject `i` (its number in the list given), checked.
fn subject_params(i: usize, s: &CtSubject) -> Result<CertificateParams, CtError> {
    let Some(first) = s.dns_names.first() else {
        return Err(CtError::NoDnsName { subject: i });
    };
    for name in &s.dns_names {
        if name.is_empty() || !name.is_ascii() {
            return Err(CtError::BadDnsName {
                subject: i,
                name: name.clone(),
            });
        }
    }
    let mut params =
        CertificateParams::new(s.dns_names.clone()).map_err(|_| CtError::BadDnsName {
            subject: i,
            name: s.dns_names.join(","),
        })?;
    let dn = &mut params.distinguished_name;
    *dn = rcgen::DistinguishedName::new();
    if s.organization.is_some() || s.locality.is_some() || s.province.is_some() {
        dn.push(DnType::CountryName, "CN");
    }
    if let Some(p) = &s.province {
        dn.push(DnType::StateOrProvinceName, p.as_str());
    }
    if let Some(l) = &s.locality {
        dn.push(DnType::LocalityName, l.as_str());
    }
    if let Some(o) = &s.organization {
        dn.push(DnType::OrganizationName, o.as_str());
    }
    dn.push(DnType::CommonName, first.as_str());
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    Ok(params)
}

/// Subjects for tests and demos: certificates of Nanning businesses (O, L and ST in Chinese or
/// English, as CAs write them), of businesses elsewhere, and domain-validated ones with no
/// organisation; DNS names under `.test`, a few with a wildcard.
pub fn demo_subjects(seed: u64, count: usize) -> Vec<CtSubject> {
    // Brand characters and their pinyin: a business's name and its domain agree.
    const BRAND: [(&str, &str); 16] = [
        ("鑫", "xin"),
        ("华", "hua"),
        ("通", "tong"),
        ("达", "da"),
        ("富", "fu"),
        ("康", "kang"),
        ("美", "mei"),
        ("顺", "shun"),
        ("源", "yuan"),
        ("盛", "sheng"),
        ("嘉", "jia"),
        ("德", "de"),
        ("瑞", "rui"),
        ("恒", "heng"),
        ("邕", "yong"),
        ("宏", "hong"),
    ];
    const TRADES: [&str; 6] = ["科技", "商贸", "食品", "网络", "电子商务", "文化传媒"];
    const NANNING_DISTRICTS: [&str; 4] = ["青秀区", "兴宁区", "西乡塘区", "良庆区"];
    const ELSEWHERE: [(&str, &str, &str); 3] = [
        ("柳州", "柳州市", "广西壮族自治区"),
        ("桂林", "Guilin", "Guangxi"),
        ("广州", "广州市", "广东省"),
    ];
    (0..count)
        .map(|i| {
            let h = derive(b"simweb-ct-demo", seed, i as u64, 0);
            let brand: Vec<(&str, &str)> = h[..2]
                .iter()
                .map(|b| BRAND[usize::from(*b) % BRAND.len()])
                .collect();
            let name: String = brand.iter().map(|(c, _)| *c).collect();
            let slug: String = brand.iter().map(|(_, p)| *p).collect();
            let host = format!("www.{slug}{i}.test");
            let mut dns_names = vec![host.clone(), format!("{slug}{i}.test")];
            if h[3].is_multiple_of(7) {
                dns_names.push(format!("*.{slug}{i}.test"));
            }
            let trade = TRADES[usize::from(h[4]) % TRADES.len()];
            let (organization, locality, province) = match h[5] % 6 {
                0 | 1 => {
                    let district = NANNING_DISTRICTS[usize::from(h[6]) % NANNING_DISTRICTS.len()];
                    let english = h[7].is_multiple_of(2);
                    (
                        Some(format!("南宁市{district}{name}{trade}有限公司")),
                        Some(if english { "Nanning" } else { "南宁市" }.to_owned()),
                        Some(
                            if english {
                                "Guangxi"
                            } else {
                                "广西壮族自治区"
                            }
                            .to_owned(),
                        ),
                    )
                }
                2 => {
                    let (city, locality, province) = ELSEWHERE[usize::from(h[6]) % ELSEWHERE.len()];
                    (
                        Some(format!("{city}{name}{trade}有限公司")),
                        Some(locality.to_owned()),
                        Some(province.to_owned()),
                    )
                }
                _ => (None, None, None),
            };
            CtSubject {
                dns_names,
                organization,
                locality,
                province,
            }
        })
        .collect()
}

/// An ECDSA P-256 key derived from a label, the seed and a number, usable by rcgen.
struct P256Key {
    key: SigningKey,
    /// The uncompressed SEC1 point.
    public: Vec<u8>,
}

impl P256Key {
    fn derive(label: &[u8], seed: u64, n: u64) -> P256Key {
        // A digest is a valid scalar but for a chance of about 2^-128; try the next one then.
        let key = (0u64..)
            .find_map(|attempt| SigningKey::from_slice(&derive(label, seed, n, attempt)).ok())
            .expect("some digest is a valid P-256 scalar");
        let public = key.verifying_key().to_sec1_point(false).as_bytes().to_vec();
        P256Key { key, public }
    }
}

impl PublicKeyData for P256Key {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for P256Key {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let signature: Signature = self.key.sign(msg);
        Ok(signature.to_der().as_bytes().to_vec())
    }
}

/// SHA-256(label ‖ seed ‖ n ‖ attempt).
fn derive(label: &[u8], seed: u64, n: u64, attempt: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(label);
    h.update(seed.to_be_bytes());
    h.update(n.to_be_bytes());
    h.update(attempt.to_be_bytes());
    h.finalize().into()
}

/// Entry `index`'s timestamp: ten minutes per entry and a derived jitter below that.
fn timestamp_ms(seed: u64, index: u64) -> u64 {
    let jitter = u64::from_be_bytes(
        derive(b"simweb-ct-time", seed, index, 0)[..8]
            .try_into()
            .expect("8 bytes"),
    ) % SPACING_MS;
    EPOCH_MS + index * SPACING_MS + jitter
}

/// A key's SubjectPublicKeyInfo, DER.
fn spki(key: &SigningKey) -> Vec<u8> {
    let public = key.verifying_key().to_sec1_point(false).as_bytes().to_vec();
    P256Key {
        key: key.clone(),
        public,
    }
    .subject_public_key_info()
}

/// A DigitallySigned TreeHeadSignature (RFC 6962 §3.5), ECDSA P-256 with SHA-256.
fn sign_tree_head(key: &SigningKey, timestamp: u64, size: u64, root: &[u8; 32]) -> Vec<u8> {
    let mut data = vec![0, 1];
    data.extend_from_slice(&timestamp.to_be_bytes());
    data.extend_from_slice(&size.to_be_bytes());
    data.extend_from_slice(root);
    let signature: Signature = key.sign(&data);
    let der = signature.to_der();
    let mut out = vec![4, 3];
    out.extend_from_slice(&(der.as_bytes().len() as u16).to_be_bytes());
    out.extend_from_slice(der.as_bytes());
    out
}

/// A MerkleTreeLeaf of an `x509_entry`.
fn x509_leaf(ts: u64, cert: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0];
    v.extend_from_slice(&ts.to_be_bytes());
    v.extend_from_slice(&0u16.to_be_bytes());
    push_u24(&mut v, cert);
    v.extend_from_slice(&[0, 0]);
    v
}

/// A certificate chain: `<0..2^24-1>` of `<1..2^24-1>` certificates.
fn chain(certs: &[&[u8]]) -> Vec<u8> {
    let mut inner = Vec::new();
    for c in certs {
        push_u24(&mut inner, c);
    }
    let mut v = Vec::new();
    push_u24(&mut v, &inner);
    v
}

fn push_u24(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(bytes);
}

/// The first element (tag, length and content) inside a DER SEQUENCE: a certificate's
/// TBSCertificate.
fn first_element(der: &[u8]) -> Option<&[u8]> {
    let (header, len) = der_header(der)?;
    let inner = der.get(header..header + len)?;
    let (header, len) = der_header(inner)?;
    inner.get(..header + len)
}

/// A DER header with a one-byte tag: (header length, content length).
fn der_header(der: &[u8]) -> Option<(usize, usize)> {
    let first = *der.get(1)?;
    if first < 0x80 {
        return Some((2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let len = der
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Some((2 + n, len))
}

fn leaf_hash(data: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH (RFC 6962 §2.1) over leaf hashes.
fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// PROOF(m, D[n]) (RFC 6962 §2.1.2), for 0 < m ≤ n.
fn consistency_proof(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    fn subproof(m: usize, leaves: &[[u8; 32]], whole: bool, out: &mut Vec<[u8; 32]>) {
        let n = leaves.len();
        if m == n {
            if !whole {
                out.push(root(leaves));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            subproof(m, &leaves[..k], whole, out);
            out.push(root(&leaves[k..]));
        } else {
            subproof(m - k, &leaves[k..], false, out);
            out.push(root(&leaves[..k]));
        }
    }
    let mut out = Vec::new();
    subproof(m, leaves, true, &mut out);
    out
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn ok(value: serde_json::Value) -> SimResponse {
    SimResponse {
        status: 200,
        content_type: "application/json".into(),
        body: value.to_string().into_bytes(),
        headers: Vec::new(),
        gzip: false,
    }
}

fn bad_request(message: &str) -> SimResponse {
    SimResponse {
        status: 400,
        content_type: "application/json".into(),
        body: json!({ "error_message": message }).to_string().into_bytes(),
        headers: Vec::new(),
        gzip: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(log: &CtLog, view: View, pq: &str) -> serde_json::Value {
        let r = log.respond(view, pq);
        assert_eq!(r.status, 200, "{pq}: {}", String::from_utf8_lossy(&r.body));
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn the_same_seed_gives_the_same_log() {
        let a = CtLog::new(7, demo_subjects(7, 12)).unwrap();
        let b = CtLog::new(7, demo_subjects(7, 12)).unwrap();
        for pq in [
            "/ct/v1/get-sth",
            "/ct/v1/get-entries?start=0&end=11",
            "/ct/v1/get-roots",
        ] {
            assert_eq!(
                a.respond(View::Honest, pq),
                b.respond(View::Honest, pq),
                "{pq}"
            );
        }
        assert_eq!(a.public_key_der(), b.public_key_der());
        let c = CtLog::new(8, demo_subjects(7, 12)).unwrap();
        assert_ne!(
            a.respond(View::Honest, "/ct/v1/get-sth"),
            c.respond(View::Honest, "/ct/v1/get-sth")
        );
        assert_ne!(a.public_key_der(), a.forged_public_key_der());
    }

    #[test]
    fn entries_are_capped_and_bounded() {
        let log = CtLog::new(1, demo_subjects(1, 70)).unwrap();
        let all = get(&log, View::Honest, "/ct/v1/get-entries?start=0&end=69");
        assert_eq!(all["entries"].as_array().unwrap().len(), 64);
        let tail = get(&log, View::Honest, "/ct/v1/get-entries?start=60&end=1000");
        assert_eq!(tail["entries"].as_array().unwrap().len(), 10);
        for bad in [
            "/ct/v1/get-entries?start=70&end=70",
            "/ct/v1/get-entries?start=5&end=4",
            "/ct/v1/get-entries?start=0",
            "/ct/v1/get-sth-consistency?first=3&second=71",
            "/ct/v1/get-sth-consistency?first=4&second=3",
        ] {
            assert_eq!(log.respond(View::Honest, bad).status, 400, "{bad}");
        }
        assert_eq!(log.respond(View::Honest, "/ct/v1/nothing").status, 404);
    }

    #[test]
    fn proofs_are_rfc6962s() {
        // Leaves and known answers of the RFC 6962 reference tests (certificate-transparency).
        let leaves: Vec<[u8; 32]> = [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|h| leaf_hash(&hex_decode(h)))
        .collect();
        assert_eq!(
            hex(&root(&leaves)),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
        );
        let proof: Vec<String> = consistency_proof(1, &leaves)
            .iter()
            .map(|h| hex(h))
            .collect();
        assert_eq!(
            proof,
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        );
        let proof: Vec<String> = consistency_proof(6, &leaves)
            .iter()
            .map(|h| hex(h))
            .collect();
        assert_eq!(
            proof,
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        );
        assert!(consistency_proof(8, &leaves).is_empty());
    }

    #[test]
    fn the_fork_rewrites_history_only_after_growth() {
        let log = CtLog::new(3, demo_subjects(3, 5)).unwrap();
        let sth = |v| get(&log, v, "/ct/v1/get-sth");
        assert_eq!(sth(View::Honest), sth(View::Fork));
        assert_eq!(
            sth(View::Honest)["sha256_root_hash"],
            sth(View::Forged)["sha256_root_hash"]
        );
        assert_ne!(
            sth(View::Honest)["tree_head_signature"],
            sth(View::Forged)["tree_head_signature"]
        );
        assert_eq!(log.append(demo_subjects(4, 2)).unwrap(), 7);
        assert_eq!(sth(View::Honest)["tree_size"], 7);
        assert_eq!(sth(View::Fork)["tree_size"], 7);
        assert_ne!(
            sth(View::Honest)["sha256_root_hash"],
            sth(View::Fork)["sha256_root_hash"]
        );
        let entries = |v| get(&log, v, "/ct/v1/get-entries?start=0&end=6")["entries"].clone();
        let (honest, fork) = (entries(View::Honest), entries(View::Fork));
        for i in 0..7 {
            assert_eq!(honest[i] == fork[i], i != 4, "entry {i}");
        }
    }

    #[test]
    fn subjects_without_usable_names_are_refused_whole() {
        let log = CtLog::new(1, demo_subjects(1, 2)).unwrap();
        let bad = vec![
            demo_subjects(1, 1).remove(0),
            CtSubject {
                dns_names: vec!["南宁.test".into()],
                ..CtSubject::default()
            },
        ];
        assert_eq!(
            log.append(bad),
            Err(CtError::BadDnsName {
                subject: 1,
                name: "南宁.test".into()
            })
        );
        assert_eq!(
            log.append(vec![CtSubject::default()]),
            Err(CtError::NoDnsName { subject: 0 })
        );
        assert_eq!(log.size(), 2);
    }

    #[test]
    fn the_tbs_is_the_certificates_first_element() {
        // SEQUENCE { SEQUENCE { INTEGER 5 }, NULL }
        let der = [0x30, 0x07, 0x30, 0x03, 0x02, 0x01, 0x05, 0x05, 0x00];
        assert_eq!(first_element(&der), Some(&der[2..7]));
        let long = [&[0x30u8, 0x81, 0x05, 0x30, 0x03][..], &[1, 2, 3]].concat();
        assert_eq!(first_element(&long), Some(&long[3..8]));
        assert_eq!(first_element(&[0x30, 0x05, 0x30]), None);
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn hex_decode(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
