//! What a currency association does beside the ledger's own operations.
//!
//! - [`topups`]: members' top-up requests — a member asks for local currency, pays by bank
//!   transfer (the reference generated here, carried by an EPC or Swiss QR-bill code) or in
//!   cash at an exchange point; a treasurer approves (the issuance) or refuses (with why).
//! - [`professionals`]: who may take the currency — an enterprise asks, the association's
//!   owners and treasurers approve (its wallet opens), refuse or suspend (its wallet frozen).
//! - [`payment_requests`]: a professional asks for a payment (at a stall: a QR code), a member
//!   pays it from their wallet in one step.
//! - [`bank`]: the bank account an association receives transfers on (its IBAN), which the
//!   transfer QR codes name.

pub mod bank;
pub mod payment_requests;
pub mod professionals;
pub mod topups;

/// What can go wrong with an association's operations.
#[derive(Debug, thiserror::Error)]
pub enum AssociationError {
    #[error(transparent)]
    Invalid(#[from] crate::error::Invalid),
    #[error("{0}")]
    NotFound(String),
    /// Not possible in the current state: what to do first is in the message.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error(transparent)]
    Audit(#[from] crate::audit::AuditError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Unavailable(#[from] crate::db::DbError),
}

impl From<crate::money::AmountMismatch> for AssociationError {
    fn from(e: crate::money::AmountMismatch) -> AssociationError {
        AssociationError::Ledger(e.into())
    }
}

crate::error::domain_error!(AssociationError);

/// `amount` in minor units of `currency`, positive: refused (on `{field}.currency` or
/// `{field}.amount`) when it names another currency or is not an exact amount of it.
pub(crate) fn minor_of(
    currency: &crate::ledger::currencies::CurrencyRow,
    field: &str,
    amount: &crate::money::AmountInput,
) -> Result<i64, AssociationError> {
    if amount.currency.as_str() != currency.code {
        return Err(AssociationError::field(
            &format!("{field}.currency"),
            "currency_mismatch",
            format!("must be {}", currency.code),
        ));
    }
    crate::money::parse_amount(
        &amount.amount,
        currency.decimals(),
        crate::money::Sign::Positive,
    )
    .map_err(|e| AssociationError::field(&format!("{field}.amount"), e.code(), e.to_string()))
}
