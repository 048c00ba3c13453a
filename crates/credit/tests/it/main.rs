//! The credit crate's one integration-test binary.

mod lists;
