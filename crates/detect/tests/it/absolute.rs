use crate::{check, scan, table, wrap, PAGE};
use detect::Location;

const CAT: &str = "ad.absolute_term";

#[test]
fn positives() {
    table(
        CAT,
        &[
            "本店茶叶全国第一",
            "行业顶尖品质",
            "ＴＯＰ１",
            "本品销量第一，欢迎选购",
            "全网最低价，错过再等一年",
            "史上最低价",
            "最佳选择，品质保证",
            "我们是最好的茶叶供应商",
            "国家级品质 放心之选",
            "NO.1 品牌",
            "No1 in China",
            "ＮＯ．１",
            "Top 1 seller",
            "独一无二的设计",
            "史无前例的优惠",
            "送礼首选",
            "王牌产品",
            "顶级工艺",
            "销量冠军",
            "万能神器，一物多用",
            "最高级的享受",
            "最先进的技术",
        ],
        &[],
    );
}

#[test]
fn near_misses_are_not_flagged() {
    table(
        CAT,
        &[],
        &[
            "第一次购买请先注册",
            "最近上新",
            "最后一天",
            "最新款式",
            "第一步：选择商品",
            "第一天发货",
            "第一时间发货",
            "上海第一食品商店",
            "第一百货商场",
            "南宁市第一人民医院",
            "本品最佳赏味期为6个月",
            "最佳食用期：开封后7天",
            "最佳观赏期在春季",
            "最佳饮用温度为85度",
            "TOP10 热卖榜",
            "型号 no.12",
            "laptop1 配件",
            "根据本条例第一条规定",
            "第一章 总则",
            "国家级高新技术企业",
            "国家级非物质文化遗产",
            "万能胶 502",
            "万能表 数字",
            "设置首选项",
            "注册顶级域名",
            "100%纯棉",
            "绝对值",
            "极品铁观音",
            "荣获最佳新人奖",
        ],
    );
}

#[test]
fn evasions_are_seen_through() {
    table(
        CAT,
        &[
            "本店&#x7B2C;&#x4E00;",
            "本店&#31532;&#19968;品牌",
            "全\u{200B}网\u{200C}最\u{FEFF}低",
            "全 网 最 低",
            "全&nbsp;网最低",
            "全<span>网</span><b>最</b>低",
            "全網最低",
            "銷量第一",
            "ｎｏ．１",
            "ＴＯＰ　１",
            "t&#x6F;p1",
            // Named references outside the few that pages commonly use: a browser shows
            // them as the characters they name, so the matcher must see those characters.
            "全&ZeroWidthSpace;网&NoBreak;最低",
            "全&ThickSpace;网最低",
            "销量第&#x4E00&InvisibleTimes;",
        ],
        &[],
    );
}

#[test]
fn excerpts_keep_the_original_text() {
    let f = scan(&wrap("本店茶叶全 网 最 低，欢迎选购"), &PAGE);
    let f = f.iter().find(|f| f.category.code() == CAT).unwrap();
    assert_eq!(f.excerpt, "本店茶叶全 网 最 低，欢迎选购");
    assert_eq!(f.location, Location::Text);
    assert_eq!(f.rule_id, "ad.absolute.superlative-001");
    assert_eq!(f.rule_pack, crate::detector().pack_version());

    let f = scan(&wrap("品质ＮＯ．１，值得信赖"), &PAGE);
    assert_eq!(f[0].excerpt, "品质ＮＯ．１，值得信赖");

    let f = scan(&wrap("本店銷量第一"), &PAGE);
    assert_eq!(f[0].excerpt, "本店銷量第一");

    let f = scan(&wrap("本店&#x7B2C;&#x4E00;"), &PAGE);
    assert_eq!(f[0].excerpt, "本店第一");
}

#[test]
fn locations_title_meta_alt() {
    let html = r#"<html><head><title>全国第一茶叶</title><meta name="description" content="顶级茶叶"></head>
        <body><img src="a.png" alt="销量冠军"><img src="b.png" alt="真人娱乐"></body></html>"#;
    let f = scan(html, &PAGE);
    let locs: Vec<_> = f
        .iter()
        .map(|f| (f.category.code(), f.location.as_str()))
        .collect();
    // Claims count wherever a person reads them: title, meta, text and attribute texts
    // (issue 17: claims only in alt/title attributes were missed).
    assert_eq!(
        locs,
        [
            ("ad.absolute_term", "title"),
            ("ad.absolute_term", "meta"),
            ("ad.absolute_term", "attribute"),
            ("content.gambling", "attribute")
        ],
        "{f:#?}"
    );
}

#[test]
fn findings_are_deduplicated_per_rule_and_excerpt() {
    // The same sentence repeated on separate lines gives one finding.
    let html = "<div>全国第一</div><div>全国第一</div><div>全国第一</div>";
    let f = scan(html, &PAGE);
    assert_eq!(f.len(), 1, "{f:#?}");
    // Overlapping literals of one rule (第一, 全国第一) merge into one finding.
    check("<p>本店全国第一</p>", &[CAT]);
    assert_eq!(scan("<p>本店全国第一</p>", &PAGE).len(), 1);
}

#[test]
fn findings_serialise() {
    let f = scan(&wrap("全国第一"), &PAGE);
    let json = serde_json::to_value(&f[0]).unwrap();
    assert_eq!(json["category"], "ad.absolute_term");
    assert_eq!(json["severity"], "medium");
    assert_eq!(json["location"], "text");
}
