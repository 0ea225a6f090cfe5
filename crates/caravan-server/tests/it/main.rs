//! Integration tests of the HTTP shell: API, authorization denials, CSRF, the web UI,
//! and the end-to-end browser test. One binary, a module per topic.

#![allow(clippy::unwrap_used, reason = "test helpers fail loudly by design")]

mod analytics;
mod api;
mod authz;
mod browser;
mod certs;
mod declarations;
mod land;
mod matrix;
mod openapi;
mod scholarship;
mod security;
mod support;
mod tariff;
mod ui;
