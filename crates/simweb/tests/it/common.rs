//! Helpers shared by the tests: a cached world, body decoding and a link walker.

use simweb::{GenParams, Truth, World};
use std::collections::{BTreeSet, VecDeque};
use std::sync::OnceLock;

pub const SITES: usize = 200;

/// The 200-site, seed-1 world, generated once per test binary.
pub fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        World::generate(&GenParams {
            sites: SITES,
            seed: 1,
        })
    })
}

pub fn truth() -> &'static Truth {
    static T: OnceLock<Truth> = OnceLock::new();
    T.get_or_init(|| world().truth())
}

/// Decodes a body as a crawler does (`http_msg`: header, BOM, meta, else sniffed).
pub fn decode(content_type: &str, body: &[u8]) -> String {
    http_msg::decode_text(body, Some(content_type)).text
}

pub fn hrefs(html: &str) -> Vec<String> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| regex::Regex::new(r#"href="([^"]*)""#).unwrap());
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

/// Follows same-host `href`s from `start`, staying under `prefix`; returns the paths that
/// answered 200, and every same-host link that answered something else.
pub fn walk(
    world: &World,
    host: &str,
    prefix: &str,
    start: &str,
) -> (BTreeSet<String>, Vec<String>) {
    let mut seen = BTreeSet::new();
    let mut ok = BTreeSet::new();
    let mut broken = Vec::new();
    let mut queue = VecDeque::from([start.to_string()]);
    seen.insert(start.to_string());
    while let Some(path) = queue.pop_front() {
        let r = world.response(host, &path).expect("known host");
        if r.status != 200 {
            broken.push(format!("{host}{path} -> {}", r.status));
            continue;
        }
        ok.insert(path.clone());
        if !r.content_type.starts_with("text/html") {
            continue;
        }
        for h in hrefs(&decode(&r.content_type, &r.body)) {
            let p = if let Some(rest) = h.strip_prefix(&format!("http://{host}")) {
                rest.to_string()
            } else if h.starts_with('/') {
                h
            } else {
                continue;
            };
            if p.starts_with(prefix) && seen.insert(p.clone()) {
                queue.push_back(p);
            }
        }
    }
    (ok, broken)
}
