//! Payment references a payer writes on a transfer, each with its check digits: the Swiss
//! QR reference and the ISO 11649 creditor reference.

use std::fmt;

use super::BankingError;

/// A Swiss QR reference: 27 digits, the last a recursive mod-10 check digit (the ESR/ISR
/// algorithm). Displayed without spaces, as a payload carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrReference(String);

/// The recursive mod-10 table of the Swiss payment slips.
const MOD10: [u32; 10] = [0, 9, 4, 6, 8, 2, 7, 1, 3, 5];

fn mod10_check(digits: &str) -> Option<char> {
    let mut carry = 0u32;
    for c in digits.chars() {
        let d = c.to_digit(10)?;
        carry = MOD10[((carry + d) % 10) as usize];
    }
    char::from_digit((10 - carry) % 10, 10)
}

impl QrReference {
    /// The reference of `number`: zero-padded to 26 digits, then its check digit.
    pub fn from_number(number: u64) -> QrReference {
        let body = format!("{number:026}");
        let check = mod10_check(&body).unwrap_or('0');
        QrReference(format!("{body}{check}"))
    }

    /// Reads a QR reference as typed (spaces allowed).
    pub fn parse(text: &str) -> Result<QrReference, BankingError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let well_formed = compact.len() == 27 && compact.chars().all(|c| c.is_ascii_digit());
        if !well_formed {
            return Err(BankingError::new(
                "reference",
                format!("{text} is not a QR reference: it has 27 digits"),
            ));
        }
        let (body, check) = compact.split_at(26);
        if mod10_check(body).map(String::from).as_deref() != Some(check) {
            return Err(BankingError::new(
                "reference",
                format!("{text} is not a QR reference: its check digit is wrong"),
            ));
        }
        Ok(QrReference(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QrReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ISO 11649 creditor reference: `RF`, two check digits, and 1 to 21 letters and digits.
/// Displayed without spaces, as a payload carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditorReference(String);

/// `text` rearranged and read as a number (letters as 10–35), modulo 97.
fn mod97(text: &str) -> Option<u32> {
    let mut rest = 0u32;
    for c in text.chars() {
        let value = c.to_digit(36)?;
        rest = if value < 10 {
            (rest * 10 + value) % 97
        } else {
            (rest * 100 + value) % 97
        };
    }
    Some(rest)
}

fn well_formed_body(body: &str) -> bool {
    (1..=21).contains(&body.len()) && body.chars().all(|c| c.is_ascii_alphanumeric())
}

impl CreditorReference {
    /// The reference of `body` (1 to 21 letters and digits), its check digits computed.
    pub fn new(body: &str) -> Result<CreditorReference, BankingError> {
        let body = body.to_ascii_uppercase();
        if !well_formed_body(&body) {
            return Err(BankingError::new(
                "reference",
                format!("{body} cannot make a creditor reference: 1 to 21 letters and digits"),
            ));
        }
        let rest = mod97(&format!("{body}RF00"))
            .ok_or_else(|| BankingError::new("reference", "letters and digits only"))?;
        Ok(CreditorReference(format!("RF{:02}{body}", 98 - rest)))
    }

    /// Reads a creditor reference as typed (spaces allowed, any case).
    pub fn parse(text: &str) -> Result<CreditorReference, BankingError> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let refused = |why: &str| {
            BankingError::new(
                "reference",
                format!("{text} is not a creditor reference: {why}"),
            )
        };
        let (Some(head), Some(body)) = (compact.get(..4), compact.get(4..)) else {
            return Err(refused("it starts with RF and two check digits"));
        };
        if !head.starts_with("RF") || !head[2..].chars().all(|c| c.is_ascii_digit()) {
            return Err(refused("it starts with RF and two check digits"));
        }
        if !well_formed_body(body) {
            return Err(refused(
                "1 to 21 letters and digits follow the check digits",
            ));
        }
        if mod97(&format!("{body}{head}")) != Some(1) {
            return Err(refused("its check digits are wrong"));
        }
        Ok(CreditorReference(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditorReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_references_match_the_published_example() {
        // the SIX Implementation Guidelines' example reference
        let known = QrReference::parse("21 00000 00003 13947 14300 09017").expect("valid");
        assert_eq!(known.as_str(), "210000000003139471430009017");
        // a shorter number, padded with zeros (its digit computed apart from this code)
        assert_eq!(
            QrReference::from_number(313_947_143_000_901).as_str(),
            "000000000003139471430009018"
        );
        assert!(QrReference::parse("210000000003139471430009018").is_err());
        assert!(QrReference::parse("2100000000031394714300090").is_err());
        assert_eq!(QrReference::from_number(42).as_str().len(), 27);
    }

    #[test]
    fn creditor_references_match_the_iso_example() {
        // ISO 11649's example: RF18 5390 0754 7034
        assert_eq!(
            CreditorReference::new("539007547034")
                .expect("valid")
                .as_str(),
            "RF18539007547034"
        );
        assert!(CreditorReference::parse("rf18 5390 0754 7034").is_ok());
        assert!(CreditorReference::parse("RF19539007547034").is_err());
        assert!(CreditorReference::parse("RF18").is_err());
        assert!(CreditorReference::new("").is_err());
        assert!(CreditorReference::new("1234567890123456789012").is_err());
        let lem = CreditorReference::new("LEM000000042").expect("valid");
        assert_eq!(
            CreditorReference::parse(lem.as_str()).expect("reads back"),
            lem
        );
    }
}
