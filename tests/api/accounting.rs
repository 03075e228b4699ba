//! The books: a day with a top-up, a split-payment sale, a cycle close with producer
//! settlement, a reconversion with commission and a euro payment, exported as FEC and Odoo
//! CSV and checked line by line against the format's rules; the same export twice; periods;
//! an unmapped account. Both backends.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use crate::backend_tests;
use crate::harness::{Backend, TestApp};
use crate::support::{close_cycle, funded_wallet, hub_owner_token, key, lem, place_order, shop};

backend_tests!(
    a_day_of_trade_exports_to_a_valid_fec,
    an_unmapped_account_stops_the_export,
    the_chart_is_edited_on_the_command_line,
    the_chart_reads_the_same_from_its_first_read,
);

const SIREN: &str = "732829320";

async fn export(app: &TestApp, token: &str, path: &str) -> (u16, String, Option<String>) {
    let reply = app.call("GET", path, Some(token), None).await;
    (
        reply.status.as_u16(),
        String::from_utf8(reply.body.clone()).expect("utf-8"),
        reply.header("content-disposition"),
    )
}

/// Cents from a FEC amount (`1234,56`), which must have exactly two decimals after a comma.
fn cents(text: &str) -> i64 {
    let (units, decimals) = text
        .split_once(',')
        .unwrap_or_else(|| panic!("no comma in {text}"));
    assert_eq!(decimals.len(), 2, "{text}");
    assert!(
        units.chars().all(|c| c.is_ascii_digit()) && !units.is_empty(),
        "{text}"
    );
    units.parse::<i64>().expect("units") * 100 + decimals.parse::<i64>().expect("cents")
}

/// A day of trade on the demo: a top-up, a sale with split payment and delivery, a cycle
/// close with settlement, a reconversion with a 2 % commission, the euro part paid.
pub(crate) async fn a_day_of_trade(app: &TestApp) {
    let treasurer = app.access_token("tresorerie@lem.example.org").await;
    let camille = app.access_token("camille@example.org").await;
    let manager = app.access_token("gerance@lacagette.example.org").await;
    let farmer = app.access_token("ferme@troischenes.example.org").await;

    // top-up, sale with split payment, close with settlement
    funded_wallet(app, &camille, "50.00").await;
    let shop = shop(app).await;
    let lines = json!({"lines": [
        {"variant_id": shop.variant["FERME-CAR-1KG"], "quantity": 2},
        {"variant_id": shop.variant["RUCH-HYD-75CL"], "quantity": 1},
    ]});
    let order_id = place_order(app, &shop, &camille, &lines, "Livraison à vélo", "10.00").await;
    let closed = close_cycle(app, &shop, &manager).await;
    // the farm reconverts part of what it was paid, with a 2 % commission
    let rule = json!({"percent": "2", "fixed": lem("0.00")});
    let set = app
        .call(
            "PUT",
            "/api/v1/currencies/LEM/commission",
            Some(&treasurer),
            Some(&rule),
        )
        .await;
    assert_eq!(set.status, 204);
    let farm_wallet = closed["settlements"]
        .as_array()
        .expect("settlements")
        .iter()
        .find(|s| s["currency"] == "LEM" && s["paid"]["amount"] != "0.00")
        .map(|s| s["producer_id"].as_str().expect("producer").to_string())
        .expect("a producer paid in LEM");
    let wallets = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{farm_wallet}/accounts"),
            Some(&farmer),
            None,
        )
        .await
        .json();
    let wallet_id = wallets
        .as_array()
        .or_else(|| wallets["items"].as_array())
        .expect("accounts")
        .iter()
        .find(|a| a["currency"] == "LEM" && a["kind"] == "enterprise_wallet")
        .map(|a| a["id"].as_str().expect("id").to_string())
        .expect("the farm paid in LEM has a LEM wallet: the reconversion must happen");
    let reconverted = app
        .call(
            "POST",
            "/api/v1/reconversions",
            Some(&farmer),
            Some(&json!({"entry_id": key(), "wallet_id": wallet_id, "amount": lem("2.00"), "reference": "R-1"})),
        )
        .await;
    assert_eq!(reconverted.status, 201, "{}", reconverted.json());
    let owner = hub_owner_token(app).await;
    crate::support::euro_paid(app, &order_id, &owner).await;
}

/// The deployment's FEC of today.
pub(crate) async fn fec_of_today(app: &TestApp, token: &str) -> String {
    let today = comptoir::time::now().date();
    let path = format!("/api/v1/accounting/fec?from={today}&to={today}&siren={SIREN}");
    let (status, fec, _) = export(app, token, &path).await;
    assert_eq!(status, 200, "{fec}");
    fec
}

async fn a_day_of_trade_exports_to_a_valid_fec(backend: Backend) {
    // the day's trade alone in the books: the demo without its history
    let app = TestApp::with_bare_demo(backend).await;
    a_day_of_trade(&app).await;
    let treasurer = app.access_token("tresorerie@lem.example.org").await;
    let camille = app.access_token("camille@example.org").await;

    // only those who keep the books
    let (status, _, _) = export(&app, &camille, "/api/v1/accounting/chart").await;
    assert_eq!(status, 403);
    let today = comptoir::time::now().date();
    let range = format!("from={today}&to={today}");
    let (status, body, _) = export(
        &app,
        &treasurer,
        &format!("/api/v1/accounting/fec?{range}&siren=123456789"),
    )
    .await;
    assert_eq!(status, 422, "a SIREN with a bad check digit: {body}");
    // a missing date names itself
    let (status, body, _) = export(
        &app,
        &treasurer,
        &format!("/api/v1/accounting/fec?to={today}&siren={SIREN}"),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("query parameter `from` is required"),
        "{body}"
    );

    let fec_path = format!("/api/v1/accounting/fec?{range}&siren={SIREN}");
    let (status, fec, disposition) = export(&app, &treasurer, &fec_path).await;
    assert_eq!(status, 200, "{fec}");
    let name = format!("{SIREN}FEC{}.txt", today.format("%Y%m%d"));
    assert_eq!(
        disposition,
        Some(format!("attachment; filename=\"{name}\""))
    );

    // the format
    assert!(fec.ends_with("\r\n"));
    let rows: Vec<&str> = fec.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        rows[0],
        "JournalCode|JournalLib|EcritureNum|EcritureDate|CompteNum|CompteLib|CompAuxNum|CompAuxLib|PieceRef|PieceDate|EcritureLib|Debit|Credit|EcritureLet|DateLet|ValidDate|Montantdevise|Idevise"
    );
    let date = today.format("%Y%m%d").to_string();
    let mut by_move: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut numbers: HashMap<String, Vec<i64>> = HashMap::new();
    let mut order_of_moves: Vec<String> = Vec::new();
    let (mut debits, mut credits) = (0, 0);
    let mut accounts_seen = std::collections::HashSet::new();
    for row in &rows[1..] {
        let cells: Vec<&str> = row.split('|').collect();
        assert_eq!(cells.len(), 18, "{row}");
        assert_eq!(cells[3], date, "EcritureDate: {row}");
        assert_eq!(cells[9], date, "PieceDate: {row}");
        assert_eq!(cells[15].len(), 8, "ValidDate: {row}");
        let (debit, credit) = (cents(cells[11]), cents(cells[12]));
        assert!((debit == 0) != (credit == 0), "one side per line: {row}");
        debits += debit;
        credits += credit;
        let totals = by_move.entry(cells[2].to_string()).or_default();
        totals.0 += debit;
        totals.1 += credit;
        if order_of_moves.last().map(String::as_str) != Some(cells[2]) {
            assert!(
                !order_of_moves.contains(&cells[2].to_string()),
                "a move's lines are together: {row}"
            );
            order_of_moves.push(cells[2].to_string());
            let (journal, number) = cells[2].split_once('-').expect("EcritureNum");
            assert!(journal.starts_with(cells[0]), "{row}");
            numbers
                .entry(cells[0].to_string())
                .or_default()
                .push(number.parse().expect("number"));
        }
        if cells[17] == "LEM" {
            assert_eq!(cents(cells[16]), debit + credit, "LEM at parity: {row}");
        } else {
            assert_eq!((cells[16], cells[17]), ("", ""), "{row}");
        }
        accounts_seen.insert(cells[4].to_string());
    }
    for (number, (debit, credit)) in &by_move {
        assert_eq!(debit, credit, "move {number} is balanced");
    }
    assert_eq!(debits, credits);
    // numbering is continuous per journal, in order, from 1
    for (journal, list) in &numbers {
        let expected: Vec<i64> = (1..=list.len() as i64).collect();
        assert_eq!(list, &expected, "journal {journal}");
    }
    // the day's events each reached their accounts
    for code in [
        "512100", "467100", "467200", "467300", "411000", "708000", "580000", "401000",
    ] {
        assert!(accounts_seen.contains(code), "no line on {code}: {fec}");
    }
    assert!(
        fec.contains("|FERME-DES-TROIS-CHENES|Ferme des Trois Chênes|"),
        "{fec}"
    );
    // the order's euro part, owed at the close then received, is lettered on the receivable
    let receivable: Vec<Vec<&str>> = rows[1..]
        .iter()
        .map(|r| r.split('|').collect::<Vec<_>>())
        .filter(|c| c[4] == "411000")
        .collect();
    assert_eq!(receivable.len(), 2, "{fec}");
    for cells in &receivable {
        assert_eq!((cells[13], cells[14]), ("A", date.as_str()), "{cells:?}");
    }
    // the hold itself is not in the books, its capture is
    assert!(
        numbers.contains_key("VT") && numbers.contains_key("MLC") && numbers.contains_key("BQ")
    );

    // the same export twice, even after the chart changed: validated moves are final
    let mut chart = app
        .call("GET", "/api/v1/accounting/chart", Some(&treasurer), None)
        .await
        .json();
    for rule in chart["account"].as_array_mut().expect("rules") {
        if rule["code"] == "467100" {
            rule["code"] = json!("467999");
        }
    }
    let replaced = app
        .call(
            "PUT",
            "/api/v1/accounting/chart",
            Some(&treasurer),
            Some(&chart),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.json());
    let (_, again, _) = export(&app, &treasurer, &fec_path).await;
    assert_eq!(again, fec);
    // the command line writes the same file, under its legal name
    let written = fec_on_the_command_line(&app, today, &["--siren", SIREN], &name);
    assert_eq!(written, fec);
    let bad_chart = json!({"account": [{"kind": "nope", "code": "", "label": ""}], "journals": {}});
    let refused = app
        .call(
            "PUT",
            "/api/v1/accounting/chart",
            Some(&treasurer),
            Some(&bad_chart),
        )
        .await;
    assert_eq!(
        refused.problem(422, "validation")["errors"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );

    // Odoo's import CSV: one row per line, the move's fields on its first row
    let (status, odoo, _) = export(
        &app,
        &treasurer,
        &format!("/api/v1/accounting/odoo.csv?{range}"),
    )
    .await;
    assert_eq!(status, 200, "{odoo}");
    let mut reader = csv::Reader::from_reader(odoo.as_bytes());
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(
        headers.iter().collect::<Vec<_>>(),
        [
            "journal_id",
            "date",
            "ref",
            "line_ids/account_id",
            "line_ids/partner_id",
            "line_ids/name",
            "line_ids/debit",
            "line_ids/credit",
            "line_ids/currency_id",
            "line_ids/amount_currency"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(records.len(), rows.len() - 1, "one row per FEC line");
    let firsts = records.iter().filter(|r| !r[0].is_empty()).count();
    assert_eq!(firsts, by_move.len(), "one first row per move");
    assert_eq!(
        &records[0][1],
        today.format("%Y-%m-%d").to_string().as_str()
    );

    // periods: only a past one, never overlapping
    let refused = app
        .call(
            "POST",
            "/api/v1/accounting/periods",
            Some(&treasurer),
            Some(&json!({"from": today, "to": today})),
        )
        .await;
    assert_eq!(
        refused.problem(422, "validation")["errors"][0]["code"],
        "not_past"
    );
    let last_month = (
        today - chrono::Duration::days(30),
        today - chrono::Duration::days(1),
    );
    let closed = app
        .call(
            "POST",
            "/api/v1/accounting/periods",
            Some(&treasurer),
            Some(&json!({"from": last_month.0, "to": last_month.1})),
        )
        .await;
    assert_eq!(closed.status, 201, "{}", closed.json());
    // RFC 3339 with its offset, like every timestamp of the API
    let closed_at = closed.json()["closed_at"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&closed_at).is_ok() && closed_at.ends_with('Z'),
        "closed_at `{closed_at}`"
    );
    app.call(
        "POST",
        "/api/v1/accounting/periods",
        Some(&treasurer),
        Some(&json!({"from": last_month.1, "to": last_month.1})),
    )
    .await
    .problem(409, "period-closed");
    let listed = app
        .call("GET", "/api/v1/accounting/periods", Some(&treasurer), None)
        .await
        .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let closed_path = format!(
        "/api/v1/accounting/fec?from={}&to={}&siren={SIREN}",
        last_month.0, last_month.1
    );
    // nothing happened last month: no FEC (a header alone is refused by the DGFiP's tool)
    let (status, first, _) = export(&app, &treasurer, &closed_path).await;
    assert_eq!(status, 409, "{first}");
    assert!(first.contains("nothing-to-export"), "{first}");
}

/// Runs `comptoir export fec` for `day` with `extra` arguments in a scratch directory and
/// returns the file it wrote under its legal `name`.
pub(crate) fn fec_on_the_command_line(
    app: &TestApp,
    day: chrono::NaiveDate,
    extra: &[&str],
    name: &str,
) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_comptoir"));
    command
        .args([
            "export",
            "fec",
            "--from",
            &day.to_string(),
            "--to",
            &day.to_string(),
        ])
        .args(extra)
        .args(["--database-url", &app.db.url])
        .current_dir(dir.path())
        .env("RUST_LOG", "warn");
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("COMPTOIR_")) {
        command.env_remove(key);
    }
    let ran = command.output().expect("runs");
    assert!(ran.status.success(), "{ran:?}");
    std::fs::read_to_string(dir.path().join(name)).expect("the FEC file")
}

/// Without a rule for the issuance account, the export refuses to start and names it.
async fn an_unmapped_account_stops_the_export(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let treasurer = app.access_token("tresorerie@lem.example.org").await;
    let camille = app.access_token("camille@example.org").await;
    let mut chart = app
        .call("GET", "/api/v1/accounting/chart", Some(&treasurer), None)
        .await
        .json();
    chart["account"]
        .as_array_mut()
        .expect("rules")
        .retain(|r| r["kind"] != "issuance");
    let replaced = app
        .call(
            "PUT",
            "/api/v1/accounting/chart",
            Some(&treasurer),
            Some(&chart),
        )
        .await;
    assert_eq!(replaced.status, 200);
    funded_wallet(&app, &camille, "5.00").await;
    let today = comptoir::time::now().date();
    let reply = app
        .call(
            "GET",
            &format!("/api/v1/accounting/fec?from={today}&to={today}&siren={SIREN}"),
            Some(&treasurer),
            None,
        )
        .await;
    let problem = reply.problem(409, "accounting-unmapped");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("issuance")),
        "{problem}"
    );
}

pub(crate) fn comptoir_cli(url: &str, args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_comptoir"));
    command
        .args(args)
        .args(["--database-url", url])
        .env("RUST_LOG", "warn");
    for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("COMPTOIR_")) {
        command.env_remove(key);
    }
    command.output().expect("runs")
}

/// `comptoir chart show` prints the mapping as TOML, `chart load` replaces it (checked).
async fn the_chart_is_edited_on_the_command_line(backend: Backend) {
    let db = crate::harness::TestDb::with_demo(backend);
    let shown = comptoir_cli(&db.url, &["chart", "show"]);
    assert!(shown.status.success(), "{shown:?}");
    let text = String::from_utf8(shown.stdout).expect("utf-8");
    assert!(text.contains("code = \"467100\""), "{text}");
    let dir = tempfile::tempdir().expect("dir");
    let edited = dir.path().join("chart.toml");
    std::fs::write(&edited, text.replace("\"467100\"", "\"467110\"")).expect("write");
    let loaded = comptoir_cli(&db.url, &["chart", "load", edited.to_str().expect("path")]);
    assert!(loaded.status.success(), "{loaded:?}");
    let again = comptoir_cli(&db.url, &["chart", "show"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("code = \"467110\""));
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[account]]\nkind = \"nope\"\ncode = \"1\"\nlabel = \"x\"\n[journals]\n",
    )
    .expect("write");
    let refused = comptoir_cli(&db.url, &["chart", "load", bad.to_str().expect("path")]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("account[0].kind") && stderr.contains("journals.default"),
        "{stderr}"
    );
}

/// The chart's first read installs the country's defaults and answers them as every later
/// read does (the rules in the same order, the books and language included).
async fn the_chart_reads_the_same_from_its_first_read(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let treasurer = app
        .access_token(crate::harness::FRENCH_DEMO.treasurer)
        .await;
    let read = || async {
        let reply = app
            .call("GET", "/api/v1/accounting/chart", Some(&treasurer), None)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.json());
        reply.json()
    };
    let first = read().await;
    let second = read().await;
    assert!(
        first["account"].as_array().is_some_and(|a| a.len() > 5),
        "{first}"
    );
    assert!(first["books"].is_object(), "{first}");
    assert_eq!(first, second);
}
