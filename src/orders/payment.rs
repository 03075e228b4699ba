//! How the euro part of an order is collected.
//!
//! Today one way: a **receivable** — the customer pays the hub at pickup (cash, card on the
//! hub's own terminal) or by bank transfer, and the hub's treasurer marks it paid. A card or
//! GNU Taler provider plugs in behind [`EuroCollection`]: it would open a payment at checkout
//! (and answer `Paid` once the provider confirms) and cancel it with the order.

use super::order::EuroState;

/// A way of collecting the euro part of an order.
pub trait EuroCollection {
    /// Called at checkout with the euro part (cents); returns its state.
    fn open(&self, euro_minor: i64) -> EuroState;
}

/// Paid to the hub at pickup or by transfer, marked paid by the hub.
#[derive(Debug, Clone, Copy, Default)]
pub struct Receivable;

impl EuroCollection for Receivable {
    fn open(&self, euro_minor: i64) -> EuroState {
        if euro_minor > 0 {
            EuroState::Due
        } else {
            EuroState::None
        }
    }
}

/// The collection in use.
pub fn collector() -> Receivable {
    Receivable
}
