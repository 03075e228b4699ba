//! Each domain error mapped into the problem catalogue, once: the domain says what went wrong
//! in its own terms ([`AccountingError`], [`AssociationError`], [`AuditError`], [`PrivacyError`], [`AuthError`], [`CatalogError`], [`EnterpriseError`], [`LedgerError`], [`MailError`], [`OrderError`], [`DbError`]), and this edge says which problem type and
//! HTTP status it is.

use crate::accounting::AccountingError;
use crate::api::error::{ApiError, ProblemKind};
use crate::association::AssociationError;
use crate::audit::AuditError;
use crate::auth::AuthError;
use crate::catalog::CatalogError;
use crate::db::DbError;
use crate::enterprises::EnterpriseError;
use crate::error::FieldError;
use crate::ledger::LedgerError;
use crate::mail::MailError;
use crate::orders::OrderError;
use crate::privacy::PrivacyError;

impl From<AccountingError> for ApiError {
    fn from(e: AccountingError) -> ApiError {
        match e {
            AccountingError::Invalid(invalid) => ApiError::from(invalid),
            AccountingError::NotFound(detail) => ApiError::NotFound(detail),
            AccountingError::Conflict(detail) => ApiError::Conflict {
                kind: ProblemKind::Conflict,
                detail,
            },
            AccountingError::Internal(cause) => ApiError::Internal(cause),
            AccountingError::Unmapped(detail) => ApiError::Conflict {
                kind: ProblemKind::AccountingUnmapped,
                detail,
            },
            AccountingError::PeriodClosed(detail) => ApiError::Conflict {
                kind: ProblemKind::PeriodClosed,
                detail,
            },
            AccountingError::NothingToExport(detail) => ApiError::Conflict {
                kind: ProblemKind::NothingToExport,
                detail,
            },
            AccountingError::RetryLater(detail) | AccountingError::SyncRunning(detail) => {
                ApiError::Unavailable(detail)
            }
            AccountingError::Auth(e) => ApiError::from(e),
            AccountingError::Enterprise(e) => ApiError::from(e),
            AccountingError::Order(e) => ApiError::from(e),
            AccountingError::Ledger(e) => ApiError::from(e),
            AccountingError::Audit(e) => ApiError::from(e),
            AccountingError::Db(e) => ApiError::from(e),
            AccountingError::Unavailable(e) => ApiError::from(e),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        match e {
            AuthError::Invalid(invalid) => ApiError::from(invalid),
            AuthError::Unauthorized(detail) => ApiError::Unauthorized(detail),
            AuthError::Forbidden(detail) => ApiError::Forbidden(detail),
            AuthError::Throttled {
                retry_after_seconds,
            } => ApiError::TooManyRequests {
                retry_after_seconds,
            },
            AuthError::NotFound(detail) => ApiError::NotFound(detail),
            AuthError::Internal(cause) => ApiError::Internal(cause),
            AuthError::Db(e) => ApiError::from(e),
            AuthError::Unavailable(e) => ApiError::from(e),
            AuthError::Mail(e) => ApiError::from(e),
            AuthError::Audit(e) => ApiError::from(e),
        }
    }
}

impl From<PrivacyError> for ApiError {
    fn from(e: PrivacyError) -> ApiError {
        match e {
            PrivacyError::Invalid(invalid) => ApiError::from(invalid),
            PrivacyError::NotFound(detail) => ApiError::NotFound(detail),
            PrivacyError::Conflict(detail) => ApiError::Conflict {
                kind: ProblemKind::Conflict,
                detail,
            },
            PrivacyError::Internal(cause) => ApiError::Internal(cause),
            PrivacyError::Order(e) => ApiError::from(e),
            PrivacyError::Ledger(e) => ApiError::from(e),
            PrivacyError::Audit(e) => ApiError::from(e),
            PrivacyError::Association(e) => ApiError::from(e),
            PrivacyError::Db(e) => ApiError::from(e),
            PrivacyError::Unavailable(e) => ApiError::from(e),
        }
    }
}

impl From<AssociationError> for ApiError {
    fn from(e: AssociationError) -> ApiError {
        match e {
            AssociationError::Invalid(invalid) => ApiError::from(invalid),
            AssociationError::NotFound(detail) => ApiError::NotFound(detail),
            AssociationError::Conflict(detail) => ApiError::Conflict {
                kind: ProblemKind::Conflict,
                detail,
            },
            AssociationError::Internal(cause) => ApiError::Internal(cause),
            AssociationError::Auth(e) => ApiError::from(e),
            AssociationError::Ledger(e) => ApiError::from(e),
            AssociationError::Audit(e) => ApiError::from(e),
            AssociationError::Mail(e) => ApiError::from(e),
            AssociationError::Db(e) => ApiError::from(e),
            AssociationError::Unavailable(e) => ApiError::from(e),
        }
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> ApiError {
        match e {
            AuditError::Invalid(invalid) => ApiError::from(invalid),
            AuditError::Internal(cause) => ApiError::Internal(cause),
            AuditError::Db(e) => ApiError::from(e),
            AuditError::Unavailable(e) => ApiError::from(e),
        }
    }
}

impl From<EnterpriseError> for ApiError {
    fn from(e: EnterpriseError) -> ApiError {
        match e {
            EnterpriseError::Invalid(invalid) => ApiError::from(invalid),
            EnterpriseError::NotFound(detail) => ApiError::NotFound(detail),
            EnterpriseError::Conflict(detail) => ApiError::Conflict {
                kind: ProblemKind::Conflict,
                detail,
            },
            EnterpriseError::Internal(cause) => ApiError::Internal(cause),
            EnterpriseError::Auth(e) => ApiError::from(e),
            EnterpriseError::Ledger(e) => ApiError::from(e),
            EnterpriseError::Audit(e) => ApiError::from(e),
            EnterpriseError::Db(e) => ApiError::from(e),
            EnterpriseError::Unavailable(e) => ApiError::from(e),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> ApiError {
        match e {
            CatalogError::Invalid(invalid) => ApiError::from(invalid),
            CatalogError::NotFound(detail) => ApiError::NotFound(detail),
            CatalogError::Conflict(detail) => ApiError::Conflict {
                kind: ProblemKind::Conflict,
                detail,
            },
            CatalogError::Internal(cause) => ApiError::Internal(cause),
            CatalogError::Auth(e) => ApiError::from(e),
            CatalogError::Enterprise(e) => ApiError::from(e),
            CatalogError::Ledger(e) => ApiError::from(e),
            CatalogError::Db(e) => ApiError::from(e),
            CatalogError::Unavailable(e) => ApiError::from(e),
        }
    }
}

impl From<OrderError> for ApiError {
    fn from(e: OrderError) -> ApiError {
        match e {
            OrderError::Invalid(invalid) => ApiError::from(invalid),
            OrderError::NotFound(detail) => ApiError::NotFound(detail),
            OrderError::Conflict(detail) => ApiError::Conflict {
                kind: ProblemKind::Conflict,
                detail,
            },
            OrderError::Internal(cause) => ApiError::Internal(cause),
            OrderError::CycleNotOpen(detail) => ApiError::Conflict {
                kind: ProblemKind::CycleNotOpen,
                detail,
            },
            OrderError::OutOfStock(detail) => ApiError::Conflict {
                kind: ProblemKind::OutOfStock,
                detail,
            },
            OrderError::OrderState(detail) => ApiError::Conflict {
                kind: ProblemKind::OrderState,
                detail,
            },
            OrderError::Auth(e) => ApiError::from(e),
            OrderError::Enterprise(e) => ApiError::from(e),
            OrderError::Catalog(e) => ApiError::from(e),
            OrderError::Ledger(e) => ApiError::from(e),
            OrderError::Mail(e) => ApiError::from(e),
            OrderError::Db(e) => ApiError::from(e),
            OrderError::Unavailable(e) => ApiError::from(e),
        }
    }
}

impl From<MailError> for ApiError {
    fn from(e: MailError) -> ApiError {
        match e {
            MailError::Db(e) => ApiError::from(e),
            MailError::Unavailable(e) => ApiError::from(e),
            MailError::Payload(_) | MailError::Panicked => ApiError::internal(e),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> ApiError {
        match e {
            DbError::Unavailable(cause) => ApiError::Unavailable(cause),
            DbError::Task(cause) => ApiError::Internal(cause),
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> ApiError {
        let detail = e.to_string();
        let conflict = |kind| ApiError::Conflict {
            kind,
            detail: detail.clone(),
        };
        match e {
            LedgerError::AccountNotFound(_)
            | LedgerError::CurrencyNotFound(_)
            | LedgerError::HoldNotFound(_)
            | LedgerError::EntryNotFound(_) => ApiError::NotFound(detail),
            LedgerError::Invalid { field, message } => {
                ApiError::validation(vec![FieldError::new(field, "invalid", message)])
            }
            LedgerError::CurrencyMismatch { .. } => {
                ApiError::field("currency", "currency_mismatch", detail)
            }
            LedgerError::Overflow => ApiError::field("amount", "overflow", detail),
            LedgerError::AccountNotActive { .. } => conflict(ProblemKind::AccountNotActive),
            LedgerError::InsufficientFunds { .. } => conflict(ProblemKind::InsufficientFunds),
            LedgerError::FlowNotAllowed(_) => conflict(ProblemKind::FlowNotAllowed),
            LedgerError::ReconversionNotAllowed(_) => conflict(ProblemKind::ReconversionNotAllowed),
            LedgerError::HoldResolved(_) | LedgerError::HoldExpired(_) => {
                conflict(ProblemKind::HoldResolved)
            }
            LedgerError::AlreadyReversed(_) => conflict(ProblemKind::AlreadyReversed),
            LedgerError::IdempotencyConflict(_) => conflict(ProblemKind::IdempotencyConflict),
            LedgerError::Db(e) => ApiError::from(e),
            LedgerError::Unavailable(e) => ApiError::from(e),
            LedgerError::Mail(e) => ApiError::from(e),
            LedgerError::Audit(e) => ApiError::from(e),
            LedgerError::Deployment(crate::deployment::DeploymentError::Database(e)) => {
                ApiError::from(e)
            }
            LedgerError::Invariant(_) | LedgerError::Deployment(_) => ApiError::Internal(detail),
        }
    }
}
