//! One `POST` or `GET` under the crawler's rules: bytes sent, the answer read and capped, the
//! address policy applied as to every fetch, redirects not followed.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use crawl::{get, post, CrawlConfig, FetchError, ResolveMap};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use crate::server::dead_addr;

/// A server that reads one request (head and `Content-Length` body) per connection, records
/// it, and answers with `status` and the body reversed.
async fn echo(status: u16) -> (SocketAddr, Arc<Mutex<Vec<Vec<u8>>>>) {
    serve(status, "", None).await
}

/// A server that reads one request per connection, records it, and answers with `status`,
/// the `extra` header lines (each ending in CRLF) and `fixed` as the body, or the request's
/// body reversed when `fixed` is `None`.
async fn serve(
    status: u16,
    extra: &'static str,
    fixed: Option<&'static [u8]>,
) -> (SocketAddr, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let s = s.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head_end, length) = loop {
                    let n = stream.read(&mut chunk).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let length: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .map_or(0, |v| v.trim().parse().unwrap());
                        break (end + 4, length);
                    }
                };
                while buf.len() < head_end + length {
                    let n = stream.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "client closed mid-body");
                    buf.extend_from_slice(&chunk[..n]);
                }
                let mut body = buf[head_end..head_end + length].to_vec();
                s.lock().unwrap().push(buf);
                body.reverse();
                if let Some(fixed) = fixed {
                    body = fixed.to_vec();
                }
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/x-test\r\n{extra}\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    });
    (addr, seen)
}

fn config(entries: &[String]) -> CrawlConfig {
    let mut resolve = ResolveMap::default();
    for e in entries {
        resolve.parse_entry(e).unwrap();
    }
    CrawlConfig {
        user_agent: "wangjian-test/1.0".into(),
        resolve,
        request_timeout: Duration::from_secs(10),
        ..CrawlConfig::default()
    }
}

#[tokio::test]
async fn post_sends_the_body_and_reads_the_answer() {
    let (addr, seen) = echo(200).await;
    let config = config(&[format!("tsa.test:80:{addr}")]);
    let url = Url::parse("http://tsa.test/stamp?x=1").unwrap();
    let body = Bytes::from_static(b"\x30\x03\x02\x01\x01 query");
    let r = post(
        &config,
        &url,
        "application/timestamp-query",
        "application/timestamp-reply",
        body.clone(),
        1024,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type.as_deref(), Some("application/x-test"));
    let mut reversed = body.to_vec();
    reversed.reverse();
    assert_eq!(&r.body[..], &reversed[..]);
    assert!(!r.truncated);
    assert_eq!(r.remote_addr, addr);
    let sent = seen.lock().unwrap()[0].clone();
    let text = String::from_utf8_lossy(&sent);
    assert!(text.starts_with("POST /stamp?x=1 HTTP/1.1\r\n"), "{text}");
    assert!(text.contains("Host: tsa.test\r\n"), "{text}");
    assert!(text.contains("User-Agent: wangjian-test/1.0\r\n"), "{text}");
    assert!(
        text.contains("Content-Type: application/timestamp-query\r\n"),
        "{text}"
    );
    assert!(sent.ends_with(&body), "{text}");

    // The answer is capped.
    let r = post(&config, &url, "a/b", "c/d", body.clone(), 4)
        .await
        .unwrap();
    assert_eq!(r.body.len(), 4);
    assert!(r.truncated);
}

#[tokio::test]
async fn post_meets_the_address_policy() {
    let (addr, seen) = echo(200).await;
    // A loopback address not allow-listed is refused before any connection.
    let url = Url::parse(&format!("http://{addr}/tsa")).unwrap();
    let err = post(&config(&[]), &url, "a/b", "c/d", Bytes::new(), 16)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::RefusedAddress { .. }), "{err:?}");
    assert!(seen.lock().unwrap().is_empty());
    // Nobody listening; a scheme that is not HTTP.
    let dead = dead_addr().await;
    let config = config(&[format!("tsa.test:80:{dead}")]);
    let url = Url::parse("http://tsa.test/tsa").unwrap();
    let err = post(&config, &url, "a/b", "c/d", Bytes::new(), 16)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::ConnectRefused);
    let url = Url::parse("ftp://tsa.test/tsa").unwrap();
    assert!(matches!(
        post(&config, &url, "a/b", "c/d", Bytes::new(), 16).await,
        Err(FetchError::Unsupported { .. })
    ));
}

#[tokio::test]
async fn post_reports_the_status() {
    let (addr, _) = echo(503).await;
    let config = config(&[format!("tsa.test:80:{addr}")]);
    let url = Url::parse("http://tsa.test/").unwrap();
    let r = post(&config, &url, "a/b", "c/d", Bytes::from_static(b"x"), 16)
        .await
        .unwrap();
    assert_eq!(r.status, 503);
}

#[tokio::test]
async fn get_sends_no_body_and_reads_the_answer() {
    let (addr, seen) = serve(200, "", Some(b"{\"tree_size\":3}")).await;
    let config = config(&[format!("ct.test:80:{addr}")]);
    let url = Url::parse("http://ct.test/ct/v1/get-entries?start=0&end=9").unwrap();
    let r = get(&config, &url, "application/json", 1024).await.unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(&r.body[..], b"{\"tree_size\":3}");
    assert!(!r.truncated);
    assert_eq!(r.remote_addr, addr);
    let sent = seen.lock().unwrap()[0].clone();
    let text = String::from_utf8_lossy(&sent);
    assert!(
        text.starts_with("GET /ct/v1/get-entries?start=0&end=9 HTTP/1.1\r\n"),
        "{text}"
    );
    assert!(text.contains("Host: ct.test\r\n"), "{text}");
    assert!(text.contains("User-Agent: wangjian-test/1.0\r\n"), "{text}");
    assert!(text.contains("Accept: application/json\r\n"), "{text}");
    // No body, so no framing of one; no content-coding asked for.
    let lower = text.to_ascii_lowercase();
    assert!(!lower.contains("content-length"), "{text}");
    assert!(!lower.contains("transfer-encoding"), "{text}");
    assert!(!lower.contains("accept-encoding"), "{text}");
    assert!(sent.ends_with(b"\r\n\r\n"), "{text}");

    // The answer is capped.
    let r = get(&config, &url, "application/json", 5).await.unwrap();
    assert_eq!(&r.body[..], b"{\"tre");
    assert!(r.truncated);
}

#[tokio::test]
async fn get_does_not_follow_a_redirect() {
    let (moved, seen) = serve(
        301,
        "Location: http://ct.test/elsewhere\r\n",
        Some(b"moved"),
    )
    .await;
    let config = config(&[format!("ct.test:80:{moved}")]);
    let url = Url::parse("http://ct.test/ct/v1/get-sth").unwrap();
    let r = get(&config, &url, "application/json", 64).await.unwrap();
    assert_eq!(r.status, 301);
    assert_eq!(&r.body[..], b"moved");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn get_meets_the_address_policy() {
    let (addr, seen) = serve(200, "", Some(b"x")).await;
    let url = Url::parse(&format!("http://{addr}/ct/v1/get-sth")).unwrap();
    let err = get(&config(&[]), &url, "application/json", 16)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::RefusedAddress { .. }), "{err:?}");
    assert!(seen.lock().unwrap().is_empty());
    let url = Url::parse("file:///etc/passwd").unwrap();
    assert!(matches!(
        get(&config(&[]), &url, "application/json", 16).await,
        Err(FetchError::Unsupported { .. })
    ));
}
