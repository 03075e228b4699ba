//! Creating and editing enterprises.
//!
//! Rules (decided here, documented in the README):
//! - any person with a verified session may create a producer, a hub or a producer-hub and
//!   becomes its owner; only platform admins create currency associations;
//! - the slug (lowercase letters, digits and dashes, 2–63 characters) is derived from the
//!   name when not given, and is unique;
//! - SIREN, SIRET and VAT numbers are checked by their check digits, and must agree with each
//!   other (a SIRET starts with the SIREN; a French VAT number contains it); a SIRET alone
//!   fills in the SIREN;
//! - an enterprise always accepts the legal currency; it may ask to accept local currencies,
//!   which it accepts — with a wallet in each — once their associations approve it
//!   ([`set_currencies`], `association::professionals`);
//! - the kind may move between producer, hub and producer-hub, never to or from a currency
//!   association;
//! - the order prefix (what its order numbers start with, `CAG`) is 2 to 6 uppercase letters
//!   or digits, a letter first, unique in the deployment; derived from the name when not given
//!   (see [`super::prefix`]);
//! - the time zone is an IANA name its mails show times in; when not given, its country's
//!   (France: Europe/Paris, Switzerland: Europe/Zurich; another country: the deployment's).

use diesel::prelude::*;

use super::identifiers::{Siren, Siret, SwissVat, Uid, VatNumber};
use super::EnterpriseError;
use super::{EnterpriseKind, EnterpriseRow};
use crate::auth::users::Role;
use crate::db::schema::{enterprise_currencies, enterprise_roles, enterprises};
use crate::db::DbConn;
use crate::deployment::Country;
use crate::error::{FieldError, Invalid};
use crate::ledger::accounts::Owner;
use crate::ledger::currencies;

/// Fields of an enterprise a client may set. `None` leaves a field as it is (on update) or
/// at its default (on create); `Some("")` clears an optional text field.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub kind: Option<EnterpriseKind>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<AddressInput>,
    pub siren: Option<String>,
    pub siret: Option<String>,
    pub uid: Option<String>,
    pub vat_number: Option<String>,
    /// Local currencies accepted besides the euro (the list replaces the current one).
    pub accepted_currencies: Option<Vec<String>>,
    /// `public` or `hidden`.
    pub visibility: Option<String>,
    /// What its order numbers start with: 2 to 6 letters or digits, a letter first (written
    /// in upper case).
    pub order_prefix: Option<String>,
    /// IANA time zone (`Europe/Paris`).
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AddressInput {
    pub line: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. `FR`.
    pub country_code: Option<String>,
}

/// A slug from a name: lowercase ASCII letters and digits, other runs become one dash.
pub fn slugify(name: &str) -> String {
    // the catalogue's folding (accents off, lowercase, one separator per run), with dashes
    crate::text::fold(name)
        .replace(' ', "-")
        .chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// A slug never looks like an id: routes accept either, and must not mistake one for the
/// other.
fn valid_slug(slug: &str) -> bool {
    uuid::Uuid::parse_str(slug).is_err()
        && (2..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

/// Trims; empty means "cleared".
fn optional(value: &str) -> Option<String> {
    let t = value.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Applies `input` to `row`, collecting every field error.
fn apply(
    row: &mut EnterpriseRow,
    input: &EnterpriseInput,
    country: Country,
    errors: &mut Vec<FieldError>,
) {
    if let Some(name) = &input.name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            errors.push(FieldError::new(
                "name",
                "invalid_length",
                "must be 1 to 120 characters",
            ));
        }
        row.name = name.to_string();
    }
    if let Some(slug) = &input.slug {
        if !valid_slug(slug) {
            errors.push(FieldError::new(
                "slug",
                "invalid_slug",
                "must be 2 to 63 lowercase letters, digits or dashes, not starting or ending with a dash",
            ));
        }
        row.slug = slug.clone();
    }
    if let Some(description) = &input.description {
        if description.chars().count() > 5000 {
            errors.push(FieldError::new(
                "description",
                "too_long",
                "must be at most 5000 characters",
            ));
        }
        row.description = description.trim().to_string();
    }
    if let Some(email) = &input.email {
        row.email = match optional(email) {
            None => None,
            Some(e) => match crate::auth::registration::Email::parse(&e) {
                Ok(e) => Some(e.as_str().to_string()),
                Err(_) => {
                    errors.push(FieldError::new(
                        "email",
                        "invalid_email",
                        "is not an email address",
                    ));
                    None
                }
            },
        };
    }
    if let Some(phone) = &input.phone {
        let p = optional(phone);
        if p.as_deref().is_some_and(|p| {
            p.len() > 30
                || !p
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +().-".contains(c))
        }) {
            errors.push(FieldError::new(
                "phone",
                "invalid_phone",
                "digits, spaces and + ( ) . - only, at most 30",
            ));
        }
        row.phone = p;
    }
    if let Some(address) = &input.address {
        if let Some(line) = &address.line {
            row.address_line = line.trim().to_string();
        }
        if let Some(postcode) = &address.postcode {
            row.postcode = postcode.trim().to_string();
        }
        if let Some(city) = &address.city {
            row.city = city.trim().to_string();
        }
        if let Some(country) = &address.country_code {
            let c = country.trim().to_ascii_uppercase();
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                errors.push(FieldError::new(
                    "address.country_code",
                    "invalid_country",
                    "must be an ISO 3166-1 alpha-2 code such as FR",
                ));
            }
            row.country_code = c;
        }
    }
    // checked when the address changes: a postcode saved before the check is kept as it is
    let address_changed = input
        .address
        .as_ref()
        .is_some_and(|a| a.postcode.is_some() || a.country_code.is_some());
    if address_changed && !row.postcode.is_empty() {
        if let Err(message) = check_postcode(&row.country_code, &row.postcode) {
            errors.push(FieldError::new(
                "address.postcode",
                "invalid_postcode",
                message,
            ));
        }
    }
    if let Some(visibility) = &input.visibility {
        if !matches!(visibility.as_str(), "public" | "hidden") {
            errors.push(FieldError::new(
                "visibility",
                "invalid_choice",
                "must be `public` or `hidden`",
            ));
        }
        row.visibility = visibility.clone();
    }
    if let Some(prefix) = &input.order_prefix {
        let prefix = prefix.trim().to_ascii_uppercase();
        if !super::prefix::valid_prefix(&prefix) {
            errors.push(FieldError::new(
                "order_prefix",
                "invalid_prefix",
                super::prefix::PREFIX_RULE,
            ));
        }
        row.order_prefix = prefix;
    }
    if let Some(zone) = &input.time_zone {
        let zone = zone.trim();
        if crate::time::zone(zone).is_none() {
            errors.push(FieldError::new(
                "time_zone",
                "unknown_time_zone",
                "must be an IANA time zone such as Europe/Paris or Europe/Zurich",
            ));
        }
        row.time_zone = zone.to_string();
    }
    apply_identifiers(row, input, country, errors);
}

/// A postcode as its country writes it: five digits in France, four (not starting with 0)
/// in Switzerland; elsewhere up to 10 letters, digits, spaces or dashes.
fn check_postcode(country: &str, postcode: &str) -> Result<(), String> {
    let digits = |n: usize| postcode.len() == n && postcode.bytes().all(|b| b.is_ascii_digit());
    let fine = match country {
        "FR" => digits(5),
        "CH" => digits(4) && !postcode.starts_with('0'),
        _ => {
            postcode.len() <= 10
                && postcode
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        }
    };
    if fine {
        Ok(())
    } else {
        Err(match country {
            "FR" => "a French postcode has five digits, e.g. 69001".into(),
            "CH" => "a Swiss postcode has four digits, e.g. 1870".into(),
            _ => "at most 10 letters, digits, spaces or dashes".into(),
        })
    }
}

/// The legal identifiers of the deployment's country: SIREN, SIRET and a VAT number in
/// France; the UID and a Swiss VAT number (the UID with MWST, TVA or IVA) in Switzerland. An
/// identifier of the other country is refused, saying which one applies.
fn apply_identifiers(
    row: &mut EnterpriseRow,
    input: &EnterpriseInput,
    country: Country,
    errors: &mut Vec<FieldError>,
) {
    let foreign = |field: &str, value: &Option<String>, errors: &mut Vec<FieldError>| {
        if value.as_deref().is_some_and(|v| !v.trim().is_empty()) {
            let applies = match country {
                Country::France => "SIREN, SIRET and VAT number",
                Country::Switzerland => "UID and VAT number",
            };
            errors.push(FieldError::new(
                field,
                "not_applicable",
                format!(
                    "not an identifier of this deployment's country ({}): give its {applies}",
                    country.code()
                ),
            ));
        }
    };
    let mut check =
        |field: &str,
         value: &Option<String>,
         parse: &dyn Fn(&str) -> Result<String, super::identifiers::IdentifierError>|
         -> Option<Option<String>> {
            let value = value.as_deref()?;
            match optional(value) {
                None => Some(None),
                Some(v) => match parse(&v) {
                    Ok(v) => Some(Some(v)),
                    Err(e) => {
                        errors.push(FieldError::new(field, e.code, e.message));
                        None
                    }
                },
            }
        };
    match country {
        Country::France => {
            let siren = check("siren", &input.siren, &|v| {
                Siren::parse(v).map(|s| s.as_str().to_string())
            });
            let siret = check("siret", &input.siret, &|v| {
                Siret::parse(v).map(|s| s.as_str().to_string())
            });
            let vat = check("vat_number", &input.vat_number, &|v| {
                VatNumber::parse(v).map(|s| s.as_str().to_string())
            });
            foreign("uid", &input.uid, errors);
            if let Some(siren) = siren {
                row.siren = siren;
            }
            if let Some(siret) = siret {
                row.siret = siret;
                if row.siren.is_none() && input.siren.is_none() {
                    row.siren = row.siret.as_ref().map(|s| s[..9].to_string());
                }
            }
            if let Some(vat) = vat {
                row.vat_number = vat;
            }
            if let (Some(siren), Some(siret)) = (&row.siren, &row.siret) {
                if !siret.starts_with(siren.as_str()) {
                    errors.push(FieldError::new(
                        "siret",
                        "siren_mismatch",
                        "does not start with the SIREN",
                    ));
                }
            }
            if let (Some(siren), Some(vat)) = (&row.siren, &row.vat_number) {
                if let Some(in_vat) = vat.strip_prefix("FR").and_then(|r| r.get(2..)) {
                    if in_vat != siren {
                        errors.push(FieldError::new(
                            "vat_number",
                            "siren_mismatch",
                            "does not contain the SIREN",
                        ));
                    }
                }
            }
        }
        Country::Switzerland => {
            let uid = check("uid", &input.uid, &|v| Uid::parse(v).map(|u| u.as_shown()));
            let vat = check("vat_number", &input.vat_number, &|v| {
                SwissVat::parse(v).map(|s| s.as_shown())
            });
            foreign("siren", &input.siren, errors);
            foreign("siret", &input.siret, errors);
            if let Some(uid) = uid {
                row.uid = uid;
            }
            if let Some(vat) = vat {
                row.vat_number = vat;
            }
            // the VAT number is the UID's, with its suffix
            if let (Some(uid), Some(vat)) = (&row.uid, &row.vat_number) {
                if !vat.starts_with(uid.as_str()) {
                    errors.push(FieldError::new(
                        "vat_number",
                        "uid_mismatch",
                        "is not this enterprise's UID followed by MWST, TVA or IVA",
                    ));
                }
            }
        }
    }
}

/// Checks the accepted currencies: known local currencies, no duplicates.
fn accepted(
    conn: &mut DbConn,
    codes: &[String],
    errors: &mut Vec<FieldError>,
) -> Result<Vec<String>, EnterpriseError> {
    let legal = currencies::legal(conn)?;
    let mut out: Vec<String> = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        if legal.is(code) || out.contains(code) {
            continue;
        }
        match currencies::get(conn, code) {
            Ok(c) if c.is_local() => out.push(code.clone()),
            _ => errors.push(FieldError::new(
                format!("accepted_currencies[{i}]"),
                "unknown_currency",
                format!("`{code}` is not a local currency of this platform"),
            )),
        }
    }
    Ok(out)
}

/// Applies `input` to a new `row` by [`create`]'s rules — name, slug, contacts, the address
/// and its postcode, `country`'s legal identifiers — without writing anything: how a demo's
/// enterprises are checked before its load writes them.
pub fn prepare(
    row: &mut EnterpriseRow,
    input: &EnterpriseInput,
    country: Country,
) -> Result<(), EnterpriseError> {
    let mut errors = Vec::new();
    apply(row, input, country, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(EnterpriseError::Invalid(Invalid(errors)))
    }
}

/// Creates an enterprise owned by `owner_user_id`, with its wallets.
pub fn create(
    conn: &mut DbConn,
    owner_user_id: &str,
    input: &EnterpriseInput,
) -> Result<EnterpriseRow, EnterpriseError> {
    let mut errors = Vec::new();
    let name = input.name.clone().unwrap_or_default();
    let kind = input.kind.unwrap_or(EnterpriseKind::Producer);
    let mut row = EnterpriseRow::new(String::new(), name.trim().to_string(), kind, "public");
    let now = row.created_at;
    if input.name.is_none() {
        errors.push(FieldError::new("name", "required", "is required"));
    }
    if input.kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "required",
            "is required: producer, hub or producer_hub",
        ));
    }
    let country = crate::deployment::get(conn)
        .map_err(crate::ledger::LedgerError::from)?
        .country;
    // an address is in the deployment's country unless it says otherwise
    row.country_code = country.code().to_string();
    apply(&mut row, input, country, &mut errors);
    if input.time_zone.is_none() {
        row.time_zone = Country::parse(&row.country_code)
            .unwrap_or(country)
            .time_zone()
            .to_string();
    }
    if input.order_prefix.is_none() {
        row.order_prefix = super::prefix::derive_prefix(&row.name);
    }
    if input.slug.is_none() {
        row.slug = slugify(&row.name);
        if !valid_slug(&row.slug) {
            row.slug = format!("enterprise-{}", &row.id[row.id.len() - 8..]);
        }
    }
    let codes = accepted(
        conn,
        input.accepted_currencies.as_deref().unwrap_or(&[]),
        &mut errors,
    )?;
    if !errors.is_empty() {
        return Err(EnterpriseError::Invalid(Invalid(errors)));
    }
    let derived_slug = input.slug.is_none();
    conn.transaction(|conn| {
        if slug_taken(conn, &row.slug, &row.id)? {
            if !derived_slug {
                return Err(slug_taken_error(&row.slug));
            }
            // a name already used elsewhere: the derived slug gets a distinct ending
            row.slug = format!("{}-{}", row.slug, &row.id[row.id.len() - 6..]);
        }
        if input.order_prefix.is_some() {
            if super::prefix::prefix_taken(conn, &row.order_prefix, &row.id)? {
                return Err(prefix_taken_error(&row.order_prefix));
            }
        } else {
            // a derived prefix taken: the first free one with a number after it
            row.order_prefix = super::prefix::free_prefix(conn, &row.order_prefix, &row.id)?
                .ok_or_else(|| prefix_taken_error(&row.order_prefix))?;
        }
        {
            let conn = conn.diesel();
            diesel::insert_into(enterprises::table)
                .values(&row)
                .execute(conn)?;
            diesel::insert_into(enterprise_roles::table)
                .values((
                    enterprise_roles::enterprise_id.eq(&row.id),
                    enterprise_roles::user_id.eq(owner_user_id),
                    enterprise_roles::role.eq(Role::Owner.as_str()),
                    enterprise_roles::created_at.eq(now),
                ))
                .execute(conn)
        }
        .map_err(|e| unique_violation(e, &row))?;
        for code in set_currencies(conn, &row, &codes)? {
            tell_association(conn, &row, &code)?;
        }
        Ok(row.clone())
    })
}

fn slug_taken(conn: &mut DbConn, slug: &str, own_id: &str) -> Result<bool, EnterpriseError> {
    let n: i64 = enterprises::table
        .filter(enterprises::slug.eq(slug))
        .filter(enterprises::id.ne(own_id))
        .count()
        .get_result(conn.diesel())?;
    Ok(n > 0)
}

fn slug_taken_error(slug: &str) -> EnterpriseError {
    EnterpriseError::field(
        "slug",
        "taken",
        format!("`{slug}` is already used by another enterprise"),
    )
}

fn prefix_taken_error(prefix: &str) -> EnterpriseError {
    EnterpriseError::field(
        "order_prefix",
        "taken",
        format!(
            "`{prefix}` is already the order prefix of another enterprise, or its orders' \
             numbers carry it: choose another"
        ),
    )
}

/// Two requests racing past [`slug_taken`] or the prefix's check meet the unique index: the
/// loser gets a 422 too.
fn unique_violation(e: diesel::result::Error, row: &EnterpriseRow) -> EnterpriseError {
    if crate::db::violates_unique(&e, &["order_prefix"]) {
        prefix_taken_error(&row.order_prefix)
    } else if crate::db::violates_unique(&e, &["slug"]) {
        slug_taken_error(&row.slug)
    } else {
        e.into()
    }
}

/// Sets the local currencies an enterprise asks to accept, and opens its wallets.
///
/// A producer or hub does not accept a local currency on its own say: a currency newly listed
/// is *requested*, and its association's owners and treasurers are mailed; once they approve
/// (`association::professionals`), the wallet opens and the enterprise shows as accepting it.
/// A currency listed again after a refusal is asked again. A currency left out is withdrawn
/// (its wallet and balance stay), except a suspended one: a suspension stays until the
/// association lifts it. The legal currency's wallet always opens. A currency association's
/// list is taken as it is (its accounts come with the currencies it issues).
///
/// Answers the currencies newly asked for: [`create`] and [`update`] tell their associations
/// ([`tell_association`]); the demo loader approves them at once instead.
pub fn set_currencies(
    conn: &mut DbConn,
    row: &EnterpriseRow,
    codes: &[String],
) -> Result<Vec<String>, EnterpriseError> {
    use enterprise_currencies as ec;
    if row.kind == EnterpriseKind::CurrencyAssociation.as_str() {
        diesel::delete(ec::table.filter(ec::enterprise_id.eq(&row.id))).execute(conn.diesel())?;
        for code in codes {
            diesel::insert_into(ec::table)
                .values((ec::enterprise_id.eq(&row.id), ec::currency_code.eq(code)))
                .execute(conn.diesel())?;
        }
        return Ok(Vec::new());
    }
    let now = crate::time::now();
    let existing: Vec<(String, String)> = ec::table
        .filter(ec::enterprise_id.eq(&row.id))
        .select((ec::currency_code, ec::state))
        .load(conn.diesel())?;
    diesel::delete(
        ec::table
            .filter(ec::enterprise_id.eq(&row.id))
            .filter(ec::currency_code.ne_all(codes))
            .filter(ec::state.ne("suspended")),
    )
    .execute(conn.diesel())?;
    let mut asked = Vec::new();
    for code in codes {
        match existing
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, s)| s.as_str())
        {
            None => {
                diesel::insert_into(ec::table)
                    .values((
                        ec::enterprise_id.eq(&row.id),
                        ec::currency_code.eq(code),
                        ec::state.eq("requested"),
                        ec::requested_at.eq(Some(now)),
                    ))
                    .execute(conn.diesel())?;
                asked.push(code.clone());
            }
            Some("refused") => {
                diesel::update(ec::table.find((&row.id, code)))
                    .set((
                        ec::state.eq("requested"),
                        ec::reason.eq(""),
                        ec::requested_at.eq(Some(now)),
                        ec::decided_at.eq(None::<chrono::NaiveDateTime>),
                        ec::decided_by.eq(None::<String>),
                    ))
                    .execute(conn.diesel())?;
                asked.push(code.clone());
            }
            Some(_) => {}
        }
    }
    let legal = currencies::legal(conn)?.code.to_string();
    crate::ledger::ops::wallet(conn, Owner::Enterprise(row.id.clone().into()), &legal)?;
    let approved: Vec<String> = ec::table
        .filter(ec::enterprise_id.eq(&row.id))
        .filter(ec::state.eq("approved"))
        .select(ec::currency_code)
        .load(conn.diesel())?;
    for code in &approved {
        crate::ledger::ops::wallet(conn, Owner::Enterprise(row.id.clone().into()), code)?;
    }
    Ok(asked)
}

/// Mails the owners and treasurers of `code`'s association that `row` asks to accept it.
pub fn tell_association(
    conn: &mut DbConn,
    row: &EnterpriseRow,
    code: &str,
) -> Result<(), EnterpriseError> {
    let currency = currencies::get(conn, code)?;
    let Some(issuer) = currency.issuer_id else {
        return Ok(());
    };
    let association: String = enterprises::table
        .find(&issuer)
        .select(enterprises::name)
        .first(conn.diesel())?;
    let people = super::roles::recipients(conn, &issuer, &[Role::Owner, Role::Treasurer])?;
    for person in people {
        let values = serde_json::json!({
            "display_name": person.display_name,
            "association_name": association,
            "enterprise_name": row.name,
            "enterprise_id": row.id,
            "enterprise_slug": row.slug,
            "enterprise_city": row.city,
            "currency": code,
        });
        crate::mail::outbox::enqueue(
            conn,
            &person.email,
            "professional_requested",
            &person.locale,
            &values,
        )
        .map_err(crate::ledger::LedgerError::from)?;
    }
    Ok(())
}

/// Applies `input` to enterprise `id`.
pub fn update(
    conn: &mut DbConn,
    id: &str,
    input: &EnterpriseInput,
) -> Result<EnterpriseRow, EnterpriseError> {
    // read, merge and write under the row's lock: concurrent edits lose nothing
    conn.transaction(|conn| {
        crate::db::lock_row(conn, "enterprises", id)?;
        let mut row = super::get_row(conn, id)?;
        let mut errors = Vec::new();
        if let Some(kind) = input.kind {
            let current = EnterpriseKind::parse(&row.kind);
            let association =
                |k: Option<EnterpriseKind>| k == Some(EnterpriseKind::CurrencyAssociation);
            if association(current) != association(Some(kind)) {
                errors.push(FieldError::new(
                    "kind",
                    "invalid_change",
                    "a currency association stays one, and no other enterprise becomes one",
                ));
            }
            row.kind = kind.as_str().to_string();
        }
        let country = crate::deployment::get(conn)
            .map_err(crate::ledger::LedgerError::from)?
            .country;
        apply(&mut row, input, country, &mut errors);
        let codes = match &input.accepted_currencies {
            Some(list) => Some(accepted(conn, list, &mut errors)?),
            None => None,
        };
        if !errors.is_empty() {
            return Err(EnterpriseError::Invalid(Invalid(errors)));
        }
        row.updated_at = crate::time::now();
        if slug_taken(conn, &row.slug, &row.id)? {
            return Err(slug_taken_error(&row.slug));
        }
        if input.order_prefix.is_some()
            && super::prefix::prefix_taken(conn, &row.order_prefix, &row.id)?
        {
            return Err(prefix_taken_error(&row.order_prefix));
        }
        diesel::update(enterprises::table.find(&row.id))
            .set((
                enterprises::slug.eq(&row.slug),
                enterprises::name.eq(&row.name),
                enterprises::kind.eq(&row.kind),
                enterprises::description.eq(&row.description),
                enterprises::email.eq(&row.email),
                enterprises::phone.eq(&row.phone),
                enterprises::address_line.eq(&row.address_line),
                enterprises::postcode.eq(&row.postcode),
                enterprises::city.eq(&row.city),
                enterprises::country_code.eq(&row.country_code),
                enterprises::siren.eq(&row.siren),
                enterprises::siret.eq(&row.siret),
                enterprises::uid.eq(&row.uid),
                enterprises::vat_number.eq(&row.vat_number),
                enterprises::visibility.eq(&row.visibility),
                enterprises::order_prefix.eq(&row.order_prefix),
                enterprises::time_zone.eq(&row.time_zone),
                enterprises::updated_at.eq(row.updated_at),
            ))
            .execute(conn.diesel())
            .map_err(|e| unique_violation(e, &row))?;
        if let Some(codes) = &codes {
            for code in set_currencies(conn, &row, codes)? {
                tell_association(conn, &row, &code)?;
            }
        }
        Ok(row.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_are_checked_by_country() {
        for (country, postcode, fine) in [
            ("FR", "69001", true),
            ("FR", "6900", false),
            ("FR", "69 001", false),
            ("CH", "1870", true),
            ("CH", "0870", false),
            ("CH", "18700", false),
            ("BE", "1000", true),
            ("GB", "SW1A 1AA", true),
            ("GB", "SW1A_1AA", false),
        ] {
            assert_eq!(
                check_postcode(country, postcode).is_ok(),
                fine,
                "{country} {postcode}"
            );
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("La Ferme des Trois Chênes"),
            "la-ferme-des-trois-chenes"
        );
        assert_eq!(slugify("  Épicerie « Solidaire » !"), "epicerie-solidaire");
        assert!(valid_slug("la-cagette"));
        assert!(!valid_slug("-x"));
        assert!(!valid_slug("La"));
        assert!(
            !valid_slug("0190f3a2-7c4e-7b1a-9d2e-3f4a5b6c7d8e"),
            "an id is not a slug"
        );
    }
}
