//! The index system (信用指标体系) as a data file: TOML, validated whole, compiled into
//! leaves with their effective weights and the rules of each class.
//!
//! The format is documented in `docs/credit.md` and in the shipped default
//! (`index/default.toml`, written to `DATA/credit/index.toml` on first use). Validation never
//! stops at the first problem: [`IndexSystem::parse`] returns every [`IndexProblem`] it finds,
//! so a person fixes the file in one go.

use domain::{CreditClass, Severity};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The shipped default index system.
pub const DEFAULT_INDEX: &str = include_str!("../index/default.toml");

/// How far a group of siblings' weights may be from 1.
pub const WEIGHT_TOLERANCE: f64 = 1e-6;

/// Where the index system file lives in the data directory.
pub fn index_path(data_dir: &Path) -> PathBuf {
    data_dir.join("credit").join("index.toml")
}

/// Writes the shipped default to `DATA/credit/index.toml` unless a file is already there
/// (never over an existing file); returns its path.
pub fn ensure_file(data_dir: &Path) -> std::io::Result<PathBuf> {
    let path = index_path(data_dir);
    if !path.exists() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, DEFAULT_INDEX)?;
    }
    Ok(path)
}

/// SHA-256 (hex) of a file's text, as `credit_index_versions.sha256` keeps it.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

// --- the file as written ---

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    min_score: Option<f64>,
    sampling_ratio: f64,
    sweep_every_hours: i64,
    suspend_badge: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    code: String,
    parent: Option<String>,
    name: String,
    weight: f64,
    source: Option<String>,
    score: Option<RawScore>,
    missing: Option<f64>,
    // Source parameters.
    days: Option<i64>,
    severity: Option<String>,
    categories: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScore {
    steps: Option<Vec<(f64, f64)>>,
    decay: Option<f64>,
    yes: Option<f64>,
    no: Option<f64>,
    value: Option<bool>,
    map: Option<BTreeMap<String, f64>>,
    other: Option<f64>,
}

// --- problems ---

/// Where a problem about a class's rules is.
pub type ClassName = CreditClass;

/// One problem of an index system file. Validation collects all of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum IndexProblem {
    /// Not TOML at all (1-based line and column).
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// A part of the file of the wrong shape: a key of the wrong type, an unknown key, a
    /// required key missing (`at`: `version`, `classes.B`, `indicator[3]`, …).
    Shape {
        at: String,
        message: String,
    },
    /// `version` or `name` is empty.
    EmptyField {
        field: String,
    },
    /// `[classes.X]` for a class that does not exist, or one of A–D missing.
    UnknownClass {
        class: String,
    },
    MissingClass {
        class: CreditClass,
    },
    /// A, B and C need `min_score`; D has none (it is below C).
    MissingThreshold {
        class: CreditClass,
    },
    ThresholdOnD,
    ThresholdOutOfRange {
        class: CreditClass,
        min_score: f64,
    },
    /// Each class's `min_score` must be below the better class's.
    ThresholdsNotDescending {
        class: CreditClass,
        min_score: f64,
        above: f64,
    },
    /// A sampling ratio must be in (0, 1].
    RatioOutOfRange {
        class: CreditClass,
        ratio: f64,
    },
    /// Sweep intervals are at least one hour.
    SweepHoursOutOfRange {
        class: CreditClass,
        hours: i64,
    },
    /// No `[[indicator]]` at all.
    NoIndicators,
    /// Family `A`, child `A01` of `A`, grandchild `A01.01` of `A01` …
    BadCode {
        code: String,
        parent: Option<String>,
    },
    DuplicateCode {
        code: String,
    },
    UnknownParent {
        code: String,
        parent: String,
    },
    /// Indicators whose parents lead back to themselves.
    Cycle {
        codes: Vec<String>,
    },
    /// A weight must be in (0, 1].
    WeightOutOfRange {
        code: String,
        weight: f64,
    },
    /// The weights of one parent's children (`parent` none: the families) do not sum to 1.
    WeightsNotSummingToOne {
        parent: Option<String>,
        sum: f64,
    },
    /// A leaf (no children) needs a source and a score.
    LeafWithoutSource {
        code: String,
    },
    LeafWithoutScore {
        code: String,
    },
    /// An indicator with children is scored by them: no source, score or missing of its own.
    InternalWithSource {
        code: String,
    },
    InternalWithScore {
        code: String,
    },
    UnknownSource {
        code: String,
        source: String,
    },
    ParamNotAllowed {
        code: String,
        source: String,
        param: String,
    },
    ParamMissing {
        code: String,
        source: String,
        param: String,
    },
    /// `days` not positive, an unknown severity or category.
    BadParam {
        code: String,
        param: String,
        value: String,
    },
    /// A score needs exactly one kind: steps, decay, yes/no, value or map.
    ScoreKindCount {
        code: String,
        kinds: usize,
    },
    /// `yes` without `no` (or the reverse), `other` without `map`, `value = false`.
    ScoreIncomplete {
        code: String,
        missing: String,
    },
    /// The score's kind does not fit the source's kind (`map` only for categorical sources,
    /// `yes`/`no` only for flags, steps/decay/value for numbers and counts).
    ScoreKindMismatch {
        code: String,
        source: String,
        kind: String,
    },
    StepsEmpty {
        code: String,
    },
    StepsNotAscending {
        code: String,
    },
    /// Points (of steps, yes/no, map, other, missing) are within 0–100.
    PointsOutOfRange {
        code: String,
        points: f64,
    },
    /// A decay factor is not negative.
    DecayNegative {
        code: String,
        decay: f64,
    },
}

impl std::fmt::Display for IndexProblem {
    /// One line for the command line and logs (the console has its own Chinese words).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use IndexProblem::*;
        match self {
            Syntax {
                line,
                column,
                message,
            } => write!(f, "line {line}, column {column}: not TOML: {message}"),
            Shape { at, message } => write!(f, "{at}: {message}"),
            EmptyField { field } => write!(f, "{field} is empty"),
            UnknownClass { class } => write!(f, "classes.{class}: no such class (A, B, C, D)"),
            MissingClass { class } => write!(f, "classes.{class} is missing"),
            MissingThreshold { class } => write!(f, "classes.{class} needs min_score"),
            ThresholdOnD => write!(f, "classes.D has no min_score (it is below C)"),
            ThresholdOutOfRange { class, min_score } => {
                write!(f, "classes.{class}: min_score {min_score} is not within 0–100")
            }
            ThresholdsNotDescending {
                class,
                min_score,
                above,
            } => write!(
                f,
                "classes.{class}: min_score {min_score} is not below the better class's {above}"
            ),
            RatioOutOfRange { class, ratio } => {
                write!(f, "classes.{class}: sampling_ratio {ratio} is not within (0, 1]")
            }
            SweepHoursOutOfRange { class, hours } => {
                write!(f, "classes.{class}: sweep_every_hours {hours} is below 1")
            }
            NoIndicators => write!(f, "no [[indicator]]"),
            BadCode { code, parent } => match parent {
                None => write!(f, "{code}: a family's code is one capital letter"),
                Some(p) => write!(
                    f,
                    "{code}: a child of {p} is coded {p} followed by {}two digits",
                    if p.len() == 1 { "" } else { "a dot and " }
                ),
            },
            DuplicateCode { code } => write!(f, "{code}: code used twice"),
            UnknownParent { code, parent } => write!(f, "{code}: no parent {parent}"),
            Cycle { codes } => write!(f, "{}: parents form a cycle", codes.join(" → ")),
            WeightOutOfRange { code, weight } => {
                write!(f, "{code}: weight {weight} is not within (0, 1]")
            }
            WeightsNotSummingToOne { parent, sum } => match parent {
                None => write!(f, "the families' weights sum to {sum}, not 1"),
                Some(p) => write!(f, "the weights of {p}'s children sum to {sum}, not 1"),
            },
            LeafWithoutSource { code } => write!(f, "{code}: a leaf needs a source"),
            LeafWithoutScore { code } => write!(f, "{code}: a leaf needs a score"),
            InternalWithSource { code } => {
                write!(f, "{code}: has children, so no source of its own")
            }
            InternalWithScore { code } => {
                write!(f, "{code}: has children, so no score or missing of its own")
            }
            UnknownSource { code, source } => write!(f, "{code}: unknown source {source:?}"),
            ParamNotAllowed {
                code,
                source,
                param,
            } => write!(f, "{code}: source {source:?} takes no {param}"),
            ParamMissing {
                code,
                source,
                param,
            } => write!(f, "{code}: source {source:?} needs {param}"),
            BadParam { code, param, value } => write!(f, "{code}: bad {param} {value:?}"),
            ScoreKindCount { code, kinds } => write!(
                f,
                "{code}: a score has exactly one kind (steps, decay, yes/no, value, map), not {kinds}"
            ),
            ScoreIncomplete { code, missing } => write!(f, "{code}: the score lacks {missing}"),
            ScoreKindMismatch { code, source, kind } => {
                write!(f, "{code}: a {kind} score does not fit source {source:?}")
            }
            StepsEmpty { code } => write!(f, "{code}: steps are empty"),
            StepsNotAscending { code } => write!(f, "{code}: steps are not ascending"),
            PointsOutOfRange { code, points } => {
                write!(f, "{code}: points {points} are not within 0–100")
            }
            DecayNegative { code, decay } => write!(f, "{code}: decay {decay} is negative"),
        }
    }
}

// --- the compiled system ---

/// What a source gives for an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Number,
    Count,
    Category,
    Flag,
}

/// A data source with its parameters (the closed list of `docs/credit.md`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Source {
    /// `register.age_years`
    AgeYears,
    /// `register.capital_wan`
    CapitalWan,
    /// `register.legal_form`
    LegalForm,
    /// `permits.expired`
    PermitsExpired,
    /// `findings`: within `days`, at least `severity`, in `categories` (codes or group
    /// prefixes such as `ad`; empty: all).
    Findings {
        days: i64,
        severity: Severity,
        categories: Vec<String>,
    },
    /// `cases`
    Cases { days: i64 },
    /// `fines.yuan`
    FinesYuan { days: i64 },
    /// `warnings`
    Warnings { days: i64 },
    /// `rectifications.met`
    RectificationsMet { days: i64 },
    /// `rectifications.missed`
    RectificationsMissed { days: i64 },
    /// `list.abnormal`
    ListAbnormal,
    /// `list.serious`
    ListSerious,
    /// `evaluation.score`
    EvaluationScore { days: i64 },
    /// `commitment.kept`
    CommitmentKept,
    /// `complaints.upheld`: complaints and reports closed as upheld within `days`.
    ComplaintsUpheld { days: i64 },
    /// `badge.valid`: the entity holds an issued license badge (亮照) that is not suspended
    /// or revoked.
    BadgeValid,
}

/// The source names of the file, with their kind and the parameters each takes (required,
/// optional).
const SOURCES: &[(&str, SourceKind, &[&str], &[&str])] = &[
    ("register.age_years", SourceKind::Number, &[], &[]),
    ("register.capital_wan", SourceKind::Number, &[], &[]),
    ("register.legal_form", SourceKind::Category, &[], &[]),
    ("permits.expired", SourceKind::Count, &[], &[]),
    (
        "findings",
        SourceKind::Count,
        &["days"],
        &["severity", "categories"],
    ),
    ("cases", SourceKind::Count, &["days"], &[]),
    ("fines.yuan", SourceKind::Number, &["days"], &[]),
    ("warnings", SourceKind::Count, &["days"], &[]),
    ("rectifications.met", SourceKind::Count, &["days"], &[]),
    ("rectifications.missed", SourceKind::Count, &["days"], &[]),
    ("list.abnormal", SourceKind::Flag, &[], &[]),
    ("list.serious", SourceKind::Flag, &[], &[]),
    ("evaluation.score", SourceKind::Number, &["days"], &[]),
    ("commitment.kept", SourceKind::Flag, &[], &[]),
    ("complaints.upheld", SourceKind::Count, &["days"], &[]),
    ("badge.valid", SourceKind::Flag, &[], &[]),
];

/// Every source name the file may use.
pub fn source_names() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|s| s.0)
}

impl Source {
    /// The name written in the file.
    pub fn name(&self) -> &'static str {
        match self {
            Source::AgeYears => "register.age_years",
            Source::CapitalWan => "register.capital_wan",
            Source::LegalForm => "register.legal_form",
            Source::PermitsExpired => "permits.expired",
            Source::Findings { .. } => "findings",
            Source::Cases { .. } => "cases",
            Source::FinesYuan { .. } => "fines.yuan",
            Source::Warnings { .. } => "warnings",
            Source::RectificationsMet { .. } => "rectifications.met",
            Source::RectificationsMissed { .. } => "rectifications.missed",
            Source::ListAbnormal => "list.abnormal",
            Source::ListSerious => "list.serious",
            Source::EvaluationScore { .. } => "evaluation.score",
            Source::CommitmentKept => "commitment.kept",
            Source::ComplaintsUpheld { .. } => "complaints.upheld",
            Source::BadgeValid => "badge.valid",
        }
    }

    pub fn kind(&self) -> SourceKind {
        source_kind(self.name()).expect("every source is listed")
    }

    /// The window in days, for the sources that have one.
    pub fn days(&self) -> Option<i64> {
        match self {
            Source::Findings { days, .. }
            | Source::Cases { days }
            | Source::FinesYuan { days }
            | Source::Warnings { days }
            | Source::RectificationsMet { days }
            | Source::RectificationsMissed { days }
            | Source::EvaluationScore { days }
            | Source::ComplaintsUpheld { days } => Some(*days),
            _ => None,
        }
    }

    /// The source with its parameters as one line (`findings days=365 severity=high`).
    pub fn describe(&self) -> String {
        let mut s = self.name().to_string();
        if let Some(d) = self.days() {
            s.push_str(&format!(" days={d}"));
        }
        if let Source::Findings {
            severity,
            categories,
            ..
        } = self
        {
            s.push_str(&format!(" severity={severity}"));
            if !categories.is_empty() {
                s.push_str(&format!(" categories={}", categories.join(",")));
            }
        }
        s
    }
}

fn source_kind(name: &str) -> Option<SourceKind> {
    SOURCES.iter().find(|s| s.0 == name).map(|s| s.1)
}

/// A leaf's scoring function: points (0–100) from the source's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreFn {
    /// Points of the last step whose value ≤ x; below the first step 0.
    Steps(Vec<(f64, f64)>),
    /// max(0, 100 − k × value).
    Decay(f64),
    /// A flag: `yes` points when 1, `no` when 0.
    Flag { yes: f64, no: f64 },
    /// The value itself, clamped to 0–100.
    Value,
    /// A category's points, `other` for the rest.
    Map {
        map: BTreeMap<String, f64>,
        other: f64,
    },
}

/// A source's value for one entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FactValue {
    Number(f64),
    Category(String),
}

impl ScoreFn {
    /// Points for a value (`None`: the source has none → `missing`).
    pub fn points(&self, value: Option<&FactValue>, missing: f64) -> f64 {
        let Some(value) = value else {
            return missing;
        };
        match (self, value) {
            (ScoreFn::Map { map, other }, FactValue::Category(c)) => {
                map.get(c).copied().unwrap_or(*other)
            }
            (ScoreFn::Map { other, .. }, FactValue::Number(_)) => *other,
            (_, FactValue::Category(_)) => missing,
            (ScoreFn::Steps(steps), FactValue::Number(x)) => steps
                .iter()
                .rev()
                .find(|(sx, _)| *sx <= *x)
                .map(|s| s.1)
                .unwrap_or(0.0),
            (ScoreFn::Decay(k), FactValue::Number(x)) => (100.0 - k * x).max(0.0),
            (ScoreFn::Flag { yes, no }, FactValue::Number(x)) => {
                if *x != 0.0 {
                    *yes
                } else {
                    *no
                }
            }
            (ScoreFn::Value, FactValue::Number(x)) => x.clamp(0.0, 100.0),
        }
    }

    /// The kind's word in the file.
    pub fn kind_name(&self) -> &'static str {
        match self {
            ScoreFn::Steps(_) => "steps",
            ScoreFn::Decay(_) => "decay",
            ScoreFn::Flag { .. } => "yes/no",
            ScoreFn::Value => "value",
            ScoreFn::Map { .. } => "map",
        }
    }
}

/// One indicator of the tree, as the file gives it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub code: String,
    pub parent: Option<String>,
    pub name: String,
    pub weight: f64,
    /// Leaves only.
    pub source: Option<Source>,
    pub score: Option<ScoreFn>,
    pub missing: f64,
    /// Depth in the tree (families 0).
    pub depth: usize,
    /// The product of the weights from the family down to this indicator.
    pub effective_weight: f64,
}

/// A leaf, flattened: what scoring walks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leaf {
    pub code: String,
    pub name: String,
    /// The family's code (the top-level ancestor).
    pub family: String,
    /// The product of the weights on the path root → leaf.
    pub weight: f64,
    pub source: Source,
    pub score: ScoreFn,
    pub missing: f64,
    /// The source's position in [`IndexSystem::sources`] (what the facts are aligned to).
    pub slot: usize,
}

/// One class's threshold and consequences.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassRule {
    pub class: CreditClass,
    /// The score from which the class is reached (none for D: below C).
    pub min_score: Option<f64>,
    /// The default sampling ratio of random inspections, in (0, 1].
    pub sampling_ratio: f64,
    /// How often the class's sites are swept.
    pub sweep_every_hours: i64,
    /// Whether the class's badge is suspended.
    pub suspend_badge: bool,
}

/// The rules of the four classes, for the crates that apply the consequences (sampling,
/// sweeps, badges).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassRules {
    /// A, B, C, D in order.
    pub rules: [ClassRule; 4],
}

impl ClassRules {
    pub fn get(&self, class: CreditClass) -> &ClassRule {
        &self.rules[match class {
            CreditClass::A => 0,
            CreditClass::B => 1,
            CreditClass::C => 2,
            CreditClass::D => 3,
        }]
    }

    /// The class a score reaches (before the hard rules).
    pub fn class_for(&self, score: f64) -> CreditClass {
        for r in &self.rules[..3] {
            if score >= r.min_score.unwrap_or(f64::INFINITY) {
                return r.class;
            }
        }
        CreditClass::D
    }
}

/// A family (top-level indicator).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Family {
    pub code: String,
    pub name: String,
    pub weight: f64,
}

/// A validated index system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexSystem {
    pub version: String,
    pub name: String,
    pub classes: ClassRules,
    /// Every indicator, in tree order (each parent before its children, siblings in file
    /// order).
    pub indicators: Vec<Indicator>,
    pub families: Vec<Family>,
    pub leaves: Vec<Leaf>,
    /// The distinct sources the leaves read (with their parameters), in first-use order.
    pub sources: Vec<Source>,
    /// The file's text and its SHA-256.
    #[serde(skip)]
    pub text: String,
    pub sha256: String,
}

const CLASS_KEYS: [(&str, CreditClass); 4] = [
    ("A", CreditClass::A),
    ("B", CreditClass::B),
    ("C", CreditClass::C),
    ("D", CreditClass::D),
];

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn shape(at: impl Into<String>, e: impl std::fmt::Display) -> IndexProblem {
    IndexProblem::Shape {
        at: at.into(),
        message: e.to_string().trim().to_string(),
    }
}

fn check_points(code: &str, p: f64, out: &mut Vec<IndexProblem>) {
    if !(0.0..=100.0).contains(&p) {
        out.push(IndexProblem::PointsOutOfRange {
            code: code.to_string(),
            points: p,
        });
    }
}

/// The expected shape of a code under `parent` (families: one capital letter; their
/// children two digits; deeper levels `.` and two digits).
fn code_fits(code: &str, parent: Option<&str>) -> bool {
    let digits2 = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    match parent {
        None => code.len() == 1 && code.bytes().all(|b| b.is_ascii_uppercase()),
        Some(p) => match code.strip_prefix(p) {
            None => false,
            Some(rest) => {
                if p.len() == 1 {
                    digits2(rest)
                } else {
                    rest.strip_prefix('.').is_some_and(digits2)
                }
            }
        },
    }
}

/// Whether a category filter names a category code or a group prefix (`ad`).
fn category_known(c: &str) -> bool {
    domain::Category::ALL
        .iter()
        .any(|k| k.code() == c || k.code().split('.').next() == Some(c))
}

impl IndexSystem {
    /// Parses and validates a file. Any problem refuses it whole; every problem found is
    /// returned.
    pub fn parse(text: &str) -> Result<IndexSystem, Vec<IndexProblem>> {
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                let e: toml::de::Error = e;
                let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
                return Err(vec![IndexProblem::Syntax {
                    line,
                    column,
                    message: e.message().to_string(),
                }]);
            }
        };
        let mut out = Vec::new();

        for key in table.keys() {
            if !["version", "name", "classes", "indicator"].contains(&key.as_str()) {
                out.push(shape(key.clone(), "unknown key"));
            }
        }
        let mut text_field = |key: &str| -> String {
            match table.get(key) {
                Some(toml::Value::String(s)) if !s.trim().is_empty() => s.clone(),
                Some(toml::Value::String(_)) => {
                    out.push(IndexProblem::EmptyField { field: key.into() });
                    String::new()
                }
                Some(_) => {
                    out.push(shape(key, "expected a string"));
                    String::new()
                }
                None => {
                    out.push(shape(key, "missing"));
                    String::new()
                }
            }
        };
        let version = text_field("version");
        let name = text_field("name");

        let classes = Self::classes(table.get("classes"), &mut out);
        let (indicators, families, leaves) = Self::tree(table.get("indicator"), &mut out);

        if !out.is_empty() {
            return Err(out);
        }
        let mut leaves = leaves;
        let mut sources: Vec<Source> = Vec::new();
        for l in &mut leaves {
            l.slot = match sources.iter().position(|s| *s == l.source) {
                Some(i) => i,
                None => {
                    sources.push(l.source.clone());
                    sources.len() - 1
                }
            };
        }
        Ok(IndexSystem {
            version,
            name,
            classes: classes.expect("no problems: classes complete"),
            indicators,
            families,
            leaves,
            sources,
            text: text.to_string(),
            sha256: sha256_hex(text),
        })
    }

    fn classes(value: Option<&toml::Value>, out: &mut Vec<IndexProblem>) -> Option<ClassRules> {
        let Some(value) = value else {
            out.push(shape("classes", "missing"));
            return None;
        };
        let Some(table) = value.as_table() else {
            out.push(shape("classes", "expected a table"));
            return None;
        };
        for key in table.keys() {
            if !CLASS_KEYS.iter().any(|(k, _)| k == key) {
                out.push(IndexProblem::UnknownClass { class: key.clone() });
            }
        }
        let mut rules = Vec::new();
        for (key, class) in CLASS_KEYS {
            let Some(v) = table.get(key) else {
                out.push(IndexProblem::MissingClass { class });
                continue;
            };
            let raw: RawClass = match v.clone().try_into() {
                Ok(r) => r,
                Err(e) => {
                    out.push(shape(format!("classes.{key}"), e));
                    continue;
                }
            };
            match (class, raw.min_score) {
                (CreditClass::D, Some(_)) => out.push(IndexProblem::ThresholdOnD),
                (CreditClass::D, None) => {}
                (_, None) => out.push(IndexProblem::MissingThreshold { class }),
                (_, Some(m)) if !(0.0..=100.0).contains(&m) => {
                    out.push(IndexProblem::ThresholdOutOfRange {
                        class,
                        min_score: m,
                    })
                }
                _ => {}
            }
            if !(raw.sampling_ratio > 0.0 && raw.sampling_ratio <= 1.0) {
                out.push(IndexProblem::RatioOutOfRange {
                    class,
                    ratio: raw.sampling_ratio,
                });
            }
            if raw.sweep_every_hours < 1 {
                out.push(IndexProblem::SweepHoursOutOfRange {
                    class,
                    hours: raw.sweep_every_hours,
                });
            }
            rules.push(ClassRule {
                class,
                min_score: raw.min_score,
                sampling_ratio: raw.sampling_ratio,
                sweep_every_hours: raw.sweep_every_hours,
                suspend_badge: raw.suspend_badge,
            });
        }
        // Thresholds descend A > B > C.
        let mut above: Option<f64> = None;
        for r in rules.iter().filter(|r| r.class != CreditClass::D) {
            if let Some(m) = r.min_score {
                if let Some(a) = above {
                    if m >= a {
                        out.push(IndexProblem::ThresholdsNotDescending {
                            class: r.class,
                            min_score: m,
                            above: a,
                        });
                    }
                }
                above = Some(m);
            }
        }
        let rules: [ClassRule; 4] = rules.try_into().ok()?;
        Some(ClassRules { rules })
    }

    #[allow(clippy::type_complexity)]
    fn tree(
        value: Option<&toml::Value>,
        out: &mut Vec<IndexProblem>,
    ) -> (Vec<Indicator>, Vec<Family>, Vec<Leaf>) {
        let items: &[toml::Value] = match value {
            None => &[],
            Some(toml::Value::Array(a)) => a,
            Some(_) => {
                out.push(shape("indicator", "expected [[indicator]] tables"));
                return Default::default();
            }
        };
        let mut raws: Vec<RawIndicator> = Vec::new();
        for (i, v) in items.iter().enumerate() {
            match v.clone().try_into::<RawIndicator>() {
                Ok(r) => raws.push(r),
                Err(e) => {
                    let at = v
                        .get("code")
                        .and_then(|c| c.as_str())
                        .map_or_else(|| format!("indicator[{}]", i + 1), |c| c.to_string());
                    out.push(shape(at, e.message()));
                }
            }
        }
        if items.is_empty() {
            out.push(IndexProblem::NoIndicators);
            return Default::default();
        }

        // Codes: unique, parents known.
        let mut by_code: HashMap<&str, usize> = HashMap::new();
        for (i, r) in raws.iter().enumerate() {
            if by_code.insert(r.code.as_str(), i).is_some() {
                out.push(IndexProblem::DuplicateCode {
                    code: r.code.clone(),
                });
            }
        }
        for r in &raws {
            if let Some(p) = &r.parent {
                if !by_code.contains_key(p.as_str()) {
                    out.push(IndexProblem::UnknownParent {
                        code: r.code.clone(),
                        parent: p.clone(),
                    });
                }
            }
            if !code_fits(&r.code, r.parent.as_deref()) {
                out.push(IndexProblem::BadCode {
                    code: r.code.clone(),
                    parent: r.parent.clone(),
                });
            }
            if !(r.weight > 0.0 && r.weight <= 1.0) {
                out.push(IndexProblem::WeightOutOfRange {
                    code: r.code.clone(),
                    weight: r.weight,
                });
            }
        }
        // Cycles: follow parents; a walk that comes back to an indicator already on it.
        let mut in_cycle: HashSet<&str> = HashSet::new();
        for r in &raws {
            let mut path: Vec<&str> = vec![r.code.as_str()];
            let mut cur = r.parent.as_deref();
            while let Some(p) = cur {
                if let Some(pos) = path.iter().position(|c| *c == p) {
                    let mut cycle: Vec<String> =
                        path[pos..].iter().map(|s| s.to_string()).collect();
                    if !cycle.iter().any(|c| in_cycle.contains(c.as_str())) {
                        for c in &path[pos..] {
                            in_cycle.insert(c);
                        }
                        cycle.sort();
                        out.push(IndexProblem::Cycle { codes: cycle });
                    }
                    break;
                }
                path.push(p);
                cur = by_code.get(p).and_then(|i| raws[*i].parent.as_deref());
            }
        }

        // Children by parent (None: the families), in file order.
        let mut children: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
        for (i, r) in raws.iter().enumerate() {
            children.entry(r.parent.as_deref()).or_default().push(i);
        }
        for (parent, kids) in &children {
            if parent.is_some_and(|p| !by_code.contains_key(p)) {
                continue;
            }
            let sum: f64 = kids.iter().map(|i| raws[*i].weight).sum();
            if (sum - 1.0).abs() > WEIGHT_TOLERANCE {
                out.push(IndexProblem::WeightsNotSummingToOne {
                    parent: parent.map(str::to_string),
                    sum,
                });
            }
        }

        // Leaves and internal nodes; sources, parameters and scores.
        let mut compiled: Vec<Option<(Source, ScoreFn)>> = Vec::new();
        for r in &raws {
            let is_leaf = !children.contains_key(&Some(r.code.as_str()));
            compiled.push(if is_leaf {
                Self::leaf(r, out)
            } else {
                if r.source.is_some() {
                    out.push(IndexProblem::InternalWithSource {
                        code: r.code.clone(),
                    });
                }
                if r.score.is_some() || r.missing.is_some() {
                    out.push(IndexProblem::InternalWithScore {
                        code: r.code.clone(),
                    });
                }
                for (p, set) in [
                    ("days", r.days.is_some()),
                    ("severity", r.severity.is_some()),
                    ("categories", r.categories.is_some()),
                ] {
                    if set {
                        out.push(IndexProblem::ParamNotAllowed {
                            code: r.code.clone(),
                            source: String::new(),
                            param: p.into(),
                        });
                    }
                }
                None
            });
        }
        if !out.is_empty() {
            return Default::default();
        }

        // Tree order from the families down, effective weights.
        let mut indicators = Vec::new();
        let mut families = Vec::new();
        let mut leaves = Vec::new();
        let mut stack: Vec<(usize, usize, f64, String)> = children
            .get(&None)
            .map(|k| {
                k.iter()
                    .rev()
                    .map(|i| (*i, 0, 1.0, raws[*i].code.clone()))
                    .collect()
            })
            .unwrap_or_default();
        while let Some((i, depth, above, family)) = stack.pop() {
            let r = &raws[i];
            let w = above * r.weight;
            if depth == 0 {
                families.push(Family {
                    code: r.code.clone(),
                    name: r.name.clone(),
                    weight: r.weight,
                });
            }
            let leaf = compiled[i].clone();
            if let Some((source, score)) = &leaf {
                leaves.push(Leaf {
                    code: r.code.clone(),
                    name: r.name.clone(),
                    family: family.clone(),
                    weight: w,
                    source: source.clone(),
                    score: score.clone(),
                    missing: r.missing.unwrap_or(0.0),
                    slot: 0,
                });
            }
            indicators.push(Indicator {
                code: r.code.clone(),
                parent: r.parent.clone(),
                name: r.name.clone(),
                weight: r.weight,
                source: leaf.as_ref().map(|l| l.0.clone()),
                score: leaf.map(|l| l.1),
                missing: r.missing.unwrap_or(0.0),
                depth,
                effective_weight: w,
            });
            if let Some(kids) = children.get(&Some(r.code.as_str())) {
                for k in kids.iter().rev() {
                    stack.push((*k, depth + 1, w, family.clone()));
                }
            }
        }
        (indicators, families, leaves)
    }

    fn leaf(r: &RawIndicator, out: &mut Vec<IndexProblem>) -> Option<(Source, ScoreFn)> {
        let code = r.code.clone();
        let start = out.len();
        let source = match &r.source {
            None => {
                out.push(IndexProblem::LeafWithoutSource { code: code.clone() });
                None
            }
            Some(s) => match SOURCES.iter().find(|x| x.0 == s) {
                None => {
                    out.push(IndexProblem::UnknownSource {
                        code: code.clone(),
                        source: s.clone(),
                    });
                    None
                }
                Some(&(name, kind, required, optional)) => {
                    Some((Self::source(r, name, required, optional, out), kind, name))
                }
            },
        };
        let score = match &r.score {
            None => {
                out.push(IndexProblem::LeafWithoutScore { code: code.clone() });
                None
            }
            Some(s) => Self::score(&code, s, out),
        };
        if let Some(m) = r.missing {
            check_points(&code, m, out);
        }
        if let (Some((_, kind, name)), Some(score)) = (&source, &score) {
            let fits = match score {
                ScoreFn::Map { .. } => kind == &SourceKind::Category,
                ScoreFn::Flag { .. } => kind == &SourceKind::Flag,
                ScoreFn::Steps(_) | ScoreFn::Decay(_) | ScoreFn::Value => {
                    matches!(kind, SourceKind::Number | SourceKind::Count)
                }
            };
            if !fits {
                out.push(IndexProblem::ScoreKindMismatch {
                    code: code.clone(),
                    source: (*name).into(),
                    kind: score.kind_name().into(),
                });
            }
        }
        if out.len() > start {
            return None;
        }
        Some((source?.0?, score?))
    }

    fn source(
        r: &RawIndicator,
        name: &str,
        required: &[&str],
        optional: &[&str],
        out: &mut Vec<IndexProblem>,
    ) -> Option<Source> {
        let start = out.len();
        let given = [
            ("days", r.days.is_some()),
            ("severity", r.severity.is_some()),
            ("categories", r.categories.is_some()),
        ];
        for (p, set) in given {
            let allowed = required.contains(&p) || optional.contains(&p);
            if set && !allowed {
                out.push(IndexProblem::ParamNotAllowed {
                    code: r.code.clone(),
                    source: name.into(),
                    param: p.into(),
                });
            }
            if !set && required.contains(&p) {
                out.push(IndexProblem::ParamMissing {
                    code: r.code.clone(),
                    source: name.into(),
                    param: p.into(),
                });
            }
        }
        let bad = |param: &str, value: String| IndexProblem::BadParam {
            code: r.code.clone(),
            param: param.into(),
            value,
        };
        if let Some(d) = r.days {
            if d <= 0 {
                out.push(bad("days", d.to_string()));
            }
        }
        let severity = match r.severity.as_deref() {
            None => Severity::Low,
            Some(s) => s.parse().unwrap_or_else(|_| {
                out.push(bad("severity", s.to_string()));
                Severity::Low
            }),
        };
        let mut categories = r.categories.clone().unwrap_or_default();
        for c in &categories {
            if !category_known(c) {
                out.push(bad("categories", c.clone()));
            }
        }
        categories.sort();
        categories.dedup();
        if out.len() > start {
            return None;
        }
        let days = r.days.unwrap_or(0);
        Some(match name {
            "register.age_years" => Source::AgeYears,
            "register.capital_wan" => Source::CapitalWan,
            "register.legal_form" => Source::LegalForm,
            "permits.expired" => Source::PermitsExpired,
            "findings" => Source::Findings {
                days,
                severity,
                categories,
            },
            "cases" => Source::Cases { days },
            "fines.yuan" => Source::FinesYuan { days },
            "warnings" => Source::Warnings { days },
            "rectifications.met" => Source::RectificationsMet { days },
            "rectifications.missed" => Source::RectificationsMissed { days },
            "list.abnormal" => Source::ListAbnormal,
            "list.serious" => Source::ListSerious,
            "evaluation.score" => Source::EvaluationScore { days },
            "commitment.kept" => Source::CommitmentKept,
            "complaints.upheld" => Source::ComplaintsUpheld { days },
            "badge.valid" => Source::BadgeValid,
            _ => unreachable!("SOURCES and this match list the same names"),
        })
    }

    fn score(code: &str, s: &RawScore, out: &mut Vec<IndexProblem>) -> Option<ScoreFn> {
        let kinds = [
            s.steps.is_some(),
            s.decay.is_some(),
            s.yes.is_some() || s.no.is_some(),
            s.value.is_some(),
            s.map.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if kinds != 1 {
            out.push(IndexProblem::ScoreKindCount {
                code: code.into(),
                kinds,
            });
            return None;
        }
        let incomplete = |missing: &str| IndexProblem::ScoreIncomplete {
            code: code.into(),
            missing: missing.into(),
        };
        if s.other.is_some() && s.map.is_none() {
            out.push(incomplete("map"));
            return None;
        }
        let start = out.len();
        let f = if let Some(steps) = &s.steps {
            if steps.is_empty() {
                out.push(IndexProblem::StepsEmpty { code: code.into() });
            }
            if steps.windows(2).any(|w| w[1].0 <= w[0].0) {
                out.push(IndexProblem::StepsNotAscending { code: code.into() });
            }
            for (_, p) in steps {
                check_points(code, *p, out);
            }
            ScoreFn::Steps(steps.clone())
        } else if let Some(k) = s.decay {
            if k < 0.0 {
                out.push(IndexProblem::DecayNegative {
                    code: code.into(),
                    decay: k,
                });
            }
            ScoreFn::Decay(k)
        } else if let Some(v) = s.value {
            if !v {
                out.push(incomplete("value = true"));
            }
            ScoreFn::Value
        } else if let Some(map) = &s.map {
            for p in map.values() {
                check_points(code, *p, out);
            }
            let other = s.other.unwrap_or(0.0);
            check_points(code, other, out);
            ScoreFn::Map {
                map: map.clone(),
                other,
            }
        } else {
            match (s.yes, s.no) {
                (Some(yes), Some(no)) => {
                    check_points(code, yes, out);
                    check_points(code, no, out);
                    ScoreFn::Flag { yes, no }
                }
                (Some(_), None) => {
                    out.push(incomplete("no"));
                    return None;
                }
                _ => {
                    out.push(incomplete("yes"));
                    return None;
                }
            }
        };
        (out.len() == start).then_some(f)
    }

    pub fn indicator(&self, code: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<IndexProblem> {
        IndexSystem::parse(text).expect_err("refused")
    }

    const CLASSES: &str = r#"
version = "t1"
name = "测试"
[classes.A]
min_score = 85.0
sampling_ratio = 0.03
sweep_every_hours = 24
suspend_badge = false
[classes.B]
min_score = 70.0
sampling_ratio = 0.1
sweep_every_hours = 24
suspend_badge = false
[classes.C]
min_score = 55.0
sampling_ratio = 0.3
sweep_every_hours = 12
suspend_badge = false
[classes.D]
sampling_ratio = 0.7
sweep_every_hours = 6
suspend_badge = true
"#;

    #[test]
    fn the_default_file_is_valid_and_its_leaves_weigh_one() {
        let sys = IndexSystem::parse(DEFAULT_INDEX).expect("default valid");
        assert_eq!(sys.version, "2026.2");
        assert_eq!(sys.families.len(), 4);
        assert_eq!(sys.leaves.len(), 15);
        let total: f64 = sys.leaves.iter().map(|l| l.weight).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        let b01 = sys.leaves.iter().find(|l| l.code == "B01").unwrap();
        assert!((b01.weight - 0.35 * 0.45).abs() < 1e-12);
        assert_eq!(
            b01.source,
            Source::Findings {
                days: 365,
                severity: Severity::High,
                categories: vec![]
            }
        );
        assert_eq!(b01.family, "B");
        assert_eq!(sys.classes.class_for(85.0), CreditClass::A);
        assert_eq!(sys.classes.class_for(84.99), CreditClass::B);
        assert_eq!(sys.classes.class_for(55.0), CreditClass::C);
        assert_eq!(sys.classes.class_for(54.9), CreditClass::D);
        assert_eq!(sys.classes.get(CreditClass::D).sampling_ratio, 0.7);
        assert!(sys.classes.get(CreditClass::D).suspend_badge);
        // Tree order: each family before its children.
        let codes: Vec<&str> = sys.indicators.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(&codes[..4], ["A", "A01", "A02", "A03"]);
    }

    #[test]
    fn a_syntax_error_names_line_and_column() {
        let p = problems("version = \"x\"\nname = \n");
        assert!(
            matches!(&p[..], [IndexProblem::Syntax { line: 2, column, .. }] if *column >= 7),
            "{p:?}"
        );
    }

    #[test]
    fn every_tree_problem_is_reported_at_once() {
        let text = format!(
            "{CLASSES}{}",
            r#"
[[indicator]]
code = "A"
name = "甲"
weight = 0.5
source = "cases"

[[indicator]]
code = "A01"
parent = "A"
name = "子一"
weight = 0.7
source = "credit.magic"
score = { decay = 1 }

[[indicator]]
code = "A02"
parent = "A"
name = "子二"
weight = 0.2
source = "findings"
severity = "awful"
categories = ["ad", "nonsense"]
score = { map = { x = 10 }, other = 5 }

[[indicator]]
code = "A02"
parent = "A"
name = "重复"
weight = 0.1
source = "register.age_years"
days = 3
score = { steps = [[5, 10], [1, 20]] }

[[indicator]]
code = "b"
name = "小写"
weight = 0.5

[[indicator]]
code = "X01"
parent = "X"
name = "无父"
weight = 1.0
source = "cases"
days = 30
score = { decay = 1, value = true }

[[indicator]]
code = "C01"
parent = "C02"
name = "环一"
weight = 1.0
[[indicator]]
code = "C02"
parent = "C01"
name = "环二"
weight = 1.0

[[indicator]]
code = "B01"
parent = "b"
name = "没有来源"
weight = 1.0
"#
        );
        let p = problems(&text);
        let has = |f: &dyn Fn(&IndexProblem) -> bool| p.iter().any(f);
        use IndexProblem::*;
        assert!(has(
            &|x| matches!(x, InternalWithSource { code } if code == "A")
        ));
        assert!(has(
            &|x| matches!(x, UnknownSource { code, source } if code == "A01" && source == "credit.magic")
        ));
        assert!(has(
            &|x| matches!(x, ParamMissing { code, param, .. } if code == "A02" && param == "days")
        ));
        assert!(has(
            &|x| matches!(x, BadParam { param, value, .. } if param == "severity" && value == "awful")
        ));
        assert!(has(
            &|x| matches!(x, BadParam { param, value, .. } if param == "categories" && value == "nonsense")
        ));
        assert!(!has(
            &|x| matches!(x, BadParam { value, .. } if value == "ad")
        ));
        assert!(has(
            &|x| matches!(x, ScoreKindMismatch { code, kind, .. } if code == "A02" && kind == "map")
        ));
        assert!(has(
            &|x| matches!(x, DuplicateCode { code } if code == "A02")
        ));
        assert!(has(
            &|x| matches!(x, ParamNotAllowed { param, source, .. } if param == "days" && source == "register.age_years")
        ));
        assert!(has(
            &|x| matches!(x, StepsNotAscending { code } if code == "A02")
        ));
        assert!(has(&|x| matches!(x, BadCode { code, .. } if code == "b")));
        assert!(has(
            &|x| matches!(x, UnknownParent { code, parent } if code == "X01" && parent == "X")
        ));
        assert!(has(
            &|x| matches!(x, ScoreKindCount { code, kinds: 2 } if code == "X01")
        ));
        assert!(has(
            &|x| matches!(x, Cycle { codes } if codes == &["C01", "C02"])
        ));
        assert!(has(
            &|x| matches!(x, LeafWithoutSource { code } if code == "B01")
        ));
        assert!(has(
            &|x| matches!(x, LeafWithoutScore { code } if code == "B01")
        ));
        // Families A (0.5) + b (0.5) = 1; A's children 0.7 + 0.2 + 0.1 = 1.
        assert!(!has(&|x| matches!(
            x,
            WeightsNotSummingToOne { parent: None, .. }
        )));
        assert!(p.len() >= 16, "{p:#?}");
    }

    #[test]
    fn weights_classes_and_scores_are_checked() {
        let text = r#"
version = ""
name = "x"
colour = "red"
[classes.A]
min_score = 60.0
sampling_ratio = 0.0
sweep_every_hours = 0
suspend_badge = false
[classes.B]
min_score = 70.0
sampling_ratio = 1.5
sweep_every_hours = 24
suspend_badge = false
[classes.C]
sampling_ratio = 0.3
sweep_every_hours = 12
suspend_badge = false
[classes.D]
min_score = 10.0
sampling_ratio = 0.7
sweep_every_hours = 6
suspend_badge = true
[classes.E]
min_score = 1.0

[[indicator]]
code = "A"
name = "甲"
weight = 0.6
[[indicator]]
code = "A01"
parent = "A"
name = "一"
weight = 0.5
source = "list.abnormal"
score = { steps = [[0, 10]] }
[[indicator]]
code = "A02"
parent = "A"
name = "二"
weight = 0.3
source = "register.legal_form"
score = { yes = 120 }
missing = -1
[[indicator]]
code = "B"
name = "乙"
weight = 0.3
source = "cases"
days = 0
score = { decay = -2 }
colour = "x"
"#;
        let p = problems(text);
        use IndexProblem::*;
        let has = |f: &dyn Fn(&IndexProblem) -> bool| p.iter().any(f);
        assert!(has(
            &|x| matches!(x, EmptyField { field } if field == "version")
        ));
        assert!(has(&|x| matches!(x, Shape { at, .. } if at == "colour")));
        assert!(
            has(&|x| matches!(x, Shape { at, .. } if at == "B")),
            "{p:#?}"
        );
        assert!(has(&|x| matches!(
            x,
            RatioOutOfRange {
                class: CreditClass::A,
                ..
            }
        )));
        assert!(has(&|x| matches!(
            x,
            RatioOutOfRange {
                class: CreditClass::B,
                ..
            }
        )));
        assert!(has(&|x| matches!(
            x,
            SweepHoursOutOfRange {
                class: CreditClass::A,
                hours: 0
            }
        )));
        assert!(has(&|x| matches!(
            x,
            MissingThreshold {
                class: CreditClass::C
            }
        )));
        assert!(has(&|x| matches!(x, ThresholdOnD)));
        assert!(has(&|x| matches!(
            x,
            ThresholdsNotDescending {
                class: CreditClass::B,
                ..
            }
        )));
        assert!(has(
            &|x| matches!(x, UnknownClass { class } if class == "E")
        ));
        assert!(has(
            &|x| matches!(x, WeightsNotSummingToOne { parent: Some(p), sum } if p == "A" && (sum - 0.8).abs() < 1e-9)
        ));
        assert!(has(
            &|x| matches!(x, ScoreKindMismatch { code, kind, .. } if code == "A01" && kind == "steps")
        ));
        assert!(has(
            &|x| matches!(x, ScoreIncomplete { code, missing } if code == "A02" && missing == "no")
        ));
        assert!(has(
            &|x| matches!(x, PointsOutOfRange { code, .. } if code == "A02")
        ));
        // B is malformed (unknown key), so the families' sum is A's alone.
        assert!(has(&|x| matches!(
            x,
            WeightsNotSummingToOne { parent: None, .. }
        )));
    }

    #[test]
    fn leaf_parameters_and_scores() {
        let text = format!(
            "{CLASSES}{}",
            r#"
[[indicator]]
code = "A"
name = "甲"
weight = 1.0
[[indicator]]
code = "A01"
parent = "A"
name = "一"
weight = 0.4
source = "cases"
days = -5
score = { decay = -1 }
[[indicator]]
code = "A02"
parent = "A"
name = "二"
weight = 0.3
source = "register.legal_form"
score = { map = { enterprise = 100, individual = 80 }, other = 60 }
[[indicator]]
code = "A03"
parent = "A"
name = "三"
weight = 0.3
source = "evaluation.score"
days = 10
score = { steps = [] }
"#
        );
        let p = problems(&text);
        use IndexProblem::*;
        assert!(p.contains(&BadParam {
            code: "A01".into(),
            param: "days".into(),
            value: "-5".into()
        }));
        assert!(p.contains(&DecayNegative {
            code: "A01".into(),
            decay: -1.0
        }));
        assert!(p.contains(&StepsEmpty { code: "A03".into() }));
        assert_eq!(p.len(), 3, "{p:#?}");
    }

    #[test]
    fn scoring_functions() {
        let steps = ScoreFn::Steps(vec![(0.0, 40.0), (1.0, 60.0), (3.0, 80.0), (5.0, 100.0)]);
        let n = |x: f64| Some(FactValue::Number(x));
        assert_eq!(steps.points(n(-1.0).as_ref(), 40.0), 0.0);
        assert_eq!(steps.points(n(0.5).as_ref(), 40.0), 40.0);
        assert_eq!(steps.points(n(3.0).as_ref(), 40.0), 80.0);
        assert_eq!(steps.points(n(30.0).as_ref(), 40.0), 100.0);
        assert_eq!(steps.points(None, 40.0), 40.0);
        assert_eq!(ScoreFn::Decay(25.0).points(n(3.0).as_ref(), 0.0), 25.0);
        assert_eq!(ScoreFn::Decay(25.0).points(n(5.0).as_ref(), 0.0), 0.0);
        let flag = ScoreFn::Flag {
            yes: 0.0,
            no: 100.0,
        };
        assert_eq!(flag.points(n(1.0).as_ref(), 0.0), 0.0);
        assert_eq!(flag.points(n(0.0).as_ref(), 0.0), 100.0);
        assert_eq!(ScoreFn::Value.points(n(130.0).as_ref(), 0.0), 100.0);
        let map = ScoreFn::Map {
            map: [("enterprise".to_string(), 100.0)].into(),
            other: 60.0,
        };
        let c = |s: &str| Some(FactValue::Category(s.into()));
        assert_eq!(map.points(c("enterprise").as_ref(), 0.0), 100.0);
        assert_eq!(map.points(c("individual").as_ref(), 0.0), 60.0);
    }

    #[test]
    fn ensure_file_writes_the_default_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = ensure_file(dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), DEFAULT_INDEX);
        std::fs::write(&path, "mine").unwrap();
        ensure_file(dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    }
}
