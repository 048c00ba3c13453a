//! Which WARC files of the evidence directory are finished, and their upload.
//!
//! wangjian's writers name their files `PREFIX-STAMP-SEQ.warc.gz`, the prefix naming the sweep
//! (`wangjian-sweep<ID>`, `wangjian-capture<ID>`, `wangjian-recheck<ID>`, and for a worker
//! `wangjian-sweep<ID>-<NAME>-<RUN>`), and roll forward: a writer only ever appends to the
//! newest file of its prefix. So a file is **finished** when a newer one of its prefix exists,
//! or when its sweep is no longer running (a running sweep's newest file may still grow, and a
//! sweep interrupted by a crash has its torn tail cut when it is resumed). Files not named so
//! (copied in by hand) are left alone.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::{Objects, ObjectsError};

/// What became of one file of the evidence directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FileOutcome {
    /// Uploaded now.
    Uploaded { name: String, size: u64 },
    /// The object was there already, of the file's size.
    Already { name: String, size: u64 },
    /// Its sweep is running and it is the newest of its prefix: a writer may append to it.
    Open { name: String, sweep: i64 },
    /// Not a name wangjian's writers give: left alone.
    Foreign { name: String },
    /// The upload failed (the others went on): [`crate::ObjectsError::code`] and its message.
    Failed {
        name: String,
        reason: &'static str,
        error: String,
    },
}

impl FileOutcome {
    pub fn name(&self) -> &str {
        match self {
            FileOutcome::Uploaded { name, .. }
            | FileOutcome::Already { name, .. }
            | FileOutcome::Open { name, .. }
            | FileOutcome::Foreign { name }
            | FileOutcome::Failed { name, .. } => name,
        }
    }
}

/// A file's prefix, sequence number and sweep, from its name.
fn parse(name: &str) -> Option<(&str, u64, i64)> {
    let (prefix, seq) = evidence::writer::file_prefix_and_seq(name)?;
    let rest = ["wangjian-sweep", "wangjian-capture", "wangjian-recheck"]
        .iter()
        .find_map(|kind| prefix.strip_prefix(kind))?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = &rest[digits.len()..];
    if digits.is_empty() || !(after.is_empty() || after.starts_with('-')) {
        return None;
    }
    Some((prefix, seq, digits.parse().ok()?))
}

/// Uploads every finished WARC file of `dir` that the object store lacks; a failed upload is
/// reported with its reason and the others go on. Errors only when `dir` cannot be listed or
/// the store cannot be asked about a sweep.
pub async fn upload_finished(
    store: &dyn store::Store,
    objects: &Objects,
    dir: &Path,
) -> Result<Vec<FileOutcome>, ObjectsError> {
    let files = match evidence::warc_files(dir) {
        Ok(files) => files,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => {
            return Err(ObjectsError::Io {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let named: Vec<(PathBuf, String)> = files
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            Some((p, name))
        })
        .collect();
    let mut newest: HashMap<&str, u64> = HashMap::new();
    for (_, name) in &named {
        if let Some((prefix, seq, _)) = parse(name) {
            let n = newest.entry(prefix).or_insert(seq);
            *n = (*n).max(seq);
        }
    }
    let mut running: HashMap<i64, bool> = HashMap::new();
    let mut out = Vec::with_capacity(named.len());
    for (path, name) in &named {
        let Some((prefix, seq, sweep)) = parse(name) else {
            out.push(FileOutcome::Foreign { name: name.clone() });
            continue;
        };
        if newest.get(prefix) == Some(&seq) {
            let is_running = match running.get(&sweep) {
                Some(r) => *r,
                None => {
                    let r = store
                        .sweep(domain::SweepId(sweep))
                        .await
                        .map_err(|e| ObjectsError::Config(format!("sweep {sweep}: {e}")))?
                        .is_some_and(|s| s.state == store::SweepState::Running);
                    running.insert(sweep, r);
                    r
                }
            };
            if is_running {
                out.push(FileOutcome::Open {
                    name: name.clone(),
                    sweep,
                });
                continue;
            }
        }
        out.push(match objects.upload(path).await {
            Ok(up) if up.already => FileOutcome::Already {
                name: up.name,
                size: up.size,
            },
            Ok(up) => FileOutcome::Uploaded {
                name: up.name,
                size: up.size,
            },
            Err(e) => {
                tracing::warn!(file = %name, error = %e, "evidence file not uploaded");
                FileOutcome::Failed {
                    name: name.clone(),
                    reason: e.code(),
                    error: e.to_string(),
                }
            }
        });
    }
    Ok(out)
}

/// Runs [`upload_finished`] every `every` for ever (`serve` spawns it), logging what it
/// uploaded and what failed; a round that fails as a whole is logged and tried again at the
/// next.
pub async fn keep_uploading(
    store: std::sync::Arc<dyn store::Store>,
    objects: Objects,
    dir: PathBuf,
    every: std::time::Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match upload_finished(store.as_ref(), &objects, &dir).await {
            Ok(outcomes) => {
                let uploaded = outcomes
                    .iter()
                    .filter(|o| matches!(o, FileOutcome::Uploaded { .. }))
                    .count();
                let failed = outcomes
                    .iter()
                    .filter(|o| matches!(o, FileOutcome::Failed { .. }))
                    .count();
                if uploaded > 0 || failed > 0 {
                    tracing::info!(uploaded, failed, store = %objects.describe(), "finished evidence files uploaded");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, store = %objects.describe(), "cannot upload the finished evidence files")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn names_of_wangjians_writers_are_parsed_and_others_are_not() {
        let stamp = "20261207010203";
        assert_eq!(
            parse(&format!("wangjian-sweep12-{stamp}-00003.warc.gz")),
            Some(("wangjian-sweep12", 3, 12))
        );
        assert_eq!(
            parse(&format!("wangjian-sweep4-w1-6b16048-{stamp}-00000.warc.gz")),
            Some(("wangjian-sweep4-w1-6b16048", 0, 4))
        );
        assert_eq!(
            parse(&format!("wangjian-capture7-{stamp}-00001.warc.gz")),
            Some(("wangjian-capture7", 1, 7))
        );
        for foreign in [
            format!("wangjian-sweep-{stamp}-00001.warc.gz"),
            format!("wangjian-sweep12x-{stamp}-00001.warc.gz"),
            format!("other-{stamp}-00001.warc.gz"),
            "wangjian-sweep1-00001.warc.gz".to_string(),
            format!("wangjian-sweep1-{stamp}-00001.warc"),
        ] {
            assert_eq!(parse(&foreign), None, "{foreign}");
        }
    }
}
