//! Cloaking kits (docs/spec/hijack.md, "How the kits hide") and an honest look-alike.
//!
//! A few sites answer differently by who asks: [`Cloak::UaOnly`] shows a gambling title, meta
//! and hidden casino links to search spiders only; [`Cloak::RefererRedirect`] sends a browser
//! arriving from a search result to a casino (HTTP 302 or meta refresh); [`Cloak::NotFound`]
//! is 404 to everyone but spiders, who get the spam homepage. [`Cloak::MobileLayout`] is honest:
//! mobile clients (spiders' mobile UAs included) get another layout of the same content, and
//! must not be flagged.
//!
//! Script kits ([`Cloak::Script`]) serve every visitor the same HTML, but an inline script in
//! the homepage reads `document.referrer` and, for a visitor from Baidu, Sogou or 360, sets
//! `document.title` to a casino's title and sends the browser to the casino
//! (`location.href`); the obfuscated variant assembles the target and the title with
//! `String.fromCharCode(...)` and `atob(...)`. Only a rendered probe sees them. The casino a
//! script kit sends to is served ([`casino_page`]), so the browser's navigation ends on a
//! page. Two honest look-alikes must not be flagged: [`Cloak::ReferrerAnalytics`] reads
//! `document.referrer` and sends it to the site's own host in an image beacon;
//! [`Cloak::AbBanner`] swaps a banner's text and appends a harmless suffix to the title for
//! visitors who arrive from another page.
//!
//! Assignment is a separate pass over the generated sites with its own random stream, so adding
//! kits does not shift any other draw of the generator; the script kits have a pass and a
//! stream of their own ([`assign_scripts`], after the friend links are drawn, so no earlier
//! draw moves). Owns only the choice of sites, the request classification and the kits'
//! scripts; the HTML is still rendered by `render.rs`.

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
    /// An inline script sends visitors from a search engine to `target` (a served casino)
    /// after setting `document.title` to `title`; `obfuscated` assembles both with
    /// `String.fromCharCode` and `atob`.
    Script {
        target: String,
        title: String,
        obfuscated: bool,
    },
    /// Honest: an analytics script sends `document.referrer` to the site's own host.
    ReferrerAnalytics,
    /// Honest: an A/B script swaps a banner's text and suffixes the title, harmlessly.
    AbBanner,
}

impl Cloak {
    /// The kind's stable name, as written in the truth.
    pub fn kind(&self) -> &'static str {
        match self {
            Cloak::UaOnly(_) => "ua-only",
            Cloak::RefererRedirect { .. } => "referer-redirect",
            Cloak::NotFound(_) => "not-found-to-browsers",
            Cloak::MobileLayout => "mobile-layout",
            Cloak::Script {
                obfuscated: false, ..
            } => "script-redirect",
            Cloak::Script {
                obfuscated: true, ..
            } => "script-obfuscated",
            Cloak::ReferrerAnalytics => "referrer-analytics",
            Cloak::AbBanner => "ab-banner",
        }
    }

    /// True for the kits (a site's owner browsing directly sees nothing); false for the honest
    /// look-alikes (mobile layout, analytics, A/B banner).
    pub fn is_kit(&self) -> bool {
        matches!(
            self,
            Cloak::UaOnly(_)
                | Cloak::RefererRedirect { .. }
                | Cloak::NotFound(_)
                | Cloak::Script { .. }
        )
    }

    /// The inline script this site's homepage carries (the same for every visitor), if any.
    pub fn home_script(&self, host: &str) -> Option<String> {
        match self {
            Cloak::Script {
                target,
                title,
                obfuscated: false,
            } => Some(format!(
                "<script>\n(function(){{var r=document.referrer;\n\
                 if(/baidu\\.com|sogou\\.com|so\\.com/.test(r)){{\n\
                 document.title=\"{title}\";\nlocation.href='{target}';}}}})();\n</script>\n"
            )),
            Cloak::Script {
                target,
                title,
                obfuscated: true,
            } => {
                let codes: Vec<String> = target.chars().map(|c| (c as u32).to_string()).collect();
                use base64::Engine as _;
                // The title as `escape()` writes it, base64-encoded (what `atob` gives back is
                // Latin-1; `decodeURIComponent` makes it UTF-8 again).
                let escaped: String = title
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect();
                let b64 = base64::engine::general_purpose::STANDARD.encode(escaped);
                // The engines' names built from char codes too.
                let eng = |s: &str| -> String {
                    let c: Vec<String> = s.chars().map(|c| (c as u32).to_string()).collect();
                    format!("String.fromCharCode({})", c.join(","))
                };
                Some(format!(
                    "<script>\nvar _0x1a=[{},{},{}];var _0x2b=document['\\x72\\x65\\x66\\x65\\x72\\x72\\x65\\x72'];\n\
                     for(var i=0;i<_0x1a.length;i++){{if(_0x2b.indexOf(_0x1a[i])>-1){{\n\
                     document.title=decodeURIComponent(atob('{b64}'));\n\
                     window['\\x6c\\x6f\\x63\\x61\\x74\\x69\\x6f\\x6e']=String.fromCharCode({});break;}}}}\n</script>\n",
                    eng("baidu."),
                    eng("sogou."),
                    eng("so.com"),
                    codes.join(",")
                ))
            }
            Cloak::ReferrerAnalytics => Some(format!(
                "<script>\n(function(){{var i=new Image();\n\
                 i.src='http://{host}/stat.gif?ref='+encodeURIComponent(document.referrer)+'&p='+encodeURIComponent(location.pathname);}})();\n</script>\n"
            )),
            Cloak::AbBanner => Some(
                "<div id=\"ab-banner\">欢迎光临本站</div>\n<script>\n(function(){var b=document.getElementById('ab-banner');\n\
                 if(document.referrer){b.textContent='新春特惠 会员积分双倍';\n\
                 document.title=document.title+' - 新品上市';}})();\n</script>\n"
                    .to_string(),
            ),
            _ => None,
        }
    }
}

/// The page a casino host of a script kit serves.
pub fn casino_page(host: &str, title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"keywords\" content=\"体育投注,真人百家乐,网上赌场\"></head>\n\
         <body><h1>{title}</h1><p>真人百家乐 在线发牌 注册送38元彩金 体育投注 首存送100%</p>\
         <p><a href=\"http://{host}/register\">立即注册</a></p></body></html>\n"
    )
}

/// Chooses the script kits and their honest look-alikes among the candidates [`assign`] left
/// (registered, own host, no hijack, no other cloak), with a stream of their own: one
/// plain script kit, one obfuscated, one analytics and one A/B banner per 100 sites (at least
/// one each in a world of 20 sites or more).
pub fn assign_scripts(sites: &mut [SimSite], seed: u64) {
    let k = per_kind(sites.len());
    if k == 0 {
        return;
    }
    let mut rng = Rng::new(mix(seed, 0x5343_5249_5054));
    let mut candidates: Vec<usize> = (0..sites.len())
        .filter(|&i| {
            let s = &sites[i];
            s.registered
                && s.cloak.is_none()
                && s.platform.is_none()
                && s.shops.is_empty()
                && s.prefix.is_empty()
                && s.pages.iter().all(|p| p.hijack.is_none())
        })
        .collect();
    for i in (1..candidates.len()).rev() {
        let j = rng.below(i + 1);
        candidates.swap(i, j);
    }
    for (n, &i) in candidates.iter().take(4 * k).enumerate() {
        sites[i].cloak = Some(match n % 4 {
            0 | 1 => {
                let h = v::hijack(&mut rng);
                let (_, host) = v::casino(&mut rng);
                Cloak::Script {
                    target: format!("http://{host}/"),
                    title: h.title,
                    obfuscated: n % 4 == 1,
                }
            }
            2 => Cloak::ReferrerAnalytics,
            _ => Cloak::AbBanner,
        });
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
