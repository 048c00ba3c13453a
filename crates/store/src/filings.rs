//! Other departments' data (`wangjian import filings --source NAME FILE`): telecom filings,
//! food permits, finance licenses, tax status. Each source has a **mapping file** (TOML) that
//! says which of its columns fill which filing field, so a new source needs a file, not code.
//! The format is documented in `mappings/README.md`; the built-in sources are in `mappings/`.
//!
//! The rules are the entity import's: a pure parser turns the file into validated
//! [`FilingInput`]s plus rejected rows (line and reason, written to `<file>.rejects.csv`);
//! batches are applied in one transaction each; a second run changes nothing. Each filing is
//! joined to an entity by USCC, else by domain, and its [`Conflict`]s with the register are
//! reported (`<file>.conflicts.csv`) and shown on the profile — never resolved by overwriting.

use crate::import::{
    no_alias, parse_rows, read_input, reject_file_path, write_rejects, Format, ImportError,
    ImportOptions, Rejected,
};
use crate::model::{Entity, Scope, SiteAddress, Upsert};
use crate::Store;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{EntityId, FoodLicense, Icp, Uscc, UsccError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

/// The fields a mapping can fill.
pub const FIELDS: [&str; 10] = [
    "uscc",
    "domain",
    "name",
    "number",
    "kind",
    "scope",
    "valid_from",
    "valid_until",
    "status",
    "address",
];

/// How a source's file maps onto filings (one TOML file per source).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The source's name, as given to `--source`.
    pub source: String,
    /// A title for people (the department and the data set).
    pub title: String,
    /// What every record is (`icp`, `food_permit`, …), unless `columns.kind` reads it per row.
    #[serde(default)]
    pub kind: Option<String>,
    /// The fields whose values make a record's key within the source, joined by `|`.
    pub key: Vec<String>,
    /// How `number` is checked: `icp`, `food_license` or `text` (the default: any text).
    #[serde(default)]
    pub number_format: NumberFormat,
    /// Field name → the file's column header.
    pub columns: BTreeMap<String, String>,
}

/// How a filing's number is validated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberFormat {
    #[default]
    Text,
    Icp,
    FoodLicense,
}

/// The sources wangjian knows without a mapping file of the deployment's own.
pub const BUILTIN: [(&str, &str); 4] = [
    ("telecom", include_str!("../../../mappings/telecom.toml")),
    ("food", include_str!("../../../mappings/food.toml")),
    ("finance", include_str!("../../../mappings/finance.toml")),
    ("tax", include_str!("../../../mappings/tax.toml")),
];

impl Mapping {
    /// Reads and checks a mapping file's text.
    pub fn parse(text: &str) -> Result<Mapping, String> {
        let m: Mapping = toml::from_str(text).map_err(|e| e.to_string())?;
        for field in m.columns.keys() {
            if !FIELDS.contains(&field.as_str()) {
                return Err(format!(
                    "columns: unknown field {field:?} (fields: {})",
                    FIELDS.join(", ")
                ));
            }
        }
        if !m.columns.contains_key("uscc") && !m.columns.contains_key("domain") {
            return Err("columns must map uscc or domain: a filing joins by one of them".into());
        }
        if m.kind.is_none() && !m.columns.contains_key("kind") {
            return Err("give `kind`, or map a column to the field kind".into());
        }
        if m.key.is_empty() {
            return Err("key names no field".into());
        }
        for k in &m.key {
            if !m.columns.contains_key(k) {
                return Err(format!("key field {k:?} is not mapped in columns"));
            }
        }
        if m.source.trim().is_empty() {
            return Err("source is empty".into());
        }
        Ok(m)
    }

    /// A built-in source's mapping.
    pub fn builtin(source: &str) -> Option<Mapping> {
        BUILTIN
            .iter()
            .find(|(name, _)| *name == source)
            .map(|(name, text)| {
                Mapping::parse(text)
                    .unwrap_or_else(|e| panic!("built-in mapping {name} is invalid: {e}"))
            })
    }

    /// The file's column header of a field, lower-cased as the reader sees headers.
    fn header(&self, field: &str) -> Option<String> {
        self.columns.get(field).map(|h| h.trim().to_lowercase())
    }
}

/// What the parser could read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedFilings {
    pub rows: Vec<(usize, FilingInput)>,
    pub rejected: Vec<Rejected>,
    pub fatal: Option<String>,
}

/// Parses a source's file with its mapping.
pub fn parse(
    bytes: &[u8],
    format: Format,
    encoding: crate::import::SourceEncoding,
    mapping: &Mapping,
) -> ParsedFilings {
    let input = read_input(bytes, format, encoding);
    let required: Vec<String> = mapping
        .key
        .iter()
        .filter_map(|k| mapping.header(k))
        .collect();
    let required: Vec<&str> = required.iter().map(String::as_str).collect();
    match parse_rows(
        &input,
        &required,
        no_alias,
        |fields| validate(fields, mapping),
        |f: &FilingInput| format!("key {}", f.record_key),
    ) {
        Ok((rows, rejected)) => ParsedFilings {
            rows,
            rejected,
            fatal: None,
        },
        Err(fatal) => ParsedFilings {
            fatal: Some(fatal),
            ..ParsedFilings::default()
        },
    }
}

fn validate(fields: Vec<(String, String)>, m: &Mapping) -> Result<FilingInput, Vec<String>> {
    let all: BTreeMap<String, String> = fields.into_iter().collect();
    let mut errors = Vec::new();
    let get = |field: &str| m.header(field).and_then(|h| all.get(&h).cloned());
    let col = |field: &str| m.columns.get(field).cloned().unwrap_or_default();

    let uscc = get("uscc").and_then(|raw| {
        let norm = domain::text::compact_upper(&raw);
        match Uscc::parse_exact(&norm) {
            Ok(_) | Err(UsccError::Check { .. } | UsccError::OrgCodeCheck { .. }) => Some(norm),
            Err(e) => {
                errors.push(format!("{} (uscc) {raw:?}: {e}", col("uscc")));
                None
            }
        }
    });
    let domain = get("domain").and_then(|raw| match SiteAddress::parse(&raw) {
        Ok(a) => Some(a.to_string()),
        Err(e) => {
            errors.push(format!("{} (domain): {e}", col("domain")));
            None
        }
    });
    if uscc.is_none() && domain.is_none() && errors.is_empty() {
        errors.push(format!(
            "neither {} nor {} is given: the record cannot be joined",
            m.columns.get("uscc").map_or("uscc", String::as_str),
            m.columns.get("domain").map_or("domain", String::as_str),
        ));
    }
    let number = get("number").and_then(|raw| match m.number_format {
        NumberFormat::Text => Some(raw.trim().to_string()),
        NumberFormat::Icp => Icp::parse(&raw)
            .map(|i| i.to_string())
            .map_err(|e| errors.push(format!("{} (number): {e}", col("number"))))
            .ok(),
        NumberFormat::FoodLicense => FoodLicense::parse(&raw)
            .map(|f| f.to_string())
            .map_err(|e| errors.push(format!("{} (number): {e}", col("number"))))
            .ok(),
    });
    let mut date = |field: &str| -> Option<NaiveDate> {
        get(field).and_then(|raw| {
            domain::parse_date(&raw)
                .map_err(|e| errors.push(format!("{} ({field}): {e}", col(field))))
                .ok()
        })
    };
    let valid_from = date("valid_from");
    let valid_until = date("valid_until");
    if let (Some(a), Some(b)) = (valid_from, valid_until) {
        if b < a {
            errors.push(format!("valid_until {b} is before valid_from {a}"));
        }
    }
    let kind = get("kind").or_else(|| m.kind.clone());
    let name = get("name");
    let scope = get("scope");
    let status = get("status");
    let address = get("address");

    let mut key_parts = Vec::new();
    for k in &m.key {
        let v = match k.as_str() {
            "uscc" => uscc.clone(),
            "domain" => domain.clone(),
            "number" => number.clone(),
            other => get(other),
        };
        match v {
            Some(v) => key_parts.push(v),
            None => errors.push(format!(
                "{} ({k}) is missing: it is part of the key",
                col(k)
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(FilingInput {
        source: m.source.clone(),
        record_key: key_parts.join("|"),
        kind: kind.unwrap_or_default(),
        uscc,
        domain,
        name,
        number,
        scope,
        valid_from,
        valid_until,
        status,
        address,
        fields: all,
    })
}

/// What a filings import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilingsSummary {
    pub read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// Records joined to no entity.
    pub unjoined: usize,
    /// Conflicts with the register, of all kinds.
    pub conflicts: usize,
    pub reject_file: Option<PathBuf>,
    pub conflict_file: Option<PathBuf>,
}

impl fmt::Display for FilingsSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} unchanged, {} rejected; {} not joined to an entity, {} conflicts with the register",
            self.created, self.updated, self.unchanged, self.rejected, self.unjoined, self.conflicts
        )
    }
}

/// The conflict report for an input: `<input file name>.conflicts.csv` beside it.
pub fn conflict_file_path(input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{name}.conflicts.csv"))
}

/// Imports a source's file: parses it with `mapping`, applies the records in batches, writes
/// the rejects and the conflicts beside the input (removing stale reports when there are
/// none). `today` dates the expiry check.
pub async fn import_filings(
    store: &dyn Store,
    path: &Path,
    mapping: &Mapping,
    opts: &ImportOptions,
    today: NaiveDate,
) -> Result<FilingsSummary, ImportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImportError::Io { path, source }
    };
    let bytes = super::import::read_import_file(path, opts.max_file_bytes)?;
    let format = opts.format.unwrap_or_else(|| Format::detect(path, &bytes));
    let parsed = parse(&bytes, format, opts.encoding, mapping);
    if let Some(reason) = parsed.fatal {
        return Err(ImportError::Unreadable {
            path: path.to_path_buf(),
            reason,
        });
    }
    let mut summary = FilingsSummary {
        read: parsed.rows.len() + parsed.rejected.len(),
        rejected: parsed.rejected.len(),
        ..FilingsSummary::default()
    };
    let mut report: Vec<(usize, String, Conflict)> = Vec::new();
    let mut entities = HashMap::new();
    for chunk in parsed.rows.chunks(opts.batch_size.max(1)) {
        let batch: Vec<FilingInput> = chunk.iter().map(|(_, f)| f.clone()).collect();
        let stored = store.upsert_filings(&batch).await?;
        for ((line, _), (outcome, filing)) in chunk.iter().zip(stored) {
            match outcome {
                Upsert::Created => summary.created += 1,
                Upsert::Updated => summary.updated += 1,
                Upsert::Unchanged => summary.unchanged += 1,
            }
            let entity = match filing.entity_id {
                None => None,
                Some(id) => {
                    if let std::collections::hash_map::Entry::Vacant(v) = entities.entry(id) {
                        // The import acts for the whole bureau.
                        v.insert(store.entity(Scope::City, id).await?);
                    }
                    entities.get(&id).cloned().flatten()
                }
            };
            if entity.is_none() {
                summary.unjoined += 1;
            }
            for c in conflicts(&filing, entity.as_ref(), today) {
                report.push((*line, filing.input.record_key.clone(), c));
            }
        }
    }
    summary.conflicts = report.len();

    let reject_path = reject_file_path(path);
    if parsed.rejected.is_empty() {
        remove_stale(&reject_path)?;
    } else {
        write_rejects(&reject_path, &parsed.rejected).map_err(io(&reject_path))?;
        summary.reject_file = Some(reject_path);
    }
    let conflict_path = conflict_file_path(path);
    if report.is_empty() {
        remove_stale(&conflict_path)?;
    } else {
        write_conflicts(&conflict_path, &mapping.source, &report).map_err(io(&conflict_path))?;
        summary.conflict_file = Some(conflict_path);
    }
    tracing::info!(file = %path.display(), source = %mapping.source, "import: {summary}");
    Ok(summary)
}

fn remove_stale(path: &Path) -> Result<(), ImportError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ImportError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes `line,source,record_key,conflict,detail`.
fn write_conflicts(
    path: &Path,
    source: &str,
    report: &[(usize, String, Conflict)],
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["line", "source", "record_key", "conflict", "detail"])?;
    for (line, key, c) in report {
        w.write_record([
            line.to_string().as_str(),
            source,
            key,
            c.code(),
            &c.to_string(),
        ])?;
    }
    w.flush()
}

// --- filings as stored, and their conflicts with the register ---

/// One record of another department, as its source's mapping reads it, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingInput {
    /// The source named on import (`telecom`, `food`, …).
    pub source: String,
    /// The record's key within the source (the mapping says which columns make it).
    pub record_key: String,
    /// What the record is (`icp`, `food_permit`, `finance_license`, `tax_status`, …).
    pub kind: String,
    pub uscc: Option<String>,
    /// Hostname or shop address (`host[/prefix]`), canonical.
    pub domain: Option<String>,
    /// The entity's name as the source has it.
    pub name: Option<String>,
    /// Permit, license or filing number.
    pub number: Option<String>,
    pub scope: Option<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub status: Option<String>,
    pub address: Option<String>,
    /// Every non-empty column of the row, mapped or not, by its header in the source file.
    pub fields: BTreeMap<String, String>,
}

/// How a filing found its entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinedBy {
    Uscc,
    Domain,
}

impl JoinedBy {
    pub fn code(self) -> &'static str {
        match self {
            JoinedBy::Uscc => "uscc",
            JoinedBy::Domain => "domain",
        }
    }
}

/// A stored filing and what it is joined to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filing {
    pub id: i64,
    pub input: FilingInput,
    pub entity_id: Option<EntityId>,
    pub joined_by: Option<JoinedBy>,
    /// The registered entity whose site is the filing's domain, when there is one.
    pub domain_entity: Option<(EntityId, String)>,
    pub imported_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Something a filing says that disagrees with the register. Shown on the profile and in the
/// import's conflict report; never resolved by overwriting either side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Conflict {
    /// Neither the USCC nor the domain matches a register entity.
    NoEntity,
    /// The source names the entity differently (and not by one of its former names).
    NameDiffers { filing: String, register: String },
    /// The permit or license is past its validity.
    Expired { valid_until: NaiveDate },
    /// The filed domain is a site of another registered entity.
    DomainOfOther {
        domain: String,
        entity: EntityId,
        name: String,
    },
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conflict::NoEntity => f.write_str("no register entity has this USCC or domain"),
            Conflict::NameDiffers { filing, register } => {
                write!(
                    f,
                    "name {filing:?} differs from the register's {register:?}"
                )
            }
            Conflict::Expired { valid_until } => write!(f, "expired on {valid_until}"),
            Conflict::DomainOfOther { domain, name, .. } => {
                write!(f, "domain {domain} is a registered site of {name}")
            }
        }
    }
}

impl Conflict {
    pub fn code(&self) -> &'static str {
        match self {
            Conflict::NoEntity => "no_entity",
            Conflict::NameDiffers { .. } => "name_differs",
            Conflict::Expired { .. } => "expired",
            Conflict::DomainOfOther { .. } => "domain_of_other",
        }
    }
}

/// Names compare equal when they differ only in spaces, width and the brackets' form.
fn same_name(a: &str, b: &str) -> bool {
    fn key(s: &str) -> String {
        s.chars()
            .map(domain::text::fold_width)
            .filter(|c| !c.is_whitespace())
            .collect()
    }
    key(a) == key(b)
}

/// The conflicts of a filing with the register as of `today`. `entity` is the filing's
/// joined entity (`filing.entity_id`), when there is one.
pub fn conflicts(filing: &Filing, entity: Option<&Entity>, today: NaiveDate) -> Vec<Conflict> {
    let mut out = Vec::new();
    match entity {
        None => out.push(Conflict::NoEntity),
        Some(e) => {
            if let Some(name) = &filing.input.name {
                let known = std::iter::once(&e.input.name).chain(&e.input.former_names);
                if !known.clone().any(|n| same_name(n, name)) {
                    out.push(Conflict::NameDiffers {
                        filing: name.clone(),
                        register: e.input.name.clone(),
                    });
                }
            }
            if let (Some(domain), Some((owner, owner_name))) =
                (&filing.input.domain, &filing.domain_entity)
            {
                if *owner != e.id {
                    out.push(Conflict::DomainOfOther {
                        domain: domain.clone(),
                        entity: *owner,
                        name: owner_name.clone(),
                    });
                }
            }
        }
    }
    if let Some(until) = filing.input.valid_until {
        if until < today {
            out.push(Conflict::Expired { valid_until: until });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::SourceEncoding;

    fn telecom() -> Mapping {
        Mapping::builtin("telecom").unwrap()
    }

    #[test]
    fn builtin_mappings_parse() {
        for (name, _) in BUILTIN {
            let m = Mapping::builtin(name).unwrap();
            assert_eq!(m.source, name);
        }
    }

    #[test]
    fn mapping_errors_are_clear() {
        let e = Mapping::parse(
            "source = \"x\"\ntitle = \"t\"\nkind = \"k\"\nkey = [\"number\"]\n[columns]\nnumber = \"n\"\n",
        )
        .unwrap_err();
        assert!(e.contains("uscc or domain"), "{e}");
        let e = Mapping::parse(
            "source = \"x\"\ntitle = \"t\"\nkind = \"k\"\nkey = [\"number\"]\n[columns]\nuscc = \"u\"\nnumbr = \"n\"\n",
        )
        .unwrap_err();
        assert!(e.contains("numbr"), "{e}");
        let e = Mapping::parse(
            "source = \"x\"\ntitle = \"t\"\nkind = \"k\"\nkey = [\"number\"]\n[columns]\nuscc = \"u\"\n",
        )
        .unwrap_err();
        assert!(e.contains("key field"), "{e}");
    }

    #[test]
    fn telecom_rows_validate_and_reject_with_reasons() {
        let m = telecom();
        let h: Vec<&str> = ["uscc", "name", "domain", "number", "valid_from"]
            .iter()
            .map(|f| m.columns[*f].as_str())
            .collect();
        let text = format!(
            "{}\n\
             91450103MA5K00012X,甲公司,www.a.test,桂ICP备2017001234号-1,2017-03-08\n\
             ,乙公司,b.test,桂ICP备2017001235号-1,2018/1/2\n\
             ,丙公司,,桂ICP备2017001236号-1,\n\
             9145010,丁公司,d.test,ICP123,2019-13-01\n\
             91450103MA5K00012X,甲公司,www.a.test,桂ICP备2017001234号-1,2017-03-08\n",
            h.join(",")
        );
        let p = parse(text.as_bytes(), Format::Csv, SourceEncoding::Utf8, &m);
        assert_eq!(p.fatal, None);
        let lines: Vec<usize> = p.rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [2, 3]);
        let f = &p.rows[0].1;
        assert_eq!(f.domain.as_deref(), Some("www.a.test"));
        assert_eq!(f.record_key, "桂ICP备2017001234号-1");
        assert_eq!(f.kind, "icp");
        assert_eq!(f.valid_from, "2017-03-08".parse().ok());
        let reasons: Vec<(usize, &str)> = p
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 3);
        assert!(reasons[0].1.contains("cannot be joined"), "{reasons:?}");
        assert_eq!(reasons[1].0, 5);
        assert!(reasons[1].1.contains("uscc"), "{reasons:?}");
        assert!(reasons[1].1.contains("number"), "{reasons:?}");
        assert!(reasons[1].1.contains("valid_from"), "{reasons:?}");
        assert!(reasons[2].1.contains("line 2"), "{reasons:?}");
    }

    #[test]
    fn missing_key_column_is_fatal() {
        let p = parse(b"a,b\n1,2\n", Format::Csv, SourceEncoding::Utf8, &telecom());
        assert!(p.fatal.unwrap().contains("missing required column"));
    }
}

#[cfg(test)]
mod conflict_tests {
    use super::*;
    use crate::model::EntityInput;
    use domain::{DistrictCode, SiteKind};

    fn entity(id: i64, name: &str, former: &[&str]) -> Entity {
        let mut input = EntityInput::new(
            "91450103MA5K00012X",
            name,
            SiteKind::TradingSite,
            DistrictCode::parse("450103").unwrap(),
        );
        input.former_names = former.iter().map(|s| s.to_string()).collect();
        Entity {
            id: EntityId(id),
            input,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn filing(name: Option<&str>, domain_entity: Option<i64>, until: Option<&str>) -> Filing {
        Filing {
            id: 1,
            input: FilingInput {
                source: "telecom".into(),
                record_key: "k".into(),
                kind: "icp".into(),
                uscc: None,
                domain: Some("a.test".into()),
                name: name.map(str::to_string),
                number: None,
                scope: None,
                valid_from: None,
                valid_until: until.map(|u| u.parse().unwrap()),
                status: None,
                address: None,
                fields: BTreeMap::new(),
            },
            entity_id: Some(EntityId(1)),
            joined_by: Some(JoinedBy::Uscc),
            domain_entity: domain_entity.map(|id| (EntityId(id), "别家公司".to_string())),
            imported_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn conflicts_name_former_name_domain_and_expiry() {
        let today: NaiveDate = "2026-11-30".parse().unwrap();
        let e = entity(1, "南宁市甲商贸有限公司", &["南宁市旧名商行"]);
        let ok = filing(Some("南宁市甲商贸有限公司 "), Some(1), Some("2027-01-01"));
        assert_eq!(conflicts(&ok, Some(&e), today), vec![]);
        let former = filing(Some("南宁市旧名商行"), None, None);
        assert_eq!(conflicts(&former, Some(&e), today), vec![]);
        let bad = filing(Some("南宁市乙公司"), Some(2), Some("2025-12-31"));
        let c = conflicts(&bad, Some(&e), today);
        let codes: Vec<&str> = c.iter().map(Conflict::code).collect();
        assert_eq!(codes, ["name_differs", "domain_of_other", "expired"]);
        assert!(c[1].to_string().contains("别家公司"));
        assert_eq!(
            conflicts(&ok, None, today)
                .iter()
                .map(Conflict::code)
                .collect::<Vec<_>>(),
            ["no_entity"]
        );
    }
}
