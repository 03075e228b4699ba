//! IBANs (ISO 13616), checked by the `iban_validate` crate.

use std::fmt;

use iban::IbanLike;

use super::BankingError;

/// A checked IBAN. Displayed in the printed form, by groups of four
/// (`CH93 0076 2011 6238 5295 7`); [`Iban::electronic`] is the form a payload carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iban(iban::Iban);

impl Iban {
    /// Reads an IBAN as a person types it: spaces anywhere, any case.
    pub fn parse(text: &str) -> Result<Iban, BankingError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if compact.is_empty() {
            return Err(BankingError::new("iban", "the IBAN is empty"));
        }
        compact.parse::<iban::Iban>().map(Iban).map_err(|e| {
            BankingError::new(
                "iban",
                format!("{text} is not a valid IBAN ({e}): check it against the bank's statement"),
            )
        })
    }

    /// The two-letter country code.
    pub fn country(&self) -> &str {
        self.0.country_code()
    }

    /// Without spaces, as a payload carries it.
    pub fn electronic(&self) -> &str {
        self.0.electronic_str()
    }

    /// A Swiss or Liechtenstein QR-IBAN: its institution identifier (the five digits after
    /// the check digits) is 30000–31999. QR-bills to it must carry a QR reference, and only
    /// to it.
    pub fn is_qr_iban(&self) -> bool {
        let e = self.electronic();
        matches!(self.country(), "CH" | "LI")
            && e.get(4..9)
                .and_then(|iid| iid.parse::<u32>().ok())
                .is_some_and(|iid| (30000..=31999).contains(&iid))
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans_are_read_as_typed_and_printed_by_fours() {
        let iban = Iban::parse("ch93 0076 2011 6238 5295 7").expect("valid");
        assert_eq!(iban.electronic(), "CH9300762011623852957");
        assert_eq!(iban.to_string(), "CH93 0076 2011 6238 5295 7");
        assert_eq!(iban.country(), "CH");
        assert!(!iban.is_qr_iban());
        let fr = Iban::parse("FR76 3000 6000 0112 3456 7890 189").expect("valid");
        assert_eq!(fr.country(), "FR");
        assert!(!fr.is_qr_iban());
    }

    #[test]
    fn qr_ibans_are_known_by_their_institution_identifier() {
        let qr = Iban::parse("CH44 3199 9123 0008 8901 2").expect("valid");
        assert!(qr.is_qr_iban());
    }

    #[test]
    fn wrong_check_digits_lengths_and_empty_text_are_refused() {
        for bad in [
            "",
            "CH94 0076 2011 6238 5295 7",
            "FR76 3000 6000 0112",
            "hello",
        ] {
            let e = Iban::parse(bad).expect_err(bad);
            assert_eq!(e.field(), "iban");
        }
    }
}
