//! Integration tests of simweb: determinism, truth coverage, reachability, encodings, register,
//! discoverability of unregistered sites and the socket server.

mod cloak;
mod common;
mod ct;
mod determinism;
mod discovery;
mod gbk;
mod overlay;
mod rectify;
mod register_files;
mod server;
mod truth;
