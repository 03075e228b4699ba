//! The HTTP API: thin handlers over the domain modules, grouped by concept.
//!
//! Conventions (every route follows them): JSON with snake_case fields; timestamps RFC 3339
//! UTC; amounts as `{"amount":"12.50","currency":"LEM"}`; cursor pagination (`?limit=&after=`
//! with a `next` link); errors as RFC 9457 problem+json (see [`error`]); the shapes of bodies
//! and answers in [`views`].
//!
//! Routes are registered only through [`routes`], with `utoipa-actix-web`, so that a route
//! cannot exist without appearing in `/openapi.json`; a test checks the source too.

pub mod accounting;
pub mod addresses;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod cycles;
pub mod directory;
pub mod enterprises;
pub mod error;
pub mod etag;
pub mod extract;
pub mod idempotency;
pub mod ledger;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod orders;
pub mod pagination;
pub mod payment_requests;
pub mod planning;
pub mod privacy;
pub mod problems;
pub mod professionals;
pub mod resolve;
pub mod roles;
pub mod system;
pub mod topups;
pub mod views;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Condition, DefaultHeaders};
use actix_web::{web, App, HttpRequest, HttpResponse};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;

use crate::api::error::{problem_response, Problem, ProblemInfo, ProblemKind};
use crate::api::views::FieldError;

pub use crate::state::{attachment, client_ip, AppState};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Comptoir",
        description = "Marketplace backend for the social and solidarity economy: order cycles, \
                       local-currency ledger, accounting export. Errors are RFC 9457 \
                       `application/problem+json`; see `/problems/{slug}` for each `type`."
    ),
        components(schemas(
            Problem,
            FieldError,
            ProblemInfo,
            crate::money::Money,
            crate::enterprises::KindFilter
        )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Declares the `bearer` security scheme (JWT access tokens from `POST /api/v1/auth/login`).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every route of the API. Register new routes here, through `cfg.service(handler)`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(system::health)
        .service(system::ready)
        .service(system::openapi)
        .service(metrics::metrics)
        .service(system::problem_type)
        .service(directory::list_currencies)
        .service(directory::list_enterprises)
        .service(directory::get_enterprise)
        .service(directory::list_products)
        .service(enterprises::list_categories)
        .service(enterprises::create_enterprise)
        .service(enterprises::update_enterprise)
        .service(enterprises::my_enterprises)
        .service(enterprises::list_permissions)
        .service(enterprises::grant_permission)
        .service(enterprises::revoke_permission)
        .service(enterprises::accept_supplier)
        .service(enterprises::drop_supplier)
        .service(catalog::browse_products)
        .service(catalog::hub_offer)
        .service(catalog::get_product)
        .service(catalog::create_product)
        .service(catalog::update_product)
        .service(catalog::add_variant)
        .service(catalog::update_variant)
        .service(catalog::import_catalog)
        .service(catalog::export_catalog)
        .service(cycles::list_hub_cycles)
        .service(cycles::get_cycle)
        .service(cycles::quote_basket)
        .service(orders::get_cart)
        .service(orders::set_cart)
        .service(orders::checkout)
        .service(orders::get_order)
        .service(orders::my_orders)
        .service(orders::cancel_order)
        .service(orders::record_fiat_payment)
        .service(orders::record_euro_payment)
        .service(orders::refund_order)
        .service(orders::credit_order)
        .service(orders::my_credits)
        .service(orders::hub_customer_credits)
        .service(orders::cycle_orders)
        .service(orders::list_shipping_methods)
        .service(orders::add_shipping_method)
        .service(orders::adjust_order)
        .service(orders::fulfil_order)
        .service(addresses::list_my_addresses)
        .service(addresses::create_my_address)
        .service(addresses::update_my_address)
        .service(addresses::delete_my_address)
        .service(planning::create_cycle)
        .service(planning::copy_cycle)
        .service(planning::add_fee)
        .service(planning::close_cycle)
        .service(planning::settle_cycle)
        .service(planning::set_cycle_settlement)
        .service(planning::cycle_report)
        .service(accounting::get_chart)
        .service(accounting::put_chart)
        .service(accounting::fec)
        .service(accounting::odoo_csv)
        .service(accounting::enterprise_fec)
        .service(accounting::enterprise_odoo_csv)
        .service(accounting::trial_balance)
        .service(accounting::trial_balance_csv)
        .service(accounting::enterprise_trial_balance)
        .service(accounting::enterprise_trial_balance_csv)
        .service(topups::request)
        .service(topups::mine)
        .service(topups::queue)
        .service(topups::get_one)
        .service(topups::transfer)
        .service(topups::qr_svg)
        .service(topups::qr_png)
        .service(topups::cancel)
        .service(topups::approve_topup)
        .service(topups::refuse_topup)
        .service(topups::set_bank_account)
        .service(topups::get_bank_account)
        .service(payment_requests::create_payment_request)
        .service(payment_requests::list_payment_requests)
        .service(payment_requests::get_payment_request)
        .service(payment_requests::qr_svg_of_request)
        .service(payment_requests::qr_png_of_request)
        .service(payment_requests::pay_payment_request)
        .service(payment_requests::payment_request_payments)
        .service(payment_requests::cancel_payment_request)
        .service(professionals::list_professionals)
        .service(professionals::approve_professional)
        .service(professionals::refuse_professional)
        .service(professionals::suspend_professional)
        .service(professionals::currency_approvals)
        .service(accounting::general_ledger_csv)
        .service(accounting::enterprise_general_ledger_csv)
        .service(accounting::close_period)
        .service(accounting::list_periods)
        .service(auth::login)
        .service(auth::me)
        .service(privacy::export)
        .service(privacy::erase)
        .service(audit::all)
        .service(audit::of_enterprise)
        .service(roles::list)
        .service(roles::grant)
        .service(roles::revoke)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::register)
        .service(auth::verify_email)
        .service(auth::request_reset)
        .service(auth::confirm_reset)
        .service(auth::change_password)
        .service(auth::create_api_key)
        .service(auth::list_api_keys)
        .service(auth::revoke_api_key)
        .service(ledger::create_currency)
        .service(ledger::statement)
        .service(ledger::my_accounts)
        .service(ledger::open_my_wallet)
        .service(ledger::enterprise_accounts)
        .service(ledger::open_enterprise_wallet)
        .service(ledger::get_account)
        .service(ledger::get_entry)
        .service(ledger::account_history)
        .service(ledger::account_history_csv)
        .service(ledger::set_limit)
        .service(ledger::issue)
        .service(ledger::pay)
        .service(ledger::reconvert)
        .service(ledger::payout)
        .service(ledger::reverse)
        .service(ledger::create_hold)
        .service(ledger::post_hold)
        .service(ledger::void_hold)
        .service(ledger::set_commission)
        .service(ledger::set_status);
}

/// The OpenAPI document of [`routes`].
pub fn openapi_document() -> serde_json::Value {
    let doc = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts()
        .1;
    completed(&doc)
}

/// The document as served: the routes' own, then the shared responses ([`openapi::complete`]).
fn completed(doc: &utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut value = serde_json::to_value(doc).unwrap_or_else(|_| serde_json::json!({}));
    openapi::complete(&mut value);
    value
}

/// Builds the application: state, extractor configuration, middleware, routes, fallbacks.
pub fn app(
    state: AppState,
    pages: web::Data<crate::web::render::Pages>,
    body_limit: usize,
    cors_origins: &[String],
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    let known = KnownRoutes::from_openapi(&doc);
    let doc = completed(&doc).to_string();
    app.configure(crate::web::routes)
        .app_data(web::Data::new(state))
        .app_data(pages)
        .app_data(web::Data::new(known))
        .app_data(web::Data::new(system::OpenApiJson(doc)))
        .app_data(web::Data::new(extract::BodyLimit(body_limit)))
        .app_data(extract::path_config())
        // actix's own payload extractors (none used today) get the same limit
        .app_data(web::PayloadConfig::new(body_limit))
        .default_service(web::to(no_such_route))
        // CORS inside the request context, so its refusals get a request id and a problem body
        .wrap(Condition::new(!cors_origins.is_empty(), cors(cors_origins)))
        .wrap(from_fn(middleware::request_context))
        .wrap(
            DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Referrer-Policy", "no-referrer"))
                .add((
                    "Content-Security-Policy",
                    crate::web::CONTENT_SECURITY_POLICY,
                ))
                .add(("Cache-Control", "no-store")),
        )
}

/// Path templates of the API and their methods, to answer 405 (with `Allow`) rather than 404
/// when a known path is called with the wrong method.
pub struct KnownRoutes(Vec<(Vec<String>, Vec<String>)>);

impl KnownRoutes {
    fn from_openapi(doc: &utoipa::openapi::OpenApi) -> KnownRoutes {
        let json = serde_json::to_value(&doc.paths).unwrap_or_default();
        let routes = json
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, item)| {
                        let methods = item
                            .as_object()
                            .map(|ops| ops.keys().map(|m| m.to_uppercase()).collect())
                            .unwrap_or_default();
                        (path.split('/').map(str::to_string).collect(), methods)
                    })
                    .collect()
            })
            .unwrap_or_default();
        KnownRoutes(routes)
    }

    /// The methods allowed on `path`, when a template matches it.
    fn methods_for(&self, path: &str) -> Option<&[String]> {
        let segments: Vec<&str> = path.split('/').collect();
        self.0.iter().find_map(|(template, methods)| {
            let matches = template.len() == segments.len()
                && template.iter().zip(&segments).all(|(t, s)| {
                    (t.starts_with('{') && t.ends_with('}') && !s.is_empty()) || t == s
                });
            matches.then_some(methods.as_slice())
        })
    }
}

/// CORS for the configured origins only; without any, no CORS header is ever sent (closed).
fn cors(origins: &[String]) -> actix_cors::Cors {
    use actix_web::http::header;
    origins
        .iter()
        .fold(actix_cors::Cors::default(), |cors, origin| {
            cors.allowed_origin(origin)
        })
        .allowed_methods(["GET", "POST", "PUT", "DELETE"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers(["X-Request-Id", "Retry-After", "Idempotent-Replayed"])
        .max_age(3600)
}

async fn no_such_route(req: HttpRequest, known: web::Data<KnownRoutes>) -> HttpResponse {
    if !crate::web::error::is_api_path(req.path()) {
        // a page nobody serves: the request context renders the friendly 404 page
        return HttpResponse::NotFound().finish();
    }
    if let Some(methods) = known.methods_for(req.path()) {
        let allow = methods.join(", ");
        let mut response = problem_response(&ProblemKind::MethodNotAllowed.problem(
            format!(
                "{} does not accept {}; it accepts {allow}",
                req.path(),
                req.method()
            ),
            Vec::new(),
        ));
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
            response
                .headers_mut()
                .insert(actix_web::http::header::ALLOW, value);
        }
        return response;
    }
    let kind = ProblemKind::NoSuchRoute;
    problem_response(&kind.problem(
        format!(
            "no route {} {}; see /openapi.json",
            req.method(),
            req.path()
        ),
        Vec::new(),
    ))
}
