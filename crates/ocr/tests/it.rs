//! The OCR of licence pictures with the real tesseract: simweb's generated licences read back
//! (code and name), forged ones found by the detector, and what must be refused before OCR.
//! Needs Debian's `tesseract-ocr` and `tesseract-ocr-chi-sim` and a CJK font (`fonts-wqy-zenhei`).

use detect::{Category, Detector, Location, PageContext, RegisterFacts, RegisterView};
use ocr::{Limits, OcrError, Refusal, Tesseract};
use std::time::Duration;

/// The licence pictures of a world: (host, truth, PNG bytes).
fn pictures(sites: usize, seed: u64) -> Vec<(String, simweb::LicenceImageTruth, Vec<u8>)> {
    let world = simweb::World::generate(&simweb::GenParams { sites, seed });
    let truth = world.truth();
    truth
        .sites
        .values()
        .filter_map(|st| {
            let img = st.licence_image.clone()?;
            let resp = world.response(&st.host, &img.image)?;
            assert_eq!(resp.status, 200);
            assert_eq!(resp.content_type, "image/png");
            Some((st.host.clone(), img, resp.body))
        })
        .collect()
}

fn engine() -> Tesseract {
    Tesseract::locate().expect("tesseract with chi_sim installed (see README)")
}

#[test]
fn generated_licences_read_back_to_their_code_and_name() {
    let t = engine();
    let pics = pictures(300, 11);
    assert!(pics.len() >= 4, "the world shows some licences as pictures");
    for (host, truth, png) in pics.iter().take(6) {
        let info = ocr::check_image(png, &Limits::default()).unwrap();
        assert_eq!((info.width, info.height), (800, 560));
        let reading = t.read(png, &Limits::default()).unwrap();
        let r = detect::read_licence(&reading.text);
        let codes: Vec<&str> = r.codes.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, [truth.uscc.as_str()], "{host}: {}", reading.text);
        let name = r.name.as_deref().unwrap_or("");
        assert!(name.ends_with("公司") || name.len() > 6, "{host}: {name}");
        assert!(r.looks_like_licence());
        assert!(reading.engine.starts_with("tesseract "));
    }
}

#[test]
fn forged_licences_are_found_with_location_image() {
    let t = engine();
    let d = Detector::builtin();
    let pics = pictures(600, 5);
    let mut seen = std::collections::BTreeSet::new();
    for (host, truth, png) in &pics {
        let text = t.read(png, &Limits::default()).unwrap().text;
        // The register's entity for the site: its own code. A picture showing another valid
        // code is a mismatch; one showing a broken code is invalid; its own code is clean.
        let own = match truth.categories.iter().next() {
            Some(Category::LicenseUsccMismatch) => "91110000600037341L".to_string(),
            _ => {
                let mut c = truth.uscc.clone();
                if truth.categories.contains(&Category::LicenseUsccInvalid) {
                    c.pop();
                    c.push('?'); // the register's code is not what the picture shows
                }
                c
            }
        };
        let facts = RegisterFacts {
            name: "登记名称".into(),
            uscc: own,
            ..RegisterFacts::default()
        };
        let url = format!("http://{host}/");
        let ctx = PageContext {
            is_site_home: true,
            register: RegisterView::Matched(&facts),
            ..PageContext::new(&url)
        };
        let (found, _) = d.check_licence_reading(&text, &ctx);
        let cats: std::collections::BTreeSet<Category> = found.iter().map(|f| f.category).collect();
        // A forged check character also differs from the register: invalid, not a mismatch
        // (a mismatch needs a valid code).
        assert_eq!(cats, truth.categories, "{host}: {text}");
        assert!(found.iter().all(|f| f.location == Location::Image));
        seen.extend(cats);
    }
    assert!(
        seen.contains(&Category::LicenseUsccInvalid)
            && seen.contains(&Category::LicenseUsccMismatch),
        "both forgeries met: {seen:?}"
    );
}

fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        v.extend_from_slice(&(data.len() as u32).to_be_bytes());
        v.extend_from_slice(kind);
        v.extend_from_slice(data);
        v.extend_from_slice(&[0; 4]);
    };
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0, 0, 0, 0, 1]);
    chunk(b"IEND", &[]);
    v
}

#[test]
fn bombs_non_images_and_truncated_files_are_refused_with_reasons() {
    let t = engine();
    let limits = Limits::default();
    let refused = |bytes: &[u8]| match t.read(bytes, &limits) {
        Err(OcrError::Refused(r)) => r,
        other => panic!("not refused: {other:?}"),
    };
    let bomb = refused(&png_header(100_000, 100_000));
    assert_eq!(
        bomb,
        Refusal::TooManyPixels {
            width: 100_000,
            height: 100_000,
            max: 25_000_000
        }
    );
    assert_eq!(bomb.code(), "image.too_many_pixels");
    assert_eq!(
        refused(b"<html>not a picture</html>").code(),
        "image.not_image"
    );
    assert_eq!(
        refused(b"\x7fELF\x02\x01\x01\0\0\0").code(),
        "image.not_image"
    );
    let (_, _, png) = pictures(300, 11).into_iter().next().unwrap();
    assert_eq!(refused(&png[..png.len() / 2]), Refusal::Truncated);
    assert_eq!(refused(&png[..png.len() - 4]), Refusal::Truncated);
    let small = Limits {
        max_bytes: 1000,
        ..Limits::default()
    };
    assert_eq!(t.read(&png, &small).unwrap_err().code(), "image.too_large");
}

#[test]
fn a_reading_past_its_deadline_is_killed_with_a_reason() {
    let t = engine();
    let (_, _, png) = pictures(300, 11).into_iter().next().unwrap();
    let hurried = Limits {
        timeout: Duration::from_millis(1),
        ..Limits::default()
    };
    let e = t.read(&png, &hurried).unwrap_err();
    assert_eq!(e.code(), "ocr.timeout", "{e}");
    // Memory: an address space too small for tesseract's language data fails with a reason.
    if t.memory_limited() {
        let starved = Limits {
            max_memory: 64 << 20,
            ..Limits::default()
        };
        let e = t.read(&png, &starved).unwrap_err();
        assert!(matches!(e.code(), "ocr.memory" | "ocr.failed"), "{e}");
    }
}

#[test]
fn a_missing_engine_is_unavailable_with_a_reason() {
    let e = Tesseract::at(std::path::Path::new("/nonexistent/tesseract")).unwrap_err();
    assert_eq!(e.code(), "ocr.unavailable.not_installed");
    // A program that is not tesseract does not answer like it.
    let e = Tesseract::at(std::path::Path::new("/bin/true")).unwrap_err();
    assert_eq!(e.code(), "ocr.unavailable.broken");
}
