//! Integration tests of the search index: every query kind, scoping, ordering, upserts,
//! persistence and hostile input.

use search::{EntityDoc, Field, Hit, PageDoc, Query, SearchIndex, What};

const QINGXIU: &str = "450103";
const XINGNING: &str = "450102";

fn entity(id: i64, name: &str, district: &str) -> EntityDoc {
    EntityDoc {
        id,
        uscc: String::new(),
        name: name.to_string(),
        district: district.to_string(),
        ..EntityDoc::default()
    }
}

/// A small register covering every searchable field.
fn register() -> Vec<EntityDoc> {
    vec![
        EntityDoc {
            uscc: "91450103MA5K0AB12X".into(),
            former_names: vec!["南宁市青秀区旧名商店".into()],
            domains: vec!["www.moumou.test".into(), "waimai.test/shop/8812".into()],
            icps: vec!["桂ICP备2017001234号-1".into()],
            addresses: vec!["广西南宁市青秀区民族大道100号".into()],
            phones: vec!["0771-5551234".into(), "138 0013 8000".into()],
            legal_rep: Some("张三丰".into()),
            ..entity(1, "南宁市青秀区某某商行", QINGXIU)
        },
        EntityDoc {
            uscc: "92450102MA5L0CD34Y".into(),
            domains: vec!["waimai.test/shop/9001".into()],
            icps: vec!["桂ICP备2017001234号-2".into()],
            addresses: vec!["南宁市兴宁区朝阳路8号".into()],
            phones: vec!["+86 771 2223333".into()],
            legal_rep: Some("李四".into()),
            ..entity(2, "南宁市兴宁区鑫源餐饮店", XINGNING)
        },
        EntityDoc {
            uscc: "92450103MA5M0EF56Z".into(),
            domains: vec!["https://shop.other.test/".into()],
            icps: vec!["桂ICP备2019009999号".into()],
            addresses: vec!["南宁市青秀区金湖路5号".into()],
            phones: vec!["（0771）55512345".into()],
            legal_rep: Some("王五".into()),
            ..entity(3, "南宁市青秀区某某商行分店", QINGXIU)
        },
        entity(4, "广西鑫源食品有限公司", XINGNING),
    ]
}

fn pages() -> Vec<PageDoc> {
    vec![
        PageDoc {
            fetch_id: 10,
            site_id: 100,
            url: "https://waimai.test/shop/8812".into(),
            title: "某某商行 - 外卖店铺".into(),
            text: format!(
                "{}本店主营进口冷链食品，保证新鲜。{}",
                "欢迎光临本店。".repeat(30),
                "联系电话见页面底部。".repeat(30)
            ),
            district: Some(QINGXIU.into()),
        },
        PageDoc {
            fetch_id: 11,
            site_id: 101,
            url: "http://www.other.test/".into(),
            title: "鑫源餐饮 <官方网站>".into(),
            text: "鑫源餐饮店提供<b>团餐</b>服务。".into(),
            district: None,
        },
    ]
}

fn index_with(entities: &[EntityDoc], pages: &[PageDoc]) -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let mut w = index.writer().unwrap();
    for e in entities {
        w.upsert_entity(e).unwrap();
    }
    for p in pages {
        w.upsert_page(p).unwrap();
    }
    w.commit("wm-1").unwrap();
    index
}

fn fixture() -> SearchIndex {
    index_with(&register(), &pages())
}

fn entity_ids(index: &SearchIndex, q: &Query) -> Vec<i64> {
    index
        .search(q)
        .unwrap()
        .into_iter()
        .filter_map(|h| match h {
            Hit::Entity { id, .. } => Some(id),
            Hit::Page { .. } => None,
        })
        .collect()
}

fn ents(index: &SearchIndex, text: &str) -> Vec<i64> {
    entity_ids(index, &Query::new(text).what(What::Entities))
}

/// Ids in ascending order, for result sets whose ranking is not under test.
fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids
}

fn matched(index: &SearchIndex, text: &str) -> Vec<(i64, Field)> {
    index
        .search(&Query::new(text).what(What::Entities))
        .unwrap()
        .into_iter()
        .filter_map(|h| match h {
            Hit::Entity { id, matched, .. } => Some((id, matched)),
            Hit::Page { .. } => None,
        })
        .collect()
}

fn page_ids(index: &SearchIndex, text: &str) -> Vec<i64> {
    index
        .search(&Query::new(text).what(What::Pages))
        .unwrap()
        .into_iter()
        .filter_map(|h| match h {
            Hit::Page { fetch_id, .. } => Some(fetch_id),
            Hit::Entity { .. } => None,
        })
        .collect()
}

#[test]
fn counts_documents() {
    assert_eq!(fixture().num_docs(), 6);
}

#[test]
fn uscc_exact_in_any_notation() {
    let index = fixture();
    assert_eq!(
        matched(&index, "91450103MA5K0AB12X"),
        vec![(1, Field::Uscc)]
    );
    assert_eq!(ents(&index, "91450103ma5k0ab12x"), vec![1]);
    assert_eq!(ents(&index, " 9145 0103 MA5K 0AB1 2X "), vec![1]);
    assert_eq!(
        ents(&index, "９１４５０１０３ＭＡ５Ｋ０ＡＢ１２Ｘ"),
        vec![1]
    );
    assert!(ents(&index, "91450103MA5K0AB12Y").is_empty());
    // A prefix of a code is not a code.
    assert!(ents(&index, "91450103MA5K0AB12").is_empty());
}

#[test]
fn icp_with_and_without_site_suffix() {
    let index = fixture();
    assert_eq!(
        matched(&index, "桂ICP备2017001234号-1"),
        vec![(1, Field::Icp)]
    );
    assert_eq!(ents(&index, "桂ICP备2017001234号-2"), vec![2]);
    assert_eq!(ents(&index, "桂ICP备2017001234号"), vec![1, 2]);
    assert_eq!(ents(&index, "桂icp备 2017001234"), vec![1, 2]);
    assert_eq!(ents(&index, "桂ICP备2019009999号"), vec![3]);
    assert!(ents(&index, "桂ICP备2017001234号-3").is_empty());
}

#[test]
fn hosts_with_scheme_www_and_prefixes() {
    let index = fixture();
    assert_eq!(matched(&index, "moumou.test"), vec![(1, Field::Domain)]);
    assert_eq!(ents(&index, "www.moumou.test"), vec![1]);
    assert_eq!(ents(&index, "http://www.moumou.test/"), vec![1]);
    assert_eq!(ents(&index, "MOUMOU.TEST"), vec![1]);
    // The platform host finds every shop listed under it.
    assert_eq!(ents(&index, "waimai.test"), vec![1, 2]);
    assert_eq!(ents(&index, "https://waimai.test/shop/8812"), vec![1]);
    assert_eq!(ents(&index, "waimai.test/shop"), vec![1, 2]);
    assert_eq!(ents(&index, "shop.other.test"), vec![3]);
    assert!(ents(&index, "other.test").is_empty());
    assert!(ents(&index, "waimai.test/shop/88").is_empty());
}

#[test]
fn phones_full_local_and_international() {
    let index = fixture();
    assert_eq!(matched(&index, "0771-5551234"), vec![(1, Field::Phone)]);
    assert_eq!(ents(&index, "07715551234"), vec![1]);
    assert_eq!(ents(&index, "5551234"), vec![1]);
    assert_eq!(ents(&index, "+86 771 555 1234"), vec![1]);
    assert_eq!(ents(&index, "13800138000"), vec![1]);
    assert_eq!(ents(&index, "+86-138-0013-8000"), vec![1]);
    assert_eq!(ents(&index, "(0771) 222 3333"), vec![2]);
    assert_eq!(ents(&index, "2223333"), vec![2]);
    // An 8-digit local number, with and without its area code.
    assert_eq!(ents(&index, "55512345"), vec![3]);
    assert_eq!(ents(&index, "0771 5551 2345"), vec![3]);
    // The tail of a mobile number is not indexed.
    assert!(ents(&index, "00138000").is_empty());
}

#[test]
fn full_and_partial_chinese_names() {
    let index = fixture();
    // The exact name ranks first, the longer name containing it second.
    assert_eq!(ents(&index, "南宁市青秀区某某商行"), vec![1, 3]);
    assert_eq!(ents(&index, "南宁市青秀区某某商行分店"), vec![3]);
    assert_eq!(ents(&index, "青秀区某"), vec![1, 3]);
    assert_eq!(ents(&index, "商行"), vec![1, 3]);
    assert_eq!(
        matched(&index, "商行"),
        vec![(1, Field::Name), (3, Field::Name)]
    );
    assert_eq!(sorted(ents(&index, "鑫源")), vec![2, 4]);
    assert_eq!(ents(&index, "鑫源食品"), vec![4]);
    // Every bigram is required: these characters occur, but not together.
    assert!(ents(&index, "商源").is_empty());
}

#[test]
fn whole_name_match_outranks_partial() {
    let index = index_with(
        &[
            entity(1, "鑫源餐饮店连锁管理有限公司鑫源餐饮店", QINGXIU),
            entity(2, "鑫源餐饮店", QINGXIU),
        ],
        &[],
    );
    assert_eq!(ents(&index, "鑫源餐饮店"), vec![2, 1]);
    assert_eq!(ents(&index, " 鑫源 餐饮店 "), vec![2, 1]);
}

#[test]
fn former_names_legal_rep_and_address() {
    let index = fixture();
    assert_eq!(matched(&index, "旧名商店"), vec![(1, Field::FormerName)]);
    assert_eq!(
        matched(&index, "南宁市青秀区旧名商店"),
        vec![(1, Field::FormerName)]
    );
    assert_eq!(matched(&index, "张三丰"), vec![(1, Field::LegalRep)]);
    assert_eq!(matched(&index, "民族大道"), vec![(1, Field::Address)]);
    assert_eq!(matched(&index, "金湖路"), vec![(3, Field::Address)]);
}

#[test]
fn single_character_queries() {
    let index = fixture();
    assert_eq!(sorted(ents(&index, "鑫")), vec![2, 4]);
    // Last character of a run, only reachable through its unigram.
    assert_eq!(ents(&index, "司"), vec![4]);
    assert_eq!(ents(&index, "丰"), vec![1]);
    assert!(ents(&index, "龘").is_empty());
}

#[test]
fn ascii_words_in_names() {
    let index = index_with(
        &[
            entity(1, "南宁ABC科技有限公司", QINGXIU),
            entity(2, "南宁ＡＢＣＤ贸易", QINGXIU),
        ],
        &[],
    );
    assert_eq!(ents(&index, "abc"), vec![1]);
    assert_eq!(ents(&index, "ABCD"), vec![2]);
    assert_eq!(ents(&index, "abc科技"), vec![1]);
}

#[test]
fn district_scope_is_applied_inside_the_query() {
    let index = fixture();
    let scoped = |text: &str, d: &str| {
        entity_ids(&index, &Query::new(text).what(What::Entities).district(d))
    };
    assert_eq!(sorted(scoped("南宁市", QINGXIU)), vec![1, 3]);
    assert_eq!(scoped("南宁市", XINGNING), vec![2]);
    assert_eq!(scoped("鑫源", QINGXIU), Vec::<i64>::new());
    assert_eq!(scoped("waimai.test", XINGNING), vec![2]);
    // Paging counts only in-scope hits.
    let second = index
        .search(
            &Query::new("南宁市")
                .what(What::Entities)
                .district(QINGXIU)
                .page(1, 1),
        )
        .unwrap();
    assert_eq!(second.len(), 1);
    // Pages without a district drop out of a scoped search.
    let pages = index
        .search(&Query::new("鑫源").what(What::Pages).district(XINGNING))
        .unwrap();
    assert!(pages.is_empty());
    let pages = index
        .search(&Query::new("冷链").what(What::Pages).district(QINGXIU))
        .unwrap();
    assert_eq!(pages.len(), 1);
}

#[test]
fn pages_by_title_and_text_with_plain_snippets() {
    let index = fixture();
    let hits = index
        .search(&Query::new("冷链食品").what(What::Pages))
        .unwrap();
    assert_eq!(hits.len(), 1);
    let Hit::Page {
        fetch_id,
        site_id,
        url,
        title,
        snippet,
        score,
    } = &hits[0]
    else {
        panic!("expected a page hit: {hits:?}");
    };
    assert_eq!((*fetch_id, *site_id), (10, 100));
    assert_eq!(url, "https://waimai.test/shop/8812");
    assert_eq!(title, "某某商行 - 外卖店铺");
    assert!(*score > 0.0);
    assert!(snippet.contains("冷链食品"), "{snippet}");
    assert!(
        snippet.starts_with('…') && snippet.ends_with('…'),
        "{snippet}"
    );
    let len = snippet.chars().count();
    assert!((100..=125).contains(&len), "{len}: {snippet}");

    // Title-only match: the snippet is the start of the text.
    assert_eq!(page_ids(&index, "外卖店铺"), vec![10]);
    // Text is returned as stored, without any highlighting markup added.
    let hits = index.search(&Query::new("团餐").what(What::Pages)).unwrap();
    let Hit::Page { snippet, .. } = &hits[0] else {
        panic!("expected a page hit");
    };
    assert_eq!(snippet, "鑫源餐饮店提供<b>团餐</b>服务。");
}

#[test]
fn pages_by_host() {
    let index = fixture();
    assert_eq!(page_ids(&index, "waimai.test"), vec![10]);
    assert_eq!(page_ids(&index, "www.other.test"), vec![11]);
}

#[test]
fn both_kinds_together() {
    let index = fixture();
    let hits = index.search(&Query::new("鑫源餐饮")).unwrap();
    let kinds: Vec<String> = hits
        .iter()
        .map(|h| match h {
            Hit::Entity { id, .. } => format!("e{id}"),
            Hit::Page { fetch_id, .. } => format!("p{fetch_id}"),
        })
        .collect();
    // Entities first, then pages, each by score.
    assert_eq!(kinds, vec!["e2", "p11"]);
}

#[test]
fn upsert_replaces_and_rename_drops_old_name() {
    let index = fixture();
    let mut renamed = register().remove(3);
    renamed.name = "广西桂香食品有限公司".into();
    let mut w = index.writer().unwrap();
    w.upsert_entity(&renamed).unwrap();
    w.commit("wm-2").unwrap();
    assert_eq!(index.num_docs(), 6);
    assert_eq!(ents(&index, "桂香"), vec![4]);
    assert!(ents(&index, "鑫源食品").is_empty());

    // With the old name recorded as a former name it is found again, as a former name.
    renamed.former_names = vec!["广西鑫源食品有限公司".into()];
    let mut w = index.writer().unwrap();
    w.upsert_entity(&renamed).unwrap();
    w.commit("wm-3").unwrap();
    assert_eq!(matched(&index, "鑫源食品"), vec![(4, Field::FormerName)]);
    assert_eq!(index.num_docs(), 6);
}

#[test]
fn upsert_page_and_deletes() {
    let index = fixture();
    let mut w = index.writer().unwrap();
    let mut page = pages().remove(0);
    page.text = "已下架".into();
    w.upsert_page(&page).unwrap();
    w.delete_entity(3);
    w.delete_page(11);
    w.commit("wm-2").unwrap();
    assert!(page_ids(&index, "冷链").is_empty());
    assert_eq!(page_ids(&index, "下架"), vec![10]);
    assert_eq!(ents(&index, "商行"), vec![1]);
    assert_eq!(index.num_docs(), 4);

    let mut w = index.writer().unwrap();
    w.clear().unwrap();
    w.commit("rebuilt").unwrap();
    assert_eq!(index.num_docs(), 0);
    assert_eq!(index.watermark().unwrap().as_deref(), Some("rebuilt"));
}

#[test]
fn uncommitted_changes_are_invisible_and_dropped() {
    let index = fixture();
    {
        let mut w = index.writer().unwrap();
        w.upsert_entity(&entity(9, "未提交商店", QINGXIU)).unwrap();
        assert!(ents(&index, "未提交").is_empty());
    }
    let w = index.writer().unwrap();
    w.commit("wm-2").unwrap();
    assert!(ents(&index, "未提交").is_empty());
}

#[test]
fn one_writer_at_a_time() {
    let index = fixture();
    let w = index.writer().unwrap();
    assert!(matches!(index.writer(), Err(search::Error::WriterBusy)));
    drop(w);
    assert!(index.writer().is_ok());
}

#[test]
fn ties_are_broken_by_id_ascending() {
    let docs: Vec<EntityDoc> = [7, 3, 9, 1, 5, 2, 8, 6, 4]
        .into_iter()
        .map(|id| entity(id, "同名商店", QINGXIU))
        .collect();
    let index = index_with(&docs, &[]);
    assert_eq!(ents(&index, "同名商店"), vec![1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let page = entity_ids(&index, &Query::new("同名").what(What::Entities).page(3, 4));
    assert_eq!(page, vec![4, 5, 6, 7]);
    // Repeated searches are identical.
    for _ in 0..3 {
        assert_eq!(ents(&index, "商店"), vec![1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
}

#[test]
fn empty_and_degenerate_queries_return_nothing() {
    let index = fixture();
    for text in ["", "   ", "\u{3000}\t\n", "，。！", "()\"*"] {
        assert!(
            index.search(&Query::new(text)).unwrap().is_empty(),
            "{text:?}"
        );
    }
    assert!(index
        .search(&Query::new("商行").page(0, 0))
        .unwrap()
        .is_empty());
    assert!(index
        .search(&Query::new("商行").page(1_000_000, 1_000_000))
        .unwrap()
        .is_empty());
}

#[test]
fn hostile_input_never_errors() {
    let index = fixture();
    let long_cjk = "某".repeat(10_000);
    let long_ascii = "a".repeat(100_000);
    let many_words = "AND OR NOT ".repeat(2_000);
    let nasty = [
        "\"商行",
        "商行\"",
        "(商行",
        "商行)",
        "商行 AND 鑫源",
        "NOT 商行",
        "商行 OR",
        "*",
        "商*",
        "name:商行",
        "uscc:[* TO *]",
        "+商行 -鑫源",
        "商行~2",
        "\\",
        "\u{0}\u{1}",
        "🙂🙂",
        "http://",
        "www.",
        "..",
        "ICP",
        "桂ICP备",
        "+86",
        "----",
        long_cjk.as_str(),
        long_ascii.as_str(),
        many_words.as_str(),
    ];
    for text in nasty {
        for what in [What::Entities, What::Pages, What::Both] {
            let q = Query::new(text).what(what).district("450103");
            index.search(&q).unwrap();
            index.search(&Query::new(text).what(what)).unwrap();
        }
    }
    // Syntax characters are ignored, the words still match.
    assert_eq!(ents(&index, "(商行)"), vec![1, 3]);
    assert_eq!(sorted(ents(&index, "\"鑫源\"")), vec![2, 4]);
}

#[test]
fn watermark_survives_reopen_and_schema_change_wipes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("search");
    {
        let index = SearchIndex::open(&path).unwrap();
        assert_eq!(index.watermark().unwrap(), None);
        assert_eq!(index.num_docs(), 0);
        let mut w = index.writer().unwrap();
        for e in register() {
            w.upsert_entity(&e).unwrap();
        }
        w.commit("change-42").unwrap();
        assert_eq!(index.watermark().unwrap().as_deref(), Some("change-42"));
    }
    {
        let index = SearchIndex::open(&path).unwrap();
        assert_eq!(index.watermark().unwrap().as_deref(), Some("change-42"));
        assert_eq!(index.num_docs(), 4);
        assert_eq!(ents(&index, "商行"), vec![1, 3]);
        let mut w = index.writer().unwrap();
        w.upsert_entity(&entity(5, "新开商行", QINGXIU)).unwrap();
        w.commit("change-43").unwrap();
    }
    {
        let index = SearchIndex::open(&path).unwrap();
        assert_eq!(index.watermark().unwrap().as_deref(), Some("change-43"));
        assert_eq!(sorted(ents(&index, "商行")), vec![1, 3, 5]);
    }

    // An index stamped with another schema version is wiped.
    std::fs::write(
        path.join("wangjian-search.version"),
        "wangjian-search schema 0\n",
    )
    .unwrap();
    let index = SearchIndex::open(&path).unwrap();
    assert_eq!(index.watermark().unwrap(), None);
    assert_eq!(index.num_docs(), 0);
    assert!(ents(&index, "商行").is_empty());
    drop(index);

    // So is a directory of garbage.
    let junk = dir.path().join("junk");
    std::fs::create_dir_all(&junk).unwrap();
    std::fs::write(junk.join("meta.json"), "not json").unwrap();
    let index = SearchIndex::open(&junk).unwrap();
    assert_eq!(index.num_docs(), 0);
    let mut w = index.writer().unwrap();
    w.upsert_entity(&entity(1, "重建商店", QINGXIU)).unwrap();
    w.commit("fresh").unwrap();
    assert_eq!(ents(&index, "重建"), vec![1]);
}

#[test]
fn index_is_shareable_across_threads() {
    let index = fixture();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let index = index.clone();
            std::thread::spawn(move || ents(&index, "商行"))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), vec![1, 3]);
    }
}

/// Deterministic synthetic names, so the bulk test needs no random number crate.
fn synthetic_name(i: u64) -> String {
    const PLACES: [&str; 6] = ["青秀区", "兴宁区", "江南区", "西乡塘区", "良庆区", "邕宁区"];
    const WORDS: [&str; 12] = [
        "鑫源", "华盛", "恒达", "金桥", "瑞丰", "嘉禾", "宏图", "百川", "新锐", "博远", "天成",
        "润泽",
    ];
    const KINDS: [&str; 5] = ["商行", "餐饮店", "食品有限公司", "便利店", "科技有限公司"];
    let x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!(
        "南宁市{}{}{}{}",
        PLACES[(x % 6) as usize],
        WORDS[((x >> 8) % 12) as usize],
        WORDS[((x >> 16) % 12) as usize],
        KINDS[((x >> 24) % 5) as usize]
    )
}

#[test]
fn bulk_twenty_thousand_entities() {
    let index = SearchIndex::in_memory().unwrap();
    let mut w = index.writer().unwrap();
    let n = 20_000u64;
    for i in 0..n {
        let mut e = entity(
            i as i64,
            &synthetic_name(i),
            if i % 2 == 0 { QINGXIU } else { XINGNING },
        );
        e.uscc = format!("91450100MA{i:08}");
        e.phones = vec![format!("0771-{:07}", 1_000_000 + i)];
        w.upsert_entity(&e).unwrap();
    }
    w.commit("bulk").unwrap();
    assert_eq!(index.num_docs(), n);

    let probe = 12_345u64;
    let name = synthetic_name(probe);
    let ids = entity_ids(&index, &Query::new(&name).what(What::Entities).page(0, 100));
    assert!(ids.contains(&(probe as i64)));
    // Every hit carries the whole name (names can repeat in the synthetic register).
    let exact: Vec<u64> = (0..n).filter(|&i| synthetic_name(i) == name).collect();
    assert_eq!(
        ids[..exact.len()],
        exact.iter().map(|&i| i as i64).collect::<Vec<_>>()[..]
    );
    assert_eq!(
        ents(&index, &format!("91450100MA{probe:08}")),
        vec![probe as i64]
    );
    assert_eq!(
        ents(&index, &format!("{:07}", 1_000_000 + probe)),
        vec![probe as i64]
    );

    // The district filter keeps limit/offset exact: page through all of one district.
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = entity_ids(
            &index,
            &Query::new("南宁市")
                .what(What::Entities)
                .district(QINGXIU)
                .page(offset, 1000),
        );
        if page.is_empty() {
            break;
        }
        offset += page.len();
        seen.extend(page);
        if offset >= 10_000 {
            break;
        }
    }
    assert_eq!(seen.len(), 10_000);
    assert!(seen.iter().all(|id| id % 2 == 0));
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 10_000, "pages overlapped");
}

/// The register entry for a name comes before the pages that mention it, even when they
/// score higher: in a search over both kinds every entity hit precedes every page hit, and
/// the window runs over entities first.
#[test]
fn entities_come_before_pages_that_mention_them() {
    // Two pages about the name among many others, which outscore the entities.
    let mut pages: Vec<PageDoc> = (0..2)
        .map(|i| PageDoc {
            fetch_id: 100 + i,
            site_id: 7,
            url: format!("https://food.test/menu/{i}"),
            title: "柠檬鸭".into(),
            text: "招牌柠檬鸭，柠檬鸭好吃".into(),
            district: Some(QINGXIU.into()),
        })
        .collect();
    pages.extend((0..300).map(|i| PageDoc {
        fetch_id: 1000 + i,
        site_id: 8,
        url: format!("https://other.test/{i}"),
        title: format!("今日菜单{i}"),
        text: "欢迎光临本店，今日特价".into(),
        district: Some(QINGXIU.into()),
    }));
    // Sixty entities with the name in theirs (a common name ranks low on idf), and others.
    let mut entities: Vec<EntityDoc> = (1..=60)
        .map(|i| {
            entity(
                i,
                &format!("南宁市青秀区佳雅柠檬鸭{i}号餐饮服务店"),
                QINGXIU,
            )
        })
        .collect();
    entities.extend((61..150).map(|i| entity(i, &synthetic_name(i as u64), QINGXIU)));
    let index = index_with(&entities, &pages);
    let kinds = |q: &Query| -> Vec<String> {
        index
            .search(q)
            .unwrap()
            .iter()
            .map(|h| match h {
                Hit::Entity { id, .. } => format!("e{id}"),
                Hit::Page { .. } => "p".to_string(),
            })
            .collect()
    };
    let got = kinds(&Query::new("柠檬鸭").page(0, 100));
    assert_eq!(got.len(), 62, "{got:?}");
    assert!(got[..60].iter().all(|k| k.starts_with('e')), "{got:?}");
    assert_eq!(got[60..], ["p", "p"]);
    // The window continues into the pages after the entities.
    assert_eq!(kinds(&Query::new("柠檬鸭").page(59, 5)).len(), 3);
    assert_eq!(kinds(&Query::new("柠檬鸭").page(60, 5)), vec!["p", "p"]);
    // The pages beat every entity on score, yet come after them.
    let hits = index.search(&Query::new("柠檬鸭").page(0, 100)).unwrap();
    assert!(hits[60].score() > hits[0].score(), "{hits:?}");
}

/// Recaptures of one address are one result (the best-scoring capture), and the window is
/// filled with distinct addresses.
#[test]
fn a_page_address_appears_once() {
    let mut pages = Vec::new();
    for i in 0..30 {
        pages.push(PageDoc {
            fetch_id: 100 + i,
            site_id: 7,
            // Ten addresses, each captured three times (the later captures say more).
            url: format!("https://food.test/menu/{}", i % 10),
            title: "今日菜单".into(),
            text: format!("{}招牌柠檬鸭", "好吃".repeat((i % 7) as usize)),
            district: None,
        });
    }
    let index = index_with(&[], &pages);
    let hits = index
        .search(&Query::new("柠檬鸭").what(What::Pages).page(0, 8))
        .unwrap();
    let urls: Vec<String> = hits
        .iter()
        .filter_map(|h| match h {
            Hit::Page { url, .. } => Some(url.clone()),
            Hit::Entity { .. } => None,
        })
        .collect();
    assert_eq!(urls.len(), 8, "{urls:?}");
    let mut distinct = urls.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 8, "{urls:?}");
    let all = index
        .search(&Query::new("柠檬鸭").what(What::Pages).page(0, 100))
        .unwrap();
    assert_eq!(all.len(), 10);
}

/// A query of common tokens, matching a large share of the register, is collected with top-k
/// pruning: one token (one or two characters) by one pruned disjunction, several by each
/// field's pruned intersection with its candidates scored again. Its hits have the same scores
/// in the same order and the same matched fields as with every match scored (the
/// district-scoped query takes the exhaustive path; every entity is in the one district); only
/// entities of EQUAL score may differ, as ties of one token keep index order instead of id
/// order. The whole-name match comes first, and paging is exact.
#[test]
fn broad_queries_rank_as_if_every_match_were_scored() {
    let index = SearchIndex::in_memory().unwrap();
    let mut w = index.writer().unwrap();
    let n = 12_000u64;
    for i in 1..=n {
        let mut e = entity(i as i64, &synthetic_name(i), QINGXIU);
        if i % 97 == 0 {
            e.former_names = vec![format!("南宁{}旧名商行", i % 5)];
        }
        if i % 89 == 0 {
            e.addresses = vec![format!("广西南宁市青秀区南宁路{i}号")];
        }
        if i % 83 == 0 {
            e.legal_rep = Some("南宁".into());
        }
        w.upsert_entity(&e).unwrap();
    }
    w.upsert_entity(&entity(n as i64 + 1, "南宁", QINGXIU))
        .unwrap();
    w.upsert_entity(&entity(n as i64 + 2, "科技有限公司", QINGXIU))
        .unwrap();
    w.commit("bulk").unwrap();

    for (text, whole) in [
        ("南宁", Some(n as i64 + 1)),
        ("区", None),
        ("鑫源", None),
        ("南宁市", None),
        ("有限公司", None),
        ("青秀区", None),
        ("科技有限公司", Some(n as i64 + 2)),
    ] {
        let run = |district: Option<&str>, offset: usize, limit: usize| {
            let mut q = Query::new(text).what(What::Entities).page(offset, limit);
            if let Some(d) = district {
                q = q.district(d);
            }
            index
                .search(&q)
                .unwrap()
                .into_iter()
                .map(|h| match h {
                    Hit::Entity { id, score, matched } => (id, score, matched),
                    Hit::Page { .. } => unreachable!(),
                })
                .collect::<Vec<_>>()
        };
        for (offset, limit) in [(0, 20), (0, 100), (37, 50)] {
            let pruned = run(None, offset, limit);
            let exhaustive = run(Some(QINGXIU), offset, limit);
            assert_eq!(pruned.len(), limit, "{text}");
            let last = pruned.last().unwrap().1;
            for (a, b) in pruned.iter().zip(&exhaustive) {
                assert!((a.1 - b.1).abs() <= 1e-4 * b.1.abs(), "{text}: {a:?} {b:?}");
            }
            // Strictly between the window's first and last scores (no tie group cut by the
            // window's edges) the same entities with the same fields, in id order
            // (exhaustive) or index order (pruned) among equals.
            let first = pruned[0].1;
            let above = |v: &[(i64, f32, Field)]| {
                let mut v: Vec<(i64, Field)> = v
                    .iter()
                    .filter(|h| h.1 > last + 1e-4 * last.abs())
                    .filter(|h| offset == 0 || h.1 < first - 1e-4 * first.abs())
                    .map(|h| (h.0, h.2))
                    .collect();
                v.sort_by_key(|h| h.0);
                v
            };
            assert_eq!(
                above(&pruned),
                above(&exhaustive),
                "{text} {offset}+{limit}"
            );
            // Paging: a window is the same stretch of the full ranking.
            assert_eq!(pruned, run(None, 0, offset + limit)[offset..], "{text}");
            if let (Some(whole), 0) = (whole, offset) {
                assert_eq!(pruned[0].0, whole, "{text}");
                assert_eq!(pruned[0].2, Field::Name, "{text}");
            }
        }
    }
}
