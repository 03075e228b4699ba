//! The close's arithmetic, with no database: how an order's local part is allocated
//! ([`allocate`]), and what each producer is paid and how much VAT the hub books
//! ([`settlement`]) — sums in, payments out. Loading the sums and committing the payments to
//! the ledger is [`super::settle`]'s; these functions are tested table-driven below.

use std::collections::{BTreeMap, HashMap};

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::QueryableByName;

use super::super::fees::OrderFeeRow;
use super::super::order::LineRow;
use super::super::quote::mul_div_half_up;
use crate::deployment::Legal;
use crate::ids::EnterpriseId;
use crate::ledger::currencies::CurrencyRow;
use crate::ledger::LedgerError;
use crate::money::{Amount, AmountMismatch};

/// Spreads `local` (euro value) over the lines (in order, each up to its local maximum),
/// then the customer fees (in order, the pickup/delivery fee first); then deducts each
/// producer's fees from that producer's euros first. Sets `local_alloc_minor` and
/// `vat_local_minor` on the fees and returns the lines' allocations.
pub fn allocate(
    local: i64,
    lines: &[LineRow],
    fees: &mut [OrderFeeRow],
) -> Result<Vec<i64>, String> {
    let mut left = local;
    let mut take = |max: i64| {
        let a = left.min(max).max(0);
        left -= a;
        a
    };
    let line_alloc: Vec<i64> = lines.iter().map(|l| take(l.local_max_minor)).collect();
    for fee in fees.iter_mut().filter(|f| f.charged_to == "customer") {
        fee.local_alloc_minor = take(fee.local_max_minor);
    }
    if left != 0 {
        return Err(format!(
            "{left} cents of its local part exceed its local maximum"
        ));
    }
    // per producer: local and euros its goods brought in, then its fees, euros first
    let mut goods: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for (line, alloc) in lines.iter().zip(&line_alloc) {
        let entry = goods
            .entry(line.producer_id.as_deref().unwrap_or(""))
            .or_default();
        entry.0 += alloc;
        entry.1 += line.total_minor - alloc;
    }
    for fee in fees.iter_mut().filter(|f| f.charged_to == "producer") {
        let Some(entry) = goods.get_mut(fee.producer_id.as_deref().unwrap_or("")) else {
            return Err(format!(
                "fee `{}` is charged to a producer with no goods",
                fee.name
            ));
        };
        let from_euros = fee.amount_minor.min(entry.1);
        let from_local = fee.amount_minor - from_euros;
        if from_local > entry.0 {
            return Err(format!("fee `{}` exceeds the producer's goods", fee.name));
        }
        entry.1 -= from_euros;
        entry.0 -= from_local;
        fee.local_alloc_minor = from_local;
    }
    for fee in fees.iter_mut() {
        fee.vat_local_minor = if fee.amount_minor > 0 {
            mul_div_half_up(fee.vat_minor, fee.local_alloc_minor, fee.amount_minor)
        } else {
            0
        };
    }
    Ok(line_alloc)
}

/// One sum over the booked orders of a cycle: per producer (none for the fees' VAT) and
/// local currency (none for orders paid all in euros), the euro value in total and the part
/// paid in local currency.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Sums {
    #[diesel(sql_type = Nullable<Text>)]
    pub producer_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub currency: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
    #[diesel(sql_type = BigInt)]
    pub local: i64,
}

/// What the settlement is planned from.
pub struct SettlementInput<'a> {
    /// The `as_paid` policy: a producer taking the local currency is paid in it (otherwise
    /// everything is paid in euros).
    pub pay_local: bool,
    /// The goods sold, per producer and local currency.
    pub goods: &'a [Sums],
    /// The fees charged to producers, per producer and local currency.
    pub producer_fees: &'a [Sums],
    /// The VAT in every fee of the cycle, per local currency.
    pub fee_vat: &'a [Sums],
    /// (producer, currency) for each local currency a producer takes.
    pub accepted: &'a [(String, String)],
    /// Every local currency met, to turn euro values into its units.
    pub currencies: &'a HashMap<String, CurrencyRow>,
    /// The deployment's legal currency: what values are counted in, and what producers not
    /// paid in a local currency are paid in.
    pub legal: Legal,
}

/// What one producer is paid in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    /// Its goods (euro value), tax included.
    pub goods: Amount,
    /// Its producer fees (euro value).
    pub fees: Amount,
    /// Paid, in the currency paid in.
    pub paid: Amount,
    /// The part of `paid` the hub pays from its own bank (the local part of a producer paid
    /// in euros: the hub keeps that local currency); zero unless paid in euros.
    pub from_clearing: Amount,
}

/// The settlement of a cycle.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settlement {
    /// Per producer (in id order), its payouts in currency order.
    pub producers: Vec<(EnterpriseId, Vec<Payout>)>,
    /// The VAT in the hub's fees, per currency it was paid in (only > 0).
    pub vat: Vec<Amount>,
}

/// Why a settlement cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("producer {0}: fees exceed goods")]
    FeesExceedGoods(String),
    #[error("currency {0} is not loaded")]
    UnknownCurrency(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Amounts(#[from] AmountMismatch),
}

/// What one producer is owed, in euro value.
#[derive(Default)]
struct Owed {
    /// currency paid in → (goods, fees, net)
    by_currency: BTreeMap<String, (i64, i64, i64)>,
    /// euros the hub pays from its own bank (the local part of a producer paid in euros)
    from_clearing: i64,
}

/// Plans the settlement: per producer and currency, what its goods brought in net of its
/// producer fees, converted to the currency paid in; and the VAT in the hub's fees.
pub fn settlement(input: &SettlementInput<'_>) -> Result<Settlement, PlanError> {
    let legal = input.legal;
    let fiat = legal.code.as_str();
    let mut owed: BTreeMap<String, Owed> = BTreeMap::new();
    for g in input.goods {
        let producer = g.producer_id.clone().unwrap_or_default();
        let fee = input
            .producer_fees
            .iter()
            .find(|f| f.producer_id == g.producer_id && f.currency == g.currency);
        let (fee_total, fee_local) = fee.map_or((0, 0), |f| (f.total, f.local));
        let (goods_local, goods_eur) = (g.local, g.total - g.local);
        let fee_eur = fee_total - fee_local;
        let (net_local, net_eur) = (goods_local - fee_local, goods_eur - fee_eur);
        if net_local < 0 || net_eur < 0 {
            return Err(PlanError::FeesExceedGoods(producer));
        }
        let Owed {
            by_currency,
            from_clearing,
        } = owed.entry(producer.clone()).or_default();
        add(by_currency, fiat, (goods_eur, fee_eur, net_eur));
        if let Some(code) = &g.currency {
            let takes_it = input
                .accepted
                .iter()
                .any(|(e, c)| *e == producer && c == code);
            if input.pay_local && takes_it {
                add(by_currency, code, (goods_local, fee_local, net_local));
            } else {
                add(by_currency, fiat, (goods_local, fee_local, net_local));
                *from_clearing += net_local;
            }
        }
    }
    let mut producers = Vec::with_capacity(owed.len());
    for (
        producer,
        Owed {
            by_currency,
            from_clearing,
        },
    ) in owed
    {
        let mut payouts = Vec::with_capacity(by_currency.len());
        for (code, (goods, fees, net)) in by_currency {
            let paid = in_units(input, &code, net)?;
            let from_clearing = if code == fiat {
                legal.amount(from_clearing).min(paid)?
            } else {
                Amount::zero(paid.currency)
            };
            payouts.push(Payout {
                goods: legal.amount(goods),
                fees: legal.amount(fees),
                paid,
                from_clearing,
            });
        }
        producers.push((EnterpriseId::from(producer), payouts));
    }
    let mut vat_by_currency: BTreeMap<String, i64> = BTreeMap::new();
    for v in input.fee_vat {
        *vat_by_currency.entry(fiat.into()).or_default() += v.total - v.local;
        if let Some(code) = &v.currency {
            *vat_by_currency.entry(code.clone()).or_default() += v.local;
        }
    }
    let mut vat = Vec::new();
    for (code, eur_value) in vat_by_currency.into_iter().filter(|(_, v)| *v > 0) {
        vat.push(in_units(input, &code, eur_value)?);
    }
    Ok(Settlement { producers, vat })
}

fn add(by_currency: &mut BTreeMap<String, (i64, i64, i64)>, code: &str, v: (i64, i64, i64)) {
    let e = by_currency.entry(code.to_string()).or_default();
    e.0 += v.0;
    e.1 += v.1;
    e.2 += v.2;
}

/// A value in the legal currency (minor units) as an amount of `code`.
fn in_units(input: &SettlementInput<'_>, code: &str, eur_value: i64) -> Result<Amount, PlanError> {
    let eur = input.legal.amount(eur_value);
    if input.legal.is(code) {
        return Ok(eur);
    }
    let currency = input
        .currencies
        .get(code)
        .ok_or_else(|| PlanError::UnknownCurrency(code.into()))?;
    Ok(currency.from_legal(input.legal, eur)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::CurrencyCode;

    fn sums(producer: Option<&str>, currency: Option<&str>, total: i64, local: i64) -> Sums {
        Sums {
            producer_id: producer.map(str::to_string),
            currency: currency.map(str::to_string),
            total,
            local,
        }
    }

    fn lem(parity: &str) -> HashMap<String, CurrencyRow> {
        let row = CurrencyRow {
            code: "LEM".into(),
            name: "Lem".into(),
            symbol: "LEM".into(),
            scale: 2,
            kind: "local".into(),
            parity_to_eur: Some(parity.into()),
            issuer_id: None,
            created_at: chrono::NaiveDateTime::default(),
            allow_member_to_member: true,
        };
        HashMap::from([("LEM".to_string(), row)])
    }

    /// `expected` with its euro amounts in `legal` instead.
    fn in_legal(expected: &Settlement, legal: Legal) -> Settlement {
        let to = |a: Amount| {
            if a.currency == CurrencyCode::EUR {
                legal.amount(a.minor)
            } else {
                a
            }
        };
        Settlement {
            producers: expected
                .producers
                .iter()
                .map(|(p, payouts)| {
                    let payouts = payouts
                        .iter()
                        .map(|x| Payout {
                            goods: to(x.goods),
                            fees: to(x.fees),
                            paid: to(x.paid),
                            from_clearing: to(x.from_clearing),
                        })
                        .collect();
                    (p.clone(), payouts)
                })
                .collect(),
            vat: expected.vat.iter().map(|a| to(*a)).collect(),
        }
    }

    fn amt(currency: &str, minor: i64) -> Amount {
        Amount::new(minor, currency.parse().expect("a code"))
    }

    fn pay(currency: &str, goods: i64, fees: i64, paid: i64, from_clearing: i64) -> Payout {
        Payout {
            goods: amt("EUR", goods),
            fees: amt("EUR", fees),
            paid: amt(currency, paid),
            from_clearing: amt(currency, from_clearing),
        }
    }

    struct Case {
        name: &'static str,
        pay_local: bool,
        takes_lem: bool,
        parity: &'static str,
        goods: Vec<Sums>,
        fees: Vec<Sums>,
        vat: Vec<Sums>,
        expected: Result<Settlement, &'static str>,
    }

    #[test]
    fn settlement_table() {
        let farm = Some("farm");
        let cases = vec![
            Case {
                name: "euros only: the goods, paid from the hub's wallet",
                pay_local: true,
                takes_lem: true,
                parity: "1",
                goods: vec![sums(farm, None, 1000, 0)],
                fees: vec![],
                vat: vec![],
                expected: Ok(Settlement {
                    producers: vec![("farm".into(), vec![pay("EUR", 1000, 0, 1000, 0)])],
                    vat: vec![],
                }),
            },
            Case {
                name: "as paid, the producer takes LEM: the local part in LEM, fees from euros",
                pay_local: true,
                takes_lem: true,
                parity: "1",
                goods: vec![sums(farm, Some("LEM"), 1000, 400)],
                fees: vec![sums(farm, Some("LEM"), 100, 0)],
                vat: vec![],
                expected: Ok(Settlement {
                    producers: vec![(
                        "farm".into(),
                        vec![pay("EUR", 600, 100, 500, 0), pay("LEM", 400, 0, 400, 0)],
                    )],
                    vat: vec![],
                }),
            },
            Case {
                name: "as paid, the producer does not take LEM: all in euros, the local part from the hub's bank",
                pay_local: true,
                takes_lem: false,
                parity: "1",
                goods: vec![sums(farm, Some("LEM"), 1000, 400)],
                fees: vec![sums(farm, Some("LEM"), 100, 0)],
                vat: vec![],
                expected: Ok(Settlement {
                    producers: vec![("farm".into(), vec![pay("EUR", 1000, 100, 900, 400)])],
                    vat: vec![],
                }),
            },
            Case {
                name: "the euros policy pays all in euros even to a producer taking LEM",
                pay_local: false,
                takes_lem: true,
                parity: "1",
                goods: vec![sums(farm, Some("LEM"), 1000, 400)],
                fees: vec![],
                vat: vec![],
                expected: Ok(Settlement {
                    producers: vec![("farm".into(), vec![pay("EUR", 1000, 0, 1000, 400)])],
                    vat: vec![],
                }),
            },
            Case {
                name: "a fee's local part comes off the producer's LEM",
                pay_local: true,
                takes_lem: true,
                parity: "1",
                goods: vec![sums(farm, Some("LEM"), 1000, 400)],
                fees: vec![sums(farm, Some("LEM"), 100, 30)],
                vat: vec![],
                expected: Ok(Settlement {
                    producers: vec![(
                        "farm".into(),
                        vec![pay("EUR", 600, 70, 530, 0), pay("LEM", 400, 30, 370, 0)],
                    )],
                    vat: vec![],
                }),
            },
            Case {
                name: "a parity of 2: euro values are halved into LEM",
                pay_local: true,
                takes_lem: true,
                parity: "2",
                goods: vec![sums(farm, Some("LEM"), 1000, 400)],
                fees: vec![],
                vat: vec![sums(None, Some("LEM"), 60, 20)],
                expected: Ok(Settlement {
                    producers: vec![(
                        "farm".into(),
                        vec![pay("EUR", 600, 0, 600, 0), pay("LEM", 400, 0, 200, 0)],
                    )],
                    vat: vec![amt("EUR", 40), amt("LEM", 10)],
                }),
            },
            Case {
                name: "the fees' VAT per currency paid in, orders all in euros included",
                pay_local: true,
                takes_lem: true,
                parity: "1",
                goods: vec![],
                fees: vec![],
                vat: vec![sums(None, Some("LEM"), 50, 20), sums(None, None, 10, 0)],
                expected: Ok(Settlement {
                    producers: vec![],
                    vat: vec![amt("EUR", 40), amt("LEM", 20)],
                }),
            },
            Case {
                name: "two producers in id order, each on its own",
                pay_local: true,
                takes_lem: false,
                parity: "1",
                goods: vec![
                    sums(Some("zfarm"), None, 300, 0),
                    sums(Some("bakery"), Some("LEM"), 500, 500),
                ],
                fees: vec![sums(Some("bakery"), Some("LEM"), 50, 50)],
                vat: vec![],
                expected: Ok(Settlement {
                    producers: vec![
                        ("bakery".into(), vec![pay("EUR", 500, 50, 450, 450)]),
                        ("zfarm".into(), vec![pay("EUR", 300, 0, 300, 0)]),
                    ],
                    vat: vec![],
                }),
            },
            Case {
                name: "fees beyond the goods are refused",
                pay_local: true,
                takes_lem: true,
                parity: "1",
                goods: vec![sums(farm, None, 100, 0)],
                fees: vec![sums(farm, None, 150, 0)],
                vat: vec![],
                expected: Err("producer farm: fees exceed goods"),
            },
            Case {
                name: "a LEM amount that is not a whole number of cents is refused",
                pay_local: true,
                takes_lem: true,
                parity: "2",
                goods: vec![sums(farm, Some("LEM"), 401, 401)],
                fees: vec![],
                vat: vec![],
                expected: Err("not a whole number"),
            },
        ];
        // every case twice: a euro deployment, then a Swiss one (the expected euro amounts
        // read as francs)
        let chf = Legal {
            code: "CHF".parse().expect("a code"),
            scale: 2,
        };
        for (legal, case) in cases
            .iter()
            .flat_map(|case| [(Legal::EUR, case), (chf, case)])
        {
            let currencies = lem(case.parity);
            let accepted = if case.takes_lem {
                vec![("farm".to_string(), "LEM".to_string())]
            } else {
                vec![]
            };
            let got = settlement(&SettlementInput {
                pay_local: case.pay_local,
                goods: &case.goods,
                producer_fees: &case.fees,
                fee_vat: &case.vat,
                accepted: &accepted,
                currencies: &currencies,
                legal,
            });
            match (got, &case.expected) {
                (Ok(got), Ok(expected)) => {
                    assert_eq!(
                        got,
                        in_legal(expected, legal),
                        "{} in {}",
                        case.name,
                        legal.code
                    )
                }
                (Err(got), Err(expected)) => {
                    assert!(got.to_string().contains(expected), "{}: {got}", case.name)
                }
                (got, expected) => panic!("{}: got {got:?}, expected {expected:?}", case.name),
            }
        }
    }

    #[test]
    fn an_unloaded_currency_is_an_error_not_a_zero() {
        let goods = [sums(Some("farm"), Some("LEM"), 100, 100)];
        let accepted = [("farm".to_string(), "LEM".to_string())];
        let got = settlement(&SettlementInput {
            pay_local: true,
            goods: &goods,
            producer_fees: &[],
            fee_vat: &[],
            accepted: &accepted,
            currencies: &HashMap::new(),
            legal: Legal::EUR,
        });
        assert!(matches!(got, Err(PlanError::UnknownCurrency(c)) if c == "LEM"));
    }
}
