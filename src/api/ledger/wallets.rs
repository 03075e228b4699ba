//! Accounts: wallets of people and enterprises, one account, its history (JSON and CSV),
//! its overdraft limit.

use super::*;

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
    let id = crate::api::resolve::enterprise(&state, &caller.0, enterprise_id.into_inner()).await?;
    authorize(
        &caller.0,
        Action::ListEnterpriseAccounts { enterprise_id: &id },
    )?;
    let views = state
        .db
        .run(move |conn| {
            let rows = accounts::list_for_owner(conn, &Owner::Enterprise(id.into()))?;
            let scales = scales(conn)?;
            rows.iter().map(|r| account_view(&scales, r)).collect()
        })
        .await?;
    Ok(web::Json(views))
}

/// Opens an enterprise's wallet in a currency (its owners and treasurers): the legal one, or
/// a local one it is an approved professional of.
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("enterprise_id" = String, Path)),
    request_body = WalletOpen,
    responses((status = 201, body = AccountView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, description = "A local currency the enterprise is not an approved professional of (`flow-not-allowed`): its association approves it first", body = Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/enterprises/{enterprise_id}/wallets")]
pub async fn open_enterprise_wallet(
    state: web::Data<AppState>,
    caller: Authenticated,
    enterprise_id: web::Path<String>,
    body: JsonBody<WalletOpen>,
) -> Result<HttpResponse, ApiError> {
    let id = crate::api::resolve::enterprise(&state, &caller.0, enterprise_id.into_inner()).await?;
    authorize(
        &caller.0,
        Action::OpenEnterpriseWallet { enterprise_id: &id },
    )?;
    let view = state
        .db
        .run(move |conn| {
            let row = ops::wallet(conn, Owner::Enterprise(id.into()), &body.0.currency)?;
            account_view(&scales(conn)?, &row)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Loads an account the caller may read.
fn readable(conn: &mut DbConn, caller: &Authenticated, id: &str) -> Result<AccountRow, ApiError> {
    let account = accounts::get(conn, id)?;
    may_read(conn, caller, &account)??;
    Ok(account)
}

/// The policy's answer to whether `caller` may read `account` (its owners, the treasurers of
/// its currency); the outer error is the database's.
fn may_read(
    conn: &mut DbConn,
    caller: &Authenticated,
    account: &AccountRow,
) -> Result<Result<(), crate::auth::AuthError>, ApiError> {
    let issuer = currencies::get(conn, &account.currency)?.issuer_id;
    Ok(authorize(
        &caller.0,
        Action::ReadAccount {
            account,
            issuer_id: issuer.as_deref(),
        },
    ))
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

type HistoryRow = crate::ledger::history::Row;

fn range_of(range: &DateRange) -> crate::ledger::history::Range {
    crate::ledger::history::Range {
        from: range.from.map(|t| t.naive_utc()),
        to: range.to.map(|t| t.naive_utc()),
    }
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
    params(("account_id" = String, Path), DateRange, PageQuery),
    responses((status = 200, body = PageResponse<HistoryLine>), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/accounts/{account_id}/transfers")]
pub async fn account_history(
    state: web::Data<AppState>,
    caller: Authenticated,
    account_id: web::Path<String>,
    range: QueryParams<DateRange>,
    page: QueryParams<PageQuery>,
    req: HttpRequest,
) -> Result<web::Json<PageResponse<HistoryLine>>, ApiError> {
    let (id, range, page) = (account_id.into_inner(), range.0, PageParams::from(page.0));
    page.validate()?;
    let result = state
        .db
        .run(move |conn| {
            readable(conn, &caller, &id)?;
            let rows = crate::ledger::history::transfers(
                conn,
                &id,
                &range_of(&range),
                page.after.as_deref(),
                page.fetch_limit(),
            )?;
            let scales = scales(conn)?;
            Ok::<_, ApiError>(
                page.paginate(rows, |r| r.0.id.clone())
                    .map(|row| history_line(&scales, &id, row)),
            )
        })
        .await?;
    Ok(web::Json(PageResponse::from_page(result, &req)))
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
    use futures_util::StreamExt;
    let body =
        crate::ledger::history::csv_stream(state.db.clone(), id, range_of(&range)).map(|chunk| {
            chunk
                .map(web::Bytes::from)
                .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))
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
    req: HttpRequest,
) -> Result<web::Json<AccountView>, ApiError> {
    let id = account_id.into_inner();
    let who = caller.who(&req);
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
            let row = ops::set_overdraft_limit(conn, &who, &id, limit)?;
            account_view(&scales(conn)?, &row)
        })
        .await?;
    Ok(web::Json(view))
}

/// One journal entry with its transfers, hash and reversal.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryDetail {
    #[serde(flatten)]
    pub entry: EntryView,
    /// The entry that reversed this one, if any.
    pub reversed_by_entry_id: Option<String>,
}

/// One journal entry, for a party to it (the owner of an account it moves, or whoever may
/// read such an account: the currency's treasurers) — so a client that lost an answer can
/// read what it did without scanning a history. 404 for an entry that does not exist or
/// that the caller is no party to.
#[utoipa::path(
    tag = "ledger",
    security(("bearer" = [])),
    params(("entry_id" = String, Path)),
    responses(
        (status = 200, body = EntryDetail),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/ledger/entries/{entry_id}")]
pub async fn get_entry(
    state: web::Data<AppState>,
    caller: Authenticated,
    entry_id: web::Path<String>,
) -> Result<web::Json<EntryDetail>, ApiError> {
    let id = entry_id.into_inner();
    let detail = state
        .db
        .run(move |conn| {
            let missing = || ApiError::NotFound(format!("no entry `{id}` of yours"));
            let entry = crate::ledger::journal::find(conn, &id)?.ok_or_else(missing)?;
            let mut parties: Vec<&str> = entry
                .transfers
                .iter()
                .flat_map(|t| [t.debit_account_id.as_str(), t.credit_account_id.as_str()])
                .collect();
            parties.sort_unstable();
            parties.dedup();
            let mut party = false;
            for account_id in parties {
                let account = accounts::get(conn, account_id)?;
                if may_read(conn, &caller, &account)?.is_ok() {
                    party = true;
                    break;
                }
            }
            if !party {
                return Err(missing());
            }
            let reversed_by = crate::ledger::journal::reversal_of(conn, &id)?;
            let scales = scales(conn)?;
            Ok(EntryDetail {
                entry: entry_view(&scales, &entry),
                reversed_by_entry_id: reversed_by,
            })
        })
        .await?;
    Ok(web::Json(detail))
}
