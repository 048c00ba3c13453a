//! Integration tests for `evidence`: one binary, one module per concern.
fn main() {}
