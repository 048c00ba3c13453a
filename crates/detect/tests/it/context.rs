//! Context: quotations, trademarks and company names, page genres, and food where there is
//! none. Every suppression has a control page where the same words are the site's own claim.

use crate::{scan, scan_all, HOME, PAGE};
use detect::context::{page_genre, Genre};
use detect::{extract, Detection, PageContext, RegisterFacts, RegisterView, SuppressionReason};
use domain::SiteKind;

/// A trading page (price and buy button) with `body` in it.
fn shop(body: &str) -> String {
    format!(
        "<html><head><title>优选小店</title></head><body>{body}\
         <div class=item><h2>保温杯</h2><span class=price>￥59.00</span>\
         <button>加入购物车</button></div></body></html>"
    )
}

/// A page that does not trade.
fn page(title: &str, body: &str) -> String {
    format!("<html><head><title>{title}</title></head><body>{body}</body></html>")
}

fn of<'a>(found: &'a [Detection], code: &str) -> Vec<&'a Detection> {
    found.iter().filter(|f| f.category.code() == code).collect()
}

/// The page has `code` findings, all suppressed for `reason`, and no live one.
#[track_caller]
fn suppressed(html: &str, ctx: &PageContext, code: &str, reason: SuppressionReason) {
    let all = scan_all(html, ctx);
    let hits = of(&all, code);
    assert!(!hits.is_empty(), "no {code} at all on {html}: {all:#?}");
    for h in &hits {
        let s = h
            .suppressed
            .as_ref()
            .unwrap_or_else(|| panic!("live {h:#?}"));
        assert_eq!(s.reason, reason, "{h:#?}");
        assert!(!s.detail.is_empty(), "{h:#?}");
    }
}

/// The page has a live `code` finding.
#[track_caller]
fn live(html: &str, ctx: &PageContext, code: &str) {
    let found = scan(html, ctx);
    assert!(
        !of(&found, code).is_empty(),
        "expected a live {code} on {html}: {:#?}",
        scan_all(html, ctx)
    );
}

#[test]
fn quotation_marks_and_law_lists_are_quotations() {
    // A page that does not trade quoting banned words.
    let notice = page(
        "关于规范广告用语的提示",
        "<p>广告中不得出现“最佳”“全国第一”等绝对化用语。</p>",
    );
    suppressed(
        &notice,
        &PAGE,
        "ad.absolute_term",
        SuppressionReason::Quotation,
    );
    // A law's article and its list, without quotation marks.
    let law = page(
        "广告用语提示",
        "<p>依据《中华人民共和国广告法》第九条，广告不得使用国家级、最高级、最佳等用语。</p>",
    );
    suppressed(
        &law,
        &PAGE,
        "ad.absolute_term",
        SuppressionReason::Quotation,
    );
    // Control: the same words as the page's own claim.
    live(
        &page("广告用语提示", "<p>本店品质全国第一，服务最佳。</p>"),
        &PAGE,
        "ad.absolute_term",
    );
}

#[test]
fn on_a_trading_page_a_bare_quotation_mark_is_emphasis() {
    // A shop's own slogan in quotation marks is its claim.
    live(
        &shop("<p>荣获“全国第一”品质</p>"),
        &PAGE,
        "ad.absolute_term",
    );
    // A cued quote on the same shop is not.
    suppressed(
        &shop("<p>本店承诺：绝不宣称“全国第一”之类的用语。</p>"),
        &PAGE,
        "ad.absolute_term",
        SuppressionReason::Quotation,
    );
}

#[test]
fn blockquote_and_q_are_quotations() {
    let quoted = shop("<blockquote><p>全国第一的保温杯</p></blockquote><p>网友评价</p>");
    suppressed(
        &quoted,
        &PAGE,
        "ad.absolute_term",
        SuppressionReason::Quotation,
    );
    suppressed(
        &shop("<p>顾客说<q>全国第一</q></p>"),
        &PAGE,
        "ad.absolute_term",
        SuppressionReason::Quotation,
    );
    // Control: the same words in a paragraph of the shop.
    live(&shop("<p>全国第一的保温杯</p>"), &PAGE, "ad.absolute_term");
}

#[test]
fn consumer_council_list_of_illegal_clauses_is_quoted() {
    let council = page(
        "南宁市消费者委员会",
        "<p>消委会点评以下不公平格式条款：“本店拥有最终解释权”“商品售出概不退换”。</p>",
    );
    suppressed(
        &council,
        &PAGE,
        "contract.unfair_clause",
        SuppressionReason::Quotation,
    );
    live(
        &shop("<p>商品售出概不退换，本店拥有最终解释权。</p>"),
        &PAGE,
        "contract.unfair_clause",
    );
}

#[test]
fn trademarks_and_company_names_are_not_claims() {
    // Marked on the page with ®.
    suppressed(
        &shop("<p>第一坊®手工挂面</p>"),
        &PAGE,
        "ad.absolute_term",
        SuppressionReason::Trademark,
    );
    // A company name shown on the page.
    suppressed(
        &shop("<p>版权所有 南宁全国第一贸易有限公司</p>"),
        &PAGE,
        "ad.absolute_term",
        SuppressionReason::Trademark,
    );
    // The register's trademark.
    let facts = RegisterFacts {
        name: "南宁某某贸易有限公司".into(),
        uscc: "91450100MA5KXXXX0X".into(),
        names: vec!["全国第一坊".into()],
        ..RegisterFacts::default()
    };
    let ctx = PageContext {
        register: RegisterView::Matched(&facts),
        ..PAGE
    };
    let html = shop("<p>全国第一坊 手工挂面</p>");
    suppressed(
        &html,
        &ctx,
        "ad.absolute_term",
        SuppressionReason::Trademark,
    );
    // Controls: without the register, or the word outside the name.
    live(&html, &PAGE, "ad.absolute_term");
    live(
        &shop("<p>第一坊®手工挂面，销量全国第一</p>"),
        &PAGE,
        "ad.absolute_term",
    );
}

#[test]
fn government_news_and_association_pages_report_rather_than_claim() {
    let gov = PageContext::new("http://www.nanning.gov.cn/xxgk/t1.html");
    // An advertising claim on a government page that does not trade.
    suppressed(
        &page(
            "南宁市人民政府",
            "<p>全市营商环境评价最佳，服务最好的政务大厅</p>",
        ),
        &gov,
        "ad.absolute_term",
        SuppressionReason::Genre,
    );
    // A police warning quoting a scam's promises, without quotation marks (the rule's own
    // exclusions see only the words near a match: here the warning is a sentence away).
    let warning = page(
        "南宁市公安局",
        "<p>警方提醒市民注意。</p><p>有人在群里推广网上百家乐、注册送彩金，均为陷阱。</p>",
    );
    suppressed(&warning, &gov, "content.gambling", SuppressionReason::Genre);
    // News: a crackdown report.
    let news = page(
        "南宁新闻",
        "<p>2024年5月1日 来源：南宁日报 记者 张三</p>\
         <p>据介绍，该平台以真人百家乐吸引会员。</p><p>警方提醒市民谨防上当。</p>",
    );
    suppressed(&news, &PAGE, "content.gambling", SuppressionReason::Genre);
    // Controls: the same words on a page that is none of these.
    live(
        &page("小店", "<p>全市营商环境评价最佳，服务最好的政务大厅</p>"),
        &PAGE,
        "ad.absolute_term",
    );
    live(
        &page("娱乐城", "<p>网上百家乐、注册送彩金</p>"),
        &PAGE,
        "content.gambling",
    );
    // Gambling words on a government page that neither warns nor reports are not a report.
    live(
        &page("南宁市人民政府", "<p>真人百家乐 注册送彩金</p>"),
        &gov,
        "content.gambling",
    );
    // A government page that trades is a trader.
    live(
        &shop("<p>南宁市人民政府 全国第一</p>"),
        &gov,
        "ad.absolute_term",
    );
}

#[test]
fn hijack_signals_are_never_suppressed() {
    let gov = PageContext::new("http://www.nngs.gov.cn/yfxz/t1.html");
    // A hijacked title over a government page.
    let title = page(
        "澳门新葡京-真人百家乐-注册送彩金",
        "<p>南宁市人民政府 政务公开</p><p>关于做好防汛工作的通知</p>",
    );
    live(&title, &gov, "site.hijacked");
    // Hidden casino links on a government page.
    let hidden = page(
        "南宁市人民政府",
        "<p>政务公开</p><div style=\"display:none\"><a href=\"http://casino.test/\">真人百家乐</a>\
         <a href=\"http://casino.test/2\">注册送彩金</a></div>",
    );
    live(&hidden, &gov, "site.hijacked");
    live(&hidden, &gov, "content.gambling");
    // The shared regression page.
    let shared = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/pages/01-gov-hijacked-title.html"
    ))
    .expect("the shared regression page");
    live(&shared, &gov, "site.hijacked");
}

#[test]
fn quotes_in_a_title_do_not_hide_a_hijack() {
    // A kit quoting its casino words in the title over a body that speaks of none.
    let html = page("“真人百家乐”“注册送彩金”", "<p>关于做好防汛工作的通知</p>");
    live(&html, &PAGE, "site.hijacked");
}

#[test]
fn genres_from_facts_and_register() {
    let genre = |html: &str, url: &str, kind: Option<SiteKind>| {
        let p = extract(html);
        let norm = detect::normalize::normalize(&p.text);
        page_genre(&p, &norm, url, detect::trading_page(&p), kind).genre
    };
    assert_eq!(
        genre(&page("通知", ""), "http://x.gov.cn/", None),
        Genre::Government
    );
    assert_eq!(
        genre(&page("广西消费者协会", ""), "http://a.test/", None),
        Genre::Association
    );
    assert_eq!(genre(&shop(""), "http://a.test/", None), Genre::Shop);
    assert_eq!(
        genre(
            &page("关于我们", "<p>某某科技有限公司</p>"),
            "http://a.test/",
            None
        ),
        Genre::Corporate
    );
    // The register's kind: a registered platform is a platform whatever its page says.
    assert_eq!(
        genre(
            &page("通知", ""),
            "http://x.gov.cn/",
            Some(SiteKind::Platform)
        ),
        Genre::Platform
    );
    assert_eq!(
        genre(
            &page("首页", ""),
            "http://a.test/",
            Some(SiteKind::TradingSite)
        ),
        Genre::Shop
    );
}

#[test]
fn food_grade_materials_and_category_links_are_not_food() {
    let food = "food.permit_not_displayed";
    let no_food = |html: &str| {
        let f = scan(html, &HOME);
        assert!(of(&f, food).is_empty(), "{html}: {f:#?}");
    };
    no_food(&shop("<p>304食品级不锈钢，食品接触用材料检测合格</p>"));
    no_food(&shop(
        "<nav><a href=/c/1>服装</a><a href=/c/2>美食</a><a href=/c/3>家电</a></nav>",
    ));
    // Controls: a shop that sells food.
    live(&shop("<p>进口零食大礼包</p>"), &HOME, food);
    live(
        &shop("<nav><a href=/c/2>美食</a></nav><p>美食套餐 双人餐</p>"),
        &HOME,
        food,
    );
}

#[test]
fn suppressed_detections_are_kept_and_marked() {
    let all = scan_all(&page("通知", "<p>禁止使用“最佳”等用语</p>"), &PAGE);
    let s = all
        .iter()
        .find(|f| f.category.code() == "ad.absolute_term")
        .expect("kept");
    assert!(!s.is_live());
    let why = s.suppressed.as_ref().unwrap();
    assert_eq!(why.reason.code(), "quotation");
    assert!(why.detail.contains("最佳"), "{why:?}");
    // A live twin of the same words wins over the suppressed one.
    let twice = scan_all(
        &page("通知", "<p>禁止使用“最佳”等用语</p><p>最佳</p>"),
        &PAGE,
    );
    assert!(twice
        .iter()
        .any(|f| f.category.code() == "ad.absolute_term" && f.is_live()));
}
