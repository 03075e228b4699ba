//! French legal identifiers, checked by their check digits ("parse, don't validate": a value
//! of these types is always valid).
//!
//! - **SIREN**: 9 digits, valid under the Luhn algorithm.
//! - **SIRET**: 14 digits (the SIREN, itself valid, then a 5-digit establishment number),
//!   valid under Luhn — except La Poste's establishments (SIREN 356 000 000), whose SIRETs
//!   are valid when the sum of their digits is a multiple of 5 (INSEE's documented exception;
//!   the head office, 356 000 000 00048, passes Luhn and is accepted too).
//! - **VAT number**: French ones are `FR` + a 2-digit key + the SIREN, with
//!   key = (12 + 3 × (SIREN mod 97)) mod 97; other EU numbers are checked for their shape
//!   only (2-letter country prefix, 2 to 12 letters or digits).
//!
//! Spaces, dots and dashes are accepted in input (`732 829 320`) and removed.

use std::fmt;

/// Why an identifier was refused; `code` is the stable machine-readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifierError {
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for IdentifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn compact(input: &str) -> String {
    input
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}' | '\u{202f}'))
        .collect::<String>()
        .to_ascii_uppercase()
}

fn digits(s: &str, len: usize, what: &str) -> Result<(), IdentifierError> {
    if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(IdentifierError {
            code: "invalid_format",
            message: format!("a {what} has exactly {len} digits"),
        })
    }
}

/// Luhn: doubling every second digit from the right, the sum is a multiple of 10.
fn luhn(s: &str) -> bool {
    let sum: u32 = s
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 {
                    d2 - 9
                } else {
                    d2
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

fn bad_check_digit(what: &str) -> IdentifierError {
    IdentifierError {
        code: "invalid_check_digit",
        message: format!(
            "is not a valid {what}: its check digit does not match (check for a typo)"
        ),
    }
}

/// A SIREN (company number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Siren(String);

impl Siren {
    pub fn parse(input: &str) -> Result<Siren, IdentifierError> {
        let s = compact(input);
        digits(&s, 9, "SIREN")?;
        if luhn(&s) {
            Ok(Siren(s))
        } else {
            Err(bad_check_digit("SIREN"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// La Poste's SIREN, whose establishments do not follow Luhn.
const LA_POSTE: &str = "356000000";

/// A SIRET (establishment number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Siret(String);

impl Siret {
    pub fn parse(input: &str) -> Result<Siret, IdentifierError> {
        let s = compact(input);
        digits(&s, 14, "SIRET")?;
        let valid = if s.starts_with(LA_POSTE) {
            // La Poste's head office passes Luhn; its other establishments use the digit sum
            luhn(&s) || s.bytes().map(|b| u32::from(b - b'0')).sum::<u32>() % 5 == 0
        } else {
            luhn(&s) && luhn(&s[..9])
        };
        if valid {
            Ok(Siret(s))
        } else {
            Err(bad_check_digit("SIRET"))
        }
    }

    /// The SIREN of the company the establishment belongs to.
    pub fn siren(&self) -> &str {
        &self.0[..9]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An intra-community VAT number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatNumber(String);

impl VatNumber {
    pub fn parse(input: &str) -> Result<VatNumber, IdentifierError> {
        let s = compact(input);
        let shape = IdentifierError {
            code: "invalid_format",
            message: "a VAT number is a 2-letter country code followed by 2 to 12 letters or digits (FR: FR + 2-digit key + SIREN)".into(),
        };
        let (country, rest) = s.split_at_checked(2).ok_or_else(|| shape.clone())?;
        if !country.bytes().all(|b| b.is_ascii_uppercase())
            || !(2..=12).contains(&rest.len())
            || !rest.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(shape);
        }
        if country == "FR" {
            let (key, siren) = rest.split_at_checked(2).ok_or_else(|| shape.clone())?;
            let siren = Siren::parse(siren).map_err(|_| IdentifierError {
                code: "invalid_format",
                message: "a French VAT number is FR + a 2-digit key + a valid SIREN".into(),
            })?;
            if key.bytes().all(|b| b.is_ascii_digit()) {
                let n: u64 = siren.as_str().parse().unwrap_or(0);
                let expected = (12 + 3 * (n % 97)) % 97;
                if key.parse::<u64>().ok() != Some(expected) {
                    return Err(bad_check_digit("French VAT number"));
                }
            }
            // alphanumeric keys (new companies' format) have no published check: accepted
        }
        Ok(VatNumber(s))
    }

    /// The SIREN inside a French VAT number.
    pub fn french_siren(&self) -> Option<&str> {
        self.0.strip_prefix("FR").and_then(|rest| rest.get(2..))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siren_check_digit() {
        // INSEE's own example, and a well-known company (Danone 552 032 534)
        assert_eq!(Siren::parse("732 829 320").unwrap().as_str(), "732829320");
        assert!(Siren::parse("552032534").is_ok());
        assert_eq!(
            Siren::parse("732829321").unwrap_err().code,
            "invalid_check_digit"
        );
        assert_eq!(Siren::parse("73282932").unwrap_err().code, "invalid_format");
        assert_eq!(
            Siren::parse("73282932A").unwrap_err().code,
            "invalid_format"
        );
    }

    #[test]
    fn siret_check_digit() {
        let siret = Siret::parse("732 829 320 00074").unwrap();
        assert_eq!(siret.siren(), "732829320");
        assert_eq!(
            Siret::parse("73282932000075").unwrap_err().code,
            "invalid_check_digit"
        );
        assert_eq!(
            Siret::parse("7328293200007").unwrap_err().code,
            "invalid_format"
        );
        // Luhn-valid on 14 digits, but its first 9 are not a valid SIREN
        assert_eq!(
            Siret::parse("12345678900007").unwrap_err().code,
            "invalid_check_digit"
        );
    }

    #[test]
    fn la_poste_exception() {
        // La Poste's establishments: digit sum multiple of 5, not Luhn
        assert!(Siret::parse("35600000000047").is_ok());
        assert!(!luhn("35600000000047"));
        assert!(
            Siret::parse("35600000000048").is_ok(),
            "the head office passes Luhn"
        );
        assert!(Siret::parse("35600000000049").is_err());
    }

    #[test]
    fn french_vat_key() {
        // key of 732 829 320: (12 + 3 × (732829320 mod 97)) mod 97 = 44
        let vat = VatNumber::parse("FR 44 732829320").unwrap();
        assert_eq!(vat.as_str(), "FR44732829320");
        assert_eq!(vat.french_siren(), Some("732829320"));
        assert_eq!(
            VatNumber::parse("FR45732829320").unwrap_err().code,
            "invalid_check_digit"
        );
        assert_eq!(
            VatNumber::parse("FR44732829321").unwrap_err().code,
            "invalid_format"
        );
        assert!(VatNumber::parse("DE123456789").is_ok());
        assert!(VatNumber::parse("12345").is_err());
    }
}
