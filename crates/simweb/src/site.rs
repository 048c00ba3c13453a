//! Site specs: who runs each simulated site, what it sells, which pages it has, and which
//! violations are seeded where. Generation is a pure function of `(sites, seed)`; the HTML is
//! not produced here but rendered on request from these specs (`render.rs`), so a world of
//! 10,000 sites holds only a few kilobytes per site.
//!
//! The truth for every page is decided here, in the same place the seeding decision is made, so
//! the renderer cannot drift from it: the renderer only reads flags set here.

use crate::prng::{mix, Rng};
use crate::violations::{self as v, Hijack, Subject};
use crate::vocab::*;
use domain::{Category, DistrictCode, DistrictTable, SiteKind, Uscc};
use std::collections::{BTreeSet, HashSet};

/// What business a site is in; decides its vocabulary, pages and likely violations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Biz {
    Tea,
    Cosmetics,
    Electronics,
    Clothing,
    HealthFood,
    Medical,
    Restaurant,
    Snack,
    Finance,
    Estate,
    Agri,
    Training,
    Company,
    Gov,
    Waimai,
    Mall,
}

impl Biz {
    pub fn slug(self) -> &'static str {
        match self {
            Biz::Tea => "tea",
            Biz::Cosmetics => "beauty",
            Biz::Electronics => "digital",
            Biz::Clothing => "fashion",
            Biz::HealthFood => "health",
            Biz::Medical => "yiliao",
            Biz::Restaurant => "canyin",
            Biz::Snack => "techan",
            Biz::Finance => "licai",
            Biz::Estate => "fang",
            Biz::Agri => "nongzi",
            Biz::Training => "edu",
            Biz::Company => "tech",
            Biz::Gov => "gov",
            Biz::Waimai => "waimai",
            Biz::Mall => "mall",
        }
    }

    /// Sells food or takes food orders: its trading pages must show a JY license.
    pub fn sells_food(self) -> bool {
        matches!(
            self,
            Biz::Tea | Biz::HealthFood | Biz::Restaurant | Biz::Snack
        )
    }

    pub fn trades(self) -> bool {
        !matches!(self, Biz::Company | Biz::Gov)
    }

    /// A short noun for what is sold, used in copy.
    pub fn noun(self) -> &'static str {
        match self {
            Biz::Tea => "茶叶",
            Biz::Cosmetics => "护肤品",
            Biz::Electronics => "数码配件",
            Biz::Clothing => "服装",
            Biz::HealthFood => "保健食品",
            Biz::Medical => "医疗器械",
            Biz::Restaurant => "美食",
            Biz::Snack => "特产零食",
            Biz::Finance => "理财产品",
            Biz::Estate => "楼盘",
            Biz::Agri => "农资",
            Biz::Training => "职业培训",
            Biz::Company => "产品",
            Biz::Gov => "政务",
            Biz::Waimai => "外卖",
            Biz::Mall => "商品",
        }
    }

    fn industry(self) -> &'static str {
        match self {
            Biz::Tea => "茶业",
            Biz::Cosmetics => "化妆品",
            Biz::Electronics => "电子科技",
            Biz::Clothing => "服饰",
            Biz::HealthFood => "生物科技",
            Biz::Medical => "医疗器械",
            Biz::Restaurant => "餐饮管理",
            Biz::Snack => "食品",
            Biz::Finance => "金融信息服务",
            Biz::Estate => "房地产开发",
            Biz::Agri => "农资",
            Biz::Training => "职业培训学校",
            Biz::Company => "科技",
            Biz::Gov => "",
            Biz::Waimai => "网络科技",
            Biz::Mall => "电子商务",
        }
    }

    /// The content categories this kind of business typically commits, most likely first.
    fn natural(self) -> &'static [Category] {
        use Category::*;
        match self {
            Biz::Tea => &[AdAbsoluteTerm, AdMedicalClaim, AdStateEndorsement],
            Biz::Cosmetics => &[AdAbsoluteTerm, AdMedicalClaim, AdStateEndorsement],
            Biz::Electronics | Biz::Clothing => &[AdAbsoluteTerm, AdStateEndorsement],
            Biz::HealthFood => &[AdHealthFoodClaim, AdAbsoluteTerm, AdStateEndorsement],
            Biz::Medical => &[AdMedicalClaim, AdAbsoluteTerm],
            Biz::Restaurant | Biz::Snack => &[AdAbsoluteTerm, AdStateEndorsement],
            Biz::Finance => &[AdInvestmentGuarantee, AdStateEndorsement],
            Biz::Estate => &[AdRealEstatePromise, AdAbsoluteTerm],
            Biz::Agri => &[AdAgriGuarantee, AdAbsoluteTerm],
            Biz::Training => &[AdEducationGuarantee, AdAbsoluteTerm],
            Biz::Company => &[AdAbsoluteTerm, AdStateEndorsement],
            Biz::Gov | Biz::Waimai | Biz::Mall => &[],
        }
    }
}

/// How a GBK site declares its charset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    Utf8,
    /// GBK; `header`: charset in the Content-Type header; `meta`: `<meta charset>` in the page
    /// (neither: undeclared).
    Gbk {
        header: bool,
        meta: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: u32,
    pub name: String,
    /// Price in fen; `None` for non-trading sites' products.
    pub price_fen: Option<u64>,
    pub unit: &'static str,
    pub specs: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Home,
    List(usize),
    Product(usize),
    About,
    Terms,
    Privacy,
    Form,
    NewsList,
    News(usize),
    Directory(usize),
    /// Linked from the homepage but disallowed by robots.txt: carries no truth.
    Trap,
    /// Disallowed and not linked: carries no truth.
    Admin,
}

/// One page of a site, with the snippets seeded on it and its truth.
#[derive(Debug, Clone)]
pub struct Page {
    /// Absolute path on the host (starts with the site's prefix).
    pub path: String,
    pub kind: PageKind,
    /// Extra HTML blocks in the main content.
    pub body: Vec<String>,
    /// Text prepended to the title.
    pub title_extra: Option<String>,
    /// Text appended to the meta description.
    pub meta_extra: Option<String>,
    pub hijack: Option<Hijack>,
    pub truth: BTreeSet<Category>,
    /// Listed in the truth (crawlable: linked and not disallowed).
    pub listed: bool,
    /// Sells food: shows the JY license when the site displays it.
    pub food: bool,
    /// For a form page: carries a consent box; other pages: irrelevant.
    pub consent: bool,
    /// Health food: shows "本品不能代替药物".
    pub disclaimer: bool,
}

impl Page {
    /// The page as its site serves it after rectification ([`crate::World::rectify`]): the
    /// seeded content removed, consent box and disclaimer shown.
    pub fn rectified(&self) -> Page {
        Page {
            body: Vec::new(),
            title_extra: None,
            meta_extra: None,
            hijack: None,
            consent: true,
            disclaimer: true,
            ..self.clone()
        }
    }

    fn new(path: String, kind: PageKind) -> Page {
        Page {
            path,
            kind,
            body: Vec::new(),
            title_extra: None,
            meta_extra: None,
            hijack: None,
            truth: BTreeSet::new(),
            listed: !matches!(kind, PageKind::Trap | PageKind::Admin),
            food: false,
            consent: true,
            disclaimer: true,
        }
    }
}

#[derive(Debug, Clone)]
pub struct News {
    pub title: String,
    pub paras: Vec<String>,
}

/// One site of the simulated web: everything needed to render its pages and its register row
/// (not the store's `Site`, the record of a registered site).
#[derive(Debug, Clone)]
pub struct SimSite {
    pub key: String,
    pub host: String,
    pub prefix: String,
    pub kind: SiteKind,
    pub biz: Biz,
    pub registered: bool,
    pub enc: Enc,
    pub brand: String,
    /// Display name: shop name, site name or government body.
    pub name: String,
    pub company: String,
    pub district: u32,
    pub uscc: Uscc,
    /// The USCC the register holds (differs from `uscc` for a deliberate mismatch).
    pub uscc_register: Uscc,
    /// The label and USCC text shown in the footer, as displayed; `None`: not shown.
    pub license_shown: Option<(&'static str, String)>,
    pub badge: Option<String>,
    pub icp_shown: Option<String>,
    pub icp_register: Option<String>,
    pub psb: String,
    pub food_permit: Option<String>,
    pub permit_shown: bool,
    pub address_register: String,
    pub address_shown: String,
    pub phone: String,
    pub legal_rep: String,
    pub products: Vec<Product>,
    pub lists: Vec<(String, Vec<usize>)>,
    pub news: Vec<News>,
    pub pages: Vec<Page>,
    /// robots.txt body; `None`: 404.
    pub robots: Option<String>,
    pub sitemap: bool,
    /// For a platform: indexes of its shops (into the world's site list).
    pub shops: Vec<usize>,
    /// For a shop: index of its platform and its shop number.
    pub platform: Option<usize>,
    pub shop_no: u32,
    /// Per-site seed for rendering filler text.
    pub seed: u64,
    /// Path style 0..3 for product/list/about URLs.
    pub style: usize,
    /// A cloaking kit (or the honest mobile layout) answering by User-Agent / Referer.
    pub cloak: Option<crate::cloak::Cloak>,
    /// Sites (indexes into the world's site list) that this site's homepage links to in its
    /// footer's 友情链接 block ([`friend_links`]).
    pub friends: Vec<usize>,
    /// For an unregistered site that is not a platform shop: the one way discovery can find it
    /// ([`friend_links`]).
    pub via: Option<Via>,
    /// Pages are sent gzip-encoded to a client that accepts gzip ([`compression`]).
    pub gzip: bool,
    /// The homepage shows the business licence as a picture ([`crate::licence_image`]).
    pub licence_image: Option<crate::licence_image::LicenceImage>,
}

impl SimSite {
    pub fn page(&self, path: &str) -> Option<&Page> {
        self.pages.iter().find(|p| p.path == path)
    }

    pub fn home_path(&self) -> String {
        format!("{}/", self.prefix)
    }

    pub fn subject<'a>(&'a self, product: &'a str) -> Subject<'a> {
        Subject {
            brand: &self.brand,
            product,
            noun: self.biz.noun(),
        }
    }
}

/// A role in the world plan.
#[derive(Debug, Clone, Copy)]
enum Role {
    Platform(Biz),
    Shop(usize, Biz),
    Indie(Biz),
    Gov,
}

const PATTERN: &[Option<Biz>] = &[
    None,
    Some(Biz::Tea),
    None,
    Some(Biz::Company),
    Some(Biz::Cosmetics),
    None,
    Some(Biz::Finance),
    None,
    Some(Biz::Electronics),
    Some(Biz::Estate),
    None,
    Some(Biz::Agri),
    Some(Biz::Clothing),
    None,
    Some(Biz::Training),
    Some(Biz::HealthFood),
    None,
    Some(Biz::Company),
    Some(Biz::Medical),
    Some(Biz::Restaurant),
];

const MALL_BIZ: &[Biz] = &[
    Biz::Snack,
    Biz::Tea,
    Biz::Cosmetics,
    Biz::Electronics,
    Biz::HealthFood,
    Biz::Clothing,
    Biz::Agri,
    Biz::Medical,
];

/// Decides which sites exist: platforms first, then government sites, then a fixed repeating
/// mix, so every kind appears in proportion whatever the seed.
fn plan(n: usize, seed: u64) -> Vec<Role> {
    let mut roles = Vec::with_capacity(n);
    let platforms = if n >= 12 {
        2
    } else if n >= 4 {
        1
    } else {
        0
    };
    if platforms >= 1 {
        roles.push(Role::Platform(Biz::Waimai));
    }
    if platforms >= 2 {
        roles.push(Role::Platform(Biz::Mall));
    }
    let gov = if n >= 10 { (n / 40).clamp(1, 96) } else { 0 };
    roles.extend(std::iter::repeat_n(Role::Gov, gov));
    let offset = (seed % PATTERN.len() as u64) as usize;
    let (mut shop_i, mut mall_i) = (0usize, 0usize);
    let mut i = 0;
    while roles.len() < n {
        let slot = PATTERN[(i + offset) % PATTERN.len()];
        i += 1;
        roles.push(match slot {
            Some(b) => Role::Indie(b),
            None if platforms == 0 => Role::Indie(Biz::Tea),
            None => {
                shop_i += 1;
                if platforms == 1 || shop_i % 2 == 1 {
                    Role::Shop(0, Biz::Restaurant)
                } else {
                    mall_i += 1;
                    Role::Shop(1, MALL_BIZ[(mall_i - 1) % MALL_BIZ.len()])
                }
            }
        });
    }
    roles
}

/// Counters that spread deliberate faults evenly over the sites of a kind.
#[derive(Default)]
struct Counters {
    trading: usize,
    shop: usize,
    food: usize,
    form: usize,
    company: usize,
    gov: usize,
    ordinary: usize,
    prohibited: usize,
    snack: usize,
    gbk: usize,
}

struct Gen {
    rng: Rng,
    hosts: HashSet<String>,
    usccs: HashSet<Uscc>,
    districts: DistrictTable,
    c: Counters,
}

/// Generates every site of a world.
pub fn generate(n: usize, seed: u64) -> Vec<SimSite> {
    let roles = plan(n, seed);
    let mut g = Gen {
        rng: Rng::new(mix(seed, 0x5157_5745_4200)),
        hosts: HashSet::new(),
        usccs: HashSet::new(),
        districts: DistrictTable::nanning(),
        c: Counters::default(),
    };
    let mut sites: Vec<SimSite> = Vec::with_capacity(n);
    let mut platform_index = Vec::new();
    for (i, role) in roles.iter().enumerate() {
        let mut rng = g.rng.fork(i as u64);
        let site = match *role {
            Role::Platform(b) => {
                platform_index.push(sites.len());
                g.platform(&mut rng, b)
            }
            Role::Shop(p, b) => {
                let pi = platform_index[p];
                let no = g.shop_number(&mut rng, &sites[pi]);
                let s = g.shop(&mut rng, b, &sites[pi], pi, no);
                let idx = sites.len();
                sites[pi].shops.push(idx);
                s
            }
            Role::Indie(Biz::Company) => g.company(&mut rng),
            Role::Indie(b) => g.indie(&mut rng, b),
            Role::Gov => g.gov(&mut rng),
        };
        sites.push(site);
    }
    for pi in platform_index {
        finish_platform(&mut sites, pi);
    }
    crate::cloak::assign(&mut sites, seed);
    friend_links(&mut sites, seed);
    crate::cloak::assign_scripts(&mut sites, seed);
    compression(&mut sites);
    crate::near_miss::add(&mut sites, seed);
    crate::licence_image::assign(&mut sites, seed);
    sites
}

/// Which sites send their pages gzip-encoded (to clients that accept gzip): every third site,
/// and every site whose GBK pages declare no charset at all, so that a page that is both
/// compressed and undeclared is met by every reader of evidence. A shop is served as its
/// platform is. Draws nothing from a generator, so no other part of the world moves.
fn compression(sites: &mut [SimSite]) {
    for (i, s) in sites.iter_mut().enumerate() {
        s.gzip = i % 3 == 1
            || matches!(
                s.enc,
                Enc::Gbk {
                    header: false,
                    meta: false
                }
            );
    }
    for i in 0..sites.len() {
        if let Some(p) = sites[i].platform {
            sites[i].gzip = sites[p].gzip;
        }
    }
}

/// Whether a site's homepage may carry a 友情链接 block: a registered independent site or
/// company site (not a platform, shop or government site) whose homepage is served the same to
/// everyone and is not hijacked.
fn can_link(s: &SimSite) -> bool {
    s.registered
        && matches!(s.kind, SiteKind::TradingSite | SiteKind::NonTradingSite)
        && s.biz != Biz::Gov
        && s.prefix.is_empty()
        && s.cloak.is_none()
        && s.pages.first().is_some_and(|p| p.hijack.is_none())
}

/// How an unregistered site can be found, each the only way to it: a link from a registered
/// homepage, another department's filing, a certificate in the CT log, or a link from the
/// homepage of a site of the first kind (two hops from the register).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Link,
    Filing,
    Ct,
    Chain,
}

impl Via {
    pub fn code(self) -> &'static str {
        match self {
            Via::Link => "link",
            Via::Filing => "filing",
            Via::Ct => "ct",
            Via::Chain => "chain",
        }
    }
}

/// The host two hops from the register that is not in the city: a shop elsewhere that a
/// site of the city links to. Discovery must crawl it and set it aside.
pub const ELSEWHERE_HOST: &str = "www.jingdu-youpin.test";

/// Friend links (友情链接) in the footer of some homepages, so that a sweep, which crawls only
/// registered sites, can discover unregistered ones, and the other ways to them. The
/// unregistered independent or company sites take turns: the first of every four is linked from
/// one registered homepage ([`Via::Link`]); the second is named only by its ICP filing (when
/// it has an ICP number; else it is linked); the third only by a certificate in the CT log;
/// the fourth only by a link from the homepage of a site of the first kind that may link
/// ([`Via::Chain`], two hops away; else it is linked). A homepage that carries a chain link
/// also links to [`ELSEWHERE_HOST`], a shop outside the city. About a third of the registered
/// linking homepages also link to a registered site. Platform shops need none: their
/// platform's directory pages list every shop. Deterministic for a seed (its own generator, so
/// no other draw moves). Tiny worlds without a site that may link get no links.
fn friend_links(sites: &mut [SimSite], seed: u64) {
    let linkers: Vec<usize> = (0..sites.len()).filter(|&i| can_link(&sites[i])).collect();
    if linkers.is_empty() {
        return;
    }
    let mut rng = Rng::new(mix(seed, 0x4652_4945_4E44));
    let independent =
        |s: &SimSite| s.prefix.is_empty() && s.biz != Biz::Gov && s.kind != SiteKind::Platform;
    let has_icp = |s: &SimSite| {
        s.icp_register
            .as_deref()
            .or(s.icp_shown.as_deref())
            .is_some_and(|i| domain::Icp::parse(i).is_ok())
    };
    // A site found by a link whose homepage may carry links of its own.
    let may_chain =
        |s: &SimSite| s.cloak.is_none() && s.pages.first().is_some_and(|p| p.hijack.is_none());
    let mut chain_linkers: Vec<usize> = Vec::new();
    let mut u = 0usize;
    for t in 0..sites.len() {
        if sites[t].registered || !independent(&sites[t]) {
            continue;
        }
        let turn = u % 4;
        u += 1;
        let via = match turn {
            1 if has_icp(&sites[t]) => Via::Filing,
            2 => Via::Ct,
            3 if !chain_linkers.is_empty() => Via::Chain,
            _ => Via::Link,
        };
        sites[t].via = Some(via);
        match via {
            Via::Link => {
                let l = linkers[rng.below(linkers.len())];
                sites[l].friends.push(t);
                if may_chain(&sites[t]) {
                    chain_linkers.push(t);
                }
            }
            Via::Chain => {
                let l = chain_linkers[rng.below(chain_linkers.len())];
                sites[l].friends.push(t);
            }
            Via::Filing | Via::Ct => {}
        }
    }
    let known: Vec<usize> = (0..sites.len())
        .filter(|&i| sites[i].registered && independent(&sites[i]))
        .collect();
    for &l in &linkers {
        if rng.chance(35) {
            let r = known[rng.below(known.len())];
            if r != l && !sites[l].friends.contains(&r) {
                sites[l].friends.push(r);
            }
        }
    }
}

impl Gen {
    fn district_name(&self, code: u32) -> String {
        DistrictCode::parse(&code.to_string())
            .ok()
            .and_then(|c| self.districts.name(c).map(str::to_string))
            .unwrap_or_else(|| "青秀区".to_string())
    }

    fn brand(&self, rng: &mut Rng) -> (String, String) {
        loop {
            let a = *rng.pick(BRAND_A);
            let b = *rng.pick(BRAND_B);
            if a.0 != b.0 {
                return (format!("{}{}", a.0, b.0), format!("{}{}", a.1, b.1));
            }
        }
    }

    fn unique_host(&mut self, base: &str, suffix: &str) -> String {
        let mut n = 1;
        loop {
            let h = if n == 1 {
                format!("{base}{suffix}")
            } else {
                format!("{base}{n}{suffix}")
            };
            if self.hosts.insert(h.clone()) {
                return h;
            }
            n += 1;
        }
    }

    fn uscc(&mut self, rng: &mut Rng, prefix2: &str, district: u32) -> Uscc {
        loop {
            let mut body = String::from(if prefix2 == "11" { "MB" } else { "MA" });
            for _ in 0..6 {
                body.push(*rng.pick(domain::uscc::ALPHABET) as char);
            }
            let u = Uscc::complete(&format!("{prefix2}{district}"), &body)
                .expect("generated parts are in the alphabet");
            if self.usccs.insert(u) {
                return u;
            }
        }
    }

    /// A valid code of the same form, used for mismatches and foreign badge serials.
    fn other_uscc(&mut self, rng: &mut Rng, u: &Uscc) -> Uscc {
        let (p, d) = (&u.as_str()[..2], &u.as_str()[2..8]);
        let d: u32 = d.parse().unwrap_or(450103);
        self.uscc(rng, p, d)
    }

    fn address(&self, rng: &mut Rng, district: u32) -> (String, String) {
        let roads = ROADS
            .iter()
            .find(|(c, _)| *c == district)
            .map(|(_, r)| *r)
            .unwrap_or(ROADS[1].1);
        let road = *rng.pick(roads);
        let num = rng.range(1, 320);
        let bldg = *rng.pick(BUILDINGS);
        let tail = if bldg.is_empty() {
            match rng.below(3) {
                0 => String::new(),
                1 => format!("{}号铺面", rng.range(1, 30)),
                _ => format!("{}栋{}室", rng.range(1, 12), rng.range(101, 2208)),
            }
        } else {
            format!("{bldg}{}楼", rng.range(2, 36))
        };
        let core = format!("{}{road}{num}号{tail}", self.district_name(district));
        let full = if rng.chance(30) {
            format!("广西壮族自治区南宁市{core}")
        } else {
            format!("南宁市{core}")
        };
        (full, core)
    }

    /// An address as shown on a page that still matches the register after normalisation.
    fn shown_address(rng: &mut Rng, full: &str, core: &str) -> String {
        match rng.below(4) {
            0 => core.to_string(),
            1 => v::full_width(full)
                .chars()
                .map(|c| if c == '－' { '-' } else { c })
                .collect(),
            _ => full.to_string(),
        }
    }

    /// An address that differs from the register's in substance.
    fn moved_address(&self, rng: &mut Rng, district: u32, core: &str) -> String {
        loop {
            let d = ROADS[rng.below(ROADS.len())].0;
            let d = if rng.chance(50) { district } else { d };
            let (_, c) = self.address(rng, d);
            if c != core {
                return format!("南宁市{c}");
            }
        }
    }

    fn phone(rng: &mut Rng) -> String {
        if rng.chance(60) {
            format!("0771-{}{:06}", rng.range(2, 6), rng.range(0, 999_999))
        } else {
            format!(
                "1{}{:09}",
                *rng.pick(&[3, 5, 7, 8, 9]),
                rng.range(0, 999_999_999)
            )
        }
    }

    fn person(rng: &mut Rng) -> String {
        format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN))
    }

    fn icp(rng: &mut Rng, gov: bool) -> String {
        if gov || rng.chance(25) {
            format!("桂ICP备{:08}号", rng.range(5_000_000, 19_999_999))
        } else {
            format!(
                "桂ICP备{}{:06}号-{}",
                rng.range(2015, 2023),
                rng.range(0, 99_999),
                rng.range(1, 3)
            )
        }
    }

    fn other_icp(rng: &mut Rng, icp: &str) -> String {
        loop {
            let o = Self::icp(rng, false);
            if o != icp {
                return o;
            }
        }
    }

    fn food_permit(rng: &mut Rng, biz: Biz, district: u32) -> String {
        let form = if biz == Biz::Restaurant { 2 } else { 1 };
        format!(
            "JY{form}{district}{:06}{}",
            rng.range(0, 999_999),
            rng.below(10)
        )
    }

    /// How the USCC is labelled and displayed (spaces, lower case, full width).
    fn display_uscc(rng: &mut Rng, code: &str) -> (&'static str, String) {
        let label = *rng.pick(&[
            "统一社会信用代码",
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "营业执照注册号",
        ]);
        let text = match rng.below(8) {
            0 => v::full_width(code),
            1 => code.to_lowercase(),
            2 => format!("{} {} {}", &code[..6], &code[6..12], &code[12..]),
            _ => code.to_string(),
        };
        (label, text)
    }

    fn invalid_uscc(rng: &mut Rng, u: &Uscc) -> String {
        let s = u.as_str();
        let last = s.as_bytes()[17];
        loop {
            let c = *rng.pick(domain::uscc::ALPHABET);
            if c != last {
                return format!("{}{}", &s[..17], c as char);
            }
        }
    }

    fn badge_url(rng: &mut Rng, host: &str, serial_uscc: &Uscc) -> String {
        let u = serial_uscc.as_str();
        let serial = format!(
            "{u}-SAIC_SHOW_{:06}{u}{}",
            rng.range(0, 999_999),
            rng.range(1_483_228_800_000, 1_735_689_600_000)
        );
        let mut sig = String::new();
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%%";
        for _ in 0..44 {
            match B64[rng.below(B64.len())] {
                b'%' => sig.push_str(if rng.chance(50) { "%2B" } else { "%2F" }),
                c => sig.push(c as char),
            }
        }
        format!(
            "https://{host}/businessCheck/verifKey.do?showType=p&amp;serial={serial}&amp;signData={sig}%3D"
        )
    }

    fn fake_badge_host(rng: &mut Rng) -> String {
        rng.pick(&[
            "zzlz.gsxt.gov.cn.verify-cert.test",
            "zzlz-gsxt.gov-cn.test",
            "gsxt.gov.test",
            "zzlz.gsxt-gov.test",
            "www.gsxt-badge.test",
        ])
        .to_string()
    }

    /// A site skeleton with identity fields filled; pages come later.
    #[allow(clippy::too_many_arguments)]
    fn skeleton(
        &mut self,
        rng: &mut Rng,
        biz: Biz,
        kind: SiteKind,
        host: String,
        prefix: String,
        brand: String,
        name: String,
        company: String,
        uscc_prefix: &str,
    ) -> SimSite {
        let district = ROADS[rng.below(ROADS.len())].0;
        let uscc = self.uscc(rng, uscc_prefix, district);
        let (full, core) = self.address(rng, district);
        let shown = Self::shown_address(rng, &full, &core);
        let (label, text) = Self::display_uscc(rng, uscc.as_str());
        let icp = Self::icp(rng, biz == Biz::Gov);
        let psb = format!("桂公网安备{district}{:08}号", rng.range(0, 99_999_999));
        let food_permit = biz
            .sells_food()
            .then(|| Self::food_permit(rng, biz, district));
        let key = format!("{host}{prefix}");
        SimSite {
            key,
            host,
            prefix,
            kind,
            biz,
            registered: true,
            enc: Enc::Utf8,
            gzip: false,
            licence_image: None,
            brand,
            name,
            company,
            district,
            uscc,
            uscc_register: uscc,
            license_shown: Some((label, text)),
            badge: None,
            icp_shown: Some(icp.clone()),
            icp_register: Some(icp),
            psb,
            food_permit,
            permit_shown: true,
            address_register: full,
            address_shown: shown,
            phone: Self::phone(rng),
            legal_rep: Self::person(rng),
            products: Vec::new(),
            lists: Vec::new(),
            news: Vec::new(),
            pages: Vec::new(),
            robots: None,
            sitemap: false,
            shops: Vec::new(),
            platform: None,
            shop_no: 0,
            seed: rng.next_u64(),
            style: rng.below(3),
            cloak: None,
            friends: Vec::new(),
            via: None,
        }
    }

    fn products(rng: &mut Rng, s: &SimSite, count: usize) -> Vec<Product> {
        let mut ids = HashSet::new();
        let mut out = Vec::new();
        while out.len() < count {
            let id = rng.range(1000, 99_999) as u32;
            if !ids.insert(id) {
                continue;
            }
            let region = *rng.pick(REGIONS);
            let (name, price, unit, specs): (String, Option<u64>, &'static str, Vec<String>) =
                match s.biz {
                    Biz::Tea => {
                        let g = rng.range(1, 10) * 50;
                        let mut sp = vec![
                            format!("产地：{region}"),
                            format!("净含量：{g}g"),
                            "储存方法：密封、避光、防潮，常温保存".into(),
                        ];
                        if rng.chance(60) {
                            sp.push(format!("最佳赏味期：{}个月", rng.range(12, 36)));
                        }
                        (
                            format!("{}{}", rng.pick(TEA_GRADE), rng.pick(TEA)),
                            Some(rng.range(38, 1288) * 100),
                            "罐",
                            sp,
                        )
                    }
                    Biz::Cosmetics => (
                        format!("{}{}", s.brand, rng.pick(COSMETICS)),
                        Some(rng.range(39, 599) * 100),
                        "支",
                        vec![
                            format!("规格：{}ml", rng.range(3, 20) * 10),
                            "适用肤质：所有肤质".into(),
                            format!(
                                "备案编号：桂G妆网备字{}{:06}",
                                rng.range(2018, 2024),
                                rng.range(1, 99_999)
                            ),
                        ],
                    ),
                    Biz::Electronics => (
                        format!("{}{}", s.brand, rng.pick(ELECTRONICS)),
                        Some(rng.range(29, 899) * 100 + 90),
                        "件",
                        vec![
                            format!("颜色：{}", rng.pick(&["黑色", "白色", "深空灰", "雾蓝"])),
                            "质保：一年".into(),
                            "支持七天无理由退货".into(),
                        ],
                    ),
                    Biz::Clothing => (
                        format!("{}{}", s.brand, rng.pick(CLOTHING)),
                        Some(rng.range(49, 699) * 100),
                        "件",
                        vec![
                            format!("尺码：{}", rng.pick(&["S/M/L/XL", "均码", "36-44"])),
                            format!("面料：{}", rng.pick(&["棉", "涤纶", "亚麻", "桑蚕丝"])),
                            "支持七天无理由退货".into(),
                        ],
                    ),
                    Biz::HealthFood => (
                        format!("{}{}", s.brand, rng.pick(HEALTH_FOOD)),
                        Some(rng.range(68, 899) * 100),
                        "瓶",
                        vec![
                            format!(
                                "批准文号：国食健注G{}{:04}",
                                rng.range(2015, 2023),
                                rng.range(1, 9999)
                            ),
                            "保健功能：增强免疫力".into(),
                            "不适宜人群：少年儿童、孕妇、乳母".into(),
                            format!("规格：{}粒/瓶", rng.range(3, 12) * 10),
                        ],
                    ),
                    Biz::Medical => (
                        format!("{}{}", s.brand, rng.pick(MEDICAL)),
                        Some(rng.range(19, 2999) * 100),
                        "台",
                        vec![
                            format!(
                                "注册证编号：桂械注准{}{:08}",
                                rng.range(2016, 2023),
                                rng.range(1, 99_999)
                            ),
                            "请仔细阅读产品说明书或者在医务人员的指导下购买和使用".into(),
                            "禁忌内容或者注意事项详见说明书".into(),
                        ],
                    ),
                    Biz::Restaurant => {
                        let mut sp = vec![
                            format!("分量：约{}g", rng.range(3, 8) * 100),
                            format!("辣度：{}", rng.pick(&["不辣", "微辣", "中辣"])),
                        ];
                        if rng.chance(40) {
                            sp.push("最佳食用期：出餐后30分钟内".into());
                        }
                        (
                            rng.pick(DISHES).to_string(),
                            Some(rng.range(12, 68) * 100),
                            "份",
                            sp,
                        )
                    }
                    Biz::Snack => {
                        let mut sp = vec![
                            format!("产地：{region}"),
                            format!("保质期：{}个月", rng.range(6, 18)),
                        ];
                        if rng.chance(50) {
                            sp.push("最佳食用期：开封后7天内".into());
                        }
                        (
                            format!("{}{}", s.brand, rng.pick(SNACKS)),
                            Some(rng.range(15, 168) * 100),
                            "袋",
                            sp,
                        )
                    }
                    Biz::Finance => {
                        let months = *rng.pick(&[3u64, 6, 12, 24]);
                        let rate = rng.range(28, 68);
                        (
                            format!("{}{}个月期", rng.pick(FINANCE), months),
                            Some(*rng.pick(&[1000u64, 5000, 10_000, 50_000]) * 100),
                            "份",
                            vec![
                                format!("预期年化收益率：{}.{}%", rate / 10, rate % 10),
                                format!("期限：{months}个月"),
                                "风险等级：R2（中低风险）".into(),
                                "理财非存款，产品有风险，投资须谨慎".into(),
                            ],
                        )
                    }
                    Biz::Estate => {
                        let area = rng.range(68, 168);
                        (
                            format!(
                                "{}·{} {}",
                                s.brand,
                                rng.pick(ESTATE),
                                rng.pick(&["两室两厅", "三室两厅", "四室两厅"])
                            ),
                            Some(area * rng.range(78, 168) * 10_000),
                            "套",
                            vec![
                                format!("建筑面积：约{area}㎡"),
                                format!("项目地址：{}", s.address_shown),
                                format!(
                                    "预售许可证：南宁市房预售证第{}{:04}号",
                                    rng.range(2019, 2024),
                                    rng.range(1, 999)
                                ),
                                format!("开发商：{}", s.company),
                            ],
                        )
                    }
                    Biz::Agri => (
                        rng.pick(AGRI).to_string(),
                        Some(rng.range(15, 320) * 100),
                        "袋",
                        vec![
                            format!(
                                "登记证号：PD{}{:04}",
                                rng.range(2012, 2022),
                                rng.range(1, 9999)
                            ),
                            "使用方法：按标签说明兑水喷施".into(),
                            format!("安全间隔期：{}天", rng.range(7, 21)),
                            "请仔细阅读标签，按说明使用".into(),
                        ],
                    ),
                    Biz::Training => (
                        format!("{}考试培训班", rng.pick(COURSES)),
                        Some(rng.range(9, 68) * 10_000),
                        "期",
                        vec![
                            format!("课程时长：{}课时", rng.range(4, 20) * 10),
                            "授课方式：线上直播+面授".into(),
                            format!("开班时间：每月{}日", rng.range(1, 28)),
                            format!("授课讲师：具有{}年教学经验", rng.range(5, 15)),
                        ],
                    ),
                    Biz::Company => {
                        let trade = COMPANY_TRADES
                            .iter()
                            .find(|(t, _)| s.company.contains(t))
                            .map(|(_, p)| *p)
                            .unwrap_or(COMPANY_TRADES[0].1);
                        (
                            rng.pick(trade).to_string(),
                            None,
                            "",
                            vec![
                                format!("服务区域：{region}及周边"),
                                format!("{}年行业经验，欢迎来电洽谈", rng.range(3, 20)),
                            ],
                        )
                    }
                    Biz::Gov | Biz::Waimai | Biz::Mall => (String::new(), None, "", vec![]),
                };
            if out.iter().any(|p: &Product| p.name == name) && rng.below(20) != 0 {
                // Prefer distinct names; allow a rare repeat so tiny vocabularies still finish.
                continue;
            }
            out.push(Product {
                id,
                name,
                price_fen: price,
                unit,
                specs,
            });
        }
        out
    }

    fn robots(rng: &mut Rng, s: &mut SimSite, linkable: bool) {
        let r = rng.below(10);
        let mut body = match r {
            0 => {
                s.robots = None;
                return;
            }
            1..=4 => "User-agent: *\nDisallow:\n".to_string(),
            5 | 6 => "User-agent: *\nDisallow: /admin/\n".to_string(),
            7 | 8 if linkable => "User-agent: *\nDisallow: /promo/\n".to_string(),
            7 | 8 => "User-agent: *\nDisallow: /admin/\n".to_string(),
            _ => "User-agent: Baiduspider\nAllow: /\n\nUser-agent: *\nDisallow: /admin/\nDisallow: /cgi-bin/\n"
                .to_string(),
        };
        if body.contains("/admin/") {
            s.pages.push(Page::new("/admin/".into(), PageKind::Admin));
        }
        if body.contains("/promo/") {
            let mut trap = Page::new("/promo/".into(), PageKind::Trap);
            // A robots-respecting crawler never reads this; one that ignores robots.txt finds
            // claims here that are not in the truth.
            let subj = s.subject("");
            trap.body.push(v::absolute_term(rng, &subj));
            s.pages.push(trap);
        }
        s.sitemap = rng.chance(30);
        if s.sitemap {
            body.push_str(&format!("\nSitemap: http://{}/sitemap.xml\n", s.host));
        }
        s.robots = Some(body);
    }

    fn maybe_gbk(&mut self, s: &mut SimSite) {
        self.c.gbk += 1;
        if self.c.gbk % 10 == 5 {
            s.enc = match (self.c.gbk / 10) % 4 {
                // Declared nowhere: a reader has to recognise GBK from the bytes. First, so
                // that small worlds have one too.
                0 => Enc::Gbk {
                    header: false,
                    meta: false,
                },
                1 => Enc::Gbk {
                    header: false,
                    meta: true,
                },
                2 => Enc::Gbk {
                    header: true,
                    meta: false,
                },
                _ => Enc::Gbk {
                    header: true,
                    meta: true,
                },
            };
        }
    }

    fn path(style: usize, what: &str, n: impl std::fmt::Display) -> String {
        match (what, style) {
            ("product", 0) => format!("/product/{n}.html"),
            ("product", 1) => format!("/goods/{n}"),
            ("product", _) => format!("/p/{n}/"),
            ("list", 0) => format!("/list/{n}.html"),
            ("list", 1) => format!("/category/{n}"),
            ("list", _) => format!("/c/{n}/"),
            ("about", 0) => "/about.html".into(),
            ("about", 1) => "/about".into(),
            ("about", _) => "/about/".into(),
            ("terms", 0) => "/terms.html".into(),
            ("terms", 1) => "/agreement".into(),
            ("terms", _) => "/help/terms/".into(),
            ("privacy", 0) => "/privacy.html".into(),
            ("privacy", 1) => "/privacy".into(),
            (_, _) => "/help/privacy/".into(),
        }
    }

    /// Seeds the business's typical content violations on a page.
    fn seed_content(rng: &mut Rng, s: &SimSite, page: &mut Page, product: &str, percent: usize) {
        let natural = s.biz.natural();
        if natural.is_empty() || !rng.chance(percent) {
            return;
        }
        let n = if rng.chance(20) { 2 } else { 1 };
        for k in 0..n {
            let cat = if k == 0 && rng.chance(60) {
                natural[0]
            } else {
                *rng.pick(natural)
            };
            let subj = s.subject(product);
            let text = match cat {
                Category::AdAbsoluteTerm => v::absolute_term(rng, &subj),
                Category::AdStateEndorsement => v::state_endorsement(rng, &subj),
                Category::AdMedicalClaim => v::medical_claim(rng, &subj),
                Category::AdHealthFoodClaim => {
                    match rng.below(3) {
                        // Only the mandatory notice is missing.
                        0 => {
                            page.disclaimer = false;
                            page.truth.insert(cat);
                            continue;
                        }
                        1 => page.disclaimer = false,
                        _ => {}
                    }
                    v::health_food_claim(rng, &subj)
                }
                Category::AdInvestmentGuarantee => v::investment_guarantee(rng, &subj),
                Category::AdRealEstatePromise => v::real_estate_promise(rng, &subj),
                Category::AdAgriGuarantee => v::agri_guarantee(rng, &subj),
                Category::AdEducationGuarantee => v::education_guarantee(rng, &subj),
                _ => continue,
            };
            page.truth.insert(cat);
            let plain = !text.contains('<');
            match rng.below(10) {
                0 | 1 if plain && page.title_extra.is_none() => page.title_extra = Some(text),
                2 if plain && page.meta_extra.is_none() => page.meta_extra = Some(text),
                3 => page.body.push(format!(
                    "<p class=\"promo\">{}</p>",
                    v::script_written(rng, &text)
                )),
                _ => page.body.push(format!("<p class=\"promo\">{text}</p>")),
            }
        }
    }

    /// Applies the structural license/ICP/food/register faults to a trading site or shop and
    /// records them on its start page.
    fn structural(&mut self, rng: &mut Rng, s: &mut SimSite, k: usize, shop: bool) {
        let trades = s.biz.trades();
        s.registered = k % 13 != 3;
        let not_displayed = trades && s.biz != Biz::Estate && k % 11 == 4;
        let invalid = !not_displayed && k % 12 == 6;
        let mismatch = s.registered && !not_displayed && !invalid && k % 12 == 8;
        let bad_badge = !not_displayed && !invalid && !mismatch && k % 10 == 5;
        let good_badge = !not_displayed && !invalid && !mismatch && !bad_badge && rng.chance(45);
        let icp_missing = !shop && k % 9 == 7;
        let icp_mismatch = !shop && s.registered && !icp_missing && k % 10 == 2;
        let mut home = BTreeSet::new();
        if !s.registered && trades {
            home.insert(Category::LicenseUnregistered);
        }
        if not_displayed {
            s.license_shown = None;
            home.insert(Category::LicenseNotDisplayed);
        }
        if invalid {
            let (label, _) = Self::display_uscc(rng, s.uscc.as_str());
            s.license_shown = Some((label, Self::invalid_uscc(rng, &s.uscc)));
            home.insert(Category::LicenseUsccInvalid);
        }
        if mismatch {
            s.uscc_register = self.other_uscc(rng, &s.uscc);
            home.insert(Category::LicenseUsccMismatch);
        }
        if bad_badge {
            if rng.chance(50) {
                let host = Self::fake_badge_host(rng);
                s.badge = Some(Self::badge_url(rng, &host, &s.uscc));
            } else {
                let other = self.other_uscc(rng, &s.uscc);
                s.badge = Some(Self::badge_url(rng, "zzlz.gsxt.gov.cn", &other));
            }
            home.insert(Category::BadgeInvalid);
        } else if good_badge {
            s.badge = Some(Self::badge_url(rng, "zzlz.gsxt.gov.cn", &s.uscc));
        }
        if shop {
            s.icp_shown = None;
            s.icp_register = None;
        } else if icp_missing {
            s.icp_shown = None;
            home.insert(Category::IcpNotDisplayed);
        } else if icp_mismatch {
            let shown = s.icp_shown.clone().unwrap_or_default();
            s.icp_register = Some(Self::other_icp(rng, &shown));
            home.insert(Category::IcpMismatch);
        }
        if s.biz.sells_food() {
            self.c.food += 1;
            let f = self.c.food;
            if f % 7 == 2 {
                s.permit_shown = false;
            }
            if s.registered && f % 6 == 4 {
                let core = s
                    .address_register
                    .trim_start_matches("广西壮族自治区")
                    .trim_start_matches("南宁市")
                    .to_string();
                s.address_shown = self.moved_address(rng, s.district, &core);
                home.insert(Category::FoodAddressMismatch);
            }
        }
        if !s.registered {
            // An unregistered operator shows a code of its own making that is in no register.
            s.uscc_register = s.uscc;
        }
        for p in &mut s.pages {
            if p.kind == PageKind::Home {
                p.truth.extend(home.iter().copied());
            }
            if p.food && !s.permit_shown {
                p.truth.insert(Category::FoodPermitNotDisplayed);
            }
        }
    }

    fn form_page(&mut self, s: &mut SimSite, path: &str) {
        self.c.form += 1;
        let mut p = Page::new(path.into(), PageKind::Form);
        if self.c.form % 3 == 1 {
            p.consent = false;
            p.truth.insert(Category::PrivacyNoPolicy);
        }
        s.pages.push(p);
    }

    fn ordinary_extras(&mut self, rng: &mut Rng, s: &mut SimSite) {
        self.c.ordinary += 1;
        if self.c.ordinary % 23 == 11 {
            let candidates: Vec<usize> = (0..s.pages.len())
                .filter(|&i| {
                    s.pages[i].listed
                        && matches!(
                            s.pages[i].kind,
                            PageKind::Home | PageKind::Product(_) | PageKind::News(_)
                        )
                })
                .collect();
            if !candidates.is_empty() {
                let i = candidates[rng.below(candidates.len())];
                s.pages[i].body.push(v::gambling_offer(rng));
                s.pages[i].truth.insert(Category::ContentGambling);
            }
        }
        if matches!(
            s.biz,
            Biz::Electronics | Biz::Clothing | Biz::Medical | Biz::Agri
        ) {
            self.c.prohibited += 1;
            if self.c.prohibited % 4 == 1 {
                if let Some(p) = s
                    .pages
                    .iter_mut()
                    .filter(|p| matches!(p.kind, PageKind::Product(_)))
                    .nth(rng.below(2))
                {
                    p.body.push(v::prohibited_goods(rng));
                    p.truth.insert(Category::GoodsProhibited);
                }
            }
        }
    }

    /// An independent trading site.
    fn indie(&mut self, rng: &mut Rng, biz: Biz) -> SimSite {
        let (brand, slug) = self.brand(rng);
        let host = self.unique_host(&format!("www.{slug}-{}", biz.slug()), ".test");
        let city = *rng.pick(&["南宁", "南宁市", "广西"]);
        let form = *rng.pick(&["有限公司", "有限责任公司"]);
        let company = format!("{city}{brand}{}{form}", biz.industry());
        let name = format!("{brand}{}", biz.noun());
        let mut s = self.skeleton(
            rng,
            biz,
            SiteKind::TradingSite,
            host,
            String::new(),
            brand,
            name,
            company,
            "91",
        );
        self.maybe_gbk(&mut s);
        let count = match biz {
            Biz::Restaurant => rng.range(6, 10),
            Biz::Estate => rng.range(3, 5),
            _ => rng.range(4, 8),
        } as usize;
        s.products = Self::products(rng, &s, count);
        let nlists = 1 + rng.below(3.min(count / 2));
        for l in 0..nlists {
            let items: Vec<usize> = (0..count).filter(|i| i % nlists == l).collect();
            let title = format!("{}·{}", s.biz.noun(), ["精选", "热卖", "特惠"][l]);
            s.lists.push((title, items));
        }
        let food = biz.sells_food();
        let style = s.style;
        let mut home = Page::new("/".into(), PageKind::Home);
        home.food = food;
        s.pages.push(home);
        for l in 0..nlists {
            let mut p = Page::new(Self::path(style, "list", l + 1), PageKind::List(l));
            p.food = food;
            s.pages.push(p);
        }
        for i in 0..count {
            let mut p = Page::new(
                Self::path(style, "product", s.products[i].id),
                PageKind::Product(i),
            );
            p.food = food;
            s.pages.push(p);
        }
        for (kind, what) in [
            (PageKind::About, "about"),
            (PageKind::Terms, "terms"),
            (PageKind::Privacy, "privacy"),
        ] {
            s.pages.push(Page::new(Self::path(style, what, ""), kind));
        }
        let form_path = match biz {
            Biz::Finance => Some("/apply.html"),
            Biz::Training => Some("/signup.html"),
            _ if rng.chance(30) => Some("/member/register.html"),
            _ => None,
        };
        if let Some(fp) = form_path {
            self.form_page(&mut s, fp);
        }
        Self::robots(rng, &mut s, true);

        // Content violations.
        for i in 0..s.pages.len() {
            let mut page = s.pages[i].clone();
            match page.kind {
                PageKind::Product(pi) => {
                    let name = s.products[pi].name.clone();
                    Self::seed_content(rng, &s, &mut page, &name, 35);
                    if rng.chance(4) {
                        let subj = s.subject(&name);
                        page.body.push(format!(
                            "<p class=\"note\">{}</p>",
                            v::unfair_clause(rng, &subj)
                        ));
                        page.truth.insert(Category::ContractUnfairClause);
                    }
                }
                PageKind::Home => {
                    let name = s.products[0].name.clone();
                    Self::seed_content(rng, &s, &mut page, &name, 18);
                }
                PageKind::List(_) => {
                    let name = s.products[0].name.clone();
                    Self::seed_content(rng, &s, &mut page, &name, 8);
                }
                _ => {}
            }
            s.pages[i] = page;
        }
        self.c.trading += 1;
        let t = self.c.trading;
        if t.is_multiple_of(3) {
            let subj = s.subject("");
            let clauses: Vec<String> = (0..rng.range(1, 2))
                .map(|_| format!("<p>{}</p>", v::unfair_clause(rng, &subj)))
                .collect();
            if let Some(p) = s.pages.iter_mut().find(|p| p.kind == PageKind::Terms) {
                p.body.extend(clauses);
                p.truth.insert(Category::ContractUnfairClause);
            }
        }
        self.ordinary_extras(rng, &mut s);
        self.structural(rng, &mut s, t, false);
        s
    }

    fn company(&mut self, rng: &mut Rng) -> SimSite {
        let (brand, slug) = self.brand(rng);
        let (trade, _) = *rng.pick(COMPANY_TRADES);
        let host = self.unique_host(&format!("www.{slug}-{}", Biz::Company.slug()), ".test");
        let company = format!(
            "{}{brand}{trade}有限公司",
            rng.pick(&["南宁", "广西", "南宁市"])
        );
        let mut s = self.skeleton(
            rng,
            Biz::Company,
            SiteKind::NonTradingSite,
            host,
            String::new(),
            brand.clone(),
            format!("{brand}{trade}"),
            company,
            "91",
        );
        self.maybe_gbk(&mut s);
        let count = rng.range(3, 5) as usize;
        s.products = Self::products(rng, &s, count);
        s.lists.push(("产品与服务".into(), (0..count).collect()));
        let news_n = rng.range(2, 4) as usize;
        for k in 0..news_n {
            s.news.push(company_news(rng, &s, k, trade == "旅行社"));
        }
        let style = s.style;
        s.pages.push(Page::new("/".into(), PageKind::Home));
        s.pages
            .push(Page::new(Self::path(style, "list", 1), PageKind::List(0)));
        for i in 0..count {
            s.pages.push(Page::new(
                Self::path(style, "product", s.products[i].id),
                PageKind::Product(i),
            ));
        }
        s.pages.push(Page::new("/news/".into(), PageKind::NewsList));
        for k in 0..news_n {
            s.pages.push(Page::new(
                format!("/news/{}.html", k + 1),
                PageKind::News(k),
            ));
        }
        for (kind, what) in [
            (PageKind::About, "about"),
            (PageKind::Terms, "terms"),
            (PageKind::Privacy, "privacy"),
        ] {
            s.pages.push(Page::new(Self::path(style, what, ""), kind));
        }
        if rng.chance(25) {
            self.form_page(&mut s, "/contact.html");
        }
        Self::robots(rng, &mut s, true);
        for i in 0..s.pages.len() {
            if let PageKind::Product(pi) = s.pages[i].kind {
                let mut page = s.pages[i].clone();
                let name = s.products[pi].name.clone();
                Self::seed_content(rng, &s, &mut page, &name, 15);
                s.pages[i] = page;
            }
        }
        self.c.company += 1;
        let c = self.c.company;
        s.registered = c % 5 != 2;
        if c % 2 == 1 {
            s.license_shown = None;
        }
        let mut home = BTreeSet::new();
        if c % 7 == 3 {
            s.icp_shown = None;
            home.insert(Category::IcpNotDisplayed);
        } else if s.registered && c % 8 == 5 {
            let shown = s.icp_shown.clone().unwrap_or_default();
            s.icp_register = Some(Self::other_icp(rng, &shown));
            home.insert(Category::IcpMismatch);
        }
        if s.license_shown.is_some() && c % 9 == 4 {
            let (label, _) = Self::display_uscc(rng, s.uscc.as_str());
            s.license_shown = Some((label, Self::invalid_uscc(rng, &s.uscc)));
            home.insert(Category::LicenseUsccInvalid);
        }
        if c % 6 == 3 {
            // A hacked company site: a hidden link farm, sometimes a rewritten title too.
            let mut h = v::hijack(rng);
            if rng.chance(50) {
                h.title.clear();
                h.keywords.clear();
            }
            home.insert(Category::SiteHijacked);
            home.insert(Category::ContentGambling);
            s.pages[0].hijack = Some(h);
        }
        s.pages[0].truth.extend(home);
        self.ordinary_extras(rng, &mut s);
        s
    }

    fn gov(&mut self, rng: &mut Rng) -> SimSite {
        let g = self.c.gov;
        self.c.gov += 1;
        let (unit, abbr) = GOV_UNITS[g % GOV_UNITS.len()];
        let (dept, dabbr) = GOV_DEPTS[(g / GOV_UNITS.len()) % GOV_DEPTS.len()];
        let base = if dabbr.is_empty() {
            abbr.to_string()
        } else {
            format!("{dabbr}.{abbr}")
        };
        let host = self.unique_host(&base, ".gov.test");
        let name = if dept.is_empty() {
            format!("南宁市{unit}人民政府")
        } else {
            format!("南宁市{unit}{dept}")
        };
        let mut s = self.skeleton(
            rng,
            Biz::Gov,
            SiteKind::NonTradingSite,
            host,
            String::new(),
            unit.to_string(),
            name.clone(),
            name,
            "11",
        );
        self.maybe_gbk(&mut s);
        // A government body sits in its own district and shows a landline.
        s.district = ROADS[g % GOV_UNITS.len()].0;
        s.uscc = self.uscc(rng, "11", s.district);
        s.uscc_register = s.uscc;
        let (full, _) = self.address(rng, s.district);
        s.address_register = full.clone();
        s.address_shown = full;
        s.psb = format!("桂公网安备{}{:08}号", s.district, rng.range(0, 99_999_999));
        s.phone = format!("0771-{}{:06}", rng.range(2, 6), rng.range(0, 999_999));
        s.license_shown = None;
        s.badge = None;
        let news_n = rng.range(3, 5) as usize;
        for k in 0..news_n {
            s.news.push(gov_notice(rng, &s, k));
        }
        s.pages.push(Page::new("/".into(), PageKind::Home));
        s.pages.push(Page::new("/tzgg/".into(), PageKind::NewsList));
        for k in 0..news_n {
            s.pages.push(Page::new(
                format!("/tzgg/{}{:02}.html", 2024, k + 1),
                PageKind::News(k),
            ));
        }
        s.pages
            .push(Page::new("/jgzn.html".into(), PageKind::About));
        s.pages
            .push(Page::new("/wzsm.html".into(), PageKind::Terms));
        s.pages
            .push(Page::new("/yszc.html".into(), PageKind::Privacy));
        Self::robots(rng, &mut s, false);
        if g % 3 != 1 {
            let target = if g.is_multiple_of(2) { 0 } else { 2 };
            let p = &mut s.pages[target];
            p.hijack = Some(v::hijack(rng));
            p.truth.insert(Category::SiteHijacked);
            p.truth.insert(Category::ContentGambling);
        }
        s
    }

    fn platform(&mut self, rng: &mut Rng, biz: Biz) -> SimSite {
        let (host, brand, name) = if biz == Biz::Waimai {
            ("waimai.test", "邕城", "邕城外卖")
        } else {
            ("mall.test", "桂品", "桂品商城")
        };
        self.hosts.insert(host.into());
        let company = format!("广西{brand}{}有限公司", biz.industry());
        let mut s = self.skeleton(
            rng,
            biz,
            SiteKind::Platform,
            host.into(),
            String::new(),
            brand.into(),
            name.into(),
            company,
            "91",
        );
        s.badge = Some(Self::badge_url(rng, "zzlz.gsxt.gov.cn", &s.uscc));
        s.style = 0;
        s.robots = Some("User-agent: *\nDisallow: /cart/\nDisallow: /admin/\n".into());
        s.pages.push(Page::new("/".into(), PageKind::Home));
        s.pages
            .push(Page::new("/about.html".into(), PageKind::About));
        s.pages
            .push(Page::new("/terms.html".into(), PageKind::Terms));
        s.pages
            .push(Page::new("/privacy.html".into(), PageKind::Privacy));
        s
    }

    fn shop_number(&mut self, rng: &mut Rng, platform: &SimSite) -> u32 {
        loop {
            let n = rng.range(1000, 99_999) as u32;
            let taken = self.hosts.contains(&format!("{}/shop/{n}", platform.host));
            if !taken {
                self.hosts.insert(format!("{}/shop/{n}", platform.host));
                return n;
            }
        }
    }

    fn shop(&mut self, rng: &mut Rng, biz: Biz, platform: &SimSite, pi: usize, no: u32) -> SimSite {
        let (mut brand, _) = self.brand(rng);
        let mut special = false;
        if biz == Biz::Snack {
            self.c.snack += 1;
            // A registered name that contains 第一: not an absolute claim.
            special = self.c.snack == 1;
        }
        let (name, company, prefix2) = if biz == Biz::Restaurant {
            let dish = *rng.pick(DISHES);
            let sign = *rng.pick(&["店", "馆", "·南宁店", "（总店）"]);
            (
                format!("{brand}{dish}{sign}"),
                format!("南宁市{brand}{dish}店"),
                "92",
            )
        } else if special {
            brand = "第一食品".into();
            (
                "第一食品旗舰店".to_string(),
                "南宁第一食品有限公司".to_string(),
                "91",
            )
        } else {
            (
                format!(
                    "{brand}{}{}",
                    biz.noun(),
                    rng.pick(&["旗舰店", "专营店", "官方店"])
                ),
                format!("南宁{brand}{}有限公司", biz.industry()),
                "91",
            )
        };
        let prefix = format!("/shop/{no}");
        let mut s = self.skeleton(
            rng,
            biz,
            SiteKind::PlatformShop,
            platform.host.clone(),
            prefix.clone(),
            brand,
            name,
            company,
            prefix2,
        );
        s.platform = Some(pi);
        s.shop_no = no;
        let count = rng.range(2, 5) as usize;
        s.products = Self::products(rng, &s, count);
        let food = biz.sells_food();
        let mut main = Page::new(format!("{prefix}/"), PageKind::Home);
        main.food = food;
        s.pages.push(main);
        for i in 0..count {
            let mut p = Page::new(
                format!("{prefix}/item/{}.html", s.products[i].id),
                PageKind::Product(i),
            );
            p.food = food;
            s.pages.push(p);
        }
        for i in 0..s.pages.len() {
            let mut page = s.pages[i].clone();
            if let PageKind::Product(pi) = page.kind {
                let name = s.products[pi].name.clone();
                Self::seed_content(rng, &s, &mut page, &name, 30);
            }
            s.pages[i] = page;
        }
        self.c.shop += 1;
        let k = self.c.shop;
        self.ordinary_extras(rng, &mut s);
        self.structural(rng, &mut s, k, true);
        s
    }
}

/// Adds the directory pages once a platform's shops are known.
fn finish_platform(sites: &mut [SimSite], pi: usize) {
    let n = sites[pi].shops.len();
    let pages = n.div_ceil(SHOPS_PER_DIRECTORY_PAGE);
    for d in 0..pages {
        sites[pi].pages.push(Page::new(
            format!("/shops/{}.html", d + 1),
            PageKind::Directory(d),
        ));
    }
}

/// Shops listed per platform directory page.
pub const SHOPS_PER_DIRECTORY_PAGE: usize = 40;

fn company_news(rng: &mut Rng, s: &SimSite, k: usize, travel: bool) -> News {
    let month = rng.range(1, 12);
    if travel || (k == 1 && rng.chance(25)) {
        return News {
            title: format!("{}组织员工赴港澳考察交流", s.brand),
            paras: vec![
                format!("{}月，{}组织部分员工赴香港、澳门考察交流。", month, s.company),
                "在澳门期间，一行人参观了大三巴牌坊、议事亭前地等历史城区景点，了解当地文旅产业发展情况。".into(),
                "此次考察为公司拓展港澳线路积累了经验。".into(),
            ],
        };
    }
    let topics = [
        (
            "顺利通过年度质量管理体系审核",
            "公司将继续完善质量管理制度。",
        ),
        (
            "参加中国—东盟博览会",
            "展会期间，公司与多家企业达成合作意向。",
        ),
        (
            "开展消防安全演练",
            "演练共分三个环节，第一步为疏散逃生，第二步为灭火器实操。",
        ),
        ("新办公场所正式启用", "欢迎新老客户莅临参观指导。"),
    ];
    let (t, p) = topics[rng.below(topics.len())];
    News {
        title: format!("{}{t}", s.brand),
        paras: vec![
            format!("{}月{}日，{}{t}。", month, rng.range(1, 28), s.company),
            p.into(),
        ],
    }
}

fn gov_notice(rng: &mut Rng, s: &SimSite, k: usize) -> News {
    let year = rng.range(2019, 2024);
    if k == 1 && rng.chance(60) {
        return News {
            title: format!("{year}年度本级福利彩票公益金使用情况公告"),
            paras: vec![
                format!("根据福利彩票公益金管理有关规定，现将{}{year}年度本级福利彩票公益金使用情况公告如下。", s.name),
                format!("全年共使用福利彩票公益金{}万元，主要用于养老服务、儿童福利和社会救助项目。", rng.range(80, 900)),
                "欢迎社会各界监督。".into(),
            ],
        };
    }
    if k == 2 && rng.chance(40) {
        return News {
            title: "关于组织开展港澳文旅交流活动的通知".into(),
            paras: vec![
                "为促进文旅交流合作，拟组织辖区文旅企业赴澳门开展交流活动。".into(),
                "活动期间将走访澳门旅游局及部分景区，学习历史城区保护经验。".into(),
            ],
        };
    }
    let topic = *rng.pick(GOV_TOPICS);
    News {
        title: format!("关于做好{year}年{topic}工作的通知"),
        paras: vec![
            "各乡镇（街道）、各有关单位：".into(),
            format!("为切实做好{year}年{topic}工作，现将有关事项通知如下。"),
            "一、提高认识，加强组织领导。二、明确任务，压实工作责任。三、加强宣传，营造良好氛围。"
                .into(),
            format!("联系电话：{}", s.phone),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_mixes_roles() {
        let roles = plan(200, 1);
        assert_eq!(roles.len(), 200);
        assert!(matches!(roles[0], Role::Platform(Biz::Waimai)));
        assert_eq!(plan(1, 1).len(), 1);
        assert_eq!(plan(0, 1).len(), 0);
    }

    #[test]
    fn start_pages_come_first() {
        for s in generate(60, 4) {
            assert_eq!(s.pages[0].kind, PageKind::Home, "{}", s.key);
            assert_eq!(s.pages[0].path, s.home_path());
        }
    }
}
