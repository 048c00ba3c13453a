//! The register import (spec/registry-import.md): a pure parser from file bytes to validated
//! [`EntityInput`]s plus rejected rows, and an applier that writes them through a [`Store`] in
//! batches and leaves a reject file next to the input.
//!
//! The parser does no IO and never fails as a whole on a bad row: broken input is data (a
//! [`Rejected`] with the physical line number a person sees in an editor, or the sheet's row
//! number in an XLSX file). Only a file that cannot be read at all (no header, missing required
//! columns, not a workbook) is `fatal`.
//!
//! Inputs: CSV and JSON Lines as text, XLSX (the first sheet, through `calamine`). The text's
//! encoding is detected unless one is forced ([`SourceEncoding`]): a UTF-8 byte-order mark,
//! else UTF-8 when most lines with non-ASCII bytes are valid UTF-8 (the others are rejected
//! line by line, not guessed), else what `chardetng` makes of the bytes (GBK for a Chinese
//! export from Excel). Column names may be the codes (`uscc`, `name`, …) or their official
//! Chinese names ([`COLUMN_NAMES`]: 统一社会信用代码, 名称, …); the site kind also reads its
//! Chinese names (平台内经营者, 自建网站经营者, …).

use crate::model::{EntityInput, SiteAddress};
use crate::{Store, StoreError};
use domain::{
    DistrictCode, DistrictTable, EntityStatus, FoodLicense, Icp, LegalForm, SiteKind, Uscc,
    UsccError,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The file format of a register export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// One JSON object per line, with the CSV column names as keys.
    JsonLines,
    /// An Excel workbook: the first sheet, its first row the header.
    Xlsx,
}

impl Format {
    /// The format named by a file extension (`.csv`, `.jsonl`, `.ndjson`, `.xlsx`), if any.
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            _ => None,
        }
    }

    /// Guesses from content: XLSX for a zip file, JSON Lines when the first non-space
    /// character is `{`, else CSV.
    pub fn sniff(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") {
            return Format::Xlsx;
        }
        let bytes = strip_bom(bytes);
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => Format::JsonLines,
            _ => Format::Csv,
        }
    }

    /// By extension, else by content.
    pub fn detect(path: &Path, bytes: &[u8]) -> Format {
        Format::from_extension(path).unwrap_or_else(|| Format::sniff(bytes))
    }
}

/// The character encoding of a text input file (CSV, JSON Lines; an XLSX file has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceEncoding {
    /// Detected: BOM, then UTF-8, then `chardetng` (see the module documentation).
    #[default]
    Auto,
    /// UTF-8, with or without BOM; lines that are not valid UTF-8 are rejected.
    Utf8,
    /// GBK, decoded as GB18030 (its superset).
    Gbk,
}

impl FromStr for SourceEncoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(SourceEncoding::Auto),
            "utf8" | "utf-8" => Ok(SourceEncoding::Utf8),
            "gbk" | "gb2312" | "gb18030" | "cp936" => Ok(SourceEncoding::Gbk),
            other => Err(format!(
                "unknown encoding {other:?}: expected auto, utf-8 or gbk"
            )),
        }
    }
}

/// The register's columns and the Chinese names they are also read under: the official name
/// first (the one the console's XLSX export writes in its header row), then other names in use
/// in registration data.
pub const COLUMN_NAMES: [(&str, &[&str]); 16] = [
    ("uscc", &["统一社会信用代码", "社会信用代码", "信用代码"]),
    (
        "name",
        &["名称", "企业名称", "主体名称", "市场主体名称", "经营者名称"],
    ),
    ("kind", &["经营者类型", "电子商务经营者类型", "网站类型"]),
    (
        "district",
        &["行政区划代码", "行政区划", "区划代码", "所属区县"],
    ),
    ("address", &["住所", "注册地址", "住所地址"]),
    ("domains", &["网站域名", "域名", "网址", "网店地址"]),
    ("icp", &["ICP备案号", "网站备案号", "备案号"]),
    ("food_permit", &["食品经营许可证编号", "食品经营许可证"]),
    ("legal_rep", &["法定代表人", "负责人", "经营者"]),
    ("phone", &["联系电话", "电话"]),
    ("former_names", &["曾用名"]),
    (
        "legal_form",
        &["类型", "企业类型", "主体类型", "市场主体类型", "组织形式"],
    ),
    ("status", &["登记状态", "经营状态"]),
    (
        "business_address",
        &["经营场所", "经营地址", "实际经营地址"],
    ),
    ("registered_capital", &["注册资本", "出资额"]),
    ("established", &["成立日期", "注册日期"]),
];

/// The column code a header name stands for: a code as is (any case), a Chinese name of
/// [`COLUMN_NAMES`] (also with a full-width or no `ICP` case difference), else `None`.
pub fn column_code(header: &str) -> Option<&'static str> {
    let h = header.trim();
    COLUMN_NAMES.iter().find_map(|(code, names)| {
        (code.eq_ignore_ascii_case(h) || names.iter().any(|n| n.eq_ignore_ascii_case(h)))
            .then_some(*code)
    })
}

/// The official Chinese name of a register column, for the header row people read.
pub fn column_label(code: &str) -> Option<&'static str> {
    COLUMN_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, names)| names[0])
}

/// A site kind by its code or one of its Chinese names (the E-Commerce Law's and the
/// console's).
fn site_kind(value: &str) -> Result<SiteKind, domain::SiteKindError> {
    let kind = match value.trim() {
        "电子商务平台经营者" | "平台经营者" | "网络交易平台" | "平台" => {
            SiteKind::Platform
        }
        "自建网站经营者" | "自建交易网站" | "自建网站" => SiteKind::TradingSite,
        "非交易类网站" | "非交易网站" => SiteKind::NonTradingSite,
        "平台内经营者" | "平台内店铺" | "网店" => SiteKind::PlatformShop,
        other => return SiteKind::from_str(other),
    };
    Ok(kind)
}

/// A row the import did not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Physical line number (the header is line 1); for a record spanning lines, its first.
    pub line: usize,
    /// Why, naming the column.
    pub reason: String,
    /// The row as it appears in the file (decoded), for the reject file.
    pub raw: String,
}

/// What the parser could read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseOutcome {
    /// Accepted rows with their line numbers, in file order.
    pub rows: Vec<(usize, EntityInput)>,
    pub rejected: Vec<Rejected>,
    /// Set when nothing could be read (empty file, unreadable header, missing required
    /// columns); `rows` and `rejected` are then empty.
    pub fatal: Option<String>,
}

const REQUIRED: [&str; 4] = ["uscc", "name", "kind", "district"];
const KNOWN: [&str; 16] = [
    "uscc",
    "name",
    "kind",
    "district",
    "address",
    "domains",
    "icp",
    "food_permit",
    "legal_rep",
    "phone",
    "former_names",
    "legal_form",
    "status",
    "business_address",
    "registered_capital",
    "established",
];

const UTF8_HINT: &str =
    "not valid UTF-8 (if the file is GBK-encoded, import it with --encoding gbk)";

/// Parses a register export against Nanning's district table.
pub fn parse(bytes: &[u8], format: Format, encoding: SourceEncoding) -> ParseOutcome {
    parse_with_table(bytes, format, encoding, &DistrictTable::nanning())
}

/// Parses a register export; `district` must be a code of `table`.
pub fn parse_with_table(
    bytes: &[u8],
    format: Format,
    encoding: SourceEncoding,
    table: &DistrictTable,
) -> ParseOutcome {
    parse_input(&read_input(bytes, format, encoding), table)
}

fn parse_input(input: &Input, table: &DistrictTable) -> ParseOutcome {
    match parse_rows(
        input,
        &REQUIRED,
        column_code,
        |fields| validate(fields, table),
        |e: &EntityInput| format!("uscc {}", e.uscc),
    ) {
        Ok((rows, rejected)) => ParseOutcome {
            rows,
            rejected,
            fatal: None,
        },
        Err(fatal) => ParseOutcome {
            fatal: Some(fatal),
            ..ParseOutcome::default()
        },
    }
}

/// Rows validated from the file's records, and the rejected ones with line and reason; a row
/// whose `key` repeats an earlier row's is rejected naming that row's line. The error is a
/// file that cannot be read at all.
pub(crate) type Parsed<T> = (Vec<(usize, T)>, Vec<Rejected>);

pub(crate) fn parse_rows<T>(
    input: &Input,
    required: &[&str],
    alias: Alias,
    validate: impl Fn(Fields) -> Result<T, Vec<String>>,
    key: impl Fn(&T) -> String,
) -> Result<Parsed<T>, String> {
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for_each_record(input, required, alias, |rec| {
        let Record { line, raw, fields } = rec;
        let outcome = fields.map_err(|r| vec![r]).and_then(&validate);
        match outcome {
            Err(reasons) => rejected.push(Rejected {
                line,
                reason: reasons.join("; "),
                raw,
            }),
            Ok(row) => {
                let k = key(&row);
                if let Some(first) = seen.get(&k) {
                    rejected.push(Rejected {
                        line,
                        reason: format!("{k} already appears on line {first}"),
                        raw,
                    });
                } else {
                    seen.insert(k, line);
                    rows.push((line, row));
                }
            }
        }
    })?;
    Ok((rows, rejected))
}

pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// What a header name stands for: the column's code, or `None` to keep the name (lower case).
pub(crate) type Alias = fn(&str) -> Option<&'static str>;

/// No aliases: every header name is kept as written (lower case).
pub(crate) fn no_alias(_: &str) -> Option<&'static str> {
    None
}

/// An input file read for its records.
pub(crate) enum Input {
    /// CSV or JSON Lines, decoded.
    Text(Decoded, Format),
    /// An XLSX file's first sheet, or why it cannot be read.
    Sheet(Result<Sheet, String>),
    /// A UTF-8 CSV file read as its records are parsed, never whole: the first `len` bytes of
    /// the file at `path`.
    CsvFile {
        path: PathBuf,
        len: u64,
        detected: bool,
    },
}

/// Reads the file's bytes as `format`.
pub(crate) fn read_input(bytes: &[u8], format: Format, encoding: SourceEncoding) -> Input {
    match format {
        Format::Xlsx => Input::Sheet(read_sheet(bytes)),
        Format::Csv | Format::JsonLines => Input::Text(decode(bytes, encoding), format),
    }
}

impl Input {
    /// The text encoding used (`None` for a workbook) and whether it was detected.
    pub(crate) fn encoding(&self) -> Option<(&'static str, bool)> {
        match self {
            Input::Text(d, _) => Some((d.encoding.name(), d.detected)),
            Input::CsvFile { detected, .. } => Some((encoding_rs::UTF_8.name(), *detected)),
            Input::Sheet(_) => None,
        }
    }
}

/// The file as text, and the (1-based) lines that did not decode cleanly.
pub(crate) struct Decoded {
    text: String,
    bad_lines: BTreeSet<usize>,
    hint: String,
    encoding: &'static encoding_rs::Encoding,
    detected: bool,
}

/// Bytes of the file that `chardetng` looks at, at most.
const SNIFF_BYTES: usize = 4 << 20;

/// The encoding of a text file whose encoding was not given (see the module documentation).
pub fn detect_encoding(bytes: &[u8]) -> &'static encoding_rs::Encoding {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return encoding_rs::UTF_8;
    }
    let (mut utf8, mut other) = (0usize, 0usize);
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_ascii()) {
        if std::str::from_utf8(line).is_ok() {
            utf8 += 1;
        } else {
            other += 1;
        }
    }
    if other == 0 || utf8 > other {
        return encoding_rs::UTF_8;
    }
    // A file, not a page: no ISO-2022-JP (a register is never in it), and UTF-8 was decided
    // above line by line (a file with a few broken lines is still UTF-8, its broken lines
    // rejected), which a page's sniffing (`http_msg`) does not do.
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
    detector.feed(sample, sample.len() == bytes.len());
    // Registers here are Chinese: the `.cn` hint weighs GBK against its look-alikes.
    detector.guess(Some(b"cn"), chardetng::Utf8Detection::Deny)
}

/// [`read_input`] of a file's bytes handed over: a UTF-8 file whose every line is valid (the
/// usual case) becomes the text as it is, without a second copy of the file in memory.
pub(crate) fn read_input_owned(bytes: Vec<u8>, format: Format, encoding: SourceEncoding) -> Input {
    match format {
        Format::Xlsx => Input::Sheet(read_sheet(&bytes)),
        Format::Csv | Format::JsonLines => Input::Text(decode_owned(bytes, encoding), format),
    }
}

/// [`decode`] of bytes handed over; the same text, bad lines and hint.
fn decode_owned(mut bytes: Vec<u8>, encoding: SourceEncoding) -> Decoded {
    let (enc, detected) = match encoding {
        SourceEncoding::Auto => (detect_encoding(&bytes), true),
        SourceEncoding::Utf8 => (encoding_rs::UTF_8, false),
        SourceEncoding::Gbk => return decode(&bytes, encoding),
    };
    if enc != encoding_rs::UTF_8 {
        return decode(&bytes, encoding);
    }
    let bom = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    // Valid UTF-8 as a whole is valid line by line: `decode` would copy it unchanged.
    if std::str::from_utf8(&bytes[bom..]).is_err() {
        return decode(&bytes, encoding);
    }
    bytes.drain(..bom);
    Decoded {
        text: String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        bad_lines: BTreeSet::new(),
        hint: UTF8_HINT.to_string(),
        encoding: enc,
        detected,
    }
}

pub(crate) fn decode(bytes: &[u8], encoding: SourceEncoding) -> Decoded {
    let (enc, detected) = match encoding {
        SourceEncoding::Auto => (detect_encoding(bytes), true),
        SourceEncoding::Utf8 => (encoding_rs::UTF_8, false),
        // GBK is decoded as GB18030, its superset.
        SourceEncoding::Gbk => (encoding_rs::GB18030, false),
    };
    let bytes = if enc == encoding_rs::UTF_8 {
        strip_bom(bytes)
    } else {
        bytes
    };
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut bad_lines = BTreeSet::new();
    // Line by line, so that one bad byte spoils one line only. No encoding chardetng names
    // uses 0x0A inside a multi-byte character, so splitting the bytes on it is safe.
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            text.push('\n');
        }
        let (s, had_errors) = enc.decode_without_bom_handling(line);
        if had_errors {
            bad_lines.insert(i + 1);
        }
        text.push_str(&s);
    }
    let hint = match (enc == encoding_rs::UTF_8, detected) {
        (true, _) => UTF8_HINT.to_string(),
        (false, true) => format!(
            "not valid {} (the encoding detected; name the file's encoding with --encoding)",
            enc.name()
        ),
        (false, false) => format!("not valid {}", enc.name()),
    };
    Decoded {
        text,
        bad_lines,
        hint,
        encoding: enc,
        detected,
    }
}

/// A sheet's non-empty rows as text, each with its row number in the sheet (1-based).
pub(crate) struct Sheet {
    rows: Vec<(usize, Vec<Result<String, String>>)>,
}

/// Reads the first sheet of an XLSX workbook.
fn read_sheet(bytes: &[u8]) -> Result<Sheet, String> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not an XLSX workbook: {e}"))?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or("the workbook has no sheet")?;
    let range = book
        .worksheet_range(&first)
        .map_err(|e| format!("sheet {first:?} cannot be read: {e}"))?;
    let top = range.start().map_or(0, |(row, _)| row as usize);
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| (top + i + 1, cells.iter().map(cell_text).collect::<Vec<_>>()))
        .filter(|(_, cells)| {
            cells
                .iter()
                .any(|c| !matches!(c, Ok(s) if s.trim().is_empty()))
        })
        .collect();
    Ok(Sheet { rows })
}

/// A cell as the text a CSV export of it would hold: whole numbers without a decimal point (a
/// district code typed as a number is still `450103`), dates as `2024-05-31`; an error cell
/// (`#N/A`) is the error.
fn cell_text(cell: &calamine::Data) -> Result<String, String> {
    use calamine::Data;
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(v) => v.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
        Data::Error(e) => return Err(format!("cell error {e}")),
    })
}

/// Field name (lower case) and trimmed, non-empty value, in column order.
pub(crate) type Fields = Vec<(String, String)>;

/// One data record of either format.
pub(crate) struct Record {
    pub(crate) line: usize,
    pub(crate) raw: String,
    pub(crate) fields: Result<Fields, String>,
}

/// Hands each data record of the file to `each`, in file order, one at a time (a register of a
/// million rows is never held twice in memory). A header must name every column of `required`
/// (after `alias`); a file that cannot be read at all is the error.
/// The longest row (as the file holds it, decoded) an import accepts: a register or filing
/// row is a few hundred bytes; a longer one is rejected with its line and the rest goes in.
pub const MAX_ROW_BYTES: usize = 64 * 1024;

/// The largest file an import reads unless told otherwise ([`ImportOptions::max_file_bytes`]).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Why a row longer than [`MAX_ROW_BYTES`] is rejected.
fn too_long(len: usize) -> String {
    format!("row of {len} bytes: longer than the cap of {MAX_ROW_BYTES} bytes")
}

pub(crate) fn for_each_record(
    input: &Input,
    required: &[&str],
    alias: Alias,
    mut each: impl FnMut(Record),
) -> Result<(), String> {
    let mut each = |mut rec: Record| {
        if rec.raw.len() > MAX_ROW_BYTES && rec.fields.is_ok() {
            rec.fields = Err(too_long(rec.raw.len()));
        }
        each(rec)
    };
    match input {
        Input::Text(d, Format::JsonLines) => {
            json_records(d, alias, each);
            Ok(())
        }
        Input::Text(d, _) => csv_records(d, required, alias, each),
        Input::CsvFile { path, len, .. } => csv_file_records(path, *len, required, alias, each),
        Input::Sheet(Err(e)) => Err(e.clone()),
        Input::Sheet(Ok(sheet)) => {
            let Some(((_, header), data)) = sheet.rows.split_first() else {
                return Err("the sheet is empty: expected a header row".into());
            };
            let mut header: Vec<&str> = header
                .iter()
                .map(|c| c.as_deref().unwrap_or_default())
                .collect();
            // The sheet is as wide as its widest row: empty cells right of the header are no
            // columns.
            while header.last().is_some_and(|h| h.trim().is_empty()) {
                header.pop();
            }
            let names = header_names(&header, required, alias)?;
            for (row, cells) in data {
                let raw = raw_row(cells);
                let fields = if let Some(e) = cells.iter().find_map(|c| c.as_ref().err()) {
                    Err(e.clone())
                } else if cells.len() > names.len()
                    && cells[names.len()..]
                        .iter()
                        .any(|c| matches!(c, Ok(s) if !s.trim().is_empty()))
                {
                    Err(format!(
                        "has a value beyond the header's {} columns",
                        names.len()
                    ))
                } else {
                    Ok(names
                        .iter()
                        .zip(cells.iter())
                        .filter_map(|(n, v)| {
                            let v = v.as_deref().unwrap_or_default().trim();
                            (!v.is_empty()).then(|| (n.clone(), v.to_string()))
                        })
                        .collect())
                };
                each(Record {
                    line: *row,
                    raw,
                    fields,
                });
            }
            Ok(())
        }
    }
}

/// A sheet row as one CSV line, for the reject file.
fn raw_row(cells: &[Result<String, String>]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let record: Vec<&str> = cells
        .iter()
        .map(|c| match c {
            Ok(s) => s.as_str(),
            Err(e) => e.as_str(),
        })
        .collect();
    let _ = w.write_record(&record);
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim_end().to_string()
}

/// The header's column names (aliases resolved, else lower case), checked: none empty, none
/// twice, every required one there.
/// A record's `count` values paired with the header's names, trimmed, empty ones left out; a
/// record with another number of fields than the header is refused with both counts.
fn named_fields<'a>(
    names: &[String],
    count: usize,
    values: impl Iterator<Item = std::borrow::Cow<'a, str>>,
) -> Result<Vec<(String, String)>, String> {
    if count != names.len() {
        return Err(format!(
            "has {count} fields, the header has {}",
            names.len()
        ));
    }
    Ok(names
        .iter()
        .zip(values)
        .map(|(n, v)| (n.clone(), v.trim().to_string()))
        .filter(|(_, v)| !v.is_empty())
        .collect())
}

fn header_names(header: &[&str], required: &[&str], alias: Alias) -> Result<Vec<String>, String> {
    let names: Vec<String> = header
        .iter()
        .map(|h| alias(h).map_or_else(|| h.trim().to_lowercase(), str::to_owned))
        .collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            return Err("the header has an empty column name".into());
        }
        if let Some(first) = seen.insert(n, i) {
            let (a, b) = (header[first].trim(), header[i].trim());
            return Err(if a == b {
                format!("column {n:?} appears twice in the header")
            } else {
                format!("columns {a:?} and {b:?} of the header both mean {n:?}")
            });
        }
    }
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| !names.iter().any(|n| n == r))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "missing required column(s) {} (the header has: {})",
            missing.join(", "),
            header
                .iter()
                .map(|h| h.trim().to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(names)
}

fn csv_records(
    d: &Decoded,
    required: &[&str],
    alias: Alias,
    mut each: impl FnMut(Record),
) -> Result<(), String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(d.text.as_bytes());
    let mut rec = csv::StringRecord::new();
    let header = match rdr.read_record(&mut rec) {
        Ok(true) => rec.clone(),
        Ok(false) => return Err("the file is empty: expected a header line".into()),
        Err(e) => return Err(format!("cannot read the header: {e}")),
    };
    let header_line = header.position().map_or(1, |p| p.line() as usize);
    if d.bad_lines.contains(&header_line) {
        return Err(format!("header line {header_line}: {}", d.hint));
    }
    let header: Vec<&str> = header.iter().collect();
    let names = header_names(&header, required, alias)?;

    loop {
        let start = rdr.position().clone();
        let read = rdr.read_record(&mut rec);
        let end = rdr.position().byte() as usize;
        let raw_of = |from: usize| {
            d.text[from.min(end)..end]
                .trim_end_matches(['\r', '\n'])
                .to_string()
        };
        match read {
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(start.line(), |p| p.line()) as usize;
                each(Record {
                    line,
                    raw: raw_of(start.byte() as usize),
                    fields: Err(format!("unreadable CSV: {e}")),
                });
            }
            Ok(true) => {
                let pos = rec.position().cloned().unwrap_or(start);
                let line = pos.line() as usize;
                let raw = raw_of(pos.byte() as usize);
                let last = line + raw.matches('\n').count();
                let fields = if (line..=last).any(|l| d.bad_lines.contains(&l)) {
                    Err(d.hint.clone())
                } else {
                    named_fields(
                        &names,
                        rec.len(),
                        rec.iter().map(std::borrow::Cow::Borrowed),
                    )
                };
                each(Record { line, raw, fields });
            }
        }
    }
    Ok(())
}

/// The bytes a CSV reader has taken from its file since the start of a record not yet handed
/// on: each record's raw text (for the reject file) without the whole file in memory.
struct Window {
    bytes: Vec<u8>,
    /// The offset in the text of `bytes[0]`.
    offset: u64,
}

impl Window {
    /// Forgets the bytes before `pos` (in large steps: each step moves what is left).
    fn forget_before(&mut self, pos: u64) {
        if pos - self.offset > 1 << 20 {
            self.bytes.drain(..(pos - self.offset) as usize);
            self.offset = pos;
        }
    }

    /// The text from `from` to `end` (lossily decoded, line ends trimmed), and whether it
    /// was not valid UTF-8.
    fn raw(&self, from: u64, end: u64) -> (String, bool) {
        let at = |p: u64| (p.saturating_sub(self.offset) as usize).min(self.bytes.len());
        let (text, bad) =
            encoding_rs::UTF_8.decode_without_bom_handling(&self.bytes[at(from.min(end))..at(end)]);
        (text.trim_end_matches(['\r', '\n']).to_string(), bad)
    }
}

/// A reader that keeps what it reads in a [`Window`].
struct Tee<R> {
    inner: R,
    window: std::rc::Rc<std::cell::RefCell<Window>>,
}

impl<R: std::io::Read> std::io::Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.window.borrow_mut().bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// [`csv_records`] of a UTF-8 file read as it is parsed: the same records, lines, raw text
/// and reasons (a record with a byte sequence that is not UTF-8 is rejected with the hint, as
/// a bad line is), a few hundred kilobytes in memory whatever the file's size.
fn csv_file_records(
    path: &Path,
    len: u64,
    required: &[&str],
    alias: Alias,
    mut each: impl FnMut(Record),
) -> Result<(), String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read the file: {e}");
    let mut file = std::fs::File::open(path).map_err(cannot)?.take(len);
    // A byte-order mark is not part of the text.
    let mut head = Vec::with_capacity(3);
    (&mut file).take(3).read_to_end(&mut head).map_err(cannot)?;
    if head == b"\xEF\xBB\xBF" {
        head.clear();
    }
    let window = std::rc::Rc::new(std::cell::RefCell::new(Window {
        bytes: Vec::new(),
        offset: 0,
    }));
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(Tee {
            inner: std::io::Cursor::new(head).chain(file),
            window: window.clone(),
        });
    let utf8 = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut rec = csv::ByteRecord::new();
    let header = match rdr.read_byte_record(&mut rec) {
        Ok(true) => rec.clone(),
        Ok(false) => return Err("the file is empty: expected a header line".into()),
        Err(e) => return Err(format!("cannot read the header: {e}")),
    };
    let header_line = header.position().map_or(1, |p| p.line() as usize);
    if header.iter().any(|h| std::str::from_utf8(h).is_err()) {
        return Err(format!("header line {header_line}: {UTF8_HINT}"));
    }
    let header: Vec<String> = header.iter().map(utf8).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let names = header_names(&header, required, alias)?;

    loop {
        let start = rdr.position().clone();
        window.borrow_mut().forget_before(start.byte());
        let read = rdr.read_byte_record(&mut rec);
        let end = rdr.position().byte();
        match read {
            Ok(false) => break,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                return Err(format!("cannot read the file: {e}"))
            }
            Err(e) => {
                let line = e.position().map_or(start.line(), |p| p.line()) as usize;
                each(Record {
                    line,
                    raw: window.borrow().raw(start.byte(), end).0,
                    fields: Err(format!("unreadable CSV: {e}")),
                });
            }
            Ok(true) => {
                let pos = rec.position().cloned().unwrap_or(start);
                let line = pos.line() as usize;
                let (raw, bad) = window.borrow().raw(pos.byte(), end);
                let fields = if bad {
                    Err(UTF8_HINT.to_string())
                } else {
                    named_fields(&names, rec.len(), rec.iter().map(String::from_utf8_lossy))
                };
                each(Record { line, raw, fields });
            }
        }
    }
    Ok(())
}

/// Whether a text file is UTF-8 as [`detect_encoding`] decides it (a BOM, or no more lines
/// with non-ASCII bytes that are not UTF-8 than lines that are), read line by line.
fn is_utf8_file(path: &Path, len: u64) -> std::io::Result<bool> {
    use std::io::{BufRead, Read};
    let mut r = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path)?.take(len));
    if r.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        return Ok(true);
    }
    let (mut utf8, mut other) = (0usize, 0usize);
    let mut line = Vec::new();
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let l = line.strip_suffix(b"\n").unwrap_or(&line);
        if !l.is_ascii() {
            if std::str::from_utf8(l).is_ok() {
                utf8 += 1;
            } else {
                other += 1;
            }
        }
    }
    Ok(other == 0 || utf8 > other)
}

fn json_records(d: &Decoded, alias: Alias, mut each: impl FnMut(Record)) {
    for (i, line) in d.text.split('\n').enumerate() {
        let line_no = i + 1;
        let raw = line.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        let fields = if d.bad_lines.contains(&line_no) {
            Err(d.hint.clone())
        } else if raw.len() > MAX_ROW_BYTES {
            Err(too_long(raw.len()))
        } else {
            json_fields(raw, alias)
        };
        each(Record {
            line: line_no,
            raw: raw.to_string(),
            fields,
        });
    }
}

fn json_fields(line: &str, alias: Alias) -> Result<Fields, String> {
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let serde_json::Value::Object(map) = v else {
        return Err("not a JSON object".into());
    };
    let mut fields = Fields::new();
    for (k, v) in map {
        let key = alias(&k).map_or_else(|| k.trim().to_lowercase(), str::to_owned);
        let value = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Array(items) if key == "domains" => items
                .iter()
                .map(|i| match i {
                    serde_json::Value::String(s) => Ok(s.clone()),
                    other => Err(format!("domains: {other} is not a string")),
                })
                .collect::<Result<Vec<_>, _>>()?
                .join(";"),
            other => other.to_string(),
        };
        let value = value.trim().to_string();
        if !value.is_empty() {
            fields.retain(|(k, _)| *k != key);
            fields.push((key, value));
        }
    }
    Ok(fields)
}

/// Validates one row's fields into an entity, or says everything that is wrong with it.
fn validate(fields: Fields, table: &DistrictTable) -> Result<EntityInput, Vec<String>> {
    let mut errors = Vec::new();
    let mut map: BTreeMap<String, String> = fields.into_iter().collect();
    let mut required = |k: &str, errors: &mut Vec<String>| {
        let v = map.remove(k);
        if v.is_none() {
            errors.push(format!("{k} is missing"));
        }
        v
    };
    let uscc_raw = required("uscc", &mut errors);
    let name = required("name", &mut errors);
    let kind_raw = required("kind", &mut errors);
    let district_raw = required("district", &mut errors);

    let mut needs_review = None;
    let uscc = uscc_raw.map(|raw| {
        let norm = domain::text::compact_upper(&raw);
        match Uscc::parse_exact(&norm) {
            Ok(u) => {
                for w in u.warnings() {
                    tracing::warn!(uscc = %u, "{w}");
                }
            }
            Err(e @ (UsccError::OrgCodeCheck { .. } | UsccError::Check { .. })) => {
                needs_review = Some(format!("legacy USCC fails its check: {e}"));
            }
            Err(e) => errors.push(format!("uscc {raw:?}: {e}")),
        }
        norm
    });
    let kind = kind_raw.and_then(|k| {
        site_kind(&k)
            .map_err(|e| errors.push(format!("kind: {e}")))
            .ok()
    });
    let district = district_raw.and_then(|d| {
        DistrictCode::parse(&d)
            .and_then(|c| table.resolve(c).map(|_| c))
            .map_err(|e| errors.push(format!("district: {e}")))
            .ok()
    });
    let icp = map.remove("icp").and_then(|s| {
        Icp::parse(&s)
            .map(|i| i.to_string())
            .map_err(|e| errors.push(format!("icp: {e}")))
            .ok()
    });
    let food_permit = map.remove("food_permit").and_then(|s| {
        FoodLicense::parse(&s)
            .map(|f| f.to_string())
            .map_err(|e| errors.push(format!("food_permit: {e}")))
            .ok()
    });
    let mut domains: Vec<String> = Vec::new();
    if let Some(list) = map.remove("domains") {
        for d in list
            .split([';', '；'])
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            match SiteAddress::parse(d) {
                Ok(a) => {
                    let a = a.to_string();
                    if !domains.contains(&a) {
                        domains.push(a);
                    }
                }
                Err(e) => errors.push(format!("domains: {e}")),
            }
        }
    }
    let legal_form = map.remove("legal_form").and_then(|s| {
        LegalForm::from_str(&s)
            .map_err(|e| errors.push(format!("legal_form: {e}")))
            .ok()
    });
    let status = map.remove("status").and_then(|s| {
        EntityStatus::from_str(&s)
            .map_err(|e| errors.push(format!("status: {e}")))
            .ok()
    });
    let established = map.remove("established").and_then(|s| {
        domain::parse_date(&s)
            .map_err(|e| errors.push(format!("established: {e}")))
            .ok()
    });
    let mut former_names: Vec<String> = Vec::new();
    for n in map
        .remove("former_names")
        .iter()
        .flat_map(|l| l.split([';', '；']))
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if !former_names.iter().any(|f| f == n) {
            former_names.push(n.to_string());
        }
    }

    let address = map.remove("address");
    let business_address = map.remove("business_address");
    let registered_capital = map.remove("registered_capital");
    let legal_rep = map.remove("legal_rep");
    let phone = map.remove("phone");
    debug_assert!(KNOWN.iter().all(|k| !map.contains_key(*k)));

    match (uscc, name, kind, district) {
        (Some(uscc), Some(name), Some(kind), Some(district)) if errors.is_empty() => {
            former_names.retain(|f| *f != name);
            Ok(EntityInput {
                legal_form: legal_form.unwrap_or_else(|| LegalForm::from_uscc(&uscc)),
                status: status.unwrap_or(EntityStatus::Active),
                uscc,
                needs_review,
                name,
                former_names,
                kind,
                district,
                address,
                business_address,
                registered_capital,
                established,
                domains,
                icp,
                food_permit,
                legal_rep,
                phone,
                extra: map,
            })
        }
        _ => Err(errors),
    }
}

/// How to read an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    pub encoding: SourceEncoding,
    /// `None`: by extension, else sniffed.
    pub format: Option<Format>,
    /// Rows per transaction.
    pub batch_size: usize,
    /// The largest file read ([`MAX_FILE_BYTES`] by default); a larger one is refused whole,
    /// before it is read ([`ImportError::TooLarge`]).
    pub max_file_bytes: u64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            encoding: SourceEncoding::Auto,
            format: None,
            batch_size: 500,
            max_file_bytes: MAX_FILE_BYTES,
        }
    }
}

/// The bytes of an import file, refused before reading when larger than `cap`.
pub(crate) fn read_import_file(path: &Path, cap: u64) -> Result<Vec<u8>, ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > cap {
        return Err(ImportError::TooLarge {
            path: path.to_path_buf(),
            size,
            cap,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // A file growing while it is read is still read no further than the cap.
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(path).map_err(io)?, cap + 1),
        &mut bytes,
    )
    .map_err(io)?;
    if bytes.len() as u64 > cap {
        return Err(ImportError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            cap,
        });
    }
    Ok(bytes)
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Data rows read (accepted and rejected).
    pub read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
    /// Accepted rows flagged for review (legacy USCC failing its check).
    pub needs_review: usize,
    /// The reject file written, when there were rejects.
    pub reject_file: Option<PathBuf>,
    /// The text encoding read (`None` for a workbook) and whether it was detected rather than
    /// given.
    pub encoding: Option<(&'static str, bool)>,
}

impl ImportSummary {
    /// True when the file had rows and every one was rejected: nothing it holds was imported.
    pub fn all_rejected(&self) -> bool {
        self.read > 0 && self.rejected == self.read
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} created, {} updated, {} unchanged, {} rejected",
            self.created, self.updated, self.unchanged, self.rejected
        )
    }
}

/// Why an import could not run at all. Bad rows are not errors: they go to the reject file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    /// The file is larger than the import's cap; nothing of it was read or imported.
    #[error("{path}: {size} bytes, larger than the cap of {cap} bytes")]
    TooLarge { path: PathBuf, size: u64, cap: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The reject file for an input: `<input file name>.rejects.csv` in the same directory.
pub fn reject_file_path(input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{name}.rejects.csv"))
}

/// What the parser of an import counted while it handed the accepted rows on.
struct Tally {
    accepted: usize,
    needs_review: usize,
    rejected: Vec<Rejected>,
}

/// Parses and validates the records of `input` as [`parse_input`] does (the same rows
/// accepted, the same rejects with line and reason, a repeated USCC rejected naming its first
/// line), handing the accepted rows to `send` in batches of `batch_size` as they are read; stops
/// early when `send` says no. The error is a file that cannot be read at all, found before any
/// row is handed on.
fn parse_in_batches(
    input: &Input,
    table: &DistrictTable,
    batch_size: usize,
    mut send: impl FnMut(Vec<EntityInput>) -> bool,
) -> Result<Tally, String> {
    let mut tally = Tally {
        accepted: 0,
        needs_review: 0,
        rejected: Vec::new(),
    };
    let mut seen = SeenUscc::default();
    let mut batch = Vec::with_capacity(batch_size);
    let mut open = true;
    for_each_record(input, &REQUIRED, column_code, |rec| {
        let Record { line, raw, fields } = rec;
        if !open {
            return;
        }
        match fields.map_err(|r| vec![r]).and_then(|f| validate(f, table)) {
            Err(reasons) => tally.rejected.push(Rejected {
                line,
                reason: reasons.join("; "),
                raw,
            }),
            Ok(entity) => {
                if let Some(first) = seen.first_line(&entity.uscc, line) {
                    tally.rejected.push(Rejected {
                        line,
                        reason: format!("uscc {} already appears on line {first}", entity.uscc),
                        raw,
                    });
                    return;
                }
                tally.accepted += 1;
                tally.needs_review += usize::from(entity.needs_review.is_some());
                batch.push(entity);
                if batch.len() >= batch_size {
                    open = send(std::mem::replace(
                        &mut batch,
                        Vec::with_capacity(batch_size),
                    ));
                }
            }
        }
    })?;
    if open && !batch.is_empty() {
        send(batch);
    }
    Ok(tally)
}

/// The first line of each USCC accepted so far. A valid USCC is 18 ASCII characters, kept as
/// 18 bytes (a register of a million rows in about 40 MB); any other in a map of strings.
#[derive(Default)]
struct SeenUscc {
    codes: HashMap<[u8; 18], usize>,
    others: HashMap<String, usize>,
}

impl SeenUscc {
    /// The line `uscc` first appeared on, if before; else notes `line` as its first.
    fn first_line(&mut self, uscc: &str, line: usize) -> Option<usize> {
        match <[u8; 18]>::try_from(uscc.as_bytes()) {
            Ok(code) => first_or_insert(&mut self.codes, code, line),
            Err(_) => first_or_insert(&mut self.others, uscc.to_string(), line),
        }
    }
}

/// The value of `key` if there is one, else `None` with `line` inserted as its value.
fn first_or_insert<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, usize>,
    key: K,
    line: usize,
) -> Option<usize> {
    use std::collections::hash_map::Entry;
    match map.entry(key) {
        Entry::Occupied(o) => Some(*o.get()),
        Entry::Vacant(v) => {
            v.insert(line);
            None
        }
    }
}

/// The input of a UTF-8 CSV file, read as it is parsed; `None` for any other file (read
/// whole). A file over the cap is refused before it is read; one growing while it is read is
/// read to the size it had.
fn stream_input(path: &Path, opts: &ImportOptions) -> Result<Option<Input>, ImportError> {
    use std::io::Read;
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > opts.max_file_bytes {
        return Err(ImportError::TooLarge {
            path: path.to_path_buf(),
            size: len,
            cap: opts.max_file_bytes,
        });
    }
    let format = match opts.format.or_else(|| Format::from_extension(path)) {
        Some(f) => f,
        None => {
            // Sniffed from the start of the file, as `Format::sniff` does from all of it.
            let mut head = Vec::new();
            std::fs::File::open(path)
                .map_err(io)?
                .take(64 * 1024)
                .read_to_end(&mut head)
                .map_err(io)?;
            if strip_bom(&head).iter().all(u8::is_ascii_whitespace) {
                return Ok(None);
            }
            Format::sniff(&head)
        }
    };
    let detected = match (format, opts.encoding) {
        (Format::Csv, SourceEncoding::Utf8) => false,
        (Format::Csv, SourceEncoding::Auto) if is_utf8_file(path, len).map_err(io)? => true,
        _ => return Ok(None),
    };
    Ok(Some(Input::CsvFile {
        path: path.to_path_buf(),
        len,
        detected,
    }))
}

/// Imports a register file: parses it and hands the accepted rows to the store in batches as
/// they are read (the parser on its own thread, the store writing the batch before; at most a
/// few batches of rows in memory), and writes the rejects next to the input (removing a stale
/// reject file when there are none). Into an empty register the whole load is one
/// transaction; otherwise one per batch (see [`crate::EntityStore::import_entity_batches`]).
/// Running the same import twice changes nothing the second time.
///
/// File IO is blocking: an import is a batch job run from the command line.
pub async fn import_entities(
    store: &dyn Store,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    use futures::SinkExt;
    let input = match stream_input(path, opts)? {
        Some(input) => input,
        None => {
            let bytes = read_import_file(path, opts.max_file_bytes)?;
            let format = opts.format.unwrap_or_else(|| Format::detect(path, &bytes));
            read_input_owned(bytes, format, opts.encoding)
        }
    };
    let encoding = input.encoding();
    let source = format!(
        "import entities {}",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    let batch_size = opts.batch_size.max(1);
    // One batch waiting while the store writes the one before: parsing and writing overlap.
    let (mut to_store, mut batches) = futures::channel::mpsc::channel::<Vec<EntityInput>>(0);
    let parser = std::thread::Builder::new()
        .name("import-parse".into())
        .spawn(move || {
            parse_in_batches(&input, &DistrictTable::nanning(), batch_size, |batch| {
                futures::executor::block_on(to_store.send(batch)).is_ok()
            })
        })
        .map_err(|source| ImportError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let applied = store.import_entity_batches(&mut batches, &source).await;
    // A store that stopped early (an error) closes the channel: the parser stops at its next
    // batch.
    drop(batches);
    let parsed = match parser.join() {
        Ok(parsed) => parsed,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let parsed = parsed.map_err(|reason| ImportError::Unreadable {
        path: path.to_path_buf(),
        reason,
    })?;
    let counts = applied?;
    let mut summary = ImportSummary {
        read: parsed.accepted + parsed.rejected.len(),
        created: counts.created,
        updated: counts.updated,
        unchanged: counts.unchanged,
        rejected: parsed.rejected.len(),
        needs_review: parsed.needs_review,
        encoding,
        ..ImportSummary::default()
    };
    let reject_path = reject_file_path(path);
    if parsed.rejected.is_empty() {
        match std::fs::remove_file(&reject_path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(ImportError::Io {
                    path: reject_path,
                    source: e,
                })
            }
        }
    } else {
        write_rejects(&reject_path, &parsed.rejected).map_err(|source| ImportError::Io {
            path: reject_path.clone(),
            source,
        })?;
        summary.reject_file = Some(reject_path);
    }
    tracing::info!(file = %path.display(), read = summary.read, "import: {summary}");
    Ok(summary)
}

/// Writes `line,reason,raw` (UTF-8, whatever the input's encoding).
pub(crate) fn write_rejects(path: &Path, rejected: &[Rejected]) -> std::io::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["line", "reason", "raw"])?;
    for r in rejected {
        w.write_record([r.line.to_string().as_str(), &r.reason, &r.raw])?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uscc(org: &str) -> String {
        Uscc::complete("91450103", org).unwrap().to_string()
    }

    fn csv(text: &str) -> ParseOutcome {
        parse(text.as_bytes(), Format::Csv, SourceEncoding::Utf8)
    }

    fn lines_of(o: &ParseOutcome) -> (Vec<usize>, Vec<usize>) {
        (
            o.rows.iter().map(|(l, _)| *l).collect(),
            o.rejected.iter().map(|r| r.line).collect(),
        )
    }

    #[test]
    fn csv_with_bom_and_canonical_forms() {
        let text = format!(
            "\u{FEFF}uscc,name,kind,district,icp,food_permit,domains\n\
             {} ,甲公司,trading_site,450103,桂ICP备 2017001234号-1,jy2 4501 0300 12345,A.Test; b.test/ ;a.test\n",
            uscc("MA5K0001").to_lowercase()
        );
        let o = csv(&text);
        assert_eq!(o.rejected, vec![]);
        let (line, e) = &o.rows[0];
        assert_eq!(*line, 2);
        assert_eq!(e.uscc, uscc("MA5K0001"));
        assert_eq!(e.name, "甲公司");
        assert_eq!(e.icp.as_deref(), Some("桂ICP备2017001234号-1"));
        assert_eq!(e.food_permit.as_deref(), Some("JY24501030012345"));
        assert_eq!(e.domains, ["a.test", "b.test"]);
        assert_eq!(e.needs_review, None);
    }

    #[test]
    fn columns_in_any_order_and_extra_kept() {
        let text = format!(
            " District ,Kind,NAME,Tax_Status,uscc\n450105,platform,乙,normal,{}\n",
            uscc("MA5K0002")
        );
        let o = csv(&text);
        let e = &o.rows[0].1;
        assert_eq!(e.district.to_string(), "450105");
        assert_eq!(e.kind, SiteKind::Platform);
        assert_eq!(
            e.extra.get("tax_status").map(String::as_str),
            Some("normal")
        );
    }

    #[test]
    fn rejects_name_line_and_reason() {
        let good = uscc("MA5K0003");
        let text = format!(
            "uscc,name,kind,district,icp\n\
             {good},ok,trading_site,450103,\n\
             9111000060003IOZSV,bad code,trading_site,450103,\n\
             {},bad district,trading_site,110101,\n\
             {},bad kind,shop,450103,\n\
             {},bad icp,trading_site,450103,ICP123\n\
             {},,trading_site,450103,\n\
             {},short,trading_site\n",
            uscc("MA5K0004"),
            uscc("MA5K0005"),
            uscc("MA5K0006"),
            uscc("MA5K0007"),
            uscc("MA5K0008"),
        );
        let o = csv(&text);
        assert_eq!(lines_of(&o), (vec![2], vec![3, 4, 5, 6, 7, 8]));
        let reasons: Vec<&str> = o.rejected.iter().map(|r| r.reason.as_str()).collect();
        assert!(reasons[0].starts_with("uscc"), "{}", reasons[0]);
        assert!(reasons[1].contains("110101"), "{}", reasons[1]);
        assert!(reasons[2].starts_with("kind"), "{}", reasons[2]);
        assert!(reasons[3].starts_with("icp"), "{}", reasons[3]);
        assert_eq!(reasons[4], "name is missing");
        assert!(
            reasons[5].contains("has 3 fields, the header has 5"),
            "{}",
            reasons[5]
        );
        assert!(o.rejected[0].raw.starts_with("9111000060003IOZSV,bad code"));
    }

    #[test]
    fn legacy_check_failure_is_kept_for_review() {
        let o = csv("uscc,name,kind,district\n91110000600037341N,旧,trading_site,450122\n");
        let e = &o.rows[0].1;
        assert_eq!(e.uscc, "91110000600037341N");
        assert!(e.needs_review.as_deref().unwrap().contains("expected L"));
    }

    #[test]
    fn multiline_field_keeps_line_numbers() {
        let text = format!(
            "uscc,name,kind,district,address\n\
             {},a,trading_site,450103,\"line one\nline two\nline three\"\n\
             bad,b,trading_site,450103,x\n\
             {},c,trading_site,450103,y\n",
            uscc("MA5K0011"),
            uscc("MA5K0012")
        );
        let o = csv(&text);
        assert_eq!(lines_of(&o), (vec![2, 6], vec![5]));
        assert_eq!(
            o.rows[0].1.address.as_deref(),
            Some("line one\nline two\nline three")
        );
    }

    #[test]
    fn duplicate_uscc_names_first_line() {
        let u = uscc("MA5K0013");
        let text = format!(
            "uscc,name,kind,district\n{u},a,trading_site,450103\n{u},b,trading_site,450103\n"
        );
        let o = csv(&text);
        assert_eq!(lines_of(&o), (vec![2], vec![3]));
        assert!(o.rejected[0].reason.contains("line 2"));
        assert_eq!(o.rows[0].1.name, "a");
    }

    #[test]
    fn gbk_needs_the_flag() {
        let text = format!(
            "uscc,name,kind,district\n{},南宁市青秀区某某商行,trading_site,450103\n",
            uscc("MA5K0014")
        );
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let o = parse(&gbk, Format::Csv, SourceEncoding::Gbk);
        assert_eq!(o.rows[0].1.name, "南宁市青秀区某某商行");
        let o = parse(&gbk, Format::Csv, SourceEncoding::Utf8);
        assert_eq!(o.rows.len(), 0);
        assert!(o.rejected[0].reason.contains("--encoding gbk"));
        assert_eq!(o.rejected[0].line, 2);
    }

    #[test]
    fn encoding_is_detected() {
        let text = format!(
            "uscc,name,kind,district,address\n\
             {},南宁市青秀区某某商行,trading_site,450103,青秀区民族大道100号\n\
             {},南宁市兴宁区某某百货店,trading_site,450102,兴宁区朝阳路8号\n",
            uscc("MA5K0014"),
            uscc("MA5K0015")
        );
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let o = parse(&gbk, Format::Csv, SourceEncoding::Auto);
        assert_eq!(o.rejected, []);
        assert_eq!(o.rows[0].1.name, "南宁市青秀区某某商行");
        assert_eq!(o.rows[1].1.address.as_deref(), Some("兴宁区朝阳路8号"));
        assert_eq!(detect_encoding(&gbk), encoding_rs::GBK);
        // UTF-8 with and without BOM, and pure ASCII, are UTF-8.
        assert_eq!(detect_encoding(text.as_bytes()), encoding_rs::UTF_8);
        assert_eq!(detect_encoding(b"\xEF\xBB\xBFuscc"), encoding_rs::UTF_8);
        assert_eq!(detect_encoding(b"uscc,name"), encoding_rs::UTF_8);
        // A UTF-8 file with one broken line stays UTF-8: that line is rejected, not the file
        // reread in a guessed encoding.
        let mut mixed = text.clone().into_bytes();
        mixed.extend_from_slice(format!("{},", uscc("MA5K0016")).as_bytes());
        mixed.extend_from_slice(b"\xC4\xCF\xC4\xFE,trading_site,450103\n");
        let o = parse(&mixed, Format::Csv, SourceEncoding::Auto);
        assert_eq!(o.rows.len(), 2);
        assert_eq!(o.rejected.len(), 1);
        assert_eq!(o.rejected[0].line, 4);
        assert!(
            o.rejected[0].reason.contains("UTF-8"),
            "{}",
            o.rejected[0].reason
        );
        assert_eq!("auto".parse(), Ok(SourceEncoding::Auto));
    }

    #[test]
    fn chinese_column_names_and_kinds() {
        let text = format!(
            "统一社会信用代码,企业名称,经营者类型,行政区划代码,住所,网站域名,成立日期,登记状态,备注\n\
             {},南宁市某某商贸有限公司,自建网站经营者,450103,青秀区1号,shop.test,2019-03-01,在业,甲\n\
             {},某某小吃店,平台内经营者,450105,,waimai.test/shop/8812,,,\n\
             {},某某平台,电子商务平台经营者,450102,,waimai.test,,,\n\
             {},坏类型,网吧,450102,,,,,\n",
            uscc("MA5K0031"),
            uscc("MA5K0032"),
            uscc("MA5K0033"),
            uscc("MA5K0034"),
        );
        let o = csv(&text);
        assert_eq!(o.fatal, None);
        let kinds: Vec<SiteKind> = o.rows.iter().map(|(_, e)| e.kind).collect();
        assert_eq!(
            kinds,
            [
                SiteKind::TradingSite,
                SiteKind::PlatformShop,
                SiteKind::Platform
            ]
        );
        let e = &o.rows[0].1;
        assert_eq!(e.name, "南宁市某某商贸有限公司");
        assert_eq!(e.address.as_deref(), Some("青秀区1号"));
        assert_eq!(e.domains, ["shop.test"]);
        assert_eq!(e.established.unwrap().to_string(), "2019-03-01");
        // An unknown Chinese column is kept as an extra attribute.
        assert_eq!(e.extra.get("备注").map(String::as_str), Some("甲"));
        assert_eq!(o.rejected.len(), 1);
        assert!(
            o.rejected[0].reason.contains("kind"),
            "{}",
            o.rejected[0].reason
        );
        // The official names are what the XLSX export writes.
        assert_eq!(column_label("uscc"), Some("统一社会信用代码"));
        assert_eq!(column_code("ICP备案号"), Some("icp"));
        assert_eq!(column_code("Name"), Some("name"));
        assert_eq!(column_code("备注"), None);
        // A code and its Chinese name together are one column twice.
        let o = csv("uscc,name,名称,kind,district\n");
        let fatal = o.fatal.unwrap();
        assert!(fatal.contains("both mean \"name\""), "{fatal}");
        // Missing required columns are named by code.
        let o = csv("统一社会信用代码,名称\n");
        assert!(o.fatal.unwrap().contains("kind, district"));
    }

    /// An XLSX register as an office would keep it: a title row above the header is not
    /// there, numbers typed as numbers, dates as dates.
    fn register_xlsx() -> Vec<u8> {
        use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook};
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let date = CellFormat::new().set_num_format("yyyy-mm-dd");
        for (c, h) in [
            "统一社会信用代码",
            "名称",
            "类型",
            "经营者类型",
            "行政区划代码",
            "成立日期",
            "联系电话",
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        let rows: [(&str, &str, &str, f64); 3] = [
            (
                "MA5K0041",
                "南宁市某某科技有限公司",
                "自建网站经营者",
                450103.0,
            ),
            ("MA5K0042", "区号错了", "自建网站经营者", 450999.0),
            ("MA5K0043", "某某网店", "平台内经营者", 450105.0),
        ];
        for (i, (org, name, kind, district)) in rows.iter().enumerate() {
            let r = (i + 1) as u32;
            sheet.write_string(r, 0, uscc(org)).unwrap();
            sheet.write_string(r, 1, *name).unwrap();
            sheet.write_string(r, 2, "有限责任公司").unwrap();
            sheet.write_string(r, 3, *kind).unwrap();
            sheet.write_number(r, 4, *district).unwrap();
            sheet
                .write_date_with_format(r, 5, ExcelDateTime::from_ymd(2020, 6, 15).unwrap(), &date)
                .unwrap();
            sheet.write_number(r, 6, 7715551234.0).unwrap();
        }
        // An empty row, then a row of a different shape.
        sheet.write_string(5, 0, uscc("MA5K0044")).unwrap();
        sheet.write_string(5, 1, "只有名称").unwrap();
        book.save_to_buffer().unwrap()
    }

    #[test]
    fn xlsx_first_sheet_with_row_numbers() {
        let bytes = register_xlsx();
        assert_eq!(Format::sniff(&bytes), Format::Xlsx);
        assert_eq!(
            Format::detect(Path::new("x.XLSX"), b"anything"),
            Format::Xlsx
        );
        let o = parse(&bytes, Format::Xlsx, SourceEncoding::Auto);
        assert_eq!(o.fatal, None);
        assert_eq!(lines_of(&o), (vec![2, 4], vec![3, 6]));
        let e = &o.rows[0].1;
        assert_eq!(e.name, "南宁市某某科技有限公司");
        assert_eq!(e.kind, SiteKind::TradingSite);
        assert_eq!(e.legal_form, LegalForm::from_str("有限责任公司").unwrap());
        assert_eq!(e.district.to_string(), "450103");
        assert_eq!(e.established.unwrap().to_string(), "2020-06-15");
        assert_eq!(e.phone.as_deref(), Some("7715551234"));
        assert!(o.rejected[0].reason.contains("district"));
        assert!(
            o.rejected[0].raw.contains("区号错了"),
            "{}",
            o.rejected[0].raw
        );
        assert!(o.rejected[1].reason.contains("kind is missing"));
        // Not a workbook.
        let o = parse(b"PK\x03\x04 broken", Format::Xlsx, SourceEncoding::Auto);
        assert!(o.fatal.unwrap().contains("not an XLSX workbook"));
    }

    #[test]
    fn json_lines() {
        let text = format!(
            "{{\"uscc\":\"{}\",\"name\":\"丙\",\"kind\":\"platform_shop\",\"district\":450107,\
               \"domains\":[\"waimai.test/shop/8812\"],\"rating\":{{\"a\":1}}}}\n\
             \n\
             [1,2]\n\
             {{\"uscc\":\"{}\",\"name\":\"丁\",\"kind\":\"platform\",\"district\":\"450102\",\"domains\":\"waimai.test\"}}\r\n\
             {{broken\n",
            uscc("MA5K0015"),
            uscc("MA5K0016"),
        );
        assert_eq!(Format::sniff(text.as_bytes()), Format::JsonLines);
        let o = parse(text.as_bytes(), Format::JsonLines, SourceEncoding::Utf8);
        assert_eq!(lines_of(&o), (vec![1, 4], vec![3, 5]));
        let e = &o.rows[0].1;
        assert_eq!(e.district.to_string(), "450107");
        assert_eq!(e.domains, ["waimai.test/shop/8812"]);
        assert_eq!(e.extra.get("rating").map(String::as_str), Some("{\"a\":1}"));
    }

    #[test]
    fn missing_column_is_fatal() {
        let o = csv("uscc,name,kind\n");
        assert!(o.fatal.unwrap().contains("district"));
        assert!(csv("").fatal.is_some());
    }

    #[test]
    fn format_detection() {
        assert_eq!(
            Format::detect(Path::new("x.NDJSON"), b"uscc"),
            Format::JsonLines
        );
        assert_eq!(
            Format::detect(Path::new("x.txt"), b" \n{"),
            Format::JsonLines
        );
        assert_eq!(
            Format::detect(Path::new("x"), b"\xEF\xBB\xBFuscc"),
            Format::Csv
        );
        assert_eq!("GBK".parse(), Ok(SourceEncoding::Gbk));
    }

    /// A CSV file read as it is parsed gives the records the whole text gives: lines, raw
    /// text and fields or reasons, through a BOM, CRLF line ends, a quoted field over three
    /// lines, a line that is not UTF-8, a short row, a blank line and a quoted header name.
    #[test]
    fn streamed_csv_records_equal_the_whole_text() {
        let mut bytes = b"\xEF\xBB\xBF\"uscc\",name,kind,district,address\r\n".to_vec();
        bytes.extend_from_slice(
            format!(
                "{},a,trading_site,450103,\"one\r\ntwo\nthree\"\r\n\n",
                uscc("MA5K0051")
            )
            .as_bytes(),
        );
        bytes.extend_from_slice(b"x,\xC4\xCF,trading_site,450103,y\n");
        bytes.extend_from_slice(b"short,row\n");
        bytes.extend_from_slice(
            format!("{},c,trading_site,450103,\"z\"\"q\"", uscc("MA5K0052")).as_bytes(),
        );
        // Long enough that the window forgets its start more than once.
        for i in 0..40_000 {
            bytes.extend_from_slice(
                format!("\n{i},n,trading_site,450103,{}", "长".repeat(i % 7)).as_bytes(),
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        std::fs::write(&path, &bytes).unwrap();
        type Seen = Vec<(usize, String, Result<Fields, String>)>;
        let collect = |input: &Input| -> (Result<(), String>, Seen) {
            let mut seen = Vec::new();
            let r = for_each_record(input, &REQUIRED, column_code, |r| {
                seen.push((r.line, r.raw, r.fields))
            });
            (r, seen)
        };
        let whole = collect(&read_input(&bytes, Format::Csv, SourceEncoding::Utf8));
        let streamed = collect(&Input::CsvFile {
            path: path.clone(),
            len: bytes.len() as u64,
            detected: false,
        });
        assert_eq!(whole.0, Ok(()));
        assert_eq!(whole.1.len(), 40_004);
        assert!(whole.1[1].2.as_ref().unwrap_err().contains("UTF-8"));
        assert_eq!(whole, streamed);
        assert!(is_utf8_file(&path, bytes.len() as u64).unwrap());
        // A header that is not UTF-8 is the same fatal error.
        std::fs::write(&path, b"uscc,\xC4\xCF\n").unwrap();
        let whole = collect(&read_input(
            b"uscc,\xC4\xCF\n",
            Format::Csv,
            SourceEncoding::Utf8,
        ));
        let streamed = collect(&Input::CsvFile {
            path,
            len: 9,
            detected: false,
        });
        assert_eq!(whole.0, streamed.0);
        assert!(whole.0.unwrap_err().contains("header line 1"));
    }

    #[test]
    fn summary_display() {
        let s = ImportSummary {
            read: 5,
            created: 1,
            updated: 2,
            unchanged: 1,
            rejected: 1,
            ..ImportSummary::default()
        };
        assert_eq!(
            s.to_string(),
            "1 created, 2 updated, 1 unchanged, 1 rejected"
        );
    }
}
