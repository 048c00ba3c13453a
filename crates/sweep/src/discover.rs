//! Site discovery and classification within a sweep.
//!
//! Every scanned page yields [`detect::PageFacts`]. For a page of a **registered** site (or a
//! confirmed discovery), its links to hosts that are no known site, and its links to merchant
//! shops (`/shop/8812`) on its own host that are no known shop, become discoveries one hop from
//! the register, with the page as evidence ([`store::NewDiscovery`]). A page of a discovered
//! site that is still open gives discoveries one hop further, up to
//! [`DiscoveryConfig::max_hops`]; those two or more hops away wait `Unverified` until their own
//! pages show a city indicator ([`domain::locality`]), and are set aside as remote when they do
//! not, so that the frontier does not grow into the whole web. The store promotes open
//! discoveries to sites after each wave and the sweep crawls them in the next; what their pages
//! show of their operator (USCC, ICP number, names) lets [`review`] suggest an entity for a
//! person to confirm and mark hosts that imitate a registered site.
//! Department data and certificate transparency logs add discoveries of their own
//! (`crate::sources`).
//!
//! Each site that finishes is classified from its scanned pages ([`detect::classify_site`]):
//! platform, independent trading site, non-trading site or platform shop, with the reason. A
//! site with pages left unscanned because they had not changed keeps its earlier class (a
//! class from part of the pages could be wrong).

use crate::error::SweepError;
use detect::PageFacts;
use domain::SiteAddress;
use std::collections::{HashMap, HashSet};
use store::{
    DiscoveryFilter, DiscoverySource, DiscoveryState, EvidencePointer, NewDiscovery, Proposal,
    ProposalBasis, Scope, Shown, Sighting, Site, SiteClass, Store,
};

/// How far discovery reaches, what counts as the city, and the CT logs it watches.
#[derive(Debug, Clone)]
pub struct DiscoveryConfig {
    /// The city whose indicators let a site two or more hops away into the queue.
    pub city: domain::locality::City,
    /// Hops from the register that links are followed to (1: only registered sites' links).
    pub max_hops: u32,
    /// The certificate transparency logs a city sweep reads before crawling discoveries
    /// (`crate::sources::poll_ct`).
    pub ct_logs: Vec<ct::LogConfig>,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        DiscoveryConfig {
            city: domain::locality::City::nanning(),
            max_hops: 2,
            ct_logs: Vec::new(),
        }
    }
}

/// What a sweep saw of one site's pages.
#[derive(Debug, Default)]
pub(crate) struct SiteSeen {
    /// The scanned pages' URLs and facts.
    pages: Vec<(String, PageFacts)>,
    /// Some page was left unscanned as unchanged: the pages seen are not the whole site.
    partial: bool,
}

impl SiteSeen {
    pub(crate) fn scanned(&mut self, url: &str, facts: PageFacts) {
        self.pages.push((url.to_string(), facts));
    }

    pub(crate) fn unchanged(&mut self) {
        self.partial = true;
    }

    /// The site's class from its pages, unless some were not scanned.
    pub(crate) fn classification(&self, site: &Site) -> Option<SiteClass> {
        if self.partial {
            return None;
        }
        let shop = !site.path_prefix.is_empty();
        detect::classify_site(self.pages.iter().map(|(u, f)| (u.as_str(), f)), shop).map(|c| {
            SiteClass {
                kind: c.kind,
                reason: c.reason,
            }
        })
    }

    /// What the pages show of the operator, deduplicated in page order.
    pub(crate) fn shown(&self) -> Shown {
        fn add(into: &mut Vec<String>, from: &[String]) {
            for v in from {
                if !into.contains(v) {
                    into.push(v.clone());
                }
            }
        }
        let mut shown = Shown::default();
        for (_, f) in &self.pages {
            add(&mut shown.usccs, &f.usccs);
            add(&mut shown.icps, &f.icps);
            add(&mut shown.names, &f.operator_names);
            add(&mut shown.addresses, &f.addresses);
            add(&mut shown.phones, &f.phones);
        }
        shown
    }
}

/// The addresses a page links to that no known site covers, as discoveries `hops` from the
/// register. `known` answers for a URL whether a site covers it (the sweep's owner lookup);
/// `reported` keeps the sweep from reporting an address twice for the same crawl.
pub(crate) fn discoveries<'a>(
    page_url: &url::Url,
    facts: &PageFacts,
    known: impl Fn(&url::Url) -> Option<&'a Site>,
    evidence: &EvidencePointer,
    hops: u32,
    reported: &mut HashSet<SiteAddress>,
) -> Vec<NewDiscovery> {
    let mut out = Vec::new();
    let mut push = |host: &str, prefix: &str, anchor: &str, hidden: bool| {
        if reported.insert(SiteAddress::from_parts(host, prefix).site_key()) {
            out.push(NewDiscovery {
                host: host.to_string(),
                path_prefix: prefix.to_string(),
                source: DiscoverySource::Link,
                hops,
                sighting: Sighting {
                    from_url: page_url.to_string(),
                    anchor: anchor.to_string(),
                    hidden,
                    evidence: Some(evidence.clone()),
                    ..Sighting::default()
                },
                indicators: Vec::new(),
            });
        }
    };
    for link in &facts.outbound {
        let Ok(url) = url::Url::parse(&format!("http://{}/", link.host)) else {
            continue;
        };
        if known(&url).is_none() {
            push(&link.host, "", &link.anchor, link.hidden);
        }
    }
    if let Some(host) = page_url.host_str() {
        for prefix in &facts.merchants {
            let Ok(url) = page_url.join(&format!("{}/", prefix.trim_end_matches('/'))) else {
                continue;
            };
            // A shop is known when a site with that prefix (not only the platform) covers it.
            let covered = known(&url).is_some_and(|s| !s.path_prefix.is_empty());
            if !covered {
                push(host, prefix, "", false);
            }
        }
    }
    out
}

/// The register's sites as discovery compares hosts with them: registered sites (and confirmed
/// discoveries) by bare host, with their entities, and their look-alike index. Loaded once
/// per pass ([`review`], a CT poll).
pub(crate) struct KnownHosts {
    by_bare: HashMap<String, (String, domain::EntityId)>,
    lookalikes: domain::lookalike::LookalikeIndex,
}

impl KnownHosts {
    pub(crate) async fn load(store: &dyn Store) -> Result<KnownHosts, SweepError> {
        let registered: Vec<(String, domain::EntityId)> = crate::run::all_sites(store)
            .await?
            .into_iter()
            .filter(|s| s.path_prefix.is_empty())
            .filter_map(|s| s.entity_id.map(|e| (s.host, e)))
            .collect();
        let lookalikes = domain::lookalike::LookalikeIndex::new(
            registered.iter().map(|(h, e)| (h.clone(), e.0)),
        );
        let mut by_bare = HashMap::new();
        for (host, entity) in registered {
            by_bare
                .entry(domain::address::bare_host(&host).to_string())
                .or_insert((host, entity));
        }
        Ok(KnownHosts {
            by_bare,
            lookalikes,
        })
    }

    /// Whether `host` is a registered site itself (`www.` or not).
    pub(crate) fn is_registered(&self, host: &str) -> bool {
        self.by_bare.contains_key(domain::address::bare_host(host))
    }

    /// The registered site (host and entity) whose domain `host` is a subdomain of, the
    /// nearest one first; none for a registered site itself.
    pub(crate) fn parent_of(&self, host: &str) -> Option<&(String, domain::EntityId)> {
        let bare = domain::address::bare_host(host);
        bare.match_indices('.')
            .find_map(|(i, _)| self.by_bare.get(&bare[i + 1..]))
    }

    /// The registered site `host` imitates, and how.
    pub(crate) fn imitates(&self, host: &str) -> Option<domain::lookalike::Imitation> {
        self.lookalikes.imitates(host)
    }
}

/// Proposes an entity for every new discovered site that has none yet, from what its pages
/// show: a USCC of the register first (its pages', then a filing's), then an ICP filing of the
/// register, then an operator name that is an entity's name or former name, then the
/// registered site it is a subdomain of. A person confirms or rejects.
async fn propose(store: &dyn Store, known: &KnownHosts) -> Result<usize, SweepError> {
    let open = store
        .list_discovered(
            Scope::City,
            &DiscoveryFilter {
                state: Some(DiscoveryState::New),
                ..DiscoveryFilter::default()
            },
        )
        .await?;
    let mut proposed = 0;
    for d in open.iter().filter(|d| d.proposed_entity.is_none()) {
        if let Some(p) = proposal(store, d, known).await? {
            store.set_proposal(d.id, Some(&p)).await?;
            proposed += 1;
        }
    }
    Ok(proposed)
}

async fn proposal(
    store: &dyn Store,
    d: &store::Discovered,
    known: &KnownHosts,
) -> Result<Option<Proposal>, SweepError> {
    let shown = &d.shown;
    for uscc in &shown.usccs {
        if let Some(e) = store.entity_by_uscc(Scope::City, uscc).await? {
            return Ok(Some(Proposal {
                entity: e.id,
                basis: ProposalBasis::Uscc { uscc: uscc.clone() },
            }));
        }
    }
    for f in d.evidence.iter().filter_map(|s| s.filing.as_ref()) {
        let Some(uscc) = &f.uscc else { continue };
        if let Some(e) = store.entity_by_uscc(Scope::City, uscc).await? {
            return Ok(Some(Proposal {
                entity: e.id,
                basis: ProposalBasis::Filing {
                    source: f.source.clone(),
                    record_key: f.record_key.clone(),
                    uscc: uscc.clone(),
                },
            }));
        }
    }
    for icp in &shown.icps {
        if let Some(e) = store.entities_by_icp(Scope::City, icp).await?.first() {
            return Ok(Some(Proposal {
                entity: e.id,
                basis: ProposalBasis::Icp { icp: icp.clone() },
            }));
        }
    }
    for name in &shown.names {
        if let Some(e) = store.entities_by_name(Scope::City, name).await?.first() {
            return Ok(Some(Proposal {
                entity: e.id,
                basis: ProposalBasis::Name {
                    name: name.clone(),
                    former: e.input.name != *name,
                },
            }));
        }
    }
    if d.path_prefix.is_empty() {
        if let Some((registered_host, entity)) = known.parent_of(&d.host) {
            return Ok(Some(Proposal {
                entity: *entity,
                basis: ProposalBasis::Subdomain {
                    registered_host: registered_host.clone(),
                },
            }));
        }
    }
    Ok(None)
}

/// The matcher's pass over the open discovered sites after new ones came in: proposals and
/// imitation marks, against the register read once. Returns how many were proposed and how
/// many are marked.
pub async fn review(store: &dyn Store) -> Result<(usize, usize), SweepError> {
    let known = KnownHosts::load(store).await?;
    Ok((
        propose(store, &known).await?,
        flag_imitations(store, &known).await?,
    ))
}

/// Marks every open discovered host that imitates a registered site's host (a look-alike
/// domain: one edit away, homoglyphs, an added word, another suffix) with the entity it
/// imitates, and clears marks that no longer hold. Returns how many are marked.
async fn flag_imitations(store: &dyn Store, known: &KnownHosts) -> Result<usize, SweepError> {
    let mut marked = 0;
    for state in [DiscoveryState::Unverified, DiscoveryState::New] {
        let open = store
            .list_discovered(
                Scope::City,
                &DiscoveryFilter {
                    state: Some(state),
                    ..DiscoveryFilter::default()
                },
            )
            .await?;
        for d in open.iter().filter(|d| d.path_prefix.is_empty()) {
            let now = known.imitates(&d.host);
            if now != d.imitation {
                store.set_imitation(d.id, now.as_ref()).await?;
            }
            if now.is_some() {
                marked += 1;
            }
        }
    }
    Ok(marked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use detect::OutLink;
    use domain::{SiteId, SiteKind};
    use store::SiteOrigin;

    fn site(host: &str, prefix: &str) -> Site {
        Site {
            id: SiteId(1),
            entity_id: None,
            host: host.into(),
            path_prefix: prefix.into(),
            kind: SiteKind::Platform,
            district: None,
            entity_name: None,
            origin: SiteOrigin::Register,
            classified: None,
        }
    }

    #[test]
    fn unknown_hosts_and_shops_are_discovered_once() {
        let known = [
            site("mall.test", ""),
            site("mall.test", "/shop/1"),
            site("a.test", ""),
        ];
        let lookup = |u: &url::Url| {
            domain::address::owner(
                &known,
                |s| (s.host.as_str(), s.path_prefix.as_str()),
                u.host_str().unwrap(),
                u.path(),
            )
        };
        let facts = PageFacts {
            outbound: vec![
                OutLink {
                    host: "www.a.test".into(),
                    href: "http://www.a.test/".into(),
                    anchor: "甲".into(),
                    hidden: false,
                },
                OutLink {
                    host: "b.test".into(),
                    href: "http://b.test/".into(),
                    anchor: "乙".into(),
                    hidden: true,
                },
            ],
            merchants: ["/shop/1".to_string(), "/shop/2".to_string()]
                .into_iter()
                .collect(),
            ..PageFacts::default()
        };
        let page = url::Url::parse("http://mall.test/list").unwrap();
        let ev = EvidencePointer {
            warc_file: "w.warc.gz".into(),
            offset: 0,
            digest: "sha256:x".into(),
        };
        let mut reported = HashSet::new();
        let found = discoveries(&page, &facts, lookup, &ev, 1, &mut reported);
        let addrs: Vec<(String, String, bool)> = found
            .iter()
            .map(|d| (d.host.clone(), d.path_prefix.clone(), d.sighting.hidden))
            .collect();
        assert_eq!(
            addrs,
            [
                ("b.test".into(), "".into(), true),
                ("mall.test".into(), "/shop/2".into(), false)
            ]
        );
        assert!(discoveries(&page, &facts, lookup, &ev, 1, &mut reported).is_empty());
    }

    #[test]
    fn partial_sites_keep_their_class() {
        let mut seen = SiteSeen::default();
        seen.scanned(
            "http://a.test/",
            PageFacts {
                trading: Some("¥12 立即购买".into()),
                usccs: vec!["91450103MA5K00012X".into()],
                addresses: vec!["南宁市青秀区民族大道1号".into()],
                ..PageFacts::default()
            },
        );
        let s = site("a.test", "");
        assert_eq!(
            seen.classification(&s).map(|c| c.kind),
            Some(SiteKind::TradingSite)
        );
        assert_eq!(seen.shown().usccs, ["91450103MA5K00012X"]);
        assert_eq!(seen.shown().addresses, ["南宁市青秀区民族大道1号"]);
        seen.unchanged();
        assert_eq!(seen.classification(&s), None);
    }
}
