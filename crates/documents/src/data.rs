//! What a document says: plain data, filled by the caller (casework builds it from a case, its
//! outcome, its clues' evidence and the clue's WACZ export). Nothing here reads a store or a
//! file; the templates decide the wording and the layout.

use chrono::{DateTime, NaiveDate, Utc};
use domain::Category;
use serde::Serialize;

/// Everything the four documents may show. A template uses what its kind needs; fields that do
/// not apply to a kind are empty (`None`, an empty list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentData {
    /// The issuing bureau (发文机关), e.g. 南宁市市场监督管理局.
    pub bureau: String,
    /// The document number (文号), e.g. 南市监网责改〔2026〕7号; the case number on a cover.
    pub number: String,
    /// The date the document is signed (成文日期).
    pub date: NaiveDate,
    /// The party (当事人).
    pub entity: Party,
    /// The site the case is about.
    pub site: SiteRef,
    /// The case.
    pub case: CaseRef,
    /// The violations found, each with its legal basis.
    pub violations: Vec<Violation>,
    /// Rectification: the deadline (改正期限).
    pub deadline: Option<NaiveDate>,
    /// Rectification: the pages to correct.
    pub urls: Vec<String>,
    /// Referral: to whom and why.
    pub referral: Option<Referral>,
    /// Warning (and dismissal on a cover): the reason given.
    pub reason: Option<String>,
    /// The case's outcomes, as the cover lists them (`title` and a line of detail each).
    pub outcomes: Vec<OutcomeLine>,
    /// The evidence records the case rests on.
    pub evidence: Vec<EvidenceItem>,
    /// The evidence packages attached to the document: the WACZ of each of the case's clues.
    pub attachments: Vec<Attachment>,
}

/// The party a document is addressed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    /// The registered name; for an unregistered site, what the bureau knows it by.
    pub name: String,
    /// The unified social credit code (统一社会信用代码), when known.
    pub uscc: Option<String>,
    /// The registered address, when known.
    pub address: Option<String>,
}

/// The site: its address as the register writes it (`host` or `host/prefix`) and its
/// start URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteRef {
    pub address: String,
    pub url: String,
}

/// The case a document belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRef {
    /// The case number (案号).
    pub number: String,
    /// What the case is about (案由).
    pub summary: String,
    /// The stage's Chinese title (立案, 调查, 决定, 结案).
    pub stage: String,
    pub opened_on: NaiveDate,
    pub decided_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    /// The law-enforcement officers (承办人).
    pub officers: Vec<String>,
}

/// One violation found: the category's code, Chinese title and legal basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub code: String,
    pub title: String,
    pub legal_basis: String,
}

impl From<Category> for Violation {
    fn from(c: Category) -> Self {
        Violation {
            code: c.code().to_string(),
            title: c.title().to_string(),
            legal_basis: c.legal_basis().to_string(),
        }
    }
}

/// A referral: the department it goes to and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Referral {
    pub to: String,
    pub reason: String,
}

/// One outcome of the case, as the cover lists it: its kind (code and Chinese title) and the
/// fields of that kind (others `None`); the template words them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutcomeLine {
    /// `penalty`, `rectification`, `referral`, `warning`, `abnormal_listing`, `dismissal`.
    pub kind: String,
    pub title: String,
    /// Penalty: decision number, legal basis, fine in yuan (`5738.00`), confiscation.
    pub decision_no: Option<String>,
    pub legal_basis: Option<String>,
    pub fine_yuan: Option<String>,
    pub confiscation: Option<String>,
    /// Rectification: the deadline and the re-check's verdict, once re-checked.
    pub due_on: Option<NaiveDate>,
    pub compliant: Option<bool>,
    /// Referral: to whom.
    pub to: Option<String>,
    /// Referral, warning, dismissal: why.
    pub reason: Option<String>,
    /// Abnormal-operations listing: the cause's title and the day it was removed.
    pub cause: Option<String>,
    pub removed_on: Option<NaiveDate>,
}

/// One evidence record: the page, when it was fetched, the WARC record and its digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceItem {
    pub url: String,
    pub fetched_at: DateTime<Utc>,
    /// `WARC-Record-ID` (`<urn:uuid:…>`), when recorded.
    pub record_id: Option<String>,
    /// The WARC file and the record's offset in it.
    pub warc_file: String,
    pub offset: i64,
    /// The record's block digest (`sha256:…`).
    pub record_digest: String,
    /// The payload digest (`sha256:…`), when there was a payload.
    pub payload_digest: Option<String>,
}

/// A file attached to a document: its name and SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub file_name: String,
    pub sha256: String,
}
