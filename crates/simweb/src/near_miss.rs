//! Near-misses (#17): honest pages that carry a rule's words without making the site's own
//! claim — a government notice quoting banned words, a police warning or crackdown report
//! quoting a scam's promises, a consumer council's list of illegal clauses, a registered
//! trademark containing 第一, a shop selling 食品级 containers, a platform's 美食 category
//! link. They go onto clean pages (truth empty) of some sites and stay clean in the truth;
//! the truth lists them per page ([`crate::SiteTruth::near_misses`]).
//!
//! Drawn from their own random stream after the world is generated, so no other draw moves:
//! a world with near-misses is the same world plus these blocks.

use crate::prng::{mix, Rng};
use crate::site::{Biz, Enc, PageKind, SimSite};
use domain::SiteKind;

/// One kind of near-miss: its code and the HTML blocks it may add (one is drawn).
pub struct NearMiss {
    pub code: &'static str,
    pub blocks: &'static [&'static str],
}

/// Every near-miss, with its blocks.
pub const NEAR_MISSES: &[NearMiss] = &[
    NearMiss {
        code: "gov_banned_words",
        blocks: &[
            "<p class=\"nm\">根据《中华人民共和国广告法》第九条，广告不得使用“国家级”“最高级”“最佳”等用语。</p>",
            "<p class=\"nm\">市场监管部门提醒：商家在宣传中不得使用绝对化用语，例如“全网第一”“销量第一”“最佳”等。</p>",
        ],
    },
    NearMiss {
        code: "gambling_warning",
        blocks: &[
            "<p class=\"nm\">警方提醒：近期有不法分子以“注册送彩金”“真人百家乐”为诱饵实施网络赌博诈骗，请市民提高警惕。</p>",
            "<p class=\"nm\">公安机关破获一起网络赌博案，该团伙谎称“稳赚不赔”“注册送彩金”，诱骗群众充值。</p>",
        ],
    },
    NearMiss {
        code: "council_clauses",
        blocks: &[
            "<p class=\"nm\">市消费者委员会点评不公平格式条款：“本店拥有最终解释权”“商品售出概不退换”等条款依法无效。</p>",
        ],
    },
    NearMiss {
        code: "trademark",
        blocks: &[
            "<p class=\"nm\">第一坊®系列为本店自有品牌，第一坊®是注册商标。</p>",
            "<p class=\"nm\">版权所有 南宁第一坊贸易有限公司</p>",
        ],
    },
    NearMiss {
        code: "food_grade",
        blocks: &[
            "<p class=\"nm\">304食品级不锈钢内胆，食品接触用材料检测合格。</p>",
            "<p class=\"nm\">收纳盒采用食品级PP材质。</p>",
        ],
    },
    NearMiss {
        code: "food_category_link",
        blocks: &[
            "<nav class=\"nm\"><a href=\"#fz\">服装</a> <a href=\"#ms\">美食</a> <a href=\"#jd\">家电</a></nav>",
        ],
    },
];

/// The near-miss kinds whose blocks a page's extra blocks carry.
pub fn kinds_in(body: &[String]) -> Vec<&'static str> {
    NEAR_MISSES
        .iter()
        .filter(|n| body.iter().any(|b| n.blocks.contains(&b.as_str())))
        .map(|n| n.code)
        .collect()
}

/// Where a kind may go: which sites and pages. Only clean, listed pages of UTF-8 sites (® has
/// no GBK code), never a hijacked page.
fn fits(code: &str, s: &SimSite, kind: PageKind) -> bool {
    match code {
        "gov_banned_words" | "gambling_warning" => {
            s.biz == Biz::Gov && matches!(kind, PageKind::News(_))
        }
        "council_clauses" => s.biz == Biz::Company && matches!(kind, PageKind::News(_)),
        "trademark" => {
            s.kind == SiteKind::TradingSite
                && !s.biz.sells_food()
                && matches!(kind, PageKind::About)
        }
        "food_grade" => {
            matches!(s.kind, SiteKind::TradingSite | SiteKind::PlatformShop)
                && s.biz.trades()
                && !s.biz.sells_food()
                && matches!(kind, PageKind::Product(_))
        }
        "food_category_link" => {
            s.kind == SiteKind::Platform && s.biz == Biz::Mall && matches!(kind, PageKind::Home)
        }
        _ => false,
    }
}

/// Adds near-misses to about one in twelve fitting pages per kind (at least one where any fits).
pub(crate) fn add(sites: &mut [SimSite], seed: u64) {
    let mut rng = Rng::new(mix(seed, 0x4E45_4152_4D49_5353));
    for nm in NEAR_MISSES {
        let mut candidates: Vec<(usize, usize)> = Vec::new();
        for (si, s) in sites.iter().enumerate() {
            if s.enc != Enc::Utf8 || s.cloak.is_some() {
                continue;
            }
            for (pi, p) in s.pages.iter().enumerate() {
                if p.listed
                    && p.truth.is_empty()
                    && p.hijack.is_none()
                    && p.title_extra.is_none()
                    && p.meta_extra.is_none()
                    && p.body.is_empty()
                    && fits(nm.code, s, p.kind)
                {
                    candidates.push((si, pi));
                }
            }
        }
        if candidates.is_empty() {
            continue;
        }
        let want = candidates.len().div_ceil(12);
        for _ in 0..want {
            let (si, pi) = candidates.swap_remove(rng.below(candidates.len()));
            let block = *rng.pick(nm.blocks);
            sites[si].pages[pi].body.push(block.to_string());
            if candidates.is_empty() {
                break;
            }
        }
    }
}
