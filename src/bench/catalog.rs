//! `comptoir bench catalog-data`: a marketplace of the size the catalogue benchmark asks
//! for — one public hub (`bench-hub`) and N producers that granted it, with their variants —
//! built through the real CSV import, and optionally a large CSV file for import timing.
//! The load itself is driven from outside (wrk against the release build; see
//! BENCHMARKS.md), so that the client's cost is not the server's.
//!
//! The hub also gets an order cycle open for 30 days that offers every variant, so that its
//! shop page (`/hubs/bench-hub`) shows the same 10,000-variant offer.
//!
//! Product names come from a small vocabulary (vegetables, fruits, cheeses… with qualifiers),
//! so that searches hit a realistic share of the offer.

use std::io::Write;

use anyhow::{Context, Result};

use crate::catalog::csv_io::{self, ImportOptions};
use crate::catalog::rules::CatalogRules;
use crate::db::DbConn;
use crate::enterprises::manage::{self, EnterpriseInput};
use crate::enterprises::{relationships, EnterpriseKind};

const BASES: [(&str, &str); 40] = [
    ("Tomates", "legumes"),
    ("Carottes", "legumes"),
    ("Pommes de terre", "legumes"),
    ("Poireaux", "legumes"),
    ("Courgettes", "legumes"),
    ("Aubergines", "legumes"),
    ("Poivrons", "legumes"),
    ("Salade", "legumes"),
    ("Radis", "legumes"),
    ("Épinards", "legumes"),
    ("Betteraves", "legumes"),
    ("Oignons", "legumes"),
    ("Ail", "legumes"),
    ("Haricots verts", "legumes"),
    ("Petits pois", "legumes"),
    ("Courge", "legumes"),
    ("Chou", "legumes"),
    ("Céleri", "legumes"),
    ("Navets", "legumes"),
    ("Fenouil", "legumes"),
    ("Pommes", "fruits"),
    ("Poires", "fruits"),
    ("Fraises", "fruits"),
    ("Cerises", "fruits"),
    ("Abricots", "fruits"),
    ("Pêches", "fruits"),
    ("Prunes", "fruits"),
    ("Raisin", "fruits"),
    ("Framboises", "fruits"),
    ("Melon", "fruits"),
    ("Œufs", "oeufs"),
    ("Miel", "miel"),
    ("Pain", "boulangerie"),
    ("Farine", "epicerie"),
    ("Lentilles", "epicerie"),
    ("Jus", "boissons"),
    ("Confiture", "epicerie"),
    ("Noix", "fruits"),
    ("Huile de tournesol", "epicerie"),
    ("Pois chiches", "epicerie"),
];

const QUALIFIERS: [&str; 10] = [
    "bio",
    "anciennes",
    "de saison",
    "du jardin",
    "plein champ",
    "de montagne",
    "rustiques",
    "fermières",
    "locales",
    "primeur",
];

/// Writes `rows` catalogue rows (two variants per product) in the import's columns.
pub fn write_csv(out: &mut dyn Write, sku_prefix: &str, rows: usize) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(csv_io::COLUMNS)?;
    for i in 0..rows {
        let product = i / 2;
        let (base, category) = BASES[product % BASES.len()];
        let qualifier = QUALIFIERS[(product / BASES.len()) % QUALIFIERS.len()];
        let name = if product < BASES.len() * QUALIFIERS.len() {
            format!("{base} {qualifier}")
        } else {
            format!(
                "{base} {qualifier} n°{}",
                product / (BASES.len() * QUALIFIERS.len())
            )
        };
        let (variant, unit_value, price) = if i % 2 == 0 {
            ("500 g", 500, 150 + (i * 37 % 900))
        } else {
            ("1 kg", 1000, 280 + (i * 53 % 1500))
        };
        let price = format!("{}.{:02}", price / 100, price % 100);
        let stock = if i % 7 == 0 {
            "on_demand".to_string()
        } else {
            ((i * 13) % 60).to_string()
        };
        let share = ["100", "100", "80", "50"][i % 4];
        writer.write_record([
            format!("{sku_prefix}-{i:06}").as_str(),
            &name,
            category,
            "",
            variant,
            "weight",
            &unit_value.to_string(),
            "",
            &price,
            "5.5",
            share,
            &stock,
            "yes",
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// What [`seed`] made.
pub struct Seeded {
    pub hub_slug: String,
    /// The open cycle offering every variant.
    pub cycle_id: String,
    pub producer_slugs: Vec<String>,
    pub variants: usize,
}

/// Creates `bench-hub` and `producers` producers granting it, with `variants` variants in
/// all, through the CSV import. The database must not hold a `bench-hub` yet.
pub fn seed(
    conn: &mut DbConn,
    rules: &CatalogRules,
    producers: usize,
    variants: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<Seeded> {
    anyhow::ensure!(
        crate::enterprises::find_id(conn, "bench-hub")?.is_none(),
        "this database already holds the benchmark marketplace (bench-hub): use a fresh one"
    );
    let owner = bench_owner(conn)?;
    let create = |conn: &mut DbConn, name: String, kind: EnterpriseKind| {
        manage::create(
            conn,
            &owner,
            &EnterpriseInput {
                name: Some(name),
                kind: Some(kind),
                ..Default::default()
            },
        )
    };
    let hub = create(conn, "Bench hub".into(), EnterpriseKind::Hub)?;
    let mut producer_slugs = Vec::new();
    let per_producer = variants.div_ceil(producers.max(1));
    let mut made = 0;
    for p in 0..producers {
        let producer = create(
            conn,
            format!("Bench producer {p:02}"),
            EnterpriseKind::Producer,
        )?;
        relationships::grant(conn, &producer.id, &hub.id, true, true)?;
        relationships::accept(conn, &hub.id, &producer.id)?;
        let rows = per_producer.min(variants - made);
        let mut csv = Vec::new();
        write_csv(&mut csv, &format!("P{p:02}"), rows)?;
        let report = csv_io::import(
            conn,
            rules,
            &producer.id,
            csv.as_slice(),
            ImportOptions::default(),
            &mut |_| {},
        )?;
        anyhow::ensure!(
            report.written,
            "the generated catalogue was refused: {:?}",
            report.errors.first()
        );
        made += rows;
        producer_slugs.push(producer.slug);
        progress(made);
    }
    let offer: Vec<String> = {
        use crate::db::schema::{products, variants};
        use diesel::prelude::*;
        variants::table
            .inner_join(products::table)
            .filter(
                products::producer_id.eq_any(
                    crate::db::schema::enterprises::table
                        .filter(crate::db::schema::enterprises::slug.eq_any(&producer_slugs))
                        .select(crate::db::schema::enterprises::id),
                ),
            )
            .filter(variants::archived_at.is_null())
            .select(variants::id)
            .load(conn.diesel())
            .context("reading the benchmark variants")?
    };
    let now = chrono::Utc::now();
    let cycle = crate::orders::planning::create(
        conn,
        &hub.id,
        &crate::orders::planning::NewCycle {
            name: "Bench cycle".into(),
            opens_at: now - chrono::Duration::hours(1),
            closes_at: now + chrono::Duration::days(30),
            time_zone: None,
            producer_settlement: None,
            offer: offer
                .into_iter()
                .map(|variant_id| crate::orders::planning::OfferLine {
                    variant_id,
                    hub_price: None,
                })
                .collect(),
            settles_at: None,
        },
    )
    .map_err(|e| anyhow::anyhow!("creating the benchmark cycle: {e}"))?;
    Ok(Seeded {
        cycle_id: cycle.cycle.id,
        hub_slug: hub.slug,
        producer_slugs,
        variants: made,
    })
}

/// A user owning the benchmark enterprises (no password: it cannot log in).
fn bench_owner(conn: &mut DbConn) -> Result<String> {
    use crate::db::schema::users;
    use diesel::prelude::*;
    let id = crate::time::new_id();
    let now = crate::time::now();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(format!("bench-{}@comptoir.invalid", &id[24..])),
            users::display_name.eq("Benchmark"),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn.diesel())
        .context("creating the benchmark owner")?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_rows_pass_the_import_rules() {
        let mut out = Vec::new();
        write_csv(&mut out, "T", 1000).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1001);
        // product names are unique per file: two variants each
        let mut names: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap())
            .collect();
        names.dedup();
        assert_eq!(names.len(), 500);
    }
}
