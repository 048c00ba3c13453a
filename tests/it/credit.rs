//! `wangjian credit index check|load|list`, `credit rescore` and `credit show`: an invalid file
//! refused with every problem and a non-zero exit; the default loaded and every entity scored;
//! an import leaves stale marks that `credit rescore` (without `--all`) handles; the grade as
//! JSON with its indicators.

use crate::{run, stdout, wangjian};
use std::path::Path;

fn import(d: &Path, rows: &str) {
    let register = d.join("register.csv");
    std::fs::write(
        &register,
        format!("uscc,name,kind,district,domains,registered_capital,established\n{rows}"),
    )
    .unwrap();
    assert!(run(wangjian(d).args(["import", "entities"]).arg(&register))
        .status
        .success());
}

#[test]
fn credit_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    import(
        d,
        "91110000600037341L,南宁绿源茶业有限公司,trading_site,450103,www.lvyuan.test,500万元,2015-03-02\n",
    );

    // An invalid file: every problem, exit status 1.
    let bad = d.join("bad.toml");
    std::fs::write(
        &bad,
        credit::index::DEFAULT_INDEX
            .replace("source = \"cases\"", "source = \"cases.open\"")
            .replace("code = \"D02\"", "code = \"D01\""),
    )
    .unwrap();
    let out = run(wangjian(d).args(["credit", "index", "check"]).arg(&bad));
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("unknown source \"cases.open\""), "{text}");
    assert!(text.contains("D01: code used twice"), "{text}");
    let out = run(wangjian(d).args(["credit", "index", "load"]).arg(&bad));
    assert!(!out.status.success());

    // The default: written to the data directory, loaded, everyone scored.
    let out = run(wangjian(d).args(["credit", "index", "load", "--as-of", "2026-06-01"]));
    assert!(out.status.success());
    assert!(d.join("credit/index.toml").exists());
    assert!(
        stdout(&out).starts_with("rescored 1 entities in "),
        "{}",
        stdout(&out)
    );
    let out = run(wangjian(d).args(["credit", "index", "list", "--format", "json"]));
    let line: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(line["version"], "2026.2");
    assert_eq!(line["in_force"], true);

    // Nothing stale; an import marks its entities and `credit rescore` scores them.
    let out = run(wangjian(d).args(["credit", "rescore", "--as-of", "2026-06-01"]));
    assert!(
        stdout(&out).starts_with("rescored 0 entities"),
        "{}",
        stdout(&out)
    );
    import(
        d,
        "91110000600037341L,南宁绿源茶业有限公司,trading_site,450103,www.lvyuan.test,500万元,2015-03-02\n\
         91450100MA5KX0001Y,南宁新开商行,trading_site,450102,www.xinkai.test,,\n",
    );
    let out = run(wangjian(d).args(["credit", "rescore", "--as-of", "2026-06-01"]));
    assert!(
        stdout(&out).starts_with("rescored 1 entities"),
        "{}",
        stdout(&out)
    );

    let out = run(wangjian(d).args(["credit", "show", "91110000600037341L", "--format", "json"]));
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["index_version"], "2026.2");
    assert_eq!(v["override"], serde_json::Value::Null);
    let indicators = v["indicators"].as_array().unwrap();
    assert_eq!(indicators.len(), 15);
    let a01 = indicators.iter().find(|i| i["code"] == "A01").unwrap();
    assert_eq!(a01["name"], "成立年限");
    assert_eq!(a01["family"], "A");
    assert_eq!(a01["points"], 100.0);
    let total: f64 = indicators
        .iter()
        .map(|i| i["contribution"].as_f64().unwrap())
        .sum();
    assert!((total - v["score"].as_f64().unwrap()).abs() < 1e-9);
    assert_eq!(v["class"], v["score_class"]);
}
