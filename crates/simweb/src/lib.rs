//! simweb: a simulated web of Chinese online businesses, with ground truth.
//!
//! [`World::generate`] builds, from `(sites, seed)`, a deterministic set of sites — trading
//! platforms with shops under `/shop/<n>`, independent shops, internet finance, real estate,
//! agricultural inputs, training schools, non-trading company sites and government sites, some
//! hijacked — with violations of every category of spec/taxonomy.md seeded at known pages, and
//! near-miss negatives that must not count. [`World::truth`] says, for every crawlable page,
//! exactly which categories were seeded there; [`World::register_csv`] is the matching register
//! (spec/registry-import.md) with its deliberate omissions and mismatches.
//!
//! A few sites cloak (`cloak.rs`): they answer spiders or search visitors differently (spam
//! title and hidden links, a redirect to a casino, 404 to everyone else), recorded in the
//! truth's `cloaked` apart from `pages`, which is always the plain browser view; one honest
//! site per kind serves phones another layout of the same content (`mobile_layout`).
//!
//! Pages are rendered on request from small per-site specs; [`serve`] answers them over HTTP on
//! one loopback port, dispatching by `Host`. Every host is under the reserved `.test` TLD, so a
//! misconfigured crawler cannot reach a real site.
//!
//! [`World::with_ct_log`] adds a certificate transparency log (`ct.rs`, RFC 6962) of real
//! X.509 certificates issued by a simulated CA to the subjects given, served on
//! `ct.simweb.test`, with a forged twin (`ct-forged.simweb.test`, heads signed by another key)
//! and a forking one (`ct-fork.simweb.test`, another history once the log has grown).
//!
//! Invariants: output is a pure function of `GenParams` (own SplitMix64, no `rand`, no clock, no
//! hash-map iteration order in output) and, for the CT log, of the subjects appended in order;
//! simweb never opens a connection itself.

mod cloak;
mod ct;
mod hostile;
pub mod licence_image;
pub mod near_miss;
mod prng;
mod register_files;
mod render;
mod server;
mod site;
mod truth;
mod violations;
mod vocab;

pub use ct::{
    demo_subjects, CtError, CtLog, CtOddity, CtSubject, CT_FORGED_HOST, CT_FORK_HOST, CT_HOST,
    MAX_ENTRIES_PER_ANSWER,
};
pub use hostile::{
    intruder_page, intruder_targets, HostileStats, BINARY, CALENDAR, GZIP_BOMB, HANGUP,
    HOSTILE_HOSTS, HUGE, HUGE_BYTES, INTRUDER, RATE_LIMIT, REDIRECT_LOOP, RETRY_AFTER_SECS,
    ROBOTS_DENY, SLOWLORIS,
};
pub use server::{serve, start, Running};
pub use site::ELSEWHERE_HOST;
pub use truth::{CloakTruth, LicenceImageTruth, SiteTruth, Truth};

use cloak::Cloak;
use domain::Category;
use site::{Enc, SimSite};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::RwLock;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenParams {
    /// Number of sites, counting each platform shop as one site.
    pub sites: usize,
    /// The seed; the same params always give byte-identical worlds.
    pub seed: u64,
}

/// An HTTP response as the server sends it; the body is already encoded (UTF-8 or GBK).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimResponse {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Extra headers (e.g. `Location` on a redirect).
    pub headers: Vec<(String, String)>,
    /// The server sends `body` gzip-encoded (`Content-Encoding: gzip`) to a client whose
    /// `Accept-Encoding` allows gzip; `body` itself is never encoded.
    pub gzip: bool,
}

/// A generated world: the site specs and an index by host.
#[derive(Debug)]
pub struct World {
    seed: u64,
    sites: Vec<SimSite>,
    /// Host → index of the site owning the host (a platform for shop hosts).
    by_host: HashMap<String, usize>,
    /// (platform index, shop number) → shop index.
    shops: HashMap<(usize, u32), usize>,
    /// The hostile hosts, when asked for ([`World::with_hostile_sites`]).
    hostile: Option<hostile::Hostile>,
    /// Keys of the sites that have rectified their pages ([`World::rectify`]).
    rectified: RwLock<BTreeSet<String>>,
    /// What site owners published themselves ([`World::with_overlay`]).
    overlay: Option<std::path::PathBuf>,
    /// The certificate transparency log, when asked for ([`World::with_ct_log`]).
    ct: Option<CtLog>,
    /// The casinos the script kits send visitors to: host → the kit's title.
    casinos: HashMap<String, String>,
}

impl World {
    pub fn generate(p: &GenParams) -> World {
        let sites = site::generate(p.sites, p.seed);
        let mut by_host = HashMap::new();
        let mut shops = HashMap::new();
        for (i, s) in sites.iter().enumerate() {
            match s.platform {
                Some(pi) => {
                    shops.insert((pi, s.shop_no), i);
                }
                None => {
                    by_host.insert(s.host.clone(), i);
                }
            }
        }
        let casinos = sites
            .iter()
            .filter_map(|s| match &s.cloak {
                Some(Cloak::Script { target, title, .. }) => {
                    let host = url_host(target)?;
                    Some((host, title.clone()))
                }
                _ => None,
            })
            .collect();
        World {
            casinos,
            seed: p.seed,
            sites,
            by_host,
            shops,
            hostile: None,
            rectified: RwLock::new(BTreeSet::new()),
            overlay: None,
            ct: None,
        }
    }

    /// The same world with a certificate transparency log (`ct.rs`) holding one certificate
    /// per subject, keyed by the world's seed, served on [`CT_HOST`], [`CT_FORGED_HOST`] and
    /// [`CT_FORK_HOST`]. The subjects are the caller's choice (e.g. some of the world's sites,
    /// or [`demo_subjects`]); the log changes neither the truth nor the register.
    pub fn with_ct_log(mut self, subjects: Vec<CtSubject>) -> Result<World, CtError> {
        self.ct = Some(CtLog::new(self.seed, subjects)?);
        Ok(self)
    }

    /// The certificates of this world, for its CT log ([`World::with_ct_log`]): one for every
    /// registered independent site (its host and bare host, the operator's company as `O`,
    /// `L=Nanning`), which must never come up as new; one for every unregistered site that only
    /// a certificate leads to (the truth's `found_via` `ct`); one for a new subdomain of the
    /// first registered site (`pay.<its domain>`), and one for a host that imitates it
    /// (`<its label>-official.test`) held by a company elsewhere; and one of a shop outside
    /// the city ([`ELSEWHERE_HOST`], `L=Beijing`), which must not come up either. The two
    /// hosts named after the first registered site serve nothing.
    pub fn ct_subjects(&self) -> Vec<CtSubject> {
        let city = |s: &site::SimSite| CtSubject {
            dns_names: vec![
                s.host.clone(),
                domain::address::bare_host(&s.host).to_string(),
            ],
            organization: Some(s.company.clone()),
            locality: Some("Nanning".into()),
            province: Some("Guangxi".into()),
        };
        let independent = |s: &&site::SimSite| {
            s.prefix.is_empty() && s.kind != domain::SiteKind::Platform && s.biz != site::Biz::Gov
        };
        let mut out: Vec<CtSubject> = self
            .sites
            .iter()
            .filter(independent)
            .filter(|s| s.registered || s.via == Some(site::Via::Ct))
            .map(city)
            .collect();
        if let Some(first) = self.sites.iter().filter(independent).find(|s| s.registered) {
            let bare = domain::address::bare_host(&first.host);
            out.push(CtSubject {
                dns_names: vec![format!("pay.{bare}")],
                organization: Some(first.company.clone()),
                locality: Some("Nanning".into()),
                province: Some("Guangxi".into()),
            });
            let (label, suffix) = bare.split_once('.').unwrap_or((bare, "test"));
            out.push(CtSubject {
                dns_names: vec![format!("{label}-official.{suffix}")],
                organization: Some("深圳市仿冒网络科技有限公司".into()),
                locality: Some("Shenzhen".into()),
                province: Some("Guangdong".into()),
            });
        }
        out.push(CtSubject {
            dns_names: vec![ELSEWHERE_HOST.to_string()],
            organization: Some("北京京都优品商贸有限公司".into()),
            locality: Some("Beijing".into()),
            province: Some("Beijing".into()),
        });
        out
    }

    /// The certificate transparency log, if the world has one; it can grow
    /// ([`CtLog::append`]) while the world is served.
    pub fn ct_log(&self) -> Option<&CtLog> {
        self.ct.as_ref()
    }

    /// The same world where site owners publish files of their own, read from `dir` at each
    /// request (so another process may publish while the world is served): a file
    /// `dir/<host>/<path>` is served at `http://<host>/<path>` before any generated page (a
    /// badge proof at `/.well-known/wangjian-badge/TOKEN`, as `text/plain` unless its
    /// extension says otherwise), and `dir/<host>.home.html` is inserted into the host's
    /// homepage before `</body>` (a badge snippet). Paths with `.`/`..` segments or
    /// backslashes are never looked up.
    pub fn with_overlay(mut self, dir: impl Into<std::path::PathBuf>) -> World {
        self.overlay = Some(dir.into());
        self
    }

    /// The overlay's file for a request, when there is one.
    fn overlay_file(&self, host: &str, path: &str) -> Option<SimResponse> {
        let dir = self.overlay.as_ref()?;
        let rel = path.strip_prefix('/')?;
        let safe =
            |seg: &str| !seg.is_empty() && seg != "." && seg != ".." && !seg.contains(['\\', '\0']);
        if host.is_empty() || !safe(host) || rel.is_empty() || !rel.split('/').all(safe) {
            return None;
        }
        let file = dir.join(host).join(rel);
        let body = std::fs::read(&file).ok()?;
        let content_type = match file.extension().and_then(|e| e.to_str()) {
            Some("html") => "text/html; charset=utf-8",
            Some("svg") => "image/svg+xml",
            Some("png") => "image/png",
            Some("json") => "application/json",
            _ => "text/plain; charset=utf-8",
        };
        Some(SimResponse {
            status: 200,
            content_type: content_type.into(),
            body,
            headers: Vec::new(),
            gzip: false,
        })
    }

    /// The overlay's addition to a host's homepage, when there is one.
    fn overlay_home(&self, host: &str) -> Option<String> {
        let dir = self.overlay.as_ref()?;
        if host.is_empty() || host.contains(['/', '\\']) || host.starts_with('.') {
            return None;
        }
        std::fs::read_to_string(dir.join(format!("{host}.home.html"))).ok()
    }

    /// The site `key` (host and path prefix, as in the truth) rectifies its pages, as a
    /// merchant does after an order to correct: from now on its pages are served without the
    /// content seeded on them (the snippets in the body, the additions to title and description,
    /// a hijacker's injection), and forms gain their consent box and health food its
    /// disclaimer. What the footer shows (license, ICP number, badge) stays as it was, and the
    /// truth keeps describing the world as generated. False for an unknown key.
    pub fn rectify(&self, key: &str) -> bool {
        if !self.sites.iter().any(|s| s.key == key) {
            return false;
        }
        self.rectified
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.to_string());
        true
    }

    /// Whether the site `key` has rectified its pages.
    pub fn is_rectified(&self, key: &str) -> bool {
        self.rectified
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(key)
    }

    /// The same world plus the hostile web (`hostile.rs`): ten `*.hostile.test` sites that
    /// misbehave (slow-loris, gzip bomb, redirect loops, a 1 GiB page, an endless calendar,
    /// 429/503 with `Retry-After`, a mid-body hang-up, robots.txt disallowing everything,
    /// non-HTML pages, a page reaching for private addresses from the browser). They are served by [`serve`] and listed in the register, but carry no
    /// truth: [`World::truth`] and [`World::page_count`] do not change.
    pub fn with_hostile_sites(mut self) -> World {
        self.hostile = Some(hostile::Hostile::default());
        self
    }

    /// What a hostile host has seen so far (all zero for another host or without the
    /// hostile web).
    pub fn hostile_stats(&self, host: &str) -> HostileStats {
        self.hostile
            .as_ref()
            .map(|h| h.stats(host))
            .unwrap_or_default()
    }

    /// The ground truth for every site and page.
    pub fn truth(&self) -> Truth {
        let mut linked_from: HashMap<usize, Vec<String>> = HashMap::new();
        for s in &self.sites {
            for &f in &s.friends {
                linked_from.entry(f).or_default().push(s.host.clone());
            }
        }
        let sites = self
            .sites
            .iter()
            .enumerate()
            .map(|(i, s)| {
                // A site that is 404 to browsers has no page in the browser view.
                let hidden = matches!(s.cloak, Some(Cloak::NotFound(_)));
                let mut pages: BTreeMap<String, BTreeSet<Category>> = s
                    .pages
                    .iter()
                    .filter(|p| p.listed && !hidden)
                    .map(|p| (p.path.clone(), p.truth.clone()))
                    .collect();
                let near_misses = s
                    .pages
                    .iter()
                    .filter(|p| p.listed && !hidden)
                    .map(|p| (p.path.clone(), near_miss::kinds_in(&p.body)))
                    .filter(|(_, k)| !k.is_empty())
                    .map(|(path, k)| (path, k.into_iter().map(str::to_string).collect()))
                    .collect();
                // A licence picture's forgery is seen only by OCR; without a CJK font it is
                // shown as text, and then it is the page's.
                let licence_image = s.licence_image.as_ref().and_then(|img| {
                    if licence_image::font().is_some() {
                        Some(LicenceImageTruth {
                            page: s.home_path(),
                            image: licence_image::IMAGE_PATH.to_string(),
                            uscc: img.uscc.clone(),
                            categories: img.categories().into_iter().collect(),
                        })
                    } else {
                        if let Some(cats) = pages.get_mut(&s.home_path()) {
                            cats.extend(img.categories());
                        }
                        None
                    }
                });
                let cloaked = s.cloak.as_ref().filter(|c| c.is_kit()).map(|c| CloakTruth {
                    kind: c.kind().to_string(),
                    page: s.home_path(),
                    categories: [Category::SiteHijacked].into(),
                });
                let st = SiteTruth {
                    host: s.host.clone(),
                    path_prefix: s.prefix.clone(),
                    kind: s.kind,
                    registered: s.registered,
                    encoding: match s.enc {
                        Enc::Utf8 => "utf-8".into(),
                        Enc::Gbk { .. } => "gbk".into(),
                    },
                    gzip: s.gzip,
                    pages,
                    cloaked,
                    mobile_layout: matches!(s.cloak, Some(Cloak::MobileLayout)),
                    honest_script: s
                        .cloak
                        .as_ref()
                        .filter(|c| matches!(c, Cloak::ReferrerAnalytics | Cloak::AbBanner))
                        .map(|c| c.kind().to_string()),
                    linked_from: linked_from.remove(&i).unwrap_or_default(),
                    found_via: s.via.map(|v| v.code().to_string()),
                    near_misses,
                    licence_image,
                };
                (s.key.clone(), st)
            })
            .collect::<BTreeMap<_, _>>();
        Truth {
            seed: self.seed,
            sites,
        }
    }

    /// The register CSV (spec/registry-import.md).
    pub fn register_csv(&self) -> String {
        let mut csv = register_files::csv(&self.sites);
        if self.hostile.is_some() {
            register_files::hostile_rows(&mut csv);
        }
        csv
    }

    /// Other departments' files about the world: (ICP filings, food business licenses) as
    /// CSV in the formats of the built-in `telecom` and `food` mappings.
    pub fn department_csvs(&self) -> (String, String) {
        register_files::department_files(&self.sites)
    }

    /// Every distinct host served, sorted.
    pub fn hosts(&self) -> Vec<String> {
        let mut h: Vec<String> = self.by_host.keys().cloned().collect();
        if self.hostile.is_some() {
            h.extend(HOSTILE_HOSTS.iter().map(|s| s.to_string()));
        }
        if self.ct.is_some() {
            h.extend([CT_HOST, CT_FORGED_HOST, CT_FORK_HOST].map(str::to_string));
        }
        h.sort();
        h
    }

    /// Number of crawlable pages (the pages listed in the truth).
    pub fn page_count(&self) -> usize {
        self.sites
            .iter()
            .filter(|s| !matches!(s.cloak, Some(Cloak::NotFound(_))))
            .map(|s| s.pages.iter().filter(|p| p.listed).count())
            .sum()
    }

    /// The response a desktop browser arriving directly gets (no `Referer`): the view the
    /// truth's `pages` describe. See [`World::response_as`].
    pub fn response(&self, host: &str, path_and_query: &str) -> Option<SimResponse> {
        self.response_as(host, path_and_query, None, None)
    }

    /// The response for a request; `None` for an unknown host. `host` may carry a port;
    /// the query string is ignored (but by the CT log's hosts, whose API takes parameters).
    /// `user_agent` and `referer` matter only to the cloaking kits and the mobile layout of a
    /// few sites (see the truth's `cloaked` and `mobile_layout`); every other site answers the
    /// same to everyone.
    pub fn response_as(
        &self,
        host: &str,
        path_and_query: &str,
        user_agent: Option<&str>,
        referer: Option<&str>,
    ) -> Option<SimResponse> {
        let host = normalise_host(host);
        if let (Some(log), Some(view)) = (&self.ct, ct::View::of(&host)) {
            return Some(log.respond(view, path_and_query));
        }
        if let Some(file) = path_and_query
            .split(['?', '#'])
            .next()
            .and_then(|p| self.overlay_file(&host, p))
        {
            return Some(file);
        }
        if host == site::ELSEWHERE_HOST {
            return Some(elsewhere(path_and_query));
        }
        if let Some(title) = self.casinos.get(&host) {
            return Some(text(
                200,
                "text/html; charset=utf-8",
                cloak::casino_page(&host, title),
            ));
        }
        let Some(&si) = self.by_host.get(&host) else {
            // A bare domain answers with a redirect to its www. site, as most sites do (the
            // register often lists the bare domain).
            let www = format!("www.{host}");
            self.by_host.get(&www)?;
            let loc = format!("http://{www}{path_and_query}");
            return Some(moved(loc));
        };
        let site = &self.sites[si];
        let path = path_and_query
            .split(['?', '#'])
            .next()
            .filter(|p| !p.is_empty())
            .unwrap_or("/");
        let spider = cloak::is_spider(user_agent);
        let home = path == "/";
        match &site.cloak {
            Some(Cloak::NotFound(_)) if !spider => return Some(not_found()),
            Some(Cloak::UaOnly(h) | Cloak::NotFound(h)) if spider && home => {
                let mut page = site.page(path)?.clone();
                page.hijack = Some(h.clone());
                return Some(encode(site, render::page(&self.sites, site, &page)));
            }
            Some(Cloak::RefererRedirect { target, meta })
                if home && !spider && cloak::from_search(referer) =>
            {
                if *meta {
                    return Some(text(
                        200,
                        "text/html; charset=utf-8",
                        cloak::refresh_page(target),
                    ));
                }
                let mut r = text(
                    302,
                    "text/html; charset=utf-8",
                    format!("<a href=\"{target}\">moved</a>"),
                );
                r.headers.push(("Location".into(), target.clone()));
                return Some(r);
            }
            _ => {}
        }
        match path {
            "/robots.txt" => {
                return Some(match &site.robots {
                    Some(r) => text(200, "text/plain; charset=utf-8", r.clone()),
                    None => not_found(),
                })
            }
            licence_image::IMAGE_PATH if site.licence_image.is_some() => {
                return Some(match licence_image::png(site) {
                    Some(png) => SimResponse {
                        status: 200,
                        content_type: "image/png".into(),
                        body: png,
                        headers: Vec::new(),
                        gzip: false,
                    },
                    None => not_found(),
                });
            }
            "/sitemap.xml" if site.sitemap => {
                return Some(text(
                    200,
                    "application/xml; charset=utf-8",
                    render::sitemap(&self.sites, site),
                ))
            }
            _ => {}
        }
        let (owner, page) = if let Some(rest) = path.strip_prefix("/shop/") {
            let (no, tail) = rest.split_once('/').unwrap_or((rest, ""));
            let Some(&shop) = no.parse().ok().and_then(|n: u32| self.shops.get(&(si, n))) else {
                return Some(not_found());
            };
            if tail.is_empty() && !rest.ends_with('/') {
                let loc = format!("/shop/{no}/");
                return Some(moved(loc));
            }
            let s = &self.sites[shop];
            (s, s.page(path))
        } else {
            (site, site.page(path))
        };
        let Some(page) = page else {
            return Some(not_found());
        };
        let rectified;
        let page = if self.is_rectified(&owner.key) {
            rectified = page.rectified();
            &rectified
        } else {
            page
        };
        let mut html = render::page(&self.sites, owner, page);
        if matches!(owner.cloak, Some(Cloak::MobileLayout)) && cloak::is_mobile(user_agent) {
            html = cloak::mobile_layout(&html);
        }
        if home {
            // A script kit or an honest script: the same inline script for every visitor.
            if let Some(script) = owner.cloak.as_ref().and_then(|c| c.home_script(&host)) {
                let at = html.rfind("</body>").unwrap_or(html.len());
                html.insert_str(at, &script);
            }
            if let Some(extra) = self.overlay_home(&host) {
                let at = html.rfind("</body>").unwrap_or(html.len());
                html.insert_str(at, &extra);
            }
        }
        Some(encode(owner, html))
    }
}

/// The host of an absolute `http://host/…` URL.
fn url_host(u: &str) -> Option<String> {
    let rest = u.split_once("://")?.1;
    let host = rest.split(['/', '?', '#', ':']).next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// A rendered page as the site serves it: UTF-8, or GBK with or without a header charset.
fn encode(owner: &SimSite, html: String) -> SimResponse {
    let mut r = match owner.enc {
        Enc::Utf8 => text(200, "text/html; charset=utf-8", html),
        Enc::Gbk { header, .. } => SimResponse {
            status: 200,
            content_type: if header {
                "text/html; charset=gbk".into()
            } else {
                "text/html".into()
            },
            body: encoding_rs::GBK.encode(&html).0.into_owned(),
            headers: Vec::new(),
            gzip: false,
        },
    };
    r.gzip = owner.gzip;
    r
}

fn normalise_host(host: &str) -> String {
    let h = host.trim().trim_end_matches('.');
    let h = match h.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => h,
    };
    h.trim_end_matches('.').to_ascii_lowercase()
}

fn text(status: u16, content_type: &str, body: String) -> SimResponse {
    SimResponse {
        status,
        content_type: content_type.into(),
        body: body.into_bytes(),
        headers: Vec::new(),
        gzip: false,
    }
}

/// A permanent redirect to `loc`.
fn moved(loc: String) -> SimResponse {
    let mut r = text(
        301,
        "text/html; charset=utf-8",
        format!("<a href=\"{loc}\">moved</a>"),
    );
    r.headers.push(("Location".into(), loc));
    r
}

/// The shop outside the city that sites two hops from the register link to
/// ([`site::ELSEWHERE_HOST`]): one honest page of a Beijing shop, with nothing of the city.
fn elsewhere(path_and_query: &str) -> SimResponse {
    let path = path_and_query.split(['?', '#']).next().unwrap_or("/");
    if path != "/" && !path.is_empty() {
        return not_found();
    }
    let uscc = domain::Uscc::complete("91110101", "MA01AB2C").expect("fixed parts are valid");
    text(
        200,
        "text/html; charset=utf-8",
        format!(
            "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>京都优品 - 北京特产</title>\
             <meta name=\"description\" content=\"北京特产糕点\"></head><body><h1>京都优品</h1>\
             <p>北京传统糕点，欢迎选购。</p><footer><p>北京京都优品商贸有限公司 \
             地址：北京市东城区东直门南大街3号 电话：010-65550123</p>\
             <p>统一社会信用代码：{} <a href=\"https://beian.miit.gov.cn/\">京ICP备18000001号-1</a></p>\
             </footer></body></html>\n",
            uscc.as_str()
        ),
    )
}

fn not_found() -> SimResponse {
    text(
        404,
        "text/html; charset=utf-8",
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>404</title></head><body><h1>404 页面不存在</h1></body></html>\n".into(),
    )
}
