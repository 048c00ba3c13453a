//! `/api/v1/rules`: people's triage decisions per detection rule over the findings in the
//! caller's scope, the precision they give, and whether the rule is flagged for review under
//! the console's policy ([`store::ReviewPolicy`], as on the rules page).

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{ReviewPolicy, RuleStanding};
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::ToSchema;

use super::Page;
use crate::{ApiError, Shared, Viewer};

fn standing() -> utoipa::openapi::schema::Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(
            "`review`: precision below the threshold over enough decisions; \
             `too_few_decisions`: not judged yet; `sound`: at or above the threshold",
        ))
        .enum_values(Some(
            RuleStanding::ALL
                .iter()
                .map(|s| serde_json::Value::from(s.code())),
        ))
        .build()
}

/// One rule's decisions.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Rule)]
pub(crate) struct RuleItem {
    /// The rule's id in the rule pack (structural checks: `structure.*`).
    pub rule_id: String,
    /// Findings no one has decided on yet.
    pub open: i64,
    pub confirmed: i64,
    pub dismissed: i64,
    pub false_positive: i64,
    /// Findings the detector suppressed (a quotation, a trademark, the page's genre): kept
    /// for people to review the rule, not counted above.
    pub suppressed: i64,
    /// (confirmed + dismissed) / decided; null before any decision.
    pub precision: Option<f64>,
    #[schema(schema_with = standing)]
    pub standing: String,
}

/// Every rule with findings in the caller's scope, those flagged for review first (one page).
#[utoipa::path(
    get,
    path = "/api/v1/rules",
    operation_id = "list_rules",
    tag = "findings",
    responses((status = 200, description = "Every rule with findings in scope", body = Page<RuleItem>), super::Failures)
)]
pub(crate) async fn list(
    State(app): State<Shared>,
    viewer: Viewer,
) -> Result<Json<Page<RuleItem>>, ApiError> {
    let policy = ReviewPolicy::default();
    let mut rules = app.store.rule_triage(viewer.scope()).await?;
    rules.sort_by_key(|r| r.standing(&policy));
    Ok(Json(Page::whole(
        rules
            .into_iter()
            .map(|r| RuleItem {
                precision: r.precision(),
                standing: r.standing(&policy).code().to_string(),
                rule_id: r.rule_id,
                open: r.open,
                confirmed: r.confirmed,
                dismissed: r.dismissed,
                false_positive: r.false_positive,
                suppressed: r.suppressed,
            })
            .collect(),
    )))
}
