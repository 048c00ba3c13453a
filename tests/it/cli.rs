use crate::{run, slow_demo, stdout, wangjian};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

#[test]
fn import_rejects_bad_rows_with_line_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("register.csv");
    std::fs::write(
        &file,
        "\u{feff}uscc,name,kind,district,domains\n\
         91110000600037341L,南宁绿源茶业有限公司,trading_site,450103,www.lvyuan.test\n\
         9111000060003IOZSV,坏代码公司,trading_site,450103,bad.test\n\
         91340600MA2PBM9HXD,青秀美食店,platform_shop,450103,waimai.test/shop/8812\n\
         9135052155323005XL,无效区县公司,trading_site,999999,x.test\n",
    )
    .unwrap();
    let out = run(wangjian(dir.path()).args(["import", "entities"]).arg(&file));
    assert!(out.status.success());
    let first = stdout(&out);
    assert!(
        first.contains("2 created, 0 updated, 0 unchanged, 2 rejected"),
        "{first}"
    );
    let rejects = std::fs::read_to_string(dir.path().join("register.csv.rejects.csv")).unwrap();
    assert!(rejects.contains("\n3,"), "line 3 rejected: {rejects}");
    assert!(
        rejects.contains("alphabet"),
        "the reason is given: {rejects}"
    );
    assert!(rejects.contains("\n5,"), "line 5 rejected: {rejects}");

    let out = run(wangjian(dir.path()).args(["import", "entities"]).arg(&file));
    assert!(stdout(&out).contains("0 created, 0 updated, 2 unchanged, 2 rejected"));

    let out = run(wangjian(dir.path()).args(["sites", "--format", "json"]));
    let hosts: Vec<String> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["host"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(hosts.contains(&"www.lvyuan.test".to_string()));
    assert!(hosts.contains(&"waimai.test".to_string()));
}

#[test]
fn a_gbk_register_is_detected_and_forced_utf8_rejects_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gbk.csv");
    let text =
        "uscc,name,kind,district\n91110000600037341L,南宁绿源茶业有限公司,trading_site,450103\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    std::fs::write(&file, &gbk).unwrap();
    // Forced to UTF-8, every row is rejected: a failure, and the reject file is named.
    let out = run(wangjian(dir.path())
        .args(["import", "entities", "--encoding", "utf-8"])
        .arg(&file));
    assert!(!out.status.success());
    let said = stdout(&out);
    assert!(
        said.contains("0 created, 0 updated, 0 unchanged, 1 rejected"),
        "{said}"
    );
    assert!(said.contains("gbk.csv.rejects.csv"), "{said}");
    // Detected, it imports.
    let out = run(wangjian(dir.path()).args(["import", "entities"]).arg(&file));
    assert!(out.status.success());
    let said = stdout(&out);
    assert!(said.contains("1 created") && said.contains("GBK"), "{said}");
}

#[test]
fn scan_prints_json_lines_and_fails_clearly_on_unreadable_input() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(
        &page,
        "<html><head><title>绿源茶叶</title></head><body><p>本店茶叶全国第一，销量冠军！</p>\
         <p>活动最终解释权归本店所有</p><p>统一社会信用代码：91110000600037341N</p></body></html>",
    )
    .unwrap();
    let out = run(wangjian(dir.path())
        .args([
            "scan",
            "--format",
            "json",
            "--url",
            "http://www.lvyuan.test/item/1.html",
        ])
        .arg(&page));
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let cats: Vec<&str> = lines
        .iter()
        .map(|l| l["category"].as_str().unwrap())
        .collect();
    for want in [
        "ad.absolute_term",
        "contract.unfair_clause",
        "license.uscc_invalid",
    ] {
        assert!(cats.contains(&want), "{want} in {cats:?}");
    }
    for l in &lines {
        for key in ["rule", "severity", "url", "excerpt"] {
            assert!(l[key].is_string(), "{key} in {l}");
        }
    }

    let clean = dir.path().join("clean.html");
    std::fs::write(&clean, "<p>第一次购买请先注册</p>").unwrap();
    let out = run(wangjian(dir.path())
        .args(["scan", "--format", "json"])
        .arg(&clean));
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim(), "");

    let out = wangjian(dir.path())
        .args(["scan"])
        .arg(dir.path().join("missing.html"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));

    // What is not HTML is refused with what it is, and nothing is printed as a finding.
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (name, bytes, what) in [
        (
            "tool",
            b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec(),
            "ELF executable",
        ),
        (
            "logo.png",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(),
            "PNG image",
        ),
        ("noise.bin", random, "binary data"),
        (
            "notes.txt",
            "本店茶叶全国第一".as_bytes().to_vec(),
            "text without any HTML tag",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = wangjian(dir.path())
            .arg("scan")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("is not an HTML page: {what}")),
            "{name}: {err}"
        );
        assert!(out.stdout.is_empty(), "{name}");
    }

    // `--fail-on` turns findings at or above a severity into exit status 3, for scripts.
    let severities: Vec<String> = lines
        .iter()
        .map(|l| l["severity"].as_str().unwrap().to_string())
        .collect();
    let fail_on = |severity: &str| {
        wangjian(dir.path())
            .args([
                "scan",
                "--fail-on",
                severity,
                "--url",
                "http://www.lvyuan.test/item/1.html",
            ])
            .arg(&page)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(fail_on("low"), Some(3), "{severities:?}");
    let worst = ["critical", "high", "medium", "low"]
        .into_iter()
        .find(|s| severities.iter().any(|x| x == s))
        .unwrap();
    assert_eq!(fail_on(worst), Some(3));
    if worst != "critical" {
        assert_eq!(fail_on("critical"), Some(0), "{severities:?}");
    }
    let out = wangjian(dir.path())
        .args(["scan", "--fail-on", "critical"])
        .arg(&clean)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

fn summary_line(out: &str) -> Option<&str> {
    out.lines().find(|l| l.starts_with("sweep: "))
}

#[test]
fn demo_sweeps_and_a_killed_demo_continues() {
    let dir = tempfile::tempdir().unwrap();
    // Slow the sweep down (one site at a time, a politeness delay) so the kill lands mid-sweep.
    let mut child = slow_demo(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let db = dir.path().join("wangjian.db");
    // Wait until two sites are done, then kill. No deadline: the demo either makes progress
    // or ends (which fails the test).
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("demo ended before it was killed: {status}");
        }
        if sites_done(&db) >= 2 {
            child.kill().unwrap();
            child.wait().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    let out = run(wangjian(dir.path()).args(["demo", "--no-serve", "--concurrency", "4"]));
    assert!(out.status.success());
    let text = stdout(&out);
    let line = summary_line(&text).expect("summary line");
    let re = regex_lite(line);
    assert!(re.0 >= 1 && re.1 > 0, "{line}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("continuing sweep"), "{err}");

    // Every WARC record, torn tail cut, is intact and in the transparency log.
    let verify = run(wangjian(dir.path()).args(["evidence", "verify"]));
    assert!(
        verify.status.success(),
        "{}\n{}",
        stdout(&verify),
        String::from_utf8_lossy(&verify.stderr)
    );
    // No page was fetched twice within a site across the kill (429/503 retries aside).
    let twice = refetched(&db);
    assert!(twice.is_empty(), "fetched twice: {twice:?}");
}

/// Fetches of the latest sweep made more than once per (site, URL), 429/503 retries left out.
fn refetched(db: &Path) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = store::SqliteStore::open(db).await.unwrap();
        let sweep = store::SweepStore::list_sweeps(&store, 1).await.unwrap()[0].id;
        let mut seen = std::collections::BTreeMap::<(i64, String), usize>::new();
        for f in store::FetchStore::sweep_fetches(&store, store::Scope::City, sweep)
            .await
            .unwrap()
        {
            if !matches!(f.fetch.status, Some(429 | 503)) {
                *seen.entry((f.fetch.site_id.0, f.fetch.url)).or_default() += 1;
            }
        }
        seen.into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|((site, url), n)| format!("site {site}: {url} x{n}"))
            .collect()
    })
}

/// Parses `sweep: <S> sites, <P> pages, <F> findings, <T> s`.
fn regex_lite(line: &str) -> (i64, i64, i64) {
    let nums: Vec<i64> = line
        .trim_start_matches("sweep: ")
        .split(", ")
        .take(3)
        .map(|part| part.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(line.ends_with(" s"), "{line}");
    (nums[0], nums[1], nums[2])
}

/// How many sites the running sweep has finished, read straight from the database file.
pub(crate) fn sites_done(db: &Path) -> i64 {
    if !db.exists() {
        return 0;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let Ok(store) = store::SqliteStore::open(db).await else {
            return 0;
        };
        match store::SweepStore::unfinished_sweep(&store).await {
            Ok(Some(s)) => {
                let pending = store::SweepStore::pending_sites(&store, store::Scope::City, s.id)
                    .await
                    .map(|p| p.len() as i64)
                    .unwrap_or(0);
                let all = store::SiteStore::list_sites(
                    &store,
                    store::Scope::City,
                    &store::SiteFilter {
                        limit: 10_000,
                        ..Default::default()
                    },
                )
                .await
                .map(|v| v.len() as i64)
                .unwrap_or(0);
                all - pending
            }
            _ => 0,
        }
    })
}

#[test]
fn scan_fetches_a_url_through_an_explicit_resolve_mapping() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let truth_path = dir.path().join("truth.json");
    let mut sim = wangjian(dir.path())
        .args([
            "simweb", "--sites", "20", "--seed", "9", "--port", "0", "--truth",
        ])
        .arg(&truth_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(sim.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // "simweb: N hosts, P pages on http://127.0.0.1:PORT (...)"
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("address in {first:?}"))
        .to_string();
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&truth_path).unwrap()).unwrap();
    // A page the truth says carries an absolute-term claim.
    let (host, path) = truth["sites"]
        .as_object()
        .unwrap()
        .values()
        .find_map(|s| {
            s["pages"]
                .as_object()
                .unwrap()
                .iter()
                .find_map(|(p, cats)| {
                    cats.as_array()
                        .unwrap()
                        .iter()
                        .any(|c| c == "ad.absolute_term")
                        .then(|| (s["host"].as_str().unwrap().to_string(), p.clone()))
                })
        })
        .expect("the world seeds an absolute term");
    let url = format!("http://{host}{path}");
    let out = run(wangjian(dir.path())
        .args(["scan", "--format", "json", "--resolve"])
        .arg(format!("*:80:{addr}"))
        .arg(&url));
    // A URL that answers another type than HTML is refused with its type.
    let robots = wangjian(dir.path())
        .args(["scan", "--resolve"])
        .arg(format!("*:80:{addr}"))
        .arg(format!("http://{host}/robots.txt"))
        .output()
        .unwrap();
    let _ = sim.kill();
    let _ = sim.wait();
    assert_eq!(robots.status.code(), Some(1));
    let err = String::from_utf8_lossy(&robots.stderr);
    assert!(
        err.contains("is not an HTML page: its Content-Type is text/plain"),
        "{err}"
    );
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("\"ad.absolute_term\""), "{url}: {text}");

    // Without the mapping the simulated host does not resolve: a clear error, non-zero exit.
    let out = wangjian(dir.path()).args(["scan", &url]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot fetch"));
}

#[test]
fn lists_print_a_header_and_say_when_they_are_empty() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(wangjian(dir.path()).args(["sites"]));
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim(), "no sites (import entities first)");
    let out = run(wangjian(dir.path()).args(["discovered", "list"]));
    assert_eq!(stdout(&out).trim(), "no discovered sites");
    let out = run(wangjian(dir.path()).args(["search", "query", "绿源"]));
    assert!(out.status.success());
    assert_eq!(stdout(&out).trim(), "nothing found for \"绿源\"");
    // JSON Lines stay bare: no header, no sentence.
    let out = run(wangjian(dir.path()).args(["sites", "--format", "json"]));
    assert_eq!(stdout(&out), "");

    let file = dir.path().join("register.csv");
    std::fs::write(
        &file,
        "uscc,name,kind,district,domains\n\
         91110000600037341L,南宁绿源茶业有限公司,trading_site,450103,www.lvyuan.test\n",
    )
    .unwrap();
    assert!(
        run(wangjian(dir.path()).args(["import", "entities"]).arg(&file))
            .status
            .success()
    );
    let out = run(wangjian(dir.path()).args(["sites"]));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "SITE\tKIND\tDISTRICT\tENTITY", "{text}");
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[1].starts_with("www.lvyuan.test\t"), "{text}");
    let out = run(wangjian(dir.path()).args(["search", "query", "绿源"]));
    let text = stdout(&out);
    assert!(text.starts_with("KIND\tID\t"), "{text}");
    assert!(
        text.contains("91110000600037341L 南宁绿源茶业有限公司"),
        "{text}"
    );
}

#[test]
fn a_sweep_of_an_empty_register_warns_and_signs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(wangjian(dir.path()).args(["sweep"]));
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: the register has no sites"), "{err}");
    assert!(!stdout(&out).contains("sweep:"), "{}", stdout(&out));
    assert!(
        !dir.path().join("log").exists(),
        "no log opened, no checkpoint signed"
    );
}

#[test]
fn an_error_names_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = wangjian(dir.path())
        .current_dir(dir.path())
        .args(["import", "entities", "x.csv"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("x.csv").count(), 1, "{err}");
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn an_import_that_rejects_every_row_fails_and_names_the_reject_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "uscc,name,kind,district,domains\n\
         9111000060003IOZSV,坏代码公司,trading_site,450103,bad.test\n\
         9135052155323005XL,无效区县公司,trading_site,999999,x.test\n",
    )
    .unwrap();
    let out = wangjian(dir.path())
        .args(["import", "entities"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let rejects = dir.path().join("bad.csv.rejects.csv");
    assert!(rejects.exists());
    let text = stdout(&out);
    assert!(
        text.contains("0 created, 0 updated, 0 unchanged, 2 rejected"),
        "{text}"
    );
    assert!(
        text.contains(&format!("rejected rows: {}", rejects.display())),
        "{text}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("every row (2) was rejected"), "{err}");
}

#[test]
fn a_case_document_refuses_a_missing_case_and_a_bad_kind() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("notice.html");
    let out = run(wangjian(dir.path())
        .args(["case", "document", "99", "warning", "--html", "-o"])
        .arg(&output));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no case 99"), "{err}");
    assert!(!output.exists());
    // The templates are in the data directory, for the bureau to edit.
    for name in [
        "rectification.html",
        "warning.html",
        "referral.html",
        "cover.html",
    ] {
        assert!(dir.path().join("templates/documents").join(name).is_file());
    }
    let out = run(wangjian(dir.path())
        .args(["case", "document", "99", "notice", "--pdf", "-o"])
        .arg(&output));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rectification, warning, referral or cover"),
        "{err}"
    );
    // One form must be chosen.
    let out = run(wangjian(dir.path())
        .args(["case", "document", "99", "cover", "-o"])
        .arg(&output));
    assert!(!out.status.success());
    assert!(!output.exists());
}
