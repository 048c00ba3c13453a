//! Templates and rendering. The four templates ship inside the crate and are written into the
//! data directory (`templates/documents/`) on first use, never over a file that is there: an
//! administrator edits the bureau's copy, and every rendering reads that copy afresh, so an
//! edit takes effect with the next document.
//!
//! Rendering is minijinja with HTML autoescape for every template (a value never becomes
//! markup) and undefined values refused when printed or iterated (`SemiStrict`: a misspelt
//! field is an error naming the template and line, while `{% if field %}` may test an
//! optional one). Two filters format for Chinese readers: `cn_date` (`2026-03-05` →
//! `2026年3月5日`) and `cn_time` (a UTC time → Beijing time with its zone, `2026-03-05 18:20:00 北京时间`).

use std::fs::OpenOptions;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike as _, NaiveDate};
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use serde::Serialize;

use crate::{DocumentData, DocumentKind};

/// Where the editable templates live, under the data directory.
pub const TEMPLATES_SUBDIR: &str = "templates/documents";

/// What is wrong with a template, as minijinja found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateProblem {
    /// The template does not parse.
    Syntax,
    /// It prints or iterates a variable or field the document does not have.
    MissingVariable,
    /// It names a filter, test or function that does not exist.
    UnknownName,
    /// An operation on a value that does not allow it (a filter given the wrong type, …).
    InvalidOperation,
    /// Anything else the engine refused.
    Other,
}

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The templates directory or a template file could not be read or written.
    #[error("template file {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The template is broken: which one, where, what kind of fault, and the engine's
    /// description of it (for the person editing the template).
    #[error("template {template} line {line:?}: {problem:?}: {detail}")]
    Template {
        template: String,
        line: Option<usize>,
        problem: TemplateProblem,
        detail: String,
    },
}

/// The bureau's templates in a data directory.
#[derive(Debug, Clone)]
pub struct Templates {
    dir: PathBuf,
}

impl Templates {
    /// The templates of `data_dir` (`DATA/templates/documents/`), creating the directory and
    /// writing each shipped template that is not there yet; an existing file, edited or not,
    /// is left as it is.
    pub fn open(data_dir: &Path) -> Result<Templates, DocumentError> {
        let dir = data_dir.join(TEMPLATES_SUBDIR);
        std::fs::create_dir_all(&dir).map_err(|source| DocumentError::Io {
            path: dir.clone(),
            source,
        })?;
        let templates = Templates { dir };
        for kind in DocumentKind::ALL {
            templates.install(kind)?;
        }
        Ok(templates)
    }

    /// The directory the templates are read from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of `kind`'s template.
    pub fn path(&self, kind: DocumentKind) -> PathBuf {
        self.dir.join(kind.template_name())
    }

    /// Writes the shipped template of `kind` unless a file is there (created exclusively, so
    /// two processes starting at once cannot overwrite an edit either).
    fn install(&self, kind: DocumentKind) -> Result<(), DocumentError> {
        let path = self.path(kind);
        let io_err = |source| DocumentError::Io {
            path: path.clone(),
            source,
        };
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => f
                .write_all(kind.shipped_template().as_bytes())
                .map_err(io_err),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(io_err(e)),
        }
    }

    /// Renders `kind` for `data` from the data directory's template (written first when it
    /// was removed).
    pub fn render(&self, kind: DocumentKind, data: &DocumentData) -> Result<String, DocumentError> {
        self.install(kind)?;
        let path = self.path(kind);
        let source = std::fs::read_to_string(&path).map_err(|source| DocumentError::Io {
            path: path.clone(),
            source,
        })?;
        render_source(kind, kind.template_name(), &source, data)
    }
}

/// Renders `source` (a template named `name`) as the document `kind` for `data`: no file is
/// read. The template sees every field of [`DocumentData`] and `kind` (its code) and
/// `kind_title` (its Chinese title).
pub fn render_source(
    kind: DocumentKind,
    name: &str,
    source: &str,
    data: &DocumentData,
) -> Result<String, DocumentError> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.add_filter("cn_date", cn_date);
    env.add_filter("cn_time", cn_time);
    env.add_template(name, source)
        .map_err(|e| template_error(name, &e))?;
    let template = env
        .get_template(name)
        .map_err(|e| template_error(name, &e))?;
    #[derive(Serialize)]
    struct Context<'a> {
        kind: &'static str,
        kind_title: &'static str,
        #[serde(flatten)]
        data: &'a DocumentData,
    }
    template
        .render(Context {
            kind: kind.code(),
            kind_title: kind.title(),
            data,
        })
        .map_err(|e| template_error(name, &e))
}

fn template_error(name: &str, e: &minijinja::Error) -> DocumentError {
    let problem = match e.kind() {
        ErrorKind::SyntaxError => TemplateProblem::Syntax,
        ErrorKind::UndefinedError => TemplateProblem::MissingVariable,
        ErrorKind::UnknownFilter | ErrorKind::UnknownTest | ErrorKind::UnknownFunction => {
            TemplateProblem::UnknownName
        }
        ErrorKind::InvalidOperation | ErrorKind::CannotUnpack | ErrorKind::MissingArgument => {
            TemplateProblem::InvalidOperation
        }
        _ => TemplateProblem::Other,
    };
    DocumentError::Template {
        template: e.name().unwrap_or(name).to_string(),
        line: e.line(),
        problem,
        detail: e.detail().unwrap_or_default().to_string(),
    }
}

/// `2026-03-05` → `2026年3月5日`, as official documents write dates.
fn cn_date(value: &str) -> Result<String, minijinja::Error> {
    let d = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!("cn_date needs a date YYYY-MM-DD, got {value:?}"),
        )
    })?;
    Ok(format!("{}年{}月{}日", d.year(), d.month(), d.day()))
}

/// A UTC time (RFC 3339) → Beijing time to the second with its zone, `2026-03-05 18:20:00 北京时间`.
fn cn_time(value: &str) -> Result<String, minijinja::Error> {
    let t = DateTime::parse_from_rfc3339(value).map_err(|_| {
        minijinja::Error::new(
            ErrorKind::InvalidOperation,
            format!("cn_time needs an RFC 3339 time, got {value:?}"),
        )
    })?;
    Ok(domain::time::shown(t.with_timezone(&chrono::Utc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_for_chinese_readers() {
        assert_eq!(cn_date("2026-03-05").unwrap(), "2026年3月5日");
        assert!(cn_date("5.3.2026").is_err());
        assert_eq!(
            cn_time("2026-03-05T10:20:00Z").unwrap(),
            "2026-03-05 18:20:00 北京时间"
        );
        assert_eq!(
            cn_time("2026-03-05T23:59:59.5+00:00").unwrap(),
            "2026-03-06 07:59:59 北京时间"
        );
        assert!(cn_time("yesterday").is_err());
    }
}
