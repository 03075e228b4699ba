//! The chart mapping: which accounting account each ledger account goes to, and which journal
//! each kind of ledger entry goes to. One mapping per deployment (its books).
//!
//! A rule maps ledger accounts of a kind — optionally only in one currency, or one single
//! ledger account — to an account code and label; the most specific rule wins (one account,
//! then kind and currency, then kind). `auxiliary` rules put the account's owner in the
//! auxiliary columns (a 467 sub-account per producer or wallet holder).
//!
//! The defaults are the deployment's country's [`Plan`]: the French plan comptable général
//! (`fixtures/chart_fr.toml`) or the Swiss SME chart with Odoo 17 `l10n_ch`'s codes
//! (`fixtures/chart_ch.toml`), installed the first time the chart is read. A plan also says
//! which account classes are results (they do not carry into a new fiscal year) and where
//! the earlier years' result is carried.
//!
//! The `books` part holds the accounts of **enterprise books** (a hub's or a producer's own
//! books, [`super::books`]): customers, customers' credit, producers, hubs, bank,
//! local-currency cash, commissions, and per VAT rate the revenue on goods and on fees, the VAT collected and
//! the VAT deductible. Absent from a chart sent to the API, it stays the country's defaults.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounting::AccountingError;
use crate::db::schema::{accounting_journals, chart_books, chart_mappings};
use crate::db::DbConn;
use crate::error::FieldError;
use crate::ledger::accounts::{AccountKind, AccountRow};

use crate::deployment::{Country, Legal};

/// A country's chart of accounts, as Comptoir uses it.
#[derive(Debug)]
pub struct Plan {
    /// The default mapping (a chart file).
    pub file: &'static str,
    text: &'static str,
    /// The currency its rules for the legal tender are written in: they apply to the
    /// deployment's legal currency, whichever it is.
    tender: &'static str,
    /// The first digits of the income and expense accounts: their balances do not carry
    /// forward into a new fiscal year.
    pub result_classes: &'static [char],
    /// Where the earlier years' result is carried: (code, French label, English label) for a
    /// profit, then for a loss.
    pub retained: [(&'static str, &'static str, &'static str); 2],
}

/// The French plan comptable général.
pub const FRANCE: Plan = Plan {
    file: "fixtures/chart_fr.toml",
    text: include_str!("../../fixtures/chart_fr.toml"),
    tender: "EUR",
    result_classes: &['6', '7'],
    retained: [
        (
            "110000",
            "Report à nouveau (solde créditeur)",
            "Retained earnings (profit)",
        ),
        (
            "119000",
            "Report à nouveau (solde débiteur)",
            "Retained earnings (loss)",
        ),
    ],
};

/// The Swiss SME chart (plan comptable PME), with Odoo 17 `l10n_ch`'s codes.
pub const SWITZERLAND: Plan = Plan {
    file: "fixtures/chart_ch.toml",
    text: include_str!("../../fixtures/chart_ch.toml"),
    tender: "CHF",
    result_classes: &['3', '4', '5', '6', '7', '8'],
    retained: [
        (
            "2970",
            "Bénéfice / perte reporté",
            "Profit / loss brought forward",
        ),
        (
            "2970",
            "Bénéfice / perte reporté",
            "Profit / loss brought forward",
        ),
    ],
};

impl Plan {
    /// The plan of `country`.
    pub fn of(country: Country) -> &'static Plan {
        match country {
            Country::France => &FRANCE,
            Country::Switzerland => &SWITZERLAND,
        }
    }

    /// Whether `code` is an income or expense account (its balance does not carry forward).
    pub fn is_result(&self, code: &str) -> bool {
        code.chars()
            .next()
            .is_some_and(|c| self.result_classes.contains(&c))
    }

    /// The default mapping for a deployment keeping its books in `legal`.
    pub fn chart(&self, legal: Legal) -> Result<Chart, AccountingError> {
        let mut chart: Chart = toml::from_str(self.text)
            .map_err(|e| AccountingError::internal(format!("{}: {e}", self.file)))?;
        for rule in &mut chart.accounts {
            if rule.currency.as_deref() == Some(self.tender) {
                rule.currency = Some(legal.code.to_string());
            }
        }
        Ok(chart)
    }
}

/// The deployment's plan (its country's).
pub fn plan(conn: &mut DbConn) -> Result<&'static Plan, AccountingError> {
    let deployment = crate::deployment::get(conn).map_err(|e| AccountingError::Ledger(e.into()))?;
    Ok(Plan::of(deployment.country))
}

/// One mapping rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountRule {
    /// A ledger account kind (`member_wallet`, `enterprise_wallet`, `guarantee_fund`…).
    pub kind: String,
    /// Only accounts in this currency; absent: any currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Only this one ledger account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_account_id: Option<String>,
    /// The accounting account, e.g. `467100`.
    pub code: String,
    pub label: String,
    /// Put the account's owner in the auxiliary columns.
    #[serde(default)]
    pub auxiliary: bool,
}

/// A journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalRule {
    pub code: String,
    pub label: String,
}

/// The whole mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    #[serde(rename = "account")]
    pub accounts: Vec<AccountRule>,
    /// By kind of ledger entry (`issue`, `pay`, `post`, `settle`…); `default` for the rest.
    pub journals: std::collections::BTreeMap<String, JournalRule>,
    /// The accounts of enterprise books; absent: the French defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub books: Option<Books>,
    /// The language of the books' labels (`fr` or `en`); absent: unchanged (French at first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// The languages the books' labels are written in.
pub const LANGUAGES: [&str; 2] = ["fr", "en"];

/// An account of enterprise books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookAccount {
    pub code: String,
    pub label: String,
}

/// The accounts of one VAT rate in enterprise books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VatAccounts {
    /// The rate in percent, e.g. `"5.5"`.
    pub rate: String,
    /// Revenue on goods sold at this rate (a producer's, or a hub's own goods).
    pub goods: BookAccount,
    /// Revenue on a hub's fees at this rate.
    pub fees: BookAccount,
    /// VAT collected at this rate.
    pub collected: BookAccount,
    /// VAT deductible at this rate (a producer's commissions).
    pub deductible: BookAccount,
}

impl VatAccounts {
    /// The rate in basis points, if it is a percentage with at most two decimals.
    pub fn rate_bp(&self) -> Option<i32> {
        let rate: rust_decimal::Decimal = self.rate.trim().parse().ok()?;
        let bp = rate * rust_decimal::Decimal::ONE_HUNDRED;
        (bp.fract().is_zero() && (0..=10_000).contains(&i64::try_from(bp).ok()?))
            .then(|| i32::try_from(bp).ok())
            .flatten()
    }
}

/// The accounts and journals of enterprise books (see [`super::books`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Books {
    /// Customers (411): an order's total, then what paid it.
    pub customers: BookAccount,
    /// What a hub owes its customers as credit (419, the customer as auxiliary account):
    /// euros owed back on an order turned into credit, then used at a later checkout.
    /// Absent from a chart stored before it existed: the French default (419100) — a Swiss
    /// deployment's stored chart must be edited to name its own (2030 in the Swiss SME chart).
    #[serde(default = "default_customer_credit")]
    pub customer_credit: BookAccount,
    /// In a hub's books, the producers it sells for (467): their goods, then their payment.
    pub producers: BookAccount,
    /// In a producer's books, the hubs that sell for it (467).
    pub hubs: BookAccount,
    /// Euros (512).
    pub bank: BookAccount,
    /// Local currency held (530x); the currency columns say which.
    pub local_cash: BookAccount,
    /// A producer's commissions paid to hubs (622).
    pub commissions: BookAccount,
    /// Sales and settlements.
    pub sales_journal: JournalRule,
    /// Euro receipts and payments to producers.
    pub bank_journal: JournalRule,
    /// Per VAT rate.
    pub vat: Vec<VatAccounts>,
}

/// The customers' credit account of a chart stored before it had one: the French plan's
/// (419 *Clients créditeurs*).
fn default_customer_credit() -> BookAccount {
    BookAccount {
        code: "419100".into(),
        label: "Clients - crédits à valoir sur commandes".into(),
    }
}

impl Books {
    fn validate(&self, errors: &mut Vec<FieldError>) {
        let accounts = [
            ("customers", &self.customers),
            ("customer_credit", &self.customer_credit),
            ("producers", &self.producers),
            ("hubs", &self.hubs),
            ("bank", &self.bank),
            ("local_cash", &self.local_cash),
            ("commissions", &self.commissions),
        ];
        let check = |errors: &mut Vec<FieldError>, field: String, code: &str, label: &str| {
            if !valid_code(code) || label.trim().is_empty() || label.chars().count() > 100 {
                errors.push(FieldError::new(
                    field,
                    "invalid",
                    "needs a code (1 to 20 letters, digits, `-` or `_`) and a label (1 to 100 characters)",
                ));
            }
        };
        for (name, a) in accounts {
            check(errors, format!("books.{name}"), &a.code, &a.label);
        }
        for (name, j) in [
            ("sales_journal", &self.sales_journal),
            ("bank_journal", &self.bank_journal),
        ] {
            check(errors, format!("books.{name}"), &j.code, &j.label);
        }
        let mut rates = std::collections::HashSet::new();
        for (i, v) in self.vat.iter().enumerate() {
            for (name, a) in [
                ("goods", &v.goods),
                ("fees", &v.fees),
                ("collected", &v.collected),
                ("deductible", &v.deductible),
            ] {
                check(errors, format!("books.vat[{i}].{name}"), &a.code, &a.label);
            }
            match v.rate_bp() {
                None => errors.push(FieldError::new(
                    format!("books.vat[{i}].rate"),
                    "invalid",
                    "a percentage from 0 to 100 with at most two decimals, e.g. \"5.5\"",
                )),
                Some(bp) if !rates.insert(bp) => errors.push(FieldError::new(
                    format!("books.vat[{i}].rate"),
                    "duplicate",
                    "another entry has the same rate",
                )),
                Some(_) => {}
            }
        }
    }

    /// The accounts of a VAT rate (basis points); 409 `accounting-unmapped` when the chart
    /// has none.
    pub fn vat(&self, rate_bp: i32) -> Result<&VatAccounts, AccountingError> {
        self.vat
            .iter()
            .find(|v| v.rate_bp() == Some(rate_bp))
            .ok_or_else(|| {
                AccountingError::Unmapped(format!(
                    "sales at a VAT rate of {} % have no accounts in the books chart: add a \
                     `books.vat` entry for that rate",
                    rust_decimal::Decimal::new(i64::from(rate_bp), 2).normalize()
                ))
            })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = chart_mappings)]
struct MappingRow {
    id: String,
    account_kind: String,
    currency: String,
    ledger_account_id: String,
    code: String,
    label: String,
    auxiliary: bool,
    updated_at: chrono::NaiveDateTime,
}

fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 20
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Chart {
    /// The French defaults, in euros.
    pub fn defaults() -> Result<Chart, AccountingError> {
        FRANCE.chart(crate::deployment::Deployment::EURO_FRANCE.legal)
    }

    /// The defaults of the deployment's country, in its legal currency.
    pub fn preset(conn: &mut DbConn) -> Result<Chart, AccountingError> {
        let deployment =
            crate::deployment::get(conn).map_err(|e| AccountingError::Ledger(e.into()))?;
        Plan::of(deployment.country).chart(deployment.legal)
    }

    /// Every problem at once.
    pub fn validate(&self) -> Result<(), AccountingError> {
        let mut errors = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, rule) in self.accounts.iter().enumerate() {
            let field = |f: &str| format!("account[{i}].{f}");
            if AccountKind::parse(&rule.kind).is_err() {
                errors.push(FieldError::new(
                    field("kind"),
                    "unknown",
                    format!("`{}` is not a ledger account kind", rule.kind),
                ));
            }
            if !valid_code(&rule.code) {
                errors.push(FieldError::new(
                    field("code"),
                    "invalid",
                    "must be 1 to 20 letters, digits, `-` or `_`",
                ));
            }
            if rule.label.trim().is_empty() || rule.label.chars().count() > 100 {
                errors.push(FieldError::new(
                    field("label"),
                    "length",
                    "must be 1 to 100 characters",
                ));
            }
            let key = (&rule.kind, &rule.currency, &rule.ledger_account_id);
            if !seen.insert(key) {
                errors.push(FieldError::new(
                    field("kind"),
                    "duplicate",
                    "another rule matches exactly the same accounts",
                ));
            }
        }
        if !self.journals.contains_key("default") {
            errors.push(FieldError::new(
                "journals.default",
                "required",
                "a default journal is required",
            ));
        }
        for (kind, journal) in &self.journals {
            if !valid_code(&journal.code) || journal.label.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("journals.{kind}"),
                    "invalid",
                    "needs a code (letters, digits) and a label",
                ));
            }
        }
        if let Some(books) = &self.books {
            books.validate(&mut errors);
        }
        if let Some(language) = &self.language {
            if !LANGUAGES.contains(&language.as_str()) {
                errors.push(FieldError::new(
                    "language",
                    "unknown",
                    "the books are written in `fr` or `en`",
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AccountingError::invalid(errors))
        }
    }
}

/// The deployment's chart, the defaults loaded the first time.
pub fn get(conn: &mut DbConn) -> Result<Chart, AccountingError> {
    let (rows, journals) = {
        let conn = conn.diesel();
        let rows: Vec<MappingRow> = chart_mappings::table
            .order((
                chart_mappings::account_kind.asc(),
                chart_mappings::currency.asc(),
                chart_mappings::ledger_account_id.asc(),
            ))
            .select(MappingRow::as_select())
            .load(conn)?;
        let journals: Vec<(String, String, String)> = accounting_journals::table
            .order(accounting_journals::entry_code.asc())
            .select((
                accounting_journals::entry_code,
                accounting_journals::journal_code,
                accounting_journals::journal_label,
            ))
            .load(conn)?;
        Ok::<_, diesel::result::Error>((rows, journals))
    }?;
    if rows.is_empty() && journals.is_empty() {
        let defaults = Chart::preset(conn)?;
        // the shipped defaults, installed on first use: nobody's act; then read back as
        // any later read gives them (rules sorted, books and language stored)
        store(conn, &defaults, None)?;
        return get(conn);
    }
    let books = Some(books(conn)?);
    Ok(Chart {
        books,
        language: Some(language(conn)?),
        accounts: rows
            .into_iter()
            .map(|r| AccountRule {
                kind: r.account_kind,
                currency: Some(r.currency).filter(|c| !c.is_empty()),
                ledger_account_id: Some(r.ledger_account_id).filter(|c| !c.is_empty()),
                code: r.code,
                label: r.label,
                auxiliary: r.auxiliary,
            })
            .collect(),
        journals: journals
            .into_iter()
            .map(|(kind, code, label)| (kind, JournalRule { code, label }))
            .collect(),
    })
}

/// The accounts of enterprise books: the stored ones, else the country's defaults.
pub fn books(conn: &mut DbConn) -> Result<Books, AccountingError> {
    let stored: Option<String> = chart_books::table
        .find(1)
        .select(chart_books::body)
        .first(conn.diesel())
        .optional()?;
    match stored {
        Some(body) => serde_json::from_str(&body)
            .map_err(|e| AccountingError::internal(format!("the stored books chart: {e}"))),
        None => {
            let plan = plan(conn)?;
            Chart::preset(conn)?
                .books
                .ok_or_else(|| AccountingError::internal(format!("{} has no [books]", plan.file)))
        }
    }
}

/// The language of the books' labels.
pub fn language(conn: &mut DbConn) -> Result<String, AccountingError> {
    use crate::db::schema::accounting_state;
    Ok(accounting_state::table
        .find(1)
        .select(accounting_state::language)
        .first(conn.diesel())?)
}

/// Replaces the chart (moves validated already keep the accounts they were validated with).
pub fn replace(
    conn: &mut DbConn,
    who: &crate::audit::Who,
    chart: &Chart,
) -> Result<(), AccountingError> {
    store(conn, chart, Some(who))
}

/// Writes `chart` in place of the stored one, recording who did it (when someone did).
fn store(
    conn: &mut DbConn,
    chart: &Chart,
    who: Option<&crate::audit::Who>,
) -> Result<(), AccountingError> {
    chart.validate()?;
    let now = crate::time::now();
    let rows: Vec<MappingRow> = chart
        .accounts
        .iter()
        .map(|r| MappingRow {
            id: crate::time::new_id(),
            account_kind: r.kind.clone(),
            currency: r.currency.clone().unwrap_or_default(),
            ledger_account_id: r.ledger_account_id.clone().unwrap_or_default(),
            code: r.code.clone(),
            label: r.label.trim().to_string(),
            auxiliary: r.auxiliary,
            updated_at: now,
        })
        .collect();
    let books = chart
        .books
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(AccountingError::internal)?;
    conn.transaction(|conn| {
        {
            let conn = conn.diesel();
            diesel::delete(chart_mappings::table).execute(conn)?;
            diesel::delete(accounting_journals::table).execute(conn)?;
            crate::db::execute(
                conn,
                diesel::insert_into(chart_mappings::table).values(&rows),
            )?;
            diesel::delete(chart_books::table).execute(conn)?;
            if let Some(books) = &books {
                diesel::insert_into(chart_books::table)
                    .values((
                        chart_books::id.eq(1),
                        chart_books::body.eq(books),
                        chart_books::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            if let Some(language) = &chart.language {
                use crate::db::schema::accounting_state;
                diesel::update(accounting_state::table.find(1))
                    .set(accounting_state::language.eq(language))
                    .execute(conn)?;
            }
            for (kind, journal) in &chart.journals {
                diesel::insert_into(accounting_journals::table)
                    .values((
                        accounting_journals::entry_code.eq(kind),
                        accounting_journals::journal_code.eq(&journal.code),
                        accounting_journals::journal_label.eq(journal.label.trim()),
                    ))
                    .execute(conn)?;
            }
            Ok::<_, diesel::result::Error>(())
        }?;
        let Some(who) = who else {
            return Ok(());
        };
        crate::audit::record(
            conn,
            who,
            crate::audit::Act {
                action: "books.chart",
                subject_kind: "chart",
                subject_id: "deployment",
                enterprise_id: None,
                ledger_entry_id: None,
                details: serde_json::json!({
                    "account_rules": rows.len(),
                    "journals": chart.journals.len(),
                    "language": chart.language,
                }),
            },
        )?;
        Ok(())
    })
}

/// Looks rules up for ledger accounts.
pub struct Resolver {
    chart: Chart,
}

impl Resolver {
    pub fn load(conn: &mut DbConn) -> Result<Resolver, AccountingError> {
        Ok(Resolver { chart: get(conn)? })
    }

    /// The most specific rule for `account`, if any.
    pub fn account(&self, account: &AccountRow) -> Option<&AccountRule> {
        let matches = |r: &&AccountRule| r.kind == account.kind;
        let rules = || self.chart.accounts.iter().filter(matches);
        rules()
            .find(|r| r.ledger_account_id.as_deref() == Some(account.id.as_str()))
            .or_else(|| {
                rules().find(|r| {
                    r.ledger_account_id.is_none()
                        && r.currency.as_deref() == Some(account.currency.as_str())
                })
            })
            .or_else(|| rules().find(|r| r.ledger_account_id.is_none() && r.currency.is_none()))
    }

    /// The journal of a kind of ledger entry.
    pub fn journal(&self, entry_code: &str) -> Result<&JournalRule, AccountingError> {
        self.chart
            .journals
            .get(entry_code)
            .or_else(|| self.chart.journals.get("default"))
            .ok_or_else(|| AccountingError::internal("the chart has no default journal"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_french_defaults_are_valid_and_cover_every_account_kind() {
        let chart = Chart::defaults().expect("parses");
        chart.validate().expect("valid");
        for kind in AccountKind::ALL {
            assert!(
                chart
                    .accounts
                    .iter()
                    .any(|r| r.kind == kind.as_str() && r.currency.is_none()),
                "{} has no default rule",
                kind.as_str()
            );
        }
        let books = chart.books.expect("the defaults have books");
        for rate in [0, 210, 550, 1000, 2000] {
            books.vat(rate).expect("every French rate");
        }
        assert!(books.vat(850).is_err());
        assert_eq!(books.customer_credit.code, "419100");
    }

    #[test]
    fn a_books_chart_stored_before_customers_credit_loads_with_the_french_default() {
        let chart = Chart::defaults().expect("parses");
        let books = chart.books.clone().expect("books");
        let mut stored = serde_json::to_value(&books).expect("json");
        stored
            .as_object_mut()
            .expect("an object")
            .remove("customer_credit");
        let loaded: Books = serde_json::from_value(stored).expect("loads");
        assert_eq!(loaded.customer_credit, default_customer_credit());
        assert_eq!(loaded, books);
        // validated like the other accounts
        let mut bad = chart.clone();
        if let Some(books) = bad.books.as_mut() {
            books.customer_credit.code = "419 100".into();
        }
        assert!(bad.validate().is_err());
        let mut odoo: Chart =
            toml::from_str(include_str!("../../fixtures/chart_odoo17_fr.toml")).expect("parses");
        odoo.validate().expect("valid");
        let odoo = odoo.books.take().expect("books");
        assert_eq!(odoo.customer_credit.code, "419100");
    }

    #[test]
    fn each_plan_covers_every_account_kind_and_its_countrys_vat_rates_in_any_tender() {
        for country in [Country::France, Country::Switzerland] {
            let plan = Plan::of(country);
            for tender in crate::deployment::TENDERS {
                let chart = plan.chart(tender.legal()).expect("parses");
                chart.validate().expect("valid");
                for kind in AccountKind::ALL {
                    assert!(
                        chart
                            .accounts
                            .iter()
                            .any(|r| r.kind == kind.as_str() && r.currency.is_none()),
                        "{country:?}: {} has no default rule",
                        kind.as_str()
                    );
                }
                // the legal tender's rules follow the deployment's currency
                let legal_rules: Vec<_> = chart
                    .accounts
                    .iter()
                    .filter_map(|r| r.currency.as_deref())
                    .collect();
                assert!(!legal_rules.is_empty());
                assert!(legal_rules
                    .iter()
                    .all(|c| *c == tender.legal().code.as_str()));
                let books = chart.books.expect("books");
                for rate in country.vat_rates() {
                    let bp: rust_decimal::Decimal = rate.parse().expect("rate");
                    let bp = i32::try_from(bp * rust_decimal::Decimal::ONE_HUNDRED).ok();
                    books
                        .vat(bp.expect("bp"))
                        .expect("every rate of the country");
                }
            }
        }
        let ch = Plan::of(Country::Switzerland);
        assert!(ch.is_result("3400") && ch.is_result("8500") && !ch.is_result("2211"));
        assert!(!ch.is_result("1020") && !ch.is_result("9000"));
        let fr = Plan::of(Country::France);
        assert!(fr.is_result("708000") && !fr.is_result("411000") && !fr.is_result(""));
    }

    #[test]
    fn the_swiss_plan_uses_odoo_l10n_ch_codes_where_it_has_them() {
        let francs = crate::deployment::Tender::find("CHF").expect("CHF").legal();
        let chart = SWITZERLAND.chart(francs).expect("parses");
        let code = |kind: &str| {
            chart
                .accounts
                .iter()
                .find(|r| r.kind == kind && r.currency.is_none())
                .map(|r| r.code.as_str())
        };
        assert_eq!(code("guarantee_fund"), Some("1020"));
        assert_eq!(code("euro_receivable"), Some("1100"));
        assert_eq!(code("euro_payable"), Some("2000"));
        assert_eq!(code("issuance"), Some("1090"));
        let books = chart.books.expect("books");
        assert_eq!(books.customers.code, "1100");
        assert_eq!(books.customer_credit.code, "2030");
        assert_eq!(books.vat(810).expect("8.1 %").collected.code, "2200");
        assert_eq!(books.vat(260).expect("2.6 %").deductible.code, "1170");
    }
}
