//! Bounds every order respects, shared by pricing, fees and planning.

/// Largest basket (and line) total, in cents: 10 million euros. Keeps every sum far from
/// overflowing an `i64`, whatever prices the catalogue holds.
pub const MAX_BASKET_MINOR: i64 = 1_000_000_000;
