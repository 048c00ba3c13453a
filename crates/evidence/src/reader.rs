//! Reading WARC files: plain `.warc` or multi-member `.warc.gz` (told apart per record by the gzip
//! magic bytes), with each record's offset and stored length, and random access by offset.
//!
//! Owns WARC framing on input: version line, named fields, `Content-Length` block, the
//! `\r\n\r\n` trailer. Broken input is data: a corrupt or truncated record yields one `Err`
//! naming its offset and ends the iteration; nothing here panics on bad bytes. Must not check
//! digests (that is [`crate::verify_record`]) nor interpret blocks beyond the framing.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::record::{Record, RecordView};
use crate::{Corruption, EvidenceError};

/// Longest single header line accepted.
const MAX_LINE: u64 = 64 * 1024;
/// Largest header block accepted.
const MAX_HEADER: usize = 1024 * 1024;
/// Upper bound on the up-front allocation for a block; larger blocks grow as they are read, so a
/// corrupt `Content-Length` cannot make the reader allocate terabytes.
const MAX_PREALLOC: u64 = 16 * 1024 * 1024;

/// The largest record block a reader accepts unless told otherwise ([`WarcReader::max_block`]):
/// 256 MiB, well above the crawler's body cap and a full-page screenshot. A record declaring
/// more, or a gzip member inflating to more (with room for a header block), is refused as
/// [`Corruption::TooLarge`] before that much is held, so a small hostile `.warc.gz` cannot make
/// a reader allocate gigabytes.
pub const DEFAULT_MAX_BLOCK: u64 = 256 * 1024 * 1024;

/// Iterator over the records of a WARC stream. See the module docs for the error contract.
pub struct WarcReader<R> {
    inner: Counting<R>,
    /// Further records from a gzip member holding more than one (not written by this crate,
    /// tolerated on input); they share the member's offset and length.
    pending: VecDeque<Record>,
    done: bool,
    /// Scratch buffer for header lines, kept between records.
    line: Vec<u8>,
    /// The largest block accepted (see [`DEFAULT_MAX_BLOCK`]).
    max_block: u64,
    /// Bytes of the record last lent by [`WarcReader::next_view`], still in the buffer until
    /// the next call.
    lent: usize,
}

impl<R: BufRead> WarcReader<R> {
    /// Read from the start of a stream.
    pub fn new(inner: R) -> Self {
        Self::with_offset(inner, 0)
    }

    /// Read from a stream already positioned at `offset` in its file, so reported offsets are
    /// file offsets.
    pub fn with_offset(inner: R, offset: u64) -> Self {
        WarcReader {
            inner: Counting { inner, pos: offset },
            pending: VecDeque::new(),
            done: false,
            line: Vec::with_capacity(256),
            max_block: DEFAULT_MAX_BLOCK,
            lent: 0,
        }
    }

    /// Accept blocks of at most `max_block` bytes (default [`DEFAULT_MAX_BLOCK`]); a larger
    /// record is [`Corruption::TooLarge`] at its offset, and reading stops there.
    pub fn max_block(mut self, max_block: u64) -> Self {
        self.max_block = max_block;
        self
    }

    /// File offset of the next unread byte.
    pub fn position(&self) -> u64 {
        self.inner.pos + self.lent as u64
    }

    /// The next record, as the iterator would yield it, but lent: a plain record that lies
    /// wholly in the reader's buffer is read in place (no field or block copied), any other
    /// (a gzip member's, one across the buffer's end, a broken one) is read as the iterator
    /// reads it. The view lives until the next call.
    pub fn next_view(&mut self) -> Option<Result<RecordView<'_>, EvidenceError>> {
        self.release_lent();
        let plain = matches!(self.inner.fill_buf(), Ok([first, ..]) if *first != 0x1f);
        if !plain || !self.pending.is_empty() || self.done {
            return self.next().map(|item| item.map(RecordView::from));
        }
        // What `read_plain` does first; a failure is left to it to report.
        if skip_blank(&mut self.inner).is_ok() {
            let start = self.inner.pos;
            let parsed = match self.inner.fill_buf() {
                Ok(buf) => parse_in_place(buf, self.max_block),
                Err(_) => None,
            };
            if let Some(found) = parsed {
                self.lent = found.len;
                // The same bytes again: a `BufRead` hands back what it holds until it is
                // consumed.
                let buf = self.inner.fill_buf().unwrap_or_default();
                return Some(Ok(found.view(buf, start)));
            }
        }
        let read = self.read_plain();
        self.yielded(read).map(|item| item.map(RecordView::from))
    }

    /// Let the buffer go on past the record last lent.
    fn release_lent(&mut self) {
        if self.lent > 0 {
            self.inner.consume(self.lent);
            self.lent = 0;
        }
    }

    /// What the iterator yields for a read: the end and an error end the iteration.
    fn yielded(
        &mut self,
        read: Result<Option<Record>, EvidenceError>,
    ) -> Option<Result<Record, EvidenceError>> {
        match read {
            Ok(Some(rec)) => Some(Ok(rec)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    fn read_next(&mut self) -> Result<Option<Record>, EvidenceError> {
        loop {
            let start = self.inner.pos;
            let first = match self.inner.fill_buf() {
                Ok([]) => return Ok(None),
                Ok(buf) => buf[0],
                Err(source) => {
                    return Err(EvidenceError::Read {
                        offset: start,
                        source,
                    })
                }
            };
            if first == 0x1f {
                self.read_member(start)?;
                if let Some(rec) = self.pending.pop_front() {
                    return Ok(Some(rec));
                }
                // An empty gzip member: nothing to yield, go on to the next one.
            } else {
                return self.read_plain();
            }
        }
    }

    /// Decompress the gzip member at `start` and queue the records it holds. A record cut off
    /// at the end of a member continues in the next one (legal gzip, written by some tools; never
    /// by this crate); it keeps the offset of the member where it starts.
    fn read_member(&mut self, start: u64) -> Result<(), EvidenceError> {
        let corrupt = |problem| EvidenceError::Corrupt {
            offset: start,
            problem,
        };
        let gzip = |e: io::Error| corrupt(Corruption::Gzip(e.to_string()));
        let cap = self.max_block;
        let mut data = self
            .inflate_member(0)
            .map_err(gzip)?
            .ok_or(corrupt(Corruption::TooLarge { cap }))?;
        let mut used = 0;
        loop {
            let mut cur = &data[used..];
            skip_blank(&mut cur).map_err(gzip)?;
            if cur.is_empty() {
                return Ok(());
            }
            let parsed = parse_record(&mut cur, &mut self.line, cap);
            let at_end = cur.is_empty();
            match parsed {
                Ok((headers, block)) => {
                    used = data.len() - cur.len();
                    self.pending.push_back(Record {
                        headers,
                        block,
                        offset: start,
                        length: self.inner.pos - start,
                    });
                }
                Err(ParseError::Corrupt(c))
                    if at_end && self.next_is_gzip() && c != (Corruption::TooLarge { cap }) =>
                {
                    data.drain(..used);
                    let more = self
                        .inflate_member(data.len() as u64)
                        .map_err(gzip)?
                        .ok_or(corrupt(Corruption::TooLarge { cap }))?;
                    data.extend_from_slice(&more);
                    used = 0;
                }
                Err(ParseError::Corrupt(c)) => return Err(corrupt(c)),
                Err(ParseError::Io(e)) => return Err(gzip(e)),
            }
        }
    }

    /// The decompressed bytes of the gzip member at the current position; `None` when they
    /// would take more than a record of the largest block may (with `held` bytes of a record
    /// already read from earlier members): no more than that is ever inflated.
    fn inflate_member(&mut self, held: u64) -> io::Result<Option<Vec<u8>>> {
        // Header block, block and trailer of one record; a member holding several records of
        // other tools' files counts them together.
        let room = (self.max_block + MAX_HEADER as u64 + 4).saturating_sub(held);
        let mut data = Vec::new();
        let taken = flate2::bufread::GzDecoder::new(&mut self.inner)
            .take(room.saturating_add(1))
            .read_to_end(&mut data)?;
        Ok((taken as u64 <= room).then_some(data))
    }

    fn next_is_gzip(&mut self) -> bool {
        matches!(self.inner.fill_buf(), Ok([0x1f, ..]))
    }

    fn read_plain(&mut self) -> Result<Option<Record>, EvidenceError> {
        let blank_start = self.inner.pos;
        skip_blank(&mut self.inner).map_err(|source| EvidenceError::Read {
            offset: blank_start,
            source,
        })?;
        let start = self.inner.pos;
        match self.inner.fill_buf() {
            Ok([]) => return Ok(None),
            Ok(_) => {}
            Err(source) => {
                return Err(EvidenceError::Read {
                    offset: start,
                    source,
                })
            }
        }
        match parse_record(&mut self.inner, &mut self.line, self.max_block) {
            Ok((headers, block)) => Ok(Some(Record {
                headers,
                block,
                offset: start,
                length: self.inner.pos - start,
            })),
            Err(ParseError::Corrupt(problem)) => Err(EvidenceError::Corrupt {
                offset: start,
                problem,
            }),
            Err(ParseError::Io(source)) => Err(EvidenceError::Read {
                offset: start,
                source,
            }),
        }
    }
}

impl<R: BufRead> Iterator for WarcReader<R> {
    type Item = Result<Record, EvidenceError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.release_lent();
        if let Some(rec) = self.pending.pop_front() {
            return Some(Ok(rec));
        }
        if self.done {
            return None;
        }
        let read = self.read_next();
        self.yielded(read)
    }
}

/// Open a `.warc` or `.warc.gz` file for reading from the start.
pub fn open_reader(path: &Path) -> Result<WarcReader<BufReader<File>>, EvidenceError> {
    let file = File::open(path).map_err(|e| EvidenceError::io(path, e))?;
    Ok(WarcReader::new(BufReader::with_capacity(64 * 1024, file)))
}

/// Read the record starting at `offset` (a [`crate::RecordRef`] offset, or a CDX offset), of
/// at most [`DEFAULT_MAX_BLOCK`].
pub fn read_record_at(path: &Path, offset: u64) -> Result<Record, EvidenceError> {
    read_record_at_capped(path, offset, DEFAULT_MAX_BLOCK)
}

/// [`read_record_at`] with a block of at most `max_block` bytes.
pub fn read_record_at_capped(
    path: &Path,
    offset: u64,
    max_block: u64,
) -> Result<Record, EvidenceError> {
    let mut file = File::open(path).map_err(|e| EvidenceError::io(path, e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| EvidenceError::io(path, e))?;
    let mut reader = WarcReader::with_offset(BufReader::with_capacity(64 * 1024, file), offset)
        .max_block(max_block);
    match reader.next() {
        Some(result) => result,
        None => Err(EvidenceError::NoRecord { offset }),
    }
}

/// A reader that counts the bytes taken from it, through `read` and `consume` alike.
struct Counting<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.pos += amt as u64;
    }
}

/// Named fields and block of one record.
type Parsed = (Vec<(String, String)>, Vec<u8>);

enum ParseError {
    Corrupt(Corruption),
    Io(io::Error),
}

impl From<io::Error> for ParseError {
    fn from(e: io::Error) -> Self {
        ParseError::Io(e)
    }
}

/// Consume CR and LF bytes (lenient writers put extra blank lines between records).
fn skip_blank<R: BufRead>(r: &mut R) -> io::Result<()> {
    loop {
        let buf = r.fill_buf()?;
        let n = buf
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        if n == 0 {
            return Ok(());
        }
        r.consume(n);
    }
}

/// Read one line (with its terminator) of at most [`MAX_LINE`] bytes; empty at end of stream.
fn read_line<R: BufRead>(r: &mut R, buf: &mut Vec<u8>) -> Result<(), ParseError> {
    buf.clear();
    r.take(MAX_LINE).read_until(b'\n', buf)?;
    if buf.len() as u64 == MAX_LINE && buf.last() != Some(&b'\n') {
        return Err(ParseError::Corrupt(Corruption::HeaderTooLarge));
    }
    Ok(())
}

/// Hand the next line (with its terminator; as [`read_line`] reads it) to `f`: straight from
/// the reader's buffer when the whole line is there, else read into `scratch`.
fn with_line<R: BufRead, T>(
    r: &mut R,
    scratch: &mut Vec<u8>,
    f: impl FnOnce(&[u8]) -> T,
) -> Result<T, ParseError> {
    if let Ok(buf) = r.fill_buf() {
        if let Some(i) = buf.iter().position(|&b| b == b'\n') {
            if i < MAX_LINE as usize {
                let out = f(&buf[..=i]);
                r.consume(i + 1);
                return Ok(out);
            }
        }
    }
    // A line across the buffer's end, a long line, the end of the stream or an error.
    read_line(r, scratch)?;
    Ok(f(scratch))
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Parse one record: version line, fields, block and trailer.
fn parse_record<R: BufRead>(
    r: &mut R,
    line: &mut Vec<u8>,
    max_block: u64,
) -> Result<Parsed, ParseError> {
    let corrupt = |c| Err(ParseError::Corrupt(c));
    let (first_len, is_warc) =
        with_line(r, line, |l| (l.len(), trim_eol(l).starts_with(b"WARC/")))?;
    if !is_warc {
        return corrupt(Corruption::NotWarc);
    }

    let mut headers: Vec<(String, String)> = Vec::with_capacity(12);
    let mut header_bytes = first_len;
    loop {
        // Ok(true) at the blank line ending the header.
        let step = with_line(r, line, |l| {
            header_bytes += l.len();
            if header_bytes > MAX_HEADER {
                return Err(Corruption::HeaderTooLarge);
            }
            match header_line(l)? {
                HeaderLine::End => Ok(true),
                HeaderLine::Field(name, value) => {
                    headers.push((name.into_owned(), value.into_owned()));
                    Ok(false)
                }
                HeaderLine::More(more, text) => match headers.last_mut() {
                    Some((_, value)) => {
                        value.push(' ');
                        value.push_str(&more);
                        Ok(false)
                    }
                    None => Err(Corruption::BadHeaderLine(shorten(&text))),
                },
            }
        })?;
        match step {
            Ok(true) => break,
            Ok(false) => {}
            Err(c) => return corrupt(c),
        }
    }

    let fields = headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let length = match content_length(fields, max_block) {
        Ok(n) => n,
        Err(c) => return corrupt(c),
    };
    let block = read_block(r, length)?;
    if (block.len() as u64) < length {
        return corrupt(Corruption::TruncatedBlock {
            expected: length,
            got: block.len() as u64,
        });
    }
    let mut trailer = [0u8; 4];
    if read_up_to(r, &mut trailer)? != trailer.len() || &trailer != b"\r\n\r\n" {
        return corrupt(Corruption::BadTrailer);
    }
    Ok((headers, block))
}

/// The block length a record's `Content-Length` declares, at most `max_block`.
fn content_length<'a>(
    mut fields: impl Iterator<Item = (&'a str, &'a str)>,
    max_block: u64,
) -> Result<u64, Corruption> {
    let length = match fields.find(|(n, _)| n.eq_ignore_ascii_case("Content-Length")) {
        None => return Err(Corruption::MissingContentLength),
        Some((_, v)) => match v.parse::<u64>() {
            Ok(n) => n,
            Err(_) => return Err(Corruption::BadContentLength(shorten(v))),
        },
    };
    if length > max_block {
        return Err(Corruption::TooLarge { cap: max_block });
    }
    Ok(length)
}

/// One line of a record's header block (with its line end), as both ways of reading a record
/// take it.
enum HeaderLine<'a> {
    /// The blank line that ends the header block.
    End,
    /// A named field, name and value trimmed.
    Field(Cow<'a, str>, Cow<'a, str>),
    /// A continuation of the field before (trimmed), and the whole line to name it by if there
    /// is none.
    More(Cow<'a, str>, Cow<'a, str>),
}

fn header_line(l: &[u8]) -> Result<HeaderLine<'_>, Corruption> {
    if l.is_empty() || !l.ends_with(b"\n") {
        return Err(Corruption::TruncatedHeader);
    }
    header_text(text_of(trim_eol(l)))
}

/// [`header_line`] of a whole line's text, without its line end.
fn header_text(text: Cow<'_, str>) -> Result<HeaderLine<'_>, Corruption> {
    /// `f` of the line's text, borrowed when the text is.
    fn part<'a>(text: &Cow<'a, str>, f: impl Fn(&str) -> &str) -> Cow<'a, str> {
        match text {
            Cow::Borrowed(s) => Cow::Borrowed(f(s)),
            Cow::Owned(s) => Cow::Owned(f(s).to_string()),
        }
    }
    if text.is_empty() {
        return Ok(HeaderLine::End);
    }
    if text.starts_with([' ', '\t']) {
        return Ok(HeaderLine::More(part(&text, trim), text));
    }
    // The first colon (ASCII, so the text splits there).
    match memchr::memchr(b':', text.as_bytes()) {
        Some(colon) if !trim(&text[..colon]).is_empty() => Ok(HeaderLine::Field(
            part(&text, |t| trim(&t[..colon])),
            part(&text, |t| trim(&t[colon + 1..])),
        )),
        _ => Err(Corruption::BadHeaderLine(shorten(&text))),
    }
}

/// A field's name or value in a record read in place: where its text is in the record's
/// fields (from the line after the version line), or the text itself when it is not there as it
/// is (a continuation joined).
enum Part {
    At(usize, usize),
    Text(String),
}

impl Part {
    /// `part`, a slice of `fields` or a text of its own.
    fn of(part: Cow<'_, str>, fields: &str) -> Part {
        match part {
            // The address difference is where the borrowed text starts inside `fields`.
            Cow::Borrowed(t) => {
                let start = t.as_ptr() as usize - fields.as_ptr() as usize;
                Part::At(start, start + t.len())
            }
            Cow::Owned(t) => Part::Text(t),
        }
    }

    /// The text again, from `fields`, the text it was read from.
    fn text<'a>(&'a self, fields: &'a str) -> &'a str {
        match self {
            Part::At(start, end) => fields.get(*start..*end).unwrap_or_default(),
            Part::Text(t) => t,
        }
    }

    /// [`Part::text`], lent for as long as `fields` is.
    fn into_text(self, fields: &str) -> Cow<'_, str> {
        match self {
            Part::At(start, end) => Cow::Borrowed(fields.get(start..end).unwrap_or_default()),
            Part::Text(t) => Cow::Owned(t),
        }
    }
}

/// A plain record wholly inside `buf` (which starts at it), read without copying: where its
/// fields and its block are, and the bytes it takes. `None` when the record does not end inside
/// `buf` or is not a sound record, or a field is not UTF-8: the caller then reads it as a stream
/// ([`parse_record`]), which says what is wrong; whatever this finds, that reading finds too.
fn parse_in_place(buf: &[u8], max_block: u64) -> Option<InPlace> {
    // The line starting at `at`, with its end; within the length a stream reading allows.
    let line_at = |at: usize| -> Option<&[u8]> {
        let rest = &buf[at..];
        let window = &rest[..rest.len().min(MAX_LINE as usize)];
        let end = memchr::memchr(b'\n', window)?;
        Some(&rest[..=end])
    };
    let first = line_at(0)?;
    if !trim_eol(first).starts_with(b"WARC/") {
        return None;
    }
    // The blank line that ends the header block.
    let mut at = first.len();
    loop {
        let l = line_at(at)?;
        at += l.len();
        if at > MAX_HEADER {
            return None;
        }
        if trim_eol(l).is_empty() {
            break;
        }
    }
    // The fields checked as text at once, not line by line.
    let text = std::str::from_utf8(&buf[first.len()..at]).ok()?;
    let mut fields: Vec<(Part, Part)> = Vec::with_capacity(12);
    let mut rest = text;
    while let Some(end) = memchr::memchr(b'\n', rest.as_bytes()) {
        // A line end is ASCII: the text splits there.
        let (line, after) = (&rest[..end], &rest[end + 1..]);
        rest = after;
        match header_text(Cow::Borrowed(line.strip_suffix('\r').unwrap_or(line))).ok()? {
            HeaderLine::End => break,
            HeaderLine::Field(name, value) => {
                fields.push((Part::of(name, text), Part::of(value, text)));
            }
            HeaderLine::More(more, _) => {
                let (_, value) = fields.last_mut()?;
                *value = Part::Text(format!("{} {more}", value.text(text)));
            }
        }
    }
    let named = fields.iter().map(|(n, v)| (n.text(text), v.text(text)));
    let length = usize::try_from(content_length(named, max_block).ok()?).ok()?;
    let end = at.checked_add(length)?;
    if buf.get(end..end.checked_add(4)?)? != b"\r\n\r\n" {
        return None;
    }
    Some(InPlace {
        fields,
        text: (first.len(), at),
        block: (at, end),
        len: end + 4,
    })
}

/// Where a record read in place is in the buffer: its fields, the text they are in, its block,
/// and the bytes it takes.
struct InPlace {
    fields: Vec<(Part, Part)>,
    text: (usize, usize),
    block: (usize, usize),
    len: usize,
}

impl InPlace {
    /// The record, borrowed from `buf` (the bytes it was found in) at `offset`.
    fn view(self, buf: &[u8], offset: u64) -> RecordView<'_> {
        // The same bytes as when they were found: text again.
        let text = std::str::from_utf8(&buf[self.text.0..self.text.1]).unwrap_or_default();
        let headers = self
            .fields
            .into_iter()
            .map(|(name, value)| (name.into_text(text), value.into_text(text)))
            .collect();
        RecordView {
            headers,
            block: Cow::Borrowed(&buf[self.block.0..self.block.1]),
            offset,
            length: self.len as u64,
        }
    }
}

/// A header line as text: borrowed when it is UTF-8 (the usual case, checked by the fast
/// validator), else with invalid bytes replaced.
fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// [`str::trim`], with a fast path for the usual field: at most spaces and tabs around ASCII
/// text that starts and ends with a non-whitespace character.
fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b
        .iter()
        .position(|&c| c != b' ' && c != b'\t')
        .unwrap_or(b.len());
    let end = b[start..]
        .iter()
        .rposition(|&c| c != b' ' && c != b'\t')
        .map_or(start, |i| start + i + 1);
    // Spaces and tabs are ASCII, so these are char boundaries.
    let t = &s[start..end];
    let plain =
        |c: Option<&u8>| c.is_none_or(|&c| c.is_ascii() && !(c == b' ' || (9..=13).contains(&c)));
    if plain(t.as_bytes().first()) && plain(t.as_bytes().last()) {
        t
    } else {
        t.trim()
    }
}

/// Read a block of `length` bytes, or fewer if the stream ends first, copying straight out of
/// the reader's buffer.
fn read_block<R: BufRead>(r: &mut R, length: u64) -> io::Result<Vec<u8>> {
    let mut block = Vec::with_capacity(length.min(MAX_PREALLOC) as usize);
    let mut left = length;
    while left > 0 {
        let buf = match r.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        block.extend_from_slice(&buf[..n]);
        r.consume(n);
        left -= n as u64;
    }
    Ok(block)
}

/// Fill `out` from the stream as far as it goes; the number of bytes read.
fn read_up_to<R: BufRead>(r: &mut R, out: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < out.len() {
        match r.read(&mut out[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn shorten(s: &str) -> String {
    s.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> Vec<Result<Record, EvidenceError>> {
        WarcReader::new(bytes).collect()
    }

    const REC: &[u8] = b"WARC/1.1\r\nWARC-Type: resource\r\nX-Long: a\r\n  b\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n";

    #[test]
    fn plain_records_with_offsets_and_folded_fields() {
        let data = [REC, b"\r\n", REC].concat();
        let recs: Vec<Record> = read_all(&data).into_iter().map(Result::unwrap).collect();
        assert_eq!(recs.len(), 2);
        assert_eq!((recs[0].offset, recs[0].length), (0, REC.len() as u64));
        assert_eq!(recs[1].offset, REC.len() as u64 + 2);
        assert_eq!(recs[0].header("x-long"), Some("a b"));
        assert_eq!(recs[0].warc_type(), Some("resource"));
        assert_eq!(recs[1].block, b"abc");
    }

    fn first_error(bytes: &[u8]) -> (usize, Corruption) {
        let all = read_all(bytes);
        let oks = all.iter().filter(|r| r.is_ok()).count();
        match all.into_iter().last() {
            Some(Err(EvidenceError::Corrupt { problem, .. })) => (oks, problem),
            other => panic!("expected a corrupt error last, got {other:?}"),
        }
    }

    #[test]
    fn broken_input_is_reported_not_panicked_on() {
        let cut = |n: usize| [REC, &REC[..n]].concat();
        assert_eq!(first_error(&cut(5)).1, Corruption::TruncatedHeader);
        assert_eq!(
            first_error(&cut(REC.len() - 5)).1,
            Corruption::TruncatedBlock {
                expected: 3,
                got: 2
            }
        );
        assert_eq!(first_error(&cut(REC.len() - 2)).1, Corruption::BadTrailer);
        assert_eq!(
            first_error(b"HTTP/1.1 200 OK\r\n\r\n"),
            (0, Corruption::NotWarc)
        );
        assert_eq!(
            first_error(b"WARC/1.1\r\nno colon\r\n\r\n").1,
            Corruption::BadHeaderLine("no colon".into())
        );
        assert_eq!(
            first_error(b"WARC/1.1\r\nA: b\r\n\r\n").1,
            Corruption::MissingContentLength
        );
        assert_eq!(
            first_error(b"WARC/1.1\r\nContent-Length: -1\r\n\r\n").1,
            Corruption::BadContentLength("-1".into())
        );
        assert!(matches!(
            first_error(&[0x1f, 0x8b, 8, 0, 0]).1,
            Corruption::Gzip(_)
        ));
        // A huge declared length is refused before anything is read; a declared length
        // under the cap on a tiny input does not allocate it.
        let huge = b"WARC/1.1\r\nContent-Length: 99999999999999\r\n\r\nab";
        assert_eq!(
            first_error(huge).1,
            Corruption::TooLarge {
                cap: DEFAULT_MAX_BLOCK
            }
        );
        let big = b"WARC/1.1\r\nContent-Length: 99999999\r\n\r\nab";
        assert!(matches!(
            first_error(big).1,
            Corruption::TruncatedBlock { got: 2, .. }
        ));
        // Every prefix of a valid record: no panic, and an error unless empty.
        for n in 1..REC.len() {
            assert!(read_all(&REC[..n]).last().unwrap().is_err(), "prefix {n}");
        }
    }

    #[test]
    fn lines_across_buffer_ends_read_the_same() {
        let data = [REC, b"\r\n", REC, &REC[..REC.len() - 3]].concat();
        let whole = read_all(&data);
        for cap in [1, 2, 7, 16, 33] {
            let small: Vec<_> =
                WarcReader::new(io::BufReader::with_capacity(cap, &data[..])).collect();
            assert_eq!(format!("{small:?}"), format!("{whole:?}"), "capacity {cap}");
        }
    }

    #[test]
    fn iteration_stops_after_an_error() {
        let data = [&REC[..10], REC].concat();
        let all = read_all(&data);
        assert_eq!(all.len(), 1);
        assert!(all[0].is_err());
    }

    fn gzip(parts: &[&[u8]]) -> Vec<Vec<u8>> {
        use std::io::Write;
        parts
            .iter()
            .map(|p| {
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                gz.write_all(p).unwrap();
                gz.finish().unwrap()
            })
            .collect()
    }

    #[test]
    fn gzip_members_give_offsets_and_may_split_a_record() {
        let (a, b) = REC.split_at(20);
        let (b, c) = b.split_at(b.len() - 2);
        let members = gzip(&[a, b, c, REC]);
        let data = members.concat();
        let recs: Vec<Record> = read_all(&data).into_iter().map(Result::unwrap).collect();
        let split_len: usize = members[..3].iter().map(Vec::len).sum();
        assert_eq!(recs.len(), 2);
        assert_eq!((recs[0].offset, recs[0].length), (0, split_len as u64));
        assert_eq!(
            (recs[1].offset, recs[1].length),
            (split_len as u64, members[3].len() as u64)
        );
        assert_eq!(recs[0].block, b"abc");
        assert_eq!(recs[0].headers, recs[1].headers);

        // Two records in one member share its offset; a cut-off member is an error at its start.
        let two = gzip(&[&[REC, REC].concat()]).concat();
        let both: Vec<Record> = read_all(&two).into_iter().map(Result::unwrap).collect();
        assert_eq!(both.len(), 2);
        assert!(both
            .iter()
            .all(|r| r.offset == 0 && r.length == two.len() as u64));
        let cut = [&two[..], &members[3][..members[3].len() - 3]].concat();
        let all = read_all(&cut);
        assert_eq!(all.len(), 3);
        assert_eq!(
            all[2].as_ref().unwrap_err().offset(),
            Some(two.len() as u64)
        );
    }

    /// Everything `next_view` lends, as owned records, and how many were read in place.
    fn read_views(bytes: &[u8], capacity: usize) -> (Vec<Result<Record, EvidenceError>>, usize) {
        let mut reader = WarcReader::new(io::BufReader::with_capacity(capacity, bytes));
        let (mut out, mut in_place) = (Vec::new(), 0);
        while let Some(item) = reader.next_view() {
            if let Ok(view) = &item {
                in_place += usize::from(matches!(view.block, Cow::Borrowed(_)));
            }
            out.push(item.map(Record::from));
        }
        (out, in_place)
    }

    #[test]
    fn records_read_in_place_equal_records_read_as_a_stream() {
        let folded = b"WARC/1.0\r\nWARC-Type: response\r\nX-A:  one\r\n\t two \r\nContent-Length: 0\r\n\r\n\r\n\r\n";
        let latin = b"WARC/1.1\r\nX-Name: caf\xe9\r\nContent-Length: 2\r\n\r\nhi\r\n\r\n";
        let members = gzip(&[REC, folded]);
        let data = [
            REC,
            b"\r\n",
            folded,
            latin,
            &members[0],
            REC,
            b"\n\n",
            &members[1],
            REC,
        ]
        .concat();
        // Blank lines before a gzip member make it unreadable, as they always did.
        let whole = read_all(&data);
        assert_eq!(whole.len(), 6, "{whole:?}");
        assert!(whole[..5].iter().all(Result::is_ok) && whole[5].is_err());
        let (views, in_place) = read_views(&data, 64 * 1024);
        assert_eq!(format!("{views:?}"), format!("{whole:?}"));
        // The plain records but the one with a field that is not UTF-8; not the gzip member's.
        assert_eq!(in_place, 3);
        // Any buffer size, any cut and any changed byte: the same records and the same error.
        for capacity in [1, 5, 16, 33, 100, 64 * 1024] {
            for n in (0..data.len()).step_by(7) {
                let cut = &data[..n];
                let (views, _) = read_views(cut, capacity);
                assert_eq!(
                    format!("{views:?}"),
                    format!("{:?}", read_all(cut)),
                    "cut {n}"
                );
                let mut changed = data.clone();
                changed[n] ^= [0x20, 0x0d, 0x0a, 0x3a][n % 4];
                let (views, _) = read_views(&changed, capacity);
                assert_eq!(
                    format!("{views:?}"),
                    format!("{:?}", read_all(&changed)),
                    "byte {n} changed, capacity {capacity}"
                );
            }
        }
    }

    #[test]
    fn empty_input_has_no_records() {
        assert!(read_all(b"").is_empty());
        assert!(read_all(b"\r\n\r\n").is_empty());
    }
}
