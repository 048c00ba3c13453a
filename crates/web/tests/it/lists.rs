//! The console's lists: every list sorts by its columns both ways (header links with
//! `aria-sort`, a column it cannot sort by is a 400 naming `sort`), pages with page numbers and
//! a total, keeps its filters in every sort, page and export link, and exports exactly what it
//! shows — every page, in the shown order — as CSV (UTF-8 with BOM, the columns' codes as
//! header) and XLSX (Chinese header row), within the viewer's scope.

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use calamine::{Data, Reader, Xlsx};
use domain::{Category, DistrictCode, Role, Uscc};
use store::{EntityInput, NewFinding, Scope, SortKey};

use crate::{at, bytes, fixture, get, logged_in, post_form, Fixture};

/// Every list of the console with its sort keys.
fn lists() -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    fn codes<K: SortKey>() -> Vec<&'static str> {
        K::ALL.iter().map(|k| k.code()).collect()
    }
    vec![
        (
            "/findings",
            "/export/findings",
            codes::<store::FindingSort>(),
        ),
        ("/clues", "/export/clues", codes::<store::ClueSort>()),
        ("/cases", "/export/cases", codes::<store::CaseSort>()),
        (
            "/complaints",
            "/export/complaints",
            codes::<store::ComplaintSort>(),
        ),
        ("/badges", "/export/badges", codes::<store::BadgeSort>()),
        ("/sites", "/export/sites", codes::<store::SiteSort>()),
        (
            "/entities",
            "/export/entities",
            codes::<store::EntitySort>(),
        ),
        (
            "/credit/lists",
            "/export/credit-listings",
            codes::<store::ListingSort>(),
        ),
        (
            "/inspections",
            "/export/inspections",
            codes::<store::InspectionSort>(),
        ),
        (
            "/discovered",
            "/export/discovered",
            codes::<store::DiscoverySort>(),
        ),
    ]
}

/// The ids a page links to under `prefix` (`/findings/`), in order, each once.
fn linked_ids(body: &str, prefix: &str) -> Vec<i64> {
    let needle = format!("href=\"{prefix}");
    let mut out: Vec<i64> = Vec::new();
    for (i, _) in body.match_indices(&needle) {
        let rest = &body[i + needle.len()..];
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() || !rest[digits.len()..].starts_with('"') {
            continue;
        }
        let id = digits.parse().unwrap();
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// A GET's status, headers and body bytes.
async fn download(router: &Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    bytes(router, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// A CSV export: checks the BOM; the header and the rows, split on commas (the tests' values
/// hold no commas or quotes).
fn csv(body: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(
        body.starts_with(&[0xEF, 0xBB, 0xBF]),
        "a CSV export starts with a UTF-8 BOM"
    );
    let text = std::str::from_utf8(&body[3..]).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

/// An XLSX export read back: the header row and the rows, as text.
fn xlsx(body: Vec<u8>) -> (Vec<String>, Vec<Vec<String>>) {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(body)).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let mut rows = range.rows().map(|r| {
        r.iter()
            .map(|c| match c {
                Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                Data::Int(i) => i.to_string(),
                Data::Empty => String::new(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
    });
    let header = rows.next().unwrap();
    (header, rows.collect())
}

fn column(rows: &[Vec<String>], header: &[String], code: &str) -> Vec<String> {
    let i = header
        .iter()
        .position(|h| h == code)
        .unwrap_or_else(|| panic!("no column {code} in {header:?}"));
    rows.iter().map(|r| r[i].clone()).collect()
}

fn ints(v: Vec<String>) -> Vec<i64> {
    v.iter().map(|s| s.parse().unwrap()).collect()
}

/// A row in every list but the badges': a clue of the shop dispatched and opened as a case,
/// a complaint about it, an inspection of it, and a listing.
async fn seed_every_list(fx: &Fixture) {
    let store = fx.state.store.as_ref();
    let by = store::Actor::system("test");
    let today = domain::time::beijing_date(chrono::Utc::now());
    let clue = store
        .create_clue(
            &store::NewClue {
                site_id: fx.shop,
                findings: vec![domain::FindingId(1)],
                summary: "测试线索".into(),
            },
            &by,
        )
        .await
        .unwrap();
    casework::dispatch(
        store,
        Scope::City,
        clue,
        DistrictCode::parse("450103").unwrap(),
        None,
        &casework::Limits::default(),
        today,
        &by,
    )
    .await
    .unwrap();
    casework::open_case(
        store,
        Scope::City,
        &[clue],
        &["supervisor".to_string()],
        None,
        &casework::Limits::default(),
        today,
        &by,
    )
    .await
    .unwrap();
    let shop = store.site(Scope::City, fx.shop).await.unwrap().unwrap();
    store
        .file_complaint(
            &store::NewComplaint {
                tracking_number: domain::TrackingNumber::new(today, 7),
                kind: domain::ComplaintKind::Complaint,
                channel: domain::ComplaintChannel::Portal,
                subject: store::Subject {
                    name: "南宁最佳商贸".into(),
                    ..store::Subject::default()
                },
                entity_id: shop.entity_id,
                site_id: Some(shop.id),
                district: None,
                body: "商品与描述不符".into(),
                complainant: store::Complainant {
                    name: "张三".into(),
                    phone: Some("13800000000".into()),
                    email: None,
                },
                dedup_hash: "lists".into(),
                accept_by: today,
                verify_by: None,
            },
            chrono::Duration::minutes(10),
            &by,
        )
        .await
        .unwrap();
    let supervisor = store
        .user_by_name("supervisor")
        .await
        .unwrap()
        .expect("the fixture's user")
        .id;
    store
        .record_inspection(
            Scope::City,
            &store::NewInspection {
                entity_id: shop.entity_id.unwrap(),
                case_id: None,
                inspected_at: at(90),
                place: "南宁市青秀区民族大道1号".into(),
                result: domain::InspectionResult::Compliant,
                notes: String::new(),
                officers: vec![supervisor],
                attachments: vec![],
                created_by: supervisor,
            },
            &by,
        )
        .await
        .unwrap();
    let got = post_form(
        &fx.router,
        "/credit/lists",
        &[
            ("csrf", &fx.csrf),
            ("entity", &shop.entity_id.unwrap().0.to_string()),
            ("list", "abnormal"),
            ("abnormal_cause", "not_contactable"),
            ("listed_on", "2024-03-01"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
}

#[tokio::test]
async fn every_list_sorts_by_each_of_its_columns_both_ways() {
    let fx = fixture().await;
    seed_every_list(&fx).await;
    for (path, export, keys) in lists() {
        for key in &keys {
            for dir in ["asc", "desc"] {
                let uri = format!("{path}?sort={key}&dir={dir}");
                let page = get(&fx.router, &uri).await;
                assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.body);
                // The export link keeps the order, whether or not there are rows.
                assert!(
                    page.body.contains(&format!(
                        "href=\"{export}?sort={key}&#38;dir={dir}&#38;format=csv\""
                    )),
                    "{uri}: {}",
                    page.body
                );
                let (status, _, body) =
                    download(&fx.router, &format!("{export}?sort={key}&dir={dir}")).await;
                assert_eq!(
                    status,
                    StatusCode::OK,
                    "{export}: {}",
                    String::from_utf8_lossy(&body)
                );
                // A list without rows shows no table, so no header (the badges and the
                // discovered sites here; their queries ran all the same). The discovery queue
                // has its sources' table above it all the same, and says the queue is empty.
                let empty = matches!(path, "/badges" | "/discovered");
                let shows_table = if path == "/discovered" {
                    !page.body.contains("没有符合条件的发现网站")
                } else {
                    page.body.contains("<thead>")
                };
                assert_eq!(shows_table, !empty, "{uri}: {}", page.body);
                if empty {
                    continue;
                }
                let aria = if dir == "asc" {
                    "aria-sort=\"ascending\""
                } else {
                    "aria-sort=\"descending\""
                };
                assert_eq!(page.body.matches(aria).count(), 1, "{uri}: {}", page.body);
                // The sorted column's link reverses the order; the export keeps it.
                let reverse = if dir == "asc" { "desc" } else { "asc" };
                assert!(
                    page.body
                        .contains(&format!("href=\"{path}?sort={key}&#38;dir={reverse}\"")),
                    "{uri}: {}",
                    page.body
                );
            }
        }
        // Unsorted: no column is marked.
        let page = get(&fx.router, path).await.ok();
        assert!(!page.body.contains("aria-sort"), "{path}: {}", page.body);
    }
}

#[tokio::test]
async fn a_column_a_list_cannot_sort_by_is_a_400_naming_the_parameter() {
    let fx = fixture().await;
    for (path, export, _) in lists() {
        for query in [
            "sort=excerpt",
            "sort=g.id%20DESC",
            "sort=id;%20DROP%20TABLE%20findings",
            "sort=nope&dir=asc",
        ] {
            for base in [path, export] {
                let uri = format!("{base}?{query}");
                let got = get(&fx.router, &uri).await;
                assert_eq!(got.status, StatusCode::BAD_REQUEST, "{uri}: {}", got.body);
                assert!(got.body.contains("参数 sort 无效"), "{uri}: {}", got.body);
            }
        }
        let uri = format!("{path}?sort={}&dir=up", lists_first_key(path));
        let got = get(&fx.router, &uri).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST, "{uri}: {}", got.body);
        assert!(got.body.contains("参数 dir"), "{uri}: {}", got.body);
    }
}

fn lists_first_key(path: &str) -> &'static str {
    lists()
        .into_iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, _, keys)| keys[0])
        .unwrap()
}

/// A finding of the fixture's casino, found at `at(secs)`.
fn casino_finding(fx: &Fixture, secs: i64, category: Category) -> NewFinding {
    NewFinding {
        sweep_id: domain::SweepId(1),
        site_id: fx.casino,
        fetch_id: None,
        url: format!("http://casino.example/p{secs}"),
        category,
        rule_id: format!("{}.r1", category.code()),
        rule_pack: "core-2017".to_string(),
        severity: category.severity(),
        excerpt: format!("摘录{secs}"),
        location: "text".to_string(),
        evidence: None,
        found_at: at(secs),
        suppressed: None,
    }
}

#[tokio::test]
async fn findings_sort_by_a_column_both_ways_and_export_in_that_order() {
    let fx = fixture().await;
    // The fixture: 1 and 2 on shop.example, 3 on casino.example, all found at at(60).
    // 4 on the casino, found earliest.
    fx.state
        .store
        .record_findings(&[casino_finding(&fx, 10, Category::ContentGambling)])
        .await
        .unwrap();
    let order = |uri: &'static str| {
        let router = fx.router.clone();
        async move { linked_ids(&get(&router, uri).await.ok().body, "/findings/") }
    };
    assert_eq!(order("/findings").await, vec![4, 3, 2, 1]);
    // By site (host), ties by id in the same direction.
    assert_eq!(order("/findings?sort=site&dir=asc").await, vec![3, 4, 1, 2]);
    assert_eq!(
        order("/findings?sort=site&dir=desc").await,
        vec![2, 1, 4, 3]
    );
    // By time.
    assert_eq!(
        order("/findings?sort=found_at&dir=asc").await,
        vec![4, 1, 2, 3]
    );
    assert_eq!(
        order("/findings?sort=found_at&dir=desc").await,
        vec![3, 2, 1, 4]
    );
    // `dir` defaults to ascending.
    assert_eq!(order("/findings?sort=site").await, vec![3, 4, 1, 2]);

    // A filter survives in the header's sort links and the export links.
    let page = get(&fx.router, "/findings?district=450105&sort=site&dir=desc")
        .await
        .ok();
    assert_eq!(linked_ids(&page.body, "/findings/"), vec![4, 3]);
    assert!(
        page.body
            .contains("href=\"/findings?district=450105&#38;sort=site&#38;dir=asc\""),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("href=\"/findings?district=450105&#38;sort=found_at&#38;dir=asc\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("共 2 条"), "{}", page.body);

    // The export: every row the list matches, in the shown order.
    let (status, headers, body) =
        download(&fx.router, "/export/findings?sort=site&dir=desc&format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"wangjian-findings-"));
    let (header, rows) = csv(&body);
    assert_eq!(header[0], "id");
    assert_eq!(ints(column(&rows, &header, "id")), vec![2, 1, 4, 3]);
    assert_eq!(
        column(&rows, &header, "site"),
        [
            "shop.example",
            "shop.example",
            "casino.example",
            "casino.example"
        ]
    );
    // Times are Beijing time.
    assert_eq!(column(&rows, &header, "found_at")[2], "2017-06-01 08:00:10");

    let (status, headers, body) = download(
        &fx.router,
        "/export/findings?sort=site&dir=desc&format=xlsx",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let (xheader, xrows) = xlsx(body);
    assert_eq!(xheader[0], "编号");
    assert!(
        xheader.contains(&"发现时间（北京时间）".to_string()),
        "{xheader:?}"
    );
    assert!(xheader.contains(&"类别".to_string()), "{xheader:?}");
    assert_eq!(xheader.len(), header.len());
    assert_eq!(
        xrows
            .iter()
            .map(|r| r[0].parse::<i64>().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 1, 4, 3]
    );
    let sites = xheader.iter().position(|h| h == "网站").unwrap();
    assert_eq!(xrows[3][sites], "casino.example");

    // The export of a filtered list holds only its rows.
    let (_, _, body) = download(
        &fx.router,
        "/export/findings?category=ad.absolute_term&format=csv",
    )
    .await;
    let (header, rows) = csv(&body);
    assert_eq!(ints(column(&rows, &header, "id")), vec![1]);
}

/// `count` entities in 西乡塘区 (450107), named so that their name order differs from the
/// order they were made in.
async fn many_entities(fx: &Fixture, count: usize) {
    let district = DistrictCode::parse("450107").unwrap();
    let inputs: Vec<EntityInput> = (0..count)
        .map(|i| {
            let uscc = Uscc::complete("91450107", &format!("MA6L{i:04}"))
                .unwrap()
                .to_string();
            let n = (i * 7) % count;
            EntityInput::new(
                &uscc,
                &format!("主体{n:03}"),
                domain::SiteKind::TradingSite,
                district,
            )
        })
        .collect();
    fx.state
        .store
        .upsert_entities(&inputs, "test")
        .await
        .unwrap();
}

/// The names a page of the entity list shows, in order.
fn entity_names(body: &str) -> Vec<String> {
    body.match_indices("\">主体")
        .map(|(i, _)| &body[i + 2..])
        .filter(|rest| {
            rest.len() > "主体000</a>".len() && rest["主体000".len()..].starts_with("</a>")
        })
        .map(|rest| rest[.."主体000".len()].to_string())
        .collect()
}

#[tokio::test]
async fn pages_have_numbers_and_a_total_and_keep_filters_and_sort() {
    let fx = fixture().await;
    many_entities(&fx, 125).await;

    let first = get(&fx.router, "/entities?district=450107&sort=name&dir=desc")
        .await
        .ok();
    let b = &first.body;
    assert!(b.contains("共 125 条"), "{b}");
    assert!(b.contains("第 1–50 条"), "{b}");
    assert!(b.contains("第 1/3 页"), "{b}");
    assert_eq!(entity_names(b).len(), 50);
    assert_eq!(entity_names(b)[0], "主体124");
    assert_eq!(entity_names(b)[49], "主体075");
    // Page numbers 1 (current), 2, 3; next and last keep filter and sort; no first or prev.
    assert!(
        b.contains("<span class=\"current\" aria-current=\"page\">1</span>"),
        "{b}"
    );
    let page2 = "/entities?district=450107&#38;sort=name&#38;dir=desc&#38;page=2";
    let page3 = "/entities?district=450107&#38;sort=name&#38;dir=desc&#38;page=3";
    assert!(b.contains(&format!("<a href=\"{page2}\">2</a>")), "{b}");
    assert!(b.contains(&format!("<a href=\"{page3}\">3</a>")), "{b}");
    assert!(
        b.contains(&format!("<a href=\"{page2}\" rel=\"next\">")),
        "{b}"
    );
    assert!(
        b.contains(&format!("<a href=\"{page3}\" rel=\"last\">")),
        "{b}"
    );
    assert!(!b.contains("rel=\"prev\""), "{b}");
    assert!(!b.contains("rel=\"first\""), "{b}");
    // The sorted column is marked; every header link keeps the filter, a new order starts
    // at page 1.
    assert!(
        b.contains("<th aria-sort=\"descending\"><a class=\"sort\" href=\"/entities?district=450107&#38;sort=name&#38;dir=asc\">名称"),
        "{b}"
    );
    assert!(
        b.contains("href=\"/entities?district=450107&#38;sort=uscc&#38;dir=asc\""),
        "{b}"
    );
    // The filter form keeps the district selected, and the sort for the next filter.
    assert!(b.contains("<option value=\"450107\" selected>"), "{b}");
    assert!(
        b.contains("<input type=\"hidden\" name=\"sort\" value=\"name\"><input type=\"hidden\" name=\"dir\" value=\"desc\">"),
        "{b}"
    );

    let last = get(
        &fx.router,
        "/entities?district=450107&sort=name&dir=desc&page=3",
    )
    .await
    .ok();
    let b = &last.body;
    assert!(b.contains("第 101–125 条"), "{b}");
    assert!(b.contains("第 3/3 页"), "{b}");
    assert_eq!(entity_names(b).len(), 25);
    assert_eq!(entity_names(b)[24], "主体000");
    let page1 = "/entities?district=450107&#38;sort=name&#38;dir=desc";
    assert!(
        b.contains(&format!("<a href=\"{page1}\" rel=\"first\">")),
        "{b}"
    );
    assert!(
        b.contains(&format!("<a href=\"{page2}\" rel=\"prev\">")),
        "{b}"
    );
    assert!(!b.contains("rel=\"next\""), "{b}");
    assert!(!b.contains("rel=\"last\""), "{b}");

    // Ascending is the reverse, page by page.
    let asc = get(&fx.router, "/entities?district=450107&sort=name&dir=asc")
        .await
        .ok();
    assert_eq!(entity_names(&asc.body)[0], "主体000");

    // The export holds all 125 rows in the shown order, with the register's codes as CSV
    // header (it re-imports) and the official Chinese names in the XLSX header.
    let (status, _, body) = download(
        &fx.router,
        "/export/entities?district=450107&sort=name&dir=desc&format=csv",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (header, rows) = csv(&body);
    assert!(header.contains(&"uscc".to_string()), "{header:?}");
    let names = column(&rows, &header, "name");
    let expected: Vec<String> = (0..125).rev().map(|n| format!("主体{n:03}")).collect();
    assert_eq!(names, expected);

    let (_, _, body) = download(
        &fx.router,
        "/export/entities?district=450107&sort=name&dir=desc&format=xlsx",
    )
    .await;
    let (xheader, xrows) = xlsx(body);
    assert!(
        xheader.contains(&"统一社会信用代码".to_string()),
        "{xheader:?}"
    );
    assert_eq!(xrows.len(), 125);
    let name = header.iter().position(|h| h == "name").unwrap();
    assert_eq!(
        xrows.iter().map(|r| r[name].clone()).collect::<Vec<_>>(),
        expected
    );
}

#[tokio::test]
async fn sites_clues_and_listings_sort_both_ways() {
    let fx = fixture().await;
    // Sites: casino.example (江南区 450105) and shop.example (青秀区 450103).
    let hosts = |body: &str| -> Vec<&'static str> {
        let (c, s) = (
            body.find(">casino.example<").unwrap(),
            body.find(">shop.example<").unwrap(),
        );
        if c < s {
            vec!["casino", "shop"]
        } else {
            vec!["shop", "casino"]
        }
    };
    let got = |uri: &'static str| {
        let router = fx.router.clone();
        async move { get(&router, uri).await.ok().body }
    };
    assert_eq!(
        hosts(&got("/sites?sort=host&dir=asc").await),
        ["casino", "shop"]
    );
    assert_eq!(
        hosts(&got("/sites?sort=host&dir=desc").await),
        ["shop", "casino"]
    );
    assert_eq!(
        hosts(&got("/sites?sort=district&dir=asc").await),
        ["shop", "casino"]
    );
    assert_eq!(
        hosts(&got("/sites?sort=district&dir=desc").await),
        ["casino", "shop"]
    );

    // Clues: 1 of the shop (two findings), 2 of the casino (one).
    let store = fx.state.store.as_ref();
    for (site, findings) in [(fx.shop, vec![1, 2]), (fx.casino, vec![3])] {
        store
            .create_clue(
                &store::NewClue {
                    site_id: site,
                    findings: findings.into_iter().map(domain::FindingId).collect(),
                    summary: "测试线索".into(),
                },
                &store::Actor::system("test"),
            )
            .await
            .unwrap();
    }
    let clues = |uri: &'static str| {
        let router = fx.router.clone();
        async move { linked_ids(&get(&router, uri).await.ok().body, "/clues/") }
    };
    assert_eq!(clues("/clues").await, vec![2, 1]);
    assert_eq!(clues("/clues?sort=site&dir=asc").await, vec![2, 1]);
    assert_eq!(clues("/clues?sort=site&dir=desc").await, vec![1, 2]);
    assert_eq!(clues("/clues?sort=findings&dir=asc").await, vec![2, 1]);
    assert_eq!(clues("/clues?sort=findings&dir=desc").await, vec![1, 2]);
    let (_, _, body) = download(&fx.router, "/export/clues?sort=findings&dir=desc").await;
    let (header, rows) = csv(&body);
    assert_eq!(ints(column(&rows, &header, "id")), vec![1, 2]);
    assert_eq!(column(&rows, &header, "findings"), ["2", "1"]);

    // Credit listings: the shop listed later than the casino.
    for (site, day) in [(fx.shop, "2024-03-01"), (fx.casino, "2024-01-15")] {
        let entity = store
            .site(Scope::City, site)
            .await
            .unwrap()
            .unwrap()
            .entity_id
            .unwrap();
        let got = post_form(
            &fx.router,
            "/credit/lists",
            &[
                ("csrf", &fx.csrf),
                ("entity", &entity.0.to_string()),
                ("list", "abnormal"),
                ("abnormal_cause", "not_contactable"),
                ("listed_on", day),
            ],
        )
        .await;
        assert_eq!(got.status, StatusCode::SEE_OTHER, "{}", got.body);
    }
    let listings = |uri: &'static str| {
        let router = fx.router.clone();
        async move { linked_ids(&get(&router, uri).await.ok().body, "/credit/listings/") }
    };
    assert_eq!(listings("/credit/lists").await, vec![1, 2]);
    assert_eq!(
        listings("/credit/lists?sort=listed_on&dir=asc").await,
        vec![2, 1]
    );
    assert_eq!(listings("/credit/lists?sort=id&dir=asc").await, vec![1, 2]);
    assert_eq!(listings("/credit/lists?sort=id&dir=desc").await, vec![2, 1]);
    // Code point order: 南 (U+5357) before 江 (U+6C5F).
    assert_eq!(
        listings("/credit/lists?sort=entity&dir=asc").await,
        vec![1, 2]
    );
    assert_eq!(
        listings("/credit/lists?sort=entity&dir=desc").await,
        vec![2, 1]
    );
    let (_, _, body) = download(
        &fx.router,
        "/export/credit-listings?list=abnormal&sort=listed_on&dir=asc&format=csv",
    )
    .await;
    let (header, rows) = csv(&body);
    assert_eq!(ints(column(&rows, &header, "id")), vec![2, 1]);
    assert_eq!(
        column(&rows, &header, "listed_on"),
        ["2024-01-15", "2024-03-01"]
    );
}

#[tokio::test]
async fn a_district_users_export_holds_only_their_districts_rows() {
    let fx = fixture().await;
    many_entities(&fx, 3).await;
    let (router, _) = logged_in(&fx.state, "qingxiu", Role::Inspector, &["450103"]).await;

    let (status, _, body) = download(&router, "/export/findings?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    let (header, rows) = csv(&body);
    assert_eq!(ints(column(&rows, &header, "id")), vec![2, 1]);
    assert!(column(&rows, &header, "site")
        .iter()
        .all(|s| s == "shop.example"));
    // The city's supervisor exports all three.
    let (_, _, body) = download(&fx.router, "/export/findings?format=csv").await;
    let (header, rows) = csv(&body);
    assert_eq!(ints(column(&rows, &header, "id")), vec![3, 2, 1]);

    // Another district named in the filter: nothing, not a leak.
    let (status, _, body) = download(&router, "/export/findings?district=450105&format=xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let (xheader, xrows) = xlsx(body);
    assert_eq!(xheader[0], "编号");
    assert!(xrows.is_empty(), "{xrows:?}");

    for (uri, code, expected) in [
        (
            "/export/entities?format=csv",
            "name",
            vec!["南宁最佳商贸有限公司"],
        ),
        ("/export/sites?format=csv", "address", vec!["shop.example"]),
    ] {
        let (status, _, body) = download(&router, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        let (header, rows) = csv(&body);
        assert_eq!(column(&rows, &header, code), expected, "{uri}");
    }
    // And the list itself says so in its total.
    let page = get(&router, "/entities").await.ok();
    assert!(page.body.contains("共 1 条"), "{}", page.body);
}
