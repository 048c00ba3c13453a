//! `wangjian.toml`: written with every default on first use and by `config init`; `config
//! show` names where each value came from (default, file, environment, flag); an unknown key
//! or a bad value is one clear error and changes nothing.

use crate::{run, stdout, wangjian};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// `wangjian` with none of the configuration's environment variables set.
fn clean(data: &std::path::Path) -> Command {
    let mut cmd = wangjian(data);
    for (k, _) in std::env::vars() {
        if k.starts_with("WANGJIAN_") && k != "WANGJIAN_PYTOOLS" && k != "WANGJIAN_CHROMIUM" {
            cmd.env_remove(k);
        }
    }
    cmd
}

fn line_of<'a>(shown: &'a str, key: &str) -> &'a str {
    shown
        .lines()
        .find(|l| l.starts_with(&format!("{key} ")))
        .unwrap_or_else(|| panic!("{key} in\n{shown}"))
}

#[test]
fn config_show_names_the_source_of_every_value() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");

    // Nothing written yet: every value is a default, the polite delay among them.
    let out = run(clean(&data).args(["config", "show"]));
    assert!(out.status.success());
    let shown = stdout(&out);
    assert!(shown.contains("(not written yet)"), "{shown}");
    assert!(
        line_of(&shown, "crawl.delay_ms").contains("= 1000"),
        "{shown}"
    );
    assert!(
        line_of(&shown, "crawl.delay_ms").ends_with("# default"),
        "{shown}"
    );
    assert!(!data.exists(), "config show writes nothing");

    // config init writes the commented defaults, and leaves an existing file alone.
    let out = run(clean(&data).args(["config", "init"]));
    assert!(out.status.success());
    let file = data.join("wangjian.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    for key in [
        "database",
        "listen",
        "tsa_url",
        "contact_url",
        "user_agent",
        "delay_ms",
        "concurrency",
        "tls_cert",
        "tls_key",
        "trusted_proxy",
        "hosts",
        "header_timeout_secs",
        "request_timeout_secs",
        "max_connections",
    ] {
        assert!(text.contains(&format!("# {key} = ")), "{key} in\n{text}");
    }
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:9090\"\n[crawl]\ndelay_ms = 250\nconcurrency = 4\n\
         contact_url = \"https://scjg.nanning.example/wangjian\"\n",
    )
    .unwrap();
    let out = run(clean(&data).args(["config", "init"]));
    assert!(stdout(&out).contains("left as it is"));

    let out = run(clean(&data)
        .env("WANGJIAN_CRAWL_CONCURRENCY", "2")
        .env("WANGJIAN_TSA_URL", "http://tsa.example/")
        .args(["--database", "postgres://127.0.0.1/test", "config", "show"]));
    assert!(out.status.success());
    let shown = stdout(&out);
    let from_file = format!("# file {}", file.display());
    assert!(
        line_of(&shown, "listen").contains("127.0.0.1:9090"),
        "{shown}"
    );
    assert!(line_of(&shown, "listen").ends_with(&from_file), "{shown}");
    assert!(line_of(&shown, "crawl.delay_ms").ends_with(&from_file));
    assert!(line_of(&shown, "crawl.concurrency").contains("= 2 "));
    assert!(line_of(&shown, "crawl.concurrency").ends_with("# env WANGJIAN_CRAWL_CONCURRENCY"));
    assert!(line_of(&shown, "tsa_url").ends_with("# env WANGJIAN_TSA_URL"));
    assert!(line_of(&shown, "database").contains("postgres://127.0.0.1/test"));
    assert!(line_of(&shown, "database").ends_with("# flag --database"));
    assert!(line_of(&shown, "crawl.max_pages").ends_with("# default"));
    assert!(
        shown.contains("; +https://scjg.nanning.example/wangjian)"),
        "the User-Agent names the contact page: {shown}"
    );

    // The environment names the database too; a flag beats it.
    let out = run(clean(&data)
        .env("WANGJIAN_DATABASE", "sqlite:///nowhere/else.db")
        .args(["config", "show"]));
    assert!(line_of(&stdout(&out), "database").ends_with("# env WANGJIAN_DATABASE"));
}

#[test]
fn first_use_writes_the_default_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(clean(dir.path()).args(["sites"]));
    assert!(out.status.success());
    let text = std::fs::read_to_string(dir.path().join("wangjian.toml")).unwrap();
    assert!(text.contains("# delay_ms = 1000"), "{text}");
    // The file as written loads (every key in it is known) and changes nothing.
    let out = run(clean(dir.path()).args(["config", "show"]));
    assert!(out.status.success());
    assert!(!stdout(&out).contains("# file "), "{}", stdout(&out));
}

#[test]
fn an_unknown_key_or_bad_value_is_one_clear_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wangjian.toml");
    std::fs::write(&file, "[crawl]\ndelay = 5\n").unwrap();
    let csv = dir.path().join("register.csv");
    std::fs::write(
        &csv,
        "uscc,name,kind,district,domains\n\
         91110000600037341L,南宁绿源茶业有限公司,trading_site,450103,www.lvyuan.test\n",
    )
    .unwrap();
    let out = clean(dir.path())
        .args(["import", "entities"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown field `delay`"), "{err}");
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert!(!dir.path().join("wangjian.db").exists(), "nothing changed");

    std::fs::write(&file, "").unwrap();
    for (var, value) in [
        ("WANGJIAN_CRAWL_DELAY_MS", "soon"),
        ("WANGJIAN_LISTEN", "everywhere"),
    ] {
        let out = clean(dir.path())
            .env(var, value)
            .args(["sites"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(var), "{err}");
    }
    let out = clean(dir.path())
        .args(["--database", "mysql://127.0.0.1/test", "sites"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mysql") && err.contains("--database"), "{err}");
    assert!(!dir.path().join("wangjian.db").exists(), "nothing changed");
}

/// Runs `cmd` (a `serve`), waits for its address line, stops it; returns the line and stderr.
fn serve_started(cmd: &mut Command) -> (String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    (line, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Runs `cmd` (a `serve` that must not start); returns stderr.
fn serve_refused(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn serving_beyond_loopback_needs_tls_or_a_trusted_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    // Plain HTTP beyond loopback: refused before anything listens, in one Chinese line that
    // names the settings.
    for addr in ["0.0.0.0:0", "192.168.1.10:8080"] {
        let err = serve_refused(clean(data).args(["serve", "--addr", addr]));
        assert_eq!(err.lines().count(), 1, "{err}");
        for needle in [
            "非回环地址",
            "[console]",
            "tls_cert",
            "tls_key",
            "--tls-cert",
            "trusted_proxy",
            addr,
        ] {
            assert!(err.contains(needle), "{needle} in {err}");
        }
    }
    // On loopback it serves, without a word on stderr.
    let (line, err) = serve_started(clean(data).args(["serve", "--addr", "127.0.0.1:0"]));
    assert!(line.starts_with("console: http://127.0.0.1:"), "{line}");
    assert!(!err.contains("error"), "{err}");

    // With TLS it serves beyond loopback, over https.
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    std::fs::write(data.join("console.crt"), generated.cert.pem()).unwrap();
    std::fs::write(
        data.join("console.key"),
        generated.signing_key.serialize_pem(),
    )
    .unwrap();
    let (line, _) = serve_started(
        clean(data)
            .args(["serve", "--addr", "0.0.0.0:0", "--tls-cert"])
            .arg(data.join("console.crt"))
            .arg("--tls-key")
            .arg(data.join("console.key")),
    );
    assert!(line.starts_with("console: https://0.0.0.0:"), "{line}");
    // The same from the file, whose relative paths are read from the data directory.
    let file = data.join("wangjian.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:0\"\n[console]\ntls_cert = \"console.crt\"\ntls_key = \"console.key\"\n",
    )
    .unwrap();
    let (line, _) = serve_started(clean(data).args(["serve"]));
    assert!(line.starts_with("console: https://127.0.0.1:"), "{line}");
    // A certificate without its key, or a key that is not one, is refused by name.
    std::fs::write(&file, "[console]\ntls_cert = \"console.crt\"\n").unwrap();
    let err = serve_refused(clean(data).args(["serve"]));
    assert!(
        err.contains("tls_key") && err.contains("未配置私钥"),
        "{err}"
    );
    std::fs::write(
        &file,
        "[console]\ntls_cert = \"console.crt\"\ntls_key = \"console.crt\"\n",
    )
    .unwrap();
    let err = serve_refused(clean(data).args(["serve"]));
    assert!(err.contains("没有可用的 PEM 私钥"), "{err}");

    // Behind a trusted proxy that terminates TLS, plain HTTP beyond loopback is allowed.
    std::fs::write(&file, "[console]\ntrusted_proxy = \"127.0.0.1\"\n").unwrap();
    let (line, _) = serve_started(clean(data).args(["serve", "--addr", "0.0.0.0:0"]));
    assert!(line.starts_with("console: http://0.0.0.0:"), "{line}");
}
