//! What each backend must get right beyond the shared queries: opening by URL, a schema
//! written by a newer build, a server that cannot be reached, and watermarks that a reader
//! can trust while writers commit concurrently.

use crate::records::{fetch, register, site_of};
use crate::TestStore;
use ::store::*;
use std::collections::BTreeSet;

#[test]
fn database_urls_parse_or_name_the_problem() {
    assert_eq!(
        DatabaseUrl::parse("sqlite:///var/lib/wj/wangjian.db").unwrap(),
        DatabaseUrl::Sqlite("/var/lib/wj/wangjian.db".into())
    );
    assert_eq!(
        DatabaseUrl::parse("data/wangjian.db").unwrap(),
        DatabaseUrl::Sqlite("data/wangjian.db".into())
    );
    assert_eq!(
        DatabaseUrl::parse("postgres://u:secret@db.example/wj").unwrap(),
        DatabaseUrl::Postgres("postgres://u:secret@db.example/wj".into())
    );
    assert_eq!(
        DatabaseUrl::parse("postgres://u:secret@db.example/wj")
            .unwrap()
            .display(),
        "postgres://u:***@db.example/wj"
    );
    let err = DatabaseUrl::parse("mysql://u:secret@db.example/wj").unwrap_err();
    assert!(matches!(err, StoreError::BadUrl(_)), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
}

#[tokio::test]
async fn an_unreachable_server_is_one_error_naming_it() {
    // Nothing listens on port 1.
    let err = PgStore::connect("postgres://wj:secret@127.0.0.1:1/test")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Connect { .. }), "{text}");
    assert!(text.contains("127.0.0.1:1"), "{text}");
    assert!(!text.contains("secret"), "{text}");
}

/// A database that holds a migration this build does not know was written by a newer build:
/// opening it is refused with the versions, and nothing is changed.
async fn a_newer_schema_is_refused_and_left_alone(test: TestStore) {
    test.exec_raw(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from a newer build', TRUE, X'00', 0)"
            .replace("X'00'", checksum_literal(&test))
            .as_str(),
    )
    .await
    .unwrap();
    let err = match test.open().await {
        Ok(_) => panic!("a newer schema was opened"),
        Err(e) => e,
    };
    assert!(
        matches!(err, StoreError::SchemaNewer { found: 9999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("9999"), "{err}");
    assert_eq!(test.count_entities(Scope::City).await.unwrap(), 0);
}

fn checksum_literal(test: &TestStore) -> &'static str {
    match test.backend() {
        crate::Backend::Sqlite => "X'00'",
        crate::Backend::Postgres => "'\\x00'::bytea",
    }
}

/// Writers commit fetches concurrently while a reader follows `pages_after` from its
/// watermark, as the search index does: the reader must end up with every page exactly once.
/// (With ids as the watermark, PostgreSQL hands a later id to a transaction that may commit
/// first, and a reader that passed it would never see the earlier one.)
async fn a_reader_following_the_page_watermark_misses_nothing(test: TestStore) {
    let store = test.shared();
    register(store.as_ref()).await;
    let a = site_of(store.as_ref(), "a.test", "/").await;
    let sweep = store.create_sweep(&[a.id]).await.unwrap();
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..25 {
                    let mut f = fetch(sweep, a.id, &format!("http://a.test/{t}/{i}"), Some(200));
                    f.content_type = Some("TEXT/HTML; charset=utf-8".into());
                    store.record_fetch(&f, &[]).await.unwrap();
                }
            })
        })
        .collect();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let store = store.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut mark = 0;
            loop {
                // Read after the writers finished: everything is committed, one more pass
                // from the watermark gets whatever is left.
                let last_pass = done.load(std::sync::atomic::Ordering::SeqCst);
                let batch = store.pages_after(Scope::City, mark, 7).await.unwrap();
                if batch.is_empty() && last_pass {
                    return seen;
                }
                for p in batch {
                    assert!(p.seq > mark);
                    mark = p.seq;
                    seen.push(p.fetch.fetch.url);
                }
                tokio::task::yield_now().await;
            }
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = reader.await.unwrap();
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (100, 100));
}

crate::on_every_backend!(
    a_newer_schema_is_refused_and_left_alone,
    a_reader_following_the_page_watermark_misses_nothing,
);
