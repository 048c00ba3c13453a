//! Business licences shown as an image (营业执照 as a PNG), some forged.
//!
//! [`assign`] picks, with its own random stream (no other draw of the world moves), a few
//! registered sites that show their own, valid USCC as text, and makes their homepage show the
//! licence as a picture instead (`<img src="/images/yyzz.png" alt="营业执照">`). About a third
//! are forged: the check character changed (`license.uscc_invalid`), or another company's valid
//! USCC (`license.uscc_mismatch`). The truth lists them apart from the pages' text
//! (`SiteTruth::licence_image`): only a reader that OCRs the image can see them.
//!
//! The picture is rasterised here in pure Rust (`ab_glyph`) with a CJK font found on the
//! machine ([`FONT_PATHS`], or `WANGJIAN_CJK_FONT`), 800×560, grey, PNG-encoded by hand
//! (zlib through `flate2`). Without a CJK font the licence is shown as text instead (forgery
//! included, so the truth moves into `pages`), and simweb says so once on stderr.

use crate::prng::{mix, Rng};
use crate::site::SimSite;
use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use domain::Category;
use std::sync::OnceLock;

/// Where the licence picture is served on a site.
pub const IMAGE_PATH: &str = "/images/yyzz.png";
/// The picture's size in pixels.
pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 560;

/// CJK fonts looked for, in order (Debian's fonts-wqy-zenhei first).
pub const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];

/// How a licence picture lies, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// The site's USCC with another check character.
    CheckDigit,
    /// Another company's (valid) USCC.
    OtherCompany,
}

/// A licence picture on a site's homepage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceImage {
    pub forgery: Option<Forgery>,
    /// The USCC printed on the picture.
    pub uscc: String,
    /// Registration date printed (YYYY年MM月DD日).
    pub founded: String,
}

impl LicenceImage {
    /// The categories the picture carries.
    pub fn categories(&self) -> Vec<Category> {
        match self.forgery {
            None => Vec::new(),
            Some(Forgery::CheckDigit) => vec![Category::LicenseUsccInvalid],
            Some(Forgery::OtherCompany) => vec![Category::LicenseUsccMismatch],
        }
    }
}

/// Picks the sites that show their licence as a picture (own stream: `mix(seed, "LICIMG")`).
pub fn assign(sites: &mut [SimSite], seed: u64) {
    let mut rng = Rng::new(mix(seed, 0x4C49_4349_4D47));
    let usccs: Vec<String> = sites
        .iter()
        .map(|s| s.uscc_register.as_str().to_string())
        .collect();
    for i in 0..sites.len() {
        let s = &sites[i];
        let shows_own = s.license_shown.as_ref().is_some_and(|(_, code)| {
            domain::text::compact_upper(code) == s.uscc.as_str() && s.uscc == s.uscc_register
        });
        let eligible = shows_own
            && s.registered
            && s.platform.is_none()
            && s.shops.is_empty()
            && s.cloak.is_none()
            && s.badge.is_none()
            && s.biz != crate::site::Biz::Gov;
        // Draw for every site, eligible or not, so that the choice of one site does not depend
        // on another's eligibility.
        let roll = rng.below(100);
        let kind = rng.below(3);
        let other = rng.below(sites.len().max(1));
        let founded = format!(
            "{}年{:02}月{:02}日",
            rng.range(2008, 2022),
            rng.range(1, 12),
            rng.range(1, 28)
        );
        if !eligible || roll >= 10 {
            continue;
        }
        let own = s.uscc.as_str().to_string();
        let (forgery, uscc) = match kind {
            0 => (Some(Forgery::CheckDigit), with_other_check(&own)),
            1 => match (0..usccs.len())
                .map(|k| &usccs[(other + k) % usccs.len()])
                .find(|u| **u != own)
            {
                Some(u) => (Some(Forgery::OtherCompany), u.clone()),
                None => (None, own),
            },
            _ => (None, own),
        };
        sites[i].licence_image = Some(LicenceImage {
            forgery,
            uscc,
            founded,
        });
    }
}

/// `code` with the next check character of the alphabet (never the right one).
fn with_other_check(code: &str) -> String {
    let alphabet = domain::uscc::ALPHABET;
    let last = code.as_bytes()[17];
    let at = alphabet.iter().position(|&c| c == last).unwrap_or(0);
    let next = alphabet[(at + 7) % alphabet.len()];
    format!("{}{}", &code[..17], next as char)
}

/// The CJK font, loaded once; `None` (said once on stderr) when none is installed.
pub fn font() -> Option<&'static FontVec> {
    static FONT: OnceLock<Option<FontVec>> = OnceLock::new();
    FONT.get_or_init(|| {
        let from_env = std::env::var("WANGJIAN_CJK_FONT").ok();
        let found = from_env
            .iter()
            .map(String::as_str)
            .chain(FONT_PATHS.iter().copied())
            .find_map(|p| {
                let data = std::fs::read(p).ok()?;
                FontVec::try_from_vec_and_index(data, 0).ok()
            });
        if found.is_none() {
            eprintln!(
                "simweb: no CJK font found ({}); licence images are shown as text",
                FONT_PATHS.join(", ")
            );
        }
        found
    })
    .as_ref()
}

/// The text lines of a site's licence picture: (text, pixel size, x, baseline y).
fn lines(s: &SimSite, img: &LicenceImage) -> Vec<(String, f32, f32, f32)> {
    let mut out = vec![("营业执照".to_string(), 56.0, 288.0, 92.0)];
    let fields = [
        format!("统一社会信用代码：{}", img.uscc),
        format!("名称：{}", s.company),
        "类型：有限责任公司".to_string(),
        format!("法定代表人：{}", s.legal_rep),
        format!("住所：{}", s.address_register),
        format!("成立日期：{}", img.founded),
        "登记机关：南宁市市场监督管理局".to_string(),
    ];
    for (n, f) in fields.into_iter().enumerate() {
        // The code's line larger: it is what must read back exactly.
        let size = if n == 0 { 38.0 } else { 32.0 };
        out.push((f, size, 56.0, 172.0 + 54.0 * n as f32));
    }
    out
}

/// The licence picture of `s` as PNG bytes; `None` without a font or a picture.
pub fn png(s: &SimSite) -> Option<Vec<u8>> {
    let img = s.licence_image.as_ref()?;
    let font = font()?;
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    // A cream sheet, a double frame.
    let mut px = vec![246u8; w * h];
    for (inset, thick) in [(14usize, 4usize), (26, 1)] {
        for y in inset..h - inset {
            for x in inset..w - inset {
                let edge = x < inset + thick
                    || x >= w - inset - thick
                    || y < inset + thick
                    || y >= h - inset - thick;
                if edge {
                    px[y * w + x] = 90;
                }
            }
        }
    }
    for (text, size, x0, baseline) in lines(s, img) {
        let scale = PxScale::from(size);
        let scaled = font.as_scaled(scale);
        let mut x = x0;
        for c in text.chars() {
            let id = font.glyph_id(c);
            let glyph = id.with_scale_and_position(scale, ab_glyph::point(x, baseline));
            x += scaled.h_advance(id);
            if x > (w - 40) as f32 {
                break;
            }
            if let Some(outline) = font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|gx, gy, cov| {
                    let (px_x, px_y) = (b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64);
                    if px_x >= 0 && px_y >= 0 && (px_x as usize) < w && (px_y as usize) < h {
                        let p = &mut px[px_y as usize * w + px_x as usize];
                        let ink = (cov.clamp(0.0, 1.0) * 240.0) as u8;
                        *p = (*p).min(255u8.saturating_sub(ink).max(10));
                    }
                });
            }
        }
    }
    Some(encode_gray_png(WIDTH, HEIGHT, &px))
}

/// A greyscale 8-bit PNG (filter 0 on every row).
pub fn encode_gray_png(width: u32, height: u32, px: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut raw = Vec::with_capacity(px.len() + height as usize);
    for row in px.chunks(width as usize) {
        raw.push(0);
        raw.extend_from_slice(row);
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).expect("writing to memory");
    let idat = z.finish().expect("writing to memory");
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    };
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &idat);
    chunk(b"IEND", &[]);
    out
}

/// The homepage footer's licence line of a site with a licence picture: the picture, or, with
/// no CJK font to draw it, the same licence as text. `None` for other sites.
pub fn footer_html(s: &SimSite) -> Option<String> {
    let img = s.licence_image.as_ref()?;
    Some(if font().is_some() {
        format!(
            "<p>{} <img src=\"{IMAGE_PATH}\" alt=\"营业执照\" width=\"400\" height=\"280\"></p>\n",
            s.company
        )
    } else {
        format!("<p>{} 统一社会信用代码：{}</p>\n", s.company, img.uscc)
    })
}
