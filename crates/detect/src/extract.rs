//! HTML → the parts of a page that rules look at: title, meta tags, visible text, links, forms
//! and images.
//!
//! Uses lol_html as a read-only streaming tokenizer: no tree is built, so deeply nested or
//! broken markup costs no more than flat markup and cannot overflow a stack. Text and attribute
//! values are entity-decoded here ([`crate::entities`]). Content of `script`, `style`,
//! `noscript`, `template` (and other raw-text elements) is not visible text.
//!
//! Hidden content ([`crate::hidden`]): text inside blocks that inline styles, the `hidden`
//! attribute or simple `<style>` rules hide or move off screen goes to [`Extracted::hidden`],
//! not to the visible text; links inside them are marked [`Link::hidden`]. HTML that scripts
//! write into the document (`document.write`, `innerHTML`, with JS escapes and `atob` base64
//! decoded) is extracted as if it were in the page, one level deep; where it lands in
//! [`Extracted::text`] is kept ([`Extracted::script_spans`]) so that findings say so.
//!
//! Text outside the visible body that a person or a search engine still reads, each kept apart
//! so that findings say where they were made, each capped in bytes: `title` and `aria-label`
//! attributes ([`Extracted::attributes`]), JSON-LD (`<script type="application/ld+json">`: the
//! string values of its name, description, slogan … keys, [`Extracted::structured`]) and
//! `<noscript>` content (read as HTML, one level deep: [`Extracted::noscript`], its links marked
//! [`Link::noscript`]).

use crate::entities::{decode, decode_attribute};
use crate::hidden::{marquee_hides, script_html, style_hides, StyleSheet};
use lol_html::html_content::{Element, TextChunk, TextType};
use lol_html::{doc_text, element, end_tag, HtmlRewriter, MemorySettings, Settings};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashSet;
use std::ops::Range;
use std::rc::Rc;

/// What a page shows, extracted once and scanned by every check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Extracted {
    /// The first `<title>`, entity-decoded, whitespace collapsed.
    pub title: String,
    /// `(name, content)` of `<meta>` tags; the name is `name`, `property` or `http-equiv`,
    /// lower-cased.
    pub metas: Vec<(String, String)>,
    /// Visible text; block elements are separated by newlines.
    pub text: String,
    /// Text of hidden or off-screen blocks (see the module docs); blocks separated by newlines.
    pub hidden: String,
    /// Links (`<a href>`), in document order.
    pub links: Vec<Link>,
    /// Forms; inputs outside any `<form>` are collected in one last form.
    pub forms: Vec<Form>,
    /// `(src, alt)` of images.
    pub images: Vec<(String, String)>,
    /// `title` and `aria-label` attribute values of elements outside hidden blocks (tooltips,
    /// labels read aloud), each at most [`MAX_ANCHOR`] bytes, distinct, at most
    /// [`MAX_ATTRIBUTES`] bytes in all. Image `alt` texts are in [`Extracted::images`].
    pub attributes: Vec<String>,
    /// String values of JSON-LD blocks' descriptive keys ([`JSONLD_KEYS`]), one per line, at
    /// most [`MAX_STRUCTURED`] bytes.
    pub structured: String,
    /// Text of `<noscript>` blocks outside hidden blocks (shown to visitors and crawlers that
    /// run no scripts), at most [`MAX_NOSCRIPT`] bytes of markup read.
    pub noscript: String,
    /// Byte ranges of [`Extracted::text`] that scripts wrote (see the module docs).
    pub script_spans: Vec<Range<usize>>,
}

/// A link and its anchor text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Link {
    pub href: String,
    /// Visible text of the link (whitespace collapsed, at most [`MAX_ANCHOR`] bytes); for an
    /// image link, the image's alt text.
    pub anchor: String,
    /// Inside a hidden or off-screen block.
    pub hidden: bool,
    /// Inside a `<noscript>` block.
    pub noscript: bool,
}

/// A form, as the inputs that ask a visitor for something.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Form {
    /// One entry per `input`/`textarea`/`select` (its `name`, `placeholder`, `aria-label` and
    /// `title`, joined by spaces) and one per `<label>` (its text).
    pub inputs: Vec<String>,
}

/// Anchor texts longer than this are cut: an unclosed `<a>` would otherwise swallow the page.
pub const MAX_ANCHOR: usize = 512;
/// Bytes of `title`/`aria-label` values kept per page.
pub const MAX_ATTRIBUTES: usize = 64 * 1024;
/// Bytes of JSON-LD text kept per page; a JSON-LD block longer than [`MAX_JSONLD`] is not read.
pub const MAX_STRUCTURED: usize = 64 * 1024;
/// A JSON-LD block larger than this is not parsed.
pub const MAX_JSONLD: usize = 256 * 1024;
/// Bytes of `<noscript>` markup read per page.
pub const MAX_NOSCRIPT: usize = 256 * 1024;

/// JSON-LD keys whose string values are text a search engine shows (schema.org names).
pub const JSONLD_KEYS: &[&str] = &[
    "name",
    "alternatename",
    "description",
    "disambiguatingdescription",
    "slogan",
    "headline",
    "alternativeheadline",
    "keywords",
    "award",
    "awards",
    "text",
    "reviewbody",
    "articlebody",
    "abstract",
    "caption",
    "category",
    "brand",
];

/// Elements that start a new line of text.
const BLOCKS: &str = "address, article, aside, blockquote, br, dd, div, dl, dt, fieldset, \
    figcaption, figure, footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, nav, ol, p, \
    pre, section, table, tr, ul, option, button, center, tbody, thead, tfoot, caption";

#[derive(Default)]
struct State {
    out: Extracted,
    /// Raw text of the current text node, decoded when the node ends (an entity may be split
    /// across chunks).
    pending: String,
    in_title: bool,
    title_done: bool,
    template_depth: usize,
    open_link: Option<usize>,
    open_label: Option<String>,
    open_form: Option<usize>,
    loose_form: Option<usize>,
    /// Open elements that hide their content.
    hidden_depth: usize,
    sheet: StyleSheet,
    in_style: bool,
    /// Raw text of the current `<style>` or `<script>` element.
    raw: String,
    /// HTML written by scripts, and whether the script sat in a hidden block.
    written: Vec<(String, bool)>,
    written_bytes: usize,
    /// The open `<script>` is JSON-LD.
    in_jsonld: bool,
    in_noscript: bool,
    /// Markup of `<noscript>` blocks, and whether the block sat in a hidden block.
    noscripts: Vec<(String, bool)>,
    noscript_bytes: usize,
    attribute_bytes: usize,
    seen_attributes: HashSet<String>,
}

/// Script-written HTML kept per page, in bytes; past it, scripts are not read.
const MAX_WRITTEN: usize = 1 << 20;

impl State {
    fn newline(&mut self) {
        let text = if self.hidden_depth > 0 {
            &mut self.out.hidden
        } else {
            &mut self.out.text
        };
        if !text.is_empty() && !text.ends_with('\n') {
            // Trailing spaces of the line are noise.
            let trimmed = text.trim_end_matches(' ').len();
            text.truncate(trimmed);
            text.push('\n');
        }
    }

    fn raw_end(&mut self, script: bool) {
        let raw = std::mem::take(&mut self.raw);
        if self.template_depth > 0 {
            return;
        }
        if script && self.in_jsonld {
            if self.hidden_depth == 0 && raw.len() <= MAX_JSONLD {
                jsonld_text(&raw, &mut self.out.structured);
            }
            return;
        }
        if script {
            if self.written_bytes > MAX_WRITTEN {
                return;
            }
            if let Some(html) = script_html(&raw) {
                self.written_bytes += html.len();
                self.written.push((html, self.hidden_depth > 0));
            }
        } else if self.in_style {
            self.sheet.add(&raw);
        }
    }

    /// A `<noscript>` block ends (or the page ends inside one): keep its markup, within
    /// [`MAX_NOSCRIPT`] bytes per page. The tokenizer may hand a long block over in several
    /// text nodes, so the markup is gathered until the end tag.
    fn noscript_end(&mut self) {
        self.in_noscript = false;
        let mut raw = std::mem::take(&mut self.raw);
        if self.template_depth > 0 {
            return;
        }
        let room = MAX_NOSCRIPT.saturating_sub(self.noscript_bytes);
        if raw.len() > room {
            let mut cut = room;
            while !raw.is_char_boundary(cut) {
                cut -= 1;
            }
            raw.truncate(cut);
        }
        if !raw.trim().is_empty() {
            self.noscript_bytes += raw.len();
            self.noscripts.push((raw, self.hidden_depth > 0));
        }
    }

    fn text_node_end(&mut self) {
        let raw = std::mem::take(&mut self.pending);
        let decoded = decode(&raw);
        if self.in_title {
            if !self.title_done {
                push_collapsed(&mut self.out.title, &decoded, usize::MAX);
            }
            return;
        }
        if self.template_depth > 0 {
            return;
        }
        if self.hidden_depth > 0 {
            push_collapsed(&mut self.out.hidden, &decoded, usize::MAX);
        } else {
            push_collapsed(&mut self.out.text, &decoded, usize::MAX);
        }
        if let Some(i) = self.open_link {
            push_collapsed(&mut self.out.links[i].anchor, &decoded, MAX_ANCHOR);
        }
        if let Some(label) = self.open_label.as_mut() {
            push_collapsed(label, &decoded, MAX_ANCHOR);
        }
    }

    /// Keeps a `title`/`aria-label` value (bounded, distinct).
    fn attribute(&mut self, value: &str) {
        if value.is_empty() || self.attribute_bytes >= MAX_ATTRIBUTES {
            return;
        }
        let mut v = String::new();
        push_collapsed(&mut v, value, MAX_ANCHOR);
        let v = v.trim().to_string();
        if v.is_empty() || !self.seen_attributes.insert(v.clone()) {
            return;
        }
        self.attribute_bytes += v.len();
        self.out.attributes.push(v);
    }

    fn form_index(&mut self) -> usize {
        if let Some(i) = self.open_form {
            return i;
        }
        *self.loose_form.get_or_insert_with(|| {
            self.out.forms.push(Form::default());
            self.out.forms.len() - 1
        })
    }
}

/// Appends `s` with whitespace runs collapsed to one space (newlines too: structure comes from
/// elements, not from source formatting), stopping at `limit` bytes.
fn push_collapsed(out: &mut String, s: &str, limit: usize) {
    for c in s.chars() {
        if out.len() >= limit {
            return;
        }
        if c.is_whitespace() && c != '\u{3000}' && c != '\u{A0}' {
            if !(out.is_empty() || out.ends_with(' ') || out.ends_with('\n')) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

fn attr(el: &Element, name: &str) -> Option<String> {
    el.get_attribute(name)
        .map(|v| decode_attribute(v.trim()).into_owned())
}

type Shared = Rc<RefCell<State>>;

/// Extracts title, metas, visible text, hidden text, links, forms and images. Never panics; on
/// markup the tokenizer gives up on, returns what was read up to there.
pub fn extract(html: &str) -> Extracted {
    let (mut page, raw) = extract_one(html);
    for (fragment, hidden) in raw.written {
        // One level deep: scripts inside written HTML are not read again.
        let (sub, _) = extract_one(&fragment);
        merge(&mut page, sub, hidden, Source::Script);
    }
    for (fragment, hidden) in raw.noscripts {
        let (sub, _) = extract_one(&fragment);
        merge(&mut page, sub, hidden, Source::Noscript);
    }
    page
}

/// Where a fragment read after the page came from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Script,
    Noscript,
}

/// Appends `src` to `dst` on a new line; returns the byte range it took in `dst`.
fn append(dst: &mut String, src: &str) -> Range<usize> {
    if src.is_empty() {
        return dst.len()..dst.len();
    }
    if !dst.is_empty() && !dst.ends_with('\n') {
        dst.push('\n');
    }
    let start = dst.len();
    dst.push_str(src);
    start..dst.len()
}

fn merge(out: &mut Extracted, sub: Extracted, hidden: bool, source: Source) {
    if hidden {
        append(&mut out.hidden, &sub.text);
    } else if source == Source::Noscript {
        append(&mut out.noscript, &sub.text);
    } else {
        let span = append(&mut out.text, &sub.text);
        if !span.is_empty() {
            out.script_spans.push(span);
        }
    }
    append(&mut out.hidden, &sub.hidden);
    let noscript = source == Source::Noscript;
    out.links.extend(sub.links.into_iter().map(|mut l| {
        l.hidden |= hidden;
        l.noscript |= noscript;
        l
    }));
    out.images.extend(sub.images);
    out.forms.extend(sub.forms);
    if !hidden {
        let mut bytes: usize = out.attributes.iter().map(String::len).sum();
        for a in sub.attributes {
            if bytes >= MAX_ATTRIBUTES {
                break;
            }
            if !out.attributes.contains(&a) {
                bytes += a.len();
                out.attributes.push(a);
            }
        }
    }
}

/// Markup read after the page: what scripts write and `<noscript>` blocks.
struct Raw {
    written: Vec<(String, bool)>,
    noscripts: Vec<(String, bool)>,
}

/// Appends the string values of a JSON-LD block's descriptive keys ([`JSONLD_KEYS`]) to `out`,
/// one per line, until `out` holds [`MAX_STRUCTURED`] bytes. Text that is not JSON adds nothing.
fn jsonld_text(raw: &str, out: &mut String) {
    // serde_json bounds nesting (128 levels) while parsing; the walk below follows it.
    let Ok(value) = serde_json::from_str::<serde_json::Value>(raw.trim()) else {
        return;
    };
    let mut stack = vec![(&value, false)];
    while let Some((v, wanted)) = stack.pop() {
        if out.len() >= MAX_STRUCTURED {
            return;
        }
        match v {
            serde_json::Value::String(s) if wanted => {
                let s = s.trim();
                if !s.is_empty() {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    push_collapsed(out, s, MAX_STRUCTURED);
                }
            }
            serde_json::Value::Array(items) => {
                stack.extend(items.iter().rev().map(|i| (i, wanted)));
            }
            serde_json::Value::Object(map) => {
                // Reverse so that the stack pops keys in the map's (sorted) order.
                for (k, v) in map.iter().rev() {
                    let key = k.to_ascii_lowercase();
                    stack.push((v, JSONLD_KEYS.contains(&key.as_str())));
                }
            }
            _ => {}
        }
    }
}

fn extract_one(html: &str) -> (Extracted, Raw) {
    let st: Shared = Rc::new(RefCell::new(State::default()));
    {
        let s = st.clone();
        let text_handler = doc_text!(move |t: &mut TextChunk| {
            let mut s = s.borrow_mut();
            match t.text_type() {
                TextType::Data
                | TextType::RCData
                | TextType::PlainText
                | TextType::CDataSection => {
                    s.pending.push_str(t.as_str());
                    if t.last_in_text_node() {
                        s.text_node_end();
                    }
                }
                TextType::RawText | TextType::ScriptData => {
                    let script = matches!(t.text_type(), TextType::ScriptData);
                    if s.in_noscript && !script {
                        // Gathered until the end tag (see `State::noscript_end`).
                        if s.raw.len() < MAX_NOSCRIPT {
                            s.raw.push_str(t.as_str());
                        }
                    } else if script || s.in_style {
                        if s.raw.len() < MAX_WRITTEN {
                            s.raw.push_str(t.as_str());
                        }
                        if t.last_in_text_node() {
                            s.raw_end(script);
                        }
                    }
                }
            }
            Ok(())
        });

        let (s1, s2, s3, s4, s5, s6, s7, s8, s9) = (
            st.clone(),
            st.clone(),
            st.clone(),
            st.clone(),
            st.clone(),
            st.clone(),
            st.clone(),
            st.clone(),
            st.clone(),
        );
        let (h1, h2, h3, h4) = (st.clone(), st.clone(), st.clone(), st.clone());
        let handlers = vec![
            // First, so that the handlers below see the element's own hiding.
            element!("*", move |el| {
                let hides = {
                    let s = h1.borrow();
                    el.has_attribute("hidden")
                        || el.get_attribute("style").is_some_and(|v| style_hides(&v))
                        || s.sheet.hides(
                            el.get_attribute("class").as_deref(),
                            el.get_attribute("id").as_deref(),
                        )
                };
                let hides = hides
                    || (el.tag_name() == "marquee"
                        && marquee_hides(
                            el.get_attribute("height").as_deref(),
                            el.get_attribute("width").as_deref(),
                            el.get_attribute("style").as_deref(),
                        ));
                {
                    let mut s = h1.borrow_mut();
                    let tag = el.tag_name();
                    if !hides
                        && s.hidden_depth == 0
                        && s.template_depth == 0
                        && !matches!(tag.as_str(), "link" | "style" | "script" | "meta")
                    {
                        for a in ["title", "aria-label"] {
                            if let Some(v) = attr(el, a) {
                                s.attribute(&v);
                            }
                        }
                    }
                }
                if hides {
                    if let Some(h) = el.end_tag_handlers() {
                        h1.borrow_mut().hidden_depth += 1;
                        let s = h1.clone();
                        h.push(end_tag!(move |_| {
                            let mut s = s.borrow_mut();
                            s.hidden_depth = s.hidden_depth.saturating_sub(1);
                            Ok(())
                        }));
                    }
                }
                Ok(())
            }),
            element!("style", move |el| {
                h2.borrow_mut().in_style = true;
                let s = h2.clone();
                if let Some(h) = el.end_tag_handlers() {
                    h.push(end_tag!(move |_| {
                        s.borrow_mut().in_style = false;
                        Ok(())
                    }));
                }
                Ok(())
            }),
            element!("script", move |el| {
                let jsonld =
                    attr(el, "type").is_some_and(|t| t.eq_ignore_ascii_case("application/ld+json"));
                h3.borrow_mut().in_jsonld = jsonld;
                let s = h3.clone();
                if let Some(h) = el.end_tag_handlers() {
                    h.push(end_tag!(move |_| {
                        s.borrow_mut().in_jsonld = false;
                        Ok(())
                    }));
                }
                Ok(())
            }),
            element!("noscript", move |el| {
                {
                    let mut s = h4.borrow_mut();
                    s.in_noscript = true;
                    s.raw.clear();
                }
                let s = h4.clone();
                if let Some(h) = el.end_tag_handlers() {
                    h.push(end_tag!(move |_| {
                        s.borrow_mut().noscript_end();
                        Ok(())
                    }));
                }
                Ok(())
            }),
            element!(BLOCKS, move |el| {
                s1.borrow_mut().newline();
                let s = s1.clone();
                if let Some(h) = el.end_tag_handlers() {
                    h.push(end_tag!(move |_| {
                        s.borrow_mut().newline();
                        Ok(())
                    }));
                }
                Ok(())
            }),
            element!("td, th", move |_el| {
                let mut s = s2.borrow_mut();
                if !(s.out.text.is_empty() || s.out.text.ends_with([' ', '\n'])) {
                    s.out.text.push(' ');
                }
                Ok(())
            }),
            element!("title", move |el| {
                let s = s3.clone();
                s3.borrow_mut().in_title = true;
                if let Some(h) = el.end_tag_handlers() {
                    h.push(end_tag!(move |_| {
                        let mut s = s.borrow_mut();
                        s.in_title = false;
                        if !s.out.title.is_empty() {
                            s.title_done = true;
                            let t = s.out.title.trim_end().len();
                            s.out.title.truncate(t);
                        }
                        Ok(())
                    }));
                }
                Ok(())
            }),
            element!("template", move |el| {
                let s = s4.clone();
                s4.borrow_mut().template_depth += 1;
                if let Some(h) = el.end_tag_handlers() {
                    h.push(end_tag!(move |_| {
                        let mut s = s.borrow_mut();
                        s.template_depth = s.template_depth.saturating_sub(1);
                        Ok(())
                    }));
                }
                Ok(())
            }),
            element!("meta", move |el| {
                let name = attr(el, "name")
                    .or_else(|| attr(el, "property"))
                    .or_else(|| attr(el, "http-equiv"));
                if let (Some(name), Some(content)) = (name, attr(el, "content")) {
                    s5.borrow_mut()
                        .out
                        .metas
                        .push((name.to_ascii_lowercase(), content));
                }
                Ok(())
            }),
            element!("a", move |el| {
                let mut s = s6.borrow_mut();
                // A new <a> closes any open one (nested links are not valid HTML).
                s.open_link = None;
                if let Some(href) = attr(el, "href") {
                    let hidden = s.hidden_depth > 0;
                    s.out.links.push(Link {
                        href,
                        anchor: String::new(),
                        hidden,
                        noscript: false,
                    });
                    let i = s.out.links.len() - 1;
                    s.open_link = Some(i);
                    let sh = s6.clone();
                    // An icon link names itself only in its attributes.
                    let label = attr(el, "aria-label")
                        .filter(|v| !v.is_empty())
                        .or_else(|| attr(el, "title"));
                    if let Some(h) = el.end_tag_handlers() {
                        h.push(end_tag!(move |_| {
                            let mut s = sh.borrow_mut();
                            if s.open_link == Some(i) {
                                s.open_link = None;
                                let l = &mut s.out.links[i];
                                let t = l.anchor.trim_end().len();
                                l.anchor.truncate(t);
                                if l.anchor.is_empty() {
                                    if let Some(label) = &label {
                                        push_collapsed(&mut l.anchor, label, MAX_ANCHOR);
                                    }
                                }
                            }
                            Ok(())
                        }));
                    }
                }
                Ok(())
            }),
            element!("img", move |el| {
                let src = attr(el, "src")
                    .or_else(|| attr(el, "data-src"))
                    .unwrap_or_default();
                let alt = attr(el, "alt").unwrap_or_default();
                let mut s = s7.borrow_mut();
                if let Some(i) = s.open_link {
                    if s.out.links[i].anchor.is_empty() && !alt.is_empty() {
                        let a = &mut s.out.links[i].anchor;
                        push_collapsed(a, &alt, MAX_ANCHOR);
                    }
                }
                s.out.images.push((src, alt));
                Ok(())
            }),
            element!("form", move |el| {
                let mut s = s8.borrow_mut();
                s.out.forms.push(Form::default());
                let i = s.out.forms.len() - 1;
                s.open_form = Some(i);
                let sh = s8.clone();
                if let Some(h) = el.end_tag_handlers() {
                    h.push(end_tag!(move |_| {
                        let mut s = sh.borrow_mut();
                        if s.open_form == Some(i) {
                            s.open_form = None;
                        }
                        Ok(())
                    }));
                }
                Ok(())
            }),
            element!("input, textarea, select, label", move |el| {
                let tag = el.tag_name();
                if tag == "label" {
                    s9.borrow_mut().open_label = Some(String::new());
                    let sh = s9.clone();
                    if let Some(h) = el.end_tag_handlers() {
                        h.push(end_tag!(move |_| {
                            let mut s = sh.borrow_mut();
                            if let Some(label) = s.open_label.take() {
                                let label = label.trim().to_string();
                                if !label.is_empty() {
                                    let f = s.form_index();
                                    s.out.forms[f].inputs.push(label);
                                }
                            }
                            Ok(())
                        }));
                    }
                    return Ok(());
                }
                if tag == "input" {
                    let ty = attr(el, "type").unwrap_or_default().to_ascii_lowercase();
                    if matches!(ty.as_str(), "submit" | "button") {
                        // A button's value is visible text ("立即购买").
                        if let Some(v) = attr(el, "value") {
                            let mut s = s9.borrow_mut();
                            if !(s.out.text.is_empty() || s.out.text.ends_with([' ', '\n'])) {
                                s.out.text.push(' ');
                            }
                            push_collapsed(&mut s.out.text, &v, usize::MAX);
                            s.out.text.push(' ');
                        }
                        return Ok(());
                    }
                    if matches!(ty.as_str(), "hidden" | "image" | "reset") {
                        return Ok(());
                    }
                }
                let mut parts = Vec::new();
                for a in ["name", "placeholder", "aria-label", "title"] {
                    if let Some(v) = attr(el, a).filter(|v| !v.is_empty()) {
                        parts.push(v);
                    }
                }
                let mut s = s9.borrow_mut();
                let f = s.form_index();
                s.out.forms[f].inputs.push(parts.join(" "));
                Ok(())
            }),
        ];

        let mut settings = Settings::new()
            .append_document_content_handler(text_handler)
            // Huge attributes are buffered whole; 64 MiB bounds a hostile page while leaving
            // room for the largest real ones. Past it, extraction stops with what it has.
            .with_memory_settings(
                MemorySettings::new()
                    .with_max_allowed_memory_usage(64 << 20)
                    .with_graceful_bail_out_on_memory_limit_exceeded(true),
            )
            // Non-strict: on markup whose text type is ambiguous, go on rather than stop.
            .with_strict(false);
        for h in handlers {
            settings = settings.append_element_content_handler(h);
        }
        let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
        // Feed in slices so that the parsing buffer stays small; errors mean "stop reading".
        let mut ok = true;
        for chunk in html.as_bytes().chunks(64 * 1024) {
            if rewriter.write(chunk).is_err() {
                ok = false;
                break;
            }
        }
        if ok {
            let _ = rewriter.end();
        }
    }
    let mut s = st.borrow_mut();
    if !s.pending.is_empty() {
        s.text_node_end();
    }
    if s.in_noscript {
        s.noscript_end();
    }
    let raw = Raw {
        written: std::mem::take(&mut s.written),
        noscripts: std::mem::take(&mut s.noscripts),
    };
    let mut out = std::mem::take(&mut s.out);
    let t = out.text.trim_end().len();
    out.text.truncate(t);
    let t = out.hidden.trim_end().len();
    out.hidden.truncate(t);
    let t = out.title.trim_end().len();
    out.title.truncate(t);
    for l in &mut out.links {
        let t = l.anchor.trim_end().len();
        l.anchor.truncate(t);
    }
    (out, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_metas_text_links() {
        let p = extract(
            r#"<html><head><title> 店 &amp; 铺 </title>
            <meta name="Keywords" content="茶叶,&#x7B2C;&#x4E00;">
            <meta property="og:title" content="x">
            <style>.a{color:red}</style><script>var s="全网最低";</script></head>
            <body><div>第一段<p>第二<b>段</b></p>尾</div><template>模板</template>
            <noscript>请启用脚本</noscript>
            <a href="/buy?a=1&amp;b=2">立即<b>购买</b></a><a href="x"><img src="i.png" alt="图标"></a>
            <form><label>手机号</label><input name="phone" placeholder="请输入手机号">
            <input type="hidden" name="t"></form></body></html>"#,
        );
        assert_eq!(p.title, "店 & 铺");
        assert_eq!(
            p.metas,
            vec![
                ("keywords".into(), "茶叶,第一".into()),
                ("og:title".into(), "x".into())
            ]
        );
        assert!(!p.text.contains("全网最低"));
        assert!(!p.text.contains("color"));
        assert!(!p.text.contains("模板"));
        assert!(!p.text.contains("请启用脚本"));
        assert!(p.text.contains("第一段\n第二段\n尾"), "{:?}", p.text);
        assert_eq!(p.links[0].href, "/buy?a=1&b=2");
        assert_eq!(p.links[0].anchor, "立即购买");
        assert_eq!(p.links[1].anchor, "图标");
        assert_eq!(p.images, vec![("i.png".into(), "图标".into())]);
        assert_eq!(p.forms.len(), 1);
        assert_eq!(p.forms[0].inputs, vec!["手机号", "phone 请输入手机号"]);
    }

    #[test]
    fn entity_split_across_chunks_is_decoded() {
        // Chunk boundaries fall at 64 KiB: put an entity across one.
        let mut html = String::from("<p>");
        html.push_str(&"a".repeat(64 * 1024 - 3 - 3));
        html.push_str("&#x7B2C;&#x4E00;</p>");
        let p = extract(&html);
        assert!(
            p.text.ends_with("第一"),
            "{:?}",
            &p.text[p.text.len() - 10..]
        );
    }

    #[test]
    fn broken_markup_does_not_panic() {
        for html in [
            "",
            "<",
            "<<<>>>",
            "<a href='x'>unclosed",
            "<title>t",
            "<div><p><span></div></p>",
            "</a></title></template>",
            "<!-- unterminated",
            "<script>never closed",
            "\u{0}\u{FFFD}<\u{0}>",
        ] {
            let _ = extract(html);
        }
    }
}
