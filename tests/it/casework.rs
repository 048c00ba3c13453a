//! Casework from the command line: a clue of a demo's findings dispatched and answered, a case
//! opened, worked through its stages with an outcome of every kind, listed as JSON Lines;
//! every refusal fails with its cause and changes nothing; the `[casework]` table is checked;
//! the rectification notice printed with its clue's package.

use crate::{run, stdout, wangjian};
use serde_json::Value;
use std::path::Path;

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(wangjian(dir).args(args));
    assert!(out.status.success(), "{args:?} failed");
    stdout(&out)
}

/// Runs a command that must fail; returns its error output.
fn refused(dir: &Path, args: &[&str]) -> String {
    let out = wangjian(dir).args(args).output().unwrap();
    assert!(
        !out.status.success(),
        "{args:?} succeeded: {}",
        stdout(&out)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// A finding of a registered site (with its district), read from the demo's database.
fn a_registered_finding(dir: &Path) -> (i64, String, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url =
            store::DatabaseUrl::parse(&format!("sqlite://{}", dir.join("wangjian.db").display()))
                .unwrap();
        let store = store::open(&url).await.unwrap();
        let findings = store
            .list_findings(store::Scope::City, &store::FindingFilter::default())
            .await
            .unwrap();
        let f = findings
            .iter()
            .find(|f| f.district.is_some() && f.finding.url.starts_with("http"))
            .expect("a finding of a registered site");
        (
            f.id.0,
            f.district.unwrap().to_string(),
            f.finding.url.clone(),
        )
    })
}

#[test]
fn a_clue_becomes_a_case_with_every_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(dir, &["demo", "--sites", "6", "--no-serve"]);
    let (finding, district, url) = a_registered_finding(dir);
    let other = if district == "450102" {
        "450103"
    } else {
        "450102"
    };

    // The demo's sweep grouped its findings into clues and sent them to the districts: the
    // district answers the finding's clue (no violation), which frees the finding for a clue
    // made by hand.
    let auto = json_lines(&ok(dir, &["clue", "list", "--format", "json"]))
        .into_iter()
        .find(|c| {
            c["findings"]
                .as_array()
                .is_some_and(|f| f.iter().any(|x| x.as_i64() == Some(finding)))
        })
        .expect("the sweep made a clue of the finding");
    assert_eq!(auto["source"], "monitoring");
    let auto_id = auto["id"].to_string();
    ok(
        dir,
        &[
            "clue",
            "feedback",
            &auto_id,
            "not-verified",
            "--reason",
            "no_violation",
        ],
    );

    let out = ok(dir, &["clue", "create", "--finding", &finding.to_string()]);
    let clue: i64 = out
        .strip_prefix("clue ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .expect("clue N: …");
    let id = clue.to_string();
    let listed = json_lines(&ok(
        dir,
        &["clue", "list", "--state", "new", "--format", "json"],
    ));
    let mine = listed
        .iter()
        .find(|c| c["id"] == clue)
        .expect("the new clue");
    assert_eq!(mine["state"], "new");
    assert_eq!(mine["source"], "manual");
    assert!(ok(dir, &["clue", "list", "--overdue"]).contains("no clues"));

    // Answers come after dispatch; a second dispatch needs a reason.
    assert!(refused(dir, &["clue", "feedback", &id, "verified"]).contains("cannot be answered"));
    assert!(
        refused(dir, &["clue", "dispatch", &id, "--district", "450100"])
            .contains("not a current district")
    );
    ok(dir, &["clue", "dispatch", &id, "--district", other]);
    assert!(
        refused(dir, &["clue", "dispatch", &id, "--district", &district])
            .contains("needs a reason")
    );
    ok(
        dir,
        &[
            "clue",
            "dispatch",
            &id,
            "--district",
            &district,
            "--reason",
            "属地管辖",
        ],
    );
    assert!(refused(dir, &["clue", "feedback", &id, "not-verified"]).contains("--reason"));
    assert!(ok(dir, &["clue", "feedback", &id, "verified"]).contains("verified"));
    let c = &json_lines(&ok(
        dir,
        &["clue", "list", "--state", "verified", "--format", "json"],
    ))[0];
    assert_eq!(
        (c["id"].as_i64(), c["district"].as_str()),
        (Some(clue), Some(district.as_str()))
    );

    // Officers of the district.
    for name in ["li", "wang"] {
        ok(
            dir,
            &[
                "user",
                "add",
                name,
                "--role",
                "inspector",
                "--district",
                &district,
            ],
        );
    }
    ok(
        dir,
        &[
            "user",
            "add",
            "zhao",
            "--role",
            "inspector",
            "--district",
            other,
        ],
    );
    assert!(
        refused(dir, &["case", "open", "--clue", &id, "--officer", "zhao"])
            .contains("may not work")
    );
    let out = ok(dir, &["case", "open", "--clue", &id, "--officer", "li"]);
    assert!(out.contains("南市监网案〔"), "{out}");
    let case: i64 = out
        .strip_prefix("case ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .expect("case N: …");
    let cid = case.to_string();

    ok(dir, &["case", "advance", &cid]);
    assert!(refused(dir, &["case", "advance", &cid]).contains("a decision needs two"));
    ok(dir, &["case", "officer", &cid, "wang"]);
    let outcome = |args: &[&str]| {
        let mut all = vec!["case", "outcome", &cid];
        all.extend_from_slice(args);
        all.iter().map(|s| s.to_string()).collect::<Vec<String>>()
    };
    let refuse = |args: &[&str]| {
        let a = outcome(args);
        refused(dir, &a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let accept = |args: &[&str]| {
        let a = outcome(args);
        ok(dir, &a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert!(refuse(&[
        "penalty",
        "--decision-no",
        "南市监处罚〔2026〕1号",
        "--fine-yuan",
        "12.345"
    ])
    .contains("two decimals"));
    assert!(refuse(&[
        "penalty",
        "--decision-no",
        "南市监处罚〔2026〕1号",
        "--fine-fen=-5"
    ])
    .contains("negative"));
    assert!(
        refuse(&["rectification", "--due", "2000-01-01", "--url", &url]).contains("in the past")
    );
    assert!(refuse(&[
        "rectification",
        "--due",
        "2999-01-01",
        "--url",
        "http://elsewhere.test/"
    ])
    .contains("not a page of"));
    assert!(refuse(&["abnormal-listing", "--cause", "bored"]).contains("bored"));
    accept(&[
        "penalty",
        "--decision-no",
        "南市监处罚〔2026〕1号",
        "--fine-yuan",
        "5738.00",
    ]);
    accept(&["rectification", "--due", "2999-01-01", "--url", &url]);
    accept(&["referral", "--to", "南宁市通信管理局", "--reason", "未备案"]);
    accept(&["warning", "--reason", "提醒告诫"]);
    accept(&["abnormal-listing", "--cause", "not_contactable"]);
    accept(&["dismissal", "--reason", "部分事实不成立"]);

    let cases = json_lines(&ok(dir, &["case", "list", "--format", "json"]));
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["stage"], "investigating");
    let mut types: Vec<&str> = cases[0]["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "abnormal_listing",
            "dismissal",
            "penalty",
            "rectification",
            "referral",
            "warning"
        ]
    );
    let penalty = cases[0]["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["type"] == "penalty")
        .unwrap();
    assert_eq!(penalty["fine_fen"], 573_800);
    assert!(!penalty["legal_basis"].as_str().unwrap().is_empty());
    let shown = json_lines(&ok(dir, &["case", "show", &cid, "--format", "json"]));
    assert_eq!(shown[0]["clues"], serde_json::json!([clue]));

    // The rectification notice as a PDF printed through Chromium, its clue's package beside
    // it, named in it with its SHA-256; the package verifies like any export.
    let pdf = dir.join("notice.pdf");
    let out = ok(
        dir,
        &[
            "case",
            "document",
            &cid,
            "rectification",
            "--pdf",
            "-o",
            pdf.to_str().unwrap(),
        ],
    );
    assert!(out.contains("责令改正通知书"), "{out}");
    let wacz = dir.join(format!("notice-clue-{clue}.wacz"));
    let sums = std::process::Command::new("sha256sum")
        .arg(&wacz)
        .output()
        .unwrap();
    let sha = String::from_utf8_lossy(&sums.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(out.contains(&format!("sha256:{sha}")), "{out}");
    let text = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext is needed: apt-get install poppler-utils");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("责令改正通知书"), "{text}");
    assert!(
        text.contains(cases[0]["number"].as_str().unwrap()),
        "{text}"
    );
    assert!(text.contains(&sha), "{text}");
    ok(dir, &["evidence", "verify", wacz.to_str().unwrap()]);

    // Decided; closing waits for the re-check; reopening goes back to investigation.
    ok(dir, &["case", "advance", &cid]);
    assert!(refused(dir, &["case", "advance", &cid]).contains("not re-checked"));
    assert!(refused(dir, &["case", "reopen", &cid, "--reason", " "]).contains("reason is required"));
    assert!(ok(dir, &["case", "reopen", &cid, "--reason", "新证据"]).contains("investigating"));
    assert!(ok(dir, &["case", "list"]).contains("investigating"));

    // The [casework] table: an unknown key stops every command.
    std::fs::write(dir.join("wangjian.toml"), "[casework]\nverify_days = 3\n").unwrap();
    assert!(refused(dir, &["case", "list"]).contains("verify_days"));
}
