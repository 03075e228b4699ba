//! The deployment's books by account nature: after any history, each account code's balance
//! in the books equals what the ledger holds on the accounts it maps, turned to the side of
//! their nature — the fund's 512100 a debit equal to the statement's fund, the wallets'
//! 467 credits equal to the local currency in circulation (with the commissions, 708) — and
//! has the sign of that nature. The check is shared with the ledger's and the marketplace's
//! property tests; the scenarios here cover the trial balance, the opening entries, an empty
//! FEC and moves validated with the old sides.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;

use comptoir::accounting::books::Book;
use comptoir::accounting::chart::Resolver;
use comptoir::accounting::nature;
use comptoir::db::schema::{
    accounting_lines, accounting_moves, accounting_state, ledger_accounts, orders,
};
use comptoir::db::DbConn;
use comptoir::ledger::accounts::{self, AccountKind};
use comptoir::ledger::currencies;

use crate::backend_tests;
use crate::harness::{Backend, TestApp};

backend_tests!(
    a_day_of_trade_books_the_fund_as_a_debit_in_the_trial_balance,
    a_new_fiscal_year_opens_with_the_balances_carried_forward,
    an_empty_period_has_no_fec,
    moves_validated_with_the_old_sides_are_validated_again_in_open_periods,
);

/// Net (debit − credit, cents) per account code of the deployment's books, every move,
/// validated up to today first.
pub fn books_by_code(conn: &mut DbConn) -> Result<BTreeMap<String, i64>, String> {
    Book::Deployment
        .validate_until(conn, comptoir::time::now().date())
        .map_err(|e| format!("validation: {e}"))?;
    stored_by_code(conn)
}

/// Net per account code of the moves stored, as they are.
fn stored_by_code(conn: &mut DbConn) -> Result<BTreeMap<String, i64>, String> {
    let today = comptoir::time::now().date();
    let book = Book::Deployment;
    let from = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    let mut nets = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = book
            .page(conn, from, today, after, 500)
            .map_err(|e| e.to_string())?;
        for (m, lines) in &page {
            let net: i64 = lines.iter().map(|l| l.debit_minor - l.credit_minor).sum();
            if net != 0 {
                return Err(format!("move {} does not balance", m.number_text()));
            }
            for l in lines {
                *nets.entry(l.account_code.clone()).or_default() += l.debit_minor - l.credit_minor;
            }
        }
        match page.last() {
            Some((m, _)) if page.len() == 500 => after = m.ledger_seq,
            _ => break,
        }
    }
    Ok(nets)
}

/// The books agree with the ledger, account by account, by nature (see the module doc).
pub fn deployment_books_agree(conn: &mut DbConn) -> Result<(), String> {
    let nets = books_by_code(conn)?;
    let resolver = Resolver::load(conn).map_err(|e| e.to_string())?;
    // amounts in the deployment's legal currency; the fund's code of its country's chart
    let deployment = comptoir::deployment::get(conn).map_err(|e| e.to_string())?;
    let legal = deployment.legal;
    let fund_code = match deployment.country {
        comptoir::deployment::Country::France => crate::harness::FRENCH_DEMO.chart.fund,
        comptoir::deployment::Country::Switzerland => crate::harness::SWISS_DEMO.chart.fund,
    };
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_kind: BTreeMap<&'static str, i64> = BTreeMap::new();
    for account in accounts::all(conn).map_err(|e| e.to_string())? {
        let kind = account.kind().map_err(|e| e.to_string())?;
        let currency = currencies::get(conn, &account.currency).map_err(|e| e.to_string())?;
        let euros = if legal.is(&account.currency) {
            account.balance()
        } else {
            currency
                .to_legal_minor(legal, account.balance())
                .map_err(|e| e.to_string())?
        };
        let books = nature::books_balance(kind, euros);
        *by_kind.entry(kind.as_str()).or_default() += books;
        if books == 0 {
            continue;
        }
        let rule = resolver
            .account(&account)
            .ok_or_else(|| format!("{} has no rule", account.id))?;
        *expected.entry(rule.code.clone()).or_default() += books;
    }
    let expected: BTreeMap<String, i64> = expected.into_iter().filter(|(_, n)| *n != 0).collect();
    let actual: BTreeMap<String, i64> = nets.into_iter().filter(|(_, n)| *n != 0).collect();
    if actual != expected {
        return Err(format!(
            "the books per account code {actual:?} differ from the ledger by nature {expected:?}"
        ));
    }
    // every kind has the sign of its nature, mutual credit aside: a professional's debit
    // balance on 467 is money it owes, up to the credit outstanding
    let (mut credit_outstanding, mut funds) = (0, 0);
    let codes: Vec<String> = currencies::list(conn)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|c| c.code.to_string())
        .collect();
    for code in codes {
        let currency = currencies::get(conn, &code).map_err(|e| e.to_string())?;
        if currency.is_local() {
            let line =
                comptoir::ledger::verify::statement(conn, &currency).map_err(|e| e.to_string())?;
            credit_outstanding += currency
                .to_legal_minor(legal, line.credit_outstanding)
                .map_err(|e| e.to_string())?;
            funds += line.fund_eur;
        }
    }
    // the fund in the books is the statements' funds, a debit
    if actual.get(fund_code).copied().unwrap_or(0) != funds {
        return Err(format!(
            "{fund_code} is {:?}, the statements' funds {funds}",
            actual.get(fund_code)
        ));
    }
    // euros a customer paid before the settlement booked the order are an advance, and so
    // are euros paid beyond a booked order's euro part (weighed down after payment) until
    // they are given back: the receivable runs in credit by that much, and no more
    let advances: i64 = orders::table
        .select((
            orders::booked_at.is_null(),
            orders::euro_received_minor - orders::euro_refunded_minor,
            orders::euro_minor,
        ))
        .load::<(bool, i64, i64)>(conn.diesel())
        .map_err(|e| e.to_string())?
        .iter()
        .map(|(unbooked, net, euro)| if *unbooked { *net } else { (net - euro).max(0) })
        .sum();
    for (kind, books) in &by_kind {
        let kind = AccountKind::parse(kind).map_err(|e| e.to_string())?;
        let slack = if kind == AccountKind::EnterpriseWallet {
            credit_outstanding
        } else {
            0
        };
        let sign_ok = if kind == AccountKind::EuroReceivable {
            *books >= -advances
        } else if nature::of(kind).debit_balance() {
            *books >= 0
        } else {
            *books <= slack
        };
        if !sign_ok {
            return Err(format!(
                "{} ({}) has a books balance of {books}: against its nature",
                kind.as_str(),
                nature::of(kind).as_str()
            ));
        }
    }
    Ok(())
}

/// The demo's Lem statement and the fund's 512100 in the books: one fund per deployment.
fn fund_and_circulation(conn: &mut DbConn) -> (i64, i64) {
    let lem = currencies::get(conn, "LEM").expect("LEM");
    let line = comptoir::ledger::verify::statement(conn, &lem).expect("statement");
    (line.fund_eur, line.circulation)
}

async fn a_day_of_trade_books_the_fund_as_a_debit_in_the_trial_balance(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    crate::accounting::a_day_of_trade(&app).await;
    let treasurer = app.access_token("tresorerie@lem.example.org").await;
    let conn = &mut app.db.db.conn().expect("conn");
    deployment_books_agree(conn).unwrap_or_else(|e| panic!("{e}"));
    let (fund, circulation) = fund_and_circulation(conn);
    assert!(fund > 0 && circulation > 0);
    let nets = books_by_code(conn).expect("books");
    assert_eq!(
        nets.get("512100"),
        Some(&fund),
        "512100 is the fund, a debit"
    );
    // the wallets and the commission kept are the currency in circulation (parity 1)
    let lem_holders: i64 = ["467100", "467200", "708000"]
        .iter()
        .map(|c| nets.get(*c).copied().unwrap_or(0))
        .sum();
    // (euros are on 467300; 467200 holds the professionals' Lem, the hub's VAT in Lem too)
    assert_eq!(-lem_holders, circulation, "{nets:?}");
    assert!(
        !nets.contains_key("445710"),
        "the hub's VAT is not the association's"
    );

    // the trial balance says the same, over HTTP and on the command line
    let today = comptoir::time::now().date();
    let reply = app
        .call(
            "GET",
            &format!("/api/v1/accounting/balance?from={today}&to={today}"),
            Some(&treasurer),
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    let balance = reply.json();
    let fund_row = balance["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["code"] == "512100")
        .expect("512100")
        .clone();
    let fund_text = comptoir::money::format_minor(fund, 2);
    assert_eq!(fund_row["closing_debit"], json!(fund_text));
    assert_eq!(fund_row["closing_credit"], "0.00");
    assert_eq!(fund_row["opening_debit"], "0.00");
    let totals = &balance["totals"];
    assert_eq!(totals["debit"], totals["credit"]);
    assert_eq!(totals["closing_debit"], totals["closing_credit"]);
    let csv = app
        .call(
            "GET",
            &format!("/api/v1/accounting/balance.csv?from={today}&to={today}"),
            Some(&treasurer),
            None,
        )
        .await;
    assert_eq!(csv.status, 200);
    let csv = String::from_utf8(csv.body.clone()).expect("utf-8");
    assert!(csv.starts_with(
        "code,label,opening_debit,opening_credit,debit,credit,closing_debit,closing_credit\n"
    ));
    let fund_line = csv
        .lines()
        .find(|l| l.starts_with("512100,Banque - fonds de garantie,0.00,0.00,"))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(fund_line.ends_with(&format!(",{fund_text},0.00")), "{csv}");
    // the command line writes the same CSV
    let out = crate::accounting::comptoir_cli(
        &app.db.url,
        &[
            "export",
            "balance",
            "--from",
            &today.to_string(),
            "--to",
            &today.to_string(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), csv);
    // the general ledger agrees with it, over HTTP and on the command line alike
    let ledger = app
        .call(
            "GET",
            &format!("/api/v1/accounting/general-ledger.csv?from={today}&to={today}"),
            Some(&treasurer),
            None,
        )
        .await;
    assert_eq!(ledger.status, 200);
    assert_eq!(
        ledger.header("content-disposition").as_deref(),
        Some(&*format!(
            "attachment; filename=\"general-ledger-{today}-{today}.csv\""
        ))
    );
    let ledger = String::from_utf8(ledger.body.clone()).expect("utf-8");
    crate::support::assert_general_ledger_agrees(&ledger, &balance);
    let out = crate::accounting::comptoir_cli(
        &app.db.url,
        &[
            "export",
            "general-ledger",
            "--from",
            &today.to_string(),
            "--to",
            &today.to_string(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), ledger);
    // a reversed range is refused
    let reply = app
        .call(
            "GET",
            &format!("/api/v1/accounting/balance?from={today}&to=2020-01-01"),
            Some(&treasurer),
            None,
        )
        .await;
    reply.problem(422, "validation");
    // the labels are French
    let fec = crate::accounting::fec_of_today(&app, &treasurer).await;
    assert!(fec.contains("|Émission de Lem contre euros ("), "{fec}");
}

/// Moves a day back to the last day of the previous year (as if validated then).
fn into_last_year(conn: &mut DbConn) -> NaiveDate {
    let today = comptoir::time::now().date();
    let last_year =
        NaiveDate::from_ymd_opt(chrono::Datelike::year(&today) - 1, 12, 31).expect("date");
    diesel::update(accounting_moves::table)
        .set(accounting_moves::entry_date.eq(last_year))
        .execute(conn.diesel())
        .expect("moves");
    last_year
}

async fn a_new_fiscal_year_opens_with_the_balances_carried_forward(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    crate::accounting::a_day_of_trade(&app).await;
    let treasurer = app.access_token("tresorerie@lem.example.org").await;
    let conn = &mut app.db.db.conn().expect("conn");
    let before = books_by_code(conn).expect("books");
    let last_year = into_last_year(conn);
    let (fund, _) = fund_and_circulation(conn);
    let new_year = last_year.succ_opt().expect("date");
    let today = comptoir::time::now().date();

    // a FEC of the new year starts with the opening move, then nothing else
    let reply = app
        .call(
            "GET",
            &format!("/api/v1/accounting/fec?from={new_year}&to={today}&siren=732829320"),
            Some(&treasurer),
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    let fec = String::from_utf8(reply.body.clone()).expect("utf-8");
    let rows: Vec<Vec<&str>> = fec
        .split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split('|').collect())
        .collect();
    assert!(!rows.is_empty());
    let date = new_year.format("%Y%m%d").to_string();
    let number = format!("OUV{}-000001", chrono::Datelike::year(&new_year));
    let mut carried: BTreeMap<String, i64> = BTreeMap::new();
    for cells in &rows {
        assert_eq!(cells.len(), 18);
        assert_eq!(
            (cells[0], cells[2], cells[3]),
            ("OUV", number.as_str(), date.as_str())
        );
        assert_eq!(cells[1], "Journal des à-nouveaux");
        let cents = |t: &str| {
            let (u, d) = t.split_once(',').expect("comma");
            u.parse::<i64>().expect("units") * 100 + d.parse::<i64>().expect("cents")
        };
        *carried.entry(cells[4].to_string()).or_default() += cents(cells[11]) - cents(cells[12]);
    }
    assert_eq!(carried.values().sum::<i64>(), 0, "the opening balances");
    assert_eq!(
        carried.get("512100"),
        Some(&fund),
        "the fund is carried: {fec}"
    );
    // balance-sheet accounts carry their balance; the year's result goes to 110/119
    let result: i64 = before
        .iter()
        .filter(|(c, _)| c.starts_with('6') || c.starts_with('7'))
        .map(|(_, n)| n)
        .sum();
    for (code, net) in &before {
        if !(code.starts_with('6') || code.starts_with('7')) {
            assert_eq!(carried.get(code).copied().unwrap_or(0), *net, "{code}");
        }
    }
    assert!(result < 0, "the commission is a profit");
    assert_eq!(carried.get("110000"), Some(&result));
    // the 467 lines keep their auxiliary accounts
    assert!(rows.iter().any(|c| c[4] == "467100" && !c[6].is_empty()));

    // the trial balance of the new year opens with the same balances
    let reply = app
        .call(
            "GET",
            &format!("/api/v1/accounting/balance?from={new_year}&to={today}"),
            Some(&treasurer),
            None,
        )
        .await;
    let balance = reply.json();
    let row = |code: &str| {
        balance["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .find(|a| a["code"] == code)
            .cloned()
    };
    assert_eq!(
        row("512100").expect("512100")["opening_debit"],
        json!(comptoir::money::format_minor(fund, 2))
    );
    assert!(row("708000").is_none(), "results do not carry forward");
    // a FEC of a period inside a year has no opening move
    let reply = app
        .call(
            "GET",
            &format!("/api/v1/accounting/fec?from={last_year}&to={last_year}&siren=732829320"),
            Some(&treasurer),
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert!(!String::from_utf8_lossy(&reply.body).contains("|OUV"));
}

async fn an_empty_period_has_no_fec(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let treasurer = app.access_token("tresorerie@lem.example.org").await;
    let reply = app
        .call(
            "GET",
            "/api/v1/accounting/fec?from=2021-03-01&to=2021-03-31&siren=732829320",
            Some(&treasurer),
            None,
        )
        .await;
    let problem = reply.problem(409, "nothing-to-export");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("2021-03-01")),
        "{problem}"
    );
    // the command line says so, fails, and leaves no file
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("empty.txt");
    let out = crate::accounting::comptoir_cli(
        &app.db.url,
        &[
            "export",
            "fec",
            "--from",
            "2021-03-01",
            "--to",
            "2021-03-31",
            "--siren",
            "732829320",
            "--output",
            path.to_str().expect("path"),
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no move"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!path.exists(), "no header-only file is left");
    // the Odoo CSV of an empty period is just its header
    let reply = app
        .call(
            "GET",
            "/api/v1/accounting/odoo.csv?from=2021-03-01&to=2021-03-31",
            Some(&treasurer),
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
}

/// Puts the deployment's books back as the version before account natures wrote them: the
/// fund's and the issuance's lines on the ledger's sides, the hub's VAT on 445710.
fn as_before_natures(conn: &mut DbConn) {
    let flipped: Vec<String> = ledger_accounts::table
        .filter(ledger_accounts::kind.eq_any(["guarantee_fund", "issuance"]))
        .select(ledger_accounts::id)
        .load(conn.diesel())
        .expect("accounts");
    {
        let conn = conn.diesel();
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            diesel::update(
                accounting_lines::table
                    .filter(accounting_lines::ledger_account_id.eq_any(&flipped)),
            )
            .set((
                accounting_lines::debit_minor.eq(accounting_lines::credit_minor),
                accounting_lines::credit_minor.eq(accounting_lines::debit_minor),
            ))
            .execute(conn)?;
            diesel::update(accounting_state::table)
                .set(accounting_state::books_version.eq(0))
                .execute(conn)
        })
    }
    .expect("old sides");
}

async fn moves_validated_with_the_old_sides_are_validated_again_in_open_periods(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    crate::accounting::a_day_of_trade(&app).await;
    let treasurer = app.access_token("tresorerie@lem.example.org").await;
    let conn = &mut app.db.db.conn().expect("conn");
    let right = crate::accounting::fec_of_today(&app, &treasurer).await;
    as_before_natures(conn);
    let wrong = stored_by_code(conn).expect("books");
    assert!(wrong.get("512100").copied().unwrap_or(0) < 0, "{wrong:?}");
    // the next validation derives them again: the same file, numbers and all
    let again = crate::accounting::fec_of_today(&app, &treasurer).await;
    assert_eq!(again, right);
    deployment_books_agree(conn).unwrap_or_else(|e| panic!("{e}"));

    // in a closed period the moves stay as they were filed
    let yesterday = comptoir::time::now().date().pred_opt().expect("date");
    diesel::update(accounting_moves::table)
        .set(accounting_moves::entry_date.eq(yesterday))
        .execute(conn.diesel())
        .expect("yesterday");
    as_before_natures(conn);
    diesel::update(accounting_state::table)
        .set(accounting_state::books_version.eq(1))
        .execute(conn.diesel())
        .expect("version");
    let closed = app
        .call(
            "POST",
            "/api/v1/accounting/periods",
            Some(&treasurer),
            Some(&json!({"from": yesterday, "to": yesterday})),
        )
        .await;
    assert_eq!(closed.status, 201, "{}", closed.json());
    diesel::update(accounting_state::table)
        .set(accounting_state::books_version.eq(0))
        .execute(conn.diesel())
        .expect("version");
    let kept = books_by_code(conn).expect("books");
    assert_eq!(kept, wrong, "a closed period's moves are final");
}
