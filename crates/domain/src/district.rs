//! Administrative division codes (GB/T 2260) and the table of a deployment's districts, with
//! validity periods: codes are frozen into old identifiers, so historic codes stay known.
//! The table is data (a TSV file); Nanning's ships with wangjian, another city loads its own.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A 6-digit division code. Valid in form; whether it is in a table is the table's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DistrictCode(u32);

/// Why a district code or table line is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistrictError {
    #[error("a district code has 6 digits, found {0:?}")]
    Form(String),
    #[error("district code {0} is not in the district table")]
    Unknown(DistrictCode),
    #[error("district table line {line}: {reason}")]
    Table { line: usize, reason: String },
}

impl DistrictCode {
    pub fn parse(s: &str) -> Result<DistrictCode, DistrictError> {
        let t = s.trim();
        if t.len() != 6 || !t.bytes().all(|c| c.is_ascii_digit()) || t.starts_with('0') {
            return Err(DistrictError::Form(s.to_string()));
        }
        Ok(DistrictCode(t.parse().expect("six digits")))
    }

    pub fn as_u32(self) -> u32 {
        self.0
    }
}

impl fmt::Display for DistrictCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl TryFrom<String> for DistrictCode {
    type Error = DistrictError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        DistrictCode::parse(&s)
    }
}

impl From<DistrictCode> for String {
    fn from(c: DistrictCode) -> String {
        c.to_string()
    }
}

/// One division with the period in which its code was in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct District {
    pub code: DistrictCode,
    pub name: String,
    pub valid_from: Option<NaiveDate>,
    /// Exclusive end; `None` while the code is in force.
    pub valid_until: Option<NaiveDate>,
}

impl District {
    pub fn is_current_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= day) && self.valid_until.is_none_or(|u| day < u)
    }
}

/// The districts a deployment supervises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictTable {
    districts: Vec<District>,
}

const NANNING: &str = include_str!("../data/nanning-districts.tsv");

impl DistrictTable {
    /// Nanning's table, shipped with wangjian.
    pub fn nanning() -> DistrictTable {
        DistrictTable::parse(NANNING).expect("the shipped table is valid")
    }

    /// Parses a table: `code<TAB>name<TAB>valid_from<TAB>valid_until`, dates `YYYY-MM-DD` or
    /// empty; `#` starts a comment line.
    pub fn parse(text: &str) -> Result<DistrictTable, DistrictError> {
        let mut districts = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |reason: String| DistrictError::Table {
                line: line_no,
                reason,
            };
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 2 {
                return Err(err("expected code<TAB>name[<TAB>from<TAB>until]".into()));
            }
            let code = DistrictCode::parse(cols[0]).map_err(|e| err(e.to_string()))?;
            let date = |s: Option<&&str>| -> Result<Option<NaiveDate>, DistrictError> {
                match s.map(|s| s.trim()).filter(|s| !s.is_empty()) {
                    None => Ok(None),
                    Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
                        .map(Some)
                        .map_err(|e| err(format!("bad date {d:?}: {e}"))),
                }
            };
            districts.push(District {
                code,
                name: cols[1].trim().to_string(),
                valid_from: date(cols.get(2))?,
                valid_until: date(cols.get(3))?,
            });
        }
        Ok(DistrictTable { districts })
    }

    pub fn get(&self, code: DistrictCode) -> Option<&District> {
        self.districts.iter().find(|d| d.code == code)
    }

    /// Looks a code up, failing with `Unknown` when the table does not have it.
    pub fn resolve(&self, code: DistrictCode) -> Result<&District, DistrictError> {
        self.get(code).ok_or(DistrictError::Unknown(code))
    }

    pub fn name(&self, code: DistrictCode) -> Option<&str> {
        self.get(code).map(|d| d.name.as_str())
    }

    pub fn all(&self) -> &[District] {
        &self.districts
    }

    /// Districts in force on `day`.
    pub fn current(&self, day: NaiveDate) -> impl Iterator<Item = &District> {
        self.districts.iter().filter(move |d| d.is_current_on(day))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanning_table_with_history() {
        let t = DistrictTable::nanning();
        let c = DistrictCode::parse("450122").unwrap();
        let wuming_county = t.resolve(c).unwrap();
        assert_eq!(wuming_county.name, "武鸣县");
        let d2014 = NaiveDate::from_ymd_opt(2014, 6, 1).unwrap();
        let d2022 = NaiveDate::from_ymd_opt(2022, 6, 1).unwrap();
        assert!(wuming_county.is_current_on(d2014));
        assert!(!wuming_county.is_current_on(d2022));
        assert_eq!(t.current(d2022).count(), 13);
        assert_eq!(t.current(d2014).count(), 13);
        assert!(t.resolve(DistrictCode::parse("110101").unwrap()).is_err());
        assert!(DistrictCode::parse("45010").is_err());
        assert!(DistrictCode::parse("45010a").is_err());
        assert_eq!(DistrictCode::parse("450103").unwrap().to_string(), "450103");
    }

    #[test]
    fn bad_table_line_is_reported() {
        let e = DistrictTable::parse("450103\t青秀区\n45x\tbad\n").unwrap_err();
        assert!(matches!(e, DistrictError::Table { line: 2, .. }));
    }
}
