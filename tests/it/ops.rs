//! The operator's surface of a running `wangjian serve`: the probes and `/metrics` over a real
//! socket with the token from the configuration, and the logs as JSON lines
//! (`WANGJIAN_LOG_FORMAT=json`), every line of standard error parsed.

use crate::{run, serving_process, wangjian};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};

/// A child process killed (by its own id) and reaped when dropped.
pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `wangjian serve` on a free loopback port of `data`, with `env`, its standard error written
/// to `stderr`; the process and its port.
pub(crate) fn serve(data: &Path, env: &[(&str, &str)], stderr: &Path) -> (Killed, u16) {
    let mut child = serving_process(data)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr).unwrap())
        .spawn()
        .expect("wangjian serve starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let child = Killed(child);
    let mut seen = String::new();
    let port = loop {
        let mut line = String::new();
        let n = lines.read_line(&mut line).unwrap();
        assert!(
            n > 0,
            "serve ended before it listened:\n{seen}\n{}",
            std::fs::read_to_string(stderr).unwrap_or_default()
        );
        if let Some(url) = line.trim().strip_prefix("console: http://127.0.0.1:") {
            break url.trim_end_matches('/').parse::<u16>().unwrap();
        }
        seen.push_str(&line);
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut lines, &mut std::io::sink());
    });
    (child, port)
}

/// A GET over loopback (HTTP/1.0, so the server closes the connection): status, the head's
/// fields as text, the body.
pub(crate) fn http_get(port: u16, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut req = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8_lossy(&resp).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, head.to_ascii_lowercase(), body.to_string())
}

/// Every line of `text` as a JSON object with the fields a log collector reads.
fn json_lines(text: &str) -> Vec<serde_json::Value> {
    assert!(!text.trim().is_empty(), "no log line at all");
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\nall:\n{text}"));
            for field in ["timestamp", "level", "target"] {
                assert!(v[field].is_string(), "no {field}: {line}");
            }
            chrono::DateTime::parse_from_rfc3339(v["timestamp"].as_str().unwrap())
                .unwrap_or_else(|e| panic!("timestamp not RFC 3339 ({e}): {line}"));
            assert!(
                ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&v["level"].as_str().unwrap()),
                "{line}"
            );
            assert!(
                v["fields"]["message"].is_string(),
                "no fields.message: {line}"
            );
            v
        })
        .collect()
}

const TOKEN: &str = "operator-scrape-token-42";

#[test]
fn serve_answers_probes_and_metrics_and_logs_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let stderr = dir.path().join("serve.log");
    let (process, port) = serve(
        &data,
        &[
            ("WANGJIAN_LOG_FORMAT", "json"),
            ("WANGJIAN_LOG", "info"),
            ("WANGJIAN_CONSOLE_METRICS_TOKEN", TOKEN),
        ],
        &stderr,
    );
    let (status, head, body) = http_get(port, "/healthz", &[]);
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    assert!(head.contains("cache-control: no-store"), "{head}");
    let (status, _, body) = http_get(port, "/readyz", &[]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"status": "ready", "failed": []})
    );
    // The metrics: refused without the token, answered with it.
    let (status, head, body) = http_get(port, "/metrics", &[]);
    assert_eq!(status, 401, "{body}");
    assert!(head.contains("www-authenticate: bearer"), "{head}");
    let bearer = format!("Bearer {TOKEN}");
    let (status, head, body) = http_get(port, "/metrics", &[("Authorization", &bearer)]);
    assert_eq!(status, 200, "{body}");
    assert!(
        head.contains("content-type: text/plain; version=0.0.4; charset=utf-8"),
        "{head}"
    );
    assert!(
        body.contains(&format!(
            "wangjian_build_info{{version=\"{}\"}} 1\n",
            env!("CARGO_PKG_VERSION")
        )),
        "{body}"
    );
    assert!(body.contains("wangjian_store_up 1\n"), "{body}");
    assert!(
        body.contains("wangjian_http_request_duration_seconds_count{route=\"/readyz\",method=\"GET\",status_class=\"2xx\"} 1\n"),
        "{body}"
    );
    drop(process);

    // Standard error: JSON lines only, the notice that there is no user among them.
    let logged = std::fs::read_to_string(&stderr).unwrap();
    let lines = json_lines(&logged);
    assert!(
        lines.iter().any(|l| l["level"] == "WARN"
            && l["fields"]["message"]
                .as_str()
                .unwrap()
                .contains("there are no users yet")),
        "{logged}"
    );
    assert!(!logged.contains(TOKEN), "the token is never logged");

    // A command that fails says so as a JSON line too.
    let out = run(wangjian(&data)
        .args(["--database", "mysql://127.0.0.1/test", "sites"])
        .env("WANGJIAN_LOG_FORMAT", "json"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let lines = json_lines(&err);
    assert!(
        lines
            .iter()
            .any(|l| l["level"] == "ERROR"
                && l["fields"]["message"].as_str().unwrap().contains("mysql")),
        "{err}"
    );

    // An unknown format is refused before anything runs.
    let out = run(wangjian(&data)
        .arg("sites")
        .env("WANGJIAN_LOG_FORMAT", "xml"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("WANGJIAN_LOG_FORMAT") && err.contains("json"),
        "{err}"
    );
}

#[test]
fn metrics_are_off_without_a_token_and_readiness_fails_on_a_broken_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (_process, port) = serve(&data, &[], &dir.path().join("serve.log"));
    let (status, _, _) = http_get(
        port,
        "/metrics",
        &[("Authorization", "Bearer anything-at-all-42")],
    );
    assert_eq!(status, 404);
    let (status, _, body) = http_get(port, "/readyz", &[]);
    assert_eq!(status, 200, "{body}");
    // Where the evidence directory belongs there is a plain file (a botched restore): no
    // sweep could write there, so the console is not ready, and the body names the check,
    // nothing more.
    std::fs::write(data.join("warc"), b"not a directory").unwrap();
    let (status, _, body) = http_get(port, "/readyz", &[]);
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"status": "not_ready", "failed": ["data_dir"]})
    );
    // Liveness does not depend on it; readiness comes back once it is repaired.
    assert_eq!(http_get(port, "/healthz", &[]).0, 200);
    std::fs::remove_file(data.join("warc")).unwrap();
    assert_eq!(http_get(port, "/readyz", &[]).0, 200);
}
