//! The violation taxonomy (docs/spec/taxonomy.md): a closed set of 22 categories with stable codes,
//! severities and legal bases. Reports, credit indicators, campaigns and exports key on the
//! codes, so a code, once published, never changes.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How urgent a finding is. Ordered: `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Information, needs review.
    Low,
    Medium,
    High,
    /// Illegal content or hijacked site: dispatch at once.
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Severity {
    type Err = CategoryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|x| x.code() == s)
            .ok_or_else(|| CategoryError::UnknownSeverity(s.to_string()))
    }
}

/// An unknown category or severity code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CategoryError {
    #[error("unknown violation category {0:?} (see docs/spec/taxonomy.md)")]
    Unknown(String),
    #[error("unknown severity {0:?} (low, medium, high, critical)")]
    UnknownSeverity(String),
}

macro_rules! taxonomy {
    ($($variant:ident => $code:literal, $sev:ident, $registry:literal, $title:literal, $basis:literal;)*) => {
        /// A violation category. Every finding carries exactly one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Category { $($variant,)* }

        impl Category {
            /// All categories, in the order of docs/spec/taxonomy.md.
            pub const ALL: &'static [Category] = &[$(Category::$variant,)*];

            /// The stable code, e.g. `ad.absolute_term`.
            pub fn code(self) -> &'static str {
                match self { $(Category::$variant => $code,)* }
            }

            /// The default severity of a finding in this category.
            pub fn severity(self) -> Severity {
                match self { $(Category::$variant => Severity::$sev,)* }
            }

            /// True when the check needs the site matched to the register.
            pub fn needs_registry(self) -> bool {
                match self { $(Category::$variant => $registry,)* }
            }

            /// A short Chinese title for reports and the console.
            pub fn title(self) -> &'static str {
                match self { $(Category::$variant => $title,)* }
            }

            /// The legal basis, as cited in findings and case files.
            pub fn legal_basis(self) -> &'static str {
                match self { $(Category::$variant => $basis,)* }
            }
        }
    };
}

taxonomy! {
    LicenseNotDisplayed => "license.not_displayed", Medium, false, "未亮照经营",
        "E-commerce Law Art. 15 and 76; Online Trade Supervision Measures (SAMR Order 37) Art. 12; in 2017: SAIC Order 60 Art. 8, 23";
    LicenseUsccInvalid => "license.uscc_invalid", High, false, "统一社会信用代码无效",
        "E-commerce Law Art. 15 (information must be true)";
    LicenseUsccMismatch => "license.uscc_mismatch", High, true, "信用代码与登记不符",
        "E-commerce Law Art. 15";
    LicenseUnregistered => "license.unregistered", High, true, "无照经营线索",
        "Market Entity Registration Regulations Art. 3, 43";
    IcpNotDisplayed => "icp.not_displayed", Low, false, "未公示ICP备案号",
        "MIIT Order 33 Art. 13, 25";
    IcpMismatch => "icp.mismatch", Medium, true, "ICP备案号与登记不符",
        "MIIT Order 33 Art. 13";
    FoodPermitNotDisplayed => "food.permit_not_displayed", High, false, "未公示食品经营许可证",
        "Food Safety Law Art. 35; Online Catering Food Safety Measures Art. 4";
    FoodAddressMismatch => "food.address_mismatch", Medium, true, "经营地址与许可不符",
        "Online Catering Food Safety Measures; 2017 Nanning campaign (49 rectification orders)";
    AdAbsoluteTerm => "ad.absolute_term", Medium, false, "广告使用绝对化用语",
        "Advertising Law Art. 9(3), 57; SAMR guideline on absolute terms (2023)";
    AdStateEndorsement => "ad.state_endorsement", High, false, "广告使用国家机关名义",
        "Advertising Law Art. 9(1)(2)";
    AdMedicalClaim => "ad.medical_claim", High, false, "医疗功效宣传",
        "Advertising Law Art. 16, 17";
    AdHealthFoodClaim => "ad.health_food_claim", High, false, "保健食品违法宣传",
        "Advertising Law Art. 18";
    AdInvestmentGuarantee => "ad.investment_guarantee", High, false, "投资收益保证",
        "Advertising Law Art. 25";
    AdRealEstatePromise => "ad.real_estate_promise", Medium, false, "房地产广告违规承诺",
        "Advertising Law Art. 26";
    AdAgriGuarantee => "ad.agri_guarantee", Medium, false, "农资广告违规承诺",
        "Advertising Law Art. 21, 27";
    AdEducationGuarantee => "ad.education_guarantee", Medium, false, "教育培训保证承诺",
        "Advertising Law Art. 24";
    ContractUnfairClause => "contract.unfair_clause", Medium, false, "格式条款不公平",
        "Consumer Protection Law Art. 26; SAMR Contract Administrative Supervision Measures (2023)";
    PrivacyNoPolicy => "privacy.no_policy", Medium, false, "收集个人信息未告知",
        "Consumer Protection Law Art. 29; E-commerce Law Art. 23; PIPL Art. 13, 17";
    ContentGambling => "content.gambling", Critical, false, "赌博内容",
        "Advertising Law Art. 9(8); Criminal Law Art. 303";
    SiteHijacked => "site.hijacked", Critical, false, "网站被劫持",
        "Cybersecurity Law Art. 21 (operator duty); clue for referral";
    GoodsProhibited => "goods.prohibited", Critical, false, "销售禁售商品",
        "E-commerce Law Art. 13";
    BadgeInvalid => "badge.invalid", High, false, "电子亮照标识无效",
        "E-commerce Law Art. 15; the badge issuer's rules";
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Category {
    type Err = CategoryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .iter()
            .copied()
            .find(|c| c.code() == s)
            .ok_or_else(|| CategoryError::Unknown(s.to_string()))
    }
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn twenty_two_stable_codes() {
        assert_eq!(Category::ALL.len(), 22);
        let codes: HashSet<_> = Category::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(codes.len(), 22);
        for &c in Category::ALL {
            assert_eq!(c.code().parse::<Category>(), Ok(c));
            assert!(!c.legal_basis().is_empty());
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.code()));
        }
        assert!("ad.unknown".parse::<Category>().is_err());
    }

    #[test]
    fn severities_follow_the_spec() {
        use Category::*;
        assert_eq!(ContentGambling.severity(), Severity::Critical);
        assert_eq!(SiteHijacked.severity(), Severity::Critical);
        assert_eq!(GoodsProhibited.severity(), Severity::Critical);
        assert_eq!(IcpNotDisplayed.severity(), Severity::Low);
        assert_eq!(LicenseUsccInvalid.severity(), Severity::High);
        assert_eq!(AdAbsoluteTerm.severity(), Severity::Medium);
        assert!(Severity::Low < Severity::Critical);
        let registry: Vec<_> = Category::ALL
            .iter()
            .filter(|c| c.needs_registry())
            .map(|c| c.code())
            .collect();
        assert_eq!(
            registry,
            [
                "license.uscc_mismatch",
                "license.unregistered",
                "icp.mismatch",
                "food.address_mismatch"
            ]
        );
    }
}
