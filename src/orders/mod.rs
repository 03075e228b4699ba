//! The marketplace: order cycles of a hub, what they offer, carts, checkout and orders.
//!
//! - [`cycles`]: a hub's order cycles and their offer.
//! - [`shipping`]: a cycle's pickup and delivery methods.
//! - [`quote`]: pricing of a basket (VAT per line, local-currency share), pure arithmetic.
//! - [`cart`]: the customer's cart in an open cycle.
//! - [`checkout`]: checkout (stock, hold, euro receivable), cancellation, euro payment.
//! - [`order`]: orders as stored and shown.
//! - [`payment`]: how the euro part is collected.
//! - [`mails`]: the order mails, through the outbox.

pub mod cart;
pub mod checkout;
pub mod cycles;
pub mod mails;
pub mod order;
pub mod payment;
pub mod quote;
pub mod shipping;
