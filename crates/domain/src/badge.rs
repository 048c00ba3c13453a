//! The electronic license badge (亮照) as closed types, and its token: the one place a badge
//! token is written and read (`detect` and the `badge` crate both read tokens through here).
//!
//! A token is `<payload>.<signature>`, each base64url without padding (RFC 4648 §5), so it
//! goes in a URL query as it is. The payload is UTF-8 text, five lines joined by `\n`:
//!
//! ```text
//! wjb1
//! <serial, decimal>
//! <USCC>
//! <bound domain: the site key's host, lower case, without `www.`>
//! <issued at, seconds since 1970-01-01T00:00:00Z>
//! ```
//!
//! The signature is Ed25519 (RFC 8032) over the payload's bytes exactly as encoded, by the
//! bureau's badge key. A third party verifies a token offline with the published public key.
//! A bare domain and its `www.` name are one site ([`crate::address`]), so a badge bound to
//! `shop.example` is valid on `www.shop.example` too.

use crate::address::{bare_host, same_site_host};
use crate::casework::coded;
use crate::entity::UnknownCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer as _, Verifier as _};
/// The badge key's types (Ed25519), re-exported so that callers need no crypto crate.
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The payload's format tag.
pub const FORMAT: &str = "wjb1";

/// Where a merchant serves the proof token over its site (`/.well-known/wangjian-badge/TOKEN`).
pub const WELL_KNOWN_PREFIX: &str = "/.well-known/wangjian-badge/";

/// The DNS name (under the domain) whose TXT record holds the proof token.
pub const DNS_LABEL: &str = "_wangjian-badge";

/// The longest token [`verify`] reads (a longer text is malformed before any decoding).
pub const MAX_TOKEN_LEN: usize = 512;

/// A badge's serial number: its stable public number, shown as `WJB` and eight digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BadgeSerial(pub i64);

impl fmt::Display for BadgeSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WJB{:08}", self.0)
    }
}

impl FromStr for BadgeSerial {
    type Err = UnknownCode;
    /// `WJB00000012`, `wjb12` or `12`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits = t
            .get(..3)
            .filter(|p| p.eq_ignore_ascii_case("wjb"))
            .map_or(t, |_| &t[3..]);
        digits
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0 && digits.bytes().all(|b| b.is_ascii_digit()))
            .map(BadgeSerial)
            .ok_or_else(|| UnknownCode {
                what: "badge serial",
                value: t.to_string(),
                expected: "WJB and digits",
            })
    }
}

/// What a badge token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub serial: BadgeSerial,
    /// The holder's USCC, as the register holds it.
    pub uscc: String,
    /// The domain the badge is bound to: a site key's host (lower case, no `www.`).
    pub domain: String,
    /// Whole seconds.
    pub issued_at: DateTime<Utc>,
}

impl Payload {
    /// A payload for `domain`, which is reduced to its site key (lower case, `www.` dropped).
    pub fn new(serial: BadgeSerial, uscc: &str, domain: &str, issued_at: DateTime<Utc>) -> Self {
        let host = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        Payload {
            serial,
            uscc: uscc.trim().to_string(),
            domain: bare_host(&host).to_string(),
            issued_at: DateTime::from_timestamp(issued_at.timestamp(), 0).unwrap_or(issued_at),
        }
    }

    /// The payload's text, as signed.
    pub fn encode(&self) -> String {
        format!(
            "{FORMAT}\n{}\n{}\n{}\n{}",
            self.serial.0,
            self.uscc,
            self.domain,
            self.issued_at.timestamp()
        )
    }

    /// True when the badge is bound to the site `host` belongs to (`www.` ignored).
    pub fn bound_to(&self, host: &str) -> bool {
        same_site_host(&self.domain, host)
    }

    fn decode(text: &str) -> Result<Payload, TokenProblem> {
        let lines: Vec<&str> = text.split('\n').collect();
        let [tag, serial, uscc, domain, at] = lines[..] else {
            return Err(TokenProblem::Malformed);
        };
        if tag != FORMAT {
            return Err(TokenProblem::UnknownFormat);
        }
        let serial = serial
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or(TokenProblem::Malformed)?;
        let at = at
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or(TokenProblem::Malformed)?;
        let clean = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic());
        if !clean(uscc) || !clean(domain) {
            return Err(TokenProblem::Malformed);
        }
        Ok(Payload {
            serial: BadgeSerial(serial),
            uscc: uscc.to_string(),
            domain: domain.to_string(),
            issued_at: at,
        })
    }
}

/// Why a text is not a valid badge token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TokenProblem {
    /// Not two base64url parts, or a payload that is not five lines of the format.
    #[error("malformed badge token")]
    Malformed,
    /// A payload whose format tag is not `wjb1`.
    #[error("unknown badge token format")]
    UnknownFormat,
    /// The signature does not verify under the badge key.
    #[error("badge signature does not verify")]
    BadSignature,
}

/// Signs a payload: the token text.
pub fn sign(payload: &Payload, key: &SigningKey) -> String {
    let text = payload.encode();
    let signature = key.sign(text.as_bytes());
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(text.as_bytes()),
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

/// Reads a token: its payload when the signature verifies under `key`.
pub fn verify(token: &str, key: &VerifyingKey) -> Result<Payload, TokenProblem> {
    let token = token.trim();
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenProblem::Malformed);
    }
    let (payload, signature) = token.split_once('.').ok_or(TokenProblem::Malformed)?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenProblem::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenProblem::Malformed)?;
    let signature: [u8; 64] = signature.try_into().map_err(|_| TokenProblem::Malformed)?;
    let text = std::str::from_utf8(&payload).map_err(|_| TokenProblem::Malformed)?;
    let parsed = Payload::decode(text)?;
    key.verify(&payload, &Signature::from_bytes(&signature))
        .map_err(|_| TokenProblem::BadSignature)?;
    Ok(parsed)
}

/// The public key's text as published (base64url of its 32 bytes).
pub fn public_key_text(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

/// Reads a published public key (base64url or standard base64 of 32 bytes).
pub fn parse_public_key(text: &str) -> Option<VerifyingKey> {
    let t = text.trim();
    let bytes = URL_SAFE_NO_PAD
        .decode(t.trim_end_matches('='))
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(t))
        .ok()?;
    VerifyingKey::from_bytes(&bytes.try_into().ok()?).ok()
}

coded! {
    /// Where a badge (from its application on) stands.
    BadgeState, "badge state" {
        /// Applied for; control of the domain not proven yet (a failed proof stays here).
        Applied => "applied", "待验证";
        /// Control of the domain proven; waiting for staff review.
        Proven => "proven", "待审核";
        /// Issued by staff: the badge is valid.
        Issued => "issued", "有效";
        /// Suspended by a rule or by staff; may be reinstated.
        Suspended => "suspended", "暂停";
        /// Revoked: for good.
        Revoked => "revoked", "已撤销";
        /// The application was refused by staff.
        Refused => "refused", "不予发放";
    }
}

coded! {
    /// A step in a badge's life.
    BadgeAction, "badge action" {
        Prove => "prove", "验证域名";
        Issue => "issue", "发放";
        Refuse => "refuse", "不予发放";
        Suspend => "suspend", "暂停";
        Revoke => "revoke", "撤销";
        Reinstate => "reinstate", "恢复";
    }
}

/// A step that the badge's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a badge in state {from} cannot take the step {action}")]
pub struct BadgeTransitionError {
    pub from: BadgeState,
    pub action: BadgeAction,
}

impl BadgeState {
    /// The state after `action`, or why it is not allowed.
    pub fn after(self, action: BadgeAction) -> Result<BadgeState, BadgeTransitionError> {
        use BadgeAction as A;
        use BadgeState as S;
        match (self, action) {
            (S::Applied, A::Prove) => Ok(S::Proven),
            (S::Proven, A::Issue) => Ok(S::Issued),
            (S::Applied | S::Proven, A::Refuse) => Ok(S::Refused),
            (S::Issued, A::Suspend) => Ok(S::Suspended),
            (S::Issued | S::Suspended, A::Revoke) => Ok(S::Revoked),
            (S::Suspended, A::Reinstate) => Ok(S::Issued),
            (from, action) => Err(BadgeTransitionError { from, action }),
        }
    }

    /// A badge was issued: it has a token and is checked during sweeps.
    pub fn was_issued(self) -> bool {
        matches!(
            self,
            BadgeState::Issued | BadgeState::Suspended | BadgeState::Revoked
        )
    }
}

coded! {
    /// How a merchant proves control of the domain.
    ProofMethod, "proof method" {
        /// A file at `/.well-known/wangjian-badge/TOKEN` on the site, holding the token.
        WellKnown => "well_known", "网站文件";
        /// A DNS TXT record `_wangjian-badge.<domain>` holding the token.
        DnsTxt => "dns_txt", "DNS TXT 记录";
    }
}

coded! {
    /// The result of a proof attempt.
    ProofResult, "proof result" {
        /// The token was found where it belongs.
        Proven => "proven", "验证通过";
        /// The site could not be reached (refused address, connection, timeout).
        Unreachable => "unreachable", "网站无法访问";
        /// The well-known file is not there (404 or another status).
        NotFound => "not_found", "未找到验证文件";
        /// The file (or record) is there but does not hold the token.
        WrongContent => "wrong_content", "内容与验证码不符";
        /// No TXT record under the name.
        DnsNoRecord => "dns_no_record", "未找到 DNS TXT 记录";
        /// The name server did not answer or failed.
        DnsFailed => "dns_failed", "DNS 查询失败";
    }
}

coded! {
    /// Why a badge is suspended or revoked.
    BadgeCause, "badge cause" {
        /// The entity's credit class is one whose class rule suspends badges (class D).
        CreditClass => "credit_class", "信用风险分类";
        /// A license problem: the entity is deregistered or revoked, or a permit expired.
        License => "license", "证照异常";
        /// The entity is on the list of abnormal operation.
        AbnormalListing => "abnormal_listing", "列入经营异常名录";
        /// A person's decision, with a reason.
        Staff => "staff", "人工决定";
    }
}

impl BadgeCause {
    /// Set by [`crate::badge`] rules (lifted by them once the cause is gone), not by a person.
    pub fn is_rule(self) -> bool {
        !matches!(self, BadgeCause::Staff)
    }
}

coded! {
    /// What a sweep found about a badge on an enrolled site's homepage, or about a wangjian
    /// badge link on any page.
    BadgeVerdict, "badge check" {
        /// Present, the signature verifies, bound to this site, in force.
        Valid => "valid", "有效";
        /// An enrolled site's homepage shows no wangjian badge.
        Missing => "missing", "未展示亮照";
        /// The token is not a token, or its signature does not verify.
        BadSignature => "bad_signature", "签名无效";
        /// The badge is bound to another domain (a copied badge).
        OtherDomain => "other_domain", "绑定其他域名";
        /// The badge is suspended.
        Suspended => "suspended", "亮照已暂停";
        /// The badge is revoked.
        Revoked => "revoked", "亮照已撤销";
        /// No badge was issued with this serial.
        UnknownSerial => "unknown_serial", "未知编号";
    }
}
