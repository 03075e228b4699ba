//! The OpenAPI document lists every route, and every documented route is served.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::backend_tests;
use crate::harness::{Backend, TestApp};

backend_tests!(
    openapi_is_3_1_and_lists_every_route_in_the_source,
    every_documented_route_is_served
);

/// Every source file under `src/api/`, its folders included, in path order.
fn api_sources() -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api")];
    while let Some(dir) = dirs.pop() {
        for path in std::fs::read_dir(&dir)
            .expect("src/api")
            .flatten()
            .map(|e| e.path())
        {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 10, "src/api/ holds the handlers");
    files
}

/// `(METHOD, /path)` of every actix route attribute under `src/api/`.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for file in api_sources() {
        let text = std::fs::read_to_string(&file).expect("source file");
        for line in text.lines().map(str::trim) {
            for method in ["get", "post", "put", "patch", "delete", "head", "options"] {
                if let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) {
                    let path = rest.split('"').next().unwrap_or_default().to_string();
                    routes.insert((method.to_uppercase(), path));
                }
            }
            assert!(
                !line.contains(".route(") && !line.contains("web::resource("),
                "{}: register routes with `#[get(..)]` handlers and `cfg.service(..)` so they reach the OpenAPI document: {line}",
                file.display()
            );
        }
    }
    routes
}

fn routes_in_document(doc: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    routes
}

async fn openapi_is_3_1_and_lists_every_route_in_the_source(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let doc = app.get("/openapi.json").await.json();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let documented = routes_in_document(&doc);
    let in_source = routes_in_source();
    assert!(
        in_source.len() >= 11,
        "the source scan found too few routes: {in_source:?}"
    );
    let missing: Vec<_> = in_source.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes missing from /openapi.json: {missing:?}"
    );
    let stale: Vec<_> = documented.difference(&in_source).collect();
    assert!(
        stale.is_empty(),
        "documented routes without a handler: {stale:?}"
    );
    // the document served is the one the code builds
    let built = serde_json::to_value(comptoir::api::openapi_document()).expect("document");
    assert_eq!(routes_in_document(&built), documented);
    // a new account's language is one of Comptoir's (its deployment's country narrows them),
    // said in words: a `$ref` to an enum here stops schemathesis's sign-up bootstrap
    let schemas = &doc["components"]["schemas"];
    let locale = &schemas["RegisterRequest"]["properties"]["locale"];
    assert!(
        locale["description"]
            .as_str()
            .is_some_and(|d| d.contains("`de`")),
        "{locale}"
    );
}

async fn every_documented_route_is_served(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let doc = app.get("/openapi.json").await.json();
    for (method, path) in routes_in_document(&doc) {
        let concrete: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "la-cagette" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let reply = app
            .request(&method, &concrete, Some("application/json"), b"{}".to_vec())
            .await;
        let body = String::from_utf8_lossy(&reply.body).to_string();
        assert!(
            !body.contains("/problems/no-such-route")
                && !body.contains("/problems/method-not-allowed"),
            "{method} {path} is documented but not routed: {body}"
        );
        assert!(
            reply.status.as_u16() < 500,
            "{method} {concrete} answered {}: {body}",
            reply.status
        );
    }
}

/// The README is how the next person learns the system: it must keep documenting every
/// problem type and the two set-up commands.
#[test]
fn readme_documents_the_setup_commands_and_every_problem_type() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("README.md");
    for command in ["cargo run --release -- serve --demo", "cargo test --locked"] {
        assert!(
            readme.contains(command),
            "README.md no longer shows `{command}`"
        );
    }
    for kind in comptoir::api::error::ProblemKind::ALL {
        let slug = format!("`/problems/{}`", kind.info().slug);
        assert!(
            readme.contains(&slug),
            "README.md does not document the problem type {slug}"
        );
    }
    let ci =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run"))
            .expect(".ci/run");
    assert!(
        ci.contains("cargo test --locked"),
        ".ci/run must run the README's test command"
    );
}

/// Every handler that authenticates its caller must ask the authorization policy (directly
/// or through a helper that does): no route may rely on authentication alone.
#[test]
fn every_authenticated_handler_asks_the_policy() {
    // helpers that end in `authorize`: the account checks (`readable`, `may_read`), a cycle found for its hub's
    // action (`cycles::find_for`), the books' keepers (`keep_books`, and the exports'
    // `stream_export`, which starts with it, and the trial balance's `trial_balance_of`, the general ledger's `general_ledger_of`), the
    // fiat payment's two paths (`fiat_paid`, which asks for `CollectPayment`)
    const AUTHORIZING: &[&str] = &[
        "fiat_paid(",
        "authorize(",
        "spending(",
        "readable(",
        "may_read(",
        "find_for(",
        "keep_books(",
        "stream_export(",
        "fec_of(",
        "odoo_csv_of(",
        "enterprise_books(",
        "trial_balance_of(",
        "general_ledger_of(",
        // the top-up requests' and bank account's domain functions ask the policy themselves
        "topups::",
        "bank::set(",
        // the professionals' decisions, through `decide`, and their lists ask it themselves
        "professionals::",
        "decide(",
        // payment requests' domain functions ask it themselves (`payment_requests::`), the
        // QR code's drawing through them
        "payment_requests::",
        "drawn_request(",
        // the QR code's two drawings, through `topups::code`
        "drawn(",
    ];
    let mut checked = 0;
    for file in api_sources() {
        let text = std::fs::read_to_string(&file).expect("source");
        for chunk in text.split("pub async fn ").skip(1) {
            let body = chunk.split("\n}\n").next().unwrap_or_default();
            let signature = body.split('{').next().unwrap_or_default();
            if signature.contains("Authenticated") {
                checked += 1;
                let name = signature.split('(').next().unwrap_or_default();
                assert!(
                    AUTHORIZING.iter().any(|call| body.contains(call)),
                    "{}: handler `{name}` authenticates but never asks auth::policy::authorize",
                    file.display()
                );
            }
        }
    }
    assert!(checked >= 20, "only {checked} authenticated handlers found");
}

/// What `openapi-spec-validator` checks first (CI runs it too): a path parameter is one of
/// the path's `{names}` and each name has its parameter, and every `$ref` resolves.
#[test]
fn parameters_are_where_they_are_read_and_every_reference_resolves() {
    let doc = serde_json::to_value(comptoir::api::openapi_document()).expect("document");
    let mut problems = Vec::new();
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        let names: BTreeSet<String> = path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split('}').next())
            .map(str::to_string)
            .collect();
        for (method, operation) in operations.as_object().expect("operations") {
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let in_path: BTreeSet<String> = parameters
                .iter()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str().map(str::to_string))
                .collect();
            if in_path != names {
                problems.push(format!(
                    "{method} {path}: path parameters {in_path:?}, the path names {names:?}"
                ));
            }
        }
    }
    fn refs(value: &Value, found: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v.as_str()) {
                        ("$ref", Some(target)) => {
                            found.insert(target.to_string());
                        }
                        _ => refs(v, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    refs(&doc, &mut found);
    for target in found {
        let pointer = target.trim_start_matches('#');
        if doc.pointer(pointer).is_none() {
            problems.push(format!("`{target}` resolves to nothing"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every declared link is in the document, points to an operation that exists, and fills
/// exactly that operation's path parameters (a renamed handler or parameter fails here).
#[test]
fn links_lead_to_operations_that_exist_with_their_parameters() {
    let doc = serde_json::to_value(comptoir::api::openapi_document()).expect("document");
    let mut targets = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for operation in item.as_object().expect("item").values() {
            if let Some(id) = operation["operationId"].as_str() {
                let names: BTreeSet<String> = path
                    .split('{')
                    .skip(1)
                    .filter_map(|s| s.split('}').next())
                    .map(str::to_string)
                    .collect();
                targets.insert(id.to_string(), names);
            }
        }
    }
    for (path, method, status, name, target, parameters) in comptoir::api::openapi::LINKS {
        let link = &doc["paths"][*path][*method]["responses"][*status]["links"][*name];
        assert_eq!(
            link["operationId"], *target,
            "{method} {path} {status} {name}"
        );
        let wanted = targets
            .get(*target)
            .unwrap_or_else(|| panic!("no operation `{target}`"));
        let given: BTreeSet<String> = parameters.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(&given, wanted, "the parameters of {name} → {target}");
    }
}

/// Each operation has its own `operationId` (the handler's name): clients generate a function
/// per id, and the OpenAPI validator refuses a document repeating one.
#[test]
fn operation_ids_are_unique() {
    let doc = serde_json::to_value(comptoir::api::openapi_document()).expect("document");
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            let id = operation["operationId"].as_str().expect("an operationId");
            if let Some(first) = seen.insert(id.to_string(), format!("{method} {path}")) {
                panic!("operationId `{id}` names both {first} and {method} {path}");
            }
        }
    }
    assert!(seen.len() > 50, "only {} operations", seen.len());
}
