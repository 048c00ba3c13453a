//! Sweep orchestration: plan → fetch → capture → detect → record.
//!
//! A sweep takes the register's sites from the store, crawls them (`crawl`), writes every
//! exchange as WARC evidence (`evidence`), scans every HTML page (`detect`) and records fetches
//! and findings, each finding pointing at its WARC record (`store`). This is the only crate that
//! knows all four; they do not know each other.
//!
//! Resumption is per site: a sweep lists its sites as pending in the store and marks each done
//! when its crawl ends, so a sweep that was killed continues with the sites still pending.

pub mod register;
mod run;

pub use run::{run_sweep, LogConfig, SweepConfig, SweepError, SweepSummary};
