//! What a person is told when a step on the dishonesty lists, credit repair, evaluations or
//! commitments is refused: the one mapping from [`credit::lists::ListError`] (every variant,
//! with its fields) to a Chinese sentence and its status — 404 for a row outside the viewer's
//! scope (exactly like a missing one), 403 for a permission, 409 when the record's state does
//! not allow the step, 400 for bad input.
//!
//! The match has no catch-all arm, so a new variant does not compile until it has its words.

use credit::lists::{Field, ListError};
use domain::{ListingCause, RemovalReason};

use crate::WebError;

/// A form field's name, as the form labels it.
pub(crate) fn field_words(f: Field) -> &'static str {
    match f {
        Field::Cause => "列入事由",
        Field::DecisionNo => "决定书文号",
        Field::Note => "说明",
        Field::Applicant => "申请人",
        Field::Statement => "申请理由",
        Field::Reason => "理由",
        Field::Summary => "评价意见",
        Field::Text => "承诺内容",
    }
}

/// The causes of abnormal operation, for the message naming them.
fn causes() -> String {
    ListingCause::ALL
        .iter()
        .map(|c| c.title())
        .collect::<Vec<_>>()
        .join("、")
}

/// The web error a refused step answers with: its status and Chinese message.
pub(crate) fn refusal(e: ListError) -> WebError {
    use ListError as E;
    let bad = WebError::BadRequest;
    let conflict = WebError::Conflict;
    match e {
        E::Forbidden(p) => WebError::Forbidden(p),
        E::NoEntity(id) => WebError::NotFound(format!("经营主体 {id}")),
        E::NoListing(id) => WebError::NotFound(format!("名录记录 {id}")),
        E::NoRepair(id) => WebError::NotFound(format!("信用修复申请 {id}")),
        E::NoCommitment(id) => WebError::NotFound(format!("信用承诺 {id}")),
        E::AlreadyListed { entity, list } => conflict(format!(
            "经营主体 {entity} 已在“{}”中，须先移出才能再次列入",
            list.title()
        )),
        E::AlreadyRemoved(id) => conflict(format!("名录记录 {id} 已移出")),
        E::UnknownCause(c) => bad(format!(
            "“{c}”不是列入经营异常名录的事由（应为：{}）",
            causes()
        )),
        E::NotByHand(reason) => bad(match reason {
            RemovalReason::Repaired => {
                "“信用修复”移出须通过信用修复申请的审核决定，不能直接移出".to_string()
            }
            RemovalReason::Expired => {
                "“期满移出”由系统在严重违法失信名单期满（3年）时自动办理".to_string()
            }
            other => format!("不能以“{}”为由手工移出", other.title()),
        }),
        E::Missing(f) => bad(format!("请填写{}", field_words(f))),
        E::TooLong { field, max } => bad(format!("{}不能超过 {max} 个字", field_words(field))),
        E::RepairTooEarly { listing, earliest } => conflict(format!(
            "名录记录 {listing} 尚未满足信用修复的最短公示期限，最早可于 {earliest} 申请"
        )),
        E::RepairPending(id) => conflict(format!(
            "名录记录 {id} 已有待审核的信用修复申请，请先作出决定"
        )),
        E::NotPending(id) => conflict(format!("信用修复申请 {id} 已作出决定")),
        E::ScoreOutOfRange(s) => bad(format!("评分 {s} 无效：应为 0 到 100 的整数")),
        E::NoEvaluator => bad("第三方评价须由评价机构用户录入".to_string()),
        E::AlreadyBroken(id) => conflict(format!("信用承诺 {id} 已记录为违背")),
        E::DateBefore { date, after } => bad(format!("日期 {date} 早于 {after}")),
        E::Store(e) => WebError::Store(e),
    }
}
