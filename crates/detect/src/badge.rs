//! The wangjian badge (亮照) on pages: `badge.invalid` with a structured reason
//! (`domain::BadgeVerdict`) when an enrolled site's homepage does not show a badge that is
//! present, signed by the bureau's badge key, bound to this site and in force — or when any page
//! shows a wangjian badge link (to the portal's host) that is not valid there: a copied badge
//! (bound to another domain), a forged or broken token, a suspended or revoked badge, an
//! unknown serial. Tokens are read by `domain::badge` alone. The caller hands in the badges as
//! plain data ([`BadgeBook`]), loaded once per sweep.

use crate::extract::Extracted;
use domain::address::bare_host;
use domain::badge::{self as token, VerifyingKey};
use domain::{BadgeSerial, BadgeState, BadgeVerdict};
use std::collections::HashMap;
use url::Url;

/// What a sweep knows of the badges: the key they are signed with, the portal's host their
/// links point to, every issued badge's state and the sites enrolled (holding a badge that is
/// issued or suspended), by site key host.
#[derive(Debug, Clone)]
pub struct BadgeBook {
    pub key: VerifyingKey,
    /// Lower case, without port.
    pub portal_host: String,
    pub states: HashMap<BadgeSerial, BadgeState>,
    /// Site key host (no `www.`) → the badge it holds (issued or suspended): its homepage
    /// must show it.
    pub enrolled: HashMap<String, BadgeSerial>,
    /// Site key host → the latest badge ever issued for it (revoked ones too): a verdict on
    /// its homepage is recorded on that badge.
    pub held: HashMap<String, BadgeSerial>,
}

impl BadgeBook {
    /// The badge the site of `host` holds, if it is enrolled.
    pub fn enrolled_badge(&self, host: &str) -> Option<BadgeSerial> {
        let h = host.trim_end_matches('.').to_ascii_lowercase();
        self.enrolled.get(bare_host(&h)).copied()
    }

    /// The latest badge ever issued for the site of `host`, revoked ones included.
    pub fn held_badge(&self, host: &str) -> Option<BadgeSerial> {
        let h = host.trim_end_matches('.').to_ascii_lowercase();
        self.held.get(bare_host(&h)).copied()
    }
}

/// A page's badge verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeOnPage {
    pub verdict: BadgeVerdict,
    /// The badge link the verdict is about (none when missing).
    pub href: Option<String>,
    /// The verdict is about the page's own site's badge (the homepage of a site a badge was
    /// issued for).
    pub enrolled: bool,
}

/// The token of a wangjian badge link (`https://PORTAL/badge/verify?token=…`), if `href` is one.
fn badge_link(href: &str, base: Option<&Url>, portal_host: &str) -> Option<(Url, String)> {
    let url = match base {
        Some(b) => b.join(href.trim()).ok()?,
        None => Url::parse(href.trim()).ok()?,
    };
    let host = url.host_str()?.trim_end_matches('.');
    if !host.eq_ignore_ascii_case(portal_host) || !url.path().starts_with("/badge/verify") {
        return None;
    }
    let token = url
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    Some((url, token))
}

fn verdict_of(book: &BadgeBook, token_text: &str, page_host: &str) -> BadgeVerdict {
    let Ok(payload) = token::verify(token_text, &book.key) else {
        return BadgeVerdict::BadSignature;
    };
    if !payload.bound_to(page_host) {
        return BadgeVerdict::OtherDomain;
    }
    match book.states.get(&payload.serial) {
        None => BadgeVerdict::UnknownSerial,
        Some(BadgeState::Issued) => BadgeVerdict::Valid,
        Some(BadgeState::Suspended) => BadgeVerdict::Suspended,
        Some(_) => BadgeVerdict::Revoked,
    }
}

/// The badge verdict of a page at `page_url`: for an enrolled site's homepage (`is_home`, at
/// `/`) always one (the best badge link on it, or `Missing`); for any other page only when it
/// carries a wangjian badge link that is not valid there.
pub fn check(
    page: &Extracted,
    page_url: &str,
    is_home: bool,
    book: &BadgeBook,
) -> Option<BadgeOnPage> {
    let base = Url::parse(page_url.trim()).ok();
    let page_host = base
        .as_ref()
        .and_then(Url::host_str)
        .unwrap_or("")
        .to_string();
    // A badge is bound to a whole domain: its place is the domain's root page (a platform
    // shop's main page under a path is not the platform's homepage).
    let root = base.as_ref().is_some_and(|u| u.path() == "/");
    let enrolled = is_home && root && book.enrolled_badge(&page_host).is_some();
    let own = is_home && root && book.held_badge(&page_host).is_some();
    let mut worst: Option<BadgeOnPage> = None;
    let mut valid = None;
    for l in &page.links {
        let Some((_, token_text)) = badge_link(&l.href, base.as_ref(), &book.portal_host) else {
            continue;
        };
        let verdict = verdict_of(book, &token_text, &page_host);
        let found = BadgeOnPage {
            verdict,
            href: Some(l.href.clone()),
            enrolled: own,
        };
        if verdict == BadgeVerdict::Valid {
            valid.get_or_insert(found);
        } else {
            worst.get_or_insert(found);
        }
    }
    match (worst, valid) {
        // A page showing another site's badge is a copy, even beside its own.
        (Some(bad), _) => Some(bad),
        (None, Some(ok)) if own => Some(ok),
        (None, Some(_)) => None,
        (None, None) if enrolled => Some(BadgeOnPage {
            verdict: BadgeVerdict::Missing,
            href: None,
            enrolled,
        }),
        (None, None) => None,
    }
}
