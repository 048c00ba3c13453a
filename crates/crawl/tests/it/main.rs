//! Integration tests of `crawl` against real servers on loopback (nothing leaves 127.0.0.1).

mod backoff;
mod crawl;
mod fetch;
mod frontier;
mod print;
mod profiles;
mod request;
mod server;
mod tls;
