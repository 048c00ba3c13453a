//! What a person is told about credit: the one mapping from [`credit::CreditError`] and
//! [`credit::IndexProblem`] (every variant, with its fields) to Chinese sentences and the
//! status — 400 for a refused index file, 409 for a version string used before, 404 for an
//! entity outside the viewer's scope (exactly like a missing one), 403 without the permission.
//!
//! The matches have no catch-all arm, so a new variant does not compile until it has words.

use credit::{CreditError, IndexProblem};
use domain::Permission;

use crate::WebError;

/// One problem of an index system file, in Chinese.
pub(crate) fn problem_words(p: &IndexProblem) -> String {
    use IndexProblem::*;
    match p {
        Syntax {
            line,
            column,
            message,
        } => format!("第 {line} 行第 {column} 列：不是有效的 TOML（{message}）"),
        Shape { at, message } => format!("{at}：格式不正确（{message}）"),
        EmptyField { field } => format!("{field} 不能为空"),
        UnknownClass { class } => format!("classes.{class}：没有这个类别（只有 A、B、C、D）"),
        MissingClass { class } => format!("缺少 classes.{class}"),
        MissingThreshold { class } => format!("classes.{class} 须有 min_score（最低分）"),
        ThresholdOnD => "classes.D 不设 min_score（低于 C 类即为 D 类）".into(),
        ThresholdOutOfRange { class, min_score } => {
            format!("classes.{class}：min_score {min_score} 不在 0–100 之间")
        }
        ThresholdsNotDescending {
            class,
            min_score,
            above,
        } => format!("classes.{class}：min_score {min_score} 须低于上一类别的 {above}"),
        RatioOutOfRange { class, ratio } => {
            format!("classes.{class}：抽查比例 {ratio} 须大于 0 且不超过 1")
        }
        SweepHoursOutOfRange { class, hours } => {
            format!("classes.{class}：巡查间隔 {hours} 小时须至少为 1")
        }
        NoIndicators => "没有任何指标（[[indicator]]）".into(),
        BadCode { code, parent } => match parent {
            None => format!("{code}：一级指标的编码须为一个大写字母"),
            Some(p) if p.len() == 1 => format!("{code}：{p} 的下级指标编码须为 {p} 加两位数字"),
            Some(p) => format!("{code}：{p} 的下级指标编码须为 {p} 加“.”和两位数字"),
        },
        DuplicateCode { code } => format!("{code}：指标编码重复"),
        UnknownParent { code, parent } => format!("{code}：上级指标 {parent} 不存在"),
        Cycle { codes } => format!("{}：上下级关系形成循环", codes.join(" → ")),
        WeightOutOfRange { code, weight } => {
            format!("{code}：权重 {weight} 须大于 0 且不超过 1")
        }
        WeightsNotSummingToOne { parent, sum } => match parent {
            None => format!("一级指标的权重之和为 {sum}，须为 1"),
            Some(p) => format!("{p} 的下级指标权重之和为 {sum}，须为 1"),
        },
        LeafWithoutSource { code } => format!("{code}：末级指标须有数据来源（source）"),
        LeafWithoutScore { code } => format!("{code}：末级指标须有评分方法（score）"),
        InternalWithSource { code } => format!("{code}：有下级指标，不能再设数据来源"),
        InternalWithScore { code } => format!("{code}：有下级指标，不能再设评分方法或缺省分"),
        UnknownSource { code, source } => format!("{code}：未知的数据来源“{source}”"),
        ParamNotAllowed {
            code,
            source,
            param,
        } => format!("{code}：数据来源“{source}”不接受参数 {param}"),
        ParamMissing {
            code,
            source,
            param,
        } => format!("{code}：数据来源“{source}”须有参数 {param}"),
        BadParam { code, param, value } => format!("{code}：参数 {param} 的值“{value}”无效"),
        ScoreKindCount { code, kinds } => format!(
            "{code}：评分方法须恰好一种（steps、decay、yes/no、value、map），现有 {kinds} 种"
        ),
        ScoreIncomplete { code, missing } => format!("{code}：评分方法缺少 {missing}"),
        ScoreKindMismatch { code, source, kind } => {
            format!("{code}：评分方法 {kind} 不适用于数据来源“{source}”")
        }
        StepsEmpty { code } => format!("{code}：分段（steps）为空"),
        StepsNotAscending { code } => format!("{code}：分段（steps）的取值须递增"),
        PointsOutOfRange { code, points } => format!("{code}：分值 {points} 不在 0–100 之间"),
        DecayNegative { code, decay } => format!("{code}：扣分系数 {decay} 不能为负数"),
    }
}

/// A credit error as the console answers it.
pub(crate) fn credit_error(e: CreditError) -> WebError {
    match e {
        CreditError::Invalid(problems) => {
            let lines: Vec<String> = problems.iter().map(problem_words).collect();
            WebError::BadRequest(format!(
                "指标体系文件未载入（共 {} 处问题），现行版本不变：{}",
                problems.len(),
                lines.join("；")
            ))
        }
        CreditError::VersionReused { version } => WebError::BadRequest(format!(
            "版本号 {version} 已用于其他内容：修改指标体系时须同时修改 version"
        )),
        CreditError::NoIndex => {
            WebError::BadRequest("尚未载入信用指标体系，请先载入指标体系文件".into())
        }
        CreditError::StoredIndexInvalid { version } => {
            WebError::Internal(format!("stored index version {version} does not parse"))
        }
        CreditError::NotPermitted => WebError::Forbidden(Permission::Credit),
        CreditError::NotFound => WebError::NotFound("该主体的信用评价".into()),
        CreditError::File { path, message } => {
            WebError::Internal(format!("index file {path}: {message}"))
        }
        CreditError::Store(e) => WebError::Store(e),
    }
}
