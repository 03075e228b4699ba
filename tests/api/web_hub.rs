//! The hub's office home over real HTTP, on the French demo: who may open it (the hub's team,
//! not a customer, not another hub's), what it lists (the hub's cycles with their state), and
//! the link to it from `/office`.

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::{unescape, Visitor};

backend_tests!(the_hub_office_lists_the_cycles_to_its_team_only);

async fn the_hub_office_lists_the_cycles_to_its_team_only(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let office = format!("/hub/{}", FRENCH_DEMO.hub);
    let mut signed_out = Visitor::new(&app);
    assert_eq!(
        signed_out.get(&office).await.location(),
        "/login?next=%2Fhub%2Fla-cagette"
    );
    let mut consumer = Visitor::new(&app);
    consumer.sign_in(FRENCH_DEMO.consumers[0]).await;
    assert_eq!(consumer.get(&office).await.status, 403);
    // a producer's owner has no say in the hub's office
    let mut baker = Visitor::new(&app);
    baker.sign_in("fournil@colline.example.org").await;
    assert_eq!(baker.get(&office).await.status, 403);

    let mut manager = Visitor::new(&app);
    manager.sign_in(FRENCH_DEMO.hub_manager).await;
    // a producer's slug is no hub
    assert_eq!(manager.get("/hub/rucher-du-val").await.status, 404);
    let home = manager.get(&office).await;
    let body = &unescape(home.ok());
    assert!(body.contains("Distribution du jeudi"), "{body}");
    assert!(body.contains("Distribution de la semaine prochaine"));
    // the cycle closing last comes first; each has its state and a link to its page
    let next = body
        .find("Distribution de la semaine prochaine")
        .unwrap_or(usize::MAX);
    let thursday = body.find("Distribution du jeudi").unwrap_or(0);
    assert!(next < thursday, "newest first");
    assert!(home.shows("Ouvert") && home.shows("À venir"), "{body}");
    assert!(body.contains(&format!("{office}/cycles/")));
    assert!(
        body.contains(&format!("{office}/cycles/new")),
        "a manager may plan"
    );
    // `/office` links the hub's office
    let offices = manager.get("/office").await;
    assert!(unescape(offices.ok()).contains(&format!("href=\"{office}\"")));

    // a cashier reads the office but is not offered to plan
    let mut cashier = Visitor::new(&app);
    cashier.sign_in("caisse@lacagette.example.org").await;
    let home = cashier.get(&office).await;
    assert!(!unescape(home.ok()).contains("/cycles/new"));
}
