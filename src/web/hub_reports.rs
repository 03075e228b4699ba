//! A hub's reports and the end of a cycle (see [`super::hub`]): the seven reports as tables,
//! CSV and printable sheets; closing and settling with a preview.
//!
//! Reports, for the hub's owners, managers and treasurers ([`Action::ReadHubReports`], as
//! `GET /api/v1/order-cycles/{id}/reports/{name}`), built by [`reports::build`]:
//! - `GET /hub/{slug}/cycles/{id}/reports`: the reports there are ([`reports::NAMES`]), a
//!   sentence each on what it is for;
//! - `GET …/reports/{name}`: one report as a table; `GET …/reports/{name}.csv`: the same CSV
//!   the API gives ([`reports::Report::to_csv`]), as a download;
//! - `GET …/reports/{name}/print`: the packing list by customer and the delivery list as
//!   sheets to print, one customer a page.
//!
//! The end of the cycle, for the same roles ([`Action::CloseCycle`], as `POST
//! /api/v1/order-cycles/{id}/close|settle`):
//! - `GET /hub/{slug}/cycles/{id}/close`: the cycle's state; before settlement, what each
//!   producer would be paid and what the hub keeps ([`close::preview`], nothing written);
//!   after, what was paid ([`close::summary`]); a failed settlement's reason;
//! - `POST …/close`: ordering stops ([`close::close`]); a cycle without a settlement time
//!   either settles at once or is given one first (`settle=later`, `settles_at` in the hub's
//!   time: [`planning::set_settlement`], as `PUT …/settlement`, by owners and managers);
//! - `GET …/settle`: what settling does, to confirm; `POST …/settle`: [`close::settle`].
//!
//! A settlement books [`close::CHUNK`] orders per transaction on the blocking pool
//! ([`crate::db::Db::run`]); the benchmark's 10,000-order cycle takes about 2 s on SQLite and
//! 13 s on PostgreSQL (`BENCHMARKS.md`). The request waits at most [`WAIT`] for it: past that
//! it answers that the settlement is under way and the work goes on by itself (a blocking
//! task is never cancelled), the close page showing its state from the cycle's row —
//! settled, or the reason it failed (`close_error`), which the background job retries.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::error::WebError;
use super::hub::{CycleView, HubView};
use super::pager::{PageQuery, Pager};
use super::render::Pages;
use super::session::{Form, Visitor};
use super::NoticeQuery;
use super::{field_errors_of, redirect, render_status};
use crate::auth::policy::{authorize, Action};
use crate::enterprises;
use crate::error::FieldError;
use crate::ids::CycleId;
use crate::money::Money;
use crate::orders::close::{self, SettlementView};
use crate::orders::cycles::OrderCycleRow;
use crate::orders::planning;
use crate::orders::reports;
use crate::orders::OrderError;
use crate::state::AppState;

pub const TEMPLATES: &[(&str, &str)] = crate::web_templates!(
    "hub_reports.html",
    "hub_report.html",
    "hub_report_print.html",
    "hub_close.html",
    "hub_settle.html",
);

/// The reports printed as sheets: one block (and page) per customer.
const PRINTABLE: &[&str] = &["packing_by_customer", "delivery_list"];

/// Columns holding amounts or quantities: right-aligned.
const NUMERIC: &[&str] = &[
    "quantity",
    "total",
    "items",
    "euro_due",
    "items_total",
    "fees_total",
    "shipping_fee",
    "vat_total",
    "local_amount",
    "local_eur_value",
    "euro_part",
    "goods_total",
    "producer_fees",
    "owed",
    "paid",
    "orders",
    "amount",
    "vat",
    "vat_rate",
    "base",
];

/// Orders a page of a per-order report's table shows.
const REPORT_PAGE: i64 = 50;

/// Orders a printed sheet holds: a larger cycle prints in parts, one after the other.
const PRINT_PAGE: i64 = 50;

/// How long a close or settlement request waits for the work before answering that it is
/// under way.
pub const WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// `work` on the blocking pool, waited for at most [`WAIT`]: `None` when it is still running
/// (it goes on: a blocking task is not cancelled by dropping its future).
async fn bounded<T, F>(state: &AppState, work: F) -> Option<Result<T, OrderError>>
where
    F: FnOnce(&mut crate::db::DbConn) -> Result<T, OrderError> + Send + 'static,
    T: Send + 'static,
{
    actix_web::rt::time::timeout(WAIT, state.db.run(work))
        .await
        .ok()
}

/// This module's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/hub/{slug}/cycles/{id}/reports", web::get().to(list))
        .route(
            "/hub/{slug}/cycles/{id}/reports/{name}",
            web::get().to(report),
        )
        .route(
            "/hub/{slug}/cycles/{id}/reports/{name}/print",
            web::get().to(print),
        )
        .route("/hub/{slug}/cycles/{id}/close", web::get().to(close_page))
        .route("/hub/{slug}/cycles/{id}/close", web::post().to(close_now))
        .route("/hub/{slug}/cycles/{id}/settle", web::get().to(settle_page))
        .route("/hub/{slug}/cycles/{id}/settle", web::post().to(settle_now));
}

fn read_reports(hub_id: &str) -> Action<'_> {
    Action::ReadHubReports { hub_id }
}

fn close_cycle(hub_id: &str) -> Action<'_> {
    Action::CloseCycle { hub_id }
}

#[derive(Serialize)]
struct Entry {
    name: &'static str,
    printable: bool,
}

#[derive(Serialize)]
struct ListPage {
    hub: HubView,
    cycle: CycleView,
    reports: Vec<Entry>,
}

/// `GET /hub/{slug}/cycles/{id}/reports`: the reports, what each is for.
pub async fn list(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, read_reports).await?;
    let reports = reports::NAMES
        .iter()
        .map(|name| Entry {
            name,
            printable: PRINTABLE.contains(name),
        })
        .collect();
    let cycle = CycleView::of(&hub, &row);
    render_status(
        &pages,
        &visitor,
        "hub_reports.html",
        ListPage {
            hub,
            cycle,
            reports,
        },
        StatusCode::OK,
    )
}

/// One cell of a report's table.
#[derive(Serialize)]
struct Cell {
    text: String,
    numeric: bool,
}

#[derive(Serialize)]
struct ReportPage {
    hub: HubView,
    cycle: CycleView,
    name: String,
    columns: Vec<Cell>,
    rows: Vec<Vec<Cell>>,
    printable: bool,
    /// A per-order report's page among its orders (none for the summed reports).
    pager: Option<Pager>,
}

/// The whole report `name` of the cycle, as the API builds it (404 for an unknown name).
async fn build(
    state: &AppState,
    row: OrderCycleRow,
    name: String,
) -> Result<reports::Report, WebError> {
    if !reports::NAMES.contains(&name.as_str()) {
        return Err(WebError::NotFound(format!("no report `{name}`")));
    }
    state
        .db
        .run(move |conn| -> Result<reports::Report, WebError> {
            Ok(reports::build(conn, &row, &name)?)
        })
        .await
}

/// Page `asked` of report `name` (404 for an unknown name): of a per-order report, the rows
/// of `per_page` orders and where they stand among the cycle's (`link(n)`: page `n`'s
/// address); any other report whole.
async fn page_of(
    state: &AppState,
    row: OrderCycleRow,
    name: String,
    (asked, per_page): (u32, i64),
    link: impl Fn(u32) -> String + Send + 'static,
) -> Result<(reports::Report, Option<Pager>), WebError> {
    if !reports::NAMES.contains(&name.as_str()) {
        return Err(WebError::NotFound(format!("no report `{name}`")));
    }
    state
        .db
        .run(move |conn| -> Result<_, WebError> {
            if !reports::PER_ORDER.contains(&name.as_str()) {
                return Ok((reports::page(conn, &row, &name, 0, per_page)?, None));
            }
            let total = reports::counted_orders(conn, &row.id)?;
            let pager = Pager::new(asked, per_page, total, link);
            let report = reports::page(conn, &row, &name, pager.offset(), per_page)?;
            Ok((report, Some(pager)))
        })
        .await
}

fn cells(columns: &[String], values: &[String]) -> Vec<Cell> {
    columns
        .iter()
        .zip(values)
        .map(|(c, v)| Cell {
            text: v.clone(),
            numeric: NUMERIC.contains(&c.as_str()),
        })
        .collect()
}

/// `GET /hub/{slug}/cycles/{id}/reports/{name}[?page=]`: the report as a table (a per-order
/// report [`REPORT_PAGE`] orders a page); `…/reports/{name}.csv`: the API's CSV of the whole
/// report, as a download.
pub async fn report(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id, name) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, read_reports).await?;
    let cycle = CycleView::of(&hub, &row);
    if let Some(name) = name.strip_suffix(".csv") {
        let report = build(&state, row, name.to_string()).await?;
        let csv = report.to_csv()?;
        let file = format!("{}.csv", report.report);
        return Ok(crate::state::attachment("text/csv; charset=utf-8", &file).body(csv));
    }
    let base = format!("{}/reports/{name}", cycle.base);
    let link = move |n: u32| format!("{base}?page={n}");
    let asked = (query.number(), REPORT_PAGE);
    let (report, pager) = page_of(&state, row, name, asked, link).await?;
    let columns = report
        .columns
        .iter()
        .map(|c| Cell {
            text: c.clone(),
            numeric: NUMERIC.contains(&c.as_str()),
        })
        .collect();
    let rows = report
        .rows
        .iter()
        .map(|r| cells(&report.columns, r))
        .collect();
    let printable = PRINTABLE.contains(&report.report.as_str());
    render_status(
        &pages,
        &visitor,
        "hub_report.html",
        ReportPage {
            hub,
            cycle,
            name: report.report,
            columns,
            rows,
            printable,
            pager,
        },
        StatusCode::OK,
    )
}

/// One customer's order on a printed sheet: its lines (packing) or its one row (delivery),
/// without the order and customer columns, which head the block.
#[derive(Serialize)]
struct Block {
    order: String,
    customer: String,
    rows: Vec<Vec<Cell>>,
}

#[derive(Serialize)]
struct PrintPage {
    hub: HubView,
    cycle: CycleView,
    name: String,
    /// The columns after `order` and `customer`.
    columns: Vec<Cell>,
    blocks: Vec<Block>,
    /// Which part of the cycle's orders this sheet holds.
    pager: Option<Pager>,
}

/// `GET /hub/{slug}/cycles/{id}/reports/{name}/print[?page=]`: the packing list by customer
/// or the delivery list as a sheet to print, one block (and page) per order, [`PRINT_PAGE`]
/// orders a sheet; 404 for the others.
pub async fn print(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String, String)>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id, name) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, read_reports).await?;
    if !PRINTABLE.contains(&name.as_str()) {
        return Err(WebError::NotFound(format!("no printed sheet of `{name}`")));
    }
    let cycle = CycleView::of(&hub, &row);
    let base = format!("{}/reports/{name}/print", cycle.base);
    let link = move |n: u32| format!("{base}?page={n}");
    let asked = (query.number(), PRINT_PAGE);
    let (report, pager) = page_of(&state, row, name, asked, link).await?;
    // both reports start with the order's number and the customer's name
    let rest = report.columns.get(2..).unwrap_or(&[]).to_vec();
    let mut blocks: Vec<Block> = Vec::new();
    for values in &report.rows {
        let (order, customer) = (
            values.first().cloned().unwrap_or_default(),
            values.get(1).cloned().unwrap_or_default(),
        );
        let cells = cells(&rest, values.get(2..).unwrap_or(&[]));
        match blocks.last_mut() {
            Some(block) if block.order == order => block.rows.push(cells),
            _ => blocks.push(Block {
                order,
                customer,
                rows: vec![cells],
            }),
        }
    }
    let columns = rest
        .iter()
        .map(|c| Cell {
            text: c.clone(),
            numeric: NUMERIC.contains(&c.as_str()),
        })
        .collect();
    render_status(
        &pages,
        &visitor,
        "hub_report_print.html",
        PrintPage {
            hub,
            cycle,
            name: report.report,
            columns,
            blocks,
            pager,
        },
        StatusCode::OK,
    )
}

/// One producer's payment in one currency, as the close page shows it.
#[derive(Serialize)]
struct Payment {
    producer: String,
    currency: String,
    goods: Money,
    fees: Money,
    paid: Money,
    entry_id: Option<String>,
}

/// What the settlement would do (before) or did (after).
#[derive(Serialize)]
struct Outcome {
    payments: Vec<Payment>,
    orders: usize,
    lost_holds: usize,
    vat: Vec<Money>,
    kept: Vec<Money>,
}

#[derive(Serialize)]
struct ClosePage {
    hub: HubView,
    cycle: CycleView,
    closed: bool,
    settled: bool,
    /// Whether the cycle has opened (an upcoming one cannot close).
    opened: bool,
    /// Whether the reader may choose when the cycle settles (owners and managers).
    may_plan: bool,
    preview: Option<Outcome>,
    /// Why the preview could not be worked out, in the domain's words.
    preview_error: Option<String>,
    summary: Option<Outcome>,
    notice: Option<String>,
    errors: serde_json::Value,
    values: serde_json::Value,
}

fn payments(
    conn: &mut crate::db::DbConn,
    views: Vec<SettlementView>,
) -> Result<Vec<Payment>, WebError> {
    let mut names: std::collections::HashMap<String, String> = Default::default();
    let mut out = Vec::with_capacity(views.len());
    // a currency a producer had nothing in (its goods all paid in another) is not shown
    for v in views
        .into_iter()
        .filter(|v| v.paid.minor != 0 || v.goods.minor != 0 || v.fees.minor != 0)
    {
        let producer = match names.get(&v.producer_id) {
            Some(name) => name.clone(),
            None => {
                let name = enterprises::get_row(conn, &v.producer_id)?.name;
                names.insert(v.producer_id.clone(), name.clone());
                name
            }
        };
        out.push(Payment {
            producer,
            currency: v.currency,
            goods: v.goods,
            fees: v.fees,
            paid: v.paid,
            entry_id: v.entry_id,
        });
    }
    Ok(out)
}

/// The notices of this module's redirects (`?notice=`), and their words' keys.
const NOTICES: &[(&str, &str)] = &[
    ("closed", "hub-close-notice-closed"),
    ("settled", "hub-close-notice-settled"),
    ("failed", "hub-close-notice-failed"),
    ("under-way", "hub-close-notice-under-way"),
];

/// What the close form shows besides the cycle: a notice, or errors with the values sent.
struct Shown {
    notice: Option<String>,
    errors: Vec<FieldError>,
    values: serde_json::Value,
}

impl Shown {
    fn refused(errors: Vec<FieldError>, form: &Form) -> Shown {
        Shown {
            notice: None,
            errors,
            values: form.values(),
        }
    }
}

/// The preview, or why it could not be worked out, or the summary once settled.
#[derive(Default)]
struct Figures {
    preview: Option<Outcome>,
    preview_error: Option<String>,
    summary: Option<Outcome>,
}

/// The close page of `row` with `shown` (422 when it has errors).
async fn show_close(
    state: &AppState,
    pages: &Pages,
    visitor: &Visitor,
    (hub, row): (HubView, OrderCycleRow),
    shown: Shown,
) -> Result<HttpResponse, WebError> {
    let Shown {
        notice,
        errors,
        values,
    } = shown;
    let reader = visitor.require()?;
    let may_plan = authorize(&reader.actor, Action::ManageHubOrders { hub_id: &hub.id }).is_ok();
    let cycle = CycleView::of(&hub, &row);
    let (closed, settled) = (row.closed_at.is_some(), row.settled_at.is_some());
    let opened = row.opens_at <= crate::time::now() || closed;
    let Figures {
        preview,
        preview_error,
        summary,
    } = state
        .db
        .run(move |conn| -> Result<Figures, WebError> {
            if row.settled_at.is_some() {
                let report = close::summary(conn, &row)?;
                let payments = payments(conn, report.settlements)?;
                let summary = Outcome {
                    payments,
                    orders: 0,
                    lost_holds: 0,
                    vat: Vec::new(),
                    kept: Vec::new(),
                };
                return Ok(Figures {
                    summary: Some(summary),
                    ..Figures::default()
                });
            }
            match close::preview(conn, &row) {
                Ok(p) => {
                    let preview = Outcome {
                        payments: payments(conn, p.settlements)?,
                        orders: p.orders,
                        lost_holds: p.lost_holds,
                        vat: p.vat,
                        kept: p.kept,
                    };
                    Ok(Figures {
                        preview: Some(preview),
                        ..Figures::default()
                    })
                }
                Err(OrderError::Auth(e)) => Err(e.into()),
                Err(e) => Ok(Figures {
                    preview_error: Some(e.to_string()),
                    ..Figures::default()
                }),
            }
        })
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let errors = field_errors_of(pages, visitor, "hub-close", &errors);
    render_status(
        pages,
        visitor,
        "hub_close.html",
        ClosePage {
            hub,
            cycle,
            closed,
            settled,
            opened,
            may_plan,
            preview,
            preview_error,
            summary,
            notice,
            errors,
            values,
        },
        status,
    )
}

/// `GET /hub/{slug}/cycles/{id}/close`: the cycle's state, the preview or the summary of
/// its settlement, and the forms to close and settle it.
pub async fn close_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, close_cycle).await?;
    let text = pages.notice(
        super::i18n::page_locale(visitor.locale),
        query.notice.as_deref(),
        NOTICES,
    );
    let shown = Shown {
        notice: text,
        errors: Vec::new(),
        // a day after the close, for a hub that weighs first
        values: serde_json::json!({
            "settle": "now",
            "settles_at": super::hub::local_input(
                row.closes_at.max(crate::time::now()) + chrono::Duration::days(1),
                &row.time_zone,
            ),
        }),
    };
    show_close(&state, &pages, &visitor, (hub, row), shown).await
}

/// `POST /hub/{slug}/cycles/{id}/close`: ordering stops ([`close::close`]). A cycle without
/// a settlement time settles at once (`settle=now`), or is first given one (`settle=later`
/// and `settles_at`, in the hub's time: [`planning::set_settlement`]) so the hub can weigh
/// and record payments before it settles.
pub async fn close_now(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, close_cycle).await?;
    let later = form.get("settle") == "later" && row.settles_at.is_none();
    let mut settles_at = None;
    if later {
        authorize(&reader.actor, Action::ManageHubOrders { hub_id: &hub.id })?;
        match super::hub::local_time(form.get("settles_at"), &row.time_zone) {
            Some(t) => settles_at = Some(t),
            None => {
                let errors = vec![FieldError::new(
                    "settles_at",
                    "invalid",
                    "enter a date and time",
                )];
                let shown = Shown::refused(errors, &form);
                return show_close(&state, &pages, &visitor, (hub, row), shown).await;
            }
        }
    }
    let cycle_id = row.id.clone();
    let outcome = bounded(&state, move |conn| {
        if let Some(t) = settles_at {
            planning::set_settlement(conn, &cycle_id, Some(t))?;
        }
        close::close(conn, &CycleId::from(&cycle_id), &mut |_| {})
    })
    .await;
    let base = format!("{}/cycles/{}/close", hub.base, row.id);
    let Some(outcome) = outcome else {
        return Ok(redirect(&format!("{base}?notice=under-way")));
    };
    match outcome {
        Ok(report) if report.state == crate::orders::cycles::CycleState::Settled => {
            Ok(redirect(&format!("{base}?notice=settled")))
        }
        Ok(_) => Ok(redirect(&format!("{base}?notice=closed"))),
        Err(OrderError::Invalid(invalid)) => {
            let shown = Shown::refused(invalid.0, &form);
            show_close(&state, &pages, &visitor, (hub, row), shown).await
        }
        Err(e) => failed(e, &base),
    }
}

/// A settlement that failed is kept on the cycle (`close_error`), which the close page
/// shows: back there with a notice. Refusals and missing things keep their own pages.
fn failed(e: OrderError, base: &str) -> Result<HttpResponse, WebError> {
    use crate::orders::OrderError as E;
    match e {
        E::Auth(_) | E::NotFound(_) | E::CycleNotOpen(_) | E::Invalid(_) | E::Unavailable(_) => {
            Err(e.into())
        }
        other => {
            tracing::warn!(error = %other, "settling from the hub's office failed");
            Ok(redirect(&format!("{base}?notice=failed")))
        }
    }
}

#[derive(Serialize)]
struct SettlePage {
    hub: HubView,
    cycle: CycleView,
    settled: bool,
}

/// `GET /hub/{slug}/cycles/{id}/settle`: what settling does, and the button that does it.
pub async fn settle_page(
    state: web::Data<AppState>,
    pages: web::Data<Pages>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, close_cycle).await?;
    let cycle = CycleView::of(&hub, &row);
    let settled = row.settled_at.is_some();
    render_status(
        &pages,
        &visitor,
        "hub_settle.html",
        SettlePage {
            hub,
            cycle,
            settled,
        },
        StatusCode::OK,
    )
}

/// `POST /hub/{slug}/cycles/{id}/settle`: [`close::settle`] (closing first if open), then
/// the close page with what was paid.
pub async fn settle_now(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    _form: Form,
) -> Result<HttpResponse, WebError> {
    let reader = visitor.require()?;
    let (slug, id) = path.into_inner();
    let (hub, row) = super::hub::cycle(&state, reader, slug, id, close_cycle).await?;
    let cycle_id = row.id.clone();
    let outcome = bounded(&state, move |conn| {
        close::settle(conn, &CycleId::from(&cycle_id), &mut |_| {})
    })
    .await;
    let base = format!("{}/cycles/{}/close", hub.base, row.id);
    let Some(outcome) = outcome else {
        return Ok(redirect(&format!("{base}?notice=under-way")));
    };
    match outcome {
        Ok(_) => Ok(redirect(&format!("{base}?notice=settled"))),
        Err(e) => failed(e, &base),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settlement_time_is_read_in_the_hubs_zone() {
        let t = crate::web::hub::local_time("2026-12-10T18:00", "Europe/Paris").expect("a time");
        assert_eq!(t.to_rfc3339(), "2026-12-10T17:00:00+00:00");
        assert!(crate::web::hub::local_time("10/12/2026", "Europe/Paris").is_none());
        assert!(crate::web::hub::local_time("", "Europe/Paris").is_none());
    }

    /// The keys the templates make at render time: each report's name and what it is for,
    /// each column of each report, the policies, the notices.
    #[test]
    fn the_keys_made_at_render_time_are_in_both_catalogues() {
        use crate::web::i18n::{Catalogue, PAGE_LOCALES};
        let catalogue = Catalogue::built_in().expect("catalogues");
        // every column of every report, as the reports name them
        let columns: Vec<&str> = reports::NAMES
            .iter()
            .flat_map(|name| reports::columns(name).iter().copied())
            .collect();
        assert_eq!(columns.len(), 57, "the seven reports' columns");
        let mut keys: Vec<String> = Vec::new();
        for name in reports::NAMES {
            let key = format!("hub-report-{}", name.replace('_', "-"));
            keys.push(format!("{key}-about"));
            keys.push(key);
        }
        for column in columns.iter().chain(NUMERIC) {
            keys.push(format!("hub-report-col-{}", column.replace('_', "-")));
        }
        for key in [
            "hub-close-policy-as-paid",
            "hub-close-policy-euros",
            "hub-close-notice-closed",
            "hub-close-notice-settled",
            "hub-close-notice-failed",
            "hub-close-notice-under-way",
            "hub-close-error-settles-at-invalid",
        ] {
            keys.push(key.into());
        }
        for key in keys {
            for locale in PAGE_LOCALES {
                assert!(catalogue.has(locale, &key), "{key} in {}", locale.as_str());
            }
        }
    }

    #[test]
    fn every_report_is_listed() {
        assert_eq!(reports::NAMES.len(), 7);
        for name in PRINTABLE {
            assert!(reports::NAMES.contains(name));
        }
    }
}
