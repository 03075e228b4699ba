//! Typed identifiers: an order's id cannot be passed where an account's is expected.
//!
//! Every id is a UUID string (v7 for what Comptoir creates, so ids sort by creation). In the
//! database they are `TEXT` columns and rows keep them as `String` (the row types are the
//! database's shape); the domain's functions take and return these types. Converting is
//! explicit in one direction only: a bare string becomes an id with `From` (at the edge, where
//! it was read from a path, a body or a row), and an id reads as a `&str` anywhere (`Deref`);
//! a reference to an id binds in a query as text (`.find(&id)`).
//!
//! On the wire an id is its string (`#[serde(transparent)]`): the API's contract is unchanged.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh id (UUID v7).
            pub fn generate() -> $name {
                $name(crate::time::new_id())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> $name {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                $name(s.to_string())
            }
        }

        impl From<&String> for $name {
            fn from(s: &String) -> $name {
                $name(s.clone())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        /// Binds as the text it is, wherever a query takes a text value (`.find(&id)`,
        /// `.eq(&id)`).
        impl<'a> diesel::expression::AsExpression<diesel::sql_types::Text> for &'a $name {
            type Expression =
                <&'a str as diesel::expression::AsExpression<diesel::sql_types::Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                <&'a str as diesel::expression::AsExpression<diesel::sql_types::Text>>::as_expression(
                    self.as_str(),
                )
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

id_type!(
    /// A person's account (`users.id`).
    UserId
);
id_type!(
    /// A producer, a hub or a currency association (`enterprises.id`).
    EnterpriseId
);
id_type!(
    /// A ledger account: a wallet, a fund, a clearing account (`ledger_accounts.id`).
    AccountId
);
id_type!(
    /// A ledger entry (`ledger_entries.id`); also the idempotency key of the entry.
    EntryId
);
id_type!(
    /// A transfer of a ledger entry (`ledger_transfers.id`); a hold is named by its transfer.
    TransferId
);
id_type!(
    /// An order, from cart to booked (`orders.id`).
    OrderId
);
id_type!(
    /// An order cycle of a hub (`order_cycles.id`).
    CycleId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_their_string_on_the_wire_and_distinct_types_inside() {
        let order = OrderId::from("0190-order");
        assert_eq!(
            serde_json::to_value(&order).expect("serialises"),
            serde_json::json!("0190-order")
        );
        let back: OrderId = serde_json::from_str("\"0190-order\"").expect("parses");
        assert_eq!(back, order);
        assert_eq!(&*order, "0190-order");
        assert_eq!(format!("{order:?}"), "OrderId(0190-order)");
        let fresh = AccountId::generate();
        assert_eq!(fresh.len(), 36);
        assert_ne!(fresh, AccountId::generate());
    }
}
