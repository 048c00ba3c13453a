//! The lists from the command line: a serious-violation listing of a food business repaired
//! no earlier than a year after it, an abnormal listing removed, an evaluation by the
//! evaluator named (refused outside their assignment), a commitment broken, the public view
//! as JSON; refusals fail with their cause and change nothing.

use crate::{run, stdout, wangjian};
use serde_json::Value;
use std::path::Path;

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(wangjian(dir).args(args));
    assert!(out.status.success(), "{args:?} failed");
    stdout(&out)
}

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

const FOOD: &str = "91110000600037341L";
const OTHER: &str = "91340600MA2PBM9HXD";

#[test]
fn lists_repair_evaluations_and_the_public_view() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let file = dir.join("register.csv");
    std::fs::write(
        &file,
        format!(
            "uscc,name,kind,district,domains,food_permit\n\
             {FOOD},南宁绿源食品有限公司,trading_site,450103,www.lvyuan.test,JY24501030012345\n\
             {OTHER},青秀美食店,trading_site,450103,other.test,\n"
        ),
    )
    .unwrap();
    ok(dir, &["import", "entities", file.to_str().unwrap()]);

    let said = ok(
        dir,
        &[
            "credit",
            "listing",
            "add",
            FOOD,
            "--list",
            "serious_violation",
            "--cause",
            "提供虚假材料",
            "--decision-no",
            "南市监严〔2024〕1号",
            "--on",
            "2024-01-15",
        ],
    );
    assert!(said.starts_with("listing 1:"), "{said}");
    let err = refused(
        dir,
        &[
            "credit",
            "listing",
            "add",
            FOOD,
            "--list",
            "serious-violation",
            "--cause",
            "again",
        ],
    );
    assert!(err.contains("already"), "{err}");
    // In food: a year before repair may be applied for.
    let err = refused(
        dir,
        &[
            "credit",
            "repair",
            "apply",
            "1",
            "--applicant",
            "法定代表人",
            "--statement",
            "已整改",
            "--on",
            "2024-07-15",
        ],
    );
    assert!(err.contains("2025-01-15"), "{err}");
    let said = ok(
        dir,
        &[
            "credit",
            "repair",
            "apply",
            "1",
            "--applicant",
            "法定代表人",
            "--statement",
            "已整改",
            "--on",
            "2025-01-15",
        ],
    );
    assert!(said.contains("pending"), "{said}");
    let said = ok(
        dir,
        &[
            "credit",
            "repair",
            "decide",
            "1",
            "--approve",
            "--on",
            "2025-01-20",
        ],
    );
    assert!(said.contains("approved"), "{said}");
    let listings = json_lines(&ok(
        dir,
        &["credit", "listing", "list", "--removed", "--format", "json"],
    ));
    assert_eq!(listings.len(), 1);
    assert_eq!(listings[0]["removed_reason"], "repaired");
    let shown = json_lines(&ok(
        dir,
        &["credit", "listing", "show", "1", "--format", "json"],
    ));
    assert_eq!(shown[0]["repairs"][0]["state"], "approved");

    // An abnormal listing, removed as corrected: public for three years from listing.
    ok(
        dir,
        &[
            "credit",
            "listing",
            "add",
            OTHER,
            "--list",
            "abnormal",
            "--cause",
            "not_contactable",
            "--on",
            "2024-03-01",
        ],
    );
    ok(
        dir,
        &[
            "credit",
            "listing",
            "remove",
            "2",
            "--reason",
            "corrected",
            "--note",
            "已恢复联系",
            "--on",
            "2024-04-01",
        ],
    );
    let view = json_lines(&ok(
        dir,
        &[
            "credit",
            "public",
            OTHER,
            "--as-of",
            "2025-01-01",
            "--format",
            "json",
        ],
    ));
    assert_eq!(view[0]["entity"]["uscc"], OTHER);
    assert_eq!(view[0]["listings"][0]["publicity_ends"], "2027-03-01");
    // The repaired serious listing is public until the repair, not after.
    let view = json_lines(&ok(
        dir,
        &[
            "credit",
            "public",
            FOOD,
            "--as-of",
            "2025-01-19",
            "--format",
            "json",
        ],
    ));
    assert_eq!(view[0]["listings"][0]["list"], "serious_violation");
    assert_eq!(view[0]["listings"][0]["publicity_ends"], Value::Null);
    let view = json_lines(&ok(
        dir,
        &[
            "credit",
            "public",
            FOOD,
            "--as-of",
            "2025-01-20",
            "--format",
            "json",
        ],
    ));
    assert_eq!(view[0]["listings"], serde_json::json!([]));

    // An evaluator evaluates only what is assigned to them.
    ok(
        dir,
        &[
            "user",
            "add",
            "pingjia",
            "--role",
            "evaluator",
            "--entity",
            OTHER,
        ],
    );
    let err = refused(
        dir,
        &[
            "credit",
            "evaluation",
            "add",
            FOOD,
            "--evaluator",
            "pingjia",
            "--score",
            "80",
            "--summary",
            "越权",
        ],
    );
    assert!(err.contains("pingjia"), "{err}");
    ok(
        dir,
        &[
            "credit",
            "evaluation",
            "add",
            OTHER,
            "--evaluator",
            "pingjia",
            "--score",
            "88",
            "--summary",
            "经营规范",
        ],
    );
    let evals = json_lines(&ok(
        dir,
        &["credit", "evaluation", "list", "--format", "json"],
    ));
    assert_eq!(evals.len(), 1);
    assert_eq!(evals[0]["score"], 88);

    // A commitment, broken once.
    ok(
        dir,
        &["credit", "commitment", "add", OTHER, "--text", "诚信经营"],
    );
    ok(
        dir,
        &["credit", "commitment", "break", "1", "--reason", "售假"],
    );
    refused(
        dir,
        &["credit", "commitment", "break", "1", "--reason", "again"],
    );
    let cs = json_lines(&ok(
        dir,
        &["credit", "commitment", "list", "--format", "json"],
    ));
    assert_eq!(cs[0]["broken_reason"], "售假");
}
