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
use crate::support::{authed, funded_wallet, key, lem, new_customer, place_order, shop};

backend_tests!(
    the_first_admin_is_created_on_the_server_and_unblocks_a_new_deployment,
    a_backup_taken_under_load_restores_and_verifies,
    a_member_exports_then_erases_their_data_and_the_ledger_stays_whole,
    acts_on_money_are_in_the_audit_trail_with_their_entries,
    metrics_are_served_in_prometheus_format_to_allowed_addresses_only,
    behind_a_trusted_proxy_the_forwarded_client_is_the_origin,
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
    // a language of the deployment's country only (German is Switzerland's)
    fails_with(
        &run(
            &[
                "admin",
                "create",
                "--email",
                "urs@coop.example.org",
                "--locale",
                "de",
            ],
            PASSWORD,
        ),
        "--locale must be `fr` or `en` (the languages of a deployment in FR)",
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
    let association = association.json()["id"]
        .as_str()
        .expect("association")
        .to_string();
    let currency = app
        .call(
            "POST",
            "/api/v1/currencies",
            Some(&admin),
            Some(
                &json!({"code": "COO", "name": "Coop", "symbol": "C", "scale": 2, "kind": "local",
                         "parity_to_eur": "1", "issuer_id": association}),
            ),
        )
        .await;
    assert_eq!(currency.status, 201, "{}", currency.json());
    // its first treasurer: an account of their own, named by the association's owner
    let treasurer_id = {
        let conn = &mut app.db.db.conn().expect("conn");
        let id = new_customer(conn, 3);
        let hash = comptoir::auth::passwords::hash(PASSWORD).expect("hash");
        diesel::update(users::table.find(&id))
            .set(users::password_hash.eq(Some(hash)))
            .execute(conn.diesel())
            .expect("password");
        id
    };
    let roles = format!("/api/v1/enterprises/{association}/roles");
    let name = json!({"email": "buyer3@example.org", "role": "treasurer"});
    let named = app.call("POST", &roles, Some(&admin), Some(&name)).await;
    assert_eq!(named.status, 201, "{}", named.json());
    assert_eq!(
        app.call("POST", &roles, Some(&admin), Some(&name))
            .await
            .status,
        200
    );
    let listed: Vec<(String, String)> = named
        .json()
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap_or("").to_string(),
                m["role"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("aicha@coop.example.org".to_string(), "owner".to_string()),
            ("buyer3@example.org".to_string(), "treasurer".to_string())
        ]
    );
    let treasurer = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "buyer3@example.org", "password": PASSWORD}),
        )
        .await
        .json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    // the treasurer acts at once (the association's acts are theirs to read), names nobody
    let trail = app
        .call(
            "GET",
            &format!("/api/v1/enterprises/{association}/audit"),
            Some(&treasurer),
            None,
        )
        .await;
    assert_eq!(trail.status, 200, "{}", trail.json());
    let trail = trail.json();
    let acts: Vec<&str> = trail["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(acts, ["currency.create", "role.grant"]);
    app.call("POST", &roles, Some(&treasurer), Some(&name))
        .await
        .problem(403, "forbidden");
    // the last owner stays; the treasurer can be removed
    let admin_id = app
        .call("GET", "/api/v1/me", Some(&admin), None)
        .await
        .json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.call(
        "DELETE",
        &format!("{roles}/{admin_id}/owner"),
        Some(&admin),
        None,
    )
    .await
    .problem(409, "conflict");
    app.call(
        "DELETE",
        &format!("{roles}/{treasurer_id}/boss"),
        Some(&admin),
        None,
    )
    .await
    .problem(404, "not-found");
    let removed = app
        .call(
            "DELETE",
            &format!("{roles}/{treasurer_id}/treasurer"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    app.call(
        "GET",
        &format!("/api/v1/enterprises/{association}/audit"),
        Some(&treasurer),
        None,
    )
    .await
    .problem(403, "forbidden");
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
        ops::wallet(conn, Owner::User(member.into()), "LEM")
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
                ops::issue(
                    conn,
                    &crate::support::operator(),
                    &key(),
                    &wallet,
                    100,
                    EuroMethod::Cash,
                    "load",
                )
                .expect("issue");
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

async fn a_member_exports_then_erases_their_data_and_the_ledger_stays_whole(backend: Backend) {
    let app = TestApp::with_demo(backend).await;
    let (member_id, farm_wallet) = {
        let conn = &mut app.db.db.conn().expect("conn");
        let id = new_customer(conn, 7);
        let hash = comptoir::auth::passwords::hash(PASSWORD).expect("hash");
        diesel::update(users::table.find(&id))
            .set(users::password_hash.eq(Some(hash)))
            .execute(conn.diesel())
            .expect("password");
        let farm: String = comptoir::db::schema::enterprises::table
            .filter(comptoir::db::schema::enterprises::slug.eq("ferme-des-trois-chenes"))
            .select(comptoir::db::schema::enterprises::id)
            .first(conn.diesel())
            .expect("farm");
        let wallet = ops::wallet(conn, Owner::Enterprise(farm.into()), "LEM").expect("farm wallet");
        (id, wallet.id)
    };
    let login = |password: &'static str| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/auth/login",
                &json!({"email": "buyer7@example.org", "password": password}),
            )
            .await
        }
    };
    let token = login(PASSWORD).await.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let wallet = funded_wallet(&app, &token, "20.00").await;
    let shop = shop(&app).await;
    let carrots = shop.variant["FERME-CAR-1KG"].clone();
    let lines = json!({"lines": [{"variant_id": carrots, "quantity": 2}]});
    let split = place_order(&app, &shop, &token, &lines, "Local de la Cagette", "5.00").await;

    // the export: everything held about the member, as a file to keep
    let exported = app.call("GET", "/api/v1/me/data", Some(&token), None).await;
    assert_eq!(
        exported.status,
        200,
        "{}",
        String::from_utf8_lossy(&exported.body)
    );
    assert!(exported
        .header("content-disposition")
        .is_some_and(|d| d.starts_with("attachment; filename=\"comptoir-data-")));
    let data = exported.json();
    assert_eq!(data["account"]["email"], "buyer7@example.org");
    assert_eq!(data["account"]["id"], member_id.as_str());
    assert_eq!(data["wallets"][0]["id"], wallet.as_str());
    assert_eq!(data["wallets"][0]["balance"], lem("20.00"));
    assert_eq!(data["wallets"][0]["available"], lem("15.00"));
    let kinds: Vec<&str> = data["wallet_movements"]
        .as_array()
        .expect("movements")
        .iter()
        .map(|m| m["code"].as_str().expect("code"))
        .collect();
    assert_eq!(kinds, ["issue", "hold"]);
    assert_eq!(data["orders"][0]["id"], split.as_str());
    assert!(data["mails"]
        .as_array()
        .expect("mails")
        .iter()
        .any(|m| m["template"] == "order_confirmation"));
    assert_eq!(data["sessions"].as_array().expect("sessions").len(), 1);
    // an API key cannot export a person's data
    let api_key = app
        .call(
            "POST",
            "/api/v1/me/api-keys",
            Some(&token),
            Some(&json!({"name": "sync", "scopes": ["read"], "expires_in_days": 1})),
        )
        .await
        .json()["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    app.call("GET", "/api/v1/me/data", Some(&api_key), None)
        .await
        .problem(403, "forbidden");

    // erasure: the password again, then refusals that say what to do first
    let erase = |password: &str| json!({ "password": password });
    let wrong = app
        .call(
            "POST",
            "/api/v1/me/erasure",
            Some(&token),
            Some(&erase("not my password")),
        )
        .await
        .problem(422, "validation");
    assert_eq!(wrong["errors"][0]["field"], "password");
    let refused = app
        .call(
            "POST",
            "/api/v1/me/erasure",
            Some(&token),
            Some(&erase(PASSWORD)),
        )
        .await
        .problem(409, "conflict");
    assert!(
        refused["detail"].as_str().is_some_and(
            |d| d.contains("your LEM wallet holds 20.00 LEM (with 5.00 reserved by holds)")
        ),
        "{refused}"
    );
    let cancel = |order: String| {
        let (app, token) = (&app, &token);
        async move {
            let path = format!("/api/v1/orders/{order}/cancel");
            let done = authed(
                app,
                "POST",
                &path,
                token,
                Some(&key()),
                &json!({"reason": "x"}),
            )
            .await;
            assert_eq!(done.status, 200, "{}", done.json());
        }
    };
    cancel(split).await;
    let paid = app
        .call(
            "POST",
            "/api/v1/payments",
            Some(&token),
            Some(&json!({"entry_id": key(), "from_account_id": wallet, "to_account_id": farm_wallet, "amount": lem("20.00")})),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.json());
    let in_euros = place_order(&app, &shop, &token, &lines, "Local de la Cagette", "0.00").await;
    let refused = app
        .call(
            "POST",
            "/api/v1/me/erasure",
            Some(&token),
            Some(&erase(PASSWORD)),
        )
        .await
        .problem(409, "conflict");
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains("is open until its cycle closes")),
        "{refused}"
    );
    cancel(in_euros).await;

    // an admin's data is not erased (on the command line either)
    let dir = tempfile::tempdir().expect("dir");
    fails_with(
        &comptoir(
            dir.path(),
            &app.db.url,
            &["person", "erase", "admin@comptoir.example.org"],
            "",
        ),
        "a platform admin's data cannot be erased: revoke the admin right first",
    );
    let by_cli: serde_json::Value = serde_json::from_str(&succeeds(&comptoir(
        dir.path(),
        &app.db.url,
        &["person", "export", "buyer7@example.org"],
        "",
    )))
    .expect("JSON");
    assert_eq!(by_cli["account"]["id"], member_id.as_str());
    assert_eq!(by_cli["orders"].as_array().expect("orders").len(), 2);

    let erased = app
        .call(
            "POST",
            "/api/v1/me/erasure",
            Some(&token),
            Some(&erase(PASSWORD)),
        )
        .await;
    assert_eq!(erased.status, 200, "{}", erased.json());
    let pseudonym = erased.json()["pseudonym"]
        .as_str()
        .expect("pseudonym")
        .to_string();
    assert!(pseudonym.starts_with("erased-"), "{pseudonym}");
    assert!(erased.json()["mails_dropped"]
        .as_u64()
        .is_some_and(|n| n >= 4));

    // the person is gone: no session, no log-in, no address, no name
    app.call("GET", "/api/v1/me", Some(&token), None)
        .await
        .problem(401, "unauthorized");
    assert_eq!(login(PASSWORD).await.status, 401);
    let conn = &mut app.db.db.conn().expect("conn");
    let (email, name, hash): (String, String, Option<String>) = users::table
        .find(&member_id)
        .select((users::email, users::display_name, users::password_hash))
        .first(conn.diesel())
        .expect("the account shell stays");
    assert!(
        email.ends_with("@erased.invalid") && !email.contains("buyer7"),
        "{email}"
    );
    assert_eq!((name.as_str(), hash), (pseudonym.as_str(), None));
    let mailed: i64 = mail_outbox::table
        .filter(mail_outbox::recipient.eq("buyer7@example.org"))
        .count()
        .get_result(conn.diesel())
        .expect("outbox");
    assert_eq!(mailed, 0);
    let erasures: Vec<Option<String>> = audit_events::table
        .filter(audit_events::action.eq("person.erase"))
        .select(audit_events::actor_id)
        .load(conn.diesel())
        .expect("trail");
    assert_eq!(erasures, [Some(member_id.clone())]);
    // the money and the orders stay whole, and the ledger verifies
    let orders: i64 = comptoir::db::schema::orders::table
        .filter(comptoir::db::schema::orders::customer_id.eq(&member_id))
        .count()
        .get_result(conn.diesel())
        .expect("orders");
    assert_eq!(orders, 2);
    let report = comptoir::ledger::verify::verify(conn, &mut |_| {}).expect("verify");
    assert!(report.ok(), "{report}");
    let again = comptoir::privacy::erase(
        conn,
        &comptoir::audit::Who::command_line(),
        &comptoir::ids::UserId::from(member_id.as_str()),
    );
    assert!(
        matches!(&again, Err(comptoir::privacy::PrivacyError::Conflict(m)) if m.contains("erased already")),
        "{again:?}"
    );
}

async fn acts_on_money_are_in_the_audit_trail_with_their_entries(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    let treasurer = app.access_token("tresorerie@lem.example.org").await;
    let camille = app.access_token("camille@example.org").await;
    let admin = app.access_token("admin@comptoir.example.org").await;
    let treasurer_id = app
        .call("GET", "/api/v1/me", Some(&treasurer), None)
        .await
        .json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    let association = app
        .get("/api/v1/currencies")
        .await
        .json()
        .as_array()
        .expect("currencies")
        .iter()
        .find(|c| c["code"] == "LEM")
        .and_then(|c| c["issuer_id"].as_str())
        .expect("LEM's association")
        .to_string();
    let wallet = app
        .call(
            "POST",
            "/api/v1/me/wallets",
            Some(&camille),
            Some(&json!({"currency": "LEM"})),
        )
        .await
        .json()["id"]
        .as_str()
        .expect("wallet")
        .to_string();
    // an issuance, sent twice (a retry): one entry, one event
    let entry = key();
    let issuance = json!({"entry_id": entry, "wallet_id": wallet, "amount": lem("10.00"), "method": "cash", "reference": "counter"});
    for _ in 0..2 {
        let issued = app
            .call(
                "POST",
                "/api/v1/currencies/LEM/issuances",
                Some(&treasurer),
                Some(&issuance),
            )
            .await;
        assert!(
            matches!(issued.status.as_u16(), 200 | 201),
            "{}",
            issued.json()
        );
    }
    for status in ["frozen", "active"] {
        let set = app
            .call(
                "PUT",
                &format!("/api/v1/accounts/{wallet}/status"),
                Some(&treasurer),
                Some(&json!({ "status": status })),
            )
            .await;
        assert_eq!(set.status, 200, "{}", set.json());
    }
    // the association's treasurer reads the acts about it
    let path = format!("/api/v1/enterprises/{association}/audit");
    let read = app.call("GET", &path, Some(&treasurer), None).await;
    assert_eq!(read.status, 200, "{}", read.json());
    let items = read.json()["items"].as_array().expect("items").clone();
    let acts: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(acts, ["ledger.issue", "account.status", "account.status"]);
    let issued = &items[0];
    assert_eq!(issued["actor_id"], treasurer_id.as_str());
    assert_eq!(issued["actor"], "user");
    assert_eq!(issued["origin"], "127.0.0.1");
    assert_eq!(issued["ledger_entry_id"], entry.as_str());
    assert_eq!(issued["subject_id"], wallet.as_str());
    assert_eq!(issued["enterprise_id"], association.as_str());
    assert_eq!(issued["details"]["amount"], lem("10.00"));
    assert_eq!(issued["details"]["method"], "cash");
    assert_eq!(items[1]["details"]["status"], "frozen");
    assert_eq!(items[2]["details"]["status"], "active");
    // nobody else reads them; the whole trail is the platform admins'
    app.call("GET", &path, Some(&camille), None)
        .await
        .problem(403, "forbidden");
    app.call("GET", "/api/v1/audit", Some(&treasurer), None)
        .await
        .problem(403, "forbidden");
    let all = app
        .call("GET", "/api/v1/audit?limit=1", Some(&admin), None)
        .await;
    assert_eq!(all.status, 200, "{}", all.json());
    assert_eq!(all.json()["items"].as_array().expect("items").len(), 1);
    assert!(all.json()["next"]
        .as_str()
        .is_some_and(|n| n.contains("after=")));
    // the deployment's books: the chart and a period close are acts of their own
    let chart = app
        .call("GET", "/api/v1/accounting/chart", Some(&admin), None)
        .await
        .json();
    let put = app
        .call(
            "PUT",
            "/api/v1/accounting/chart",
            Some(&admin),
            Some(&chart),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.json());
    let closed = app
        .call(
            "POST",
            "/api/v1/accounting/periods",
            Some(&admin),
            Some(&json!({"from": "2025-01-01", "to": "2025-01-31"})),
        )
        .await;
    assert_eq!(closed.status, 201, "{}", closed.json());
    let every = app
        .call("GET", "/api/v1/audit?limit=200", Some(&admin), None)
        .await
        .json();
    let books: Vec<(&str, &str)> = every["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| {
            e["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("books."))
        })
        .map(|e| {
            (
                e["action"].as_str().unwrap_or(""),
                e["origin"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        books,
        [
            ("books.chart", "127.0.0.1"),
            ("books.period_close", "127.0.0.1")
        ]
    );
    // ledger verify counts the act with its event; the command line reads the trail
    {
        let conn = &mut app.db.db.conn().expect("conn");
        let report = comptoir::ledger::verify::verify(conn, &mut |_| {}).expect("verify");
        assert!(report.ok(), "{report}");
        assert_eq!(report.audited, 1, "{report}");
        assert!(report
            .to_string()
            .contains("audit trail:      1 issuances, payouts and reversals"));
        // the journal itself refuses an administrative entry without its event
        let bare = comptoir::ledger::journal::EntryRequest {
            audit: None,
            id: key(),
            code: "issue".into(),
            reference: "no trail".into(),
            description: "issued by hand".into(),
            request_hash: key(),
            reverses_entry_id: None,
            transfers: vec![],
        };
        let refused = comptoir::ledger::group::commit(conn, &bare);
        assert!(
            refused.as_ref().is_err_and(|e| e
                .to_string()
                .contains("a `issue` entry needs its audit event")),
            "{refused:?}"
        );
    }
    let dir = tempfile::tempdir().expect("dir");
    let listed = succeeds(&comptoir(
        dir.path(),
        &app.db.url,
        &[
            "audit",
            "--enterprise",
            &association,
            "--action",
            "ledger.issue",
        ],
        "",
    ));
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(
        listed.contains(&format!(
            "ledger.issue\t{treasurer_id}\t127.0.0.1\taccount {wallet}"
        )),
        "{listed}"
    );
    assert!(listed.contains(&format!("entry {entry}")), "{listed}");
}

async fn metrics_are_served_in_prometheus_format_to_allowed_addresses_only(backend: Backend) {
    let app = TestApp::with_bare_demo(backend).await;
    for _ in 0..3 {
        assert_eq!(app.get("/health").await.status, 200);
    }
    app.get("/api/v1/orders/nothing-here").await;
    let scraped = app.get("/metrics").await;
    assert_eq!(
        scraped.status,
        200,
        "{}",
        String::from_utf8_lossy(&scraped.body)
    );
    assert!(scraped
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")));
    let text = String::from_utf8_lossy(&scraped.body).to_string();
    // requests by route template, never by the id in the path
    let health = text
        .lines()
        .find(|l| {
            l.starts_with(
                r#"comptoir_http_requests_total{method="GET",route="/health",status="200"}"#,
            )
        })
        .expect("the health checks are counted");
    let counted: u64 = health
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(counted >= 3, "{health}");
    assert!(!text.contains("nothing-here"), "{text}");
    assert!(text.contains(
        "comptoir_http_request_duration_seconds_bucket{method=\"GET\",route=\"/health\""
    ));
    assert!(text.contains("comptoir_db_pool_connections{state=\"idle\"}"));
    assert!(
        text.contains("comptoir_mail_outbox{state=\"pending\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("comptoir_totals{what=\"checkouts\"} 0"),
        "{text}"
    );
    // from any other address, no metrics
    let elsewhere = TestApp::serve_with(TestDb::migrated(backend), |config| {
        config.metrics.allowed_addresses = vec!["10.1.2.3".parse().expect("address")];
    })
    .await;
    elsewhere.get("/metrics").await.problem(403, "forbidden");
}

async fn behind_a_trusted_proxy_the_forwarded_client_is_the_origin(backend: Backend) {
    // without trusted proxies, the header is anyone's to write: ignored
    let direct = TestApp::with_demo(backend).await;
    let spoofed = direct
        .send(
            "GET",
            "/metrics",
            None,
            &[("X-Forwarded-For", "10.9.9.9")],
            None,
        )
        .await;
    assert_eq!(spoofed.status, 200);
    drop(direct);

    let app = TestApp::serve_with(TestDb::with_demo(backend), |config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().expect("address")];
    })
    .await;
    let treasurer = app.access_token("tresorerie@lem.example.org").await;
    let body = json!({"percent": "1", "fixed": lem("0.00")});
    let set = app
        .send(
            "PUT",
            "/api/v1/currencies/LEM/commission",
            Some(&treasurer),
            &[("X-Forwarded-For", "198.51.100.4, 203.0.113.7")],
            Some(("application/json", body.to_string().into_bytes())),
        )
        .await;
    assert_eq!(set.status, 204, "{}", String::from_utf8_lossy(&set.body));
    let origin: String = {
        let conn = &mut app.db.db.conn().expect("conn");
        // the latest such act (the demo's history set the commission before)
        audit_events::table
            .filter(audit_events::action.eq("currency.commission"))
            .order(audit_events::at.desc())
            .select(audit_events::origin)
            .first(conn.diesel())
            .expect("the act")
    };
    assert_eq!(origin, "203.0.113.7", "the last address the proxy appended");
    // a client reaching the metrics through the proxy is that client, not the proxy
    app.send(
        "GET",
        "/metrics",
        None,
        &[("X-Forwarded-For", "203.0.113.7")],
        None,
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(app.get("/metrics").await.status, 200);
}
