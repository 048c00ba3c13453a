//! Integration tests of sampling.
