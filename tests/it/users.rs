//! `wangjian user …`: adding, listing, disabling, passwords, roles and API tokens from the
//! command line, each change audited; bad input is one clear error and changes nothing.

use crate::{run, stdout, wangjian};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn with_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn users_json(dir: &Path) -> Vec<serde_json::Value> {
    let out = run(wangjian(dir).args(["user", "list", "--format", "json"]));
    assert!(out.status.success());
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn users_are_added_listed_changed_and_refused_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run(wangjian(d).args(["user", "list"]));
    assert_eq!(stdout(&out).trim(), "no users");

    let out = with_stdin(
        wangjian(d).args(["user", "add", "chief", "--admin", "--password-stdin"]),
        "a long enough password\n",
    );
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("user chief added (admin, city)"));
    assert!(
        !stdout(&out).contains("password:"),
        "a given password is not echoed"
    );

    // A generated password is printed once.
    let out = run(wangjian(d).args([
        "user",
        "add",
        "li",
        "--role",
        "inspector",
        "--district",
        "450102",
        "--district",
        "450103",
        "--name",
        "李明",
    ]));
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("user li added (inspector, 450102,450103)"),
        "{text}"
    );
    let pw = text
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap();
    assert_eq!(pw.len(), 16);

    // Refusals: a taken name, an inspector without a district, an unknown district, a short
    // password. Nothing is added.
    for (args, stdin, why) in [
        (vec!["user", "add", "li", "--role", "auditor"], "", "taken"),
        (
            vec!["user", "add", "wang", "--role", "inspector"],
            "",
            "district",
        ),
        (
            vec![
                "user",
                "add",
                "wang",
                "--role",
                "inspector",
                "--district",
                "110101",
            ],
            "",
            "not a district of this deployment",
        ),
        (
            vec![
                "user",
                "add",
                "wang",
                "--role",
                "auditor",
                "--password-stdin",
            ],
            "short\n",
            "at least 10 characters",
        ),
    ] {
        let out = with_stdin(wangjian(d).args(&args), stdin);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{args:?}: {err}");
    }
    assert_eq!(users_json(d).len(), 2);

    let out = run(wangjian(d).args(["user", "list"]));
    let text = stdout(&out);
    assert!(
        text.starts_with("ID\tUSERNAME\tNAME\tROLE\tSCOPE\tSTATE\n"),
        "{text}"
    );
    assert!(text.contains("li\t李明\tinspector\t450102,450103\tactive"));

    assert!(
        run(wangjian(d).args(["user", "role", "li", "--role", "supervisor"]))
            .status
            .success()
    );
    assert!(run(wangjian(d).args(["user", "disable", "li"]))
        .status
        .success());
    let li = users_json(d)
        .into_iter()
        .find(|u| u["username"] == "li")
        .unwrap();
    assert_eq!(li["role"], "supervisor");
    assert_eq!(li["disabled"], true);
    assert_eq!(li["districts"], serde_json::json!([]));
    let out = run(wangjian(d).args(["user", "passwd", "li"]));
    assert!(stdout(&out).contains("password: "));
    let out = run(wangjian(d).args(["user", "token", "chief", "--name", "报表"]));
    assert!(stdout(&out).contains(": wj_"), "{}", stdout(&out));
    let out = run(wangjian(d).args(["user", "disable", "nobody"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user \"nobody\""));
}
