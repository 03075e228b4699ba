//! The push to Odoo as the treasurer's office shows it, over real HTTP on the French demo:
//! only those who keep the books read it; the counts are `odoo::status`'s; sending again
//! refuses a number that is no move's, beside its field, and takes every failed move when
//! the number is left empty.

use crate::backend_tests;
use crate::harness::{Backend, TestApp, FRENCH_DEMO};
use crate::pages::Visitor;

backend_tests!(the_treasurer_reads_the_odoo_push_and_sends_moves_again);

const PAGE: &str = "/treasury/monnaie-lem/odoo";

async fn the_treasurer_reads_the_odoo_push_and_sends_moves_again(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    for who in [FRENCH_DEMO.consumers[0], FRENCH_DEMO.hub_manager] {
        let mut visitor = Visitor::new(&app);
        visitor.sign_in(who).await;
        assert_eq!(visitor.get(PAGE).await.status, 403, "{who}");
        let posted = visitor
            .post(&format!("{PAGE}/retry"), &[("move", "")])
            .await;
        assert_eq!(posted.status, 403, "{who}");
    }
    let mut treasurer = Visitor::new(&app);
    treasurer.sign_in(FRENCH_DEMO.treasurer).await;
    let page = treasurer.get(PAGE).await;
    page.ok();
    let status = {
        let conn = &mut app.db.db.conn().expect("conn");
        comptoir::accounting::odoo::status(conn).expect("status")
    };
    assert!(status.ok());
    assert!(
        page.shows("Rien ne demande votre attention"),
        "{}",
        page.text
    );
    assert!(page.shows("Envoyées à Odoo"));
    assert!(page.shows("Aucune synchronisation n’est en cours."));

    let forged = treasurer
        .post_raw(&format!("{PAGE}/retry"), &[("move", "")])
        .await;
    assert_eq!(forged.status, 403);
    let bad = treasurer
        .post(&format!("{PAGE}/retry"), &[("move", "pas un numéro")])
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.shows("Saisissez un numéro d’écriture comme MLC2026-000052"));
    assert_eq!(bad.input_value("move").as_deref(), Some("pas un numéro"));
    let unknown = treasurer
        .post(&format!("{PAGE}/retry"), &[("move", "MLC2026-999999")])
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert!(unknown.shows("no move MLC2026-999999"), "{}", unknown.text);
    let all = treasurer
        .post(&format!("{PAGE}/retry"), &[("move", "")])
        .await;
    assert_eq!(all.location(), format!("{PAGE}?notice=retried"));
    let page = treasurer.get(&format!("{PAGE}?notice=retried")).await;
    assert!(page.shows("la prochaine synchronisation les renvoie"));
}
