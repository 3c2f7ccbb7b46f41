//! Users, sessions and permissions over the real HTTPS API of a real engine (RocksDB, TLS),
//! driven with curl: forced admin password change, password policy and history, lockout that
//! only an admin lifts, login rate limit, CSRF, idle timeout, API keys scoped to their owner,
//! the permission matrix by role and tenant, and no secret in logs, files or responses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::web::{Client, WebEngine, leaks, wait_for};
use serde_json::{Value, json};

const ADMIN_PW: &str = "Adm1n-Chosen-Pass";

fn engine(auth: &str) -> WebEngine {
    let mut e = WebEngine::new(auth);
    e.start();
    e
}

fn events(admin: &Client) -> Vec<Value> {
    let (st, v) = admin.get("/audit?limit=1000");
    assert_eq!(st, 200, "{v}");
    v["events"].as_array().unwrap().clone()
}

fn has_event(admin: &Client, event: &str, target_or_actor: &str) -> bool {
    events(admin).iter().any(|e| {
        e["event"] == event && (e["target"] == target_or_actor || e["actor"] == target_or_actor)
    })
}

#[test]
fn builtin_admin_must_change_password_before_anything_else() {
    let e = engine("");
    let initial = e.initial_password();
    assert!(
        !leaks(&e.log_text(), &initial),
        "the one-time password must not be logged"
    );
    let mut c = Client::anonymous(e.https);
    let (st, me) = c.login("admin", &initial);
    assert_eq!(st, 200, "{me}");
    assert_eq!(me["must_change_password"], true);
    assert_eq!(me["role"], "admin");
    // Nothing else is allowed yet, whatever the role permits.
    for (m, p) in [
        ("GET", "/calls"),
        ("GET", "/users"),
        ("GET", "/audit"),
        ("GET", "/status"),
    ] {
        let (st, v) = c.request(m, p, None);
        assert_eq!(st, 403, "{m} {p}: {v}");
        assert_eq!(v["code"], "password_change_required", "{m} {p}");
    }
    let (st, _) = c.post("/users", &json!({"name": "x", "role": "monitor"}));
    assert_eq!(st, 403);
    // `me` still answers, so the UI knows why.
    assert_eq!(c.get("/auth/me").0, 200);
    // Policy: too short, too simple, same as the current one.
    for bad in ["Short-1", "alllowercaseonlyletters", initial.as_str()] {
        let (st, v) = c.post(
            "/auth/password",
            &json!({"current_password": initial, "new_password": bad}),
        );
        assert_eq!(st, 400, "{bad}: {v}");
        assert_eq!(v["code"], "password_policy");
    }
    let (st, v) = c.post(
        "/auth/password",
        &json!({"current_password": "wrong", "new_password": ADMIN_PW}),
    );
    assert_eq!(st, 400, "{v}");
    let (st, v) = c.post(
        "/auth/password",
        &json!({"current_password": initial, "new_password": ADMIN_PW}),
    );
    assert_eq!(st, 200, "{v}");
    assert!(
        !e.data().join("initial-admin-password").exists(),
        "the one-time password file goes once used"
    );
    assert_eq!(c.get("/calls").0, 200);
    assert_eq!(c.get("/auth/me").1["must_change_password"], false);
    // The one-time password no longer works; history refuses the previous password.
    let mut other = Client::anonymous(e.https);
    assert_eq!(other.login("admin", &initial).0, 401);
    let (st, v) = c.post(
        "/auth/password",
        &json!({"current_password": ADMIN_PW, "new_password": initial}),
    );
    assert_eq!(st, 400, "history: {v}");
    assert!(has_event(&c, "password_changed", "admin"));
    assert!(has_event(&c, "login", "admin"));
}

#[test]
fn lockout_after_failures_is_lifted_only_by_an_admin() {
    let e = engine("[auth]\nmax_failed_logins = 3\nlogin_rate_per_minute = 1000\n");
    let admin = e.admin(ADMIN_PW);
    e.user(&admin, "bob", "operator", None, "Kestrel-Orbit-42");
    let mut bob = Client::anonymous(e.https);
    assert_eq!(bob.login("bob", "nope").0, 401);
    assert_eq!(bob.login("bob", "nope").0, 401);
    let (st, v) = bob.login("bob", "nope");
    assert_eq!((st, v["code"].as_str()), (403, Some("locked")), "{v}");
    // Locked even with the right password, and time does not lift it.
    let (st, v) = bob.login("bob", "Kestrel-Orbit-42");
    assert_eq!((st, v["code"].as_str()), (403, Some("locked")), "{v}");
    assert!(has_event(&admin, "lockout", "bob"));
    let (_, u) = admin.get("/users/bob");
    assert_eq!(u["locked"], true);
    let (st, v) = admin.post("/users/bob/unlock", &json!({}));
    assert_eq!(st, 200, "{v}");
    assert_eq!(bob.login("bob", "Kestrel-Orbit-42").0, 200);
    assert!(has_event(&admin, "user_unlocked", "bob"));
    // Unknown users fail like wrong passwords (no user enumeration).
    let (st, v) = Client::anonymous(e.https).login("nobody", "whatever");
    assert_eq!((st, v["code"].as_str()), (401, Some("bad_credentials")));
}

#[test]
fn login_attempts_are_rate_limited_per_address() {
    let e = engine("[auth]\nlogin_rate_per_minute = 3\nmax_failed_logins = 100\n");
    let mut c = Client::anonymous(e.https);
    for _ in 0..3 {
        assert_eq!(c.login("admin", "wrong").0, 401);
    }
    let body = serde_json::to_vec(&json!({"username": "admin", "password": "wrong"})).unwrap();
    let (st, out, headers) = c.request_full("POST", "/auth/login", Some(&body), &[]);
    assert_eq!(st, 429, "{}", String::from_utf8_lossy(&out));
    assert!(
        headers.to_ascii_lowercase().contains("retry-after: 60"),
        "{headers}"
    );
}

#[test]
fn sessions_need_csrf_for_changes_and_expire_when_idle() {
    let e = engine("[auth]\nsession_idle_timeout_s = 4\n");
    let mut admin = e.admin(ADMIN_PW);
    let token = admin.csrf.take();
    let (st, v) = admin.post("/users", &json!({"name": "carol", "role": "monitor"}));
    assert_eq!((st, v["code"].as_str()), (403, Some("csrf")), "{v}");
    admin.csrf = Some("0".repeat(64));
    assert_eq!(
        admin
            .post("/users", &json!({"name": "carol", "role": "monitor"}))
            .0,
        403
    );
    admin.csrf = token;
    assert_eq!(
        admin
            .post("/users", &json!({"name": "carol", "role": "monitor"}))
            .0,
        201
    );
    // GETs need no token; the session cookie is HttpOnly, Secure, SameSite=Strict.
    let mut c = Client::anonymous(e.https);
    let body = serde_json::to_vec(&json!({"username": "admin", "password": ADMIN_PW})).unwrap();
    let (st, _, headers) = c.request_full("POST", "/auth/login", Some(&body), &[]);
    assert_eq!(st, 200);
    let cookie = headers
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    c.csrf = None;
    // Idle: wait past the timeout (4 s) without using the session.
    std::thread::sleep(std::time::Duration::from_millis(5_000));
    let (st, v) = admin.get("/calls");
    assert_eq!(
        (st, v["code"].as_str()),
        (401, Some("session_expired")),
        "{v}"
    );
    // Logout ends a session for good.
    let mut d = Client::anonymous(e.https);
    assert_eq!(d.login("admin", ADMIN_PW).0, 200);
    assert_eq!(d.get("/calls").0, 200);
    assert_eq!(d.post("/auth/logout", &json!({})).0, 200);
    assert_eq!(d.get("/calls").0, 401);
}

#[test]
fn api_keys_carry_their_owners_permissions_and_are_rotated_and_revoked() {
    let e = engine("");
    let admin = e.admin(ADMIN_PW);
    let op = e.user(&admin, "olga", "operator", None, "Heron-Lantern-77");
    let (st, k) = op.post("/keys", &json!({"name": "grafana", "expires_days": 30}));
    assert_eq!(st, 201, "{k}");
    let key = k["key"].as_str().unwrap().to_owned();
    let id = k["id"].as_str().unwrap().to_owned();
    let kc = Client::with_key(e.https, &key);
    assert_eq!(kc.get("/calls").0, 200);
    let (st, v) = kc.get("/users");
    assert_eq!((st, v["code"].as_str()), (403, Some("forbidden")), "{v}");
    // A key needs no CSRF token (it is not ambient authority).
    assert_eq!(kc.post("/keys", &json!({"name": "second"})).0, 201);
    // Never in a URL.
    let (st, v) = Client::anonymous(e.https).get(&format!("/calls?api_key={key}"));
    assert_eq!(
        (st, v["code"].as_str()),
        (400, Some("credentials_in_url")),
        "{v}"
    );
    // The operator sees only their keys; the list never shows a secret.
    let (_, list) = op.get("/keys");
    let list = list["keys"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|k| k["owner"] == "olga"));
    assert!(!leaks(
        &serde_json::to_string(list).unwrap(),
        key.split_once('.').unwrap().1
    ));
    // Monitor users have no keys:own.
    let mon = e.user(&admin, "mona", "monitor", None, "Quartz-Meadow-19");
    assert_eq!(mon.post("/keys", &json!({"name": "x"})).0, 403);
    assert_eq!(mon.delete(&format!("/keys/{id}")).0, 404, "not hers");
    // Rotation: the old key stops, the new one works.
    let (st, r) = op.post(&format!("/keys/{id}/rotate"), &json!({}));
    assert_eq!(st, 200, "{r}");
    let new_key = r["key"].as_str().unwrap().to_owned();
    assert_eq!(kc.get("/calls").0, 401);
    let nc = Client::with_key(e.https, &new_key);
    assert_eq!(nc.get("/calls").0, 200);
    // Expired at creation: refused.
    let (_, k0) = op.post("/keys", &json!({"name": "expired", "expires_days": 0}));
    assert_eq!(
        Client::with_key(e.https, k0["key"].as_str().unwrap())
            .get("/calls")
            .0,
        401
    );
    // Revocation, and a locked or deleted owner takes the keys down too.
    let new_id = r["id"].as_str().unwrap();
    assert_eq!(op.delete(&format!("/keys/{new_id}")).0, 204);
    assert_eq!(nc.get("/calls").0, 401);
    let (_, k2) = op.post("/keys", &json!({"name": "third"}));
    let k2c = Client::with_key(e.https, k2["key"].as_str().unwrap());
    assert_eq!(k2c.get("/calls").0, 200);
    assert_eq!(
        admin.patch("/users/olga", &json!({"role": "monitor"})).0,
        200
    );
    assert_eq!(k2c.get("/calls").0, 200);
    assert_eq!(
        k2c.get("/keys").0,
        403,
        "the key follows the owner's new role"
    );
    assert_eq!(admin.delete("/users/olga").0, 204);
    assert_eq!(k2c.get("/calls").0, 401);
    for ev in ["key_created", "key_rotated", "key_revoked", "user_deleted"] {
        assert!(events(&admin).iter().any(|e| e["event"] == ev), "{ev}");
    }
}

/// (method, path, body, allowed for admin, operator, monitor)
type Row = (&'static str, String, Option<Value>, bool, bool, bool);

/// Every endpoint by role: allowed (not 401/403) or forbidden (403).
#[test]
fn permission_matrix_by_role_and_tenant() {
    let capture = common::web::workspace().join("pcaps/b2bua_chain.pcap");
    let e = engine(&format!(
        "[capture]\nfile = {:?}\nname = \"probe-acme-1\"\n",
        capture
    ));
    let admin = e.admin(ADMIN_PW);
    let all = wait_for("imported calls", 60, || {
        let (_, v) = admin.get("/calls");
        let n = v["calls"].as_array().map_or(0, Vec::len);
        (n > 0).then_some(v)
    });
    let calls = all["calls"].as_array().unwrap();
    let some_id = calls[0]["id"].as_str().unwrap().to_owned();
    let op = e.user(&admin, "op", "operator", None, "Copper-Violet-63");
    let mon = e.user(&admin, "mon", "monitor", None, "Basalt-Willow-28");
    assert_eq!(
        admin
            .post("/users", &json!({"name": "target", "role": "monitor"}))
            .0,
        201
    );
    // (method, path, body, admin, operator, monitor)
    let rows: Vec<Row> = vec![
        ("GET", "/status".into(), None, true, true, true),
        ("GET", "/calls".into(), None, true, true, true),
        ("GET", format!("/calls/{some_id}"), None, true, true, true),
        (
            "GET",
            format!("/calls/{some_id}/messages"),
            None,
            true,
            true,
            true,
        ),
        ("GET", "/users".into(), None, true, false, false),
        ("GET", "/users/admin".into(), None, true, false, false),
        (
            "POST",
            "/users".into(),
            Some(json!({"name": "tmp-ROLE", "role": "monitor"})),
            true,
            false,
            false,
        ),
        (
            "PATCH",
            "/users/target".into(),
            Some(json!({"grants": []})),
            true,
            false,
            false,
        ),
        (
            "POST",
            "/users/target/unlock".into(),
            Some(json!({})),
            true,
            false,
            false,
        ),
        ("GET", "/keys".into(), None, true, true, false),
        (
            "POST",
            "/keys".into(),
            Some(json!({"name": "m"})),
            true,
            true,
            false,
        ),
        ("GET", "/tenants".into(), None, true, false, false),
        (
            "POST",
            "/tenants".into(),
            Some(json!({"name": "t-ROLE", "networks": ["198.51.100.0/24"]})),
            true,
            false,
            false,
        ),
        ("GET", "/audit".into(), None, true, false, false),
        ("GET", "/audit?format=csv".into(), None, true, false, false),
    ];
    for (method, path, body, a, o, m) in &rows {
        for (who, client, allowed) in [
            ("admin", &admin, a),
            ("operator", &op, o),
            ("monitor", &mon, m),
        ] {
            let body = body
                .as_ref()
                .map(|b| serde_json::from_str(&b.to_string().replace("ROLE", who)).unwrap());
            let (st, v) = client.request(method, path, body.as_ref());
            if *allowed {
                assert!((200..300).contains(&st), "{who} {method} {path}: {st} {v}");
            } else {
                assert_eq!(st, 403, "{who} {method} {path}: {v}");
                assert_eq!(v["code"], "forbidden", "{who} {method} {path}");
            }
        }
    }
    // A user may read their own account.
    assert_eq!(mon.get("/users/mon").0, 200);
    // Without credentials every endpoint is 401 with WWW-Authenticate.
    let anon = Client::anonymous(e.https);
    for (method, path, _, _, _, _) in &rows {
        let (st, _, headers) = anon.request_full(method, path, None, &[]);
        assert_eq!(st, 401, "anonymous {method} {path}");
        assert!(
            headers
                .to_ascii_lowercase()
                .contains("www-authenticate: bearer"),
            "{headers}"
        );
    }
    // Tenants: by source, by network; the other tenant sees nothing, not even by id.
    assert_eq!(
        admin
            .post(
                "/tenants",
                &json!({"name": "acme", "sources": ["probe-acme-*"]})
            )
            .0,
        200
    );
    assert_eq!(
        admin
            .post(
                "/tenants",
                &json!({"name": "globex", "networks": ["203.0.113.0/24"]})
            )
            .0,
        200
    );
    assert_eq!(
        admin
            .post(
                "/users",
                &json!({"name": "u", "role": "operator", "tenant": "nope"})
            )
            .0,
        400,
        "unknown tenant"
    );
    let acme = e.user(
        &admin,
        "acme-op",
        "operator",
        Some("acme"),
        "Marble-Falcon-51",
    );
    let globex = e.user(
        &admin,
        "globex-op",
        "operator",
        Some("globex"),
        "Cedar-Comet-84",
    );
    let (_, a) = acme.get("/calls?limit=1000");
    assert_eq!(a["calls"].as_array().unwrap().len(), calls.len());
    let (_, g) = globex.get("/calls?limit=1000");
    assert_eq!(g["calls"].as_array().unwrap().len(), 0, "{g}");
    assert_eq!(globex.get(&format!("/calls/{some_id}")).0, 404);
    assert_eq!(globex.get(&format!("/calls/{some_id}/messages")).0, 404);
    assert_eq!(acme.get(&format!("/calls/{some_id}")).0, 200);
    // Moving the tenant's network over the call's addresses makes the calls visible.
    let ips: Vec<String> = calls[0]["ips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{}/32", i.as_str().unwrap()))
        .collect();
    assert_eq!(
        admin
            .put(
                "/tenants/globex",
                &json!({"name": "globex", "networks": ips})
            )
            .0,
        200
    );
    assert_eq!(globex.get(&format!("/calls/{some_id}")).0, 200);
    assert!(has_event(&admin, "tenant_changed", "globex"));
}

#[test]
fn no_secret_in_logs_files_or_responses() {
    let e = engine("");
    let initial = e.initial_password();
    let admin = e.admin(ADMIN_PW);
    let (_, created) = admin.post("/users", &json!({"name": "dave", "role": "operator"}));
    let temp = created["temporary_password"].as_str().unwrap().to_owned();
    let mut dave = Client::anonymous(e.https);
    dave.login("dave", &temp);
    dave.post(
        "/auth/password",
        &json!({"current_password": temp, "new_password": "Tundra-Signal-36"}),
    );
    let (_, k) = dave.post("/keys", &json!({"name": "k"}));
    let key = k["key"].as_str().unwrap().to_owned();
    let secret = key.split_once('.').unwrap().1.to_owned();
    // A failed login with a password typed in the user field must not be echoed either.
    Client::anonymous(e.https).login("Tundra-Signal-36", "x");
    let secrets = [
        initial.as_str(),
        ADMIN_PW,
        temp.as_str(),
        "Tundra-Signal-36",
        secret.as_str(),
        dave.csrf.as_deref().unwrap(),
    ];
    let mut texts = vec![
        ("engine log", e.log_text()),
        (
            "users.json",
            std::fs::read_to_string(e.data().join("users.json")).unwrap(),
        ),
        (
            "api_keys.json",
            std::fs::read_to_string(e.data().join("api_keys.json")).unwrap(),
        ),
        (
            "audit.jsonl",
            std::fs::read_to_string(e.data().join("audit.jsonl")).unwrap(),
        ),
    ];
    for p in [
        "/users",
        "/users/dave",
        "/keys",
        "/audit",
        "/audit?format=csv",
        "/auth/me",
    ] {
        texts.push((p, admin.get(p).1.to_string()));
    }
    for (what, text) in &texts {
        for s in &secrets[..5] {
            assert!(!leaks(text, s), "{what} contains a secret");
        }
    }
    // The CSRF token is returned to its own session only, never logged.
    assert!(!leaks(&e.log_text(), secrets[5]));
    // Passwords are stored as argon2id.
    let users: Value =
        serde_json::from_str(&std::fs::read_to_string(e.data().join("users.json")).unwrap())
            .unwrap();
    for u in users["users"].as_array().unwrap() {
        assert!(
            u["password_hash"]
                .as_str()
                .unwrap()
                .starts_with("$argon2id$v=19$")
        );
    }
}

/// The OpenAPI document is served without authentication, and every operation it lists is
/// routed (no fallback 404, no 405).
#[test]
fn openapi_lists_only_routed_operations() {
    let e = engine("");
    let (st, doc) = Client::anonymous(e.https).get("/openapi.json");
    assert_eq!(st, 200, "{doc}");
    assert_eq!(doc["openapi"], "3.1.0");
    let admin = e.admin(ADMIN_PW);
    let mut n = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            if path == "/auth/logout" {
                continue;
            }
            let concrete = path
                .replace("{id}", &"0".repeat(32))
                .replace("{name}", "nobody")
                .replace("{fingerprint}", &"0".repeat(64));
            let m = method.to_ascii_uppercase();
            let body = (m != "GET" && m != "DELETE").then(|| json!({}));
            let (st, v) = admin.request(&m, &concrete, body.as_ref());
            assert_ne!(st, 405, "{m} {path}: {v}");
            assert!(
                !(st == 404
                    && v["error"]
                        .as_str()
                        .unwrap_or("")
                        .starts_with("no such endpoint")),
                "{m} {path} is documented but not routed"
            );
            n += 1;
        }
    }
    assert!(n >= 30, "{n} operations");
}

/// Plain HTTP is never served on the HTTPS port; the opt-in redirect port only redirects.
#[test]
fn plain_http_is_refused_and_the_opt_in_port_only_redirects() {
    let redirect = common::web::free_tcp();
    let e = engine("");
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "--max-time",
            "5",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ])
        .arg(format!("http://{}/api/v1/openapi.json", e.https))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "000",
        "no HTTP answer on the TLS port"
    );
    drop(e);
    // The redirect port, when configured.
    let mut e = WebEngine::new("");
    let cfg = std::fs::read_to_string(&e.config).unwrap().replace(
        "[https]\n",
        &format!("[https]\nhttp_redirect_listen = \"{redirect}\"\n"),
    );
    std::fs::write(&e.config, cfg).unwrap();
    e.start();
    let out = std::process::Command::new("curl")
        .args(["-s", "--max-time", "5", "-D", "-", "-o", "/dev/null"])
        .arg(format!("http://{redirect}/api/v1/calls?x=1"))
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 308"), "{head}");
    assert!(
        head.contains(&format!(
            "location: https://127.0.0.1:{}/api/v1/calls?x=1",
            e.https.port()
        )),
        "{head}"
    );
    assert!(!head.contains("set-cookie"), "{head}");
}

/// A key made with `api-key create` while the engine runs works at once and survives keys
/// made through the API afterwards; a malformed call id is a 400, not a 500.
#[test]
fn cli_keys_made_while_running_are_kept_and_bad_ids_are_400() {
    let e = engine("");
    let admin = e.admin(ADMIN_PW);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callscope-mediation"))
        .args(["api-key", "create", "cli", "--config"])
        .arg(&e.config)
        .output()
        .unwrap();
    assert!(out.status.success());
    let cli_key = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let cli = Client::with_key(e.https, &cli_key);
    assert_eq!(cli.get("/calls").0, 200);
    assert_eq!(admin.post("/keys", &json!({"name": "api"})).0, 201);
    assert_eq!(cli.get("/calls").0, 200, "the API's save kept the CLI key");
    let (st, v) = admin.get("/calls/not-a-call-id");
    assert_eq!(st, 400, "{v}");
    assert_eq!(admin.get(&format!("/calls/{}", "0".repeat(32))).0, 404);
}
