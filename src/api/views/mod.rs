//! The JSON contract's shapes: what the API reads and answers, documented in `/openapi.json`.
//!
//! The domain returns its own types and takes its own inputs; it knows neither actix-web nor
//! utoipa. Here, at the edge, each answer is a view built from a domain value by `From`
//! (destructuring it whole, so that a field added to the domain does not compile until the
//! contract says whether it shows), and each request body is read into an edge type that
//! becomes the domain's input by `From`. The views keep the names clients know (`Order`,
//! `Quote`…), so the document's component names do not change with the code's layout.
//!
//! Two kinds of domain values appear in views as they are, documented here by hand:
//! - **string enums** (`OrderState`, `AccountKind`…): their schema lists `as_str` of each
//!   of their `ALL`, the same words their serde form writes (a test checks each one);
//! - **[`Money`]**: `{"amount": "12.50", "currency": "LEM"}`, the amount an exact decimal
//!   string.

pub mod accounting;
pub mod addresses;
pub mod auth;
pub mod catalog;
pub mod cycles;
pub mod enterprises;
pub mod ledger;
pub mod orders;
pub mod payment_requests;
pub mod professionals;
pub mod topups;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Schema, Type};
use utoipa::openapi::{ObjectBuilder, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::money::{CurrencyCode, Money};

/// Gives each domain string enum its schema: a string, one of `as_str` of its `ALL`.
macro_rules! string_schemas {
    ($($ty:ty => $name:literal: $doc:literal),* $(,)?) => {
        $(
            impl PartialSchema for $ty {
                fn schema() -> RefOr<Schema> {
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .description(Some($doc))
                        .enum_values(Some(<$ty>::ALL.iter().map(|v| v.as_str())))
                        .into()
                }
            }

            impl ToSchema for $ty {
                fn name() -> Cow<'static, str> {
                    Cow::Borrowed($name)
                }
            }
        )*

        /// `(serde form, as_str)` of every variant of every enum documented here.
        #[cfg(test)]
        fn string_forms() -> Vec<(serde_json::Value, &'static str)> {
            let mut forms = Vec::new();
            $(
                for v in <$ty>::ALL {
                    forms.push((serde_json::to_value(v).unwrap_or_default(), v.as_str()));
                }
            )*
            forms
        }
    };
}

string_schemas! {
    crate::ledger::accounts::AccountKind => "AccountKind": "What an account is for.",
    crate::ledger::accounts::OwnerKind => "OwnerKind": "Who owns an account.",
    crate::ledger::accounts::AccountStatus => "AccountStatus": "Whether money may move through an account.",
    crate::ledger::rules::EuroMethod => "EuroMethod": "How euros reached the association: `bank_transfer`, `card` or `cash`.",
    crate::ledger::currencies::CurrencyKind => "CurrencyKind": "`fiat` (legal tender) or `local` (a complementary currency).",
    crate::auth::api_keys::Scope => "Scope": "What an API key may do: `read` balances and histories, place `orders`, `accounting` exports and sync, manage a `catalog`.",
    crate::catalog::UnitKind => "UnitKind": "`weight` (value in grams), `volume` (millilitres) or `items` (named by `name`).",
    crate::enterprises::EnterpriseKind => "EnterpriseKind": "`producer`, `hub`, `producer_hub` (both) or `currency_association` (issues a local currency).",
    crate::enterprises::KindFilter => "KindFilter": "Producers (producer hubs included), hubs (producer hubs included) or currency associations.",
    crate::orders::cycles::CycleState => "CycleState": "`upcoming` (not open yet), `open` (taking orders), `closed` (being packed and distributed), `settled` (producers paid).",
    crate::orders::fees::FeeType => "FeeType": "What a hub's fee pays for.",
    crate::orders::fees::Calculator => "Calculator": "How a fee is computed: per order, per item, a percent of the items, or per kg.",
    crate::orders::fees::ChargedTo => "ChargedTo": "Who pays a fee: the customer (added to the order) or the producer (deducted at settlement).",
    crate::orders::order::OrderState => "OrderState": "Where an order is in its life.",
    crate::orders::order::EuroState => "EuroState": "Where the euro part of an order stands: `none` to pay, `due` to the hub, `paid`, or `cancelled` before it was paid.",
    crate::orders::shipping::ShippingKind => "ShippingKind": "`pickup` or `delivery`.",
    crate::association::topups::Method => "TopUpMethod": "How a member pays for a top-up: `bank_transfer` (with the request's reference) or `cash` at an exchange point.",
    crate::association::payment_requests::State => "PaymentRequestState": "`open` (it may be paid), `paid` (a single-use request, paid), `cancelled` by the professional, or `expired` (open but past its expiry).",
    crate::association::professionals::State => "ProfessionalState": "Where an enterprise stands with a local currency: `requested`, `approved` (it holds a wallet, is paid in it, may reconvert), `refused` (with a reason) or `suspended` (its wallet frozen).",
    crate::association::topups::State => "TopUpState": "`pending` (waiting for the money), `approved` (issued), `refused` (with a reason) or `cancelled` by the member.",
}

/// The JSON shape of [`Money`].
#[derive(ToSchema)]
#[schema(as = Money, example = json!({"amount": "12.50", "currency": "LEM"}))]
#[allow(dead_code)] // documentation only: `Money` serialises itself.
struct MoneyShape {
    /// Exact decimal string with exactly the currency's number of decimals.
    #[schema(example = "12.50", pattern = r"^-?[0-9]+(\.[0-9]{1,4})?$")]
    amount: String,
    /// Currency code.
    #[schema(example = "LEM")]
    currency: String,
}

impl PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        MoneyShape::schema()
    }
}

impl ToSchema for Money {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Money")
    }
}

/// An amount sent by a client. `amount` must be a string: JSON numbers are refused.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyInput {
    #[schema(example = "12.50")]
    pub amount: String,
    #[schema(value_type = String, example = "LEM")]
    pub currency: CurrencyCode,
}

impl From<MoneyInput> for crate::money::AmountInput {
    fn from(MoneyInput { amount, currency }: MoneyInput) -> Self {
        crate::money::AmountInput { amount, currency }
    }
}

/// `?limit=&after=` query parameters.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Cursor from the previous page's `next` link.
    pub after: Option<String>,
}

impl From<PageQuery> for crate::pagination::PageParams {
    fn from(PageQuery { limit, after }: PageQuery) -> Self {
        crate::pagination::PageParams { limit, after }
    }
}

/// One invalid input field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
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

impl From<crate::error::FieldError> for FieldError {
    fn from(e: crate::error::FieldError) -> Self {
        let crate::error::FieldError {
            field,
            code,
            message,
            line,
        } = e;
        FieldError {
            field,
            code,
            message,
            line,
        }
    }
}

/// Converts each item of a list into its view.
pub fn all<T, V: From<T>>(items: Vec<T>) -> Vec<V> {
    items.into_iter().map(V::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_enum_schema_lists_the_words_serde_writes() {
        let forms = string_forms();
        assert!(forms.len() > 30, "{} forms", forms.len());
        for (serde_form, word) in forms {
            assert_eq!(serde_form, serde_json::Value::from(word));
        }
    }
}
