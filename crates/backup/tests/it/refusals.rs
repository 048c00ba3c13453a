//! What a backup or a restore refuses, and that a refusal leaves nothing behind: a destination
//! that exists or lies in the data directory; a target that is not empty; a file changed,
//! missing or added; a schema newer than the build; a path that leaves the target.

use crate::Fixture;
use backup::{BackupError, Mismatch, RestoreError};
use std::path::Path;

async fn take(f: &Fixture, name: &str) -> std::path::PathBuf {
    let dest = f.dir.path().join(name);
    backup::backup(
        f.store.as_ref(),
        &f.source(),
        &dest,
        &Fixture::by(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    dest
}

/// Nothing named like the target, and no staging directory, beside it.
fn nothing_left(target: &Path) {
    assert!(!target.exists(), "{} was created", target.display());
    let name = target.file_name().unwrap().to_str().unwrap();
    for entry in std::fs::read_dir(target.parent().unwrap()).unwrap() {
        let other = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            !other.contains(&format!("{name}.restoring")),
            "{other} left behind"
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_never_overwrites_or_lands_in_the_data_directory() {
    let f = Fixture::new().await;
    let backup_to = |dest: std::path::PathBuf| {
        let f = &f;
        async move {
            backup::backup(
                f.store.as_ref(),
                &f.source(),
                &dest,
                &Fixture::by(),
                chrono::Utc::now(),
            )
            .await
            .unwrap_err()
        }
    };
    let full = f.dir.path().join("full");
    std::fs::create_dir_all(&full).unwrap();
    std::fs::write(full.join("keep"), b"mine").unwrap();
    let e = backup_to(full.clone()).await;
    assert!(matches!(e, BackupError::DestinationNotEmpty(_)), "{e}");
    assert_eq!(e.code(), "destination-not-empty");
    assert_eq!(std::fs::read(full.join("keep")).unwrap(), b"mine");

    let file = f.dir.path().join("old.tar");
    std::fs::write(&file, b"an older backup").unwrap();
    let e = backup_to(file.clone()).await;
    assert_eq!(e.code(), "destination-exists", "{e}");
    assert_eq!(std::fs::read(&file).unwrap(), b"an older backup");

    let e = backup_to(f.root().join("backups").join("b.tar")).await;
    assert_eq!(e.code(), "destination-inside-data", "{e}");
    assert!(!f.root().join("backups").exists());
    // None of them was recorded as a backup.
    assert!(f.store.last_backup().await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_refuses_a_target_that_is_not_empty() {
    let f = Fixture::new().await;
    let dest = take(&f, "b").await;
    let target = f.dir.path().join("busy");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("wangjian.toml"), b"mine").unwrap();
    let e = backup::restore(&dest, &target).unwrap_err();
    assert!(matches!(e, RestoreError::TargetNotEmpty(_)), "{e}");
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 1);
    assert_eq!(
        std::fs::read(target.join("wangjian.toml")).unwrap(),
        b"mine"
    );
    // The data directory itself is never a restore's target.
    let e = backup::restore(&dest, &f.root()).unwrap_err();
    assert_eq!(e.code(), "target-not-empty");
    // An empty directory is fresh.
    let empty = f.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    backup::restore(&dest, &empty).unwrap();
    assert!(empty.join("wangjian.db").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_missing_or_added_file_is_refused_and_nothing_is_written() {
    let f = Fixture::new().await;
    let dest = take(&f, "b").await;
    let warc = evidence::warc_files(&dest.join("warc")).unwrap()[0].clone();
    let rel_warc = format!("warc/{}", warc.file_name().unwrap().to_str().unwrap());

    // One byte of evidence changed.
    let changed = f.dir.path().join("changed");
    copy_dir(&dest, &changed);
    let path = changed.join(&rel_warc);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 10;
    bytes[last] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let target = f.dir.path().join("t1");
    let e = backup::restore(&changed, &target).unwrap_err();
    match &e {
        RestoreError::Mismatch { path, problem } => {
            assert_eq!(path, &rel_warc);
            assert_eq!(problem, &Mismatch::Digest);
        }
        other => panic!("{other}"),
    }
    assert_eq!(e.code(), "manifest-mismatch");
    nothing_left(&target);

    // A file cut short.
    let short = f.dir.path().join("short");
    copy_dir(&dest, &short);
    let path = short.join("wangjian.toml");
    std::fs::write(&path, b"# the").unwrap();
    let e = backup::restore(&short, &f.dir.path().join("t2")).unwrap_err();
    assert!(
        matches!(
            &e,
            RestoreError::Mismatch {
                problem: Mismatch::Size { .. },
                ..
            }
        ),
        "{e}"
    );
    nothing_left(&f.dir.path().join("t2"));

    // A file missing.
    let missing = f.dir.path().join("missing");
    copy_dir(&dest, &missing);
    std::fs::remove_file(
        missing
            .join("keys")
            .join(format!("{}.key", crate::KEY_NAME)),
    )
    .unwrap();
    let e = backup::restore(&missing, &f.dir.path().join("t3")).unwrap_err();
    match &e {
        RestoreError::Mismatch { path, problem } => {
            assert_eq!(path, &format!("keys/{}.key", crate::KEY_NAME));
            assert_eq!(problem, &Mismatch::Missing);
        }
        other => panic!("{other}"),
    }
    nothing_left(&f.dir.path().join("t3"));

    // A file added.
    let added = f.dir.path().join("added");
    copy_dir(&dest, &added);
    std::fs::write(added.join("keys").join("extra.key"), b"slipped in").unwrap();
    let e = backup::restore(&added, &f.dir.path().join("t4")).unwrap_err();
    assert!(
        matches!(
            &e,
            RestoreError::Mismatch {
                problem: Mismatch::NotListed,
                ..
            }
        ),
        "{e}"
    );
    nothing_left(&f.dir.path().join("t4"));

    // No manifest at all (a backup that failed half-way).
    let none = f.dir.path().join("none");
    copy_dir(&dest, &none);
    std::fs::remove_file(none.join(backup::MANIFEST)).unwrap();
    let e = backup::restore(&none, &f.dir.path().join("t5")).unwrap_err();
    assert_eq!(e.code(), "not-a-backup", "{e}");
    nothing_left(&f.dir.path().join("t5"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_newer_schema_is_refused() {
    let f = Fixture::new().await;
    let dest = take(&f, "b").await;
    let path = dest.join(backup::MANIFEST);
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    manifest["schema"] = 9999.into();
    std::fs::write(&path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let target = f.dir.path().join("t");
    let e = backup::restore(&dest, &target).unwrap_err();
    match &e {
        RestoreError::NewerSchema { backup, known, .. } => {
            assert_eq!(*backup, 9999);
            assert!(*known < 9999);
        }
        other => panic!("{other}"),
    }
    assert_eq!(e.code(), "newer-schema");
    nothing_left(&target);

    manifest["format"] = "wangjian-backup/99".into();
    std::fs::write(&path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let e = backup::restore(&dest, &target).unwrap_err();
    assert_eq!(e.code(), "unknown-format", "{e}");
    nothing_left(&target);
}

/// A tar file whose entry climbs out of the target (`../`) or is a link is refused before
/// anything of it is written outside the staging directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_out_of_the_target_is_refused() {
    let f = Fixture::new().await;
    let dest = take(&f, "b").await;
    let manifest: backup::Manifest =
        serde_json::from_slice(&std::fs::read(dest.join(backup::MANIFEST)).unwrap()).unwrap();
    for (name, kind) in [
        ("../escaped", tar::EntryType::Regular),
        ("link", tar::EntryType::Symlink),
    ] {
        let mut evil = manifest.clone();
        evil.files.push(backup::FileEntry {
            path: name.to_string(),
            size: 3,
            sha256: "00".repeat(32),
            mode: 0o644,
        });
        let tar_path = f.dir.path().join("evil.tar");
        let _ = std::fs::remove_file(&tar_path);
        let mut builder = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
        let mut header = tar::Header::new_ustar();
        header.set_size(3);
        header.set_mode(0o644);
        header.set_entry_type(kind);
        // Written into the header by hand: the tar crate refuses to build such a path.
        let raw = &mut header.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        builder.append(&header, &b"bad"[..]).unwrap();
        let json = serde_json::to_vec(&evil).unwrap();
        let mut header = tar::Header::new_ustar();
        header.set_size(json.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut header, backup::MANIFEST, &json[..])
            .unwrap();
        builder.finish().unwrap();
        drop(builder);
        let target = f.dir.path().join("t");
        let e = backup::restore(&tar_path, &target).unwrap_err();
        assert_eq!(e.code(), "unsafe-path", "{name}: {e}");
        nothing_left(&target);
        assert!(!f.dir.path().join("escaped").exists());
    }
}
