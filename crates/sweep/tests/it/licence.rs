//! Licence pictures in a sweep (crate::licence_images): simweb's licences shown as PNG
//! pictures, some forged, are fetched, read by the real tesseract and checked; the findings
//! point at the picture's response, whose metadata record carries the reading; pictures that
//! cannot be read (an image bomb, a truncated file) are failed fetches with a reason, and the
//! sweep goes on.

use crate::support::{warc_path, Fixture};
use domain::Category;
use std::collections::BTreeSet;
use std::sync::Arc;
use store::{FindingFilter, Scope};

/// A PNG whose header claims 100000×100000 pixels (a few bytes on the wire).
fn bomb() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        v.extend_from_slice(&(data.len() as u32).to_be_bytes());
        v.extend_from_slice(kind);
        v.extend_from_slice(data);
        v.extend_from_slice(&[0; 4]);
    };
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0, 0, 0, 0, 1]);
    chunk(b"IEND", &[]);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn licence_pictures_are_read_and_checked_with_the_picture_as_evidence() {
    // The first small world (by seed) with honest pictures and both kinds of forgery.
    let both = |t: &simweb::Truth| {
        let cats: BTreeSet<Category> = t
            .sites
            .values()
            .filter_map(|s| s.licence_image.as_ref())
            .flat_map(|i| i.categories.iter().copied())
            .collect();
        let honest = t
            .sites
            .values()
            .filter_map(|s| s.licence_image.as_ref())
            .any(|i| i.categories.is_empty());
        cats.len() == 2 && honest
    };
    let world = (1..200)
        .map(|seed| simweb::World::generate(&simweb::GenParams { sites: 100, seed }))
        .find(|w| both(&w.truth()))
        .expect("a small world with every kind of licence picture");
    let truth = world.truth();
    let pictured: Vec<&simweb::SiteTruth> = truth
        .sites
        .values()
        .filter(|s| s.licence_image.is_some())
        .collect();
    let forged: BTreeSet<Category> = pictured
        .iter()
        .flat_map(|s| s.licence_image.as_ref().unwrap().categories.iter().copied())
        .collect();
    assert_eq!(forged.len(), 2);

    // One more registered site shows a bomb and a truncated licence picture.
    let victim = truth
        .sites
        .values()
        .find(|s| {
            s.registered
                && s.path_prefix.is_empty()
                && s.licence_image.is_none()
                && s.cloaked.is_none()
                && !s.mobile_layout
                && s.pages.contains_key("/")
        })
        .unwrap()
        .host
        .clone();
    let overlay = tempfile::tempdir().unwrap();
    let files = overlay.path().join(&victim).join("zz");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("yyzz-big.png"), bomb()).unwrap();
    let honest = pictured
        .iter()
        .find(|s| s.licence_image.as_ref().unwrap().categories.is_empty())
        .unwrap();
    let png = world
        .response(&honest.host, &honest.licence_image.as_ref().unwrap().image)
        .unwrap()
        .body;
    std::fs::write(files.join("yyzz-cut.png"), &png[..png.len() / 2]).unwrap();
    std::fs::write(
        overlay.path().join(format!("{victim}.home.html")),
        "<p><img src=\"/zz/yyzz-big.png\" alt=\"营业执照\"><img src=\"/zz/yyzz-cut.png\" alt=\"营业执照副本\"></p>",
    )
    .unwrap();
    let fx = Fixture::with_world(world.with_overlay(overlay.path())).await;

    let detector = Arc::new(detect::Detector::builtin());
    let summary = sweep::run_sweep(fx.store.clone(), detector, fx.config())
        .await
        .unwrap();
    assert_eq!(summary.ocr.unavailable, None, "tesseract is installed");
    assert_eq!(
        summary.ocr.pictures,
        pictured.len() as u64 + 2,
        "{:?}",
        summary.ocr
    );
    assert_eq!(summary.ocr.read, pictured.len() as u64);
    assert_eq!(summary.ocr.failed, 2);

    // The findings on pictures are exactly the forgeries, each on its picture.
    let findings = fx
        .store
        .list_findings(
            Scope::City,
            &FindingFilter {
                limit: 100_000,
                ..FindingFilter::default()
            },
        )
        .await
        .unwrap();
    let on_pictures: BTreeSet<(String, Category)> = findings
        .iter()
        .filter(|f| f.finding.location == "image")
        .map(|f| (f.finding.url.clone(), f.finding.category))
        .collect();
    let expected: BTreeSet<(String, Category)> = pictured
        .iter()
        .flat_map(|s| {
            let img = s.licence_image.as_ref().unwrap();
            img.categories
                .iter()
                .map(move |c| (format!("http://{}{}", s.host, img.image), *c))
        })
        .collect();
    assert_eq!(on_pictures, expected);
    // No picture site is said to hide its licence.
    for s in &pictured {
        let home = format!("http://{}/", s.host);
        assert!(
            !findings
                .iter()
                .any(|f| f.finding.url == home
                    && f.finding.category == Category::LicenseNotDisplayed),
            "{home}"
        );
    }

    // Evidence: each finding names the picture's response; its metadata record has the reading.
    let mut readings = std::collections::HashMap::new();
    for file in evidence::warc_files(&fx.evidence_dir()).unwrap() {
        for rec in evidence::open_reader(&file).unwrap() {
            let rec = rec.unwrap();
            if rec.header("WARC-Type") == Some("metadata") {
                let block = String::from_utf8_lossy(&rec.block).to_string();
                if block.contains("ocr-engine: tesseract") {
                    readings.insert(rec.header("WARC-Refers-To").unwrap().to_string(), block);
                }
            }
        }
    }
    for f in findings.iter().filter(|f| f.finding.location == "image") {
        let ev = f.finding.evidence.as_ref().unwrap();
        let rec = evidence::read_record_at(
            &warc_path(&fx.evidence_dir(), &ev.warc_file),
            ev.offset as u64,
        )
        .unwrap();
        assert_eq!(rec.header("WARC-Type"), Some("response"));
        assert_eq!(rec.header("WARC-Target-URI"), Some(f.finding.url.as_str()));
        let msg = http_msg::Message::parse(&rec.block);
        assert_eq!(&msg.payload()[..4], b"\x89PNG");
        let reading = &readings[rec.header("WARC-Record-ID").unwrap()];
        let host = url::Url::parse(&f.finding.url)
            .unwrap()
            .host_str()
            .unwrap()
            .to_string();
        let shown = &truth.sites[&host].licence_image.as_ref().unwrap().uscc;
        assert!(
            reading.replace(' ', "").contains(shown.as_str()),
            "{reading}"
        );
        assert!(
            f.finding.excerpt.contains(shown.as_str()),
            "{}",
            f.finding.excerpt
        );
    }

    // The bomb and the cut file: failed fetches with the reason's code.
    let mut errors = BTreeSet::new();
    for site in fx.all_sites().await {
        for fetch in fx
            .store
            .site_fetches(Scope::City, site.id, 10_000)
            .await
            .unwrap()
        {
            if fetch.fetch.url.contains("/zz/yyzz-") {
                let e = fetch.fetch.error.clone().unwrap_or_default();
                errors.insert(e.split(':').next().unwrap_or("").to_string());
            }
        }
    }
    assert_eq!(
        errors,
        BTreeSet::from([
            "image.too_many_pixels".to_string(),
            "image.truncated".to_string()
        ])
    );
}
