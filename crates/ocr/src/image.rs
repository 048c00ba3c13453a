//! What an image claims to be, read from its header before any decoder sees it.
//!
//! Only PNG and JPEG are read (what licence photos and scans are); other formats are named
//! and refused. The whole file is walked (PNG chunks up to `IEND`, JPEG segments up to the
//! scan and its `EOI`), so that a truncated file is refused here with a reason rather than
//! half-decoded by the OCR engine. No pixel is decoded: the work is linear in the file size.

use crate::Refusal;

/// An image format this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Jpeg,
}

impl Format {
    pub fn code(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpeg",
        }
    }
}

/// An image's format and dimensions, as its header states them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub format: Format,
    pub width: u32,
    pub height: u32,
}

impl ImageInfo {
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Reads the format and dimensions of `bytes` and checks that the file is whole.
pub fn inspect(bytes: &[u8]) -> Result<ImageInfo, Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::NotImage);
    }
    if bytes.starts_with(PNG_SIGNATURE) {
        return png(bytes);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return jpeg(bytes);
    }
    if let Some(other) = other_format(bytes) {
        return Err(Refusal::Unsupported(other));
    }
    if PNG_SIGNATURE.starts_with(&bytes[..bytes.len().min(8)]) || bytes == [0xFF, 0xD8] {
        return Err(Refusal::Truncated);
    }
    Err(Refusal::NotImage)
}

fn other_format(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Some("gif")
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("webp")
    } else if b.starts_with(b"BM") && b.len() >= 26 {
        Some("bmp")
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        Some("tiff")
    } else {
        None
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at + 2)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

/// PNG: the signature, `IHDR` first, then every chunk whole up to `IEND`, with image data.
fn png(b: &[u8]) -> Result<ImageInfo, Refusal> {
    let mut pos = PNG_SIGNATURE.len();
    let mut dims = None;
    let mut idat = false;
    loop {
        let len = be32(b, pos).ok_or(Refusal::Truncated)? as usize;
        let kind = b.get(pos + 4..pos + 8).ok_or(Refusal::Truncated)?;
        let end = pos
            .checked_add(12)
            .and_then(|p| p.checked_add(len))
            .ok_or(Refusal::Truncated)?;
        if dims.is_none() {
            if kind != b"IHDR" || len != 13 {
                return Err(Refusal::NotImage);
            }
            // The header is read before the rest is checked: a bomb is named as such even
            // when its body is cut.
            let (w, h) = (
                be32(b, pos + 8).ok_or(Refusal::Truncated)?,
                be32(b, pos + 12).ok_or(Refusal::Truncated)?,
            );
            dims = Some((w, h));
        }
        if end > b.len() {
            return Err(Refusal::Truncated);
        }
        match kind {
            b"IDAT" => idat = true,
            b"IEND" => break,
            _ => {}
        }
        pos = end;
    }
    let (width, height) = dims.ok_or(Refusal::NotImage)?;
    if !idat {
        return Err(Refusal::Truncated);
    }
    Ok(ImageInfo {
        format: Format::Png,
        width,
        height,
    })
}

/// JPEG: segments up to the first scan; the frame header (SOFn) gives the dimensions; the
/// entropy-coded data must end with `EOI`.
fn jpeg(b: &[u8]) -> Result<ImageInfo, Refusal> {
    let mut pos = 2;
    let mut dims = None;
    loop {
        // Markers may be preceded by fill bytes 0xFF.
        if *b.get(pos).ok_or(Refusal::Truncated)? != 0xFF {
            return Err(Refusal::NotImage);
        }
        while b.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *b.get(pos).ok_or(Refusal::Truncated)?;
        pos += 1;
        match marker {
            0x01 | 0xD0..=0xD7 => continue,
            0xD9 => return Err(Refusal::Truncated), // EOI before any scan
            _ => {}
        }
        let len = be16(b, pos).ok_or(Refusal::Truncated)? as usize;
        if len < 2 {
            return Err(Refusal::NotImage);
        }
        let end = pos + len;
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let h = be16(b, pos + 3).ok_or(Refusal::Truncated)?;
            let w = be16(b, pos + 5).ok_or(Refusal::Truncated)?;
            dims = Some((u32::from(w), u32::from(h)));
        }
        if end > b.len() {
            return Err(Refusal::Truncated);
        }
        if marker == 0xDA {
            let (width, height) = dims.ok_or(Refusal::NotImage)?;
            // Whatever follows the scans, the image must end with EOI (trailing padding of
            // zeros, as some cameras write, is tolerated).
            let tail = b[end..]
                .iter()
                .rposition(|&x| x != 0)
                .map_or(&b[end..end], |i| &b[end..=end + i]);
            if !tail.ends_with(&[0xFF, 0xD9]) {
                return Err(Refusal::Truncated);
            }
            return Ok(ImageInfo {
                format: Format::Jpeg,
                width,
                height,
            });
        }
        pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_with(w: u32, h: u32, whole: bool) -> Vec<u8> {
        let mut v = PNG_SIGNATURE.to_vec();
        let mut chunk = |kind: &[u8], data: &[u8]| {
            v.extend_from_slice(&(data.len() as u32).to_be_bytes());
            v.extend_from_slice(kind);
            v.extend_from_slice(data);
            v.extend_from_slice(&[0, 0, 0, 0]);
        };
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        chunk(b"IHDR", &ihdr);
        chunk(b"IDAT", &[1, 2, 3]);
        if whole {
            chunk(b"IEND", &[]);
        }
        v
    }

    #[test]
    fn png_dimensions_and_truncation() {
        let ok = png_with(800, 560, true);
        assert_eq!(
            inspect(&ok),
            Ok(ImageInfo {
                format: Format::Png,
                width: 800,
                height: 560
            })
        );
        assert_eq!(inspect(&png_with(800, 560, false)), Err(Refusal::Truncated));
        assert_eq!(inspect(&ok[..ok.len() - 5]), Err(Refusal::Truncated));
        assert_eq!(inspect(&ok[..5]), Err(Refusal::Truncated));
        assert_eq!(inspect(b"hello world"), Err(Refusal::NotImage));
        assert_eq!(inspect(b"GIF89a...."), Err(Refusal::Unsupported("gif")));
    }

    #[test]
    fn jpeg_frame_header() {
        // SOI, APP0 (len 4), SOF0 (h 20, w 30), SOS (len 2), data, EOI.
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0];
        j.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8, 0, 20, 0, 30, 1, 1, 0x11, 0]);
        j.extend_from_slice(&[0xFF, 0xDA, 0, 2, 1, 2, 3, 0xFF, 0xD9]);
        assert_eq!(
            inspect(&j),
            Ok(ImageInfo {
                format: Format::Jpeg,
                width: 30,
                height: 20
            })
        );
        assert_eq!(inspect(&j[..j.len() - 2]), Err(Refusal::Truncated));
        assert_eq!(inspect(&j[..12]), Err(Refusal::Truncated));
    }
}
