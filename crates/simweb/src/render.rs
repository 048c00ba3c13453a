//! Renders a page of a site spec to HTML (as a Rust string; encoding happens in `lib.rs`).
//!
//! The renderer decides nothing about truth: it prints what the spec says (license shown or
//! not, permit shown or not, snippets) and fills the rest with clean copy. Clean copy must never
//! contain a violation; `tests::clean_pages_carry_no_trigger_words` holds it to that.

use crate::prng::{hash_str, mix, Rng};
use crate::site::{Biz, Enc, Page, PageKind, SimSite, SHOPS_PER_DIRECTORY_PAGE};
use crate::violations as v;
use std::fmt::Write;

fn yuan(fen: u64) -> String {
    format!("¥{}.{:02}", fen / 100, fen % 100)
}

struct Ctx<'a> {
    sites: &'a [SimSite],
    site: &'a SimSite,
    page: &'a Page,
    rng: Rng,
}

/// Renders one page. `sites` is the whole world (shops need their platform, platforms their
/// shops).
pub fn page(sites: &[SimSite], site: &SimSite, page: &Page) -> String {
    let mut cx = Ctx {
        sites,
        site,
        page,
        rng: Rng::new(mix(site.seed, hash_str(&page.path))),
    };
    let main = cx.main();
    let (title, desc, keywords) = cx.head_texts();
    let mut h = String::with_capacity(8 * 1024);
    h.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n");
    match site.enc {
        Enc::Utf8 => h.push_str("<meta charset=\"utf-8\">\n"),
        Enc::Gbk { meta: true, .. } => {
            if site.seed.is_multiple_of(2) {
                h.push_str("<meta charset=\"gbk\">\n");
            } else {
                h.push_str(
                    "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\">\n",
                );
            }
        }
        Enc::Gbk { meta: false, .. } => {}
    }
    let _ = write!(
        h,
        "<title>{title}</title>\n<meta name=\"keywords\" content=\"{keywords}\">\n\
         <meta name=\"description\" content=\"{desc}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <style>body{{font-family:sans-serif;margin:0}}.nav a{{margin:0 8px}}.footer{{color:#666;font-size:12px}}</style>\n\
         </head>\n<body>\n"
    );
    h.push_str(&cx.header());
    h.push_str("<div class=\"main\">\n");
    h.push_str(&main);
    for b in &page.body {
        h.push_str(b);
        h.push('\n');
    }
    h.push_str("</div>\n");
    h.push_str(&cx.footer());
    if let Some(hj) = &page.hijack {
        h.push_str(&hj.hidden);
        h.push('\n');
    }
    h.push_str("</body>\n</html>\n");
    h
}

impl Ctx<'_> {
    fn platform(&self) -> Option<&SimSite> {
        self.site.platform.map(|i| &self.sites[i])
    }

    fn link_of(&self, kind: PageKind) -> Option<&str> {
        self.site
            .pages
            .iter()
            .find(|p| p.kind == kind)
            .map(|p| p.path.as_str())
    }

    fn product_path(&self, i: usize) -> &str {
        self.link_of(PageKind::Product(i)).unwrap_or("/")
    }

    fn base_title(&self) -> String {
        let s = self.site;
        let suffix = match self.platform() {
            Some(p) => format!("{} - {}", s.name, p.name),
            None => s.name.clone(),
        };
        match self.page.kind {
            PageKind::Home if s.biz == Biz::Gov => format!("{}门户网站", s.name),
            PageKind::Home if s.biz.trades() && s.platform.is_none() => {
                format!("{}官网 - {}", s.brand, self.tagline())
            }
            PageKind::Home => suffix,
            PageKind::List(l) => format!("{}_{}", s.lists[l].0, suffix),
            PageKind::Product(i) => format!("{}_{}", s.products[i].name, suffix),
            PageKind::About if s.biz == Biz::Gov => format!("机构职能_{}", s.name),
            PageKind::About => format!("关于我们_{suffix}"),
            PageKind::Terms if s.biz == Biz::Gov => format!("网站声明_{}", s.name),
            PageKind::Terms if s.biz.trades() => format!("用户协议_{suffix}"),
            PageKind::Terms => format!("服务条款_{suffix}"),
            PageKind::Privacy => format!("隐私政策_{suffix}"),
            PageKind::Form => format!("{}_{suffix}", self.form_title()),
            PageKind::NewsList if s.biz == Biz::Gov => format!("通知公告_{}", s.name),
            PageKind::NewsList => format!("新闻动态_{suffix}"),
            PageKind::News(k) => format!("{}_{suffix}", s.news[k].title),
            PageKind::Directory(d) => format!("商家列表 第{}页_{suffix}", d + 1),
            PageKind::Trap => format!("优惠活动_{suffix}"),
            PageKind::Admin => "管理后台".into(),
        }
    }

    fn tagline(&self) -> &'static str {
        match self.site.biz {
            Biz::Tea => "产地直供，茶香四溢",
            Biz::Cosmetics => "温和护肤，美丽随行",
            Biz::Electronics => "好物数码，品质生活",
            Biz::Clothing => "舒适穿搭，简约时尚",
            Biz::HealthFood => "科学营养，健康生活",
            Biz::Medical => "家用医疗器械专营",
            Biz::Restaurant => "地道南宁味道",
            Biz::Snack => "广西特产，产地直发",
            Biz::Finance => "合规理财，稳健经营",
            Biz::Estate => "宜居好房，品质社区",
            Biz::Agri => "农资直供，服务三农",
            Biz::Training => "职业技能提升",
            _ => "",
        }
    }

    fn form_title(&self) -> &'static str {
        match self.site.biz {
            Biz::Finance => "在线开户申请",
            Biz::Training => "课程在线报名",
            Biz::Company => "在线留言",
            _ => "会员注册",
        }
    }

    fn head_texts(&self) -> (String, String, String) {
        let s = self.site;
        let mut title = self.base_title();
        if let Some(extra) = &self.page.title_extra {
            title = format!("{extra}_{title}");
        }
        let mut keywords = format!("{},{},{}", s.brand, s.biz.noun(), "南宁");
        let mut desc = if s.biz == Biz::Gov {
            format!("{}门户网站，发布政务信息、通知公告和办事指南。", s.name)
        } else if s.platform.is_some() {
            format!(
                "{}，{}在线商家，提供{}。",
                s.name,
                self.platform().map_or("", |p| p.name.as_str()),
                s.biz.noun()
            )
        } else {
            format!(
                "{}位于南宁，提供{}相关服务。",
                s.company_or_brand(),
                s.biz.noun()
            )
        };
        if let Some(extra) = &self.page.meta_extra {
            desc.push('，');
            desc.push_str(extra);
        }
        if let Some(hj) = &self.page.hijack {
            if !hj.title.is_empty() {
                title = hj.title.clone();
                keywords = hj.keywords.clone();
                desc = format!("{}，{}", hj.title, hj.keywords);
            }
        }
        (title, desc, keywords)
    }

    fn header(&mut self) -> String {
        let s = self.site;
        let mut h = String::new();
        if let Some(p) = self.platform() {
            let _ = writeln!(
                h,
                "<div class=\"top\"><a href=\"/\">{}</a> | 第一次购买请先注册 | <a href=\"/shops/1.html\">全部商家</a></div>",
                p.name
            );
            let _ = writeln!(
                h,
                "<div class=\"shop-head\"><h2><a href=\"{}\">{}</a></h2></div>",
                s.home_path(),
                s.name
            );
        } else if s.biz == Biz::Gov {
            let _ = writeln!(h, "<div class=\"top\"><h1>{}</h1></div>", s.name);
            let _ = writeln!(
                h,
                "<div class=\"nav\"><a href=\"/\">首页</a><a href=\"/tzgg/\">通知公告</a><a href=\"/jgzn.html\">机构职能</a></div>"
            );
        } else {
            if s.biz.trades() {
                let _ = writeln!(
                    h,
                    "<div class=\"top\">欢迎光临{}！第一次购买请先注册</div>",
                    s.name
                );
            } else {
                let _ = writeln!(
                    h,
                    "<div class=\"top\"><h1>{}</h1></div>",
                    s.company_or_brand()
                );
            }
            h.push_str("<div class=\"nav\"><a href=\"/\">首页</a>");
            for (l, (name, _)) in s.lists.iter().enumerate() {
                if let Some(p) = self.link_of(PageKind::List(l)) {
                    let _ = write!(h, "<a href=\"{p}\">{name}</a>");
                }
            }
            if let Some(p) = self.link_of(PageKind::NewsList) {
                let _ = write!(h, "<a href=\"{p}\">新闻动态</a>");
            }
            if let Some(p) = self.link_of(PageKind::Form) {
                let _ = write!(h, "<a href=\"{p}\">{}</a>", self.form_title());
            }
            if let Some(p) = self.link_of(PageKind::Trap) {
                let _ = write!(h, "<a href=\"{p}\">优惠活动</a>");
            }
            if let Some(p) = self.link_of(PageKind::About) {
                let _ = write!(h, "<a href=\"{p}\">关于我们</a>");
            }
            h.push_str("</div>\n");
        }
        if s.biz == Biz::HealthFood && self.page.disclaimer {
            h.push_str(
                "<div class=\"notice\">保健食品不是药物，本品不能代替药物治疗疾病。</div>\n",
            );
        }
        h
    }

    fn buy_button(&self) -> &'static str {
        match self.site.biz {
            Biz::Finance => "<button class=\"buy\">立即投资</button>",
            Biz::Estate => "<button class=\"buy\">预约看房</button>",
            Biz::Training => "<button class=\"buy\">立即报名</button>",
            Biz::Restaurant => {
                "<button class=\"buy\">加入购物车</button> <button class=\"buy\">立即下单</button>"
            }
            _ => "<button class=\"cart\">加入购物车</button>",
        }
    }

    fn price_label(&self) -> &'static str {
        match self.site.biz {
            Biz::Finance => "起投金额",
            Biz::Estate => "参考总价",
            _ => "价格",
        }
    }

    fn card(&self, i: usize) -> String {
        let p = &self.site.products[i];
        let href = self.product_path(i);
        match p.price_fen {
            Some(f) => format!(
                "<li class=\"item\"><a href=\"{href}\">{}</a> <span class=\"price\">{}：{}</span> {}</li>\n",
                p.name,
                self.price_label(),
                yuan(f),
                self.buy_button()
            ),
            None => format!("<li class=\"item\"><a href=\"{href}\">{}</a> <a href=\"{href}\">了解详情</a></li>\n", p.name),
        }
    }

    fn main(&mut self) -> String {
        let s = self.site;
        let mut h = String::new();
        match self.page.kind {
            PageKind::Home if s.biz == Biz::Gov => {
                h.push_str("<h2>通知公告</h2><ul>\n");
                for (k, n) in s.news.iter().enumerate() {
                    if let Some(p) = self.link_of(PageKind::News(k)) {
                        let _ = writeln!(h, "<li><a href=\"{p}\">{}</a></li>", n.title);
                    }
                }
                let _ = writeln!(h, "</ul><p><a href=\"/tzgg/\">更多通知</a></p>");
                let _ = writeln!(
                    h,
                    "<h2>办事服务</h2><p>个人办事、法人办事、便民服务，请前往广西数字政务一体化平台办理。</p>"
                );
            }
            PageKind::Home if matches!(s.biz, Biz::Waimai | Biz::Mall) => {
                let _ = writeln!(
                    h,
                    "<h1>{}</h1><p>{}，汇集南宁本地商家。</p><h2>人气商家</h2><ul>",
                    s.name,
                    if s.biz == Biz::Waimai {
                        "在线点餐，送餐上门"
                    } else {
                        "广西特色好物"
                    }
                );
                for &i in s.shops.iter().take(12) {
                    let shop = &self.sites[i];
                    let _ = writeln!(
                        h,
                        "<li><a href=\"{}\">{}</a> 月售{}单</li>",
                        shop.home_path(),
                        shop.name,
                        shop.seed % 5000
                    );
                }
                h.push_str("</ul><p>全部商家：");
                for p in &s.pages {
                    if let PageKind::Directory(d) = p.kind {
                        let _ = write!(h, "<a href=\"{}\">第{}页</a> ", p.path, d + 1);
                    }
                }
                h.push_str("</p>\n");
                let _ = writeln!(h, "<p><a href=\"/about.html\">平台介绍</a></p>");
            }
            PageKind::Home if s.platform.is_some() => {
                let _ = writeln!(h, "<h1>{}</h1><ul class=\"menu\">", s.name);
                for i in 0..s.products.len() {
                    h.push_str(&self.card(i));
                }
                h.push_str("</ul>\n");
                h.push_str(&self.merchant_info());
            }
            PageKind::Home => {
                if s.biz.trades() {
                    match self.rng.below(4) {
                        0 => h.push_str("<div class=\"banner\">夏季促销最后一天，全场满199减20，本活动详情以页面公示为准。</div>\n"),
                        1 => h.push_str("<div class=\"banner\">新客专享：第一次购买请先注册，注册即可领取优惠券。</div>\n"),
                        _ => {}
                    }
                    h.push_str("<h2>最近上新</h2><ul class=\"items\">\n");
                } else {
                    let _ = writeln!(
                        h,
                        "<div class=\"banner\">{}，专注{}，服务南宁及周边客户。</div><h2>产品与服务</h2><ul class=\"items\">",
                        s.company_or_brand(),
                        s.name
                    );
                }
                for i in 0..s.products.len() {
                    h.push_str(&self.card(i));
                }
                h.push_str("</ul>\n");
                if !s.news.is_empty() {
                    h.push_str("<h2>公司新闻</h2><ul>");
                    for (k, n) in s.news.iter().enumerate() {
                        if let Some(p) = self.link_of(PageKind::News(k)) {
                            let _ = write!(h, "<li><a href=\"{p}\">{}</a></li>", n.title);
                        }
                    }
                    h.push_str("</ul>\n");
                }
            }
            PageKind::List(l) => {
                let (name, items) = &s.lists[l];
                let _ = writeln!(h, "<h1>{name}</h1><ul class=\"items\">");
                for &i in items {
                    h.push_str(&self.card(i));
                }
                h.push_str("</ul>\n");
            }
            PageKind::Product(i) => {
                let p = &s.products[i];
                let home = s.home_path();
                let _ = writeln!(
                    h,
                    "<div class=\"crumb\"><a href=\"{home}\">首页</a> &gt; {}</div><h1>{}</h1>",
                    p.name, p.name
                );
                if let Some(f) = p.price_fen {
                    let _ = writeln!(
                        h,
                        "<p class=\"price\">{}：<b>{}</b>/{}</p><p>{} <button class=\"buy\">立即购买</button></p>",
                        self.price_label(),
                        yuan(f),
                        p.unit,
                        self.buy_button()
                    );
                }
                h.push_str("<ul class=\"specs\">");
                for sp in &p.specs {
                    let _ = write!(h, "<li>{sp}</li>");
                }
                h.push_str("</ul>\n");
                let _ = writeln!(h, "<p>{}</p>", self.filler());
                if s.platform.is_some() {
                    let _ = writeln!(h, "<p><a href=\"{home}\">返回店铺</a></p>");
                }
            }
            PageKind::About if s.biz == Biz::Gov => {
                let _ = writeln!(
                    h,
                    "<h1>机构职能</h1><p>{}负责贯彻执行国家和自治区的方针政策，统筹本辖区经济社会发展、公共服务和社会管理工作。</p><p>办公地址：{}</p><p>办公时间：工作日 8:00-12:00，15:00-18:00</p>",
                    s.name, s.address_shown
                );
            }
            PageKind::About => {
                let year = 2008 + s.seed % 15;
                let what = if s.biz.trades() {
                    "销售与服务"
                } else {
                    "研发与服务"
                };
                let _ = writeln!(
                    h,
                    "<h1>关于我们</h1><p>{}成立于{year}年，主要从事{}的{what}。公司秉持诚信经营的理念，为客户提供放心的产品和周到的服务。</p><p>联系电话：{}</p>",
                    s.company, s.biz.noun(), s.phone
                );
            }
            PageKind::Terms if s.biz == Biz::Gov => {
                h.push_str("<h1>网站声明</h1><p>一、本网站由主办单位负责内容维护。</p><p>二、转载本网站信息请注明出处。</p><p>三、本网站提供的链接仅为方便公众，对外部网站内容不承担审核义务。</p>\n");
            }
            PageKind::Terms => {
                let name = s.company_or_brand();
                let _ = writeln!(
                    h,
                    "<h1>{}</h1>",
                    if s.biz.trades() {
                        "用户协议"
                    } else {
                        "服务条款"
                    }
                );
                let _ = writeln!(
                    h,
                    "<p>欢迎使用{name}提供的服务。请您在使用前仔细阅读本协议。</p>"
                );
                h.push_str("<p>一、用户注册：用户应当提供真实、准确的注册信息，并妥善保管账号和密码。</p>\n");
                if s.biz.trades() {
                    h.push_str("<p>二、购物流程：第一步，注册账号；第二步，选择商品并提交订单；第三步，完成支付。</p>\n");
                    h.push_str("<p>三、退换货：消费者自收到商品之日起七日内依法享有无理由退货的权利，定制类等法定不适用的商品除外。商品存在质量问题的，我们承担退换货运费。</p>\n");
                    h.push_str("<p>四、促销活动：本活动详情以页面公示为准。</p>\n");
                }
                h.push_str("<p>五、争议解决：双方协商不成的，任何一方均可依法向有管辖权的人民法院提起诉讼。</p>\n");
            }
            PageKind::Privacy => {
                let name = s.company_or_brand();
                let _ = writeln!(
                    h,
                    "<h1>隐私政策</h1><p>{name}重视您的个人信息保护。本政策说明我们如何收集、使用和保护您的个人信息。</p>\
                     <p>一、我们收集的信息：为完成交易和配送，我们会在您同意后收集您的姓名、手机号码和收货地址。</p>\
                     <p>二、信息的使用：我们仅在实现上述目的所必需的范围内使用您的个人信息，未经您同意不会向第三方提供。</p>\
                     <p>三、您的权利：您可以查询、更正、删除您的个人信息，或撤回同意。</p>\
                     <p>四、联系我们：{}</p>",
                    s.phone
                );
            }
            PageKind::Form => {
                let privacy = self
                    .link_of(PageKind::Privacy)
                    .unwrap_or("/privacy.html")
                    .to_string();
                let _ = writeln!(h, "<h1>{}</h1>", self.form_title());
                let brand = s.brand.clone();
                h.push_str(&v::pi_form(
                    &mut self.rng,
                    &brand,
                    &privacy,
                    self.page.consent,
                ));
                h.push('\n');
            }
            PageKind::NewsList => {
                let _ = writeln!(
                    h,
                    "<h1>{}</h1><ul>",
                    if s.biz == Biz::Gov {
                        "通知公告"
                    } else {
                        "新闻动态"
                    }
                );
                for (k, n) in s.news.iter().enumerate() {
                    if let Some(p) = self.link_of(PageKind::News(k)) {
                        let _ = writeln!(h, "<li><a href=\"{p}\">{}</a></li>", n.title);
                    }
                }
                h.push_str("</ul>\n");
            }
            PageKind::News(k) => {
                let n = &s.news[k];
                let _ = writeln!(h, "<h1>{}</h1>", n.title);
                for p in &n.paras {
                    let _ = writeln!(h, "<p>{p}</p>");
                }
                let back = self.link_of(PageKind::NewsList).unwrap_or("/");
                let _ = writeln!(h, "<p><a href=\"{back}\">返回列表</a></p>");
            }
            PageKind::Directory(d) => {
                let _ = writeln!(h, "<h1>商家列表 第{}页</h1><ul>", d + 1);
                for &i in s
                    .shops
                    .iter()
                    .skip(d * SHOPS_PER_DIRECTORY_PAGE)
                    .take(SHOPS_PER_DIRECTORY_PAGE)
                {
                    let shop = &self.sites[i];
                    let _ = writeln!(
                        h,
                        "<li><a href=\"{}\">{}</a></li>",
                        shop.home_path(),
                        shop.name
                    );
                }
                h.push_str("</ul>\n");
            }
            PageKind::Trap => {
                h.push_str("<h1>优惠活动</h1><p>活动筹备中。</p>\n");
            }
            PageKind::Admin => {
                h.push_str("<h1>管理后台</h1><form action=\"#\" method=\"post\"><p>账号：<input name=\"user\"></p><p>密码：<input type=\"password\" name=\"pass\"></p><button>登录</button></form>\n");
            }
        }
        h
    }

    /// The merchant block of a shop's main page: the shop's license and contact data.
    fn merchant_info(&self) -> String {
        let s = self.site;
        let mut h = String::from("<div class=\"merchant\"><h3>商家信息</h3>");
        if let Some((label, code)) = &s.license_shown {
            let _ = write!(h, "<p>营业执照：{} {label}：{code}</p>", s.company);
        }
        if let Some(permit) = s.food_permit.as_ref().filter(|_| s.permit_shown) {
            let _ = write!(h, "<p>食品经营许可证：{permit}</p>");
        }
        let _ = write!(
            h,
            "<p>商家地址：{}</p><p>联系电话：{}</p>",
            s.address_shown, s.phone
        );
        if let Some(b) = &s.badge {
            let _ = write!(
                h,
                "<p><a class=\"badge\" href=\"{b}\" target=\"_blank\">电子营业执照亮照标识</a></p>"
            );
        }
        h.push_str("</div>\n");
        h
    }

    fn filler(&mut self) -> String {
        let s = self.site;
        let opts: &[&str] = match s.biz {
            Biz::Tea => &[
                "选用当季鲜叶，传统工艺制作，汤色明亮，口感醇和。",
                "适合日常冲泡，也适合馈赠亲友。",
            ],
            Biz::Restaurant => &[
                "现点现做，新鲜出炉。",
                "本店支持到店自取和外卖配送。",
                "一碗热粉，治愈系的南宁味道。",
            ],
            Biz::Snack => &[
                "广西本地原料，独立小包装，方便携带。",
                "产地直发，发货前逐件检查。",
            ],
            Biz::Finance => &[
                "产品详情请阅读产品说明书和风险揭示书。",
                "市场有风险，投资需谨慎。",
                "本产品为非保本浮动收益型，不承诺保本和最低收益。",
            ],
            Biz::Estate => &[
                "项目周边配套学校、医院和商业街区。",
                "欢迎到售楼部实地了解，具体以合同约定为准。",
            ],
            Biz::Agri => &[
                "请按照标签规定的剂量和方法使用。",
                "如有疑问请咨询当地农技部门。",
            ],
            Biz::Training => &[
                "课程内容依据考试大纲编排，配套练习题和模拟测试。",
                "学习效果因人而异，请合理安排学习时间。",
            ],
            _ => &[
                "商品以实物为准，如有疑问请联系客服。",
                "下单后48小时内发货，全国包邮（偏远地区除外）。",
            ],
        };
        self.rng.pick(opts).to_string()
    }

    fn footer(&self) -> String {
        let s = self.site;
        let mut h = String::from("<div class=\"footer\">\n<p>");
        let links = [
            (
                PageKind::About,
                if s.biz == Biz::Gov {
                    "机构职能"
                } else {
                    "关于我们"
                },
            ),
            (
                PageKind::Terms,
                if s.biz == Biz::Gov {
                    "网站声明"
                } else if s.biz.trades() {
                    "用户协议"
                } else {
                    "服务条款"
                },
            ),
            (
                PageKind::Privacy,
                if s.biz == Biz::Gov {
                    "隐私保护"
                } else {
                    "隐私政策"
                },
            ),
        ];
        let no_privacy = self.page.kind == PageKind::Form && !self.page.consent;
        let owner = self.platform().unwrap_or(s);
        for (kind, label) in links {
            if kind == PageKind::Privacy && no_privacy {
                continue;
            }
            if let Some(p) = owner.pages.iter().find(|p| p.kind == kind) {
                let _ = write!(h, "<a href=\"{}\">{label}</a> | ", p.path);
            }
        }
        h.push_str("</p>\n");
        let start = self.page.kind == PageKind::Home;
        if let Some(p) = self.platform() {
            // Platform chrome: the platform's own identifiers on every page.
            if let (true, Some(permit)) = (self.page.food && s.permit_shown, s.food_permit.as_ref())
            {
                if !start {
                    let _ = writeln!(h, "<p>本店食品经营许可证：{permit}</p>");
                }
            }
            let _ = writeln!(
                h,
                "<p>{} 版权所有 <a href=\"https://beian.miit.gov.cn/\" target=\"_blank\">{}</a></p>",
                p.company,
                p.icp_shown.clone().unwrap_or_default()
            );
            h.push_str("</div>\n");
            return h;
        }
        if start {
            if s.biz == Biz::Gov {
                let _ = writeln!(
                    h,
                    "<p>主办单位：{} 地址：{} 电话：{}</p>",
                    s.name, s.address_shown, s.phone
                );
                let _ = writeln!(
                    h,
                    "<p>政府网站标识码：{}{:04}</p>",
                    s.district,
                    s.seed % 10_000
                );
            } else {
                if let Some(shown) = crate::licence_image::footer_html(s) {
                    h.push_str(&shown);
                } else if let Some((label, code)) = &s.license_shown {
                    let _ = writeln!(h, "<p>{} {label}：{code}</p>", s.company);
                }
                let _ = writeln!(h, "<p>地址：{} 电话：{}</p>", s.address_shown, s.phone);
            }
            if let (true, Some(permit)) = (self.page.food && s.permit_shown, s.food_permit.as_ref())
            {
                let _ = writeln!(h, "<p>食品经营许可证：{permit}</p>");
            }
            h.push_str("<p>");
            if let Some(icp) = &s.icp_shown {
                let _ = write!(
                    h,
                    "<a href=\"https://beian.miit.gov.cn/\" target=\"_blank\">{icp}</a> "
                );
            }
            if s.biz == Biz::Waimai || s.biz == Biz::Mall {
                let _ = write!(
                    h,
                    "增值电信业务经营许可证：桂B2-2017{:04} ",
                    s.seed % 10_000
                );
            }
            let _ = writeln!(h, "{}</p>", s.psb);
            if let Some(b) = &s.badge {
                let _ = writeln!(h, "<p><a class=\"badge\" href=\"{b}\" target=\"_blank\">工商网监 电子标识</a></p>");
            }
            if !s.friends.is_empty() {
                h.push_str("<p class=\"friends\">友情链接：");
                for &f in &s.friends {
                    let other = &self.sites[f];
                    let _ = write!(
                        h,
                        "<a href=\"http://{}/\" target=\"_blank\">{}官网</a> ",
                        other.host, other.brand
                    );
                }
                // A site two hops from the register links to a shop outside the city too.
                if s.friends
                    .iter()
                    .any(|&f| self.sites[f].via == Some(crate::site::Via::Chain))
                {
                    let _ = write!(
                        h,
                        "<a href=\"http://{}/\" target=\"_blank\">京都优品</a> ",
                        crate::site::ELSEWHERE_HOST
                    );
                }
                h.push_str("</p>\n");
            }
        } else if let (true, Some(permit)) =
            (self.page.food && s.permit_shown, s.food_permit.as_ref())
        {
            let _ = writeln!(h, "<p>食品经营许可证：{permit}</p>");
        }
        if s.biz == Biz::Gov {
            let _ = writeln!(h, "<p>版权所有：{}</p>", s.name);
        } else {
            let _ = writeln!(
                h,
                "<p>Copyright © 2017-2024 {} 版权所有 客服电话：{}</p>",
                s.brand, s.phone
            );
        }
        h.push_str("</div>\n");
        h
    }
}

impl SimSite {
    /// The company name where the site shows it; non-trading sites without license info show
    /// only the brand.
    pub fn company_or_brand(&self) -> &str {
        if self.license_shown.is_some() {
            &self.company
        } else {
            &self.brand
        }
    }
}

/// sitemap.xml for a host: every listed page of the site (and, for a platform, of its shops).
pub fn sitemap(sites: &[SimSite], site: &SimSite) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut add = |s: &SimSite| {
        for p in s.pages.iter().filter(|p| p.listed) {
            let _ = writeln!(x, "<url><loc>http://{}{}</loc></url>", s.host, p.path);
        }
    };
    add(site);
    for &i in &site.shops {
        add(&sites[i]);
    }
    x.push_str("</urlset>\n");
    x
}
