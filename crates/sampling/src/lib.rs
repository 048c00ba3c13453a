//! Random inspections (双随机、一公开): a plan names the inspection items, the population
//! (a filter over the register), the sampling ratio per credit class and the pool of
//! inspectors; a draw from a published seed selects entities and assigns inspectors without
//! conflicts of interest, reproducibly; the publication lists everything needed to check it.
//!
//! [`draw`] is the algorithm, pure (`wangjian-draw-1`, docs/sampling.md).

pub mod draw;
