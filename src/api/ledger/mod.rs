//! The ledger over HTTP: currencies, accounts and balances, history and CSV export, the
//! guarantee-fund statement, and the money operations. Every route authenticates the caller
//! and asks [`crate::auth::policy::authorize`]; amounts travel as
//! `{"amount": "12.50", "currency": "LEM"}` with the amount a JSON string.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::auth::Authenticated;
use crate::api::extract::{JsonBody, QueryParams};
use crate::api::pagination::{PageParams, PageResponse};
use crate::api::AppState;
use crate::auth::policy::{authorize, Action};
use crate::db::schema::{ledger_entries, ledger_transfers};
use crate::db::DbConn;
use crate::db_run;
use crate::error::{ApiError, Problem};
use crate::ledger::accounts::{self, AccountKind, AccountRow, AccountStatus, Owner};
use crate::ledger::currencies::{self, Currency, CurrencyRow};
use crate::ledger::journal::{Committed, Entry, TransferRow};
use crate::ledger::ops::{self, EuroMethod, LocalTerms, NewCurrency};
use crate::ledger::receipts;
use crate::ledger::verify;
use crate::money::{parse_amount, CurrencyCode, Money, Sign};

pub use crate::money::MoneyInput;

/// Minor units of `input`, which must be in `currency` and positive (or zero when allowed).
fn minor_units(
    conn: &mut DbConn,
    field: &str,
    input: &MoneyInput,
    currency: &str,
    sign: Sign,
) -> Result<i64, ApiError> {
    if input.currency.as_str() != currency {
        return Err(ApiError::field(
            &format!("{field}.currency"),
            "currency_mismatch",
            format!("must be {currency}"),
        ));
    }
    let scale = currencies::get(conn, currency)?.scale.clamp(0, 4) as u32;
    parse_amount(&input.amount, scale, sign)
        .map_err(|e| ApiError::field(&format!("{field}.amount"), e.code(), e.to_string()))
}

/// A client-chosen entry id: a random (v4) or time-ordered (v7) UUID in canonical form.
/// Other versions are refused: the server derives its own ids (v5) for background work.
fn entry_id(field: &str, id: &str) -> Result<String, ApiError> {
    match uuid::Uuid::parse_str(id) {
        Ok(u) if u.hyphenated().to_string() == id && matches!(u.get_version_num(), 4 | 7) => {
            Ok(id.to_string())
        }
        _ => Err(ApiError::field(
            field,
            "invalid_uuid",
            "must be a UUID v4 or v7 chosen by the client, in canonical lowercase form",
        )),
    }
}

/// The common start of an operation that moves money out of an account: the account, which
/// the caller must be allowed to spend from; the client's entry id; the positive amount in the
/// account's currency.
fn spending(
    conn: &mut DbConn,
    caller: &Authenticated,
    entry: &str,
    account_id: &str,
    amount: &MoneyInput,
) -> Result<(String, AccountRow, i64), ApiError> {
    let account = accounts::get(conn, account_id)?;
    authorize(&caller.0, Action::SpendFrom { account: &account })?;
    let id = entry_id("entry_id", entry)?;
    let minor = minor_units(conn, "amount", amount, &account.currency, Sign::Positive)?;
    Ok((id, account, minor))
}

fn scales(conn: &mut DbConn) -> Result<HashMap<String, u32>, ApiError> {
    Ok(currencies::list(conn)?
        .into_iter()
        .map(|c| (c.code, c.scale.clamp(0, 4) as u32))
        .collect())
}

fn money(scales: &HashMap<String, u32>, minor: i64, currency: &str) -> Money {
    let code = currency.parse().unwrap_or(CurrencyCode::EUR);
    Money::new(minor, code, scales.get(currency).copied().unwrap_or(2))
}

/// An account and its balances.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub currency: String,
    #[schema(value_type = String)]
    pub kind: AccountKind,
    /// `user`, `enterprise` or `system`.
    pub owner_kind: String,
    pub owner_id: Option<String>,
    pub name: String,
    /// `active`, `frozen` or `closed`.
    pub status: String,
    /// Credits minus debits, posted.
    #[schema(value_type = crate::money::MoneyJson)]
    pub balance: Money,
    /// Balance minus pending debits (holds).
    #[schema(value_type = crate::money::MoneyJson)]
    pub available: Money,
    #[schema(value_type = crate::money::MoneyJson)]
    pub pending_debits: Money,
    #[schema(value_type = crate::money::MoneyJson)]
    pub pending_credits: Money,
    /// How far below zero the account may go; `null` = unlimited (issuance, clearing).
    #[schema(value_type = Option<crate::money::MoneyJson>)]
    pub overdraft_limit: Option<Money>,
}

fn account_view(scales: &HashMap<String, u32>, row: &AccountRow) -> Result<AccountView, ApiError> {
    let m = |minor| money(scales, minor, &row.currency);
    Ok(AccountView {
        id: row.id.clone(),
        currency: row.currency.clone(),
        kind: row.kind()?,
        owner_kind: row.owner_kind.clone(),
        owner_id: row.owner_id.clone(),
        name: row.name.clone(),
        status: row.status.clone(),
        balance: m(row.balance()),
        available: m(row.balance() - row.debits_pending),
        pending_debits: m(row.debits_pending),
        pending_credits: m(row.credits_pending),
        overdraft_limit: row.overdraft_limit.map(m),
    })
}

/// One transfer of an entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    pub id: String,
    pub debit_account_id: String,
    pub credit_account_id: String,
    #[schema(value_type = crate::money::MoneyJson)]
    pub amount: Money,
    /// `posted`, `pending` (a hold), `post_pending` or `void_pending`.
    pub kind: String,
    /// For a post or void: the hold it resolves.
    pub pending_id: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

fn transfer_view(scales: &HashMap<String, u32>, t: &TransferRow) -> TransferView {
    TransferView {
        id: t.id.clone(),
        debit_account_id: t.debit_account_id.clone(),
        credit_account_id: t.credit_account_id.clone(),
        amount: money(scales, t.amount, &t.currency),
        kind: t.kind.clone(),
        pending_id: t.pending_id.clone(),
        expires_at: t.expires_at.map(crate::time::utc),
    }
}

/// A journal entry: transfers committed together, chained by hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: String,
    pub seq: i64,
    pub code: String,
    pub reference: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub reverses_entry_id: Option<String>,
    pub hash: String,
    pub transfers: Vec<TransferView>,
}

fn entry_view(scales: &HashMap<String, u32>, entry: &Entry) -> EntryView {
    EntryView {
        id: entry.row.id.clone(),
        seq: entry.row.seq,
        code: entry.row.code.clone(),
        reference: entry.row.reference.clone(),
        description: entry.row.description.clone(),
        created_at: crate::time::utc(entry.row.created_at),
        reverses_entry_id: entry.row.reverses_entry_id.clone(),
        hash: entry.row.hash.clone(),
        transfers: entry
            .transfers
            .iter()
            .map(|t| transfer_view(scales, t))
            .collect(),
    }
}

/// The entry, and whether it is a replay of an earlier identical request.
type Outcome = (bool, EntryView);

fn committed(conn: &mut DbConn, result: Committed) -> Result<Outcome, ApiError> {
    let scales = scales(conn)?;
    Ok((
        matches!(result, Committed::Replayed(_)),
        entry_view(&scales, result.entry()),
    ))
}

/// 201 with the entry; a replay of the same request answers the same, marked
/// `Idempotent-Replayed: true`.
fn respond((replayed, view): Outcome) -> HttpResponse {
    let mut response = HttpResponse::build(StatusCode::CREATED);
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.json(view)
}

/// Runs a money operation on a blocking thread and answers with its entry: 201, marked
/// `Idempotent-Replayed: true` when it is the replay of an earlier identical request.
async fn operation<F>(state: &AppState, work: F) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut DbConn) -> Result<Committed, ApiError> + Send + 'static,
{
    state
        .db
        .run(move |conn| {
            let result = work(conn)?;
            committed(conn, result)
        })
        .await
        .map(respond)
}

fn issuer_of(currency: &CurrencyRow) -> Result<&str, ApiError> {
    currency.issuer_id.as_deref().ok_or_else(|| {
        ApiError::field(
            "currency",
            "not_local",
            format!("{} is not a local currency", currency.code),
        )
    })
}

// ---------------------------------------------------------------- currencies

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurrencyCreate {
    #[schema(value_type = String, example = "LEM")]
    pub code: CurrencyCode,
    pub name: String,
    pub symbol: String,
    /// Decimals of the minor unit, 0–4.
    pub scale: i32,
    /// `fiat` or `local`.
    pub kind: String,
    /// Local currencies: value of one unit in euros, as a decimal string (default `"1"`).
    pub parity_to_eur: Option<String>,
    /// Local currencies: the issuing currency association.
    pub issuer_id: Option<String>,
    /// Local currencies: may individuals pay each other (default true)?
    pub allow_member_to_member: Option<bool>,
}

/// Creates a currency (platform admins). A local currency gets its association's issuance,
/// commission, guarantee-fund and euro-clearing accounts.
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    request_body = CurrencyCreate,
    responses(
        (status = 201, body = Currency),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/currencies")]
pub async fn create_currency(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<CurrencyCreate>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller.0, Action::AdministerPlatform)?;
    let body = body.0;
    let local = match body.kind.as_str() {
        "fiat" => None,
        "local" => {
            let parity = body.parity_to_eur.as_deref().unwrap_or("1");
            let parity = rust_decimal::Decimal::from_str_exact(parity).map_err(|_| {
                ApiError::field(
                    "parity_to_eur",
                    "not_a_decimal",
                    "must be a decimal string such as \"1\"",
                )
            })?;
            let issuer_id = body.issuer_id.clone().ok_or_else(|| {
                ApiError::field(
                    "issuer_id",
                    "required",
                    "a local currency needs its issuing association",
                )
            })?;
            Some(LocalTerms {
                parity_to_eur: parity,
                issuer_id,
                allow_member_to_member: body.allow_member_to_member.unwrap_or(true),
            })
        }
        _ => {
            return Err(ApiError::field(
                "kind",
                "invalid",
                "must be `fiat` or `local`",
            ))
        }
    };
    let new = NewCurrency {
        code: body.code,
        name: body.name,
        symbol: body.symbol,
        scale: body.scale,
        local,
    };
    let created = state
        .db
        .run(move |conn| Ok(ops::create_currency(conn, new)?))
        .await?;
    Ok(HttpResponse::Created().json(Currency::from(created)))
}

/// The guarantee-fund statement of a local currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct Statement {
    pub currency: String,
    /// Local currency held by everyone (minus the issuance account's balance).
    #[schema(value_type = crate::money::MoneyJson)]
    pub circulation: Money,
    /// Euros in the guarantee fund.
    #[schema(value_type = crate::money::MoneyJson)]
    pub guarantee_fund: Money,
    /// Fund minus circulation at parity; never negative in a sound ledger.
    #[schema(value_type = crate::money::MoneyJson)]
    pub difference: Money,
    /// Local currency held in positive balances: circulation plus money created on credit.
    #[schema(value_type = crate::money::MoneyJson)]
    pub held: Money,
    /// Mutual credit in use: the part of `held` backed by professionals' debts, not euros.
    #[schema(value_type = crate::money::MoneyJson)]
    pub credit_outstanding: Money,
}

/// Circulation against the guarantee fund (the currency's treasurers, platform admins).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("code" = String, Path)),
    responses(
        (status = 200, body = Statement),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/currencies/{code}/statement")]
pub async fn statement(
    state: web::Data<AppState>,
    caller: Authenticated,
    code: web::Path<String>,
) -> Result<web::Json<Statement>, ApiError> {
    let code = code.into_inner();
    let statement = state
        .db
        .run(move |conn| {
            let currency = currencies::get(conn, &code)?;
            authorize(
                &caller.0,
                Action::ReadStatement {
                    issuer_id: issuer_of(&currency)?,
                },
            )?;
            let report = conn.read_snapshot(|conn| verify::statement(conn, &currency))?;
            let scales = scales(conn)?;
            Ok(Statement {
                circulation: money(&scales, report.circulation, &currency.code),
                guarantee_fund: money(&scales, report.fund_eur, "EUR"),
                difference: money(&scales, report.difference_eur, "EUR"),
                held: money(&scales, report.held, &currency.code),
                credit_outstanding: money(&scales, report.credit_outstanding, &currency.code),
                currency: currency.code,
            })
        })
        .await?;
    Ok(web::Json(statement))
}

// ---------------------------------------------------------------- accounts

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WalletOpen {
    pub currency: String,
}

/// The caller's own accounts.
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<AccountView>), (status = 401, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/me/accounts")]
pub async fn my_accounts(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<web::Json<Vec<AccountView>>, ApiError> {
    authorize(&caller.0, Action::ReadOwnAccounts)?;
    let views = state
        .db
        .run(move |conn| {
            let rows = accounts::list_for_owner(conn, &Owner::User(caller.0.user_id.clone()))?;
            let scales = scales(conn)?;
            rows.iter().map(|r| account_view(&scales, r)).collect()
        })
        .await?;
    Ok(web::Json(views))
}

/// Opens the caller's wallet in a currency (returns the existing one if open).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    request_body = WalletOpen,
    responses((status = 201, body = AccountView), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/me/wallets")]
pub async fn open_my_wallet(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<WalletOpen>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller.0, Action::ManageOwnAccount)?;
    let view = state
        .db
        .run(move |conn| {
            let row = ops::wallet(
                conn,
                Owner::User(caller.0.user_id.clone()),
                &body.0.currency,
            )?;
            account_view(&scales(conn)?, &row)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// An enterprise's accounts (its owners, managers and treasurers).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("enterprise_id" = String, Path)),
    responses((status = 200, body = Vec<AccountView>), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/enterprises/{enterprise_id}/accounts")]
pub async fn enterprise_accounts(
    state: web::Data<AppState>,
    caller: Authenticated,
    enterprise_id: web::Path<String>,
) -> Result<web::Json<Vec<AccountView>>, ApiError> {
    let id = enterprise_id.into_inner();
    authorize(
        &caller.0,
        Action::ListEnterpriseAccounts { enterprise_id: &id },
    )?;
    let views = state
        .db
        .run(move |conn| {
            let rows = accounts::list_for_owner(conn, &Owner::Enterprise(id))?;
            let scales = scales(conn)?;
            rows.iter().map(|r| account_view(&scales, r)).collect()
        })
        .await?;
    Ok(web::Json(views))
}

/// Opens an enterprise's wallet in a currency (its owners and treasurers).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("enterprise_id" = String, Path)),
    request_body = WalletOpen,
    responses((status = 201, body = AccountView), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/enterprises/{enterprise_id}/wallets")]
pub async fn open_enterprise_wallet(
    state: web::Data<AppState>,
    caller: Authenticated,
    enterprise_id: web::Path<String>,
    body: JsonBody<WalletOpen>,
) -> Result<HttpResponse, ApiError> {
    let id = enterprise_id.into_inner();
    authorize(
        &caller.0,
        Action::OpenEnterpriseWallet { enterprise_id: &id },
    )?;
    let view = state
        .db
        .run(move |conn| {
            let row = ops::wallet(conn, Owner::Enterprise(id), &body.0.currency)?;
            account_view(&scales(conn)?, &row)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Loads an account the caller may read.
fn readable(conn: &mut DbConn, caller: &Authenticated, id: &str) -> Result<AccountRow, ApiError> {
    let account = accounts::get(conn, id)?;
    let issuer = currencies::get(conn, &account.currency)?.issuer_id;
    authorize(
        &caller.0,
        Action::ReadAccount {
            account: &account,
            issuer_id: issuer.as_deref(),
        },
    )?;
    Ok(account)
}

/// One account and its balances.
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    responses((status = 200, body = AccountView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/accounts/{account_id}")]
pub async fn get_account(
    state: web::Data<AppState>,
    caller: Authenticated,
    account_id: web::Path<String>,
) -> Result<web::Json<AccountView>, ApiError> {
    let id = account_id.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let row = readable(conn, &caller, &id)?;
            account_view(&scales(conn)?, &row)
        })
        .await?;
    Ok(web::Json(view))
}

/// `?from=&to=` (RFC 3339, `to` exclusive) on account history.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateRange {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A transfer as seen from one account.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryLine {
    #[serde(flatten)]
    pub transfer: TransferView,
    /// `in` (credit) or `out` (debit) for this account.
    pub direction: &'static str,
    pub entry_id: String,
    pub entry_code: String,
    pub reference: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

type HistoryRow = (TransferRow, String, String, String);

fn history_page(
    conn: &mut DbConn,
    account_id: &str,
    range: &DateRange,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<HistoryRow>, ApiError> {
    let from: Option<NaiveDateTime> = range.from.map(|t| t.naive_utc());
    let to: Option<NaiveDateTime> = range.to.map(|t| t.naive_utc());
    Ok(db_run!(conn => {
        let mut query = ledger_transfers::table
            .inner_join(ledger_entries::table)
            .filter(ledger_transfers::debit_account_id.eq(account_id).or(ledger_transfers::credit_account_id.eq(account_id)))
            .select((TransferRow::as_select(), ledger_entries::code, ledger_entries::reference, ledger_entries::description))
            .order(ledger_transfers::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(from) = from {
            query = query.filter(ledger_transfers::created_at.ge(from));
        }
        if let Some(to) = to {
            query = query.filter(ledger_transfers::created_at.lt(to));
        }
        if let Some(after) = after {
            query = query.filter(ledger_transfers::id.gt(after.to_string()));
        }
        query.load(conn)
    })?)
}

fn history_line(
    scales: &HashMap<String, u32>,
    account_id: &str,
    (t, code, reference, description): HistoryRow,
) -> HistoryLine {
    HistoryLine {
        direction: if t.credit_account_id == account_id {
            "in"
        } else {
            "out"
        },
        entry_id: t.entry_id.clone(),
        created_at: crate::time::utc(t.created_at),
        transfer: transfer_view(scales, &t),
        entry_code: code,
        reference,
        description,
    }
}

/// An account's transfers, oldest first, optionally within a date range.
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("account_id" = String, Path), DateRange, PageParams),
    responses((status = 200, body = PageResponse<HistoryLine>), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/accounts/{account_id}/transfers")]
pub async fn account_history(
    state: web::Data<AppState>,
    caller: Authenticated,
    account_id: web::Path<String>,
    range: QueryParams<DateRange>,
    page: QueryParams<PageParams>,
    req: HttpRequest,
) -> Result<web::Json<PageResponse<HistoryLine>>, ApiError> {
    page.validate()?;
    let (id, range, page) = (account_id.into_inner(), range.0, page.0);
    let result = state
        .db
        .run(move |conn| {
            readable(conn, &caller, &id)?;
            let rows = history_page(conn, &id, &range, page.after.as_deref(), page.fetch_limit())?;
            let scales = scales(conn)?;
            page.paginate(rows, |r| r.0.id.clone())?
                .try_map(|row| Ok::<_, ApiError>(history_line(&scales, &id, row)))
        })
        .await?;
    Ok(web::Json(PageResponse::from_page(result, &req)))
}

const CSV_HEADER: &str = "created_at,entry_id,entry_code,reference,transfer_id,direction,kind,amount,currency,counterpart_account_id,description\n";
const CSV_CHUNK: i64 = 1000;

fn csv_rows(
    scales: &HashMap<String, u32>,
    account_id: &str,
    rows: Vec<HistoryRow>,
) -> Result<String, ApiError> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for row in rows {
        let line = history_line(scales, account_id, row);
        let counterpart = if line.direction == "in" {
            &line.transfer.debit_account_id
        } else {
            &line.transfer.credit_account_id
        };
        writer
            .write_record([
                line.created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                    .as_str(),
                &line.entry_id,
                &line.entry_code,
                &line.reference,
                &line.transfer.id,
                line.direction,
                &line.transfer.kind,
                &line.transfer.amount.amount_string(),
                line.transfer.amount.currency.as_str(),
                counterpart,
                &line.description,
            ])
            .map_err(ApiError::internal)?;
    }
    let bytes = writer.into_inner().map_err(ApiError::internal)?;
    String::from_utf8(bytes).map_err(ApiError::internal)
}

/// An account's transfers as CSV over a date range, streamed in pages of 1,000 (constant
/// memory whatever the size).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("account_id" = String, Path), DateRange),
    responses((status = 200, description = "CSV, one transfer a line", content_type = "text/csv"), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/accounts/{account_id}/transfers.csv")]
pub async fn account_history_csv(
    state: web::Data<AppState>,
    caller: Authenticated,
    account_id: web::Path<String>,
    range: QueryParams<DateRange>,
) -> Result<HttpResponse, ApiError> {
    let (id, range) = (account_id.into_inner(), range.0);
    let checked = id.clone();
    state
        .db
        .run(move |conn| readable(conn, &caller, &checked).map(|_| ()))
        .await?;
    let db = state.db.clone();
    // state: None = header not sent yet; Some(cursor) = next page after cursor; done = stop
    let body = futures_util::stream::unfold(Some(None::<String>), move |cursor| {
        let (db, id, range) = (db.clone(), id.clone(), range.clone());
        async move {
            let after = cursor?;
            let first = after.is_none();
            let page = db
                .run(move |conn| {
                    let rows = history_page(conn, &id, &range, after.as_deref(), CSV_CHUNK)?;
                    let last = rows.last().map(|r| r.0.id.clone());
                    let full = rows.len() as i64 == CSV_CHUNK;
                    let text = csv_rows(&scales(conn)?, &id, rows)?;
                    Ok((text, if full { last } else { None }))
                })
                .await;
            match page {
                Ok((mut text, next)) => {
                    if first {
                        text.insert_str(0, CSV_HEADER);
                    }
                    let state = next.map(Some);
                    Some((Ok::<_, actix_web::Error>(web::Bytes::from(text)), state))
                }
                Err(e) => Some((
                    Err(actix_web::error::ErrorInternalServerError(e.to_string())),
                    None,
                )),
            }
        }
    });
    Ok(crate::api::attachment("text/csv; charset=utf-8", "transfers.csv").streaming(body))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitSet {
    /// How far below zero the wallet may go (mutual credit).
    pub limit: MoneyInput,
}

/// Sets an enterprise wallet's mutual-credit limit (the currency's treasurers).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    request_body = LimitSet,
    responses((status = 200, body = AccountView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[put("/api/v1/accounts/{account_id}/overdraft-limit")]
pub async fn set_limit(
    state: web::Data<AppState>,
    caller: Authenticated,
    account_id: web::Path<String>,
    body: JsonBody<LimitSet>,
) -> Result<web::Json<AccountView>, ApiError> {
    let id = account_id.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let account = accounts::get(conn, &id)?;
            let currency = currencies::get(conn, &account.currency)?;
            authorize(
                &caller.0,
                Action::RunCurrency {
                    issuer_id: issuer_of(&currency)?,
                },
            )?;
            let limit = minor_units(
                conn,
                "limit",
                &body.0.limit,
                &account.currency,
                Sign::NonNegative,
            )?;
            let row = ops::set_overdraft_limit(conn, &id, limit)?;
            account_view(&scales(conn)?, &row)
        })
        .await?;
    Ok(web::Json(view))
}

// ---------------------------------------------------------------- operations

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// Client-chosen UUID: retrying with the same id and body is safe.
    pub entry_id: String,
    pub wallet_id: String,
    pub amount: MoneyInput,
    pub method: EuroMethod,
    /// The euro payment's reference (bank transfer, receipt number…).
    pub reference: String,
}

/// Issues local currency against euros received (the currency's treasurers).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("code" = String, Path)),
    request_body = IssueRequest,
    responses((status = 201, body = EntryView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/currencies/{code}/issuances")]
pub async fn issue(
    state: web::Data<AppState>,
    caller: Authenticated,
    code: web::Path<String>,
    body: JsonBody<IssueRequest>,
) -> Result<HttpResponse, ApiError> {
    let (code, body) = (code.into_inner(), body.0);
    operation(&state, move |conn| {
        let currency = currencies::get(conn, &code)?;
        authorize(
            &caller.0,
            Action::RunCurrency {
                issuer_id: issuer_of(&currency)?,
            },
        )?;
        let id = entry_id("entry_id", &body.entry_id)?;
        let wallet = accounts::get(conn, &body.wallet_id)?;
        if wallet.currency != currency.code {
            return Err(ApiError::field(
                "wallet_id",
                "currency_mismatch",
                format!("is not a {} wallet", currency.code),
            ));
        }
        let amount = minor_units(conn, "amount", &body.amount, &currency.code, Sign::Positive)?;
        // the receipt is queued in the entry's transaction, and only for a new entry
        conn.transaction(|conn| {
            let committed =
                ops::issue(conn, &id, &wallet.id, amount, body.method, &body.reference)?;
            if let Committed::New(entry) = &committed {
                receipts::topup(
                    conn,
                    entry,
                    &wallet.id,
                    &currency,
                    amount,
                    body.method.as_str(),
                    &body.reference,
                )?;
            }
            Ok(committed)
        })
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    pub entry_id: String,
    pub from_account_id: String,
    pub to_account_id: String,
    pub amount: MoneyInput,
    #[serde(default)]
    pub reference: String,
}

/// Pays from a wallet the caller may spend from to another account of the same currency.
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    request_body = PaymentRequest,
    responses((status = 201, body = EntryView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/payments")]
pub async fn pay(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<PaymentRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    operation(&state, move |conn| {
        let (id, from, amount) = spending(
            conn,
            &caller,
            &body.entry_id,
            &body.from_account_id,
            &body.amount,
        )?;
        Ok(ops::pay(
            conn,
            &id,
            &from.id,
            &body.to_account_id,
            amount,
            &body.reference,
        )?)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconversionRequest {
    pub entry_id: String,
    pub wallet_id: String,
    pub amount: MoneyInput,
    #[serde(default)]
    pub reference: String,
}

/// Converts a professional's local currency back to euros, less the commission; the euros
/// are owed from the guarantee fund until paid out.
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    request_body = ReconversionRequest,
    responses((status = 201, body = EntryView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/reconversions")]
pub async fn reconvert(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<ReconversionRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    operation(&state, move |conn| {
        let (id, wallet, amount) =
            spending(conn, &caller, &body.entry_id, &body.wallet_id, &body.amount)?;
        let currency = currencies::get(conn, &wallet.currency)?;
        conn.transaction(|conn| {
            let committed = ops::reconvert(conn, &id, &wallet.id, amount, &body.reference)?;
            if let Committed::New(entry) = &committed {
                receipts::reconversion(conn, entry, &wallet.id, &currency, amount)?;
            }
            Ok(committed)
        })
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutRequest {
    pub entry_id: String,
    /// The local currency whose reconversions are paid out.
    pub currency: String,
    /// Euros paid out.
    pub amount: MoneyInput,
    pub reference: String,
}

/// Records that euros owed for reconversions were paid out (the currency's treasurers).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("account_id" = String, Path, description = "The professional's euro payable account")),
    request_body = PayoutRequest,
    responses((status = 201, body = EntryView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/accounts/{account_id}/payouts")]
pub async fn payout(
    state: web::Data<AppState>,
    caller: Authenticated,
    account_id: web::Path<String>,
    body: JsonBody<PayoutRequest>,
) -> Result<HttpResponse, ApiError> {
    let (payable, body) = (account_id.into_inner(), body.0);
    operation(&state, move |conn| {
        let currency = currencies::get(conn, &body.currency)?;
        authorize(
            &caller.0,
            Action::RunCurrency {
                issuer_id: issuer_of(&currency)?,
            },
        )?;
        let id = entry_id("entry_id", &body.entry_id)?;
        let amount = minor_units(conn, "amount", &body.amount, "EUR", Sign::Positive)?;
        Ok(ops::reconversion_paid(
            conn,
            &id,
            &payable,
            &currency.code,
            amount,
            &body.reference,
        )?)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReversalRequest {
    /// Id of the new, reversing entry.
    pub entry_id: String,
    pub reason: String,
}

/// Reverses an entry with a compensating one (the treasurers of its local currency).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The entry to reverse")),
    request_body = ReversalRequest,
    responses((status = 201, body = EntryView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/ledger/entries/{id}/reversal")]
pub async fn reverse(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<String>,
    body: JsonBody<ReversalRequest>,
) -> Result<HttpResponse, ApiError> {
    let (original, body) = (id.into_inner(), body.0);
    operation(&state, move |conn| {
        let entry = crate::ledger::journal::find(conn, &original)?
            .ok_or_else(|| ApiError::NotFound(format!("no ledger entry `{original}`")))?;
        // the entry belongs to the association of the local currency it moves
        let mut issuer = None;
        for t in &entry.transfers {
            if let Some(i) = currencies::get(conn, &t.currency)?.issuer_id {
                issuer = Some(i);
                break;
            }
        }
        match issuer.as_deref() {
            Some(issuer_id) => authorize(&caller.0, Action::RunCurrency { issuer_id })?,
            None => authorize(&caller.0, Action::AdministerPlatform)?,
        }
        let id = entry_id("entry_id", &body.entry_id)?;
        Ok(ops::reverse(conn, &id, &original, &body.reason)?)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    pub entry_id: String,
    pub from_account_id: String,
    pub to_account_id: String,
    pub amount: MoneyInput,
    /// When the hold is released by itself if not posted (voided by a background job).
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub reference: String,
}

/// Reserves money of a wallet for an account (two-phase transfer); the reserved amount counts
/// against the wallet's available balance until posted or voided. The hold's id is the id of
/// the entry's transfer.
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    request_body = HoldRequest,
    responses((status = 201, body = EntryView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/holds")]
pub async fn create_hold(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody<HoldRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    operation(&state, move |conn| {
        let (id, from, amount) = spending(
            conn,
            &caller,
            &body.entry_id,
            &body.from_account_id,
            &body.amount,
        )?;
        let expires = body.expires_at.map(|t| t.naive_utc());
        Ok(ops::hold(
            conn,
            &id,
            &from.id,
            &body.to_account_id,
            amount,
            expires,
            &body.reference,
        )?)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldPost {
    pub entry_id: String,
    /// Less than the hold to capture part of it (weighed goods); absent = all of it.
    pub amount: Option<MoneyInput>,
    #[serde(default)]
    pub reference: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldVoid {
    pub entry_id: String,
    #[serde(default)]
    pub reference: String,
}

/// Posts a hold, fully or for less (by whoever acts for the receiving account).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("hold_id" = String, Path)),
    request_body = HoldPost,
    responses((status = 201, body = EntryView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/holds/{hold_id}/post")]
pub async fn post_hold(
    state: web::Data<AppState>,
    caller: Authenticated,
    hold_id: web::Path<String>,
    body: JsonBody<HoldPost>,
) -> Result<HttpResponse, ApiError> {
    let (hold_id, body) = (hold_id.into_inner(), body.0);
    operation(&state, move |conn| {
        let hold = ops::find_hold(conn, &hold_id)?;
        let receiver = accounts::get(conn, &hold.credit_account_id)?;
        authorize(&caller.0, Action::SpendFrom { account: &receiver })?;
        let id = entry_id("entry_id", &body.entry_id)?;
        let amount = match &body.amount {
            Some(amount) => Some(minor_units(
                conn,
                "amount",
                amount,
                &hold.currency,
                Sign::Positive,
            )?),
            None => None,
        };
        Ok(ops::post_hold(
            conn,
            &id,
            &hold_id,
            amount,
            &body.reference,
        )?)
    })
    .await
}

/// Releases a hold (by whoever acts for either account).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("hold_id" = String, Path)),
    request_body = HoldVoid,
    responses((status = 201, body = EntryView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/holds/{hold_id}/void")]
pub async fn void_hold(
    state: web::Data<AppState>,
    caller: Authenticated,
    hold_id: web::Path<String>,
    body: JsonBody<HoldVoid>,
) -> Result<HttpResponse, ApiError> {
    let (hold_id, body) = (hold_id.into_inner(), body.0);
    operation(&state, move |conn| {
        let hold = ops::find_hold(conn, &hold_id)?;
        let payer = accounts::get(conn, &hold.debit_account_id)?;
        let receiver = accounts::get(conn, &hold.credit_account_id)?;
        authorize(&caller.0, Action::SpendFrom { account: &payer })
            .or_else(|_| authorize(&caller.0, Action::SpendFrom { account: &receiver }))?;
        let id = entry_id("entry_id", &body.entry_id)?;
        Ok(ops::void_hold(conn, &id, &hold_id, &body.reference)?)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommissionRule {
    /// The account kind the rule applies to; absent = every kind without a rule of its own.
    #[schema(value_type = Option<String>)]
    pub account_kind: Option<AccountKind>,
    /// Percent of the reconverted amount, as a decimal string with at most two decimals.
    #[schema(example = "2.5")]
    pub percent: String,
    /// A fixed part added to the percentage, in the local currency.
    pub fixed: MoneyInput,
}

/// Sets the reconversion commission of a local currency (its treasurers).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("code" = String, Path)),
    request_body = CommissionRule,
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[put("/api/v1/currencies/{code}/commission")]
pub async fn set_commission(
    state: web::Data<AppState>,
    caller: Authenticated,
    code: web::Path<String>,
    body: JsonBody<CommissionRule>,
) -> Result<HttpResponse, ApiError> {
    let (code, body) = (code.into_inner(), body.0);
    state
        .db
        .run(move |conn| {
            let currency = currencies::get(conn, &code)?;
            authorize(
                &caller.0,
                Action::RunCurrency {
                    issuer_id: issuer_of(&currency)?,
                },
            )?;
            let percent_bp = parse_amount(&body.percent, 2, Sign::NonNegative)
                .ok()
                .and_then(|bp| i32::try_from(bp).ok())
                .filter(|bp| *bp <= 10_000)
                .ok_or_else(|| {
                    ApiError::field(
                        "percent",
                        "out_of_range",
                        "must be a decimal between 0 and 100 with at most two decimals",
                    )
                })?;
            let fixed = minor_units(
                conn,
                "fixed",
                &body.fixed,
                &currency.code,
                Sign::NonNegative,
            )?;
            Ok(ops::set_commission_rule(
                conn,
                &currency.code,
                body.account_kind,
                percent_bp,
                fixed,
            )?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusSet {
    /// `active`, `frozen` (only holds may be released) or `closed` (empty accounts only, final).
    #[schema(value_type = String)]
    pub status: AccountStatus,
}

/// Freezes, reactivates or closes an account (the treasurers of its currency's association).
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("account_id" = String, Path)),
    request_body = StatusSet,
    responses((status = 200, body = AccountView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[put("/api/v1/accounts/{account_id}/status")]
pub async fn set_status(
    state: web::Data<AppState>,
    caller: Authenticated,
    account_id: web::Path<String>,
    body: JsonBody<StatusSet>,
) -> Result<web::Json<AccountView>, ApiError> {
    let id = account_id.into_inner();
    let view = state
        .db
        .run(move |conn| {
            let account = accounts::get(conn, &id)?;
            let currency = currencies::get(conn, &account.currency)?;
            // a euro account belongs to the association of the local currency it serves
            let issuer = match (&currency.issuer_id, &account.for_currency) {
                (Some(issuer), _) => issuer.clone(),
                (None, Some(served)) => {
                    currencies::get(conn, served)?.issuer_id.unwrap_or_default()
                }
                (None, None) => String::new(),
            };
            if issuer.is_empty() {
                authorize(&caller.0, Action::AdministerPlatform)?;
            } else {
                authorize(&caller.0, Action::RunCurrency { issuer_id: &issuer })?;
            }
            let row = ops::set_status(conn, &id, body.0.status)?;
            account_view(&scales(conn)?, &row)
        })
        .await?;
    Ok(web::Json(view))
}
