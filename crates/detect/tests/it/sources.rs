//! Every text a person or a search engine sees is scanned, and each finding says where it was
//! found: attributes (`alt`, `title`, `aria-label`), meta description and keywords, JSON-LD,
//! `<noscript>`, text written by scripts.
use crate::{scan, PAGE};
use detect::{extract, Detection, Location};

/// A page whose only claim sits in `part`; the body says nothing.
fn page(head: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=utf-8><title>小明茶叶店</title>{head}</head>\
         <body><h1>小明茶叶店</h1><p>欢迎选购明前龙井。</p>{body}</body></html>"
    )
}

/// The one finding of `category` on the page (and no other of it).
#[track_caller]
fn only(html: &str, category: &str) -> Detection {
    let f = scan(html, &PAGE);
    let of: Vec<_> = f.iter().filter(|f| f.category.code() == category).collect();
    assert_eq!(of.len(), 1, "{html}\n{f:#?}");
    of[0].clone()
}

#[test]
fn each_source_is_scanned_and_named() {
    let cases: &[(&str, &str, Location, &str)] = &[
        (
            "",
            r#"<img src="t.png" alt="全网销量冠军">"#,
            Location::Attribute,
            "销量冠军",
        ),
        (
            "",
            r#"<span title="本店茶叶全国第一">龙井</span>"#,
            Location::Attribute,
            "全国第一",
        ),
        (
            "",
            r#"<button aria-label="史上最低价 立即购买"><svg></svg></button>"#,
            Location::Attribute,
            "史上最低",
        ),
        (
            r#"<meta name="description" content="顶级龙井，品质保证">"#,
            "",
            Location::Meta,
            "顶级",
        ),
        (
            r#"<meta name="keywords" content="龙井,绿茶,最正宗">"#,
            "",
            Location::Meta,
            "最正宗",
        ),
        (
            r#"<script type="application/ld+json">{"@context":"https://schema.org","@type":"Product",
               "name":"明前龙井","description":"\u5168\u7f51\u7b2c\u4e00\u7684\u9f99\u4e95",
               "offers":{"@type":"Offer","price":"128.00","priceCurrency":"CNY"}}</script>"#,
            "",
            Location::StructuredData,
            "全网第一",
        ),
        (
            "",
            "<noscript><p>本店茶叶销量冠军</p></noscript>",
            Location::Noscript,
            "销量冠军",
        ),
        (
            "",
            r#"<script>document.getElementById('x').innerHTML = '<b>\u9500\u91cf\u7b2c\u4e00</b>';</script>"#,
            Location::Script,
            "销量第一",
        ),
    ];
    for &(head, body, loc, needle) in cases {
        let html = page(head, body);
        let f = only(&html, "ad.absolute_term");
        assert_eq!(f.location, loc, "{html}\n{f:#?}");
        assert!(f.excerpt.contains(needle), "{}: {}", needle, f.excerpt);
    }
    // The same page without the claim's carrier is clean: the finding came from that source.
    assert!(scan(&page("", ""), &PAGE)
        .iter()
        .all(|f| f.category.code() != "ad.absolute_term"));
}

#[test]
fn location_codes_are_stable() {
    assert_eq!(Location::StructuredData.as_str(), "jsonld");
    assert_eq!(Location::Noscript.as_str(), "noscript");
    assert_eq!(Location::Script.as_str(), "script");
    assert_eq!(Location::Attribute.as_str(), "attribute");
}

#[test]
fn other_categories_in_new_sources() {
    // An endorsement only in JSON-LD, gambling only in a noscript link.
    let html = page(
        r#"<script type="application/ld+json">[{"@type":"Organization","name":"小明茶叶","slogan":"市场监管局推荐品牌"}]</script>"#,
        r#"<noscript><a href="https://www.xpj-casino.test/">真人娱乐</a></noscript>"#,
    );
    let f = scan(&html, &PAGE);
    assert!(
        f.iter().any(|f| f.category.code() == "ad.state_endorsement"
            && f.location == Location::StructuredData),
        "{f:#?}"
    );
    assert!(
        f.iter()
            .any(|f| f.category.code() == "content.gambling" && f.location == Location::Noscript),
        "{f:#?}"
    );
    // Gambling only where crawlers read (noscript) over a clean body: a hijacked page.
    assert!(
        f.iter().any(|f| f.category.code() == "site.hijacked"),
        "{f:#?}"
    );
}

#[test]
fn jsonld_keeps_descriptive_strings_only_and_is_bounded() {
    let p = extract(
        r#"<script type="application/ld+json">{"@type":"Product","name":"龙井","url":"https://x.test/最佳",
        "image":"最佳.png","brand":{"@type":"Brand","name":"小明"},"review":[{"reviewBody":"很好喝"}],
        "sku":"A1","keywords":["绿茶","春茶"]}</script>
        <script type="application/ld+json">{not json 最佳}</script>
        <script type="text/javascript">var x = {"name":"最佳"};</script>"#,
    );
    // Keys in sorted order (brand, keywords, name, review); url, image, sku and @type left out.
    assert_eq!(p.structured, "小明\n绿茶\n春茶\n龙井\n很好喝");
    // A huge block is not parsed; many blocks stop at the cap.
    let big = format!(
        r#"<script type="application/ld+json">{{"name":"{}"}}</script>"#,
        "字".repeat(200_000)
    );
    assert!(extract(&big).structured.is_empty());
    let block = format!(
        r#"<script type="application/ld+json">{{"description":"{}"}}</script>"#,
        "茶".repeat(10_000)
    );
    let many = block.repeat(20);
    let s = extract(&many).structured;
    assert!(
        s.len() <= detect::extract::MAX_STRUCTURED + 4,
        "{}",
        s.len()
    );
    assert!(s.len() >= detect::extract::MAX_STRUCTURED);
}

#[test]
fn attributes_are_distinct_bounded_and_not_from_hidden_blocks() {
    let p = extract(
        r#"<a href="/a" title="首页">首页</a><a href="/b" title="首页">x</a>
        <div style="display:none"><span title="隐藏的标题">x</span></div>
        <link rel="alternate" title="RSS"><i aria-label="购物袋"></i>"#,
    );
    assert_eq!(p.attributes, ["首页", "购物袋"]);
    let many: String = (0..40_000)
        .map(|i| format!("<i title='标题{i}'></i>"))
        .collect();
    let p = extract(&many);
    let bytes: usize = p.attributes.iter().map(String::len).sum();
    assert!(bytes <= detect::extract::MAX_ATTRIBUTES + detect::extract::MAX_ANCHOR);
    assert!(bytes >= detect::extract::MAX_ATTRIBUTES);
}

#[test]
fn noscript_is_read_as_markup_and_bounded() {
    let p = extract(
        r#"<p>正文</p><noscript><p>请启用脚本</p><a href="/x">链接</a><img src="i.png" alt="图"></noscript>
        <div hidden><noscript><p>藏起来的</p></noscript></div>"#,
    );
    assert_eq!(p.text, "正文");
    assert_eq!(p.noscript, "请启用脚本\n链接");
    assert!(p.hidden.contains("藏起来的"), "{p:?}");
    assert_eq!(p.links.len(), 1);
    assert!(p.links[0].noscript && !p.links[0].hidden);
    assert_eq!(p.images, [("i.png".to_string(), "图".to_string())]);
    let huge = format!("<noscript><p>{}</p></noscript>", "字".repeat(400_000));
    let many = huge.repeat(3);
    let p = extract(&many);
    // The markup read is cut at the cap, whatever the number of blocks.
    assert!(
        p.noscript.len() <= detect::extract::MAX_NOSCRIPT,
        "{}",
        p.noscript.len()
    );
    assert!(p.noscript.len() > detect::extract::MAX_NOSCRIPT / 2);
}

#[test]
fn script_written_text_says_script_and_page_text_says_text() {
    let html = page(
        "",
        "<p>本店销量第一</p><script>document.write('<p>全网最低价</p>')</script>",
    );
    let f = scan(&html, &PAGE);
    let loc = |needle: &str| {
        f.iter()
            .find(|f| f.excerpt.contains(needle) && f.category.code() == "ad.absolute_term")
            .map(|f| f.location)
    };
    assert_eq!(loc("销量第一"), Some(Location::Text), "{f:#?}");
    assert_eq!(loc("全网最低"), Some(Location::Script), "{f:#?}");
}

#[test]
fn icon_links_are_named_by_their_attributes() {
    let p = extract(
        r#"<a href="/cart" aria-label="购物袋"><svg></svg></a><a href="/x" title="说明"></a>"#,
    );
    assert_eq!(p.links[0].anchor, "购物袋");
    assert_eq!(p.links[1].anchor, "说明");
}
