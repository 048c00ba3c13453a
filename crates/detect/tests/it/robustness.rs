//! Hostile and broken input: never a panic, and the work stays linear.
use crate::{scan, HOME, PAGE};
use detect::extract;
use std::time::Instant;

#[test]
fn deeply_nested_tags() {
    let html = format!(
        "{}全国第一{}",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let f = scan(&html, &PAGE);
    assert_eq!(f.len(), 1);
    let html = format!("{}x", "<span><b><i>".repeat(100_000));
    let _ = scan(&html, &HOME);
}

#[test]
fn ten_megabyte_page() {
    let block = "<div class=\"item\"><p>明前龙井 ￥128 加入购物车</p><a href=\"/i/1\">详情</a>\
                 <p>第一次购买请先注册，最近上新。</p></div>\n";
    let mut html = String::with_capacity(10 << 20);
    while html.len() < 10 << 20 {
        html.push_str(block);
    }
    html.push_str("<p>全网最低</p>");
    let t = Instant::now();
    let f = scan(&html, &HOME);
    let elapsed = t.elapsed();
    assert!(f.iter().any(|f| f.category.code() == "ad.absolute_term"));
    assert!(f
        .iter()
        .any(|f| f.category.code() == "license.not_displayed"));
    // Not a timed assertion (benchmarks live in bench/); printed for the curious.
    eprintln!("10 MiB page scanned in {elapsed:?}");
}

#[test]
fn huge_attribute_and_text() {
    let big = "a".repeat(5 << 20);
    let html = format!("<a href=\"{big}\" title='{big}'>全国第一</a><p>{big}</p>");
    let f = scan(&html, &PAGE);
    assert!(f.iter().any(|f| f.category.code() == "ad.absolute_term"));
    assert!(f.iter().all(|f| f.excerpt.chars().count() <= 200));
}

#[test]
fn invalid_markup_and_odd_bytes() {
    for html in [
        "",
        "<",
        "&",
        "&#",
        "&#x",
        "&#xFFFFFFFFFF;",
        "<<<<>>>>",
        "<div <p> </div",
        "<title>全国第一",
        "<script>",
        "<!--",
        "<![CDATA[全国第一]]>",
        "<svg><title>第一</title><foreignObject><p>x</p></foreignObject></svg>",
        "<math><mi>&</mi></math>",
        "\u{0}\u{FEFF}\u{200B}\u{FFFD}",
        "<a href=>",
        "<img alt=全国第一 src>",
        "<form><input><input><label>",
        "<table><td><td><tr></table></td>",
        "<p>统一社会信用代码：</p>",
        "<p>信用代码 ",
        "注册号",
    ] {
        let _ = extract(html);
        let _ = scan(html, &HOME);
    }
    // Every prefix of a realistic page (cuts inside tags, entities and multi-byte text).
    let page = r#"<html><head><title>店&amp;铺</title><meta name=description content="顶级"></head>
        <body><p>全&#x7F51;最低 ￥9.9 立即购买</p><a href="https://x.casino.example/">真人娱乐</a>
        <p>统一社会信用代码：91110000600037341N</p></body></html>"#;
    for (i, _) in page.char_indices() {
        let _ = scan(&page[..i], &HOME);
    }
}
