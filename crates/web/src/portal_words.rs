//! What a person is told in the console when a portal publication step is refused: the one
//! mapping from [`credit::portal::PortalError`] to a Chinese sentence and its status. The
//! match has no catch-all arm, so a new variant does not compile until it has its words.

use credit::portal::{PortalError, PortalField};

use crate::WebError;

fn field_words(f: PortalField) -> &'static str {
    match f {
        PortalField::Title => "标题",
        PortalField::Body => "正文",
        PortalField::Reason => "撤回理由",
        PortalField::Note => "说明",
    }
}

/// The web error a refused step answers with.
pub(crate) fn refusal(e: PortalError) -> WebError {
    match e {
        PortalError::Forbidden(p) => WebError::Forbidden(p),
        PortalError::Missing(f) => WebError::BadRequest(format!("请填写{}", field_words(f))),
        PortalError::TooLong { field, max } => {
            WebError::BadRequest(format!("{}不能超过 {max} 个字", field_words(field)))
        }
        PortalError::NoNotice(id) => WebError::NotFound(format!("公告 {id}")),
        PortalError::Withdrawn(id) => WebError::Conflict(format!("公告 {id} 已撤回")),
        PortalError::NoSite(id) => WebError::NotFound(format!("网站 {id}")),
        PortalError::NotClassA { site, class } => WebError::Conflict(format!(
            "网站 {site} 的经营主体信用风险分类为{}，只有 A 级经营主体的网站可认定为示范网店",
            class.map_or_else(|| "尚未评定".to_string(), |c| format!(" {} 级", c.code()))
        )),
        PortalError::AlreadyModel(id) => WebError::Conflict(format!("网站 {id} 已是示范网店")),
        PortalError::NotModel(id) => WebError::NotFound(format!("示范网店 {id}")),
        PortalError::Store(e) => WebError::Store(e),
    }
}
