//! The portal's badge pages: verification of a merchant's badge and the application for one.

use std::sync::Arc;

use axum::Router;

use super::Portal;

/// The badge pages' routes.
pub(super) fn routes() -> Router<Arc<Portal>> {
    Router::new()
}
