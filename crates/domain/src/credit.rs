//! Credit as closed types (`../shared/spec/credit.md`): the four risk classes an entity is
//! put in, the two dishonesty lists, why a listing ends, and where a credit-repair
//! application stands. Codes are stored and exported; titles are the console's Chinese words.
//!
//! The index system (indicators, weights, thresholds) is data, not here: `credit::IndexSystem`.

use crate::casework::coded;
use crate::entity::UnknownCode;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

coded! {
    /// An entity's credit risk class (企业信用风险分类): A low … D high. Ordered by risk, so
    /// `max` of two classes is the riskier.
    CreditClass, "credit class" {
        /// Low risk (信用风险低).
        A => "A", "A类（低风险）";
        /// General risk (信用风险一般).
        B => "B", "B类（一般风险）";
        /// Higher risk (信用风险较高).
        C => "C", "C类（较高风险）";
        /// High risk (信用风险高).
        D => "D", "D类（高风险）";
    }
}

coded! {
    /// The dishonesty lists an entity may be put on.
    ListKind, "credit list" {
        /// The list of abnormal operation (经营异常名录): at least class C while on it.
        Abnormal => "abnormal", "经营异常名录";
        /// The list of serious violations and dishonesty (严重违法失信名单): class D while on it.
        SeriousViolation => "serious_violation", "严重违法失信名单";
    }
}

coded! {
    /// Why a listing ended.
    RemovalReason, "removal reason" {
        /// The cause was corrected (e.g. the annual report filed, contact restored).
        Corrected => "corrected", "已改正";
        /// Credit repair was granted (信用修复).
        Repaired => "repaired", "信用修复";
        /// The listing period ran out (严重违法失信名单 after its term).
        Expired => "expired", "期满移出";
        /// The listing was wrong (依法撤销).
        Mistaken => "mistaken", "错误列入撤销";
    }
}

coded! {
    /// Where a credit-repair application stands.
    RepairState, "repair state" {
        /// Waiting for the bureau's decision.
        Pending => "pending", "待审核";
        /// Granted: the listing is removed with [`RemovalReason::Repaired`].
        Approved => "approved", "准予修复";
        /// Refused, with a reason.
        Refused => "refused", "不予修复";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_order_by_risk_and_round_trip() {
        assert!(CreditClass::A < CreditClass::D);
        assert_eq!(CreditClass::B.max(CreditClass::C), CreditClass::C);
        for c in CreditClass::ALL {
            assert_eq!(c.code().parse::<CreditClass>(), Ok(*c));
            assert_eq!(c.title().parse::<CreditClass>(), Ok(*c));
        }
        assert_eq!(
            "serious-violation".parse::<ListKind>(),
            Ok(ListKind::SeriousViolation)
        );
        assert!("E".parse::<CreditClass>().is_err());
    }
}
