//! The scheduler and campaigns end to end over simweb on loopback: a scheduled sweep cut off
//! mid-way and finished by a new scheduler, a due run never run twice, campaign sweeps with
//! their sites and packs, refusals that write nothing, the sweep lock, and re-checks.

mod campaigns;
mod credit;
mod scheduler;
mod support;
