//! What a person is told about complaints (投诉举报): the one mapping from
//! [`casework::ComplaintError`] (every variant) to a Chinese sentence and its status — 409
//! when the complaint's state or kind does not allow the step, 400 for bad input, 404 for a
//! complaint, entity, clue or case outside the viewer's scope — and the intake form's
//! problems in Chinese and English for the public portal. The matches have no catch-all arm,
//! so a new variant does not compile until it has its words.

use casework::{ComplaintError, IntakeField, IntakeProblem, Problem, StepField};
use domain::ComplaintStep;

use crate::WebError;

fn step_field(f: StepField) -> &'static str {
    match f {
        StepField::Reason => "理由",
        StepField::Note => "说明",
        StepField::OutcomeText => "向投诉人公开的处理结果",
    }
}

fn step_words(s: ComplaintStep) -> &'static str {
    match s {
        ComplaintStep::Accept => "受理",
        ComplaintStep::Refuse => "不予受理",
        ComplaintStep::StartMediation => "开始调解",
        ComplaintStep::EndMediation { .. } => "结束调解",
        ComplaintStep::Verify { .. } => "登记核查结果",
        ComplaintStep::Close => "办结",
    }
}

/// A refused complaint step as the console answers it.
pub(crate) fn refusal(e: ComplaintError) -> WebError {
    match e {
        ComplaintError::Intake(problems) => WebError::BadRequest(
            problems
                .iter()
                .map(|p| intake_problem(*p).0)
                .collect::<Vec<_>>()
                .join("；"),
        ),
        ComplaintError::Duplicate => {
            WebError::Conflict("同一投诉刚刚已经登记，未重复登记（请勿在几分钟内重复提交）".into())
        }
        ComplaintError::NotFound(id) => WebError::NotFound(format!("投诉举报 {id}")),
        ComplaintError::Transition(t) => WebError::Conflict(format!(
            "该{}处于“{}”状态，不能{}{}",
            t.kind.title(),
            t.state.title(),
            step_words(t.step),
            match t.step {
                ComplaintStep::StartMediation | ComplaintStep::EndMediation { .. }
                    if !t.kind.has_complaint() =>
                {
                    "（举报不调解）"
                }
                ComplaintStep::Verify { .. } if !t.kind.has_report() => "（投诉不需核查举报事项）",
                ComplaintStep::Close if t.kind.has_report() => "（举报须先登记核查结果）",
                _ => "",
            }
        )),
        ComplaintError::Missing(f) => WebError::BadRequest(format!("请填写{}", step_field(f))),
        ComplaintError::TooLong { field, max } => {
            WebError::BadRequest(format!("{}不能超过 {max} 字", step_field(field)))
        }
        ComplaintError::RefusedIsNotAClosing => {
            WebError::BadRequest("“不予受理”须在受理前作出，办结时请选择其他处理结果".into())
        }
        ComplaintError::NoEntity(id) => WebError::NotFound(format!("经营主体 {id}")),
        ComplaintError::NoClue(id) => WebError::NotFound(format!("线索 {id}")),
        ComplaintError::NoCase(id) => WebError::NotFound(format!("案件 {id}")),
        ComplaintError::NothingToLink => {
            WebError::BadRequest("请填写要关联的经营主体、线索或案件编号".into())
        }
        ComplaintError::UnknownDistrict(d) => {
            WebError::BadRequest(format!("{d} 不是现行的区县代码"))
        }
        ComplaintError::Closed(id) => {
            WebError::Conflict(format!("投诉举报 {id} 已办结或不予受理，不能改派"))
        }
        ComplaintError::Changed(_) => {
            WebError::Conflict("该投诉举报刚被他人处理，请刷新页面后重试".into())
        }
        ComplaintError::Random(e) => WebError::Internal(format!("random source: {e}")),
        ComplaintError::Store(e) => WebError::Store(e),
    }
}

/// A form field's label: Chinese and English.
pub(crate) fn field_label(f: IntakeField) -> (&'static str, &'static str) {
    match f {
        IntakeField::Kind => ("类别", "Type"),
        IntakeField::Subject => ("被投诉举报的经营者", "The business"),
        IntakeField::SubjectName => ("经营者名称", "Business name"),
        IntakeField::SubjectUscc => ("统一社会信用代码", "Unified social credit code"),
        IntakeField::SubjectUrl => ("网址", "Website address"),
        IntakeField::SubjectAddress => ("经营地址", "Business address"),
        IntakeField::Body => ("投诉举报内容", "What happened"),
        IntakeField::Name => ("您的姓名", "Your name"),
        IntakeField::Contact => ("联系电话或电子邮箱", "Phone or e-mail"),
        IntakeField::Phone => ("联系电话", "Phone"),
        IntakeField::Email => ("电子邮箱", "E-mail"),
    }
}

/// An intake problem: Chinese and English.
pub(crate) fn intake_problem(p: IntakeProblem) -> (String, String) {
    let (zh, en) = field_label(p.field);
    match (p.field, p.problem) {
        (IntakeField::Kind, Problem::Missing) => (
            "请选择投诉、举报或投诉并举报".into(),
            "Choose complaint, report or both".into(),
        ),
        (IntakeField::Subject, Problem::Missing) => (
            "请至少填写经营者名称、统一社会信用代码或网址之一".into(),
            "Give the business's name, its credit code or its website".into(),
        ),
        (IntakeField::Contact, Problem::Missing) => (
            "请至少填写联系电话或电子邮箱之一".into(),
            "Give a phone number or an e-mail address".into(),
        ),
        (_, Problem::Missing) => (format!("请填写{zh}"), format!("{en} is required")),
        (_, Problem::TooLong { max }) => (
            format!("{zh}不能超过 {max} 个字"),
            format!("{en} is longer than {max} characters"),
        ),
        (IntakeField::SubjectUscc, Problem::Invalid) => (
            "统一社会信用代码无效（18 位，请核对）".into(),
            "The credit code is not valid (18 characters; please check it)".into(),
        ),
        (IntakeField::SubjectUrl, Problem::Invalid) => (
            "网址无效（例如 shop.example.cn 或 https://shop.example.cn/item/1）".into(),
            "The website address is not valid (e.g. shop.example.cn)".into(),
        ),
        (IntakeField::Phone, Problem::Invalid) => (
            "联系电话无效（7 至 15 位数字）".into(),
            "The phone number is not valid (7 to 15 digits)".into(),
        ),
        (IntakeField::Email, Problem::Invalid) => (
            "电子邮箱无效".into(),
            "The e-mail address is not valid".into(),
        ),
        (_, Problem::Invalid) => (
            format!("{zh}含有不允许的控制字符"),
            format!("{en} holds characters that are not allowed"),
        ),
    }
}

/// A complaint kind for the public: Chinese and English.
pub(crate) fn kind_words(k: domain::ComplaintKind) -> (&'static str, &'static str) {
    use domain::ComplaintKind::*;
    match k {
        Complaint => ("投诉", "Complaint"),
        Report => ("举报", "Report"),
        Both => ("投诉并举报", "Complaint and report"),
    }
}

/// A complaint's state for the public: Chinese and English.
pub(crate) fn state_words(s: domain::ComplaintState) -> (&'static str, &'static str) {
    use domain::ComplaintState::*;
    match s {
        Received => ("已登记，待受理", "Received, awaiting acceptance"),
        Accepted => ("已受理", "Accepted"),
        Refused => ("不予受理", "Not accepted"),
        Mediating => ("调解中", "In mediation"),
        Mediated => ("调解达成协议", "Mediation reached an agreement"),
        MediationFailed => ("终止调解", "Mediation ended without agreement"),
        Verified => ("举报经核查属实", "Report verified"),
        NotVerified => ("举报经核查不实", "Report not verified"),
        Closed => ("已办结", "Closed"),
    }
}

/// A published outcome for the public: Chinese and English.
pub(crate) fn outcome_words(o: domain::ComplaintOutcome) -> (&'static str, &'static str) {
    use domain::ComplaintOutcome::*;
    match o {
        Mediated => ("调解达成协议", "Mediation reached an agreement"),
        NotMediated => (
            "调解未达成协议（可依法申请仲裁或提起诉讼）",
            "No agreement in mediation (arbitration or court remain open)",
        ),
        CaseOpened => ("已立案查处", "A case was opened"),
        Corrected => ("已责令改正", "Ordered to correct"),
        NoViolation => ("未发现违法行为", "No violation found"),
        Transferred => ("已移送有关部门", "Transferred to the competent authority"),
        Refused => ("不予受理", "Not accepted"),
    }
}
