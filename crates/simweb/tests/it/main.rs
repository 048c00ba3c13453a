//! Integration tests of simweb: determinism, truth coverage, reachability, encodings, register
//! and the socket server.

mod cloak;
mod common;
mod determinism;
mod gbk;
mod register;
mod server;
mod truth;
