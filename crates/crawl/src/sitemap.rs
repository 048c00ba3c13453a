//! Sitemaps (sitemaps.org protocol): `<urlset>` and `<sitemapindex>` files, plain or gzipped.
//!
//! Owns turning a sitemap body into its entries (`<loc>` with `<lastmod>`), within the
//! protocol's limits: [`MAX_SITEMAP_URLS`] entries and [`MAX_SITEMAP_BYTES`] uncompressed.
//! A small tag scanner, not an XML parser: sitemaps are flat, and broken input yields what
//! could be read. It must not fetch (the site walk fetches and queues entries).

use std::io::Read;

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
pub fn parse_sitemap(body: &[u8]) -> Sitemap {
    let inflated;
    let bytes = if body.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(body)
            .take(MAX_SITEMAP_BYTES as u64)
            .read_to_end(&mut out);
        inflated = out;
        &inflated[..]
    } else {
        &body[..body.len().min(MAX_SITEMAP_BYTES)]
    };
    let text = String::from_utf8_lossy(bytes);
    let lower = text.to_ascii_lowercase();
    // The root element decides: whichever of <sitemapindex> and <urlset> opens first.
    let index_at = find_open(&lower, 0, "sitemapindex");
    let urlset_at = find_open(&lower, 0, "urlset");
    let is_index = match (index_at, urlset_at) {
        (Some(i), Some(u)) => i < u,
        (i, _) => i.is_some(),
    };
    let (kind, item) = if is_index {
        (SitemapKind::Index, "sitemap")
    } else {
        (SitemapKind::UrlSet, "url")
    };
    let mut entries = Vec::new();
    let mut pos = 0;
    while entries.len() < MAX_SITEMAP_URLS {
        let Some(block) = next_element(&text, &lower, &mut pos, item) else {
            break;
        };
        let Some(loc) = element_text(block, "loc") else {
            continue;
        };
        entries.push(SitemapEntry {
            loc,
            lastmod: element_text(block, "lastmod"),
        });
    }
    Sitemap { kind, entries }
}

/// Finds the next `<name>...</name>` (or `<ns:name ...>`) of `text` at or after `*pos`,
/// returns its inner text and moves `*pos` past it. `lower` is `text` in ASCII lower case
/// (same byte offsets), computed once so that scanning stays linear.
fn next_element<'a>(text: &'a str, lower: &str, pos: &mut usize, name: &str) -> Option<&'a str> {
    let inner_start = find_open(lower, *pos, name)?;
    match find_close(lower, inner_start, name) {
        Some((end, after)) => {
            *pos = after;
            Some(&text[inner_start..end])
        }
        None => {
            // Unclosed last element: take the rest.
            *pos = text.len();
            Some(&text[inner_start..])
        }
    }
}

/// The position after the `>` of the next `<name` tag (optionally namespace-prefixed) at or
/// after `from`.
fn find_open(lower: &str, mut from: usize, name: &str) -> Option<usize> {
    while let Some(i) = lower[from..].find('<') {
        let at = from + i;
        let tag = &lower[at + 1..];
        let end = tag
            .find([' ', '>', '/', '\t', '\n', '\r'])
            .unwrap_or(tag.len());
        let local = &tag[..end];
        let local = local.rsplit(':').next().unwrap_or(local);
        if local == name && tag[end..].starts_with(['>', ' ', '\t', '\n', '\r']) {
            return Some(lower[at..].find('>')? + at + 1);
        }
        from = at + 1;
    }
    None
}

/// Start of the next `</name>` (optionally namespace-prefixed) at or after `from`, and the
/// position after it.
fn find_close(lower: &str, mut from: usize, name: &str) -> Option<(usize, usize)> {
    while let Some(i) = lower[from..].find("</") {
        let at = from + i;
        let tag = &lower[at + 2..];
        let end = tag.find('>')?;
        let local = tag[..end].trim();
        let local = local.rsplit(':').next().unwrap_or(local);
        if local == name {
            return Some((at, at + 2 + end + 1));
        }
        from = at + 2;
    }
    None
}

fn element_text(block: &str, name: &str) -> Option<String> {
    let lower = block.to_ascii_lowercase();
    let inner = next_element(block, &lower, &mut 0, name)?;
    let inner = inner.trim();
    let inner = inner
        .strip_prefix("<![CDATA[")
        .and_then(|s| s.strip_suffix("]]>"))
        .unwrap_or(inner);
    let text = inner
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
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
}
