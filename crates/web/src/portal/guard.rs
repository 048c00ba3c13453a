//! The public forms' guard: every form the portal accepts is read through [`PublicForm`],
//! which checks, before the handler sees a field,
//!
//! - that the browser did not post it from another site (`Sec-Fetch-Site`, `Origin`);
//! - a rate limit per client address: a token bucket in memory ([`GuardSettings::burst`]
//!   posts at once, refilled at [`GuardSettings::per_minute`]); the bucket is keyed by a keyed
//!   hash of the address (the process's random key), so not even memory holds the address, and
//!   it is never stored or logged. The address is the peer's, or the last hop of
//!   `X-Forwarded-For` when the peer is the transport's trusted proxy;
//! - the body's size ([`GuardSettings::form_limit`]) and form encoding;
//! - a hidden honeypot field ([`HONEYPOT_FIELD`]) that people leave empty;
//! - the challenge ([`Challenge`]): a stateless token signed with HMAC-SHA256 under a key drawn
//!   at start (forms served before a restart are refused, "please try again"), carrying a
//!   nonce, the time it was served and its expiry. Its question, a small sum or difference in
//!   words (readable by a screen reader), is derived from the nonce under the key, so the token
//!   does not carry the answer. The answer must be right, the token unexpired, unused (spent
//!   nonces are remembered until they expire) and the form not sent sooner than
//!   [`GuardSettings::min_fill`] after it was served. Together these stand in for a proof of
//!   work without any script or third-party service.
//!
//! A refused form is handed to the handler as [`Refused`] (the reason, and the fields when
//! they could be read) so it re-renders the form with the reason in words and a new challenge;
//! nothing is stored.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{ConnectInfo, FromRequest, Request};
use axum::http::{header, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use serde::de::DeserializeOwned;
use sha2::Sha256;

use super::lang::Lang;
use super::Portal;

/// The form field holding the challenge's token.
pub const TOKEN_FIELD: &str = "challenge";
/// The form field holding the answer to the challenge's question.
pub const ANSWER_FIELD: &str = "answer";
/// The hidden field people leave empty.
pub const HONEYPOT_FIELD: &str = "website";

/// The guard's limits (the `[portal]` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuardSettings {
    /// The largest form body accepted, in bytes (413 beyond).
    pub form_limit: usize,
    /// Posts one client address may make at once.
    pub burst: u32,
    /// Posts per minute a client address gets back.
    pub per_minute: u32,
    /// The shortest time between serving a form and accepting it.
    pub min_fill: Duration,
    /// How long a served form's challenge stays valid.
    pub challenge_ttl: Duration,
}

impl Default for GuardSettings {
    fn default() -> Self {
        GuardSettings {
            form_limit: 16 * 1024,
            burst: 5,
            per_minute: 2,
            min_fill: Duration::from_secs(2),
            challenge_ttl: Duration::from_secs(60 * 60),
        }
    }
}

/// Why a public form was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormRefusal {
    /// Posted from another site.
    CrossSite,
    /// Too many posts from this address; try again after this many seconds.
    TooMany { retry_after_secs: u64 },
    /// The body is larger than the limit (bytes).
    TooLarge { limit: usize },
    /// The body is no URL-encoded form, or a field is malformed.
    Malformed,
    /// The honeypot field was filled.
    Honeypot,
    /// No challenge token, or one not signed by this process (served before a restart, or forged).
    ChallengeInvalid,
    /// The token's time is over.
    ChallengeExpired,
    /// The token was used already.
    ChallengeReused,
    /// The form came back sooner than people can fill it.
    TooFast,
    /// The answer is wrong (or missing).
    WrongAnswer,
}

impl FormRefusal {
    /// The status the re-rendered form is answered with.
    pub fn status(self) -> StatusCode {
        match self {
            FormRefusal::CrossSite => StatusCode::FORBIDDEN,
            FormRefusal::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            FormRefusal::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// What the person is told.
    pub fn words(self, lang: Lang) -> String {
        match self {
            FormRefusal::CrossSite => lang
                .pick(
                    "拒绝来自其他网站的提交。请在本网站的页面上填写并提交。",
                    "Forms posted from other sites are refused. Please fill in the form on this site.",
                )
                .to_string(),
            FormRefusal::TooMany { retry_after_secs } => match lang {
                Lang::Zh => format!("提交过于频繁，请在 {retry_after_secs} 秒后重试。"),
                Lang::En => format!(
                    "Too many submissions from your connection; please try again in {retry_after_secs} seconds."
                ),
            },
            FormRefusal::TooLarge { limit } => match lang {
                Lang::Zh => format!("提交的内容过大（上限 {} KB），请精简后重试。", limit / 1024),
                Lang::En => format!(
                    "The form is too large (at most {} KB); please shorten it and try again.",
                    limit / 1024
                ),
            },
            FormRefusal::Malformed => lang
                .pick(
                    "表单内容无法识别，请在本页重新填写。",
                    "The form could not be read; please fill it in again on this page.",
                )
                .to_string(),
            FormRefusal::Honeypot => lang
                .pick(
                    "提交未被接受。请勿填写标注“请勿填写”的栏目。",
                    "The form was not accepted. Please leave the field marked “leave empty” blank.",
                )
                .to_string(),
            FormRefusal::ChallengeInvalid => lang
                .pick(
                    "验证题已失效（页面可能在系统重启前打开），请回答下方的新题后重新提交。",
                    "The check question is no longer valid (the page may have been opened before a restart); please answer the new question below and submit again.",
                )
                .to_string(),
            FormRefusal::ChallengeExpired => lang
                .pick(
                    "验证题已过期，请回答下方的新题后重新提交。",
                    "The check question has expired; please answer the new question below and submit again.",
                )
                .to_string(),
            FormRefusal::ChallengeReused => lang
                .pick(
                    "该表单已提交过，请回答下方的新题后再提交。",
                    "This form was submitted already; please answer the new question below to submit again.",
                )
                .to_string(),
            FormRefusal::TooFast => lang
                .pick(
                    "提交过快，请核对内容，回答下方的新题后再提交。",
                    "The form was sent too quickly; please check it, answer the new question below and submit again.",
                )
                .to_string(),
            FormRefusal::WrongAnswer => lang
                .pick(
                    "验证题回答有误，请回答下方的新题（用阿拉伯数字作答）。",
                    "The answer to the check question is wrong; please answer the new question below (in digits).",
                )
                .to_string(),
        }
    }
}

/// A refused form: the reason, and the fields when they could be read (to fill the form again).
#[derive(Debug)]
pub struct Refused<T> {
    pub reason: FormRefusal,
    pub form: Option<T>,
}

/// A public form, read and checked (see the module's documentation): the fields when every
/// check held, else why not.
#[derive(Debug)]
pub struct PublicForm<T>(pub Result<T, Refused<T>>);

/// A challenge for a form page: the hidden token and its question in both languages. A form
/// template includes `portal/challenge.html`, which reads `challenge` and `lang`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub token: String,
    question_zh: String,
    question_en: String,
}

impl Challenge {
    /// The question in `lang` (a template hands its field in by reference).
    pub fn question(&self, lang: impl std::borrow::Borrow<Lang>) -> &str {
        lang.borrow().pick(&self.question_zh, &self.question_en)
    }
}

type HmacSha256 = Hmac<Sha256>;

/// The guard's runtime: the process's key, the spent nonces and the rate buckets.
pub(crate) struct Guard {
    settings: GuardSettings,
    key: [u8; 32],
    spent: Mutex<HashMap<[u8; 16], u64>>,
    buckets: Mutex<HashMap<[u8; 16], Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets kept before full ones are dropped.
const BUCKETS_KEPT: usize = 10_000;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

const ONES_ZH: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
const ONES_EN: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

impl Guard {
    pub(crate) fn new(settings: GuardSettings) -> Guard {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random source");
        Guard {
            settings,
            key,
            spent: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key).expect("any key length");
        for part in parts {
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// The question a nonce stands for: (zh, en, answer).
    fn question(&self, nonce: &[u8; 16]) -> (String, String, i64) {
        let h = self.mac(&[b"question", nonce]);
        let (mut a, mut b) = (1 + (h[0] % 9) as usize, 1 + (h[1] % 9) as usize);
        let plus = h[2] & 1 == 0;
        if !plus && a < b {
            std::mem::swap(&mut a, &mut b);
        }
        let (op_zh, op_en, answer) = if plus {
            ("加", "plus", (a + b) as i64)
        } else {
            ("减", "minus", a as i64 - b as i64)
        };
        (
            format!(
                "{}{}{}等于多少？（请用阿拉伯数字作答）",
                ONES_ZH[a], op_zh, ONES_ZH[b]
            ),
            format!(
                "What is {} {} {}? (Answer in digits.)",
                ONES_EN[a], op_en, ONES_EN[b]
            ),
            answer,
        )
    }

    /// A new challenge, served now.
    pub(crate) fn challenge(&self) -> Challenge {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).expect("the operating system's random source");
        let issued = now_ms();
        let expires = issued + self.settings.challenge_ttl.as_millis() as u64;
        let body = format!("{}.{issued}.{expires}", hex::encode(nonce));
        let sig = hex::encode(self.mac(&[b"token", body.as_bytes()]));
        let (question_zh, question_en, _) = self.question(&nonce);
        Challenge {
            token: format!("{body}.{sig}"),
            question_zh,
            question_en,
        }
    }

    /// Checks a token and its answer, spending the token whatever the verdict once its
    /// signature holds.
    fn check_challenge(&self, token: &str, answer: &str) -> Result<(), FormRefusal> {
        let parts: Vec<&str> = token.trim().split('.').collect();
        let [nonce_hex, issued, expires, sig] = parts[..] else {
            return Err(FormRefusal::ChallengeInvalid);
        };
        let body = format!("{nonce_hex}.{issued}.{expires}");
        let expected = self.mac(&[b"token", body.as_bytes()]);
        let sent = hex::decode(sig).map_err(|_| FormRefusal::ChallengeInvalid)?;
        if !people::secrets_equal(&hex::encode(expected), &hex::encode(&sent)) {
            return Err(FormRefusal::ChallengeInvalid);
        }
        let nonce: [u8; 16] = hex::decode(nonce_hex)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or(FormRefusal::ChallengeInvalid)?;
        let issued: u64 = issued.parse().map_err(|_| FormRefusal::ChallengeInvalid)?;
        let expires: u64 = expires.parse().map_err(|_| FormRefusal::ChallengeInvalid)?;
        let now = now_ms();
        if now >= expires {
            return Err(FormRefusal::ChallengeExpired);
        }
        {
            let mut spent = self.spent.lock().expect("spent nonces");
            spent.retain(|_, until| *until > now);
            if spent.insert(nonce, expires).is_some() {
                return Err(FormRefusal::ChallengeReused);
            }
        }
        if now.saturating_sub(issued) < self.settings.min_fill.as_millis() as u64 {
            return Err(FormRefusal::TooFast);
        }
        let (_, _, right) = self.question(&nonce);
        match parse_answer(answer) {
            Some(n) if n == right => Ok(()),
            _ => Err(FormRefusal::WrongAnswer),
        }
    }

    /// Takes one post from the address's bucket.
    fn take(&self, ip: IpAddr) -> Result<(), FormRefusal> {
        let ip_text = ip.to_string();
        let key: [u8; 16] = self.mac(&[b"address", ip_text.as_bytes()])[..16]
            .try_into()
            .expect("16 bytes");
        let burst = f64::from(self.settings.burst.max(1));
        let rate = f64::from(self.settings.per_minute) / 60.0;
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate buckets");
        let refill =
            |b: &Bucket| (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(burst);
        if buckets.len() >= BUCKETS_KEPT {
            buckets.retain(|_, b| refill(b) < burst);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let tokens = refill(bucket);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            let retry_after_secs = if rate > 0.0 {
                ((1.0 - tokens) / rate).ceil() as u64
            } else {
                3600
            };
            Err(FormRefusal::TooMany {
                retry_after_secs: retry_after_secs.max(1),
            })
        }
    }
}

/// An answer in ASCII or full-width digits, with an optional minus sign.
fn parse_answer(text: &str) -> Option<i64> {
    let folded: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '－' => '-',
            c => c,
        })
        .collect();
    folded.parse().ok()
}

/// The address a request counts against: the peer's, or the last `X-Forwarded-For` hop when
/// the peer is the trusted proxy.
fn client_ip(req: &Request, trusted_proxy: Option<IpAddr>) -> IpAddr {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if trusted_proxy != Some(peer) {
        return peer;
    }
    req.headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .and_then(|hop| hop.trim().parse().ok())
        .unwrap_or(peer)
}

/// Whether a browser says the form came from another site.
fn cross_site(req: &Request) -> bool {
    let h = req.headers();
    match h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => !matches!(site, "same-origin" | "none"),
        None => match h.get(header::ORIGIN) {
            None => false,
            Some(origin) => {
                let host = h.get(header::HOST).and_then(|v| v.to_str().ok());
                let origin_host = origin
                    .to_str()
                    .ok()
                    .and_then(|o| o.split_once("://"))
                    .map(|(_, rest)| rest.trim_end_matches('/'));
                host.is_none() || origin_host != host
            }
        },
    }
}

#[derive(serde::Deserialize)]
struct GuardFields {
    #[serde(rename = "challenge", default)]
    token: String,
    #[serde(default)]
    answer: String,
    #[serde(default)]
    website: String,
}

impl<T: DeserializeOwned + Send> FromRequest<Arc<Portal>> for PublicForm<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, portal: &Arc<Portal>) -> Result<Self, Self::Rejection> {
        let refuse = |reason, form| Ok(PublicForm(Err(Refused { reason, form })));
        if cross_site(&req) {
            return refuse(FormRefusal::CrossSite, None);
        }
        let guard = &portal.guard;
        let limited = guard.take(client_ip(&req, portal.state.transport.trusted_proxy));
        let limit = guard.settings.form_limit;
        let form_encoded = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| {
                t.split(';').next().is_some_and(|m| {
                    m.trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                })
            });
        let body = match axum::body::to_bytes(req.into_body(), limit).await {
            Ok(body) => body,
            Err(_) => {
                // Over the limit, or the connection broke: either way nothing is read.
                return refuse(
                    limited.err().unwrap_or(FormRefusal::TooLarge { limit }),
                    None,
                );
            }
        };
        let form: Option<T> = if form_encoded {
            serde_urlencoded::from_bytes(&body).ok()
        } else {
            None
        };
        if let Err(reason) = limited {
            return refuse(reason, form);
        }
        let (Some(form), Ok(fields)) = (form, serde_urlencoded::from_bytes::<GuardFields>(&body))
        else {
            return refuse(FormRefusal::Malformed, None);
        };
        if !fields.website.trim().is_empty() {
            return refuse(FormRefusal::Honeypot, None);
        }
        match guard.check_challenge(&fields.token, &fields.answer) {
            Ok(()) => Ok(PublicForm(Ok(form))),
            Err(reason) => refuse(reason, Some(form)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(min_fill: Duration) -> Guard {
        Guard::new(GuardSettings {
            min_fill,
            ..GuardSettings::default()
        })
    }

    fn answer_of(g: &Guard, token: &str) -> String {
        let nonce: [u8; 16] = hex::decode(token.split('.').next().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        g.question(&nonce).2.to_string()
    }

    #[test]
    fn a_challenge_is_answered_once() {
        let g = guard(Duration::ZERO);
        let c = g.challenge();
        assert!(c.question(Lang::Zh).contains("等于多少"));
        assert!(c.question(Lang::En).starts_with("What is "));
        let right = answer_of(&g, &c.token);
        assert_eq!(g.check_challenge(&c.token, &right), Ok(()));
        assert_eq!(
            g.check_challenge(&c.token, &right),
            Err(FormRefusal::ChallengeReused)
        );
        let c = g.challenge();
        let wrong = (answer_of(&g, &c.token).parse::<i64>().unwrap() + 1).to_string();
        assert_eq!(
            g.check_challenge(&c.token, &wrong),
            Err(FormRefusal::WrongAnswer)
        );
        // Another process's token, or a forged one, is refused.
        let other = guard(Duration::ZERO).challenge();
        assert_eq!(
            g.check_challenge(&other.token, "1"),
            Err(FormRefusal::ChallengeInvalid)
        );
        assert_eq!(
            g.check_challenge("", "1"),
            Err(FormRefusal::ChallengeInvalid)
        );
        let c = guard(Duration::from_secs(60)).challenge();
        assert_eq!(
            guard(Duration::ZERO).check_challenge(&c.token, "1"),
            Err(FormRefusal::ChallengeInvalid)
        );
        let g = guard(Duration::from_secs(60));
        let c = g.challenge();
        let right = answer_of(&g, &c.token);
        assert_eq!(
            g.check_challenge(&c.token, &right),
            Err(FormRefusal::TooFast)
        );
        assert_eq!(parse_answer(" １２ "), Some(12));
        assert_eq!(parse_answer("七"), None);
    }

    #[test]
    fn the_bucket_empties_and_is_per_address() {
        let g = Guard::new(GuardSettings {
            burst: 2,
            per_minute: 1,
            ..GuardSettings::default()
        });
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        assert_eq!(g.take(a), Ok(()));
        assert_eq!(g.take(a), Ok(()));
        assert!(matches!(
            g.take(a),
            Err(FormRefusal::TooMany { retry_after_secs }) if (1..=60).contains(&retry_after_secs)
        ));
        assert_eq!(g.take(b), Ok(()));
    }
}
