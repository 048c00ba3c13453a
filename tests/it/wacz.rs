//! `evidence export`: a WACZ of a real demo sweep, checked by third-party tools — py-wacz
//! (`wacz validate`), warcio (`warcio check`), cdxj-indexer, pywb replay — and the signature by
//! Python's `cryptography`. The tools live in a virtualenv that `.ci/run` creates; a missing
//! tool is a failure, never a skip.

use crate::{run, stdout, wangjian};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The directory holding `wacz`, `warcio`, `cdxj-indexer`, `wb-manager`, `wayback`,
/// `schemathesis`, `python` (with `openpyxl`):
/// `WANGJIAN_PYTOOLS` if set, else the repository's `.venv-ci/bin`, which is created from
/// `tests/python-tools.txt` (PyPI) the first time it is needed, so that `cargo test` alone sets
/// up a fresh machine. A tool that cannot be had fails the test; it never skips it.
pub(crate) fn pytools() -> PathBuf {
    static SETUP: std::sync::Mutex<()> = std::sync::Mutex::new(());
    const TOOLS: [&str; 7] = [
        "wacz",
        "warcio",
        "cdxj-indexer",
        "wb-manager",
        "wayback",
        "schemathesis",
        "python",
    ];
    let _guard = SETUP.lock().unwrap_or_else(|e| e.into_inner());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = match std::env::var_os("WANGJIAN_PYTOOLS") {
        Some(d) => PathBuf::from(d),
        None => {
            let venv = root.join(".venv-ci");
            let bin = venv.join("bin");
            let has_modules = || {
                Command::new(bin.join("python"))
                    .args(["-c", "import openpyxl, schemathesis"])
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if !TOOLS.iter().all(|t| bin.join(t).is_file()) || !has_modules() {
                let ok = Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(&venv)
                    .status()
                    .is_ok_and(|s| s.success())
                    && Command::new(bin.join("pip"))
                        .args(["install", "-q", "--disable-pip-version-check", "-r"])
                        .arg(root.join("tests/python-tools.txt"))
                        .status()
                        .is_ok_and(|s| s.success());
                assert!(
                    ok,
                    "cannot install tests/python-tools.txt into {}",
                    venv.display()
                );
            }
            bin
        }
    };
    for tool in TOOLS {
        assert!(
            dir.join(tool).is_file(),
            "{tool} not found in {}: unset WANGJIAN_PYTOOLS to let the tests install \
             tests/python-tools.txt into .venv-ci, or point it at a directory holding these tools",
            dir.display()
        );
    }
    dir
}

/// Run a tool; panic with its output unless it exits 0. Returns stdout + stderr.
fn tool(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// Two demo sweeps of the same world (the second stores unchanged pages as revisits of the
/// first's responses) and the export of the second. Each demo ends with an evidence capture,
/// a sweep of its own: the crawls are sweeps 1 and 3.
fn demo_with_export(dir: &Path) -> (PathBuf, String) {
    for capture in ["(sweep 2)", "(sweep 4)"] {
        let out = run(wangjian(dir).args(["demo", "--sites", "6", "--no-serve"]));
        assert!(out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("demo: evidence capture of http://"), "{err}");
        assert!(err.contains(capture), "{err}");
    }
    let wacz = dir.join("sweep-3.wacz");
    let out = run(wangjian(dir)
        .args(["evidence", "export", "--sweep", "3", "-o"])
        .arg(&wacz));
    assert!(out.status.success());
    (wacz, stdout(&out))
}

/// GET over loopback with HTTP/1.0; returns status and body.
fn http_get(port: u16, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n").unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let msg = http_msg::Message::parse(&resp);
    let status = msg.head.status().expect("an HTTP response");
    (status, content(&msg))
}

/// A message's content: its payload with the content-coding it was sent in removed (pywb may
/// replay a gzip-encoded capture decoded or not; the content is what must not change).
fn content(msg: &http_msg::Message<'_>) -> Vec<u8> {
    http_msg::decode_content(&msg.payload(), msg.head.content_encoding(), usize::MAX)
        .expect("a known content-coding")
        .bytes
}

/// pywb's `wayback`, stopped (by its own process id) when dropped.
struct Wayback(Child);

impl Drop for Wayback {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_wayback(tools: &Path, root: &Path) -> (Wayback, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(root.join("wayback.log")).unwrap();
    let child = Command::new(tools.join("wayback"))
        .args(["-b", "127.0.0.1", "-p", &port.to_string()])
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("wayback starts");
    let server = Wayback(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "wayback did not listen on {port}: {}",
            std::fs::read_to_string(root.join("wayback.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    (server, port)
}

const CHECK_SIGNATURE: &str = r#"
import base64, hashlib, json, sys, zipfile
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
z = zipfile.ZipFile(sys.argv[1])
digest = json.loads(z.read("datapackage-digest.json"))
package = json.loads(z.read("datapackage.json"))
assert digest["hash"] == "sha256:" + hashlib.sha256(z.read("datapackage.json")).hexdigest()
signed = digest["signedData"]
assert signed["hash"] == digest["hash"] and signed["created"] == package["created"]
key = serialization.load_der_public_key(base64.b64decode(signed["publicKey"]))
assert isinstance(key.curve, ec.SECP384R1), key.curve
raw = base64.b64decode(signed["signature"])
assert len(raw) == 96, len(raw)
der = encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
key.verify(der, signed["hash"].encode("ascii"), ec.ECDSA(hashes.SHA256()))
for info in z.infolist():
    # Every entry stored, so that every byte of its data is covered by a hash.
    assert info.compress_type == zipfile.ZIP_STORED, (info.filename, info.compress_type)
print("signature ok:", signed["hash"])
"#;

#[test]
fn export_of_a_demo_sweep_passes_third_party_validators_and_replays_in_pywb() {
    let tools = pytools();
    let dir = tempfile::tempdir().unwrap();
    let (wacz, summary) = demo_with_export(dir.path());
    assert!(summary.starts_with("export: sweep 3: "), "{summary}");

    // py-wacz: structure, frictionless data package, file hashes, datapackage digest.
    let out = tool(
        Command::new(tools.join("wacz"))
            .args(["validate", "-f"])
            .arg(&wacz),
    );
    assert!(out.contains("Validation succeeded"), "{out}");
    // The anonymous signature (py-wacz's --verify-auth only knows domain certificates).
    let out = tool(
        Command::new(tools.join("python"))
            .args(["-c", CHECK_SIGNATURE])
            .arg(&wacz),
    );
    assert!(out.contains("signature ok"), "{out}");

    // Unpack with Python's zipfile; warcio checks every digest of the package's WARC and of
    // the sweep's own files.
    let unpacked = dir.path().join("unpacked");
    tool(
        Command::new(tools.join("python"))
            .args(["-m", "zipfile", "-e"])
            .arg(&wacz)
            .arg(&unpacked),
    );
    let data_warc = unpacked.join("archive/data.warc.gz");
    let out = tool(
        Command::new(tools.join("warcio"))
            .args(["check", "-v"])
            .arg(&data_warc),
    );
    assert!(out.contains("digest pass"), "{out}");
    assert!(!out.contains("digest failed"), "{out}");
    let sweep_warcs = evidence::warc_files(&dir.path().join("warc")).unwrap();
    assert!(!sweep_warcs.is_empty());
    tool(
        Command::new(tools.join("warcio"))
            .arg("check")
            .args(&sweep_warcs),
    );

    // Our CDXJ is exactly what pywb's indexer makes of the package's WARC.
    let ours = tool(
        Command::new(tools.join("python"))
            .args([
                "-c",
                "import gzip, sys; sys.stdout.write(gzip.open(sys.argv[1]).read().decode())",
            ])
            .arg(unpacked.join("indexes/index.cdx.gz")),
    );
    let theirs = tool(
        Command::new(tools.join("cdxj-indexer"))
            .arg("--sort")
            .arg(&data_warc),
    );
    assert_eq!(
        ours, theirs,
        "index.cdx.gz differs from cdxj-indexer --sort"
    );
    let entries: Vec<evidence::cdxj::CdxjEntry> = ours
        .lines()
        .map(|l| evidence::cdxj::CdxjEntry::parse(l).unwrap())
        .collect();
    // Captures of one URL within one second (a page fetched as a browser and as a crawler, a
    // homepage and its screenshot) are one timestamp to pywb, which then serves whichever its
    // index lists first: the pages checked here are each the only capture of their URL in
    // their second.
    let alone = |e: &evidence::cdxj::CdxjEntry| {
        entries
            .iter()
            .filter(|o| o.url == e.url && o.timestamp == e.timestamp)
            .count()
            == 1
    };
    let first = entries
        .iter()
        .find(|e| e.mime == "text/html" && alone(e))
        .expect("an HTML page captured once in its second");

    // pywb: the package added as pywb adds WACZ files, and the WARC with our own index.
    let root = dir.path().join("pywb");
    std::fs::create_dir_all(&root).unwrap();
    let manager = || {
        let mut c = Command::new(tools.join("wb-manager"));
        c.current_dir(&root);
        c
    };
    tool(manager().args(["init", "fromwacz"]));
    tool(
        manager()
            .args(["add", "--unpack-wacz", "fromwacz"])
            .arg(&wacz),
    );
    tool(manager().args(["init", "ourindex"]));
    let coll = root.join("collections/ourindex");
    std::fs::copy(&data_warc, coll.join("archive/data.warc.gz")).unwrap();
    std::fs::write(coll.join("indexes/index.cdxj"), &ours).unwrap();

    // The original body of that page, from the sweep's own evidence.
    let original = {
        let rec = evidence::read_record_at(&data_warc, first.offset).unwrap();
        content(&http_msg::Message::parse(&rec.block))
    };
    let (_server, port) = start_wayback(&tools, &root);
    for coll in ["fromwacz", "ourindex"] {
        let path = format!("/{coll}/{}id_/{}", first.timestamp, first.url);
        let (status, body) = http_get(port, &path);
        assert_eq!(status, 200, "{path}");
        assert!(
            body == original,
            "{path}: the replayed body differs from the capture"
        );
    }
    // A revisit of the second sweep replays as its original's body: the original came along
    // from the first sweep's file, and pywb follows the revisit by URL and payload digest.
    let revisit = entries
        .iter()
        .find(|e| e.mime == "warc/revisit" && alone(e))
        .expect("the second sweep stored unchanged pages as revisits");
    let original = entries
        .iter()
        .find(|e| e.mime == "text/html" && e.url == revisit.url && e.digest == revisit.digest)
        .expect("the revisit's original is in the package");
    assert!(original.timestamp <= revisit.timestamp);
    let original_body = {
        let rec = evidence::read_record_at(&data_warc, original.offset).unwrap();
        content(&http_msg::Message::parse(&rec.block))
    };
    for coll in ["fromwacz", "ourindex"] {
        let path = format!("/{coll}/{}id_/{}", revisit.timestamp, revisit.url);
        let (status, body) = http_get(port, &path);
        assert_eq!(status, 200, "{path}");
        assert!(
            body == original_body,
            "{path}: the revisit does not replay as its original"
        );
    }
    let (status, _) = http_get(port, "/ourindex/20000101000000id_/http://nowhere.test/");
    assert_eq!(status, 404, "pywb answers what it does not hold with 404");
}

#[test]
fn export_by_site_and_bad_selections() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(wangjian(dir.path()).args(["demo", "--sites", "6", "--no-serve"]));
    assert!(out.status.success());
    let out = run(wangjian(dir.path()).args(["sites", "--format", "json"]));
    let sites: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let address = |kind: &str| {
        let s = sites.iter().find(|s| s["kind"] == kind).unwrap();
        format!(
            "{}{}",
            s["host"].as_str().unwrap(),
            s["path_prefix"].as_str().unwrap()
        )
    };
    // A whole host, and a shop on a platform (host and path prefix).
    for site in [address("platform"), address("platform_shop")] {
        let wacz = dir.path().join("site.wacz");
        let out = run(wangjian(dir.path())
            .args(["evidence", "export", "--site", &site, "-o"])
            .arg(&wacz));
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(text.contains(&format!("export: site {site}: ")), "{text}");
        assert!(wacz.is_file());
    }
    let host = address("platform");
    let key = dir
        .path()
        .join("keys")
        .join(evidence::wacz::SIGNING_KEY_FILE);
    let key_bytes = std::fs::read(&key).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A second export reuses the key.
    let out = run(wangjian(dir.path())
        .args(["evidence", "export", "--sweep", "1", "-o"])
        .arg(dir.path().join("sweep.wacz")));
    assert!(out.status.success());
    assert_eq!(std::fs::read(&key).unwrap(), key_bytes);

    // The package verifies offline: hashes, signature, digests, log proofs; with the bureau's
    // key given, or with the one the package carries (said so); not with another key.
    let sweep_wacz = dir.path().join("sweep.wacz");
    let log_key = stdout(&run(wangjian(dir.path()).args(["log", "key"])))
        .trim()
        .to_string();
    let out = run(wangjian(dir.path())
        .args(["evidence", "verify", "--key", &log_key])
        .arg(&sweep_wacz));
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("key   log key given with --key"), "{text}");
    assert!(text.contains("ok    checkpoint: "), "{text}");
    assert!(text.contains("ok    archive/data.warc.gz: "), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
    let out = run(wangjian(dir.path())
        .args(["evidence", "verify"])
        .arg(&sweep_wacz));
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("log key carried by the package"), "{text}");
    let other = "other-log+01234567+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let out = wangjian(dir.path())
        .args(["evidence", "verify", "--key", other])
        .arg(&sweep_wacz)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("FAIL  checkpoint: "), "{text}");

    let fails = |args: &[&str]| -> Output {
        let out = wangjian(dir.path()).args(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} should fail");
        out
    };
    let err = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let o = fails(&["evidence", "export", "--sweep", "99", "-o", "x.wacz"]);
    assert!(err(&o).contains("no sweep 99"), "{}", err(&o));
    let o = fails(&[
        "evidence",
        "export",
        "--site",
        "nowhere.test",
        "-o",
        "x.wacz",
    ]);
    assert!(
        err(&o).contains("no registered site nowhere.test"),
        "{}",
        err(&o)
    );
    fails(&["evidence", "export", "-o", "x.wacz"]);
    fails(&[
        "evidence", "export", "--site", &host, "--sweep", "1", "-o", "x.wacz",
    ]);
}
