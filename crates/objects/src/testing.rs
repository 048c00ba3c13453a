//! A real S3-compatible server for tests (cargo feature `testing`, for dev-dependencies only):
//! `s3s-fs`, which keeps each object as a plain file under its root directory, started on a
//! free loopback port with a bucket made and credentials of its own; killed when dropped.
//!
//! The binary is `WANGJIAN_S3S_FS`, else `s3s-fs` on the `PATH`, else
//! `~/.cache/wangjian-tools/s3s-fs/bin/s3s-fs`, which is built there from crates.io when
//! missing (`cargo install s3s-fs --version 0.14.1 --features binary --locked --root …`,
//! about two minutes; `.ci/run` does it before the tests). A binary that cannot be found,
//! built or started is a panic saying so: such a test fails, it never skips.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::ObjectsConfig;

/// The bucket every test server has.
pub const BUCKET: &str = "evidence";
const ACCESS_KEY: &str = "wangjian-test";
const SECRET_KEY: &str = "wangjian-test-secret";

/// A running `s3s-fs` on loopback.
pub struct S3Server {
    child: Child,
    addr: SocketAddr,
    root: tempfile::TempDir,
}

/// Where the `s3s-fs` binary is.
pub fn s3s_fs_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("WANGJIAN_S3S_FS") {
        return PathBuf::from(p);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let p = dir.join("s3s-fs");
            if p.is_file() {
                return p;
            }
        }
    }
    let home = std::env::var_os("HOME").unwrap_or_default();
    let root = Path::new(&home).join(".cache/wangjian-tools/s3s-fs");
    let binary = root.join("bin/s3s-fs");
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if !binary.is_file() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "install",
                "--locked",
                "--quiet",
                "s3s-fs",
                "--version",
                "0.14.1",
            ])
            .args(["--features", "binary", "--root"])
            .arg(&root)
            .status();
        assert!(
            matches!(status, Ok(s) if s.success()),
            "cannot build s3s-fs into {}: {status:?}",
            root.display()
        );
    }
    binary
}

impl S3Server {
    /// Starts a server with an empty bucket [`BUCKET`]; returns once it accepts connections.
    pub fn start() -> S3Server {
        let binary = s3s_fs_binary();
        assert!(
            binary.is_file(),
            "s3s-fs is needed at {} (WANGJIAN_S3S_FS)",
            binary.display()
        );
        let root = tempfile::tempdir().expect("a directory for the server");
        std::fs::create_dir(root.path().join(BUCKET)).expect("the bucket's directory");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = Command::new(&binary)
            .arg("--host")
            .arg("127.0.0.1")
            .arg("--port")
            .arg(port.to_string())
            .arg("--access-key")
            .arg(ACCESS_KEY)
            .arg("--secret-key")
            .arg(SECRET_KEY)
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", binary.display()));
        let mut server = S3Server { child, addr, root };
        let started = Instant::now();
        while TcpStream::connect(addr).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("s3s-fs exited at once ({status})");
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "s3s-fs does not listen on {addr}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Settings that reach the server's bucket under `prefix`.
    pub fn config(&self, prefix: &str) -> ObjectsConfig {
        ObjectsConfig {
            endpoint: self.endpoint(),
            bucket: BUCKET.into(),
            prefix: prefix.into(),
            region: "us-east-1".into(),
            access_key_id: Some(ACCESS_KEY.into()),
            secret_access_key: Some(SECRET_KEY.into()),
            upload_every_secs: 600,
        }
    }

    /// The access key and secret, as `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` would
    /// give them.
    pub fn credentials(&self) -> (&'static str, &'static str) {
        (ACCESS_KEY, SECRET_KEY)
    }

    /// The file the server keeps object `key` in (`prefix/name`): what it really stored.
    pub fn object_file(&self, key: &str) -> PathBuf {
        self.root.path().join(BUCKET).join(key)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
