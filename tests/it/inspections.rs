//! `wangjian inspection add|list|show`: an on-site check recorded with its photos and scans,
//! the bytes kept under their SHA-256 and logged in custody; a file too large or of a type
//! not allowed refused by name, with nothing written.

use crate::{run, stdout, wangjian};
use std::path::Path;

const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0a photo of the shop front";
const PDF: &[u8] = b"%PDF-1.4\n% a scanned licence\n";

fn setup(d: &Path) {
    let register = d.join("register.csv");
    std::fs::write(
        &register,
        "uscc,name,kind,district,domains\n\
         91110000600037341L,南宁绿源茶业有限公司,trading_site,450103,www.lvyuan.test\n",
    )
    .unwrap();
    assert!(run(wangjian(d).args(["import", "entities"]).arg(&register))
        .status
        .success());
    for (name, district) in [("li", "450103"), ("wang", "450103"), ("zhao", "450102")] {
        let out = run(wangjian(d).args([
            "user",
            "add",
            name,
            "--role",
            "inspector",
            "--district",
            district,
        ]));
        assert!(out.status.success());
    }
}

fn list_json(d: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let out = run(wangjian(d)
        .args(["inspection", "list", "--format", "json"])
        .args(extra));
    assert!(out.status.success());
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn an_inspection_is_recorded_with_attachments_listed_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let photo = d.join("门头.jpg");
    let scan = d.join("licence.PDF");
    std::fs::write(&photo, JPEG).unwrap();
    std::fs::write(&scan, PDF).unwrap();

    let out = run(wangjian(d)
        .args([
            "inspection",
            "add",
            "--entity",
            "91110000600037341L",
            "--place",
            "南宁市青秀区民族大道1号",
            "--result",
            "violation",
            "--inspector",
            "li",
            "--inspector",
            "wang",
            "--at",
            "2024-03-01 10:30",
            "--notes",
            "未亮照经营",
            "--attach",
        ])
        .arg(&photo)
        .arg("--attach")
        .arg(&scan));
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("violation, 2 attachments"),
        "{}",
        stdout(&out)
    );

    let list = list_json(d, &[]);
    assert_eq!(list.len(), 1);
    let i = &list[0];
    assert_eq!(i["entity_name"], "南宁绿源茶业有限公司");
    assert_eq!(i["district"], "450103");
    assert_eq!(i["result"], "violation");
    assert_eq!(i["inspected_at"], "2024-03-01T02:30:00Z");
    assert_eq!(i["attachments"], 2);
    let officers: Vec<&str> = i["officers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["username"].as_str().unwrap())
        .collect();
    assert_eq!(officers, ["li", "wang"]);
    // By entity (id or USCC) and case.
    let id = i["entity_id"].to_string();
    assert_eq!(list_json(d, &["--entity", &id]).len(), 1);
    assert_eq!(list_json(d, &["--entity", "91110000600037341L"]).len(), 1);
    assert_eq!(list_json(d, &["--case", "1"]).len(), 0);
    let text = stdout(&run(wangjian(d).args(["inspection", "list"])));
    assert!(text.starts_with("ID\tINSPECTED AT"), "{text}");
    assert!(text.contains("li,wang"), "{text}");

    let out = run(wangjian(d).args(["inspection", "show", &i["id"].to_string()]));
    assert!(out.status.success());
    let shown: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let files = shown["files"].as_array().unwrap();
    assert_eq!(files[0]["file_name"], "门头.jpg");
    assert_eq!(files[0]["media_type"], "image/jpeg");
    assert_eq!(files[1]["media_type"], "application/pdf");
    // The bytes are stored under their SHA-256, as the rows say.
    let sha = files[0]["sha256"].as_str().unwrap();
    let stored = d.join("attachments").join(&sha[..2]).join(sha);
    assert_eq!(std::fs::read(stored).unwrap(), JPEG);
    assert_eq!(files_under(&d.join("attachments")), {
        let mut v = vec![
            sha.to_string(),
            files[1]["sha256"].as_str().unwrap().to_string(),
        ];
        v.sort();
        v
    });
    assert!(!run(wangjian(d).args(["inspection", "show", "99"]))
        .status
        .success());
}

#[test]
fn a_file_too_large_or_of_a_type_not_allowed_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    std::fs::write(
        d.join("wangjian.toml"),
        "[casework]\nmax_attachment_mb = 1\n",
    )
    .unwrap();
    let photo = d.join("ok.jpg");
    std::fs::write(&photo, JPEG).unwrap();
    let big = d.join("big.jpg");
    std::fs::write(&big, [JPEG, &vec![0u8; 1024 * 1024]].concat()).unwrap();
    let page = d.join("page.png");
    std::fs::write(&page, b"<html><script>alert(1)</script></html>").unwrap();
    let renamed = d.join("scan.jpg");
    std::fs::write(&renamed, PDF).unwrap();
    let base = [
        "inspection",
        "add",
        "--entity",
        "91110000600037341L",
        "--place",
        "现场",
        "--result",
        "compliant",
        "--inspector",
        "li",
    ];
    let too_large = format!(
        "big.jpg\" is {} bytes, more than the limit of 1048576",
        JPEG.len() + 1024 * 1024
    );
    for (bad, why) in [
        (&big, too_large.as_str()),
        (
            &page,
            "page.png\" is not a JPEG, PNG, PDF, TIFF or HEIC/HEIF file",
        ),
        (&renamed, "scan.jpg\" is a application/pdf file"),
    ] {
        let out = run(wangjian(d)
            .args(base)
            .arg("--attach")
            .arg(&photo)
            .arg("--attach")
            .arg(bad));
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{why}: {err}");
    }
    // Other bad input: an inspector of another district, a time in the future, no place.
    for (args, why) in [
        (
            vec!["--inspector", "zhao"],
            "may not act in district 450103",
        ),
        (vec!["--at", "2999-01-01 00:00"], "in the future"),
        (vec!["--at", "tomorrow"], "is not a time"),
        (vec!["--case", "7"], "case 7 is not known"),
    ] {
        let out = run(wangjian(d).args(base).args(&args));
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{why}: {err}");
    }
    let mut no_place = base.to_vec();
    no_place[5] = " ";
    let out = run(wangjian(d).args(&no_place));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the place is missing"));
    assert!(list_json(d, &[]).is_empty());
    assert!(files_under(&d.join("attachments")).is_empty());
    let out = run(wangjian(d).args(["inspection", "list"]));
    assert_eq!(stdout(&out).trim(), "no inspections");
}
