//! A printed document bundled with its WACZ: the members are the PDF, the WACZ byte for byte
//! and the manifests, whose SHA-256s are those of the members.

use std::io::Read as _;
use std::path::Path;

use documents::{sha256_file, write_bundle, BundleError, BundleInput, DocumentKind};
use sha2::{Digest as _, Sha256};

fn members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).unwrap();
            (f.name().unwrap().to_string(), buf)
        })
        .collect()
}

#[test]
fn bundles_the_pdf_and_the_wacz_with_their_digests() {
    let dir = tempfile::tempdir().unwrap();
    let wacz = dir.path().join("clue-3.wacz");
    let wacz_bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&wacz, &wacz_bytes).unwrap();
    let wacz4 = dir.path().join("clue-4.wacz");
    std::fs::write(&wacz4, b"PK second package").unwrap();
    let pdf = b"%PDF-1.4 a document".to_vec();
    let out = dir.path().join("notice.zip");
    let bundle = write_bundle(
        &out,
        &BundleInput {
            kind: DocumentKind::Rectification,
            number: "南市监网责改〔2026〕7号",
            case_number: "南市监网案〔2026〕7号",
            document_name: "rectification.pdf",
            document: &pdf,
            waczs: &[&wacz, &wacz4],
        },
    )
    .unwrap();
    assert_eq!(bundle.path, out);
    let wacz_sha = hex::encode(Sha256::digest(&wacz_bytes));
    assert_eq!(sha256_file(&wacz).unwrap(), (wacz_sha.clone(), 200_000));
    let pdf_sha = hex::encode(Sha256::digest(&pdf));
    assert_eq!(bundle.manifest.files[0].name, "rectification.pdf");
    assert_eq!(bundle.manifest.files[0].sha256, pdf_sha);
    assert_eq!(bundle.manifest.files[1].name, "clue-3.wacz");
    assert_eq!(bundle.manifest.files[1].sha256, wacz_sha);

    let m = members(&out);
    let names: Vec<&str> = m.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "rectification.pdf",
            "clue-3.wacz",
            "clue-4.wacz",
            "manifest.json",
            "SHA256SUMS"
        ]
    );
    assert_eq!(m[0].1, pdf);
    assert_eq!(m[1].1, wacz_bytes);
    assert_eq!(m[2].1, b"PK second package");
    let wacz4_sha = hex::encode(Sha256::digest(b"PK second package"));
    let manifest: serde_json::Value = serde_json::from_slice(&m[3].1).unwrap();
    assert_eq!(manifest["format"], "wangjian-document-bundle-1");
    assert_eq!(manifest["kind"], "rectification");
    assert_eq!(manifest["title"], "责令改正通知书");
    assert_eq!(manifest["case_number"], "南市监网案〔2026〕7号");
    assert_eq!(manifest["files"][1]["sha256"], wacz_sha.as_str());
    assert_eq!(manifest["files"][1]["bytes"], 200_000);
    assert_eq!(
        String::from_utf8(m[4].1.clone()).unwrap(),
        format!(
            "{pdf_sha}  rectification.pdf\n{wacz_sha}  clue-3.wacz\n{wacz4_sha}  clue-4.wacz\n"
        )
    );

    // `sha256sum -c` accepts the unpacked bundle.
    let unpacked = dir.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    for (name, bytes) in &m {
        std::fs::write(unpacked.join(name), bytes).unwrap();
    }
    let check = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&unpacked)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
}

#[test]
fn bad_names_and_missing_files_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let wacz = dir.path().join("clue-3.wacz");
    std::fs::write(&wacz, b"PK").unwrap();
    let out = dir.path().join("b.zip");
    fn input<'a>(name: &'a str, waczs: &'a [&'a Path]) -> BundleInput<'a> {
        BundleInput {
            kind: DocumentKind::Warning,
            number: "n",
            case_number: "c",
            document_name: name,
            document: b"%PDF",
            waczs,
        }
    }
    for name in ["../x.pdf", "manifest.json", "clue-3.wacz", ""] {
        let err = write_bundle(&out, &input(name, &[&wacz])).unwrap_err();
        assert!(matches!(err, BundleError::BadName(_)), "{name}: {err:?}");
    }
    let missing = dir.path().join("none.wacz");
    let err = write_bundle(&out, &input("w.pdf", &[&missing])).unwrap_err();
    assert!(matches!(err, BundleError::Io { .. }), "{err:?}");
    // Two packages of one name cannot both be in the bundle.
    let err = write_bundle(&out, &input("w.pdf", &[&wacz, &wacz])).unwrap_err();
    assert!(matches!(err, BundleError::BadName(_)), "{err:?}");
    assert!(!out.exists());
    // No temporary file is left behind either.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, [std::ffi::OsString::from("clue-3.wacz")]);
}
