//! Integration tests of `crawl` against real servers on loopback (nothing leaves 127.0.0.1).

mod crawl;
mod fetch;
mod server;
