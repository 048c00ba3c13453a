//! Cloaking kits (docs/spec/hijack.md, "How the kits hide") and an honest look-alike.
//!
//! A few sites answer differently by who asks: [`Cloak::UaOnly`] shows a gambling title, meta
//! and hidden casino links to search spiders only; [`Cloak::RefererRedirect`] sends a browser
//! arriving from a search result to a casino (HTTP 302 or meta refresh); [`Cloak::NotFound`]
//! is 404 to everyone but spiders, who get the spam homepage. [`Cloak::MobileLayout`] is honest:
//! mobile clients (spiders' mobile UAs included) get another layout of the same content, and
//! must not be flagged.
//!
//! Assignment is a separate pass over the generated sites with its own random stream, so adding
//! kits does not shift any other draw of the generator. Owns only the choice of sites and the
//! request classification; the HTML is still rendered by `render.rs`.

use crate::prng::{mix, Rng};
use crate::site::SimSite;
use crate::violations::{self as v, Hijack};

/// What a cloaked (or honestly varying) site does.
#[derive(Debug, Clone)]
pub enum Cloak {
    /// Spiders get the homepage with the kit's title, meta and hidden links.
    UaOnly(Hijack),
    /// Browsers with a search engine's `Referer` are sent to `target` (an unserved casino host):
    /// by a 302, or (`meta`) by a 200 page with a meta refresh and a script redirect.
    RefererRedirect { target: String, meta: bool },
    /// Every page is 404 to non-spiders; spiders get the homepage with the kit's injections.
    NotFound(Hijack),
    /// Honest: mobile user agents get another layout of the same content.
    MobileLayout,
}

impl Cloak {
    /// The kind's stable name, as written in the truth.
    pub fn kind(&self) -> &'static str {
        match self {
            Cloak::UaOnly(_) => "ua-only",
            Cloak::RefererRedirect { .. } => "referer-redirect",
            Cloak::NotFound(_) => "not-found-to-browsers",
            Cloak::MobileLayout => "mobile-layout",
        }
    }

    /// True for the kits (a site's owner browsing directly sees nothing); false for the honest
    /// mobile layout.
    pub fn is_kit(&self) -> bool {
        !matches!(self, Cloak::MobileLayout)
    }
}

/// Spider product tokens the kits look for (docs/spec/hijack.md).
const SPIDERS: [&str; 5] = ["baiduspider", "sogou", "360spider", "bytespider", "bingbot"];
/// Search engines whose `Referer` the redirect kits look for.
const ENGINES: [&str; 4] = ["baidu.com", "sogou.com", "so.com", "bing.com"];

/// True when the User-Agent names a search spider.
pub fn is_spider(ua: Option<&str>) -> bool {
    let ua = ua.unwrap_or("").to_ascii_lowercase();
    SPIDERS.iter().any(|s| ua.contains(s))
}

/// True when the User-Agent is a phone's (spiders' mobile variants included).
pub fn is_mobile(ua: Option<&str>) -> bool {
    let ua = ua.unwrap_or("").to_ascii_lowercase();
    ["mobile", "android", "iphone"]
        .iter()
        .any(|s| ua.contains(s))
}

/// True when the `Referer`'s host is a search engine's (or a subdomain of one).
pub fn from_search(referer: Option<&str>) -> bool {
    let Some(r) = referer else { return false };
    let rest = r.split_once("://").map_or(r, |(_, rest)| rest);
    let host = rest
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    ENGINES
        .iter()
        .any(|e| host == *e || host.ends_with(&format!(".{e}")))
}

/// How many sites of a world of `n` get each kind: none below 20 sites, then one per 100
/// sites (at least one), so tests on small worlds see every kind.
fn per_kind(n: usize) -> usize {
    if n < 20 {
        0
    } else {
        (n / 100).max(1)
    }
}

/// Chooses the cloaked sites and sets `SimSite::cloak`. Candidates are registered sites (so a
/// sweep, which crawls the register, meets them) with their own host (no platform, no shop)
/// whose pages carry no hijack already. The 404 kit hides the whole site
/// from the browser view, so it goes to the candidates with the fewest seeded violations.
pub fn assign(sites: &mut [SimSite], seed: u64) {
    let k = per_kind(sites.len());
    if k == 0 {
        return;
    }
    let mut rng = Rng::new(mix(seed, 0x434C_4F41_4B53));
    let mut candidates: Vec<usize> = (0..sites.len())
        .filter(|&i| {
            let s = &sites[i];
            s.registered
                && s.platform.is_none()
                && s.shops.is_empty()
                && s.prefix.is_empty()
                && s.pages.iter().all(|p| p.hijack.is_none())
        })
        .collect();
    // A deterministic shuffle (Fisher–Yates on our own generator).
    for i in (1..candidates.len()).rev() {
        let j = rng.below(i + 1);
        candidates.swap(i, j);
    }
    let seeded = |s: &SimSite| -> usize { s.pages.iter().map(|p| p.truth.len()).sum() };
    let mut by_count = candidates.clone();
    by_count.sort_by_key(|&i| seeded(&sites[i])); // stable: ties keep the shuffled order
    let not_found: Vec<usize> = by_count.into_iter().take(k).collect();
    let rest: Vec<usize> = candidates
        .into_iter()
        .filter(|i| !not_found.contains(i))
        .collect();
    for &i in &not_found {
        sites[i].cloak = Some(Cloak::NotFound(v::hijack(&mut rng)));
    }
    for (n, &i) in rest.iter().take(3 * k).enumerate() {
        sites[i].cloak = Some(match n % 3 {
            0 => Cloak::UaOnly(v::hijack(&mut rng)),
            1 => Cloak::RefererRedirect {
                target: format!("http://{}/", v::casino(&mut rng).1),
                meta: (n / 3) % 2 == 1,
            },
            _ => Cloak::MobileLayout,
        });
    }
}

/// The mobile layout of a rendered page: same title, meta and text, another frame (a narrow
/// wrapper, a menu button, the navigation folded into a drawer).
pub fn mobile_layout(html: &str) -> String {
    html.replacen(
        "<body>\n",
        "<body class=\"m\">\n<div class=\"m-bar\"><span class=\"m-menu\">☰</span></div>\n<div class=\"m-wrap\" style=\"max-width:480px\">\n",
        1,
    )
    .replacen("</body>", "</div>\n</body>", 1)
    .replace("class=\"nav\"", "class=\"m-drawer\"")
}

/// The page a meta-refresh redirect kit serves.
pub fn refresh_page(target: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0;url={target}\"><title></title></head>\n\
         <body><script>window.location.href=\"{target}\";</script></body></html>\n"
    )
}
