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
//! Pages are rendered on request from small per-site specs; [`serve`] answers them over HTTP on
//! one loopback port, dispatching by `Host`. Every host is under the reserved `.test` TLD, so a
//! misconfigured crawler cannot reach a real site.
//!
//! Invariants: output is a pure function of `GenParams` (own SplitMix64, no `rand`, no clock, no
//! hash-map iteration order in output); simweb never opens a connection itself.

mod prng;
mod register;
mod render;
mod server;
mod site;
mod truth;
mod violations;
mod vocab;

pub use server::{serve, start, Running};
pub use truth::{SiteTruth, Truth};

use site::{Enc, Site};
use std::collections::{BTreeMap, HashMap};

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
}

/// A generated world: the site specs and an index by host.
#[derive(Debug)]
pub struct World {
    seed: u64,
    sites: Vec<Site>,
    /// Host → index of the site owning the host (a platform for shop hosts).
    by_host: HashMap<String, usize>,
    /// (platform index, shop number) → shop index.
    shops: HashMap<(usize, u32), usize>,
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
        World {
            seed: p.seed,
            sites,
            by_host,
            shops,
        }
    }

    /// The ground truth for every site and page.
    pub fn truth(&self) -> Truth {
        let sites = self
            .sites
            .iter()
            .map(|s| {
                let pages = s
                    .pages
                    .iter()
                    .filter(|p| p.listed)
                    .map(|p| (p.path.clone(), p.truth.clone()))
                    .collect();
                let st = SiteTruth {
                    host: s.host.clone(),
                    path_prefix: s.prefix.clone(),
                    kind: s.kind,
                    registered: s.registered,
                    encoding: match s.enc {
                        Enc::Utf8 => "utf-8".into(),
                        Enc::Gbk { .. } => "gbk".into(),
                    },
                    pages,
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
        register::csv(&self.sites)
    }

    /// Every distinct host served, sorted.
    pub fn hosts(&self) -> Vec<String> {
        let mut h: Vec<String> = self.by_host.keys().cloned().collect();
        h.sort();
        h
    }

    /// Number of crawlable pages (the pages listed in the truth).
    pub fn page_count(&self) -> usize {
        self.sites
            .iter()
            .map(|s| s.pages.iter().filter(|p| p.listed).count())
            .sum()
    }

    /// The response for a request; `None` for an unknown host. `host` may carry a port;
    /// the query string is ignored.
    pub fn response(&self, host: &str, path_and_query: &str) -> Option<SimResponse> {
        let host = normalise_host(host);
        let &si = self.by_host.get(&host)?;
        let site = &self.sites[si];
        let path = path_and_query
            .split(['?', '#'])
            .next()
            .filter(|p| !p.is_empty())
            .unwrap_or("/");
        match path {
            "/robots.txt" => {
                return Some(match &site.robots {
                    Some(r) => text(200, "text/plain; charset=utf-8", r.clone()),
                    None => not_found(),
                })
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
                let mut r = text(
                    301,
                    "text/html; charset=utf-8",
                    format!("<a href=\"{loc}\">moved</a>"),
                );
                r.headers.push(("Location".into(), loc));
                return Some(r);
            }
            let s = &self.sites[shop];
            (s, s.page(path))
        } else {
            (site, site.page(path))
        };
        let Some(page) = page else {
            return Some(not_found());
        };
        let html = render::page(&self.sites, owner, page);
        Some(match owner.enc {
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
            },
        })
    }
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
    }
}

fn not_found() -> SimResponse {
    text(
        404,
        "text/html; charset=utf-8",
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>404</title></head><body><h1>404 页面不存在</h1></body></html>\n".into(),
    )
}
