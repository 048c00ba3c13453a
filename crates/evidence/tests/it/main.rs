//! Integration tests for `evidence`: one binary, one module per concern, shared helpers here.

mod caps;
mod cdxj;
mod corrupt;
mod repair;
mod rolling;
mod roundtrip;
mod tlog_log;
mod tlog_vectors;
mod verify_log;
mod wacz;
mod wacz_verify;
mod warcio_files;

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use evidence::{open_reader, Record, WarcWriter, WriterConfig};
use sha2::{Digest, Sha256};

/// `sha256:<hex>` computed here, independently of the crate's digest code.
pub fn sha256(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

pub fn date() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 8, 44, 44).unwrap()
}

pub fn config(dir: &Path) -> WriterConfig {
    WriterConfig {
        dir: dir.to_path_buf(),
        prefix: "wangjian-sweep-3".into(),
        max_file_bytes: evidence::DEFAULT_MAX_FILE_BYTES,
        software: "wangjian/test".into(),
        operator: Some("Market Regulation Bureau".into()),
        hostname: Some("crawler-1".into()),
        extra_info: vec![("sweep-id".into(), "3".into())],
    }
}

pub const REQUEST: &[u8] =
    b"GET /shop/item?id=7 HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: wangjian\r\n\r\n";
pub const RESPONSE_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 26\r\n\r\n";
pub const RESPONSE_BODY: &[u8] = b"<html>price: 99 yuan</html>";
pub const CHUNKED_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
pub const CHUNKED_BODY: &[u8] = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

pub fn ip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34))
}

/// Write `n` simple exchanges (with metadata) and return the writer.
pub fn write_exchanges(writer: &mut WarcWriter, n: usize) -> Vec<evidence::CaptureRefs> {
    (0..n)
        .map(|i| {
            let uri = format!("http://shop.example/item/{i}");
            writer
                .write_exchange(&evidence::ExchangeRecord {
                    target_uri: &uri,
                    date: date(),
                    request_head: REQUEST,
                    response_head: Some(RESPONSE_HEAD),
                    response_body: RESPONSE_BODY,
                    remote_ip: Some(ip()),
                    metadata: vec![("fetch-profile".into(), "spider".into())],
                })
                .unwrap()
        })
        .collect()
}

/// All records of a file; panics (test failure) on any read error.
pub fn read_all(path: &Path) -> Vec<Record> {
    open_reader(path)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

/// `.warc.gz` files in `dir`, sorted by name (= write order).
pub fn warc_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .collect();
    files.sort();
    files
}
