//! Trusted time: RFC 3161 time-stamp requests and tokens for signed checkpoints.
//!
//! A checkpoint's `time` line is the signer's own clock. Where a third party's word on the time
//! is needed, a configured Time-Stamping Authority (TSA) signs a token over the SHA-256 of the
//! checkpoint note as stored (the whole file: checkpoint text and signature lines). The token
//! (a CMS `ContentInfo` holding `SignedData` over a `TSTInfo`) is kept beside the note as
//! `checkpoints/<size>-<unix seconds>.tsr` ([`crate::tlog::checkpoint::store_token`]), so any
//! RFC 3161 verifier (`openssl ts -verify -token_in -in X.tsr -data X.note -CAfile tsa-ca.pem`)
//! checks it with no wangjian code at all. Nothing here runs unless a TSA URL is configured.
//!
//! This module builds the request ([`TimeStampRequest::to_der`]) and checks the answer
//! ([`TimeStampRequest::verify_response`], [`verify_token`]); it does no IO. The HTTP exchange
//! is the caller's (`sweep::tsa`, through the crawler's client and its address policy), so
//! that `evidence` stays free of any network code.
//!
//! What [`verify_token`] checks, in order, each failure a named [`TsaError`]:
//! 1. the token is DER of the expected shape (RustCrypto `cms` and `x509-cert`): a
//!    `ContentInfo` of type `signedData`, encapsulating an `id-ct-TSTInfo`, with exactly one
//!    signer;
//! 2. the `TSTInfo` is version 1 and its message imprint (SHA-256, SHA-384 or SHA-512) is the
//!    hash of the data;
//! 3. the signer's certificate is in the token (requests ask for it), found by issuer and
//!    serial or by subject key identifier;
//! 4. the signed attributes: the content type is `id-ct-TSTInfo`, the message digest is the
//!    digest of the `TSTInfo` under the signer's digest algorithm, and an ESS
//!    `SigningCertificate` (SHA-1 `ESSCertID`) or `SigningCertificateV2` (`ESSCertIDv2`)
//!    binds the signature to that certificate by its hash (and serial, when given);
//! 5. the signature over the signed attributes verifies with the certificate's key: RSA
//!    PKCS#1 v1.5 with SHA-256/384/512 (`rsa`) or ECDSA P-256/P-384 (`p256`, `p384`);
//! 6. the certificate is a time-stamping certificate (critical extended key usage
//!    `timeStamping`, RFC 3161 §2.3) valid at `genTime`;
//! 7. when a trusted TSA root is given ([`TsaRoot`]), the certificate chains to it through the
//!    token's certificates, each signature checked and each issuer a CA valid at `genTime`.
//!
//! Without a root, a token proves that its certificate's key signed this time over these
//! bytes; whose key that is, the root decides. Revocation (CRL, OCSP) is not checked.
//!
//! Must not: fetch, depend on an async runtime, or change a stored note or token.

use chrono::{DateTime, NaiveDateTime, Utc};
use cms::cert::CertificateChoices;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{Any, BitString, ObjectIdentifier, OctetString, Uint};
use der::{Decode, Encode, Sequence, Tag, Tagged};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, SubjectKeyIdentifier};
use x509_cert::ext::Extensions;
use x509_cert::Certificate;

/// The media type of a request.
pub const QUERY_CONTENT_TYPE: &str = "application/timestamp-query";
/// The media type of a response.
pub const REPLY_CONTENT_TYPE: &str = "application/timestamp-reply";
/// The largest response a TSA is expected to send.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_AA_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const ECDSA_WITH_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// Longest chain from the TSA certificate to the root, in certificates.
const MAX_CHAIN: usize = 8;

/// Which part of a request, response or token is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Response,
    Token,
    SignedData,
    TstInfo,
    SignedAttributes,
    Certificate,
    Root,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Response => "time-stamp response",
            Part::Token => "time-stamp token",
            Part::SignedData => "CMS SignedData",
            Part::TstInfo => "TSTInfo",
            Part::SignedAttributes => "signed attributes",
            Part::Certificate => "certificate",
            Part::Root => "TSA root certificate",
        })
    }
}

/// Why a chain from the TSA's certificate to the root does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// No certificate in the token (nor the root) issued this one.
    NoIssuer { subject: String },
    /// A certificate's signature does not verify with its issuer's key.
    BadSignature { subject: String },
    /// An issuing certificate is not a CA.
    NotACa { subject: String },
    /// A certificate of the chain is not valid at the token's time.
    NotValidAt { subject: String },
    /// The chain is longer than the limit (or loops).
    TooLong,
}

impl std::fmt::Display for ChainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainError::NoIssuer { subject } => write!(f, "no issuer found for {subject}"),
            ChainError::BadSignature { subject } => {
                write!(f, "the signature on {subject} does not verify")
            }
            ChainError::NotACa { subject } => write!(f, "{subject} is not a CA"),
            ChainError::NotValidAt { subject } => {
                write!(f, "{subject} is not valid at the token's time")
            }
            ChainError::TooLong => write!(f, "longer than {MAX_CHAIN} certificates"),
        }
    }
}

/// Everything building a request and checking a response or token can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TsaError {
    /// The TSA refused the request (PKIStatus other than granted / grantedWithMods).
    #[error("the TSA refused the request: status {status}{}", text.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    Rejected { status: u32, text: Option<String> },
    /// A structure is not the DER RFC 3161 / RFC 5652 / RFC 5280 define.
    #[error("malformed {part}: {reason}")]
    Malformed { part: Part, reason: String },
    /// The response was granted but holds no token.
    #[error("the time-stamp response is granted but holds no token")]
    NoToken,
    /// The token has no signer, or more than one (RFC 3161: only the TSA signs).
    #[error("the token has {0} signers; a time-stamp token has exactly one")]
    SignerCount(usize),
    /// A hash algorithm the verifier does not know.
    #[error("unsupported hash algorithm {0}")]
    UnsupportedHash(String),
    /// A signature algorithm or key type the verifier does not know.
    #[error("unsupported signature algorithm or key {0}")]
    UnsupportedSignature(String),
    /// The token's message imprint is not the hash of the data.
    #[error("the time-stamp token covers {token_hash}, not the data's hash {data_hash}")]
    ImprintMismatch {
        token_hash: String,
        data_hash: String,
    },
    /// The token does not echo the request's nonce (a replayed or mixed-up response).
    #[error("the time-stamp token's nonce does not match the request's")]
    NonceMismatch,
    /// The token holds no certificate matching its signer.
    #[error("the token holds no certificate of its signer")]
    NoSignerCertificate,
    /// The signed attributes are missing one that RFC 3161 requires.
    #[error("the signed attributes lack {0}")]
    MissingAttribute(&'static str),
    /// The signed content-type attribute is not `id-ct-TSTInfo`.
    #[error("the signed content type is not id-ct-TSTInfo")]
    ContentTypeMismatch,
    /// The signed message-digest attribute is not the digest of the `TSTInfo`.
    #[error("the signed message digest does not match the TSTInfo")]
    MessageDigestMismatch,
    /// The ESS signing-certificate attribute names another certificate.
    #[error("the signing-certificate attribute does not match the signer's certificate")]
    SigningCertificateMismatch,
    /// The signature over the signed attributes does not verify with the certificate's key.
    #[error("the TSA's signature does not verify")]
    BadSignature,
    /// The signer's certificate is not for time-stamping (critical EKU `timeStamping`).
    #[error("the signer's certificate is not a time-stamping certificate")]
    NotTimeStampingCertificate,
    /// The signer's certificate is not valid at the token's `genTime`.
    #[error("the signer's certificate is not valid at {0}")]
    CertificateNotValidAt(DateTime<Utc>),
    /// The signer's certificate does not chain to the trusted root.
    #[error("the TSA certificate does not chain to the trusted root: {0}")]
    Untrusted(ChainError),
    /// The random nonce could not be drawn.
    #[error("cannot draw a nonce: {0}")]
    Random(String),
}

fn malformed(part: Part, e: impl std::fmt::Display) -> TsaError {
    TsaError::Malformed {
        part,
        reason: e.to_string(),
    }
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// `TSTInfo.genTime`: the time the TSA vouches for.
    pub gen_time: DateTime<Utc>,
    /// `TSTInfo.tsa` when the TSA names itself: a directory name as RFC 4514 writes it
    /// (`C=CN,O=...,CN=...`), or a DNS / URI name.
    pub tsa_name: Option<String>,
    /// `TSTInfo.policy`, dotted.
    pub policy: String,
    /// `TSTInfo.serialNumber`, hex (big-endian, leading zero bytes removed).
    pub serial: String,
    /// `TSTInfo.nonce` (big-endian, leading zero bytes removed), if any.
    pub nonce: Option<Vec<u8>>,
    /// The signer certificate's subject (RFC 4514).
    pub signer: String,
    /// Whether the signer's certificate was checked to chain to a trusted root.
    pub chained_to_root: bool,
}

/// A trusted TSA root certificate: tokens must chain to it.
#[derive(Debug, Clone)]
pub struct TsaRoot {
    cert: Certificate,
}

impl TsaRoot {
    /// Reads a certificate in PEM (the first `CERTIFICATE` block) or DER.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<TsaRoot, TsaError> {
        let cert = if bytes.starts_with(b"-----") || bytes.trim_ascii_start().starts_with(b"-----")
        {
            let mut certs = Certificate::load_pem_chain(bytes.trim_ascii())
                .map_err(|e| malformed(Part::Root, e))?;
            if certs.is_empty() {
                return Err(malformed(Part::Root, "no certificate in the PEM file"));
            }
            certs.swap_remove(0)
        } else {
            Certificate::from_der(bytes).map_err(|e| malformed(Part::Root, e))?
        };
        Ok(TsaRoot { cert })
    }

    /// The root's subject (RFC 4514).
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }
}

// ---- RFC 3161 structures (the CMS and X.509 ones come from `cms` and `x509-cert`) ----

/// `MessageImprint`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

/// `TimeStampReq` as this client sends it: no policy, no extensions.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TimeStampReq {
    version: u8,
    message_imprint: MessageImprint,
    nonce: Uint,
    cert_req: bool,
}

/// `PKIStatusInfo`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct PkiStatusInfo {
    status: u32,
    #[asn1(optional = "true")]
    status_string: Option<Vec<String>>,
    #[asn1(optional = "true")]
    fail_info: Option<BitString>,
}

/// `TimeStampResp`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TimeStampResp {
    status: PkiStatusInfo,
    #[asn1(optional = "true")]
    time_stamp_token: Option<Any>,
}

/// `Accuracy`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct Accuracy {
    #[asn1(optional = "true")]
    seconds: Option<u64>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    micros: Option<u16>,
}

/// `TSTInfo`. `genTime` is read as it comes: a `GeneralizedTime` with fractional seconds is
/// valid here (RFC 3161 §2.4.2), which the DER `GeneralizedTime` type does not take.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TstInfo {
    version: u8,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint,
    serial_number: Uint,
    gen_time: Any,
    #[asn1(optional = "true")]
    accuracy: Option<Accuracy>,
    #[asn1(optional = "true")]
    ordering: Option<bool>,
    #[asn1(optional = "true")]
    nonce: Option<Uint>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<GeneralName>,
    #[asn1(
        context_specific = "1",
        tag_mode = "IMPLICIT",
        constructed = "true",
        optional = "true"
    )]
    extensions: Option<Extensions>,
}

/// `ESSCertID` (RFC 2634): a SHA-1 certificate hash.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct EssCertId {
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

/// `SigningCertificate`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

/// `ESSCertIDv2` (RFC 5035): the hash algorithm defaults to SHA-256.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct EssCertIdV2 {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<IssuerSerial>,
}

/// `SigningCertificateV2`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    #[asn1(optional = "true")]
    policies: Option<Any>,
}

/// `IssuerSerial`: the issuer's names and the certificate's serial number.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct IssuerSerial {
    issuer: Vec<GeneralName>,
    serial_number: der::asn1::Int,
}

// ---- the request ----

/// One time-stamp request: the SHA-256 of the data and a fresh nonce. Build it, send
/// [`to_der`](Self::to_der) to the TSA as `application/timestamp-query`, and hand the answer
/// to [`verify_response`](Self::verify_response).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeStampRequest {
    hash: [u8; 32],
    nonce: [u8; 8],
}

impl TimeStampRequest {
    /// A request over `data` with a random 64-bit nonce.
    pub fn new(data: &[u8]) -> Result<TimeStampRequest, TsaError> {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| TsaError::Random(e.to_string()))?;
        Ok(TimeStampRequest::with_nonce(data, nonce))
    }

    /// A request over `data` with the given nonce (tests, replays of a known request).
    pub fn with_nonce(data: &[u8], nonce: [u8; 8]) -> TimeStampRequest {
        TimeStampRequest {
            hash: Sha256::digest(data).into(),
            nonce,
        }
    }

    /// DER `TimeStampReq` (RFC 3161 §2.4.1): version 1, SHA-256 imprint, the nonce as a
    /// positive INTEGER, `certReq` TRUE (the TSA's certificate is needed to check the
    /// signature); no policy, no extensions.
    pub fn to_der(&self) -> Vec<u8> {
        let req = TimeStampReq {
            version: 1,
            message_imprint: MessageImprint {
                hash_algorithm: AlgorithmIdentifierOwned {
                    oid: ID_SHA256,
                    parameters: Some(Any::null()),
                },
                hashed_message: OctetString::new(self.hash.to_vec()).expect("32 bytes"),
            },
            nonce: Uint::new(&self.nonce).expect("8 bytes"),
            cert_req: true,
        };
        req.to_der()
            .expect("a request of fixed-size fields encodes")
    }

    /// Checks a TSA's DER `TimeStampResp` to this request: the status is granted (or granted
    /// with modifications), the token verifies over `data` ([`verify_token`], with `root`
    /// when given) and echoes the nonce. Returns the token (DER `ContentInfo`, as to be
    /// stored) and what it says.
    pub fn verify_response(
        &self,
        response: &[u8],
        data: &[u8],
        root: Option<&TsaRoot>,
    ) -> Result<(Vec<u8>, TokenInfo), TsaError> {
        if <[u8; 32]>::from(Sha256::digest(data)) != self.hash {
            return Err(TsaError::ImprintMismatch {
                token_hash: hex::encode(self.hash),
                data_hash: hex::encode(Sha256::digest(data)),
            });
        }
        let token = parse_response(response)?;
        let info = verify_token(&token, data, root)?;
        if info.nonce.as_deref() != Some(strip_zeros(&self.nonce)) {
            return Err(TsaError::NonceMismatch);
        }
        Ok((token, info))
    }
}

/// The token (DER `ContentInfo`) of a DER `TimeStampResp`, if its status is granted (0) or
/// grantedWithMods (1).
pub fn parse_response(der: &[u8]) -> Result<Vec<u8>, TsaError> {
    let resp = TimeStampResp::from_der(der).map_err(|e| malformed(Part::Response, e))?;
    if resp.status.status > 1 {
        let text = resp
            .status
            .status_string
            .filter(|parts| !parts.is_empty())
            .map(|parts| parts.join("; "));
        return Err(TsaError::Rejected {
            status: resp.status.status,
            text,
        });
    }
    let token = resp.time_stamp_token.ok_or(TsaError::NoToken)?;
    token.to_der().map_err(|e| malformed(Part::Response, e))
}

// ---- the token ----

/// Verifies `token` (a DER `ContentInfo` time-stamp token, or a whole `TimeStampResp` holding
/// one) over `data`: every check of the module documentation, the chain to `root` when one is
/// given. Returns what the token says.
pub fn verify_token(
    token: &[u8],
    data: &[u8],
    root: Option<&TsaRoot>,
) -> Result<TokenInfo, TsaError> {
    // A TimeStampResp starts with the PKIStatusInfo SEQUENCE; a ContentInfo with an OID.
    if token.len() > 2 && token[0] == 0x30 && starts_with_sequence(token) {
        return verify_token(&parse_response(token)?, data, root);
    }
    let content_info = ContentInfo::from_der(token).map_err(|e| malformed(Part::Token, e))?;
    if content_info.content_type != ID_SIGNED_DATA {
        return Err(malformed(Part::Token, "the content type is not signedData"));
    }
    let signed: SignedData = content_info
        .content
        .decode_as()
        .map_err(|e| malformed(Part::SignedData, e))?;
    // RFC 5652 §5.1: version 3 whenever the content is not id-data.
    if signed.version != CmsVersion::V3 {
        return Err(malformed(Part::SignedData, "the version is not 3"));
    }
    if signed.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(malformed(
            Part::SignedData,
            "the encapsulated content is not a TSTInfo",
        ));
    }
    let tst_der = signed
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| malformed(Part::SignedData, "no encapsulated TSTInfo"))?
        .decode_as::<OctetString>()
        .map_err(|e| malformed(Part::SignedData, e))?;
    let tst_der = tst_der.as_bytes();
    let tst = TstInfo::from_der(tst_der).map_err(|e| malformed(Part::TstInfo, e))?;
    if tst.version != 1 {
        return Err(malformed(Part::TstInfo, "the version is not 1"));
    }
    let imprint_alg = HashAlg::of(&tst.message_imprint.hash_algorithm)?;
    let data_hash = imprint_alg.digest(data);
    if tst.message_imprint.hashed_message.as_bytes() != data_hash.as_slice() {
        return Err(TsaError::ImprintMismatch {
            token_hash: hex::encode(tst.message_imprint.hashed_message.as_bytes()),
            data_hash: hex::encode(&data_hash),
        });
    }
    let gen_time = match tst.gen_time.tag() {
        Tag::GeneralizedTime => parse_generalized_time(tst.gen_time.value()),
        _ => None,
    }
    .ok_or_else(|| malformed(Part::TstInfo, "genTime is not a GeneralizedTime"))?;

    let signers = signed.signer_infos.0.as_slice();
    let [signer] = signers else {
        return Err(TsaError::SignerCount(signers.len()));
    };
    // The signer's version follows its identifier: 1 for issuer and serial, 3 for a key id.
    let expected_version = match signer.sid {
        SignerIdentifier::IssuerAndSerialNumber(_) => CmsVersion::V1,
        SignerIdentifier::SubjectKeyIdentifier(_) => CmsVersion::V3,
    };
    if signer.version != expected_version {
        return Err(malformed(
            Part::SignedData,
            "the signer's version does not match its identifier",
        ));
    }
    for alg in signed.digest_algorithms.iter() {
        HashAlg::of(alg)?;
    }
    if !signed
        .digest_algorithms
        .iter()
        .any(|a| a.oid == signer.digest_alg.oid)
    {
        return Err(malformed(
            Part::SignedData,
            "the signer's digest algorithm is not among the SignedData's",
        ));
    }
    let certs: Vec<&Certificate> = signed
        .certificates
        .as_ref()
        .map(|set| {
            set.0
                .iter()
                .filter_map(|c| match c {
                    CertificateChoices::Certificate(c) => Some(c),
                    CertificateChoices::Other(_) => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let cert = certs
        .iter()
        .copied()
        .find(|c| is_signer(c, &signer.sid))
        .ok_or(TsaError::NoSignerCertificate)?;

    check_signed_attributes(signer, cert, tst_der)?;
    let signed_attrs = signer
        .signed_attrs
        .as_ref()
        .ok_or(TsaError::MissingAttribute("signed attributes"))?;
    // The signature is over the DER of the attributes as a SET OF (RFC 5652 §5.4).
    let message = signed_attrs
        .to_der()
        .map_err(|e| malformed(Part::SignedAttributes, e))?;
    let scheme =
        SignatureScheme::for_signer(&signer.signature_algorithm.oid, &signer.digest_alg.oid)?;
    let key = PublicKey::of(cert)?;
    if !key.verifies(scheme, &message, signer.signature.as_bytes()) {
        return Err(TsaError::BadSignature);
    }

    match cert.tbs_certificate().get_extension::<ExtendedKeyUsage>() {
        Ok(Some((true, eku))) if eku.0.contains(&ID_KP_TIME_STAMPING) => {}
        _ => return Err(TsaError::NotTimeStampingCertificate),
    }
    if !valid_at(cert, gen_time) {
        return Err(TsaError::CertificateNotValidAt(gen_time));
    }
    if let Some(root) = root {
        check_chain(cert, &certs, root, gen_time).map_err(TsaError::Untrusted)?;
    }

    Ok(TokenInfo {
        gen_time,
        tsa_name: tst.tsa.as_ref().and_then(general_name),
        policy: tst.policy.to_string(),
        serial: hex::encode(strip_zeros(tst.serial_number.as_bytes())),
        nonce: tst.nonce.map(|n| strip_zeros(n.as_bytes()).to_vec()),
        signer: cert.tbs_certificate().subject().to_string(),
        chained_to_root: root.is_some(),
    })
}

/// Whether the first element inside the outer SEQUENCE is itself a SEQUENCE (a
/// `TimeStampResp`'s `PKIStatusInfo`) rather than an OID (a `ContentInfo`'s type).
fn starts_with_sequence(der: &[u8]) -> bool {
    let len_bytes = match der.get(1) {
        Some(&b) if b < 0x80 => 0,
        Some(&b) => usize::from(b & 0x7f),
        None => return false,
    };
    der.get(2 + len_bytes) == Some(&0x30)
}

/// Whether `cert` is the one `sid` names.
fn is_signer(cert: &Certificate, sid: &SignerIdentifier) -> bool {
    let tbs = cert.tbs_certificate();
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            isn.issuer == *tbs.issuer() && isn.serial_number == *tbs.serial_number()
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            matches!(tbs.get_extension::<SubjectKeyIdentifier>(), Ok(Some((_, own))) if own == *ski)
        }
    }
}

/// The signed attributes RFC 3161 and RFC 5652 require: content type, message digest, and
/// the ESS signing certificate bound to `cert`.
fn check_signed_attributes(
    signer: &SignerInfo,
    cert: &Certificate,
    tst_der: &[u8],
) -> Result<(), TsaError> {
    let attrs = signer
        .signed_attrs
        .as_ref()
        .ok_or(TsaError::MissingAttribute("signed attributes"))?;
    let value = |oid: ObjectIdentifier| -> Option<&Any> {
        attrs
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    let bad = |e: der::Error| malformed(Part::SignedAttributes, e);

    let content_type = value(ID_CONTENT_TYPE).ok_or(TsaError::MissingAttribute("content-type"))?;
    if content_type.decode_as::<ObjectIdentifier>().map_err(bad)? != ID_CT_TST_INFO {
        return Err(TsaError::ContentTypeMismatch);
    }
    let digest = value(ID_MESSAGE_DIGEST).ok_or(TsaError::MissingAttribute("message-digest"))?;
    let digest = digest.decode_as::<OctetString>().map_err(bad)?;
    let alg = HashAlg::of(&signer.digest_alg)?;
    if digest.as_bytes() != alg.digest(tst_der).as_slice() {
        return Err(TsaError::MessageDigestMismatch);
    }

    let cert_der = cert.to_der().map_err(|e| malformed(Part::Certificate, e))?;
    let serial = cert.tbs_certificate().serial_number().as_bytes();
    let serial_matches = |is: &Option<IssuerSerial>| {
        is.as_ref()
            .is_none_or(|is| is.serial_number.as_bytes() == serial)
    };
    if let Some(v2) = value(ID_AA_SIGNING_CERTIFICATE_V2) {
        let sc: SigningCertificateV2 = v2.decode_as().map_err(bad)?;
        let first = sc
            .certs
            .first()
            .ok_or(TsaError::SigningCertificateMismatch)?;
        let alg = match &first.hash_algorithm {
            Some(a) => HashAlg::of(a)?,
            None => HashAlg::Sha256,
        };
        if first.cert_hash.as_bytes() != alg.digest(&cert_der).as_slice()
            || !serial_matches(&first.issuer_serial)
        {
            return Err(TsaError::SigningCertificateMismatch);
        }
    } else if let Some(v1) = value(ID_AA_SIGNING_CERTIFICATE) {
        let sc: SigningCertificate = v1.decode_as().map_err(bad)?;
        let first = sc
            .certs
            .first()
            .ok_or(TsaError::SigningCertificateMismatch)?;
        if first.cert_hash.as_bytes() != HashAlg::Sha1.digest(&cert_der).as_slice()
            || !serial_matches(&first.issuer_serial)
        {
            return Err(TsaError::SigningCertificateMismatch);
        }
    } else {
        return Err(TsaError::MissingAttribute("signing-certificate"));
    }
    Ok(())
}

/// Whether `cert` is valid at `t`.
fn valid_at(cert: &Certificate, t: DateTime<Utc>) -> bool {
    let validity = cert.tbs_certificate().validity();
    let secs = |time: x509_cert::time::Time| time.to_unix_duration().as_secs() as i64;
    let t = t.timestamp();
    secs(validity.not_before) <= t && t <= secs(validity.not_after)
}

/// Follows issuers from `cert` through `pool` to `root`, checking each signature, that each
/// issuer is a CA and that every certificate is valid at `at`.
fn check_chain(
    cert: &Certificate,
    pool: &[&Certificate],
    root: &TsaRoot,
    at: DateTime<Utc>,
) -> Result<(), ChainError> {
    let subject = |c: &Certificate| c.tbs_certificate().subject().to_string();
    let mut current = cert;
    for _ in 0..MAX_CHAIN {
        let issuer_name = current.tbs_certificate().issuer();
        // The root first: a certificate it issued ends the chain.
        if root.cert.tbs_certificate().subject() == issuer_name {
            if !signed_by(current, &root.cert) {
                return Err(ChainError::BadSignature {
                    subject: subject(current),
                });
            }
            if !valid_at(&root.cert, at) {
                return Err(ChainError::NotValidAt {
                    subject: subject(&root.cert),
                });
            }
            return Ok(());
        }
        let issuer = pool
            .iter()
            .copied()
            .find(|c| c.tbs_certificate().subject() == issuer_name && !std::ptr::eq(*c, current))
            .ok_or_else(|| ChainError::NoIssuer {
                subject: subject(current),
            })?;
        if !signed_by(current, issuer) {
            return Err(ChainError::BadSignature {
                subject: subject(current),
            });
        }
        if !matches!(
            issuer.tbs_certificate().get_extension::<BasicConstraints>(),
            Ok(Some((_, BasicConstraints { ca: true, .. })))
        ) {
            return Err(ChainError::NotACa {
                subject: subject(issuer),
            });
        }
        if !valid_at(issuer, at) {
            return Err(ChainError::NotValidAt {
                subject: subject(issuer),
            });
        }
        current = issuer;
    }
    Err(ChainError::TooLong)
}

/// Whether `cert`'s signature verifies with `issuer`'s key.
fn signed_by(cert: &Certificate, issuer: &Certificate) -> bool {
    let Ok(tbs) = cert.tbs_certificate().to_der() else {
        return false;
    };
    let Ok(scheme) = SignatureScheme::for_certificate(&cert.signature_algorithm().oid) else {
        return false;
    };
    let Ok(key) = PublicKey::of(issuer) else {
        return false;
    };
    match cert.signature().as_bytes() {
        Some(sig) => key.verifies(scheme, &tbs, sig),
        None => false,
    }
}

// ---- algorithms ----

/// The hashes a token or certificate may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    /// The hash an algorithm identifier names; its parameters must be absent or NULL
    /// (RFC 5754 §2, RFC 3370 §2.1).
    fn of(alg: &AlgorithmIdentifierOwned) -> Result<HashAlg, TsaError> {
        if let Some(p) = &alg.parameters {
            if p.tag() != Tag::Null || !p.value().is_empty() {
                return Err(malformed(
                    Part::SignedData,
                    "hash algorithm parameters are not NULL",
                ));
            }
        }
        HashAlg::from_oid(&alg.oid)
    }

    fn from_oid(oid: &ObjectIdentifier) -> Result<HashAlg, TsaError> {
        Ok(match *oid {
            ID_SHA1 => HashAlg::Sha1,
            ID_SHA256 => HashAlg::Sha256,
            ID_SHA384 => HashAlg::Sha384,
            ID_SHA512 => HashAlg::Sha512,
            other => return Err(TsaError::UnsupportedHash(other.to_string())),
        })
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha1 => Sha1::digest(data).to_vec(),
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// A signature algorithm: the key type and the hash signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignatureScheme {
    RsaPkcs1(HashAlg),
    Ecdsa(HashAlg),
}

impl SignatureScheme {
    /// For a CMS signer: `rsaEncryption` takes its hash from the digest algorithm.
    fn for_signer(
        signature: &ObjectIdentifier,
        digest: &ObjectIdentifier,
    ) -> Result<SignatureScheme, TsaError> {
        if *signature == RSA_ENCRYPTION {
            let hash = HashAlg::from_oid(digest)?;
            if hash == HashAlg::Sha1 {
                return Err(TsaError::UnsupportedSignature("RSA with SHA-1".to_string()));
            }
            return Ok(SignatureScheme::RsaPkcs1(hash));
        }
        SignatureScheme::for_certificate(signature)
    }

    /// For a certificate's `signatureAlgorithm`.
    fn for_certificate(signature: &ObjectIdentifier) -> Result<SignatureScheme, TsaError> {
        Ok(match *signature {
            SHA256_WITH_RSA => SignatureScheme::RsaPkcs1(HashAlg::Sha256),
            SHA384_WITH_RSA => SignatureScheme::RsaPkcs1(HashAlg::Sha384),
            SHA512_WITH_RSA => SignatureScheme::RsaPkcs1(HashAlg::Sha512),
            ECDSA_WITH_SHA256 => SignatureScheme::Ecdsa(HashAlg::Sha256),
            ECDSA_WITH_SHA384 => SignatureScheme::Ecdsa(HashAlg::Sha384),
            ECDSA_WITH_SHA512 => SignatureScheme::Ecdsa(HashAlg::Sha512),
            other => return Err(TsaError::UnsupportedSignature(other.to_string())),
        })
    }
}

/// A certificate's public key, of a type the verifier knows.
enum PublicKey {
    Rsa(Box<rsa::PublicKey>),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

impl PublicKey {
    fn of(cert: &Certificate) -> Result<PublicKey, TsaError> {
        let spki = cert.tbs_certificate().subject_public_key_info();
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| malformed(Part::Certificate, "the public key has unused bits"))?;
        let bad_key = |e: &dyn std::fmt::Display| malformed(Part::Certificate, e);
        match spki.algorithm.oid {
            RSA_ENCRYPTION => {
                use rsa::pkcs1::DecodeRsaPublicKey;
                let key = rsa::PublicKey::from_pkcs1_der(bits).map_err(|e| bad_key(&e))?;
                Ok(PublicKey::Rsa(Box::new(key)))
            }
            ID_EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
                match curve {
                    Some(SECP256R1) => p256::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                        .map(PublicKey::P256)
                        .map_err(|e| bad_key(&e)),
                    Some(SECP384R1) => p384::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                        .map(PublicKey::P384)
                        .map_err(|e| bad_key(&e)),
                    Some(other) => Err(TsaError::UnsupportedSignature(format!("curve {other}"))),
                    None => Err(malformed(Part::Certificate, "EC key without a named curve")),
                }
            }
            other => Err(TsaError::UnsupportedSignature(format!("key type {other}"))),
        }
    }

    /// Whether `signature` over `message` verifies with this key under `scheme`.
    fn verifies(&self, scheme: SignatureScheme, message: &[u8], signature: &[u8]) -> bool {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        match (self, scheme) {
            (PublicKey::Rsa(key), SignatureScheme::RsaPkcs1(hash)) => {
                let digest = hash.digest(message);
                let padding = match hash {
                    HashAlg::Sha256 => rsa::Pkcs1v15Sign::new::<Sha256>(),
                    HashAlg::Sha384 => rsa::Pkcs1v15Sign::new::<Sha384>(),
                    HashAlg::Sha512 => rsa::Pkcs1v15Sign::new::<Sha512>(),
                    HashAlg::Sha1 => return false,
                };
                key.verify(padding, &digest, signature).is_ok()
            }
            (PublicKey::P256(key), SignatureScheme::Ecdsa(hash)) => {
                let digest = hash.digest(message);
                p256::ecdsa::Signature::from_der(signature)
                    .is_ok_and(|sig| key.verify_prehash(&digest, &sig).is_ok())
            }
            (PublicKey::P384(key), SignatureScheme::Ecdsa(hash)) => {
                let digest = hash.digest(message);
                p384::ecdsa::Signature::from_der(signature)
                    .is_ok_and(|sig| key.verify_prehash(&digest, &sig).is_ok())
            }
            _ => false,
        }
    }
}

// ---- small readers ----

/// A readable `GeneralName`: a directory name (RFC 4514), a DNS name or a URI.
fn general_name(name: &GeneralName) -> Option<String> {
    match name {
        GeneralName::DirectoryName(n) => Some(n.to_string()),
        GeneralName::DnsName(s) | GeneralName::UniformResourceIdentifier(s) => {
            Some(s.as_str().to_string())
        }
        _ => None,
    }
}

/// `YYYYMMDDHHMMSS[.f+]Z`.
fn parse_generalized_time(v: &[u8]) -> Option<DateTime<Utc>> {
    let s = std::str::from_utf8(v).ok()?.strip_suffix('Z')?;
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if whole.len() != 14 || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    let t = NaiveDateTime::parse_from_str(whole, "%Y%m%d%H%M%S").ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Some(t.and_utc() + chrono::Duration::nanoseconds(nanos.into()))
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_der() {
        let req = TimeStampRequest::with_nonce(b"note", [0x80, 1, 0, 0, 0, 0, 0, 0]);
        let der = req.to_der();
        let back = TimeStampReq::from_der(&der).unwrap();
        assert_eq!(back.version, 1);
        assert_eq!(back.message_imprint.hash_algorithm.oid, ID_SHA256);
        assert_eq!(
            back.message_imprint.hashed_message.as_bytes(),
            Sha256::digest(b"note").as_slice()
        );
        // A nonce with its high bit set is encoded positive: a leading zero byte.
        let nonce_tlv = [0x02, 0x09, 0x00, 0x80, 1, 0, 0, 0, 0, 0, 0];
        assert!(der.windows(nonce_tlv.len()).any(|w| w == nonce_tlv));
        assert!(back.cert_req);
        assert!(der.ends_with(&[0x01, 0x01, 0xff]), "certReq TRUE");
        assert_eq!(ID_CT_TST_INFO.to_string(), "1.2.840.113549.1.9.16.1.4");
    }

    #[test]
    fn broken_der_is_an_error_not_a_panic() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x80, 0, 0],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x05, 0x02, 0x01],
            &[0x30, 0x03, 0x02, 0x01, 0x05],
            &[0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00],
        ] {
            assert!(verify_token(bad, b"x", None).is_err());
            assert!(parse_response(bad).is_err());
        }
    }

    #[test]
    fn rejected_status_is_reported() {
        // SEQUENCE { SEQUENCE { INTEGER 2, SEQUENCE { UTF8String "bad policy" } } }
        let mut text = vec![0x0c, 10];
        text.extend_from_slice(b"bad policy");
        let mut strings = vec![0x30, text.len() as u8];
        strings.extend(text);
        let mut status = vec![0x30, (3 + strings.len()) as u8, 0x02, 0x01, 0x02];
        status.extend(strings);
        let mut resp = vec![0x30, status.len() as u8];
        resp.extend(status);
        match parse_response(&resp) {
            Err(TsaError::Rejected { status: 2, text }) => {
                assert_eq!(text.as_deref(), Some("bad policy"))
            }
            other => panic!("{other:?}"),
        }
        // Granted without a token.
        let granted = [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00];
        assert!(matches!(parse_response(&granted), Err(TsaError::NoToken)));
    }

    #[test]
    fn generalized_time() {
        let t = parse_generalized_time(b"20261130084444.25Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-30T08:44:44.250+00:00");
        assert!(parse_generalized_time(b"20261130084444").is_none());
        assert!(parse_generalized_time(b"2026113008444Z").is_none());
    }

    #[test]
    fn a_response_for_other_data_is_refused_before_parsing() {
        let req = TimeStampRequest::with_nonce(b"note", [1; 8]);
        assert!(matches!(
            req.verify_response(b"", b"other note", None),
            Err(TsaError::ImprintMismatch { .. })
        ));
    }
}
