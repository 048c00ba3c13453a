//! Breadth from the sources (issue 17): superlatives built as 最 + a quality adjective, claims of
//! endorsement naming a regulator, the phrasing families of Advertising Law Art. 16–27, buy
//! buttons in other words, casino links in a marquee that shows nothing.
use crate::{check_ctx, scan, table, wrap, HOME, PAGE};
use detect::{extract, trading_page, Location};

#[test]
fn zui_plus_a_quality_adjective() {
    table(
        "ad.absolute_term",
        &[
            // One-morpheme adjectives.
            "我们的螺蛳粉最棒",
            "南宁最牛的烧烤",
            "全城最靓的婚纱",
            "口碑最赞的奶茶",
            // Two-morpheme adjectives the literal list lacks.
            "本店价格最优惠",
            "最精致的包装",
            "最纯正的桂花香",
            "最地道的老友粉",
            "最安全的婴儿座椅",
            "最靠谱的装修公司",
            "最划算的套餐",
            "最畅销的型号",
            "最新鲜的海鲜",
            "最耐用的电池",
            // 最好 and 最优 as the predicate.
            "本店茶叶品质最好。",
            "我们的服务最好",
            "论性价比，这款最优！",
            // Traditional characters and separators are normalised first.
            "最靚的婚紗",
            "最 棒 的 选 择",
        ],
        &[
            // Time, order and quantity.
            "最近上新",
            "最后一天",
            "最新款式",
            "最初的梦想",
            "最终解释以合同为准",
            "最少购买2件",
            "单笔最多可退3件",
            "最早发货时间",
            "最高可贷50万",
            // Specification, ordinary advice and the adverb 最好.
            "最大功率2000W",
            "最好冷藏保存",
            "最好提前预约",
            "最安全的做法是关闭电源",
            "最优化算法",
            // Questions, negations and aspirations (SAMR guideline, 2023).
            "南宁哪家装修公司最靠谱？",
            "我们不是最棒的，但一直在努力",
            "致力于做最地道的老友粉",
            // Ordinary words that contain 最 + a class character elsewhere.
            "最火锅",
            "时代最强音",
        ],
    );
}

#[test]
fn a_claim_is_reported_once() {
    for text in [
        "本店茶叶最正宗",
        "全国最大的茶叶市场",
        "价格最优惠",
        "最佳品质",
    ] {
        let f = scan(&wrap(text), &PAGE);
        let n = f
            .iter()
            .filter(|f| f.category.code() == "ad.absolute_term")
            .count();
        assert_eq!(n, 1, "{text}: {f:#?}");
    }
}

#[test]
fn territory_superlatives_and_firsts() {
    table(
        "ad.absolute_term",
        &[
            "全国最大的茶叶批发市场",
            "亚洲最大的生产基地",
            "行业最全的款式",
            "技术全国领先",
            "填补国内空白",
            "全国首家连锁店",
            "国内一流品质",
        ],
        &[
            "最大功率3000瓦",
            "建设世界一流大学和一流学科",
            "我们不是全国最大的，但很用心",
            "力争成为全国领先的服务商",
            "全国最全面的社保政策解读",
        ],
    );
}

#[test]
fn endorsement_naming_a_regulator() {
    table(
        "ad.state_endorsement",
        &[
            "国家药监局备案产品，安全放心",
            "市场监管局推荐的放心品牌",
            "卫健委指定用品",
            "国家卫健委监制",
            "商务部推荐品牌",
            "教育部推荐书目",
            "农业农村部推荐品种",
            "经市场监督管理局认可",
            "国家推荐产品",
            "食药监认证产品",
        ],
        &[
            // Filing numbers and filings as facts, certificates as facts.
            "化妆品备案号：国妆网备进字2024001234",
            "单用途预付卡已在商务局备案，资金安全有保障",
            "工信部认证证书培训",
            "推荐性国家标准 GB/T 19001",
            "中国合格评定国家认可委员会（CNAS）认可实验室",
            "经国家指定检测机构检验合格",
            // Warnings about the claim.
            "谨防冒用市场监管局推荐名义的虚假广告",
            "市场监管局发布通知",
            "药监局提醒：网购药品要谨慎",
        ],
    );
}

#[test]
fn advertising_law_phrasing_families() {
    // Art. 16: efficacy assertions and spokespersons, on pages about treatment.
    table(
        "ad.medical_claim",
        &[
            "本药品疗效显著，立竿见影",
            "治疗颈椎病，7天见效",
            "专家推荐，患者放心使用",
            "康复率达95%，治疗无忧",
        ],
        &["清洁效果立竿见影", "专家推荐的旅游线路", "疗程结束后复查"],
    );
    // Art. 23(4): alcohol with health effects.
    table(
        "ad.medical_claim",
        &["纯粮白酒，常饮可软化血管", "饮酒有益健康，红酒每天喝"],
        &["白酒饮用请适量，过量饮酒有害健康", "软化血管的食物有哪些"],
    );
    // Art. 18: health food assertions and comparisons.
    table(
        "ad.health_food_claim",
        &["保健食品，安全无毒，见效快", "本保健食品比其他保健品效果好"],
        &["本品不能代替药物，请遵医嘱", "保健食品不得宣称安全无毒"],
    );
    // Art. 24: admission and score promises.
    table(
        "ad.education_guarantee",
        &["名校保录取", "签约保证提分，不提分退费", "保证升学"],
        &["录取通知书查询", "提分技巧分享"],
    );
    // Art. 25: profit guarantees.
    table(
        "ad.investment_guarantee",
        &["加盟本项目保证盈利", "躺赚模式，月入过万"],
        &["投资有风险，不保证盈利"],
    );
    // Art. 21, 27: agricultural inputs and breeding stock.
    table(
        "ad.agri_guarantee",
        &[
            "新型杀虫剂，防效95%以上",
            "农药登记证号PD2020，农科院推荐",
            "果苗基地直供，包成活，签约回收",
        ],
        &["二手手机包回收", "苗木养护知识：成活率受天气影响"],
    );
}

/// A shop's homepage: a price and `button`, nothing else that buys.
fn shop(button: &str) -> String {
    format!(
        "<html><head><title>小明服饰</title></head><body><h2>春季新款连衣裙</h2>\
         <span class=price>￥199.00</span>{button}<p>桂ICP备2017001234号-1</p></body></html>"
    )
}

#[test]
fn buy_buttons_in_other_words_make_a_trading_page() {
    for button in [
        "<button>加入购物袋</button>",
        "<a href='/bag'>购物袋</a>",
        "<button>限时抢购</button>",
        "<button>立即下单</button>",
        "<button>立即预订</button>",
        "<button>立即抢</button>",
        "<a href='/x'>马上抢</a>",
        "<button>去结算</button>",
        "<button>立即订购</button>",
        "<button>预约购买</button>",
        "<p>拍下立减20元</p>",
        "<button>发起拼单</button>",
        "<button>秒杀</button>",
        "<button>立即支付</button>",
        "<a href='/cart' aria-label='加入购物袋'><svg></svg></a>",
        "<button aria-label='立即抢购'><svg></svg></button>",
        "<button>Add to Bag</button>",
    ] {
        let html = shop(button);
        assert!(trading_page(&extract(&html)), "{button}");
        let f = scan(&html, &HOME);
        assert!(
            f.iter()
                .any(|f| f.category.code() == "license.not_displayed"
                    && f.location == Location::Structure),
            "{button}: {f:#?}"
        );
    }
    // With the license shown: nothing. Without a buy word: not a trading page.
    check_ctx(
        &shop("<button>加入购物袋</button><p>小明服饰有限公司 统一社会信用代码：91350100M000100Y43</p>"),
        &HOME,
        &[],
    );
    for not_buy in ["<p>拍下美好瞬间</p>", "<p>环保理念</p>", "<p>联系我们</p>"] {
        assert!(!trading_page(&extract(&shop(not_buy))), "{not_buy}");
    }
}

#[test]
fn casino_links_in_a_marquee_that_shows_nothing_are_hidden_links() {
    let notice = "<p>关于做好2024年防汛工作的通知</p>";
    for marquee in [
        "<marquee height=0><a href='https://www.xpj88.test/'>澳门新葡京娱乐城</a></marquee>",
        "<marquee width='1' direction='up'><a href='https://a.test/'>真人娱乐 百家乐</a></marquee>",
        "<marquee style='height:0px;line-height:0'><a href='https://b.test/'>体育投注</a></marquee>",
        "<marquee scrollamount=99 style='position:absolute;top:-3000px'><a href='https://c.test/'>百家乐</a></marquee>",
    ] {
        let html = format!("<title>某某区人民政府</title>{notice}{marquee}");
        let p = extract(&html);
        assert!(p.links.iter().all(|l| l.hidden), "{marquee}: {p:#?}");
        let f = scan(&html, &PAGE);
        let hijack = f
            .iter()
            .find(|f| f.category.code() == "site.hijacked")
            .unwrap_or_else(|| panic!("{marquee}: {f:#?}"));
        assert_eq!(hijack.location, Location::Hidden);
        assert_eq!(hijack.rule_id, "hijack.hidden-links-001");
    }
    // A marquee one can see is a visible (if annoying) banner.
    let html = format!("<title>某某区人民政府</title>{notice}<marquee height=24><a href='/n'>通知公告</a></marquee>");
    let p = extract(&html);
    assert!(p.links.iter().all(|l| !l.hidden));
    assert!(scan(&html, &PAGE).is_empty());
}
