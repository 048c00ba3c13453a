//! Complaints (投诉) and reports (举报) as closed types (`../shared/spec/casework.md`): what a
//! submission asks for, where it stands with the one transition function that moves it
//! ([`ComplaintState::after`]), the outcome published to the complainant, and the tracking
//! number the public follows it by.
//!
//! ```text
//! received ──accept──▶ accepted ──mediate──▶ mediating ──agreed──▶ mediated
//!    │                    │                      └──────failed──▶ mediation_failed
//!    └──refuse──▶ refused │  (a report, or one that is both, from accepted, mediated or
//!                         │   mediation_failed) ──verify──▶ verified | not_verified
//!                         └── … ──close (outcome published)──▶ closed
//! ```
//!
//! Time limits are configuration (`casework::Limits`), not here.

use crate::casework::coded;
use crate::entity::UnknownCode;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

coded! {
    /// What a submission asks for: a consumer dispute resolved (投诉), a violation
    /// investigated (举报), or both.
    ComplaintKind, "complaint kind" {
        Complaint => "complaint", "投诉";
        Report => "report", "举报";
        Both => "both", "投诉并举报";
    }
}

impl ComplaintKind {
    /// Whether a consumer dispute is to be resolved (mediation applies).
    pub fn has_complaint(self) -> bool {
        matches!(self, ComplaintKind::Complaint | ComplaintKind::Both)
    }

    /// Whether a violation is reported (a clue, verified within its limit).
    pub fn has_report(self) -> bool {
        matches!(self, ComplaintKind::Report | ComplaintKind::Both)
    }
}

coded! {
    /// How a complaint came in.
    ComplaintChannel, "complaint channel" {
        /// The public portal's form.
        Portal => "portal", "网上投诉";
        /// The hotline (12315), entered by staff.
        Hotline => "hotline", "热线电话";
    }
}

coded! {
    /// Where a complaint stands. `Refused` and `Closed` are final; the outcome is published
    /// with either.
    ComplaintState, "complaint state" {
        /// Registered, waiting to be accepted or refused.
        Received => "received", "已登记";
        /// Accepted (受理).
        Accepted => "accepted", "已受理";
        /// Not accepted (不予受理), with the reason published.
        Refused => "refused", "不予受理";
        /// Under mediation (调解中).
        Mediating => "mediating", "调解中";
        /// Mediation reached an agreement.
        Mediated => "mediated", "调解成功";
        /// Mediation ended without agreement (终止调解).
        MediationFailed => "mediation_failed", "终止调解";
        /// The reported violation was verified.
        Verified => "verified", "举报属实";
        /// The reported violation was not verified.
        NotVerified => "not_verified", "举报不实";
        /// Handled, the outcome published (办结).
        Closed => "closed", "已办结";
    }
}

coded! {
    /// The outcome published to the complainant.
    ComplaintOutcome, "complaint outcome" {
        /// Mediation reached an agreement.
        Mediated => "mediated", "调解达成协议";
        /// Mediation ended without agreement: the complainant may go to arbitration or court.
        NotMediated => "not_mediated", "调解未达成协议";
        /// A case was opened on the reported violation.
        CaseOpened => "case_opened", "已立案查处";
        /// The violation was verified and corrected without a case.
        Corrected => "corrected", "已责令改正";
        /// No violation was found.
        NoViolation => "no_violation", "未发现违法行为";
        /// Handed to the competent authority.
        Transferred => "transferred", "已移送有关部门";
        /// Not accepted, with the reason.
        Refused => "refused", "不予受理";
    }
}

/// A step on a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStep {
    Accept,
    Refuse,
    StartMediation,
    /// Mediation ends: agreed or not.
    EndMediation {
        agreed: bool,
    },
    /// A report's verification: found or not.
    Verify {
        found: bool,
    },
    Close,
}

impl ComplaintStep {
    /// The step's code, the audit row's and the history's action.
    pub fn code(self) -> &'static str {
        match self {
            ComplaintStep::Accept => "accept",
            ComplaintStep::Refuse => "refuse",
            ComplaintStep::StartMediation => "mediate",
            ComplaintStep::EndMediation { .. } => "end_mediation",
            ComplaintStep::Verify { .. } => "verify",
            ComplaintStep::Close => "close",
        }
    }
}

impl fmt::Display for ComplaintStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A step that a complaint's state or kind does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {kind} complaint that is {state} cannot take the step {step}")]
pub struct ComplaintTransitionError {
    pub kind: ComplaintKind,
    pub state: ComplaintState,
    pub step: ComplaintStep,
}

impl ComplaintState {
    /// Whether the complaint is still being handled (deadlines run, it may be dispatched).
    pub fn is_open(self) -> bool {
        !matches!(self, ComplaintState::Refused | ComplaintState::Closed)
    }

    /// Whether a report's verification is still to be done in this state.
    pub fn awaits_verification(self) -> bool {
        matches!(
            self,
            ComplaintState::Received
                | ComplaintState::Accepted
                | ComplaintState::Mediating
                | ComplaintState::Mediated
                | ComplaintState::MediationFailed
        )
    }

    /// The state after `step` on a complaint of `kind`, or why the step is refused. This is
    /// the only way a complaint's state changes.
    pub fn after(
        self,
        kind: ComplaintKind,
        step: ComplaintStep,
    ) -> Result<ComplaintState, ComplaintTransitionError> {
        use ComplaintState::*;
        let refused = ComplaintTransitionError {
            kind,
            state: self,
            step,
        };
        match (self, step) {
            (Received, ComplaintStep::Accept) => Ok(Accepted),
            (Received, ComplaintStep::Refuse) => Ok(Refused),
            (Accepted, ComplaintStep::StartMediation) if kind.has_complaint() => Ok(Mediating),
            (Mediating, ComplaintStep::EndMediation { agreed: true }) => Ok(Mediated),
            (Mediating, ComplaintStep::EndMediation { agreed: false }) => Ok(MediationFailed),
            (Accepted | Mediated | MediationFailed, ComplaintStep::Verify { found })
                if kind.has_report() =>
            {
                Ok(if found { Verified } else { NotVerified })
            }
            // A report is closed only once verified; a complaint once accepted and not in
            // the middle of a mediation.
            (Verified | NotVerified, ComplaintStep::Close) => Ok(Closed),
            (Accepted | Mediated | MediationFailed, ComplaintStep::Close) if !kind.has_report() => {
                Ok(Closed)
            }
            _ => Err(refused),
        }
    }
}

/// The Crockford base32 alphabet (no I, L, O, U).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A complaint's tracking number (查询码): `TS` and the day of receipt, then 12 Crockford
/// base32 characters (60 random bits) in three groups, `TS20261205-7K3M-Q9XD-2HWA`. It is
/// unguessable, stored in this canonical form, and read case-insensitively (hyphens and
/// spaces optional, `I`/`L` read as `1` and `O` as `0`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TrackingNumber(String);

/// A text that is not a tracking number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a tracking number")]
pub struct TrackingNumberError;

impl TrackingNumber {
    /// The random characters of a number.
    pub const RANDOM_CHARS: usize = 12;

    /// The number of a complaint received on `day` with `random` bits (only the low 60 are
    /// used).
    pub fn new(day: NaiveDate, random: u64) -> TrackingNumber {
        let mut chars = String::with_capacity(Self::RANDOM_CHARS + 2);
        for i in 0..Self::RANDOM_CHARS {
            let shift = 5 * (Self::RANDOM_CHARS - 1 - i);
            let c = CROCKFORD[((random >> shift) & 31) as usize] as char;
            if i > 0 && i % 4 == 0 {
                chars.push('-');
            }
            chars.push(c);
        }
        TrackingNumber(format!("TS{}-{chars}", day.format("%Y%m%d")))
    }

    /// Reads a number as a person types it.
    pub fn parse(s: &str) -> Result<TrackingNumber, TrackingNumberError> {
        let mut compact = String::new();
        for c in s.trim().chars() {
            match c {
                '-' | ' ' => {}
                c if c.is_ascii_alphanumeric() => compact.push(c.to_ascii_uppercase()),
                _ => return Err(TrackingNumberError),
            }
        }
        let rest = compact.strip_prefix("TS").ok_or(TrackingNumberError)?;
        if rest.len() != 8 + Self::RANDOM_CHARS {
            return Err(TrackingNumberError);
        }
        let (day, random) = rest.split_at(8);
        let day = NaiveDate::parse_from_str(day, "%Y%m%d").map_err(|_| TrackingNumberError)?;
        let mut bits: u64 = 0;
        for c in random.chars() {
            let c = match c {
                'I' | 'L' => '1',
                'O' => '0',
                c => c,
            };
            let v = CROCKFORD
                .iter()
                .position(|&a| a as char == c)
                .ok_or(TrackingNumberError)?;
            bits = (bits << 5) | v as u64;
        }
        Ok(TrackingNumber::new(day, bits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TrackingNumber {
    type Err = TrackingNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrackingNumber::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers_round_trip_case_insensitively() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let n = TrackingNumber::new(day, 0x0FFF_FFFF_FFFF_FFFF);
        assert_eq!(n.as_str(), "TS20261205-ZZZZ-ZZZZ-ZZZZ");
        let n = TrackingNumber::new(day, 0x0123_4567_89AB_CDEF);
        assert_eq!(
            TrackingNumber::parse(&n.as_str().to_lowercase()),
            Ok(n.clone())
        );
        let compact = n.as_str().replace('-', "");
        assert_eq!(TrackingNumber::parse(&compact), Ok(n.clone()));
        assert_eq!(
            TrackingNumber::parse("ts20261205-oooo-llll-iiii")
                .unwrap()
                .as_str(),
            "TS20261205-0000-1111-1111"
        );
        for bad in [
            "",
            "TS20261205",
            "XX20261205-0000-0000-0000",
            "TS20261305-0000-0000-0000",
            "TS20261205-0000-0000-000U",
            "TS20261205-0000-0000-00000",
            "TS20261205-0000-0000-0<0>",
        ] {
            assert_eq!(
                TrackingNumber::parse(bad),
                Err(TrackingNumberError),
                "{bad}"
            );
        }
    }

    #[test]
    fn transitions_follow_the_kind() {
        use ComplaintKind::*;
        use ComplaintState::*;
        use ComplaintStep::*;
        assert_eq!(Received.after(Complaint, Accept), Ok(Accepted));
        assert_eq!(Received.after(Report, Refuse), Ok(Refused));
        assert_eq!(Accepted.after(Complaint, StartMediation), Ok(Mediating));
        assert!(Accepted.after(Report, StartMediation).is_err());
        assert_eq!(
            Mediating.after(Both, EndMediation { agreed: false }),
            Ok(MediationFailed)
        );
        assert_eq!(
            MediationFailed.after(Both, Verify { found: true }),
            Ok(Verified)
        );
        assert!(MediationFailed.after(Both, Close).is_err());
        assert!(Accepted.after(Complaint, Verify { found: true }).is_err());
        assert_eq!(Mediated.after(Complaint, Close), Ok(Closed));
        assert!(Accepted.after(Report, Close).is_err());
        assert_eq!(NotVerified.after(Report, Close), Ok(Closed));
        assert!(Mediating.after(Complaint, Close).is_err());
        for step in [Accept, Refuse, StartMediation, Close] {
            assert!(Closed.after(Both, step).is_err());
            assert!(Refused.after(Both, step).is_err());
        }
        assert!(!Closed.is_open() && !Refused.is_open() && Mediating.is_open());
    }
}
