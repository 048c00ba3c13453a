//! The report's figures ([`crate::report`]).
//!
//! Each figure is defined once, as the query of its records ([`push_records`], rows `figure, id,
//! district, label, case_id, value`): the figures are those queries counted per district in one
//! statement (`UNION ALL` of every figure asked for), and a figure's list is the same query
//! filtered by district, so the two cannot disagree. A campaign's report is the same queries
//! narrowed to its sites (and, for sweeps, to its sweeps).

use super::*;
use crate::report::{Figure, FigureCount, FigureRecord, ReportSubject};
use crate::ReportStore;
use async_trait::async_trait;
use domain::SiteKind;

/// Appends ` AND <site> IN (the campaign's sites)` for a campaign's report.
fn push_sites(q: &mut QueryBuilder<Db>, subject: &ReportSubject, site: &'static str) {
    if let Some(c) = subject.campaign {
        q.push(" AND ")
            .push(site)
            .push(" IN (SELECT cs.site_id FROM campaign_sites cs WHERE cs.campaign_id = ");
        q.push_bind(c.0);
        q.push(")");
    }
}

/// Appends ` AND <entity> IN (the entities of the campaign's sites)` for a campaign's report.
fn push_entities(q: &mut QueryBuilder<Db>, subject: &ReportSubject, entity: &'static str) {
    if let Some(c) = subject.campaign {
        q.push(" AND ").push(entity).push(
            " IN (SELECT s2.entity_id FROM campaign_sites cs JOIN sites s2 ON s2.id = cs.site_id \
             WHERE s2.entity_id IS NOT NULL AND cs.campaign_id = ",
        );
        q.push_bind(c.0);
        q.push(")");
    }
}

/// Appends ` AND <column> >= from AND <column> < until`.
fn push_within(q: &mut QueryBuilder<Db>, subject: &ReportSubject, column: &'static str) {
    q.push(" AND ").push(column).push(" >= ");
    q.push_bind(subject.period.from);
    q.push(" AND ").push(column).push(" < ");
    q.push_bind(subject.period.until);
}

/// City-wide records (no district): in the city's scope only.
fn push_city_only(q: &mut QueryBuilder<Db>, scope: &Scope) {
    if !matches!(scope, Scope::City) {
        q.push(" AND 1 = 0");
    }
}

/// The columns of a record row after `figure`: `id, district, label, case_id, value`.
fn cols(id: &str, district: &str, label: &str, case_id: &str, value: &str) -> String {
    format!(
        "CAST({id} AS BIGINT) AS id, CAST({district} AS TEXT) AS district, \
         CAST({label} AS TEXT) AS label, CAST({case_id} AS BIGINT) AS case_id, \
         CAST({value} AS BIGINT) AS value"
    )
}

/// A site of the register (`s`, its entity `e`).
fn site_cols() -> String {
    cols("s.id", "e.district", "s.host || s.path_prefix", "NULL", "1")
}

const SITES_FROM: &str = " FROM sites s LEFT JOIN entities e ON e.id = s.entity_id WHERE 1 = 1";

/// Sites fetched (an HTTP answer): within the period, or for a campaign by one of its sweeps.
fn push_checked(q: &mut QueryBuilder<Db>, subject: &ReportSubject) {
    q.push(site_cols()).push(SITES_FROM);
    push_sites(q, subject, "s.id");
    q.push(
        " AND EXISTS (SELECT 1 FROM fetches f JOIN sweeps w ON w.id = f.sweep_id \
         WHERE f.site_id = s.id AND f.status IS NOT NULL",
    );
    match subject.campaign {
        Some(c) => {
            q.push(" AND w.campaign_id = ").push_bind(c.0);
        }
        None => push_within(q, subject, "f.fetched_at"),
    }
    q.push(")");
}

fn push_records(q: &mut QueryBuilder<Db>, figure: Figure, subject: &ReportSubject, scope: &Scope) {
    use Figure::*;
    q.push("SELECT ");
    q.push_bind(figure.code());
    q.push(" AS figure, ");
    let until = subject.period.until;
    match figure {
        Entities => {
            q.push(cols("e.id", "e.district", "e.name", "NULL", "1"));
            q.push(" FROM entities e WHERE e.created_at < ")
                .push_bind(until);
            push_entities(q, subject, "e.id");
            push_scope(q, scope);
        }
        Platforms | TradingSites | NonTradingSites | PlatformShops => {
            let kind = match figure {
                Platforms => SiteKind::Platform,
                TradingSites => SiteKind::TradingSite,
                NonTradingSites => SiteKind::NonTradingSite,
                _ => SiteKind::PlatformShop,
            };
            q.push(site_cols()).push(SITES_FROM);
            q.push(" AND s.kind = ").push_bind(kind.code());
            q.push(" AND s.created_at < ").push_bind(until);
            push_sites(q, subject, "s.id");
            push_scope(q, scope);
        }
        NewSites => {
            q.push(site_cols()).push(SITES_FROM);
            push_within(q, subject, "s.created_at");
            push_sites(q, subject, "s.id");
            push_scope(q, scope);
        }
        Discovered => {
            q.push(cols("d.id", "NULL", "d.host || d.path_prefix", "NULL", "1"));
            q.push(" FROM discovered_sites d WHERE 1 = 1");
            push_within(q, subject, "d.first_seen");
            if let Some(c) = subject.campaign {
                q.push(" AND d.first_sweep IN (SELECT w.id FROM sweeps w WHERE w.campaign_id = ");
                q.push_bind(c.0);
                q.push(")");
            }
            push_city_only(q, scope);
        }
        Sweeps => {
            q.push(cols("w.id", "NULL", "w.kind", "NULL", "1"));
            q.push(" FROM sweeps w WHERE 1 = 1");
            push_within(q, subject, "w.started_at");
            match subject.campaign {
                Some(c) => {
                    q.push(" AND w.campaign_id = ").push_bind(c.0);
                }
                None => {
                    q.push(" AND w.kind = 'sweep'");
                }
            }
            push_city_only(q, scope);
        }
        SitesChecked => {
            push_checked(q, subject);
            push_scope(q, scope);
        }
        SuspectSites => {
            push_checked(q, subject);
            q.push(
                " AND EXISTS (SELECT 1 FROM findings g WHERE g.site_id = s.id \
                 AND g.triage <> 'false_positive' AND g.suppressed IS NULL AND g.found_at < ",
            );
            q.push_bind(until);
            q.push(")");
            push_scope(q, scope);
        }
        Pages | WarcRecords => {
            q.push(cols("f.id", "e.district", "f.url", "NULL", "1"));
            q.push(
                " FROM fetches f JOIN sites s ON s.id = f.site_id \
                 LEFT JOIN entities e ON e.id = s.entity_id WHERE ",
            );
            q.push(if figure == Pages {
                "f.status IS NOT NULL"
            } else {
                "f.warc_file IS NOT NULL"
            });
            push_within(q, subject, "f.fetched_at");
            push_sites(q, subject, "s.id");
            push_scope(q, scope);
        }
        Findings => {
            q.push(cols(
                "g.id",
                "e.district",
                "g.category || ' ' || g.url",
                "NULL",
                "1",
            ));
            q.push(
                " FROM findings g JOIN sites s ON s.id = g.site_id \
                 LEFT JOIN entities e ON e.id = s.entity_id \
                 WHERE g.triage <> 'false_positive' AND g.suppressed IS NULL",
            );
            push_within(q, subject, "g.found_at");
            push_sites(q, subject, "s.id");
            push_scope(q, scope);
        }
        Captures => {
            q.push(cols("r.id", "e.district", "r.url", "NULL", "1"));
            q.push(
                " FROM capture_requests r JOIN sites s ON s.id = r.site_id \
                 LEFT JOIN entities e ON e.id = s.entity_id WHERE r.state = 'done'",
            );
            push_within(q, subject, "r.finished_at");
            push_sites(q, subject, "s.id");
            push_scope(q, scope);
        }
        CustodyEvents => {
            q.push(cols(
                "k.id",
                "NULL",
                "k.action || ' ' || k.subject",
                "NULL",
                "1",
            ));
            q.push(" FROM custody k WHERE 1 = 1");
            push_within(q, subject, "k.at");
            if subject.campaign.is_some() {
                // Custody events name WARC records and packages, not sites.
                q.push(" AND 1 = 0");
            }
            push_city_only(q, scope);
        }
        Clues | CluesDispatched | CluesClosed => {
            q.push(cols("c.id", CLUE_DISTRICT, "c.summary", "NULL", "1"));
            q.push(
                " FROM clues c JOIN sites s ON s.id = c.site_id \
                 LEFT JOIN entities e ON e.id = s.entity_id WHERE 1 = 1",
            );
            push_within(
                q,
                subject,
                match figure {
                    Clues => "c.created_at",
                    CluesDispatched => "c.dispatched_at",
                    _ => "c.closed_at",
                },
            );
            push_sites(q, subject, "c.site_id");
            push_clue_scope(q, scope);
        }
        FieldChecks => {
            q.push(cols("i.id", "i.district", "i.place", "i.case_id", "1"));
            q.push(" FROM inspections i WHERE 1 = 1");
            push_within(q, subject, "i.inspected_at");
            push_entities(q, subject, "i.entity_id");
            push_scope_on(q, scope, "i.district", "i.entity_id");
        }
        Cases | CasesClosed => {
            q.push(cols("k.id", "k.district", "k.number", "k.id", "1"));
            q.push(" FROM cases k WHERE 1 = 1");
            push_within(
                q,
                subject,
                if figure == Cases {
                    "k.opened_at"
                } else {
                    "k.closed_at"
                },
            );
            push_sites(q, subject, "k.site_id");
            push_scope_on(q, scope, "k.district", "k.entity_id");
        }
        Fines | Rectifications | Referrals | Warnings | AbnormalListings => {
            let (kind, value, label) = match figure {
                Fines => (
                    "penalty",
                    "COALESCE(o.fine_fen, 0)",
                    "COALESCE(o.decision_no, k.number)",
                ),
                Rectifications => ("rectification", "1", "k.number"),
                Referrals => ("referral", "1", "COALESCE(o.referred_to, k.number)"),
                Warnings => ("warning", "1", "k.number"),
                _ => ("abnormal_listing", "1", "k.number"),
            };
            q.push(cols("o.id", "k.district", label, "k.id", value));
            q.push(" FROM outcomes o JOIN cases k ON k.id = o.case_id WHERE o.kind = ");
            q.push_bind(kind);
            push_within(q, subject, "o.created_at");
            push_sites(q, subject, "k.site_id");
            push_scope_on(q, scope, "k.district", "k.entity_id");
        }
        Campaigns => {
            q.push(cols("m.id", "NULL", "m.name", "NULL", "1"));
            q.push(" FROM campaigns m WHERE m.starts_on <= ");
            q.push_bind(subject.period.last_day());
            q.push(" AND m.ends_on >= ");
            q.push_bind(subject.period.first_day());
            if let Some(c) = subject.campaign {
                q.push(" AND m.id = ").push_bind(c.0);
            }
            push_city_only(q, scope);
        }
        CreditA | CreditB | CreditC | CreditD => {
            let class = match figure {
                CreditA => "A",
                CreditB => "B",
                CreditC => "C",
                _ => "D",
            };
            q.push(cols("e.id", "e.district", "e.name", "NULL", "1"));
            q.push(
                " FROM credit_scores cs JOIN entities e ON e.id = cs.entity_id WHERE cs.class = ",
            );
            q.push_bind(class);
            push_entities(q, subject, "e.id");
            push_scope(q, scope);
        }
        CreditListings => {
            q.push(cols(
                "l.id",
                "e.district",
                "l.list || ' ' || e.name",
                "NULL",
                "1",
            ));
            q.push(" FROM credit_listings l JOIN entities e ON e.id = l.entity_id WHERE 1 = 1");
            push_within(q, subject, "l.listed_at");
            push_entities(q, subject, "e.id");
            push_scope(q, scope);
        }
        BadgesIssued | BadgesInForce | BadgesWithdrawn => {
            q.push(cols("b.id", "e.district", "b.domain", "NULL", "1"));
            q.push(" FROM badges b JOIN entities e ON e.id = b.entity_id WHERE ");
            match figure {
                BadgesIssued => {
                    q.push("1 = 1");
                    push_within(q, subject, "b.issued_at");
                }
                BadgesInForce => {
                    q.push("b.state = 'issued'");
                }
                _ => {
                    q.push("b.state IN ('suspended', 'revoked')");
                    push_within(q, subject, "b.changed_at");
                }
            }
            push_entities(q, subject, "e.id");
            push_scope(q, scope);
        }
        Notices => {
            q.push(cols("n.id", "NULL", "n.title", "NULL", "1"));
            q.push(" FROM portal_notices n WHERE 1 = 1");
            push_within(q, subject, "n.published_at");
            if subject.campaign.is_some() {
                q.push(" AND 1 = 0");
            }
            push_city_only(q, scope);
        }
        Visits => {
            q.push(cols(
                "0",
                "NULL",
                "CAST(v.day AS TEXT) || ' ' || v.page",
                "NULL",
                "v.count",
            ));
            q.push(" FROM portal_visits v WHERE v.day >= ");
            q.push_bind(subject.period.first_day());
            q.push(" AND v.day <= ");
            q.push_bind(subject.period.last_day());
            if subject.campaign.is_some() {
                q.push(" AND 1 = 0");
            }
            push_city_only(q, scope);
        }
        Complaints | ComplaintsAccepted | ComplaintsUpheld => {
            q.push(cols(
                "c.id",
                "c.district",
                "c.tracking_number || ' ' || c.subject_name",
                "c.case_id",
                "1",
            ));
            q.push(" FROM complaints c WHERE ");
            match figure {
                Complaints => {
                    q.push("1 = 1");
                    push_within(q, subject, "c.received_at");
                }
                ComplaintsAccepted => {
                    q.push("1 = 1");
                    push_within(q, subject, "c.accepted_at");
                }
                _ => {
                    q.push("c.upheld = ").push_bind(true);
                    push_within(q, subject, "c.closed_at");
                }
            }
            if subject.campaign.is_some() {
                q.push(" AND c.site_id IS NOT NULL");
                push_sites(q, subject, "c.site_id");
            }
            push_scope_on(q, scope, "c.district", "c.entity_id");
        }
        Filings | FilingsJoined => {
            q.push(cols(
                "d.id",
                "e.district",
                "d.source || ' ' || COALESCE(d.name, d.domain, d.record_key)",
                "NULL",
                "1",
            ));
            q.push(" FROM filings d LEFT JOIN entities e ON e.id = d.entity_id WHERE ");
            q.push(if figure == FilingsJoined {
                "d.entity_id IS NOT NULL"
            } else {
                "1 = 1"
            });
            push_within(q, subject, "d.imported_at");
            if subject.campaign.is_some() {
                q.push(" AND d.entity_id IS NOT NULL");
                push_entities(q, subject, "d.entity_id");
            }
            push_scope(q, scope);
        }
    }
}

#[async_trait]
impl ReportStore for SqlStore {
    async fn figures(
        &self,
        scope: Scope,
        subject: &ReportSubject,
        figures: &[Figure],
    ) -> Result<Vec<FigureCount>> {
        if figures.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::new(
            "SELECT x.figure, x.district, CAST(SUM(x.value) AS BIGINT) AS total, \
             COUNT(*) AS records FROM (",
        );
        for (i, figure) in figures.iter().enumerate() {
            if i > 0 {
                q.push(" UNION ALL ");
            }
            push_records(&mut q, *figure, subject, &scope);
        }
        q.push(") x GROUP BY x.figure, x.district");
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let code: String = r.try_get("figure")?;
            out.push(FigureCount {
                figure: Figure::parse(&code).ok_or_else(|| corrupt("figure", &code, "unknown"))?,
                district: opt_district(r.try_get("district")?)?,
                value: r.try_get("total")?,
                records: r.try_get("records")?,
            });
        }
        out.sort_by_key(|f| (f.figure, f.district));
        Ok(out)
    }

    async fn figure_records(
        &self,
        scope: Scope,
        subject: &ReportSubject,
        figure: Figure,
        district: Option<Option<DistrictCode>>,
        limit: i64,
    ) -> Result<Vec<FigureRecord>> {
        let mut q = QueryBuilder::new("SELECT x.* FROM (");
        push_records(&mut q, figure, subject, &scope);
        q.push(") x WHERE 1 = 1");
        match district {
            None => {}
            Some(None) => {
                q.push(" AND x.district IS NULL");
            }
            Some(Some(d)) => {
                q.push(" AND x.district = ").push_bind(d.to_string());
            }
        }
        q.push(" ORDER BY x.id, x.label");
        push_page(&mut q, limit, 0);
        let rows = q.build().fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(FigureRecord {
                figure,
                id: r.try_get("id")?,
                district: opt_district(r.try_get("district")?)?,
                label: r.try_get::<Option<String>, _>("label")?.unwrap_or_default(),
                case_id: r.try_get("case_id")?,
                value: r.try_get("value")?,
            });
        }
        Ok(out)
    }
}
