//! How the register classifies a site (docs/spec/registry-import.md `kind`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The register's classification of an online business's site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// A trading platform hosting other merchants' shops (网络交易平台).
    Platform,
    /// An independent trading site (自建网站经营者).
    TradingSite,
    /// A site that does not trade (非交易类网站).
    NonTradingSite,
    /// A shop on a platform, identified by its shop URL prefix.
    PlatformShop,
}

/// An unknown site kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown kind {0:?}: expected platform, trading_site, non_trading_site or platform_shop")]
pub struct SiteKindError(pub String);

impl SiteKind {
    pub const ALL: [SiteKind; 4] = [
        SiteKind::Platform,
        SiteKind::TradingSite,
        SiteKind::NonTradingSite,
        SiteKind::PlatformShop,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SiteKind::Platform => "platform",
            SiteKind::TradingSite => "trading_site",
            SiteKind::NonTradingSite => "non_trading_site",
            SiteKind::PlatformShop => "platform_shop",
        }
    }

    /// True for kinds that sell: e-commerce operators' duties apply to them.
    pub fn trades(self) -> bool {
        !matches!(self, SiteKind::NonTradingSite)
    }
}

impl fmt::Display for SiteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for SiteKind {
    type Err = SiteKindError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SiteKind::ALL
            .into_iter()
            .find(|k| k.code() == s.trim())
            .ok_or_else(|| SiteKindError(s.to_string()))
    }
}
