//! `wangjian eval`: detection quality against simweb's ground truth.
//!
//! Generates a world, scans every truth page exactly as a sweep would (the served bytes decoded
//! with `http_msg::decode_text`, the same page context, the register view built from the world's
//! register CSV through `store::import::parse` and `sweep::register_facts`), and compares the set of
//! categories found on each page with the truth. Per page, never deduplicated across pages.
//! Only the plain browser view is scanned (`World::response`, the truth's `pages`; the
//! homepages of the script kits and their honest look-alikes are scanned with their inline
//! scripts, which must not be findings by themselves): cloaking (the truth's `cloaked`, seen
//! only by spiders, search visitors or a rendered probe) is left out of the figures and
//! measured by the probe tests (`crates/sweep/tests/it/cloaking.rs`, `tests/it/probes.rs`);
//! eval counts the kits and look-alikes of the world on stderr.
//! Licence pictures (the truth's `licence_image`) are read by OCR (crate `ocr`, as the sweep
//! reads them) and checked with `Detector::check_licence_reading`; their categories count on
//! the page that shows them. Without tesseract they are left out of both sides, and eval says
//! so on stderr.
//!
//! Output: one line per category `<category> tp fp fn precision recall`, then last
//! `eval: precision <P> recall <R>`, micro-averaged over (page, category) pairs.

use crate::cli::EvalArgs;
use detect::{Category, Detector, PageContext};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::ExitCode;

/// Counts of one category.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    tp: u64,
    fp: u64,
    fn_: u64,
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

pub fn eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let world = simweb::World::generate(&simweb::GenParams {
        sites: args.sites,
        seed: args.seed,
    });
    let truth = world.truth();
    let csv = world.register_csv();
    let parsed = store::import::parse(
        csv.as_bytes(),
        store::import::Format::Csv,
        store::import::SourceEncoding::Utf8,
    );
    if let Some(fatal) = &parsed.fatal {
        anyhow::bail!("the world's register does not parse: {fatal}");
    }
    let register = sweep::register_facts::index(parsed.rows.iter().map(|(_, e)| e));
    let detector = Detector::builtin();
    let engine = ocr::Tesseract::locate();
    let limits = ocr::Limits::default();
    let (mut pictures, mut ocr_time) = (0u64, std::time::Duration::ZERO);

    let mut counts: BTreeMap<Category, Counts> = Category::ALL
        .iter()
        .map(|&c| (c, Counts::default()))
        .collect();
    let mut err = std::io::stderr().lock();
    let mut pages = 0u64;
    let mut suppressed = 0u64;
    let started = std::time::Instant::now();
    for st in truth.sites.values() {
        let view = register.view(&st.host, &st.path_prefix);
        let site_kind = view.facts().and_then(|f| f.kind);
        let home = format!("{}/", st.path_prefix.trim_end_matches('/'));
        for (path, expected) in &st.pages {
            let Some(resp) = world.response(&st.host, path) else {
                anyhow::bail!("simweb does not serve its truth page {}{path}", st.host);
            };
            let decoded = http_msg::decode_text(&resp.body, Some(&resp.content_type));
            let url = format!("http://{}{path}", st.host);
            let ctx = PageContext {
                url: &url,
                is_site_home: *path == home,
                site_kind,
                register: view,
                badges: None,
            };
            // Suppressed findings (a quotation, a trademark, the page's genre) are not findings.
            let (mut findings, held): (Vec<_>, Vec<_>) = detector
                .scan_html(&decoded.text, &ctx)
                .into_iter()
                .partition(|f| f.is_live());
            suppressed += held.len() as u64;
            pages += 1;
            let mut expected = expected.clone();
            if let (Some(img), Ok(engine)) = (
                st.licence_image.as_ref().filter(|i| i.page == *path),
                &engine,
            ) {
                let Some(png) = world.response(&st.host, &img.image) else {
                    anyhow::bail!(
                        "simweb does not serve its licence picture {}{}",
                        st.host,
                        img.image
                    );
                };
                pictures += 1;
                expected.extend(img.categories.iter().copied());
                match engine.read(&png.body, &limits) {
                    Ok(reading) => {
                        ocr_time += reading.elapsed;
                        let (more, read) = detector.check_licence_reading(&reading.text, &ctx);
                        if read.looks_like_licence() {
                            findings.retain(|f| f.category != Category::LicenseNotDisplayed);
                        }
                        findings.extend(more);
                    }
                    Err(e) => writeln!(
                        err,
                        "eval: licence picture {}{} not read: {} {e}",
                        st.host,
                        img.image,
                        e.code()
                    )?,
                }
            }
            let expected = &expected;
            let found: BTreeSet<Category> = findings.iter().map(|f| f.category).collect();
            for &c in found.union(expected) {
                let e = counts.entry(c).or_default();
                match (found.contains(&c), expected.contains(&c)) {
                    (true, true) => e.tp += 1,
                    (true, false) => {
                        e.fp += 1;
                        if args.show_errors {
                            let ex: Vec<&str> = findings
                                .iter()
                                .filter(|f| f.category == c)
                                .map(|f| f.excerpt.as_str())
                                .collect();
                            writeln!(err, "FP {} {url} {ex:?}", c.code())?;
                        }
                    }
                    (false, true) => {
                        e.fn_ += 1;
                        if args.show_errors {
                            writeln!(err, "FN {} {url}", c.code())?;
                        }
                    }
                    (false, false) => {}
                }
            }
        }
    }
    let elapsed = started.elapsed();
    match &engine {
        Ok(e) => writeln!(
            err,
            "eval: {pictures} licence pictures read by {} in {:.2} s",
            e.version(),
            ocr_time.as_secs_f64()
        )?,
        Err(u) => {
            let skipped = truth
                .sites
                .values()
                .filter(|s| s.licence_image.is_some())
                .count();
            writeln!(
                err,
                "eval: OCR unavailable ({}: {u}); {skipped} licence pictures not read and not counted",
                u.code()
            )?
        }
    }
    let mut kits: BTreeMap<&str, usize> = BTreeMap::new();
    let mut honest: BTreeMap<&str, usize> = BTreeMap::new();
    for st in truth.sites.values() {
        if let Some(c) = &st.cloaked {
            *kits.entry(c.kind.as_str()).or_default() += 1;
        }
        if st.mobile_layout {
            *honest.entry("mobile-layout").or_default() += 1;
        }
        if let Some(h) = &st.honest_script {
            *honest.entry(h.as_str()).or_default() += 1;
        }
    }
    let list = |m: &BTreeMap<&str, usize>| -> String {
        m.iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(
        err,
        "eval: cloaking kits (probes only): {}; honest look-alikes: {}",
        list(&kits),
        list(&honest)
    )?;
    let mut out = std::io::stdout().lock();
    let mut total = Counts::default();
    for (c, n) in &counts {
        total.tp += n.tp;
        total.fp += n.fp;
        total.fn_ += n.fn_;
        writeln!(
            out,
            "{} {} {} {} {:.3} {:.3}",
            c.code(),
            n.tp,
            n.fp,
            n.fn_,
            ratio(n.tp, n.tp + n.fp),
            ratio(n.tp, n.tp + n.fn_)
        )?;
    }
    writeln!(
        err,
        "eval: {} sites, {pages} pages, {suppressed} suppressed findings, seed {}, {:.2} s",
        truth.sites.len(),
        args.seed,
        elapsed.as_secs_f64()
    )?;
    writeln!(
        out,
        "eval: precision {:.3} recall {:.3}",
        ratio(total.tp, total.tp + total.fp),
        ratio(total.tp, total.tp + total.fn_)
    )?;
    Ok(ExitCode::SUCCESS)
}
