//! Hostile inputs against every cap of the crate: a record larger than the reader's cap (by
//! its declared length, or by what its gzip member inflates to), a CDXJ line longer than the
//! line cap, a WACZ naming more members than the member cap; and records that carry no digest,
//! which verify as failures, not as "ok".

use std::io::Write;

use evidence::cdxj::{read_cdxj_capped, CdxjError};
use evidence::wacz::verify_wacz;
use evidence::{
    missing_digests, read_record_at, read_record_at_capped, verify_warc, verify_warc_with,
    Corruption, DigestField, DigestProblem, EvidenceError, VerifyOptions, WarcWriter,
    DEFAULT_MAX_BLOCK,
};

use crate::*;

/// One gzip member of `head` followed by `zeros` zero bytes (compressed as they are produced,
/// so the test never holds them).
fn member_with_zeros(head: &[u8], zeros: u64) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(head).unwrap();
    let chunk = vec![0u8; 1 << 20];
    let mut left = zeros;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        gz.write_all(&chunk[..n]).unwrap();
        left -= n as u64;
    }
    gz.finish().unwrap()
}

fn head(length: u64) -> Vec<u8> {
    format!(
        "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:test:big>\r\n\
         WARC-Block-Digest: sha256:{}\r\nContent-Length: {length}\r\n\r\n",
        "0".repeat(64)
    )
    .into_bytes()
}

fn too_large(e: &EvidenceError) -> Option<u64> {
    match e {
        EvidenceError::Corrupt {
            offset: 0,
            problem: Corruption::TooLarge { cap },
        } => Some(*cap),
        _ => None,
    }
}

/// A record that claims 3 GiB is refused by its header under the default cap; one whose gzip
/// member really inflates past a (small) cap is refused after reading no more than the cap:
/// both are failures of `verify` with the offset, never "ok" and never gigabytes held.
#[test]
fn a_record_larger_than_the_cap_is_a_failure_not_an_allocation() {
    let dir = tempfile::tempdir().unwrap();
    // Declared 3 GiB, 64 MiB of zeros actually there: a few tens of KiB on disk.
    let claimed = dir.path().join("claimed.warc.gz");
    std::fs::write(&claimed, member_with_zeros(&head(3 << 30), 64 << 20)).unwrap();
    assert!(std::fs::metadata(&claimed).unwrap().len() < 1 << 20);
    let err = read_record_at(&claimed, 0).unwrap_err();
    assert_eq!(too_large(&err), Some(DEFAULT_MAX_BLOCK), "{err}");
    let v = verify_warc(&claimed);
    assert_eq!(v.records, 0);
    assert_eq!(v.failures.len(), 1, "{:?}", v.failures);
    assert_eq!(v.failures[0].offset, 0);
    assert!(
        v.failures[0].problem.contains("record larger than the cap"),
        "{}",
        v.failures[0].problem
    );

    // Declared honestly (32 MiB), over a cap of 1 MiB set for verify: refused by the header.
    let honest = dir.path().join("honest.warc.gz");
    std::fs::write(&honest, member_with_zeros(&head(32 << 20), 32 << 20)).unwrap();
    let small = VerifyOptions { max_block: 1 << 20 };
    let v = verify_warc_with(&honest, None, &small);
    assert!(!v.ok());
    assert!(v.failures[0]
        .problem
        .contains("larger than the cap of 1048576 bytes"));
    let err = read_record_at_capped(&honest, 0, 1 << 20).unwrap_err();
    assert_eq!(too_large(&err), Some(1 << 20), "{err}");

    // A small declared length, but the member inflates to 300 MiB past it: the inflation
    // stops at the cap (default), whatever the member holds.
    let bomb = dir.path().join("bomb.warc.gz");
    std::fs::write(&bomb, member_with_zeros(&head(3), 300 << 20)).unwrap();
    let err = read_record_at(&bomb, 0).unwrap_err();
    assert_eq!(too_large(&err), Some(DEFAULT_MAX_BLOCK), "{err}");
    let v = verify_warc(&bomb);
    assert!(!v.ok() && v.records == 0, "{v:?}");
    assert!(v.failures[0].problem.contains("record larger than the cap"));

    // Under the cap, the same shapes read (digest aside).
    let fine = dir.path().join("fine.warc.gz");
    let mut bytes = member_with_zeros(&head(1000), 1000);
    // The member must end with the trailer for a whole record.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&head(4)).unwrap();
    gz.write_all(b"abcd\r\n\r\n").unwrap();
    bytes = [bytes, gz.finish().unwrap()].concat();
    std::fs::write(&fine, &bytes).unwrap();
    let err = read_record_at_capped(&fine, 0, 999).unwrap_err();
    assert_eq!(too_large(&err), Some(999));
    assert!(matches!(
        read_record_at(&fine, 0).unwrap_err(),
        EvidenceError::Corrupt {
            problem: Corruption::BadTrailer,
            ..
        }
    ));
}

/// A record that declares no digest proves nothing: `verify` fails it (naming the field),
/// while every record wangjian writes carries what it needs, and other tools' records with
/// SHA-1 digests still pass.
#[test]
fn records_without_digests_fail_verification() {
    let dir = tempfile::tempdir().unwrap();
    let plain = |kind: &str, fields: &str, block: &[u8]| -> Vec<u8> {
        let mut out = format!(
            "WARC/1.1\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:test:{kind}>\r\n{fields}\
             Content-Length: {}\r\n\r\n",
            block.len()
        )
        .into_bytes();
        out.extend_from_slice(block);
        out.extend_from_slice(b"\r\n\r\n");
        out
    };
    let body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>forged</p>";
    let payload = &body[body.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4..];
    assert_eq!(payload, b"<p>forged</p>");

    // No digest at all.
    let bare = dir.path().join("bare.warc");
    std::fs::write(
        &bare,
        plain(
            "response",
            "Content-Type: application/http;msgtype=response\r\n",
            body,
        ),
    )
    .unwrap();
    let v = verify_warc(&bare);
    assert!(!v.ok());
    let problems: Vec<&str> = v.failures.iter().map(|f| f.problem.as_str()).collect();
    assert_eq!(
        problems,
        [
            "no WARC-Block-Digest: the record's content cannot be checked",
            "no WARC-Payload-Digest: the record's content cannot be checked"
        ]
    );

    // A block digest, but a response without its payload digest.
    let block_only = dir.path().join("block-only.warc");
    let fields = format!(
        "Content-Type: application/http;msgtype=response\r\nWARC-Block-Digest: {}\r\n",
        sha256(&[body])
    );
    std::fs::write(&block_only, plain("response", &fields, body)).unwrap();
    let v = verify_warc(&block_only);
    assert_eq!(v.failures.len(), 1, "{v:?}");
    assert!(v.failures[0].problem.contains("no WARC-Payload-Digest"));

    // Both, in SHA-1 Base32 as other tools write them: passes.
    let sha1_b32 = |data: &[u8]| {
        use sha1::Digest;
        let d = sha1::Sha1::digest(data);
        format!("sha1:{}", base32(&d))
    };
    let fields = format!(
        "Content-Type: application/http;msgtype=response\r\nWARC-Block-Digest: {}\r\n\
         WARC-Payload-Digest: {}\r\n",
        sha1_b32(body),
        sha1_b32(payload)
    );
    let other = dir.path().join("other-tool.warc");
    std::fs::write(
        &other,
        [
            plain(
                "warcinfo",
                &format!("WARC-Block-Digest: {}\r\n", sha1_b32(b"x: y\r\n")),
                b"x: y\r\n",
            ),
            plain("response", &fields, body),
        ]
        .concat(),
    )
    .unwrap();
    let v = verify_warc(&other);
    assert!(v.ok(), "{:?}", v.failures);
    assert_eq!(v.records, 2);

    // Every record type wangjian writes carries the digests it needs.
    let mut w = WarcWriter::open(config(dir.path())).unwrap();
    write_exchanges(&mut w, 2);
    w.write_resource("http://shop.example/", date(), "image/png", b"png")
        .unwrap();
    w.flush().unwrap();
    let path = w.current_file().to_path_buf();
    drop(w);
    for rec in read_all(&path) {
        assert_eq!(missing_digests(&rec), vec![], "{:?}", rec.warc_type());
    }
    assert!(verify_warc(&path).ok());
    assert_eq!(
        missing_digests(&read_all(&bare)[0]),
        vec![
            DigestProblem::Missing {
                field: DigestField::Block
            },
            DigestProblem::Missing {
                field: DigestField::Payload
            }
        ]
    );
}

/// RFC 4648 Base32 without padding (the form Heritrix, wget and warcio write SHA-1 in).
fn base32(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0);
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// A CDXJ line longer than the cap is a problem on its line number, skipped without being
/// held; the lines around it are read.
#[test]
fn a_cdxj_line_longer_than_the_cap_is_an_error_with_its_line() {
    let good = r#"com,example)/ 20261130084444 {"url": "http://example.com/", "mime": "text/html", "status": "200", "digest": "sha256:00", "length": "10", "offset": "0", "filename": "a.warc.gz"}"#;
    let long = format!(
        r#"com,example)/x 20261130084444 {{"url": "http://example.com/{}", "length": "10", "offset": "0", "filename": "a.warc.gz"}}"#,
        "x".repeat(5000)
    );
    // Without a line end at all, too.
    let text = format!("{good}\n{long}\r\n{good}\n{long}");
    let (entries, problems) = read_cdxj_capped(text.as_bytes(), 1024).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(
        problems
            .iter()
            .map(|p| (p.line, p.error.clone()))
            .collect::<Vec<_>>(),
        [
            (2, CdxjError::TooLong { cap: 1024 }),
            (4, CdxjError::TooLong { cap: 1024 })
        ]
    );
    // A line exactly at the cap (its CR LF not counted) is read.
    let (entries, problems) =
        read_cdxj_capped(format!("{good}\r\n").as_bytes(), good.len()).unwrap();
    assert_eq!((entries.len(), problems.len()), (1, 0));
}

/// A WACZ whose end record names more members than the cap is refused before its central
/// directory is read.
#[test]
fn a_wacz_naming_too_many_members_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.wacz");
    let cd = vec![0u8; 4096];
    let mut eocd = vec![0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0];
    eocd.extend_from_slice(&60_000u16.to_le_bytes());
    eocd.extend_from_slice(&60_000u16.to_le_bytes());
    eocd.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    eocd.extend_from_slice(&0u32.to_le_bytes());
    eocd.extend_from_slice(&0u16.to_le_bytes());
    std::fs::write(&path, [cd, eocd].concat()).unwrap();
    let v = verify_wacz(&path, None);
    assert!(!v.ok());
    let zip = v.items.iter().find(|i| i.item == "zip structure").unwrap();
    assert!(!zip.ok);
    assert!(
        zip.detail
            .contains("names 60000 members: more than the cap of"),
        "{}",
        zip.detail
    );
}
