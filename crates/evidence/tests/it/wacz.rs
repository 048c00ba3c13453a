//! WACZ export: layout, zip methods, hashes, signature, byte-exact copies, index blocks.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use base64::Engine as _;
use evidence::cdxj::{index_warc, read_cdxj, sort_entries, CdxjEntry};
use evidence::wacz::{
    write_wacz, DataPackage, DataPackageDigest, Selection, WaczError, WaczParams, WaczSigner,
};
use evidence::{verify_warc, CaptureRefs, ExchangeRecord, WarcWriter};
use p384::ecdsa::signature::hazmat::PrehashVerifier;
use p384::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

use crate::*;

struct Entry {
    data: Vec<u8>,
    method: zip::CompressionMethod,
}

fn unzip(path: &Path) -> (Vec<String>, BTreeMap<String, Entry>) {
    let bytes = std::fs::read(path).unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut names = Vec::new();
    let mut entries = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        let name = f.name().unwrap().to_string();
        names.push(name.clone());
        entries.insert(
            name,
            Entry {
                data,
                method: f.compression(),
            },
        );
    }
    (names, entries)
}

fn gunzip_all(data: &[u8]) -> String {
    let mut out = String::new();
    flate2::read::MultiGzDecoder::new(data)
        .read_to_string(&mut out)
        .unwrap();
    out
}

/// Bytes of a member of a source file.
fn member(path: &Path, offset: u64, length: u64) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    bytes[offset as usize..(offset + length) as usize].to_vec()
}

fn page(url: &str) -> Vec<u8> {
    format!("<html><head><title>页面 {url}</title></head><body>x</body></html>").into_bytes()
}

/// The page of `url` as a server may send it to a crawler that accepts gzip: GBK without a
/// charset anywhere, gzip-encoded (the WARC keeps these bytes).
fn gzip_gbk_page(url: &str) -> Vec<u8> {
    let html = format!(
        "<html><head><title>页面 {url}</title></head><body><p>本店销售各类预包装食品，\
         营业执照与食品经营许可证已在首页公示，欢迎选购。</p></body></html>"
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &encoding_rs::GBK.encode(&html).0).unwrap();
    gz.finish().unwrap()
}

/// Two source files of 4 exchanges each (one a failed fetch).
fn sources(dir: &Path) -> Vec<(std::path::PathBuf, Vec<CaptureRefs>)> {
    let mut out = Vec::new();
    for prefix in ["wangjian-sweep-1", "wangjian-sweep-2"] {
        let mut cfg = config(dir);
        cfg.prefix = prefix.into();
        let mut w = WarcWriter::open(cfg).unwrap();
        let mut refs = Vec::new();
        for i in 0..3 {
            let uri = format!("http://{prefix}.test/page/{i}");
            // Page 2 comes gzip-encoded and undeclared GBK; its title must still be read.
            let (body, fields) = if i == 2 {
                (
                    gzip_gbk_page(&uri),
                    "Content-Type: text/html\r\nContent-Encoding: gzip",
                )
            } else {
                (page(&uri), "Content-Type: text/html; charset=utf-8")
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\n{fields}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            refs.push(
                w.write_exchange(&ExchangeRecord {
                    target_uri: &uri,
                    date: date(),
                    request_head: REQUEST,
                    response_head: Some(head.as_bytes()),
                    response_body: &body,
                    remote_ip: Some(ip()),
                    metadata: vec![("fetch-profile".into(), "spider".into())],
                })
                .unwrap(),
            );
        }
        refs.push(
            w.write_exchange(&ExchangeRecord {
                target_uri: &format!("http://{prefix}.test/slow"),
                date: date(),
                request_head: REQUEST,
                response_head: None,
                response_body: b"",
                remote_ip: None,
                metadata: vec![("fetch-error".into(), "timeout".into())],
            })
            .unwrap(),
        );
        w.flush().unwrap();
        out.push((w.current_file().to_path_buf(), refs));
    }
    out
}

fn title_of(text: &str) -> Option<String> {
    let start = text.find("<title>")? + 7;
    let end = text[start..].find("</title>")? + start;
    Some(text[start..end].to_string())
}

#[test]
fn package_layout_hashes_signature_and_byte_exact_records() {
    let dir = tempfile::tempdir().unwrap();
    let src = sources(&dir.path().join("warc"));
    // Selected: page/0 and page/2 of file 1, the failed fetch (its request record) of file 2.
    let sel = |f: usize, r: &evidence::RecordRef| Selection {
        warc: src[f].0.clone(),
        offset: r.offset,
    };
    let (f1, f2) = (&src[0].1, &src[1].1);
    let selections = vec![
        sel(0, f1[2].response.as_ref().unwrap()),
        sel(0, f1[0].response.as_ref().unwrap()),
        sel(0, f1[0].response.as_ref().unwrap()), // twice: copied once
        sel(1, &f2[3].request),
    ];
    let signer = WaczSigner::load_or_create(&dir.path().join("keys")).unwrap();
    let out = dir.path().join("export.wacz");
    let mut params = WaczParams::new("sweep 1 test");
    params.software = "wangjian/test".into();
    params.cdxj_block_lines = 1;
    params.extra_info = vec![("export-selection".into(), "test".into())];
    params.page_title = Some(&title_of);
    let summary = write_wacz(&out, &selections, &params, Some(&signer)).unwrap();
    assert_eq!(
        summary.copied,
        3 + 3 + 2,
        "two exchanges of 3 records, one of 2"
    );
    assert_eq!(
        summary.records,
        1 + 2 + 8,
        "fresh warcinfo, 2 source warcinfos"
    );
    assert_eq!(summary.indexed, 2);
    assert_eq!(summary.pages, 2);
    assert!(summary.signed);
    // Nothing but the package is left beside it.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    let (names, entries) = unzip(&out);
    assert_eq!(
        names,
        [
            "archive/data.warc.gz",
            "indexes/index.cdx.gz",
            "indexes/index.idx",
            "pages/pages.jsonl",
            "datapackage.json",
            "datapackage-digest.json"
        ]
    );
    use zip::CompressionMethod::Stored;
    assert_eq!(entries["archive/data.warc.gz"].method, Stored);
    assert_eq!(entries["indexes/index.cdx.gz"].method, Stored);
    // Every entry stored, so that every byte of its data is covered by a hash.
    assert_eq!(entries["pages/pages.jsonl"].method, Stored);

    // datapackage.json: every other file with its hash and size.
    let package: DataPackage = serde_json::from_slice(&entries["datapackage.json"].data).unwrap();
    let raw: serde_json::Value = serde_json::from_slice(&entries["datapackage.json"].data).unwrap();
    assert_eq!(raw["profile"], "data-package");
    assert_eq!(raw["wacz_version"], "1.1.1");
    assert_eq!(raw["title"], "sweep 1 test");
    assert_eq!(package.resources.len(), 4);
    for r in &package.resources {
        let data = &entries[&r.path].data;
        assert_eq!(r.hash, sha256(&[data]), "{}", r.path);
        assert_eq!(r.bytes, data.len() as u64);
        assert_eq!(r.name, r.path.rsplit('/').next().unwrap());
    }

    // datapackage-digest.json: the hash of datapackage.json, signed (checked here with p384
    // directly, not through the crate's own verifier).
    let digest: DataPackageDigest =
        serde_json::from_slice(&entries["datapackage-digest.json"].data).unwrap();
    assert_eq!(digest.path, "datapackage.json");
    assert_eq!(digest.hash, sha256(&[&entries["datapackage.json"].data]));
    assert_eq!(digest.hash, summary.datapackage_hash);
    let signed = digest.signed_data.unwrap();
    assert_eq!(signed.hash, digest.hash);
    assert_eq!(signed.created, package.created);
    assert_eq!(signed.software, "wangjian/test");
    let b64 = base64::engine::general_purpose::STANDARD;
    let key =
        p384::ecdsa::VerifyingKey::from_public_key_der(&b64.decode(&signed.public_key).unwrap())
            .unwrap();
    let sig_bytes = b64.decode(&signed.signature).unwrap();
    assert_eq!(sig_bytes.len(), 96, "raw r||s, as Web Crypto verifies it");
    let sig = p384::ecdsa::Signature::from_slice(&sig_bytes).unwrap();
    let prehash = Sha256::digest(signed.hash.as_bytes());
    key.verify_prehash(&prehash, &sig).unwrap();
    assert!(key
        .verify_prehash(&Sha256::digest(b"sha256:00"), &sig)
        .is_err());
    signed.verify().unwrap();
    let mut forged = signed.clone();
    forged.hash.replace_range(7..8, "0");
    if forged.hash == signed.hash {
        forged.hash.replace_range(7..8, "1");
    }
    assert!(matches!(forged.verify(), Err(WaczError::Signature(_))));

    // archive/data.warc.gz: valid, fresh warcinfo first, then the sources' warcinfo, then the
    // exchanges' members exactly as in the sources.
    let warc_path = dir.path().join("data.warc.gz");
    std::fs::write(&warc_path, &entries["archive/data.warc.gz"].data).unwrap();
    let verdict = verify_warc(&warc_path);
    assert!(verdict.ok(), "{:?}", verdict.failures);
    let recs = read_all(&warc_path);
    let types: Vec<&str> = recs.iter().map(|r| r.warc_type().unwrap()).collect();
    assert_eq!(
        types,
        [
            "warcinfo", "warcinfo", "warcinfo", "request", "response", "metadata", "request",
            "response", "metadata", "request", "metadata"
        ]
    );
    let info = String::from_utf8_lossy(&recs[0].block).into_owned();
    assert!(info.contains("software: wangjian/test\r\n"), "{info}");
    assert!(info.contains("export-selection: test\r\n"), "{info}");
    assert!(info.contains(&format!(
        "source-file: {}\r\n",
        src[0].0.file_name().unwrap().to_str().unwrap()
    )));
    assert_eq!(recs[0].header("WARC-Filename"), Some("data.warc.gz"));
    let data = &entries["archive/data.warc.gz"].data;
    let copied = |i: usize| data[recs[i].offset as usize..][..recs[i].length as usize].to_vec();
    let expected = [
        (&src[0].0, &f1[0].request),
        (&src[0].0, f1[0].response.as_ref().unwrap()),
        (&src[0].0, f1[0].metadata.as_ref().unwrap()),
        (&src[0].0, &f1[2].request),
        (&src[0].0, f1[2].response.as_ref().unwrap()),
        (&src[0].0, f1[2].metadata.as_ref().unwrap()),
        (&src[1].0, &f2[3].request),
        (&src[1].0, f2[3].metadata.as_ref().unwrap()),
    ];
    for (i, (file, r)) in expected.iter().enumerate() {
        assert_eq!(
            copied(i + 3),
            member(file, r.offset, r.length),
            "record {i}"
        );
        assert_eq!(recs[i + 3].record_id(), Some(r.record_id.as_str()));
    }

    // indexes: one gzip block per line here; the idx locates each block by offset, length and
    // digest, and the blocks together are the sorted index of data.warc.gz.
    let idx = String::from_utf8(entries["indexes/index.idx"].data.clone()).unwrap();
    let mut lines = idx.lines();
    assert_eq!(
        lines.next(),
        Some(r#"!meta 0 {"format": "cdxj-gzip-1.0", "filename": "index.cdx.gz"}"#)
    );
    let gz = &entries["indexes/index.cdx.gz"].data;
    let mut next_offset = 0;
    let mut blocks = String::new();
    for line in lines {
        let (key, json) = line.split_at(line.find(" {").unwrap());
        let meta: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        let (offset, length) = (
            meta["offset"].as_u64().unwrap() as usize,
            meta["length"].as_u64().unwrap() as usize,
        );
        assert_eq!(offset, next_offset);
        next_offset += length;
        let block = &gz[offset..offset + length];
        assert_eq!(meta["digest"], sha256(&[block]));
        assert_eq!(meta["filename"], "index.cdx.gz");
        let text = gunzip_all(block);
        let first = text.lines().next().unwrap();
        assert!(first.starts_with(&format!("{key} ")), "{key} / {first}");
        blocks.push_str(&text);
    }
    assert_eq!(next_offset, gz.len());
    assert_eq!(blocks, gunzip_all(gz));
    let (cdx, problems) = read_cdxj(blocks.as_bytes()).unwrap();
    assert!(problems.is_empty());
    let mut want = index_warc(&warc_path, "data.warc.gz").unwrap();
    sort_entries(&mut want);
    assert_eq!(cdx, want);
    assert_eq!(
        cdx.iter().map(|e| e.url.as_str()).collect::<Vec<_>>(),
        [
            "http://wangjian-sweep-1.test/page/0",
            "http://wangjian-sweep-1.test/page/2"
        ]
    );
    assert!(cdx.iter().all(|e| e.filename == "data.warc.gz"));

    // pages.jsonl: the header line, then the HTML pages with title and time.
    let pages = String::from_utf8(entries["pages/pages.jsonl"].data.clone()).unwrap();
    let mut pages = pages.lines();
    assert_eq!(
        pages.next(),
        Some(r#"{"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}"#)
    );
    let pages: Vec<serde_json::Value> = pages.map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0]["url"], "http://wangjian-sweep-1.test/page/0");
    assert_eq!(pages[0]["ts"], "2026-11-30T08:44:44Z");
    assert_eq!(
        pages[0]["title"],
        "页面 http://wangjian-sweep-1.test/page/0"
    );
    assert_eq!(pages[1]["url"], "http://wangjian-sweep-1.test/page/2");
    assert_eq!(
        pages[1]["title"], "页面 http://wangjian-sweep-1.test/page/2",
        "a gzip-encoded GBK page without a charset is titled from its text"
    );
    assert!(f1[0]
        .response
        .as_ref()
        .unwrap()
        .record_id
        .contains(pages[0]["id"].as_str().unwrap()));

    let _ = CdxjEntry::parse; // the reader is public API used above via read_cdxj
}

#[test]
fn signing_key_is_created_once_private_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("data/keys");
    // Reading the published key makes none.
    assert_eq!(WaczSigner::published_key(&keys).unwrap(), None);
    assert!(!keys.exists());
    let a = WaczSigner::load_or_create(&keys).unwrap();
    assert_eq!(
        WaczSigner::published_key(&keys).unwrap(),
        Some(a.public_key_base64())
    );
    let b = WaczSigner::load_or_create(&keys).unwrap();
    assert_eq!(a.public_key_base64(), b.public_key_base64());
    assert_ne!(
        a.public_key_base64(),
        WaczSigner::generate().unwrap().public_key_base64()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = keys.join(evidence::wacz::SIGNING_KEY_FILE);
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = std::fs::metadata(&keys).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the key directory is private");
    }
    // A package signed without a signer has a digest but no signedData.
    let (src, refs) = sources(&dir.path().join("warc")).remove(0);
    let out = dir.path().join("unsigned.wacz");
    let sel = [Selection {
        warc: src,
        offset: refs[0].response.as_ref().unwrap().offset,
    }];
    let summary = write_wacz(&out, &sel, &WaczParams::new("t"), None).unwrap();
    assert!(!summary.signed);
    let (_, entries) = unzip(&out);
    let digest: DataPackageDigest =
        serde_json::from_slice(&entries["datapackage-digest.json"].data).unwrap();
    assert!(digest.signed_data.is_none());
    assert_eq!(summary.pages, 1);
}

#[test]
fn bad_selections_fail_without_leaving_files() {
    let dir = tempfile::tempdir().unwrap();
    let (src, refs) = sources(&dir.path().join("warc")).remove(0);
    let out = dir.path().join("x.wacz");
    let params = WaczParams::new("t");
    assert!(matches!(
        write_wacz(&out, &[], &params, None),
        Err(WaczError::Empty)
    ));
    let inside = Selection {
        warc: src.clone(),
        offset: refs[0].response.as_ref().unwrap().offset + 1,
    };
    assert!(matches!(
        write_wacz(&out, &[inside], &params, None),
        Err(WaczError::NoRecord { offset, .. }) if offset == refs[0].response.as_ref().unwrap().offset + 1
    ));
    let missing = Selection {
        warc: dir.path().join("warc/missing.warc.gz"),
        offset: 0,
    };
    assert!(write_wacz(&out, &[missing], &params, None).is_err());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["warc"], "no package and no temporary files");
}

/// A screenshot is stored under `urn:view:` + its page's URL: it comes along with the page's
/// exchange, is indexed under that URI (never under the page's own key, where a replay tool
/// looks for the page) and is no page of `pages.jsonl`.
#[test]
fn a_screenshot_is_indexed_under_its_view_uri_and_is_no_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::open(config(&dir.path().join("warc"))).unwrap();
    let url = "http://shop.example/";
    let body = page(url);
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let refs = w
        .write_exchange(&ExchangeRecord {
            target_uri: url,
            date: date(),
            request_head: REQUEST,
            response_head: Some(head.as_bytes()),
            response_body: &body,
            remote_ip: Some(ip()),
            metadata: vec![],
        })
        .unwrap();
    let response = refs.response.unwrap();
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[3u8; 40]].concat();
    let later = date() + chrono::Duration::seconds(2);
    let shot = w
        .write_screenshot(url, later, &png, Some(&response.record_id))
        .unwrap();
    w.flush().unwrap();
    let warc = w.current_file().to_path_buf();
    let rec = evidence::read_record_at(&warc, shot.offset).unwrap();
    assert_eq!(rec.target_uri(), Some("urn:view:http://shop.example/"));
    assert_eq!(rec.header("Content-Type"), Some("image/png"));
    assert_eq!(evidence::viewed_page(rec.target_uri().unwrap()), url);
    // A screenshot written before the rule names its page directly.
    assert_eq!(evidence::viewed_page(url), url);

    let out = dir.path().join("shot.wacz");
    let selection = Selection {
        warc,
        offset: response.offset,
    };
    let summary = write_wacz(&out, &[selection], &WaczParams::new("t"), None).unwrap();
    assert_eq!(summary.copied, 3, "request, response and the screenshot");
    assert_eq!(summary.pages, 1);
    let (_, entries) = unzip(&out);
    let pages = String::from_utf8(entries["pages/pages.jsonl"].data.clone()).unwrap();
    let pages: Vec<serde_json::Value> = pages
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert_eq!(pages[0]["url"], url);
    assert_eq!(pages[0]["ts"], "2026-11-30T08:44:44Z");
    let index = gunzip_all(&entries["indexes/index.cdx.gz"].data);
    let keys: Vec<(&str, &str)> = index
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, ' ');
            let key = parts.next().unwrap();
            let mime = l.split("\"mime\": \"").nth(1).unwrap().split('"').next();
            (key, mime.unwrap())
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("example,shop)/", "text/html"),
            // Keyed as cdxj-indexer keys it (Python's `surt` of a `urn:` URI).
            ("urn:view:http://shop.example", "image/png"),
        ]
    );
}
