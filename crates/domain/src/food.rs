//! Food license numbers: business licenses (`JY` + 14 digits), production licenses (`SC` + 14
//! digits) and old production marks (`QS` + 12 digits). The JY check digit's algorithm is not
//! public, so form and region are validated, not the check digit.

use crate::text::compact_upper;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a string is not a well-formed food license number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FoodLicenseError {
    #[error("a food license is JY or SC followed by 14 digits, or QS followed by 12: {0:?}")]
    Form(String),
    #[error("business form digit {0} is not 1-3 (JY: 1 food sales, 2 catering, 3 canteen)")]
    BusinessForm(char),
    #[error("province code {0} is not a province of China")]
    Province(String),
}

/// A well-formed food license number in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FoodLicense(String);

const PROVINCE_CODES: &[&str] = &[
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
];

impl FoodLicense {
    pub fn parse(s: &str) -> Result<FoodLicense, FoodLicenseError> {
        let n = compact_upper(s);
        let form = || FoodLicenseError::Form(s.to_string());
        let (prefix, body) = n.split_at_checked(2).ok_or_else(form)?;
        let want = match prefix {
            "JY" | "SC" => 14,
            "QS" => 12,
            _ => return Err(form()),
        };
        if body.len() != want || !body.bytes().all(|c| c.is_ascii_digit()) {
            return Err(form());
        }
        if prefix == "JY" {
            let bf = body.as_bytes()[0] as char;
            if !('1'..='3').contains(&bf) {
                return Err(FoodLicenseError::BusinessForm(bf));
            }
            let prov = &body[1..3];
            if !PROVINCE_CODES.contains(&prov) {
                return Err(FoodLicenseError::Province(prov.to_string()));
            }
        }
        Ok(FoodLicense(n))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For a JY license: the 6-digit division (province, city, county) it was issued in.
    pub fn division(&self) -> Option<&str> {
        self.0.starts_with("JY").then(|| &self.0[3..9])
    }
}

impl fmt::Display for FoodLicense {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let l = FoodLicense::parse("jy2 4501 0300 12345").unwrap();
        assert_eq!(l.as_str(), "JY24501030012345");
        assert_eq!(l.division(), Some("450103"));
        assert!(FoodLicense::parse("SC10645010300123").is_ok());
        assert!(FoodLicense::parse("QS450101010001").is_ok());
        assert!(FoodLicense::parse("JY2450103001234").is_err());
        assert_eq!(
            FoodLicense::parse("JY94501030012345"),
            Err(FoodLicenseError::BusinessForm('9'))
        );
        assert!(FoodLicense::parse("JY29901030012345").is_err());
    }
}
