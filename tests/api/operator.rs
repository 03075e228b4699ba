//! Running Comptoir for real, as the operator of a new cooperative would: the first platform
//! admin created on the server's machine, admins granted and revoked (never the last), every
//! act in the append-only audit trail; a backup taken while the ledger is written, restored
//! and verified.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;

use comptoir::db::schema::{audit_events, mail_outbox, users};
use comptoir::ledger::accounts::Owner;
use comptoir::ledger::ops::{self, EuroMethod};

use crate::backend_tests;
use crate::harness::{Backend, TestApp, TestDb};
use crate::support::{key, new_customer};

backend_tests!(
    the_first_admin_is_created_on_the_server_and_unblocks_a_new_deployment,
    a_backup_taken_under_load_restores_and_verifies,
);

const PASSWORD: &str = "une cooperative 2026";

/// Runs the binary on `url`, with `stdin` as its standard input.
fn comptoir(dir: &Path, url: &str, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_comptoir"));
    command
        .args(args)
        .args(["--database-url", url])
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env("USER", "operator")
        .env("COMPTOIR_MAIL__APP_URL", "https://coop.example.org")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars()
        .filter(|(k, _)| k.starts_with("COMPTOIR_") && k != "COMPTOIR_MAIL__APP_URL")
    {
        command.env_remove(key);
    }
    let mut child = command.spawn().expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("the binary ends")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[track_caller]
fn succeeds(output: &Output) -> String {
    assert!(
        output.status.success(),
        "should succeed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(output)
}

#[track_caller]
fn fails_with(output: &Output, fragment: &str) {
    assert!(!output.status.success(), "should fail: {}", stdout(output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(fragment), "`{fragment}` not in: {stderr}");
}

async fn the_first_admin_is_created_on_the_server_and_unblocks_a_new_deployment(backend: Backend) {
    let db = TestDb::migrated(backend);
    let dir = tempfile::tempdir().expect("dir");
    let url = db.url.clone();
    let run = |args: &[&str], stdin: &str| comptoir(dir.path(), &url, args, stdin);

    assert!(succeeds(&run(&["admin", "list"], "")).contains("no platform admin yet"));
    // a weak password is refused, and nothing is created
    fails_with(
        &run(
            &["admin", "create", "--email", "aicha@coop.example.org"],
            "court\n",
        ),
        "password: must be 10 to 128 characters long",
    );
    fails_with(
        &run(
            &["admin", "create", "--email", "aicha@coop.example.org"],
            "",
        ),
        "no password on standard input",
    );
    fails_with(
        &run(&["admin", "create", "--email", "not an address"], PASSWORD),
        "email: is not an email address",
    );
    assert!(succeeds(&run(&["admin", "list"], "")).contains("no platform admin yet"));

    let created = run(
        &[
            "admin",
            "create",
            "--email",
            "Aicha@Coop.example.org",
            "--name",
            "Aïcha Benali",
        ],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        succeeds(&created).contains("aicha@coop.example.org (Aïcha Benali) is a platform admin")
    );
    fails_with(
        &run(
            &["admin", "create", "--email", "aicha@coop.example.org"],
            PASSWORD,
        ),
        "already has an account: make it an admin with `comptoir admin grant",
    );
    // a second admin with a one-time set-up link instead of a password
    let linked = succeeds(&run(
        &[
            "admin",
            "create",
            "--email",
            "bastien@coop.example.org",
            "--link",
            "--locale",
            "en",
        ],
        "",
    ));
    let token = linked
        .split("https://coop.example.org/reset-password?token=")
        .nth(1)
        .expect("a set-up link")
        .trim()
        .to_string();
    let listed = succeeds(&run(&["admin", "list"], ""));
    assert!(
        listed.contains("aicha@coop.example.org\tAïcha Benali\tactive"),
        "{listed}"
    );
    assert!(
        listed.contains("bastien@coop.example.org\tbastien\tset-up link not used yet"),
        "{listed}"
    );

    // revoking: never the last admin; granting: an existing account only
    assert!(
        succeeds(&run(&["admin", "revoke", "aicha@coop.example.org"], ""))
            .contains("is no longer a platform admin")
    );
    fails_with(
        &run(&["admin", "revoke", "bastien@coop.example.org"], ""),
        "bastien@coop.example.org is the last platform admin: grant another account first",
    );
    assert!(
        succeeds(&run(&["admin", "revoke", "aicha@coop.example.org"], ""))
            .contains("was not a platform admin")
    );
    fails_with(
        &run(&["admin", "grant", "nobody@coop.example.org"], ""),
        "no account has the address nobody@coop.example.org",
    );
    assert!(
        succeeds(&run(&["admin", "grant", "aicha@coop.example.org"], ""))
            .contains("is now a platform admin")
    );

    {
        let conn = &mut db.db.conn().expect("conn");
        // the set-up link was mailed, in the admin's language
        let mailed: Vec<(String, String, String)> = mail_outbox::table
            .filter(mail_outbox::template.eq("admin_setup"))
            .select((
                mail_outbox::recipient,
                mail_outbox::locale,
                mail_outbox::payload,
            ))
            .load(conn.diesel())
            .expect("outbox");
        assert_eq!(mailed.len(), 1);
        assert_eq!(mailed[0].0, "bastien@coop.example.org");
        assert_eq!(mailed[0].1, "en");
        assert!(
            mailed[0].2.contains(&token),
            "the mail carries the printed link"
        );
        // every act is in the trail, by the command line's user, with no personal data
        let trail: Vec<(String, Option<String>, String, String, String)> = audit_events::table
            .order(audit_events::id.asc())
            .select((
                audit_events::action,
                audit_events::actor_id,
                audit_events::actor,
                audit_events::origin,
                audit_events::details,
            ))
            .load(conn.diesel())
            .expect("trail");
        let actions: Vec<&str> = trail.iter().map(|t| t.0.as_str()).collect();
        assert_eq!(
            actions,
            [
                "admin.create",
                "admin.create",
                "admin.revoke",
                "admin.grant"
            ]
        );
        for (_, actor_id, actor, origin, details) in &trail {
            assert_eq!(
                (actor_id.as_deref(), actor.as_str(), origin.as_str()),
                (None, "cli:operator", "local")
            );
            assert!(!details.contains('@'), "{details}");
        }
        // the trail is append-only, whatever the connection does
        for sql in [
            "UPDATE audit_events SET action = 'nothing'",
            "DELETE FROM audit_events",
        ] {
            let refused = conn.diesel().batch_execute(sql);
            assert!(
                refused
                    .as_ref()
                    .is_err_and(|e| e.to_string().contains("append-only")),
                "{sql}: {refused:?}"
            );
        }
        let kept: i64 = audit_events::table
            .count()
            .get_result(conn.diesel())
            .expect("count");
        assert_eq!(kept, 4);
    }

    // the deployment is no longer stuck: the admin logs in and creates the association
    let app = TestApp::serve(db).await;
    let login = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "aicha@coop.example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.json());
    let admin = login.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let association = app
        .call(
            "POST",
            "/api/v1/enterprises",
            Some(&admin),
            Some(&json!({"name": "Monnaie de la Coop", "kind": "currency_association"})),
        )
        .await;
    assert_eq!(association.status, 201, "{}", association.json());
    // the second admin follows the set-up link, once, and logs in
    let set = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "new_password": "bastien choisit 2026"}),
        )
        .await;
    assert_eq!(set.status, 204, "{}", String::from_utf8_lossy(&set.body));
    app.post_json(
        "/api/v1/auth/password-reset/confirm",
        &json!({"token": token, "new_password": "encore une fois 2026"}),
    )
    .await
    .problem(422, "validation");
    let second = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "bastien@coop.example.org", "password": "bastien choisit 2026"}),
        )
        .await;
    assert_eq!(second.status, 200, "{}", second.json());
    let verified: bool = {
        let conn = &mut app.db.db.conn().expect("conn");
        users::table
            .filter(users::email.eq("bastien@coop.example.org"))
            .select(users::email_verified_at.is_not_null())
            .first(conn.diesel())
            .expect("user")
    };
    assert!(verified);
}

async fn a_backup_taken_under_load_restores_and_verifies(backend: Backend) {
    let db = TestDb::with_demo(backend);
    let dir = tempfile::tempdir().expect("dir");
    let url = db.url.clone();
    let copy = dir.path().join("copy.db");
    let copy_arg = copy.display().to_string();
    if backend == Backend::Postgres {
        // PostgreSQL has its own tools: both commands say which, and do nothing
        for args in [&["backup", copy_arg.as_str()][..], &["restore", &copy_arg]] {
            fails_with(
                &comptoir(dir.path(), &url, args, ""),
                "this is a PostgreSQL database: use pg_dump and pg_restore",
            );
        }
        assert!(!copy.exists());
        return;
    }
    let wallet = {
        let conn = &mut db.db.conn().expect("conn");
        let member = new_customer(conn, 1);
        ops::wallet(conn, Owner::User(member), "LEM")
            .expect("wallet")
            .id
    };
    // the ledger is written all along: issuances, one after the other
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let (db, stop, written, wallet) = (db.db.clone(), stop.clone(), written.clone(), wallet);
        std::thread::spawn(move || {
            let conn = &mut db.conn().expect("conn");
            while !stop.load(Ordering::Relaxed) {
                ops::issue(conn, &key(), &wallet, 100, EuroMethod::Cash, "load").expect("issue");
                written.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    while written.load(Ordering::Relaxed) < 20 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let backup = comptoir(dir.path(), &url, &["backup", &copy_arg], "");
    let during = written.load(Ordering::Relaxed);
    while written.load(Ordering::Relaxed) < during + 20 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");
    let said = succeeds(&backup);
    assert!(said.contains("(ledger verified), holding:"), "{said}");
    assert!(said.contains("ledger_entries"), "{said}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).expect("copy").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the copy is its owner's only");
    }
    // a second backup never overwrites the first
    fails_with(
        &comptoir(dir.path(), &url, &["backup", &copy_arg], ""),
        "exists already",
    );
    let copy_url = format!("sqlite://{copy_arg}");
    let verified = Command::new(env!("CARGO_BIN_EXE_comptoir"))
        .args(["ledger", "verify", "--database-url", &copy_url])
        .current_dir(dir.path())
        .output()
        .expect("verify");
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );

    // the live database holds later entries: a restore refuses unless told
    fails_with(
        &comptoir(dir.path(), &url, &["restore", &copy_arg], ""),
        "is newer than the backup",
    );
    let seq_of = |url: &str| -> i64 {
        let db = comptoir::db::Db::connect(
            &comptoir::config::DatabaseUrl::try_from(url.to_string()).expect("url"),
            1,
        )
        .expect("db");
        let conn = &mut db.conn().expect("conn");
        comptoir::db::backup::holdings(conn)
            .expect("holdings")
            .ledger_seq
    };
    let (live_seq, copy_seq) = (seq_of(&url), seq_of(&copy_url));
    assert!(
        live_seq > copy_seq && copy_seq > 0,
        "{live_seq} vs {copy_seq}"
    );
    let restored = succeeds(&comptoir(
        dir.path(),
        &url,
        &["restore", &copy_arg, "--force"],
        "",
    ));
    assert!(
        restored.contains("the database it replaced is kept as"),
        "{restored}"
    );
    let kept = restored
        .split("kept as ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .expect("kept path")
        .to_string();
    assert!(Path::new(&kept).exists(), "{kept}");
    assert_eq!(seq_of(&url), copy_seq);
    assert_eq!(seq_of(&format!("sqlite://{kept}")), live_seq);
    let verified = Command::new(env!("CARGO_BIN_EXE_comptoir"))
        .args(["ledger", "verify", "--database-url", &url])
        .current_dir(dir.path())
        .output()
        .expect("verify");
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    // a file that is not a good backup is refused before anything moves
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").expect("junk");
    let junk_arg = junk.display().to_string();
    assert!(
        !comptoir(dir.path(), &url, &["restore", &junk_arg, "--force"], "")
            .status
            .success()
    );
    assert_eq!(seq_of(&url), copy_seq);
}
