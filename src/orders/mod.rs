//! The marketplace: order cycles of a hub, what they offer, carts, checkout and orders.
//!
//! - [`cycles`]: a hub's order cycles and their offer.
//! - [`planning`]: creating a cycle, copying one to make the next.
//! - [`shipping`]: a cycle's pickup and delivery methods.
//! - [`fees`]: the hub's enterprise fees and their calculators.
//! - [`quote`]: pricing of a basket (VAT per line, local-currency share), pure arithmetic.
//! - [`cart`]: the customer's cart in an open cycle.
//! - [`checkout`]: checkout (stock, hold, euro receivable), cancellation, euro payment.
//! - [`adjust`]: weighed items — what was really delivered, priced again before close.
//! - [`close`]: closing a cycle — payments captured, sales booked, producers paid.
//! - [`reports`]: the cycle's reports for the hub (JSON or CSV).
//! - [`order`]: orders as stored and shown.
//! - [`payment`]: how the euro part is collected.
//! - [`mails`]: the order mails, through the outbox.

pub mod adjust;
pub mod cart;
pub mod checkout;
pub mod close;
pub mod cycles;
pub mod fees;
pub mod limits;
pub mod mails;
pub mod order;
pub mod payment;
pub mod planning;
pub mod quote;
pub mod reports;
pub mod shipping;
