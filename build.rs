//! Build script: tells rustc which optional test cases can run.
//!
//! - With `COMPTOIR_TEST_POSTGRES_URL` set, the tests' PostgreSQL cases are compiled as normal
//!   tests; without it they are compiled `#[ignore]`d, so the runner reports them as skipped
//!   (never as passed).
//! - With a ChromeDriver (the path in `COMPTOIR_CHROMEDRIVER`, else `/usr/bin/chromedriver`),
//!   the browser tests (`tests/api/browser.rs`) are compiled as normal tests; without one they
//!   are compiled `#[ignore]`d.

use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(comptoir_pg_tests)");
    println!("cargo::rustc-check-cfg=cfg(comptoir_browser_tests)");
    println!("cargo::rerun-if-env-changed=COMPTOIR_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=COMPTOIR_CHROMEDRIVER");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rerun-if-changed=migrations");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("COMPTOIR_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=comptoir_pg_tests");
    }
    let chromedriver = std::env::var_os("COMPTOIR_CHROMEDRIVER")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from);
    if chromedriver.is_file() {
        // looked for again if it goes; a driver installed after a build is only seen once this
        // script runs again (`touch build.rs`): Cargo reruns a script whose watched path is
        // missing on every build, and an installed file keeps its package's old timestamp
        println!("cargo::rerun-if-changed={}", chromedriver.display());
        println!("cargo::rustc-cfg=comptoir_browser_tests");
    }
}
