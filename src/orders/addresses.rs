//! Delivery addresses: the parsed [`DeliveryAddress`], a person's saved addresses (their
//! address book) and the address an order is delivered to.
//!
//! Decisions:
//! - **Parse, don't validate**: a [`DeliveryAddress`] is only made by [`DeliveryAddress::parse`]
//!   (or read back from what it stored): trimmed, lengths bounded, the country an ISO 3166-1
//!   alpha-2 code (the deployment's country when none is given), the postcode checked by its
//!   country's rules ([`postcode`]) and the phone normalised ([`phone`]). Every bad field is
//!   reported at once, each by its name (`address.postcode` at checkout, `postcode` in the
//!   address book).
//! - **At checkout** ([`at_checkout`]): a `delivery` method needs `address` (an address typed
//!   in) or `address_id` (one of the customer's saved addresses), not both; a `pickup` method
//!   ignores both and `save_address` — nothing is stored, the order has no address. An
//!   `address_id` that is not one of the customer's is refused like an unknown one (422 on
//!   `address_id`, `unknown`): whether another person's address exists is never told.
//!   `save_address` keeps a typed-in address in the customer's book (not twice: an equal
//!   address already there is kept as it is), within the cap, or the checkout is refused.
//! - **Snapshot**: the address is copied onto the order (`order_addresses`, one row per
//!   delivered order) in the checkout's transaction: editing or deleting a saved address
//!   later never changes a past order. A table of its own rather than columns on `orders`:
//!   pickup orders carry nothing, and the erasure deletes the rows.
//! - **The address book** holds at most [`MAX_SAVED`] addresses per person (the person's row
//!   is locked while one is added, so concurrent additions respect the cap). Another person's
//!   address answers 404, as an unknown one.
//! - **Personal data**: saved addresses are in the person's export; the erasure deletes them
//!   and the addresses of the person's orders (the orders stay, for the accounts).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{order_addresses, orders, user_addresses};
use crate::db::DbConn;
use crate::error::FieldError;
use crate::orders::OrderError;
use crate::time::utc;

/// Most saved addresses per person.
pub const MAX_SAVED: i64 = 20;

/// Longest name (of the person or organisation receiving the delivery), in characters.
pub const NAME_MAX: usize = 100;
/// Longest address line, in characters.
pub const LINE_MAX: usize = 120;
/// Longest city, in characters.
pub const CITY_MAX: usize = 80;
/// Longest delivery note (door code, floor, when to come), in characters.
pub const NOTE_MAX: usize = 300;

/// An address as typed in: text to parse (the HTTP edge's body made into the domain's input).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressInput {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub postcode: String,
    pub city: String,
    /// ISO 3166-1 alpha-2; absent: the deployment's country.
    pub country: Option<String>,
    pub phone: String,
    pub note: Option<String>,
}

/// Changes to a saved address: each field given replaces the saved one (an empty `line2` or
/// `note` removes it); the result is parsed again as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPatch {
    pub name: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub phone: Option<String>,
    pub note: Option<String>,
}

/// An address a delivery can reach: every field checked (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryAddress {
    name: String,
    line1: String,
    line2: Option<String>,
    postcode: String,
    city: String,
    country: String,
    phone: String,
    note: Option<String>,
}

impl DeliveryAddress {
    /// Parses `input`, its country defaulting to `default_country`; each error names its
    /// field under `prefix` (`"address"` gives `address.postcode`; `""` gives `postcode`).
    pub fn parse(
        input: &AddressInput,
        default_country: &str,
        prefix: &str,
    ) -> Result<DeliveryAddress, Vec<FieldError>> {
        let field = |name: &str| {
            if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            }
        };
        let mut errors = Vec::new();
        let mut checked = |name: &str, value: &str, max: usize, required: bool| match text(
            value,
            max,
            required,
            name == "note",
        ) {
            Ok(v) => v,
            Err((code, message)) => {
                errors.push(FieldError::new(field(name), code, message));
                None
            }
        };
        let name = checked("name", &input.name, NAME_MAX, true);
        let line1 = checked("line1", &input.line1, LINE_MAX, true);
        let line2 = checked(
            "line2",
            input.line2.as_deref().unwrap_or(""),
            LINE_MAX,
            false,
        );
        let city = checked("city", &input.city, CITY_MAX, true);
        let note = checked("note", input.note.as_deref().unwrap_or(""), NOTE_MAX, false);
        let country = match country(input.country.as_deref().unwrap_or(default_country)) {
            Ok(c) => Some(c),
            Err(message) => {
                errors.push(FieldError::new(field("country"), "invalid", message));
                None
            }
        };
        let postcode = match &country {
            Some(c) => match postcode(c, &input.postcode) {
                Ok(p) => Some(p),
                Err((code, message)) => {
                    errors.push(FieldError::new(field("postcode"), code, message));
                    None
                }
            },
            None => None,
        };
        let phone = match phone(&input.phone) {
            Ok(p) => Some(p),
            Err((code, message)) => {
                errors.push(FieldError::new(field("phone"), code, message));
                None
            }
        };
        match (name, line1, city, country, postcode, phone) {
            (Some(name), Some(line1), Some(city), Some(country), Some(postcode), Some(phone))
                if errors.is_empty() =>
            {
                Ok(DeliveryAddress {
                    name,
                    line1,
                    line2,
                    postcode,
                    city,
                    country,
                    phone,
                    note,
                })
            }
            _ => Err(errors),
        }
    }

    /// The person or organisation receiving the delivery.
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn line1(&self) -> &str {
        &self.line1
    }
    pub fn line2(&self) -> Option<&str> {
        self.line2.as_deref()
    }
    /// Normalised: no spaces in French and Swiss postcodes, upper case.
    pub fn postcode(&self) -> &str {
        &self.postcode
    }
    pub fn city(&self) -> &str {
        &self.city
    }
    /// ISO 3166-1 alpha-2, upper case.
    pub fn country(&self) -> &str {
        &self.country
    }
    /// Digits, after a `+` when international (separators removed).
    pub fn phone(&self) -> &str {
        &self.phone
    }
    /// What the deliverer should know (door code, floor…).
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// The address lines joined: `line1, line2`.
    pub fn lines(&self) -> String {
        match &self.line2 {
            Some(l2) => format!("{}, {l2}", self.line1),
            None => self.line1.clone(),
        }
    }

    /// The address as the mails' templates read it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name,
            "line1": self.line1,
            "line2": self.line2,
            "postcode": self.postcode,
            "city": self.city,
            "country": self.country,
            "phone": self.phone,
            "note": self.note,
        })
    }

    fn as_input(&self) -> AddressInput {
        AddressInput {
            name: self.name.clone(),
            line1: self.line1.clone(),
            line2: self.line2.clone(),
            postcode: self.postcode.clone(),
            city: self.city.clone(),
            country: Some(self.country.clone()),
            phone: self.phone.clone(),
            note: self.note.clone(),
        }
    }
}

/// Trimmed `value`: at most `max` characters, no control characters (a note may have line
/// breaks); empty: `None`, or an error when `required`.
fn text(
    value: &str,
    max: usize,
    required: bool,
    multiline: bool,
) -> Result<Option<String>, (&'static str, String)> {
    let value = value.trim();
    if value.is_empty() {
        return if required {
            Err(("required", "must not be empty".into()))
        } else {
            Ok(None)
        };
    }
    if value.chars().count() > max {
        return Err(("too_long", format!("must be at most {max} characters")));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    {
        return Err(("invalid", "must not contain control characters".into()));
    }
    Ok(Some(value.to_string()))
}

/// The ISO 3166-1 alpha-2 codes assigned to countries and territories.
const ISO_COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ \
    EC EE EG EH ER ES ET FI FJ FK FM FO FR \
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU \
    ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ \
    LA LB LC LI LK LR LS LT LU LV LY \
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
    NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA \
    RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
    VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// `code` as an ISO 3166-1 alpha-2 code, upper case.
pub fn country(code: &str) -> Result<String, String> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() == 2 && ISO_COUNTRIES.split_whitespace().any(|c| c == code) {
        Ok(code)
    } else {
        Err("must be a country's ISO 3166-1 alpha-2 code, such as FR or CH".into())
    }
}

/// French overseas territories with an ISO code of their own and French postcodes: the first
/// three digits of theirs.
const FRENCH_OVERSEAS: &[(&str, &str)] = &[
    ("GP", "971"),
    ("MQ", "972"),
    ("GF", "973"),
    ("RE", "974"),
    ("PM", "975"),
    ("YT", "976"),
    ("BL", "977"),
    ("MF", "978"),
    ("TF", "984"),
    ("WF", "986"),
    ("PF", "987"),
    ("NC", "988"),
];

/// `raw` as a postcode of `country` (an upper-case ISO code), normalised; or why not.
///
/// - **FR**: 5 digits; the first two are a department, 01 to 95 (Corsica's are 20xxx: 2A and
///   2B are department codes, never postcodes), or the first three an overseas one: 971 to
///   978, 984, 986, 987, 988.
/// - **GP, MQ, GF, RE, PM, YT, BL, MF, TF, WF, PF, NC** (French overseas, with codes of their
///   own): 5 digits, beginning with the territory's three.
/// - **MC**: 980xx. **CH**: 4 digits, 1000 to 9699. **LI**: 9485 to 9498.
/// - **BE, AT, DK, LU, NO**: 4 digits. **DE, IT, ES**: 5 digits.
/// - elsewhere: 2 to 10 letters, digits, spaces or hyphens.
///
/// Spaces are removed from digit-only postcodes ("75 011" is 75011), letters upper-cased.
pub fn postcode(country: &str, raw: &str) -> Result<String, (&'static str, String)> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(("required", "must not be empty".into()));
    }
    let compact: String = trimmed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase();
    let digits: String = compact.chars().filter(|c| *c != ' ').collect();
    let all_digits = |n: usize| digits.len() == n && digits.chars().all(|c| c.is_ascii_digit());
    let invalid = |rule: &str| Err(("invalid", format!("is not a postcode of {country}: {rule}")));
    match country {
        "FR" => {
            if !all_digits(5) {
                return invalid("5 digits");
            }
            let department: u32 = digits[..2].parse().unwrap_or(0);
            let overseas = &digits[..3];
            let ok = (1..=95).contains(&department)
                || (department == 97 && ("971"..="978").contains(&overseas))
                || (department == 98 && ["984", "986", "987", "988"].contains(&overseas));
            if ok {
                Ok(digits)
            } else {
                invalid(
                    "the first two digits are a department, 01 to 95 (Corsica: 20), or the \
                     first three an overseas one (971 to 978, 984, 986 to 988)",
                )
            }
        }
        "MC" => {
            if all_digits(5) && digits.starts_with("980") {
                Ok(digits)
            } else {
                invalid("5 digits beginning with 980")
            }
        }
        "CH" | "LI" => {
            let (low, high) = if country == "CH" {
                (1000, 9699)
            } else {
                (9485, 9498)
            };
            match digits.parse::<u32>() {
                Ok(n) if all_digits(4) && (low..=high).contains(&n) => Ok(digits),
                _ => invalid(&format!("4 digits, {low} to {high}")),
            }
        }
        "BE" | "AT" | "DK" | "LU" | "NO" => {
            if all_digits(4) {
                Ok(digits)
            } else {
                invalid("4 digits")
            }
        }
        "DE" | "IT" | "ES" => {
            if all_digits(5) {
                Ok(digits)
            } else {
                invalid("5 digits")
            }
        }
        other => {
            if let Some((_, prefix)) = FRENCH_OVERSEAS.iter().find(|(c, _)| *c == other) {
                return if all_digits(5) && digits.starts_with(prefix) {
                    Ok(digits)
                } else {
                    invalid(&format!("5 digits beginning with {prefix}"))
                };
            }
            let len = compact.chars().count();
            if (2..=10).contains(&len)
                && compact
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
            {
                Ok(compact)
            } else {
                invalid("2 to 10 letters, digits, spaces or hyphens")
            }
        }
    }
}

/// `raw` as a phone number: digits with spaces, dots, hyphens, slashes or parentheses between
/// them, after an optional `+` (or `00`, read as `+`); 6 to 15 digits. Normalised to the digits
/// alone, after the `+` when there is one (`+33 6 12 34 56 78` is `+33612345678`).
pub fn phone(raw: &str) -> Result<String, (&'static str, String)> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err((
            "required",
            "a delivery needs a phone number to reach you".into(),
        ));
    }
    if trimmed.chars().count() > 30 {
        return Err(("too_long", "must be at most 30 characters".into()));
    }
    let (plus, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '/' | '(' | ')'))
    {
        return Err((
            "invalid",
            "only digits, spaces, dots, hyphens and parentheses, after an optional +".into(),
        ));
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let (plus, digits) = match digits.strip_prefix("00") {
        Some(international) if !plus => (true, international.to_string()),
        _ => (plus, digits),
    };
    if !(6..=15).contains(&digits.len()) {
        return Err(("invalid", "must have 6 to 15 digits".into()));
    }
    Ok(if plus { format!("+{digits}") } else { digits })
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = user_addresses, treat_none_as_null = true)]
struct SavedRow {
    id: String,
    user_id: String,
    name: String,
    line1: String,
    line2: Option<String>,
    postcode: String,
    city: String,
    country: String,
    phone: String,
    note: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl SavedRow {
    fn address(&self) -> DeliveryAddress {
        DeliveryAddress {
            name: self.name.clone(),
            line1: self.line1.clone(),
            line2: self.line2.clone(),
            postcode: self.postcode.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
            phone: self.phone.clone(),
            note: self.note.clone(),
        }
    }

    fn saved(self) -> SavedAddress {
        SavedAddress {
            address: self.address(),
            id: self.id,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_addresses)]
struct OrderAddressRow {
    order_id: String,
    name: String,
    line1: String,
    line2: Option<String>,
    postcode: String,
    city: String,
    country: String,
    phone: String,
    note: Option<String>,
}

impl OrderAddressRow {
    fn address(self) -> (String, DeliveryAddress) {
        (
            self.order_id,
            DeliveryAddress {
                name: self.name,
                line1: self.line1,
                line2: self.line2,
                postcode: self.postcode,
                city: self.city,
                country: self.country,
                phone: self.phone,
                note: self.note,
            },
        )
    }
}

/// One address of a person's address book.
#[derive(Debug, Clone, Serialize)]
pub struct SavedAddress {
    pub id: String,
    #[serde(flatten)]
    pub address: DeliveryAddress,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The deployment's country code (the default of an address's country).
fn home_country(conn: &mut DbConn) -> Result<&'static str, OrderError> {
    Ok(crate::deployment::get(conn)
        .map_err(crate::ledger::LedgerError::from)?
        .country
        .code())
}

/// `user`'s saved addresses, oldest first.
pub fn list(conn: &mut DbConn, user: &str) -> Result<Vec<SavedAddress>, OrderError> {
    Ok(user_addresses::table
        .filter(user_addresses::user_id.eq(user))
        .order((user_addresses::created_at.asc(), user_addresses::id.asc()))
        .select(SavedRow::as_select())
        .load(conn.diesel())?
        .into_iter()
        .map(SavedRow::saved)
        .collect())
}

fn find_row(conn: &mut DbConn, user: &str, id: &str) -> Result<Option<SavedRow>, OrderError> {
    Ok(user_addresses::table
        .filter(user_addresses::id.eq(id))
        .filter(user_addresses::user_id.eq(user))
        .select(SavedRow::as_select())
        .first(conn.diesel())
        .optional()?)
}

fn not_found(id: &str) -> OrderError {
    OrderError::NotFound(format!("you have no saved address `{id}`"))
}

/// Adds `address` to `user`'s book (within [`MAX_SAVED`]; the caller's transaction, the
/// person's row locked); `full` is the error when the book is full. An equal address already
/// saved is answered instead of a copy, with `false` (not added).
fn add(
    conn: &mut DbConn,
    user: &str,
    address: &DeliveryAddress,
    full: impl FnOnce(String) -> OrderError,
) -> Result<(SavedAddress, bool), OrderError> {
    crate::db::lock_row(conn, "users", user)?;
    let existing: Vec<SavedRow> = user_addresses::table
        .filter(user_addresses::user_id.eq(user))
        .select(SavedRow::as_select())
        .load(conn.diesel())?;
    if let Some(same) = existing.iter().find(|r| r.address() == *address) {
        return Ok((same.clone().saved(), false));
    }
    if existing.len() as i64 >= MAX_SAVED {
        return Err(full(format!(
            "you have {MAX_SAVED} saved addresses, the most there may be: delete one first"
        )));
    }
    let now = crate::time::now();
    let a = address.clone();
    let row = SavedRow {
        id: crate::time::new_id(),
        user_id: user.into(),
        name: a.name,
        line1: a.line1,
        line2: a.line2,
        postcode: a.postcode,
        city: a.city,
        country: a.country,
        phone: a.phone,
        note: a.note,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(user_addresses::table)
        .values(&row)
        .execute(conn.diesel())?;
    Ok((row.saved(), true))
}

/// Saves a new address in `user`'s book, in one transaction: 409 when the book is full.
/// Returns the address and whether it was added (`false`: an equal one was there already).
pub fn create(
    conn: &mut DbConn,
    user: &str,
    input: &AddressInput,
) -> Result<(SavedAddress, bool), OrderError> {
    conn.transaction(|conn| {
        let address =
            DeliveryAddress::parse(input, home_country(conn)?, "").map_err(OrderError::invalid)?;
        add(conn, user, &address, OrderError::Conflict)
    })
}

/// Changes one of `user`'s saved addresses (404 when it is not theirs), in one transaction.
/// Orders already delivered to it keep their copy.
pub fn update(
    conn: &mut DbConn,
    user: &str,
    id: &str,
    patch: &AddressPatch,
) -> Result<SavedAddress, OrderError> {
    conn.transaction(|conn| {
        let row = find_row(conn, user, id)?.ok_or_else(|| not_found(id))?;
        let mut input = row.address().as_input();
        let AddressPatch {
            name,
            line1,
            line2,
            postcode,
            city,
            country,
            phone,
            note,
        } = patch.clone();
        let set = |target: &mut String, value: Option<String>| {
            if let Some(v) = value {
                *target = v;
            }
        };
        set(&mut input.name, name);
        set(&mut input.line1, line1);
        set(&mut input.postcode, postcode);
        set(&mut input.city, city);
        set(&mut input.phone, phone);
        if line2.is_some() {
            input.line2 = line2;
        }
        if note.is_some() {
            input.note = note;
        }
        if country.is_some() {
            input.country = country;
        }
        let a =
            DeliveryAddress::parse(&input, home_country(conn)?, "").map_err(OrderError::invalid)?;
        let updated = SavedRow {
            name: a.name,
            line1: a.line1,
            line2: a.line2,
            postcode: a.postcode,
            city: a.city,
            country: a.country,
            phone: a.phone,
            note: a.note,
            updated_at: crate::time::now(),
            ..row
        };
        diesel::update(user_addresses::table.find(&updated.id))
            .set(&updated)
            .execute(conn.diesel())?;
        Ok(updated.saved())
    })
}

/// Deletes one of `user`'s saved addresses (404 when it is not theirs). Orders keep their copy.
pub fn delete(conn: &mut DbConn, user: &str, id: &str) -> Result<(), OrderError> {
    let deleted = diesel::delete(
        user_addresses::table
            .filter(user_addresses::id.eq(id))
            .filter(user_addresses::user_id.eq(user)),
    )
    .execute(conn.diesel())?;
    if deleted == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// What the customer gave at checkout about the address.
#[derive(Debug, Clone, Copy)]
pub struct CheckoutChoice<'a> {
    pub address: Option<&'a AddressInput>,
    pub address_id: Option<&'a str>,
    pub save_address: bool,
}

/// The address of an order being checked out by `customer` with a method of `kind`, in the
/// checkout's transaction: parsed (or read from the customer's book), saved when asked, and
/// snapshotted on `order_id`. `None` for a pickup (see the module documentation).
pub fn at_checkout(
    conn: &mut DbConn,
    customer: &str,
    order_id: &str,
    kind: &str,
    choice: CheckoutChoice<'_>,
) -> Result<Option<DeliveryAddress>, OrderError> {
    if kind != super::shipping::ShippingKind::Delivery.as_str() {
        return Ok(None);
    }
    let address = match (choice.address, choice.address_id) {
        (Some(_), Some(_)) => {
            return Err(OrderError::field(
                "address_id",
                "conflict",
                "give either `address` or `address_id`, not both",
            ))
        }
        (None, None) => {
            return Err(OrderError::field(
                "address",
                "required",
                "a delivery needs an address: give `address`, or `address_id` (one of your \
                 saved addresses, GET /api/v1/me/addresses)",
            ))
        }
        (None, Some(id)) => find_row(conn, customer, id)?
            .ok_or_else(|| {
                OrderError::field(
                    "address_id",
                    "unknown",
                    "is not one of your saved addresses",
                )
            })?
            .address(),
        (Some(input), None) => {
            let address = DeliveryAddress::parse(input, home_country(conn)?, "address")
                .map_err(OrderError::invalid)?;
            if choice.save_address {
                add(conn, customer, &address, |message| {
                    OrderError::field("save_address", "too_many", message)
                })?;
            }
            address
        }
    };
    let a = address.clone();
    diesel::insert_into(order_addresses::table)
        .values(OrderAddressRow {
            order_id: order_id.into(),
            name: a.name,
            line1: a.line1,
            line2: a.line2,
            postcode: a.postcode,
            city: a.city,
            country: a.country,
            phone: a.phone,
            note: a.note,
        })
        .execute(conn.diesel())?;
    Ok(Some(address))
}

/// The delivery addresses of the orders `ids`, by order id (pickup orders have none).
pub fn of_orders(
    conn: &mut DbConn,
    ids: &[&str],
) -> Result<HashMap<String, DeliveryAddress>, OrderError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(order_addresses::table
        .filter(order_addresses::order_id.eq_any(ids))
        .select(OrderAddressRow::as_select())
        .load(conn.diesel())?
        .into_iter()
        .map(OrderAddressRow::address)
        .collect())
}

/// The delivery addresses of a cycle's orders, by order id.
pub fn of_cycle(
    conn: &mut DbConn,
    cycle_id: &str,
) -> Result<HashMap<String, DeliveryAddress>, OrderError> {
    Ok(order_addresses::table
        .inner_join(orders::table)
        .filter(orders::order_cycle_id.eq(cycle_id))
        .select(OrderAddressRow::as_select())
        .load(conn.diesel())?
        .into_iter()
        .map(OrderAddressRow::address)
        .collect())
}

/// Deletes `user`'s saved addresses and the addresses of their orders (the erasure, in its
/// transaction); returns how many rows went.
pub fn erase(conn: &mut DbConn, user: &str) -> Result<usize, OrderError> {
    let c = conn.diesel();
    let saved = diesel::delete(user_addresses::table.filter(user_addresses::user_id.eq(user)))
        .execute(c)?;
    let ordered = diesel::delete(
        order_addresses::table.filter(
            order_addresses::order_id.eq_any(
                orders::table
                    .filter(orders::customer_id.eq(user))
                    .select(orders::id),
            ),
        ),
    )
    .execute(c)?;
    Ok(saved + ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_follow_their_countrys_rules() {
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("FR", "75011", Some("75011")),
            ("FR", " 75 011 ", Some("75011")),
            ("FR", "01000", Some("01000")),
            ("FR", "95880", Some("95880")),
            ("FR", "20000", Some("20000")), // Ajaccio: Corsica is 20xxx
            ("FR", "20200", Some("20200")), // Bastia
            ("FR", "2A000", None),          // a department code, never a postcode
            ("FR", "2B200", None),
            ("FR", "00100", None),
            ("FR", "96000", None),
            ("FR", "97110", Some("97110")), // Guadeloupe
            ("FR", "97400", Some("97400")), // La Réunion
            ("FR", "97600", Some("97600")), // Mayotte
            ("FR", "97900", None),
            ("FR", "97000", None),
            ("FR", "98800", Some("98800")), // Nouvelle-Calédonie
            ("FR", "98000", None),          // Monaco is MC
            ("FR", "98500", None),
            ("FR", "7501", None),
            ("FR", "750111", None),
            ("FR", "75O11", None),
            ("FR", "", None),
            ("MC", "98000", Some("98000")),
            ("MC", "75011", None),
            ("RE", "97400", Some("97400")),
            ("RE", "97100", None),
            ("CH", "1000", Some("1000")),
            ("CH", "1204", Some("1204")),
            ("CH", "9699", Some("9699")),
            ("CH", "0999", None),
            ("CH", "999", None),
            ("CH", "9700", None),
            ("CH", "12045", None),
            ("LI", "9490", Some("9490")),
            ("LI", "1204", None),
            ("BE", "1000", Some("1000")),
            ("DE", "10115", Some("10115")),
            ("GB", "sw1a 1aa", Some("SW1A 1AA")),
            ("NL", "1012 AB", Some("1012 AB")),
            ("US", "x", None),
            ("US", "12345-67890!", None),
        ];
        for (country, raw, want) in cases {
            let got = postcode(country, raw).ok();
            assert_eq!(got.as_deref(), *want, "{country} {raw:?}");
        }
    }

    #[test]
    fn phones_are_normalised_or_refused() {
        let cases: &[(&str, Option<&str>)] = &[
            ("06 12 34 56 78", Some("0612345678")),
            ("+33 6 12 34 56 78", Some("+33612345678")),
            ("0033 6.12.34.56.78", Some("+33612345678")),
            ("+41 (0)22-123 45 67", Some("+410221234567")),
            ("022/123 45 67", Some("0221234567")),
            ("", None),
            ("12345", None),
            ("+1234567890123456", None),
            ("06 12 34 56 7a", None),
            ("06+12345678", None),
        ];
        for (raw, want) in cases {
            assert_eq!(phone(raw).ok().as_deref(), *want, "{raw:?}");
        }
    }

    fn input() -> AddressInput {
        AddressInput {
            name: " Camille Fèvre ".into(),
            line1: "3 rue des Lilas".into(),
            line2: Some("  ".into()),
            postcode: "69004".into(),
            city: "Lyon".into(),
            country: None,
            phone: "06 12 34 56 78".into(),
            note: Some("Code 1234\nau 2e".into()),
        }
    }

    #[test]
    fn an_address_is_parsed_whole_with_the_deployments_country_by_default() {
        let a = DeliveryAddress::parse(&input(), "FR", "address").expect("valid");
        assert_eq!(a.name(), "Camille Fèvre");
        assert_eq!(a.line2(), None);
        assert_eq!(a.country(), "FR");
        assert_eq!(a.phone(), "0612345678");
        assert_eq!(a.note(), Some("Code 1234\nau 2e"));
        let swiss = AddressInput {
            postcode: "1204".into(),
            country: Some("ch".into()),
            ..input()
        };
        assert_eq!(
            DeliveryAddress::parse(&swiss, "FR", "").map(|a| a.country().to_string()),
            Ok("CH".into())
        );
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let bad = AddressInput {
            name: "".into(),
            line1: "x".repeat(LINE_MAX + 1),
            postcode: "2A004".into(),
            city: "Ajac\u{7}cio".into(),
            country: None,
            phone: "".into(),
            note: Some("n".repeat(NOTE_MAX + 1)),
            ..input()
        };
        let errors = DeliveryAddress::parse(&bad, "FR", "address").expect_err("invalid");
        let fields: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("address.name", "required"),
                ("address.line1", "too_long"),
                ("address.city", "invalid"),
                ("address.note", "too_long"),
                ("address.postcode", "invalid"),
                ("address.phone", "required"),
            ]
        );
        let unknown = AddressInput {
            country: Some("XX".into()),
            ..input()
        };
        let errors = DeliveryAddress::parse(&unknown, "FR", "").expect_err("invalid");
        assert_eq!(errors[0].field, "country");
    }

    #[test]
    fn the_country_list_is_iso_3166_alpha_2() {
        let codes: Vec<&str> = ISO_COUNTRIES.split_whitespace().collect();
        assert_eq!(codes.len(), 249);
        assert!(
            codes.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        assert!(codes.iter().all(|c| c.len() == 2));
    }
}
