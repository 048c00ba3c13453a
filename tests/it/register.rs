//! The register end to end, as a user runs it: a demo sweep over simweb discovers the
//! unregistered sites that registered ones link to and classifies every site; filings from
//! another department join the register; search finds entities by partial name and pages by
//! text; exports open in openpyxl (a real XLSX reader).

use crate::{run, stdout, wangjian};

#[test]
fn a_sweep_discovers_classifies_and_the_register_is_searchable_and_exportable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sites = "60";
    let out = run(wangjian(&data).args([
        "demo",
        "--no-serve",
        "--sites",
        sites,
        "--seed",
        "7",
        "--concurrency",
        "8",
    ]));
    assert!(out.status.success());

    // The truth the demo wrote: every unregistered site must be discovered, with the evidence
    // of the one way to it: a link from a registered homepage (or its platform's directory),
    // its ICP filing in the telecom file, a certificate in the CT log, or a link on the
    // homepage of a site of the first kind (two hops from the register).
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("simweb/truth.json")).unwrap()).unwrap();
    let key = |host: &str, prefix: &str| {
        format!(
            "{}{}",
            host.trim_start_matches("www."),
            prefix.trim_end_matches('/')
        )
    };
    let mut expected = std::collections::BTreeMap::new();
    for site in truth["sites"].as_object().unwrap().values() {
        if site["registered"].as_bool() == Some(false) {
            let host = site["host"].as_str().unwrap();
            let prefix = site["path_prefix"].as_str().unwrap_or_default();
            let via = site["found_via"].as_str().unwrap_or("link").to_string();
            expected.insert(key(host, prefix), via);
        }
    }
    for via in ["link", "filing", "ct", "chain"] {
        assert!(
            expected.values().any(|v| v == via),
            "the world has an unregistered site found by {via}"
        );
    }
    let out = run(wangjian(&data).args(["discovered", "list", "--format", "json"]));
    assert!(out.status.success());
    let discovered: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let found: std::collections::BTreeMap<String, &serde_json::Value> = discovered
        .iter()
        .map(|d| {
            (
                key(
                    d["host"].as_str().unwrap(),
                    d["path_prefix"].as_str().unwrap(),
                ),
                d,
            )
        })
        .collect();
    for (k, via) in &expected {
        let d = found
            .get(k)
            .unwrap_or_else(|| panic!("{k} (found by {via}) not discovered"));
        let ev = d["evidence"].as_array().unwrap();
        let has = |what: &str| ev.iter().any(|e| !e[what].is_null());
        match via.as_str() {
            "filing" => {
                assert_eq!(d["source"], "filing", "{d}");
                assert!(has("filing"), "{d}");
                assert_eq!(d["evidence"][0]["filing"]["source"], "telecom", "{d}");
            }
            "ct" => {
                assert_eq!(d["source"], "ct", "{d}");
                let cert = &d["evidence"][0]["certificate"];
                assert!(
                    cert["fingerprint"].as_str().unwrap().starts_with("sha256:"),
                    "{d}"
                );
                assert!(
                    cert["names"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|n| n.as_str().unwrap().contains(k.as_str())),
                    "{d}"
                );
            }
            "chain" => {
                assert_eq!(
                    (&d["source"], &d["hops"]),
                    (&"link".into(), &2.into()),
                    "{d}"
                );
                assert!(
                    ev[0]["from_url"].as_str().unwrap().starts_with("http://"),
                    "{d}"
                );
                assert!(ev[0]["evidence"]["warc_file"].is_string(), "{d}");
                // Its own pages place it in the city, so it reached the queue.
                assert_eq!(d["state"], "new", "{d}");
                assert!(!d["indicators"].as_array().unwrap().is_empty(), "{d}");
            }
            _ => {
                assert!(
                    has("from_url") && ev.iter().any(|e| e["evidence"]["warc_file"].is_string()),
                    "{d}"
                );
            }
        }
        // Promoted and crawled in the same sweep.
        assert!(d["site_id"].is_number(), "{d}");
    }
    // The shop outside the city that a two-hop site links to was crawled and set aside.
    let elsewhere = found
        .get(&key(simweb::ELSEWHERE_HOST, ""))
        .expect("the shop elsewhere was seen");
    assert_eq!(elsewhere["state"], "remote", "{elsewhere}");
    assert_eq!(elsewhere["hops"], 2, "{elsewhere}");
    // The certificate of a host that imitates a registered one: found and marked.
    let imitations: Vec<&&serde_json::Value> = found
        .values()
        .filter(|d| d["host"].as_str().unwrap().contains("-official."))
        .collect();
    assert_eq!(imitations.len(), 1, "{discovered:?}");
    assert_eq!(imitations[0]["imitation"]["how"]["kind"], "added_word");
    assert!(imitations[0]["imitation"]["owner"].is_number());
    // Each source's counts and precision, as a script reads them.
    let out = run(wangjian(&data).args(["discovered", "stats", "--format", "json"]));
    let stats: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(stats.len(), 3);
    for s in &stats {
        assert!(s["total"].as_i64().unwrap() > 0, "{s}");
        assert!(s["precision"].is_null(), "nothing decided yet: {s}");
    }

    // Every site whose pages a browser sees is classified from them as the truth says, the
    // discovered ones included; hosts that serve nothing (the gambling hosts that hijacked
    // pages link to) have no class.
    let out = run(wangjian(&data).args(["sites", "--format", "json"]));
    let sites: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let class: std::collections::BTreeMap<String, String> = sites
        .iter()
        .filter_map(|s| {
            Some((
                key(s["host"].as_str()?, s["path_prefix"].as_str()?),
                s["classified"]["kind"].as_str()?.to_string(),
            ))
        })
        .collect();
    let mut checked = 0;
    for site in truth["sites"].as_object().unwrap().values() {
        if site["pages"].as_object().is_none_or(|p| p.is_empty()) {
            continue;
        }
        let k = key(
            site["host"].as_str().unwrap(),
            site["path_prefix"].as_str().unwrap_or_default(),
        );
        assert_eq!(
            class.get(&k).map(String::as_str),
            site["kind"].as_str(),
            "class of {k}"
        );
        checked += 1;
    }
    assert!(checked > 40, "{checked} sites checked");
    assert!(sites
        .iter()
        .any(|s| s["origin"] == "discovered" && s["classified"]["kind"] == "trading_site"));

    // Another department's filings: a registered entity's ICP filing joins by USCC, one of its
    // domains filed under another name is a conflict, a domain of nobody joins nothing.
    let out = run(wangjian(&data)
        .args(["export", "entities", "-o"])
        .arg(dir.path().join("e.csv")));
    assert!(out.status.success());
    let csv = std::fs::read_to_string(dir.path().join("e.csv")).unwrap();
    let mut lines = csv.trim_start_matches('\u{FEFF}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let first: Vec<String> = lines
        .find(|l| !l.contains('"'))
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let (uscc, name, domains) = (
        first[col("uscc")].clone(),
        first[col("name")].clone(),
        first[col("domains")].clone(),
    );
    let domain = domains.split(';').next().unwrap().to_string();
    let filings = dir.path().join("telecom.csv");
    std::fs::write(
        &filings,
        format!(
            "网站备案号,主办单位名称,主办单位证件号码,网站域名,审核通过日期\n\
             桂ICP备2016000001号-1,{name},{uscc},{domain},2016-05-01\n\
             桂ICP备2016000002号-1,另一家公司,,{domain},2016-05-02\n\
             桂ICP备2016000003号-1,无名网站,,nobody-registered.test,2016-05-03\n\
             桂ICP备2016000004号-1,坏行,{uscc},{domain},2016-13-01\n"
        ),
    )
    .unwrap();
    let out = run(wangjian(&data)
        .args(["import", "filings", "--source", "telecom"])
        .arg(&filings));
    assert!(out.status.success());
    let said = stdout(&out);
    assert!(
        said.contains(
            "3 created, 0 updated, 0 unchanged, 1 rejected; 1 not joined to an entity, 2 conflicts"
        ),
        "{said}"
    );
    let again = run(wangjian(&data)
        .args(["import", "filings", "--source", "telecom"])
        .arg(&filings));
    assert!(stdout(&again).contains("0 created, 0 updated, 3 unchanged, 1 rejected"));
    let conflicts = std::fs::read_to_string(dir.path().join("telecom.csv.conflicts.csv")).unwrap();
    assert!(conflicts.contains("name_differs") && conflicts.contains("no_entity"));

    // Search: a partial name (4 characters from the middle) finds the entity; its USCC too.
    let chars: Vec<char> = name.chars().collect();
    let part: String = chars[chars.len() / 2 - 2..chars.len() / 2 + 2]
        .iter()
        .collect();
    for q in [part.as_str(), uscc.as_str(), domain.as_str()] {
        let out = run(wangjian(&data).args(["search", "query", q, "--limit", "50"]));
        assert!(out.status.success());
        assert!(
            stdout(&out).lines().any(|l| l.contains(&uscc)),
            "{q}: {}",
            stdout(&out)
        );
    }
    // Pages by their text: the word every simweb homepage footer carries.
    let out = run(wangjian(&data).args(["search", "query", "版权所有", "--limit", "5"]));
    assert!(
        stdout(&out).lines().any(|l| l.starts_with("page\t")),
        "{}",
        stdout(&out)
    );

    // XLSX exports open in openpyxl with the same rows as the CSV, a Chinese header row, an
    // autofilter over the table, and real dates.
    let xlsx = dir.path().join("sites.xlsx");
    let out = run(wangjian(&data).args(["export", "sites", "-o"]).arg(&xlsx));
    assert!(out.status.success());
    let entities_xlsx = dir.path().join("entities.xlsx");
    let out = run(wangjian(&data)
        .args(["export", "entities", "-o"])
        .arg(&entities_xlsx));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let python = crate::wacz::pytools().join("python");
    let check = std::process::Command::new(python)
        .args([
            "-c",
            "import sys, datetime, openpyxl\n\
             wb = openpyxl.load_workbook(sys.argv[1])\n\
             ws = wb.active\n\
             rows = list(ws.iter_rows(values_only=True))\n\
             print(len(rows) - 1, rows[0][0], ws.auto_filter.ref, ws.freeze_panes)\n\
             ws = openpyxl.load_workbook(sys.argv[2]).active\n\
             header = [c.value for c in ws[1]]\n\
             created = ws.cell(row=2, column=header.index('创建时间（北京时间）') + 1)\n\
             print(header[0], type(created.value).__name__, created.is_date, created.number_format)",
        ])
        .arg(&xlsx)
        .arg(&entities_xlsx)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let said = String::from_utf8_lossy(&check.stdout);
    let mut lines = said.lines();
    let mut parts = lines.next().unwrap().split_whitespace();
    assert_eq!(
        parts.next().unwrap().parse::<usize>().unwrap(),
        sites.len(),
        "{said}"
    );
    assert_eq!(parts.next(), Some("网站地址"), "{said}");
    assert_eq!(
        parts.next(),
        Some(format!("A1:I{}", sites.len() + 1).as_str()),
        "{said}"
    );
    assert_eq!(parts.next(), Some("A2"), "{said}");
    assert_eq!(
        lines.next(),
        Some("统一社会信用代码 datetime True yyyy-mm-dd hh:mm:ss"),
        "{said}"
    );
}
