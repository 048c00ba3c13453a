//! The portal's complaint pages: complaint and report intake, and a complaint's status by its
//! tracking number.

use std::sync::Arc;

use axum::Router;

use super::Portal;

/// The complaint pages' routes.
pub(super) fn routes() -> Router<Arc<Portal>> {
    Router::new()
}
