//! Trusted time: RFC 3161 tokens over checkpoint notes from local TSAs made with `openssl ts`
//! (P-256, P-384 and RSA keys; ESSCertIDv2 and the SHA-1 ESSCertID), checked by the crate's
//! own verifier and independently by `openssl ts -verify`; and tokens with one byte changed in
//! the signature, the signed attributes or the imprint, each refused with its reason.
//! A test binary of its own: spawning openssl would otherwise race `it`'s log lock tests.
//!
//! openssl is required (it is on the development machines and in CI): without it these tests
//! fail, they are never skipped. The HTTP exchange with a TSA is tested in `sweep`, which owns
//! it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::Utc;
use evidence::tlog::checkpoint::{store_token, token_path};
use evidence::tlog::{sign_and_store, Log, Signer};
use evidence::tsa::{self, ChainError, TimeStampRequest, TsaError, TsaRoot};

/// Runs openssl with `args` in `dir`; panics with its output when it fails or is missing.
fn openssl(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("these tests need the `openssl` command (Debian: apt-get install openssl): {e}")
        });
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Whether `openssl ts -verify` accepts `token` (a bare token) as covering `data`.
fn openssl_verifies(dir: &Path, data: &Path, token: &Path) -> bool {
    Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(token)
        .arg("-data")
        .arg(data)
        .args(["-CAfile", "ca.pem"])
        .current_dir(dir)
        .output()
        .expect("the `openssl` command")
        .status
        .success()
}

/// The key of a test TSA.
#[derive(Clone, Copy)]
enum Key {
    P256,
    P384,
    Rsa,
}

impl Key {
    fn newkey(self) -> Vec<&'static str> {
        match self {
            Key::P256 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            Key::P384 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
            Key::Rsa => vec!["-newkey", "rsa:2048"],
        }
    }
}

/// A CA and a TSA certificate it issued (critical extendedKeyUsage timeStamping), with an
/// `openssl.cnf` whose `[tsa]` section signs with `digest` and names the certificate with an
/// ESSCertID of `ess_alg` (`sha1`: version 1; otherwise version 2), in a temporary directory.
struct LocalTsa {
    dir: tempfile::TempDir,
    served: std::cell::Cell<usize>,
}

impl LocalTsa {
    fn new(key: Key, digest: &str, ess_alg: &str) -> LocalTsa {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        make_ca(d, "ca", "/CN=wangjian test CA");
        let mut csr = vec!["req", "-new"];
        csr.extend(key.newkey());
        csr.extend([
            "-nodes",
            "-keyout",
            "tsa.key",
            "-out",
            "tsa.csr",
            "-subj",
            "/CN=wangjian test TSA/O=Market Regulation Bureau/C=CN",
        ]);
        openssl(d, &csr);
        fs::write(
            d.join("ext.cnf"),
            "[tsa_ext]\nbasicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature\n\
             extendedKeyUsage = critical,timeStamping\n",
        )
        .unwrap();
        issue(d, "ca", "tsa", "tsa", "tsa_ext");
        fs::write(d.join("tsaserial"), "01\n").unwrap();
        fs::write(
            d.join("openssl.cnf"),
            format!(
                "[ tsa ]\ndefault_tsa = tsa_config1\n\n[ tsa_config1 ]\ndir = {}\n\
                 serial = $dir/tsaserial\ncrypto_device = builtin\nsigner_cert = $dir/tsa.pem\n\
                 signer_key = $dir/tsa.key\nsigner_digest = {digest}\n\
                 default_policy = 1.2.3.4.1\nother_policies = 1.2.3.4.5\n\
                 digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = yes\n\
                 tsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = {ess_alg}\n",
                d.display()
            ),
        )
        .unwrap();
        LocalTsa {
            dir,
            served: std::cell::Cell::new(0),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `openssl ts -reply` over a DER request: the DER response.
    fn reply(&self, request: &[u8]) -> Vec<u8> {
        let n = self.served.get();
        self.served.set(n + 1);
        let query = format!("req{n}.tsq");
        let reply = format!("resp{n}.tsr");
        fs::write(self.path().join(&query), request).unwrap();
        openssl(
            self.path(),
            &[
                "ts",
                "-reply",
                "-config",
                "openssl.cnf",
                "-queryfile",
                &query,
                "-out",
                &reply,
            ],
        );
        fs::read(self.path().join(&reply)).unwrap()
    }

    fn root(&self) -> TsaRoot {
        TsaRoot::from_pem_or_der(&fs::read(self.path().join("ca.pem")).unwrap()).unwrap()
    }
}

/// A self-signed P-256 CA `<name>.pem` / `<name>.key` in `dir`.
fn make_ca(dir: &Path, name: &str, subject: &str) {
    let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "2",
            "-subj",
            subject,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

/// Issues `<out>.pem` from `<name>.csr` with the CA `<ca>`, extensions `section` of
/// `ext.cnf`.
fn issue(dir: &Path, ca: &str, name: &str, out: &str, section: &str) {
    let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
    let (csr, pem) = (format!("{name}.csr"), format!("{out}.pem"));
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_pem,
            "-CAkey",
            &ca_key,
            "-set_serial",
            "2",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-extensions",
            section,
            "-out",
            &pem,
        ],
    );
}

/// A log of a few leaves with one signed checkpoint; returns the note's path.
fn checkpoint(dir: &Path) -> PathBuf {
    let mut log = Log::open(dir.join("log")).unwrap();
    for i in 0..5u8 {
        log.append(format!("sha256:{i:064x}").as_bytes()).unwrap();
    }
    let signer = Signer::load_or_create(&dir.join("keys"), "wangjian-test").unwrap();
    sign_and_store(&log, &signer, "wangjian.test/log", Utc::now(), None)
        .unwrap()
        .path
}

/// Requests, answers and verifies one token over the note; stores it beside the note.
fn stamp(tsa: &LocalTsa, note_path: &Path) -> (Vec<u8>, tsa::TokenInfo) {
    let note = fs::read(note_path).unwrap();
    let request = TimeStampRequest::new(&note).unwrap();
    let response = tsa.reply(&request.to_der());
    let (token, info) = request
        .verify_response(&response, &note, Some(&tsa.root()))
        .unwrap();
    store_token(note_path, &token).unwrap();
    (token, info)
}

/// Position of `needle` in `hay` (exactly once).
fn find_once(hay: &[u8], needle: &[u8]) -> usize {
    let hits: Vec<usize> = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "{needle:02x?} occurs {} times", hits.len());
    hits[0]
}

fn flipped(token: &[u8], at: usize) -> Vec<u8> {
    let mut t = token.to_vec();
    t[at] ^= 0x01;
    t
}

#[test]
fn tokens_of_every_key_type_verify_with_and_without_the_root() {
    for (key, digest, ess) in [
        (Key::P256, "sha256", "sha256"),
        (Key::P384, "sha384", "sha256"),
        (Key::Rsa, "sha512", "sha1"),
        (Key::Rsa, "sha256", "sha384"),
    ] {
        let tsa = LocalTsa::new(key, digest, ess);
        let work = tempfile::tempdir().unwrap();
        let note_path = checkpoint(work.path());
        let note = fs::read(&note_path).unwrap();
        let before = Utc::now();
        let (token, info) = stamp(&tsa, &note_path);

        // Stored beside the note under the same name, byte for byte.
        assert_eq!(token_path(&note_path), note_path.with_extension("tsr"));
        assert_eq!(fs::read(token_path(&note_path)).unwrap(), token);
        // What the token says.
        let slack = chrono::Duration::seconds(5);
        assert!(
            info.gen_time >= before - slack && info.gen_time <= Utc::now() + slack,
            "genTime {} is not now",
            info.gen_time
        );
        assert_eq!(info.policy, "1.2.3.4.1");
        let name = info.tsa_name.as_deref().unwrap_or_default();
        assert!(name.contains("CN=wangjian test TSA"), "{name:?}");
        assert!(
            info.signer.contains("CN=wangjian test TSA"),
            "{}",
            info.signer
        );
        assert!(info.chained_to_root);
        assert!(info.nonce.is_some());

        // The crate's verifier on the stored file, with and without the root.
        let without = tsa::verify_token(&token, &note, None).unwrap();
        assert!(!without.chained_to_root);
        assert_eq!(without.gen_time, info.gen_time);
        assert_eq!(
            tsa::verify_token(&token, &note, Some(&tsa.root())).unwrap(),
            info
        );
        // openssl's independent check agrees.
        assert!(openssl_verifies(
            tsa.path(),
            &note_path,
            &token_path(&note_path)
        ));

        // A modified note fails both.
        let mut altered = note.clone();
        altered[0] ^= 1;
        let altered_path = work.path().join("altered.note");
        fs::write(&altered_path, &altered).unwrap();
        assert!(matches!(
            tsa::verify_token(&token, &altered, None),
            Err(TsaError::ImprintMismatch { .. })
        ));
        assert!(!openssl_verifies(
            tsa.path(),
            &altered_path,
            &token_path(&note_path)
        ));

        // A token is never replaced.
        assert!(store_token(&note_path, b"other").is_err());
        assert_eq!(fs::read(token_path(&note_path)).unwrap(), token);
    }
}

#[test]
fn a_flipped_byte_is_refused_with_its_reason() {
    let tsa = LocalTsa::new(Key::P256, "sha256", "sha256");
    let work = tempfile::tempdir().unwrap();
    let note_path = checkpoint(work.path());
    let note = fs::read(&note_path).unwrap();
    let (token, _) = stamp(&tsa, &note_path);
    let check = |t: &[u8]| tsa::verify_token(t, &note, None);

    // The signature is the token's last element (openssl writes no unsigned attributes): its
    // last byte is the last byte of the ECDSA `s`.
    assert!(
        matches!(
            check(&flipped(&token, token.len() - 1)),
            Err(TsaError::BadSignature)
        ),
        "{:?}",
        check(&flipped(&token, token.len() - 1))
    );

    // The message imprint inside the TSTInfo: the SHA-256 of the note.
    let hash: [u8; 32] =
        sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&note)).into();
    let at = find_once(&token, &hash);
    assert!(matches!(
        check(&flipped(&token, at + 5)),
        Err(TsaError::ImprintMismatch { .. })
    ));

    // The signed message-digest attribute: OID 1.2.840.113549.1.9.4, SET, OCTET STRING.
    let oid = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04,
    ];
    let at = find_once(&token, &oid) + oid.len() + 4;
    assert!(matches!(
        check(&flipped(&token, at)),
        Err(TsaError::MessageDigestMismatch)
    ));

    // The ESSCertIDv2 hash: OID 1.2.840.113549.1.9.16.2.47, then the certificate's SHA-256.
    let cert_der = {
        let pem = fs::read_to_string(tsa.path().join("tsa.pem")).unwrap();
        let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap()
    };
    let cert_hash: [u8; 32] =
        sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&cert_der)).into();
    let at = find_once(&token, &cert_hash);
    assert!(matches!(
        check(&flipped(&token, at)),
        Err(TsaError::SigningCertificateMismatch)
    ));

    // The signing-time attribute (1.2.840.113549.1.9.5): covered by the signature only.
    let oid = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05,
    ];
    // SET { UTCTime "YYMMDDhhmmssZ" }: flip the last seconds digit ('0'..'9' stays a digit).
    let at = find_once(&token, &oid) + oid.len() + 2 + 2 + 11;
    assert!(matches!(
        check(&flipped(&token, at)),
        Err(TsaError::BadSignature)
    ));

    // Every single-byte change is refused, and none panics.
    let verifying: Vec<usize> = (0..token.len())
        .filter(|&i| check(&flipped(&token, i)).is_ok())
        .collect();
    assert!(
        verifying.is_empty(),
        "flipping these bytes still verifies: {verifying:?}"
    );
}

#[test]
fn the_root_decides_whose_key_it_is() {
    let tsa = LocalTsa::new(Key::P256, "sha256", "sha256");
    let work = tempfile::tempdir().unwrap();
    let note_path = checkpoint(work.path());
    let note = fs::read(&note_path).unwrap();
    let (token, _) = stamp(&tsa, &note_path);

    // Another CA with the same name: the TSA certificate's signature does not verify with it.
    make_ca(tsa.path(), "impostor", "/CN=wangjian test CA");
    let impostor =
        TsaRoot::from_pem_or_der(&fs::read(tsa.path().join("impostor.pem")).unwrap()).unwrap();
    assert!(matches!(
        tsa::verify_token(&token, &note, Some(&impostor)),
        Err(TsaError::Untrusted(ChainError::BadSignature { .. }))
    ));
    // A CA of another name did not issue it.
    make_ca(tsa.path(), "other", "/CN=another CA");
    let other = TsaRoot::from_pem_or_der(&fs::read(tsa.path().join("other.pem")).unwrap()).unwrap();
    assert!(matches!(
        tsa::verify_token(&token, &note, Some(&other)),
        Err(TsaError::Untrusted(ChainError::NoIssuer { .. }))
    ));
    // A root file that is no certificate is a named error.
    assert!(matches!(
        TsaRoot::from_pem_or_der(b"not a certificate"),
        Err(TsaError::Malformed { .. })
    ));
    // DER roots work as PEM ones do.
    openssl(
        tsa.path(),
        &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"],
    );
    let der_root = TsaRoot::from_pem_or_der(&fs::read(tsa.path().join("ca.der")).unwrap()).unwrap();
    assert!(tsa::verify_token(&token, &note, Some(&der_root)).is_ok());
}

/// Signs `tst.der` (a TSTInfo) in `dir` as CMS SignedData with `openssl cms -sign -cades`
/// (the TSA's key, the certificate `<cert>.pem`): a token made by another tool than
/// `openssl ts`.
fn cms_sign(dir: &Path, cert: &str) -> Vec<u8> {
    let (pem, out) = (format!("{cert}.pem"), format!("{cert}-signed.tsr"));
    openssl(
        dir,
        &[
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-in",
            "tst.der",
            "-econtent_type",
            "1.2.840.113549.1.9.16.1.4",
            "-signer",
            &pem,
            "-inkey",
            "tsa.key",
            "-md",
            "sha256",
            "-cades",
            "-nosmimecap",
            "-outform",
            "DER",
            "-out",
            &out,
        ],
    );
    fs::read(dir.join(out)).unwrap()
}

#[test]
fn another_cms_signer_and_a_certificate_not_for_time_stamping() {
    let tsa = LocalTsa::new(Key::P256, "sha256", "sha256");
    let work = tempfile::tempdir().unwrap();
    let note_path = checkpoint(work.path());
    let note = fs::read(&note_path).unwrap();
    stamp(&tsa, &note_path);
    // The TSTInfo out of the token.
    let token = token_path(&note_path);
    openssl(
        tsa.path(),
        &[
            "cms",
            "-verify",
            "-noverify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            token.to_str().unwrap(),
            "-out",
            "tst.der",
        ],
    );

    // Signed again by `openssl cms` with the TSA's certificate: verifies (a CMS producer
    // other than the TSA code, ESSCertIDv2 from -cades).
    let resigned = cms_sign(tsa.path(), "tsa");
    let info = tsa::verify_token(&resigned, &note, Some(&tsa.root())).unwrap();
    assert!(info.chained_to_root);

    // The same key under a certificate without the timeStamping key usage: refused.
    fs::write(
        tsa.path().join("ext.cnf"),
        "[plain]\nbasicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature\n",
    )
    .unwrap();
    issue(tsa.path(), "ca", "tsa", "plain", "plain");
    let forged = cms_sign(tsa.path(), "plain");
    assert!(matches!(
        tsa::verify_token(&forged, &note, None),
        Err(TsaError::NotTimeStampingCertificate)
    ));
}

#[test]
fn whole_responses_verify_too() {
    // `verify_token` also accepts a TimeStampResp (what `openssl ts -reply` writes).
    let tsa = LocalTsa::new(Key::P256, "sha256", "sha256");
    let work = tempfile::tempdir().unwrap();
    let note_path = checkpoint(work.path());
    let note = fs::read(&note_path).unwrap();
    let (token, info) = stamp(&tsa, &note_path);
    let response = fs::read(tsa.path().join("resp0.tsr")).unwrap();
    assert_eq!(tsa::parse_response(&response).unwrap(), token);
    assert_eq!(
        tsa::verify_token(&response, &note, Some(&tsa.root())).unwrap(),
        info
    );
    // A response to another request (another nonce) is refused.
    let other = TimeStampRequest::new(&note).unwrap();
    assert!(matches!(
        other.verify_response(&response, &note, None),
        Err(TsaError::NonceMismatch)
    ));
}
