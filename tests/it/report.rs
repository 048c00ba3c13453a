//! `wangjian report` over a data directory with known records: the demo's seed (register,
//! sweep, clues, credit) plus a case with its outcomes, complaints and a license badge scripted
//! here through the command line. Every figure of the XLSX is checked against counts that
//! `tests/tools/report_figures.py` makes straight from the database with its own queries (for
//! the period holding the records, and for an earlier one holding none of them); the PDF is read
//! back with `pdftotext` and drawn with `pdftoppm`.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::browser::Killed;
use crate::capture::simweb_address;
use crate::wacz::pytools;
use crate::{run, stdout, wangjian};

/// Runs `wangjian ARGS` on `data`, asserting success; its stdout.
fn cli(data: &Path, args: &[&str]) -> String {
    let out = run(wangjian(data).args(args));
    assert!(out.status.success(), "wangjian {args:?}");
    stdout(&out)
}

/// The id of the first clue of `clue list` dispatched to 兴宁区 (450102), where the demo's
/// inspectors work.
fn xingning_clue(list: &str) -> String {
    list.lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|c| c.get(2) == Some(&"dispatched") && c.get(3) == Some(&"450102"))
        .unwrap_or_else(|| panic!("no clue dispatched to 450102: {list}"))[0]
        .to_string()
}

/// A case opened on a dispatched clue with a penalty, a warning and a rectification; two
/// complaints (one upheld and closed, one refused).
fn casework(data: &Path) {
    let clue = xingning_clue(&cli(data, &["clue", "list"]));
    let opened = cli(
        data,
        &[
            "case",
            "open",
            "--clue",
            &clue,
            "--officer",
            "xingning1",
            "--officer",
            "xingning2",
        ],
    );
    let case = opened
        .strip_prefix("case ")
        .and_then(|s| s.split(':').next())
        .unwrap_or_else(|| panic!("{opened}"))
        .to_string();
    cli(data, &["case", "advance", &case]);
    cli(
        data,
        &[
            "case",
            "outcome",
            &case,
            "penalty",
            "--decision-no",
            "南市监罚〔2026〕9号",
            "--fine-yuan",
            "5738.25",
        ],
    );
    cli(
        data,
        &[
            "case",
            "outcome",
            &case,
            "warning",
            "--reason",
            "首次违法，告诫",
        ],
    );
    for (subject, text) in [
        ("青云坊", "商品与描述不符，拒不退款"),
        ("某网店", "怀疑售假"),
    ] {
        cli(
            data,
            &[
                "complaint",
                "file",
                "--kind",
                "complaint",
                "--subject",
                subject,
                "--text",
                text,
                "--name",
                "李先生",
                "--phone",
                "13800000000",
            ],
        );
    }
    let list = cli(data, &["complaint", "list"]);
    let mut ids: Vec<String> = list
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    ids.sort();
    cli(data, &["complaint", "accept", &ids[0]]);
    cli(
        data,
        &[
            "complaint",
            "close",
            &ids[0],
            "--outcome",
            "corrected",
            "--text",
            "经营者已退款",
            "--upheld",
        ],
    );
    cli(
        data,
        &["complaint", "refuse", &ids[1], "--reason", "不属于本局管辖"],
    );
    cli(
        data,
        &[
            "notice",
            "publish",
            "--title",
            "关于开展网络交易专项整治的公告",
            "--body",
            "依法开展专项整治。",
        ],
    );
}

/// A badge applied for, proven through simweb (the token published in an overlay) and issued;
/// a second application refused.
fn badges(data: &Path) {
    let register = std::fs::read_to_string(data.join("simweb/register.csv")).unwrap();
    let rows: Vec<Vec<&str>> = register
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .filter(|c: &Vec<&str>| c[2] == "trading_site")
        .take(2)
        .collect();
    assert_eq!(rows.len(), 2, "two trading sites in the demo's register");
    let overlay = tempfile::tempdir().unwrap();
    let mut child = wangjian(data)
        .args(["simweb", "--sites", "40", "--seed", "1", "--overlay"])
        .arg(overlay.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simweb starts");
    let addr = simweb_address(&mut child);
    let _simweb = Killed(child);
    let mut serials = Vec::new();
    for row in &rows {
        let domain = row[5].trim_start_matches("www.");
        let applied = cli(
            data,
            &[
                "badge",
                "apply",
                "--uscc",
                row[0],
                "--domain",
                domain,
                "--contact",
                "13800000000",
            ],
        );
        let serial = applied.split_whitespace().nth(2).unwrap().to_string();
        let token = applied
            .split("publish the token ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("{applied}"))
            .to_string();
        serials.push((serial, domain.to_string(), token));
    }
    let (serial, domain, token) = &serials[0];
    let file = overlay
        .path()
        .join(domain)
        .join(".well-known/wangjian-badge")
        .join(token);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, format!("{token}\n")).unwrap();
    cli(
        data,
        &[
            "badge",
            "prove",
            serial,
            "--resolve",
            &format!("*:80:{addr}"),
        ],
    );
    cli(data, &["badge", "issue", serial]);
    cli(
        data,
        &[
            "badge",
            "refuse",
            &serials[1].0,
            "--reason",
            "未能证明网站控制权",
        ],
    );
}

/// Checks the XLSX of the Beijing days `first..=last` against the database; the checker's
/// report.
fn check_xlsx(data: &Path, first: &str, last: &str, xlsx: &Path) -> String {
    let out = Command::new(pytools().join("python"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/report_figures.py"))
        .arg(data.join("wangjian.db"))
        .args([first, last])
        .arg(xlsx)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("checked 42 figures, 0 different"), "{text}");
    text
}

/// The value the checker counted for `code`.
fn expected(check: &str, code: &str) -> i64 {
    let line = check
        .lines()
        .find(|l| l.starts_with(&format!("{code} (")))
        .unwrap_or_else(|| panic!("no {code} in {check}"));
    line.split(['(', ','])
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn the_report_counts_what_the_records_hold() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = run(wangjian(&data).args(["demo", "--no-serve", "--sites", "40"]));
    assert!(out.status.success());
    casework(&data);
    badges(&data);

    let today = domain::time::beijing_date(chrono::Utc::now());
    let (first, last) = (
        (today - chrono::Duration::days(30)).to_string(),
        today.to_string(),
    );
    let file = |name: &str| dir.path().join(name);
    for name in ["r.xlsx", "r.pdf", "r.html"] {
        let said = cli(
            &data,
            &[
                "report",
                "--from",
                &first,
                "--to",
                &last,
                "-o",
                file(name).to_str().unwrap(),
            ],
        );
        assert!(said.contains("10 sections, 42 figures"), "{said}");
    }
    let check = check_xlsx(&data, &first, &last, &file("r.xlsx"));
    // What was scripted is there, as the checker counted it from the database.
    for (code, at_least) in [
        ("cases", 1),
        ("fines", 573_825),
        ("warnings", 1),
        ("complaints", 2),
        ("complaints_accepted", 1),
        ("complaints_upheld", 1),
        ("badges_issued", 1),
        ("badges_in_force", 1),
        ("notices", 1),
        ("sites_checked", 1),
        ("findings", 1),
        ("clues_dispatched", 1),
        ("entities", 1),
    ] {
        assert!(expected(&check, code) >= at_least, "{code}: {check}");
    }
    // A period before any record: only what is counted as it stands now (credit classes,
    // badges in force) is not zero.
    cli(
        &data,
        &[
            "report",
            "--from",
            "2020-01-01",
            "--to",
            "2020-01-31",
            "-o",
            file("old.xlsx").to_str().unwrap(),
        ],
    );
    let old = check_xlsx(&data, "2020-01-01", "2020-01-31", &file("old.xlsx"));
    assert_eq!(expected(&old, "cases"), 0);
    assert_eq!(expected(&old, "entities"), 0);
    assert_eq!(expected(&old, "badges_in_force"), 1);

    // The HTML links each figure to its records listed in the document.
    let html = std::fs::read_to_string(file("r.html")).unwrap();
    assert!(html.contains("href=\"#fig-cases\"") && html.contains("id=\"fig-cases\""));
    assert!(!html.contains("<script"), "no script in the document");
    // Its charts: a bar chart per section, the casework per district as a heat map, each bar
    // linking to its figure's records.
    for section in ["register", "monitoring", "cases", "portal", "sharing"] {
        assert!(
            html.contains(&format!("id=\"chart-{section}\" role=\"img\"")),
            "chart of {section}"
        );
    }
    assert!(html.contains("id=\"chart-cases-districts\" role=\"img\""));
    assert!(
        html.contains("<a href=\"#fig-cases\"><rect class=\"chart-bar\""),
        "a bar links to its records"
    );

    // The PDF: its headings and figures as text, and its first page drawn.
    let pdf = file("r.pdf");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let text = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    for heading in [
        "网络市场监管工作报告",
        "一、网络经营主体登记",
        "二、网络监测",
        "三、电子取证",
        "四、线索与派发",
        "五、案件与处置",
        "六、专项行动",
        "七、信用监管",
        "八、电子亮照",
        "九、公众门户与投诉举报",
        "十、数据共享",
    ] {
        assert!(text.contains(heading), "{heading} not in the PDF:\n{text}");
    }
    // A figure's row: its title (its code beside it when the line has room), then its value.
    for (code, title) in [
        ("cases", "立案"),
        ("complaints", "投诉举报"),
        ("badges_issued", "颁发电子标识"),
        ("sites_checked", "网上检查网站"),
        ("warnings", "行政指导告诫"),
    ] {
        let n = expected(&check, code).to_string();
        let row: Vec<&str> = text
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|w| w.first() == Some(&title))
            .unwrap_or_else(|| panic!("no row of {title} in the PDF:\n{text}"));
        let value = row[1..].iter().find(|w| **w != code);
        assert_eq!(value, Some(&n.as_str()), "{code}: {row:?}");
    }
    assert!(text.contains("5,738.25"), "the fine in yuan");

    let page = dir.path().join("page");
    let drawn = Command::new("pdftoppm")
        .args(["-r", "40", "-f", "1", "-l", "1", "-png"])
        .arg(&pdf)
        .arg(&page)
        .status()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(drawn.success());
    let png = std::fs::read(dir.path().join("page-01.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    // The same page in grey: ink on it, not a blank page.
    let drawn = Command::new("pdftoppm")
        .args(["-r", "40", "-f", "1", "-l", "1", "-gray"])
        .arg(&pdf)
        .arg(&page)
        .status()
        .unwrap();
    assert!(drawn.success());
    let pgm = std::fs::read(dir.path().join("page-01.pgm")).unwrap();
    let pixels = pgm_pixels(&pgm);
    let ink = pixels.iter().filter(|p| **p < 128).count();
    assert!(
        ink * 100 > pixels.len(),
        "{ink} dark pixels of {}",
        pixels.len()
    );
}

/// The pixels of a binary PGM (`P5`, 8-bit).
fn pgm_pixels(pgm: &[u8]) -> &[u8] {
    let mut fields = 0;
    let mut i = 0;
    while fields < 4 {
        while pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        while !pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields += 1;
    }
    assert!(pgm.starts_with(b"P5"), "a binary PGM");
    &pgm[i + 1..]
}
