//! Mail: templates against approved snapshots, a real SMTP conversation, and the outbox's
//! guarantees (retries, crash, rollback, concurrent workers) on both backends.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use diesel::prelude::*;
use serde_json::{json, Value};

use comptoir::db::schema::mail_outbox;
use comptoir::db::DbConn;
use comptoir::mail::delivery::{Mailer, Pass};
use comptoir::mail::transport::Memory;
use comptoir::mail::{mailer_with, outbox, templates};

use crate::backend_tests;
use crate::harness::{test_config, Backend, TestApp, TestDb};
use crate::smtp_server::SmtpServer;

backend_tests!(
    a_refused_connection_is_retried_later_and_sent_once,
    a_crash_after_sending_resends_with_the_same_message_id,
    mail_of_a_rolled_back_transaction_is_never_sent,
    a_mail_erased_while_its_batch_is_sent_is_not_sent,
    concurrent_workers_never_send_a_mail_twice,
    registration_mail_goes_out_in_the_users_language_and_its_token_is_not_kept,
    a_swiss_account_registered_in_german_is_mailed_in_german,
    a_language_outside_the_countrys_is_refused_on_its_field,
);

fn fixture(kind: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/mail/{kind}.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("JSON")
}

/// Every mail in every language, rendered from `fixtures/mail/` and compared with the approved
/// snapshot in `tests/snapshots/mail/`. `UPDATE_SNAPSHOTS=1` rewrites them (review the diff).
#[test]
fn every_template_matches_its_approved_snapshot() {
    let t = templates::Templates::new(None, comptoir::mail::format::Locale::Fr);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/mail");
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    let mut mismatches = Vec::new();
    for kind in templates::KINDS {
        let mut values = fixture(kind);
        values["app_url"] = "https://comptoir.example.org".into();
        for locale in ["fr", "de", "en"] {
            let r = t
                .render(kind, locale, &values)
                .unwrap_or_else(|e| panic!("{kind}/{locale}: {e}"));
            let got = format!(
                "Subject: {}\n\n----- text/plain -----\n{}\n----- text/html -----\n{}",
                r.subject, r.text, r.html
            );
            let path = dir.join(format!("{kind}.{locale}.snap"));
            if update {
                std::fs::create_dir_all(&dir).expect("dir");
                std::fs::write(&path, &got).expect("write snapshot");
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(want) if want == got => {}
                Ok(_) => mismatches.push(format!("{} differs", path.display())),
                Err(_) => mismatches.push(format!("{} is missing", path.display())),
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{mismatches:#?}\nrun `UPDATE_SNAPSHOTS=1 cargo test every_template` and review the diff"
    );
}

#[test]
fn snapshots_show_language_formats_and_escaping() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/mail");
    let fr = std::fs::read_to_string(dir.join("order_confirmation.fr.snap")).expect("fr");
    let en = std::fs::read_to_string(dir.join("order_confirmation.en.snap")).expect("en");
    let de = std::fs::read_to_string(dir.join("order_confirmation.de.snap")).expect("de");
    assert!(
        fr.contains("22,30\u{a0}€") && fr.contains("15,00\u{a0}LEM"),
        "{fr}"
    );
    assert!(
        en.contains("€22.30") && en.contains("15.00\u{a0}LEM"),
        "{en}"
    );
    assert!(fr.contains("jeudi 26 novembre 2026 à 18:00"));
    assert!(en.contains("Thursday 26 November 2026 at 18:00"));
    assert!(
        de.contains("22,30\u{a0}€") && de.contains("15,00\u{a0}LEM"),
        "{de}"
    );
    assert!(
        de.contains("Donnerstag, 26. November 2026 um 18:00"),
        "{de}"
    );
    assert!(de.contains("MWST 5,5 %"), "{de}");
    // user data is escaped in HTML, not in text
    assert!(
        fr.contains("Hydromel &lt;Cuvée &quot;Val&quot;&gt;"),
        "{fr}"
    );
    assert!(fr.contains("Hydromel <Cuvée \"Val\">"));
}

fn mailer(db: &TestDb, memory: &Memory) -> Mailer {
    mailer_with(&test_config(&db.url), Box::new(memory.clone())).expect("mailer")
}

fn enqueue(conn: &mut DbConn, to: &str, kind: &str, locale: &str) -> String {
    let values = fixture(kind);
    conn.transaction(|conn| outbox::enqueue(conn, to, kind, locale, &values))
        .expect("enqueue")
}

/// Makes every pending mail due now (instead of waiting for the back-off).
fn make_due(conn: &mut DbConn) {
    let past = comptoir::time::now() - chrono::Duration::seconds(1);
    diesel::update(mail_outbox::table)
        .set(mail_outbox::next_attempt_at.eq(past))
        .execute(conn.diesel())
        .expect("due");
}

fn row(
    conn: &mut DbConn,
    id: &str,
) -> (
    i32,
    Option<chrono::NaiveDateTime>,
    Option<String>,
    String,
    String,
) {
    mail_outbox::table
        .find(id)
        .select((
            mail_outbox::attempts,
            mail_outbox::sent_at,
            mail_outbox::last_error,
            mail_outbox::message_id,
            mail_outbox::payload,
        ))
        .first(conn.diesel())
        .expect("row")
}

#[test]
fn a_real_smtp_conversation_carries_utf8_headers_and_both_bodies() {
    let server = SmtpServer::start(0);
    let db = TestDb::migrated(Backend::Sqlite);
    let mut config = test_config(&db.url);
    config.smtp.url = Some(format!("smtp://127.0.0.1:{}?tls=none", server.port));
    config.smtp.from = "Comptoir des Chênes <noreply@comptoir.example.org>".into();
    let mailer = comptoir::mail::mailer_from_config(&config).expect("SMTP mailer");
    assert_eq!(
        mailer.transport.describe(),
        format!("smtp://127.0.0.1:{}", server.port)
    );
    let conn = &mut db.db.conn().expect("conn");
    let id = enqueue(conn, "camille@example.org", "order_confirmation", "fr");
    let pass = mailer.deliver_due(conn).expect("pass");
    assert_eq!(
        pass,
        Pass {
            sent: 1,
            retrying: 0,
            failed: 0
        }
    );

    let received = server.received();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.mail_from, "noreply@comptoir.example.org");
    assert_eq!(mail.rcpt_to, ["camille@example.org"]);
    let parsed = mailparse::parse_mail(&mail.data).expect("a MIME message");
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    assert_eq!(
        header("Subject"),
        "Votre commande C-2026-0042 chez La Cagette du Quartier est confirmée"
    );
    assert_eq!(
        header("From"),
        "Comptoir des Chênes <noreply@comptoir.example.org>"
    );
    assert!(
        header("To").contains("Camille Fèvre") && header("To").contains("<camille@example.org>"),
        "{}",
        header("To")
    );
    assert_eq!(header("Message-ID"), format!("<{id}@comptoir.example.org>"));
    assert!(!header("Date").is_empty());
    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    assert_eq!(parsed.subparts.len(), 2);
    assert_eq!(parsed.subparts[0].ctype.mimetype, "text/plain");
    assert_eq!(
        parsed.subparts[0].ctype.charset.to_ascii_lowercase(),
        "utf-8"
    );
    let text = parsed.subparts[0].get_body().expect("text");
    assert!(
        text.contains("Œufs plein air") && text.contains("22,30\u{a0}€"),
        "{text}"
    );
    assert_eq!(parsed.subparts[1].ctype.mimetype, "text/html");
    let html = parsed.subparts[1].get_body().expect("html");
    assert!(html.contains("<strong>C-2026-0042</strong>"), "{html}");
    let (_, sent, _, message_id, _) = row(conn, &id);
    assert!(sent.is_some());
    assert_eq!(message_id, format!("<{id}@comptoir.example.org>"));
}

async fn a_refused_connection_is_retried_later_and_sent_once(backend: Backend) {
    let db = TestDb::migrated(backend);
    // a port with nobody listening: the connection is refused
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let mut config = test_config(&db.url);
    config.smtp.url = Some(format!("smtp://127.0.0.1:{port}?tls=none"));
    let mailer = comptoir::mail::mailer_from_config(&config).expect("mailer");
    let conn = &mut db.db.conn().expect("conn");
    let id = enqueue(conn, "camille@example.org", "verify_email", "fr");
    assert_eq!(
        mailer.deliver_due(conn).expect("pass"),
        Pass {
            sent: 0,
            retrying: 1,
            failed: 0
        }
    );
    let (attempts, sent, error, _, _) = row(conn, &id);
    assert_eq!((attempts, sent), (1, None));
    assert!(error.is_some_and(|e| e.contains("SMTP")));
    // not due yet: the back-off holds it
    assert_eq!(mailer.deliver_due(conn).expect("pass"), Pass::default());
    let status = outbox::status(conn).expect("status");
    assert_eq!((status.pending, status.retrying, status.sent), (1, 1, 0));
    // the server comes up; once due, the mail goes out exactly once
    let server = SmtpServer::start(port);
    make_due(conn);
    assert_eq!(
        mailer.deliver_due(conn).expect("pass"),
        Pass {
            sent: 1,
            retrying: 0,
            failed: 0
        }
    );
    assert_eq!(mailer.deliver_due(conn).expect("pass"), Pass::default());
    make_due(conn);
    assert_eq!(mailer.deliver_due(conn).expect("pass"), Pass::default());
    assert_eq!(server.received().len(), 1);
    let (attempts, sent, error, _, _) = row(conn, &id);
    assert_eq!(attempts, 2);
    assert!(sent.is_some() && error.is_none());
}

async fn a_crash_after_sending_resends_with_the_same_message_id(backend: Backend) {
    let db = TestDb::migrated(backend);
    let memory = Memory::default();
    let mailer = mailer(&db, &memory);
    let conn = &mut db.db.conn().expect("conn");
    let id = enqueue(conn, "yanis@example.org", "account_exists", "en");
    // the process dies between the server's acceptance and the mark: the transport panics
    // right after keeping the mail
    memory.crash_after_send.store(true, Ordering::SeqCst);
    let crashed =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| mailer.deliver_due(conn)));
    assert!(crashed.is_err());
    memory.crash_after_send.store(false, Ordering::SeqCst);
    assert_eq!(memory.kept.lock().unwrap().len(), 1);
    let (attempts, sent, _, _, _) = row(conn, &id);
    assert_eq!((attempts, sent), (1, None), "claimed, not marked");
    // another worker cannot take it while the lease runs …
    assert_eq!(mailer.deliver_due(conn).expect("pass"), Pass::default());
    // … and sends it again once the lease has expired: at least once, same Message-ID
    let past = comptoir::time::now() - chrono::Duration::seconds(1);
    diesel::update(mail_outbox::table.find(&id))
        .set(mail_outbox::claimed_until.eq(Some(past)))
        .execute(conn.diesel())
        .expect("lease expired");
    assert_eq!(mailer.deliver_due(conn).expect("pass").sent, 1);
    let kept = memory.kept.lock().unwrap().clone();
    assert_eq!(kept.len(), 2, "the documented duplicate");
    let message_id = |raw: &[u8]| {
        mailparse::parse_mail(raw)
            .expect("mail")
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case("Message-ID"))
            .map(|h| h.get_value())
            .expect("Message-ID")
    };
    assert_eq!(message_id(&kept[0].raw), message_id(&kept[1].raw));
}

/// Hands mail over like [`Memory`], and, handed the first one, deletes the other queued
/// mails' rows from another connection — as `privacy::erase` deletes a person's unsent mail,
/// even one a worker has claimed and not sent yet.
struct ErasingTransport {
    db: comptoir::db::Db,
    others: std::sync::Mutex<Vec<String>>,
    kept: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl comptoir::mail::transport::Transport for ErasingTransport {
    fn send(&self, outbox_id: &str, _message: &lettre::Message) -> Result<(), String> {
        let others: Vec<String> = std::mem::take(&mut *self.others.lock().unwrap());
        let erased: Vec<&String> = others.iter().filter(|id| *id != outbox_id).collect();
        if !erased.is_empty() {
            let mut conn = self.db.conn().expect("conn");
            diesel::delete(mail_outbox::table.filter(mail_outbox::id.eq_any(erased)))
                .execute(conn.diesel())
                .expect("erased");
        }
        self.kept.lock().unwrap().push(outbox_id.to_string());
        Ok(())
    }

    fn describe(&self) -> String {
        "erasing".into()
    }
}

async fn a_mail_erased_while_its_batch_is_sent_is_not_sent(backend: Backend) {
    let db = TestDb::migrated(backend);
    let conn = &mut db.db.conn().expect("conn");
    let ids = vec![
        enqueue(conn, "nadia@example.org", "account_exists", "fr"),
        enqueue(conn, "nadia@example.org", "account_exists", "en"),
    ];
    let kept = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let transport = ErasingTransport {
        db: db.db.clone(),
        others: std::sync::Mutex::new(ids),
        kept: kept.clone(),
    };
    let mailer = mailer_with(&test_config(&db.url), Box::new(transport)).expect("mailer");
    // both claimed in one batch; sending the first erases the second before its turn
    let pass = mailer.deliver_due(conn).expect("pass");
    assert_eq!(
        pass,
        Pass {
            sent: 1,
            ..Pass::default()
        }
    );
    let kept = kept.lock().unwrap().clone();
    assert_eq!(
        kept.len(),
        1,
        "the erased mail is not handed over: {kept:?}"
    );
    let left: i64 = mail_outbox::table
        .count()
        .get_result(conn.diesel())
        .expect("count");
    assert_eq!(
        left, 1,
        "the sent one stays, marked; the erased one is gone"
    );
}

async fn mail_of_a_rolled_back_transaction_is_never_sent(backend: Backend) {
    let db = TestDb::migrated(backend);
    let memory = Memory::default();
    let mailer = mailer(&db, &memory);
    let conn = &mut db.db.conn().expect("conn");
    let failed: Result<(), comptoir::api::error::ApiError> = conn.transaction(|conn| {
        outbox::enqueue(
            conn,
            "camille@example.org",
            "account_exists",
            "fr",
            &fixture("account_exists"),
        )?;
        Err(comptoir::api::error::ApiError::internal("the event failed"))
    });
    assert!(failed.is_err());
    assert_eq!(mailer.deliver_due(conn).expect("pass"), Pass::default());
    assert!(memory.kept.lock().unwrap().is_empty());
    assert_eq!(outbox::status(conn).expect("status").pending, 0);
}

async fn concurrent_workers_never_send_a_mail_twice(backend: Backend) {
    let db = TestDb::migrated(backend);
    let memory = Memory::default();
    {
        let conn = &mut db.db.conn().expect("conn");
        for i in 0..60 {
            enqueue(
                conn,
                &format!("member{i}@example.org"),
                "account_exists",
                "fr",
            );
        }
    }
    std::thread::scope(|s| {
        for _ in 0..4 {
            let worker = mailer(&db, &memory);
            let pool = db.db.clone();
            s.spawn(move || {
                let conn = &mut pool.conn().expect("conn");
                worker.deliver_due(conn).expect("pass")
            });
        }
    });
    let kept = memory.kept.lock().unwrap().clone();
    let mut ids: Vec<&str> = kept.iter().map(|k| k.outbox_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((kept.len(), ids.len()), (60, 60), "every mail once");
    let conn = &mut db.db.conn().expect("conn");
    assert_eq!(outbox::status(conn).expect("status").sent, 60);
}

async fn registration_mail_goes_out_in_the_users_language_and_its_token_is_not_kept(
    backend: Backend,
) {
    let app = TestApp::empty(backend).await;
    let reply = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "ada@example.org", "password": "correct horse battery", "display_name": "Ada <Lovelace>", "locale": "en"}),
        )
        .await;
    assert!(
        reply.status.is_success(),
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let memory = Memory::default();
    let mailer = mailer(&app.db, &memory);
    let conn = &mut app.db.db.conn().expect("conn");
    assert_eq!(mailer.deliver_due(conn).expect("pass").sent, 1);
    let kept = memory.kept.lock().unwrap().clone();
    let parsed = mailparse::parse_mail(&kept[0].raw).expect("mail");
    let subject = parsed
        .headers
        .iter()
        .find(|h| h.get_key() == "Subject")
        .map(|h| h.get_value())
        .expect("subject");
    assert_eq!(subject, "Confirm your email address");
    let text = parsed.subparts[0].get_body().expect("text");
    let token = text
        .split("token=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .expect("a link with the token")
        .to_string();
    let html = parsed.subparts[1].get_body().expect("html");
    assert!(html.contains("Ada &lt;Lovelace&gt;"), "{html}");
    // the outbox no longer holds the token once sent
    let payloads: Vec<String> = mail_outbox::table
        .select(mail_outbox::payload)
        .load(conn.diesel())
        .expect("payloads");
    assert!(payloads.iter().all(|p| !p.contains(&token)), "{payloads:?}");
    // and the token works
    let verified = app
        .post_json("/api/v1/auth/verify-email", &json!({"token": token}))
        .await;
    assert!(
        verified.status.is_success(),
        "{}",
        String::from_utf8_lossy(&verified.body)
    );
}

/// The subject and the text body of the only mail sent so far.
fn sent_mail(memory: &Memory) -> (String, String) {
    let kept = memory.kept.lock().unwrap().clone();
    assert_eq!(kept.len(), 1, "one mail");
    let parsed = mailparse::parse_mail(&kept[0].raw).expect("mail");
    let subject = parsed
        .headers
        .iter()
        .find(|h| h.get_key() == "Subject")
        .map(|h| h.get_value())
        .expect("subject");
    (subject, parsed.subparts[0].get_body().expect("text"))
}

async fn a_swiss_account_registered_in_german_is_mailed_in_german(backend: Backend) {
    let app = TestApp::serve(TestDb::migrated_swiss(backend)).await;
    let reply = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "urs@example.ch", "password": "correct horse battery", "display_name": "Urs Brügger", "locale": "de"}),
        )
        .await;
    assert!(
        reply.status.is_success(),
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let conn = &mut app.db.db.conn().expect("conn");
    let locale: String = comptoir::db::schema::users::table
        .filter(comptoir::db::schema::users::email.eq("urs@example.ch"))
        .select(comptoir::db::schema::users::locale)
        .first(conn.diesel())
        .expect("the account");
    assert_eq!(locale, "de");
    let memory = Memory::default();
    assert_eq!(
        mailer(&app.db, &memory)
            .deliver_due(conn)
            .expect("pass")
            .sent,
        1
    );
    let (subject, text) = sent_mail(&memory);
    assert_eq!(subject, "Bestätigen Sie Ihre E-Mail-Adresse");
    assert!(text.starts_with("Guten Tag Urs Brügger,"), "{text}");
    assert!(
        text.contains("um Ihr Comptoir-Konto zu aktivieren")
            && text.contains("/verify-email?token="),
        "{text}"
    );

    // an account that names no language gets the country's first, French
    let reply = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "lea@example.ch", "password": "correct horse battery", "display_name": "Léa"}),
        )
        .await;
    assert!(reply.status.is_success());
    let memory = Memory::default();
    assert_eq!(
        mailer(&app.db, &memory)
            .deliver_due(conn)
            .expect("pass")
            .sent,
        1
    );
    assert_eq!(sent_mail(&memory).0, "Confirmez votre adresse e-mail");
}

async fn a_language_outside_the_countrys_is_refused_on_its_field(backend: Backend) {
    let swiss = TestApp::serve(TestDb::migrated_swiss(backend)).await;
    let problem = swiss
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "gianni@example.ch", "password": "correct horse battery", "display_name": "Gianni", "locale": "it"}),
        )
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "locale", "{problem}");
    assert_eq!(problem["errors"][0]["code"], "invalid", "{problem}");
    assert_eq!(
        problem["errors"][0]["message"],
        "must be `fr`, `de` or `en` (the languages of a deployment in CH)",
        "{problem}"
    );
    // German is Switzerland's: a French deployment refuses it the same way
    let french = TestApp::empty(backend).await;
    let problem = french
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "urs@example.org", "password": "correct horse battery", "display_name": "Urs", "locale": "de"}),
        )
        .await
        .problem(422, "validation");
    assert_eq!(problem["errors"][0]["field"], "locale", "{problem}");
    assert_eq!(
        problem["errors"][0]["message"],
        "must be `fr` or `en` (the languages of a deployment in FR)",
        "{problem}"
    );
    for app in [&swiss, &french] {
        let conn = &mut app.db.db.conn().expect("conn");
        let queued: i64 = mail_outbox::table
            .count()
            .get_result(conn.diesel())
            .expect("count");
        assert_eq!(queued, 0, "nothing is queued for a refused language");
    }
}
