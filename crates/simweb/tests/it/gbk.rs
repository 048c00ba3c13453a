use crate::common::{truth, world};

#[test]
fn gbk_sites_are_really_gbk_and_declare_it() {
    let w = world();
    let mut seen = 0;
    let (mut header_only, mut meta_only, mut undeclared) = (0, 0, 0);
    for s in truth().sites.values().filter(|s| s.encoding == "gbk") {
        let r = w.response(&s.host, "/").unwrap();
        assert_eq!(r.status, 200);
        assert!(
            String::from_utf8(r.body.clone()).is_err(),
            "{}: body is not UTF-8",
            s.host
        );
        let (text, _, bad) = encoding_rs::GBK.decode(&r.body);
        assert!(!bad, "{}", s.host);
        assert!(
            text.contains("首页") && text.contains("版权所有"),
            "{}",
            s.host
        );
        let in_header = r.content_type.contains("charset=gbk");
        let in_meta = text.contains("charset=gbk") || text.contains("charset=\"gbk\"");
        header_only += (in_header && !in_meta) as usize;
        meta_only += (!in_header && in_meta) as usize;
        if !in_header && !in_meta {
            // Declared nowhere: recognised from the bytes, and also sent compressed.
            undeclared += 1;
            assert!(s.gzip, "{}: undeclared GBK is also gzip-encoded", s.host);
            assert!(!text.contains("charset"), "{}", s.host);
            let read = http_msg::decode_text(&r.body, Some(&r.content_type));
            assert_eq!(read.encoding, encoding_rs::GBK, "{}", s.host);
            assert_eq!(read.text, text, "{}", s.host);
        }
        seen += 1;
    }
    assert!(seen >= 8, "{seen}");
    assert!(header_only > 0 && meta_only > 0 && undeclared > 0);
}

#[test]
fn utf8_pages_say_so() {
    let w = world();
    let s = truth()
        .sites
        .values()
        .find(|s| s.encoding == "utf-8")
        .unwrap();
    let r = w.response(&s.host, &format!("{}/", s.path_prefix)).unwrap();
    assert_eq!(r.content_type, "text/html; charset=utf-8");
    assert!(String::from_utf8(r.body)
        .unwrap()
        .contains("<meta charset=\"utf-8\">"));
}
