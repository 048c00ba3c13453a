//! Tests of the `wangjian` binary as a user runs it.

mod cli;
mod eval;
mod wacz;
