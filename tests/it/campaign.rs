//! `wangjian campaign create|list|show|close` and `sweep --campaign`, and the `[schedule]`
//! settings, as a user runs them.

use crate::{run, stdout, wangjian};

fn register(dir: &std::path::Path) {
    let file = dir.join("register.csv");
    std::fs::write(
        &file,
        "uscc,name,kind,district,domains\n\
         91110000600037341L,南宁绿源茶业有限公司,trading_site,450103,www.lvyuan.test\n\
         91450103MA5K00012X,兴宁外卖平台有限公司,platform,450102,waimai.test\n",
    )
    .unwrap();
    assert!(run(wangjian(dir).args(["import", "entities"]).arg(&file))
        .status
        .success());
}

#[test]
fn campaigns_are_created_listed_shown_and_closed() {
    let dir = tempfile::tempdir().unwrap();
    register(dir.path());
    let create = |extra: &[&str]| {
        let mut cmd = wangjian(dir.path());
        cmd.args([
            "campaign",
            "create",
            "--name",
            "网络交易专项整治",
            "--starts",
            "2026-03-01",
            "--ends",
            "2026-03-31",
        ])
        .args(extra);
        cmd.output().unwrap()
    };
    // Refused, nothing written: targets that match no site, a bad schedule, a bad pack.
    for (extra, says) in [
        (&["--district", "450127"][..], "match no site"),
        (
            &["--kind", "platform", "--schedule", "0 25 * * *"][..],
            "hour",
        ),
        (
            &["--kind", "platform", "--pack", "fangchan"][..],
            "fangchan",
        ),
        (&["--kind", "shop"][..], "site kind"),
        (&[][..], "at least one target"),
    ] {
        let out = create(extra);
        assert!(!out.status.success(), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{extra:?}: {err}");
    }
    let out = run(wangjian(dir.path()).args(["campaign", "list"]));
    assert_eq!(stdout(&out).trim(), "no campaigns");

    let out = create(&["--district", "450103", "--schedule", "0 3 * * *"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout(&out).trim(), "campaign 1: 网络交易专项整治, 1 sites");
    let out = run(wangjian(dir.path()).args(["campaign", "list", "--format", "json"]));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["name"], "网络交易专项整治");
    assert_eq!(lines[0]["schedule"], "0 3 * * *");
    assert_eq!(lines[0]["state"], "active");
    let out = run(wangjian(dir.path()).args(["campaign", "show", "1", "--format", "json"]));
    let shown: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(shown["id"], 1);
    assert_eq!(shown["figures"]["total"]["sites_checked"], 0);
    let out = run(wangjian(dir.path()).args(["campaign", "show", "1"]));
    let text = stdout(&out);
    assert!(text.contains("DISTRICT\tsites_checked"), "{text}");
    assert!(text.contains("schedule: 0 3 * * *"), "{text}");
    // A campaign that does not exist.
    let out = wangjian(dir.path())
        .args(["sweep", "--campaign", "9"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no campaign 9"));
    let out = run(wangjian(dir.path()).args(["campaign", "close", "1"]));
    assert_eq!(stdout(&out).trim(), "campaign 1: closed");
    let out = wangjian(dir.path())
        .args(["sweep", "--campaign", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("campaign 1 is closed"));
}

#[test]
fn a_bad_schedule_setting_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("wangjian.toml"),
        "[schedule]\ncity_sweep = \"0 2 * *\"\n",
    )
    .unwrap();
    let out = wangjian(dir.path()).args(["sites"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("schedule.city_sweep") && err.contains("5 fields"),
        "{err}"
    );
    std::fs::write(
        dir.path().join("wangjian.toml"),
        "[schedule]\ncity_sweep = \"\"\ntimezone_offset_hours = 8\nrechecks = \"0 7 * * 1-5\"\n",
    )
    .unwrap();
    let out = run(wangjian(dir.path()).args(["config", "show"]));
    let text = stdout(&out);
    assert!(text.contains("schedule.rechecks"), "{text}");
    assert!(text.contains("0 7 * * 1-5"), "{text}");
}
