//! Pages a site sends gzip-encoded: the WARC keeps the bytes as they came off the wire
//! (compressed), and every reader of that evidence reads the page as the sweep scanned it —
//! the search index finds it by its text, a WACZ's `pages.jsonl` carries its title.

use crate::support::{warc_path, Fixture};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use store::Scope;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_encoded_pages_are_searchable_and_titled_in_a_wacz() {
    let fx = Fixture::new(40, 7).await;
    let detector = Arc::new(detect::Detector::builtin());
    sweep::run_sweep(fx.store.clone(), detector, fx.config())
        .await
        .unwrap();

    // The homepage of every site that compresses, with what a browser reads on it.
    let truth = fx.world.truth();
    let mut expected: BTreeMap<String, (String, String, bool)> = BTreeMap::new();
    for st in truth.sites.values() {
        // Cloaking sites answer the sweep's probes with other pages; they are not the point.
        let plain = st.cloaked.is_none() && !st.mobile_layout;
        if !plain
            || !st.registered
            || !st.gzip
            || !st.path_prefix.is_empty()
            || !st.pages.contains_key("/")
        {
            continue;
        }
        let served = fx.world.response(&st.host, "/").unwrap();
        let page =
            detect::extract(&http_msg::decode_text(&served.body, Some(&served.content_type)).text);
        let undeclared_gbk = st.encoding == "gbk"
            && !served.content_type.contains("charset")
            && !String::from_utf8_lossy(&served.body).contains("charset");
        expected.insert(
            format!("http://{}/", st.host),
            (page.title, page.text, undeclared_gbk),
        );
    }
    assert!(expected.len() >= 3, "{expected:?}");
    assert!(
        expected.values().any(|e| e.2),
        "the world has a gzip-encoded GBK site that declares no charset"
    );

    // Their fetches: stored compressed, as received.
    let mut homes = BTreeMap::new();
    for site in fx.all_sites().await {
        for f in fx
            .store
            .site_fetches(Scope::City, site.id, 10_000)
            .await
            .unwrap()
        {
            if f.fetch.status == Some(200) && expected.contains_key(&f.fetch.url) {
                homes.insert(f.fetch.url.clone(), f);
            }
        }
    }
    assert_eq!(
        homes.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "every compressing homepage was fetched"
    );
    let mut selections = Vec::new();
    for (url, f) in &homes {
        let ev = f.fetch.evidence.as_ref().unwrap();
        let path = warc_path(&fx.evidence_dir(), &ev.warc_file);
        let rec = evidence::read_record_at(&path, ev.offset as u64).unwrap();
        let msg = http_msg::Message::parse(&rec.block);
        assert_eq!(msg.head.content_encoding(), Some("gzip"), "{url}");
        assert_eq!(&msg.payload()[..2], &[0x1f, 0x8b], "{url}: kept compressed");
        selections.push(evidence::wacz::Selection {
            warc: path,
            offset: ev.offset as u64,
        });
    }

    // The search index finds each page by its own text and shows its title.
    let index_dir = fx.dir.path().join("search");
    let (index, summary) =
        sweep::index::open_and_sync(fx.store.as_ref(), &fx.evidence_dir(), &index_dir)
            .await
            .unwrap();
    assert_eq!(summary.unreadable, 0);
    let pages_matching = |text: &str| {
        index
            .search(&search::Query {
                text: text.to_string(),
                what: search::What::Pages,
                district: None,
                limit: 200,
                offset: 0,
            })
            .unwrap()
    };
    for (url, (title, text, _)) in &expected {
        assert!(!title.is_empty() && !text.is_empty(), "{url}");
        let hits = pages_matching(title);
        let hit = hits.iter().find_map(|h| match h {
            search::Hit::Page {
                url: u, title: t, ..
            } if u == url => Some(t),
            _ => None,
        });
        assert_eq!(hit, Some(title), "{url} is found by its title and titled");
        // And by a phrase from its body text.
        let phrase: String = text
            .split_whitespace()
            .find(|w| w.chars().count() >= 6)
            .unwrap_or_else(|| panic!("{url}: a phrase in {text}"))
            .chars()
            .take(8)
            .collect();
        let hits = pages_matching(&phrase);
        assert!(
            hits.iter()
                .any(|h| matches!(h, search::Hit::Page { url: u, .. } if u == url)),
            "{url} is found by {phrase:?}"
        );
    }

    // A WACZ of those pages titles each one from its decoded text.
    let out = fx.dir.path().join("gzip.wacz");
    let title_of = |text: &str| Some(detect::extract(text).title);
    let mut params = evidence::wacz::WaczParams::new("gzip pages");
    params.page_title = Some(&title_of);
    let written = evidence::wacz::write_wacz(&out, &selections, &params, None).unwrap();
    assert_eq!(written.pages, expected.len());
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let mut jsonl = String::new();
    zip.by_name("pages/pages.jsonl")
        .unwrap()
        .read_to_string(&mut jsonl)
        .unwrap();
    let titles: BTreeMap<String, String> = jsonl
        .lines()
        .skip(1)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["url"].as_str().unwrap().to_string(),
                v["title"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(titles.len(), expected.len());
    for (url, (title, _, _)) in &expected {
        // pages.jsonl carries the title trimmed.
        assert_eq!(
            titles.get(url).map(String::as_str),
            Some(title.trim()),
            "{url}"
        );
    }
}
