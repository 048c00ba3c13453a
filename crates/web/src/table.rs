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
//! - [`Table::write_xlsx`]: a minimal Office Open XML workbook written by hand into a zip (one
//!   sheet, inline strings, a bold and frozen header row, `docProps/core.xml` with the title).
//!   Text cells are `t="inlineStr"` and never formulas, so no injection guard is needed there.
//!   Every string is XML-escaped and characters that XML 1.0 forbids (control characters other
//!   than tab, LF and CR; U+FFFE, U+FFFF) are dropped; a literal `_xHHHH_` in text is escaped as
//!   `_x005F_xHHHH_` so that Excel does not decode it as a character escape. Integers whose
//!   magnitude needs more than 15 digits (Excel keeps 15 significant digits) are written as text.
//!   The output is deterministic: the same table gives the same bytes (every zip entry dated
//!   1980-01-01 00:00:00, no creation dates in the document properties). More than 1,048,576
//!   rows (header included) or 16,384 columns is an [`io::ErrorKind::InvalidInput`] error,
//!   raised before anything is written.
//!
//! Both writers reject a row with more cells than there are columns (`InvalidInput`); a shorter
//! row is padded with empty cells.

use std::io::{self, Seek, Write};

use chrono::NaiveDate;

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
    /// Header row.
    pub columns: Vec<String>,
    /// Data rows; each at most `columns.len()` cells long.
    pub rows: Vec<Vec<Cell>>,
}

/// One cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    /// A number in both formats (text in XLSX if it has more than 15 digits).
    Int(i64),
    /// Written as ISO 8601 text (`2024-05-31`) in both formats.
    Date(NaiveDate),
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
            rows: Vec::new(),
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
                Cell::Empty => String::new(),
            }));
            record.resize(width, String::new());
            out.write_record(&record)?;
        }
        out.flush()
    }

    /// Writes the table as a one-sheet XLSX workbook (see the module documentation).
    pub fn write_xlsx(&self, w: impl Write + Seek) -> io::Result<()> {
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
        self.check_row_widths()?;

        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        let mut zip = zip::ZipWriter::new(w);
        let sheet_name = sheet_name(&self.title);

        zip.start_file("[Content_Types].xml", options)?;
        zip.write_all(CONTENT_TYPES.as_bytes())?;
        zip.start_file("_rels/.rels", options)?;
        zip.write_all(ROOT_RELS.as_bytes())?;
        zip.start_file("docProps/core.xml", options)?;
        zip.write_all(core_xml(&self.title).as_bytes())?;
        zip.start_file("xl/workbook.xml", options)?;
        zip.write_all(workbook_xml(&sheet_name).as_bytes())?;
        zip.start_file("xl/_rels/workbook.xml.rels", options)?;
        zip.write_all(WORKBOOK_RELS.as_bytes())?;
        zip.start_file("xl/styles.xml", options)?;
        zip.write_all(STYLES.as_bytes())?;
        zip.start_file("xl/worksheets/sheet1.xml", options)?;
        self.write_sheet(&mut zip)?;
        zip.finish()?;
        Ok(())
    }

    /// Streams `xl/worksheets/sheet1.xml` into `w`, a buffer of about 64 KiB at a time.
    fn write_sheet(&self, w: &mut impl Write) -> io::Result<()> {
        const FLUSH_AT: usize = 64 * 1024;
        let mut buf = String::with_capacity(FLUSH_AT + 4096);
        buf.push_str(XML_DECL);
        buf.push_str(
            "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
             xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">",
        );
        let width = self.columns.len();
        if width > 0 {
            buf.push_str("<dimension ref=\"A1:");
            buf.push_str(&column_letters(width - 1));
            buf.push_str(&(self.rows.len() + 1).to_string());
            buf.push_str("\"/>");
        }
        // Header row frozen: the pane below row 1 scrolls.
        buf.push_str(
            "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" \
             activePane=\"bottomLeft\" state=\"frozen\"/><selection pane=\"bottomLeft\" \
             activeCell=\"A2\" sqref=\"A2\"/></sheetView></sheetViews>\
             <sheetFormatPr defaultRowHeight=\"15\"/><sheetData>",
        );
        let letters: Vec<String> = (0..width).map(column_letters).collect();

        buf.push_str("<row r=\"1\">");
        for (col, name) in self.columns.iter().enumerate() {
            push_inline_str(&mut buf, &letters[col], 1, name, true);
        }
        buf.push_str("</row>");

        for (i, row) in self.rows.iter().enumerate() {
            let r = i + 2;
            buf.push_str("<row r=\"");
            buf.push_str(&r.to_string());
            buf.push_str("\">");
            for (col, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Empty => {}
                    Cell::Text(s) => push_inline_str(&mut buf, &letters[col], r, s, false),
                    Cell::Date(d) => push_inline_str(
                        &mut buf,
                        &letters[col],
                        r,
                        &d.format("%Y-%m-%d").to_string(),
                        false,
                    ),
                    Cell::Int(v) if (-XLSX_MAX_EXACT_INT..=XLSX_MAX_EXACT_INT).contains(v) => {
                        buf.push_str("<c r=\"");
                        buf.push_str(&letters[col]);
                        buf.push_str(&r.to_string());
                        buf.push_str("\"><v>");
                        buf.push_str(&v.to_string());
                        buf.push_str("</v></c>");
                    }
                    Cell::Int(v) => {
                        push_inline_str(&mut buf, &letters[col], r, &v.to_string(), false)
                    }
                }
            }
            buf.push_str("</row>");
            if buf.len() >= FLUSH_AT {
                w.write_all(buf.as_bytes())?;
                buf.clear();
            }
        }
        buf.push_str("</sheetData></worksheet>");
        w.write_all(buf.as_bytes())
    }
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

/// Appends `s` XML-escaped (`& < > " '`, CR as `&#13;` so that parsers keep it), dropping the
/// characters XML 1.0 forbids.
fn push_xml_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            c if xml_allowed(c) => out.push(c),
            _ => {}
        }
    }
}

/// XML-escaped text, for tests and small parts.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_xml_escaped(&mut out, s);
    out
}

/// Escapes a literal `_xHHHH_` (which Excel would decode as the character U+HHHH) as
/// `_x005F_xHHHH_`, the escape of its underscore. Borrowed when there is nothing to escape.
fn escape_ooxml_underscores(s: &str) -> std::borrow::Cow<'_, str> {
    fn is_escape_at(b: &[u8], i: usize) -> bool {
        b.len() >= i + 7
            && b[i] == b'_'
            && b[i + 1] == b'x'
            && b[i + 2..i + 6].iter().all(u8::is_ascii_hexdigit)
            && b[i + 6] == b'_'
    }
    let b = s.as_bytes();
    if !(0..b.len()).any(|i| is_escape_at(b, i)) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut last = 0;
    for i in 0..b.len() {
        if is_escape_at(b, i) {
            out.push_str(&s[last..i]);
            out.push_str("_x005F");
            last = i;
        }
    }
    out.push_str(&s[last..]);
    out.into()
}

fn push_inline_str(buf: &mut String, col: &str, row: usize, text: &str, header: bool) {
    buf.push_str("<c r=\"");
    buf.push_str(col);
    buf.push_str(&row.to_string());
    buf.push_str(if header {
        "\" s=\"1\" t=\"inlineStr\"><is><t xml:space=\"preserve\">"
    } else {
        "\" t=\"inlineStr\"><is><t xml:space=\"preserve\">"
    });
    push_xml_escaped(buf, &escape_ooxml_underscores(text));
    buf.push_str("</t></is></c>");
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

const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

const CONTENT_TYPES: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>",
    "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
    "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>",
    "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>",
    "<Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>",
    "</Types>"
);

const ROOT_RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/>",
    "</Relationships>"
);

const WORKBOOK_RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>",
    "</Relationships>"
);

/// Style 0: default; style 1: bold (the header row).
const STYLES: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
    "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>",
    "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>",
    "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>",
    "<fill><patternFill patternType=\"gray125\"/></fill></fills>",
    "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>",
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>",
    "<cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>",
    "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>",
    "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>",
    "</styleSheet>"
);

fn workbook_xml(sheet_name: &str) -> String {
    format!(
        "{XML_DECL}<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
         <bookViews><workbookView/></bookViews>\
         <sheets><sheet name=\"{}\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
        xml_escape(sheet_name)
    )
}

fn core_xml(title: &str) -> String {
    format!(
        "{XML_DECL}<cp:coreProperties \
         xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <dc:title>{}</dc:title><dc:creator>wangjian</dc:creator></cp:coreProperties>",
        xml_escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    fn sample() -> Table {
        let mut t = Table::new(
            "商户 [清单]: 2024/05",
            ["uscc", "name", "count", "note", "since"],
        );
        t.rows.push(vec![
            "91450103MA5KABCD1X".into(),
            "南宁市青秀区星光商贸有限公司".into(),
            Cell::Int(42),
            "a & b <c> \"d\" 'e'".into(),
            Cell::Date(NaiveDate::from_ymd_opt(2024, 5, 31).unwrap()),
        ]);
        t.rows.push(vec![
            "913205056082348768".into(),
            "=HYPERLINK(\"http://x.test\")".into(),
            Cell::Int(-7),
            "bell\u{7}gone\u{FFFE}\u{1}".into(),
        ]);
        t.rows.push(vec![
            Cell::Empty,
            "_x0041_ stays".into(),
            Cell::Int(1_234_567_890_123_456_789),
        ]);
        t
    }

    fn xlsx_bytes(t: &Table) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        t.write_xlsx(&mut out).unwrap();
        out.into_inner()
    }

    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
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
    fn table_xml_escaping_and_illegal_chars() {
        assert_eq!(
            xml_escape("a&b<c>d\"e'f"),
            "a&amp;b&lt;c&gt;d&quot;e&apos;f"
        );
        assert_eq!(xml_escape("中文\ttab\nlf\rcr"), "中文\ttab\nlf&#13;cr");
        assert_eq!(
            xml_escape("x\u{0}\u{8}\u{B}\u{C}\u{1F}\u{FFFE}\u{FFFF}y"),
            "xy"
        );
        assert_eq!(
            xml_escape("\u{7F}\u{D7FF}\u{E000}\u{FFFD}\u{1F600}"),
            "\u{7F}\u{D7FF}\u{E000}\u{FFFD}\u{1F600}"
        );
        assert_eq!(
            escape_ooxml_underscores("_x0041_ and _x12_ and _xABCD_"),
            "_x005F_x0041_ and _x12_ and _x005F_xABCD_"
        );
        assert!(matches!(
            escape_ooxml_underscores("plain_x_"),
            std::borrow::Cow::Borrowed(_)
        ));
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
        let mut t = Table::new("t", ["name", "=col"]);
        t.rows.push(vec!["南宁, \"引号\"".into(), Cell::Int(-3)]);
        t.rows.push(vec!["=1+1".into(), "+86 771".into()]);
        t.rows.push(vec!["-5".into(), "@SUM(A1)".into()]);
        t.rows.push(vec!["\tx".into(), "\rcr".into()]);
        t.rows.push(vec!["a=b".into()]);
        let mut out = Vec::new();
        t.write_csv(&mut out).unwrap();
        assert!(out.starts_with(b"\xEF\xBB\xBF"), "BOM");
        let text = String::from_utf8(out[3..].to_vec()).unwrap();
        assert_eq!(
            text,
            "name,'=col\r\n\
             \"南宁, \"\"引号\"\"\",-3\r\n\
             '=1+1,'+86 771\r\n\
             '-5,'@SUM(A1)\r\n\
             '\tx,\"'\rcr\"\r\n\
             a=b,\r\n"
        );
        // Read back with the csv crate: the same values, guarded.
        let mut rd = csv::Reader::from_reader(&out[3..]);
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(&rows[0][0], "南宁, \"引号\"");
        assert_eq!(&rows[1][0], "'=1+1");
        assert_eq!(rows[4].len(), 2, "short row padded");
    }

    #[test]
    fn table_rows_wider_than_header_are_rejected() {
        let mut t = Table::new("t", ["a"]);
        t.rows.push(vec![Cell::Int(1), Cell::Int(2)]);
        assert_eq!(
            t.write_csv(Vec::new()).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        let err = t.write_xlsx(Cursor::new(Vec::new())).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn table_xlsx_parts_and_cells() {
        let bytes = xlsx_bytes(&sample());
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "[Content_Types].xml",
                "_rels/.rels",
                "docProps/core.xml",
                "xl/_rels/workbook.xml.rels",
                "xl/styles.xml",
                "xl/workbook.xml",
                "xl/worksheets/sheet1.xml"
            ]
        );
        for i in 0..zip.len() {
            let f = zip.by_index(i).unwrap();
            assert_eq!(
                f.last_modified().unwrap(),
                zip::DateTime::default(),
                "{:?}",
                f.name()
            );
        }
        let sheet = part(&bytes, "xl/worksheets/sheet1.xml");
        assert!(sheet.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"));
        assert!(sheet.contains("<dimension ref=\"A1:E4\"/>"));
        assert!(sheet.contains("state=\"frozen\""));
        assert!(sheet.contains(
            "<c r=\"A1\" s=\"1\" t=\"inlineStr\"><is><t xml:space=\"preserve\">uscc</t></is></c>"
        ));
        assert!(sheet.contains("<c r=\"B2\" t=\"inlineStr\"><is><t xml:space=\"preserve\">南宁市青秀区星光商贸有限公司</t></is></c>"));
        assert!(sheet.contains("<c r=\"C2\"><v>42</v></c>"));
        assert!(sheet.contains(
            "<t xml:space=\"preserve\">a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;</t>"
        ));
        assert!(sheet
            .contains("<c r=\"E2\" t=\"inlineStr\"><is><t xml:space=\"preserve\">2024-05-31</t>"));
        // Text stays text: an 18-digit USCC is not a number, a formula-looking string is not a formula.
        assert!(sheet.contains(
            "<c r=\"A3\" t=\"inlineStr\"><is><t xml:space=\"preserve\">913205056082348768</t>"
        ));
        assert!(
            sheet.contains("<t xml:space=\"preserve\">=HYPERLINK(&quot;http://x.test&quot;)</t>")
        );
        assert!(!sheet.contains("<f>"));
        assert!(sheet.contains("<c r=\"C3\"><v>-7</v></c>"));
        assert!(sheet.contains("<t xml:space=\"preserve\">bellgone</t>"));
        assert!(!sheet.contains("A4"), "empty cell omitted");
        assert!(sheet.contains("<t xml:space=\"preserve\">_x005F_x0041_ stays</t>"));
        assert!(sheet.contains(
            "<c r=\"C4\" t=\"inlineStr\"><is><t xml:space=\"preserve\">1234567890123456789</t>"
        ));
        let workbook = part(&bytes, "xl/workbook.xml");
        assert!(workbook.contains("<sheet name=\"商户 清单 202405\" sheetId=\"1\" r:id=\"rId1\"/>"));
        let core = part(&bytes, "docProps/core.xml");
        assert!(core.contains("<dc:title>商户 [清单]: 2024/05</dc:title>"));
        assert!(part(&bytes, "[Content_Types].xml").contains("/xl/worksheets/sheet1.xml"));
        assert!(part(&bytes, "xl/_rels/workbook.xml.rels").contains("worksheets/sheet1.xml"));
        assert!(part(&bytes, "_rels/.rels").contains("xl/workbook.xml"));
        assert!(part(&bytes, "xl/styles.xml").contains("<b/>"));
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
        let sheet = part(&a, "xl/worksheets/sheet1.xml");
        assert!(sheet.contains("<dimension ref=\"A1:AD4\"/>"));
        assert!(sheet.contains(
            "<c r=\"AA1\" s=\"1\" t=\"inlineStr\"><is><t xml:space=\"preserve\">列26</t>"
        ));
        assert!(sheet.contains("<c r=\"AD4\"><v>229</v></c>"));
    }

    #[test]
    fn table_xlsx_row_limit() {
        let mut t = Table::new("big", ["n"]);
        t.rows = vec![Vec::new(); XLSX_MAX_ROWS]; // + the header = one row too many
        let err = t.write_xlsx(Cursor::new(Vec::new())).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("1048576"), "{err}");
    }
}
