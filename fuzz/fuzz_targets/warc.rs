//! The WARC reader (plain and gzip members) and the digest check over each record it yields,
//! and the HTTP message parser over each record's block; and the records it lends in place
//! (`next_view`, what verification reads), which must be the records it yields, with the same
//! error, through buffers of any size.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut yielded = Vec::new();
    for (i, rec) in evidence::WarcReader::new(std::io::Cursor::new(data)).enumerate() {
        if i > 1000 {
            break;
        }
        let Ok(rec) = rec else {
            yielded.push(rec);
            break;
        };
        let _ = evidence::verify_record(&rec);
        let msg = http_msg::Message::parse(&rec.block);
        let _ = msg.payload();
        let _ = msg.decode_body(1 << 20);
        yielded.push(Ok(rec));
    }
    // The buffer's size from the input, so that records fall across its end anywhere.
    let capacity = 1 + usize::from(data.first().copied().unwrap_or(0)) * 7;
    let mut reader =
        evidence::WarcReader::new(std::io::BufReader::with_capacity(capacity, data));
    let mut lent = Vec::new();
    while let Some(view) = reader.next_view() {
        if lent.len() == yielded.len() {
            break;
        }
        let view = view.map(|v| {
            assert_eq!(
                evidence::verify_record(&v),
                evidence::verify_record(&evidence::Record::from(v.clone()))
            );
            evidence::Record::from(v)
        });
        lent.push(view);
    }
    assert_eq!(format!("{lent:?}"), format!("{yielded:?}"));
});
