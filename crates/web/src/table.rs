//! Tabular exports (entities, sites) as CSV and as XLSX, for the console and the CLI.
//!
//! A [`Table`] is a title, a header row and rows of [`Cell`]s. Two writers:
//!
//! - [`Table::write_csv`]: UTF-8 **with a byte-order mark** (Excel as used in China opens a UTF-8
//!   CSV correctly only when it starts with a BOM; without it, it guesses GBK and the Chinese
//!   names turn into mojibake), RFC 4180 quoting through the `csv` crate, CRLF line ends.
//!   **Formula-injection guard** (OWASP "CSV Injection"): a text cell (header names included)
//!   that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a single
//!   quote `'` in front, so that a spreadsheet shows it as text instead of evaluating it. Register
//!   data and captured page text are untrusted, so this is always on; the price is that a text
//!   value such as `-5` or `+86 771 …` comes out as `'-5` / `'+86 771 …`. [`Cell::Int`] values are
//!   numbers and are never prefixed. Note that Excel also turns long all-digit text (an 18-digit
//!   USCC such as `913205056082348768`) into a rounded number when it opens a CSV: for Excel
//!   users the XLSX export is the faithful one.
//! - [`Table::write_xlsx`]: a one-sheet workbook written by `rust_xlsxwriter`. The header row
//!   shows each column's label for people ([`Table::labels`], Chinese in the console's exports;
//!   the column's code where there is none), bold and frozen, with an autofilter over the
//!   table; each column is as wide as its widest cell (a CJK character counts two, between
//!   [`XLSX_MIN_WIDTH`] and [`XLSX_MAX_WIDTH`]). Dates and date-times are real date cells
//!   (numbers formatted `yyyy-mm-dd` / `yyyy-mm-dd hh:mm:ss`), so they sort and filter as
//!   dates. Text cells are strings and never formulas, so no injection guard is needed there;
//!   control characters and literal `_xHHHH_` are escaped as Excel does. Integers whose
//!   magnitude needs more than 15 digits (Excel keeps 15 significant digits) are written as
//!   text, and so are dates before 1900 (Excel has none). A text longer than Excel's 32,767
//!   characters per cell is cut there with `…` at the end. The output is deterministic: the
//!   same table gives the same bytes (zip entries dated 1980-01-01, and so is the document's
//!   creation date). More than 1,048,576 rows (header included) or 16,384 columns is an
//!   [`io::ErrorKind::InvalidInput`] error, raised before anything is written.
//!
//! Both writers reject a row with more cells than there are columns (`InvalidInput`); a shorter
//! row is padded with empty cells.

use std::io::{self, Write};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

/// Excel's row limit per sheet (header row included).
pub const XLSX_MAX_ROWS: usize = 1_048_576;
/// Excel's column limit per sheet (`XFD`).
pub const XLSX_MAX_COLUMNS: usize = 16_384;
/// Excel's limit on a sheet name, in UTF-16 code units.
const SHEET_NAME_MAX: usize = 31;
/// Largest integer magnitude written as a number in XLSX (15 significant digits).
const XLSX_MAX_EXACT_INT: i64 = 999_999_999_999_999;

/// One table to export: `title` names the sheet (XLSX) and the document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Sheet name and document title; sanitised for Excel by the XLSX writer.
    pub title: String,
    /// Header row: the columns' codes (CSV header, and so what an export re-imports).
    pub columns: Vec<String>,
    /// Labels for people, by column (XLSX header row); a missing or empty label shows the code.
    pub labels: Vec<String>,
    /// Data rows; each at most `columns.len()` cells long.
    pub rows: Vec<Vec<Cell>>,
}

/// One cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// A number in both formats (text in XLSX if it has more than 15 digits).
    Int(i64),
    /// A date: ISO 8601 text (`2024-05-31`) in CSV, a date cell in XLSX.
    Date(NaiveDate),
    /// A date and time (as the reader should see it, e.g. China Standard Time): `2024-05-31
    /// 08:00:00` in CSV, a date-time cell in XLSX.
    DateTime(NaiveDateTime),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

impl Table {
    pub fn new(
        title: impl Into<String>,
        columns: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Table {
            title: title.into(),
            columns: columns.into_iter().map(Into::into).collect(),
            labels: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Sets the labels shown in the XLSX header row, by column.
    pub fn with_labels(mut self, labels: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.labels = labels.into_iter().map(Into::into).collect();
        self
    }

    /// The label shown for column `i`: its label, else its code.
    pub fn label(&self, i: usize) -> &str {
        match self.labels.get(i) {
            Some(l) if !l.is_empty() => l,
            _ => &self.columns[i],
        }
    }

    fn check_row_widths(&self) -> io::Result<()> {
        let width = self.columns.len();
        match self.rows.iter().position(|r| r.len() > width) {
            Some(i) => Err(invalid(format!(
                "table {:?}: data row {} has {} cells but the table has {} columns",
                self.title,
                i + 1,
                self.rows[i].len(),
                width
            ))),
            None => Ok(()),
        }
    }

    /// Writes the table as CSV: UTF-8 with BOM, RFC 4180 quoting, CRLF, formula-injection guard
    /// (see the module documentation).
    pub fn write_csv(&self, mut w: impl Write) -> io::Result<()> {
        self.check_row_widths()?;
        w.write_all(b"\xEF\xBB\xBF")?;
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(w);
        out.write_record(self.columns.iter().map(|c| csv_guard(c).into_owned()))?;
        let width = self.columns.len();
        let mut record: Vec<String> = Vec::with_capacity(width);
        for row in &self.rows {
            record.clear();
            record.extend(row.iter().map(|cell| match cell {
                Cell::Text(s) => csv_guard(s).into_owned(),
                Cell::Int(v) => v.to_string(),
                Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
                Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
                Cell::Empty => String::new(),
            }));
            record.resize(width, String::new());
            out.write_record(&record)?;
        }
        out.flush()
    }

    /// Writes the table as a one-sheet XLSX workbook (see the module documentation).
    pub fn write_xlsx(&self, w: impl Write) -> io::Result<()> {
        write_workbook(&self.title, std::slice::from_ref(self), w)
    }

    /// Whether the table fits one XLSX sheet and its rows its columns.
    fn check_xlsx(&self) -> io::Result<()> {
        if self.rows.len() + 1 > XLSX_MAX_ROWS {
            return Err(invalid(format!(
                "table {:?} has {} data rows; an XLSX sheet holds at most {} rows including the \
                 header ({} data rows): export CSV or split the table",
                self.title,
                self.rows.len(),
                XLSX_MAX_ROWS,
                XLSX_MAX_ROWS - 1
            )));
        }
        if self.columns.len() > XLSX_MAX_COLUMNS {
            return Err(invalid(format!(
                "table {:?} has {} columns; an XLSX sheet holds at most {}",
                self.title,
                self.columns.len(),
                XLSX_MAX_COLUMNS
            )));
        }
        self.check_row_widths()
    }

    fn write_sheet(&self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        let header = Format::new().set_bold();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
        let width = self.columns.len();
        let mut widths = vec![0usize; width];
        for (col, w) in widths.iter_mut().enumerate() {
            let label = self.label(col);
            *w = display_width(label) + 2; // room for the filter button
            sheet.write_string_with_format(0, col as u16, excel_text(label), &header)?;
        }
        for (i, row) in self.rows.iter().enumerate() {
            let r = (i + 1) as u32;
            for (col, cell) in row.iter().enumerate() {
                let c = col as u16;
                let shown = match cell {
                    Cell::Empty => 0,
                    Cell::Text(s) => {
                        sheet.write_string(r, c, excel_text(s))?;
                        display_width(s)
                    }
                    Cell::Int(v) if (-XLSX_MAX_EXACT_INT..=XLSX_MAX_EXACT_INT).contains(v) => {
                        sheet.write_number(r, c, *v as f64)?;
                        v.to_string().len()
                    }
                    Cell::Int(v) => {
                        sheet.write_string(r, c, v.to_string())?;
                        v.to_string().len()
                    }
                    Cell::Date(d) => match excel_date(d) {
                        Some(x) => {
                            sheet.write_date_with_format(r, c, x, &date)?;
                            10
                        }
                        None => {
                            sheet.write_string(r, c, d.format("%Y-%m-%d").to_string())?;
                            10
                        }
                    },
                    Cell::DateTime(t) => match excel_datetime(t) {
                        Some(x) => {
                            sheet.write_datetime_with_format(r, c, x, &datetime)?;
                            19
                        }
                        None => {
                            sheet.write_string(r, c, t.format("%Y-%m-%d %H:%M:%S").to_string())?;
                            19
                        }
                    },
                };
                widths[col] = widths[col].max(shown);
            }
        }
        for (col, w) in widths.iter().enumerate() {
            let w = (*w).clamp(XLSX_MIN_WIDTH, XLSX_MAX_WIDTH);
            sheet.set_column_width(col as u16, w as f64)?;
        }
        if width > 0 {
            sheet.set_freeze_panes(1, 0)?;
            sheet.autofilter(0, 0, self.rows.len() as u32, (width - 1) as u16)?;
        }
        Ok(())
    }
}

/// Writes `tables` as one XLSX workbook titled `title`, a sheet per table in order, each sheet
/// as [`Table::write_xlsx`] writes its one. Sheet names come from the tables' titles
/// ([`sheet_name`]); two tables whose names would be the same are an `InvalidInput` error, as is
/// an empty list. Checked before anything is written.
pub fn write_workbook(title: &str, tables: &[Table], mut w: impl Write) -> io::Result<()> {
    if tables.is_empty() {
        return Err(invalid(format!("workbook {title:?} has no table")));
    }
    let mut names = std::collections::HashSet::new();
    for t in tables {
        t.check_xlsx()?;
        if !names.insert(sheet_name(&t.title).to_lowercase()) {
            return Err(invalid(format!(
                "workbook {title:?}: two sheets would be named {:?}",
                sheet_name(&t.title)
            )));
        }
    }
    let bytes = workbook_bytes(title, tables).map_err(io::Error::other)?;
    w.write_all(&bytes)
}

fn workbook_bytes(title: &str, tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    // A fixed creation date keeps the bytes a function of the tables.
    workbook.set_properties(
        &DocProperties::new()
            .set_title(title)
            .set_author("wangjian")
            .set_creation_datetime(&ExcelDateTime::from_ymd(1980, 1, 1)?),
    );
    for t in tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name(&t.title))?;
        t.write_sheet(sheet)?;
    }
    workbook.save_to_buffer()
}

/// Narrowest and widest XLSX column, in characters of the default font.
pub const XLSX_MIN_WIDTH: usize = 6;
/// See [`XLSX_MIN_WIDTH`].
pub const XLSX_MAX_WIDTH: usize = 60;
/// Excel's limit on the characters of one cell.
const XLSX_MAX_CELL_CHARS: usize = 32_767;

/// Width of `s` in columns of the default font: East Asian wide characters count two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '\u{1100}'..='\u{115F}'
            | '\u{2E80}'..='\u{303E}'
            | '\u{3041}'..='\u{33FF}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{A000}'..='\u{A4CF}'
            | '\u{AC00}'..='\u{D7A3}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FE30}'..='\u{FE4F}'
            | '\u{FF00}'..='\u{FF60}'
            | '\u{FFE0}'..='\u{FFE6}'
            | '\u{20000}'..='\u{3FFFD}' => 2,
            _ => 1,
        })
        .sum()
}

/// Text as one cell holds it: cut at Excel's 32,767 characters, with `…` at the end.
fn excel_text(s: &str) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(XLSX_MAX_CELL_CHARS) {
        None => s.into(),
        Some(_) => {
            let (cut, _) = s
                .char_indices()
                .nth(XLSX_MAX_CELL_CHARS - 1)
                .expect("longer than the limit");
            format!("{}…", &s[..cut]).into()
        }
    }
}

/// A date Excel can hold (1900-01-01 to 9999-12-31), else `None`.
fn excel_date(d: &NaiveDate) -> Option<ExcelDateTime> {
    let year = u16::try_from(d.year()).ok()?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).ok()
}

/// A date-time Excel can hold, else `None`.
fn excel_datetime(t: &NaiveDateTime) -> Option<ExcelDateTime> {
    excel_date(&t.date())?
        .and_hms(t.hour() as u16, t.minute() as u8, t.second())
        .ok()
}

/// The CSV formula-injection guard: `'` in front of text that a spreadsheet would evaluate.
fn csv_guard(s: &str) -> std::borrow::Cow<'_, str> {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// A1-style column letters of a 0-based column index: 0 → `A`, 25 → `Z`, 26 → `AA`, 702 → `AAA`.
pub fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::with_capacity(3);
    while n > 0 {
        n -= 1;
        out.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

/// Whether XML 1.0 allows `c` in a document (`Char` production).
fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// An Excel-acceptable sheet name: XML-illegal characters and `[ ] : * ? / \` dropped, no
/// leading or trailing apostrophe, at most 31 UTF-16 code units, `Sheet1` if nothing is left
/// (or if it is the reserved `History`).
pub fn sheet_name(title: &str) -> String {
    let mut name = String::new();
    let mut units = 0;
    for c in title.chars() {
        if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\')
            || c.is_control()
            || !xml_allowed(c)
        {
            continue;
        }
        if units + c.len_utf16() > SHEET_NAME_MAX {
            break;
        }
        units += c.len_utf16();
        name.push(c);
    }
    let name = name.trim_matches('\'').trim();
    if name.is_empty() || name.eq_ignore_ascii_case("history") {
        "Sheet1".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use std::io::{Cursor, Read};

    fn sample() -> Table {
        let mut t = Table::new(
            "商户 [清单]: 2024/05",
            ["uscc", "name", "count", "note", "since", "seen"],
        )
        .with_labels([
            "统一社会信用代码",
            "名称",
            "",
            "备注",
            "成立日期",
            "采集时间",
        ]);
        t.rows.push(vec![
            "91450103MA5KABCD1X".into(),
            "南宁市青秀区星光商贸有限公司".into(),
            Cell::Int(42),
            "a & b <c> \"d\" 'e'".into(),
            Cell::Date(NaiveDate::from_ymd_opt(2024, 5, 31).unwrap()),
            Cell::DateTime(
                NaiveDate::from_ymd_opt(2026, 1, 2)
                    .unwrap()
                    .and_hms_opt(8, 30, 15)
                    .unwrap(),
            ),
        ]);
        t.rows.push(vec![
            "913205056082348768".into(),
            "=HYPERLINK(\"http://x.test\")".into(),
            Cell::Int(-7),
            "bell\u{7}kept".into(),
            Cell::Date(NaiveDate::from_ymd_opt(1850, 1, 1).unwrap()),
        ]);
        t.rows.push(vec![
            Cell::Empty,
            "_x0041_ stays".into(),
            Cell::Int(1_234_567_890_123_456_789),
        ]);
        t
    }

    fn xlsx_bytes(t: &Table) -> Vec<u8> {
        let mut out = Vec::new();
        t.write_xlsx(&mut out).unwrap();
        out
    }

    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    fn read_back(bytes: &[u8]) -> (String, calamine::Range<Data>) {
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let name = book.sheet_names()[0].clone();
        let range = book.worksheet_range(&name).unwrap();
        (name, range)
    }

    #[test]
    fn table_column_letters() {
        let cases = [
            (0, "A"),
            (1, "B"),
            (25, "Z"),
            (26, "AA"),
            (27, "AB"),
            (51, "AZ"),
            (52, "BA"),
            (701, "ZZ"),
            (702, "AAA"),
            (16_383, "XFD"),
        ];
        for (i, want) in cases {
            assert_eq!(column_letters(i), want, "column {i}");
        }
    }

    #[test]
    fn table_sheet_names() {
        assert_eq!(sheet_name("商户 [清单]: 2024/05"), "商户 清单 202405");
        assert_eq!(sheet_name("a*b?c\\d"), "abcd");
        assert_eq!(sheet_name("x".repeat(40).as_str()).len(), 31);
        assert_eq!(
            sheet_name("网站名单网站名单网站名单网站名单网站名单网站名单网站名单网站名单")
                .chars()
                .count(),
            31
        );
        // U+1F600 is two UTF-16 units: 30 + 2 > 31, so it is cut.
        assert_eq!(
            sheet_name(&format!("{}\u{1F600}", "y".repeat(30))),
            "y".repeat(30)
        );
        assert_eq!(sheet_name("'quoted'"), "quoted");
        assert_eq!(sheet_name("[]"), "Sheet1");
        assert_eq!(sheet_name("History"), "Sheet1");
        assert_eq!(sheet_name("a\u{1}b"), "ab");
    }

    #[test]
    fn table_csv_bom_quoting_and_injection_guard() {
        let mut t = Table::new("t", ["name", "=col", "at"]).with_labels(["名称", "列", "时间"]);
        t.rows.push(vec!["南宁, \"引号\"".into(), Cell::Int(-3)]);
        t.rows.push(vec!["=1+1".into(), "+86 771".into()]);
        t.rows.push(vec!["-5".into(), "@SUM(A1)".into()]);
        t.rows.push(vec!["\tx".into(), "\rcr".into()]);
        t.rows.push(vec![
            "a=b".into(),
            Cell::Empty,
            Cell::DateTime(
                NaiveDate::from_ymd_opt(2026, 1, 2)
                    .unwrap()
                    .and_hms_opt(3, 4, 5)
                    .unwrap(),
            ),
        ]);
        let mut out = Vec::new();
        t.write_csv(&mut out).unwrap();
        assert!(out.starts_with(b"\xEF\xBB\xBF"), "BOM");
        let text = String::from_utf8(out[3..].to_vec()).unwrap();
        // The CSV header is the codes (what an import reads), not the labels.
        assert_eq!(
            text,
            "name,'=col,at\r\n\
             \"南宁, \"\"引号\"\"\",-3,\r\n\
             '=1+1,'+86 771,\r\n\
             '-5,'@SUM(A1),\r\n\
             '\tx,\"'\rcr\",\r\n\
             a=b,,2026-01-02 03:04:05\r\n"
        );
        // Read back with the csv crate: the same values, guarded.
        let mut rd = csv::Reader::from_reader(&out[3..]);
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0][0], "南宁, \"引号\"");
        assert_eq!(&rows[1][0], "'=1+1");
        assert_eq!(rows[4].len(), 3, "short row padded");
    }

    #[test]
    fn table_rows_wider_than_header_are_rejected() {
        let mut t = Table::new("t", ["a"]);
        t.rows.push(vec![Cell::Int(1), Cell::Int(2)]);
        assert_eq!(
            t.write_csv(Vec::new()).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        let err = t.write_xlsx(Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn table_xlsx_reads_back_cell_by_cell() {
        let bytes = xlsx_bytes(&sample());
        let (name, range) = read_back(&bytes);
        assert_eq!(name, "商户 清单 202405");
        assert_eq!(range.get_size(), (4, 6));
        let text = |r: usize, c: usize| match range.get((r, c)) {
            Some(Data::String(s)) => s.clone(),
            other => panic!("({r},{c}) is not text: {other:?}"),
        };
        // The header row shows the labels; a column without one shows its code.
        let header: Vec<String> = (0..6).map(|c| text(0, c)).collect();
        assert_eq!(
            header,
            [
                "统一社会信用代码",
                "名称",
                "count",
                "备注",
                "成立日期",
                "采集时间"
            ]
        );
        assert_eq!(text(1, 1), "南宁市青秀区星光商贸有限公司");
        assert_eq!(range.get((1, 2)), Some(&Data::Float(42.0)));
        assert_eq!(text(1, 3), "a & b <c> \"d\" 'e'");
        // Dates are date cells: a serial number with a date format, not text.
        match range.get((1, 4)) {
            Some(Data::DateTime(d)) => {
                assert_eq!(
                    d.as_datetime().unwrap().date(),
                    NaiveDate::from_ymd_opt(2024, 5, 31).unwrap()
                );
            }
            other => panic!("E2 is not a date: {other:?}"),
        }
        match range.get((1, 5)) {
            Some(Data::DateTime(d)) => {
                assert_eq!(d.as_datetime().unwrap().to_string(), "2026-01-02 08:30:15")
            }
            other => panic!("F2 is not a date-time: {other:?}"),
        }
        // Text stays text: an 18-digit USCC is not a number, a formula-looking string is not
        // a formula, an integer past 15 digits keeps every digit.
        assert_eq!(text(2, 0), "913205056082348768");
        assert_eq!(text(2, 1), "=HYPERLINK(\"http://x.test\")");
        assert_eq!(range.get((2, 2)), Some(&Data::Float(-7.0)));
        assert_eq!(text(2, 3), "bell\u{7}kept");
        // Before 1900 Excel has no dates: text.
        assert_eq!(text(2, 4), "1850-01-01");
        assert_eq!(range.get((3, 0)), Some(&Data::Empty), "empty cell");
        assert_eq!(text(3, 1), "_x0041_ stays");
        assert_eq!(text(3, 2), "1234567890123456789");
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(!sheet.contains("<f>"), "no formulas");
    }

    #[test]
    fn table_xlsx_header_filter_freeze_widths_and_title() {
        let bytes = xlsx_bytes(&sample());
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains("<autoFilter ref=\"A1:F4\"/>"), "{sheet}");
        assert!(sheet.contains("state=\"frozen\""));
        assert!(sheet.contains("ySplit=\"1\""));
        // Column widths: the 14-character company name (28 columns) is wider than the count.
        let widths: Vec<f64> = sheet
            .split("<col ")
            .skip(1)
            .map(|c| {
                let w = c.split("width=\"").nth(1).unwrap();
                w[..w.find('"').unwrap()].parse().unwrap()
            })
            .collect();
        assert_eq!(widths.len(), 6, "{sheet}");
        assert!(widths[1] > 28.0 && widths[1] < 32.0, "{widths:?}");
        assert!(widths[2] < widths[1], "{widths:?}");
        // The header is bold.
        let styles = part(&bytes, "xl/styles.xml");
        assert!(styles.contains("<b/>"));
        let core = part(&bytes, "docProps/core.xml");
        assert!(
            core.contains("<dc:title>商户 [清单]: 2024/05</dc:title>"),
            "{core}"
        );
    }

    #[test]
    fn table_xlsx_beyond_z_and_deterministic() {
        let cols: Vec<String> = (0..30).map(|i| format!("列{i}")).collect();
        let mut t = Table::new("wide", cols);
        for r in 0..3 {
            t.rows
                .push((0..30).map(|c| Cell::Int(r * 100 + c)).collect());
        }
        let a = xlsx_bytes(&t);
        let b = xlsx_bytes(&t);
        assert_eq!(a, b, "same table, same bytes");
        let (_, range) = read_back(&a);
        assert_eq!(range.get((0, 26)), Some(&Data::String("列26".into())));
        assert_eq!(range.get((3, 29)), Some(&Data::Float(229.0)));
        assert!(part(&a, "xl/worksheets/sheet1.xml").contains("<autoFilter ref=\"A1:AD4\"/>"));
    }

    #[test]
    fn table_xlsx_long_text_is_cut_at_the_cell_limit() {
        let mut t = Table::new("t", ["text"]);
        t.rows.push(vec!["字".repeat(40_000).into()]);
        let (_, range) = read_back(&xlsx_bytes(&t));
        let Some(Data::String(s)) = range.get((1, 0)) else {
            panic!("not text")
        };
        assert_eq!(s.chars().count(), XLSX_MAX_CELL_CHARS);
        assert!(s.ends_with("字…"));
    }

    #[test]
    fn table_xlsx_row_limit() {
        let mut t = Table::new("big", ["n"]);
        t.rows = vec![Vec::new(); XLSX_MAX_ROWS]; // + the header = one row too many
        let err = t.write_xlsx(Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("1048576"), "{err}");
    }
}
