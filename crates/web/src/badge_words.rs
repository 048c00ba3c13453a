//! What a person in the console is told when a step on a license badge (亮照) is refused: the
//! one mapping from [`badge::BadgeError`] (every variant) to a Chinese sentence and its status —
//! 404 for a badge outside the viewer's scope (exactly like a missing one), 403 for a
//! permission, 409 when the badge's state does not allow the step, 400 for bad input.
//!
//! The match has no catch-all arm, so a new variant does not compile until it has its words.
//! (The portal words the applicant's refusals itself, in both of its languages.)

use badge::BadgeError;
use domain::Permission;

use crate::WebError;

/// The web error a refused step answers with: its status and Chinese message.
pub(crate) fn refusal(e: BadgeError) -> WebError {
    let bad = WebError::BadRequest;
    let conflict = WebError::Conflict;
    match e {
        BadgeError::BadUscc(e) => bad(format!("统一社会信用代码有误：{e}")),
        BadgeError::NotRegistered => bad("登记信息中没有该统一社会信用代码的经营主体".into()),
        BadgeError::Deregistered => conflict("该经营主体已注销，不能申请亮照".into()),
        BadgeError::BadDomain(_) => {
            bad("域名格式有误（例如 shop.example.cn，不含端口和路径）".into())
        }
        BadgeError::DomainPath => bad("亮照绑定整个域名，请勿填写路径".into()),
        BadgeError::BadContact => bad("请填写联系人及联系方式（不超过 200 字）".into()),
        BadgeError::DomainHeld => conflict("该域名已有亮照或正在审核中的申请".into()),
        BadgeError::NotPermitted => WebError::Forbidden(Permission::Badges),
        BadgeError::NotFound => WebError::NotFound("亮照".into()),
        BadgeError::State(t) => conflict(format!(
            "亮照当前状态为“{}”，不能{}",
            t.from.title(),
            t.action.title()
        )),
        BadgeError::NoReason => bad("请填写理由".into()),
        BadgeError::Changed => conflict("亮照已被他人处理，请刷新页面后再操作".into()),
        BadgeError::Key { .. } => WebError::Unavailable("亮照签名密钥不可用".into()),
        BadgeError::Store(e) => WebError::Store(e),
        BadgeError::Credit(e) => WebError::Internal(format!("credit index: {e}")),
    }
}
