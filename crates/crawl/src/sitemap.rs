//! Sitemaps (sitemaps.org protocol): `<urlset>` and `<sitemapindex>` files, plain or gzipped.
//!
//! Owns turning a sitemap body into its entries (`<loc>` with `<lastmod>`), within the
//! protocol's limits: [`MAX_SITEMAP_URLS`] entries and [`MAX_SITEMAP_BYTES`] uncompressed.
//! The XML is read with `quick-xml` (namespaces by local name, CDATA, character and predefined
//! entity references); it is read leniently, as crawlers must: mismatched end tags are
//! tolerated, and malformed input yields the entries read before the point where it breaks
//! (an unclosed last entry included). It must not fetch (the site walk fetches and queues
//! entries).

use quick_xml::events::Event;
use quick_xml::Reader;

/// Entries read from one sitemap file at most (protocol limit).
pub const MAX_SITEMAP_URLS: usize = 50_000;
/// Uncompressed size of one sitemap file at most (protocol limit: 50 MiB).
pub const MAX_SITEMAP_BYTES: usize = 50 * 1024 * 1024;

/// What a sitemap file lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SitemapKind {
    /// A `<urlset>`: page URLs.
    UrlSet,
    /// A `<sitemapindex>`: other sitemap files.
    Index,
}

/// One `<url>` or `<sitemap>` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapEntry {
    /// The `<loc>`, entities decoded, trimmed.
    pub loc: String,
    /// The `<lastmod>`, as written.
    pub lastmod: Option<String>,
}

/// A parsed sitemap file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sitemap {
    /// Index or URL set.
    pub kind: SitemapKind,
    /// Entries in file order, at most [`MAX_SITEMAP_URLS`].
    pub entries: Vec<SitemapEntry>,
}

/// Parses a sitemap body. A gzip body (by its magic bytes, whatever the headers say, as
/// `.xml.gz` files are often served as `application/octet-stream`) is inflated first, up to
/// [`MAX_SITEMAP_BYTES`].
///
/// The root element decides the kind (the first `<sitemapindex>` or `<urlset>` opened; a URL
/// set when there is neither). An entry is a `<url>` (or `<sitemap>` in an index) with a
/// non-empty `<loc>` as a direct child; child elements of extensions (`<image:loc>` inside
/// `<image:image>`) are not taken for the entry's own.
pub fn parse_sitemap(body: &[u8]) -> Sitemap {
    let inflated;
    let bytes = if body.starts_with(&[0x1f, 0x8b]) {
        // What inflates before a break or the cap is kept (`http_msg` caps every layer).
        inflated = http_msg::decode_content(body, Some("gzip"), MAX_SITEMAP_BYTES)
            .map(|d| d.bytes)
            .unwrap_or_default();
        &inflated[..]
    } else {
        &body[..body.len().min(MAX_SITEMAP_BYTES)]
    };
    let text = String::from_utf8_lossy(bytes);
    let mut reader = Reader::from_str(&text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;

    let mut kind = None;
    let mut entries = Vec::new();
    // Element depth, the open entry (with its depth) and the field being read in it.
    let mut depth = 0usize;
    let mut open: Option<(usize, Pending)> = None;
    let mut field: Option<Field> = None;
    while entries.len() < MAX_SITEMAP_URLS {
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(event) => event,
        };
        match event {
            Event::Start(e) => {
                depth += 1;
                let name = e.local_name();
                let name = name.as_ref();
                if kind.is_none() {
                    if name.eq_ignore_ascii_case("sitemapindex") {
                        kind = Some(SitemapKind::Index);
                        continue;
                    }
                    if name.eq_ignore_ascii_case("urlset") {
                        kind = Some(SitemapKind::UrlSet);
                        continue;
                    }
                }
                let item = match kind {
                    Some(SitemapKind::Index) => "sitemap",
                    _ => "url",
                };
                if name.eq_ignore_ascii_case(item) {
                    // An entry opened before the previous one closed ends that one.
                    if let Some((_, pending)) = open.take() {
                        pending.push_to(&mut entries);
                    }
                    open = Some((depth, Pending::default()));
                    field = None;
                } else if let Some((at, pending)) = &open {
                    if depth == at + 1 && field.is_none() {
                        field = if name.eq_ignore_ascii_case("loc") && pending.loc.is_none() {
                            Some(Field::Loc(String::new()))
                        } else if name.eq_ignore_ascii_case("lastmod") && pending.lastmod.is_none()
                        {
                            Some(Field::Lastmod(String::new()))
                        } else {
                            None
                        };
                    }
                }
            }
            Event::End(_) => {
                if let Some((at, pending)) = &mut open {
                    if depth == *at + 1 {
                        if let Some(done) = field.take() {
                            done.store(pending);
                        }
                    } else if depth == *at {
                        if let Some((_, pending)) = open.take() {
                            pending.push_to(&mut entries);
                        }
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) => {
                if let Some(f) = &mut field {
                    f.text().push_str(&t.xml10_content());
                }
            }
            Event::CData(c) => {
                if let Some(f) = &mut field {
                    f.text().push_str(&c);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(f) = &mut field {
                    let out = f.text();
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => out.push(c),
                        Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r) {
                            Some(s) => out.push_str(s),
                            // Not an XML entity: kept as written.
                            None => {
                                out.push('&');
                                out.push_str(&r);
                                out.push(';');
                            }
                        },
                        Err(_) => out.push('\u{FFFD}'),
                    }
                }
            }
            _ => {}
        }
    }
    // Input that ends (or breaks) inside an entry: the entry read so far counts.
    if let Some((_, mut pending)) = open {
        if let Some(done) = field {
            done.store(&mut pending);
        }
        if entries.len() < MAX_SITEMAP_URLS {
            pending.push_to(&mut entries);
        }
    }
    Sitemap {
        kind: kind.unwrap_or(SitemapKind::UrlSet),
        entries,
    }
}

/// An entry being read.
#[derive(Default)]
struct Pending {
    loc: Option<String>,
    lastmod: Option<String>,
}

impl Pending {
    fn push_to(self, entries: &mut Vec<SitemapEntry>) {
        if let Some(loc) = self.loc {
            entries.push(SitemapEntry {
                loc,
                lastmod: self.lastmod,
            });
        }
    }
}

/// The child element whose text is being collected.
enum Field {
    Loc(String),
    Lastmod(String),
}

impl Field {
    fn text(&mut self) -> &mut String {
        match self {
            Field::Loc(s) | Field::Lastmod(s) => s,
        }
    }

    /// Stores the trimmed text in the entry; empty text stores nothing.
    fn store(self, pending: &mut Pending) {
        let (slot, text) = match self {
            Field::Loc(s) => (&mut pending.loc, s),
            Field::Lastmod(s) => (&mut pending.lastmod, s),
        };
        let text = text.trim();
        if !text.is_empty() {
            *slot = Some(text.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn url_set_with_lastmod_entities_and_cdata() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>http://s.test/a?x=1&amp;y=2</loc><lastmod>2026-01-02</lastmod></url>
  <url>
    <loc> <![CDATA[http://s.test/b]]> </loc>
  </url>
  <url><lastmod>2026-01-03</lastmod></url>
  <url><loc>http://s.test/c</loc>"#;
        let s = parse_sitemap(xml.as_bytes());
        assert_eq!(s.kind, SitemapKind::UrlSet);
        let got: Vec<(&str, Option<&str>)> = s
            .entries
            .iter()
            .map(|e| (e.loc.as_str(), e.lastmod.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("http://s.test/a?x=1&y=2", Some("2026-01-02")),
                ("http://s.test/b", None),
                ("http://s.test/c", None),
            ]
        );
    }

    #[test]
    fn index_gzipped_and_prefixed() {
        let xml = r#"<sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
<sm:sitemap><sm:loc>http://s.test/s1.xml</sm:loc><sm:lastmod>2026-02-01T10:00:00+08:00</sm:lastmod></sm:sitemap>
<sm:sitemap><sm:loc>http://s.test/s2.xml.gz</sm:loc></sm:sitemap>
</sm:sitemapindex>"#;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(xml.as_bytes()).unwrap();
        let s = parse_sitemap(&gz.finish().unwrap());
        assert_eq!(s.kind, SitemapKind::Index);
        assert_eq!(s.entries.len(), 2);
        assert_eq!(
            s.entries[0].lastmod.as_deref(),
            Some("2026-02-01T10:00:00+08:00")
        );
        assert_eq!(s.entries[1].loc, "http://s.test/s2.xml.gz");
    }

    #[test]
    fn entry_limit_and_garbage() {
        let mut xml = String::from("<urlset>");
        for i in 0..MAX_SITEMAP_URLS + 10 {
            xml.push_str(&format!("<url><loc>http://s.test/{i}</loc></url>"));
        }
        assert_eq!(
            parse_sitemap(xml.as_bytes()).entries.len(),
            MAX_SITEMAP_URLS
        );
        assert!(parse_sitemap(b"\0\0<<<>>>").entries.is_empty());
        assert!(parse_sitemap(b"").entries.is_empty());
    }

    #[test]
    fn namespaces_by_local_name_and_extensions_not_taken_for_the_entry() {
        let xml = r#"<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <image:image><image:loc>http://img.test/1.jpg</image:loc></image:image>
    <loc>http://s.test/p1</loc>
  </url>
  <url><image:image><image:loc>http://img.test/2.jpg</image:loc></image:image></url>
  <URL><LOC>http://s.test/p3</LOC></URL>
</urlset>"#;
        let s = parse_sitemap(xml.as_bytes());
        assert_eq!(s.kind, SitemapKind::UrlSet);
        let locs: Vec<&str> = s.entries.iter().map(|e| e.loc.as_str()).collect();
        assert_eq!(locs, ["http://s.test/p1", "http://s.test/p3"]);
    }

    #[test]
    fn cdata_and_entities_in_loc() {
        let xml = r#"<urlset>
<url><loc><![CDATA[http://s.test/q?a=1&b=<2>]]></loc></url>
<url><loc>http://s.test/&#x4E2D;&#25991;?x=&quot;1&quot;&amp;y=&apos;2&apos;</loc></url>
<url><loc>http://s.test/c?a=1&nbsp;b</loc></url>
<url><loc>http://s.test/d?<![CDATA[a=1&b=2]]>&amp;c=3</loc></url>
</urlset>"#;
        let s = parse_sitemap(xml.as_bytes());
        let locs: Vec<&str> = s.entries.iter().map(|e| e.loc.as_str()).collect();
        assert_eq!(
            locs,
            [
                "http://s.test/q?a=1&b=<2>",
                "http://s.test/中文?x=\"1\"&y='2'",
                // Not an XML entity: kept as written, not guessed.
                "http://s.test/c?a=1&nbsp;b",
                "http://s.test/d?a=1&b=2&c=3",
            ]
        );
    }

    #[test]
    fn malformed_input_yields_what_was_read() {
        // Mismatched end tags are tolerated.
        let s = parse_sitemap(b"<urlset><url><loc>http://s.test/a</lco></url></urlset>");
        assert_eq!(s.entries.len(), 1);
        assert_eq!(s.entries[0].loc, "http://s.test/a");
        // Broken markup ends the read; the entries before it stand.
        let s = parse_sitemap(
            b"<urlset><url><loc>http://s.test/a</loc></url><url><loc>http://s.test/b</loc></url><url <<\"",
        );
        let locs: Vec<&str> = s.entries.iter().map(|e| e.loc.as_str()).collect();
        assert_eq!(locs, ["http://s.test/a", "http://s.test/b"]);
        // Truncated inside an entry: the entry read so far counts.
        let s =
            parse_sitemap(b"<sitemapindex><sitemap><loc>http://s.test/s.xml</loc><lastmod>2026");
        assert_eq!(s.kind, SitemapKind::Index);
        assert_eq!(s.entries[0].loc, "http://s.test/s.xml");
        assert_eq!(s.entries[0].lastmod.as_deref(), Some("2026"));
        // Empty and whitespace-only locs are no entries; invalid UTF-8 is replaced, not fatal.
        let s = parse_sitemap(b"<urlset><url><loc>  </loc></url><url><loc/></url><url><loc>http://s.test/\xff</loc></url></urlset>");
        let locs: Vec<&str> = s.entries.iter().map(|e| e.loc.as_str()).collect();
        assert_eq!(locs, ["http://s.test/\u{FFFD}"]);
    }

    #[test]
    fn inflated_size_is_capped() {
        // A gzip bomb is read up to the cap: an entry past it is not seen.
        let mut xml = String::from("<urlset><url><loc>http://s.test/x</loc></url>");
        xml.push_str(&" ".repeat(MAX_SITEMAP_BYTES));
        xml.push_str("<url><loc>http://s.test/past-the-cap</loc></url></urlset>");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(xml.as_bytes()).unwrap();
        let s = parse_sitemap(&gz.finish().unwrap());
        let locs: Vec<&str> = s.entries.iter().map(|e| e.loc.as_str()).collect();
        assert_eq!(locs, ["http://s.test/x"]);
    }
}
