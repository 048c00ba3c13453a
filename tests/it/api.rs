//! The JSON API of a real console (`wangjian serve` over a demo's records), called with API
//! tokens from `wangjian user token`: schemathesis (PyPI, installed like the other Python
//! tools) generates requests from the served OpenAPI document and checks that no answer is a
//! server error and every answer matches its documented schema; an inspector's token sees only
//! their district. Everything stays on loopback.

use crate::{run, serving_process, stdout, wangjian};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A demo's records (6 sites) in `dir`.
fn demo(dir: &Path) {
    let out = run(wangjian(dir).args(["demo", "--sites", "6", "--no-serve"]));
    assert!(out.status.success());
}

/// Adds a user (`args` after the name: role and scope) with a password from stdin and returns
/// a new API token of theirs.
fn user_with_token(dir: &Path, name: &str, args: &[&str]) -> String {
    let mut child = wangjian(dir)
        .args(["user", "add", name, "--password-stdin"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"a long enough password\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = run(wangjian(dir).args(["user", "token", name]));
    assert!(out.status.success());
    let text = stdout(&out);
    // `token ID for NAME (LABEL): wj_…`
    let token = text
        .trim()
        .rsplit_once(": ")
        .map(|(_, t)| t.to_string())
        .unwrap_or_default();
    assert!(token.starts_with("wj_"), "{text}");
    token
}

/// `wangjian serve` on a free loopback port, stopped (by its own process id) when dropped.
struct Console {
    child: Child,
    port: u16,
}

impl Console {
    fn start(dir: &Path) -> Console {
        let mut child = serving_process(dir)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        // The address line comes once the listener is bound.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("console: http://127.0.0.1:")
            .and_then(|rest| rest.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("no address line: {line:?}"));
        Console { child, port }
    }

    /// `GET path` with the token; the status and the JSON body.
    fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nAuthorization: Bearer {token}\r\n\r\n",
            self.port
        )
        .unwrap();
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).unwrap();
        let msg = http_msg::Message::parse(&resp);
        let status = msg.head.status().expect("an HTTP response");
        let body = serde_json::from_slice(&msg.payload())
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {resp:?}"));
        (status, body)
    }

    /// A list's items (all of them: one page of 500), checking the envelope.
    fn all(&self, token: &str, list: &str) -> Vec<Value> {
        let (status, v) = self.get(token, &format!("/api/v1/{list}?limit=500"));
        assert_eq!(status, 200, "{list}: {v}");
        let items = v["items"].as_array().expect("items").clone();
        assert_eq!(v["total"], items.len(), "{list}");
        items
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first finding of the list, which the sweep grouped into a clue (so that clues have rows
/// to test).
fn clue_of_first_finding(dir: &Path, findings: &[Value]) -> Value {
    let first = findings.first().expect("the demo has findings");
    let out = run(wangjian(dir).args(["clue", "list", "--format", "json"]));
    assert!(out.status.success());
    assert!(
        stdout(&out).lines().any(|l| {
            let c: Value = serde_json::from_str(l).unwrap();
            c["findings"]
                .as_array()
                .is_some_and(|f| f.contains(&first["id"]))
        }),
        "a clue holds finding {}",
        first["id"]
    );
    first.clone()
}

#[test]
fn schemathesis_finds_no_server_error_and_no_answer_off_the_document() {
    let tools = crate::wacz::pytools();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    demo(&data);
    let token = user_with_token(&data, "apitest", &["--role", "supervisor"]);
    let console = Console::start(&data);
    clue_of_first_finding(&data, &console.all(&token, "findings"));
    assert!(!console.all(&token, "clues").is_empty());

    let out = Command::new(tools.join("schemathesis"))
        .arg("run")
        .arg(format!(
            "http://127.0.0.1:{}/api/v1/openapi.json",
            console.port
        ))
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance",
            // Bounded and reproducible: a few dozen cases per operation, a fixed seed, no
            // example database carried between runs.
            "--max-examples",
            "30",
            "--seed",
            "20170601",
            "--generation-database",
            "none",
            "--no-color",
        ])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("schemathesis runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "schemathesis failed:\n{text}");
    // It tested every operation of the document, and every case passed.
    assert!(text.contains("Tested: 32"), "{text}");
    let cases = text
        .lines()
        .find(|l| l.trim_end().ends_with(" passed") && l.contains(" generated, "))
        .unwrap_or_else(|| panic!("no case count:\n{text}"));
    let (generated, passed) = cases.trim().split_once(" generated, ").unwrap();
    assert_eq!(
        generated.trim(),
        passed.trim_end_matches(" passed").trim(),
        "{text}"
    );
    assert!(generated.trim().parse::<u32>().unwrap() > 100, "{text}");
}

#[test]
fn an_inspectors_token_sees_only_their_district() {
    const DISTRICT: &str = "450102";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    demo(&data);
    let city = user_with_token(&data, "apitest", &["--role", "supervisor"]);
    let inspector = user_with_token(
        &data,
        "inspector",
        &["--role", "inspector", "--district", DISTRICT],
    );
    let console = Console::start(&data);
    // A clue of a finding of another district.
    let findings = console.all(&city, "findings");
    let elsewhere: Vec<Value> = findings
        .iter()
        .filter(|f| f["district"] != DISTRICT)
        .cloned()
        .collect();
    let clued = clue_of_first_finding(&data, &elsewhere);

    // Every list holds exactly the city's rows of the district.
    for list in ["entities", "sites", "findings", "clues"] {
        let all = console.all(&city, list);
        let ours: Vec<&Value> = all.iter().filter(|i| i["district"] == DISTRICT).collect();
        let seen = console.all(&inspector, list);
        assert_eq!(seen.iter().collect::<Vec<_>>(), ours, "{list}");
        if list == "entities" || list == "sites" {
            assert!(!ours.is_empty(), "the demo has {list} in {DISTRICT}");
        }
        // Not one row of another district: each of those is 404 by id.
        let others: Vec<&Value> = all.iter().filter(|i| i["district"] != DISTRICT).collect();
        assert!(!others.is_empty(), "the demo has {list} elsewhere");
        for row in others {
            let (status, v) = console.get(&inspector, &format!("/api/v1/{list}/{}", row["id"]));
            assert_eq!(status, 404, "{list} {}: {v}", row["id"]);
            assert_eq!(v["error"], "not_found");
        }
        for row in ours {
            let (status, v) = console.get(&inspector, &format!("/api/v1/{list}/{}", row["id"]));
            assert_eq!((status, &v), (200, row), "{list}");
        }
    }
    // A filter cannot widen the scope.
    let (status, v) = console.get(
        &inspector,
        &format!(
            "/api/v1/findings?district={}",
            clued["district"].as_str().unwrap()
        ),
    );
    assert_eq!(status, 200);
    assert_eq!(v["total"], 0, "{v}");
    // Discovered sites: only those proposed for an entity of the district.
    let ours: Vec<Value> = console
        .all(&city, "entities")
        .into_iter()
        .filter(|e| e["district"] == DISTRICT)
        .map(|e| e["id"].clone())
        .collect();
    for d in console.all(&inspector, "discovered") {
        assert!(ours.contains(&d["proposed_entity"]), "{d}");
    }
    // Without a token: 401 in the error envelope.
    let (status, v) = console.get("wj_unknown", "/api/v1/entities");
    assert_eq!(status, 401);
    assert_eq!(v["error"], "unauthenticated");
}
