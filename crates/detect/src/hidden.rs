//! Hidden-content analysis and script-written text, for [`crate::extract`].
//!
//! - [`style_hides`]: does an inline style (or a `<style>` rule's declarations) hide its block
//!   or move it off screen? `display:none`, `visibility:hidden`, `opacity:0`, `font-size:0`,
//!   `text-indent` far negative, absolute/fixed positions far off screen, tiny boxes with
//!   `overflow:hidden`, text coloured like its background.
//! - [`StyleSheet`]: the simple `.class` / `#id` selectors whose rules hide.
//! - [`marquee_hides`]: a `<marquee>` clips what scrolls in it, so one with no height or no
//!   width (by attribute or style) shows nothing: hijack kits hide casino links in one.
//! - [`script_html`]: the HTML a script writes into the document (`document.write`,
//!   `innerHTML`, `insertAdjacentHTML`), with JS escapes (`\u6700`, `\x41`) and `atob('...')`
//!   base64 decoded.
//!
//! No CSS cascade, no JS execution: this recognises what hijack kits write, linearly, and never
//! fails. Everything here is bounded by the input size.

use std::collections::HashSet;

/// Off-screen offsets at or beyond this many pixels hide a block.
const FAR: f64 = 900.0;

/// Parses a CSS length's number (ignoring its unit); `None` for keywords.
fn number(v: &str) -> Option<f64> {
    let v = v.trim();
    let end = v
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map_or(v.len(), |(i, _)| i);
    v[..end].parse().ok()
}

/// True when the declarations hide the element's content from a visitor.
pub fn style_hides(style: &str) -> bool {
    let mut positioned = false;
    let mut far = false;
    let mut overflow_hidden = false;
    let mut tiny = false;
    let mut color: Option<String> = None;
    let mut background: Option<String> = None;
    for decl in style.split(';') {
        let Some((prop, value)) = decl.split_once(':') else {
            continue;
        };
        let prop = prop.trim().to_ascii_lowercase();
        let value = value
            .trim()
            .to_ascii_lowercase()
            .replace("!important", "")
            .trim()
            .to_string();
        match prop.as_str() {
            "display" if value == "none" => return true,
            "visibility" if value == "hidden" || value == "collapse" => return true,
            "opacity" if number(&value).is_some_and(|n| n <= 0.01) => return true,
            "font-size" if number(&value).is_some_and(|n| n <= 0.5) => return true,
            "text-indent" if number(&value).is_some_and(|n| n <= -FAR) => return true,
            "position" if value == "absolute" || value == "fixed" => positioned = true,
            "left" | "top" | "right" | "bottom" | "margin-left" | "margin-top"
                if number(&value).is_some_and(|n| n <= -FAR || n >= 5.0 * FAR) =>
            {
                far = true;
            }
            "overflow" | "overflow-x" | "overflow-y" if value == "hidden" => overflow_hidden = true,
            "height" | "width" | "max-height" | "max-width"
                if number(&value).is_some_and(|n| n <= 2.0) =>
            {
                tiny = true;
            }
            "clip" if value.replace(' ', "").contains("rect(0,0,0,0)") => return true,
            "color" => color = Some(value),
            "background" | "background-color" => background = Some(value),
            _ => {}
        }
    }
    if positioned && far || overflow_hidden && tiny {
        return true;
    }
    matches!((color, background), (Some(c), Some(b)) if !c.is_empty() && c == b)
}

/// True when a `<marquee>` with these `height`/`width` attributes and inline style shows
/// nothing: a marquee clips its content (it scrolls inside its own box), so a box at most
/// 2 px high or wide hides it even without `overflow:hidden`. Off-screen positions are
/// [`style_hides`]'s.
pub fn marquee_hides(height: Option<&str>, width: Option<&str>, style: Option<&str>) -> bool {
    let tiny = |v: &str| number(v).is_some_and(|n| n <= 2.0);
    if height.is_some_and(tiny) || width.is_some_and(tiny) {
        return true;
    }
    let Some(style) = style else { return false };
    style.split(';').any(|decl| {
        decl.split_once(':').is_some_and(|(prop, value)| {
            let prop = prop.trim().to_ascii_lowercase();
            let value = value.to_ascii_lowercase().replace("!important", "");
            matches!(
                prop.as_str(),
                "height" | "width" | "max-height" | "max-width"
            ) && tiny(&value)
        })
    })
}

/// Classes and ids that `<style>` rules hide.
#[derive(Debug, Clone, Default)]
pub struct StyleSheet {
    pub classes: HashSet<String>,
    pub ids: HashSet<String>,
}

impl StyleSheet {
    /// Reads the rules of a `<style>` element's text. Only simple selectors count (`.a`, `#b`,
    /// `div.a`, and each member of a selector list); descendant selectors are ignored.
    pub fn add(&mut self, css: &str) {
        let mut rest = css;
        // Bounded: each iteration consumes at least one `}`.
        while let Some(open) = rest.find('{') {
            let selectors = &rest[..open];
            if selectors.trim_start().starts_with('@') {
                // @media blocks nest: skip their header and read the inner rules.
                rest = &rest[open + 1..];
                continue;
            }
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let body = &rest[open + 1..open + close];
            rest = &rest[open + close + 1..];
            if !style_hides(body) {
                continue;
            }
            for sel in selectors.split(',') {
                let sel = sel.trim();
                let sel = sel.rsplit('}').next().unwrap_or(sel).trim();
                if sel.contains([' ', '>', '+', '~', ':', '[']) {
                    continue;
                }
                if let Some(at) = sel.find('#') {
                    let id = &sel[at + 1..];
                    let id = id.split('.').next().unwrap_or(id);
                    if !id.is_empty() {
                        self.ids.insert(id.to_string());
                    }
                } else if let Some(at) = sel.find('.') {
                    // `div.a.b`: the element needs every class; keep the first (over-reports
                    // only when a page hides `.a.b` and shows `.a`).
                    let cls = sel[at + 1..].split('.').next().unwrap_or("");
                    if !cls.is_empty() {
                        self.classes.insert(cls.to_string());
                    }
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty() && self.ids.is_empty()
    }

    /// True when an element with these `class` and `id` attributes is hidden by a rule.
    pub fn hides(&self, class: Option<&str>, id: Option<&str>) -> bool {
        if self.is_empty() {
            return false;
        }
        id.is_some_and(|i| self.ids.contains(i.trim()))
            || class.is_some_and(|c| c.split_ascii_whitespace().any(|c| self.classes.contains(c)))
    }
}

/// Scripts longer than this are not searched for written HTML.
const MAX_SCRIPT: usize = 512 * 1024;

/// The HTML a script writes into the page, or `None` when it writes nothing recognisable.
///
/// Joins the string literals of a script that calls `document.write`/`writeln`, assigns
/// `innerHTML`/`outerHTML` or calls `insertAdjacentHTML`, decoding JS escapes, and decoding
/// `atob('...')` arguments as base64 (UTF-8, or the `escape()`d form some kits use).
pub fn script_html(script: &str) -> Option<String> {
    if script.len() > MAX_SCRIPT {
        return None;
    }
    let writes = [
        "document.write",
        "innerhtml",
        "outerhtml",
        "insertadjacenthtml",
    ];
    let lower = script.to_ascii_lowercase();
    if !writes.iter().any(|w| lower.contains(w)) {
        return None;
    }
    let b = script.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let q = b[i];
        if q == b'/' && b.get(i + 1) == Some(&b'/') {
            // Line comment.
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if !matches!(q, b'\'' | b'"' | b'`') {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut j = start;
        while j < b.len() && b[j] != q && b[j] != b'\n' {
            if b[j] == b'\\' {
                j += 1;
            }
            j += 1;
        }
        let end = j.min(b.len());
        let raw = &script[start..end];
        let lit = unescape_js(raw);
        let before = lower[..i].trim_end();
        if before.ends_with("atob(") {
            if let Some(decoded) = base64_text(&lit) {
                out.push_str(&decoded);
            }
        } else if before.ends_with("unescape(") || before.ends_with("decodeuricomponent(") {
            out.push_str(&percent_decode(&lit));
        } else {
            out.push_str(&lit);
        }
        i = end + 1;
    }
    (!out.trim().is_empty()).then_some(out)
}

/// Decodes JS string escapes: `\uXXXX`, `\u{X…}`, `\xXX`, `\n` and friends; an unknown escape
/// yields the character itself. UTF-16 surrogate pairs are joined.
pub fn unescape_js(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut pending_high: Option<u32> = None;
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else { break };
        let code = match e {
            'u' if chars.peek() == Some(&'{') => {
                chars.next();
                let hex: String = chars.by_ref().take_while(|&c| c != '}').take(6).collect();
                u32::from_str_radix(&hex, 16).ok()
            }
            'u' => {
                let hex: String = chars.by_ref().take(4).collect();
                u32::from_str_radix(&hex, 16).ok()
            }
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                u32::from_str_radix(&hex, 16).ok()
            }
            'n' => Some('\n' as u32),
            't' => Some('\t' as u32),
            'r' => Some('\r' as u32),
            other => Some(other as u32),
        };
        let Some(code) = code else { continue };
        if (0xD800..0xDC00).contains(&code) {
            pending_high = Some(code);
            continue;
        }
        if (0xDC00..0xE000).contains(&code) {
            if let Some(h) = pending_high.take() {
                let c = 0x10000 + ((h - 0xD800) << 10) + (code - 0xDC00);
                out.extend(char::from_u32(c));
            }
            continue;
        }
        pending_high = None;
        out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
    }
    out
}

/// Decodes standard or URL-safe base64 (padding optional) as UTF-8 text; `%uXXXX`/`%XX` forms
/// inside are decoded too.
pub fn base64_text(s: &str) -> Option<String> {
    let bytes = base64_decode(s)?;
    let text = String::from_utf8(bytes).ok()?;
    Some(if text.contains('%') {
        percent_decode(&text)
    } else {
        text
    })
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Decodes `%XX` (as UTF-8 bytes) and `%uXXXX`.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut bytes = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if b.get(i + 1) == Some(&b'u') {
                if let Some(code) = s
                    .get(i + 2..i + 6)
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                {
                    let mut buf = [0u8; 4];
                    let c = char::from_u32(code).unwrap_or('\u{FFFD}');
                    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    i += 6;
                    continue;
                }
            } else if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                bytes.push(v);
                i += 3;
                continue;
            }
        }
        bytes.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_that_hide() {
        for s in [
            "display:none",
            "DISPLAY: none !important",
            "visibility:hidden;width:1px",
            "position:absolute;left:-9999px;top:-9999px",
            "position:fixed;top:-3000px;opacity:0",
            "text-indent:-9999px;overflow:hidden;height:1px",
            "font-size:0;line-height:0",
            "opacity:0",
            "width:1px;height:1px;overflow:hidden",
            "color:#fff;background:#fff",
        ] {
            assert!(style_hides(s), "{s}");
        }
        for s in [
            "",
            "display:block",
            "position:absolute;left:10px",
            "font-size:12px",
            "text-indent:2em",
            "overflow:hidden;height:300px",
            "color:#333;background:#fff",
        ] {
            assert!(!style_hides(s), "{s}");
        }
    }

    #[test]
    fn marquees_that_show_nothing() {
        assert!(marquee_hides(Some("0"), None, None));
        assert!(marquee_hides(None, Some("1px"), None));
        assert!(marquee_hides(None, None, Some("height: 0px !important")));
        assert!(marquee_hides(None, None, Some("color:red;max-width:0")));
        assert!(!marquee_hides(
            Some("30"),
            Some("100%"),
            Some("height:24px")
        ));
        assert!(!marquee_hides(None, None, None));
        assert!(!marquee_hides(Some("auto"), None, Some("font-size:14px")));
    }

    #[test]
    fn stylesheet_rules() {
        let mut ss = StyleSheet::default();
        ss.add(".footer{color:#666} .seo, #links { position:absolute; left:-8000px } div.x{display:none} .a .b{display:none}");
        assert!(ss.hides(Some("box seo"), None));
        assert!(ss.hides(None, Some("links")));
        assert!(ss.hides(Some("x"), None));
        assert!(!ss.hides(Some("footer"), None));
        assert!(!ss.hides(Some("b"), None));
    }

    #[test]
    fn script_written_html() {
        assert_eq!(
            script_html(r#"document.write("<a href='x'>\u6700\u4f73</a>");"#).as_deref(),
            Some("<a href='x'>最佳</a>")
        );
        assert_eq!(
            script_html("document.write(atob('5L2T6IKy5oqV5rOo'))").as_deref(),
            Some("体育投注")
        );
        assert_eq!(
            script_html(r"el.innerHTML = '\x3cb\x3e' + '百家' + '乐';").as_deref(),
            Some("<b>百家乐")
        );
        assert_eq!(script_html("var a = '体育投注';"), None);
        assert_eq!(unescape_js(r"\ud83d\ude00\u{1F600}"), "😀😀");
        let _ = script_html("document.write('\\");
        let _ = script_html("document.write(atob('@@@'))");
    }
}
