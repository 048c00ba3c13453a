//! The `wangjian` binary: command line (`cli`), configuration (`config`), the data directory
//! (`data`) and one module per command group (`cmd`). It owns no domain logic: each command
//! parses its arguments, opens what it needs from the data directory and calls the library
//! crates.

mod cli;
mod cmd;
mod config;
mod data;
mod malloc;

use clap::Parser;

/// The most threads the runtime runs blocking work on (tokio's default is 512).
const MAX_BLOCKING_THREADS: usize = 32;

fn main() -> std::process::ExitCode {
    malloc::limit_arenas();
    malloc::start_trimming();
    let cli = cli::Cli::parse();
    let format = match LogFormat::from_env(std::env::var("WANGJIAN_LOG_FORMAT").ok().as_deref()) {
        Ok(f) => f,
        Err(given) => {
            eprintln!(
                "error: WANGJIAN_LOG_FORMAT={given:?} 不可用：只能是 text（默认）或 json \
                 (unknown_log_format)"
            );
            return std::process::ExitCode::from(2);
        }
    };
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("WANGJIAN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => subscriber.init(),
        // One JSON object per line: timestamp, level, target, fields (the message among
        // them) and the span the event happened in (a console request's id, method, path).
        LogFormat::Json => subscriber
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    // Blocking work (page parsing, WARC compression, rendering, file IO) is CPU-bound or
    // short: more threads than this go no faster on a few cores, and without a bound the
    // pool would grow with the number of sites a sweep crawls at once.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cmd::run(cli, format)) {
        Ok(code) => code,
        Err(e) => {
            match format {
                LogFormat::Text => eprintln!("error: {}", report(&e)),
                LogFormat::Json => tracing::error!("{}", report(&e)),
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// How the diagnostics on standard error are written (`WANGJIAN_LOG_FORMAT`): lines for
/// people (`text`, the default), or one JSON object per line for a log collector (`json`;
/// `serve`'s notices and a command's final error become such lines too). What a command
/// prints for people on standard output is not a log and stays as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// The format `WANGJIAN_LOG_FORMAT` names (unset or empty: text); the value when it names
    /// none.
    fn from_env(value: Option<&str>) -> Result<LogFormat, String> {
        match value.map(str::trim) {
            None | Some("") | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(other.to_string()),
        }
    }
}

/// An error and its causes on one line, each said once. Library errors often put their source
/// into their own message as well as returning it as `source()` (`"{path}: {source}"`), and a
/// context often names what the next cause names first: a cause already said is skipped, and
/// a cause that begins with what the text so far ends with continues it instead of repeating.
fn report(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let msg = cause.to_string();
        let msg = msg.trim();
        if msg.is_empty() || text.contains(msg) {
            continue;
        }
        if text.is_empty() {
            text.push_str(msg);
            continue;
        }
        match overlap(&text, msg) {
            Some(n) => text.push_str(&msg[n..]),
            None => {
                text.push_str(": ");
                text.push_str(msg);
            }
        }
    }
    text
}

/// The length of the longest start of `next` that `text` ends with, when it is a whole part
/// of both: a word boundary before it in `text`, a `:` (or the end) after it in `next`.
fn overlap(text: &str, next: &str) -> Option<usize> {
    next.char_indices()
        .map(|(i, _)| i)
        .chain([next.len()])
        .filter(|&n| n >= 2)
        .filter(|&n| next[n..].is_empty() || next[n..].starts_with(':'))
        .filter(|&n| text.ends_with(&next[..n]))
        .filter(|&n| {
            let before = &text[..text.len() - n];
            before.is_empty() || before.ends_with(|c: char| c.is_whitespace() || c == ':')
        })
        .max()
}

#[cfg(test)]
mod tests {
    use super::{report, LogFormat};

    #[test]
    fn the_log_format_is_text_unless_json_is_asked() {
        assert_eq!(LogFormat::from_env(None), Ok(LogFormat::Text));
        assert_eq!(LogFormat::from_env(Some("")), Ok(LogFormat::Text));
        assert_eq!(LogFormat::from_env(Some("text")), Ok(LogFormat::Text));
        assert_eq!(LogFormat::from_env(Some(" json ")), Ok(LogFormat::Json));
        assert_eq!(LogFormat::from_env(Some("JSON")), Err("JSON".into()));
    }
    use std::io;

    #[derive(Debug, thiserror::Error)]
    #[error("{path}: {source}")]
    struct PathError {
        path: String,
        #[source]
        source: io::Error,
    }

    #[test]
    fn an_error_names_its_cause_once() {
        let missing = || io::Error::new(io::ErrorKind::NotFound, "No such file or directory");
        let e = anyhow::Error::new(PathError {
            path: "x.csv".into(),
            source: missing(),
        })
        .context("cannot import x.csv");
        assert_eq!(report(&e), "cannot import x.csv: No such file or directory");
        let e = anyhow::Error::new(PathError {
            path: "x.csv".into(),
            source: missing(),
        })
        .context("import entities");
        assert_eq!(
            report(&e),
            "import entities: x.csv: No such file or directory"
        );
        // Causes that repeat nothing are all said.
        let e = anyhow::Error::new(missing()).context("cannot read mapping m.toml");
        assert_eq!(
            report(&e),
            "cannot read mapping m.toml: No such file or directory"
        );
        // A word that merely ends the same is no overlap.
        let e = anyhow::anyhow!("sv: bad").context("cannot import x.csv");
        assert_eq!(report(&e), "cannot import x.csv: sv: bad");
    }
}
