//! Certificate transparency as a user runs it: `wangjian discovered ct-poll` reads the logs of
//! `[[discovery.ct_logs]]` (here simweb's, on loopback), records the certificates that point to
//! the city with their evidence, refuses a log whose tree head is forged, reads nothing twice,
//! and reads what a log appends later.

use crate::{run, stdout, wangjian};
use base64::Engine as _;
use std::sync::Arc;

#[test]
fn ct_logs_are_followed_verified_and_a_forged_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let world = simweb::World::generate(&simweb::GenParams { sites: 60, seed: 7 });
    let subjects = world.ct_subjects();
    let world = Arc::new(world.with_ct_log(subjects).unwrap());
    let running = rt
        .block_on(simweb::start(world.clone(), ([127, 0, 0, 1], 0).into()))
        .unwrap();
    let resolve = format!("*:80:{}", running.addr);
    let log = world.ct_log().unwrap();
    let key = base64::engine::general_purpose::STANDARD.encode(log.public_key_der());
    // Both logs are trusted with the log's key; the forged twin signs with another.
    std::fs::write(
        data.join("wangjian.toml"),
        format!(
            "[[discovery.ct_logs]]\nname = \"sim\"\nurl = \"http://{}/\"\nkey = \"{key}\"\n\n\
             [[discovery.ct_logs]]\nname = \"forged\"\nurl = \"http://{}/\"\nkey = \"{key}\"\n",
            simweb::CT_HOST,
            simweb::CT_FORGED_HOST
        ),
    )
    .unwrap();
    let register = dir.path().join("register.csv");
    std::fs::write(&register, world.register_csv()).unwrap();
    let out = run(wangjian(&data).args(["import", "entities"]).arg(&register));
    assert!(out.status.success());

    let poll = |extra: &[&str]| {
        run(wangjian(&data)
            .args([
                "discovered",
                "ct-poll",
                "--batch",
                "16",
                "--resolve",
                &resolve,
            ])
            .args(extra))
    };
    let out = poll(&[]);
    // A log that is not trusted fails the command, after the others were read.
    assert!(!out.status.success());
    let said = stdout(&out);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        said.contains(&format!("sim: {} entries read", log.size())),
        "{said}"
    );
    assert!(err.contains("forged: not trusted: bad_signature"), "{err}");

    let out = run(wangjian(&data).args(["discovered", "ct-logs", "--format", "json"]));
    let logs: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |name: &str| logs.iter().find(|l| l["name"] == name).unwrap().clone();
    let sim = of("sim");
    assert_eq!(sim["entries_read"], log.size());
    assert_eq!(sim["position"]["next_index"], log.size());
    assert!(sim["failure"].is_null(), "{sim}");
    let forged = of("forged");
    assert_eq!(forged["entries_read"], 0);
    assert!(forged["position"].is_null(), "{forged}");
    assert_eq!(forged["failure"][0], "bad_signature");

    // What the certificates point to: every site only a certificate leads to, a new
    // subdomain of a registered site (proposed for its entity), a host imitating one (marked),
    // and neither a registered site nor the shop elsewhere.
    let list = |args: &[&str]| -> Vec<serde_json::Value> {
        let out = run(wangjian(&data)
            .args(["discovered", "list", "--format", "json"])
            .args(args));
        assert!(out.status.success());
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let found = list(&["--source", "ct"]);
    let hosts: Vec<&str> = found.iter().map(|d| d["host"].as_str().unwrap()).collect();
    let truth = world.truth();
    let only_ct: Vec<&String> = truth
        .sites
        .values()
        .filter(|s| s.found_via.as_deref() == Some("ct"))
        .map(|s| &s.host)
        .collect();
    assert!(!only_ct.is_empty());
    for host in &only_ct {
        let d = found
            .iter()
            .find(|d| d["host"] == host.as_str())
            .unwrap_or_else(|| panic!("{host} not found in {hosts:?}"));
        let cert = &d["evidence"][0]["certificate"];
        assert_eq!(cert["log"], "sim");
        assert!(cert["index"].as_u64().unwrap() < log.size());
        // The certificate's subject places it in the city.
        let kind = d["indicators"][0]["kind"].as_str().unwrap();
        assert!(["organization", "locality"].contains(&kind), "{d}");
        assert_eq!(d["first_sweep"], serde_json::Value::Null);
    }
    let registered: Vec<&String> = truth
        .sites
        .values()
        .filter(|s| s.registered)
        .map(|s| &s.host)
        .collect();
    assert!(!hosts
        .iter()
        .any(|h| registered.iter().any(|r| r.as_str() == *h)));
    assert!(!hosts.contains(&simweb::ELSEWHERE_HOST), "{hosts:?}");
    let sub = found
        .iter()
        .find(|d| d["host"].as_str().unwrap().starts_with("pay."))
        .expect("the new subdomain");
    assert_eq!(sub["proposal"]["by"], "subdomain", "{sub}");
    assert!(sub["proposed_entity"].is_number());
    let imitations = list(&["--imitations"]);
    assert_eq!(imitations.len(), 1, "{imitations:?}");
    assert!(imitations[0]["host"]
        .as_str()
        .unwrap()
        .contains("-official."));
    assert_eq!(found.len(), only_ct.len() + 2, "{hosts:?}");

    // Read again: nothing new. Then the log grows by one certificate of a city business.
    let out = poll(&["--log", "sim"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("sim: 0 entries read"),
        "{}",
        stdout(&out)
    );
    log.append(vec![simweb::CtSubject {
        dns_names: vec!["www.xin-shop.test".into()],
        organization: Some("南宁市新开网店有限公司".into()),
        locality: None,
        province: None,
    }])
    .unwrap();
    let out = poll(&["--log", "sim"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("sim: 1 entries read") && stdout(&out).contains("1 sites new"),
        "{}",
        stdout(&out)
    );
    let d = list(&["--source", "ct"])
        .into_iter()
        .find(|d| d["host"] == "www.xin-shop.test")
        .expect("the new certificate's site");
    assert_eq!(d["indicators"][0]["kind"], "organization");

    // A certificate that is not DER among good ones: skipped with its index and reason, the
    // rest read and verified.
    let bad = log.append_oddity(simweb::CtOddity::GarbageCertificate);
    log.append(vec![simweb::CtSubject {
        dns_names: vec!["www.yong-shop.test".into()],
        organization: None,
        locality: Some("Nanning".into()),
        province: None,
    }])
    .unwrap();
    let out = poll(&["--log", "sim"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        err.contains(&format!("sim: entry {bad} skipped: ")),
        "{err}"
    );
    assert!(
        stdout(&out).contains("sim: 2 entries read")
            && stdout(&out).contains("(1 skipped), 1 sites new"),
        "{}",
        stdout(&out)
    );
    let out = run(wangjian(&data).args(["discovered", "ct-logs", "--format", "json"]));
    let sim: serde_json::Value = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|l| l["name"] == "sim")
        .unwrap();
    assert_eq!(sim["skipped"], 1);
    assert_eq!(sim["entries_read"], log.size());

    // Per source, for a script.
    let out = run(wangjian(&data).args(["discovered", "stats"]));
    let said = stdout(&out);
    assert!(said.starts_with("SOURCE\tFOUND"), "{said}");
    assert!(
        said.lines()
            .any(|l| l.starts_with(&format!("ct\t{}\t", only_ct.len() + 4))),
        "{said}"
    );
    drop(running);
}
