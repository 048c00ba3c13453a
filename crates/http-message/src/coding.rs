//! Content-codings (`Content-Encoding`): gzip (and `x-gzip`), deflate (zlib-wrapped as the RFC
//! says, or raw as some servers send it), br, identity — in any stack (`gzip, br`), each
//! decoded as a stream, so that at most `cap` bytes are ever produced or held whatever the
//! ratio (a decompression bomb stops at the cap, at every layer).

use std::io::{BufRead, BufReader, ErrorKind, Read};

use thiserror::Error;

/// A content-coding this crate decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentCoding {
    /// No coding (`identity`, or nothing).
    Identity,
    /// `gzip` or `x-gzip` (several members are read one after another).
    Gzip,
    /// `deflate`: zlib-wrapped, or raw deflate when the stream does not start with a zlib
    /// header.
    Deflate,
    /// `br` (RFC 7932).
    Brotli,
}

/// A `Content-Encoding` naming a coding this crate does not decode (`zstd`, `compress`...),
/// with the token as sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown content-coding {0:?}")]
pub struct UnknownCoding(pub String);

impl ContentCoding {
    /// The coding named by one token (case-insensitive).
    pub fn from_token(token: &str) -> Option<ContentCoding> {
        let t = token.trim();
        [
            ("identity", ContentCoding::Identity),
            ("gzip", ContentCoding::Gzip),
            ("x-gzip", ContentCoding::Gzip),
            ("deflate", ContentCoding::Deflate),
            ("br", ContentCoding::Brotli),
        ]
        .into_iter()
        .find_map(|(name, c)| t.eq_ignore_ascii_case(name).then_some(c))
    }

    /// The codings of a `Content-Encoding` value in the order they were applied (identity and
    /// empty items dropped). `None` or an empty value: no coding.
    pub fn parse_list(value: Option<&str>) -> Result<Vec<ContentCoding>, UnknownCoding> {
        let mut out = Vec::new();
        for token in value.unwrap_or_default().split(',') {
            let token = token.trim();
            if token.is_empty() {
                continue;
            }
            match ContentCoding::from_token(token) {
                Some(ContentCoding::Identity) => {}
                Some(c) => out.push(c),
                None => return Err(UnknownCoding(token.to_string())),
            }
        }
        Ok(out)
    }
}

/// A body with its content-codings removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decompressed {
    /// At most `cap` decoded bytes.
    pub bytes: Vec<u8>,
    /// True when the decoded stream is longer than `cap` (`bytes` is its start).
    pub capped: bool,
    /// True when a stream was corrupt or ended early; `bytes` is what was read before that.
    pub broken: bool,
}

/// Removes the codings `content_encoding` names from `body`, producing at most `cap` bytes.
pub fn decode_content(
    body: &[u8],
    content_encoding: Option<&str>,
    cap: usize,
) -> Result<Decompressed, UnknownCoding> {
    let codings = ContentCoding::parse_list(content_encoding)?;
    if codings.is_empty() || body.is_empty() {
        return Ok(Decompressed {
            bytes: body[..body.len().min(cap)].to_vec(),
            capped: body.len() > cap,
            broken: false,
        });
    }
    let mut reader: Box<dyn Read + '_> = Box::new(body);
    // Applied first, removed last.
    for coding in codings.iter().rev() {
        reader = decoder(*coding, reader);
    }
    let (mut bytes, broken) = read_capped(reader, cap.saturating_add(1));
    let capped = bytes.len() > cap;
    bytes.truncate(cap);
    Ok(Decompressed {
        bytes,
        capped,
        broken,
    })
}

fn decoder<'a>(coding: ContentCoding, inner: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
    match coding {
        ContentCoding::Identity => inner,
        ContentCoding::Gzip => Box::new(flate2::read::MultiGzDecoder::new(inner)),
        ContentCoding::Deflate => {
            let mut r = BufReader::new(inner);
            let zlib = matches!(r.fill_buf(), Ok([cmf, flg, ..]) if looks_like_zlib(*cmf, *flg));
            if zlib {
                Box::new(flate2::bufread::ZlibDecoder::new(r))
            } else {
                Box::new(flate2::bufread::DeflateDecoder::new(r))
            }
        }
        ContentCoding::Brotli => Box::new(brotli_decompressor::Decompressor::new(inner, 16 * 1024)),
    }
}

/// A zlib header (RFC 1950): method 8 (deflate), a window of at most 32 KiB, and the check
/// bits that make the first two bytes a multiple of 31.
fn looks_like_zlib(cmf: u8, flg: u8) -> bool {
    cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
}

/// Reads at most `limit` bytes, keeping what came before an error; `true` with an error.
fn read_capped(r: impl Read, limit: usize) -> (Vec<u8>, bool) {
    let mut r = r.take(limit as u64);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return (out, false),
            Ok(n) => {
                crate::extend_within(&mut out, &buf[..n], limit);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return (out, true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const TEXT: &[u8] = "营业执照 hello hello hello 价格".as_bytes();

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn br(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        w.write_all(data).unwrap();
        drop(w);
        out
    }

    fn ok(body: &[u8], coding: &str) -> Vec<u8> {
        let d = decode_content(body, Some(coding), 1 << 20).unwrap();
        assert!(!d.capped && !d.broken, "{coding}: {d:?}");
        d.bytes
    }

    #[test]
    fn each_coding() {
        assert_eq!(ok(TEXT, "identity"), TEXT);
        assert_eq!(ok(TEXT, ""), TEXT);
        assert_eq!(decode_content(TEXT, None, 100).unwrap().bytes, TEXT);
        assert_eq!(ok(&gzip(TEXT), "gzip"), TEXT);
        assert_eq!(ok(&gzip(TEXT), "X-GZIP"), TEXT);
        assert_eq!(ok(&zlib(TEXT), "deflate"), TEXT);
        assert_eq!(ok(&raw_deflate(TEXT), "Deflate"), TEXT);
        assert_eq!(ok(&br(TEXT), "br"), TEXT);
        assert_eq!(ok(&br(b""), "br"), b"");
        assert_eq!(ok(b"", "gzip"), b"");
    }

    #[test]
    fn gzip_members_are_read_one_after_another() {
        let mut two = gzip(b"abc");
        two.extend(gzip(b"def"));
        assert_eq!(ok(&two, "gzip"), b"abcdef");
    }

    #[test]
    fn stacked_codings_are_removed_last_applied_first() {
        assert_eq!(ok(&br(&gzip(TEXT)), "gzip, br"), TEXT);
        assert_eq!(ok(&gzip(&zlib(TEXT)), "deflate,identity, gzip"), TEXT);
    }

    #[test]
    fn unknown_codings_are_refused_by_name() {
        for (value, token) in [("zstd", "zstd"), ("gzip, compress", "compress")] {
            assert_eq!(
                decode_content(b"x", Some(value), 10),
                Err(UnknownCoding(token.to_string()))
            );
        }
    }

    #[test]
    fn cut_and_corrupt_streams_keep_what_was_read() {
        let long: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        for (name, enc) in [
            ("gzip", gzip(&long)),
            ("deflate", zlib(&long)),
            ("br", br(&long)),
        ] {
            let d = decode_content(&enc[..enc.len() / 2], Some(name), 1 << 24).unwrap();
            assert!(d.broken, "{name}");
            assert!(!d.bytes.is_empty() && long.starts_with(&d.bytes), "{name}");
        }
        let d = decode_content(b"not gzip at all", Some("gzip"), 100).unwrap();
        assert!(d.broken && d.bytes.is_empty());
    }

    #[test]
    fn bombs_stop_at_the_cap() {
        let zeros = vec![0u8; 16 << 20];
        const CAP: usize = 256 << 10;
        for (name, bomb) in [
            ("gzip", gzip(&zeros)),
            ("deflate", raw_deflate(&zeros)),
            ("br", br(&zeros)),
        ] {
            assert!(bomb.len() < (64 << 10), "{name}: {} bytes", bomb.len());
            let d = decode_content(&bomb, Some(name), CAP).unwrap();
            assert_eq!(d.bytes.len(), CAP, "{name}");
            assert!(d.capped && !d.broken, "{name}");
        }
        // A bomb inside a bomb stops at the cap too.
        let double = gzip(&gzip(&zeros));
        let d = decode_content(&double, Some("gzip, gzip"), CAP).unwrap();
        assert!(d.capped && d.bytes.len() == CAP);
        let plain = decode_content(&zeros[..10], None, 4).unwrap();
        assert_eq!((plain.bytes.len(), plain.capped), (4, true));
    }

    #[test]
    fn zlib_header_check() {
        assert!(looks_like_zlib(0x78, 0x9c));
        assert!(looks_like_zlib(0x78, 0x01));
        assert!(!looks_like_zlib(0x78, 0x00));
        assert!(!looks_like_zlib(0x1f, 0x8b));
    }
}
