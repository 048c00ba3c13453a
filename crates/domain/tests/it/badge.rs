//! Badge tokens: a round trip, a tampered signature, another key, the binding to a site
//! (a bare domain and its `www.` name are one site), and the state machine.

use chrono::{TimeZone, Utc};
use domain::badge::{self, Payload, TokenProblem};
use domain::{BadgeAction, BadgeSerial, BadgeState};
use ed25519_dalek::SigningKey;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn payload() -> Payload {
    Payload::new(
        BadgeSerial(12),
        "91450100MA5KXXXX0X",
        "WWW.Shop.Example.",
        Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap(),
    )
}

#[test]
fn round_trip() {
    let k = key(1);
    let p = payload();
    assert_eq!(p.domain, "shop.example");
    let token = badge::sign(&p, &k);
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')));
    assert_eq!(badge::verify(&token, &k.verifying_key()), Ok(p));
}

#[test]
fn tampered_signature_and_payload() {
    let k = key(1);
    let token = badge::sign(&payload(), &k);
    let (body, sig) = token.split_once('.').unwrap();
    // One character of the signature changed.
    let mut bad = sig.as_bytes().to_vec();
    bad[3] = if bad[3] == b'A' { b'B' } else { b'A' };
    let forged = format!("{body}.{}", String::from_utf8(bad).unwrap());
    assert_eq!(
        badge::verify(&forged, &k.verifying_key()),
        Err(TokenProblem::BadSignature)
    );
    // Another domain's payload with the first signature.
    let other = Payload::new(
        BadgeSerial(12),
        "91450100MA5KXXXX0X",
        "copy.example",
        payload().issued_at,
    );
    let other = badge::sign(&other, &k);
    let spliced = format!("{}.{sig}", other.split_once('.').unwrap().0);
    assert_eq!(
        badge::verify(&spliced, &k.verifying_key()),
        Err(TokenProblem::BadSignature)
    );
    // Signed by another key.
    assert_eq!(
        badge::verify(&badge::sign(&payload(), &key(2)), &k.verifying_key()),
        Err(TokenProblem::BadSignature)
    );
    for junk in ["", "abc", "a.b", "....", &"x".repeat(600)] {
        assert_eq!(
            badge::verify(junk, &k.verifying_key()),
            Err(TokenProblem::Malformed),
            "{junk}"
        );
    }
}

#[test]
fn bound_to_one_site() {
    let p = payload();
    assert!(p.bound_to("shop.example"));
    assert!(p.bound_to("www.shop.example"));
    assert!(p.bound_to("SHOP.example."));
    assert!(!p.bound_to("copy.example"));
    assert!(!p.bound_to("www2.shop.example"));
    assert!(!p.bound_to("evilshop.example"));
}

#[test]
fn public_key_text_round_trip() {
    let k = key(7).verifying_key();
    let text = badge::public_key_text(&k);
    assert_eq!(badge::parse_public_key(&text), Some(k));
    assert_eq!(badge::parse_public_key("not a key"), None);
}

#[test]
fn serials_and_states() {
    assert_eq!(BadgeSerial(12).to_string(), "WJB00000012");
    assert_eq!(
        "WJB00000012".parse::<BadgeSerial>().unwrap(),
        BadgeSerial(12)
    );
    assert_eq!("12".parse::<BadgeSerial>().unwrap(), BadgeSerial(12));
    assert!("WJB".parse::<BadgeSerial>().is_err());
    assert!("WJB-1".parse::<BadgeSerial>().is_err());
    assert!("0".parse::<BadgeSerial>().is_err());

    use BadgeAction as A;
    use BadgeState as S;
    assert_eq!(S::Applied.after(A::Prove), Ok(S::Proven));
    assert_eq!(S::Proven.after(A::Issue), Ok(S::Issued));
    assert!(S::Applied.after(A::Issue).is_err());
    assert_eq!(S::Issued.after(A::Suspend), Ok(S::Suspended));
    assert_eq!(S::Suspended.after(A::Reinstate), Ok(S::Issued));
    assert_eq!(S::Suspended.after(A::Revoke), Ok(S::Revoked));
    assert!(S::Revoked.after(A::Reinstate).is_err());
    assert!(S::Issued.after(A::Reinstate).is_err());
    assert!(S::Refused.after(A::Issue).is_err());
}
