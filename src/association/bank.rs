//! The bank account a currency association receives transfers on: the IBAN (checked: its
//! country's length and the mod-97 digits) and optionally the BIC, which the transfer QR codes
//! of its top-up requests name. Set by the association's owners (and platform admins).

use diesel::prelude::*;
use serde::Serialize;

use super::AssociationError;
use crate::auth::actor::Actor;
use crate::auth::policy::{authorize, Action};
use crate::banking::Iban;
use crate::db::schema::enterprises;
use crate::db::DbConn;
use crate::enterprises::EnterpriseKind;

/// An association's bank account, as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankAccount {
    /// Grouped by four (`CH93 0076 2011 6238 5295 7`).
    pub iban: String,
    pub bic: Option<String>,
    /// A Swiss QR-IBAN: QR-bills to it carry a QR reference.
    pub qr_iban: bool,
}

impl BankAccount {
    fn of(iban: &Iban, bic: Option<String>) -> BankAccount {
        BankAccount {
            iban: iban.to_string(),
            bic,
            qr_iban: iban.is_qr_iban(),
        }
    }
}

/// The bank account of currency association `enterprise_id`, if it gave one.
pub fn of(conn: &mut DbConn, enterprise_id: &str) -> Result<Option<BankAccount>, AssociationError> {
    let found: Option<(Option<String>, Option<String>)> = enterprises::table
        .find(enterprise_id)
        .select((enterprises::iban, enterprises::bic))
        .first(conn.diesel())
        .optional()?;
    let Some((Some(iban), bic)) = found else {
        return Ok(None);
    };
    let iban = Iban::parse(&iban).map_err(|e| {
        AssociationError::internal(format!("the stored IBAN of {enterprise_id}: {e}"))
    })?;
    Ok(Some(BankAccount::of(&iban, bic)))
}

/// A BIC: 8 or 11 letters and digits (bank, country, location, branch).
fn parse_bic(bic: &str) -> Result<String, AssociationError> {
    let bic: String = bic
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let shape = (bic.len() == 8 || bic.len() == 11)
        && bic.chars().all(|c| c.is_ascii_alphanumeric())
        && bic[..6].chars().skip(4).all(|c| c.is_ascii_alphabetic());
    if shape {
        Ok(bic)
    } else {
        Err(AssociationError::field(
            "bic",
            "invalid",
            "a BIC has 8 or 11 letters and digits, the 5th and 6th its country (e.g. POFICHBEXXX)",
        ))
    }
}

/// Sets (or with `iban` empty, removes) the bank account of currency association
/// `enterprise_id`.
pub fn set(
    conn: &mut DbConn,
    actor: &Actor,
    who: &crate::audit::Who,
    enterprise_id: &str,
    iban: &str,
    bic: Option<&str>,
) -> Result<Option<BankAccount>, AssociationError> {
    authorize(actor, Action::ManageEnterprise { enterprise_id })?;
    let kind: Option<String> = enterprises::table
        .find(enterprise_id)
        .select(enterprises::kind)
        .first(conn.diesel())
        .optional()?;
    let Some(kind) = kind else {
        return Err(AssociationError::NotFound(format!(
            "no enterprise {enterprise_id}"
        )));
    };
    if kind != EnterpriseKind::CurrencyAssociation.as_str() {
        return Err(AssociationError::Conflict(
            "only a currency association receives top-up transfers: this enterprise is not one"
                .into(),
        ));
    }
    let (account, stored) = if iban.trim().is_empty() {
        (None, (None, None))
    } else {
        let parsed = Iban::parse(iban)
            .map_err(|e| AssociationError::field("iban", "invalid", e.to_string()))?;
        let bic = bic
            .filter(|b| !b.trim().is_empty())
            .map(parse_bic)
            .transpose()?;
        (
            Some(BankAccount::of(&parsed, bic.clone())),
            (Some(parsed.electronic().to_string()), bic),
        )
    };
    conn.transaction(|conn| {
        diesel::update(enterprises::table.find(enterprise_id))
            .set((
                enterprises::iban.eq(&stored.0),
                enterprises::bic.eq(&stored.1),
                enterprises::updated_at.eq(crate::time::now()),
            ))
            .execute(conn.diesel())?;
        crate::audit::record(
            conn,
            who,
            crate::audit::Act {
                action: "association.bank_account",
                subject_kind: "enterprise",
                subject_id: enterprise_id,
                enterprise_id: Some(enterprise_id),
                ledger_entry_id: None,
                details: serde_json::json!({ "iban": stored.0, "bic": stored.1 }),
            },
        )?;
        Ok::<_, AssociationError>(())
    })?;
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bics_have_eight_or_eleven_characters_and_a_country() {
        assert_eq!(parse_bic("pofi ch be xxx").expect("ok"), "POFICHBEXXX");
        assert_eq!(parse_bic("AGRIFRPP").expect("ok"), "AGRIFRPP");
        for bad in ["", "POFICHB", "POFI12BEXXX", "POFICHBEXX", "POFICHBE-XX"] {
            assert!(parse_bic(bad).is_err(), "{bad}");
        }
    }
}
