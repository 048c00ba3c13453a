//! `https`: a TLS server on loopback with a certificate made by `openssl` for the test. The
//! exchange records the handshake (protocol, suite, SNI, certificate fingerprints) and whether
//! the chain verified; an untrusted chain is recorded, not refused.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use crawl::{fetch_one, CrawlConfig};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

/// A test CA and a leaf for `tls.test` signed by it: (CA DER, leaf DER, leaf key PKCS#8 DER).
fn certificates(dir: &Path) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=wangjian test CA",
        "-days",
        "2",
    ]);
    openssl(dir, &ca);
    let mut leaf = vec!["req"];
    leaf.extend(ec);
    leaf.extend([
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=tls.test",
    ]);
    openssl(dir, &leaf);
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:tls.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
        ],
    );
    openssl(
        dir,
        &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"],
    );
    openssl(
        dir,
        &[
            "x509", "-in", "leaf.pem", "-outform", "DER", "-out", "leaf.der",
        ],
    );
    openssl(
        dir,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "leaf.key", "-outform", "DER", "-out", "leaf.p8",
        ],
    );
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    (read("ca.der"), read("leaf.der"), read("leaf.p8"))
}

/// Serves one page over TLS on loopback; returns the port.
async fn serve(leaf: Vec<u8>, key: Vec<u8>) -> u16 {
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                break;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = "<html><title>加密商店</title></html>";
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn an_https_fetch_records_its_handshake_and_whether_the_chain_verified() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, leaf, key) = certificates(dir.path());
    let port = serve(leaf.clone(), key).await;
    let mut config = CrawlConfig::default();
    config
        .resolve
        .parse_entry(&format!("tls.test:443:127.0.0.1:{port}"))
        .unwrap();
    let url = url::Url::parse("https://tls.test/").unwrap();

    // Not trusted: captured anyway, and the capture says why the chain did not verify.
    let ex = fetch_one(&config, &url).await;
    assert!(ex.error.is_none(), "{:?}", ex.error);
    assert_eq!(ex.status(), Some(200));
    assert!(String::from_utf8_lossy(&ex.body).contains("加密商店"));
    let tls = ex.tls.as_deref().expect("the handshake is recorded");
    let leaf_sha = format!("sha256:{}", hex::encode(Sha256::digest(&leaf)));
    assert_eq!(tls.chain_sha256, std::slice::from_ref(&leaf_sha));
    assert_eq!(tls.server_name, "tls.test");
    assert!(tls.version.starts_with("TLSv1_"), "{}", tls.version);
    assert!(!tls.cipher_suite.is_empty());
    let why = tls.verified.clone().unwrap_err();
    assert!(why.contains("UnknownIssuer"), "{why}");
    let fields = tls.metadata();
    assert!(fields.contains(&("tls-certificate-sha256".to_string(), leaf_sha)));
    assert!(fields
        .iter()
        .any(|(k, v)| k == "tls-verified" && v.starts_with("no (")));

    // With the test CA among the roots, the same chain verifies.
    config.tls_roots = vec![ca];
    let ex = fetch_one(&config, &url).await;
    assert_eq!(ex.status(), Some(200));
    assert_eq!(ex.tls.as_deref().unwrap().verified, Ok(()));

    // Plain http to the TLS port is a failed fetch, not a hang or a panic.
    let plain = url::Url::parse("http://tls.test:443/").unwrap();
    let ex = fetch_one(&config, &plain).await;
    assert!(ex.tls.is_none());
    assert!(ex.error.is_some() || ex.status().is_none());
}
