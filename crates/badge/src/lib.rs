//! The electronic license badge (亮照, `docs/badge.md`): a merchant applies with its USCC, a
//! domain and a contact; proves control of the domain the way ACME does (a token served at
//! `/.well-known/wangjian-badge/TOKEN` over the site, fetched by the crawler under its address
//! policy, or a DNS TXT record `_wangjian-badge.<domain>`); staff review and issue; the badge is
//! a signed, domain-bound token (`domain::badge`) with a snippet to embed. Rules suspend badges
//! (class D by the index's class rule, license problems, the abnormal-operation list) and lift
//! their own suspensions once the cause is gone; staff suspend, revoke and reinstate.
//!
//! Every action is one function here, called by both the console (and the portal) and the
//! command line; refusals are [`BadgeError`], worded by the console in one place. Every change
//! goes through one store method with its audit row.
//! Must not: know HTTP requests of the console or portal, or write sentences for people.

pub mod key;
pub mod proof;
pub mod rules;

use chrono::{DateTime, Utc};
use domain::badge::{self as token, Payload, SigningKey, VerifyingKey};
use domain::{
    BadgeAction, BadgeCause, BadgeSerial, BadgeState, BadgeTransitionError, BadgeVerdict,
    CreditClass, EntityStatus, Permission, ProofMethod, Role, SiteAddress, SiteAddressProblem,
    TokenProblem, Uscc, UsccError,
};
use std::net::SocketAddr;
use std::sync::Arc;
use store::prelude::*;
use store::{Actor, Badge, BadgeChange, NewBadge, Scope, StoreError};

pub use key::{load_or_create_key, public_key, KEY_NAME};
pub use rules::{apply_rules, RulesReport};

/// The longest contact accepted (characters).
pub const MAX_CONTACT_CHARS: usize = 200;

/// Why a badge action was refused. Worded for people by the console (`badge_words.rs`).
#[derive(Debug, thiserror::Error)]
pub enum BadgeError {
    /// The USCC is not a valid code.
    #[error("invalid USCC: {0}")]
    BadUscc(#[from] UsccError),
    /// No entity with this USCC in the register.
    #[error("no registered entity with this USCC")]
    NotRegistered,
    /// The entity is deregistered.
    #[error("the entity is deregistered")]
    Deregistered,
    /// The domain is not a host name.
    #[error("invalid domain: {0}")]
    BadDomain(SiteAddressProblem),
    /// A path was given: a badge is bound to a whole domain.
    #[error("a badge is bound to a whole domain, not a path")]
    DomainPath,
    /// The contact is empty or too long.
    #[error("contact missing or too long")]
    BadContact,
    /// Another badge holds the domain (proven, issued or suspended).
    #[error("another badge holds this domain")]
    DomainHeld,
    /// The person may not act on badges.
    #[error("not permitted")]
    NotPermitted,
    /// No such badge (in the caller's scope), or no such tracking code.
    #[error("no such badge")]
    NotFound,
    /// The badge's state does not allow the step.
    #[error(transparent)]
    State(#[from] BadgeTransitionError),
    /// A suspension, revocation or refusal needs a reason.
    #[error("a reason is required")]
    NoReason,
    /// The badge changed meanwhile (another person's step came first).
    #[error("the badge changed meanwhile")]
    Changed,
    /// The signing key could not be read or created.
    #[error("badge key {path}: {message}")]
    Key { path: String, message: String },
    #[error(transparent)]
    Store(StoreError),
    /// The credit index in force cannot be read (rules).
    #[error(transparent)]
    Credit(#[from] credit::CreditError),
}

impl From<StoreError> for BadgeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => BadgeError::NotFound,
            StoreError::Conflict(m) if m.contains("held by") => BadgeError::DomainHeld,
            StoreError::Conflict(_) => BadgeError::Changed,
            e => BadgeError::Store(e),
        }
    }
}

/// How proofs reach sites and name servers, and where snippets link to.
#[derive(Debug, Clone)]
pub struct BadgeSettings {
    /// The portal's own base URL as merchants and the public reach it (`https://…`): the
    /// snippet links to its verification page and image.
    pub public_url: String,
    /// The name servers asked for TXT proofs (UDP); empty: the system's configuration.
    pub name_servers: Vec<SocketAddr>,
    /// The crawler's settings for the well-known fetch (its address policy applies).
    pub crawl: Arc<crawl::CrawlConfig>,
}

impl BadgeSettings {
    /// The host of the portal's public URL (the badge links' host).
    pub fn portal_host(&self) -> Option<String> {
        url::Url::parse(&self.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
    }
}

/// What an applicant gives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Application {
    pub uscc: String,
    pub domain: String,
    pub contact: String,
    pub method: Option<ProofMethod>,
}

/// Checks that a person (none: the command line) may act on badges.
pub fn require_badges(role: Option<Role>) -> Result<(), BadgeError> {
    match role {
        Some(r) if !r.may(Permission::Badges) => Err(BadgeError::NotPermitted),
        _ => Ok(()),
    }
}

/// The domain an applicant typed, as a site key's host (`www.` dropped, lower case).
pub fn parse_domain(text: &str) -> Result<String, BadgeError> {
    let a = SiteAddress::parse(text).map_err(|e| BadgeError::BadDomain(e.problem))?;
    if !a.path_prefix.is_empty() {
        return Err(BadgeError::DomainPath);
    }
    Ok(a.site_key().host)
}

fn random_text(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source works");
    hex::encode(buf)
}

/// Records an application: every field checked first, nothing stored when one is wrong. The
/// application gets a tracking code and a proof token (both random).
pub async fn apply(store: &dyn Store, app: &Application, by: &Actor) -> Result<Badge, BadgeError> {
    let uscc = Uscc::parse(&app.uscc)?;
    let domain = parse_domain(&app.domain)?;
    let contact = app.contact.trim();
    if contact.is_empty() || contact.chars().count() > MAX_CONTACT_CHARS {
        return Err(BadgeError::BadContact);
    }
    let entity = store
        .entity_by_uscc(Scope::City, uscc.as_str())
        .await?
        .ok_or(BadgeError::NotRegistered)?;
    if entity.input.status == EntityStatus::Deregistered {
        return Err(BadgeError::Deregistered);
    }
    let held = store
        .count_badges(
            Scope::City,
            &store::BadgeFilter {
                domain: Some(domain.clone()),
                ..Default::default()
            },
        )
        .await?;
    if held > 0 {
        let holders = store
            .badges(
                Scope::City,
                &store::BadgeFilter {
                    domain: Some(domain.clone()),
                    ..Default::default()
                },
            )
            .await?;
        if holders.iter().any(|b| {
            matches!(
                b.state,
                BadgeState::Proven | BadgeState::Issued | BadgeState::Suspended
            )
        }) {
            return Err(BadgeError::DomainHeld);
        }
    }
    let new = NewBadge {
        entity_id: entity.id,
        domain,
        contact: contact.to_string(),
        method: app.method.unwrap_or(ProofMethod::WellKnown),
        tracking: random_text(16),
        proof_token: random_text(24),
    };
    Ok(store.add_badge(Scope::City, &new, by).await?)
}

/// Tries the application's proof method now and records the result on it: `proven` moves it
/// on to staff review; any other result (unreachable, not found, wrong content, no DNS
/// record…) is stored and nothing else changes. The badge as it stands afterwards.
pub async fn prove(
    store: &dyn Store,
    settings: &BadgeSettings,
    serial: BadgeSerial,
    by: &Actor,
) -> Result<Badge, BadgeError> {
    let badge = store
        .badge(Scope::City, serial)
        .await?
        .ok_or(BadgeError::NotFound)?;
    badge.state.after(BadgeAction::Prove)?;
    let (result, detail) = proof::check(settings, &badge).await;
    Ok(store
        .record_badge_proof(serial, result, detail.as_deref(), by)
        .await?)
}

async fn step(
    store: &dyn Store,
    scope: Scope,
    role: Option<Role>,
    serial: BadgeSerial,
    action: BadgeAction,
    change: impl FnOnce(&Badge) -> BadgeChange,
    by: &Actor,
) -> Result<Badge, BadgeError> {
    let badge = store
        .badge(scope.clone(), serial)
        .await?
        .ok_or(BadgeError::NotFound)?;
    require_badges(role)?;
    badge.state.after(action)?;
    let change = change(&badge);
    Ok(store
        .change_badge(scope, serial, badge.state, &change, by)
        .await?)
}

fn reason(note: &str) -> Result<String, BadgeError> {
    let n = note.trim();
    if n.is_empty() {
        Err(BadgeError::NoReason)
    } else {
        Ok(n.to_string())
    }
}

/// Issues a proven application (staff): signs the badge token bound to its domain.
pub async fn issue(
    store: &dyn Store,
    key: &SigningKey,
    scope: Scope,
    role: Option<Role>,
    serial: BadgeSerial,
    now: DateTime<Utc>,
    by: &Actor,
) -> Result<Badge, BadgeError> {
    step(
        store,
        scope,
        role,
        serial,
        BadgeAction::Issue,
        |b| {
            let payload = Payload::new(b.serial, &b.uscc, &b.domain, now);
            BadgeChange::Issue {
                token: token::sign(&payload, key),
                issued_at: payload.issued_at,
            }
        },
        by,
    )
    .await
}

/// Refuses an application (staff), with a reason.
pub async fn refuse(
    store: &dyn Store,
    scope: Scope,
    role: Option<Role>,
    serial: BadgeSerial,
    note: &str,
    by: &Actor,
) -> Result<Badge, BadgeError> {
    let note = reason(note)?;
    step(
        store,
        scope,
        role,
        serial,
        BadgeAction::Refuse,
        |_| BadgeChange::Refuse { note },
        by,
    )
    .await
}

/// Suspends an issued badge (staff), with a reason.
pub async fn suspend(
    store: &dyn Store,
    scope: Scope,
    role: Option<Role>,
    serial: BadgeSerial,
    note: &str,
    by: &Actor,
) -> Result<Badge, BadgeError> {
    let note = reason(note)?;
    step(
        store,
        scope,
        role,
        serial,
        BadgeAction::Suspend,
        |_| BadgeChange::Suspend {
            cause: BadgeCause::Staff,
            note,
        },
        by,
    )
    .await
}

/// Revokes an issued or suspended badge for good (staff), with a reason.
pub async fn revoke(
    store: &dyn Store,
    scope: Scope,
    role: Option<Role>,
    serial: BadgeSerial,
    note: &str,
    by: &Actor,
) -> Result<Badge, BadgeError> {
    let note = reason(note)?;
    step(
        store,
        scope,
        role,
        serial,
        BadgeAction::Revoke,
        |_| BadgeChange::Revoke {
            cause: BadgeCause::Staff,
            note,
        },
        by,
    )
    .await
}

/// Reinstates a suspended badge (staff).
pub async fn reinstate(
    store: &dyn Store,
    scope: Scope,
    role: Option<Role>,
    serial: BadgeSerial,
    note: &str,
    by: &Actor,
) -> Result<Badge, BadgeError> {
    let note = note.trim().to_string();
    step(
        store,
        scope,
        role,
        serial,
        BadgeAction::Reinstate,
        |_| BadgeChange::Reinstate { note },
        by,
    )
    .await
}

/// What a merchant embeds: the HTML and its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The verification page of this badge (the link's target).
    pub verify_url: String,
    /// The badge image (SVG).
    pub image_url: String,
    /// `<a href="verify_url"><img src="image_url" alt="…"></a>`.
    pub html: String,
}

/// The snippet of an issued badge (none before it is issued).
pub fn snippet(settings: &BadgeSettings, badge: &Badge) -> Option<Snippet> {
    let token = badge.token.as_deref()?;
    let base = settings.public_url.trim_end_matches('/');
    let verify_url = format!("{base}/badge/verify?token={token}");
    let image_url = format!("{base}/badge/{}.svg", badge.serial);
    let html = format!(
        "<a class=\"wangjian-badge\" href=\"{verify_url}\" rel=\"noopener\">\
         <img src=\"{image_url}\" alt=\"亮照 电子标识 {serial}\" width=\"176\" height=\"56\"></a>",
        serial = badge.serial
    );
    Some(Snippet {
        verify_url,
        image_url,
        html,
    })
}

/// What the public verification page shows: no personal data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verification {
    pub serial: BadgeSerial,
    pub entity_name: String,
    pub uscc: String,
    pub domain: String,
    /// The entity's current credit class, when scored.
    pub class: Option<CreditClass>,
    pub state: BadgeState,
    pub issued_at: Option<DateTime<Utc>>,
    /// `valid`, `suspended` or `revoked` (an issued badge's standing).
    pub verdict: BadgeVerdict,
}

/// Why a verification cannot be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyProblem {
    /// The token is not a valid signed badge token.
    #[error(transparent)]
    Token(#[from] TokenProblem),
    /// No badge was issued under this serial (or the token is not the one issued).
    #[error("unknown badge")]
    Unknown,
}

/// What to verify: a token (the snippet's link) or a serial typed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyBy {
    Token(String),
    Serial(BadgeSerial),
}

/// The verification page's content.
pub async fn verification(
    store: &dyn Store,
    key: &VerifyingKey,
    by: &VerifyBy,
) -> Result<Result<Verification, VerifyProblem>, BadgeError> {
    let (serial, given) = match by {
        VerifyBy::Token(t) => match token::verify(t, key) {
            Ok(p) => (p.serial, Some(t.trim())),
            Err(e) => return Ok(Err(e.into())),
        },
        VerifyBy::Serial(s) => (*s, None),
    };
    let Some(b) = store.badge(Scope::City, serial).await? else {
        return Ok(Err(VerifyProblem::Unknown));
    };
    if !b.state.was_issued() || given.is_some_and(|t| b.token.as_deref() != Some(t)) {
        return Ok(Err(VerifyProblem::Unknown));
    }
    let class = store
        .credit_grade(Scope::City, b.entity_id)
        .await?
        .map(|g| g.class);
    let verdict = match b.state {
        BadgeState::Suspended => BadgeVerdict::Suspended,
        BadgeState::Revoked => BadgeVerdict::Revoked,
        _ => BadgeVerdict::Valid,
    };
    Ok(Ok(Verification {
        serial: b.serial,
        entity_name: b.entity_name,
        uscc: b.uscc,
        domain: b.domain,
        class,
        state: b.state,
        issued_at: b.issued_at,
        verdict,
    }))
}
