//! What a person is told when a random-inspection step is refused: the one mapping from
//! [`sampling::SamplingError`] (every variant, with its fields, and the draw's own
//! [`sampling::DrawError`]) to a Chinese sentence and its status — 403 without the
//! permission, 404 for a plan, draw or drawn entity outside the viewer's scope (exactly like a
//! missing one), 409 when the record's state does not allow the step, 400 for bad input. The
//! `sampling` crate writes no sentence for people.
//!
//! The matches have no catch-all arm, so a new variant does not compile until it has its
//! words.

use sampling::{DrawError, SamplingError};

use crate::WebError;

/// Why the draw itself refused, in Chinese.
pub(crate) fn draw_words(e: &DrawError) -> String {
    match e {
        DrawError::EmptyPopulation => {
            "抽查对象名录为空：计划的筛选条件没有匹配到任何存续的经营主体，未抽取".into()
        }
        DrawError::EmptySeed => "请填写随机种子".into(),
        DrawError::DuplicateEntity { uscc } => format!("名录中统一社会信用代码 {uscc} 重复"),
        DrawError::MissingRatio { class } => format!("{}没有设定抽查比例", class.title()),
        DrawError::BadRatio { text } => format!("抽查比例“{text}”应在 0（不含）到 1 之间"),
        DrawError::EmptyPool => "执法检查人员名录为空（或其中人员均已停用），未抽取".into(),
        DrawError::NoInspectorsPerEntity => "每户检查人员数至少为 1".into(),
        DrawError::TooFewInspectors { uscc, have, need } => format!(
            "经营主体 {uscc} 排除回避人员后只有 {have} 名可选检查人员，少于每户所需的 {need} 名，未抽取"
        ),
        DrawError::UnknownAlgorithm(a) => format!("不支持的抽取算法“{a}”"),
    }
}

/// A sampling refusal as the error the console answers.
pub(crate) fn refusal(e: SamplingError) -> WebError {
    type E = SamplingError;
    let bad = WebError::BadRequest;
    match e {
        E::NotPermitted(p) => WebError::Forbidden(p),
        E::NoPlan(id) => WebError::NotFound(format!("抽查计划 {id}")),
        E::NoDraw(id) => WebError::NotFound(format!("抽查批次 {id}")),
        E::PlanClosed(id) => WebError::Conflict(format!("抽查计划 {id} 已结束，不能再抽取")),
        E::NameMissing => bad("请填写计划名称".into()),
        E::NameTooLong => bad(format!("计划名称不能超过 {} 字", sampling::MAX_NAME)),
        E::NoItems => bad("请至少填写一项检查事项".into()),
        E::BadRatio { class, text } => bad(format!(
            "{}的抽查比例“{text}”无效：应为 0（不含）到 1 之间的小数（最多四位）或百分数，如 0.03 或 3%",
            class.title()
        )),
        E::MissingRatio(class) => bad(format!("请填写{}的抽查比例", class.title())),
        E::BadInspectorsPerEntity(n) => bad(format!(
            "每户检查人员数 {n} 无效：应为 1 到 {}",
            sampling::MAX_INSPECTORS_PER_ENTITY
        )),
        E::PoolTooSmall { have, need } => bad(format!(
            "执法检查人员名录只有 {have} 人，少于每户所需的 {need} 人"
        )),
        E::NoUser(name) => bad(format!("用户“{name}”不存在")),
        E::UserDisabled(name) => bad(format!("用户“{name}”已停用，不能列入检查人员名录")),
        E::NotAnInspector(name) => bad(format!("用户“{name}”的角色不能从事现场检查")),
        E::SeedTooLong => bad(format!("随机种子不能超过 {} 字节", sampling::MAX_SEED)),
        E::Draw(d) => bad(draw_words(&d)),
        E::NotDrawn { draw, uscc } => {
            WebError::NotFound(format!("抽查批次 {draw} 中的经营主体 {uscc}"))
        }
        E::NoInspection { inspection, uscc } => bad(format!(
            "现场检查 {inspection} 不是对经营主体 {uscc} 的检查（或不在您的辖区内）"
        )),
        E::AlreadyLinked { draw, uscc } => WebError::Conflict(format!(
            "抽查批次 {draw} 中的经营主体 {uscc} 已登记检查结果"
        )),
        E::BadPublication(_) => bad("不是抽查结果公示文件".into()),
        E::Store(s) => WebError::Store(s),
    }
}
