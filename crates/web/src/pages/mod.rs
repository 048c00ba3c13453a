//! The HTML pages of the console, one module per page family. Handlers read through the store
//! with the viewer's scope, turn rows into small view structs of display strings, and render
//! them with askama (autoescaping on; `|safe` is never used on anything from a capture).

pub(crate) mod badges;
pub(crate) mod campaigns;
pub(crate) mod captures;
pub(crate) mod cases;
pub(crate) mod clues;
pub(crate) mod complaints;
pub(crate) mod credit;
pub(crate) mod credit_lists;
pub(crate) mod dashboard;
pub(crate) mod discovered;
pub(crate) mod documents;
pub(crate) mod entities;
pub(crate) mod evidence;
pub(crate) mod findings;
pub(crate) mod inspections;
pub(crate) mod login;
pub(crate) mod objects;
pub(crate) mod packages;
pub(crate) mod portal_admin;
pub(crate) mod record;
pub(crate) mod reports;
pub(crate) mod sampling;
pub(crate) mod schedule;
pub(crate) mod sites;
pub(crate) mod transparency;
pub(crate) mod triage;
pub(crate) mod users;

use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse};

use crate::WebError;

/// The console's stylesheet: its own rules, then the charts' (`static/chart.css`, shared with the
/// report's document).
const STYLE: &str = concat!(
    include_str!("../../static/style.css"),
    include_str!("../../static/chart.css")
);

/// Renders a page template.
pub(crate) fn render(page: &impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(page.render()?))
}

/// `/static/style.css`, compiled into the binary.
pub(crate) async fn style_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
}
