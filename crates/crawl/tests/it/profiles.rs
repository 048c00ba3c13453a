//! Fetch profiles: the right User-Agent and Referer, cloaking unmasked, redirect chains,
//! refused redirect targets.

use std::time::Duration;

use crawl::{fetch_profiles, CrawlConfig, FetchError, Profile, ResolveMap, SearchEngine};
use url::Url;

use crate::server::{page, respond, start_fn};

fn mapped(entries: &[String]) -> CrawlConfig {
    let mut resolve = ResolveMap::default();
    for e in entries {
        resolve.parse_entry(e).unwrap();
    }
    CrawlConfig {
        delay_per_host: Duration::ZERO,
        resolve,
        ..CrawlConfig::default()
    }
}

/// A hacked government site: spiders see a casino title, visitors from Baidu are sent to the
/// casino, others see the real page.
fn hacked(
    hit: &crate::server::Hit,
    _: usize,
) -> hyper::Response<http_body_util::Full<bytes::Bytes>> {
    let ua = hit.header("user-agent").unwrap_or_default();
    let referer = hit.header("referer").unwrap_or_default();
    match (hit.host.as_str(), hit.path.as_str()) {
        ("gov.test", "/") if referer.contains("baidu.com") => {
            respond(302, &[("location", "http://casino.test/welcome")], "")
        }
        ("gov.test", "/") if referer.contains("sogou.com") => page(
            r#"<html><head><meta http-equiv="refresh" content="0;url=http://casino.test/m"></head></html>"#,
        ),
        ("gov.test", "/") if ua.contains("Baiduspider") => page(format!(
            "<title>澳门娱乐体育投注欢迎您</title>UA={ua} REF={referer}"
        )),
        ("gov.test", "/") => page(format!(
            "<title>某某区人民政府</title>UA={ua} REF={referer}"
        )),
        ("gov.test", "/to-private") => respond(301, &[("location", "http://10.0.0.1/admin")], ""),
        ("casino.test", _) => page("<title>娱乐城</title>"),
        _ => respond(404, &[], ""),
    }
}

#[tokio::test]
async fn profiles_send_their_headers_and_unmask_cloaking() {
    let server = start_fn(Duration::ZERO, hacked).await;
    let config = mapped(&[server.entry("gov.test"), server.entry("casino.test")]);
    let url = Url::parse("http://gov.test/").unwrap();
    let caps = fetch_profiles(&config, &url, &Profile::STANDARD).await;
    assert_eq!(caps.len(), Profile::STANDARD.len());
    let by = |p: Profile| caps.iter().find(|c| c.profile == p).unwrap();
    let body = |p: Profile| {
        let c = by(p);
        c.final_exchange().unwrap().decoded_body().unwrap().text
    };

    let browser = body(Profile::Browser);
    assert!(browser.contains("某某区人民政府"));
    assert!(
        browser.contains(&format!("UA={} REF=", crawl::CHROME_UA)),
        "{browser}"
    );
    let spider = body(Profile::BaiduSpiderPc);
    assert!(spider.contains("体育投注") && spider.contains(crawl::BAIDUSPIDER_PC_UA));
    let mobile = body(Profile::BaiduSpiderMobile);
    assert!(mobile.contains("体育投注") && mobile.contains(crawl::BAIDUSPIDER_MOBILE_UA));
    let bing = body(Profile::SearchReferral {
        engine: SearchEngine::Bing,
    });
    assert!(
        bing.contains("REF=https://www.bing.com/search?q=gov.test"),
        "{bing}"
    );

    // Referral from Baidu: redirected to the casino, every hop recorded with its profile.
    let baidu = by(Profile::SearchReferral {
        engine: SearchEngine::Baidu,
    });
    assert_eq!(baidu.redirect_chain, [(url.clone(), 302)]);
    assert_eq!(baidu.final_url.as_str(), "http://casino.test/welcome");
    assert_eq!(baidu.final_status, Some(200));
    assert!(baidu.left_host(&url));
    assert_eq!(baidu.exchanges.len(), 2);
    for ex in &baidu.exchanges {
        assert_eq!(
            ex.profile,
            Some(Profile::SearchReferral {
                engine: SearchEngine::Baidu
            })
        );
        let head = String::from_utf8_lossy(&ex.request_head);
        assert!(
            head.contains("\r\nReferer: https://www.baidu.com/link?url="),
            "{head}"
        );
    }
    let casino_hit = server
        .hits()
        .into_iter()
        .find(|h| h.host == "casino.test")
        .unwrap();
    assert!(casino_hit
        .header("referer")
        .unwrap()
        .starts_with("https://www.baidu.com/link?url="));

    // Referral from Sogou: a meta refresh, reported.
    let sogou = by(Profile::SearchReferral {
        engine: SearchEngine::Sogou,
    });
    let refresh = sogou.meta_refresh.as_ref().unwrap();
    assert_eq!(
        (refresh.delay_secs, refresh.target.as_str()),
        (0, "http://casino.test/m")
    );
    assert!(sogou.redirect_chain.is_empty());

    assert_eq!(
        by(Profile::Browser).exchanges[0].profile,
        Some(Profile::Browser)
    );
}

#[tokio::test]
async fn a_redirect_to_a_private_address_is_refused() {
    let server = start_fn(Duration::ZERO, hacked).await;
    let config = mapped(&[server.entry("gov.test")]);
    let url = Url::parse("http://gov.test/to-private").unwrap();
    let caps = fetch_profiles(&config, &url, &[Profile::BaiduSpiderPc]).await;
    let c = &caps[0];
    assert_eq!(c.redirect_chain, [(url.clone(), 301)]);
    assert_eq!(c.final_url.as_str(), "http://10.0.0.1/admin");
    assert_eq!(c.final_status, None);
    assert!(
        matches!(
            c.error,
            Some(FetchError::RefusedAddress {
                class: "private",
                ..
            })
        ),
        "{:?}",
        c.error
    );
    assert_eq!(c.exchanges.len(), 2);
    assert!(
        c.exchanges[1].remote_addr.is_none(),
        "no connection was attempted"
    );
}

#[tokio::test]
async fn redirect_loops_end() {
    let server = start_fn(Duration::ZERO, |hit, _| {
        let n: u32 = hit.path.trim_start_matches('/').parse().unwrap_or(0);
        respond(302, &[("location", &format!("/{}", n + 1))], "")
    })
    .await;
    let config = mapped(&[server.entry("loop.test")]);
    let caps = fetch_profiles(
        &config,
        &Url::parse("http://loop.test/").unwrap(),
        &[Profile::Browser],
    )
    .await;
    assert_eq!(
        caps[0].error,
        Some(FetchError::TooManyRedirects(crawl::MAX_PROFILE_REDIRECTS))
    );
    assert_eq!(caps[0].exchanges.len(), crawl::MAX_PROFILE_REDIRECTS + 1);
}
