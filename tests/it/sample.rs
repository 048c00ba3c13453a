//! `wangjian sample plan|draw|list|show|replay|result`: a plan created, a draw from a seed
//! printed as JSON, the same seed drawing the same entities and inspectors in a second data
//! directory with the same register, the publication replayed without a database (exit 1
//! when changed), a field inspection recorded as a drawn entity's result; bad input refused.

use crate::{run, stdout, wangjian};
use domain::Uscc;
use std::path::Path;

fn uscc(i: usize) -> String {
    Uscc::complete("91450103", &format!("MA5K{i:04}"))
        .unwrap()
        .to_string()
}

/// 30 entities, alternately in 青秀区 and 兴宁区 (none scored: all class B); inspectors li
/// (450103) and wang (450102), supervisors chen and zhou.
fn setup(d: &Path, reversed: bool) {
    let mut rows: Vec<String> = (0..30)
        .map(|i| {
            let district = if i % 2 == 0 { "450103" } else { "450102" };
            format!("{},第{i}号商行,trading_site,{district},s{i}.test", uscc(i))
        })
        .collect();
    if reversed {
        rows.reverse();
    }
    let register = d.join("register.csv");
    std::fs::write(
        &register,
        format!("uscc,name,kind,district,domains\n{}\n", rows.join("\n")),
    )
    .unwrap();
    assert!(run(wangjian(d).args(["import", "entities"]).arg(&register))
        .status
        .success());
    for (name, role, district) in [
        ("li", "inspector", Some("450103")),
        ("wang", "inspector", Some("450102")),
        ("chen", "supervisor", None),
        ("zhou", "supervisor", None),
    ] {
        let mut cmd = wangjian(d);
        cmd.args(["user", "add", name, "--role", role]);
        if let Some(dist) = district {
            cmd.args(["--district", dist]);
        }
        assert!(run(&mut cmd).status.success());
    }
}

fn create_plan(d: &Path, extra: &[&str]) -> std::process::Output {
    run(wangjian(d)
        .args([
            "sample",
            "plan",
            "create",
            "--name",
            "2026年第四季度双随机抽查",
            "--item",
            "亮照经营",
            "--ratio",
            "B=0.2",
        ])
        .args(extra))
}

fn draw_json(d: &Path, seed: &str) -> serde_json::Value {
    let out = run(wangjian(d).args([
        "sample", "draw", "--plan", "1", "--seed", seed, "--format", "json",
    ]));
    assert!(out.status.success());
    serde_json::from_str(stdout(&out).trim()).unwrap()
}

#[test]
fn a_seed_draws_the_same_in_a_second_data_directory_and_the_publication_replays() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    setup(one.path(), false);
    setup(two.path(), true);
    let pool = [
        "--inspector",
        "li",
        "--inspector",
        "wang",
        "--inspector",
        "chen,zhou",
    ];
    for d in [one.path(), two.path()] {
        let out = create_plan(d, &pool);
        assert!(out.status.success());
        assert!(
            stdout(&out).starts_with("sampling plan 1:"),
            "{}",
            stdout(&out)
        );
    }
    let first = draw_json(one.path(), "双色球 2026140 03 11 17 22 28 31 + 09");
    let second = draw_json(two.path(), "双色球 2026140 03 11 17 22 28 31 + 09");
    assert_eq!(first["selected"], second["selected"]);
    assert_eq!(first["algorithm"], "wangjian-draw-1");
    // 30 entities of class B at 0.2: 6, each with two inspectors of another district.
    let selected = first["selected"].as_array().unwrap();
    assert_eq!(selected.len(), 6);
    assert_eq!(first["population_size"]["B"], 30);
    for s in selected {
        assert_eq!(s["class"], "B");
        let inspectors: Vec<&str> = s["inspectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap())
            .collect();
        assert_eq!(inspectors.len(), 2);
        let own = if s["district"] == "450103" {
            "li"
        } else {
            "wang"
        };
        assert!(!inspectors.contains(&own), "{s}");
    }
    let third = draw_json(one.path(), "another seed");
    assert_ne!(first["selected"], third["selected"]);

    // The publication replays with no database at all.
    let out = run(wangjian(one.path()).args(["sample", "show", "1", "--format", "json"]));
    assert!(out.status.success());
    let file = one.path().join("publication.json");
    std::fs::write(&file, &out.stdout).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let out = run(wangjian(empty.path()).args(["sample", "replay"]).arg(&file));
    assert!(out.status.success());
    assert!(stdout(&out).starts_with("matches"), "{}", stdout(&out));
    assert!(!empty.path().join("wangjian.db").exists());
    let mut changed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    changed["selected"].as_array_mut().unwrap().pop();
    std::fs::write(&file, changed.to_string()).unwrap();
    let out = wangjian(empty.path())
        .args(["sample", "replay"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("DOES NOT MATCH"));

    // Draws listed; the plan shown with its draws.
    let out = run(wangjian(one.path()).args(["sample", "list", "--format", "json"]));
    assert_eq!(stdout(&out).lines().count(), 2);
    let out = run(wangjian(one.path()).args(["sample", "plan", "show", "1", "--format", "json"]));
    let plan: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(plan["ratios"]["A"], "0.03");
    assert_eq!(plan["ratios"]["B"], "0.2");
    assert_eq!(plan["draws"].as_array().unwrap().len(), 2);
}

#[test]
fn a_field_inspection_is_recorded_as_the_result_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, false);
    // Bad ratio, unknown inspector, a role that does not inspect.
    for (extra, says) in [
        (
            vec!["--ratio", "C=1.5", "--inspector", "chen,zhou"],
            "ratio",
        ),
        (
            vec!["--ratio", "X=0.1", "--inspector", "chen,zhou"],
            "--ratio",
        ),
        (vec!["--inspector", "chen,nobody"], "nobody"),
    ] {
        let out = create_plan(d, &extra);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(says),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // An empty population: a district with no entity.
    assert!(
        create_plan(d, &["--district", "450105", "--inspector", "chen,zhou"])
            .status
            .success()
    );
    let out = run(wangjian(d).args(["sample", "draw", "--plan", "1", "--seed", "s"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("population is empty"));

    // City staff as the pool: they may record the inspection anywhere.
    assert!(create_plan(d, &["--inspector", "chen,zhou"])
        .status
        .success());
    let out = run(wangjian(d).args([
        "sample", "draw", "--plan", "2", "--seed", "s", "--format", "json",
    ]));
    assert!(out.status.success());
    let drawn: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let first = &drawn["selected"][0];
    let uscc = first["uscc"].as_str().unwrap();
    let out = run(wangjian(d).args([
        "inspection",
        "add",
        "--entity",
        uscc,
        "--place",
        "南宁市",
        "--result",
        "compliant",
        "--inspector",
        "chen",
        "--inspector",
        "zhou",
        "--at",
        "2024-03-01 10:30",
    ]));
    assert!(out.status.success());
    let draw = drawn["draw"].to_string();
    let out = run(wangjian(d).args([
        "sample",
        "result",
        "--draw",
        &draw,
        "--uscc",
        uscc,
        "--inspection",
        "1",
    ]));
    assert!(out.status.success());
    let out = run(wangjian(d).args(["sample", "show", &draw, "--format", "json"]));
    let published: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let shown = published["selected"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["uscc"] == uscc)
        .unwrap();
    assert_eq!(shown["result"]["result"], "compliant");
    assert_eq!(shown["result"]["inspection"], 1);
    // Another entity's inspection is refused.
    let other = drawn["selected"][1]["uscc"].as_str().unwrap();
    let out = run(wangjian(d).args([
        "sample",
        "result",
        "--draw",
        &draw,
        "--uscc",
        other,
        "--inspection",
        "1",
    ]));
    assert!(!out.status.success());
}
