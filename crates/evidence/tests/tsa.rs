//! Trusted time: RFC 3161 tokens over checkpoint notes from a local TSA made with `openssl ts`
//! behind a tiny HTTP server, checked by the crate and independently by `openssl ts -verify`.
//! A test binary of its own: spawning openssl would otherwise race `it`'s log lock tests.
//!
//! openssl is required (it is on the development machines and in CI): without it these tests
//! fail, they are never skipped.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::Utc;
use evidence::tlog::checkpoint::{store_token, token_path, CheckpointError};
use evidence::tlog::{sign_and_store, Log, Signer};
use evidence::tsa::{self, TsaError};

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

/// A CA, a TSA certificate it issued (critical extendedKeyUsage timeStamping) and an
/// `openssl.cnf` with a `[tsa]` section, in `dir`.
fn make_tsa(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=wangjian test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req", "-new"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "tsa.key",
        "-out",
        "tsa.csr",
        "-subj",
        "/CN=wangjian test TSA/O=Market Regulation Bureau/C=CN",
    ]);
    openssl(dir, &csr);
    fs::write(
        dir.join("ext.cnf"),
        "[tsa_ext]\nbasicConstraints = CA:FALSE\nkeyUsage = critical,digitalSignature\n\
         extendedKeyUsage = critical,timeStamping\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "tsa.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "2",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-extensions",
            "tsa_ext",
            "-out",
            "tsa.pem",
        ],
    );
    fs::write(dir.join("tsaserial"), "01\n").unwrap();
    fs::write(
        dir.join("openssl.cnf"),
        format!(
            "[ tsa ]\ndefault_tsa = tsa_config1\n\n[ tsa_config1 ]\ndir = {}\n\
             serial = $dir/tsaserial\ncrypto_device = builtin\nsigner_cert = $dir/tsa.pem\n\
             certs = $dir/tsa.pem\nsigner_key = $dir/tsa.key\nsigner_digest = sha256\n\
             default_policy = 1.2.3.4.1\nother_policies = 1.2.3.4.5\n\
             digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = yes\n\
             tsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n",
            dir.display()
        ),
    )
    .unwrap();
}

/// One HTTP exchange: reads a POST, answers it with `openssl ts -reply` over its body.
fn serve_one(dir: &Path, n: usize, mut conn: TcpStream) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let (head_end, length) = loop {
        let got = conn.read(&mut buf).unwrap();
        assert!(got > 0, "client closed before sending a request");
        raw.extend_from_slice(&buf[..got]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            assert!(head.starts_with("post "), "{head}");
            assert!(
                head.contains("content-type: application/timestamp-query"),
                "{head}"
            );
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .expect("Content-Length")
                .trim()
                .parse()
                .unwrap();
            break (end + 4, length);
        }
    };
    while raw.len() < head_end + length {
        let got = conn.read(&mut buf).unwrap();
        assert!(got > 0, "client closed mid-body");
        raw.extend_from_slice(&buf[..got]);
    }
    let query = format!("req{n}.tsq");
    let reply = format!("resp{n}.tsr");
    fs::write(dir.join(&query), &raw[head_end..head_end + length]).unwrap();
    openssl(
        dir,
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
    let body = fs::read(dir.join(&reply)).unwrap();
    write!(
        conn,
        "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    conn.write_all(&body).unwrap();
}

/// A local TSA in a temporary directory behind `http://127.0.0.1:PORT/tsa`.
struct LocalTsa {
    dir: tempfile::TempDir,
    url: String,
}

impl LocalTsa {
    fn start() -> LocalTsa {
        let dir = tempfile::tempdir().unwrap();
        make_tsa(dir.path());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/tsa", listener.local_addr().unwrap());
        let root = dir.path().to_path_buf();
        std::thread::spawn(move || {
            for (n, conn) in listener.incoming().enumerate() {
                serve_one(&root, n, conn.unwrap());
            }
        });
        LocalTsa { dir, url }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A log of a few leaves with one signed checkpoint; returns the note's path.
fn checkpoint(dir: &Path) -> PathBuf {
    let mut log = Log::open(dir.join("log")).unwrap();
    for i in 0..5u8 {
        log.append(format!("sha256:{i:064x}").as_bytes()).unwrap();
    }
    let signer = Signer::load_or_create(&dir.join("keys"), "wangjian-test").unwrap();
    sign_and_store(&log, &signer, "wangjian.test/log", Utc::now())
        .unwrap()
        .path
}

#[test]
fn checkpoint_is_timestamped_by_a_local_tsa_and_verifies() {
    let tsa = LocalTsa::start();
    let work = tempfile::tempdir().unwrap();
    let note_path = checkpoint(work.path());
    let before = Utc::now();

    let stored = tsa::timestamp_note(&tsa.url, &note_path).unwrap();

    // Stored beside the note under the same name, byte for byte.
    assert_eq!(stored.path, note_path.with_extension("tsr"));
    assert_eq!(stored.path, token_path(&note_path));
    assert_eq!(fs::read(&stored.path).unwrap(), stored.token);
    // What the token says.
    let slack = chrono::Duration::seconds(5);
    assert!(
        stored.info.gen_time >= before - slack && stored.info.gen_time <= Utc::now() + slack,
        "genTime {} is not now",
        stored.info.gen_time
    );
    assert_eq!(stored.info.policy, "1.2.3.4.1");
    let name = stored.info.tsa_name.as_deref().unwrap_or_default();
    assert!(name.contains("CN=wangjian test TSA"), "{name:?}");
    assert!(stored.info.nonce.is_some());

    // The crate's check, on the stored file.
    let note = fs::read(&note_path).unwrap();
    let token = fs::read(&stored.path).unwrap();
    assert_eq!(tsa::verify_token(&token, &note).unwrap(), stored.info);
    // openssl's independent check: CMS signature, the TSA certificate's chain to the CA and
    // its timeStamping key usage, and the imprint.
    assert!(openssl_verifies(tsa.path(), &note_path, &stored.path));

    // A modified note fails both.
    let mut altered = note.clone();
    altered[0] ^= 1;
    let altered_path = work.path().join("altered.note");
    fs::write(&altered_path, &altered).unwrap();
    assert!(matches!(
        tsa::verify_token(&token, &altered),
        Err(TsaError::ImprintMismatch { .. })
    ));
    assert!(!openssl_verifies(tsa.path(), &altered_path, &stored.path));

    // A modified token fails the crate's parse or imprint check, never panics.
    for i in 0..token.len() {
        let mut t = token.clone();
        t[i] ^= 0xff;
        let _ = tsa::verify_token(&t, &note);
    }

    // A token is never replaced.
    assert!(matches!(
        tsa::timestamp_note(&tsa.url, &note_path),
        Err(TsaError::Store(CheckpointError::Io { .. }))
    ));
    assert!(store_token(&note_path, b"other").is_err());
    assert_eq!(fs::read(&stored.path).unwrap(), stored.token);
}

#[test]
fn whole_responses_verify_too() {
    // `verify_token` also accepts a TimeStampResp (what `openssl ts -reply` writes).
    let tsa = LocalTsa::start();
    let work = tempfile::tempdir().unwrap();
    let note_path = checkpoint(work.path());
    let note = fs::read(&note_path).unwrap();
    let stored = tsa::timestamp_note(&tsa.url, &note_path).unwrap();
    let response = fs::read(tsa.path().join("resp0.tsr")).unwrap();
    assert_eq!(tsa::parse_response(&response).unwrap(), stored.token);
    assert_eq!(tsa::verify_token(&response, &note).unwrap(), stored.info);
}

#[test]
fn unreachable_or_wrong_tsa_is_an_error() {
    let work = tempfile::tempdir().unwrap();
    let note_path = checkpoint(work.path());
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert!(matches!(
        tsa::timestamp_note(&format!("http://127.0.0.1:{port}/"), &note_path),
        Err(TsaError::Transport { .. })
    ));
    // A server that is not a TSA.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = conn.read(&mut buf);
        let _ = conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    });
    assert!(matches!(
        tsa::timestamp_note(&url, &note_path),
        Err(TsaError::Http { status: 404, .. })
    ));
    assert!(!token_path(&note_path).exists());
}
