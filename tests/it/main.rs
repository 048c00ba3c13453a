//! Tests of the `wangjian` binary as a user runs it.

mod api;
mod backup;
mod browser;
mod campaign;
mod capture;
mod casework;
mod cli;
mod config;
mod credit;
mod credit_lists;
mod ct;
mod custody;
mod dashboard;
mod engines;
mod eval;
mod inspections;
mod objects;
mod ops;
mod portal;
mod portal_badge;
mod portal_complaint;
mod probes;
mod register;
mod replay;
mod report;
mod sample;
mod soak;
mod users;
mod validation;
mod verify;
mod wacz;
mod workers;

use std::path::Path;
use std::process::{Command, Output};

/// `wangjian --data DATA`, with `WANGJIAN_DATA` cleared so the test's directory is used.
pub fn wangjian(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wangjian"));
    cmd.arg("--data").arg(data).env_remove("WANGJIAN_DATA");
    cmd
}

/// [`wangjian`] for a process that serves: the console's scheduler runs no daily job (city
/// sweep, credit, re-checks), so that a test never meets a sweep it did not start because it
/// ran at the hour one is due (the city sweep's default is 02:00 Beijing time, and a fresh
/// console catches up on a due time within the hour). A test that exercises a schedule sets
/// its own (`.env` after this wins).
pub fn serving_process(data: &Path) -> Command {
    let mut cmd = wangjian(data);
    for key in [
        "WANGJIAN_SCHEDULE_CITY_SWEEP",
        "WANGJIAN_SCHEDULE_CREDIT",
        "WANGJIAN_SCHEDULE_RECHECKS",
    ] {
        cmd.env(key, "");
    }
    cmd
}

/// `wangjian demo` of 12 sites, slowed down (one site at a time, a politeness delay) so that
/// what a test does beside it lands while the sweep is still writing.
pub fn slow_demo(data: &Path) -> Command {
    let mut cmd = wangjian(data);
    cmd.args([
        "demo",
        "--sites",
        "12",
        "--seed",
        "4",
        "--no-serve",
        "--concurrency",
        "1",
        "--delay-ms",
        "100",
    ]);
    cmd
}

/// Runs wangjian; prints its output when it fails (the caller asserts).
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("wangjian runs");
    if !out.status.success() {
        eprintln!(
            "stdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}
