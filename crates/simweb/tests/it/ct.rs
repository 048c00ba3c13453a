//! The CT log as part of a world: served on its three hosts over a real socket, listed among
//! the hosts, and leaving the truth and the register as they were.

use simweb::{demo_subjects, start, GenParams, World, CT_FORGED_HOST, CT_FORK_HOST, CT_HOST};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn world() -> World {
    World::generate(&GenParams { sites: 20, seed: 3 })
}

#[test]
fn the_log_is_an_addition_to_the_world() {
    let plain = world();
    let with_log = world().with_ct_log(demo_subjects(3, 4)).unwrap();
    assert_eq!(plain.truth(), with_log.truth());
    assert_eq!(plain.register_csv(), with_log.register_csv());
    let hosts = with_log.hosts();
    for h in [CT_HOST, CT_FORGED_HOST, CT_FORK_HOST] {
        assert!(hosts.iter().any(|x| x == h), "{h}");
        assert!(!plain.hosts().iter().any(|x| x == h), "{h}");
        assert!(plain.response(h, "/ct/v1/get-sth").is_none(), "{h}");
    }
    assert!(plain.ct_log().is_none());
    let log = with_log.ct_log().unwrap();
    assert_eq!(log.size(), 4);
    // The log's key is a P-256 SubjectPublicKeyInfo (id-ecPublicKey, prime256v1).
    let key = log.public_key_der();
    assert_eq!(key.len(), 91);
    assert!(key
        .windows(10)
        .any(|w| w == [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]));
}

#[tokio::test]
async fn the_log_answers_over_a_socket() {
    let world = Arc::new(world().with_ct_log(demo_subjects(3, 4)).unwrap());
    let running = start(world.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut s = TcpStream::connect(running.addr).await.unwrap();
    s.write_all(
        format!("GET /ct/v1/get-sth HTTP/1.1\r\nHost: {CT_HOST}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("content-type: application/json"), "{text}");
    assert!(text.contains("\"tree_size\":4"), "{text}");
    // The same answer as the world gives without a socket.
    let direct = world.response(CT_HOST, "/ct/v1/get-sth").unwrap();
    assert!(text.ends_with(std::str::from_utf8(&direct.body).unwrap()));
}
