//! Rolling to new files, a warcinfo at the start of each, never touching existing files.

use evidence::WarcWriter;

use crate::*;

#[test]
fn rolls_when_full_with_warcinfo_first_in_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.max_file_bytes = 1; // every file is full after its first exchange
    let mut w = WarcWriter::open(cfg).unwrap();
    let refs = write_exchanges(&mut w, 3);
    w.flush().unwrap();

    let files = warc_files(dir.path());
    assert_eq!(files.len(), 3);
    for (i, (path, r)) in files.iter().zip(&refs).enumerate() {
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(name.ends_with(&format!("-{i:05}.warc.gz")), "{name}");
        assert_eq!(r.request.file, name);
        assert_eq!(
            r.response.as_ref().unwrap().file,
            name,
            "an exchange never spans files"
        );
        let recs = read_all(path);
        let types: Vec<_> = recs.iter().map(|r| r.warc_type().unwrap()).collect();
        assert_eq!(types, ["warcinfo", "request", "response", "metadata"]);
        assert_eq!(recs[0].header("WARC-Filename"), Some(name));
        let info_id = recs[0].record_id().unwrap();
        assert!(recs[1..]
            .iter()
            .all(|r| r.header("WARC-Warcinfo-ID") == Some(info_id)));
        assert_eq!(recs[1].offset, r.request.offset);
    }
    assert_eq!(w.current_file(), files[2].as_path());
}

#[test]
fn stays_in_one_file_below_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::open(config(dir.path())).unwrap();
    write_exchanges(&mut w, 5);
    assert_eq!(warc_files(dir.path()).len(), 1);
    assert_eq!(read_all(w.current_file()).len(), 1 + 5 * 3);
}

#[test]
fn a_new_writer_never_overwrites_or_appends() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = WarcWriter::open(config(dir.path())).unwrap();
    write_exchanges(&mut first, 2);
    first.flush().unwrap();
    let first_path = first.current_file().to_path_buf();
    let before = std::fs::read(&first_path).unwrap();
    drop(first);

    // Same prefix, same second: must pick the next sequence number.
    let mut second = WarcWriter::open(config(dir.path())).unwrap();
    write_exchanges(&mut second, 1);
    second.flush().unwrap();
    assert_ne!(second.current_file(), first_path);
    assert!(second
        .current_file()
        .to_string_lossy()
        .ends_with("-00001.warc.gz"));
    assert_eq!(std::fs::read(&first_path).unwrap(), before);

    // A different prefix that merely starts the same way does not affect numbering.
    let mut other = config(dir.path());
    other.prefix = "wangjian-sweep-30".into();
    let third = WarcWriter::open(other).unwrap();
    assert!(third
        .current_file()
        .to_string_lossy()
        .ends_with("-00000.warc.gz"));
    assert_eq!(warc_files(dir.path()).len(), 3);
}

#[test]
fn the_writer_is_send() {
    fn assert_send<T: Send>() {}
    assert_send::<WarcWriter>();
}
