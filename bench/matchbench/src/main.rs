//! Helper for `bench/match.sh`. Subcommands (each prints one `key value ...` line on stdout):
//!
//! - `corpus SITES SEED OUT`: every crawlable page of a simweb world (`World::response`, the
//!   browser view), decoded, `detect::extract`ed; its title, visible text and hidden text each
//!   `detect::normalize::normalize`d, concatenated (newline-separated) into OUT, once.
//! - `literals OUT`: the builtin pack's distinct automaton literals, one per line, hex-encoded
//!   UTF-8 (`Detector::literals`, automaton order).
//! - `match CORPUS RUNS`: `Detector::count_literal_hits` over the whole corpus (the detector's
//!   own Aho-Corasick automaton, overlapping iteration, counting every hit), RUNS times; one
//!   line per run with MB/s.
//! - `whatif CORPUS RUNS`: NOT what the detector runs: the same literals in other aho-corasick
//!   configurations (forced DFA, overlapping; leftmost-first non-overlapping), to show levers.
//! - `seeds DIR`: a few small simweb pages (home, product, GBK) as fuzz seeds for
//!   fuzz/corpus/extract_normalize (first byte: 0 = UTF-8, 1 = GBK, see the fuzz target).
//! - `pages SITES SEED RUNS`: every crawlable page held as raw response bytes; times charset
//!   decode + `Detector::scan_html` (extract, normalise, match, structural checks) per page,
//!   single thread, RUNS times; one line per run with pages/s.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use detect::{Detector, PageContext};
use simweb::{GenParams, World};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match a.as_slice() {
        ["corpus", sites, seed, out] => corpus(
            sites.parse().expect("sites"),
            seed.parse().expect("seed"),
            Path::new(out),
        ),
        ["literals", out] => literals(Path::new(out)),
        ["match", corpus, runs] => match_pass(Path::new(corpus), runs.parse().expect("runs")),
        ["pages", sites, seed, runs] => pages(
            sites.parse().expect("sites"),
            seed.parse().expect("seed"),
            runs.parse().expect("runs"),
        ),
        ["whatif", corpus, runs] => whatif(Path::new(corpus), runs.parse().expect("runs")),
        ["seeds", dir] => seeds(Path::new(dir)),
        _ => {
            eprintln!(
                "usage: matchbench corpus SITES SEED OUT | literals OUT | match CORPUS RUNS | pages SITES SEED RUNS"
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("matchbench: {e}");
        std::process::exit(1);
    }
}

struct Page {
    url: String,
    home: bool,
    content_type: String,
    body: Vec<u8>,
}

/// Every crawlable page of the world (the truth's browser view), as served.
fn world_pages(sites: usize, seed: u64) -> Vec<Page> {
    let world = World::generate(&GenParams { sites, seed });
    let truth = world.truth();
    let mut out = Vec::new();
    for site in truth.sites.values() {
        let home = if site.path_prefix.is_empty() {
            "/".to_string()
        } else {
            format!("{}/", site.path_prefix)
        };
        for path in site.pages.keys() {
            let Some(r) = world.response(&site.host, path) else {
                continue;
            };
            if r.status != 200 {
                continue;
            }
            out.push(Page {
                url: format!("http://{}{path}", site.host),
                home: *path == home,
                content_type: r.content_type,
                body: r.body,
            });
        }
    }
    out
}

/// Charset from the Content-Type (simweb always sends one), else UTF-8; what a sweep does for
/// these pages (crawl::decode also prescans `<meta>`, never needed here).
fn decode(content_type: &str, body: &[u8]) -> String {
    let label = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("charset="))
        .next()
        .unwrap_or("utf-8");
    let enc = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    enc.decode_with_bom_removal(body).0.into_owned()
}

fn corpus(sites: usize, seed: u64, out: &Path) -> io::Result<()> {
    let t = Instant::now();
    let pages = world_pages(sites, seed);
    let mut w = BufWriter::new(fs::File::create(out)?);
    let (mut html_bytes, mut text_bytes) = (0usize, 0usize);
    for p in &pages {
        html_bytes += p.body.len();
        let html = decode(&p.content_type, &p.body);
        let x = detect::extract(&html);
        for field in [&x.title, &x.text, &x.hidden] {
            if field.is_empty() {
                continue;
            }
            let n = detect::normalize::normalize(field);
            w.write_all(n.as_bytes())?;
            w.write_all(b"\n")?;
            text_bytes += n.len() + 1;
        }
    }
    w.flush()?;
    println!(
        "pages {} html_bytes {html_bytes} corpus_bytes {text_bytes} secs {:.1}",
        pages.len(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

fn literals(out: &Path) -> io::Result<()> {
    let d = Detector::builtin();
    let lits = d.literals();
    let mut w = BufWriter::new(fs::File::create(out)?);
    for l in &lits {
        for b in l.as_bytes() {
            write!(w, "{b:02x}")?;
        }
        writeln!(w)?;
    }
    w.flush()?;
    let rules = d.pack().rules.len();
    println!("literals {} rules {rules}", lits.len());
    Ok(())
}

fn match_pass(path: &Path, runs: usize) -> io::Result<()> {
    let d = Detector::builtin();
    let text = fs::read_to_string(path)?;
    let mb = text.len() as f64 / 1e6;
    // Warm-up (pages faulted in, automaton in cache), untimed.
    let _ = d.count_literal_hits(&text);
    for _ in 0..runs {
        let t = Instant::now();
        let hits = d.count_literal_hits(std::hint::black_box(&text));
        let s = t.elapsed().as_secs_f64();
        println!(
            "engine aho-corasick bytes {} hits {hits} secs {s:.4} mb_per_s {:.1}",
            text.len(),
            mb / s
        );
    }
    Ok(())
}

fn pages(sites: usize, seed: u64, runs: usize) -> io::Result<()> {
    let d = Detector::builtin();
    let pages = world_pages(sites, seed);
    let bytes: usize = pages.iter().map(|p| p.body.len()).sum();
    for _ in 0..runs {
        let t = Instant::now();
        let mut findings = 0usize;
        for p in &pages {
            let html = decode(&p.content_type, &p.body);
            let mut ctx = PageContext::new(&p.url);
            ctx.is_site_home = p.home;
            findings += d.scan_html(&html, &ctx).len();
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "pages {} html_bytes {bytes} findings {findings} secs {s:.3} pages_per_s {:.0} mb_per_s {:.1}",
            pages.len(),
            pages.len() as f64 / s,
            bytes as f64 / 1e6 / s
        );
    }
    Ok(())
}

fn seeds(dir: &Path) -> io::Result<()> {
    let pages = world_pages(40, 3);
    let mut picked: Vec<&Page> = Vec::new();
    let gbk = pages
        .iter()
        .filter(|p| p.content_type.contains("gbk"))
        .take(2);
    let homes = pages
        .iter()
        .filter(|p| p.home && !p.content_type.contains("gbk"))
        .take(3);
    let others = pages
        .iter()
        .filter(|p| !p.home && !p.content_type.contains("gbk"))
        .take(3);
    picked.extend(gbk.chain(homes).chain(others));
    fs::create_dir_all(dir)?;
    for (i, p) in picked.iter().enumerate() {
        let enc: u8 = if p.content_type.contains("gbk") { 1 } else { 0 };
        let mut v = vec![enc | if p.home { 0x80 } else { 0 }];
        v.extend_from_slice(&p.body);
        fs::write(dir.join(format!("simweb-{i}.html")), v)?;
    }
    println!("seeds {}", picked.len());
    Ok(())
}

fn whatif(path: &Path, runs: usize) -> io::Result<()> {
    use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
    let d = Detector::builtin();
    let lits = d.literals();
    let text = fs::read_to_string(path)?;
    let mb = text.len() as f64 / 1e6;
    let build = |kind: Option<AhoCorasickKind>, mk: MatchKind| {
        AhoCorasick::builder()
            .match_kind(mk)
            .kind(kind)
            .build(&lits)
            .expect("build")
    };
    let configs: Vec<(&str, AhoCorasick, bool)> = vec![
        (
            "default-standard-overlapping",
            build(None, MatchKind::Standard),
            true,
        ),
        (
            "dfa-standard-overlapping",
            build(Some(AhoCorasickKind::DFA), MatchKind::Standard),
            true,
        ),
        (
            "default-leftmostfirst-nonoverlapping",
            build(None, MatchKind::LeftmostFirst),
            false,
        ),
        (
            "dfa-leftmostfirst-nonoverlapping",
            build(Some(AhoCorasickKind::DFA), MatchKind::LeftmostFirst),
            false,
        ),
    ];
    // daachorse's character-wise double-array Aho-Corasick, overlapping (every end offset, as
    // the detector needs), against the detector's own pass, runs alternating.
    let da = daachorse::CharwiseDoubleArrayAhoCorasick::<u32>::new(&lits).expect("daachorse");
    for _ in 0..runs {
        let t = Instant::now();
        let hits = da
            .find_overlapping_iter(std::hint::black_box(&text))
            .count();
        let s = t.elapsed().as_secs_f64();
        println!(
            "whatif daachorse-charwise-overlapping hits {hits} mb_per_s {:.1}",
            mb / s
        );
        let t = Instant::now();
        let hits = d.count_literal_hits(std::hint::black_box(&text));
        let s = t.elapsed().as_secs_f64();
        println!("whatif detector-chardfa hits {hits} mb_per_s {:.1}", mb / s);
    }
    for (name, ac, overlapping) in &configs {
        for _ in 0..runs {
            let t = Instant::now();
            let hits = if *overlapping {
                ac.find_overlapping_iter(std::hint::black_box(&text))
                    .count()
            } else {
                ac.find_iter(std::hint::black_box(&text)).count()
            };
            let s = t.elapsed().as_secs_f64();
            println!(
                "whatif {name} kind {:?} hits {hits} mb_per_s {:.1}",
                ac.kind(),
                mb / s
            );
        }
    }
    Ok(())
}
