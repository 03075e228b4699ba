//! The catalogue import in the background, over real HTTP: an import that takes longer than
//! the request waits (`catalog.import_wait_seconds`, 0 here so that every import goes to its
//! page) answers with a 303 to its job's page, which shows the lines read while it runs (it
//! never reloads itself: a link reads it again), then the same report as the import page; the catalogue then has the
//! rows (through the API). A second import of the same catalogue is refused with words while
//! the first runs; another producer's people never see the job (404); a small import with
//! the default wait still answers at once with its report.
//!
//! To see a job running whatever the machine's speed, the tests hold the database's writes
//! (on SQLite the pool's write turn, on PostgreSQL a lock on the catalogue's tables): the
//! import waits before its first write until they are released. Nothing depends on timing
//! but the overall limit of the final poll. While they are held, nothing else may write (no
//! signing in, no token): everyone signs in first.

use diesel::connection::SimpleConnection;

use crate::backend_tests;
use crate::harness::{Backend, Reply, TestApp, TestDb};
use crate::pages::{unescape, Page, Visitor};
use crate::web_producer::{exported, signed_in, upload, BAKER, FARMER, HEADER};

backend_tests!(
    a_long_import_shows_its_progress_then_its_report,
    one_import_at_a_time_and_each_producers_own,
    a_small_import_still_answers_at_once
);

/// The farm's office, and the bakery's.
const BASE: &str = "/producer/ferme-des-trois-chenes";
const BAKERY: &str = "/producer/fournil-de-la-colline";

/// The demo marketplace, served with an import page that never waits for an import.
async fn app_without_wait(backend: Backend) -> TestApp {
    TestApp::serve_with(TestDb::with_bare_demo(backend), |config| {
        config.catalog.import_wait_seconds = 0;
    })
    .await
}

/// `rows` new variants, each of its own product, in the import's columns.
pub(crate) fn catalogue(rows: usize) -> String {
    let mut csv = String::from(HEADER);
    for n in 0..rows {
        csv.push_str(&format!(
            "BG-{n:05},Produit de fond {n},legumes,1 kg,weight,1000,2.50,5.5,10\n"
        ));
    }
    csv
}

/// The database's writes held until [`Held::release`] (or the end of the test).
pub(crate) struct Held {
    conn: Option<comptoir::db::DbConn>,
    turn: Option<comptoir::db::WriteTurn>,
}

impl Held {
    pub(crate) fn writes(app: &TestApp) -> Held {
        let mut conn = app.db.db.conn().expect("a connection");
        // SQLite: every write transaction of the pool waits for its turn
        let turn = conn.write_turn();
        if let comptoir::db::AnyConnection::Postgres(c) = conn.diesel() {
            c.batch_execute("BEGIN; LOCK TABLE products, variants IN EXCLUSIVE MODE")
                .expect("catalogue locked");
        }
        Held {
            conn: Some(conn),
            turn,
        }
    }

    pub(crate) fn release(&mut self) {
        self.turn = None;
        if let Some(mut conn) = self.conn.take() {
            if let comptoir::db::AnyConnection::Postgres(c) = conn.diesel() {
                c.batch_execute("ROLLBACK").expect("released");
            }
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.release();
    }
}

/// The job page a `POST …/import` redirected to.
#[track_caller]
fn job_page_of(reply: &Reply) -> String {
    assert_eq!(
        reply.status.as_u16(),
        303,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let location = reply.header("location").expect("Location");
    let id = location
        .strip_prefix(&format!("{BASE}/import/"))
        .unwrap_or_else(|| panic!("not a job's page: {location}"));
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{location}");
    location
}

/// Reads the job's page again until the job is over, each running page showing its
/// progress; panics past a generous limit.
async fn finished(farmer: &mut Visitor<'_>, job: &str) -> Page {
    let limit = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let page = farmer.get(job).await;
        page.ok();
        assert!(!page.text.contains("http-equiv=\"refresh\""));
        if !page.shows("lignes lues, environ") {
            return page;
        }
        assert!(
            std::time::Instant::now() < limit,
            "the import did not end in time"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn a_long_import_shows_its_progress_then_its_report(backend: Backend) {
    let app = app_without_wait(backend).await;
    let mut farmer = signed_in(&app, FARMER).await;
    farmer.get(&format!("{BASE}/import")).await.ok();
    let csv = catalogue(2500);
    let token = app.access_token(FARMER).await;

    let mut held = Held::writes(&app);
    let job = job_page_of(&upload(&farmer, BASE, &csv, "import", true).await);
    // running: the lines read so far, read out as a status; the page never reloads itself
    // (a reload starts it over for a screen reader), its link reads it again
    let page = farmer.get(&job).await;
    page.ok();
    assert!(
        !page.text.contains("http-equiv=\"refresh\""),
        "{}",
        page.text
    );
    assert!(
        page.shows(&format!("href=\"{job}\">Mettre à jour maintenant")),
        "{}",
        page.text
    );
    assert!(
        page.shows("0 lignes lues, environ 0 % du fichier."),
        "{}",
        page.text
    );
    assert!(page.text.contains("<h1>Import en cours</h1>"));
    assert!(page.text.contains("aria-live=\"polite\""));
    assert!(page.text.contains("<progress max=\"100\" value=\"0\""));
    assert!(!page.shows("Le catalogue est à jour"));
    // nothing is written while it waits
    assert!(!exported(&app, &token).await.contains("BG-00000"));
    held.release();

    // then the report, as the import page shows it
    let page = finished(&mut farmer, &job).await;
    assert!(
        page.text.contains("<h1>Import terminé</h1>"),
        "{}",
        page.text
    );
    assert!(page.shows("Le catalogue est à jour"), "{}", page.text);
    assert!(
        page.shows("2500 lignes : 2500 à créer, 0 à mettre à jour, 0 fausses."),
        "{}",
        page.text
    );
    assert!(!page.text.contains("aria-live=\"polite\""));
    // the catalogue has every row, through the API
    let exported = exported(&app, &token).await;
    let imported = exported.lines().filter(|l| l.starts_with("BG-")).count();
    assert_eq!(imported, 2500);
    assert!(exported.contains("BG-02499,Produit de fond 2499"));

    // a check in the background ends on its report too, with the wrong lines by line
    let bad = format!(
        "{}BG-09999,Navets,legumes,1 kg,weight,1000,deux euros,5.5,1\n",
        catalogue(3)
    );
    let job = job_page_of(&upload(&farmer, BASE, &bad, "check", true).await);
    let page = finished(&mut farmer, &job).await;
    let text = unescape(&page.text);
    assert!(text.contains("<h1>Vérification terminée</h1>"), "{text}");
    assert!(text.contains("Des lignes sont fausses"), "{text}");
    assert!(
        text.contains("<td class=\"num\">5</td><td><code>price</code>"),
        "{text}"
    );
    // a file that is no catalogue: why, and nothing written
    let job = job_page_of(&upload(&farmer, BASE, "name,price\nx,1\n", "import", true).await);
    let page = finished(&mut farmer, &job).await;
    assert!(
        page.shows("L’import s’est arrêté : rien n’a été écrit"),
        "{}",
        page.text
    );
    assert!(page.text.contains("<code>sku</code>"), "{}", page.text);
}

async fn one_import_at_a_time_and_each_producers_own(backend: Backend) {
    let app = app_without_wait(backend).await;
    let mut farmer = signed_in(&app, FARMER).await;
    farmer.get(&format!("{BASE}/import")).await.ok();
    let mut baker = signed_in(&app, BAKER).await;
    let mut held = Held::writes(&app);
    let job = job_page_of(&upload(&farmer, BASE, &catalogue(10), "import", true).await);

    // a second import of the same catalogue while the first runs: refused, with words and
    // the way to the first one
    let second = upload(&farmer, BASE, &catalogue(2), "import", true).await;
    assert_eq!(second.status.as_u16(), 409);
    let text = unescape(&String::from_utf8_lossy(&second.body));
    assert!(
        text.contains("Un import de ce catalogue est déjà en cours"),
        "{text}"
    );
    assert!(text.contains(&format!("href=\"{job}\"")), "{text}");

    // the bakery's people do not see the farm's job, from their office or the farm's
    let id = job.rsplit('/').next().expect("id").to_string();
    let page = baker.get(&format!("{BAKERY}/import/{id}")).await;
    assert_eq!(page.status, 404, "{}", page.text);
    assert!(
        page.shows("Cet import n’est pas connu ici."),
        "{}",
        page.text
    );
    assert!(!page.text.contains("http-equiv=\"refresh\""));
    assert_eq!(baker.get(&job).await.status, 403);
    // an id nobody started
    let unknown = farmer
        .get(&format!("{BASE}/import/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(unknown.status, 404);
    held.release();

    let page = finished(&mut farmer, &job).await;
    assert!(page.shows("10 lignes : 10 à créer"), "{}", page.text);
    // once it is over, the next import starts
    let next = upload(&farmer, BASE, &catalogue(2), "import", true).await;
    let page = finished(&mut farmer, &job_page_of(&next)).await;
    assert!(
        page.shows("2 lignes : 0 à créer, 2 à mettre à jour"),
        "{}",
        page.text
    );
}

async fn a_small_import_still_answers_at_once(backend: Backend) {
    // the default wait (5 s): a small file is done long before
    let app = TestApp::with_bare_demo(backend).await;
    let mut farmer = signed_in(&app, FARMER).await;
    farmer.get(&format!("{BASE}/import")).await.ok();
    let bad = format!(
        "{}BG-09999,Navets,legumes,1 kg,weight,1000,deux euros,5.5,1\n",
        catalogue(2)
    );
    let reply = upload(&farmer, BASE, &bad, "import", true).await;
    assert_eq!(reply.status.as_u16(), 422);
    assert!(reply.header("location").is_none());
    let text = unescape(&String::from_utf8_lossy(&reply.body));
    assert!(
        text.contains("Des lignes sont fausses : rien n’a été écrit"),
        "{text}"
    );
    assert!(
        text.contains("<td class=\"num\">4</td><td><code>price</code>"),
        "{text}"
    );

    let reply = upload(&farmer, BASE, &catalogue(2), "import", true).await;
    assert_eq!(reply.status.as_u16(), 200);
    let text = unescape(&String::from_utf8_lossy(&reply.body));
    assert!(text.contains("Le catalogue est à jour"), "{text}");
    assert!(
        text.contains("2 lignes : 2 à créer, 0 à mettre à jour, 0 fausses."),
        "{text}"
    );
    let token = app.access_token(FARMER).await;
    assert!(exported(&app, &token)
        .await
        .contains("BG-00001,Produit de fond 1"));
}
