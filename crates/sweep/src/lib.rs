//! Sweep orchestration: plan → fetch → capture → detect → record.
//!
//! A sweep takes the register's sites from the store, crawls them (`crawl`), writes every
//! exchange as WARC evidence (`evidence`), scans every HTML page (`detect`) and records fetches
//! and findings, each finding pointing at its WARC record (`store`). This is the only crate that
//! knows all four; they do not know each other.
//!
//! Resumption works within a site: a sweep lists its sites as pending in the store; while a
//! site is crawled, its frontier is saved every few pages together with the fetch rows of the
//! pages it covers, in one transaction and only after their WARC records are synced to disk;
//! a finished site is marked done. A killed sweep cuts the torn tail of its last WARC file,
//! then continues each site from its saved frontier, so no page is fetched twice.
//!
//! Before the crawl, every homepage is probed in several fetch profiles to unmask cloaking
//! (`probe`); the probes' evidence goes through the same WARC writer.
//!
//! Sweeps also discover and classify sites (`discover`): links from registered sites to
//! addresses no site covers become discovered sites, crawled in a second wave of the same
//! sweep, and their own links, a bounded number of hops further, are followed to sites that
//! show they are in the city; department data and certificate transparency logs add sites of
//! their own (`sources`). Every finished site is classified from its pages.

pub mod capture;
pub mod checkpoint;
pub mod discover;
pub mod documents;
mod error;
pub mod export;
pub mod index;
pub mod licence_images;
pub mod lookup;
mod observed;
pub mod probe;
mod recheck;
pub mod register_facts;
mod run;
pub mod sequencer;
pub mod sources;
pub mod tsa;
pub mod worker;

pub use discover::DiscoveryConfig;
pub use error::{CaptureRefusal, SweepError};
pub use recheck::{recheck, RecheckOutcome};
pub use run::{
    load_badge_book, plan_sweep, resume_sweep, run_existing, run_sweep, start_sweep,
    BadgeCheckConfig, LogConfig, SweepConfig, SweepPlan, SweepSummary,
};
