//! Integration tests of `documents`: every kind rendered from the data directory's templates,
//! printed through Debian's Chromium, read back with `pdftotext`, and bundled with a WACZ.

mod bundle;
mod print;
mod render;

use chrono::{NaiveDate, TimeZone as _, Utc};
use documents::{
    Attachment, CaseRef, DocumentData, EvidenceItem, OutcomeLine, Party, Referral, SiteRef,
    Violation,
};

pub const RECORD_DIGEST: &str =
    "sha256:9f2c6a1d3b4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
pub const WACZ_SHA: &str = "4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a";

/// A document about a shop that shows no license, with one evidence record and a WACZ.
pub fn sample() -> DocumentData {
    DocumentData {
        bureau: "南宁市市场监督管理局".into(),
        number: "南市监网责改〔2026〕7号".into(),
        date: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
        entity: Party {
            name: "南宁市青秀区<好>货商行".into(),
            uscc: Some("91450100MA5KXXXX0X".into()),
            address: Some("南宁市青秀区民族大道100号".into()),
        },
        site: SiteRef {
            address: "shop.example.cn".into(),
            url: "http://shop.example.cn/".into(),
        },
        case: CaseRef {
            number: "南市监网案〔2026〕7号".into(),
            summary: "未亮照经营".into(),
            stage: "调查".into(),
            opened_on: NaiveDate::from_ymd_opt(2026, 2, 20).unwrap(),
            decided_on: None,
            closed_on: None,
            officers: vec!["李明".into(), "王芳".into()],
        },
        violations: vec![Violation::from(domain::Category::LicenseNotDisplayed)],
        deadline: Some(NaiveDate::from_ymd_opt(2026, 3, 20).unwrap()),
        urls: vec!["http://shop.example.cn/".into()],
        referral: Some(Referral {
            to: "南宁市通信管理局".into(),
            reason: "网站未取得ICP备案".into(),
        }),
        reason: Some("首次发现，情节轻微".into()),
        outcomes: vec![
            OutcomeLine {
                kind: "rectification".into(),
                title: "责令改正".into(),
                due_on: NaiveDate::from_ymd_opt(2026, 3, 20),
                compliant: Some(false),
                ..OutcomeLine::default()
            },
            OutcomeLine {
                kind: "penalty".into(),
                title: "行政处罚".into(),
                decision_no: Some("南市监网罚〔2026〕3号".into()),
                legal_basis: Some("E-commerce Law Art. 76".into()),
                fine_yuan: Some("5000.00".into()),
                ..OutcomeLine::default()
            },
            OutcomeLine {
                kind: "abnormal_listing".into(),
                title: "列入经营异常名录".into(),
                cause: Some("公示信息隐瞒真实情况、弄虚作假".into()),
                ..OutcomeLine::default()
            },
        ],
        evidence: vec![EvidenceItem {
            url: "http://shop.example.cn/".into(),
            fetched_at: Utc.with_ymd_and_hms(2026, 2, 18, 2, 30, 0).unwrap(),
            record_id: Some("<urn:uuid:6f1e2d3c-4b5a-4968-8776-655443322110>".into()),
            warc_file: "sweep-1-00000.warc.gz".into(),
            offset: 1234,
            record_digest: RECORD_DIGEST.into(),
            payload_digest: Some(
                "sha256:0000000000000000000000000000000000000000000000000000000000000001".into(),
            ),
        }],
        attachments: vec![Attachment {
            file_name: "clue-3.wacz".into(),
            sha256: WACZ_SHA.into(),
        }],
    }
}
