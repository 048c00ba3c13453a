use crate::{check, scan, table, PAGE};
use detect::{Location, Severity};

const CAT: &str = "content.gambling";

#[test]
fn offers() {
    table(
        CAT,
        &[
            "XX体育投注欢迎您",
            "在线博彩 最高返利",
            "真人百家乐 真人荷官",
            "新葡京娱乐城官网",
            "澳门赌场 线上开户",
            "注册即送38元彩金",
            "首存送彩金",
            "手机在线下注，秒到账",
            "重庆时时彩计划",
            "香港六合彩资料",
            "在线老虎机 真钱游戏",
            "棋牌游戏，赢钱秒提现",
            "體育投注",
            "百&#23478;乐",
            "百\u{200B}家\u{200B}乐",
        ],
        &[
            "中国体育彩票第2024001期开奖公告",
            "体育彩票公益金用于全民健身",
            "澳门旅游攻略：大三巴牌坊与美食",
            "澳门回归祖国25周年",
            "18K彩金项链",
            "彩金戒指 女款",
            "警方破获一起百家乐网络赌博案",
            "坚决打击时时彩等非法赌博活动",
            "棋牌室 休闲娱乐",
            "象棋围棋棋牌用品专卖",
            "老虎机造型储蓄罐",
            "下注的筹码是时间",
        ],
    );
}

#[test]
fn hijacked_title_and_link_farm() {
    let html = r#"<html><head><title>XX娱乐城官网-体育投注欢迎您</title></head>
      <body><p>关于开展2024年度安全生产检查的通知</p>
      <div style="position:absolute;left:-9999px"><a href="https://www.bet365-cn.example/">体育</a>
      <a href="https://xx-casino.example/">真人娱乐</a></div></body></html>"#;
    let f = scan(html, &PAGE);
    assert!(
        f.iter()
            .all(|f| [CAT, "site.hijacked"].contains(&f.category.code())),
        "{f:#?}"
    );
    assert!(f.iter().any(|f| f.category.code() == "site.hijacked"));
    assert!(f.iter().any(|f| f.location == Location::Title));
    assert!(f
        .iter()
        .any(|f| f.location == Location::Hidden && f.excerpt.contains("bet365")));
    assert!(f
        .iter()
        .any(|f| f.location == Location::Hidden && f.excerpt.contains("casino")));
    assert!(f.iter().all(|f| f.severity == Severity::Critical));
}

#[test]
fn lottery_news_page_is_clean() {
    check(
        r#"<html><head><title>体育彩票开奖公告</title></head><body>
        <p>中国体育彩票超级大乐透第24001期开奖结果。</p><p>购彩请到正规体彩实体店。</p>
        <a href="https://www.lottery.gov.cn/">中国体彩网</a></body></html>"#,
        &[],
    );
}
