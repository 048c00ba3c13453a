//! ICP numbers issued by MIIT: filings (`桂ICP备2017001234号-1`), commercial licenses
//! (`桂ICP证123456号`), value-added telecom licenses (`桂B2-20170012`), and public-security
//! filings (`桂公网安备45010202000123号`). None has a check digit: the form is validated here
//! and the number is matched against the register elsewhere.

use crate::text::compact_upper;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Province abbreviations that may begin an ICP number.
pub const PROVINCES: &[char] = &[
    '京', '津', '冀', '晋', '蒙', '辽', '吉', '黑', '沪', '苏', '浙', '皖', '闽', '赣', '鲁', '豫',
    '鄂', '湘', '粤', '桂', '琼', '渝', '川', '蜀', '黔', '贵', '滇', '云', '藏', '陕', '甘', '陇',
    '青', '宁', '新',
];

/// Which kind of MIIT or police number this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IcpKind {
    /// `ICP备<serial>号[-n]`.
    Filing,
    /// `ICP证<6 digits>号`.
    License,
    /// `B2-<8 digits>`.
    ValueAdded,
    /// `公网安备<14 digits>号`.
    PublicSecurity,
}

/// Why a string is not a well-formed ICP number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcpError {
    #[error("an ICP number starts with a province abbreviation, found {0:?}")]
    Province(String),
    #[error("not an ICP filing, license or public-security number: {0:?}")]
    Form(String),
    #[error("a filing serial has 8 digits or 10 digits beginning with a year, found {0:?}")]
    Serial(String),
}

/// A well-formed ICP number in canonical form (no spaces, half-width).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Icp {
    province: char,
    kind: IcpKind,
    /// The digits of the serial (without `号` and the site suffix).
    serial: String,
    /// The `-n` site number of a filing.
    site: Option<u32>,
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

impl Icp {
    /// Parses an ICP number as shown on a page (full-width and spaces are normalised).
    pub fn parse(s: &str) -> Result<Icp, IcpError> {
        let n = compact_upper(s);
        let mut chars = n.chars();
        let province = chars.next().ok_or_else(|| IcpError::Form(s.to_string()))?;
        if !PROVINCES.contains(&province) {
            return Err(IcpError::Province(s.to_string()));
        }
        let rest = chars.as_str();
        let form = || IcpError::Form(s.to_string());
        if let Some(r) = rest.strip_prefix("ICP备") {
            let (serial, tail) = r.split_once('号').ok_or_else(form)?;
            if !digits(serial) {
                return Err(form());
            }
            let year_ok = serial.len() == 10
                && serial[..4]
                    .parse::<u32>()
                    .is_ok_and(|y| (1998..=2100).contains(&y));
            if !(serial.len() == 8 || year_ok) {
                return Err(IcpError::Serial(serial.to_string()));
            }
            let site = match tail {
                "" => None,
                t => Some(
                    t.strip_prefix('-')
                        .filter(|d| digits(d))
                        .and_then(|d| d.parse().ok())
                        .ok_or_else(form)?,
                ),
            };
            Ok(Icp {
                province,
                kind: IcpKind::Filing,
                serial: serial.to_string(),
                site,
            })
        } else if let Some(r) = rest.strip_prefix("ICP证") {
            let serial = r.strip_suffix('号').ok_or_else(form)?;
            if serial.len() != 6 || !digits(serial) {
                return Err(form());
            }
            Ok(Icp {
                province,
                kind: IcpKind::License,
                serial: serial.to_string(),
                site: None,
            })
        } else if let Some(serial) = rest.strip_prefix("B2-") {
            if serial.len() != 8 || !digits(serial) {
                return Err(form());
            }
            Ok(Icp {
                province,
                kind: IcpKind::ValueAdded,
                serial: serial.to_string(),
                site: None,
            })
        } else if let Some(r) = rest.strip_prefix("公网安备") {
            let serial = r.strip_suffix('号').ok_or_else(form)?;
            if serial.len() != 14 || !digits(serial) {
                return Err(form());
            }
            Ok(Icp {
                province,
                kind: IcpKind::PublicSecurity,
                serial: serial.to_string(),
                site: None,
            })
        } else {
            Err(form())
        }
    }

    pub fn kind(&self) -> IcpKind {
        self.kind
    }

    pub fn province(&self) -> char {
        self.province
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The `-n` site number of a filing, if shown.
    pub fn site(&self) -> Option<u32> {
        self.site
    }

    /// True when both numbers name the same filing of the same entity, ignoring the `-n` site
    /// suffix (one entity's filing covers several sites).
    pub fn same_filing(&self, other: &Icp) -> bool {
        self.province == other.province && self.kind == other.kind && self.serial == other.serial
    }
}

impl fmt::Display for Icp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            IcpKind::Filing => {
                write!(f, "{}ICP备{}号", self.province, self.serial)?;
                if let Some(n) = self.site {
                    write!(f, "-{n}")?;
                }
                Ok(())
            }
            IcpKind::License => write!(f, "{}ICP证{}号", self.province, self.serial),
            IcpKind::ValueAdded => write!(f, "{}B2-{}", self.province, self.serial),
            IcpKind::PublicSecurity => write!(f, "{}公网安备{}号", self.province, self.serial),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let f = Icp::parse("桂ICP备2017001234号-1").unwrap();
        assert_eq!(
            (f.kind(), f.serial(), f.site()),
            (IcpKind::Filing, "2017001234", Some(1))
        );
        assert_eq!(f.to_string(), "桂ICP备2017001234号-1");
        assert_eq!(
            Icp::parse("京ICP备 12345678号").unwrap().to_string(),
            "京ICP备12345678号"
        );
        assert_eq!(
            Icp::parse("粤ＩＣＰ证１２３４５６号").unwrap().kind(),
            IcpKind::License
        );
        assert_eq!(
            Icp::parse("桂B2-20170012").unwrap().kind(),
            IcpKind::ValueAdded
        );
        assert_eq!(
            Icp::parse("桂公网安备45010202000123号").unwrap().kind(),
            IcpKind::PublicSecurity
        );
        assert!(Icp::parse("桂ICP备1234567号").is_err());
        assert!(Icp::parse("桂ICP备3017001234号").is_err());
        assert!(Icp::parse("XXICP备12345678号").is_err());
        assert!(Icp::parse("桂ICP备12345678号-x").is_err());
        assert!(Icp::parse("桂ICP备12345678号-1")
            .unwrap()
            .same_filing(&Icp::parse("桂ICP备12345678号-2").unwrap()));
    }
}
