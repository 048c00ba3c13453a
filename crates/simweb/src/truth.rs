//! Ground truth: for every site, every crawlable page and the exact set of categories seeded on
//! it. Serialised as JSON for the evaluation harness.

use domain::{Category, SiteKind};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The truth of a whole world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truth {
    pub seed: u64,
    /// Keyed by `host` for a site, `host/shop/<n>` for a platform shop.
    pub sites: BTreeMap<String, SiteTruth>,
}

/// The truth of one site or shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteTruth {
    pub host: String,
    /// `""` for a site, `/shop/<n>` for a platform shop.
    pub path_prefix: String,
    pub kind: SiteKind,
    /// Whether the register CSV lists this site's operator.
    pub registered: bool,
    /// `utf-8` or `gbk` (a GBK site may declare it in the header, in a `<meta>`, both or
    /// nowhere).
    pub encoding: String,
    /// Pages are sent gzip-encoded to clients that accept gzip.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gzip: bool,
    /// Every crawlable page (absolute path on the host, starting with `path_prefix`) and the
    /// categories seeded on it; `[]` when clean. robots.txt and sitemap.xml are not pages, and
    /// pages disallowed by robots.txt are left out.
    pub pages: BTreeMap<String, BTreeSet<Category>>,
    /// A cloaking kit on this site: what only spiders or search visitors see. `pages` above is
    /// the browser view (what `World::response` serves and `wangjian eval` scans), so a
    /// cloaked homepage is clean there and its `site.hijacked` is listed here instead; a
    /// detector sees it only by fetching in several profiles (sweep's probe).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloaked: Option<CloakTruth>,
    /// Honest look-alike: mobile clients get another layout of the same content. Probing must
    /// not flag it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mobile_layout: bool,
    /// Honest look-alike of a script kit: `referrer-analytics` (an image beacon sends
    /// `document.referrer` to the site's own host) or `ab-banner` (a banner's text and a
    /// harmless title suffix change for visitors from another page). Probing, rendered or
    /// not, must not flag it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub honest_script: Option<String>,
    /// Hosts of the registered sites whose homepage links to this site's homepage (a 友情链接
    /// block in the footer, `http://<host>/`), in world order: how a sweep of the registered
    /// sites discovers an unregistered one. Every unregistered site that is not a platform
    /// shop has at least one (in worlds with a site that may link); an unregistered platform
    /// shop is found on its platform's directory pages (`/shops/<n>.html`) instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub linked_from: Vec<String>,
    /// For an unregistered site that is not a platform shop, the only way discovery can find
    /// it: `link` (a registered homepage links to it: `linked_from`), `filing` (only its ICP
    /// filing in the telecom file names it), `ct` (only a certificate in the CT log names it)
    /// or `chain` (only the homepage of a `link` site links to it: two hops from the
    /// register; `linked_from` names that site).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found_via: Option<String>,
    /// Honest near-misses (`crate::near_miss`): per page, the kinds of text it carries that a
    /// rule's words appear in without being the site's own claim (a quotation, a trademark,
    /// 食品级 …). These pages' categories stay as listed in `pages`: a detector that flags them
    /// is wrong.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub near_misses: BTreeMap<String, Vec<String>>,
    /// The homepage shows the business licence as a picture (`image`, a PNG): what OCR of it
    /// must find, apart from `pages` (the page's text does not show it). Only when simweb found
    /// a CJK font to draw it; otherwise the licence is shown as text and counted in `pages`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence_image: Option<LicenceImageTruth>,
}

/// A licence shown as a picture, and what it carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceImageTruth {
    /// The page showing it.
    pub page: String,
    /// The picture's path on the site's host.
    pub image: String,
    /// The USCC printed on it.
    pub uscc: String,
    /// `license.uscc_invalid` (check character forged), `license.uscc_mismatch` (another
    /// company's code) or none (the site's own).
    pub categories: BTreeSet<Category>,
}

/// The truth of a cloaking kit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloakTruth {
    /// `ua-only` (spiders see spam), `referer-redirect` (search visitors are sent to a casino),
    /// `not-found-to-browsers` (404 to all but spiders; `pages` is then empty), or a script
    /// kit seen only by a rendered probe: `script-redirect` (an inline script swaps the title
    /// and sends search visitors to a casino) or `script-obfuscated` (the same, its target and
    /// title assembled with `String.fromCharCode` and `atob`).
    pub kind: String,
    /// The cloaked page (the homepage).
    pub page: String,
    /// The categories of the cloaked view of that page (`site.hijacked`).
    pub categories: BTreeSet<Category>,
}

impl Truth {
    /// Number of pages carrying each category.
    pub fn category_counts(&self) -> BTreeMap<Category, usize> {
        let mut m: BTreeMap<Category, usize> = Category::ALL.iter().map(|&c| (c, 0)).collect();
        for s in self.sites.values() {
            for cats in s.pages.values() {
                for c in cats {
                    *m.entry(*c).or_default() += 1;
                }
            }
        }
        m
    }

    /// The sites missing from the register, by key: what discovery should find (see
    /// [`SiteTruth::found_via`] for how).
    pub fn unregistered(&self) -> impl Iterator<Item = (&String, &SiteTruth)> {
        self.sites.iter().filter(|(_, s)| !s.registered)
    }

    /// Total number of pages listed.
    pub fn page_count(&self) -> usize {
        self.sites.values().map(|s| s.pages.len()).sum()
    }
}
