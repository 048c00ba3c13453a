//! Integration tests of the domain crate: identifiers against public test vectors.

mod badge;
mod uscc;
