use crate::{check, check_ctx, scan, HOME, PAGE};
use detect::{extract, trading_page, Location, PageContext};
use domain::SiteKind;

const SHOP: &str = r#"<html><head><title>小明茶叶店</title></head><body>
  <div class="item"><h2>明前龙井 250g</h2><span class="price">￥128.00</span>
  <button>加入购物车</button><a href="/buy/1">立即购买</a></div>
  FOOTER
  <p>桂ICP备2017001234号-1 食品经营许可证：JY14501030012345</p>
</body></html>"#;

fn shop(footer: &str) -> String {
    SHOP.replace("FOOTER", footer)
}

#[test]
fn trading_home_without_license_is_flagged() {
    let f = scan(&shop(""), &HOME);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].category.code(), "license.not_displayed");
    assert_eq!(f[0].location, Location::Structure);
    assert!(f[0].excerpt.contains("￥128.00"), "{}", f[0].excerpt);
}

#[test]
fn license_shown_by_name_and_code_or_badge() {
    for footer in [
        "<p>南宁市小明茶叶店 统一社会信用代码：91350100M000100Y43</p>",
        "<p>经营者：小明茶叶有限公司</p><p>信用代码 ９１１１００００６０００３７３４１Ｌ</p>",
        r#"<a href="https://zzlz.gsxt.gov.cn/businessCheck/verifKey.do?showType=p&serial=x"><img src="/badge.png" alt="电子营业执照"></a>"#,
        r#"<a href="/license.jpg">营业执照</a>"#,
    ] {
        check_ctx(&shop(footer), &HOME, &[]);
    }
    // A configured badge host counts too.
    let pack = detect::RulePack::from_toml_str(
        "b.toml",
        "version = \"1\"\n[settings]\nbadge_hosts = [\"badge.wangjian.example\"]\n",
    )
    .unwrap();
    let d = detect::Detector::new(pack).unwrap();
    let f = d.scan_html(
        &shop(r#"<a href="https://badge.wangjian.example/v/abc"><img src="b.png"></a>"#),
        &HOME,
    );
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn only_trading_home_pages_are_subject() {
    // Not the homepage: no duty checked here.
    check(&shop(""), &[]);
    // Registered as non-trading.
    let ctx = PageContext {
        site_kind: Some(SiteKind::NonTradingSite),
        ..HOME
    };
    check_ctx(&shop(""), &ctx, &[]);
    // A homepage without prices or without a way to buy is not a trading page (it still owes
    // an ICP number, as every site's homepage does).
    check_ctx(
        "<p>公司简介：我们专注茶叶二十年。</p><a href='/about'>关于我们</a>",
        &HOME,
        &["icp.not_displayed"],
    );
    check_ctx(
        "<p>价格：￥128</p><p>欢迎来电咨询</p><p>桂ICP备12345678号</p>",
        &HOME,
        &[],
    );
    check_ctx(
        "<p>立即购买</p><p>2024年元旦放假通知</p><p>桂ICP备12345678号</p>",
        &HOME,
        &[],
    );
}

#[test]
fn trading_page_classifier() {
    assert!(trading_page(&extract(&shop(""))));
    assert!(trading_page(&extract(
        "<p>售价 99元</p><input type=submit value='立即抢购'>"
    )));
    assert!(!trading_page(&extract("<p>售价 99元</p>")));
    assert!(!trading_page(&extract("<p>立即购买</p>")));
}

#[test]
fn invalid_uscc_is_flagged() {
    for (text, flagged) in [
        ("统一社会信用代码：91110000600037341N", true),
        ("统一社会信用代码：9111000060003IOZSV", true),
        ("统一社会信用代码: 9111 0000 6000 3734 1n", true),
        ("社会信用代码：91110000600037341", true),
        ("营业执照注册号：91110000600037341N", true),
        ("统一社会信用代码：91110000600037341L", false),
        (
            "统一社会信用代码：９１３４０６００ＭＡ２ＰＢＭ９ＨＸＤ",
            false,
        ),
        ("信用代码: 92340602ma2pbmem24", false),
        ("统一社会信用代码（注册号）：9135052155323005XL", false),
        ("注册号：450100000012345", false),
        ("营业执照注册号 110108012345678", false),
        ("请输入统一社会信用代码进行查询", false),
    ] {
        let f = scan(&crate::wrap(text), &PAGE);
        let got = f
            .iter()
            .any(|f| f.category.code() == "license.uscc_invalid");
        assert_eq!(got, flagged, "{text}: {f:#?}");
        if flagged {
            let f = f
                .iter()
                .find(|f| f.category.code() == "license.uscc_invalid")
                .unwrap();
            assert_eq!(f.excerpt, text, "excerpt is the original text");
            assert_eq!(f.severity, domain::Severity::High);
        }
    }
}
