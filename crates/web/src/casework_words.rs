//! What a person is told when a casework step is refused: the one mapping from
//! [`casework::CaseworkError`] (every variant, with its fields) to a Chinese sentence and the
//! status it is answered with — 409 when the record's state does not allow the step, 400 for
//! bad input, 404 for a clue, case or outcome outside the viewer's scope (exactly like a
//! missing one). Permissions are checked before, by `Viewer::require` (403). The `casework`
//! crate writes no sentence for people; its `title()`s are the only Chinese it hands over.
//!
//! The match has no catch-all arm, so a new variant does not compile until it has its words.

use casework::{CaseworkError, ClueStep, FenError, Field};
use domain::TransitionError;

use crate::WebError;

/// A form field's name, as the form labels it.
pub(crate) fn field_words(f: Field) -> &'static str {
    match f {
        Field::Reason => "理由",
        Field::TransferredTo => "移送机关",
        Field::DecisionNo => "处罚决定书文号",
        Field::ReferredTo => "移送部门",
        Field::Summary => "案情摘要",
        Field::Note => "说明",
        Field::Confiscation => "没收内容",
    }
}

fn step_words(s: ClueStep) -> &'static str {
    match s {
        ClueStep::Dispatched => "派发",
        ClueStep::Answered => "反馈核查结果",
        ClueStep::Extended => "延长核查时限",
        ClueStep::OpenedAsCase => "立案",
    }
}

/// Why an amount is not a fine, in Chinese.
pub(crate) fn fen_words(e: &FenError) -> String {
    match e {
        FenError::Empty => "请填写罚款金额（元）".into(),
        FenError::Negative => "罚款金额不能为负数".into(),
        FenError::TooPrecise => "罚款金额最多保留两位小数（精确到分）".into(),
        FenError::NotANumber(s) => format!("“{s}”不是金额（以元为单位，例如 12.50）"),
        FenError::TooLarge => "罚款金额过大".into(),
    }
}

fn transition_words(e: &TransitionError) -> String {
    match e {
        TransitionError::AlreadyClosed => {
            "案件已结案，没有下一阶段（如需继续办理，须重新调查）".into()
        }
        TransitionError::NotReopenable(stage) => format!(
            "案件处于“{}”阶段：只有已决定或已结案的案件可以重新调查",
            stage.title()
        ),
        TransitionError::Skip { from, to } => format!(
            "案件处于“{}”阶段，不能直接进入“{}”阶段（须依次经过 立案 → 调查 → 决定 → 结案）",
            from.title(),
            to.title()
        ),
    }
}

/// The web error a refused casework step answers with: its status and Chinese message.
pub(crate) fn refusal(e: CaseworkError) -> WebError {
    use CaseworkError as E;
    let bad = WebError::BadRequest;
    let conflict = WebError::Conflict;
    match e {
        E::NoClue(id) => WebError::NotFound(format!("线索 {id}")),
        E::NoCase(id) => WebError::NotFound(format!("案件 {id}")),
        E::NoOutcome(id) => WebError::NotFound(format!("处理结果 {id}")),
        E::NoSweep(id) => WebError::NotFound(format!("巡查 {id}")),
        E::NoUser(name) => bad(format!("用户“{name}”不存在")),
        E::UnknownDistrict(code) => bad(format!("{code} 不是现行的区县（市）代码")),
        E::ClueState { clue, state, step } => conflict(format!(
            "线索 {clue} 当前为“{}”，不能{}",
            state.title(),
            step_words(step)
        )),
        E::ReasonRequired(clue) => bad(format!("线索 {clue} 已派发，重新派发须说明理由")),
        E::Missing(field) => bad(format!("请填写{}", field_words(field))),
        E::TooLong { field, max } => {
            bad(format!("{}不能超过 {max} 个字", field_words(field)))
        }
        E::AlreadyExtended(clue) => conflict(format!(
            "线索 {clue} 的核查时限已延长过一次，不能再次延长"
        )),
        E::NoClues => bad("立案须至少选择一条线索".into()),
        E::MixedSites { site, other, clue } => bad(format!(
            "线索 {clue} 属于网站 #{other}，与第一条线索的网站 #{site} 不同：一个案件只针对一个网站"
        )),
        E::NoDistrict(clue) => conflict(format!(
            "线索 {clue} 尚未派发到区局，或与其他线索不属于同一区局"
        )),
        E::NotAnOfficer(name, district) => bad(format!(
            "“{name}”不能承办区域 {district} 的案件（须为在该区域有办案权限的在职人员）"
        )),
        E::Transition(t) => conflict(transition_words(&t)),
        E::StageChanged { case, seen, now } => conflict(format!(
            "案件 {case} 现处于“{}”阶段，而不是页面所示的“{}”阶段（可能已有他人操作；阶段须依次推进，不能跳过），请刷新页面后再试",
            now.title(),
            seen.title()
        )),
        E::TooFewOfficers { case, have } => conflict(format!(
            "案件 {case} 只有 {have} 名办案人员，作出决定须至少两名"
        )),
        E::NoOutcomeYet(case) => conflict(format!(
            "案件 {case} 尚无处理结果，不能作出决定"
        )),
        E::RectificationPending(outcome) => conflict(format!(
            "责令整改 {outcome} 尚未复查，不能结案"
        )),
        E::NoOutcomeAtStage { case, stage } => conflict(format!(
            "案件 {case} 处于“{}”阶段：处理结果只能在调查中或已决定时录入，决定期限只能在作出决定前延长",
            stage.title()
        )),
        E::DeadlineInPast(day) => bad(format!("期限 {day} 已过：整改期限不能早于今天")),
        E::NoUrls => bad("责令整改须至少列出一个需整改的网址".into()),
        E::ForeignUrl { url, site } => bad(format!("{url} 不是本案网站 {site} 的网页")),
        E::NoEntity(case) => conflict(format!(
            "案件 {case} 的网站没有登记的经营主体，不能列入经营异常名录"
        )),
        E::AlreadyListed(entity) => conflict(format!(
            "经营主体 {entity} 已在经营异常名录中（见名录管理），须先移出才能再次列入"
        )),
        E::WrongOutcome { outcome, kind } => conflict(format!(
            "处理结果 {outcome} 是“{}”，或已办结，不能进行此操作",
            kind.title()
        )),
        E::NotRechecked { sweep, url } => {
            conflict(format!("巡查 {sweep} 没有抓取到 {url}，不能据此复查"))
        }
        E::Fen(f) => bad(fen_words(&f)),
        E::Changed(_) => conflict("记录已被他人修改，请刷新页面后再试".into()),
        E::Store(s) => WebError::Store(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use chrono::NaiveDate;
    use domain::{
        CaseId, CaseStage, ClueId, ClueState, DistrictCode, OutcomeId, OutcomeKind, SiteId, SweepId,
    };
    use std::collections::HashSet;
    use std::mem::discriminant;

    /// How many variants `CaseworkError` has; `every_variant_has_chinese_words` covers each.
    const VARIANTS: usize = 30;

    #[test]
    fn every_variant_has_chinese_words() {
        let url = "http://shop.test/x".to_string();
        let site = "shop.test/".to_string();
        let d = DistrictCode::parse("450103").unwrap();
        // (error, status, values of the error that may stand in the message as they are)
        let cases: Vec<(CaseworkError, StatusCode, Vec<String>)> = vec![
            (
                CaseworkError::NoClue(ClueId(3)),
                StatusCode::NOT_FOUND,
                vec![],
            ),
            (
                CaseworkError::NoCase(CaseId(3)),
                StatusCode::NOT_FOUND,
                vec![],
            ),
            (
                CaseworkError::NoOutcome(OutcomeId(3)),
                StatusCode::NOT_FOUND,
                vec![],
            ),
            (
                CaseworkError::NoSweep(SweepId(3)),
                StatusCode::NOT_FOUND,
                vec![],
            ),
            (
                CaseworkError::NoUser("wang".into()),
                StatusCode::BAD_REQUEST,
                vec!["wang".into()],
            ),
            (
                CaseworkError::UnknownDistrict(DistrictCode::parse("450199").unwrap()),
                StatusCode::BAD_REQUEST,
                vec![],
            ),
            (
                CaseworkError::ClueState {
                    clue: ClueId(1),
                    state: ClueState::NotVerified,
                    step: ClueStep::Dispatched,
                },
                StatusCode::CONFLICT,
                vec![],
            ),
            (
                CaseworkError::ReasonRequired(ClueId(1)),
                StatusCode::BAD_REQUEST,
                vec![],
            ),
            (
                CaseworkError::Missing(Field::DecisionNo),
                StatusCode::BAD_REQUEST,
                vec![],
            ),
            (
                CaseworkError::TooLong {
                    field: Field::Summary,
                    max: 500,
                },
                StatusCode::BAD_REQUEST,
                vec![],
            ),
            (
                CaseworkError::AlreadyExtended(ClueId(1)),
                StatusCode::CONFLICT,
                vec![],
            ),
            (CaseworkError::NoClues, StatusCode::BAD_REQUEST, vec![]),
            (
                CaseworkError::MixedSites {
                    site: SiteId(1),
                    other: SiteId(2),
                    clue: ClueId(5),
                },
                StatusCode::BAD_REQUEST,
                vec![],
            ),
            (
                CaseworkError::NoDistrict(ClueId(1)),
                StatusCode::CONFLICT,
                vec![],
            ),
            (
                CaseworkError::NotAnOfficer("li".into(), d),
                StatusCode::BAD_REQUEST,
                vec!["li".into()],
            ),
            (
                CaseworkError::Transition(TransitionError::AlreadyClosed),
                StatusCode::CONFLICT,
                vec![],
            ),
            (
                CaseworkError::StageChanged {
                    case: CaseId(2),
                    seen: CaseStage::Registered,
                    now: CaseStage::Investigating,
                },
                StatusCode::CONFLICT,
                vec![],
            ),
            (
                CaseworkError::TooFewOfficers {
                    case: CaseId(2),
                    have: 1,
                },
                StatusCode::CONFLICT,
                vec![],
            ),
            (
                CaseworkError::NoOutcomeYet(CaseId(2)),
                StatusCode::CONFLICT,
                vec![],
            ),
            (
                CaseworkError::RectificationPending(OutcomeId(4)),
                StatusCode::CONFLICT,
                vec![],
            ),
            (
                CaseworkError::NoOutcomeAtStage {
                    case: CaseId(2),
                    stage: CaseStage::Closed,
                },
                StatusCode::CONFLICT,
                vec![],
            ),
            (
                CaseworkError::DeadlineInPast(NaiveDate::from_ymd_opt(2017, 1, 2).unwrap()),
                StatusCode::BAD_REQUEST,
                vec![],
            ),
            (CaseworkError::NoUrls, StatusCode::BAD_REQUEST, vec![]),
            (
                CaseworkError::ForeignUrl {
                    url: url.clone(),
                    site: site.clone(),
                },
                StatusCode::BAD_REQUEST,
                vec![url.clone(), site.clone()],
            ),
            (
                CaseworkError::NoEntity(CaseId(2)),
                StatusCode::CONFLICT,
                vec![],
            ),
            (
                CaseworkError::WrongOutcome {
                    outcome: OutcomeId(4),
                    kind: OutcomeKind::Warning,
                },
                StatusCode::CONFLICT,
                vec![],
            ),
            (
                CaseworkError::NotRechecked {
                    sweep: SweepId(9),
                    url: url.clone(),
                },
                StatusCode::CONFLICT,
                vec![url.clone()],
            ),
            (
                CaseworkError::Fen(FenError::TooPrecise),
                StatusCode::BAD_REQUEST,
                vec![],
            ),
            (
                CaseworkError::Changed("case 2 stage".into()),
                StatusCode::CONFLICT,
                vec![],
            ),
            (
                CaseworkError::Store(store::StoreError::NotFound("x".into())),
                StatusCode::INTERNAL_SERVER_ERROR,
                vec![],
            ),
        ];
        // Each variant is here once (the transitions and fines are checked below).
        let kinds: HashSet<_> = cases.iter().map(|(e, ..)| discriminant(e)).collect();
        assert_eq!(kinds.len(), cases.len());
        assert_eq!(kinds.len(), VARIANTS);
        let mut all = cases;
        for t in [
            TransitionError::NotReopenable(CaseStage::Investigating),
            TransitionError::Skip {
                from: CaseStage::Registered,
                to: CaseStage::Decided,
            },
        ] {
            all.push((CaseworkError::Transition(t), StatusCode::CONFLICT, vec![]));
        }
        for f in [
            FenError::Empty,
            FenError::Negative,
            FenError::NotANumber("12,5".into()),
            FenError::TooLarge,
        ] {
            all.push((CaseworkError::Fen(f), StatusCode::BAD_REQUEST, vec![]));
        }
        all.push((
            CaseworkError::Missing(Field::Reason),
            StatusCode::BAD_REQUEST,
            vec![],
        ));
        for (e, status, values) in all {
            let shown = format!("{e:?}");
            let w = refusal(e);
            assert_eq!(w.status(), status, "{shown}");
            let mut text = w.public_message();
            if status == StatusCode::INTERNAL_SERVER_ERROR {
                assert!(text.starts_with("服务器内部错误"), "{text}");
                continue;
            }
            for v in values {
                text = text.replace(&v, "");
            }
            assert!(
                !text.chars().any(|c| c.is_ascii_alphabetic()),
                "{shown} shows English: {text}"
            );
            assert!(
                text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{shown}: {text}"
            );
        }
    }

    #[test]
    fn every_field_and_step_has_a_name() {
        for f in [
            Field::Reason,
            Field::TransferredTo,
            Field::DecisionNo,
            Field::ReferredTo,
            Field::Summary,
            Field::Note,
            Field::Confiscation,
        ] {
            assert!(!field_words(f).is_empty());
        }
        assert!(refusal(CaseworkError::ClueState {
            clue: ClueId(1),
            state: ClueState::CaseOpened,
            step: ClueStep::OpenedAsCase,
        })
        .public_message()
        .contains("已立案"));
        let skip = refusal(CaseworkError::Transition(TransitionError::Skip {
            from: CaseStage::Registered,
            to: CaseStage::Decided,
        }))
        .public_message();
        assert!(skip.contains("已立案") && skip.contains("已决定"), "{skip}");
    }
}
