//! The marketplace: order cycles of a hub, what they offer, and the pricing of a basket.

pub mod cycles;
pub mod quote;
