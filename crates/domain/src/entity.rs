//! What the register says about an entity beyond its identifiers: its legal form and its
//! status, as closed enums with stable codes (stored, exported and accepted on import), and
//! the dates registers write in several ways.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The legal form of a market entity (市场主体类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalForm {
    /// A company or other enterprise (企业).
    Enterprise,
    /// An individual business (个体工商户).
    Individual,
    /// A farmers' specialised cooperative (农民专业合作社).
    Cooperative,
    /// Registered by another authority (organs, civil affairs, …).
    Other,
}

impl LegalForm {
    pub const ALL: [LegalForm; 4] = [
        LegalForm::Enterprise,
        LegalForm::Individual,
        LegalForm::Cooperative,
        LegalForm::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            LegalForm::Enterprise => "enterprise",
            LegalForm::Individual => "individual",
            LegalForm::Cooperative => "cooperative",
            LegalForm::Other => "other",
        }
    }

    /// The Chinese name shown in the console.
    pub fn title(self) -> &'static str {
        match self {
            LegalForm::Enterprise => "企业",
            LegalForm::Individual => "个体工商户",
            LegalForm::Cooperative => "农民专业合作社",
            LegalForm::Other => "其他",
        }
    }

    /// The form a USCC's first two characters state (GB 32100: authority 9 = market
    /// regulation, then 1 enterprise, 2 individual business, 3 cooperative).
    pub fn from_uscc(uscc: &str) -> LegalForm {
        match uscc.as_bytes().get(..2) {
            Some(b"91") => LegalForm::Enterprise,
            Some(b"92") => LegalForm::Individual,
            Some(b"93") => LegalForm::Cooperative,
            _ => LegalForm::Other,
        }
    }
}

/// An unknown legal form or status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}: expected one of {expected}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl FromStr for LegalForm {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        LegalForm::ALL
            .into_iter()
            .find(|f| f.code() == s || f.title() == s)
            .or(match s {
                "个体" | "个体户" => Some(LegalForm::Individual),
                "合作社" => Some(LegalForm::Cooperative),
                "公司" | "有限责任公司" | "股份有限公司" => {
                    Some(LegalForm::Enterprise)
                }
                _ => None,
            })
            .ok_or_else(|| UnknownCode {
                what: "legal form",
                value: s.to_string(),
                expected: "enterprise, individual, cooperative, other",
            })
    }
}

impl fmt::Display for LegalForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The register status of an entity (登记状态 and the credit lists it is on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityStatus {
    /// Registered and operating (存续/在业).
    Active,
    /// On the list of abnormal operation (经营异常名录).
    Abnormal,
    /// On the list of serious violations and dishonesty (严重违法失信名单).
    SeriousViolation,
    /// Deregistered or its license revoked (注销/吊销).
    Deregistered,
}

impl EntityStatus {
    pub const ALL: [EntityStatus; 4] = [
        EntityStatus::Active,
        EntityStatus::Abnormal,
        EntityStatus::SeriousViolation,
        EntityStatus::Deregistered,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EntityStatus::Active => "active",
            EntityStatus::Abnormal => "abnormal",
            EntityStatus::SeriousViolation => "serious_violation",
            EntityStatus::Deregistered => "deregistered",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            EntityStatus::Active => "存续",
            EntityStatus::Abnormal => "经营异常",
            EntityStatus::SeriousViolation => "严重违法失信",
            EntityStatus::Deregistered => "注销",
        }
    }
}

impl FromStr for EntityStatus {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        EntityStatus::ALL
            .into_iter()
            .find(|f| f.code() == s || f.title() == s)
            .or(match s {
                "在业" | "开业" | "正常" => Some(EntityStatus::Active),
                "列入经营异常名录" => Some(EntityStatus::Abnormal),
                "严重违法" => Some(EntityStatus::SeriousViolation),
                "吊销" | "已注销" | "撤销" => Some(EntityStatus::Deregistered),
                _ => None,
            })
            .ok_or_else(|| UnknownCode {
                what: "status",
                value: s.to_string(),
                expected: "active, abnormal, serious_violation, deregistered",
            })
    }
}

impl fmt::Display for EntityStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A calendar date as registers and department exports write it: `2017-03-08`,
/// `2017/3/8`, `2017.03.08`, `20170308` or `2017年3月8日`.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let t = s.trim();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let parts: Vec<&str> = t
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    let ymd = match parts.as_slice() {
        [y, m, d] if y.len() == 4 => (y.parse(), m.parse(), d.parse()),
        [one] if one.len() == 8 && digits.len() == 8 => {
            (one[..4].parse(), one[4..6].parse(), one[6..].parse())
        }
        _ => return Err(format!("{t:?} is not a date (expected YYYY-MM-DD)")),
    };
    match ymd {
        (Ok(y), Ok(m), Ok(d)) => {
            NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("{t:?} is not a calendar date"))
        }
        _ => Err(format!("{t:?} is not a date (expected YYYY-MM-DD)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_form_from_uscc_and_text() {
        assert_eq!(
            LegalForm::from_uscc("91450103MA5K00012X"),
            LegalForm::Enterprise
        );
        assert_eq!(
            LegalForm::from_uscc("92450103MA5K00012X"),
            LegalForm::Individual
        );
        assert_eq!(LegalForm::from_uscc("93"), LegalForm::Cooperative);
        assert_eq!(LegalForm::from_uscc("51"), LegalForm::Other);
        assert_eq!("个体工商户".parse(), Ok(LegalForm::Individual));
        assert_eq!(" enterprise ".parse(), Ok(LegalForm::Enterprise));
        assert!("shop".parse::<LegalForm>().is_err());
    }

    #[test]
    fn status_codes_and_titles() {
        for s in EntityStatus::ALL {
            assert_eq!(s.code().parse(), Ok(s));
            assert_eq!(s.title().parse(), Ok(s));
        }
        assert_eq!("吊销".parse(), Ok(EntityStatus::Deregistered));
        let e = "closed".parse::<EntityStatus>().unwrap_err();
        assert!(e.to_string().contains("serious_violation"));
    }

    #[test]
    fn dates_in_register_spellings() {
        let d = NaiveDate::from_ymd_opt(2017, 3, 8).unwrap();
        for s in [
            "2017-03-08",
            "2017/3/8",
            "2017.03.08",
            "20170308",
            "2017年3月8日",
            " 2017-3-8 ",
        ] {
            assert_eq!(parse_date(s), Ok(d), "{s}");
        }
        for s in ["2017-02-30", "17-03-08", "March 8", "2017-03", ""] {
            assert!(parse_date(s).is_err(), "{s}");
        }
    }
}
