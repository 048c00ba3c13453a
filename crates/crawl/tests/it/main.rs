//! Integration tests of `crawl` against real sockets on loopback.
