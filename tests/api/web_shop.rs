//! The shop and the cart over real HTTP: a hub's shop read signed out (grouped by producer,
//! prices per language), search, filters and pages that keep them, adding to the cart (and
//! the cart page agreeing with the API's), updating and removing lines, refusals by their
//! field, a producer's page, and nobody's cart but one's own.

use diesel::prelude::*;
use serde_json::Value;

use crate::backend_tests;
use crate::harness::{Backend, DemoFacts, TestApp, FRENCH_DEMO};
use crate::pages::{unescape, Visitor};
use comptoir::db::schema::{order_cycles, variants};

backend_tests!(
    search_and_filters_narrow_the_offer,
    pages_of_fifty_keep_the_filters,
    sold_out_items_cannot_be_added,
    a_shop_without_an_open_cycle_says_when_the_next_opens,
    a_producer_page_lists_its_products_and_shops;
    per_demo: the_shop_signed_out_groups_by_producer_with_prices,
    adding_updating_and_removing_agree_with_the_api
);

/// The open cycle's offer as the API gives it.
async fn offer(app: &TestApp, cycle: &str) -> Vec<Value> {
    let reply = app
        .call("GET", &format!("/api/v1/order-cycles/{cycle}"), None, None)
        .await;
    assert_eq!(reply.status, 200);
    reply.json()["offer"].as_array().expect("offer").clone()
}

fn by_sku<'a>(offer: &'a [Value], sku: &str) -> &'a Value {
    offer
        .iter()
        .find(|o| o["sku"] == sku)
        .unwrap_or_else(|| panic!("{sku} is offered"))
}

/// An amount as the French pages write it (`12,50 €`, `CHF 12.50`, `6,25 LEM`), below 1000.
fn french(money: &Value) -> String {
    let amount = money["amount"].as_str().expect("amount");
    match money["currency"].as_str().expect("currency") {
        "EUR" => format!("{}\u{a0}€", amount.replace('.', ",")),
        "CHF" => format!("CHF\u{a0}{amount}"),
        other => format!("{}\u{a0}{other}", amount.replace('.', ",")),
    }
}

/// The reader's cart in `cycle` as the API gives it.
async fn api_cart(app: &TestApp, token: &str, cycle: &str) -> Value {
    let reply = app
        .call(
            "GET",
            &format!("/api/v1/order-cycles/{cycle}/cart"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    reply.json()
}

/// How many products a shop page shows.
fn items(text: &str) -> usize {
    text.matches("<li class=\"shop-item").count()
}

/// The `href` of the link with `rel`.
fn link(text: &str, rel: &str) -> Option<String> {
    let at = text.find(&format!("rel=\"{rel}\""))?;
    let start = text[..at].rfind("href=\"")? + 6;
    let end = start + text[start..].find('"')?;
    Some(unescape(&text[start..end]))
}

async fn the_shop_signed_out_groups_by_producer_with_prices(
    backend: Backend,
    demo: &'static DemoFacts,
) {
    let app = TestApp::with_demo_of(backend, demo.demo).await;
    let cycle = app.open_cycle_of(demo.hub).await;
    let offer = offer(&app, &cycle).await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get(&format!("/hubs/{}", demo.hub)).await;
    let text = page.ok();
    // grouped by producer, in the producers' order, each a heading linking to its page
    let mut last = 0;
    for producer in demo.producers {
        let at = text
            .find(&format!(
                "<h2 id=\"producer-{producer}\"><a href=\"/producers/{producer}\">"
            ))
            .unwrap_or_else(|| panic!("{producer} has its heading: {text}"));
        assert!(at > last, "{producer} comes after the one before");
        last = at;
    }
    // every product of a producer under its heading
    let carrots = by_sku(&offer, demo.skus[0]);
    let carrots_at = text
        .find(&format!(
            "<h4>{}</h4>",
            carrots["product_name"].as_str().unwrap()
        ))
        .expect("carrots listed");
    let producer_of_carrots = demo
        .producers
        .iter()
        .find(|p| text.find(&format!("id=\"producer-{p}\"")).unwrap() < carrots_at)
        .is_some();
    assert!(producer_of_carrots);
    // prices per language: the cycle's price (the hub's own where it set one)
    let drink = by_sku(&offer, demo.skus[1]);
    let hub_priced = by_sku(&offer, demo.skus[2]);
    assert_ne!(hub_priced["cycle_price"], hub_priced["price"]);
    for v in [carrots, drink, hub_priced] {
        assert!(
            page.shows(&french(&v["cycle_price"])),
            "{} shown at {}",
            v["sku"],
            french(&v["cycle_price"])
        );
    }
    assert!(!page.shows(&format!(
        "<strong>{}</strong>",
        french(&hub_priced["price"])
    )));
    // the drink is half payable in local currency: the most, in the local currency
    let cents: i64 = drink["cycle_price"]["amount"]
        .as_str()
        .unwrap()
        .replace('.', "")
        .parse()
        .unwrap();
    let local = serde_json::json!({
        "amount": format!("{}.{:02}", cents / 2 / 100, cents / 2 % 100),
        "currency": demo.local,
    });
    assert!(
        page.shows(&format!(
            "jusqu’à {} en monnaie locale (50\u{a0}%)",
            french(&local)
        )),
        "{text}"
    );
    // the closing time in the hub's time zone; an add button per orderable product
    assert!(page.shows("commandes jusqu’au") && page.shows("(UTC+1)"));
    assert!(text.contains("action=\"/cart/add\""));
    assert!(page.shows("Ajouter au panier"));
    // a product with several variants in the cycle offers a choice
    assert!(text.contains("<select id=\"variant-"), "{text}");

    // in English, the English way of writing amounts
    visitor.accept_language = "en".into();
    let english = visitor.get(&format!("/hubs/{}", demo.hub)).await;
    if demo.legal == "EUR" {
        assert!(english.shows("Add to cart"));
        assert!(english.shows(&format!(
            "€{}",
            drink["cycle_price"]["amount"].as_str().unwrap()
        )));
    } else {
        // a Swiss deployment speaks French and German: German readers read English pages
        english.ok();
    }
    // the categories in the page's language: the taxonomy's own names for it
    assert!(text.contains("<h3>Légumes</h3>"));
    assert!(
        english.text.contains("<h3>Vegetables</h3>"),
        "{}",
        english.text
    );
    assert!(english.text.contains(">Vegetables</option>"));
    if demo.legal == "CHF" {
        // and in German, a Swiss language
        visitor.accept_language = "de-CH".into();
        let german = visitor.get(&format!("/hubs/{}", demo.hub)).await;
        assert!(german.text.contains("<html lang=\"de\">"));
        assert!(german.text.contains("<h3>Gemüse</h3>"), "{}", german.text);
        assert!(german.shows("In den Warenkorb"));
        visitor.accept_language = "en".into();
    }

    // unknown hubs, and enterprises that are not hubs, are not shops
    assert_eq!(visitor.get("/hubs/no-such-hub").await.status, 404);
    let producer = visitor.get(&format!("/hubs/{}", demo.producers[0])).await;
    assert_eq!(producer.status, 404);
}

async fn search_and_filters_narrow_the_offer(backend: Backend) {
    let app = TestApp::with_demo_of(backend, FRENCH_DEMO.demo).await;
    let mut visitor = Visitor::new(&app);
    let all = visitor.get("/hubs/la-cagette").await;
    let everything = items(all.ok());
    assert!(everything > 20, "{everything}");
    assert!(all.shows("Carottes") && all.shows("Miel de fleurs"));

    // a word of a product's name, any case, any accent
    let honey = visitor.get("/hubs/la-cagette?q=CHATAIGNIER").await;
    assert!(honey.shows("Miel de châtaignier"), "{}", honey.text);
    assert!(!honey.shows("Carottes") && !honey.shows("Miel de fleurs"));
    assert_eq!(honey.input_value("q").as_deref(), Some("CHATAIGNIER"));
    let accented = visitor.get("/hubs/la-cagette?q=ch%C3%A2taignier").await;
    assert_eq!(items(&accented.text), items(&honey.text));
    // a word of a producer's name finds all its products
    let rucher = visitor.get("/hubs/la-cagette?q=rucher").await;
    assert!(rucher.shows("Hydromel") && rucher.shows("Pollen frais"));
    assert!(!rucher.shows("Carottes"));
    // every word must match
    let both = visitor.get("/hubs/la-cagette?q=miel+fleurs").await;
    assert!(both.shows("Miel de fleurs") && !both.shows("Miel de châtaignier"));

    // by producer
    let fournil = visitor
        .get("/hubs/la-cagette?producer=fournil-de-la-colline")
        .await;
    assert!(fournil.shows("Baguette tradition") && !fournil.shows("Carottes"));
    assert!(fournil
        .text
        .contains("<option value=\"fournil-de-la-colline\" selected>"));
    // by category (its sub-categories included)
    let vegetables = visitor.get("/hubs/la-cagette?category=legumes").await;
    assert!(vegetables.shows("Carottes") && !vegetables.shows("Miel de fleurs"));
    let food = visitor.get("/hubs/la-cagette?category=alimentation").await;
    assert!(food.shows("Carottes") && food.shows("Baguette tradition"));
    assert!(!food.shows("Bougie en cire"));
    // filters together
    let none = visitor
        .get("/hubs/la-cagette?category=legumes&producer=rucher-du-val")
        .await;
    assert_eq!(items(none.ok()), 0);
    assert!(none.shows("Aucun produit ne correspond à votre recherche."));
    let unknown = visitor.get("/hubs/la-cagette?category=nope").await;
    assert_eq!(items(unknown.ok()), 0);
    // the filters offer only what the cycle holds
    assert!(all.text.contains("<option value=\"rucher-du-val\">"));
    assert!(all.text.contains("<option value=\"legumes\">"));
    assert!(!all.text.contains("<option value=\"alimentation\">"));
}

/// Makes `bench-hub` (as the catalogue benchmark does) with `variants` variants from two
/// producers, and a cycle open now offering them all; returns the cycle's id.
fn bench_shop(app: &TestApp, variants: usize) -> String {
    let mut conn = app.db.db.conn().expect("conn");
    let config = crate::harness::test_config(&app.db.url);
    let rules = comptoir::catalog::rules::CatalogRules::for_deployment(&mut conn, &config.catalog)
        .expect("rules");
    let seeded = comptoir::bench::catalog::seed(&mut conn, &rules, 2, variants, &mut |_| {})
        .expect("seeded");
    // the benchmark's own cycle, open now, offering every variant
    seeded.cycle_id
}

async fn pages_of_fifty_keep_the_filters(backend: Backend) {
    let app = TestApp::empty(backend).await;
    // 240 variants, two per product: 120 products, pages of 50, 50 and 20
    let cycle = bench_shop(&app, 240);
    let mut visitor = Visitor::new(&app);
    let first = visitor.get("/hubs/bench-hub").await;
    assert_eq!(items(first.ok()), 50);
    assert!(link(&first.text, "prev").is_none());
    let next = link(&first.text, "next").expect("a next page");
    assert_eq!(next, format!("/hubs/bench-hub?cycle={cycle}&page=2"));
    let second = visitor.get(&next).await;
    assert_eq!(items(second.ok()), 50);
    assert_eq!(
        link(&second.text, "prev").as_deref(),
        Some(format!("/hubs/bench-hub?cycle={cycle}").as_str())
    );
    let third = visitor.get(&link(&second.text, "next").unwrap()).await;
    assert_eq!(items(third.ok()), 20);
    assert!(link(&third.text, "next").is_none());
    // every product once, in producer order: the first producer's first, then the second's
    let all = [&first.text, &second.text, &third.text];
    let mut names: Vec<String> = Vec::new();
    for text in all {
        for part in text.split("<h4>").skip(1) {
            names.push(part.split("</h4>").next().unwrap().to_string());
        }
    }
    assert_eq!(names.len(), 120);
    assert!(first.text.contains("id=\"producer-bench-producer-00\""));
    assert!(!first.text.contains("id=\"producer-bench-producer-01\""));
    assert!(third.text.contains("id=\"producer-bench-producer-01\""));
    // a filter is kept from page to page
    let vegetables = visitor
        .get(&format!("/hubs/bench-hub?cycle={cycle}&category=legumes"))
        .await;
    assert_eq!(items(vegetables.ok()), 50);
    let next = link(&vegetables.text, "next").expect("more vegetables");
    assert!(
        next.contains("category=legumes") && next.contains("page=2"),
        "{next}"
    );
    let more = visitor.get(&next).await;
    assert!(items(more.ok()) > 0);
    // vegetables only: every category heading of the page is theirs
    assert!(more
        .text
        .split("<h3>")
        .skip(1)
        .all(|p| p.starts_with("Légumes</h3>")));
    assert_eq!(
        link(&more.text, "prev").as_deref(),
        Some(format!("/hubs/bench-hub?cycle={cycle}&category=legumes").as_str())
    );
    // a search too
    let search = visitor
        .get(&format!("/hubs/bench-hub?cycle={cycle}&q=tomates"))
        .await;
    assert!(items(search.ok()) > 0);
    assert!(search
        .text
        .split("<h4>")
        .skip(1)
        .all(|p| p.starts_with("Tomates")));
}

async fn adding_updating_and_removing_agree_with_the_api(
    backend: Backend,
    demo: &'static DemoFacts,
) {
    let app = TestApp::with_demo_of(backend, demo.demo).await;
    let cycle = app.open_cycle_of(demo.hub).await;
    let offer = offer(&app, &cycle).await;
    let carrots = by_sku(&offer, demo.skus[0]);
    let drink = by_sku(&offer, demo.skus[1]);
    let (carrots_id, drink_id) = (
        carrots["id"].as_str().unwrap(),
        drink["id"].as_str().unwrap(),
    );
    let shop = format!("/hubs/{}?cycle={cycle}", demo.hub);

    // signed out: the shop reads, adding asks to sign in first and comes back to the shop
    let mut visitor = Visitor::new(&app);
    visitor.get(&shop).await.ok();
    let add = [
        ("cycle", cycle.as_str()),
        ("variant", carrots_id),
        ("quantity", "2"),
        ("next", shop.as_str()),
    ];
    let refused = visitor.post("/cart/add", &add).await;
    let location = refused.location();
    assert!(location.starts_with("/login?next="), "{location}");
    let back: String = form_urlencoded::parse(&location.as_bytes()["/login?".len()..])
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert_eq!(back, shop);
    assert_eq!(visitor.get("/cart").await.location(), "/login?next=%2Fcart");

    // signed in: added, then back to the shop with a notice naming what was added
    visitor.sign_in(demo.consumers[0]).await;
    visitor.get(&shop).await.ok();
    let added = visitor.post("/cart/add", &add).await;
    let back = added.location();
    assert!(back.starts_with(&format!("{shop}&notice=added")), "{back}");
    let noticed = visitor.get(&back).await;
    assert!(
        noticed.shows(&format!(
            "Ajouté à votre panier : 2 × {} ({})",
            carrots["product_name"].as_str().unwrap(),
            carrots["display_name"].as_str().unwrap()
        )),
        "{}",
        noticed.text
    );
    // adding the same again adds up
    let once_more = visitor
        .post(
            "/cart/add",
            &[
                ("cycle", cycle.as_str()),
                ("variant", carrots_id),
                ("quantity", "1"),
                ("next", shop.as_str()),
            ],
        )
        .await;
    once_more.location();
    visitor.get(&shop).await.ok();
    visitor
        .post(
            "/cart/add",
            &[
                ("cycle", cycle.as_str()),
                ("variant", drink_id),
                ("quantity", "1"),
                ("next", shop.as_str()),
            ],
        )
        .await
        .location();

    // the cart page and the API's cart agree
    let token = app.access_token(demo.consumers[0]).await;
    let api = api_cart(&app, &token, &cycle).await;
    let quantities = |api: &Value| -> Vec<(String, i64)> {
        api["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["variant_id"].as_str().unwrap().to_string(),
                    l["quantity"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        quantities(&api),
        vec![(carrots_id.to_string(), 3), (drink_id.to_string(), 1)]
    );
    let page = visitor.get("/cart").await;
    page.ok();
    assert_eq!(
        page.input_value(&format!("quantity[{carrots_id}]"))
            .as_deref(),
        Some("3")
    );
    assert_eq!(
        page.input_value(&format!("quantity[{drink_id}]"))
            .as_deref(),
        Some("1")
    );
    let quote = &api["quote"];
    for amount in [&quote["items_total"], &quote["total"]] {
        assert!(
            page.shows(&french(amount)),
            "{} in {}",
            french(amount),
            page.text
        );
    }
    for line in quote["lines"].as_array().unwrap() {
        assert!(page.shows(&french(&line["total"])));
    }
    for rate in quote["vat_breakdown"].as_array().unwrap() {
        assert!(page.shows(&french(&rate["vat"])), "VAT {rate}");
    }
    let mut local_max = quote["local_max"].clone();
    local_max["currency"] = demo.local.into();
    assert!(page.shows(&french(&local_max)), "{}", french(&local_max));
    assert!(page
        .text
        .contains(&format!("href=\"/checkout?cycle={cycle}\"")));

    // update: 5 carrots, the drink set to 0 is removed
    let updated = visitor
        .post(
            "/cart/update",
            &[
                ("cycle", cycle.as_str()),
                (&format!("quantity[{carrots_id}]"), "5"),
                (&format!("quantity[{drink_id}]"), "0"),
            ],
        )
        .await;
    assert_eq!(updated.location(), "/cart?notice=updated");
    assert!(visitor
        .get("/cart?notice=updated")
        .await
        .shows("Votre panier est à jour."));
    let api = api_cart(&app, &token, &cycle).await;
    assert_eq!(quantities(&api), vec![(carrots_id.to_string(), 5)]);

    // refusals by their field, the values kept, nothing changed
    let field = format!("quantity-{cycle}-{carrots_id}");
    let not_whole = visitor
        .post(
            "/cart/update",
            &[
                ("cycle", cycle.as_str()),
                (&format!("quantity[{carrots_id}]"), "deux"),
            ],
        )
        .await;
    assert_eq!(not_whole.status, 422);
    assert!(not_whole.text.contains(&format!("href=\"#{field}\"")));
    assert!(not_whole.text.contains(&format!("id=\"{field}-error\"")));
    assert!(not_whole.shows("Saisissez un nombre entier, par exemple 2"));
    assert_eq!(
        not_whole
            .input_value(&format!("quantity[{carrots_id}]"))
            .as_deref(),
        Some("deux")
    );
    let stock = carrots["stock_on_hand"]
        .as_i64()
        .expect("carrots are stocked");
    let too_many = (stock + 1).to_string();
    let over = visitor
        .post(
            "/cart/update",
            &[
                ("cycle", cycle.as_str()),
                (&format!("quantity[{carrots_id}]"), too_many.as_str()),
            ],
        )
        .await;
    assert_eq!(over.status, 422, "{}", over.text);
    assert!(over.text.contains(&format!("href=\"#{field}\"")));
    assert!(over.shows("Il n’en reste pas assez : choisissez une quantité plus petite"));
    let api = api_cart(&app, &token, &cycle).await;
    assert_eq!(quantities(&api), vec![(carrots_id.to_string(), 5)]);

    // remove
    visitor.get("/cart").await.ok();
    let removed = visitor
        .post(
            "/cart/remove",
            &[("cycle", cycle.as_str()), ("variant", carrots_id)],
        )
        .await;
    assert_eq!(removed.location(), "/cart?notice=removed");
    let api = api_cart(&app, &token, &cycle).await;
    assert!(quantities(&api).is_empty());
    let empty = visitor.get("/cart?notice=removed").await;
    assert!(empty.shows("Le produit a été retiré de votre panier."));
    assert!(empty.shows("Votre panier est vide."));

    // another customer never sees this cart
    visitor.get(&shop).await.ok();
    visitor.post("/cart/add", &add).await.location();
    let mut other = Visitor::new(&app);
    other.sign_in(demo.consumers[1]).await;
    let theirs = other.get("/cart").await;
    // (in their language)
    assert!(theirs.ok().contains("Votre panier est vide.") || theirs.shows("Your cart is empty."));
    assert!(!theirs.text.contains("name=\"quantity["));
    assert!(!theirs.text.contains(carrots_id));
    // nor changes it: their update of this cycle sets their own cart only
    other
        .post(
            "/cart/update",
            &[
                ("cycle", cycle.as_str()),
                (&format!("quantity[{carrots_id}]"), "0"),
            ],
        )
        .await
        .location();
    let api = api_cart(&app, &token, &cycle).await;
    assert_eq!(quantities(&api), vec![(carrots_id.to_string(), 2)]);
    // and a form without the token changes nothing
    let forged = other
        .post_raw(
            "/cart/add",
            &[
                ("cycle", cycle.as_str()),
                ("variant", carrots_id),
                ("quantity", "1"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
}

async fn sold_out_items_cannot_be_added(backend: Backend) {
    let app = TestApp::with_demo_of(backend, FRENCH_DEMO.demo).await;
    let cycle = app.open_cycle_of("la-cagette").await;
    let pollen = by_sku(&offer(&app, &cycle).await, "RUCH-POL-250G").clone();
    let (pollen_id, product) = (
        pollen["id"].as_str().unwrap(),
        pollen["product_id"].as_str().unwrap(),
    );
    {
        let mut conn = app.db.db.conn().expect("conn");
        diesel::update(variants::table.filter(variants::sku.eq("RUCH-POL-250G")))
            .set(variants::stock_on_hand.eq(Some(0i64)))
            .execute(conn.diesel())
            .unwrap();
        diesel::update(variants::table.filter(variants::sku.eq("RUCH-HYD-75CL")))
            .set(variants::stock_on_hand.eq(Some(3i64)))
            .execute(conn.diesel())
            .unwrap();
    }
    let mut visitor = Visitor::new(&app);
    visitor.sign_in("camille@example.org").await;
    let shop = visitor.get("/hubs/la-cagette?q=pollen").await;
    assert!(shop.ok().contains("Épuisé"), "{}", shop.text);
    // no way to add it: no form names it
    assert!(!shop.text.contains(&format!("value=\"{pollen_id}\"")));
    assert!(!shop.text.contains("action=\"/cart/add\""));
    // a few left says how many
    let drink = visitor.get("/hubs/la-cagette?q=hydromel").await;
    assert!(drink.shows("Plus que 3"), "{}", drink.text);
    // a forged add is refused by the item's field, on the shop page again
    let next = "/hubs/la-cagette?q=pollen";
    let refused = visitor
        .post(
            "/cart/add",
            &[
                ("cycle", cycle.as_str()),
                ("variant", pollen_id),
                ("quantity", "1"),
                ("next", next),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(refused
        .text
        .contains(&format!("href=\"#quantity-{product}\"")));
    assert!(refused.text.contains(&format!("id=\"quantity-{product}\"")));
    assert!(refused.shows("Il n’en reste pas assez : choisissez une quantité plus petite"));
    // so is more than the stock, and a quantity that is not a whole number
    visitor.get("/hubs/la-cagette?q=hydromel").await.ok();
    let drink = by_sku(&offer(&app, &cycle).await, "RUCH-HYD-75CL").clone();
    let drink_id = drink["id"].as_str().unwrap().to_string();
    let drink_field = format!("quantity-{}", drink["product_id"].as_str().unwrap());
    for (quantity, words) in [
        ("4", "Il n’en reste pas assez"),
        ("1,5", "Saisissez un nombre entier, par exemple 2"),
    ] {
        let page = visitor
            .post(
                "/cart/add",
                &[
                    ("cycle", cycle.as_str()),
                    ("variant", drink_id.as_str()),
                    ("quantity", quantity),
                    ("next", "/hubs/la-cagette?q=hydromel"),
                ],
            )
            .await;
        assert_eq!(page.status, 422);
        assert!(page.shows(words), "{quantity}: {}", page.text);
        assert!(page.shows("Il y a un problème"));
        assert!(page.text.contains(&format!("href=\"#{drink_field}\"")));
        assert!(page.text.contains(&format!(
            "id=\"{drink_field}\" name=\"quantity\" type=\"number\" inputmode=\"numeric\" min=\"1\" step=\"1\" value=\"{quantity}\" aria-describedby=\"{drink_field}-error\" aria-invalid=\"true\""
        )), "{}", page.text);
    }
    let token = app.access_token("camille@example.org").await;
    let cart = app
        .call(
            "GET",
            &format!("/api/v1/order-cycles/{cycle}/cart"),
            Some(&token),
            None,
        )
        .await
        .json();
    assert!(cart["lines"].as_array().unwrap().is_empty(), "{cart}");
}

async fn a_shop_without_an_open_cycle_says_when_the_next_opens(backend: Backend) {
    let app = TestApp::with_demo_of(backend, FRENCH_DEMO.demo).await;
    let cycle = app.open_cycle_of("la-cagette").await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in("camille@example.org").await;
    let carrots = by_sku(&offer(&app, &cycle).await, "FERME-CAR-1KG")["id"]
        .as_str()
        .unwrap()
        .to_string();
    visitor.get("/hubs/la-cagette").await.ok();
    visitor
        .post(
            "/cart/add",
            &[
                ("cycle", cycle.as_str()),
                ("variant", carrots.as_str()),
                ("quantity", "1"),
                ("next", "/hubs/la-cagette"),
            ],
        )
        .await
        .location();
    visitor.get("/cart").await.ok();
    // the cycle closes
    {
        let mut conn = app.db.db.conn().expect("conn");
        diesel::update(order_cycles::table.find(&cycle))
            .set(order_cycles::closed_at.eq(Some(comptoir::time::now())))
            .execute(conn.diesel())
            .unwrap();
    }
    let shop = visitor.get("/hubs/la-cagette").await;
    assert!(shop.ok().contains("Pas de commandes en ce moment"));
    assert!(
        shop.shows("Prochaine vente, Distribution de la semaine prochaine : ouverture le"),
        "{}",
        shop.text
    );
    assert!(!shop.text.contains("action=\"/cart/add\""));
    // its cart is no longer shown, and changing it is refused
    assert!(visitor.get("/cart").await.shows("Votre panier est vide."));
    let refused = visitor
        .post(
            "/cart/update",
            &[
                ("cycle", cycle.as_str()),
                (&format!("quantity[{carrots}]"), "2"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.shows("Cette vente est close : elle ne prend plus de commandes"));
}

async fn a_producer_page_lists_its_products_and_shops(backend: Backend) {
    let app = TestApp::with_demo_of(backend, FRENCH_DEMO.demo).await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/producers/rucher-du-val").await;
    let text = page.ok();
    assert!(text.contains("<h1>Rucher du Val</h1>"), "{text}");
    assert!(page.shows("Miels de fleurs et de châtaignier, produits de la ruche."));
    assert!(page.shows("Miel de fleurs") && page.shows("Hydromel"));
    assert!(!page.shows("Carottes"));
    assert!(page.shows("Pot de 500 g"));
    assert!(page.shows("8,50\u{a0}€"));
    // the hubs it supplies now, with a link to their shop
    assert!(text.contains("href=\"/hubs/la-cagette\""), "{text}");
    // hubs and unknown slugs are not producers
    assert_eq!(visitor.get("/producers/la-cagette").await.status, 404);
    assert_eq!(visitor.get("/producers/nobody").await.status, 404);
    assert_eq!(
        visitor
            .get("/producers/rucher-du-val?after=bad")
            .await
            .status,
        404
    );
}
