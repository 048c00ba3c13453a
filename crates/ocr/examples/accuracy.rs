//! The OCR accuracy over 50 of simweb's generated licence pictures, and the cost per picture
//! (median, min, max): a measurement, not a test. Run with
//! `cargo run --release -p wangjian-ocr --example accuracy` (needs Debian's `tesseract-ocr`,
//! `tesseract-ocr-chi-sim` and a CJK font).

use ocr::{Limits, Tesseract};

fn main() {
    let t = Tesseract::locate().expect("tesseract with chi_sim installed (see README)");
    let mut pics = Vec::new();
    let mut seed = 100;
    while pics.len() < 50 {
        let world = simweb::World::generate(&simweb::GenParams { sites: 600, seed });
        let truth = world.truth();
        for st in truth.sites.values() {
            let Some(img) = st.licence_image.clone() else {
                continue;
            };
            if let Some(resp) = world.response(&st.host, &img.image) {
                pics.push((st.host.clone(), img, resp.body));
            }
        }
        seed += 1;
    }
    pics.truncate(50);
    let (mut codes_ok, mut names_ok) = (0, 0);
    let mut times = Vec::new();
    for (host, truth, png) in &pics {
        let reading = t.read(png, &Limits::default()).unwrap();
        times.push(reading.elapsed);
        let r = detect::read_licence(&reading.text);
        if r.codes.len() == 1 && r.codes[0].code == truth.uscc {
            codes_ok += 1;
        } else {
            eprintln!("{host}: code {:?} for {}", r.codes, truth.uscc);
        }
        if r.name.as_deref().is_some_and(|n| {
            n.ends_with("公司") || n.ends_with("店") || n.ends_with("部") || n.ends_with("行")
        }) {
            names_ok += 1;
        } else {
            eprintln!("{host}: name {:?}", r.name);
        }
    }
    times.sort();
    println!(
        "ocr accuracy: {codes_ok}/50 codes exact, {names_ok}/50 names read; median {:.0} ms per picture (min {:.0}, max {:.0}), {}",
        times[25].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[49].as_secs_f64() * 1000.0,
        t.version()
    );
}
