//! Helper for `bench/register.sh`.
//!
//! ```text
//! registerbench gen --entities N [--seed S] -o FILE.csv [--queries FILE.txt] [--query-count M]
//! registerbench load --url-template URL (--queries FILE | --ids A..B) --rate R --duration SECS
//!                    [--connections C] [--seed S] [--timeout SECS] [--header 'Name: value']
//! ```
//!
//! `gen` writes a register in the import format of docs/spec/registry-import.md, deterministic
//! for a seed (every entity is generated from `(seed, index)` alone, so the queries can re-create
//! any entity without holding the register in memory). `load` is an open-loop constant-rate HTTP/1.1
//! load generator (see [`load`]).

mod gen;
mod load;

use std::collections::HashMap;
use std::process::ExitCode;

/// `--flag value` pairs after the subcommand (every flag takes a value).
pub struct Args {
    map: HashMap<String, String>,
}

impl Args {
    fn parse(args: &[String], allowed: &[&str]) -> Result<Args, String> {
        let mut map = HashMap::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let key = match a.as_str() {
                "-o" => "--output",
                k => k,
            };
            if !allowed.contains(&key) {
                return Err(format!(
                    "unknown argument {a:?} (expected one of {})",
                    allowed.join(" ")
                ));
            }
            let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
            map.insert(key.to_string(), v.clone());
        }
        Ok(Args { map })
    }

    pub fn str(&self, k: &str) -> Option<&str> {
        self.map.get(k).map(String::as_str)
    }

    pub fn req(&self, k: &str) -> Result<&str, String> {
        self.str(k).ok_or_else(|| format!("{k} is required"))
    }

    pub fn num<T: std::str::FromStr>(&self, k: &str, default: T) -> Result<T, String> {
        match self.str(k) {
            None => Ok(default),
            Some(v) => v
                .replace('_', "")
                .parse()
                .map_err(|_| format!("{k}: not a number: {v:?}")),
        }
    }
}

const USAGE: &str = "usage:
  registerbench gen --entities N [--seed S] -o FILE.csv [--queries FILE.txt] [--query-count M]
  registerbench load --url-template URL (--queries FILE | --ids A..B) --rate R --duration SECS
                     [--connections C] [--seed S] [--timeout SECS] [--header 'Name: value']
    URL: http://HOST:PORT/PATH with {q} (a query, URL-encoded) or {id} (an integer)";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let result = match argv.first().map(String::as_str) {
        Some("gen") => Args::parse(
            &argv[1..],
            &[
                "--entities",
                "--seed",
                "--output",
                "--queries",
                "--query-count",
            ],
        )
        .and_then(|a| gen::run(&a)),
        Some("load") => Args::parse(
            &argv[1..],
            &[
                "--url-template",
                "--queries",
                "--ids",
                "--rate",
                "--duration",
                "--connections",
                "--seed",
                "--timeout",
                "--header",
            ],
        )
        .and_then(|a| load::run(&a)),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("registerbench: {e}");
            ExitCode::from(2)
        }
    }
}

/// SplitMix64: a small, fast, seedable generator (deterministic output for a seed).
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for item `i` of a stream seeded with `seed`, independent of other items.
    pub fn for_item(seed: u64, stream: u64, i: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        r.0 ^= i.wrapping_mul(0xE703_7ED1_A0B4_28DB);
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}
