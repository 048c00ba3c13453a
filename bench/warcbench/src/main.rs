//! Helper for `bench/warc.sh`. Subcommands (all print one `key value ...` line on stdout):
//!
//! - `dump SITES SEED N OUT`: render simweb pages (every crawlable page of the world, cycled
//!   until N exchanges) as request head, response head and body, into a simple length-prefixed
//!   file that `warcio_write.py` reads too, so both writers get byte-identical input.
//! - `write DUMP DIR MODE`: write every exchange of DUMP as `request` + `response` records with
//!   `evidence::WarcWriter`; MODE is `seq` (one `write_exchange` per exchange) or `batch:K`
//!   (`write_exchanges` with K exchanges per call). Times only the writing (input is in memory).
//! - `unzip IN.warc.gz OUT.warc`: decompress all members into a plain WARC.
//! - `verify FILE`: `evidence::verify_warc` (what `wangjian evidence verify` runs); times it.
//! - `sha256 MB`: single-core SHA-256 (sha2 crate) over 16 KiB buffers, MB/s.
//! - `levels DUMP`: one gzip member per response (head + body), single core, at each deflate
//!   level with the flate2 backend the evidence crate uses: MB/s and output size.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use evidence::{verify_warc, ExchangeRecord, WarcWriter, WriterConfig};
use simweb::{GenParams, World};

struct Exchange {
    url: String,
    request: Vec<u8>,
    head: Vec<u8>,
    body: Vec<u8>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match a.as_slice() {
        ["dump", sites, seed, n, out] => dump(
            sites.parse().expect("sites"),
            seed.parse().expect("seed"),
            n.parse().expect("n"),
            Path::new(out),
        ),
        ["write", input, dir, mode] => write(Path::new(input), Path::new(dir), mode),
        ["unzip", input, out] => unzip(Path::new(input), Path::new(out)),
        ["verify", file] => verify(Path::new(file)),
        ["sha256", mb] => sha256(mb.parse().expect("MB")),
        ["levels", input] => levels(Path::new(input)),
        _ => {
            eprintln!("usage: warcbench dump SITES SEED N OUT | write DUMP DIR seq|batch:K | unzip IN OUT | verify FILE | sha256 MB");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("warcbench: {e}");
        std::process::exit(1);
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        404 => "Not Found",
        _ => "Unknown",
    }
}

fn dump(sites: usize, seed: u64, n: usize, out: &Path) -> io::Result<()> {
    let world = World::generate(&GenParams { sites, seed });
    let truth = world.truth();
    let mut pages = Vec::new();
    for site in truth.sites.values() {
        pages.push((site.host.clone(), "/robots.txt".to_string()));
        for path in site.pages.keys() {
            pages.push((site.host.clone(), path.clone()));
        }
    }
    pages.sort();
    pages.dedup();
    let mut w = BufWriter::new(fs::File::create(out)?);
    w.write_all(b"WJBD")?;
    let (mut bytes, mut written) = (0usize, 0usize);
    'outer: loop {
        for (host, path) in &pages {
            if written == n {
                break 'outer;
            }
            let Some(r) = world.response(host, path) else {
                continue;
            };
            let url = format!("http://{host}{path}");
            let request = format!(
                "GET {path} HTTP/1.1\r\nhost: {host}\r\nuser-agent: wangjian/0.1.0 (+bench)\r\naccept: */*\r\naccept-encoding: identity\r\n\r\n"
            );
            let mut head = format!(
                "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\n",
                r.status,
                reason(r.status),
                r.content_type,
                r.body.len()
            );
            for (k, v) in &r.headers {
                head.push_str(&format!("{}: {v}\r\n", k.to_ascii_lowercase()));
            }
            head.push_str("date: Mon, 30 Nov 2026 08:44:44 GMT\r\n\r\n");
            for part in [url.as_bytes(), request.as_bytes(), head.as_bytes(), &r.body] {
                w.write_all(&(part.len() as u32).to_le_bytes())?;
                w.write_all(part)?;
            }
            bytes += request.len() + head.len() + r.body.len();
            written += 1;
        }
        if pages.is_empty() {
            break;
        }
    }
    w.flush()?;
    println!(
        "exchanges {written} distinct_pages {} http_bytes {bytes} mean_response_bytes {}",
        pages.len(),
        bytes / written.max(1)
    );
    Ok(())
}

fn take(data: &[u8], at: &mut usize) -> Vec<u8> {
    let len = u32::from_le_bytes(data[*at..*at + 4].try_into().unwrap()) as usize;
    let v = data[*at + 4..*at + 4 + len].to_vec();
    *at += 4 + len;
    v
}

fn load(path: &Path) -> io::Result<Vec<Exchange>> {
    let data = fs::read(path)?;
    if !data.starts_with(b"WJBD") {
        return Err(io::Error::other("not a warcbench dump"));
    }
    let mut at = 4;
    let mut out = Vec::new();
    while at < data.len() {
        let url = take(&data, &mut at);
        out.push(Exchange {
            url: String::from_utf8(url).expect("url is UTF-8"),
            request: take(&data, &mut at),
            head: take(&data, &mut at),
            body: take(&data, &mut at),
        });
    }
    Ok(out)
}

fn write(input: &Path, dir: &Path, mode: &str) -> io::Result<()> {
    let exchanges = load(input)?;
    let date = chrono::Utc::now();
    let records: Vec<ExchangeRecord<'_>> = exchanges
        .iter()
        .map(|e| ExchangeRecord {
            target_uri: &e.url,
            date,
            request_head: &e.request,
            response_head: Some(&e.head),
            response_body: &e.body,
            remote_ip: Some("127.0.0.1".parse().unwrap()),
            metadata: Vec::new(),
        })
        .collect();
    let input_bytes: usize = exchanges
        .iter()
        .map(|e| e.request.len() + e.head.len() + e.body.len())
        .sum();
    let _ = fs::remove_dir_all(dir);
    let mut config = WriterConfig::new(dir, "bench");
    config.max_file_bytes = u64::MAX;
    let started = Instant::now();
    let mut writer = WarcWriter::open(config).map_err(io::Error::other)?;
    match mode {
        "seq" => {
            for r in &records {
                writer.write_exchange(r).map_err(io::Error::other)?;
            }
        }
        m if m.starts_with("batch:") => {
            let k: usize = m["batch:".len()..].parse().map_err(io::Error::other)?;
            for chunk in records.chunks(k.max(1)) {
                writer.write_exchanges(chunk).map_err(io::Error::other)?;
            }
        }
        _ => return Err(io::Error::other("mode is seq or batch:K")),
    }
    writer.flush().map_err(io::Error::other)?;
    let secs = started.elapsed().as_secs_f64();
    let file = writer.current_file().to_path_buf();
    let out_bytes = fs::metadata(&file)?.len();
    let n = records.len() * 2;
    println!(
        "records {n} secs {secs:.4} records_per_s {:.0} input_mb_per_s {:.1} out_bytes {out_bytes} file {}",
        n as f64 / secs,
        input_bytes as f64 / secs / 1e6,
        file.display()
    );
    Ok(())
}

fn unzip(input: &Path, out: &Path) -> io::Result<()> {
    let mut dec = flate2::read::MultiGzDecoder::new(io::BufReader::new(fs::File::open(input)?));
    let mut w = BufWriter::new(fs::File::create(out)?);
    let n = io::copy(&mut dec, &mut w)?;
    w.flush()?;
    println!("plain_bytes {n}");
    Ok(())
}

fn verify(file: &Path) -> io::Result<()> {
    // The library path of `wangjian evidence verify`: evidence::verify_warc (read every record,
    // recompute every declared digest, failures in file order).
    let bytes = fs::metadata(file)?.len();
    let started = Instant::now();
    let verdict = verify_warc(file);
    let secs = started.elapsed().as_secs_f64();
    let problems = verdict.failures.len();
    println!(
        "records {} problems {problems} digests_checked {} secs {secs:.4} file_mb_per_s {:.1}",
        verdict.records,
        verdict.digests_checked,
        bytes as f64 / secs / 1e6,
    );
    if problems > 0 {
        return Err(io::Error::other(format!(
            "{problems} problems, first: {:?}",
            verdict.failures[0]
        )));
    }
    Ok(())
}

fn sha256(mb: usize) -> io::Result<()> {
    use evidence::sha256_label;
    let buf: Vec<u8> = (0..16384u32).map(|i| (i * 31 % 251) as u8).collect();
    let rounds = mb * 64;
    let started = Instant::now();
    let mut sink = 0usize;
    for _ in 0..rounds {
        sink += sha256_label(&buf).len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "sha256_mb_per_s {:.1} ({sink})",
        (rounds * buf.len()) as f64 / secs / 1e6
    );
    Ok(())
}

fn levels(input: &Path) -> io::Result<()> {
    use flate2::{Compress, Compression, FlushCompress};
    let exchanges = load(input)?;
    let input_bytes: usize = exchanges.iter().map(|e| e.head.len() + e.body.len()).sum();
    let mut out = Vec::with_capacity(1 << 20);
    for level in 1..=9 {
        // One deflate state reset per member, as evidence::WarcWriter does.
        let mut c = Compress::new(Compression::new(level), false);
        let started = Instant::now();
        let mut total = 0usize;
        for e in &exchanges {
            c.reset();
            out.clear();
            let msg = [&e.head[..], &e.body[..]].concat();
            c.compress_vec(&msg, &mut out, FlushCompress::Finish)
                .map_err(io::Error::other)?;
            total += out.len() + 18;
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "level {level} mb_per_s {:.1} out_bytes {total} ratio {:.3}",
            input_bytes as f64 / secs / 1e6,
            total as f64 / input_bytes as f64
        );
    }
    Ok(())
}
