//! Evidence kept in a real S3-compatible object store (s3s-fs, started by the test): `serve`
//! uploads the finished WARC files of a demo sweep by itself, `evidence upload` sends them
//! once, `evidence objects` lists them, `evidence verify --objects` reads each back and checks
//! it against the data directory's transparency log, an export reads the files back from it
//! once the evidence directory is empty, and `verify --objects` finds an object altered in the
//! store.

use std::path::Path;

use objects::testing::S3Server;

use crate::{run, stdout, wangjian};

/// `[objects]` for `server` under `prefix` after the demo's own settings (`base`),
/// credentials from the environment.
fn configure(data: &Path, base: &str, server: &S3Server, prefix: &str, every: u64) {
    let text = format!(
        "[objects]\nendpoint = \"{}\"\nbucket = \"{}\"\nprefix = \"{prefix}\"\n\
         upload_every_secs = {every}\n",
        server.endpoint(),
        objects::testing::BUCKET
    );
    std::fs::write(data.join("wangjian.toml"), format!("{base}\n{text}")).unwrap();
}

fn with_keys<'a>(
    cmd: &'a mut std::process::Command,
    server: &S3Server,
) -> &'a mut std::process::Command {
    let (key, secret) = server.credentials();
    cmd.env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
}

#[test]
fn evidence_goes_to_the_object_store_once_and_verifies_from_it() {
    let server = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    assert!(
        run(wangjian(data).args(["demo", "--sites", "3", "--no-serve"]))
            .status
            .success()
    );
    let base = std::fs::read_to_string(data.join("wangjian.toml")).unwrap_or_default();
    let local = evidence::warc_files(&data.join("warc")).unwrap();
    assert!(!local.is_empty());

    // `serve` uploads the finished files by itself, every `upload_every_secs`.
    configure(data, &base, &server, "served/warc", 1);
    {
        let (key, secret) = server.credentials();
        let stderr = data.join("serve.stderr");
        let _console = crate::ops::serve(
            data,
            &[
                ("AWS_ACCESS_KEY_ID", key),
                ("AWS_SECRET_ACCESS_KEY", secret),
            ],
            &stderr,
        );
        let stored = |f: &std::path::PathBuf| {
            let name = f.file_name().unwrap().to_str().unwrap();
            server
                .object_file(&format!("served/warc/{name}"))
                .metadata()
                .is_ok_and(|m| m.len() == f.metadata().unwrap().len())
        };
        let mut waited = 0;
        while !local.iter().all(stored) {
            assert!(
                waited < 600,
                "serve did not upload: {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
            waited += 1;
        }
    }
    configure(data, &base, &server, "city/warc", 0);

    // No keys: refused, saying which.
    let keyless = run(wangjian(data)
        .args(["evidence", "upload"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY"));
    assert!(!keyless.status.success());
    assert!(
        String::from_utf8_lossy(&keyless.stderr).contains("AWS_ACCESS_KEY_ID"),
        "{keyless:?}"
    );

    let up = run(with_keys(
        wangjian(data).args(["evidence", "upload", "--format", "json"]),
        &server,
    ));
    assert!(up.status.success(), "{}", stdout(&up));
    let outcomes: Vec<serde_json::Value> = stdout(&up)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(outcomes.len(), local.len(), "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| o["outcome"] == "uploaded"),
        "the demo's sweep and captures are finished: {outcomes:?}"
    );
    for file in &local {
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(
            std::fs::read(server.object_file(&format!("city/warc/{name}"))).unwrap()
                == std::fs::read(file).unwrap(),
            "{name} stored byte for byte"
        );
    }
    let again = run(with_keys(
        wangjian(data).args(["evidence", "upload"]),
        &server,
    ));
    assert!(again.status.success());
    assert!(
        stdout(&again).contains(&format!(
            "{} files to s3://evidence/city/warc, 0 uploaded, 0 failed",
            local.len()
        )),
        "{}",
        stdout(&again)
    );

    let listed = run(with_keys(
        wangjian(data).args(["evidence", "objects", "--format", "json"]),
        &server,
    ));
    assert!(listed.status.success());
    let listed: Vec<serde_json::Value> = stdout(&listed)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len(), local.len());
    assert!(listed.iter().all(|o| o["local"] == true));

    let verified = run(with_keys(
        wangjian(data).args(["evidence", "verify", "--objects"]),
        &server,
    ));
    let said = stdout(&verified);
    assert!(verified.status.success(), "{said}");
    assert_eq!(
        said.lines()
            .filter(|l| l.starts_with("ok    s3://evidence/city/warc/") && l.contains("in the log)"))
            .count(),
        local.len(),
        "{said}"
    );

    // The evidence directory emptied: an export reads the files back from the store, and
    // the package verifies.
    let kept = data.join("kept-warc");
    std::fs::rename(data.join("warc"), &kept).unwrap();
    std::fs::create_dir(data.join("warc")).unwrap();
    let package = data.join("sweep1.wacz");
    let exported = run(with_keys(
        wangjian(data)
            .args(["evidence", "export", "--sweep", "1", "-o"])
            .arg(&package),
        &server,
    ));
    assert!(exported.status.success(), "{exported:?}");
    let checked = run(wangjian(data).args(["evidence", "verify"]).arg(&package));
    assert!(checked.status.success(), "{}", stdout(&checked));
    assert!(
        std::fs::read_dir(data).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".export-objects-")),
        "the scratch copies are gone"
    );
    std::fs::remove_dir(data.join("warc")).unwrap();
    std::fs::rename(&kept, data.join("warc")).unwrap();

    // One byte of an object changed in the store: its verification fails at the record.
    let name = local[0].file_name().unwrap().to_str().unwrap().to_string();
    let stored = server.object_file(&format!("city/warc/{name}"));
    let mut bytes = std::fs::read(&stored).unwrap();
    let last = bytes.len() - 40;
    bytes[last] ^= 0x20;
    std::fs::write(&stored, &bytes).unwrap();
    let altered = run(with_keys(
        wangjian(data).args(["evidence", "verify", "--objects"]),
        &server,
    ));
    let said = stdout(&altered);
    assert!(!altered.status.success(), "{said}");
    assert!(
        said.contains(&format!("FAIL  s3://evidence/city/warc/{name}")),
        "{said}"
    );
    assert!(said.contains(", 1 failed"), "{said}");
}
