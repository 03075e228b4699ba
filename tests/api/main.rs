//! Integration tests: the real application over HTTP, on SQLite and PostgreSQL.
//! One test binary (faster to link) with a module per concept.

mod harness;

mod accounting;
mod accounts;
mod addresses;
mod authorization;
mod books;
mod browser;
mod browser_admin;
mod browser_gaps;
mod browser_hub;
mod browser_producer;
mod browser_treasury;
mod browser_treasury_books;
mod browser_walk;
mod catalog;
mod cli;
mod close;
mod cycles;
mod demo;
mod deployment;
mod directory;
mod enterprises;
mod errors;
mod history;
mod hubs;
mod instances;
mod ledger;
mod mail;
mod marketplace_property;
mod money_api;
mod natures;
mod odoo;
mod openapi;
mod operations;
mod operator;
mod orders;
mod pages;
mod payment_requests;
mod professionals;
mod smtp_server;
mod support;
mod topups;
mod web_account;
mod web_admin;
mod web_basics;
mod web_checkout;
mod web_hub;
mod web_hub_cycles;
mod web_hub_orders;
mod web_hub_people;
mod web_hub_reports;
mod web_orders;
mod web_producer;
mod web_producer_import;
mod web_producer_trade;
mod web_shop;
mod web_topups;
mod web_treasury;
mod web_treasury_chart;
mod web_treasury_more;
mod web_treasury_odoo;
mod web_treasury_payouts;
mod web_wallet;

/// In CI the PostgreSQL cases must run: an unset URL fails the run instead of skipping.
#[test]
fn postgres_is_configured_when_ci_is_set() {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        assert!(
            std::env::var("COMPTOIR_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()),
            "CI=true but COMPTOIR_TEST_POSTGRES_URL is not set: PostgreSQL cases would be skipped"
        );
        let compiled_in = cfg!(comptoir_pg_tests);
        assert!(compiled_in, "PostgreSQL cases were compiled as ignored");
    }
}

/// In CI the browser tests must run: a build without a ChromeDriver (their cfg unset) fails
/// the run instead of reporting them ignored.
#[test]
fn browser_tests_are_compiled_when_ci_is_set() {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        let compiled_in = cfg!(comptoir_browser_tests);
        assert!(
            compiled_in,
            "CI=true but the browser tests were compiled as ignored: no ChromeDriver at \
             COMPTOIR_CHROMEDRIVER or /usr/bin/chromedriver when the tests were built"
        );
    }
}
