//! Structural, register, hidden-content and cloaking checks: positive, negative and evasion
//! cases per category, one line each.
use crate::{check_ctx, scan, HOME, PAGE};
use detect::cloaking::{compare, compare_with_urls};
use detect::{extract, Location, PageContext, RegisterFacts, RegisterView, SiteKind};

/// A trading page with a price and a way to buy, plus `extra`.
fn trading(title: &str, extra: &str) -> String {
    format!(
        "<html><head><title>{title}</title></head><body><div class=item>商品 价格：¥38.00 \
         <button>加入购物车</button></div>{extra}\
         <p>南宁市某某有限公司 统一社会信用代码：91350100M000100Y43</p>\
         <p>桂ICP备2017001234号-1</p></body></html>"
    )
}

#[test]
fn icp_not_displayed_only_on_homepages() {
    let no_icp = "<p>公司简介</p>";
    check_ctx(no_icp, &HOME, &["icp.not_displayed"]);
    check_ctx(no_icp, &PAGE, &[]);
    for shown in [
        "桂ICP备2017001234号-1",
        "桂ICP备12345678号",
        "粤ICP证123456号",
        "桂B2-20170001",
        "桂ＩＣＰ备２０１７００１２３４号", // full width
        "桂icp备 2017001234 号",
    ] {
        check_ctx(&format!("<p>公司简介</p><p>{shown}</p>"), &HOME, &[]);
    }
    // A public-security filing is not an ICP number.
    check_ctx(
        "<p>桂公网安备45010302000123号</p>",
        &HOME,
        &["icp.not_displayed"],
    );
    // A platform shop shows its platform's number.
    let shop = PageContext {
        site_kind: Some(SiteKind::PlatformShop),
        ..HOME
    };
    check_ctx(no_icp, &shop, &[]);
}

#[test]
fn food_permit_on_food_trading_pages() {
    let cases: &[(&str, &str, bool)] = &[
        ("特级六堡茶_茶叶商城", "", true),
        (
            "特级六堡茶_茶叶商城",
            "<p>食品经营许可证：JY14501030012345</p>",
            false,
        ),
        (
            "特级六堡茶_茶叶商城",
            "<p>食品经营许可证：ＪＹ１ ４５０１ ０３００ １２３４５</p>",
            false,
        ),
        ("螺蛳粉_美食外卖", "<p>许可证：JY2450103001234</p>", true), // 13 digits: not a license
        ("蓝牙耳机_数码商城", "", false),
    ];
    for &(title, extra, flagged) in cases {
        let f = scan(&trading(title, extra), &PAGE);
        let got = f
            .iter()
            .any(|f| f.category.code() == "food.permit_not_displayed");
        assert_eq!(got, flagged, "{title} {extra}: {f:#?}");
    }
    // Not a trading page: no duty.
    check_ctx("<title>茶叶知识</title><p>六堡茶的历史</p>", &PAGE, &[]);
}

#[test]
fn privacy_policy_for_forms_collecting_personal_information() {
    let form = |fields: &str, extra: &str| {
        format!("<form><p>姓名<input name=name></p>{fields}<button>提交</button></form>{extra}")
    };
    check_ctx(
        &form("<p>身份证号<input name=idcard></p>", ""),
        &PAGE,
        &["privacy.no_policy"],
    );
    check_ctx(
        &form("<input name=mobile placeholder='手机号码'>", ""),
        &PAGE,
        &["privacy.no_policy"],
    );
    check_ctx(
        &form("<label>银行卡号</label><input name=x>", ""),
        &PAGE,
        &["privacy.no_policy"],
    );
    check_ctx(
        &form(
            "<input name=idcard>",
            "<a href='/privacy.html'>隐私政策</a>",
        ),
        &PAGE,
        &[],
    );
    check_ctx(
        &form(
            "<input name=mobile>",
            "<label><input type=checkbox>我已阅读并同意《用户协议》</label>",
        ),
        &PAGE,
        &[],
    );
    check_ctx(&form("<input name=q placeholder='搜索'>", ""), &PAGE, &[]);
}

#[test]
fn badge_links_are_checked() {
    let u = "91350100M000100Y43";
    let other = "91340600MA2PBM9HXD";
    let badge = |host: &str, serial_uscc: &str| {
        trading(
            "店",
            &format!(
                "<a href='https://{host}/businessCheck/verifKey.do?showType=p&amp;serial={serial_uscc}-SAIC_SHOW_000123{serial_uscc}1690000000000&amp;signData=abc'>电子营业执照亮照标识</a>"
            ),
        )
    };
    let invalid = |html: &str| {
        scan(html, &HOME)
            .iter()
            .any(|f| f.category.code() == "badge.invalid")
    };
    assert!(!invalid(&badge("zzlz.gsxt.gov.cn", u)));
    assert!(invalid(&badge("zzlz.gsxt.gov.cn.verify-cert.test", u)));
    assert!(invalid(&badge("zzlz-gsxt.gov-cn.test", u)));
    assert!(
        invalid(&badge("zzlz.gsxt.gov.cn", other)),
        "serial USCC differs from the shown one"
    );
    // The two copies inside one serial differ.
    let split = trading(
        "店",
        &format!("<a href='https://zzlz.gsxt.gov.cn/x?serial={u}-SAIC_SHOW_000123{other}1690000000000'>亮照</a>"),
    );
    assert!(invalid(&split));
}

fn facts(uscc: &str) -> RegisterFacts {
    RegisterFacts {
        name: "南宁市某某有限公司".into(),
        uscc: uscc.into(),
        kind: Some(SiteKind::TradingSite),
        icp: Some("桂ICP备2017001234号-1".into()),
        address: Some("广西壮族自治区南宁市青秀区民族大道100号金湖广场12楼".into()),
        food_permit: Some("JY14501030012345".into()),
        names: Vec::new(),
    }
}

fn with(view: RegisterView<'_>) -> PageContext<'_> {
    PageContext {
        register: view,
        ..HOME
    }
}

#[test]
fn register_checks_run_only_with_a_register() {
    let page = trading(
        "茶叶",
        "<p>食品经营许可证：JY14501030012345</p><p>地址：南宁市青秀区民族大道１００号金湖广场12楼 电话：0771-1234567</p>",
    );
    // Not loaded: no register finding, whatever the page shows.
    check_ctx(&page, &with(RegisterView::NotLoaded), &[]);
    // Matched and consistent.
    let same = facts("91350100M000100Y43");
    check_ctx(&page, &with(RegisterView::Matched(&same)), &[]);
    // Unmatched trading homepage: an unlicensed operation clue.
    check_ctx(
        &page,
        &with(RegisterView::Unmatched),
        &["license.unregistered"],
    );
    // Another USCC, another ICP filing, another address.
    let mut f = facts("91340600MA2PBM9HXD");
    check_ctx(
        &page,
        &with(RegisterView::Matched(&f)),
        &["license.uscc_mismatch"],
    );
    f.uscc = "91350100M000100Y43".into();
    f.icp = Some("桂ICP备2019000001号".into());
    check_ctx(&page, &with(RegisterView::Matched(&f)), &["icp.mismatch"]);
    f.icp = None;
    f.address = Some("南宁市江南区星光大道8号".into());
    check_ctx(
        &page,
        &with(RegisterView::Matched(&f)),
        &["food.address_mismatch"],
    );
    // The address check is for food operators only.
    f.food_permit = None;
    let no_food = page
        .replace("茶叶", "数码")
        .replace("食品经营许可证：JY14501030012345", "");
    check_ctx(&no_food, &with(RegisterView::Matched(&f)), &[]);
}

#[test]
fn hidden_blocks_are_extracted_apart() {
    for style in [
        "display:none",
        "position:absolute;left:-9999px;top:-9999px",
        "text-indent:-9999px;overflow:hidden;height:1px",
        "font-size:0;line-height:0",
        "position:fixed;top:-3000px;opacity:0",
        "visibility:hidden;width:1px;height:1px;overflow:hidden",
    ] {
        let p = extract(&format!(
            "<p>通知</p><div style=\"{style}\"><a href='https://x-casino.test/'>娱乐城</a> 隐藏</div><p>尾</p>"
        ));
        assert_eq!(p.text, "通知\n尾", "{style}");
        assert!(
            p.hidden.contains("娱乐城") && p.hidden.contains("隐藏"),
            "{style}"
        );
        assert!(p.links[0].hidden, "{style}");
    }
    let p = extract(
        "<style>.seo{position:absolute;left:-5000px}</style><p>甲</p><marquee class='seo'>乙</marquee><div hidden>丙</div>",
    );
    assert_eq!((p.text.as_str(), p.hidden.as_str()), ("甲", "乙\n丙"));
}

#[test]
fn hijack_signals() {
    let notice = "<p>关于做好2024年防汛工作的通知</p><p>各乡镇：现将有关事项通知如下。</p>";
    let codes = |html: &str| {
        let mut v: Vec<&str> = scan(html, &PAGE)
            .iter()
            .map(|f| f.category.code())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    // Title spam over a notice.
    assert_eq!(
        codes(&format!("<title>金沙体育投注欢迎您</title>{notice}")),
        ["content.gambling", "site.hijacked"]
    );
    // Traditional, entities, zero-width in the title.
    assert_eq!(
        codes(&format!(
            "<title>金沙&#x4F53;育投\u{200B}注歡迎您</title>{notice}"
        )),
        ["content.gambling", "site.hijacked"]
    );
    // A hidden link farm under a clean title.
    assert_eq!(
        codes(&format!(
            "<title>某某区人民政府</title>{notice}<div style='display:none'><a href='https://www.xpj88-casino.test/'>新葡京娱乐城</a></div>"
        )),
        ["content.gambling", "site.hijacked"]
    );
    // Script-written, base64: 体育投注 written into a hidden block.
    assert_eq!(
        codes(&format!(
            "<title>某某区人民政府</title>{notice}<div style='display:none'><script>document.write(atob('5L2T6IKy5oqV5rOo'))</script></div>"
        )),
        ["content.gambling", "site.hijacked"]
    );
    // A visible casino advert: gambling, not a hijack.
    assert_eq!(
        codes("<title>茶叶</title><p>热门：<a href='https://x.test/'>新葡京娱乐城 注册送38元彩金</a></p>"),
        ["content.gambling"]
    );
    // Lottery and Macau news stay clean.
    assert!(codes("<title>福利彩票公益金使用情况公告</title><p>赴澳门考察文旅交流</p>").is_empty());
}

#[test]
fn script_written_text_is_scanned() {
    for script in [
        r#"document.write("\u5168\u7f51\u6700\u4f4e");"#,
        r#"document.write('\xe5\x85\xa8'.length ? '全网最低' : '');"#,
        "document.write(decodeURIComponent(escape(atob('5YWo572R5pyA5L2O'))));",
        "el.innerHTML = '全' + '网最低';",
    ] {
        let f = scan(&format!("<p>价格</p><script>{script}</script>"), &PAGE);
        assert!(
            f.iter().any(|f| f.category.code() == "ad.absolute_term"),
            "{script}: {f:#?}"
        );
    }
}

#[test]
fn cloaking_compares_profiles() {
    let browser = extract(
        "<title>某某区人民政府门户网站</title><p>关于做好2024年防汛工作的通知</p><a href='http://gov.test/a'>更多</a>",
    );
    // Identical capture: nothing.
    assert!(compare(&browser, &browser, "baiduspider").is_none());
    // Harmless differences (a mobile layout) are not cloaking.
    let mobile =
        extract("<title>某某区人民政府门户网站</title><p>关于做好2024年防汛工作的通知</p>");
    assert!(compare(&browser, &mobile, "baiduspider-mobile").is_none());
    // Spam title for the spider.
    let spider = extract(
        "<title>金沙体育投注欢迎您</title><p>关于做好2024年防汛工作的通知</p><a href='http://gov.test/a'>更多</a>",
    );
    let f = compare(&browser, &spider, "baiduspider").expect("cloaking");
    assert_eq!(f.category.code(), "site.hijacked");
    assert_eq!(f.location, Location::SpiderView);
    assert!(f.excerpt.contains("baiduspider"), "{}", f.excerpt);
    // Traditional-character spider text with new casino links.
    let links = extract(
        "<title>某某区人民政府门户网站</title><p>關於做好2024年防汛工作的通知</p><a href='https://www.amxpj-casino88.test/'>新葡京娛樂城</a>",
    );
    assert!(compare(&browser, &links, "baiduspider").is_some());
    // A different body full of gambling.
    let body =
        extract("<title>某某区人民政府门户网站</title><p>真人百家乐 在线发牌 注册送38元彩金</p>");
    assert!(compare(&browser, &body, "referer-baidu").is_some());
    // Redirect of search referrals to another domain.
    assert!(compare_with_urls(
        &browser,
        &browser,
        "referer-baidu",
        "http://www.nnqx.gov.test/",
        "https://www.xpj88.test/"
    )
    .is_some());
    assert!(compare_with_urls(
        &browser,
        &browser,
        "referer-baidu",
        "http://nnqx.gov.test/",
        "https://www.nnqx.gov.test/index.html"
    )
    .is_none());
}
