//! The statuses every route can answer besides its own, documented once: shared responses in
//! `components/responses`, referenced by each operation they apply to (instead of the same
//! attribute line copied on every handler). An operation's own entry for a status wins.
//!
//! | status | where | why |
//! |---|---|---|
//! | 400 | a JSON body or a query string | malformed JSON, a query parameter of the wrong type |
//! | 401 | every operation with a `security` requirement | no token, or one no longer valid |
//! | 404 | a path parameter or a JSON body | no such resource (named in the path or the body), or not visible to the caller |
//! | 413, 415 | a JSON body | too large; not sent as JSON |
//! | 422 | a JSON body or query parameters | a value breaks a rule; `errors` names each field |
//! | 429 | log-in, registration, password resets and changes, erasure | too many attempts |
//! | 503 | every operation | the database is unavailable; retry |
//!
//! It also adds the **links** between operations ([`LINKS`]): what a client (or a stateful
//! fuzzer) can do next with what an answer returned — the order a checkout made, the entry a
//! payment wrote, the hold to post or void.

use serde_json::{json, Map, Value};

/// Routes that count attempts (see `api::auth`).
const THROTTLED: &[&str] = &[
    "/api/v1/auth/login",
    "/api/v1/auth/register",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/confirm",
    "/api/v1/me/password",
    "/api/v1/me/erasure",
];

const SHARED: &[(&str, &str, &str)] = &[
    ("400", "BadRequest", "The body is not valid JSON, or a query parameter has the wrong type (`malformed-json`, `invalid-query`)."),
    ("401", "Unauthorized", "No access token or API key, or one that is no longer valid (`unauthorized`)."),
    ("404", "NotFound", "No such resource, or one not visible to the caller (`not-found`)."),
    ("413", "PayloadTooLarge", "The body is larger than the server accepts (`payload-too-large`)."),
    ("415", "UnsupportedMediaType", "The body was not sent as `application/json` (`unsupported-media-type`)."),
    ("422", "Validation", "A value breaks a rule; `errors` names each field (`validation`)."),
    ("429", "TooManyRequests", "Too many attempts; wait the seconds in `Retry-After` (`too-many-requests`)."),
    ("503", "Unavailable", "The database is unavailable; retry after `Retry-After` seconds (`unavailable`)."),
];

/// (path, method, status, link name, target operation id, [(target parameter, runtime
/// expression)]).
type LinkRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

pub const LINKS: &[LinkRow] = &[
    (
        "/api/v1/me/addresses",
        "post",
        "201",
        "UpdateAddress",
        "update_my_address",
        &[("address_id", "$response.body#/id")],
    ),
    (
        "/api/v1/me/addresses",
        "post",
        "201",
        "DeleteAddress",
        "delete_my_address",
        &[("address_id", "$response.body#/id")],
    ),
    (
        "/api/v1/order-cycles/{cycle_id}/checkout",
        "post",
        "201",
        "GetOrder",
        "get_order",
        &[("order_id", "$response.body#/id")],
    ),
    (
        "/api/v1/order-cycles/{cycle_id}/checkout",
        "post",
        "201",
        "CancelOrder",
        "cancel_order",
        &[("order_id", "$response.body#/id")],
    ),
    (
        "/api/v1/me/wallets",
        "post",
        "201",
        "GetAccount",
        "get_account",
        &[("account_id", "$response.body#/id")],
    ),
    (
        "/api/v1/me/wallets",
        "post",
        "201",
        "AccountHistory",
        "account_history",
        &[("account_id", "$response.body#/id")],
    ),
    (
        "/api/v1/currencies/{code}/issuances",
        "post",
        "201",
        "GetEntry",
        "get_entry",
        &[("entry_id", "$response.body#/id")],
    ),
    (
        "/api/v1/currencies/{code}/issuances",
        "post",
        "201",
        "ReverseEntry",
        "reverse",
        &[("id", "$response.body#/id")],
    ),
    (
        "/api/v1/payments",
        "post",
        "201",
        "GetEntry",
        "get_entry",
        &[("entry_id", "$response.body#/id")],
    ),
    (
        "/api/v1/payments",
        "post",
        "201",
        "ReverseEntry",
        "reverse",
        &[("id", "$response.body#/id")],
    ),
    (
        "/api/v1/holds",
        "post",
        "201",
        "PostHold",
        "post_hold",
        &[("hold_id", "$response.body#/transfers/0/id")],
    ),
    (
        "/api/v1/holds",
        "post",
        "201",
        "VoidHold",
        "void_hold",
        &[("hold_id", "$response.body#/transfers/0/id")],
    ),
    (
        "/api/v1/enterprises",
        "post",
        "201",
        "UpdateEnterprise",
        "update_enterprise",
        &[("enterprise_id", "$response.body#/id")],
    ),
    (
        "/api/v1/enterprises/{producer_id}/products",
        "post",
        "201",
        "GetProduct",
        "get_product",
        &[("product_id", "$response.body#/id")],
    ),
    (
        "/api/v1/enterprises/{producer_id}/products",
        "post",
        "201",
        "AddVariant",
        "add_variant",
        &[("product_id", "$response.body#/id")],
    ),
    (
        "/api/v1/enterprises/{hub_id}/order-cycles",
        "post",
        "201",
        "GetCycle",
        "get_cycle",
        &[("cycle_id", "$response.body#/id")],
    ),
];

/// Operations kept for one more version under a former name, marked `deprecated` (path,
/// method): the fiat payment's path from when the legal currency was always the euro.
pub const DEPRECATED: &[(&str, &str)] = &[("/api/v1/orders/{order_id}/euro-payment", "post")];

/// Adds the shared responses, the links and the deprecations to `doc` (the OpenAPI document
/// as JSON).
pub fn complete(doc: &mut Value) {
    add_links(doc);
    for (path, method) in DEPRECATED {
        let pointer = format!(
            "/paths/{}/{method}",
            path.replace('~', "~0").replace('/', "~1")
        );
        if let Some(Value::Object(operation)) = doc.pointer_mut(&pointer) {
            operation.insert("deprecated".into(), Value::Bool(true));
        }
    }
    let responses = doc
        .pointer_mut("/components")
        .and_then(Value::as_object_mut)
        .map(|c| c.entry("responses").or_insert_with(|| json!({})));
    if let Some(Value::Object(responses)) = responses {
        for (_, name, description) in SHARED {
            responses.insert(
                (*name).to_string(),
                json!({
                    "description": description,
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
                }),
            );
        }
    }
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Value::Object(item) = item else { continue };
        for (method, operation) in item.iter_mut() {
            if !matches!(method.as_str(), "get" | "put" | "post" | "patch" | "delete") {
                continue;
            }
            let Value::Object(operation) = operation else {
                continue;
            };
            let statuses = applicable(path, operation);
            let Some(Value::Object(own)) = operation.get_mut("responses") else {
                continue;
            };
            for status in statuses {
                if let Some((_, name, _)) = SHARED.iter().find(|(s, _, _)| *s == status) {
                    own.entry(status.to_string()).or_insert_with(
                        || json!({"$ref": format!("#/components/responses/{name}")}),
                    );
                }
            }
        }
    }
}

/// The shared statuses an operation can answer.
fn applicable(path: &str, operation: &Map<String, Value>) -> Vec<&'static str> {
    let mut statuses = vec!["503"];
    let parameters = operation
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let json_body = operation
        .get("requestBody")
        .and_then(|body| body.pointer("/content/application~1json"))
        .is_some();
    if operation.contains_key("security") {
        statuses.push("401");
    }
    if parameters.iter().any(|p| p["in"] == "path") {
        statuses.push("404");
    }
    if parameters.iter().any(|p| p["in"] == "query") {
        statuses.extend(["400", "422"]);
    }
    if json_body {
        // a body names accounts, variants, holds…: one that does not exist is a 404
        statuses.extend(["400", "404", "413", "415", "422"]);
    }
    if THROTTLED.contains(&path) {
        statuses.push("429");
    }
    statuses
}

/// Adds [`LINKS`] whose source response and target operation both exist.
fn add_links(doc: &mut Value) {
    let operation_ids: Vec<String> = doc["paths"]
        .as_object()
        .map(|paths| {
            paths
                .values()
                .filter_map(Value::as_object)
                .flat_map(|item| item.values())
                .filter_map(|op| op["operationId"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for (path, method, status, name, target, parameters) in LINKS {
        if !operation_ids.iter().any(|id| id == target) {
            continue;
        }
        let pointer = format!(
            "/paths/{}/{method}/responses/{status}",
            path.replace('~', "~0").replace('/', "~1")
        );
        let Some(Value::Object(response)) = doc.pointer_mut(&pointer) else {
            continue;
        };
        let parameters: Map<String, Value> = parameters
            .iter()
            .map(|(name, expression)| ((*name).to_string(), json!(expression)))
            .collect();
        if let Value::Object(links) = response.entry("links").or_insert_with(|| json!({})) {
            links.insert(
                (*name).to_string(),
                json!({"operationId": target, "parameters": parameters}),
            );
        }
    }
}
