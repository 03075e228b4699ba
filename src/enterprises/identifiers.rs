//! Legal identifiers, checked by their check digits ("parse, don't validate": a value of
//! these types is always valid). French ones for a deployment in France, Swiss ones in
//! Switzerland:
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
//! - **UID** (Switzerland): `CHE` then 9 digits, the last a check digit (eCH-0097), shown
//!   `CHE-123.456.788`; the **Swiss VAT number** is the UID followed by `MWST`, `TVA` or
//!   `IVA`.
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

/// A Swiss enterprise identification number (UID, *IDE* in French): `CHE` then 9 digits, the
/// first not zero, the last a check digit (eCH-0097: the first eight weighted 5, 4, 3, 2, 7,
/// 6, 5, 4, then 11 − the sum mod 11, 11 giving 0; a sum giving 10 is never issued). Shown
/// `CHE-123.456.789`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uid(String);

impl Uid {
    pub fn parse(input: &str) -> Result<Uid, IdentifierError> {
        let s = compact(input);
        let Some(number) = s.strip_prefix("CHE") else {
            return Err(IdentifierError {
                code: "invalid_format",
                message: "a UID starts with CHE, e.g. CHE-123.456.788".into(),
            });
        };
        digits(number, 9, "UID (after CHE)")?;
        if number.starts_with('0') {
            return Err(IdentifierError {
                code: "invalid_format",
                message: "a UID's first digit is not 0".into(),
            });
        }
        if uid_check_digit(&number[..8]) != number[8..].parse::<u32>().ok() {
            return Err(bad_check_digit("UID"));
        }
        Ok(Uid(number.to_string()))
    }

    /// `CHE-123.456.789`.
    pub fn as_shown(&self) -> String {
        let d = &self.0;
        format!("CHE-{}.{}.{}", &d[..3], &d[3..6], &d[6..])
    }
}

/// The check digit of a UID's first eight digits; `None` for a number never issued.
fn uid_check_digit(eight: &str) -> Option<u32> {
    const WEIGHTS: [u32; 8] = [5, 4, 3, 2, 7, 6, 5, 4];
    let sum: u32 = eight
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        check => Some(check),
    }
}

/// A Swiss VAT number: the enterprise's UID followed by `MWST`, `TVA` or `IVA` (the same
/// number in German, French or Italian). Shown `CHE-123.456.789 TVA`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwissVat {
    pub uid: Uid,
    pub suffix: &'static str,
}

impl SwissVat {
    pub fn parse(input: &str) -> Result<SwissVat, IdentifierError> {
        let s = compact(input);
        let Some((number, suffix)) = ["MWST", "TVA", "IVA"]
            .iter()
            .find_map(|suffix| s.strip_suffix(suffix).map(|n| (n, *suffix)))
        else {
            return Err(IdentifierError {
                code: "invalid_format",
                message: "a Swiss VAT number is the UID followed by MWST, TVA or IVA, e.g. \
                          CHE-123.456.788 TVA"
                    .into(),
            });
        };
        Ok(SwissVat {
            uid: Uid::parse(number)?,
            suffix,
        })
    }

    /// `CHE-123.456.789 TVA`.
    pub fn as_shown(&self) -> String {
        format!("{} {}", self.uid.as_shown(), self.suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swiss_uid_check_digit() {
        // eCH-0097's example, and one computed by hand (5·1+4·2+3·3+2·4+7·5+6·6+5·7+4·8 =
        // 168, 11 − 168 mod 11 = 8)
        for (input, shown) in [
            ("CHE-109.322.551", "CHE-109.322.551"),
            ("che 123 456 788", "CHE-123.456.788"),
            ("CHE123456788", "CHE-123.456.788"),
        ] {
            assert_eq!(
                Uid::parse(input).map(|u| u.as_shown()),
                Ok(shown.to_string())
            );
        }
        for (input, code) in [
            ("CHE-109.322.552", "invalid_check_digit"),
            ("CHE-012.345.678", "invalid_format"),
            ("CH-109.322.551", "invalid_format"),
            ("CHE-109.322.55", "invalid_format"),
        ] {
            assert_eq!(Uid::parse(input).map_err(|e| e.code), Err(code), "{input}");
        }
        // a number whose check would be 10 is never issued: no last digit makes it valid
        let never = (10_000_000..10_000_100)
            .map(|n: u32| n.to_string())
            .find(|d| uid_check_digit(d).is_none())
            .expect("a number never issued");
        for check in 0..10 {
            assert!(Uid::parse(&format!("CHE{never}{check}")).is_err());
        }
        let vat = SwissVat::parse("CHE-109.322.551 TVA").expect("a Swiss VAT number");
        assert_eq!(vat.as_shown(), "CHE-109.322.551 TVA");
        assert_eq!(
            SwissVat::parse("CHE109322551MWST").map(|v| v.suffix),
            Ok("MWST")
        );
        assert_eq!(
            SwissVat::parse("CHE-109.322.551").map_err(|e| e.code),
            Err("invalid_format")
        );
    }

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
