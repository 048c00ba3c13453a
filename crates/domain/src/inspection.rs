//! Field inspections (现场检查): what an on-site check found. The media types an attachment may
//! have are decided here too, from the file's first bytes, so that every front end refuses the
//! same files.

use crate::entity::UnknownCode;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What an inspector found on site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InspectionResult {
    /// Nothing wrong (未发现问题).
    Compliant,
    /// A violation found (发现违法行为).
    Violation,
    /// Nobody at the registered address (无法联系): a cause for the abnormal-operation list.
    NotContactable,
    /// Anything else, said in the notes.
    Other,
}

impl InspectionResult {
    pub const ALL: [InspectionResult; 4] = [
        InspectionResult::Compliant,
        InspectionResult::Violation,
        InspectionResult::NotContactable,
        InspectionResult::Other,
    ];

    /// The stored and command-line code.
    pub fn code(self) -> &'static str {
        match self {
            InspectionResult::Compliant => "compliant",
            InspectionResult::Violation => "violation",
            InspectionResult::NotContactable => "not_contactable",
            InspectionResult::Other => "other",
        }
    }

    /// The result's name for people.
    pub fn title(self) -> &'static str {
        match self {
            InspectionResult::Compliant => "未发现问题",
            InspectionResult::Violation => "发现违法行为",
            InspectionResult::NotContactable => "无法联系",
            InspectionResult::Other => "其他",
        }
    }
}

impl fmt::Display for InspectionResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for InspectionResult {
    type Err = UnknownCode;
    /// A code, its hyphenated form (`not-contactable`) or the Chinese title.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        InspectionResult::ALL
            .into_iter()
            .find(|r| r.code() == s || r.code().replace('_', "-") == s || r.title() == s)
            .ok_or_else(|| UnknownCode {
                what: "inspection result",
                value: s.to_string(),
                expected: "compliant, violation, not_contactable, other",
            })
    }
}

/// The kinds of file an inspection may carry: photos and scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Jpeg,
    Png,
    Pdf,
    Tiff,
    /// HEIC or HEIF (phones' photos).
    Heif,
}

impl AttachmentKind {
    pub const ALL: [AttachmentKind; 5] = [
        AttachmentKind::Jpeg,
        AttachmentKind::Png,
        AttachmentKind::Pdf,
        AttachmentKind::Tiff,
        AttachmentKind::Heif,
    ];

    /// The media type stored with the attachment and sent with it.
    pub fn media_type(self) -> &'static str {
        match self {
            AttachmentKind::Jpeg => "image/jpeg",
            AttachmentKind::Png => "image/png",
            AttachmentKind::Pdf => "application/pdf",
            AttachmentKind::Tiff => "image/tiff",
            AttachmentKind::Heif => "image/heif",
        }
    }

    /// The kind of a stored media type.
    pub fn from_media_type(media_type: &str) -> Option<AttachmentKind> {
        AttachmentKind::ALL
            .into_iter()
            .find(|k| k.media_type() == media_type)
    }

    /// The file name extensions (lowercase) a file of this kind may carry.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            AttachmentKind::Jpeg => &["jpg", "jpeg"],
            AttachmentKind::Png => &["png"],
            AttachmentKind::Pdf => &["pdf"],
            AttachmentKind::Tiff => &["tif", "tiff"],
            AttachmentKind::Heif => &["heic", "heif"],
        }
    }

    /// Whether a browser may show it inline as an image (`<img>`): JPEG and PNG only.
    pub fn is_web_image(self) -> bool {
        matches!(self, AttachmentKind::Jpeg | AttachmentKind::Png)
    }

    /// The kind the file's first bytes show (its magic number), if it is an allowed one. A
    /// declared name or media type is never trusted for this.
    pub fn sniff(bytes: &[u8]) -> Option<AttachmentKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(AttachmentKind::Jpeg);
        }
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(AttachmentKind::Png);
        }
        if bytes.starts_with(b"%PDF-") {
            return Some(AttachmentKind::Pdf);
        }
        if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
            return Some(AttachmentKind::Tiff);
        }
        // ISO base media file: a box of type `ftyp` first, its major brand one of HEIF's.
        if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
            let brand = &bytes[8..12];
            const HEIF_BRANDS: [&[u8; 4]; 8] = [
                b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
            ];
            if HEIF_BRANDS.iter().any(|b| brand == *b) {
                return Some(AttachmentKind::Heif);
            }
        }
        None
    }

    /// The kind a file name's extension declares (case ignored), if it is an allowed one.
    pub fn from_file_name(name: &str) -> Option<AttachmentKind> {
        let (_, ext) = name.rsplit_once('.')?;
        let ext = ext.to_ascii_lowercase();
        AttachmentKind::ALL
            .into_iter()
            .find(|k| k.extensions().contains(&ext.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_round_trip() {
        for r in InspectionResult::ALL {
            assert_eq!(r.code().parse::<InspectionResult>().unwrap(), r);
            assert_eq!(r.title().parse::<InspectionResult>().unwrap(), r);
        }
        assert_eq!(
            "not-contactable".parse::<InspectionResult>().unwrap(),
            InspectionResult::NotContactable
        );
        assert!("fine".parse::<InspectionResult>().is_err());
    }

    #[test]
    fn kinds_are_told_by_their_first_bytes() {
        let cases: [(&[u8], Option<AttachmentKind>); 9] = [
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF", Some(AttachmentKind::Jpeg)),
            (b"\x89PNG\r\n\x1a\n\0\0", Some(AttachmentKind::Png)),
            (b"%PDF-1.7\n", Some(AttachmentKind::Pdf)),
            (b"II*\0\x08\0\0\0", Some(AttachmentKind::Tiff)),
            (b"MM\0*\0\0\0\x08", Some(AttachmentKind::Tiff)),
            (b"\0\0\0\x18ftypheic\0\0\0\0", Some(AttachmentKind::Heif)),
            (b"\0\0\0\x18ftypmp42\0\0\0\0", None),
            (b"<html><script>", None),
            (b"", None),
        ];
        for (bytes, want) in cases {
            assert_eq!(AttachmentKind::sniff(bytes), want, "{bytes:?}");
        }
    }

    #[test]
    fn extensions_declare_kinds() {
        assert_eq!(
            AttachmentKind::from_file_name("现场.JPG"),
            Some(AttachmentKind::Jpeg)
        );
        assert_eq!(
            AttachmentKind::from_file_name("a.tar.pdf"),
            Some(AttachmentKind::Pdf)
        );
        assert_eq!(AttachmentKind::from_file_name("a.exe"), None);
        assert_eq!(AttachmentKind::from_file_name("noext"), None);
        for k in AttachmentKind::ALL {
            assert_eq!(AttachmentKind::from_media_type(k.media_type()), Some(k));
        }
    }
}
