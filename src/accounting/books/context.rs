//! What a chunk of an enterprise's sources reads (orders, lines, fees, names, currencies)
//! and how each source becomes a draft move: a sale, a euro receipt (paid in euros or from
//! the customer's credit), a refund, euros owed back turned into credit, a producer's
//! settlement and its supply (see [`super`] for the accounts each one uses).

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::super::chart::Books;
use super::super::moves;
use super::super::pipeline::Draft;
use super::{add_rate, revenue_lines, ByRate, Kind, Source};
use crate::accounting::AccountingError;
use crate::db::schema::{order_cycles, order_lines, order_refunds, orders, producer_settlements};
use crate::db::DbConn;
use crate::deployment::Legal;
use crate::ledger::currencies;
use crate::money::Amount;
use crate::orders::fees::OrderFeeRow;
use crate::orders::order::{LineRow as OrderLineRow, OrderRow};

/// What a chunk's moves read: orders, their lines and fees, names, currencies.
pub(super) struct Context {
    orders: HashMap<String, OrderRow>,
    lines: HashMap<String, Vec<OrderLineRow>>,
    fees: HashMap<String, Vec<OrderFeeRow>>,
    names: HashMap<String, (String, String)>,
    cycles: HashMap<String, String>,
    /// A refund's method and reference, by its ledger entry.
    refunds: HashMap<String, (Option<String>, String)>,
    currencies: HashMap<String, currencies::CurrencyRow>,
    /// The legal currency the books are kept in.
    pub(super) legal: Legal,
}

impl Context {
    pub(super) fn load(
        conn: &mut DbConn,
        sources: &[(Kind, Source)],
    ) -> Result<Context, AccountingError> {
        let order_ids: Vec<&str> = sources
            .iter()
            .filter_map(|(kind, s)| match kind {
                Kind::Sale => Some(s.id.as_str()),
                k if k.of_order() => Some(s.other.as_str()),
                _ => None,
            })
            .collect();
        let refund_ids: Vec<&str> = sources
            .iter()
            .filter(|(kind, _)| *kind == Kind::Refund)
            .map(|(_, s)| s.id.as_str())
            .collect();
        let refunds: HashMap<String, (Option<String>, String)> = order_refunds::table
            .filter(order_refunds::entry_id.eq_any(&refund_ids))
            .select((
                order_refunds::entry_id,
                order_refunds::method,
                order_refunds::reference,
            ))
            .load::<(String, Option<String>, String)>(conn.diesel())?
            .into_iter()
            .map(|(id, method, reference)| (id, (method, reference)))
            .collect();
        let cycle_ids: Vec<&str> = sources
            .iter()
            .filter(|(kind, _)| matches!(kind, Kind::Settlement | Kind::Supply))
            .map(|(_, s)| s.id.as_str())
            .collect();
        let order_rows: Vec<OrderRow> = orders::table
            .filter(orders::id.eq_any(&order_ids))
            .select(OrderRow::as_select())
            .load(conn.diesel())?;
        let sale_ids: Vec<&str> = sources
            .iter()
            .filter(|(kind, _)| *kind == Kind::Sale)
            .map(|(_, s)| s.id.as_str())
            .collect();
        let mut lines: HashMap<String, Vec<OrderLineRow>> = HashMap::new();
        for line in order_lines::table
            .filter(order_lines::order_id.eq_any(&sale_ids))
            .order((order_lines::order_id.asc(), order_lines::position.asc()))
            .select(OrderLineRow::as_select())
            .load::<OrderLineRow>(conn.diesel())?
        {
            lines.entry(line.order_id.clone()).or_default().push(line);
        }
        let mut fees: HashMap<String, Vec<OrderFeeRow>> = HashMap::new();
        for fee in crate::orders::fees::of_orders(conn, &sale_ids)? {
            fees.entry(fee.order_id.clone()).or_default().push(fee);
        }
        let cycles: HashMap<String, String> = order_cycles::table
            .filter(order_cycles::id.eq_any(&cycle_ids))
            .select((order_cycles::id, order_cycles::name))
            .load::<(String, String)>(conn.diesel())?
            .into_iter()
            .collect();
        let mut people: Vec<String> = order_rows.iter().map(|o| o.customer_id.clone()).collect();
        people.extend(
            lines
                .values()
                .flatten()
                .filter_map(|l| l.producer_id.clone()),
        );
        people.extend(
            sources
                .iter()
                .filter(|(kind, _)| matches!(kind, Kind::Settlement | Kind::Supply))
                .map(|(_, s)| s.other.clone()),
        );
        let names = moves::names(conn, &people)?;
        let legal = currencies::legal(conn)?;
        Ok(Context {
            legal,
            orders: order_rows.into_iter().map(|o| (o.id.clone(), o)).collect(),
            lines,
            fees,
            names,
            cycles,
            refunds,
            currencies: HashMap::new(),
        })
    }

    pub(super) fn order(&self, id: &str) -> Result<&OrderRow, AccountingError> {
        self.orders.get(id).ok_or_else(|| {
            AccountingError::internal(format!("enterprise books: order {id} is missing"))
        })
    }

    pub(super) fn currency(
        &mut self,
        conn: &mut DbConn,
        code: &str,
    ) -> Result<&currencies::CurrencyRow, AccountingError> {
        if !self.currencies.contains_key(code) {
            let row = currencies::get(conn, code)?;
            self.currencies.insert(code.to_string(), row);
        }
        self.currencies
            .get(code)
            .ok_or_else(|| AccountingError::internal("a currency just read is missing"))
    }

    /// `amount` in its currency columns (none for euros).
    pub(super) fn currency_columns(
        &mut self,
        conn: &mut DbConn,
        amount: Amount,
    ) -> Result<Option<(String, String)>, AccountingError> {
        let currency = self.currency(conn, amount.currency.as_str())?;
        Ok(moves::currency_columns(currency, amount))
    }

    pub(super) fn name(&self, id: &str) -> (String, String) {
        self.names.get(id).cloned().unwrap_or_default()
    }

    /// A hub's sale: see the module documentation.
    pub(super) fn sale(
        &mut self,
        conn: &mut DbConn,
        books: &Books,
        source: &Source,
    ) -> Result<Draft, AccountingError> {
        let order = self.order(&source.id)?.clone();
        let number = order.number.clone().unwrap_or_else(|| order.id.clone());
        let mut draft = Draft::new(
            Kind::Sale.key(source),
            &books.sales_journal,
            source.at.date(),
            format!("order {number}"),
        );
        draft.label = format!("Commande {number}");
        let customer = self.name(&order.customer_id);
        draft.line(&books.customers, Some(&customer), order.total(self.legal));
        let mut producers: BTreeMap<String, i64> = BTreeMap::new();
        let mut own_goods = ByRate::new();
        for line in self.lines.get(&order.id).into_iter().flatten() {
            match line.producer_id.as_deref() {
                Some(p) if p != order.hub_id => {
                    *producers.entry(p.to_string()).or_default() += line.total_minor
                }
                _ => add_rate(
                    &mut own_goods,
                    line.vat_rate_bp,
                    line.total_minor,
                    line.vat_minor,
                ),
            }
        }
        let mut by_producer: Vec<((String, String), i64)> = producers
            .into_iter()
            .map(|(p, total)| (self.name(&p), total))
            .collect();
        by_producer.sort();
        for (producer, total) in &by_producer {
            draft.line(&books.producers, Some(producer), self.legal.amount(-total));
        }
        revenue_lines(self.legal, &mut draft, books, &own_goods, |v| &v.goods)?;
        let mut hub_fees = ByRate::new();
        for fee in self.fees.get(&order.id).into_iter().flatten() {
            if fee.charged_to == "customer" {
                add_rate(
                    &mut hub_fees,
                    fee.vat_rate_bp,
                    fee.amount_minor,
                    fee.vat_minor,
                );
            }
        }
        revenue_lines(self.legal, &mut draft, books, &hub_fees, |v| &v.fees)?;
        if let Some(local) = order.local()?.filter(Amount::is_positive) {
            let columns = self.currency_columns(conn, local)?;
            draft.line_in(
                &books.local_cash,
                None,
                order.local_eur(self.legal),
                columns,
            );
            draft.line(
                &books.customers,
                Some(&customer),
                self.legal.amount(-order.local_eur_minor),
            );
        }
        Ok(draft)
    }

    /// One of an order's moves of `source.amount` between the customer's 411 and the bank
    /// (bank journal) or the customer's credit (419, the customer as auxiliary account
    /// there too; sales journal: no money moves). `paid`: the customer's 411 is credited
    /// (the order paid); else debited (euros given back to the customer).
    fn order_move(
        &self,
        books: &Books,
        kind: Kind,
        with: With,
        paid: bool,
        source: &Source,
        label: &str,
    ) -> Result<Draft, AccountingError> {
        let order = self.order(&source.other)?;
        let number = order.number.clone().unwrap_or_else(|| order.id.clone());
        let customer = self.name(&order.customer_id);
        let (journal, account, aux) = match with {
            With::Bank => (&books.bank_journal, &books.bank, None),
            With::Credit => (
                &books.sales_journal,
                &books.customer_credit,
                Some(&customer),
            ),
        };
        let mut draft = Draft::new(
            kind.key(source),
            journal,
            source.at.date(),
            format!("order {number}"),
        );
        draft.label = format!("{label} {number}");
        let amount = if paid { source.amount } else { -source.amount };
        draft.line(account, aux, self.legal.amount(amount));
        draft.line(
            &books.customers,
            Some(&customer),
            self.legal.amount(-amount),
        );
        Ok(draft)
    }

    /// A euro receipt: 512 against the customer's 411.
    pub(super) fn receipt(
        &mut self,
        books: &Books,
        source: &Source,
    ) -> Result<Draft, AccountingError> {
        self.order_move(
            books,
            Kind::Receipt,
            With::Bank,
            true,
            source,
            "Paiement commande",
        )
    }

    /// A receipt paid from the customer's credit with the hub: its 419 against its 411.
    pub(super) fn credit_used(
        &mut self,
        books: &Books,
        source: &Source,
    ) -> Result<Draft, AccountingError> {
        self.order_move(
            books,
            Kind::CreditUsed,
            With::Credit,
            true,
            source,
            "Paiement par crédit client, commande",
        )
    }

    /// Euros given back to the customer: its 411 against 512, the method and reference in
    /// the label.
    pub(super) fn refund(
        &mut self,
        books: &Books,
        source: &Source,
    ) -> Result<Draft, AccountingError> {
        let how = match self.refunds.get(&source.id) {
            Some((method, reference)) => {
                let method = match method.as_deref() {
                    Some("bank_transfer") => "virement",
                    Some("cash") => "espèces",
                    Some("cheque") => "chèque",
                    Some("card") => "carte",
                    _ => "autre",
                };
                match reference.trim() {
                    "" => format!(" ({method})"),
                    reference => format!(" ({method} {reference})"),
                }
            }
            None => String::new(),
        };
        let mut draft = self.order_move(
            books,
            Kind::Refund,
            With::Bank,
            false,
            source,
            "Remboursement commande",
        )?;
        draft.label.push_str(&how);
        for line in &mut draft.lines {
            line.label.clone_from(&draft.label);
        }
        Ok(draft)
    }

    /// Euros owed back turned into the customer's credit with the hub: its 411 against its
    /// 419.
    pub(super) fn credit(
        &mut self,
        books: &Books,
        source: &Source,
    ) -> Result<Draft, AccountingError> {
        self.order_move(
            books,
            Kind::Credit,
            With::Credit,
            false,
            source,
            "Crédit client, commande",
        )
    }

    /// Per currency: (goods, fees, paid in the currency), goods and fees in euro cents.
    pub(super) fn settled(
        conn: &mut DbConn,
        cycle_id: &str,
        producer_id: &str,
    ) -> Result<Vec<(String, i64, i64, i64)>, AccountingError> {
        Ok(producer_settlements::table
            .filter(producer_settlements::order_cycle_id.eq(cycle_id))
            .filter(producer_settlements::producer_id.eq(producer_id))
            .order(producer_settlements::currency.asc())
            .select((
                producer_settlements::currency,
                producer_settlements::goods_minor,
                producer_settlements::fees_minor,
                producer_settlements::paid_minor,
            ))
            .load(conn.diesel())?)
    }

    /// `cycle <name> <end of its id>`: names of copied cycles repeat.
    pub(super) fn cycle_piece(&self, cycle_id: &str) -> String {
        let tail = &cycle_id[cycle_id.len().saturating_sub(8)..];
        match self.cycles.get(cycle_id) {
            Some(name) => format!("cycle {name} {tail}"),
            None => format!("cycle {cycle_id}"),
        }
    }

    /// What was paid, per currency, on 512 or 530x (euro value: goods less fees);
    /// `sign` 1 for money in, -1 for money out. Returns the euro value in total.
    pub(super) fn payment_lines(
        &mut self,
        conn: &mut DbConn,
        draft: &mut Draft,
        books: &Books,
        settled: &[(String, i64, i64, i64)],
        sign: i64,
    ) -> Result<i64, AccountingError> {
        let mut total = 0;
        for (code, goods, fees, paid) in settled {
            let value = goods - fees;
            total += value;
            if self.legal.is(code) {
                draft.line(&books.bank, None, self.legal.amount(sign * value));
            } else {
                let paid = self.currency(conn, code)?.amount(*paid)?;
                let columns = self.currency_columns(conn, paid)?;
                draft.line_in(
                    &books.local_cash,
                    None,
                    self.legal.amount(sign * value),
                    columns,
                );
            }
        }
        Ok(total)
    }

    /// A hub's settlement of one producer for one cycle.
    pub(super) fn settlement(
        &mut self,
        conn: &mut DbConn,
        books: &Books,
        source: &Source,
    ) -> Result<Draft, AccountingError> {
        let (cycle_id, producer_id) = (&source.id, &source.other);
        let settled = Self::settled(conn, cycle_id, producer_id)?;
        let producer = self.name(producer_id);
        let mut draft = Draft::new(
            Kind::Settlement.key(source),
            &books.bank_journal,
            source.at.date(),
            self.cycle_piece(cycle_id),
        );
        draft.label = format!("Règlement {} ({})", producer.1, draft.piece);
        let goods: i64 = settled.iter().map(|s| s.1).sum();
        let fees = producer_fees(conn, cycle_id, producer_id, &settled, &draft.source)?;
        draft.line(&books.producers, Some(&producer), self.legal.amount(goods));
        revenue_lines(self.legal, &mut draft, books, &fees, |v| &v.fees)?;
        self.payment_lines(conn, &mut draft, books, &settled, -1)?;
        Ok(draft)
    }

    /// A producer's supply through one hub's cycle.
    pub(super) fn supply(
        &mut self,
        conn: &mut DbConn,
        books: &Books,
        producer_id: &str,
        source: &Source,
    ) -> Result<Draft, AccountingError> {
        let (cycle_id, hub_id) = (&source.id, &source.other);
        let settled = Self::settled(conn, cycle_id, producer_id)?;
        let hub = self.name(hub_id);
        let mut draft = Draft::new(
            Kind::Supply.key(source),
            &books.sales_journal,
            source.at.date(),
            self.cycle_piece(cycle_id),
        );
        draft.label = format!("Ventes via {} ({})", hub.1, draft.piece);
        let goods_total: i64 = settled.iter().map(|s| s.1).sum();
        let goods = by_rate(conn, PRODUCER_GOODS, cycle_id, producer_id)?;
        check_total(&goods, goods_total, &draft.source, "goods")?;
        let fees = producer_fees(conn, cycle_id, producer_id, &settled, &draft.source)?;
        draft.line(&books.hubs, Some(&hub), self.legal.amount(goods_total));
        revenue_lines(self.legal, &mut draft, books, &goods, |v| &v.goods)?;
        let mut fees_total = 0;
        for (rate, (total, vat)) in &fees {
            let accounts = books.vat(*rate)?;
            draft.line(&books.commissions, None, self.legal.amount(total - vat));
            draft.line(&accounts.deductible, None, self.legal.amount(*vat));
            fees_total += total;
        }
        let paid = self.payment_lines(conn, &mut draft, books, &settled, 1)?;
        draft.line(
            &books.hubs,
            Some(&hub),
            self.legal.amount(-(fees_total + paid)),
        );
        Ok(draft)
    }
}

/// What an order's 411 moves against: the bank, or the customer's credit.
#[derive(Debug, Clone, Copy)]
enum With {
    Bank,
    Credit,
}

#[derive(QueryableByName)]
struct RateSum {
    #[diesel(sql_type = Integer)]
    rate: i32,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    vat: i64,
}

/// A producer's goods in a cycle's booked orders, per VAT rate.
const PRODUCER_GOODS: &str = "SELECT l.vat_rate_bp AS rate,
        CAST(COALESCE(SUM(l.total_minor), 0) AS BIGINT) AS total,
        CAST(COALESCE(SUM(l.vat_minor), 0) AS BIGINT) AS vat
    FROM order_lines l JOIN orders o ON o.id = l.order_id
    WHERE o.order_cycle_id = $1 AND o.booked_at IS NOT NULL AND l.producer_id = $2
    GROUP BY l.vat_rate_bp";

/// The fees charged to a producer in a cycle's booked orders, per VAT rate.
const PRODUCER_FEES: &str = "SELECT f.vat_rate_bp AS rate,
        CAST(COALESCE(SUM(f.amount_minor), 0) AS BIGINT) AS total,
        CAST(COALESCE(SUM(f.vat_minor), 0) AS BIGINT) AS vat
    FROM order_fees f JOIN orders o ON o.id = f.order_id
    WHERE o.order_cycle_id = $1 AND o.booked_at IS NOT NULL
      AND f.charged_to = 'producer' AND f.producer_id = $2
    GROUP BY f.vat_rate_bp";

fn by_rate(
    conn: &mut DbConn,
    sql: &'static str,
    cycle_id: &str,
    producer_id: &str,
) -> Result<ByRate, AccountingError> {
    let rows: Vec<RateSum> = diesel::sql_query(sql)
        .bind::<Text, _>(cycle_id)
        .bind::<Text, _>(producer_id)
        .load(conn.diesel())?;
    Ok(rows
        .into_iter()
        .map(|r| (r.rate, (r.total, r.vat)))
        .collect())
}

/// The fees charged to a producer in a cycle, per VAT rate, checked against what the
/// close settled (`settled`: per currency, goods, fees and paid).
fn producer_fees(
    conn: &mut DbConn,
    cycle_id: &str,
    producer_id: &str,
    settled: &[(String, i64, i64, i64)],
    source: &str,
) -> Result<ByRate, AccountingError> {
    let fees = by_rate(conn, PRODUCER_FEES, cycle_id, producer_id)?;
    check_total(&fees, settled.iter().map(|s| s.2).sum(), source, "fees")?;
    Ok(fees)
}

/// Assertion that stays on: the orders' sums agree with what the close settled.
fn check_total(
    sums: &ByRate,
    expected: i64,
    source: &str,
    what: &str,
) -> Result<(), AccountingError> {
    let total: i64 = sums.values().map(|(t, _)| t).sum();
    if total != expected {
        return Err(AccountingError::internal(format!(
            "enterprise books: {source}: the orders' {what} ({total}) differ from the settlement ({expected})"
        )));
    }
    Ok(())
}
