//! The reports of a cycle, for the hub's team, as JSON or CSV: the same table either way.
//!
//! | name | one row per |
//! |---|---|
//! | `supplier_totals` | producer and product: what each producer delivers |
//! | `packing_by_customer` | order and line: what goes in each customer's box |
//! | `delivery_list` | order: who collects or receives what, where, when, what is due; a delivered order's address (its `address` in one line, then each field: `delivery_name`, `delivery_line1`, `delivery_line2`, `delivery_postcode`, `delivery_city`, `delivery_country`, `delivery_phone`, `delivery_note`) |
//! | `customer_totals` | order: items, fees, delivery, VAT, local and euro parts |
//! | `pay_your_suppliers` | producer: goods sold, producer fees, owed — and paid, once settled |
//! | `enterprise_fee_summary` | fee: orders charged, amount, VAT |
//! | `sales_tax` | VAT rate and kind (goods, fees): base, VAT, total |
//!
//! Confirmed and fulfilled orders count; carts and cancelled orders do not. Amounts are
//! decimal strings in euros (the euro value for local-currency parts), tax included unless
//! the column says otherwise. Quantities are what was delivered when the hub adjusted a
//! weighed item. Rows are sorted by names and numbers, the same on every backend.
//!
//! The database does the work a cycle's size makes heavy: the summed reports (producers,
//! fees, rates) are `GROUP BY` queries, whatever the number of orders; a per-order report is
//! read [`CHUNK`] orders at a time — a page of its table ([`page`]) reads only its own orders,
//! the whole report ([`build`]: the API, the CSV) chunk after chunk.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

use super::cycles::OrderCycleRow;
use super::order::{LineRow, OrderRow};
use super::shipping::{self, ShippingMethodRow};
use crate::catalog::vat_percent;
use crate::db::schema::{
    currencies, enterprise_relationships, enterprises, order_cycles, order_lines, orders,
    producer_settlements, users,
};
use crate::db::DbConn;
use crate::deployment::legal_text;
use crate::mail::outbox;
use crate::orders::OrderError;

/// The reports there are, by name.
pub const NAMES: &[&str] = &[
    "supplier_totals",
    "packing_by_customer",
    "delivery_list",
    "customer_totals",
    "pay_your_suppliers",
    "enterprise_fee_summary",
    "sales_tax",
];

/// A report: named columns and rows of text cells.
#[derive(Debug, Clone)]
pub struct Report {
    pub report: String,
    pub order_cycle_id: String,
    pub columns: Vec<String>,
    /// Each row has one cell per column, in the columns' order.
    pub rows: Vec<Vec<String>>,
}

impl Report {
    fn new(name: &str, cycle_id: &str, columns: &[&str]) -> Report {
        Report {
            report: name.into(),
            order_cycle_id: cycle_id.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// The report as CSV: a header line, then the rows.
    pub fn to_csv(&self) -> Result<Vec<u8>, OrderError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let fail = |e: csv::Error| OrderError::internal(format!("writing CSV: {e}"));
        writer.write_record(&self.columns).map_err(fail)?;
        for row in &self.rows {
            writer.write_record(row).map_err(fail)?;
        }
        writer
            .into_inner()
            .map_err(|e| OrderError::internal(format!("writing CSV: {e}")))
    }
}

fn quantity(line: &LineRow) -> String {
    match line.delivered_milli {
        Some(m) => rust_decimal::Decimal::new(m, 3).normalize().to_string(),
        None => line.quantity.to_string(),
    }
}

/// The orders a per-order report shows at once: a page of a report's table reads this many
/// and a whole report is built this many at a time (each chunk's lines, fees, addresses and
/// customers are read by the chunk's order ids: a bounded list, whatever the cycle's size).
pub const CHUNK: i64 = 500;

/// The reports with one row (or block of rows) per order; the others sum the cycle in SQL.
pub const PER_ORDER: &[&str] = &["packing_by_customer", "delivery_list", "customer_totals"];

/// The states of the orders the reports count.
const COUNTED: [&str; 2] = ["confirmed", "fulfilled"];

/// Some of a cycle's counted orders (in their numbers' order) with what the per-order reports
/// read of them: their lines and fees, and the names they mention.
struct Data {
    orders: Vec<OrderRow>,
    lines: HashMap<String, Vec<LineRow>>,
    customers: HashMap<String, (String, String)>,
    producers: HashMap<String, String>,
    methods: Vec<ShippingMethodRow>,
    /// Where delivered orders go, by order id.
    addresses: HashMap<String, super::addresses::DeliveryAddress>,
    /// Decimal places of each currency.
    scales: HashMap<String, i32>,
}

/// How many orders the reports count in `cycle_id` (confirmed and fulfilled).
pub fn counted_orders(conn: &mut DbConn, cycle_id: &str) -> Result<i64, OrderError> {
    Ok(orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::state.eq_any(COUNTED))
        .count()
        .get_result(conn.diesel())?)
}

/// The counted orders of `cycle_id` from the `offset`-th (by number), at most `limit`.
fn counted_rows(
    conn: &mut DbConn,
    cycle_id: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<OrderRow>, OrderError> {
    Ok(orders::table
        .filter(orders::order_cycle_id.eq(cycle_id))
        .filter(orders::state.eq_any(COUNTED))
        .order((orders::number.asc(), orders::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(OrderRow::as_select())
        .load(conn.diesel())?)
}

/// What the per-order reports read of `rows` (at most [`CHUNK`] orders of `cycle`).
fn load(conn: &mut DbConn, cycle: &OrderCycleRow, rows: Vec<OrderRow>) -> Result<Data, OrderError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut customer_ids: Vec<&str> = rows.iter().map(|r| r.customer_id.as_str()).collect();
    customer_ids.sort_unstable();
    customer_ids.dedup();
    let (all_lines, customers, scales) = {
        let conn = conn.diesel();
        let lines: Vec<LineRow> = order_lines::table
            .filter(order_lines::order_id.eq_any(&ids))
            .order((order_lines::order_id.asc(), order_lines::position.asc()))
            .select(LineRow::as_select())
            .load(conn)?;
        let customers: Vec<(String, String, String)> = users::table
            .filter(users::id.eq_any(&customer_ids))
            .select((users::id, users::display_name, users::email))
            .load(conn)?;
        let scales: Vec<(String, i32)> = currencies::table
            .select((currencies::code, currencies::scale))
            .load(conn)?;
        Ok::<_, diesel::result::Error>((lines, customers, scales))
    }?;
    let mut producer_ids: Vec<&str> = all_lines
        .iter()
        .filter_map(|l| l.producer_id.as_deref())
        .collect();
    producer_ids.sort_unstable();
    producer_ids.dedup();
    let producers: Vec<(String, String)> = enterprises::table
        .filter(enterprises::id.eq_any(&producer_ids))
        .select((enterprises::id, enterprises::name))
        .load(conn.diesel())?;
    let addresses = super::addresses::of_orders(conn, &ids)?;
    let mut lines: HashMap<String, Vec<LineRow>> = HashMap::new();
    for line in all_lines {
        lines.entry(line.order_id.clone()).or_default().push(line);
    }
    Ok(Data {
        orders: rows,
        lines,
        customers: customers
            .into_iter()
            .map(|(id, name, email)| (id, (name, email)))
            .collect(),
        producers: producers.into_iter().collect(),
        methods: shipping::for_cycle(conn, &cycle.id)?,
        addresses,
        scales: scales.into_iter().collect(),
    })
}

impl Data {
    fn lines_of(&self, order: &OrderRow) -> &[LineRow] {
        self.lines.get(&order.id).map_or(&[], Vec::as_slice)
    }

    fn customer(&self, order: &OrderRow) -> (String, String) {
        self.customers
            .get(&order.customer_id)
            .cloned()
            .unwrap_or_default()
    }

    fn producer(&self, line: &LineRow) -> String {
        line.producer_id
            .as_ref()
            .and_then(|p| self.producers.get(p))
            .cloned()
            .unwrap_or_default()
    }

    /// `minor` units of `currency`, as a decimal string.
    fn amount(&self, minor: i64, currency: &str) -> String {
        let scale = crate::money::minor_scale(self.scales.get(currency).copied().unwrap_or(2));
        crate::money::format_minor(minor, scale)
    }

    fn method(&self, order: &OrderRow) -> Option<&ShippingMethodRow> {
        self.methods
            .iter()
            .find(|m| Some(&m.id) == order.shipping_method_id.as_ref())
    }
}

fn unknown(name: &str) -> OrderError {
    OrderError::NotFound(format!(
        "no report `{name}`; there are: {}",
        NAMES.join(", ")
    ))
}

/// Builds the whole report `name` of the cycle; 404 for an unknown name. A per-order report
/// is built [`CHUNK`] orders at a time; the others are sums the database works out.
pub fn build(conn: &mut DbConn, cycle: &OrderCycleRow, name: &str) -> Result<Report, OrderError> {
    if !NAMES.contains(&name) {
        return Err(unknown(name));
    }
    if !PER_ORDER.contains(&name) {
        return summed(conn, cycle, name);
    }
    let mut report = empty(name, &cycle.id);
    each_chunk(conn, cycle, |data| add_rows(name, data, &mut report))?;
    Ok(report)
}

/// One page of report `name`: a per-order report's rows of the counted orders from the
/// `offset`-th (by number), at most `limit` of them (at most [`CHUNK`]); any other report
/// whole (a few rows: one per producer, product, fee or rate). 404 for an unknown name.
pub fn page(
    conn: &mut DbConn,
    cycle: &OrderCycleRow,
    name: &str,
    offset: i64,
    limit: i64,
) -> Result<Report, OrderError> {
    if !NAMES.contains(&name) {
        return Err(unknown(name));
    }
    if !PER_ORDER.contains(&name) {
        return summed(conn, cycle, name);
    }
    let rows = counted_rows(conn, &cycle.id, offset.max(0), limit.clamp(1, CHUNK))?;
    let data = load(conn, cycle, rows)?;
    let mut report = empty(name, &cycle.id);
    add_rows(name, &data, &mut report);
    Ok(report)
}

/// The columns of report `name` (of one of [`NAMES`]; none for any other).
pub fn columns(name: &str) -> &'static [&'static str] {
    match name {
        "supplier_totals" => SUPPLIER_TOTALS,
        "packing_by_customer" => PACKING,
        "delivery_list" => DELIVERY,
        "customer_totals" => CUSTOMER_TOTALS,
        "pay_your_suppliers" => PAY_YOUR_SUPPLIERS,
        "enterprise_fee_summary" => FEE_SUMMARY,
        "sales_tax" => SALES_TAX,
        _ => &[],
    }
}

/// Report `name`'s table, without rows yet.
fn empty(name: &str, cycle_id: &str) -> Report {
    Report::new(name, cycle_id, columns(name))
}

/// Adds a per-order report's rows for `data`'s orders.
fn add_rows(name: &str, data: &Data, report: &mut Report) {
    match name {
        "packing_by_customer" => packing_by_customer(data, report),
        "delivery_list" => delivery_list(data, report),
        _ => customer_totals(data, report),
    }
}

/// A report summed by the database (every report but the per-order ones).
fn summed(conn: &mut DbConn, cycle: &OrderCycleRow, name: &str) -> Result<Report, OrderError> {
    let id = cycle.id.as_str();
    Ok(match name {
        "supplier_totals" => supplier_totals(conn, id)?,
        "pay_your_suppliers" => pay_your_suppliers(conn, id)?,
        "enterprise_fee_summary" => enterprise_fee_summary(conn, id)?,
        _ => sales_tax(conn, id)?,
    })
}

const SUPPLIER_TOTALS: &[&str] = &["producer", "product", "unit", "quantity", "total"];

const PAY_YOUR_SUPPLIERS: &[&str] = &["producer", "goods_total", "producer_fees", "owed", "paid"];

const FEE_SUMMARY: &[&str] = &["fee", "fee_type", "charged_to", "orders", "amount", "vat"];

const SALES_TAX: &[&str] = &["kind", "vat_rate", "base", "vat", "total"];

const PACKING: &[&str] = &[
    "order", "customer", "producer", "product", "unit", "quantity",
];

const DELIVERY: &[&str] = &[
    "order",
    "customer",
    "email",
    "method",
    "kind",
    "address",
    "time",
    "items",
    "euro_due",
    "euro_state",
    "delivery_name",
    "delivery_line1",
    "delivery_line2",
    "delivery_postcode",
    "delivery_city",
    "delivery_country",
    "delivery_phone",
    "delivery_note",
];

const CUSTOMER_TOTALS: &[&str] = &[
    "order",
    "customer",
    "items_total",
    "fees_total",
    "shipping_fee",
    "total",
    "vat_total",
    "local_currency",
    "local_amount",
    "local_eur_value",
    "euro_part",
    "euro_state",
];

/// What a producer's lines of one product add up to in a cycle, as the database sums them.
#[derive(Debug, QueryableByName)]
struct ProductSum {
    #[diesel(sql_type = Nullable<Text>)]
    producer_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    producer: Option<String>,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    unit: String,
    /// Thousandths of the unit: delivered when weighed, else ordered.
    #[diesel(sql_type = BigInt)]
    milli: i64,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// The counted orders' lines by producer and product (`$1`: the cycle). `{producer}` is
/// replaced by a filter on one producer (`$2`) or by nothing.
/// (Producers are named after the sums: grouping by their names too costs a third more.)
const PRODUCT_SUMS: &str = "SELECT s.producer_id AS producer_id, e.name AS producer,
        s.name AS name, s.unit AS unit, s.milli AS milli, s.total AS total
    FROM (SELECT l.producer_id AS producer_id, l.name AS name, l.unit AS unit,
            CAST(SUM(COALESCE(l.delivered_milli, l.quantity * 1000)) AS BIGINT) AS milli,
            CAST(SUM(l.total_minor) AS BIGINT) AS total
        FROM order_lines l JOIN orders o ON o.id = l.order_id
        WHERE o.order_cycle_id = $1 AND o.state IN ('confirmed', 'fulfilled'){producer}
        GROUP BY l.producer_id, l.name, l.unit) s
    LEFT JOIN enterprises e ON e.id = s.producer_id";

/// Per producer (name), product and unit: quantity (thousandths) and total.
type ProductSums = BTreeMap<(String, String, String), (i64, i64)>;

/// Quantity delivered (thousandths) and total per producer (name), product and unit — of
/// one producer (id) when `only` is given — summed by the database.
fn by_product(
    conn: &mut DbConn,
    cycle_id: &str,
    only: Option<&str>,
) -> Result<ProductSums, OrderError> {
    let rows: Vec<ProductSum> = match only {
        Some(producer) => {
            diesel::sql_query(PRODUCT_SUMS.replace("{producer}", " AND l.producer_id = $2"))
                .bind::<Text, _>(cycle_id)
                .bind::<Text, _>(producer)
                .load(conn.diesel())?
        }
        None => diesel::sql_query(PRODUCT_SUMS.replace("{producer}", ""))
            .bind::<Text, _>(cycle_id)
            .load(conn.diesel())?,
    };
    let mut sums: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
    // two producers of the same name are one row, as they read
    for row in rows {
        let name = row.producer_id.and(row.producer).unwrap_or_default();
        let entry = sums.entry((name, row.name, row.unit)).or_default();
        entry.0 += row.milli;
        entry.1 += row.total;
    }
    Ok(sums)
}

/// Per producer and product: quantity and total.
fn supplier_totals(conn: &mut DbConn, cycle_id: &str) -> Result<Report, OrderError> {
    let mut report = empty("supplier_totals", cycle_id);
    for ((producer, product, unit), (milli, total)) in by_product(conn, cycle_id, None)? {
        report.rows.push(vec![
            producer,
            product,
            unit,
            rust_decimal::Decimal::new(milli, 3).normalize().to_string(),
            legal_text(total),
        ]);
    }
    Ok(report)
}

fn packing_by_customer(data: &Data, report: &mut Report) {
    for order in &data.orders {
        let (customer, _) = data.customer(order);
        for line in data.lines_of(order) {
            report.rows.push(vec![
                order.number.clone().unwrap_or_default(),
                customer.clone(),
                data.producer(line),
                line.name.clone(),
                line.unit.clone(),
                quantity(line),
            ]);
        }
    }
}

fn delivery_list(data: &Data, report: &mut Report) {
    for order in &data.orders {
        let (customer, email) = data.customer(order);
        let method = data.method(order);
        let delivered = data.addresses.get(&order.id);
        // a pickup's place, or where a delivery goes
        let address = match delivered {
            Some(a) => format!("{}, {} {}", a.lines(), a.postcode(), a.city()),
            None => method.map(|m| m.address.clone()).unwrap_or_default(),
        };
        let field = |f: fn(&super::addresses::DeliveryAddress) -> &str| {
            delivered.map(|a| f(a).to_string()).unwrap_or_default()
        };
        let items: i64 = data.lines_of(order).iter().map(|l| l.quantity).sum();
        let due = if order.euro_state == "due" {
            order.euro_minor
        } else {
            0
        };
        report.rows.push(vec![
            order.number.clone().unwrap_or_default(),
            customer,
            email,
            method.map(|m| m.name.clone()).unwrap_or_default(),
            method.map(|m| m.kind.clone()).unwrap_or_default(),
            address,
            method
                .map(|m| m.at_time.format("%Y-%m-%dT%H:%M:%SZ").to_string())
                .unwrap_or_default(),
            items.to_string(),
            legal_text(due),
            order.euro_state.clone(),
            field(|a| a.name()),
            field(|a| a.line1()),
            field(|a| a.line2().unwrap_or("")),
            field(|a| a.postcode()),
            field(|a| a.city()),
            field(|a| a.country()),
            field(|a| a.phone()),
            field(|a| a.note().unwrap_or("")),
        ]);
    }
}

fn customer_totals(data: &Data, report: &mut Report) {
    for order in &data.orders {
        let (customer, _) = data.customer(order);
        report.rows.push(vec![
            order.number.clone().unwrap_or_default(),
            customer,
            legal_text(order.items_total_minor),
            legal_text(order.fees_total_minor),
            legal_text(order.shipping_fee_minor),
            legal_text(order.total_minor),
            legal_text(order.vat_total_minor),
            order.local_currency.clone().unwrap_or_default(),
            order
                .local_currency
                .as_deref()
                .map_or_else(|| legal_text(0), |c| data.amount(order.local_minor, c)),
            legal_text(order.local_eur_minor),
            legal_text(order.euro_minor),
            order.euro_state.clone(),
        ]);
    }
}

/// What the counted orders' goods (or the fees charged to producers) add up to for one
/// producer, with its name.
#[derive(Debug, QueryableByName)]
struct ProducerSum {
    #[diesel(sql_type = Nullable<Text>)]
    producer_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    producer: Option<String>,
    #[diesel(sql_type = BigInt)]
    amount: i64,
}

/// The goods of the counted orders, by producer.
const GOODS_BY_PRODUCER: &str = "SELECT s.producer_id AS producer_id, e.name AS producer,
        s.amount AS amount
    FROM (SELECT l.producer_id AS producer_id, CAST(SUM(l.total_minor) AS BIGINT) AS amount
        FROM order_lines l JOIN orders o ON o.id = l.order_id
        WHERE o.order_cycle_id = $1 AND o.state IN ('confirmed', 'fulfilled')
        GROUP BY l.producer_id) s
    LEFT JOIN enterprises e ON e.id = s.producer_id";

/// The fees charged to producers on the counted orders, by producer.
const FEES_BY_PRODUCER: &str = "SELECT f.producer_id AS producer_id, NULL AS producer,
        CAST(SUM(f.amount_minor) AS BIGINT) AS amount
    FROM order_fees f JOIN orders o ON o.id = f.order_id
    WHERE o.order_cycle_id = $1 AND o.state IN ('confirmed', 'fulfilled')
        AND f.charged_to = 'producer' AND f.fee_type <> 'shipping'
    GROUP BY f.producer_id";

/// Rows of `sql`, whose one parameter is the cycle.
fn sums_of<T: QueryableByName<crate::db::MultiBackend> + 'static>(
    conn: &mut DbConn,
    sql: &'static str,
    cycle_id: &str,
) -> Result<Vec<T>, OrderError> {
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(cycle_id)
        .load::<T>(conn.diesel())?)
}

fn pay_your_suppliers(conn: &mut DbConn, cycle_id: &str) -> Result<Report, OrderError> {
    let mut report = empty("pay_your_suppliers", cycle_id);
    // by producer id: its name, goods and the fees charged to it
    let mut owed: BTreeMap<String, (String, i64, i64)> = BTreeMap::new();
    for goods in sums_of::<ProducerSum>(conn, GOODS_BY_PRODUCER, cycle_id)? {
        let name = goods
            .producer_id
            .is_some()
            .then_some(goods.producer)
            .flatten();
        let entry = owed
            .entry(goods.producer_id.unwrap_or_default())
            .or_insert_with(|| (name.unwrap_or_default(), 0, 0));
        entry.1 += goods.amount;
    }
    for fees in sums_of::<ProducerSum>(conn, FEES_BY_PRODUCER, cycle_id)? {
        // fees of a producer with nothing sold here have nothing to come off
        if let Some(entry) = owed.get_mut(&fees.producer_id.unwrap_or_default()) {
            entry.2 += fees.amount;
        }
    }
    let paid: Vec<(String, String, i64)> = producer_settlements::table
        .filter(producer_settlements::order_cycle_id.eq(cycle_id))
        .order((
            producer_settlements::producer_id.asc(),
            producer_settlements::currency.asc(),
        ))
        .select((
            producer_settlements::producer_id,
            producer_settlements::currency,
            producer_settlements::paid_minor,
        ))
        .load(conn.diesel())?;
    let scales: HashMap<String, i32> = currencies::table
        .select((currencies::code, currencies::scale))
        .load::<(String, i32)>(conn.diesel())?
        .into_iter()
        .collect();
    let mut rows: Vec<Vec<String>> = owed
        .into_iter()
        .map(|(id, (name, goods, fees))| {
            let shown: Vec<String> = paid
                .iter()
                .filter(|(p, _, amount)| *p == id && *amount > 0)
                .map(|(_, currency, amount)| {
                    let scale = scales.get(currency).copied().unwrap_or(2);
                    let text =
                        crate::money::format_minor(*amount, crate::money::minor_scale(scale));
                    format!("{text} {currency}")
                })
                .collect();
            vec![
                name,
                legal_text(goods),
                legal_text(fees),
                legal_text(goods - fees),
                shown.join(" + "),
            ]
        })
        .collect();
    rows.sort();
    report.rows = rows;
    Ok(report)
}

/// What one of the hub's fees adds up to on the counted orders.
#[derive(Debug, QueryableByName)]
struct FeeSum {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    fee_type: String,
    #[diesel(sql_type = Text)]
    charged_to: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
    #[diesel(sql_type = BigInt)]
    amount: i64,
    #[diesel(sql_type = BigInt)]
    vat: i64,
}

/// The hub's fees on the counted orders by fee, the pickup or delivery fee apart (it is on
/// the order).
const FEES_BY_NAME: &str = "SELECT f.name AS name, f.fee_type AS fee_type,
        f.charged_to AS charged_to, CAST(COUNT(*) AS BIGINT) AS count,
        CAST(SUM(f.amount_minor) AS BIGINT) AS amount, CAST(SUM(f.vat_minor) AS BIGINT) AS vat
    FROM order_fees f JOIN orders o ON o.id = f.order_id
    WHERE o.order_cycle_id = $1 AND o.state IN ('confirmed', 'fulfilled')
        AND f.fee_type <> 'shipping'
    GROUP BY f.name, f.fee_type, f.charged_to";

/// How many counted orders paid one pickup or delivery fee of one method.
#[derive(Debug, QueryableByName)]
struct ShippingSum {
    #[diesel(sql_type = Text)]
    method_id: String,
    #[diesel(sql_type = BigInt)]
    fee: i64,
    #[diesel(sql_type = BigInt)]
    count: i64,
}

const SHIPPING_FEES: &str = "SELECT o.shipping_method_id AS method_id,
        o.shipping_fee_minor AS fee, CAST(COUNT(*) AS BIGINT) AS count
    FROM orders o
    WHERE o.order_cycle_id = $1 AND o.state IN ('confirmed', 'fulfilled')
        AND o.shipping_fee_minor > 0 AND o.shipping_method_id IS NOT NULL
    GROUP BY o.shipping_method_id, o.shipping_fee_minor";

/// The cycle's pickup and delivery fees, per method (that still exists) and fee: the method,
/// how many orders paid it, the amount and its VAT (each order's, as its receipt has it,
/// summed).
fn shipping_fees(
    conn: &mut DbConn,
    cycle_id: &str,
) -> Result<Vec<(ShippingMethodRow, i64, i64, i64)>, OrderError> {
    let methods = shipping::for_cycle(conn, cycle_id)?;
    let mut out = Vec::new();
    for sum in sums_of::<ShippingSum>(conn, SHIPPING_FEES, cycle_id)? {
        let Some(method) = methods.iter().find(|m| m.id == sum.method_id) else {
            continue;
        };
        let vat = super::quote::vat_included(sum.fee, method.vat_rate_bp) * sum.count;
        out.push((method.clone(), sum.count, sum.fee * sum.count, vat));
    }
    Ok(out)
}

fn enterprise_fee_summary(conn: &mut DbConn, cycle_id: &str) -> Result<Report, OrderError> {
    let mut report = empty("enterprise_fee_summary", cycle_id);
    let mut sums: BTreeMap<(String, String, String), (i64, i64, i64)> = BTreeMap::new();
    let mut add = |key: (String, String, String), (count, amount, vat): (i64, i64, i64)| {
        let entry = sums.entry(key).or_default();
        entry.0 += count;
        entry.1 += amount;
        entry.2 += vat;
    };
    for fee in sums_of::<FeeSum>(conn, FEES_BY_NAME, cycle_id)? {
        let sum = (fee.count, fee.amount, fee.vat);
        add((fee.name, fee.fee_type, fee.charged_to), sum);
    }
    for (method, count, amount, vat) in shipping_fees(conn, cycle_id)? {
        add(
            (method.name, "shipping".into(), "customer".into()),
            (count, amount, vat),
        );
    }
    for ((name, fee_type, charged_to), (count, amount, vat)) in sums {
        report.rows.push(vec![
            name,
            fee_type,
            charged_to,
            count.to_string(),
            legal_text(amount),
            legal_text(vat),
        ]);
    }
    Ok(report)
}

/// What the counted orders' goods (or the hub's fees) add up to at one VAT rate.
#[derive(Debug, QueryableByName)]
struct RateSum {
    #[diesel(sql_type = Integer)]
    rate: i32,
    #[diesel(sql_type = BigInt)]
    amount: i64,
    #[diesel(sql_type = BigInt)]
    vat: i64,
}

/// The counted orders' goods, by VAT rate.
const GOODS_BY_RATE: &str = "SELECT l.vat_rate_bp AS rate,
        CAST(SUM(l.total_minor) AS BIGINT) AS amount, CAST(SUM(l.vat_minor) AS BIGINT) AS vat
    FROM order_lines l JOIN orders o ON o.id = l.order_id
    WHERE o.order_cycle_id = $1 AND o.state IN ('confirmed', 'fulfilled')
    GROUP BY l.vat_rate_bp";

/// The hub's fees on the counted orders by VAT rate, the pickup or delivery fee apart.
const FEES_BY_RATE: &str = "SELECT f.vat_rate_bp AS rate,
        CAST(SUM(f.amount_minor) AS BIGINT) AS amount, CAST(SUM(f.vat_minor) AS BIGINT) AS vat
    FROM order_fees f JOIN orders o ON o.id = f.order_id
    WHERE o.order_cycle_id = $1 AND o.state IN ('confirmed', 'fulfilled')
        AND f.fee_type <> 'shipping'
    GROUP BY f.vat_rate_bp";

fn sales_tax(conn: &mut DbConn, cycle_id: &str) -> Result<Report, OrderError> {
    let mut report = empty("sales_tax", cycle_id);
    let mut sums: BTreeMap<(&str, i32), (i64, i64)> = BTreeMap::new();
    for (kind, sql) in [("goods", GOODS_BY_RATE), ("fees", FEES_BY_RATE)] {
        for sum in sums_of::<RateSum>(conn, sql, cycle_id)? {
            let entry = sums.entry((kind, sum.rate)).or_default();
            entry.0 += sum.amount;
            entry.1 += sum.vat;
        }
    }
    for (method, _, amount, vat) in shipping_fees(conn, cycle_id)? {
        let entry = sums.entry(("fees", method.vat_rate_bp)).or_default();
        entry.0 += amount;
        entry.1 += vat;
    }
    for ((kind, rate), (total, vat)) in sums {
        report.rows.push(vec![
            kind.to_string(),
            vat_percent(rate),
            legal_text(total - vat),
            legal_text(vat),
            legal_text(total),
        ]);
    }
    Ok(report)
}

/// Calls `each` with the cycle's counted orders, [`CHUNK`] at a time, in their numbers'
/// order.
fn each_chunk(
    conn: &mut DbConn,
    cycle: &OrderCycleRow,
    mut each: impl FnMut(&Data),
) -> Result<(), OrderError> {
    let mut offset = 0;
    loop {
        let rows = counted_rows(conn, &cycle.id, offset, CHUNK)?;
        let read = rows.len() as i64;
        if read == 0 {
            return Ok(());
        }
        each(&load(conn, cycle, rows)?);
        if read < CHUNK {
            return Ok(());
        }
        offset += read;
    }
}

/// Puts each producer's report for a settled cycle in the outbox (those with an address):
/// what to deliver, and — when the producer may see the hub's orders — by customer. The
/// cycle's orders are read once for all of them, [`CHUNK`] at a time.
pub fn send_producer_reports(
    conn: &mut DbConn,
    cycle: &OrderCycleRow,
    producer_ids: &[String],
) -> Result<(), OrderError> {
    if producer_ids.is_empty() {
        return Ok(());
    }
    let hub = crate::enterprises::get_row(conn, &cycle.hub_id)?;
    let delivery_time = shipping::for_cycle(conn, &cycle.id)?
        .iter()
        .map(|m| m.at_time)
        .min()
        .unwrap_or(cycle.closes_at);
    let legal = crate::ledger::currencies::legal(conn)?;
    // the producers who may see the hub's orders, and what each customer gets of theirs
    let mut by_customer: HashMap<&str, Vec<serde_json::Value>> = HashMap::new();
    for producer_id in producer_ids {
        let may_see_orders: bool = enterprise_relationships::table
            .find((producer_id, &cycle.hub_id))
            .select(enterprise_relationships::can_see_orders)
            .first(conn.diesel())
            .optional()?
            .unwrap_or(false);
        if may_see_orders {
            by_customer.insert(producer_id.as_str(), Vec::new());
        }
    }
    if !by_customer.is_empty() {
        each_chunk(conn, cycle, |data| {
            for (producer_id, customers) in by_customer.iter_mut() {
                for order in &data.orders {
                    let lines: Vec<serde_json::Value> = data
                        .lines_of(order)
                        .iter()
                        .filter(|l| l.producer_id.as_deref() == Some(*producer_id))
                        .map(|l| serde_json::json!({"name": l.name, "unit": l.unit, "quantity": quantity(l)}))
                        .collect();
                    if !lines.is_empty() {
                        customers.push(
                            serde_json::json!({"customer": data.customer(order).0, "lines": lines}),
                        );
                    }
                }
            }
        })?;
    }
    for producer_id in producer_ids {
        let producer = crate::enterprises::get_row(conn, producer_id)?;
        let Some(email) = producer.email.clone() else {
            continue;
        };
        let by_product = by_product(conn, &cycle.id, Some(producer_id.as_str()))?;
        let total: i64 = by_product.values().map(|(_, t)| t).sum();
        let by_product: Vec<serde_json::Value> = by_product
            .into_iter()
            .map(|((_, name, unit), (milli, minor))| {
                serde_json::json!({"name": name, "unit": unit,
                    "quantity": rust_decimal::Decimal::new(milli, 3).normalize().to_string(),
                    "total": legal.money(minor)})
            })
            .collect();
        let by_customer = by_customer.remove(producer_id.as_str()).unwrap_or_default();
        outbox::enqueue(
            conn,
            &email,
            "producer_cycle_report",
            "",
            &serde_json::json!({
                "producer_name": producer.name,
                "hub_name": hub.name,
                "cycle_name": cycle.name,
                // the hub's local time: the producer delivers there
                "delivery_time": crate::mail::format::mail_time(delivery_time, &hub.time_zone),
                "by_product": by_product,
                "total": legal.money(total),
                "by_customer": by_customer,
            }),
        )?;
    }
    Ok(())
}

/// One product a producer delivers for a cycle: its name, unit, quantity and total.
#[derive(Debug, Clone)]
pub struct DeliveryLine {
    pub name: String,
    pub unit: String,
    /// Quantity delivered (or ordered), as a decimal (`2.5` for weighed items).
    pub quantity: String,
    pub total_minor: i64,
}

/// What a producer delivers for one cycle: the cycle, its hub's name, and the products.
#[derive(Debug, Clone)]
pub struct ProducerDelivery {
    pub cycle: OrderCycleRow,
    pub hub_name: String,
    pub lines: Vec<DeliveryLine>,
    pub total_minor: i64,
}

/// What producer `producer_id` delivers, cycle by cycle: the `limit` cycles that closed last
/// (or close next) among those with confirmed or fulfilled orders of its products, newest
/// first — the `supplier_totals` report's rows of this producer (the same sums as the mail
/// each producer gets when a cycle closes).
pub fn producer_deliveries(
    conn: &mut DbConn,
    producer_id: &str,
    limit: usize,
) -> Result<Vec<ProducerDelivery>, OrderError> {
    // the last cycles with counted orders of its products, then each one's sums
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let cycle_ids: Vec<(chrono::NaiveDateTime, String)> = order_lines::table
        .inner_join(orders::table.inner_join(order_cycles::table))
        .filter(order_lines::producer_id.eq(producer_id))
        .filter(orders::state.eq_any(COUNTED))
        .select((order_cycles::closes_at, order_cycles::id))
        .distinct()
        .order((order_cycles::closes_at.desc(), order_cycles::id.desc()))
        .limit(limit)
        .load(conn.diesel())?;
    let mut out = Vec::new();
    for (_, id) in cycle_ids {
        let cycle = super::cycles::find_row(conn, &id)?;
        let sums = by_product(conn, &cycle.id, Some(producer_id))?;
        let lines: Vec<DeliveryLine> = sums
            .into_iter()
            .map(|((_, name, unit), (milli, minor))| DeliveryLine {
                name,
                unit,
                quantity: rust_decimal::Decimal::new(milli, 3).normalize().to_string(),
                total_minor: minor,
            })
            .collect();
        let hub_name = crate::enterprises::get_row(conn, &cycle.hub_id)?.name;
        out.push(ProducerDelivery {
            total_minor: lines.iter().map(|l| l.total_minor).sum(),
            cycle,
            hub_name,
            lines,
        });
    }
    Ok(out)
}
