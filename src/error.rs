//! Input that breaks a rule, field by field: the domain's validation error, and the
//! constructors every domain error enum shares. Errors reach people through an edge: the HTTP
//! API maps each domain error into its problem catalogue (`api::error`), a page shows each
//! message by its field, the CLI prints them with their context.

use serde::Serialize;

/// One invalid input field.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// Where the bad value is: a JSON field name (`lines[2].quantity`) or a query parameter.
    pub field: String,
    /// Stable machine-readable reason, e.g. `required`, `too_many_decimals`, `out_of_range`.
    pub code: String,
    /// Human explanation.
    pub message: String,
    /// For an uploaded file (CSV import): the 1-based line of the bad value, the header being
    /// line 1; `field` is then the column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            code: code.to_string(),
            message: message.into(),
            line: None,
        }
    }

    /// An error in a file: `column` of `line`.
    pub fn at_line(line: u64, column: &str, code: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            line: Some(line),
            ..FieldError::new(column, code, message)
        }
    }
}

/// Input that breaks a rule, field by field: the domain's validation error. Each domain
/// error wraps it; the HTTP edge answers 422 `validation` with `errors`, and a page shows
/// each message by its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.0))]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    /// One field is wrong.
    pub fn field(field: &str, code: &str, message: impl Into<String>) -> Invalid {
        Invalid(vec![FieldError::new(field, code, message)])
    }
}

/// The constructors every domain error enum shares: each has an `Invalid(Invalid)` variant
/// (input that breaks a rule) and an `Internal(String)` one (a failure that is no one's
/// input). `domain_error!(OrderError)` gives `OrderError::field`, `::invalid` and
/// `::internal`.
macro_rules! domain_error {
    ($name:ident) => {
        impl $name {
            /// One field of the input is wrong.
            pub fn field(field: &str, code: &str, message: impl Into<String>) -> $name {
                $name::Invalid($crate::error::Invalid::field(field, code, message))
            }

            /// Several fields of the input are wrong.
            pub fn invalid(errors: Vec<$crate::error::FieldError>) -> $name {
                $name::Invalid($crate::error::Invalid(errors))
            }

            /// A failure that is no one's input (a broken invariant, an I/O error).
            pub fn internal(cause: impl std::fmt::Display) -> $name {
                $name::Internal(cause.to_string())
            }
        }
    };
}
pub(crate) use domain_error;

/// `field: message` for one error, how many otherwise.
pub fn summary(errors: &[FieldError]) -> String {
    match errors {
        [one] => format!("{}: {}", one.field, one.message),
        many => format!("{} fields are invalid", many.len()),
    }
}
