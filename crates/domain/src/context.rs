//! A page's context as detection reads it: its genre, and why a finding was suppressed.
//!
//! A suppressed finding is kept, marked with its [`Suppression`], so that people can review
//! the rule that made it; it never becomes a clue and counts in no figure.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of page a page is, from its own facts and its site's register entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Genre {
    /// Sells: cart, prices, buy buttons.
    Shop,
    /// A trading platform hosting other merchants' shops.
    Platform,
    /// A government site (.gov.cn, 人民政府, 政务公开).
    Government,
    /// News: bylines, 来源, 记者, 新华社, article dates.
    News,
    /// Associations and consumer councils (协会, 学会, 商会, 消费者委员会).
    Association,
    /// A company's own site that does not trade.
    Corporate,
    Unknown,
}

impl Genre {
    pub const ALL: [Genre; 7] = [
        Genre::Shop,
        Genre::Platform,
        Genre::Government,
        Genre::News,
        Genre::Association,
        Genre::Corporate,
        Genre::Unknown,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Genre::Shop => "shop",
            Genre::Platform => "platform",
            Genre::Government => "government",
            Genre::News => "news",
            Genre::Association => "association",
            Genre::Corporate => "corporate",
            Genre::Unknown => "unknown",
        }
    }

    /// The Chinese name shown in the console.
    pub fn title(self) -> &'static str {
        match self {
            Genre::Shop => "网店",
            Genre::Platform => "交易平台",
            Genre::Government => "政府网站",
            Genre::News => "新闻网站",
            Genre::Association => "协会或消费者组织",
            Genre::Corporate => "企业网站",
            Genre::Unknown => "未知",
        }
    }

    /// Pages of this genre quote far more often than they sell: advertising claims on them
    /// are not the site's own unless the page also trades.
    pub fn quotes(self) -> bool {
        matches!(self, Genre::Government | Genre::News | Genre::Association)
    }
}

impl fmt::Display for Genre {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An unknown code of one of this module's enums.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownContextCode {
    pub what: &'static str,
    pub value: String,
}

impl FromStr for Genre {
    type Err = UnknownContextCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Genre::ALL
            .into_iter()
            .find(|g| g.code() == s.trim())
            .ok_or_else(|| UnknownContextCode {
                what: "genre",
                value: s.to_string(),
            })
    }
}

/// Why a finding is not the site's own claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// The match lies in text the page quotes (`<blockquote>`, `<q>`, quotation marks, the
    /// examples listed after a law's article).
    Quotation,
    /// The match lies inside a registered trademark or company name.
    Trademark,
    /// An advertising claim on a page of a genre that quotes (government, news, association)
    /// and does not trade.
    Genre,
}

impl SuppressionReason {
    pub const ALL: [SuppressionReason; 3] = [
        SuppressionReason::Quotation,
        SuppressionReason::Trademark,
        SuppressionReason::Genre,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SuppressionReason::Quotation => "quotation",
            SuppressionReason::Trademark => "trademark",
            SuppressionReason::Genre => "genre",
        }
    }

    /// The Chinese name shown in the console.
    pub fn title(self) -> &'static str {
        match self {
            SuppressionReason::Quotation => "引用",
            SuppressionReason::Trademark => "注册商标或企业名称",
            SuppressionReason::Genre => "页面类型",
        }
    }
}

impl fmt::Display for SuppressionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for SuppressionReason {
    type Err = UnknownContextCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SuppressionReason::ALL
            .into_iter()
            .find(|r| r.code() == s.trim())
            .ok_or_else(|| UnknownContextCode {
                what: "suppression reason",
                value: s.to_string(),
            })
    }
}

/// Why a finding was suppressed, with a short detail: the quoted span, the trademark or name,
/// or the genre's code. Never a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Suppression {
    pub reason: SuppressionReason,
    pub detail: String,
}

impl Suppression {
    /// At most this many characters of detail are kept.
    pub const DETAIL_MAX: usize = 120;

    pub fn new(reason: SuppressionReason, detail: &str) -> Suppression {
        Suppression {
            reason,
            detail: detail.trim().chars().take(Self::DETAIL_MAX).collect(),
        }
    }

    /// What a person reads: `引用：“最佳”`, `页面类型：政府网站`.
    pub fn shown(&self) -> String {
        let detail = match self.reason {
            SuppressionReason::Genre => self
                .detail
                .parse::<Genre>()
                .map(|g| g.title().to_string())
                .unwrap_or_else(|_| self.detail.clone()),
            _ => self.detail.clone(),
        };
        if detail.is_empty() {
            self.reason.title().to_string()
        } else {
            format!("{}：{detail}", self.reason.title())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for g in Genre::ALL {
            assert_eq!(g.code().parse::<Genre>(), Ok(g));
        }
        for r in SuppressionReason::ALL {
            assert_eq!(r.code().parse::<SuppressionReason>(), Ok(r));
        }
        assert!("shop ".parse::<Genre>().is_ok());
        assert!("nope".parse::<SuppressionReason>().is_err());
    }

    #[test]
    fn shown_in_chinese() {
        let g = Suppression::new(SuppressionReason::Genre, "government");
        assert_eq!(g.shown(), "页面类型：政府网站");
        let q = Suppression::new(SuppressionReason::Quotation, "“最佳”");
        assert_eq!(q.shown(), "引用：“最佳”");
        let long = Suppression::new(SuppressionReason::Trademark, &"字".repeat(500));
        assert_eq!(long.detail.chars().count(), Suppression::DETAIL_MAX);
    }
}
