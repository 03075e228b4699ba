//! CSV import and export of a producer's catalogue.
//!
//! **Columns** (header line required, any order, names case-insensitive):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `sku` | yes | the variant's SKU: rows update the variant with this SKU, or create it |
//! | `product` | yes | product name: variants of one product share it (created when new) |
//! | `category` | yes | category slug (`legumes`, `fruits`…) |
//! | `description` | no | product description (absent: kept; empty: cleared) |
//! | `variant` | yes | the variant's display name (`1 kg`, `Botte`) |
//! | `unit_kind` | yes | `weight` (grams), `volume` (millilitres) or `items` |
//! | `unit_value` | yes | whole number of grams, millilitres or items |
//! | `unit_name` | no | for items: `bunch`, `eggs`… |
//! | `price` | yes | tax-inclusive euros, `2.80` or `2,80` (`price_eur` is accepted too) |
//! | `vat_rate` | yes | percent, one of the configured rates: `5.5`, `5,5`, `20 %` |
//! | `local_share_percent` | no | 0–100, default 100 |
//! | `stock` | yes | whole number, or `on_demand` (an empty cell is refused: it must not mean unlimited) |
//! | `active` | no | `yes`/`no` (`true`/`false`, `1`/`0`, `oui`/`non`); absent: kept, new variants active |
//!
//! **Files**: UTF-8 with or without a byte-order mark; `,` or `;` as separator (whichever the
//! header line uses most — French spreadsheets write `;`).
//!
//! **All or nothing**: every row is checked; the report lists each bad value with its line (the
//! header is line 1), column and reason, and nothing is written when any row is bad. With
//! `partial`, the good rows are written and the bad ones reported. With `dry_run`, nothing is
//! ever written. A SKU may appear on one line only.
//!
//! **Streaming**: rows are read, checked and written one at a time inside one transaction
//! (rolled back at the end when the import must not be kept), so memory stays constant
//! whatever the file size; at most [`MAX_REPORTED_ERRORS`] errors are listed (all are
//! counted). A SKU seen twice is recognised from the database (the variant was already
//! written by this import), not from a set in memory.

use std::io::{BufRead, BufReader, Read, Write};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::products::{
    overwrite_variant, product_named, require_producer, variant_by_sku, variant_row,
};
use super::rules::{check_name, field, CatalogRules, Stock, VariantFields};
use super::{categories, vat_percent, ProductRow, VariantRow};
use crate::catalog::CatalogError;
use crate::db::schema::{products, variants};
use crate::db::DbConn;
use crate::error::FieldError;

/// Errors listed in a report at most (all of them are counted).
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// The export's columns, in order (the import reads them back).
pub const COLUMNS: [&str; 13] = [
    "sku",
    "product",
    "category",
    "description",
    "variant",
    "unit_kind",
    "unit_value",
    "unit_name",
    "price",
    "vat_rate",
    "local_share_percent",
    "stock",
    "active",
];

const REQUIRED: [&str; 9] = [
    "sku",
    "product",
    "category",
    "variant",
    "unit_kind",
    "unit_value",
    "price",
    "vat_rate",
    "stock",
];

/// How an import runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Write the good rows even when some are bad.
    pub partial: bool,
    /// Check everything, write nothing.
    pub dry_run: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Data rows read (the header excluded).
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    /// Rows refused (a row with several bad values counts once).
    pub rejected: u64,
    /// Whether the changes were kept.
    pub written: bool,
    /// Each bad value: `line` (the header is line 1), `field` (the column), `code`, `message`.
    pub errors: Vec<FieldError>,
    /// More errors than listed were found.
    pub errors_truncated: bool,
}

/// Progress of a running import, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub rows: u64,
    pub bytes: u64,
}

struct Counting<R> {
    inner: R,
    bytes: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

/// Why an import transaction ends without committing, or fails.
enum Stop {
    /// Roll back and return this report (bad rows without `partial`, or a dry run).
    Discard(ImportReport),
    Fail(CatalogError),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Stop {
        Stop::Fail(e.into())
    }
}

impl From<CatalogError> for Stop {
    fn from(e: CatalogError) -> Stop {
        Stop::Fail(e)
    }
}

/// The column layout of a file, from its header line.
struct Columns {
    index: Vec<Option<usize>>,
}

impl Columns {
    fn parse(header: &csv::ByteRecord) -> Result<Columns, Vec<FieldError>> {
        let mut index: Vec<Option<usize>> = vec![None; COLUMNS.len()];
        let mut errors = Vec::new();
        for (i, raw) in header.iter().enumerate() {
            let name = String::from_utf8_lossy(raw).trim().to_ascii_lowercase();
            let name = if name == "price_eur" {
                "price".to_string()
            } else {
                name
            };
            if name.is_empty() {
                continue; // a trailing separator: spreadsheets write them
            }
            match COLUMNS.iter().position(|c| *c == name) {
                Some(p) if index[p].is_some() => errors.push(FieldError::at_line(
                    1,
                    &name,
                    "duplicate_column",
                    "this column appears twice",
                )),
                Some(p) => index[p] = Some(i),
                None => errors.push(FieldError::at_line(
                    1,
                    &name,
                    "unknown_column",
                    format!("unknown column; the columns are: {}", COLUMNS.join(", ")),
                )),
            }
        }
        for required in REQUIRED {
            let p = COLUMNS.iter().position(|c| *c == required).unwrap_or(0);
            if index[p].is_none() {
                errors.push(FieldError::at_line(
                    1,
                    required,
                    "missing_column",
                    "this column is required",
                ));
            }
        }
        if errors.is_empty() {
            Ok(Columns { index })
        } else {
            Err(errors)
        }
    }

    fn get<'r>(&self, record: &'r csv::ByteRecord, column: &str) -> Option<&'r [u8]> {
        let p = COLUMNS.iter().position(|c| *c == column)?;
        self.index[p].map(|i| record.get(i).unwrap_or(b""))
    }
}

/// One checked row.
struct Row {
    sku: String,
    product: String,
    category: String,
    description: Option<String>,
    draft: super::rules::VariantDraft,
    active: Option<bool>,
}

/// The CSV column a rule's field comes from.
fn column_of(f: &str) -> &'static str {
    match f {
        field::SKU => "sku",
        field::DISPLAY_NAME => "variant",
        field::UNIT_KIND => "unit_kind",
        field::UNIT_VALUE => "unit_value",
        field::UNIT_NAME => "unit_name",
        field::PRICE => "price",
        field::VAT_RATE => "vat_rate",
        field::LOCAL_SHARE => "local_share_percent",
        _ => "stock",
    }
}

fn parse_row(
    columns: &Columns,
    record: &csv::ByteRecord,
    line: u64,
    rules: &CatalogRules,
    categories: &[String],
    errors: &mut Vec<FieldError>,
) -> Option<Row> {
    let before = errors.len();
    let mut text = |column: &'static str| -> Option<String> {
        let raw = columns.get(record, column)?;
        match std::str::from_utf8(raw) {
            Ok(s) if s.contains('\0') => {
                errors.push(FieldError::at_line(
                    line,
                    column,
                    "unstorable_character",
                    "contains a NUL character, which cannot be stored",
                ));
                None
            }
            Ok(s) => Some(s.trim().to_string()),
            Err(_) => {
                errors.push(FieldError::at_line(
                    line,
                    column,
                    "not_utf8",
                    "is not UTF-8 text: save the file as CSV UTF-8",
                ));
                None
            }
        }
    };
    let sku = text("sku");
    let product = text("product");
    let category = text("category");
    let description = text("description");
    let variant = text("variant");
    let unit_kind = text("unit_kind");
    let unit_value = text("unit_value");
    let unit_name = text("unit_name");
    let price = text("price");
    let vat_rate = text("vat_rate");
    let share = text("local_share_percent");
    let stock = text("stock");
    let active = text("active");
    let mut fail = |column: &str, code: &str, message: String| {
        errors.push(FieldError::at_line(line, column, code, message));
    };
    let whole = |s: &str| s.parse::<i64>().ok();
    let unit_value = match unit_value.as_deref() {
        Some("") | None => None,
        Some(v) => whole(v).or_else(|| {
            fail(
                "unit_value",
                "not_a_whole_number",
                format!("`{v}` is not a whole number"),
            );
            Some(0)
        }),
    };
    let share = match share.as_deref() {
        Some("") | None => None,
        Some(v) => whole(v.trim_end_matches('%').trim()).or_else(|| {
            fail(
                "local_share_percent",
                "not_a_whole_number",
                format!("`{v}` is not a whole percent"),
            );
            Some(0)
        }),
    };
    let stock = match stock.as_deref() {
        None => None,
        Some("on_demand") | Some("on demand") => Some(Stock::OnDemand),
        // an emptied cell must not silently mean "unlimited"
        Some("") => None,
        Some(v) => match whole(v) {
            Some(n) => Some(Stock::OnHand(n)),
            None => {
                fail(
                    "stock",
                    "not_a_whole_number",
                    format!("`{v}` is neither a whole number nor on_demand"),
                );
                Some(Stock::OnHand(0))
            }
        },
    };
    let active = match active.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("") => None,
        Some("yes" | "true" | "1" | "oui") => Some(true),
        Some("no" | "false" | "0" | "non") => Some(false),
        Some(v) => {
            fail(
                "active",
                "invalid_choice",
                format!("`{v}` is not yes or no"),
            );
            None
        }
    };
    let product = match product.as_deref().map(check_name) {
        Some(Ok(p)) => Some(p),
        Some(Err((code, msg))) => {
            fail("product", code, msg);
            None
        }
        None => None,
    };
    let category = match category {
        Some(c) if categories.contains(&c) => Some(c),
        Some(c) if c.is_empty() => {
            fail("category", "required", "is required".into());
            None
        }
        Some(c) => {
            fail(
                "category",
                "unknown_category",
                format!("`{c}` is not a category"),
            );
            None
        }
        None => None,
    };
    let empty_none = |s: Option<String>| s.filter(|s| !s.is_empty());
    let fields = VariantFields {
        sku: empty_none(sku),
        display_name: empty_none(variant),
        unit_kind: empty_none(unit_kind),
        unit_value,
        unit_name,
        price: empty_none(price),
        vat_rate: empty_none(vat_rate),
        local_share_percent: share,
        stock,
    };
    let draft = fields.check(rules, &mut |f, code, msg| {
        // a value already refused above (not a number) is not reported twice
        let column = column_of(f);
        if !errors[before..].iter().any(|e| e.field == column) {
            errors.push(FieldError::at_line(line, column, code, msg));
        }
    });
    if errors.len() > before {
        return None;
    }
    Some(Row {
        sku: draft.as_ref()?.sku.clone(),
        product: product?,
        category: category?,
        description,
        draft: draft?,
        active,
    })
}

/// Separator of a file: `;` when its first line holds more of them than of `,`.
fn separator(first_bytes: &[u8]) -> u8 {
    let line = first_bytes.split(|b| *b == b'\n').next().unwrap_or(b"");
    let count = |c: u8| line.iter().filter(|b| **b == c).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

/// Imports a producer's catalogue from `input` (see the module documentation).
pub fn import(
    conn: &mut DbConn,
    rules: &CatalogRules,
    producer_id: &str,
    input: impl Read,
    options: ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, CatalogError> {
    require_producer(conn, producer_id)?;
    let category_slugs: Vec<String> = categories::list(conn)?
        .into_iter()
        .map(|c| c.slug)
        .collect();
    let bytes = std::rc::Rc::new(std::cell::Cell::new(0));
    let mut buffered = BufReader::with_capacity(
        64 * 1024,
        Counting {
            inner: input,
            bytes: bytes.clone(),
        },
    );
    let head = buffered
        .fill_buf()
        .map_err(|e| CatalogError::field("file", "unreadable", e.to_string()))?;
    let bom = head.starts_with(b"\xEF\xBB\xBF");
    let sep = separator(if bom { &head[3..] } else { head });
    if bom {
        buffered.consume(3);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sep)
        .flexible(true)
        .has_headers(true)
        .from_reader(buffered);
    let header = reader
        .byte_headers()
        .map_err(|e| CatalogError::field("file", "unreadable", e.to_string()))?
        .clone();
    if header.iter().all(|h| h.is_empty()) {
        return Err(CatalogError::invalid(vec![FieldError::at_line(
            1,
            "file",
            "empty",
            "the file is empty: it needs a header line",
        )]));
    }
    let columns = Columns::parse(&header).map_err(CatalogError::invalid)?;
    let now = crate::time::now();
    let outcome = conn.transaction(|conn| {
        let mut report = ImportReport::default();
        let mut record = csv::ByteRecord::new();
        let mut row_errors = Vec::new();
        let mut last_product: Option<ProductRow> = None;
        loop {
            let line = reader.position().line();
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    return Err(Stop::Fail(CatalogError::invalid(vec![
                        FieldError::at_line(
                            line,
                            "file",
                            "malformed_csv",
                            format!("the file cannot be read as CSV here: {e}"),
                        ),
                    ])))
                }
            }
            // the position is where the record starts; blank lines are skipped by the reader
            let line = record.position().map(|p| p.line()).unwrap_or(line);
            if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            report.rows += 1;
            row_errors.clear();
            let parsed = parse_row(
                &columns,
                &record,
                line,
                rules,
                &category_slugs,
                &mut row_errors,
            );
            let parsed = match parsed {
                Some(row) => apply_row(
                    conn,
                    producer_id,
                    &row,
                    line,
                    now,
                    &mut row_errors,
                    &mut last_product,
                )?,
                None => None,
            };
            match parsed {
                Some(true) => report.created += 1,
                Some(false) => report.updated += 1,
                None => {
                    report.rejected += 1;
                    for e in row_errors.drain(..) {
                        if report.errors.len() < MAX_REPORTED_ERRORS {
                            report.errors.push(e);
                        } else {
                            report.errors_truncated = true;
                        }
                    }
                }
            }
            if report.rows % 1000 == 0 {
                progress(Progress {
                    rows: report.rows,
                    bytes: bytes.get(),
                });
            }
        }
        progress(Progress {
            rows: report.rows,
            bytes: bytes.get(),
        });
        if options.dry_run || (report.rejected > 0 && !options.partial) {
            return Err(Stop::Discard(report));
        }
        report.written = true;
        Ok(report)
    });
    match outcome {
        Ok(report) | Err(Stop::Discard(report)) => Ok(report),
        Err(Stop::Fail(e)) => Err(e),
    }
}

/// Writes one checked row; `Some(true)` created, `Some(false)` updated, `None` refused (with
/// the reason in `errors`).
fn apply_row(
    conn: &mut DbConn,
    producer_id: &str,
    row: &Row,
    line: u64,
    now: NaiveDateTime,
    errors: &mut Vec<FieldError>,
    last_product: &mut Option<ProductRow>,
) -> Result<Option<bool>, Stop> {
    let existing = variant_by_sku(conn, producer_id, &row.sku)?;
    if existing.as_ref().is_some_and(|v| v.updated_at == now) {
        errors.push(FieldError::at_line(
            line,
            "sku",
            "duplicate",
            "this SKU already appears on an earlier line",
        ));
        return Ok(None);
    }
    // rows of one product are usually adjacent: the previous row's product saves a query
    let known = match last_product.take() {
        Some(p) if p.name == row.product => Some(p),
        _ => product_named(conn, producer_id, &row.product)?,
    };
    let product = match known {
        Some(mut p) => {
            let description = row
                .description
                .clone()
                .unwrap_or_else(|| p.description.clone());
            if p.category_slug != row.category || p.description != description {
                p.category_slug = row.category.clone();
                p.description = description;
                p.updated_at = now;
                diesel::update(products::table.find(&p.id))
                    .set((
                        products::category_slug.eq(&p.category_slug),
                        products::description.eq(&p.description),
                        products::updated_at.eq(now),
                    ))
                    .execute(conn.diesel())?;
            }
            p
        }
        None => {
            let p = ProductRow {
                id: crate::time::new_id(),
                producer_id: producer_id.to_string(),
                name: row.product.clone(),
                description: row.description.clone().unwrap_or_default(),
                category_slug: row.category.clone(),
                created_at: now,
                updated_at: now,
            };
            diesel::insert_into(products::table)
                .values(&p)
                .execute(conn.diesel())?;
            p
        }
    };
    let created = match existing {
        Some(v) => {
            let archived_at = match row.active {
                Some(true) => None,
                Some(false) => v.archived_at.or(Some(now)),
                None => v.archived_at,
            };
            overwrite_variant(conn, &v, &product, &row.draft, archived_at, now)?;
            false
        }
        None => {
            let mut v: VariantRow = variant_row(&product, &row.draft, now);
            if row.active == Some(false) {
                v.archived_at = Some(now);
            }
            diesel::insert_into(variants::table)
                .values(&v)
                .execute(conn.diesel())?;
            true
        }
    };
    *last_product = Some(product);
    Ok(Some(created))
}

/// Writes a producer's whole catalogue (archived variants too, `active = no`) as CSV, in
/// product then variant name order, reading the database a page at a time.
pub fn export(
    conn: &mut DbConn,
    producer_id: &str,
    out: &mut dyn Write,
) -> Result<u64, CatalogError> {
    require_producer(conn, producer_id)?;
    // one snapshot: a product renamed meanwhile cannot move across the paging cursor
    conn.read_snapshot(|conn| export_pages(conn, producer_id, out))
}

fn export_pages(
    conn: &mut DbConn,
    producer_id: &str,
    out: &mut dyn Write,
) -> Result<u64, CatalogError> {
    let mut writer = csv::Writer::from_writer(out);
    let io = |e: csv::Error| CatalogError::internal(format!("writing the export: {e}"));
    writer.write_record(COLUMNS).map_err(io)?;
    let mut after: Option<(String, String)> = None;
    let mut written = 0;
    loop {
        let page: Vec<(VariantRow, (String, String, String))> = {
            let conn = conn.diesel();
            let mut q = variants::table
                .inner_join(products::table)
                .filter(variants::producer_id.eq(producer_id))
                .select((
                    VariantRow::as_select(),
                    (
                        products::name,
                        products::category_slug,
                        products::description,
                    ),
                ))
                .order((variants::name_key.asc(), variants::id.asc()))
                .limit(500)
                .into_boxed();
            if let Some((key, id)) = &after {
                q = q.filter(variants::name_key.ge(key.clone())).filter(
                    variants::name_key
                        .gt(key.clone())
                        .or(variants::id.gt(id.clone())),
                );
            }
            q.load(conn)
        }?;
        let Some((last, _)) = page.last() else { break };
        after = Some((last.name_key.clone(), last.id.clone()));
        for (v, (product, category, description)) in &page {
            let stock = match (v.on_demand, v.stock_on_hand) {
                (false, Some(n)) => n.to_string(),
                _ => "on_demand".to_string(),
            };
            writer
                .write_record([
                    v.sku.as_str(),
                    product,
                    category,
                    description,
                    &v.display_name,
                    &v.unit_kind,
                    &v.unit_value.to_string(),
                    v.unit_name.as_deref().unwrap_or(""),
                    &crate::deployment::legal_text(v.price_eur_minor),
                    &vat_percent(v.vat_rate_bp),
                    &v.local_share_percent.to_string(),
                    &stock,
                    if v.archived_at.is_none() { "yes" } else { "no" },
                ])
                .map_err(io)?;
            written += 1;
        }
    }
    writer
        .flush()
        .map_err(|e| CatalogError::internal(format!("writing the export: {e}")))?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_is_read_from_the_header() {
        assert_eq!(separator(b"sku;product;price\n1;a,b;2"), b';');
        assert_eq!(separator(b"sku,product,price\n"), b',');
    }
}
