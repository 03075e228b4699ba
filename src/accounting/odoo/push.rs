//! One move into Odoo: looked up by its identity, then by its number; compared when found;
//! otherwise created, given its identity, posted and its date read back (see
//! [`super`] for the rules). The journals, accounts, partners and currencies it names are
//! looked up once per sync ([`Lookups`]).

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::client::{Client, OdooError};
use super::compare::{self, Side};
use crate::accounting::moves::{LineRow, MoveRow};

/// The module of Comptoir's external ids in Odoo.
pub const MODULE: &str = "comptoir";

/// The external id's name of a move: `move_<deployment>_<ledger entry>` (letters, digits and
/// underscores only).
pub fn external_name(deployment: &str, ledger_entry_id: &str) -> String {
    format!("move_{deployment}_{ledger_entry_id}").replace('-', "_")
}

/// What became of one move.
pub(super) enum Pushed {
    Created(i64),
    Found(i64),
    /// Odoo holds it differently, or would re-date it: Odoo's id when it has one, the text.
    Conflict(Option<i64>, String),
}

/// Odoo ids looked up once per sync.
#[derive(Default)]
pub(super) struct Lookups {
    /// The deployment's legal currency: Odoo's company currency (lines in it carry no
    /// foreign amount).
    pub(super) legal: String,
    journals: HashMap<String, i64>,
    accounts: HashMap<String, i64>,
    partners: HashMap<String, i64>,
    currencies: HashMap<String, i64>,
}

/// A JSON number written from an exact decimal string (Odoo's amounts are JSON numbers).
fn json_number(decimal: &str) -> Result<Value, OdooError> {
    decimal
        .parse::<serde_json::Number>()
        .map(Value::Number)
        .map_err(|_| OdooError::Protocol(format!("`{decimal}` is not a number")))
}

/// What to do when Odoo has no record for a key.
enum Missing {
    /// Create it with these values.
    Create(Value),
    /// Fail the move: (error name, what is missing).
    Fail(&'static str, &'static str),
}

/// The id of the `model` record matching `domain`, looked up once per sync under `key`.
fn cached(
    cache: &mut HashMap<String, i64>,
    client: &mut Client,
    model: &str,
    key: &str,
    domain: Value,
    missing: Missing,
) -> Result<i64, OdooError> {
    if let Some(id) = cache.get(key) {
        return Ok(*id);
    }
    let id = match (client.search(model, domain)?.first(), missing) {
        (Some(id), _) => *id,
        (None, Missing::Create(values)) => client.create(model, values)?,
        (None, Missing::Fail(name, what)) => {
            return Err(OdooError::Server {
                name: name.into(),
                message: format!(
                    "no {what} with code {key} in Odoo: run `comptoir odoo prepare` to create it"
                ),
            })
        }
    };
    cache.insert(key.to_string(), id);
    Ok(id)
}

impl Lookups {
    /// Nothing looked up yet, for books kept in `legal`.
    pub(super) fn in_legal(legal: String) -> Lookups {
        Lookups {
            legal,
            ..Lookups::default()
        }
    }

    fn journal(&mut self, client: &mut Client, code: &str) -> Result<i64, OdooError> {
        cached(
            &mut self.journals,
            client,
            "account.journal",
            code,
            json!([["code", "=", code]]),
            Missing::Fail("comptoir.MissingJournal", "journal"),
        )
    }

    pub(super) fn account(&mut self, client: &mut Client, code: &str) -> Result<i64, OdooError> {
        cached(
            &mut self.accounts,
            client,
            "account.account",
            code,
            json!([["code", "=", code]]),
            Missing::Fail("comptoir.MissingAccount", "account"),
        )
    }

    fn partner(&mut self, client: &mut Client, code: &str, name: &str) -> Result<i64, OdooError> {
        cached(
            &mut self.partners,
            client,
            "res.partner",
            code,
            json!([["ref", "=", code]]),
            Missing::Create(json!({"name": name, "ref": code})),
        )
    }

    /// A local currency, created at rate 1 with its amounts' decimals when missing.
    fn currency(
        &mut self,
        client: &mut Client,
        code: &str,
        decimals: usize,
    ) -> Result<i64, OdooError> {
        cached(
            &mut self.currencies,
            client,
            "res.currency",
            code,
            json!([["name", "=", code], ["active", "in", [true, false]]]),
            Missing::Create(super::prepare::new_currency(code, decimals)),
        )
    }
}

/// One move to push, and what the sync knows around it.
pub(super) struct Target<'a> {
    pub deployment: &'a str,
    pub lock_date: Option<NaiveDate>,
    pub m: &'a MoveRow,
    pub lines: &'a [LineRow],
}

/// Comptoir's side of a move, for comparison.
fn our_side(m: &MoveRow, lines: &[LineRow]) -> Result<Side, OdooError> {
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let amount_currency = if l.currency.is_empty() {
            Decimal::ZERO
        } else {
            let amount: Decimal = l.currency_amount.parse().map_err(|_| {
                OdooError::Protocol(format!("`{}` is not an amount", l.currency_amount))
            })?;
            if l.credit_minor > 0 {
                -amount
            } else {
                amount
            }
        };
        out.push(compare::Line {
            account: l.account_code.clone(),
            partner: l.aux_code.clone(),
            debit: l.debit_minor,
            credit: l.credit_minor,
            currency: l.currency.clone(),
            amount_currency: amount_currency.normalize(),
        });
    }
    Ok(Side {
        journal: m.journal_code.clone(),
        date: m.entry_date,
        lines: out,
    })
}

/// The first word of a many-to-one's display name (`[12, "411100 Clients"]` → `411100`).
fn display_code(many2one: &Value) -> String {
    many2one[1]
        .as_str()
        .and_then(|name| name.split_whitespace().next())
        .unwrap_or("")
        .to_string()
}

/// A move as Odoo holds it: its state, Odoo's name for it, and its side.
struct OdooMove {
    state: String,
    side: Side,
}

/// Reads move `id` from Odoo (`None`: there is no such move).
fn read_move(
    client: &mut Client,
    lookups: &Lookups,
    id: i64,
) -> Result<Option<OdooMove>, OdooError> {
    let found = client.search_read(
        "account.move",
        json!([["id", "=", id]]),
        &["state", "date", "journal_id"],
        Some(1),
    )?;
    let Some(head) = found.first() else {
        return Ok(None);
    };
    let date = head["date"]
        .as_str()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| OdooError::Protocol(format!("a move without date: {head}")))?;
    let journal_id = head["journal_id"][0].as_i64().unwrap_or(0);
    // the journal's code as Comptoir knows it, else Odoo's display name
    let journal = lookups
        .journals
        .iter()
        .find(|(_, id)| **id == journal_id)
        .map(|(code, _)| code.clone())
        .unwrap_or_else(|| head["journal_id"][1].as_str().unwrap_or("?").to_string());
    let rows = client.search_read(
        "account.move.line",
        json!([["move_id", "=", id]]),
        &[
            "account_id",
            "partner_id",
            "debit",
            "credit",
            "currency_id",
            "amount_currency",
        ],
        None,
    )?;
    // partners by their reference (the auxiliary code)
    let partner_ids: Vec<i64> = rows
        .iter()
        .filter_map(|r| r["partner_id"][0].as_i64())
        .collect();
    let mut refs: HashMap<i64, String> = HashMap::new();
    if !partner_ids.is_empty() {
        for p in client.search_read(
            "res.partner",
            json!([["id", "in", partner_ids]]),
            &["ref"],
            None,
        )? {
            if let Some(pid) = p["id"].as_i64() {
                let r = p["ref"].as_str().unwrap_or("").to_string();
                refs.insert(
                    pid,
                    if r.is_empty() {
                        format!("partner {pid}")
                    } else {
                        r
                    },
                );
            }
        }
    }
    let mut lines = Vec::with_capacity(rows.len());
    for r in &rows {
        let amount = |field: &str| {
            compare::cents_of(&r[field])
                .ok_or_else(|| OdooError::Protocol(format!("{field} is not a number: {r}")))
        };
        // a line in the company's currency carries it and its balance: not a foreign amount
        let currency = r["currency_id"][1].as_str().unwrap_or("").to_string();
        let (currency, amount_currency) = if currency.is_empty() || currency == lookups.legal {
            (String::new(), Decimal::ZERO)
        } else {
            let a = compare::decimal_of(&r["amount_currency"]).ok_or_else(|| {
                OdooError::Protocol(format!("amount_currency is not a number: {r}"))
            })?;
            (currency, a.normalize())
        };
        lines.push(compare::Line {
            account: display_code(&r["account_id"]),
            partner: r["partner_id"][0]
                .as_i64()
                .and_then(|pid| refs.get(&pid).cloned())
                .unwrap_or_default(),
            debit: amount("debit")?,
            credit: amount("credit")?,
            currency,
            amount_currency,
        });
    }
    Ok(Some(OdooMove {
        state: head["state"].as_str().unwrap_or("").to_string(),
        side: Side {
            journal,
            date,
            lines,
        },
    }))
}

/// The external id of a move already in Odoo, when it has one of Comptoir's.
fn external_id_of(client: &mut Client, odoo_id: i64) -> Result<Option<String>, OdooError> {
    let found = client.search_read(
        "ir.model.data",
        json!([
            ["module", "=", MODULE],
            ["model", "=", "account.move"],
            ["res_id", "=", odoo_id]
        ]),
        &["name"],
        Some(1),
    )?;
    Ok(found
        .first()
        .and_then(|r| r["name"].as_str())
        .map(str::to_string))
}

fn give_external_id(client: &mut Client, name: &str, odoo_id: i64) -> Result<(), OdooError> {
    client.create(
        "ir.model.data",
        json!({"module": MODULE, "name": name, "model": "account.move", "res_id": odoo_id,
            "noupdate": true}),
    )?;
    Ok(())
}

/// A move found in Odoo: the same as Comptoir's (posted if it was a draft), or a conflict.
fn settle_found(
    client: &mut Client,
    ours: &Side,
    number: &str,
    odoo_id: i64,
    found: OdooMove,
) -> Result<Pushed, OdooError> {
    let differences = compare::differences(ours, &found.side);
    if !differences.is_empty() {
        return Ok(Pushed::Conflict(
            Some(odoo_id),
            compare::conflict(
                &format!(
                    "Odoo's move {number} (id {odoo_id}) is not Comptoir's: {}",
                    differences.join("; ")
                ),
                ours,
                &found.side,
            ),
        ));
    }
    // created by a sync that stopped before posting it
    if found.state == "draft" {
        client.execute("account.move", "action_post", json!([[odoo_id]]), json!({}))?;
    }
    Ok(Pushed::Found(odoo_id))
}

/// Creates and posts one move unless Odoo has it already (see the module documentation).
pub(super) fn push_move(
    client: &mut Client,
    lookups: &mut Lookups,
    t: &Target,
) -> Result<Pushed, OdooError> {
    let (m, lines) = (t.m, t.lines);
    let journal = lookups.journal(client, &m.journal_code)?;
    let number = m.number_text();
    let ours = our_side(m, lines)?;
    let name = external_name(t.deployment, &m.ledger_entry_id);
    // 1. by its identity
    let by_identity = client.search_read(
        "ir.model.data",
        json!([["module", "=", MODULE], ["name", "=", name]]),
        &["res_id"],
        Some(1),
    )?;
    if let Some(odoo_id) = by_identity.first().and_then(|r| r["res_id"].as_i64()) {
        if let Some(found) = read_move(client, lookups, odoo_id)? {
            return settle_found(client, &ours, &number, odoo_id, found);
        }
        // the move was deleted in Odoo: created again below
    }
    // 2. by its number, which another timeline may have used
    let by_number = client.search_read(
        "account.move",
        json!([["ref", "=", number], ["journal_id", "=", journal]]),
        &["id"],
        Some(1),
    )?;
    if let Some(odoo_id) = by_number.first().and_then(|r| r["id"].as_i64()) {
        let Some(found) = read_move(client, lookups, odoo_id)? else {
            return Err(OdooError::Protocol(format!("move {odoo_id} vanished")));
        };
        if let Some(other) = external_id_of(client, odoo_id)? {
            if other != name {
                return Ok(Pushed::Conflict(
                    Some(odoo_id),
                    compare::conflict(
                        &format!(
                            "Odoo's move {number} (id {odoo_id}) was pushed for another ledger entry \
                             (external id {MODULE}.{other}): a restored backup, another deployment or \
                             a staging copy pushing to the same Odoo company"
                        ),
                        &ours,
                        &found.side,
                    ),
                ));
            }
        }
        let settled = settle_found(client, &ours, &number, odoo_id, found)?;
        if matches!(settled, Pushed::Found(_)) {
            give_external_id(client, &name, odoo_id)?;
        }
        return Ok(settled);
    }
    // 3. Odoo would re-date a move on or before its lock date
    if let Some(lock) = t.lock_date.filter(|lock| m.entry_date <= *lock) {
        return Ok(Pushed::Conflict(
            None,
            format!(
                "{number} is dated {}, on or before Odoo's lock date {lock} \
                 (fiscalyear_lock_date): Odoo would date it otherwise. Not pushed: move the \
                 lock date back in Odoo, then run `comptoir odoo retry {number}`",
                m.entry_date
            ),
        ));
    }
    // 4. created, given its identity, posted, and its date read back
    let mut line_values = Vec::with_capacity(lines.len());
    for l in lines {
        let account = lookups.account(client, &l.account_code)?;
        let partner = if l.aux_code.is_empty() {
            Value::Bool(false)
        } else {
            json!(lookups.partner(client, &l.aux_code, &l.aux_label)?)
        };
        let mut values = json!({
            "account_id": account,
            "partner_id": partner,
            "name": l.label,
            "debit": json_number(&crate::deployment::legal_text(l.debit_minor))?,
            "credit": json_number(&crate::deployment::legal_text(l.credit_minor))?,
        });
        if !l.currency.is_empty() {
            // the currency's own decimals, as its amounts show them
            let decimals = l
                .currency_amount
                .split_once('.')
                .map_or(0, |(_, d)| d.len());
            values["currency_id"] = json!(lookups.currency(client, &l.currency, decimals)?);
            values["amount_currency"] = if l.credit_minor > 0 {
                json_number(&format!("-{}", l.currency_amount))?
            } else {
                json_number(&l.currency_amount)?
            };
        }
        line_values.push(json!([0, 0, values]));
    }
    let id = client.create(
        "account.move",
        json!({"move_type": "entry", "journal_id": journal,
            "date": m.entry_date.format("%Y-%m-%d").to_string(),
            "ref": number, "narration": m.piece_ref, "line_ids": line_values}),
    )?;
    give_external_id(client, &name, id)?;
    client.execute("account.move", "action_post", json!([[id]]), json!({}))?;
    let posted = read_move(client, lookups, id)?
        .ok_or_else(|| OdooError::Protocol(format!("move {id} vanished after posting")))?;
    if posted.side.date != m.entry_date {
        return Ok(Pushed::Conflict(
            Some(id),
            compare::conflict(
                &format!(
                    "Odoo dated {number} (id {id}) {} instead of {} (a lock date): correct it in \
                     Odoo, then run `comptoir odoo retry {number}`",
                    posted.side.date, m.entry_date
                ),
                &ours,
                &posted.side,
            ),
        ));
    }
    Ok(Pushed::Created(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_ids_are_letters_digits_and_underscores() {
        let name = external_name(
            "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
            "0190a1b2-0000-7e5f-8a9b-0c1d2e3f4a5b",
        );
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert!(name.starts_with("move_0190a1b2_c3d4"));
    }
}
