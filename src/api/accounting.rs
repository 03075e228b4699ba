//! The deployment's books: chart mapping, FEC and Odoo CSV exports, period close. For the
//! currency associations' owners and treasurers and platform admins (API keys: `accounting`).
//! An enterprise's own books (FEC and Odoo CSV under `/api/v1/enterprises/{id}/accounting/`)
//! are for its owners and treasurers.

use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::accounting::balance;
use crate::accounting::books::{self, Book};
use crate::accounting::chart;
use crate::accounting::export::{self, Format};
use crate::accounting::general_ledger;
use crate::accounting::periods;
use crate::api::auth::Authenticated;
use crate::api::error::{ApiError, Problem};
use crate::api::extract::{JsonBody, QueryParams};
use crate::api::views;
use crate::api::views::accounting::{Chart, ClosePeriod, Period, TrialBalance};
use crate::api::AppState;
use crate::auth::actor::Actor;
use crate::auth::policy::{authorize, Action};
use crate::db::DbConn;
use crate::enterprises::identifiers::Siren;
use crate::error::FieldError;
use futures_util::StreamExt;

fn keep_books(conn: &mut DbConn, actor: &Actor) -> Result<(), ApiError> {
    Ok(export::may_keep_books(conn, actor)?)
}

fn enterprise_books(conn: &mut DbConn, actor: &Actor, key: &str) -> Result<String, ApiError> {
    let id = crate::enterprises::resolve(conn, actor, key)?;
    authorize(actor, Action::KeepEnterpriseBooks { enterprise_id: &id })?;
    Ok(id)
}

/// The books of the enterprise named in the path (id or slug) the caller keeps; 404, 403.
async fn enterprise_book(
    state: &AppState,
    caller: &Authenticated,
    path: web::Path<String>,
) -> Result<Book, ApiError> {
    let (key, actor) = (path.into_inner(), caller.0.clone());
    let id = state
        .db
        .run(move |conn| enterprise_books(conn, &actor, &key))
        .await?;
    Ok(Book::Enterprise(id))
}

/// May `actor` export `book`?
fn may_export(conn: &mut DbConn, actor: &Actor, book: &Book) -> Result<(), ApiError> {
    match book {
        Book::Deployment => keep_books(conn, actor),
        Book::Enterprise(id) => enterprise_books(conn, actor, id).map(|_| ()),
    }
}

/// The chart mapping (the French defaults until it is changed).
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    responses((status = 200, body = Chart), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/accounting/chart")]
pub async fn get_chart(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<web::Json<Chart>, ApiError> {
    let chart = state
        .db
        .run(move |conn| {
            keep_books(conn, &caller.0)?;
            Ok::<_, ApiError>(chart::get(conn)?)
        })
        .await?;
    Ok(web::Json(chart.into()))
}

/// Replaces the chart mapping. Moves validated already keep their accounts.
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    request_body = Chart,
    responses((status = 200, body = Chart), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[put("/api/v1/accounting/chart")]
pub async fn put_chart(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<Chart>,
    req: HttpRequest,
) -> Result<web::Json<Chart>, ApiError> {
    let new = chart::Chart::from(body.0);
    let who = caller.who(&req);
    let chart = state
        .db
        .run(move |conn| {
            keep_books(conn, &caller.0)?;
            chart::replace(conn, &who, &new)?;
            Ok::<_, ApiError>(chart::get(conn)?)
        })
        .await?;
    Ok(web::Json(chart.into()))
}

#[derive(Debug, Clone, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// First day, `YYYY-MM-DD`.
    pub from: NaiveDate,
    /// Last day, `YYYY-MM-DD`.
    pub to: NaiveDate,
    /// The SIREN of the books' owner (FEC only; it names the file).
    #[serde(default)]
    pub siren: Option<String>,
}

fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), ApiError> {
    if to < from {
        return Err(ApiError::field(
            "to",
            "before_from",
            "must not be before `from`",
        ));
    }
    Ok(())
}

/// Checks the caller may export `book`, validates it up to `to`, then streams its moves of
/// `from..=to` in `format`.
async fn stream_export(
    state: &AppState,
    caller: Authenticated,
    book: Book,
    params: ExportParams,
    format: Format,
) -> Result<impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>>, ApiError> {
    let (from, to) = (params.from, params.to);
    let checked = book.clone();
    let start = state
        .db
        .run(move |conn| {
            may_export(conn, &caller.0, &checked)?;
            checked.validate_until(conn, to)?;
            Ok::<_, ApiError>(export::start(conn, &checked, format, from, to)?)
        })
        .await?;
    Ok(
        export::stream(state.db.clone(), book, format, from, to, start).map(|page| {
            page.map(web::Bytes::from)
                .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))
        }),
    )
}

/// The FEC of a period (validated moves, see the README), streamed.
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    params(ExportParams),
    responses((status = 200, description = "The FEC, `|`-separated", content_type = "text/plain"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, description = "An account is not mapped", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/accounting/fec")]
pub async fn fec(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: QueryParams<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    fec_of(state, caller, Book::Deployment, params.0, None).await
}

/// The FEC of `book`, named after `params.siren` or else `default_siren`.
async fn fec_of(
    state: web::Data<AppState>,
    caller: Authenticated,
    book: Book,
    params: ExportParams,
    default_siren: Option<String>,
) -> Result<HttpResponse, ApiError> {
    check_range(params.from, params.to)?;
    let siren = match params
        .siren
        .clone()
        .or(default_siren)
        .as_deref()
        .map(Siren::parse)
    {
        Some(Ok(siren)) => siren,
        Some(Err(e)) => return Err(ApiError::field("siren", "invalid", e.to_string())),
        None => {
            return Err(ApiError::validation(vec![FieldError::new(
                "siren",
                "required",
                "the FEC is named after the SIREN of the books' owner",
            )]))
        }
    };
    let name = export::fec_file_name(siren.as_str(), params.to);
    let body = stream_export(&state, caller, book, params, Format::Fec).await?;
    Ok(crate::api::attachment("text/plain; charset=utf-8", &name).streaming(body))
}

/// The moves of a period in the columns of Odoo's journal-entry import, streamed.
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    params(ExportParams),
    responses((status = 200, description = "CSV for Odoo's import wizard", content_type = "text/csv"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/accounting/odoo.csv")]
pub async fn odoo_csv(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: QueryParams<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    odoo_csv_of(state, caller, Book::Deployment, params.0).await
}

async fn odoo_csv_of(
    state: web::Data<AppState>,
    caller: Authenticated,
    book: Book,
    params: ExportParams,
) -> Result<HttpResponse, ApiError> {
    check_range(params.from, params.to)?;
    let name = format!("moves-{}-{}.csv", params.from, params.to);
    let body = stream_export(&state, caller, book, params, Format::OdooCsv).await?;
    Ok(crate::api::attachment("text/csv; charset=utf-8", &name).streaming(body))
}

/// An enterprise's own books as a FEC (see `accounting::books`): its sales split per VAT
/// rate with the VAT collected, its receipts and settlements. The SIREN defaults to the
/// enterprise's. For its owners and treasurers.
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The enterprise (id or slug)"), ExportParams),
    responses((status = 200, description = "The FEC, `|`-separated", content_type = "text/plain"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "A VAT rate has no accounts", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/enterprises/{id}/accounting/fec")]
pub async fn enterprise_fec(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
    params: QueryParams<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let key = path.into_inner();
    let actor = caller.0.clone();
    let (id, siren) = state
        .db
        .run(move |conn| {
            let id = enterprise_books(conn, &actor, &key)?;
            let siren = books::siren_of(conn, &id)?;
            Ok::<_, ApiError>((id, siren))
        })
        .await?;
    fec_of(state, caller, Book::Enterprise(id), params.0, siren).await
}

/// An enterprise's own books in the columns of Odoo's journal-entry import, streamed.
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The enterprise (id or slug)"), ExportParams),
    responses((status = 200, description = "CSV for Odoo's import wizard", content_type = "text/csv"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/enterprises/{id}/accounting/odoo.csv")]
pub async fn enterprise_odoo_csv(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
    params: QueryParams<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let book = enterprise_book(&state, &caller, path).await?;
    odoo_csv_of(state, caller, book, params.0).await
}

/// A period of a book, for its trial balance.
#[derive(Debug, Clone, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BalanceParams {
    /// First day, `YYYY-MM-DD`.
    pub from: NaiveDate,
    /// Last day, `YYYY-MM-DD`.
    pub to: NaiveDate,
}

/// The trial balance of `book` (the caller checked), validated up to `to` first.
async fn trial_balance_of(
    state: &AppState,
    caller: Authenticated,
    book: Book,
    params: BalanceParams,
) -> Result<balance::TrialBalance, ApiError> {
    check_range(params.from, params.to)?;
    let (from, to) = (params.from, params.to);
    state
        .db
        .run(move |conn| {
            may_export(conn, &caller.0, &book)?;
            let rows = balance::trial_balance(conn, &book, from, to)?;
            let legal = crate::ledger::currencies::legal(conn)?;
            Ok(balance::TrialBalance::new(from, to, &rows, legal))
        })
        .await
}

fn balance_csv(balance: &balance::TrialBalance) -> Result<HttpResponse, ApiError> {
    let name = format!("balance-{}-{}.csv", balance.from, balance.to);
    Ok(crate::api::attachment("text/csv; charset=utf-8", &name).body(balance.csv()?))
}

/// The trial balance (balance générale) of the deployment's books for a period: per account
/// code, the opening balance, the period's debits and credits, the closing balance, and the
/// totals; amounts in euros.
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    params(BalanceParams),
    responses((status = 200, body = TrialBalance), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, description = "An account is not mapped", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/accounting/balance")]
pub async fn trial_balance(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: QueryParams<BalanceParams>,
) -> Result<web::Json<TrialBalance>, ApiError> {
    Ok(web::Json(
        trial_balance_of(&state, caller, Book::Deployment, params.0)
            .await?
            .into(),
    ))
}

/// The trial balance of the deployment's books as CSV (a header, one row per account, then
/// the totals).
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    params(BalanceParams),
    responses((status = 200, description = "The trial balance as CSV", content_type = "text/csv"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/accounting/balance.csv")]
pub async fn trial_balance_csv(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: QueryParams<BalanceParams>,
) -> Result<HttpResponse, ApiError> {
    balance_csv(&trial_balance_of(&state, caller, Book::Deployment, params.0).await?)
}

/// The trial balance of an enterprise's own books. For its owners and treasurers.
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The enterprise (id or slug)"), BalanceParams),
    responses((status = 200, body = TrialBalance), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/enterprises/{id}/accounting/balance")]
pub async fn enterprise_trial_balance(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
    params: QueryParams<BalanceParams>,
) -> Result<web::Json<TrialBalance>, ApiError> {
    let book = enterprise_book(&state, &caller, path).await?;
    Ok(web::Json(
        trial_balance_of(&state, caller, book, params.0)
            .await?
            .into(),
    ))
}

/// The trial balance of an enterprise's own books as CSV.
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The enterprise (id or slug)"), BalanceParams),
    responses((status = 200, description = "The trial balance as CSV", content_type = "text/csv"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/enterprises/{id}/accounting/balance.csv")]
pub async fn enterprise_trial_balance_csv(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
    params: QueryParams<BalanceParams>,
) -> Result<HttpResponse, ApiError> {
    let book = enterprise_book(&state, &caller, path).await?;
    balance_csv(&trial_balance_of(&state, caller, book, params.0).await?)
}

/// Checks the caller may export `book`, then streams its general ledger of the period
/// (validated up to `to` first), one account's page at a time.
async fn general_ledger_of(
    state: &AppState,
    caller: Authenticated,
    book: Book,
    params: BalanceParams,
) -> Result<HttpResponse, ApiError> {
    check_range(params.from, params.to)?;
    let (from, to) = (params.from, params.to);
    let checked = book.clone();
    let (header, cursor) = state
        .db
        .run(move |conn| {
            may_export(conn, &caller.0, &checked)?;
            Ok::<_, ApiError>(general_ledger::start(conn, &checked, from, to)?)
        })
        .await?;
    let db = state.db.clone();
    let first =
        futures_util::stream::once(
            async move { Ok::<_, actix_web::Error>(web::Bytes::from(header)) },
        );
    // state: None = done
    let rest = futures_util::stream::unfold(Some(cursor), move |cursor| {
        let (db, book) = (db.clone(), book.clone());
        async move {
            let mut cursor = cursor?;
            let part = db
                .run(move |conn| {
                    let part =
                        general_ledger::next(conn, &book, (from, to), &mut cursor, &mut |_| {})?;
                    Ok::<_, ApiError>((part, cursor))
                })
                .await;
            match part {
                Ok((Some(text), cursor)) => Some((Ok(web::Bytes::from(text)), Some(cursor))),
                Ok((None, _)) => None,
                Err(e) => Some((
                    Err(actix_web::error::ErrorInternalServerError(e.to_string())),
                    None,
                )),
            }
        }
    });
    let name = format!("general-ledger-{from}-{to}.csv");
    Ok(crate::api::attachment("text/csv; charset=utf-8", &name)
        .streaming(futures_util::StreamExt::chain(first, rest)))
}

/// The general ledger (grand livre) of the deployment's books for a period, as CSV: per
/// account its opening balance, each line with the running balance, and its totals
/// (Switzerland's legal export with the trial balance; see `accounting::general_ledger`).
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    params(BalanceParams),
    responses((status = 200, description = "The general ledger as CSV", content_type = "text/csv"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, description = "An account is not mapped", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/accounting/general-ledger.csv")]
pub async fn general_ledger_csv(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: QueryParams<BalanceParams>,
) -> Result<HttpResponse, ApiError> {
    general_ledger_of(&state, caller, Book::Deployment, params.0).await
}

/// The general ledger of an enterprise's own books as CSV. For its owners and treasurers.
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The enterprise (id or slug)"), BalanceParams),
    responses((status = 200, description = "The general ledger as CSV", content_type = "text/csv"), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/enterprises/{id}/accounting/general-ledger.csv")]
pub async fn enterprise_general_ledger_csv(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<String>,
    params: QueryParams<BalanceParams>,
) -> Result<HttpResponse, ApiError> {
    let book = enterprise_book(&state, &caller, path).await?;
    general_ledger_of(&state, caller, book, params.0).await
}

/// Closes a past period: its moves are final, every export of it the same file.
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    request_body = ClosePeriod,
    responses((status = 201, body = Period), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/accounting/periods")]
pub async fn close_period(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<ClosePeriod>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let request = periods::ClosePeriod::from(body.0);
    let who = caller.who(&req);
    let period = state
        .db
        .run(move |conn| {
            keep_books(conn, &caller.0)?;
            Ok::<_, ApiError>(periods::close(conn, &who, &request)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(Period::from(period)))
}

/// The closed periods.
#[utoipa::path(
    tag = "accounting",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Period>), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/accounting/periods")]
pub async fn list_periods(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<web::Json<Vec<Period>>, ApiError> {
    let list = state
        .db
        .run(move |conn| {
            keep_books(conn, &caller.0)?;
            Ok::<_, ApiError>(periods::list(conn)?)
        })
        .await?;
    Ok(web::Json(views::all(list)))
}
