//! Build script: tells rustc whether the PostgreSQL test cases can run.
//!
//! With `COMPTOIR_TEST_POSTGRES_URL` set, the tests' PostgreSQL cases are compiled as normal
//! tests; without it they are compiled `#[ignore]`d, so the runner reports them as skipped
//! (never as passed).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(comptoir_pg_tests)");
    println!("cargo::rerun-if-env-changed=COMPTOIR_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-changed=migrations");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("COMPTOIR_TEST_POSTGRES_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=comptoir_pg_tests");
    }
}
