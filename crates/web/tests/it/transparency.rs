//! The console publishes the log's public key and its signed checkpoints.

use crate::{assert_security_headers, fixture, get};

#[tokio::test]
async fn publishes_the_key_and_verified_checkpoints() {
    let fx = fixture().await;
    let got = get(&fx.router, "/transparency").await;
    assert_eq!(got.status, 200);
    assert_security_headers(&got.headers);
    let body = got.body;
    let key =
        std::fs::read_to_string(fx.state.log.as_ref().unwrap().public_key_file.as_path()).unwrap();
    assert!(body.contains(key.trim()), "the key is shown");
    assert!(
        body.contains("✓ 有效"),
        "the checkpoint verifies with the published key"
    );
    assert!(
        body.contains("wangjian.test/log"),
        "the latest note is shown"
    );

    let got = get(&fx.router, "/transparency/key").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body.trim(), key.trim());
}

#[tokio::test]
async fn a_tampered_checkpoint_is_marked() {
    let fx = fixture().await;
    let dir = fx.state.log.as_ref().unwrap().dir.join("checkpoints");
    let note_path = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let note = std::fs::read_to_string(&note_path).unwrap();
    // Claim a bigger tree under the same signature.
    std::fs::write(&note_path, note.replacen("\n5\n", "\n6\n", 1)).unwrap();
    let got = get(&fx.router, "/transparency").await;
    assert_eq!(got.status, 200);
    assert!(got.body.contains("✗ 无法验证"), "{}", got.body);
}
