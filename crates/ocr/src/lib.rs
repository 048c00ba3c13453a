//! OCR of captured images, bounded: Debian's `tesseract` CLI run as a child process.
//!
//! An image is refused before any decoder sees it when it is too large in bytes, is not a
//! whole PNG or JPEG, or its header claims more pixels than [`Limits::max_pixels`] (an image
//! bomb): [`image::inspect`] reads the header and walks the file without decoding pixels.
//! What passes is written to a private temporary file and read by `tesseract FILE stdout -l
//! chi_sim+eng --psm 6`, under a deadline (the child is killed), an address-space limit
//! (`prlimit --as`, from util-linux, wraps the child when it is installed), one OCR thread
//! (`OMP_THREAD_LIMIT=1`) and a cap on the text kept.
//!
//! A machine without tesseract or its Chinese data gives [`Unavailable`] with a reason, never
//! a panic: callers (the sweep, `wangjian eval`) go on without OCR and say so.
//!
//! Every failure has a stable [`OcrError::code`]; nothing here is a sentence for people.

pub mod image;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use image::{inspect, Format, ImageInfo};

/// The languages asked of tesseract: simplified Chinese, then English for codes and labels.
pub const LANGUAGES: &str = "chi_sim+eng";
/// Page segmentation mode 6: one uniform block of text (what a licence's field list is).
pub const PSM: &str = "6";

/// Bounds on one OCR run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest image file read, in bytes.
    pub max_bytes: usize,
    /// Largest image read, in pixels as its header states them.
    pub max_pixels: u64,
    /// Wall-clock deadline of the child; it is killed after it.
    pub timeout: Duration,
    /// Address-space limit of the child, in bytes (through `prlimit --as`).
    pub max_memory: u64,
    /// Text kept from the child's output, in bytes; the rest is read and dropped.
    pub max_output: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 8 << 20,
            max_pixels: 25_000_000,
            timeout: Duration::from_secs(30),
            max_memory: 1 << 30,
            max_output: 64 << 10,
        }
    }
}

/// Why an image was not handed to the OCR engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("image larger than {max} bytes ({bytes})")]
    TooLarge { bytes: usize, max: usize },
    #[error("not an image")]
    NotImage,
    #[error("image format {0} is not read")]
    Unsupported(&'static str),
    #[error("image file is truncated")]
    Truncated,
    #[error("image of {width}x{height} pixels exceeds {max} pixels")]
    TooManyPixels { width: u32, height: u32, max: u64 },
    #[error("image has no pixels")]
    Empty,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TooLarge { .. } => "image.too_large",
            Refusal::NotImage => "image.not_image",
            Refusal::Unsupported(_) => "image.unsupported",
            Refusal::Truncated => "image.truncated",
            Refusal::TooManyPixels { .. } => "image.too_many_pixels",
            Refusal::Empty => "image.empty",
        }
    }
}

/// Why OCR cannot run on this machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error("tesseract not found ({0})")]
    NotInstalled(String),
    #[error("tesseract has no {0} language data")]
    NoLanguage(&'static str),
    #[error("tesseract does not answer: {0}")]
    Broken(String),
}

impl Unavailable {
    pub fn code(&self) -> &'static str {
        match self {
            Unavailable::NotInstalled(_) => "ocr.unavailable.not_installed",
            Unavailable::NoLanguage(_) => "ocr.unavailable.no_language",
            Unavailable::Broken(_) => "ocr.unavailable.broken",
        }
    }
}

/// Why one image was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcrError {
    #[error("image refused: {0}")]
    Refused(#[from] Refusal),
    #[error("OCR unavailable: {0}")]
    Unavailable(#[from] Unavailable),
    #[error("OCR did not finish within {0:?}; killed")]
    Timeout(Duration),
    #[error("OCR ran out of its memory limit")]
    Memory,
    #[error("OCR failed ({status}): {detail}")]
    Failed { status: String, detail: String },
    #[error("OCR input/output: {0}")]
    Io(String),
}

impl OcrError {
    pub fn code(&self) -> &'static str {
        match self {
            OcrError::Refused(r) => r.code(),
            OcrError::Unavailable(u) => u.code(),
            OcrError::Timeout(_) => "ocr.timeout",
            OcrError::Memory => "ocr.memory",
            OcrError::Failed { .. } => "ocr.failed",
            OcrError::Io(_) => "ocr.io",
        }
    }
}

/// Checks an image against `limits` without decoding it: size in bytes, format, wholeness,
/// pixel count.
pub fn check_image(bytes: &[u8], limits: &Limits) -> Result<ImageInfo, Refusal> {
    if bytes.len() > limits.max_bytes {
        return Err(Refusal::TooLarge {
            bytes: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let info = inspect(bytes)?;
    if info.width == 0 || info.height == 0 {
        return Err(Refusal::Empty);
    }
    if info.pixels() > limits.max_pixels {
        return Err(Refusal::TooManyPixels {
            width: info.width,
            height: info.height,
            max: limits.max_pixels,
        });
    }
    Ok(info)
}

/// What the engine read from one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub text: String,
    /// The output was longer than [`Limits::max_output`] and was cut.
    pub capped: bool,
    pub image: ImageInfo,
    /// The engine's version line, e.g. `tesseract 5.3.0`.
    pub engine: String,
    pub elapsed: Duration,
}

/// The tesseract CLI found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tesseract {
    program: PathBuf,
    /// `prlimit`, when installed: the child's address space is limited through it.
    prlimit: Option<PathBuf>,
    version: String,
}

/// Finds an executable in `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Tesseract {
    /// The `tesseract` in `PATH` (or the one `WANGJIAN_TESSERACT` names), checked to answer
    /// and to have the Chinese and English data.
    pub fn locate() -> Result<Tesseract, Unavailable> {
        let program = match std::env::var_os("WANGJIAN_TESSERACT") {
            Some(p) => PathBuf::from(p),
            None => {
                which("tesseract").ok_or_else(|| Unavailable::NotInstalled("not in PATH".into()))?
            }
        };
        Tesseract::at(&program)
    }

    /// The tesseract at `program`, checked like [`Tesseract::locate`].
    pub fn at(program: &Path) -> Result<Tesseract, Unavailable> {
        if !program.is_file() {
            return Err(Unavailable::NotInstalled(program.display().to_string()));
        }
        let quick = Duration::from_secs(20);
        let version = run_bounded(Command::new(program).arg("--version"), quick, 16 << 10)
            .map_err(|e| Unavailable::Broken(e.to_string()))?;
        let line = String::from_utf8_lossy(&version.stdout)
            .lines()
            .chain(String::from_utf8_lossy(&version.stderr).lines())
            .find(|l| l.starts_with("tesseract"))
            .map(str::trim)
            .map(str::to_owned)
            .ok_or_else(|| Unavailable::Broken("no version line".into()))?;
        let langs = run_bounded(Command::new(program).arg("--list-langs"), quick, 16 << 10)
            .map_err(|e| Unavailable::Broken(e.to_string()))?;
        let listed = String::from_utf8_lossy(&langs.stdout).to_string()
            + &String::from_utf8_lossy(&langs.stderr);
        for lang in ["chi_sim", "eng"] {
            if !listed.lines().any(|l| l.trim() == lang) {
                return Err(Unavailable::NoLanguage(lang));
            }
        }
        Ok(Tesseract {
            program: program.to_path_buf(),
            prlimit: which("prlimit"),
            version: line,
        })
    }

    /// The version line, e.g. `tesseract 5.3.0`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// True when the child's memory is limited (`prlimit` found).
    pub fn memory_limited(&self) -> bool {
        self.prlimit.is_some()
    }

    /// Reads the text of one image, within `limits`.
    pub fn read(&self, bytes: &[u8], limits: &Limits) -> Result<Reading, OcrError> {
        let image = check_image(bytes, limits)?;
        let started = Instant::now();
        let mut file = tempfile::Builder::new()
            .prefix("wangjian-ocr-")
            .suffix(match image.format {
                Format::Png => ".png",
                Format::Jpeg => ".jpg",
            })
            .tempfile()
            .map_err(|e| OcrError::Io(e.to_string()))?;
        file.write_all(bytes)
            .and_then(|()| file.flush())
            .map_err(|e| OcrError::Io(e.to_string()))?;
        let mut cmd = match &self.prlimit {
            Some(prlimit) => {
                let mut c = Command::new(prlimit);
                c.arg(format!("--as={}", limits.max_memory))
                    .arg("--")
                    .arg(&self.program);
                c
            }
            None => Command::new(&self.program),
        };
        cmd.arg(file.path())
            .arg("stdout")
            .args(["-l", LANGUAGES, "--psm", PSM])
            .env("OMP_THREAD_LIMIT", "1");
        let out = run_bounded(&mut cmd, limits.timeout, limits.max_output)?;
        if !out.success {
            let detail = String::from_utf8_lossy(&out.stderr);
            let detail: String = detail.trim().chars().take(300).collect();
            let lower = detail.to_ascii_lowercase();
            if lower.contains("bad_alloc")
                || lower.contains("memory")
                || lower.contains("alloc")
                || out.status.contains("signal 6")
            {
                return Err(OcrError::Memory);
            }
            return Err(OcrError::Failed {
                status: out.status,
                detail,
            });
        }
        Ok(Reading {
            text: String::from_utf8_lossy(&out.stdout).into_owned(),
            capped: out.capped,
            image,
            engine: self.version.clone(),
            elapsed: started.elapsed(),
        })
    }
}

/// What a bounded child left.
struct Output {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    capped: bool,
    success: bool,
    status: String,
}

/// Reads a pipe to its end, keeping at most `cap` bytes; true when more came.
fn drain(mut r: impl Read, cap: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    let mut capped = false;
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                if n > room {
                    capped = true;
                }
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
    (kept, capped)
}

/// Runs `cmd` with no stdin, its outputs read (capped) on two threads, killed at `timeout`.
fn run_bounded(cmd: &mut Command, timeout: Duration, cap: usize) -> Result<Output, OcrError> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| OcrError::Io(e.to_string()))?;
    let stdout = child
        .stdout
        .take()
        .map(|o| std::thread::spawn(move || drain(o, cap)));
    let stderr = child
        .stderr
        .take()
        .map(|e| std::thread::spawn(move || drain(e, 16 << 10)));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(OcrError::Timeout(timeout));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(OcrError::Io(e.to_string()));
            }
        }
    };
    let (stdout, capped) = stdout.and_then(|t| t.join().ok()).unwrap_or_default();
    let (stderr, _) = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    Ok(Output {
        stdout,
        stderr,
        capped,
        success: status.success(),
        status: status.to_string(),
    })
}
