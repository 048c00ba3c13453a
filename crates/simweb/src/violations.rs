//! Snippet generators, one per content category, and the obfuscations applied to their key
//! terms. Every generator draws a template, fills it from word lists and numbers, and passes the
//! key term through [`obfuscate`], so no category is ever one fixed string.
//!
//! This module writes HTML fragments only; where they go and what the truth says about them is
//! decided in `site.rs`. Structural categories (license, ICP, food permit, badge, register
//! mismatches) have no snippet: they are the absence or alteration of site data.

use crate::prng::Rng;
use crate::vocab::{CASINOS, DISEASES, LANDMARKS, REGIONS};

/// Which obfuscation was applied; kept only for the variants table in the docs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Obfuscation {
    Plain,
    FullWidth,
    HexEntities,
    DecEntities,
    ZeroWidth,
    Space,
    /// Traditional characters (網 for 网).
    Traditional,
    /// Punctuation between characters (全·网, 最*佳).
    Punct,
}

/// Simplified → traditional for the characters of the key terms (a small table: enough to
/// make the terms traditional; the detector uses OpenCC's full table the other way).
const S2T: &[(char, char)] = &[
    ('网', '網'),
    ('销', '銷'),
    ('价', '價'),
    ('质', '質'),
    ('级', '級'),
    ('顶', '頂'),
    ('国', '國'),
    ('监', '監'),
    ('证', '證'),
    ('药', '藥'),
    ('疗', '療'),
    ('险', '險'),
    ('赚', '賺'),
    ('赔', '賠'),
    ('过', '過'),
    ('门', '門'),
    ('场', '場'),
    ('娱', '娛'),
    ('乐', '樂'),
    ('体', '體'),
    ('发', '發'),
    ('权', '權'),
    ('归', '歸'),
    ('换', '換'),
    ('无', '無'),
    ('残', '殘'),
    ('产', '產'),
    ('钟', '鐘'),
    ('车', '車'),
    ('达', '達'),
    ('时', '時'),
    ('赌', '賭'),
    ('枪', '槍'),
    ('开', '開'),
    ('办', '辦'),
    ('业', '業'),
    ('荐', '薦'),
    ('认', '認'),
    ('检', '檢'),
    ('总', '總'),
    ('专', '專'),
    ('试', '試'),
    ('师', '師'),
    ('训', '訓'),
    ('题', '題'),
    ('组', '組'),
    ('亲', '親'),
    ('课', '課'),
    ('压', '壓'),
    ('种', '種'),
    ('亩', '畝'),
    ('广', '廣'),
    ('优', '優'),
    ('兑', '兌'),
    ('负', '負'),
    ('责', '責'),
    ('损', '損'),
    ('剂', '劑'),
    ('杀', '殺'),
    ('虫', '蟲'),
    ('让', '讓'),
    ('买', '買'),
    ('卖', '賣'),
    ('这', '這'),
    ('说', '說'),
    ('对', '對'),
    ('会', '會'),
    ('员', '員'),
    ('废', '廢'),
    ('预', '預'),
    ('违', '違'),
    ('约', '約'),
    ('护', '護'),
    ('肤', '膚'),
    ('汤', '湯'),
    ('认', '認'),
    ('值', '值'),
    ('风', '風'),
    ('愈', '癒'),
    ('复', '複'),
    ('确', '確'),
    ('实', '實'),
    ('惠', '惠'),
    ('独', '獨'),
    ('无', '無'),
    ('伦', '倫'),
    ('举', '舉'),
    ('双', '雙'),
    ('军', '軍'),
    ('队', '隊'),
    ('宴', '宴'),
    ('会', '會'),
    ('坛', '壇'),
    ('庄', '莊'),
    ('彩', '彩'),
    ('签', '簽'),
];

/// The traditional form of a term, as far as [`S2T`] knows it.
pub fn traditional(s: &str) -> String {
    s.chars()
        .map(|c| S2T.iter().find(|(a, _)| *a == c).map_or(c, |&(_, t)| t))
        .collect()
}

/// A JS string literal body that writes `s`: every non-ASCII character as `\uXXXX`, markup
/// characters as `\xXX`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 6);
    for c in s.chars() {
        match c {
            '<' | '>' | '"' | '\'' | '\\' | '&' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An HTML block that a script writes into the page: JS-escaped, or base64 behind `atob`.
pub fn script_written(rng: &mut Rng, html: &str) -> String {
    if rng.chance(50) {
        format!("<script>document.write(\"{}\");</script>", js_escape(html))
    } else {
        format!(
            "<script>document.write(decodeURIComponent(escape(atob('{}'))));</script>",
            base64(html.as_bytes())
        )
    }
}

/// Folds ASCII letters, digits and punctuation to their full-width forms (`NO.1` → `ＮＯ．１`).
pub fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Renders a key term as HTML with one of the obfuscations pages use to dodge keyword filters.
/// Half of the time the term is left plain.
pub fn obfuscate(rng: &mut Rng, term: &str) -> String {
    obfuscate_with(rng, term).0
}

pub fn obfuscate_with(rng: &mut Rng, term: &str) -> (String, Obfuscation) {
    let chars: Vec<char> = term.chars().collect();
    if chars.len() < 2 {
        return (term.to_string(), Obfuscation::Plain);
    }
    let has_ascii = chars.iter().any(|c| c.is_ascii_alphanumeric());
    match rng.below(14) {
        0..=5 => (term.to_string(), Obfuscation::Plain),
        12 => {
            let t = traditional(term);
            if t == term {
                (term.to_string(), Obfuscation::Plain)
            } else {
                (t, Obfuscation::Traditional)
            }
        }
        13 => {
            // Between two Chinese characters, as pages do (全·网最低).
            let spots: Vec<usize> = (1..chars.len())
                .filter(|&i| !chars[i - 1].is_ascii() && !chars[i].is_ascii())
                .collect();
            if spots.is_empty() {
                return (term.to_string(), Obfuscation::Plain);
            }
            let at = spots[rng.below(spots.len())];
            let mut s: String = chars[..at].iter().collect();
            s.push(*rng.pick(&['·', '*', '-', '•']));
            s.extend(&chars[at..]);
            (s, Obfuscation::Punct)
        }
        6 if has_ascii => (full_width(term), Obfuscation::FullWidth),
        6 | 7 => {
            // Entity-encode every non-ASCII character (or one of them, at random).
            let all = rng.chance(50);
            let one = rng.below(chars.len());
            let s = chars
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    if !c.is_ascii() && (all || i == one) {
                        format!("&#x{:X};", c as u32)
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            (s, Obfuscation::HexEntities)
        }
        8 => {
            let s = chars
                .iter()
                .map(|&c| {
                    if c.is_ascii() {
                        c.to_string()
                    } else {
                        format!("&#{};", c as u32)
                    }
                })
                .collect();
            (s, Obfuscation::DecEntities)
        }
        9 | 10 => {
            let zw = *rng.pick(&['\u{200B}', '\u{200C}', '\u{200D}', '\u{FEFF}']);
            let at = 1 + rng.below(chars.len() - 1);
            let mut s: String = chars[..at].iter().collect();
            s.push(zw);
            s.extend(&chars[at..]);
            (s, Obfuscation::ZeroWidth)
        }
        _ => {
            let at = 1 + rng.below(chars.len() - 1);
            let mut s: String = chars[..at].iter().collect();
            s.push(*rng.pick(&[' ', '\u{3000}']));
            s.extend(&chars[at..]);
            (s, Obfuscation::Space)
        }
    }
}

/// What a snippet is about: the product and brand it talks of.
pub struct Subject<'a> {
    pub brand: &'a str,
    pub product: &'a str,
    /// A short category noun: 茶叶, 护肤品, 理财产品 …
    pub noun: &'a str,
}

fn fill(t: &str, term: &str, s: &Subject<'_>, rng: &mut Rng) -> String {
    let region = *rng.pick(REGIONS);
    let disease = *rng.pick(DISEASES);
    let landmark = *rng.pick(LANDMARKS);
    let n = rng.range(3, 98).to_string();
    let years = rng.range(3, 20).to_string();
    t.replace("{T}", term)
        .replace("{B}", s.brand)
        .replace("{P}", s.product)
        .replace("{C}", s.noun)
        .replace("{R}", region)
        .replace("{D}", disease)
        .replace("{L}", landmark)
        .replace("{N}", &n)
        .replace("{Y}", &years)
}

/// Picks a template and a key term for it, obfuscates the term and fills the template.
fn from_table(rng: &mut Rng, table: &[(&str, &[&str])], s: &Subject<'_>) -> String {
    let (t, terms) = *rng.pick(table);
    let term = *rng.pick(terms);
    let term = obfuscate(rng, term);
    fill(t, &term, s, rng)
}

pub fn absolute_term(rng: &mut Rng, s: &Subject<'_>) -> String {
    const T: &[(&str, &[&str])] = &[
        ("本店{P}{R}销量{T}", &["第一", "冠军", "NO.1", "第壹"]),
        (
            "{T}品质，精选{R}原料",
            &["顶级", "最高级", "国家级", "世界级", "极致"],
        ),
        (
            "{T}价格，{P}限时特惠",
            &["全网最低", "史上最低", "最低", "全网底价"],
        ),
        (
            "{B}——{R}{C}{T}品牌",
            &["第一", "NO.1", "TOP1", "最受欢迎的"],
        ),
        ("选{C}，{B}是您{T}的选择", &["最佳", "最好", "最优", "唯一"]),
        (
            "{Y}年专注{C}，行业{T}",
            &["第一", "顶尖", "最强", "领导品牌"],
        ),
        (
            "{T}工艺，{P}",
            &["最先进", "顶级", "独一无二的", "史无前例的"],
        ),
        (
            "{P}·{T}",
            &["全国销量第一", "国家级品质", "万能", "最高标准"],
        ),
    ];
    from_table(rng, T, s)
}

pub fn state_endorsement(rng: &mut Rng, s: &Subject<'_>) -> String {
    const T: &[(&str, &[&str])] = &[
        ("{R}{T}推荐产品", &["市场监管局", "工商局", "人民政府"]),
        (
            "{T}{C}供应商",
            &["政府指定", "政府采购指定", "机关单位指定"],
        ),
        (
            "{B}荣获{T}",
            &["红盾认证", "国家质检总局免检产品", "國家質檢總局免檢產品"],
        ),
        (
            "{P}·{T}",
            &["国宴特供", "人民大会堂指定用品", "中南海特供", "部队特供"],
        ),
        (
            "经{T}认证，请放心选购",
            &["国家卫健委", "国家市场监督管理总局", "工商部门"],
        ),
    ];
    if rng.chance(15) {
        let alt = *rng.pick(&["国徽", "五星红旗", "国旗"]);
        let img = *rng.pick(&["guohui", "guoqi", "flag"]);
        return format!(
            "<img src=\"/images/{img}.png\" alt=\"{alt}\" width=\"48\"> {}",
            fill("{R}{T}推荐产品", "工商局", s, rng)
        );
    }
    from_table(rng, T, s)
}

pub fn medical_claim(rng: &mut Rng, s: &Subject<'_>) -> String {
    const T: &[(&str, &[&str])] = &[
        ("{P}{T}高达{N}%", &["治愈率", "有效率", "临床治愈率"]),
        ("{N}天{T}{D}", &["根治", "治愈", "彻底治好"]),
        ("{T}{D}，无效退款", &["保证治愈", "包治", "一个疗程治好"]),
        (
            "{P}，{T}",
            &["药到病除", "无任何副作用", "安全无副作用", "永不复发"],
        ),
        ("长期使用{P}可{T}{D}", &["治疗", "根除", "治好"]),
        (
            "{P}能{T}",
            &["降血压、降血糖", "消炎杀菌治湿疹", "祛斑治痘根治痤疮"],
        ),
    ];
    from_table(rng, T, s)
}

/// A health-food claim. The caller may also drop the "本品不能代替药物" notice instead of (or
/// as well as) adding this text.
pub fn health_food_claim(rng: &mut Rng, s: &Subject<'_>) -> String {
    const T: &[(&str, &[&str])] = &[
        ("{P}可有效{T}{D}", &["预防", "治疗", "防治"]),
        ("服用{P}可{T}", &["代替药物", "替代降压药", "停药"]),
        ("{P}比药物{T}", &["更安全有效", "效果更好", "见效更快"]),
        ("坚持服用{N}天，{T}{D}", &["告别", "远离", "赶走"]),
        (
            "{P}：{T}",
            &[
                "预防癌症、延年益寿",
                "增强免疫力，防治百病",
                "调理三高，不用吃药",
            ],
        ),
    ];
    from_table(rng, T, s)
}

pub fn investment_guarantee(rng: &mut Rng, s: &Subject<'_>) -> String {
    const T: &[(&str, &[&str])] = &[
        ("{T}，年化收益{N}%", &["保本保息", "保本", "承诺保本"]),
        (
            "{P}{T}",
            &[
                "稳赚不赔",
                "穩賺不賠",
                "零风险",
                "无风险高收益",
                "100%本息兑付",
            ],
        ),
        (
            "本金安全有保障，{T}",
            &["收益每月到账", "收益按月到账，到期还本", "收益稳定到账"],
        ),
        ("{B}{T}，年化{N}%", &["保证收益", "保證收益", "承诺收益"]),
        ("投资{P}，{T}", &["稳赚", "只赚不赔", "保本保收益"]),
    ];
    from_table(rng, T, s)
}

pub fn real_estate_promise(rng: &mut Rng, s: &Subject<'_>) -> String {
    const T: &[(&str, &[&str])] = &[
        ("距{L}仅{N}{T}", &["分钟车程", "分钟", "分钟路程"]),
        ("{N}{T}{L}", &["分钟直达", "分钟畅达", "分钟抵达"]),
        ("{P}，{T}{N}%", &["未来升值", "年升值", "投资回报率高达"]),
        (
            "{T}，{P}",
            &["买到就是赚到", "坐享升值", "升值潜力无限", "一年回本"],
        ),
        (
            "{P}带租约出售，{T}",
            &["包租十年", "年租金回报8%", "稳定收租"],
        ),
    ];
    from_table(rng, T, s)
}

pub fn agri_guarantee(rng: &mut Rng, s: &Subject<'_>) -> String {
    const T: &[(&str, &[&str])] = &[
        (
            "{P}{T}",
            &["无毒无残留", "零残留", "对人畜无害", "绝对安全无毒"],
        ),
        ("使用后{T}{N}%", &["亩产增加", "保证增产", "产量提高"]),
        ("种植{P}{T}{N}00元", &["每亩增收", "保证每亩多收"]),
        ("{P}高效{T}", &["无毒", "无残留，放心使用", "无公害零残留"]),
    ];
    from_table(rng, T, s)
}

pub fn education_guarantee(rng: &mut Rng, s: &Subject<'_>) -> String {
    const T: &[(&str, &[&str])] = &[
        ("{P}{T}", &["包过班", "保过班", "包过", "签约保过"]),
        ("{T}，不过全额退款", &["保证通过", "保證通過", "一次通过"]),
        ("{P}通过率{T}", &["100%", "百分之百"]),
        (
            "{T}，考前密训",
            &["考官亲自授课", "命题组专家押题", "内部命题老师辅导"],
        ),
    ];
    from_table(rng, T, s)
}

pub fn unfair_clause(rng: &mut Rng, s: &Subject<'_>) -> String {
    const T: &[(&str, &[&str])] = &[
        (
            "本活动{T}归{B}所有。",
            &["最终解释权", "解释权", "最终解釋權"],
        ),
        ("商品一经售出，{T}。", &["概不退换", "概不退換", "不退不换"]),
        ("会员卡逾期{T}，余额不予退还。", &["作废", "失效"]),
        (
            "{T}，订单取消后不予退还。",
            &["定金一律不退", "预付款一律不退"],
        ),
        ("赠品{T}。", &["不在三包范围内", "不予保修"]),
        (
            "因物流原因造成的任何损失，{T}。",
            &["本店概不负责", "本公司不承担任何责任"],
        ),
        ("充值金额{T}。", &["不可退回", "一律不退"]),
    ];
    from_table(rng, T, s)
}

/// A casino name and a `.test` host for it.
pub fn casino(rng: &mut Rng) -> (String, String) {
    let (name, slug) = *rng.pick(CASINOS);
    let n = rng.range(10, 9999);
    let host = match rng.below(4) {
        0 => format!("www.{slug}{n}.test"),
        1 => format!("{slug}{n}-vip.test"),
        2 => format!("www.am{slug}-casino{n}.test"),
        _ => format!("{slug}-bet{n}.test"),
    };
    (name.to_string(), host)
}

/// Visible gambling offers or links on an ordinary page.
pub fn gambling_offer(rng: &mut Rng) -> String {
    let (name, host) = casino(rng);
    let n = rng.range(18, 888);
    let offer = match rng.below(6) {
        0 => format!("{name}娱乐城 注册送{n}元彩金"),
        1 => format!("{name}体育投注 首存送100%"),
        2 => "真人百家乐 在线发牌 日返水1.2%".to_string(),
        3 => format!("澳门{name} 网上赌场 官方直营"),
        4 => format!("时时彩平台 {name}计划群 稳定回血"),
        _ => format!("{name}电子游艺 捕鱼游戏 提款秒到"),
    };
    let text = obfuscate(rng, &offer);
    format!(
        "<div class=\"ad\">热门：<a href=\"https://{host}/?from=ad{n}\" target=\"_blank\">{text}</a></div>"
    )
}

/// A hijacking kit's injections: the title it sets, the keywords, and a hidden link farm.
#[derive(Debug, Clone)]
pub struct Hijack {
    pub title: String,
    pub keywords: String,
    pub hidden: String,
}

pub fn hijack(rng: &mut Rng) -> Hijack {
    let (name, _) = casino(rng);
    let title = match rng.below(4) {
        0 => format!("{name}体育投注欢迎您"),
        1 => format!("{name}娱乐城官网"),
        2 => format!("{name}娱乐官方网站-{name}官网首页"),
        _ => format!("{name}真人百家乐-欢迎您"),
    };
    let keywords = format!("{name},{name}娱乐,体育投注,百家乐,{name}官网");
    let style = *rng.pick(&[
        "position:absolute;left:-9999px;top:-9999px",
        "display:none",
        "text-indent:-9999px;overflow:hidden;height:1px",
        "font-size:0;line-height:0",
        "position:fixed;top:-3000px;opacity:0",
        "visibility:hidden;width:1px;height:1px;overflow:hidden",
    ]);
    let mut links = String::new();
    for _ in 0..rng.range(4, 9) {
        let (n, h) = casino(rng);
        let anchor = match rng.below(5) {
            0 => format!("{n}娱乐城"),
            1 => format!("{n}体育投注"),
            2 => "真人荷官在线发牌".to_string(),
            3 => format!("{n}网上赌场"),
            _ => "注册送38元彩金".to_string(),
        };
        let anchor = obfuscate(rng, &anchor);
        links.push_str(&format!("<a href=\"https://{h}/\">{anchor}</a> "));
    }
    let hidden = if rng.chance(20) {
        format!("<marquee style=\"{style}\">{links}</marquee>")
    } else {
        format!("<div style=\"{style}\">{links}</div>")
    };
    Hijack {
        title,
        keywords,
        hidden,
    }
}

/// A listing of goods that may not be sold, as a product block with a price and a buy button.
pub fn prohibited_goods(rng: &mut Rng) -> String {
    let item = match rng.below(8) {
        0 => format!("仿真枪 M{}A1 全金属可发射", rng.range(1, 9)),
        1 => format!("气枪铅弹 {}发装", rng.range(2, 9) * 100),
        2 => "代开增值税发票 全国可查".to_string(),
        3 => "代开fa票 各行业 点数低".to_string(),
        4 => "刻章 公章 财务章 加急24小时".to_string(),
        5 => "办证：毕业证 学位证 驾驶证".to_string(),
        6 => "迷药 听话水 无色无味".to_string(),
        _ => "无线窃听器 远程监听".to_string(),
    };
    let item = obfuscate(rng, &item);
    let price = rng.range(50, 2000);
    format!(
        "<div class=\"goods\"><h3>{item}</h3><p class=\"price\">¥{price}.00</p>\
         <button class=\"buy\">立即购买</button></div>"
    )
}

/// A personal-information form. With `consent`, it carries a consent box linking the policy.
pub fn pi_form(rng: &mut Rng, brand: &str, privacy_href: &str, consent: bool) -> String {
    let mut fields = vec!["<p>姓名：<input name=\"name\"></p>".to_string()];
    let id = *rng.pick(&["身份证号", "身份证号码", "证件号码（身份证）"]);
    let phone = *rng.pick(&["手机号", "手机号码", "联系手机"]);
    let bank = *rng.pick(&["银行卡号", "收款银行卡", "银行账户"]);
    fields.push(format!("<p>{id}：<input name=\"idcard\"></p>"));
    fields.push(format!("<p>{phone}：<input name=\"mobile\"></p>"));
    if rng.chance(60) {
        fields.push(format!("<p>{bank}：<input name=\"bankcard\"></p>"));
    }
    if rng.chance(40) {
        fields.push("<p>家庭住址：<input name=\"address\"></p>".to_string());
    }
    let agree = if consent {
        format!(
            "<p><label><input type=\"checkbox\" name=\"agree\" required> 我已阅读并同意\
             <a href=\"{privacy_href}\">《隐私政策》</a>，同意{brand}按照该政策收集、使用上述个人信息\
             </label></p>"
        )
    } else {
        String::new()
    };
    format!(
        "<form class=\"apply\" action=\"#\" method=\"post\">{}{agree}<p><button type=\"submit\">提交</button></p></form>",
        fields.join("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoders() {
        assert_eq!(base64("体育投注".as_bytes()), "5L2T6IKy5oqV5rOo");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(js_escape("<b>最</b>"), "\\x3cb\\x3e\\u6700\\x3c/b\\x3e");
        assert_eq!(traditional("全网最低"), "全網最低");
    }

    #[test]
    fn full_width_folds_ascii() {
        assert_eq!(full_width("NO.1"), "ＮＯ．１");
        assert_eq!(full_width("第一"), "第一");
    }

    #[test]
    fn obfuscations_vary() {
        let mut rng = Rng::new(3);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..400 {
            seen.insert(format!("{:?}", obfuscate_with(&mut rng, "全网最低NO.1").1));
        }
        assert_eq!(seen.len(), 8, "{seen:?}");
    }

    #[test]
    fn snippets_vary() {
        let s = Subject {
            brand: "绿源",
            product: "六堡茶",
            noun: "茶叶",
        };
        let mut rng = Rng::new(9);
        let v: std::collections::HashSet<_> =
            (0..50).map(|_| absolute_term(&mut rng, &s)).collect();
        assert!(v.len() > 20);
    }
}
