//! The documents wangjian writes, a closed list.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A kind of casework document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 责令改正通知书: the order to correct, with its deadline.
    Rectification,
    /// 警示函: an administrative-guidance warning letter.
    Warning,
    /// 案件移送函: the referral of a case to the competent department.
    Referral,
    /// 案卷封面: the cover of the case file.
    Cover,
}

/// A document kind code that names no kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown document kind {0:?}")]
pub struct UnknownKind(pub String);

impl DocumentKind {
    pub const ALL: [DocumentKind; 4] = [
        DocumentKind::Rectification,
        DocumentKind::Warning,
        DocumentKind::Referral,
        DocumentKind::Cover,
    ];

    /// The stable code (`rectification`, `warning`, `referral`, `cover`).
    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::Rectification => "rectification",
            DocumentKind::Warning => "warning",
            DocumentKind::Referral => "referral",
            DocumentKind::Cover => "cover",
        }
    }

    /// The document's Chinese title, as printed on it.
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::Rectification => "责令改正通知书",
            DocumentKind::Warning => "警示函",
            DocumentKind::Referral => "案件移送函",
            DocumentKind::Cover => "案卷封面",
        }
    }

    /// The template's file name in the templates directory.
    pub fn template_name(self) -> &'static str {
        match self {
            DocumentKind::Rectification => "rectification.html",
            DocumentKind::Warning => "warning.html",
            DocumentKind::Referral => "referral.html",
            DocumentKind::Cover => "cover.html",
        }
    }

    /// The template shipped with wangjian, written into the data directory on first use.
    pub fn shipped_template(self) -> &'static str {
        match self {
            DocumentKind::Rectification => include_str!("../templates/rectification.html"),
            DocumentKind::Warning => include_str!("../templates/warning.html"),
            DocumentKind::Referral => include_str!("../templates/referral.html"),
            DocumentKind::Cover => include_str!("../templates/cover.html"),
        }
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DocumentKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in DocumentKind::ALL {
            assert_eq!(k.code().parse::<DocumentKind>(), Ok(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.code())
            );
        }
        assert_eq!(
            "notice".parse::<DocumentKind>(),
            Err(UnknownKind("notice".into()))
        );
    }
}
