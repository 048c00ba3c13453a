//! What a site owner publishes (`World::with_overlay`): a file served at its path before any
//! generated page, a snippet inserted into the homepage, read at each request; nothing outside
//! the directory is reachable.

use crate::common::decode;
use simweb::{GenParams, World};

#[test]
fn published_files_and_homepage_snippets_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let world = World::generate(&GenParams { sites: 20, seed: 3 }).with_overlay(dir.path());
    let host = world
        .hosts()
        .into_iter()
        .find(|h| {
            world
                .response(h, "/")
                .is_some_and(|r| r.status == 200 && r.content_type.contains("utf-8"))
        })
        .expect("a UTF-8 site");
    let proof = "/.well-known/wangjian-badge/abc123";
    assert_eq!(world.response(&host, proof).unwrap().status, 404);
    let before = world.response(&host, "/").unwrap();

    std::fs::create_dir_all(dir.path().join(&host).join(".well-known/wangjian-badge")).unwrap();
    std::fs::write(
        dir.path()
            .join(&host)
            .join(".well-known/wangjian-badge/abc123"),
        "abc123\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join(format!("{host}.home.html")),
        "<p id=\"owner\">亮照</p>",
    )
    .unwrap();

    let r = world.response(&host, proof).unwrap();
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (200, "text/plain; charset=utf-8")
    );
    assert_eq!(r.body, b"abc123\n");
    let home = world.response(&host, "/").unwrap();
    let html = decode(&home.content_type, &home.body);
    let at = html
        .find("<p id=\"owner\">亮照</p>")
        .expect("the snippet is on the homepage");
    assert!(at < html.rfind("</body>").unwrap());
    assert_eq!(
        home.body.len(),
        before.body.len() + "<p id=\"owner\">亮照</p>".len()
    );
    // Not on other pages, not through `..`.
    std::fs::write(dir.path().join("secret"), "no").unwrap();
    assert_ne!(
        world.response(&host, "/../secret").map(|r| r.body),
        Some(b"no".to_vec())
    );
    assert_eq!(world.response(&host, "/a/./b").unwrap().status, 404);
}
