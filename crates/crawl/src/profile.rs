//! Fetch profiles for unmasking cloaking (see `docs/spec/hijack.md`).
//!
//! Owns [`Profile`] (who we claim to be: a desktop browser, Baiduspider PC or mobile, other
//! search spiders, or a browser arriving from a search result) with the exact User-Agent and
//! Referer strings, and [`fetch_profiles`]: one URL fetched once per profile, every redirect
//! hop recorded as an [`Exchange`] tagged with its profile, plus `<meta http-equiv="refresh">`
//! detection. It does not follow meta refresh or run scripts (a headless render is future work)
//! and does not compare the captures: that is `detect`'s job.
//! Every hop goes through the same address check as crawling, so a redirect to a private
//! address is refused.

use std::cell::RefCell;
use std::fmt;

use lol_html::{element, HtmlRewriter, Settings};
use url::Url;

use crate::error::FetchError;
use crate::fetch::{Exchange, FetchKind, Fetcher, RequestOptions};
use crate::links::canonicalize;
use crate::CrawlConfig;

/// A current desktop Chrome on Windows.
pub const CHROME_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
/// Baiduspider, PC.
pub const BAIDUSPIDER_PC_UA: &str =
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)";
/// Baiduspider, mobile.
pub const BAIDUSPIDER_MOBILE_UA: &str = "Mozilla/5.0 (Linux;u;Android 4.2.2;zh-cn;) AppleWebKit/534.46 (KHTML,like Gecko) Version/5.1 Mobile Safari/10600.6.3 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)";
/// Sogou's web spider.
pub const SOGOU_SPIDER_UA: &str =
    "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)";
/// 360's spider (360 Search, so.com).
pub const SPIDER_360_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/50.0.2661.102 Safari/537.36; 360Spider";
/// ByteDance's spider (Toutiao search, Douyin).
pub const BYTESPIDER_UA: &str = "Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)";
/// Microsoft's bingbot.
pub const BINGBOT_UA: &str =
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";

/// How many redirects [`fetch_profiles`] follows per profile.
pub const MAX_PROFILE_REDIRECTS: usize = 10;

/// A search engine whose result page a visitor may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchEngine {
    /// 百度, www.baidu.com.
    Baidu,
    /// 搜狗, www.sogou.com.
    Sogou,
    /// 360 搜索, www.so.com.
    So360,
    /// 必应, www.bing.com.
    Bing,
}

impl SearchEngine {
    /// Short name for metadata: `baidu`, `sogou`, `360`, `bing`.
    pub fn name(self) -> &'static str {
        match self {
            SearchEngine::Baidu => "baidu",
            SearchEngine::Sogou => "sogou",
            SearchEngine::So360 => "360",
            SearchEngine::Bing => "bing",
        }
    }
}

/// Who a fetch claims to be. Cloaking kits show spam only to spiders or to visitors arriving
/// from a search result; fetching in several profiles and comparing unmasks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// A desktop browser ([`CHROME_UA`]), no referer.
    Browser,
    /// Baiduspider, PC ([`BAIDUSPIDER_PC_UA`]).
    BaiduSpiderPc,
    /// Baiduspider, mobile ([`BAIDUSPIDER_MOBILE_UA`]).
    BaiduSpiderMobile,
    /// Sogou web spider ([`SOGOU_SPIDER_UA`]).
    SogouSpider,
    /// 360Spider ([`SPIDER_360_UA`]).
    Spider360,
    /// Bytespider ([`BYTESPIDER_UA`]).
    Bytespider,
    /// bingbot ([`BINGBOT_UA`]).
    Bingbot,
    /// A desktop browser arriving from a result page of `engine` (its `Referer`).
    SearchReferral {
        /// The engine named by the `Referer`.
        engine: SearchEngine,
    },
}

impl Profile {
    /// The probes of the hijack spec, in order: browser, Baiduspider PC and mobile, and a
    /// browser referred by each engine.
    pub const STANDARD: [Profile; 7] = [
        Profile::Browser,
        Profile::BaiduSpiderPc,
        Profile::BaiduSpiderMobile,
        Profile::SearchReferral {
            engine: SearchEngine::Baidu,
        },
        Profile::SearchReferral {
            engine: SearchEngine::Sogou,
        },
        Profile::SearchReferral {
            engine: SearchEngine::So360,
        },
        Profile::SearchReferral {
            engine: SearchEngine::Bing,
        },
    ];

    /// The `User-Agent` sent.
    pub fn user_agent(&self) -> &'static str {
        match self {
            Profile::Browser | Profile::SearchReferral { .. } => CHROME_UA,
            Profile::BaiduSpiderPc => BAIDUSPIDER_PC_UA,
            Profile::BaiduSpiderMobile => BAIDUSPIDER_MOBILE_UA,
            Profile::SogouSpider => SOGOU_SPIDER_UA,
            Profile::Spider360 => SPIDER_360_UA,
            Profile::Bytespider => BYTESPIDER_UA,
            Profile::Bingbot => BINGBOT_UA,
        }
    }

    /// The `Referer` sent when fetching `url` (kept on every redirect hop, as browsers do).
    pub fn referer(&self, url: &Url) -> Option<String> {
        let Profile::SearchReferral { engine } = self else {
            return None;
        };
        let host = url.host_str().unwrap_or("");
        Some(match engine {
            // Result links go through the engine's opaque redirector; kits check the host.
            SearchEngine::Baidu => {
                "https://www.baidu.com/link?url=wJ3Wm7ZkqKp0dXn2sY8fQ1rVbT6hLg4cE9aRzNoPuMi&wd=&eqid=c4f1a2b3000a1b2c000000066a1b2c3d".to_owned()
            }
            SearchEngine::Sogou => {
                "https://www.sogou.com/link?url=hedJjaC291NbWrwHYHKCyPQj_ei8OKC1".to_owned()
            }
            SearchEngine::So360 => format!("https://www.so.com/link?m=ewj3q9aRzNoPuMi&q={host}"),
            SearchEngine::Bing => format!("https://www.bing.com/search?q={host}"),
        })
    }

    /// A stable name for evidence metadata: `browser`, `baiduspider-pc`,
    /// `search-referral:baidu`...
    pub fn name(&self) -> String {
        match self {
            Profile::Browser => "browser".into(),
            Profile::BaiduSpiderPc => "baiduspider-pc".into(),
            Profile::BaiduSpiderMobile => "baiduspider-mobile".into(),
            Profile::SogouSpider => "sogou-spider".into(),
            Profile::Spider360 => "360spider".into(),
            Profile::Bytespider => "bytespider".into(),
            Profile::Bingbot => "bingbot".into(),
            Profile::SearchReferral { engine } => format!("search-referral:{}", engine.name()),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A `<meta http-equiv="refresh">` found in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaRefresh {
    /// Seconds before the refresh (as written; unparsable: 0).
    pub delay_secs: u32,
    /// Where it goes, resolved against the page URL.
    pub target: Url,
}

/// One URL as seen in one profile.
#[derive(Debug, Clone)]
pub struct ProfiledCapture {
    /// The profile used.
    pub profile: Profile,
    /// Every hop, first request first; each exchange has `profile: Some(..)`.
    pub exchanges: Vec<Exchange>,
    /// Each redirect hop: the URL that answered with a redirect, and its status.
    pub redirect_chain: Vec<(Url, u16)>,
    /// The last URL fetched (the start URL when there was no redirect).
    pub final_url: Url,
    /// Status of the last hop, if it answered.
    pub final_status: Option<u16>,
    /// A meta refresh in the final page (reported, not followed).
    pub meta_refresh: Option<MetaRefresh>,
    /// Why the chain ended without a final page (a refused redirect target, too many
    /// redirects, a failed hop).
    pub error: Option<FetchError>,
}

impl ProfiledCapture {
    /// The last exchange (the final page, or the failed hop).
    pub fn final_exchange(&self) -> Option<&Exchange> {
        self.exchanges.last()
    }

    /// True when the chain left the start URL's host.
    pub fn left_host(&self, start: &Url) -> bool {
        self.final_url.host_str() != start.host_str()
    }
}

/// Fetches `url` once per profile (in order, politely: one connection per host, the
/// configured delay between requests), following up to [`MAX_PROFILE_REDIRECTS`] redirects per
/// profile. No robots.txt (this is a probe of one page, like `fetch_one`). Each hop is checked
/// against the private-address guard; a refused hop ends the chain with its error.
pub async fn fetch_profiles(
    config: &CrawlConfig,
    url: &Url,
    profiles: &[Profile],
) -> Vec<ProfiledCapture> {
    let fetcher = Fetcher::new(config);
    let mut start = url.clone();
    start.set_fragment(None);
    let mut out = Vec::with_capacity(profiles.len());
    for (i, &profile) in profiles.iter().enumerate() {
        // The profiles are several visits to one host: keep the politeness delay between them.
        if i > 0 && !config.delay_per_host.is_zero() {
            tokio::time::sleep(config.delay_per_host).await;
        }
        out.push(probe(config, &fetcher, &start, profile).await);
    }
    out
}

async fn probe(
    config: &CrawlConfig,
    fetcher: &Fetcher<'_>,
    start: &Url,
    profile: Profile,
) -> ProfiledCapture {
    let mut capture = ProfiledCapture {
        profile,
        exchanges: Vec::new(),
        redirect_chain: Vec::new(),
        final_url: start.clone(),
        final_status: None,
        meta_refresh: None,
        error: None,
    };
    let mut url = start.clone();
    loop {
        let options = RequestOptions {
            profile: Some(profile),
            ..RequestOptions::default()
        };
        let ex = fetcher
            .fetch_with(0, &url, 0, FetchKind::Page, config.max_body_bytes, options)
            .await;
        capture.final_url = url.clone();
        capture.final_status = ex.status();
        capture.error.clone_from(&ex.error);
        let next = match ex.status() {
            Some(s @ (301 | 302 | 303 | 307 | 308)) => ex
                .response
                .as_ref()
                .and_then(|r| r.header("location"))
                .and_then(|l| canonicalize(&url, l))
                .map(|t| (s, t)),
            _ => None,
        };
        if next.is_none() && ex.error.is_none() && ex.is_html() {
            capture.meta_refresh = ex.decoded_body().and_then(|d| meta_refresh(&d.text, &url));
        }
        capture.exchanges.push(ex);
        let Some((status, target)) = next else {
            break;
        };
        capture.redirect_chain.push((url.clone(), status));
        if capture.redirect_chain.len() > MAX_PROFILE_REDIRECTS {
            capture.error = Some(FetchError::TooManyRedirects(MAX_PROFILE_REDIRECTS));
            break;
        }
        url = target;
    }
    capture
}

/// Finds the first `<meta http-equiv="refresh" content="N; url=...">` with a target.
pub fn meta_refresh(html: &str, page: &Url) -> Option<MetaRefresh> {
    let found: RefCell<Option<String>> = RefCell::new(None);
    {
        let settings =
            Settings::new().append_element_content_handler(element!("meta[http-equiv]", |el| {
                let is_refresh = el
                    .get_attribute("http-equiv")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("refresh"));
                if is_refresh {
                    let mut f = found.borrow_mut();
                    if f.is_none() {
                        *f = el.get_attribute("content");
                    }
                }
                Ok(())
            }));
        let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
        if rewriter.write(html.as_bytes()).is_ok() {
            let _ = rewriter.end();
        }
    }
    let content = found.into_inner()?;
    parse_refresh(&content, page)
}

/// Parses a refresh `content` value: `5`, `0;url=/x`, `0; URL='http://y/'`.
fn parse_refresh(content: &str, page: &Url) -> Option<MetaRefresh> {
    let (delay, rest) = match content.find([';', ',']) {
        Some(i) => (&content[..i], &content[i + 1..]),
        None => (content, ""),
    };
    let delay_secs = delay
        .trim()
        .split('.')
        .next()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    let rest = rest.trim();
    let target = if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case("url") {
        rest[3..].trim_start().strip_prefix('=')?.trim()
    } else {
        rest
    };
    let target = target.trim_matches(|c| c == '\'' || c == '"').trim();
    if target.is_empty() {
        return None;
    }
    Some(MetaRefresh {
        delay_secs,
        target: canonicalize(page, target)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_headers() {
        let url = Url::parse("http://gov.test/").unwrap();
        assert_eq!(Profile::BaiduSpiderPc.user_agent(), BAIDUSPIDER_PC_UA);
        assert_eq!(Profile::Browser.referer(&url), None);
        let bing = Profile::SearchReferral {
            engine: SearchEngine::Bing,
        };
        assert_eq!(bing.user_agent(), CHROME_UA);
        assert_eq!(
            bing.referer(&url).as_deref(),
            Some("https://www.bing.com/search?q=gov.test")
        );
        assert_eq!(bing.to_string(), "search-referral:bing");
        assert_eq!(
            crate::robots::product_token(Profile::BaiduSpiderMobile.user_agent()),
            "Baiduspider"
        );
        let names: std::collections::HashSet<String> =
            Profile::STANDARD.iter().map(Profile::name).collect();
        assert_eq!(names.len(), Profile::STANDARD.len());
    }

    #[test]
    fn meta_refresh_variants() {
        let page = Url::parse("http://gov.test/a/").unwrap();
        let t =
            |html: &str| meta_refresh(html, &page).map(|m| (m.delay_secs, m.target.to_string()));
        assert_eq!(
            t(r#"<meta http-equiv="refresh" content="0;url=http://casino.test/">"#),
            Some((0, "http://casino.test/".into()))
        );
        assert_eq!(
            t(r#"<META HTTP-EQUIV="Refresh" CONTENT="3; URL='/b'">"#),
            Some((3, "http://gov.test/b".into()))
        );
        assert_eq!(t(r#"<meta http-equiv="refresh" content="30">"#), None);
        assert_eq!(t(r#"<meta name="refresh" content="0;url=/x">"#), None);
        assert_eq!(
            t(r#"<meta http-equiv="refresh" content="0, x.html">"#),
            Some((0, "http://gov.test/a/x.html".into()))
        );
    }
}
