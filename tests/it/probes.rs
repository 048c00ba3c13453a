//! `wangjian scan URL` probes like a sweep: every cloaking kit of a simulated web, fetched and
//! script kits alike, is reported as `site.hijacked` with the profile that proved it, and no
//! honest look-alike (mobile layout, referrer analytics, A/B banner) is; `--fail-on` counts
//! the probes' findings; `--no-render` leaves the script kits to the fetched probes, which
//! cannot see them.

use crate::wangjian;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

/// `wangjian simweb` on an ephemeral port: the child, its address and its truth.
fn simweb(
    dir: &std::path::Path,
    sites: &str,
    seed: &str,
) -> (std::process::Child, String, serde_json::Value) {
    let truth_path = dir.join("truth.json");
    let mut sim = wangjian(dir)
        .args([
            "simweb", "--sites", sites, "--seed", seed, "--port", "0", "--truth",
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
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("address in {first:?}"))
        .to_string();
    let truth = serde_json::from_str(&std::fs::read_to_string(&truth_path).unwrap()).unwrap();
    (sim, addr, truth)
}

/// The `site.hijacked` lines of a JSON scan: (profile, excerpt).
fn hijacks(stdout: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["category"] == "site.hijacked")
        .map(|v| {
            (
                v["profile"].as_str().unwrap().to_string(),
                v["excerpt"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn scan_url_reports_every_kit_with_its_profile_and_no_honest_look_alike() {
    let dir = tempfile::tempdir().unwrap();
    let (mut sim, addr, truth) = simweb(dir.path(), "40", "17");
    let resolve = format!("*:80:{addr}");
    let mut kinds = BTreeSet::new();
    let mut honest = BTreeSet::new();
    let mut failures = Vec::new();
    for s in truth["sites"].as_object().unwrap().values() {
        let host = s["host"].as_str().unwrap();
        let kit = s["cloaked"]["kind"].as_str();
        let look_alike = s["honest_script"].as_str().or(s["mobile_layout"]
            .as_bool()
            .filter(|b| *b)
            .map(|_| "mobile-layout"));
        if kit.is_none() && look_alike.is_none() {
            continue;
        }
        let url = format!("http://{host}/");
        let out = wangjian(dir.path())
            .args([
                "scan",
                "--format",
                "json",
                "--fail-on",
                "high",
                "--resolve",
                &resolve,
            ])
            .arg(&url)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        let found = hijacks(&out.stdout);
        let profiles: BTreeSet<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        match (kit, look_alike) {
            (Some(kind), _) => {
                kinds.insert(kind.to_string());
                assert_eq!(out.status.code(), Some(3), "{kind} {url}: {err}");
                let expected: &[&str] = match kind {
                    "ua-only" | "not-found-to-browsers" => {
                        &["baiduspider-pc", "baiduspider-mobile"]
                    }
                    "referer-redirect" => &[
                        "search-referral:baidu",
                        "search-referral:sogou",
                        "search-referral:360",
                        "search-referral:bing",
                    ],
                    "script-redirect" | "script-obfuscated" => {
                        &["render-baidu", "render-sogou", "render-360"]
                    }
                    other => panic!("unknown kit {other}"),
                };
                if profiles != expected.iter().copied().collect() {
                    failures.push(format!("{kind} {url}: {profiles:?} ({err})"));
                }
                if kind.starts_with("script-") {
                    assert!(err.contains("rendered visits"), "{err}");
                    // Without rendering, nothing shows a script kit.
                    let out = wangjian(dir.path())
                        .args([
                            "scan",
                            "--format",
                            "json",
                            "--no-render",
                            "--resolve",
                            &resolve,
                        ])
                        .arg(&url)
                        .output()
                        .unwrap();
                    assert!(out.status.success());
                    assert!(hijacks(&out.stdout).is_empty(), "{kind} --no-render");
                }
            }
            (None, Some(which)) => {
                honest.insert(which.to_string());
                assert!(found.is_empty(), "honest {which} {url} flagged: {found:?}");
                if which != "mobile-layout" {
                    assert!(
                        err.contains("rendered visits"),
                        "{which} is rendered: {err}"
                    );
                }
            }
            (None, None) => unreachable!(),
        }
    }
    // The text output names the profile too.
    let script = truth["sites"]
        .as_object()
        .unwrap()
        .values()
        .find(|s| s["cloaked"]["kind"] == "script-obfuscated")
        .unwrap();
    let out = wangjian(dir.path())
        .args(["scan", "--resolve", &resolve])
        .arg(format!("http://{}/", script["host"].as_str().unwrap()))
        .output()
        .unwrap();
    let _ = sim.kill();
    let _ = sim.wait();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PROFILE"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("site.hijacked") && l.contains("render-baidu")),
        "{text}"
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(
        kinds,
        [
            "not-found-to-browsers",
            "referer-redirect",
            "script-obfuscated",
            "script-redirect",
            "ua-only"
        ]
        .map(String::from)
        .into()
    );
    assert_eq!(
        honest,
        ["ab-banner", "mobile-layout", "referrer-analytics"]
            .map(String::from)
            .into()
    );
}
