//! The register import end to end: files on disk, applied through a `Store`, reject files.

use crate::{uscc, TestStore};
use ::store::import::{
    import_entities, reject_file_path, ImportError, ImportOptions, SourceEncoding,
};
use ::store::Scope;
use domain::SiteKind;
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn opts() -> ImportOptions {
    ImportOptions {
        batch_size: 2,
        ..ImportOptions::default()
    }
}

fn rejects(path: &Path) -> Vec<(String, String, String)> {
    let mut r = csv::Reader::from_path(reject_file_path(path)).unwrap();
    assert_eq!(r.headers().unwrap(), vec!["line", "reason", "raw"]);
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].to_string(), rec[2].to_string())
        })
        .collect()
}

/// Five data rows over seven physical lines: a multi-line address (lines 3-5), a bad district
/// (line 6), a duplicate of line 2 (line 7), and a row with an unknown column value.
fn register_csv() -> String {
    let (a, b, c) = (uscc("MA5K0001"), uscc("MA5K0002"), uscc("MA5K0003"));
    format!(
        "\u{FEFF}uscc,name,kind,district,address,domains,icp,source_dept\n\
         {a},甲商行,trading_site,450103,青秀区民族大道1号,a.test,桂ICP备2017001234号-1,telecom\n\
         {b},外卖平台,platform,450102,\"兴宁区\n朝阳路\n2号\",waimai.test,,\n\
         {c},坏区号,trading_site,450999,,c.test,,\n\
         {a},重复,trading_site,450103,,,,\n\
         {c},某某小吃店,platform_shop,450105,,waimai.test/shop/8812,,market\n"
    )
}

async fn csv_import_with_rejects_then_idempotent(store: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "register.csv", register_csv());
    let store = store.as_ref();

    let first = import_entities(store, &path, &opts()).await.unwrap();
    assert_eq!(
        first.to_string(),
        "3 created, 0 updated, 0 unchanged, 2 rejected"
    );
    assert_eq!(first.read, 5);
    assert_eq!(
        first.reject_file.as_deref(),
        Some(reject_file_path(&path).as_path())
    );
    assert_eq!(
        reject_file_path(&path),
        dir.path().join("register.csv.rejects.csv")
    );

    let r = rejects(&path);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].0, "6");
    assert!(r[0].1.contains("450999"), "{}", r[0].1);
    assert!(r[0].2.contains("坏区号"));
    assert_eq!(r[1].0, "7");
    assert!(r[1].1.contains("line 2"), "{}", r[1].1);
    assert!(r[1].2.contains("重复"));

    let a = store
        .entity_by_uscc(Scope::City, &uscc("MA5K0001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.input.name, "甲商行");
    assert_eq!(a.input.icp.as_deref(), Some("桂ICP备2017001234号-1"));
    assert_eq!(
        a.input.extra.get("source_dept").map(String::as_str),
        Some("telecom")
    );
    let b = store
        .entity_by_uscc(Scope::City, &uscc("MA5K0002"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.input.address.as_deref(), Some("兴宁区\n朝阳路\n2号"));
    assert!(b.input.extra.is_empty());
    let shop = store
        .site_for_url(Scope::City, "waimai.test", "/shop/8812/item/3")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shop.kind, SiteKind::PlatformShop);
    assert_eq!(shop.entity_name.as_deref(), Some("某某小吃店"));
    let owner = store
        .entity(Scope::City, shop.entity_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.input.name, "某某小吃店");
    assert_eq!(
        store
            .entity(Scope::City, domain::EntityId(-1))
            .await
            .unwrap(),
        None
    );

    let second = import_entities(store, &path, &opts()).await.unwrap();
    assert_eq!(
        second.to_string(),
        "0 created, 0 updated, 3 unchanged, 2 rejected"
    );
    assert_eq!(store.count_entities(Scope::City).await.unwrap(), 3);
    assert_eq!(
        store
            .entity_by_uscc(Scope::City, &uscc("MA5K0001"))
            .await
            .unwrap()
            .unwrap(),
        a
    );
}

async fn changed_rows_update_and_stale_rejects_go(store: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = store.as_ref();
    let path = write(dir.path(), "register.csv", register_csv());
    import_entities(store, &path, &opts()).await.unwrap();
    assert!(reject_file_path(&path).exists());

    // The corrected export: other column order, one name changed, no bad rows.
    let (a, b, c) = (uscc("MA5K0001"), uscc("MA5K0002"), uscc("MA5K0003"));
    let fixed = format!(
        "kind,district,name,uscc,domains,address,icp,source_dept\n\
         trading_site,450103,甲商行,{a},a.test,青秀区民族大道1号,桂ICP备2017001234号-1,telecom\n\
         platform,450102,外卖平台（南宁）,{b},waimai.test,\"兴宁区\n朝阳路\n2号\",,\n\
         platform_shop,450105,某某小吃店,{c},waimai.test/shop/8812,,,market\n"
    );
    let path = write(dir.path(), "register.csv", fixed);
    let s = import_entities(store, &path, &opts()).await.unwrap();
    assert_eq!(
        s.to_string(),
        "0 created, 1 updated, 2 unchanged, 0 rejected"
    );
    assert_eq!(s.reject_file, None);
    assert!(
        !reject_file_path(&path).exists(),
        "stale reject file removed"
    );
}

async fn json_lines_import(store: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = store.as_ref();
    let text = format!(
        "{{\"uscc\":\"{}\",\"name\":\"丙\",\"kind\":\"trading_site\",\"district\":450107,\"domains\":[\"C.test\",\"d.test\"],\"phone\":\"0771-1234567\",\"rating\":\"A\"}}\n\
         {{\"uscc\":\"{}\",\"name\":\"丁\",\"kind\":\"trading_site\"}}\n",
        uscc("MA5K0011"),
        uscc("MA5K0012")
    );
    // No extension: sniffed.
    let path = write(dir.path(), "register-export", text);
    let s = import_entities(store, &path, &opts()).await.unwrap();
    assert_eq!(
        s.to_string(),
        "1 created, 0 updated, 0 unchanged, 1 rejected"
    );
    let e = store
        .entity_by_uscc(Scope::City, &uscc("MA5K0011"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.input.domains, ["c.test", "d.test"]);
    assert_eq!(e.input.phone.as_deref(), Some("0771-1234567"));
    assert_eq!(e.input.extra.get("rating").map(String::as_str), Some("A"));
    let r = rejects(&path);
    assert_eq!(r[0].0, "2");
    assert_eq!(r[0].1, "district is missing");
    assert_eq!(
        import_entities(store, &path, &opts())
            .await
            .unwrap()
            .to_string(),
        "0 created, 0 updated, 1 unchanged, 1 rejected"
    );
}

async fn gbk_is_detected_and_a_forced_encoding_is_obeyed(store: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = store.as_ref();
    let text = format!(
        "uscc,name,kind,district,address\n\
         {},南宁市西乡塘区某某商行,自建网站经营者,450107,西乡塘区大学路\n",
        uscc("MA5K0021")
    );
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let path = write(dir.path(), "gbk.csv", &gbk);

    // Forced UTF-8: every row rejected, the reject file says why.
    let forced = ImportOptions {
        encoding: SourceEncoding::Utf8,
        ..opts()
    };
    let wrong = import_entities(store, &path, &forced).await.unwrap();
    assert_eq!(
        wrong.to_string(),
        "0 created, 0 updated, 0 unchanged, 1 rejected"
    );
    assert!(wrong.all_rejected());
    assert_eq!(
        wrong.reject_file.as_deref(),
        Some(reject_file_path(&path).as_path())
    );
    assert!(rejects(&path)[0].1.contains("--encoding gbk"));

    // By default the encoding is detected.
    let right = import_entities(store, &path, &opts()).await.unwrap();
    assert_eq!(
        right.to_string(),
        "1 created, 0 updated, 0 unchanged, 0 rejected"
    );
    assert_eq!(right.encoding, Some(("GBK", true)));
    assert!(!right.all_rejected());
    assert!(
        !reject_file_path(&path).exists(),
        "stale reject file removed"
    );
    let e = store
        .entity_by_uscc(Scope::City, &uscc("MA5K0021"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.input.name, "南宁市西乡塘区某某商行");
    assert_eq!(e.input.kind, SiteKind::TradingSite);
    assert_eq!(e.input.address.as_deref(), Some("西乡塘区大学路"));
}

async fn xlsx_import_with_a_reject_file_by_row(store: TestStore) {
    use rust_xlsxwriter::Workbook;
    let dir = tempfile::tempdir().unwrap();
    let store = store.as_ref();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["uscc", "name", "kind", "district", "domains"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let rows = [
        (
            uscc("MA5K0051"),
            "甲公司",
            "trading_site",
            450103.0,
            "jia.test",
        ),
        (uscc("MA5K0052"), "乙公司", "nonsense", 450103.0, ""),
        (
            uscc("MA5K0053"),
            "丙网店",
            "platform_shop",
            450105.0,
            "waimai.test/shop/1",
        ),
    ];
    for (i, (u, n, k, d, dom)) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        sheet.write_string(r, 0, u).unwrap();
        sheet.write_string(r, 1, *n).unwrap();
        sheet.write_string(r, 2, *k).unwrap();
        sheet.write_number(r, 3, *d).unwrap();
        sheet.write_string(r, 4, *dom).unwrap();
    }
    let path = write(dir.path(), "register.xlsx", book.save_to_buffer().unwrap());
    let s = import_entities(store, &path, &opts()).await.unwrap();
    assert_eq!(
        s.to_string(),
        "2 created, 0 updated, 0 unchanged, 1 rejected"
    );
    assert_eq!(s.encoding, None);
    let r = rejects(&path);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "3", "the sheet's row number");
    assert!(r[0].1.contains("kind"), "{}", r[0].1);
    assert!(r[0].2.contains("乙公司"), "{}", r[0].2);
    let e = store
        .entity_by_uscc(Scope::City, &uscc("MA5K0053"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.input.district.to_string(), "450105");
    assert_eq!(e.input.domains, ["waimai.test/shop/1"]);

    // A file named .xlsx that is no workbook cannot be read at all.
    let bad = write(dir.path(), "bad.xlsx", b"uscc,name\n");
    let e = import_entities(store, &bad, &opts()).await.unwrap_err();
    assert!(matches!(e, ImportError::Unreadable { .. }), "{e}");
}

async fn legacy_codes_are_kept_for_review(store: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = store.as_ref();
    let path = write(
        dir.path(),
        "legacy.csv",
        "uscc,name,kind,district\n91110000600037341N,旧企业,non_trading_site,450127\n",
    );
    let s = import_entities(store, &path, &opts()).await.unwrap();
    assert_eq!((s.created, s.needs_review), (1, 1));
    let e = store
        .entity_by_uscc(Scope::City, "91110000600037341N")
        .await
        .unwrap()
        .unwrap();
    assert!(e.input.needs_review.unwrap().contains("check"));
}

async fn unreadable_files_are_errors(store: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = store.as_ref();
    let path = write(dir.path(), "bad.csv", "uscc,name\n1,2\n");
    let e = import_entities(store, &path, &opts()).await.unwrap_err();
    assert!(matches!(e, ImportError::Unreadable { .. }));
    assert!(e.to_string().contains("kind, district"), "{e}");
    let e = import_entities(store, &dir.path().join("missing.csv"), &opts())
        .await
        .unwrap_err();
    assert!(matches!(e, ImportError::Io { .. }));
}

crate::on_every_backend!(
    csv_import_with_rejects_then_idempotent,
    changed_rows_update_and_stale_rejects_go,
    json_lines_import,
    gbk_is_detected_and_a_forced_encoding_is_obeyed,
    xlsx_import_with_a_reject_file_by_row,
    legacy_codes_are_kept_for_review,
    unreadable_files_are_errors,
    rows_and_files_over_the_caps_are_refused,
    a_first_load_streams_batches_in_one_transaction,
    a_first_load_that_fails_leaves_an_empty_register_with_its_indexes,
    a_first_load_stores_what_an_update_load_stores,
    an_update_load_goes_batch_by_batch,
);

/// Seven rows for batches of two: a bad row in the middle of the second batch, values that
/// need escaping in PostgreSQL's COPY text (tab, backslash, a line break), a former name, two
/// rows claiming the same shop (the later one wins, as within one batch).
fn first_load_csv() -> String {
    first_load_rows(7)
}

/// The header and the first `n` rows of [`first_load_csv`].
fn first_load_rows(n: usize) -> String {
    let u: Vec<String> = (1..=7).map(|i| uscc(&format!("MA5K07{i:02}"))).collect();
    let rows = [
        format!(
            "{},甲,trading_site,450103,\"青秀区\t1号\\后院\",a.test,桂ICP备2017001234号-1,旧甲\n",
            u[0]
        ),
        format!("{},乙,platform,450102,\"兴宁区\n2号\",mall.test,,\n", u[1]),
        format!("{},丙,platform_shop,450105,,mall.test/shop/1,,\n", u[2]),
        format!("{},坏,trading_site,450999,,bad.test,,\n", u[3]),
        format!("{},丁,trading_site,450103,,d.test,,\n", u[4]),
        format!("{},戊,platform_shop,450105,,mall.test/shop/1,,\n", u[5]),
        format!("{},己,non_trading_site,450107,,,,\n", u[6]),
    ];
    let mut csv = String::from("uscc,name,kind,district,address,domains,icp,former_names\n");
    csv.extend(rows.into_iter().take(n));
    csv
}

/// A first load into an empty register (batches of two, one transaction): every accepted row
/// in file order with its revision, its `created` history row, its sites and former names; the
/// bad row in the middle of a batch rejected with its line; the deferred indexes there again
/// afterwards; a re-import changes nothing.
async fn a_first_load_streams_batches_in_one_transaction(store: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "register.csv", first_load_csv());
    let s = import_entities(store.as_ref(), &path, &opts())
        .await
        .unwrap();
    assert_eq!(
        s.to_string(),
        "6 created, 0 updated, 0 unchanged, 1 rejected"
    );
    assert_eq!(s.read, 7);
    let r = rejects(&path);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "6"); // the row before spans two lines
    assert!(r[0].1.contains("450999"), "{}", r[0].1);

    let since = store.entities_since(Scope::City, 0, 100).await.unwrap();
    let names: Vec<&str> = since.iter().map(|(_, e)| e.input.name.as_str()).collect();
    assert_eq!(names, ["甲", "乙", "丙", "丁", "戊", "己"]);
    let revs: Vec<i64> = since.iter().map(|(rev, _)| *rev).collect();
    assert_eq!(revs, [1, 2, 3, 4, 5, 6]);
    let ids: Vec<i64> = since.iter().map(|(_, e)| e.id.0).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids in file order: {ids:?}"
    );
    let a = &since[0].1;
    assert_eq!(a.input.address.as_deref(), Some("青秀区\t1号\\后院"));
    assert_eq!(a.input.former_names, ["旧甲"]);
    assert_eq!(since[1].1.input.address.as_deref(), Some("兴宁区\n2号"));
    for (_, e) in &since {
        let h = store.entity_history(Scope::City, e.id).await.unwrap();
        assert_eq!(h.len(), 1, "{}", e.input.name);
        assert_eq!(h[0].field, "created");
        assert_eq!(h[0].new_value.as_deref(), Some(e.input.name.as_str()));
        assert_eq!(h[0].source, "import entities register.csv");
    }
    // Former names, ICP and district are looked up through the indexes built after the load.
    let by_former = store.entities_by_name(Scope::City, "旧甲").await.unwrap();
    assert_eq!(by_former[0].id, a.id);
    let by_icp = store
        .entities_by_icp(Scope::City, "桂ICP备2017001234号-1")
        .await
        .unwrap();
    assert_eq!(by_icp[0].id, a.id);
    // The later claim of a shop wins, across batches as within one.
    let shop = store
        .site_for_url(Scope::City, "mall.test", "/shop/1/item")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shop.entity_name.as_deref(), Some("戊"));
    assert_eq!(
        store
            .site_for_url(Scope::City, "bad.test", "/")
            .await
            .unwrap(),
        None
    );

    let again = import_entities(store.as_ref(), &path, &opts())
        .await
        .unwrap();
    assert_eq!(
        again.to_string(),
        "0 created, 0 updated, 6 unchanged, 1 rejected"
    );
    assert_eq!(
        store.entities_since(Scope::City, 6, 100).await.unwrap(),
        vec![]
    );
    assert_eq!(
        store.entity_history(Scope::City, a.id).await.unwrap().len(),
        1
    );
    drop_deferred_indexes(&store, "the load").await;
}

/// Drops every index a first load defers (and on PostgreSQL every foreign key), failing if one
/// is missing: they exist again after `after` (a load, or a failed one).
async fn drop_deferred_indexes(store: &TestStore, after: &str) {
    if store.backend() == crate::Backend::Postgres {
        for (table, key) in [
            ("entity_history", "entity_history_entity_id_fkey"),
            ("credit_stale", "credit_stale_entity_id_fkey"),
            ("entity_names", "entity_names_entity_id_fkey"),
            ("sites", "sites_entity_id_fkey"),
        ] {
            store
                .exec_raw(&format!("ALTER TABLE {table} DROP CONSTRAINT {key}"))
                .await
                .unwrap_or_else(|e| panic!("foreign key {key} after {after}: {e}"));
        }
    }
    for index in ["entities_name", "entities_icp", "entity_names_name"] {
        store
            .exec_raw(&format!("DROP INDEX {index}"))
            .await
            .unwrap_or_else(|e| panic!("index {index} after {after}: {e}"));
    }
}

/// A first load that fails part-way (here a trap on one row's name, in the last batch) rolls
/// back whole: the register stays empty with every index, and the next import loads it.
async fn a_first_load_that_fails_leaves_an_empty_register_with_its_indexes(store: TestStore) {
    let trap = match store.backend() {
        crate::Backend::Sqlite => {
            "CREATE TRIGGER trap BEFORE INSERT ON entities WHEN NEW.name = '己' \
             BEGIN SELECT RAISE(ABORT, 'trap'); END"
        }
        crate::Backend::Postgres => "ALTER TABLE entities ADD CONSTRAINT trap CHECK (name <> '己')",
    };
    store.exec_raw(trap).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "register.csv", first_load_csv());
    let failed = import_entities(store.as_ref(), &path, &opts()).await;
    assert!(matches!(failed, Err(ImportError::Store(_))), "{failed:?}");
    assert_eq!(store.count_entities(Scope::City).await.unwrap(), 0);
    assert_eq!(
        store.entities_since(Scope::City, 0, 100).await.unwrap(),
        vec![]
    );
    drop_deferred_indexes(&store, "the failed load").await;
    let untrap = match store.backend() {
        crate::Backend::Sqlite => "DROP TRIGGER trap",
        crate::Backend::Postgres => "ALTER TABLE entities DROP CONSTRAINT trap",
    };
    store.exec_raw(untrap).await.unwrap();
    let s = import_entities(store.as_ref(), &path, &opts())
        .await
        .unwrap();
    assert_eq!(
        s.to_string(),
        "6 created, 0 updated, 0 unchanged, 1 rejected"
    );
}

/// A first load writes through the backend's bulk path (SQLite's C API, PostgreSQL's COPY),
/// an import into a register in use through the shared INSERTs: the same file gives the same
/// entities, history rows, former names and sites either way.
async fn a_first_load_stores_what_an_update_load_stores(store: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "register.csv", first_load_csv());
    import_entities(store.as_ref(), &path, &opts())
        .await
        .unwrap();
    let in_use = TestStore::new(store.backend()).await;
    let other = format!(
        "uscc,name,kind,district\n{},庚,trading_site,450103\n",
        uscc("MA5K0799")
    );
    let first = write(dir.path(), "other.csv", other);
    import_entities(in_use.as_ref(), &first, &opts())
        .await
        .unwrap();
    let s = import_entities(in_use.as_ref(), &path, &opts())
        .await
        .unwrap();
    assert_eq!(
        s.to_string(),
        "6 created, 0 updated, 0 unchanged, 1 rejected"
    );
    let loaded = store.entities_since(Scope::City, 0, 100).await.unwrap();
    assert_eq!(loaded.len(), 6);
    for (_, a) in &loaded {
        let b = in_use
            .entity_by_uscc(Scope::City, &a.input.uscc)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{} not created", a.input.name));
        assert_eq!(a.input, b.input);
        let history = |h: Vec<::store::HistoryEntry>| -> Vec<_> {
            h.into_iter()
                .map(|h| (h.source, h.field, h.old_value, h.new_value))
                .collect()
        };
        assert_eq!(
            history(store.entity_history(Scope::City, a.id).await.unwrap()),
            history(in_use.entity_history(Scope::City, b.id).await.unwrap())
        );
        let sites = |s: Vec<::store::Site>| -> Vec<_> {
            s.into_iter()
                .map(|s| (s.host, s.path_prefix, s.kind, s.origin, s.entity_name))
                .collect()
        };
        assert_eq!(
            sites(store.entity_sites(Scope::City, a.id).await.unwrap()),
            sites(in_use.entity_sites(Scope::City, b.id).await.unwrap()),
            "{}",
            a.input.name
        );
        for n in &a.input.former_names {
            let found = store.entities_by_name(Scope::City, n).await.unwrap();
            assert_eq!(found.len(), 1, "{n}");
        }
    }
}

/// Into a register in use, the same file goes batch by batch: existing entities updated with
/// their history, new ones created, unchanged ones untouched (no revision, no history).
async fn an_update_load_goes_batch_by_batch(store: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "register.csv", first_load_rows(3));
    let s = import_entities(store.as_ref(), &path, &opts())
        .await
        .unwrap();
    assert_eq!(
        s.to_string(),
        "3 created, 0 updated, 0 unchanged, 0 rejected"
    );
    let changed = first_load_csv().replace(",乙,platform,", ",乙（南宁）,platform,");
    let path = write(dir.path(), "register.csv", changed);
    let s = import_entities(store.as_ref(), &path, &opts())
        .await
        .unwrap();
    assert_eq!(
        s.to_string(),
        "3 created, 1 updated, 2 unchanged, 1 rejected"
    );
    let since = store.entities_since(Scope::City, 3, 100).await.unwrap();
    let names: Vec<&str> = since.iter().map(|(_, e)| e.input.name.as_str()).collect();
    assert_eq!(names, ["乙（南宁）", "丁", "戊", "己"]);
    let b = &since[0].1;
    assert_eq!(b.input.former_names, ["乙"]);
    let h = store.entity_history(Scope::City, b.id).await.unwrap();
    assert_eq!(h.len(), 3, "{h:?}");
    let shop = store
        .site_for_url(Scope::City, "mall.test", "/shop/1/item")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shop.entity_name.as_deref(), Some("戊"));
}

/// A row longer than the row cap is rejected with its line and reason and the rest goes in (in
/// CSV and in JSON Lines); a file larger than the file cap is refused whole before it is read,
/// and nothing of it is imported.
async fn rows_and_files_over_the_caps_are_refused(store: TestStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = store.as_ref();
    let (a, b) = (uscc("MA5K0101"), uscc("MA5K0102"));
    let huge = "长".repeat(::store::import::MAX_ROW_BYTES / 3 + 10);
    let csv = format!(
        "uscc,name,kind,district,address\n\
         {a},甲商行,trading_site,450103,青秀区\n\
         {b},乙商行,trading_site,450103,{huge}\n\
         {c},丙商行,trading_site,450103,兴宁区\n",
        c = uscc("MA5K0103")
    );
    let path = write(dir.path(), "long-row.csv", &csv);
    let done = import_entities(store, &path, &opts()).await.unwrap();
    assert_eq!(
        done.to_string(),
        "2 created, 0 updated, 0 unchanged, 1 rejected"
    );
    let r = rejects(&path);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, "3");
    assert!(
        r[0].1.contains("longer than the cap of 65536 bytes"),
        "{}",
        r[0].1
    );
    assert!(store
        .entity_by_uscc(Scope::City, &b)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .entity_by_uscc(Scope::City, &a)
        .await
        .unwrap()
        .is_some());

    let jsonl = format!(
        "{{\"uscc\":\"{d}\",\"name\":\"丁商行\",\"kind\":\"trading_site\",\"district\":\"450103\",\"address\":\"{huge}\"}}\n\
         {{\"uscc\":\"{e}\",\"name\":\"戊商行\",\"kind\":\"trading_site\",\"district\":\"450103\"}}\n",
        d = uscc("MA5K0104"),
        e = uscc("MA5K0105")
    );
    let path = write(dir.path(), "long-row.jsonl", &jsonl);
    let done = import_entities(store, &path, &opts()).await.unwrap();
    assert_eq!(
        done.to_string(),
        "1 created, 0 updated, 0 unchanged, 1 rejected"
    );
    let r = rejects(&path);
    assert_eq!(r[0].0, "1");
    assert!(r[0].1.contains("longer than the cap"), "{}", r[0].1);

    let capped = ImportOptions {
        max_file_bytes: 100,
        ..opts()
    };
    let path = write(dir.path(), "big.csv", &csv);
    match import_entities(store, &path, &capped).await {
        Err(e @ ImportError::TooLarge { .. }) => {
            let ImportError::TooLarge { size, cap, .. } = &e else {
                unreachable!()
            };
            assert_eq!((*size, *cap), (csv.len() as u64, 100));
            assert!(
                e.to_string().contains("larger than the cap of 100 bytes"),
                "{e}"
            );
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert!(!reject_file_path(&path).exists());
}
