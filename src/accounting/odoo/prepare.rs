//! `comptoir odoo prepare [--dry-run]`: makes the configured Odoo ready for the deployment's
//! moves. Every journal and account the chart mapping names, and every local currency, is
//! looked up in Odoo; what is missing is created (or, with `--dry-run`, only listed):
//! - journals as `general` journals with the chart's code and label;
//! - accounts with the chart's code and label and an `account_type` from the ledger
//!   account's kind and nature ([`crate::accounting::nature`]): the euro receivable and
//!   payable (411…/401… in France, 1100/2000 in Switzerland) reconcilable, the fund (512… or
//!   1020) a bank and cash account, other assets and liabilities current, commissions
//!   income. An account that lettering needs (the receivables) and
//!   that exists without `reconcile` is made reconcilable;
//! - local currencies by name, at rate 1.
//!
//! Moves validated and not pushed yet keep the codes of the chart they were validated with:
//! their journals and accounts are prepared too.
//!
//! A stock Odoo 17 with the French chart has none of Comptoir's journals (OD, MLC, VT, BQ) and
//! names its customers and suppliers 411100 and 401100: load `fixtures/chart_odoo17_fr.toml`
//! (`comptoir chart load`) first, so that Comptoir uses Odoo's codes where it has them, then
//! prepare creates the rest.

use std::collections::BTreeMap;

use diesel::RunQueryDsl;
use serde::Serialize;
use serde_json::json;

use super::client::{Client, OdooError};
use crate::accounting::AccountingError;
use crate::accounting::{chart, nature};
use crate::db::DbConn;
use crate::ledger::accounts::AccountKind;

/// One thing Odoo needs, and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// `journal`, `account` or `currency`.
    pub what: &'static str,
    pub code: String,
    pub label: String,
    /// `present`, `missing` (dry run), `created`, `missing reconcile` (dry run),
    /// `made reconcilable`, or `code too long` (a journal code over 5 characters, which Odoo
    /// would cut silently: shorten it in the chart).
    pub state: &'static str,
}

/// What prepare found and did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub items: Vec<Item>,
}

impl Report {
    /// What is (still) missing in Odoo.
    pub fn missing(&self) -> usize {
        self.items
            .iter()
            .filter(|i| !matches!(i.state, "present" | "created" | "made reconcilable"))
            .count()
    }
}

/// Journals (code → label) and accounts (code → what they need) Odoo must have.
type Needs = (BTreeMap<String, String>, BTreeMap<String, AccountNeed>);

/// Odoo 17 keeps the first 5 characters of a journal code, silently.
const MAX_JOURNAL_CODE: usize = 5;

/// What an account needs in Odoo.
#[derive(Debug, Clone, PartialEq)]
struct AccountNeed {
    label: String,
    account_type: &'static str,
    reconcile: bool,
}

/// Odoo's `account_type` for a ledger account of `kind`: by what the account is, not by its
/// code, so that every country's plan gets the same types (the euro receivable on 411000 in
/// France and on 1100 in Switzerland is receivable; the fund on 512100 or 1020 is cash).
fn account_type(kind: AccountKind) -> &'static str {
    match (kind, nature::of(kind)) {
        (AccountKind::EuroReceivable, _) => "asset_receivable",
        (AccountKind::EuroPayable, _) => "liability_payable",
        (AccountKind::GuaranteeFund, _) => "asset_cash",
        (_, nature::Nature::Asset) => "asset_current",
        (_, nature::Nature::Liability) => "liability_current",
        (_, nature::Nature::Income) => "income",
        (_, nature::Nature::Expense) => "expense",
    }
}

/// The journals and accounts of the chart, by code.
fn needs(chart: &chart::Chart) -> Result<Needs, AccountingError> {
    let mut journals = BTreeMap::new();
    for rule in chart.journals.values() {
        journals
            .entry(rule.code.clone())
            .or_insert_with(|| rule.label.clone());
    }
    let mut accounts: BTreeMap<String, AccountNeed> = BTreeMap::new();
    for rule in &chart.accounts {
        need_account(
            &mut accounts,
            &rule.code,
            &rule.label,
            AccountKind::parse(&rule.kind)?,
        );
    }
    Ok((journals, accounts))
}

/// Adds what account `code` needs for a ledger account of `kind` (the first label and type
/// given stay; reconcilable as soon as one of its ledger accounts is lettered).
fn need_account(
    accounts: &mut BTreeMap<String, AccountNeed>,
    code: &str,
    label: &str,
    kind: AccountKind,
) {
    let account_type = account_type(kind);
    // lettered in Comptoir, reconciled in Odoo
    let reconcile = matches!(kind, AccountKind::EuroReceivable | AccountKind::EuroPayable)
        || matches!(account_type, "asset_receivable" | "liability_payable");
    let need = accounts
        .entry(code.to_string())
        .or_insert_with(|| AccountNeed {
            label: label.to_string(),
            account_type,
            reconcile,
        });
    need.reconcile |= reconcile;
}

/// The values of a local currency created in Odoo: its code as name and symbol, Odoo's
/// `rounding` for `decimals` (0.01 for 2), at rate 1 (one unit is one euro; Comptoir sends
/// the euro amounts itself).
pub(super) fn new_currency(code: &str, decimals: usize) -> serde_json::Value {
    let text = if decimals == 0 {
        "1".to_string()
    } else {
        format!("0.{}1", "0".repeat(decimals - 1))
    };
    let rounding = text
        .parse::<serde_json::Number>()
        .map(serde_json::Value::Number)
        .unwrap_or(json!(1));
    json!({"name": code, "symbol": code, "rounding": rounding,
        "rate_ids": [[0, 0, {"name": "2000-01-01", "rate": 1.0}]]})
}

/// `present` when a `model` record matches `domain`; else `missing` (dry run) or `created`
/// with `values`.
fn ensure(
    client: &mut Client,
    model: &str,
    domain: serde_json::Value,
    values: serde_json::Value,
    dry_run: bool,
) -> Result<&'static str, OdooError> {
    if !client.search(model, domain)?.is_empty() {
        return Ok("present");
    }
    if dry_run {
        return Ok("missing");
    }
    client.create(model, values)?;
    Ok("created")
}

fn item(what: &'static str, code: &str, label: &str, state: &'static str) -> Item {
    Item {
        what,
        code: code.to_string(),
        label: label.to_string(),
        state,
    }
}

#[derive(diesel::QueryableByName)]
struct Used {
    #[diesel(sql_type = diesel::sql_types::Text)]
    code: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    label: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
}

/// Journals and accounts of moves validated and not in Odoo yet: validated under an earlier
/// chart, they keep its codes.
const UNPUSHED_ACCOUNTS: &str = "SELECT DISTINCT l.account_code AS code, l.account_label AS label,
        a.kind AS kind
    FROM accounting_lines l
    JOIN ledger_accounts a ON a.id = l.ledger_account_id
    LEFT JOIN odoo_sync s ON s.ledger_entry_id = l.ledger_entry_id
    WHERE s.state IS NULL OR s.state <> 'pushed'";
const UNPUSHED_JOURNALS: &str = "SELECT DISTINCT m.journal_code AS code, m.journal_label AS label,
        '' AS kind
    FROM accounting_moves m
    LEFT JOIN odoo_sync s ON s.ledger_entry_id = m.ledger_entry_id
    WHERE s.state IS NULL OR s.state <> 'pushed'";

/// What the chart names, and what moves waiting for Odoo use.
fn all_needs(conn: &mut DbConn) -> Result<Needs, AccountingError> {
    let chart = chart::get(conn)?;
    let (mut journals, mut accounts) = needs(&chart)?;
    let (used_accounts, used_journals): (Vec<Used>, Vec<Used>) = {
        let conn = conn.diesel();
        let a = diesel::sql_query(UNPUSHED_ACCOUNTS).load(conn)?;
        let j = diesel::sql_query(UNPUSHED_JOURNALS).load(conn)?;
        Ok::<_, diesel::result::Error>((a, j))
    }?;
    for j in used_journals {
        journals.entry(j.code).or_insert(j.label);
    }
    for a in used_accounts {
        need_account(
            &mut accounts,
            &a.code,
            &a.label,
            AccountKind::parse(&a.kind)?,
        );
    }
    Ok((journals, accounts))
}

/// Checks Odoo against the chart (and the moves waiting to be pushed) and creates what is
/// missing (not with `dry_run`).
pub fn prepare(
    conn: &mut DbConn,
    client: &mut Client,
    dry_run: bool,
) -> Result<Report, AccountingError> {
    let (journals, accounts) = all_needs(conn)?;
    let locals: Vec<(String, String, i32)> = crate::ledger::currencies::list(conn)?
        .into_iter()
        .filter(|c| c.kind == crate::ledger::currencies::CurrencyKind::Local)
        .map(|c| (c.code.to_string(), c.name.clone(), c.scale))
        .collect();
    let odoo = |e: OdooError| AccountingError::RetryLater(format!("Odoo: {e}"));
    client.authenticate().map_err(odoo)?;
    let mut report = Report::default();
    for (code, label) in &journals {
        if code.chars().count() > MAX_JOURNAL_CODE {
            report
                .items
                .push(item("journal", code, label, "code too long"));
            continue;
        }
        let state = ensure(
            client,
            "account.journal",
            json!([["code", "=", code]]),
            json!({"name": label, "code": code, "type": "general"}),
            dry_run,
        )
        .map_err(odoo)?;
        report.items.push(item("journal", code, label, state));
    }
    for (code, need) in &accounts {
        let found = client
            .search_read(
                "account.account",
                json!([["code", "=", code]]),
                &["reconcile"],
                Some(1),
            )
            .map_err(odoo)?;
        let state = match (found.first(), dry_run) {
            (Some(row), dry_run) if need.reconcile && row["reconcile"] != json!(true) => {
                if dry_run {
                    "missing reconcile"
                } else {
                    let id = row["id"].as_i64().unwrap_or(0);
                    client
                        .write("account.account", &[id], json!({"reconcile": true}))
                        .map_err(odoo)?;
                    "made reconcilable"
                }
            }
            (Some(_), _) => "present",
            (None, true) => "missing",
            (None, false) => {
                client
                    .create(
                        "account.account",
                        json!({"code": code, "name": need.label,
                            "account_type": need.account_type, "reconcile": need.reconcile}),
                    )
                    .map_err(odoo)?;
                "created"
            }
        };
        report.items.push(item("account", code, &need.label, state));
    }
    for (code, name, scale) in &locals {
        let state = ensure(
            client,
            "res.currency",
            json!([["name", "=", code], ["active", "in", [true, false]]]),
            new_currency(code, crate::money::minor_scale(*scale) as usize),
            dry_run,
        )
        .map_err(odoo)?;
        report.items.push(item("currency", code, name, state));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_types_follow_natures_and_codes() {
        let cases = [
            (AccountKind::EuroReceivable, "asset_receivable"),
            (AccountKind::EuroPayable, "liability_payable"),
            (AccountKind::GuaranteeFund, "asset_cash"),
            (AccountKind::EuroClearing, "asset_current"),
            (AccountKind::MemberWallet, "liability_current"),
            (AccountKind::VatCollected, "liability_current"),
            (AccountKind::Issuance, "liability_current"),
            (AccountKind::CommissionIncome, "income"),
        ];
        for (kind, expected) in cases {
            assert_eq!(account_type(kind), expected, "{kind:?}");
        }
    }

    #[test]
    fn the_swiss_plan_needs_its_receivable_and_payable_reconcilable_and_its_fund_as_cash() {
        let francs = crate::deployment::Tender::find("CHF").expect("CHF").legal();
        let chart = chart::SWITZERLAND.chart(francs).expect("the Swiss plan");
        let (journals, accounts) = needs(&chart).expect("needs");
        assert_eq!(
            journals.keys().cloned().collect::<Vec<_>>(),
            ["BQ", "MLC", "OD", "VT"]
        );
        assert!(accounts["1100"].reconcile && accounts["2000"].reconcile);
        assert_eq!(accounts["1100"].account_type, "asset_receivable");
        assert_eq!(accounts["2000"].account_type, "liability_payable");
        assert_eq!(accounts["1020"].account_type, "asset_cash");
        assert_eq!(accounts["2211"].account_type, "liability_current");
        assert!(!accounts["2211"].reconcile);
    }

    #[test]
    fn the_french_defaults_need_four_journals_and_a_reconcilable_receivable() {
        let chart = chart::Chart::defaults().expect("defaults");
        let (journals, accounts) = needs(&chart).expect("needs");
        assert_eq!(
            journals.keys().cloned().collect::<Vec<_>>(),
            ["BQ", "MLC", "OD", "VT"]
        );
        assert!(accounts["411000"].reconcile);
        assert!(!accounts["467100"].reconcile);
        // 580000 serves the issuance (a liability) and the clearing (an asset): the first
        // rule decides its type, and it is one account
        assert_eq!(accounts.keys().filter(|c| *c == "580000").count(), 1);
    }
}
