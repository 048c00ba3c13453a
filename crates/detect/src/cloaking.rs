//! Cloaking: comparing two captures of one URL fetched in different profiles (a visitor's
//! browser vs a search spider or a visitor arriving from a search result; docs/spec/hijack.md).
//!
//! A difference alone is not a finding (sites vary by device, ads rotate); a difference that
//! brings gambling or other spam terms, new outbound hosts carrying them, or a redirect to an
//! unrelated domain is `site.hijacked`, proven by the other profile's capture.
//!
//! Pure functions over [`Extracted`] pages; the crawler supplies the captures.

use crate::extract::Extracted;
use crate::normalize::normalize;
use crate::structure::{host_of, ids};
use crate::{Category, Detection, Detector, Location, PageContext};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Below this visible-text similarity, two captures show different pages.
pub const DIFFERENT_TEXT: f64 = 0.5;

fn builtin() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(Detector::builtin)
}

/// Decides whether `other` (fetched as `other_profile`, e.g. `baiduspider`) cloaks `browser`,
/// using the builtin rule pack's spam vocabulary.
pub fn compare(browser: &Extracted, other: &Extracted, other_profile: &str) -> Option<Detection> {
    builtin().compare_captures(browser, other, other_profile, None)
}

/// As [`compare`], also given the final URLs (after redirects) of both fetches: a redirect of
/// the other profile to an unrelated domain is cloaking by itself.
pub fn compare_with_urls(
    browser: &Extracted,
    other: &Extracted,
    other_profile: &str,
    browser_final: &str,
    other_final: &str,
) -> Option<Detection> {
    builtin().compare_captures(
        browser,
        other,
        other_profile,
        Some((browser_final, other_final)),
    )
}

/// Where gambling/spam shows in one capture.
#[derive(Default)]
struct Spam {
    head: Option<String>,
    body: Option<String>,
}

impl Detector {
    fn spam(&self, page: &Extracted) -> Spam {
        let mut s = Spam::default();
        for f in self.scan_extracted(page, &PageContext::new("")) {
            if f.category != Category::ContentGambling {
                continue;
            }
            match f.location {
                Location::Title | Location::Meta => {
                    s.head.get_or_insert(f.excerpt);
                }
                _ => {
                    s.body.get_or_insert(f.excerpt);
                }
            }
        }
        s
    }

    /// [`compare`] with this detector's pack; `finals` are the final URLs of both fetches.
    pub fn compare_captures(
        &self,
        browser: &Extracted,
        other: &Extracted,
        other_profile: &str,
        finals: Option<(&str, &str)>,
    ) -> Option<Detection> {
        let profile = other_profile.trim();
        let finding = |excerpt: String| Detection {
            category: Category::SiteHijacked,
            rule_id: ids::HIJACK_CLOAKING.to_string(),
            severity: Category::SiteHijacked.severity(),
            excerpt: crate::excerpt(&excerpt, 0..excerpt.len()),
            location: Location::SpiderView,
            rule_pack: self.pack_version().to_string(),
            suppressed: None,
        };
        if let Some((b, o)) = finals {
            if let (Some(bh), Some(oh)) = (host_of(b), host_of(o)) {
                if site_of(&bh) != site_of(&oh) {
                    return Some(finding(format!("{profile}: redirected to {o}")));
                }
            }
        }
        let b = self.spam(browser);
        let o = self.spam(other);
        if let (Some(e), None) = (&o.head, &b.head) {
            return Some(finding(format!("{profile} title/meta: {e}")));
        }
        let known: HashSet<String> = browser
            .links
            .iter()
            .filter_map(|l| host_of(&l.href))
            .collect();
        let new_links: Vec<&crate::Link> = other
            .links
            .iter()
            .filter(|l| host_of(&l.href).is_some_and(|h| !known.contains(&h)))
            .collect();
        if !new_links.is_empty() {
            let page = Extracted {
                links: new_links.iter().map(|&l| l.clone()).collect(),
                ..Extracted::default()
            };
            if let Some(e) = self.spam(&page).body {
                return Some(finding(format!(
                    "{profile}: {} new outbound links: {e}",
                    new_links.len()
                )));
            }
        }
        if let (Some(e), None) = (&o.body, &b.body) {
            if similarity(&browser.text, &other.text) < DIFFERENT_TEXT {
                return Some(finding(format!("{profile} text: {e}")));
            }
        }
        None
    }
}

/// The registrable part of a host, approximately (last two labels; three under a two-level
/// public suffix such as `com.cn`, `gov.cn`).
fn site_of(host: &str) -> String {
    let host = domain::address::bare_host(host);
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let second_level = ["com", "net", "org", "gov", "edu", "ac"];
    let take = if n >= 3 && second_level.contains(&labels[n - 2]) && labels[n - 1].len() == 2 {
        3
    } else {
        2
    };
    labels[n.saturating_sub(take)..].join(".")
}

/// Jaccard similarity of the character bigrams of two texts (normalised), 0..=1; two empty
/// texts are identical.
pub fn similarity(a: &str, b: &str) -> f64 {
    let grams = |s: &str| -> HashSet<(char, char)> {
        let n: Vec<char> = normalize(s)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        n.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (ga, gb) = (grams(a), grams(b));
    if ga.is_empty() && gb.is_empty() {
        return 1.0;
    }
    let inter = ga.intersection(&gb).count() as f64;
    let union = ga.union(&gb).count() as f64;
    inter / union
}
