//! Currencies: creating one, the guarantee-fund statement.

use super::*;

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
    /// Local currencies: value of one unit in the deployment's legal currency, as a decimal
    /// string (default `"1"`). Also read under its former name, `parity_to_eur`.
    #[serde(alias = "parity_to_eur")]
    pub parity: Option<String>,
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
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller.0, Action::AdministerPlatform)?;
    let body = body.0;
    let local = match body.kind.as_str() {
        "fiat" => None,
        "local" => {
            let parity = body.parity.as_deref().unwrap_or("1");
            let parity = rust_decimal::Decimal::from_str_exact(parity).map_err(|_| {
                ApiError::field(
                    "parity",
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
    let who = caller.who(&req);
    let created = state
        .db
        .run(move |conn| Ok::<_, ApiError>(ops::create_currency(conn, &who, new)?))
        .await?;
    Ok(HttpResponse::Created().json(Currency::from(currencies::Currency::from(created))))
}

/// The guarantee-fund statement of a local currency.
#[derive(Debug, Serialize, ToSchema)]
pub struct Statement {
    pub currency: String,
    /// Local currency held by everyone (minus the issuance account's balance).
    pub circulation: Money,
    /// Euros in the guarantee fund.
    pub guarantee_fund: Money,
    /// Fund minus circulation at parity; never negative in a sound ledger.
    pub difference: Money,
    /// Local currency held in positive balances: circulation plus money created on credit.
    pub held: Money,
    /// Mutual credit in use: the part of `held` backed by professionals' debts, not euros.
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
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The currency is the legal tender, which has no guarantee fund", body = Problem, content_type = "application/problem+json")
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
            let legal = currencies::legal(conn)?;
            Ok::<_, ApiError>(Statement {
                circulation: money(&scales, report.circulation, &currency.code),
                guarantee_fund: legal.money(report.fund_eur),
                difference: legal.money(report.difference_eur),
                held: money(&scales, report.held, &currency.code),
                credit_outstanding: money(&scales, report.credit_outstanding, &currency.code),
                currency: currency.code,
            })
        })
        .await?;
    Ok(web::Json(statement))
}
