use crate::common::truth;
use simweb::{start, GenParams, World};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn exchange(addr: std::net::SocketAddr, raw: &str) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    out
}

/// The 200-site, seed-1 world (the one `truth()` describes) served on a loopback port.
async fn serve_the_test_world() -> (Arc<World>, simweb::Running) {
    let world = Arc::new(World::generate(&GenParams {
        sites: 200,
        seed: 1,
    }));
    let running = start(world.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (world, running)
}

#[tokio::test]
async fn serves_by_host_over_a_real_socket() {
    let (world, running) = serve_the_test_world().await;
    let addr = running.addr;
    let site = truth()
        .sites
        .values()
        .find(|s| {
            s.encoding == "utf-8" && s.path_prefix.is_empty() && s.kind.code() == "trading_site"
        })
        .unwrap();

    // Two requests on one keep-alive connection, the second closing it.
    let path = site.pages.keys().nth(1).unwrap();
    let raw = format!(
        "GET / HTTP/1.1\r\nHost: {h}:{p}\r\n\r\nGET {path} HTTP/1.1\r\nHost: {h}\r\nConnection: close\r\n\r\n",
        h = site.host,
        p = addr.port()
    );
    let resp = String::from_utf8_lossy(&exchange(addr, &raw).await).to_string();
    assert_eq!(
        resp.matches("HTTP/1.1 200 OK").count(),
        2,
        "{}",
        &resp[..resp.len().min(400)]
    );
    assert!(resp.contains("content-type: text/html; charset=utf-8"));
    let expected = world.response(&site.host, "/").unwrap();
    assert!(resp.contains(&format!("content-length: {}", expected.body.len())));
    assert!(resp.contains("首页"));

    let resp = exchange(
        addr,
        "GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(String::from_utf8_lossy(&resp).starts_with("HTTP/1.1 404"));

    let resp = exchange(
        addr,
        "HEAD /robots.txt HTTP/1.1\r\nHost: waimai.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    let resp = String::from_utf8_lossy(&resp).to_string();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.ends_with("\r\n\r\n"), "HEAD has no body");

    running.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err(), "stopped");
}

#[tokio::test]
async fn some_sites_send_gzip_to_clients_that_accept_it() {
    let (world, running) = serve_the_test_world().await;
    let sites: Vec<_> = truth()
        .sites
        .values()
        .filter(|s| s.path_prefix.is_empty() && s.cloaked.is_none() && !s.pages.is_empty())
        .collect();
    let gz = sites.iter().filter(|s| s.gzip).count();
    assert!(
        gz > 0 && gz < sites.len(),
        "some sites compress, not all: {gz}"
    );
    let gbk_gz = sites
        .iter()
        .find(|s| s.gzip && s.encoding == "gbk")
        .expect("a gzip-encoded GBK site");
    let plain = sites.iter().find(|s| !s.gzip).unwrap();
    for (site, accept) in [
        (gbk_gz, "gzip, deflate"),
        (gbk_gz, "identity"),
        (gbk_gz, ""),
        (plain, "gzip"),
    ] {
        let accept = if accept.is_empty() {
            String::new()
        } else {
            format!("Accept-Encoding: {accept}\r\n")
        };
        let raw = format!(
            "GET / HTTP/1.1\r\nHost: {}\r\n{accept}Connection: close\r\n\r\n",
            site.host
        );
        let bytes = exchange(running.addr, &raw).await;
        let msg = http_msg::Message::parse(&bytes);
        let expected = world.response(&site.host, "/").unwrap();
        let compressed = site.gzip && accept.contains("gzip");
        assert_eq!(
            msg.head.content_encoding(),
            compressed.then_some("gzip"),
            "{} {accept:?}",
            site.host
        );
        assert_eq!(msg.head.field("vary").is_some(), site.gzip, "{}", site.host);
        assert_eq!(
            msg.head.content_length(),
            Some(msg.body.len() as u64),
            "{}",
            site.host
        );
        if compressed {
            assert_eq!(&msg.body[..2], &[0x1f, 0x8b]);
        } else {
            assert_eq!(msg.body, &expected.body[..]);
        }
        let text = msg.decode_body(http_msg::MAX_DECODED_BYTES).unwrap().text;
        assert_eq!(
            text,
            crate::common::decode(&expected.content_type, &expected.body),
            "{}",
            site.host
        );
        assert!(text.contains("首页"), "{}", site.host);
    }
    running.shutdown().await;
}
