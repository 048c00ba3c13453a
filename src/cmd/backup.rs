//! `wangjian backup -o DIR|FILE` and `wangjian --data NEW restore FROM`: thin calls of the
//! `backup` crate; what they print and refuse is worded here, in Chinese with the codes.

use super::Ctx;
use crate::cli::{BackupArgs, OutputFormat, RestoreArgs};
use crate::config::{Config, Flags};
use crate::data::DataDir;
use ::backup::{BackupError, Form, RestoreError, SkipReason};
use anyhow::{anyhow, Context};
use chrono::Utc;
use std::path::Path;
use std::process::ExitCode;
use store::{DatabaseUrl, Engine};

pub async fn backup(ctx: &Ctx, args: BackupArgs) -> anyhow::Result<ExitCode> {
    let data = &ctx.data;
    let store = data.open_store().await?;
    let key = data
        .keys()
        .join(format!("{}.pub", super::log::LOG_KEY_NAME));
    let source = ::backup::Source {
        root: data.root.clone(),
        evidence: data.evidence(),
        log: data.log(),
        derived: vec![data.search()],
        database: data.database.clone(),
        verifier_key: std::fs::read_to_string(&key)
            .ok()
            .map(|k| k.trim().to_string()),
        pg_dump: args.pg_dump.clone(),
    };
    let by = store::Actor::system(format!("cli:{}", super::cli_actor()));
    let done = ::backup::backup(store.as_ref(), &source, &args.output, &by, Utc::now())
        .await
        .map_err(|e| anyhow!(backup_words(&e)))?;
    let m = &done.manifest;
    let (files, bytes) = m.totals();
    if args.format == OutputFormat::Json {
        let summary = serde_json::json!({
            "destination": done.dest,
            "form": form_code(done.form),
            "manifest_sha256": done.manifest_sha256,
            "files": files,
            "bytes": bytes,
            "engine": m.engine.code(),
            "schema": m.schema,
            "database": m.database,
            "log_leaves": m.log_leaves,
            "checkpoints": m.checkpoints,
            "warc_cut": m.warc_cut,
            "skipped": m.skipped,
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "备份完成：{}（{}）",
        done.dest.display(),
        form_words(done.form)
    );
    match m.engine {
        Engine::Sqlite => println!(
            "  数据库：SQLite 快照 {}（迁移版本 {}）",
            m.database, m.schema
        ),
        Engine::Postgres => println!(
            "  数据库：PostgreSQL {} 的 pg_dump 转储 {}（迁移版本 {}）",
            m.database_url.as_deref().unwrap_or("?"),
            m.database,
            m.schema
        ),
    }
    println!(
        "  透明日志：{} 个叶子，{} 个签名检查点",
        m.log_leaves, m.checkpoints
    );
    println!(
        "  文件：{files} 个，共 {bytes} 字节；清单 SHA-256 {}",
        done.manifest_sha256
    );
    for cut in &m.warc_cut {
        println!(
            "  WARC 截取：{} 复制前 {} 字节（磁盘上 {} 字节；{}，{}）",
            cut.path,
            cut.copied,
            cut.seen,
            match cut.reason {
                ::backup::CutReason::LoggedAfter => "其后的记录在复制日志之后才写入",
                ::backup::CutReason::Torn => "末尾记录正在写入，未写完",
            },
            cut.reason.code()
        );
    }
    for skipped in &m.skipped {
        println!(
            "  未备份：{}（{}，{}）",
            skipped.path,
            skip_words(skipped.reason),
            skipped.reason.code()
        );
    }
    if m.engine == Engine::Sqlite {
        println!(
            "恢复：wangjian --data 新目录 restore {}",
            done.dest.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(ctx: &Ctx, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let to = ctx.data.root.clone();
    let restored = ::backup::restore(&args.from, &to).map_err(|e| anyhow!(restore_words(&e)))?;
    let m = &restored.manifest;
    let (files, bytes) = m.totals();
    println!(
        "已恢复 {files} 个文件（{bytes} 字节）到 {}；备份时间 {}，迁移版本 {}",
        to.display(),
        domain::time::shown(m.created),
        m.schema
    );
    let database = match m.engine {
        Engine::Sqlite => {
            let snapshot = to.join(::backup::SQLITE_FILE);
            // The restored configuration, read now that it is there: it should name the
            // restored snapshot (the default), not the database the backup was taken from.
            let config = Config::load(&to, &Flags::default(), &|_| None)?;
            let named = DataDir::new(&to, &config)?.database;
            if named != DatabaseUrl::Sqlite(snapshot.clone()) {
                println!(
                    "注意：恢复的 wangjian.toml 指定的数据库是 {}，恢复的快照是 {}；请改为后者或用 --database 指定",
                    named.display(),
                    snapshot.display()
                );
            }
            DatabaseUrl::Sqlite(snapshot)
        }
        Engine::Postgres => {
            let dump = to.join(&m.database);
            let DatabaseUrl::Postgres(url) = &ctx.data.database else {
                println!(
                    "数据库需另行恢复（PostgreSQL）：在一个空数据库中执行\n  pg_restore --no-owner --no-privileges --exit-on-error --dbname 新库URL {}\n然后执行\n  wangjian --data {} --database 新库URL log checkpoint\n  wangjian --data {} --database 新库URL evidence verify",
                    dump.display(),
                    to.display(),
                    to.display()
                );
                return Ok(ExitCode::SUCCESS);
            };
            pg_restore(&args.pg_restore, url, &dump)?;
            println!("已用 pg_restore 恢复数据库 {}", store::redact_password(url));
            ctx.data.database.clone()
        }
    };
    let data = DataDir {
        root: to.clone(),
        database,
    };
    let store = data.open_store().await?;
    let check = store.check().await?;
    let ok = check.ok();
    println!(
        "数据库自检：迁移版本 {}（本程序 {}），完整性问题 {} 个，监管链 {} 条{}",
        check.schema,
        check.known,
        check.integrity.len(),
        check.custody_rows,
        match &check.custody_broken {
            None => "，链接完整".to_string(),
            Some(b) => format!("，断裂于第 {} 条（custody-broken）", b.id),
        }
    );
    for problem in &check.integrity {
        println!("  完整性问题（integrity）：{problem}");
    }
    if !ok {
        println!("恢复的数据库未通过自检（store-check-failed）");
        return Ok(ExitCode::FAILURE);
    }
    // Records logged after the backup's last checkpoint are covered by a checkpoint signed
    // now, over the restored log and the restored chain of custody.
    let (log, signer) = super::log::open_log(&data)?;
    let stored = ::sweep::checkpoint::sign(
        store.as_ref(),
        &log,
        &signer,
        super::log::LOG_ORIGIN,
        Utc::now(),
    )
    .await?;
    println!(
        "已签署恢复后的检查点：{} 个叶子，监管链 {} 条 → {}",
        stored.checkpoint.size,
        stored.checkpoint.custody().map_or(0, |h| h.count),
        stored.path.display()
    );
    println!(
        "请执行 wangjian --data {} evidence verify 核验证据",
        to.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Restores a `pg_dump` custom-format file into the (empty) database at `url`.
fn pg_restore(program: &Path, url: &str, dump: &Path) -> anyhow::Result<()> {
    let out = std::process::Command::new(program)
        .args([
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--dbname",
        ])
        .arg(url)
        .arg(dump)
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("无法运行 pg_restore（{}）", program.display()))?;
    if !out.status.success() {
        anyhow::bail!(
            "pg_restore 失败（pg-restore-failed）：{}",
            store::redact_password(String::from_utf8_lossy(&out.stderr).trim())
        );
    }
    Ok(())
}

fn form_code(form: Form) -> &'static str {
    match form {
        Form::Dir => "dir",
        Form::Tar => "tar",
        Form::TarGz => "tar.gz",
    }
}

fn form_words(form: Form) -> &'static str {
    match form {
        Form::Dir => "目录",
        Form::Tar => "tar 文件",
        Form::TarGz => "tar.gz 文件",
    }
}

fn skip_words(reason: SkipReason) -> &'static str {
    match reason {
        SkipReason::Derived => "派生数据，会从数据库和证据重建",
        SkipReason::LiveDatabase => "运行中的数据库文件，已由快照代替",
        SkipReason::Transient => "锁文件或临时文件",
        SkipReason::UnverifiedCheckpoint => "读取时签名未通过验证的检查点（正在写入）",
        SkipReason::NotAFile => "不是普通文件",
    }
}

/// A backup's failure in Chinese, with its code.
fn backup_words(e: &BackupError) -> String {
    let what = match e {
        BackupError::DestinationExists(p) => format!("{} 已存在，不会覆盖", p.display()),
        BackupError::DestinationNotEmpty(p) => format!("目录 {} 不是空的", p.display()),
        BackupError::DestinationInsideData(p) => {
            format!("{} 在数据目录之内，请备份到数据目录之外", p.display())
        }
        BackupError::OutsideData(p) => format!("{} 不在数据目录之内", p.display()),
        BackupError::NotUtf8(p) => format!("{} 的文件名不是 UTF-8", p.display()),
        BackupError::Changed(p) => format!("{} 在复制时变短了", p.display()),
        BackupError::Io { path, source } => format!("{}：{source}", path.display()),
        BackupError::PgDumpMissing { program, source } => {
            format!("无法运行 pg_dump（{}）：{source}", program.display())
        }
        BackupError::PgDumpFailed(err) => format!("pg_dump 失败：{err}"),
        BackupError::Snapshot(e) => format!("数据库快照失败（{}）：{e}", e.code()),
        BackupError::Store(e) => format!("数据库出错：{e}"),
        BackupError::Evidence(e) => format!("读取证据出错：{e}"),
    };
    format!("备份失败（{}）：{what}", e.code())
}

/// A restore's refusal in Chinese, with its code.
fn restore_words(e: &RestoreError) -> String {
    let what = match e {
        RestoreError::TargetNotEmpty(p) => format!(
            "{} 不是空目录；只能恢复到不存在或空的目录（用 --data 指定）",
            p.display()
        ),
        RestoreError::NotABackup(p) => {
            format!("{} 中没有备份清单 {}", p.display(), ::backup::MANIFEST)
        }
        RestoreError::Manifest(why) => format!("备份清单无法读取：{why}"),
        RestoreError::Format(f) => format!("备份格式 {f:?} 不是本程序能读的"),
        RestoreError::NewerSchema {
            engine,
            backup,
            known,
        } => format!(
            "备份的数据库迁移版本 {backup} 比本程序认识的 {known}（{engine}）新，请用更新版本的 wangjian 恢复"
        ),
        RestoreError::Mismatch { path, problem } => format!(
            "{path} 与清单不符（{}）：{}",
            problem.code(),
            match problem {
                ::backup::Mismatch::Missing => "清单中有，备份中缺失".to_string(),
                ::backup::Mismatch::NotListed => "备份中有，清单中没有".to_string(),
                ::backup::Mismatch::Size { expected, found } =>
                    format!("{found} 字节，清单记为 {expected} 字节"),
                ::backup::Mismatch::Digest => "SHA-256 与清单不同".to_string(),
            }
        ),
        RestoreError::UnsafePath(p) => format!("{p:?} 不是数据目录内的安全路径"),
        RestoreError::Io { path, source } => format!("{}：{source}", path.display()),
    };
    format!("恢复失败（{}），什么也没有写入：{what}", e.code())
}
