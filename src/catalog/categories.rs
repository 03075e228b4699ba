//! The product taxonomy: a small tree of categories, shipped in `fixtures/categories.toml`
//! and inserted (when missing) after every migration run, so that a fresh install can take
//! products at once. A deployment adds categories by editing the table; the shipped ones are
//! never removed.
//!
//! The shipped names are French; the file gives each an English (`name_en`) and a German
//! (`name_de`) one, which pages in those languages show ([`name_in`]) as long as the
//! deployment has not renamed the category.

use diesel::prelude::*;
use serde::Serialize;

use crate::catalog::CatalogError;
use crate::db::schema::categories;
use crate::db::DbConn;

/// The shipped taxonomy (parents listed before their children).
pub const DEFAULT_TAXONOMY: &str = include_str!("../../fixtures/categories.toml");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub slug: String,
    pub name: String,
    #[serde(default, alias = "parent")]
    pub parent_slug: Option<String>,
}

/// A category as the shipped file gives it: its names in the other languages besides.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Shipped {
    slug: String,
    name: String,
    #[serde(default, alias = "parent")]
    parent_slug: Option<String>,
    #[serde(default)]
    name_en: Option<String>,
    #[serde(default)]
    name_de: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    category: Vec<Shipped>,
}

fn shipped() -> Result<Vec<Shipped>, String> {
    toml::from_str::<TaxonomyFile>(DEFAULT_TAXONOMY)
        .map(|f| f.category)
        .map_err(|e| format!("fixtures/categories.toml: {e}"))
}

/// The shipped categories.
pub fn defaults() -> Result<Vec<Category>, String> {
    Ok(shipped()?
        .into_iter()
        .map(|c| Category {
            slug: c.slug,
            name: c.name,
            parent_slug: c.parent_slug,
        })
        .collect())
}

/// The name of category `slug` (named `name` in the database) in `locale`: the shipped
/// translation when the category is a shipped one still under its shipped name, else
/// `name` itself (a deployment's own category, or one it renamed, has one name).
pub fn name_in<'a>(
    slug: &str,
    name: &'a str,
    locale: crate::mail::format::Locale,
) -> std::borrow::Cow<'a, str> {
    use crate::mail::format::Locale;
    use std::sync::OnceLock;
    static SHIPPED: OnceLock<Vec<Shipped>> = OnceLock::new();
    let all = SHIPPED.get_or_init(|| shipped().unwrap_or_default());
    let translated = all
        .iter()
        .find(|c| c.slug == slug && c.name == name)
        .and_then(|c| match locale {
            Locale::Fr => None,
            Locale::En => c.name_en.as_ref(),
            Locale::De => c.name_de.as_ref(),
        });
    match translated {
        Some(t) => std::borrow::Cow::Owned(t.clone()),
        None => std::borrow::Cow::Borrowed(name),
    }
}

/// Inserts the shipped categories that are missing.
pub fn ensure_defaults(conn: &mut DbConn) -> Result<usize, CatalogError> {
    let wanted = defaults().map_err(CatalogError::internal)?;
    let existing: Vec<String> = categories::table
        .select(categories::slug)
        .load(conn.diesel())?;
    let mut inserted = 0;
    for c in wanted.iter().filter(|c| !existing.contains(&c.slug)) {
        diesel::insert_into(categories::table)
            .values((
                categories::slug.eq(&c.slug),
                categories::name.eq(&c.name),
                categories::parent_slug.eq(&c.parent_slug),
            ))
            .execute(conn.diesel())?;
        inserted += 1;
    }
    Ok(inserted)
}

/// Every category, by slug.
pub fn list(conn: &mut DbConn) -> Result<Vec<Category>, CatalogError> {
    let rows: Vec<(String, String, Option<String>)> = categories::table
        .select((categories::slug, categories::name, categories::parent_slug))
        .order(categories::slug.asc())
        .load(conn.diesel())?;
    Ok(rows
        .into_iter()
        .map(|(slug, name, parent_slug)| Category {
            slug,
            name,
            parent_slug,
        })
        .collect())
}

/// How long [`list_kept`] keeps the taxonomy: a category added by editing the table shows in
/// the shop's filters this long after at most.
pub const KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// Every category, by slug, as read at most [`KEPT_FOR`] ago: for the pages read on every
/// visit (the shop), where the taxonomy, which changes by hand and rarely, is not worth a
/// query each time.
pub fn list_kept(conn: &mut DbConn) -> Result<std::sync::Arc<Vec<Category>>, CatalogError> {
    let kept = conn
        .shared()
        .extension::<crate::db::Kept<(), std::sync::Arc<Vec<Category>>>>();
    kept.get_or_read((), KEPT_FOR, || Ok(std::sync::Arc::new(list(conn)?)))
}

/// `slug` and every category below it; `None` when `slug` is unknown.
pub fn with_descendants(all: &[Category], slug: &str) -> Option<Vec<String>> {
    if !all.iter().any(|c| c.slug == slug) {
        return None;
    }
    let mut found = vec![slug.to_string()];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i].clone();
        for c in all {
            if c.parent_slug.as_deref() == Some(parent.as_str()) && !found.contains(&c.slug) {
                found.push(c.slug.clone());
            }
        }
        i += 1;
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_taxonomy_is_a_tree() {
        let all = defaults().unwrap();
        assert!(all.len() >= 5);
        for (i, c) in all.iter().enumerate() {
            if let Some(parent) = &c.parent_slug {
                assert!(
                    all[..i].iter().any(|p| &p.slug == parent),
                    "{} comes before its parent {parent}",
                    c.slug
                );
            }
        }
        let food = with_descendants(&all, "alimentation").unwrap();
        assert!(food.contains(&"legumes".to_string()));
        assert!(with_descendants(&all, "nope").is_none());
    }

    #[test]
    fn every_shipped_category_has_english_and_german_names() {
        use crate::mail::format::Locale;
        for c in shipped().unwrap() {
            assert!(
                c.name_en.as_deref().is_some_and(|n| !n.is_empty()),
                "{}",
                c.slug
            );
            assert!(
                c.name_de.as_deref().is_some_and(|n| !n.is_empty()),
                "{}",
                c.slug
            );
        }
        assert_eq!(name_in("legumes", "Légumes", Locale::En), "Vegetables");
        assert_eq!(name_in("legumes", "Légumes", Locale::De), "Gemüse");
        assert_eq!(name_in("legumes", "Légumes", Locale::Fr), "Légumes");
        // renamed by the deployment, or its own: one name
        assert_eq!(name_in("legumes", "Légumes bio", Locale::En), "Légumes bio");
        assert_eq!(name_in("conserves", "Conserves", Locale::En), "Conserves");
    }
}
