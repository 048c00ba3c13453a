//! The casework procedure as closed types (`../shared/spec/casework.md`): a clue's state and
//! source, why a clue is not verified, a case's stage with the one transition function that
//! moves it, the kinds of outcome a case ends in, and the causes of an abnormal-operation
//! listing. Codes are stored and exported; titles are the console's Chinese words.
//!
//! Time limits are not here: they are configuration (`casework::Limits`).

use crate::entity::UnknownCode;
use crate::taxonomy::Category;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A closed enum with a stable code, a Chinese title, `ALL`, `Display` (the code) and
/// `FromStr` (the code or the title); serde writes the code.
macro_rules! coded {
    (
        $(#[$doc:meta])* $name:ident, $what:literal {
            $($(#[$vdoc:meta])* $variant:ident => $code:literal, $title:literal;)*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stored and command-line code.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }

            /// The name shown to people.
            pub fn title(self) -> &'static str {
                match self { $($name::$variant => $title,)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.code() == s || v.title() == s || v.code().replace('_', "-") == s)
                    .ok_or_else(|| UnknownCode {
                        what: $what,
                        value: s.to_string(),
                        expected: concat!($($code, " "),*),
                    })
            }
        }
    };
}
pub(crate) use coded;

coded! {
    /// Where a clue stands. `New` and `Dispatched` and `Verified` are open; the others are
    /// closed (a verified clue closes when its case opens).
    ClueState, "clue state" {
        /// Not yet sent to a district (the city dispatches it).
        New => "new", "待派发";
        /// Sent to a district, which verifies it by its deadline.
        Dispatched => "dispatched", "已派发";
        /// The district verified a violation: a case may be opened.
        Verified => "verified", "已核实";
        /// A case was opened from it.
        CaseOpened => "case_opened", "已立案";
        /// Verified and not opened, with a [`NotVerifiedReason`].
        NotVerified => "not_verified", "不予立案";
        /// Handed to the competent authority (移送).
        Transferred => "transferred", "已移送";
    }
}

impl ClueState {
    /// Whether the clue is still being worked (findings may join it, deadlines run).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ClueState::New | ClueState::Dispatched | ClueState::Verified
        )
    }

    /// The open states, as stored.
    pub const OPEN: [ClueState; 3] = [ClueState::New, ClueState::Dispatched, ClueState::Verified];
}

coded! {
    /// Where a clue came from.
    ClueSource, "clue source" {
        /// A sweep's findings (网络监测).
        Monitoring => "monitoring", "网络监测";
        /// Made by a person from findings they chose.
        Manual => "manual", "人工";
        /// A complaint (投诉).
        Complaint => "complaint", "投诉";
        /// A report (举报) or another department's referral.
        Referral => "referral", "部门移送";
        /// Assigned by a higher-level bureau (上级交办).
        Assignment => "assignment", "上级交办";
        /// A field inspection (现场检查).
        Field => "field", "现场检查";
    }
}

coded! {
    /// Why a verified clue is not opened as a case.
    NotVerifiedReason, "reason" {
        NoViolation => "no_violation", "无违法事实";
        InsufficientEvidence => "insufficient_evidence", "证据不足";
        /// A minor first violation corrected in time (首违不罚).
        FirstMinorCorrected => "first_minor_corrected", "首违不罚";
        /// Past the limitation period.
        TimeBarred => "time_barred", "超过追责时效";
    }
}

coded! {
    /// A case's stage. Only [`CaseStage::next`] moves it forward, one stage at a time.
    CaseStage, "case stage" {
        /// Opened (立案).
        Registered => "registered", "已立案";
        /// Under investigation by at least two officers (调查取证).
        Investigating => "investigating", "调查中";
        /// Decided (作出决定).
        Decided => "decided", "已决定";
        /// Closed (结案).
        Closed => "closed", "已结案";
    }
}

/// A stage change that the procedure does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// A closed case has no next stage (reopen it instead).
    #[error("a closed case has no next stage")]
    AlreadyClosed,
    /// Only a decided or closed case can be reopened.
    #[error("a case at stage {0} cannot be reopened")]
    NotReopenable(CaseStage),
    /// The stage asked for is not the one after the current stage.
    #[error("a case at stage {from} cannot move to {to}")]
    Skip { from: CaseStage, to: CaseStage },
}

impl CaseStage {
    /// The stage after this one; stages cannot be skipped.
    pub fn next(self) -> Result<CaseStage, TransitionError> {
        match self {
            CaseStage::Registered => Ok(CaseStage::Investigating),
            CaseStage::Investigating => Ok(CaseStage::Decided),
            CaseStage::Decided => Ok(CaseStage::Closed),
            CaseStage::Closed => Err(TransitionError::AlreadyClosed),
        }
    }

    /// Moves to `to` when it is the next stage; else the refusal.
    pub fn advance_to(self, to: CaseStage) -> Result<CaseStage, TransitionError> {
        match self.next()? {
            n if n == to => Ok(n),
            _ => Err(TransitionError::Skip { from: self, to }),
        }
    }

    /// Back to investigation (a reopened case, a failed re-check): from decided or closed.
    pub fn reopen(self) -> Result<CaseStage, TransitionError> {
        match self {
            CaseStage::Decided | CaseStage::Closed => Ok(CaseStage::Investigating),
            other => Err(TransitionError::NotReopenable(other)),
        }
    }

    /// Whether outcomes may be recorded at this stage (during investigation and after the
    /// decision; not before investigating, not once closed).
    pub fn takes_outcomes(self) -> bool {
        matches!(self, CaseStage::Investigating | CaseStage::Decided)
    }
}

coded! {
    /// What a case ends in; several per case where the law allows.
    OutcomeKind, "outcome kind" {
        /// Administrative penalty (行政处罚): decision number, legal basis, fine, confiscation.
        Penalty => "penalty", "行政处罚";
        /// Order to correct by a deadline (责令整改), re-checked by a new crawl.
        Rectification => "rectification", "责令整改";
        /// Referral to a licensing or other competent department (移送).
        Referral => "referral", "移送";
        /// Administrative-guidance warning (行政指导·提醒告诫).
        Warning => "warning", "提醒告诫";
        /// Listing in the abnormal-operations list (列入经营异常名录).
        AbnormalListing => "abnormal_listing", "列入经营异常名录";
        /// Dismissal (不予处罚/撤销立案) with its reason.
        Dismissal => "dismissal", "不予处罚";
    }
}

coded! {
    /// Why an entity is listed for abnormal operations (SAIC Order No. 68 of 2014, Art. 4).
    ListingCause, "listing cause" {
        /// The annual report was not filed in time.
        NoAnnualReport => "no_annual_report", "未按规定报送年度报告";
        /// Required information was not published in time.
        InformationNotPublished => "information_not_published", "未按规定公示即时信息";
        /// Published information was false.
        FalseInformation => "false_information", "公示信息隐瞒真实情况、弄虚作假";
        /// Not contactable at the registered address.
        NotContactable => "not_contactable", "通过登记的住所无法联系";
    }
}

/// The category group of a category: the part of its code before the first '.' (`ad`,
/// `license`, `food`, …). Clues group findings by site, category group and time window.
pub fn category_group(c: Category) -> &'static str {
    let code = c.code();
    code.split_once('.').map_or(code, |(g, _)| g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_titles_round_trip() {
        fn check<T: Copy + PartialEq + fmt::Debug + FromStr + fmt::Display + Serialize>(
            all: &[T],
            title: fn(T) -> &'static str,
        ) {
            for &v in all {
                let code = v.to_string();
                assert_eq!(code.parse::<T>().ok(), Some(v));
                assert_eq!(title(v).parse::<T>().ok(), Some(v));
                assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{code}\""));
            }
            assert!("nonsense".parse::<T>().is_err());
        }
        check(ClueState::ALL, ClueState::title);
        check(ClueSource::ALL, ClueSource::title);
        check(NotVerifiedReason::ALL, NotVerifiedReason::title);
        check(CaseStage::ALL, CaseStage::title);
        check(OutcomeKind::ALL, OutcomeKind::title);
        check(ListingCause::ALL, ListingCause::title);
        assert_eq!(
            "abnormal-listing".parse::<OutcomeKind>(),
            Ok(OutcomeKind::AbnormalListing)
        );
    }

    #[test]
    fn stages_move_one_at_a_time() {
        use CaseStage::*;
        assert_eq!(Registered.next(), Ok(Investigating));
        assert_eq!(Investigating.next(), Ok(Decided));
        assert_eq!(Decided.next(), Ok(Closed));
        assert_eq!(Closed.next(), Err(TransitionError::AlreadyClosed));
        assert_eq!(
            Registered.advance_to(Decided),
            Err(TransitionError::Skip {
                from: Registered,
                to: Decided
            })
        );
        assert_eq!(Investigating.advance_to(Decided), Ok(Decided));
        assert_eq!(Closed.reopen(), Ok(Investigating));
        assert_eq!(Decided.reopen(), Ok(Investigating));
        assert_eq!(
            Registered.reopen(),
            Err(TransitionError::NotReopenable(Registered))
        );
        assert!(!Registered.takes_outcomes() && !Closed.takes_outcomes());
    }

    #[test]
    fn open_states_and_groups() {
        assert!(ClueState::Dispatched.is_open());
        assert!(!ClueState::CaseOpened.is_open());
        assert_eq!(category_group(Category::AdAbsoluteTerm), "ad");
        assert_eq!(category_group(Category::LicenseNotDisplayed), "license");
    }
}
