//! Trusted time over HTTP: a local TSA made with `openssl ts` behind a tiny HTTP server,
//! reached through the crawler's client (address policy, timeouts, cap), its tokens verified
//! by `evidence::tsa` and independently by `openssl ts -verify`.
//!
//! openssl is required (it is on the development machines and in CI): without it these tests
//! fail, they are never skipped.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use evidence::tlog::checkpoint::token_path;
use evidence::tlog::{sign_and_store, Log, Signer};
use sweep::tsa::{load_root, stamp_note, StampError};

use crate::support::Fixture;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("these tests need the `openssl` command (Debian: apt-get install openssl): {e}")
        });
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a P-256 TSA certificate it issued, with an `openssl.cnf` `[tsa]` section.
fn make_tsa(d: &Path) {
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
    openssl(d, &ca);
    let mut csr = vec!["req", "-new"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "tsa.key",
        "-out",
        "tsa.csr",
        "-subj",
        "/CN=wangjian test TSA/C=CN",
    ]);
    openssl(d, &csr);
    fs::write(
        d.join("ext.cnf"),
        "[e]\nbasicConstraints = CA:FALSE\nextendedKeyUsage = critical,timeStamping\n",
    )
    .unwrap();
    openssl(
        d,
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
            "e",
            "-out",
            "tsa.pem",
        ],
    );
    fs::write(d.join("tsaserial"), "01\n").unwrap();
    fs::write(
        d.join("openssl.cnf"),
        format!(
            "[ tsa ]\ndefault_tsa = t\n\n[ t ]\ndir = {}\nserial = $dir/tsaserial\n\
             crypto_device = builtin\nsigner_cert = $dir/tsa.pem\nsigner_key = $dir/tsa.key\n\
             signer_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\n\
             tsa_name = yes\ness_cert_id_alg = sha256\n",
            d.display()
        ),
    )
    .unwrap();
}

/// How the test server answers.
#[derive(Clone, Copy)]
enum Answer {
    /// `openssl ts -reply` over the request.
    Tsa,
    /// 404.
    NotFound,
    /// 200 with an HTML page.
    Html,
}

fn serve_one(dir: &Path, n: usize, answer: Answer, mut conn: TcpStream) {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let (head_end, length) = loop {
        let got = conn.read(&mut buf).unwrap();
        if got == 0 {
            return;
        }
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
    let (status, content_type, body) = match answer {
        Answer::NotFound => ("404 Not Found", "text/plain", b"no".to_vec()),
        Answer::Html => ("200 OK", "text/html", b"<html>".to_vec()),
        Answer::Tsa => {
            let (query, reply) = (format!("req{n}.tsq"), format!("resp{n}.tsr"));
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
            ("200 OK", "application/timestamp-reply", body)
        }
    };
    let _ = write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(&body);
}

/// A local TSA (or a server that is not one) on a loopback port.
struct LocalTsa {
    dir: tempfile::TempDir,
    port: u16,
}

impl LocalTsa {
    fn start(answer: Answer) -> LocalTsa {
        let dir = tempfile::tempdir().unwrap();
        make_tsa(dir.path());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let root = dir.path().to_path_buf();
        std::thread::spawn(move || {
            for (n, conn) in listener.incoming().enumerate() {
                serve_one(&root, n, answer, conn.unwrap());
            }
        });
        LocalTsa { dir, port }
    }

    /// A crawl configuration that allow-lists the TSA as `tsa.test:8318`.
    fn crawl(&self) -> crawl::CrawlConfig {
        let mut config = crawl::CrawlConfig {
            request_timeout: Duration::from_secs(20),
            ..crawl::CrawlConfig::default()
        };
        config
            .resolve
            .parse_entry(&format!("tsa.test:8318:127.0.0.1:{}", self.port))
            .unwrap();
        config
    }
}

const URL: &str = "http://tsa.test:8318/tsa";

fn checkpoint(dir: &Path) -> std::path::PathBuf {
    let mut log = Log::open(dir.join("log")).unwrap();
    for i in 0..3u8 {
        log.append(format!("sha256:{i:064x}").as_bytes()).unwrap();
    }
    let signer = Signer::load_or_create(&dir.join("keys"), "wangjian-test").unwrap();
    sign_and_store(&log, &signer, "wangjian.test/log", Utc::now(), None)
        .unwrap()
        .path
}

#[tokio::test]
async fn a_note_is_stamped_through_the_crawlers_client() {
    let tsa = LocalTsa::start(Answer::Tsa);
    let work = tempfile::tempdir().unwrap();
    let note = checkpoint(work.path());
    let root = load_root(&tsa.dir.path().join("ca.pem")).unwrap();

    let stored = stamp_note(&tsa.crawl(), URL, &note, Some(&root))
        .await
        .unwrap();
    assert_eq!(stored.path, token_path(&note));
    assert_eq!(fs::read(&stored.path).unwrap(), stored.token);
    assert!(stored.info.chained_to_root);
    assert!(stored.info.signer.contains("CN=wangjian test TSA"));
    // openssl's independent check of the stored token.
    let ok = Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(&stored.path)
        .arg("-data")
        .arg(&note)
        .args(["-CAfile", "ca.pem"])
        .current_dir(tsa.dir.path())
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok);
    // A second token is never stored over the first.
    assert!(matches!(
        stamp_note(&tsa.crawl(), URL, &note, Some(&root)).await,
        Err(StampError::Store(_))
    ));
}

#[tokio::test]
async fn the_address_policy_applies_to_the_tsa() {
    let tsa = LocalTsa::start(Answer::Tsa);
    let work = tempfile::tempdir().unwrap();
    let note = checkpoint(work.path());
    // A loopback TSA that is not allow-listed is refused, as a crawled URL would be.
    let url = format!("http://127.0.0.1:{}/tsa", tsa.port);
    match stamp_note(&crawl::CrawlConfig::default(), &url, &note, None).await {
        Err(StampError::Fetch {
            source: crawl::FetchError::RefusedAddress { .. },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    assert!(!token_path(&note).exists());
}

#[tokio::test]
async fn a_server_that_is_no_tsa_is_a_named_error() {
    let work = tempfile::tempdir().unwrap();
    let note = checkpoint(work.path());
    let not_found = LocalTsa::start(Answer::NotFound);
    assert!(matches!(
        stamp_note(&not_found.crawl(), URL, &note, None).await,
        Err(StampError::Status { status: 404, .. })
    ));
    let html = LocalTsa::start(Answer::Html);
    assert!(matches!(
        stamp_note(&html.crawl(), URL, &note, None).await,
        Err(StampError::ContentType { .. })
    ));
    assert!(matches!(
        stamp_note(&html.crawl(), "not a url", &note, None).await,
        Err(StampError::Url { .. })
    ));
    assert!(!token_path(&note).exists());
}

/// A sweep with a TSA configured stores a verified token beside its checkpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_stamps_its_checkpoint() {
    let tsa = LocalTsa::start(Answer::Tsa);
    let fx = Fixture::new(2, 9).await;
    let mut config = fx.config();
    config
        .crawl
        .resolve
        .parse_entry(&format!("tsa.test:8318:127.0.0.1:{}", tsa.port))
        .unwrap();
    let log = config.log.as_mut().unwrap();
    log.tsa_url = Some(URL.to_string());
    log.tsa_root = Some(tsa.dir.path().join("ca.pem"));
    let log_dir = log.dir.clone();
    let detector = Arc::new(detect::Detector::builtin());
    let summary = sweep::run_sweep(fx.store.clone(), detector, config)
        .await
        .unwrap();
    assert!(summary.checkpoint.is_some(), "{summary:?}");
    let notes = evidence::tlog::checkpoint::stored_notes(&log_dir).unwrap();
    let token = fs::read(token_path(&notes[0])).unwrap();
    let root = load_root(&tsa.dir.path().join("ca.pem")).unwrap();
    let info =
        evidence::tsa::verify_token(&token, &fs::read(&notes[0]).unwrap(), Some(&root)).unwrap();
    assert!(info.chained_to_root);
}
