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

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;

use super::cycles::OrderCycleRow;
use super::fees::OrderFeeRow;
use super::order::{LineRow, OrderRow, OrderState};
use super::shipping::{self, ShippingMethodRow};
use crate::catalog::vat_percent;
use crate::db::schema::{
    currencies, enterprise_relationships, enterprises, order_fees, order_lines, orders,
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

/// Everything the reports read, loaded once: the cycle's orders (confirmed and fulfilled),
/// their lines and fees, and the names they mention.
struct Data {
    orders: Vec<OrderRow>,
    lines: HashMap<String, Vec<LineRow>>,
    fees: HashMap<String, Vec<OrderFeeRow>>,
    customers: HashMap<String, (String, String)>,
    producers: HashMap<String, String>,
    methods: Vec<ShippingMethodRow>,
    /// Where delivered orders go, by order id.
    addresses: HashMap<String, super::addresses::DeliveryAddress>,
    /// Decimal places of each currency.
    scales: HashMap<String, i32>,
}

fn load(conn: &mut DbConn, cycle: &OrderCycleRow) -> Result<Data, OrderError> {
    let states = [
        OrderState::Confirmed.as_str(),
        OrderState::Fulfilled.as_str(),
    ];
    // every query selects by cycle (joins and sub-selects, never a list of ids): a cycle of
    // any size stays within the databases' limits on bound values
    let cycle_id = cycle.id.as_str();
    let (rows, all_lines, all_fees, customers, producers, scales) = {
        let conn = conn.diesel();
        let rows: Vec<OrderRow> = orders::table
            .filter(orders::order_cycle_id.eq(cycle_id))
            .filter(orders::state.eq_any(states))
            .order(orders::number.asc())
            .select(OrderRow::as_select())
            .load(conn)?;
        let lines: Vec<LineRow> = order_lines::table
            .inner_join(orders::table)
            .filter(orders::order_cycle_id.eq(cycle_id))
            .filter(orders::state.eq_any(states))
            .order((order_lines::order_id.asc(), order_lines::position.asc()))
            .select(LineRow::as_select())
            .load(conn)?;
        let fees: Vec<OrderFeeRow> = order_fees::table
            .inner_join(orders::table)
            .filter(orders::order_cycle_id.eq(cycle_id))
            .filter(orders::state.eq_any(states))
            .order((order_fees::order_id.asc(), order_fees::id.asc()))
            .select(OrderFeeRow::as_select())
            .load(conn)?;
        let customers: Vec<(String, String, String)> = users::table
            .filter(
                users::id.eq_any(
                    orders::table
                        .filter(orders::order_cycle_id.eq(cycle_id))
                        .select(orders::customer_id),
                ),
            )
            .select((users::id, users::display_name, users::email))
            .load(conn)?;
        let producers: Vec<(String, String)> = enterprises::table
            .filter(
                enterprises::id.nullable().eq_any(
                    order_lines::table
                        .inner_join(orders::table)
                        .filter(orders::order_cycle_id.eq(cycle_id))
                        .select(order_lines::producer_id),
                ),
            )
            .select((enterprises::id, enterprises::name))
            .load(conn)?;
        let scales: Vec<(String, i32)> = currencies::table
            .select((currencies::code, currencies::scale))
            .load(conn)?;
        Ok::<_, diesel::result::Error>((rows, lines, fees, customers, producers, scales))
    }?;
    let mut lines: HashMap<String, Vec<LineRow>> = HashMap::new();
    for line in all_lines {
        lines.entry(line.order_id.clone()).or_default().push(line);
    }
    let mut fees: HashMap<String, Vec<OrderFeeRow>> = HashMap::new();
    for fee in all_fees {
        fees.entry(fee.order_id.clone()).or_default().push(fee);
    }
    Ok(Data {
        orders: rows,
        lines,
        fees,
        customers: customers
            .into_iter()
            .map(|(id, name, email)| (id, (name, email)))
            .collect(),
        producers: producers.into_iter().collect(),
        methods: shipping::for_cycle(conn, &cycle.id)?,
        addresses: super::addresses::of_cycle(conn, &cycle.id)?,
        scales: scales.into_iter().collect(),
    })
}

impl Data {
    fn lines_of(&self, order: &OrderRow) -> &[LineRow] {
        self.lines.get(&order.id).map_or(&[], Vec::as_slice)
    }

    /// The hub's fees on an order, the pickup/delivery fee excluded (it is on the order).
    fn fees_of(&self, order: &OrderRow) -> impl Iterator<Item = &OrderFeeRow> {
        self.fees
            .get(&order.id)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(|f| f.fee_type != "shipping")
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

/// Builds the report `name` of the cycle; 404 for an unknown name.
pub fn build(conn: &mut DbConn, cycle: &OrderCycleRow, name: &str) -> Result<Report, OrderError> {
    if !NAMES.contains(&name) {
        return Err(OrderError::NotFound(format!(
            "no report `{name}`; there are: {}",
            NAMES.join(", ")
        )));
    }
    let data = load(conn, cycle)?;
    let id = cycle.id.as_str();
    Ok(match name {
        "supplier_totals" => supplier_totals(&data, id),
        "packing_by_customer" => packing_by_customer(&data, id),
        "delivery_list" => delivery_list(&data, id),
        "customer_totals" => customer_totals(&data, id),
        "pay_your_suppliers" => pay_your_suppliers(conn, &data, id)?,
        "enterprise_fee_summary" => enterprise_fee_summary(&data, id),
        _ => sales_tax(&data, id),
    })
}

/// Quantity delivered (thousandths) and total per producer (name), product and unit — of
/// one producer (id) when `only` is given.
fn by_product(data: &Data, only: Option<&str>) -> BTreeMap<(String, String, String), (i64, i64)> {
    let mut sums: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
    for order in &data.orders {
        for line in data.lines_of(order) {
            if only.is_some_and(|p| line.producer_id.as_deref() != Some(p)) {
                continue;
            }
            let key = (data.producer(line), line.name.clone(), line.unit.clone());
            let entry = sums.entry(key).or_default();
            entry.0 += line.delivered_milli.unwrap_or(line.quantity * 1000);
            entry.1 += line.total_minor;
        }
    }
    sums
}

/// Per producer and product: quantity and total.
fn supplier_totals(data: &Data, cycle_id: &str) -> Report {
    let mut report = Report::new(
        "supplier_totals",
        cycle_id,
        &["producer", "product", "unit", "quantity", "total"],
    );
    for ((producer, product, unit), (milli, total)) in by_product(data, None) {
        report.rows.push(vec![
            producer,
            product,
            unit,
            rust_decimal::Decimal::new(milli, 3).normalize().to_string(),
            legal_text(total),
        ]);
    }
    report
}

fn packing_by_customer(data: &Data, cycle_id: &str) -> Report {
    let mut report = Report::new(
        "packing_by_customer",
        cycle_id,
        &[
            "order", "customer", "producer", "product", "unit", "quantity",
        ],
    );
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
    report
}

fn delivery_list(data: &Data, cycle_id: &str) -> Report {
    let mut report = Report::new(
        "delivery_list",
        cycle_id,
        &[
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
        ],
    );
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
    report
}

fn customer_totals(data: &Data, cycle_id: &str) -> Report {
    let mut report = Report::new(
        "customer_totals",
        cycle_id,
        &[
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
        ],
    );
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
    report
}

fn pay_your_suppliers(
    conn: &mut DbConn,
    data: &Data,
    cycle_id: &str,
) -> Result<Report, OrderError> {
    let mut report = Report::new(
        "pay_your_suppliers",
        cycle_id,
        &["producer", "goods_total", "producer_fees", "owed", "paid"],
    );
    let mut owed: BTreeMap<String, (String, i64, i64)> = BTreeMap::new();
    for order in &data.orders {
        for line in data.lines_of(order) {
            let id = line.producer_id.clone().unwrap_or_default();
            let entry = owed
                .entry(id)
                .or_insert_with(|| (data.producer(line), 0, 0));
            entry.1 += line.total_minor;
        }
        for fee in data.fees_of(order).filter(|f| f.charged_to == "producer") {
            let id = fee.producer_id.clone().unwrap_or_default();
            if let Some(entry) = owed.get_mut(&id) {
                entry.2 += fee.amount_minor;
            }
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
    let mut rows: Vec<Vec<String>> = owed
        .into_iter()
        .map(|(id, (name, goods, fees))| {
            let shown: Vec<String> = paid
                .iter()
                .filter(|(p, _, amount)| *p == id && *amount > 0)
                .map(|(_, currency, amount)| {
                    format!("{} {currency}", data.amount(*amount, currency))
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

fn enterprise_fee_summary(data: &Data, cycle_id: &str) -> Report {
    let mut report = Report::new(
        "enterprise_fee_summary",
        cycle_id,
        &["fee", "fee_type", "charged_to", "orders", "amount", "vat"],
    );
    let mut sums: BTreeMap<(String, String, String), (usize, i64, i64)> = BTreeMap::new();
    for order in &data.orders {
        let mut add = |key: (String, String, String), amount: i64, vat: i64| {
            let entry = sums.entry(key).or_default();
            entry.0 += 1;
            entry.1 += amount;
            entry.2 += vat;
        };
        for fee in data.fees_of(order) {
            let key = (
                fee.name.clone(),
                fee.fee_type.clone(),
                fee.charged_to.clone(),
            );
            add(key, fee.amount_minor, fee.vat_minor);
        }
        if let (Some(method), true) = (data.method(order), order.shipping_fee_minor > 0) {
            let key = (method.name.clone(), "shipping".into(), "customer".into());
            let vat = super::quote::vat_included(order.shipping_fee_minor, method.vat_rate_bp);
            add(key, order.shipping_fee_minor, vat);
        }
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
    report
}

fn sales_tax(data: &Data, cycle_id: &str) -> Report {
    let mut report = Report::new(
        "sales_tax",
        cycle_id,
        &["kind", "vat_rate", "base", "vat", "total"],
    );
    let mut sums: BTreeMap<(&str, i32), (i64, i64)> = BTreeMap::new();
    for order in &data.orders {
        for line in data.lines_of(order) {
            let entry = sums.entry(("goods", line.vat_rate_bp)).or_default();
            entry.0 += line.total_minor;
            entry.1 += line.vat_minor;
        }
        for fee in data.fees_of(order) {
            let entry = sums.entry(("fees", fee.vat_rate_bp)).or_default();
            entry.0 += fee.amount_minor;
            entry.1 += fee.vat_minor;
        }
        if let (Some(method), true) = (data.method(order), order.shipping_fee_minor > 0) {
            let entry = sums.entry(("fees", method.vat_rate_bp)).or_default();
            entry.0 += order.shipping_fee_minor;
            entry.1 += super::quote::vat_included(order.shipping_fee_minor, method.vat_rate_bp);
        }
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
    report
}

/// Puts each producer's report for a settled cycle in the outbox (those with an address):
/// what to deliver, and — when the producer may see the hub's orders — by customer. The
/// cycle is read once for all of them.
pub fn send_producer_reports(
    conn: &mut DbConn,
    cycle: &OrderCycleRow,
    producer_ids: &[String],
) -> Result<(), OrderError> {
    if producer_ids.is_empty() {
        return Ok(());
    }
    let hub = crate::enterprises::get_row(conn, &cycle.hub_id)?;
    let data = load(conn, cycle)?;
    let delivery_time = data
        .methods
        .iter()
        .map(|m| m.at_time)
        .min()
        .unwrap_or(cycle.closes_at);
    let legal = crate::ledger::currencies::legal(conn)?;
    for producer_id in producer_ids {
        let producer = crate::enterprises::get_row(conn, producer_id)?;
        let Some(email) = producer.email.clone() else {
            continue;
        };
        let by_product = by_product(&data, Some(producer_id.as_str()));
        let total: i64 = by_product.values().map(|(_, t)| t).sum();
        let by_product: Vec<serde_json::Value> = by_product
            .into_iter()
            .map(|((_, name, unit), (milli, minor))| {
                serde_json::json!({"name": name, "unit": unit,
                    "quantity": rust_decimal::Decimal::new(milli, 3).normalize().to_string(),
                    "total": legal.money(minor)})
            })
            .collect();
        let may_see_orders: bool = enterprise_relationships::table
            .find((producer_id, &cycle.hub_id))
            .select(enterprise_relationships::can_see_orders)
            .first(conn.diesel())
            .optional()?
            .unwrap_or(false);
        let by_customer: Vec<serde_json::Value> = if may_see_orders {
            data.orders
                .iter()
                .filter_map(|order| {
                    let lines: Vec<serde_json::Value> = data
                        .lines_of(order)
                        .iter()
                        .filter(|l| l.producer_id.as_deref() == Some(producer_id.as_str()))
                        .map(|l| serde_json::json!({"name": l.name, "unit": l.unit, "quantity": quantity(l)}))
                        .collect();
                    (!lines.is_empty()).then(|| {
                        serde_json::json!({"customer": data.customer(order).0, "lines": lines})
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
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
    let cycle_ids: Vec<String> = order_lines::table
        .inner_join(orders::table.on(orders::id.eq(order_lines::order_id)))
        .filter(order_lines::producer_id.eq(producer_id))
        .select(orders::order_cycle_id)
        .distinct()
        .load(conn.diesel())?;
    let mut cycles = Vec::new();
    for id in &cycle_ids {
        cycles.push(super::cycles::find_row(conn, id)?);
    }
    cycles.sort_by(|a, b| b.closes_at.cmp(&a.closes_at).then(b.id.cmp(&a.id)));
    let mut out = Vec::new();
    for cycle in cycles {
        if out.len() >= limit {
            break;
        }
        let data = load(conn, &cycle)?;
        let sums = by_product(&data, Some(producer_id));
        if sums.is_empty() {
            continue;
        }
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
