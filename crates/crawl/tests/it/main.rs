//! Integration tests of `crawl` against real servers on loopback (nothing leaves 127.0.0.1).

mod backoff;
mod crawl;
mod fetch;
mod frontier;
mod post;
mod print;
mod profiles;
mod server;
mod tls;
