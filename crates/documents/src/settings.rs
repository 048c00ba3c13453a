//! Who issues the documents and how they are numbered: the `[documents]` table of
//! `wangjian.toml` (the binary reads it; this crate only defines it and applies it).
//!
//! A document number (文号) is `<prefix>〔<year>〕<serial>号` with the kind's prefix and the year
//! and serial of the case number (`南市监网案〔2026〕7号` → `南市监网责改〔2026〕7号`), so a
//! case's documents are found by its number; the second and later documents of one kind for
//! one case add `之<n>` (`…7号之2`). A cover carries the case number itself.

use serde::{Deserialize, Serialize};

use crate::DocumentKind;

/// The issuing bureau and the number prefixes of its documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentSettings {
    /// The issuing bureau (发文机关), printed at the head and above the date.
    pub bureau: String,
    /// 文号 prefix of rectification notices.
    pub rectification_prefix: String,
    /// 文号 prefix of warning letters.
    pub warning_prefix: String,
    /// 文号 prefix of referral letters.
    pub referral_prefix: String,
}

impl Default for DocumentSettings {
    fn default() -> Self {
        DocumentSettings {
            bureau: "南宁市市场监督管理局".into(),
            rectification_prefix: "南市监网责改".into(),
            warning_prefix: "南市监网警".into(),
            referral_prefix: "南市监网移".into(),
        }
    }
}

impl DocumentSettings {
    /// The number of the `nth` (from 1) document of `kind` for the case numbered
    /// `case_number`; a case number not of the form `…〔<year>〕<serial>号` gives `fallback`
    /// (year, serial) instead.
    pub fn number(
        &self,
        kind: DocumentKind,
        case_number: &str,
        fallback: (i32, i64),
        nth: usize,
    ) -> String {
        let prefix = match kind {
            DocumentKind::Rectification => &self.rectification_prefix,
            DocumentKind::Warning => &self.warning_prefix,
            DocumentKind::Referral => &self.referral_prefix,
            DocumentKind::Cover => return case_number.to_string(),
        };
        let (year, serial) = year_and_serial(case_number)
            .unwrap_or_else(|| (fallback.0.to_string(), fallback.1.to_string()));
        let mut number = format!("{prefix}〔{year}〕{serial}号");
        if nth > 1 {
            number.push_str(&format!("之{nth}"));
        }
        number
    }
}

/// The year and serial of a case number `<prefix>〔<year>〕<serial>号`.
fn year_and_serial(number: &str) -> Option<(String, String)> {
    let rest = number.strip_suffix('号')?;
    let (head, serial) = rest.rsplit_once('〕')?;
    let (_, year) = head.rsplit_once('〔')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(year) && digits(serial)).then(|| (year.to_string(), serial.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_case_number() {
        let s = DocumentSettings::default();
        let case = "南市监网案〔2026〕7号";
        let n = |kind, nth| s.number(kind, case, (2025, 99), nth);
        assert_eq!(n(DocumentKind::Rectification, 1), "南市监网责改〔2026〕7号");
        assert_eq!(n(DocumentKind::Warning, 1), "南市监网警〔2026〕7号");
        assert_eq!(n(DocumentKind::Referral, 2), "南市监网移〔2026〕7号之2");
        assert_eq!(n(DocumentKind::Cover, 1), case);
        // Another form of case number: the fallback year and serial.
        for other in [
            "案7号",
            "南市监网案〔二〇二六〕7号",
            "南市监网案〔2026〕号",
            "〔2026〕7",
        ] {
            assert_eq!(
                s.number(DocumentKind::Warning, other, (2025, 99), 1),
                "南市监网警〔2025〕99号",
                "{other}"
            );
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        let parsed: DocumentSettings = toml_like(r#"{"bureau": "青秀区市场监督管理局"}"#).unwrap();
        assert_eq!(parsed.bureau, "青秀区市场监督管理局");
        assert_eq!(parsed.warning_prefix, "南市监网警");
        assert!(toml_like(r#"{"bureau": "x", "seal": "y"}"#).is_err());
    }

    fn toml_like(json: &str) -> Result<DocumentSettings, serde_json::Error> {
        serde_json::from_str(json)
    }
}
