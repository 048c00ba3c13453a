//! End-to-end tests of a sweep over simweb: capture, detection against ground truth, resume.

mod badge;
mod capture;
mod cloaking;
mod documents;
mod gzip;
mod hostile;
mod intruder;
mod licence;
mod recrawl;
mod repair;
mod support;
mod sweep;
mod tsa;
