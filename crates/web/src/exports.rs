//! The register's tables as people export them (CSV, XLSX; [`crate::table`]): entities with
//! every register column, and sites with their class. One definition for the console's export
//! links and `wangjian export`.

use crate::table::{Cell, Table};
use domain::DistrictTable;
use store::{Entity, EntityFilter, Scope, Site, SiteFilter, Store, StoreError};

/// Rows read per round trip while collecting an export.
const CHUNK: i64 = 5000;

use domain::time::to_beijing as beijing;

/// Entities as a table: the import's columns (so an export re-imports; the XLSX header shows
/// their official Chinese names, which the import also reads), then the district's name and
/// the row's times (Beijing time).
pub fn entities_table(entities: &[Entity], districts: &DistrictTable) -> Table {
    let mut columns: Vec<String> = match entities.first() {
        Some(e) => e
            .input
            .columns()
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| !k.starts_with("extra."))
            .collect(),
        None => store::EntityInput::new(
            "",
            "",
            domain::SiteKind::TradingSite,
            domain::DistrictCode::parse("450100").expect("valid code"),
        )
        .columns()
        .into_iter()
        .map(|(k, _)| k)
        .collect(),
    };
    let base = columns.len();
    columns.extend(["district_name", "created_at", "updated_at", "id"].map(String::from));
    let labels: Vec<String> = columns
        .iter()
        .map(|c| {
            store::import::column_label(c)
                .or(match c.as_str() {
                    "needs_review" => Some("待核实原因"),
                    "district_name" => Some("行政区划名称"),
                    "created_at" => Some("创建时间"),
                    "updated_at" => Some("更新时间"),
                    "id" => Some("编号"),
                    _ => None,
                })
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let mut table = Table::new("entities", columns).with_labels(labels);
    for e in entities {
        let mut row: Vec<Cell> = e
            .input
            .columns()
            .into_iter()
            .take(base)
            .map(|(k, v)| match (k.as_str(), e.input.established) {
                ("established", Some(d)) => Cell::Date(d),
                _ => Cell::from(v),
            })
            .collect();
        row.push(Cell::from(
            districts
                .name(e.input.district)
                .map(str::to_string)
                .unwrap_or_default(),
        ));
        row.push(Cell::DateTime(beijing(e.created_at)));
        row.push(Cell::DateTime(beijing(e.updated_at)));
        row.push(Cell::Int(e.id.0));
        table.rows.push(row);
    }
    table
}

/// Sites as a table, with the class their pages show and whether it disagrees with the
/// register.
pub fn sites_table(sites: &[Site]) -> Table {
    let mut table = Table::new(
        "sites",
        [
            "address",
            "kind",
            "origin",
            "entity",
            "district",
            "classified_kind",
            "class_reason",
            "kind_disagrees",
            "id",
        ],
    )
    .with_labels([
        "网站地址",
        "登记类型",
        "来源",
        "经营主体",
        "行政区划代码",
        "识别类型",
        "识别依据",
        "类型与登记不符",
        "编号",
    ]);
    for s in sites {
        table.rows.push(vec![
            Cell::from(s.address()),
            Cell::from(s.kind.code()),
            Cell::from(s.origin.code()),
            Cell::from(s.entity_name.clone()),
            Cell::from(s.district.map(|d| d.to_string())),
            Cell::from(s.classified.as_ref().map(|c| c.kind.code())),
            Cell::from(s.classified.as_ref().map(|c| c.reason.clone())),
            Cell::from(if s.kind_disagrees() { "yes" } else { "" }),
            Cell::Int(s.id.0),
        ]);
    }
    table
}

/// Every row of a paged list: asks `page(offset, limit)` until a page comes back short.
async fn all_rows<T, F, Fut>(mut page: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(i64, i64) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<T>, StoreError>>,
{
    let mut out = Vec::new();
    loop {
        let rows = page(out.len() as i64, CHUNK).await?;
        let n = rows.len() as i64;
        out.extend(rows);
        if n < CHUNK {
            return Ok(out);
        }
    }
}

/// Every entity in scope that the filter selects (its limit and offset are ignored).
pub async fn all_entities(
    store: &dyn Store,
    scope: Scope,
    filter: &EntityFilter,
) -> Result<Vec<Entity>, StoreError> {
    all_rows(|offset, limit| {
        let filter = EntityFilter {
            limit,
            offset,
            ..filter.clone()
        };
        let scope = scope.clone();
        async move { store.list_entities(scope, &filter).await }
    })
    .await
}

/// Every site in scope that the filter selects (its limit and offset are ignored).
pub async fn all_sites(
    store: &dyn Store,
    scope: Scope,
    filter: &SiteFilter,
) -> Result<Vec<Site>, StoreError> {
    all_rows(|offset, limit| {
        let filter = SiteFilter {
            limit,
            offset,
            ..filter.clone()
        };
        let scope = scope.clone();
        async move { store.list_sites(scope, &filter).await }
    })
    .await
}
