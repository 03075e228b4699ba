//! The deployment: its **legal currency** (the tender prices, fees, fiat payments, the
//! guarantee fund and the books are in) and its **country** (whose profile — VAT, chart,
//! identifiers, legal export — the deployment follows).
//!
//! Both are chosen at the first run, from the configuration (`deployment.currency`,
//! `deployment.country`: the euro and France unless told otherwise), and recorded in the
//! database (`deployment`, one row). From then on the database's choice is the one that
//! counts: [`get`] reads it (once per pool, then from the pool's memory). It may change only
//! while the ledger holds no entry ([`crate::setup`] decides, since it reads the ledger);
//! a database from before the table is a euro deployment in France.
//!
//! Column and field names that say `eur` (`price_eur_minor`, `parity_to_eur`…) were named
//! when the euro was the only legal tender: they hold amounts in the legal currency.

use std::sync::RwLock;

use diesel::prelude::*;

use crate::db::schema::deployment;
use crate::db::DbConn;
use crate::mail::format::Locale;
use crate::money::{Amount, CurrencyCode, Money};

/// The deployment's legal tender: its code and its number of decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Legal {
    pub code: CurrencyCode,
    pub scale: u32,
}

impl Legal {
    /// The euro, the legal currency of a deployment that chose none.
    pub const EUR: Legal = Legal {
        code: CurrencyCode::EUR,
        scale: 2,
    };

    /// The Swiss franc.
    pub const CHF: Legal = Legal {
        code: CurrencyCode::CHF,
        scale: 2,
    };

    /// `minor` units of the legal currency, ready to show.
    pub fn money(self, minor: i64) -> Money {
        Money::new(minor, self.code, self.scale)
    }

    /// `minor` units of the legal currency.
    pub fn amount(self, minor: i64) -> Amount {
        Amount::new(minor, self.code)
    }

    /// Is `code` the legal currency?
    pub fn is(self, code: &str) -> bool {
        self.code.as_str() == code
    }
}

/// A legal tender Comptoir knows: what the first run records in `currencies`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tender {
    pub code: &'static str,
    pub name: &'static str,
    pub symbol: &'static str,
    /// Decimals of the minor unit (ISO 4217).
    pub scale: u32,
}

/// The decimals of every legal tender offered ([`TENDERS`]): prices, fees, delivery charges
/// and the books are read and written to the hundredth (a tender without cents, such as the
/// CFA franc, needs those readers to take the tender's scale first — a test holds the line).
pub const TENDER_SCALE: u32 = 2;

/// An amount of the legal currency as text, `12.50` (a price, a report's cell, a line of
/// the books): the one place [`TENDER_SCALE`] is written out.
pub fn legal_text(minor: i64) -> String {
    crate::money::format_minor(minor, TENDER_SCALE)
}

/// The legal tenders a deployment may choose (ISO 4217 codes and minor units). Add one here
/// to offer it; a local currency is never one of them. Every one has [`TENDER_SCALE`]
/// decimals.
pub const TENDERS: &[Tender] = &[
    Tender {
        code: "EUR",
        name: "Euro",
        symbol: "€",
        scale: 2,
    },
    Tender {
        code: "CHF",
        name: "Franc suisse",
        symbol: "CHF",
        scale: 2,
    },
    Tender {
        code: "GBP",
        name: "Pound sterling",
        symbol: "£",
        scale: 2,
    },
    Tender {
        code: "USD",
        name: "US dollar",
        symbol: "$",
        scale: 2,
    },
    Tender {
        code: "CAD",
        name: "Dollar canadien",
        symbol: "$",
        scale: 2,
    },
];

impl Tender {
    /// The known tender of code `code` (`EUR`, `CHF`…).
    pub fn find(code: &str) -> Option<Tender> {
        TENDERS.iter().copied().find(|t| t.code == code)
    }

    pub fn legal(self) -> Legal {
        Legal {
            // every code of TENDERS is three upper-case letters (a test reads them all)
            code: self.code.parse().unwrap_or(CurrencyCode::EUR),
            scale: self.scale,
        }
    }
}

/// The country profiles Comptoir has (ISO 3166-1 alpha-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Country {
    France,
    Switzerland,
}

impl Country {
    pub const ALL: &'static [Country] = &[Country::France, Country::Switzerland];

    pub fn code(self) -> &'static str {
        match self {
            Country::France => "FR",
            Country::Switzerland => "CH",
        }
    }

    pub fn parse(code: &str) -> Option<Country> {
        Country::ALL.iter().copied().find(|c| c.code() == code)
    }

    /// The IANA time zone of the country: a new enterprise's unless it says otherwise
    /// (France's Europe/Paris, Switzerland's Europe/Zurich).
    pub fn time_zone(self) -> &'static str {
        match self {
            Country::France => "Europe/Paris",
            Country::Switzerland => "Europe/Zurich",
        }
    }

    /// The VAT rates a product may carry, in percent (the highest is the standard rate):
    /// France's 0, 5.5 (food), 10 and 20; Switzerland's (since 2024) 0, 2.6 (food), 3.8
    /// (lodging) and 8.1. `catalog.vat_rates` replaces them.
    pub fn vat_rates(self) -> &'static [&'static str] {
        match self {
            Country::France => &["0", "5.5", "10", "20"],
            Country::Switzerland => &["0", "2.6", "3.8", "8.1"],
        }
    }

    /// The languages an account may choose (#19): the country's own — France's French,
    /// Switzerland's French and German — then English, offered everywhere. The first is the
    /// language of an account that names none.
    pub fn languages(self) -> &'static [Locale] {
        match self {
            Country::France => &[Locale::Fr, Locale::En],
            Country::Switzerland => &[Locale::Fr, Locale::De, Locale::En],
        }
    }

    /// The language of a new account: `asked` when it is one of [`Country::languages`], the
    /// first of them when none is asked; else why not (`must be `fr` or `en``).
    pub fn locale(self, asked: Option<&str>) -> Result<Locale, String> {
        let languages = self.languages();
        let Some(asked) = asked else {
            return Ok(languages[0]);
        };
        languages
            .iter()
            .copied()
            .find(|l| l.as_str() == asked)
            .ok_or_else(|| {
                let names: Vec<String> = languages
                    .iter()
                    .map(|l| format!("`{}`", l.as_str()))
                    .collect();
                let list = match names.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("{} or {last}", rest.join(", "))
                    }
                    _ => names.concat(),
                };
                format!(
                    "must be {list} (the languages of a deployment in {})",
                    self.code()
                )
            })
    }
}

/// What a deployment chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    pub legal: Legal,
    pub country: Country,
}

impl Deployment {
    /// A deployment from before the choice existed: the euro, in France.
    pub const EURO_FRANCE: Deployment = Deployment {
        legal: Legal::EUR,
        country: Country::France,
    };

    /// The franc, in Switzerland.
    pub const FRANC_SWITZERLAND: Deployment = Deployment {
        legal: Legal::CHF,
        country: Country::Switzerland,
    };

    /// The deployment a configuration asks for (`EUR`, `FR`…), or why it cannot be.
    pub fn from_codes(currency: &str, country: &str) -> Result<Deployment, String> {
        let tender = Tender::find(currency).ok_or_else(|| {
            let known: Vec<&str> = TENDERS.iter().map(|t| t.code).collect();
            format!(
                "deployment.currency `{currency}` is not a legal tender Comptoir knows (one of {})",
                known.join(", ")
            )
        })?;
        let country = Country::parse(country).ok_or_else(|| {
            let known: Vec<&str> = Country::ALL.iter().map(|c| c.code()).collect();
            format!(
                "deployment.country `{country}` has no profile (one of {})",
                known.join(", ")
            )
        })?;
        Ok(Deployment {
            legal: tender.legal(),
            country,
        })
    }

    /// The known tender of the legal currency.
    pub fn tender(&self) -> Tender {
        Tender::find(self.legal.code.as_str()).unwrap_or(TENDERS[0])
    }
}

#[derive(Queryable, Insertable, AsChangeset)]
#[diesel(table_name = deployment)]
struct Row {
    id: i32,
    legal_currency: String,
    country: String,
    chosen_at: chrono::NaiveDateTime,
}

/// Why the deployment's choice cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// Not recorded yet, or recorded with a value this version does not know.
    #[error("{0}")]
    Unreadable(String),
}

/// The pool's memory of the recorded choice.
#[derive(Default)]
struct Remembered(RwLock<Option<Deployment>>);

/// The deployment's choice, as recorded (remembered by the pool after the first read).
pub fn get(conn: &mut DbConn) -> Result<Deployment, DeploymentError> {
    let remembered = conn.shared().extension::<Remembered>();
    if let Some(known) = *remembered.0.read().unwrap_or_else(|p| p.into_inner()) {
        return Ok(known);
    }
    let found = stored(conn)?.ok_or_else(|| {
        DeploymentError::Unreadable(
            "the deployment's currency and country are not recorded yet: run `comptoir migrate`"
                .into(),
        )
    })?;
    *remembered.0.write().unwrap_or_else(|p| p.into_inner()) = Some(found);
    Ok(found)
}

/// The legal currency ([`get`]'s).
pub fn legal(conn: &mut DbConn) -> Result<Legal, DeploymentError> {
    Ok(get(conn)?.legal)
}

/// The recorded choice, read from the database (`None` before the first run records it).
pub fn stored(conn: &mut DbConn) -> Result<Option<Deployment>, DeploymentError> {
    let row: Option<Row> = deployment::table.find(1).first(conn.diesel()).optional()?;
    row.map(|r| {
        Deployment::from_codes(&r.legal_currency, &r.country)
            .map_err(|e| DeploymentError::Unreadable(format!("the recorded deployment: {e}")))
    })
    .transpose()
}

/// Records `choice` (the first run, or a change while the ledger is empty) and remembers it.
pub fn record(conn: &mut DbConn, choice: Deployment) -> Result<(), DeploymentError> {
    let row = Row {
        id: 1,
        legal_currency: choice.legal.code.to_string(),
        country: choice.country.code().into(),
        chosen_at: crate::time::now(),
    };
    let exists = deployment::table
        .find(1)
        .count()
        .get_result::<i64>(conn.diesel())?
        > 0;
    if exists {
        diesel::update(deployment::table.find(1))
            .set(&row)
            .execute(conn.diesel())?;
    } else {
        diesel::insert_into(deployment::table)
            .values(&row)
            .execute(conn.diesel())?;
    }
    *conn
        .shared()
        .extension::<Remembered>()
        .0
        .write()
        .unwrap_or_else(|p| p.into_inner()) = Some(choice);
    Ok(())
}

/// Forgets the pool's memory of the choice, so that the next [`get`] reads the database (after
/// a transaction that recorded a choice was rolled back).
pub fn forget(conn: &mut DbConn) {
    *conn
        .shared()
        .extension::<Remembered>()
        .0
        .write()
        .unwrap_or_else(|p| p.into_inner()) = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configuration_names_a_known_tender_and_a_profile() {
        let ch = Deployment::from_codes("CHF", "CH").expect("Switzerland");
        assert_eq!(ch, Deployment::FRANC_SWITZERLAND);
        assert_eq!(ch.legal.code.as_str(), "CHF");
        assert_eq!(ch.legal.scale, 2);
        assert_eq!(ch.legal.money(1250).amount_string(), "12.50");
        let unknown = Deployment::from_codes("LEM", "FR").expect_err("a local currency");
        assert!(unknown.contains("not a legal tender"), "{unknown}");
        let nowhere = Deployment::from_codes("EUR", "BE").expect_err("no Belgian profile yet");
        assert!(nowhere.contains("no profile"), "{nowhere}");
        assert_eq!(
            Deployment::from_codes("EUR", "FR"),
            Ok(Deployment::EURO_FRANCE)
        );
    }

    #[test]
    fn a_country_gives_its_languages_and_the_default_of_new_accounts() {
        assert_eq!(Country::France.languages(), [Locale::Fr, Locale::En]);
        assert_eq!(
            Country::Switzerland.languages(),
            [Locale::Fr, Locale::De, Locale::En]
        );
        assert_eq!(Country::France.locale(None), Ok(Locale::Fr));
        assert_eq!(Country::Switzerland.locale(None), Ok(Locale::Fr));
        assert_eq!(Country::Switzerland.locale(Some("de")), Ok(Locale::De));
        assert_eq!(Country::France.locale(Some("en")), Ok(Locale::En));
        assert_eq!(
            Country::France.locale(Some("de")),
            Err("must be `fr` or `en` (the languages of a deployment in FR)".into())
        );
        assert_eq!(
            Country::Switzerland.locale(Some("it")),
            Err("must be `fr`, `de` or `en` (the languages of a deployment in CH)".into())
        );
        for country in Country::ALL {
            assert!(country.languages().contains(&Locale::En), "{country:?}");
        }
    }

    #[test]
    fn every_tender_code_reads_as_itself() {
        for tender in TENDERS {
            assert_eq!(tender.legal().code.as_str(), tender.code);
            assert_eq!(
                tender.scale, TENDER_SCALE,
                "{}: prices are read to the hundredth",
                tender.code
            );
        }
    }
}
