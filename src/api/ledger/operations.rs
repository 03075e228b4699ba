//! The money operations: issuance, payment, reconversion and its payout, reversal, holds,
//! the commission rule, an account's status.

use super::*;
use crate::ledger::holds;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"entry_id": "019ad0c2-5a6e-7c31-9a4e-2f3b8c1d0e61", "wallet_id": "019ad0c2-5a6e-7c31-9a4e-2f3b8c1d0e62", "amount": {"amount": "50.00", "currency": "LEM"}, "method": "bank_transfer", "reference": "VIR 2026-12-06 Camille"}))]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// Client-chosen UUID: retrying with the same id and body is safe.
    pub entry_id: String,
    pub wallet_id: String,
    pub amount: MoneyInput,
    pub method: EuroMethod,
    /// The euro payment's reference (bank transfer, receipt number…).
    #[schema(max_length = 200)]
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
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (code, body) = (code.into_inner(), body.0);
    let who = caller.who(&req);
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
            Ok(receipts::issue_with_receipt(
                conn,
                &who,
                &id,
                &wallet.id,
                &currency,
                amount,
                body.method,
                &body.reference,
            )?)
        })
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"entry_id": "019ad0c2-5a6e-7c31-9a4e-2f3b8c1d0e63", "from_account_id": "019ad0c2-5a6e-7c31-9a4e-2f3b8c1d0e62", "to_account_id": "019ad0c2-5a6e-7c31-9a4e-2f3b8c1d0e64", "amount": {"amount": "12.50", "currency": "LEM"}, "reference": "vegetable basket"}))]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    pub entry_id: String,
    pub from_account_id: String,
    pub to_account_id: String,
    pub amount: MoneyInput,
    #[serde(default)]
    #[schema(max_length = 200)]
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
    #[schema(max_length = 200)]
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
    #[schema(max_length = 200)]
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
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (payable, body) = (account_id.into_inner(), body.0);
    let who = caller.who(&req);
    operation(&state, move |conn| {
        let currency = currencies::get(conn, &body.currency)?;
        authorize(
            &caller.0,
            Action::RunCurrency {
                issuer_id: issuer_of(&currency)?,
            },
        )?;
        let id = entry_id("entry_id", &body.entry_id)?;
        let legal = currencies::legal(conn)?.code;
        let amount = minor_units(conn, "amount", &body.amount, legal.as_str(), Sign::Positive)?;
        Ok(ops::reconversion_paid(
            conn,
            &who,
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
    #[schema(max_length = 200)]
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
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (original, body) = (id.into_inner(), body.0);
    let who = caller.who(&req);
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
        Ok(ops::reverse(conn, &who, &id, &original, &body.reason)?)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"entry_id": "019ad0c2-5a6e-7c31-9a4e-2f3b8c1d0e65", "from_account_id": "019ad0c2-5a6e-7c31-9a4e-2f3b8c1d0e62", "to_account_id": "019ad0c2-5a6e-7c31-9a4e-2f3b8c1d0e64", "amount": {"amount": "30.00", "currency": "LEM"}, "reference": "order C-4F2A9B10C3D1"}))]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    pub entry_id: String,
    pub from_account_id: String,
    pub to_account_id: String,
    pub amount: MoneyInput,
    /// When the hold is released by itself if not posted (voided by a background job).
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    #[schema(max_length = 200)]
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
        Ok(holds::hold(
            conn,
            &id,
            &from.id(),
            &AccountId::from(&body.to_account_id),
            from.amount(amount)?,
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
    #[schema(max_length = 200)]
    pub reference: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldVoid {
    pub entry_id: String,
    #[serde(default)]
    #[schema(max_length = 200)]
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
    let (hold_id, body) = (TransferId::from(hold_id.into_inner()), body.0);
    operation(&state, move |conn| {
        let hold = holds::find_hold(conn, &hold_id)?;
        let receiver = accounts::get(conn, &hold.credit_account_id)?;
        authorize(&caller.0, Action::SpendFrom { account: &receiver })?;
        let id = entry_id("entry_id", &body.entry_id)?;
        let amount = match &body.amount {
            Some(amount) => {
                let currency = hold.moved()?.currency;
                let minor = minor_units(conn, "amount", amount, currency.as_str(), Sign::Positive)?;
                Some(Amount::new(minor, currency))
            }
            None => None,
        };
        Ok(holds::post_hold(
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
    let (hold_id, body) = (TransferId::from(hold_id.into_inner()), body.0);
    operation(&state, move |conn| {
        let hold = holds::find_hold(conn, &hold_id)?;
        let payer = accounts::get(conn, &hold.debit_account_id)?;
        let receiver = accounts::get(conn, &hold.credit_account_id)?;
        authorize(&caller.0, Action::SpendFrom { account: &payer })
            .or_else(|_| authorize(&caller.0, Action::SpendFrom { account: &receiver }))?;
        let id = entry_id("entry_id", &body.entry_id)?;
        Ok(holds::void_hold(conn, &id, &hold_id, &body.reference)?)
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
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (code, body) = (code.into_inner(), body.0);
    let who = caller.who(&req);
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
            Ok::<_, ApiError>(ops::set_commission_rule(
                conn,
                &who,
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
    req: HttpRequest,
) -> Result<web::Json<AccountView>, ApiError> {
    let id = account_id.into_inner();
    let who = caller.who(&req);
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
            let row = ops::set_status(conn, &who, &id, body.0.status)?;
            account_view(&scales(conn)?, &row)
        })
        .await?;
    Ok(web::Json(view))
}
