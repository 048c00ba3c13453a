//! Prints a world's summary, or one page: `simweb_dump SITES SEED [HOST PATH]`.
//! With HOST and PATH the decoded page is printed; without, truth JSON goes to stdout.

use simweb::{GenParams, World};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let sites = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let w = World::generate(&GenParams { sites, seed });
    match (args.get(3), args.get(4)) {
        (Some(h), Some(p)) if h == "--register" => {
            let _ = p;
            print!("{}", w.register_csv());
        }
        (Some(h), Some(p)) => {
            let r = w.response(h, p).expect("unknown host");
            eprintln!("{} {} {:?}", r.status, r.content_type, r.headers);
            let gbk = r.content_type.contains("gbk") || String::from_utf8(r.body.clone()).is_err();
            if gbk {
                print!("{}", encoding_rs::GBK.decode(&r.body).0);
            } else {
                print!("{}", String::from_utf8_lossy(&r.body));
            }
        }
        _ => println!("{}", serde_json::to_string_pretty(&w.truth()).unwrap()),
    }
}
