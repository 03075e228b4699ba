//! Bank transfers as a banking app reads them: IBANs, payment references, and the payloads and
//! drawings of transfer QR codes.
//!
//! - [`Iban`] ([`iban`]): an account number checked by the `iban_validate` crate (country
//!   length, BBAN format, mod-97), printed by fours; it knows whether it is a Swiss QR-IBAN.
//! - [`QrReference`] and [`CreditorReference`] ([`reference`]): the Swiss QR reference
//!   (27 digits, recursive mod-10 check digit) and the ISO 11649 creditor reference (`RF`, two
//!   mod-97 check digits, up to 21 letters and digits).
//! - [`epc_payload`] and [`qr_bill_payload`] ([`qr`]): the text of an EPC QR code (EPC069-12
//!   version 002, a SEPA credit transfer in euros, "GiroCode") and of a Swiss QR-bill's QR code
//!   (SIX Implementation Guidelines 2.3, structured addresses only, as required since
//!   November 2025); [`draw`] draws a [`Code`] as a [`Picture`], [`svg`] or [`png`] (error
//!   correction M, a quiet zone of four modules, the Swiss cross at the centre of a QR-bill's
//!   code).
//!
//! Amounts are in cents: both codes carry two decimals, the scale of every legal tender they
//! serve (euro, franc).

pub mod iban;
pub mod qr;
pub mod reference;

pub use iban::Iban;
pub use qr::{
    draw, epc_payload, png, qr_bill_payload, svg, Address, BillReference, Code, EpcTransfer,
    Picture, QrBill,
};
pub use reference::{CreditorReference, QrReference};

/// Why an IBAN, a reference or a transfer was refused: which field, and why in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct BankingError {
    field: &'static str,
    message: String,
}

impl BankingError {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> BankingError {
        BankingError {
            field,
            message: message.into(),
        }
    }

    /// The field at fault (`iban`, `reference`, `amount`, `creditor.name`, …).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }
}
