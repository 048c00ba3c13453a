//! Link extraction and URL canonicalisation.
//!
//! Owns which links of an HTML page are candidates (`a[href]`, `area[href]`, `frame[src]`,
//! `iframe[src]`, resolved against `<base href>`), how a link becomes a canonical URL (the
//! dedup key), and whether a URL is inside a site's scope. It must not fetch, decode bodies or
//! consult robots.txt.

use std::cell::RefCell;

use domain::address::{prefix_covers, same_site_host};
use lol_html::{element, HtmlRewriter, Settings};
use url::Url;

/// Extracts the raw link targets of `html` and resolves them against `page` (or the document's
/// `<base href>`). Returns canonical URLs in document order, duplicates and non-page links
/// (mailto:, javascript:, tel:, data:...) removed.
pub fn extract_links(html: &str, page: &Url) -> Vec<Url> {
    let raw: RefCell<Vec<String>> = RefCell::new(Vec::new());
    let base: RefCell<Option<String>> = RefCell::new(None);
    {
        let push = |v: Option<String>| {
            if let Some(v) = v {
                raw.borrow_mut().push(v);
            }
        };
        let settings = Settings::new()
            .append_element_content_handler(element!("base[href]", |el| {
                let mut b = base.borrow_mut();
                if b.is_none() {
                    *b = el.get_attribute("href");
                }
                Ok(())
            }))
            .append_element_content_handler(element!("a[href], area[href]", |el| {
                push(el.get_attribute("href"));
                Ok(())
            }))
            .append_element_content_handler(element!("frame[src], iframe[src]", |el| {
                push(el.get_attribute("src"));
                Ok(())
            }));
        let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
        // Broken HTML is data: whatever was collected before a parser error is kept.
        if rewriter.write(html.as_bytes()).is_ok() {
            let _ = rewriter.end();
        }
    }
    let base_url = base
        .into_inner()
        .and_then(|b| page.join(unescape_entities(&b).trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or_else(|| page.clone());
    let mut seen = std::collections::HashSet::new();
    raw.into_inner()
        .iter()
        .filter_map(|href| canonicalize(&base_url, &unescape_entities(href)))
        .filter(|u| seen.insert(u.as_str().to_owned()))
        .collect()
}

/// Resolves `href` against `base` into a canonical http(s) URL: host lower-cased, default port
/// removed, dot segments resolved, fragment stripped, tracking parameters removed (see
/// [`canonical`]). `None` for non-page links.
pub fn canonicalize(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let lower = href.get(..11).unwrap_or(href).to_ascii_lowercase();
    if ["mailto:", "javascript:", "tel:", "data:", "sms:", "about:"]
        .iter()
        .any(|s| lower.starts_with(s))
    {
        return None;
    }
    let mut url = base.join(href).ok()?;
    canonical(&mut url).then_some(url)
}

/// Canonicalises `url` in place; false when it is not an http(s) URL with a host.
///
/// `Url` already lower-cases the host, drops the scheme's default port and resolves dot
/// segments; this also strips the fragment and the tracking parameters of [`is_tracking`]
/// (an empty query is removed). The order of the remaining parameters is kept: the URL is
/// what gets fetched and recorded as evidence, and some servers care about order. Order is
/// ignored only for dedup, by [`dedup_key`].
pub fn canonical(url: &mut Url) -> bool {
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return false;
    }
    url.set_fragment(None);
    if let Some(q) = url.query() {
        // Work on the raw query so that the bytes of the kept parameters are not re-encoded.
        let kept: Vec<&str> = q
            .split('&')
            .filter(|p| !is_tracking(p.split('=').next().unwrap_or("")))
            .collect();
        if kept.len() != q.split('&').count() || q.is_empty() {
            let kept = kept.join("&");
            url.set_query((!kept.is_empty()).then_some(kept.as_str()));
        }
    }
    true
}

/// Parameters that only track the visitor and never change the page: `utm_*` (Google
/// Analytics), `spm` (Alibaba/Taobao), `gclid`, `fbclid`, `msclkid`, `bd_vid` (Baidu ads).
pub fn is_tracking(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("utm_")
        || matches!(
            key.as_str(),
            "spm" | "gclid" | "fbclid" | "msclkid" | "bd_vid"
        )
}

/// The dedup key of a canonical URL: the URL with its query parameters sorted (and empty ones
/// dropped), so `?a=1&b=2` and `?b=2&a=1` are one page.
pub fn dedup_key(url: &Url) -> String {
    match url.query() {
        None => url.as_str().to_owned(),
        Some(q) => {
            let mut params: Vec<&str> = q.split('&').filter(|p| !p.is_empty()).collect();
            params.sort_unstable();
            let mut u = url.clone();
            let q = params.join("&");
            u.set_query((!q.is_empty()).then_some(q.as_str()));
            u.into()
        }
    }
}

/// Is `url` part of the site started at `start`? An `http` or `https` URL on the same site's
/// host (a bare domain and its `www.` name are one site), and, when a `scope_prefix` is given,
/// a path equal to it or below it (`/shop/88` does not cover `/shop/881`): the rule is
/// `domain::address`'s.
pub fn in_scope(url: &Url, start: &Url, scope_prefix: Option<&str>) -> bool {
    let (Some(host), Some(start_host)) = (url.host_str(), start.host_str()) else {
        return false;
    };
    matches!(url.scheme(), "http" | "https")
        && same_site_host(host, start_host)
        && prefix_covers(scope_prefix.unwrap_or(""), url.path())
}

/// Decodes the character references that commonly appear in URLs inside attributes.
/// (lol_html hands attribute values over with entities left in.)
fn unescape_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '#')
            .map(|e| e + 1);
        let (name, consumed) = match end {
            Some(e) if rest[e..].starts_with(';') => (&rest[1..e], e + 1),
            Some(e) => (&rest[1..e], e),
            None => (&rest[1..], rest.len()),
        };
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            n if n.starts_with("#x") || n.starts_with("#X") => u32::from_str_radix(&n[2..], 16)
                .ok()
                .and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[consumed..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn canon(base: &str, href: &str) -> Option<String> {
        canonicalize(&url(base), href).map(|u| u.to_string())
    }

    #[test]
    fn canonicalisation() {
        let b = "http://Shop-A.test:80/dir/page.html?x=1";
        assert_eq!(
            canon(b, "other.html#frag").as_deref(),
            Some("http://shop-a.test/dir/other.html")
        );
        assert_eq!(canon(b, "../up").as_deref(), Some("http://shop-a.test/up"));
        assert_eq!(
            canon(b, "/a/./b/../c").as_deref(),
            Some("http://shop-a.test/a/c")
        );
        assert_eq!(
            canon(b, "HTTP://SHOP-A.TEST:80/X").as_deref(),
            Some("http://shop-a.test/X")
        );
        assert_eq!(
            canon(b, "https://shop-a.test:443/s").as_deref(),
            Some("https://shop-a.test/s")
        );
        assert_eq!(
            canon(b, "http://shop-a.test:8080/s").as_deref(),
            Some("http://shop-a.test:8080/s")
        );
        assert_eq!(
            canon(b, "?page=2").as_deref(),
            Some("http://shop-a.test/dir/page.html?page=2")
        );
        assert_eq!(
            canon(b, "  /trim  ").as_deref(),
            Some("http://shop-a.test/trim")
        );
        assert_eq!(
            canon(b, "//cdn.test/x").as_deref(),
            Some("http://cdn.test/x")
        );
        assert_eq!(
            canon(b, "/商品").as_deref(),
            Some("http://shop-a.test/%E5%95%86%E5%93%81")
        );
        for skip in [
            "mailto:a@b.c",
            "JavaScript:void(0)",
            "tel:123",
            "data:text/html,x",
            "ftp://x/y",
            "",
        ] {
            assert_eq!(canon(b, skip), None, "{skip}");
        }
    }

    #[test]
    fn tracking_parameters_and_dedup_key() {
        let b = "http://s.test/";
        assert_eq!(
            canon(b, "/p?utm_source=x&id=3&UTM_medium=y&spm=a1.b2").as_deref(),
            Some("http://s.test/p?id=3")
        );
        assert_eq!(
            canon(b, "/p?utm_source=x").as_deref(),
            Some("http://s.test/p")
        );
        assert_eq!(canon(b, "/p?").as_deref(), Some("http://s.test/p"));
        assert_eq!(
            canon(b, "/p?b=%E4%B8%AD&a=1").as_deref(),
            Some("http://s.test/p?b=%E4%B8%AD&a=1")
        );
        assert_eq!(
            dedup_key(&url("http://s.test/p?b=2&a=1&")),
            "http://s.test/p?a=1&b=2"
        );
        assert_eq!(dedup_key(&url("http://s.test/p")), "http://s.test/p");
    }

    #[test]
    fn scope() {
        let start = url("http://shop.test/shop/88");
        let s = |u: &str, p: Option<&str>| in_scope(&url(u), &start, p);
        assert!(s("http://shop.test/anything", None));
        assert!(s("https://shop.test/anything", None));
        assert!(!s("http://other.test/", None));
        assert!(!s("http://sub.shop.test/", None));
        assert!(s("http://shop.test/shop/88", Some("/shop/88")));
        assert!(s("http://shop.test/shop/88/item?id=1", Some("/shop/88")));
        assert!(s("http://shop.test/shop/88/item", Some("/shop/88/")));
        assert!(!s("http://shop.test/shop/881", Some("/shop/88")));
        assert!(!s("http://shop.test/", Some("/shop/88")));
        // The bare domain and its www. name are one site, in both directions.
        assert!(s("http://www.shop.test/anything", None));
        let bare = url("http://www.lvyuan.test/");
        assert!(in_scope(&url("http://lvyuan.test/a"), &bare, None));
        assert!(!in_scope(&url("http://www2.lvyuan.test/a"), &bare, None));
    }

    #[test]
    fn extracts_links_with_base_and_entities() {
        let html = r#"<html><head><base href="/base/"></head><body>
            <a href="p1?a=1&amp;b=2#top">1</a>
            <a href='/abs'>2</a><A HREF=rel>3</A><a>no href</a>
            <area href="area"><iframe src="frame.html"></iframe><frame src="f2">
            <a href="mailto:x@y.z">m</a><a href="/abs#again">dup</a>
            <img src="/img.png"><link href="/style.css">
        </body></html>"#;
        let got: Vec<String> = extract_links(html, &url("http://s.test/dir/page"))
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(
            got,
            [
                "http://s.test/base/p1?a=1&b=2",
                "http://s.test/abs",
                "http://s.test/base/rel",
                "http://s.test/base/area",
                "http://s.test/base/frame.html",
                "http://s.test/base/f2",
            ]
        );
    }

    #[test]
    fn extracts_from_broken_html() {
        let got = extract_links("<a href=/x><div><<<a href='/y'", &url("http://s.test/"));
        assert_eq!(got.first().map(|u| u.as_str()), Some("http://s.test/x"));
    }

    #[test]
    fn entities() {
        assert_eq!(
            unescape_entities("a&amp;b&#38;c&#x26;d&unknown;e&"),
            "a&b&c&d&unknown;e&"
        );
    }
}
