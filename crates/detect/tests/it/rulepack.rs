use detect::{Detector, RulePack};
use std::path::Path;

fn rules_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules"))
}

#[test]
fn load_dir_reads_the_same_rules_as_builtin() {
    let loaded = RulePack::load_dir(rules_dir()).unwrap();
    let builtin = RulePack::builtin();
    assert_eq!(loaded.version, builtin.version);
    let ids = |p: &RulePack| p.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&loaded), ids(&builtin));
    Detector::new(loaded).unwrap();
}

#[test]
fn builtin_covers_the_v1_categories() {
    let pack = RulePack::builtin();
    for cat in [
        "ad.absolute_term",
        "contract.unfair_clause",
        "content.gambling",
        "ad.investment_guarantee",
        "ad.education_guarantee",
        "ad.medical_claim",
        "ad.state_endorsement",
        "ad.agri_guarantee",
        "ad.real_estate_promise",
        "ad.health_food_claim",
        "goods.prohibited",
    ] {
        assert!(
            pack.rules.iter().any(|r| r.category.code() == cat),
            "no rule for {cat}"
        );
    }
    for r in &pack.rules {
        assert!(!r.basis.is_empty(), "{} has no legal basis", r.id);
    }
}

#[test]
fn load_dir_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("wangjian-detect-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.toml"),
        "version = \"1\"\n[[rule]]\nid = \"x.one\"\ncategory = \"ad.absolute_term\"\npatterns = [\"第一\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.toml"),
        "version = \"2\"\n[[rule]]\nid = \"x.one\"\ncategory = \"ad.absolute_term\"\npatterns = [\"顶级\"]\n",
    )
    .unwrap();
    let e = RulePack::load_dir(&dir).unwrap_err();
    assert_eq!(e.file, "b.toml");
    assert_eq!(e.rule.as_deref(), Some("x.one"));
    assert!(e.problem.contains("duplicate"));
    std::fs::write(
        dir.join("b.toml"),
        "version = \"2\"\n[[rule]]\nid = \"x.two\"\ncategory = \"ad.absolute_term\"\npatterns = [\"顶级\"]\n",
    )
    .unwrap();
    let pack = RulePack::load_dir(&dir).unwrap();
    assert_eq!(pack.version, "a@1+b@2");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(RulePack::load_dir(&dir).is_err());
}
