//! Rule packs: TOML files that an analyst edits (format in `rules/README.md`), parsed and
//! validated into [`RulePack`]. Reading files happens only in [`RulePack::load_dir`]; nothing
//! else in this crate does IO.
//!
//! Validation is strict and names the file, the rule and the problem: an unknown category, a
//! regex that does not compile, a regex with no literal to prefilter on, a duplicate id.

use crate::normalize::normalize;
use domain::{Category, Severity};
use regex::Regex;
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The rule files compiled into the binary, by file name.
const BUILTIN: &[(&str, &str)] = &[("core.toml", include_str!("../../../rules/core.toml"))];

/// A problem in a rule pack. `file` and `rule` say where, `problem` says what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleError {
    pub file: String,
    /// The rule id, when the problem is inside a rule.
    pub rule: Option<String>,
    pub problem: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Some(id) => write!(f, "{}: rule {}: {}", self.file, id, self.problem),
            None => write!(f, "{}: {}", self.file, self.problem),
        }
    }
}

/// A rule pack name that wangjian does not ship.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule pack {name:?} (known: {})", known.join(", "))]
pub struct UnknownPack {
    pub name: String,
    pub known: Vec<String>,
}

/// Where in a page a rule looks (a rule's `scope` in its pack; not the store's `Scope`, which
/// is whose rows a read may return).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleScope {
    Title,
    /// Contents of `<meta>` tags.
    Meta,
    /// Visible text.
    Text,
    /// Link anchor text and the link's `href`.
    Link,
    /// Attribute texts a person sees or hears: image `alt`, elements' `title` (tooltips) and
    /// `aria-label`. Code `alt` (`attribute` is read as the same scope).
    Alt,
    /// Text and link anchors inside hidden or off-screen blocks.
    Hidden,
}

impl RuleScope {
    pub const ALL: [RuleScope; 6] = [
        RuleScope::Title,
        RuleScope::Meta,
        RuleScope::Text,
        RuleScope::Link,
        RuleScope::Alt,
        RuleScope::Hidden,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RuleScope::Title => "title",
            RuleScope::Meta => "meta",
            RuleScope::Text => "text",
            RuleScope::Link => "link",
            RuleScope::Alt => "alt",
            RuleScope::Hidden => "hidden",
        }
    }
}

impl FromStr for RuleScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuleScope::ALL
            .into_iter()
            .find(|x| x.code() == s || (s == "attribute" && *x == RuleScope::Alt))
            .ok_or_else(|| format!("unknown scope {s:?} (title, meta, text, link, alt, hidden)"))
    }
}

/// One pattern of a rule, in normalised form.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// A literal, normalised like page text.
    Literal(String),
    /// A regex run over normalised text around each hit of its required `literal`.
    Regex { regex: Regex, literal: String },
}

impl Pattern {
    /// The literal the multi-pattern pass looks for.
    pub fn literal(&self) -> &str {
        match self {
            Pattern::Literal(l) => l,
            Pattern::Regex { literal, .. } => literal,
        }
    }
}

/// A validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable id, e.g. `ad.absolute.superlative-001`; findings carry it.
    pub id: String,
    pub category: Category,
    pub severity: Severity,
    /// Legal basis as cited in findings (defaults to the category's).
    pub basis: String,
    pub scope: Vec<RuleScope>,
    pub patterns: Vec<Pattern>,
    /// Patterns that cancel a hit when they occur within `window` characters of it (0: they
    /// must overlap or touch it).
    pub exclude: Vec<Pattern>,
    pub window: usize,
    /// Characters either side of a literal hit that a regex pattern may extend over.
    pub context: usize,
    /// When true (the default), a literal that starts or ends with an ASCII letter or digit
    /// only matches at an ASCII word boundary (`top1` does not match in `top10`).
    pub ascii_boundary: bool,
    /// The rule applies only on pages whose title, metas or text contain one of these
    /// (normalised); empty: any page.
    pub page_any: Vec<String>,
    /// The rule does not apply on pages whose title, metas or text contain one of these.
    pub page_none: Vec<String>,
    /// The file the rule came from.
    pub file: String,
}

/// A set of rules plus the settings of the structural checks.
#[derive(Debug, Clone)]
pub struct RulePack {
    /// The pack version; findings carry it. For several files, `stem@version` joined by `+`.
    pub version: String,
    pub rules: Vec<Rule>,
    /// Hosts whose links count as a license badge (besides `zzlz.gsxt.gov.cn`).
    pub badge_hosts: Vec<String>,
}

/// The national license-badge host (docs/spec/identifiers.md).
pub const NATIONAL_BADGE_HOST: &str = "zzlz.gsxt.gov.cn";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    version: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    settings: SettingsToml,
    #[serde(default)]
    rule: Vec<RuleToml>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SettingsToml {
    #[serde(default)]
    badge_hosts: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleToml {
    id: String,
    category: String,
    severity: Option<String>,
    basis: Option<String>,
    scope: Option<Vec<String>>,
    patterns: Vec<PatternToml>,
    #[serde(default)]
    exclude: Vec<PatternToml>,
    literal: Option<String>,
    window: Option<usize>,
    context: Option<usize>,
    ascii_boundary: Option<bool>,
    #[serde(default)]
    page_any: Vec<String>,
    #[serde(default)]
    page_none: Vec<String>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum PatternToml {
    Text(String),
    Regex { re: String, literal: String },
}

/// Claims count wherever a person or a search engine reads them: the head, the text (which
/// includes `<noscript>` blocks and what scripts write), JSON-LD (read with `meta` rules) and
/// attribute texts.
const DEFAULT_SCOPE: [RuleScope; 4] = [
    RuleScope::Title,
    RuleScope::Meta,
    RuleScope::Text,
    RuleScope::Alt,
];
const DEFAULT_CONTEXT: usize = 32;
/// Bounds a rule's reach so that one rule cannot make matching quadratic.
const MAX_REACH: usize = 200;

impl RulePack {
    /// The rules shipped with wangjian (`rules/*.toml`, embedded at compile time).
    pub fn builtin() -> RulePack {
        Self::from_files(BUILTIN.iter().map(|&(n, s)| (n.to_string(), s.to_string())))
            .expect("builtin rules are validated by the crate's tests")
    }

    /// The names of the packs shipped with wangjian: the stems of `rules/*.toml` (`core`).
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN
            .iter()
            .map(|(n, _)| n.strip_suffix(".toml").unwrap_or(n))
            .collect()
    }

    /// The shipped packs named (see [`RulePack::builtin_names`]) as one pack, in the order
    /// they are shipped; an empty list is every pack. An unknown name is refused.
    pub fn builtin_named(names: &[String]) -> Result<RulePack, UnknownPack> {
        let known = Self::builtin_names();
        if let Some(bad) = names.iter().find(|n| !known.contains(&n.as_str())) {
            return Err(UnknownPack {
                name: bad.clone(),
                known: known.iter().map(|k| k.to_string()).collect(),
            });
        }
        let files = BUILTIN.iter().filter(|(n, _)| {
            let stem = n.strip_suffix(".toml").unwrap_or(n);
            names.is_empty() || names.iter().any(|x| x == stem)
        });
        Ok(
            Self::from_files(files.map(|&(n, s)| (n.to_string(), s.to_string())))
                .expect("builtin rules are validated by the crate's tests"),
        )
    }

    /// Parses one rule file's text; `file` names it in errors.
    pub fn from_toml_str(file: &str, text: &str) -> Result<RulePack, RuleError> {
        let (version, rules, badge_hosts) = parse_file(file, text)?;
        Ok(RulePack {
            version,
            rules,
            badge_hosts,
        })
    }

    /// Loads every `*.toml` file of a directory (in name order) into one pack.
    pub fn load_dir(dir: &Path) -> Result<RulePack, RuleError> {
        let err = |file: &Path, problem: String| RuleError {
            file: file.display().to_string(),
            rule: None,
            problem,
        };
        let entries = std::fs::read_dir(dir).map_err(|e| err(dir, e.to_string()))?;
        let mut paths = Vec::new();
        for e in entries {
            let p = e.map_err(|e| err(dir, e.to_string()))?.path();
            if p.extension().is_some_and(|x| x == "toml") && p.is_file() {
                paths.push(p);
            }
        }
        paths.sort();
        if paths.is_empty() {
            return Err(err(dir, "no *.toml rule files".into()));
        }
        let mut files = Vec::new();
        for p in paths {
            let text = std::fs::read_to_string(&p).map_err(|e| err(&p, e.to_string()))?;
            let name = p
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            files.push((name, text));
        }
        Self::from_files(files)
    }

    /// Builds one pack from several files' texts, `(file name, text)`.
    pub fn from_files(
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<RulePack, RuleError> {
        let mut versions = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        let mut badge_hosts = Vec::new();
        let mut seen = HashSet::new();
        for (name, text) in files {
            let (version, file_rules, hosts) = parse_file(&name, &text)?;
            for r in &file_rules {
                if !seen.insert(r.id.clone()) {
                    return Err(RuleError {
                        file: name.clone(),
                        rule: Some(r.id.clone()),
                        problem: "duplicate rule id (already defined in this pack)".into(),
                    });
                }
            }
            let stem = name.strip_suffix(".toml").unwrap_or(&name).to_string();
            versions.push((stem, version));
            rules.extend(file_rules);
            badge_hosts.extend(hosts);
        }
        let version = match versions.as_slice() {
            [(_, v)] => v.clone(),
            _ => versions
                .iter()
                .map(|(s, v)| format!("{s}@{v}"))
                .collect::<Vec<_>>()
                .join("+"),
        };
        Ok(RulePack {
            version,
            rules,
            badge_hosts,
        })
    }
}

type Parsed = (String, Vec<Rule>, Vec<String>);

fn parse_file(file: &str, text: &str) -> Result<Parsed, RuleError> {
    let parsed: FileToml = toml::from_str(text).map_err(|e| RuleError {
        file: file.to_string(),
        rule: None,
        problem: e.to_string().trim_end().to_string(),
    })?;
    let _ = parsed.description;
    if parsed.version.trim().is_empty() {
        return Err(RuleError {
            file: file.to_string(),
            rule: None,
            problem: "version is empty".into(),
        });
    }
    let mut seen = HashSet::new();
    let mut rules = Vec::with_capacity(parsed.rule.len());
    for r in parsed.rule {
        let id = r.id.clone();
        if !seen.insert(id.clone()) {
            return Err(RuleError {
                file: file.to_string(),
                rule: Some(id),
                problem: "duplicate rule id".into(),
            });
        }
        rules.push(compile_rule(file, r).map_err(|problem| RuleError {
            file: file.to_string(),
            rule: Some(id),
            problem,
        })?);
    }
    let badge_hosts = parsed
        .settings
        .badge_hosts
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    Ok((parsed.version.trim().to_string(), rules, badge_hosts))
}

fn compile_rule(file: &str, r: RuleToml) -> Result<Rule, String> {
    let _ = &r.note;
    if r.id.trim().is_empty()
        || !r
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err("id must be non-empty ASCII letters, digits, '.', '-' or '_'".into());
    }
    let category: Category = r.category.parse().map_err(|e| format!("{e}"))?;
    let severity = match &r.severity {
        Some(s) => s.parse().map_err(|e| format!("{e}"))?,
        None => category.severity(),
    };
    let scope = match r.scope {
        None => DEFAULT_SCOPE.to_vec(),
        Some(list) if list.is_empty() => return Err("scope is empty".into()),
        Some(list) => list
            .iter()
            .map(|s| s.parse())
            .collect::<Result<Vec<RuleScope>, String>>()?,
    };
    if r.patterns.is_empty() {
        return Err("no patterns".into());
    }
    let rule_literal = r.literal.as_deref();
    let patterns = r
        .patterns
        .iter()
        .map(|p| compile_pattern(p, rule_literal, true))
        .collect::<Result<Vec<_>, _>>()?;
    let exclude = r
        .exclude
        .iter()
        .map(|p| compile_pattern(p, None, false))
        .collect::<Result<Vec<_>, _>>()?;
    let window = r.window.unwrap_or(0);
    let context = r.context.unwrap_or(DEFAULT_CONTEXT);
    if window > MAX_REACH || context > MAX_REACH {
        return Err(format!("window and context must be at most {MAX_REACH}"));
    }
    Ok(Rule {
        id: r.id,
        category,
        severity,
        basis: r
            .basis
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| category.legal_basis().to_string()),
        scope,
        patterns,
        exclude,
        window,
        context,
        ascii_boundary: r.ascii_boundary.unwrap_or(true),
        page_any: page_words(&r.page_any)?,
        page_none: page_words(&r.page_none)?,
        file: file.to_string(),
    })
}

fn page_words(words: &[String]) -> Result<Vec<String>, String> {
    words
        .iter()
        .map(|w| {
            let n = normalize(w);
            if n.is_empty() {
                Err(format!("page word {w:?} is empty after normalisation"))
            } else {
                Ok(n)
            }
        })
        .collect()
}

fn compile_pattern(
    p: &PatternToml,
    rule_literal: Option<&str>,
    needs_literal: bool,
) -> Result<Pattern, String> {
    let (re, explicit) = match p {
        PatternToml::Text(s) => match s.strip_prefix("re:") {
            Some(re) => (re, None),
            None => {
                let lit = normalize(s);
                if lit.is_empty() {
                    return Err(format!("pattern {s:?} is empty after normalisation"));
                }
                return Ok(Pattern::Literal(lit));
            }
        },
        PatternToml::Regex { re, literal } => (re.as_str(), Some(literal.as_str())),
    };
    let regex = regex::RegexBuilder::new(re)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("regex {re:?} does not compile: {e}"))?;
    let literal = match explicit.or(rule_literal) {
        Some(l) => normalize(l),
        None => required_literal(re)
            .map(|l| normalize(&l))
            .unwrap_or_default(),
    };
    if literal.is_empty() && needs_literal {
        return Err(format!(
            "regex {re:?} has no required literal: write it as {{ re = \"...\", literal = \"...\" }}"
        ));
    }
    Ok(Pattern::Regex { regex, literal })
}

/// The longest run of plain characters at the top level of a regex, none of them optional:
/// a literal every match must contain. `None` for alternations at the top level or when no
/// plain run exists. Conservative: it may miss a literal, it never invents one.
pub fn required_literal(re: &str) -> Option<String> {
    let chars: Vec<char> = re.chars().collect();
    let mut best = String::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let mut i = 0;
    let flush = |cur: &mut String, best: &mut String| {
        if cur.chars().count() > best.chars().count() {
            *best = cur.clone();
        }
        cur.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        // A quantifier after this atom makes it optional or repeatable.
        let next = chars.get(i + 1).copied();
        match c {
            '\\' => {
                let Some(e) = next else { break };
                let plain = !e.is_ascii_alphanumeric();
                i += 2;
                if depth == 0 && plain {
                    match chars.get(i) {
                        Some('?' | '*' | '{') => flush(&mut cur, &mut best),
                        Some('+') => {
                            cur.push(e);
                            flush(&mut cur, &mut best);
                        }
                        _ => cur.push(e),
                    }
                } else {
                    flush(&mut cur, &mut best);
                }
                continue;
            }
            '(' => {
                depth += 1;
                flush(&mut cur, &mut best);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                flush(&mut cur, &mut best);
            }
            '|' if depth == 0 => return None,
            '[' => {
                flush(&mut cur, &mut best);
                // Skip the class; `]` right after `[` or `[^` is literal.
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    i += 1;
                }
                while i < chars.len() && chars[i] != ']' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            '.' | '^' | '$' | '?' | '*' | '+' | '{' | '}' | '|' => flush(&mut cur, &mut best),
            _ if depth > 0 => {}
            _ => match next {
                Some('?' | '*' | '{') => flush(&mut cur, &mut best),
                Some('+') => {
                    cur.push(c);
                    flush(&mut cur, &mut best);
                }
                _ => cur.push(c),
            },
        }
        if c == '{' {
            // Skip the repetition bounds.
            while i < chars.len() && chars[i] != '}' {
                i += 1;
            }
        }
        i += 1;
    }
    flush(&mut cur, &mut best);
    let best = best.trim().to_string();
    (!best.is_empty()).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_packs_are_chosen_by_name() {
        assert_eq!(RulePack::builtin_names(), vec!["core"]);
        let core = RulePack::builtin_named(&["core".to_string()]).unwrap();
        assert_eq!(core.rules.len(), RulePack::builtin().rules.len());
        let err = RulePack::builtin_named(&["core".into(), "fangchan".into()]).unwrap_err();
        assert_eq!(err.name, "fangchan");
        assert_eq!(err.known, vec!["core".to_string()]);
    }

    #[test]
    fn derives_required_literals() {
        assert_eq!(
            required_literal("解释权归[^，。]{0,12}所有").as_deref(),
            Some("解释权归")
        );
        assert_eq!(required_literal("(?:送|领)彩金").as_deref(), Some("彩金"));
        assert_eq!(required_literal("最佳?赏味").as_deref(), Some("赏味"));
        assert_eq!(required_literal(r"no\.1").as_deref(), Some("no.1"));
        assert_eq!(required_literal(r"\d+元").as_deref(), Some("元"));
        assert_eq!(required_literal("a|b"), None);
        assert_eq!(required_literal(r"[a-z]+\d"), None);
    }

    #[test]
    fn errors_name_file_rule_and_problem() {
        let bad = |body: &str| {
            RulePack::from_toml_str("x.toml", &format!("version = \"1\"\n{body}")).unwrap_err()
        };
        let e = bad("[[rule]]\nid = \"a.b-001\"\ncategory = \"ad.nope\"\npatterns = [\"x\"]");
        assert_eq!(e.file, "x.toml");
        assert_eq!(e.rule.as_deref(), Some("a.b-001"));
        assert!(e.to_string().contains("ad.nope"), "{e}");
        let e = bad(
            "[[rule]]\nid = \"a\"\ncategory = \"ad.absolute_term\"\npatterns = [\"re:(a|b)+\"]",
        );
        assert!(e.problem.contains("no required literal"), "{e}");
        let e = bad("[[rule]]\nid = \"a\"\ncategory = \"ad.absolute_term\"\npatterns = [\"re:(\"]");
        assert!(e.problem.contains("does not compile"), "{e}");
        let e = bad("[[rule]]\nid = \"a\"\ncategory = \"ad.absolute_term\"\npatterns = [\"x\"]\nscope = [\"body\"]");
        assert!(e.problem.contains("unknown scope"), "{e}");
        let e = bad("[[rule]]\nid = \"a\"\ncategory = \"ad.absolute_term\"\npatterns = [\"x\"]\n[[rule]]\nid = \"a\"\ncategory = \"ad.absolute_term\"\npatterns = [\"y\"]");
        assert!(e.problem.contains("duplicate"), "{e}");
        let e = bad("[[rule]]\nid = \"a\"\ncategory = \"ad.absolute_term\"\npattern = [\"x\"]");
        assert_eq!(e.rule, None);
        assert!(e.to_string().starts_with("x.toml: "), "{e}");
    }

    #[test]
    fn defaults_and_explicit_literals() {
        let p = RulePack::from_toml_str(
            "t.toml",
            r#"version = "7"
[[rule]]
id = "t.one"
category = "content.gambling"
patterns = ["全 網", { re = "(?:送|领)彩金", literal = "彩金" }]
"#,
        )
        .unwrap();
        assert_eq!(p.version, "7");
        let r = &p.rules[0];
        assert_eq!(r.severity, Severity::Critical);
        assert_eq!(r.scope, DEFAULT_SCOPE);
        assert_eq!(r.patterns[0].literal(), "全网");
        assert_eq!(r.patterns[1].literal(), "彩金");
        assert_eq!(r.basis, Category::ContentGambling.legal_basis());
    }
}
