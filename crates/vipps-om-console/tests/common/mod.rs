//! What the console's HTTP tests share: a console on the in-process
//! simulator and a temporary SQLite outbox with one failed delivery, and
//! helpers to send requests through the router (tower `oneshot`), from a
//! given client address and through a proxy.
#![allow(dead_code)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;
use vipps_om::{Category, CategoryType, ImageId, OrderId, PaymentType};
use vipps_om_console::{Console, ConsoleConfig, LoginPolicy, PasswordHasherConfig, Role};
use vipps_om_outbox::{JobState, NewJob, Outbox, Worker};
use vipps_om_sim::RunningSim;

pub(crate) const EDITOR_PW: &str = "editor password 1";
pub(crate) const VIEWER_PW: &str = "viewer password 1";

pub(crate) struct Env {
    pub(crate) router: Router,
    pub(crate) console: Console,
    pub(crate) sim: RunningSim,
    pub(crate) outbox: Outbox,
    pub(crate) failed_job: i64,
    pub(crate) _dir: tempfile::TempDir,
}

pub(crate) async fn env_with(policy: LoginPolicy) -> Env {
    env_configured(
        ConsoleConfig {
            login_policy: policy,
            ..ConsoleConfig::default()
        },
        PasswordHasherConfig::insecure_for_tests().unwrap(),
    )
    .await
}

pub(crate) const EDITOR2_PW: &str = "second editor password";

/// A console with `config` and `hasher`, accounts `ed`, `ed2` (editors)
/// and `vi` (viewer), and one failed delivery.
pub(crate) async fn env_configured(config: ConsoleConfig, hasher: PasswordHasherConfig) -> Env {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
    let outbox = Outbox::connect(&url).await.unwrap();
    let msn = client.merchant_serial_number().clone();
    // A category naming an image nobody uploaded: the API refuses it.
    let order = OrderId::new("order-failed").unwrap();
    let failed = outbox
        .enqueue(
            &NewJob::category(
                &msn,
                &PaymentType::Ecom,
                &order,
                &Category::new(CategoryType::Delivery, "https://shop.example/t/1")
                    .with_image_id(ImageId::new("missing-logo").unwrap()),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    Worker::new(outbox.clone(), client.clone())
        .run_once()
        .await
        .unwrap();
    assert_eq!(outbox.job(failed).await.unwrap().state, JobState::Failed);
    let console = Console::new(outbox.clone(), client, hasher, config)
        .await
        .unwrap();
    console
        .add_user("ed", Role::Editor, EDITOR_PW, false)
        .await
        .unwrap();
    console
        .add_user("vi", Role::Viewer, VIEWER_PW, false)
        .await
        .unwrap();
    console
        .add_user("ed2", Role::Editor, EDITOR2_PW, false)
        .await
        .unwrap();
    Env {
        router: console.router(),
        console,
        sim,
        outbox,
        failed_job: failed.get(),
        _dir: dir,
    }
}

pub(crate) async fn env() -> Env {
    env_with(LoginPolicy::default()).await
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| {
                v.split(';')
                    .next()
                    .and_then(|kv| kv.split_once('='))
                    .filter(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_owned())
            })
    }

    pub(crate) fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a CSRF field") + marker.len();
        let len = self.body[start..].find('"').expect("the field's end");
        self.body[start..start + len].to_owned()
    }
}

pub(crate) async fn send(router: &Router, req: Request<Body>) -> Reply {
    let response = router.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

pub(crate) fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

pub(crate) fn post_form(
    path: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
) -> Request<Body> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let mut b =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body)).unwrap()
}

pub(crate) fn multipart(
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    file: &[u8],
) -> Request<Body> {
    let boundary = "XbOuNdArYx";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"logo.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post(path)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap()
}

/// `req` as if it came over a connection from `peer` (an IP address).
pub(crate) fn from_peer(mut req: Request<Body>, peer: &str) -> Request<Body> {
    let ip: std::net::IpAddr = peer.parse().unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(ip, 40_000)));
    req
}

/// `req` with one more header.
pub(crate) fn with_header(
    mut req: Request<Body>,
    name: &'static str,
    value: &str,
) -> Request<Body> {
    req.headers_mut().append(name, value.parse().unwrap());
    req
}

/// A fresh sign-in form's token (as cookie header and field value).
pub(crate) async fn login_token(router: &Router) -> (String, String) {
    let page = send(router, get("/login", None)).await;
    let token = page
        .cookie("vipps_om_console_login")
        .expect("a login cookie");
    assert_eq!(page.csrf(), token);
    (format!("vipps_om_console_login={token}"), token)
}

/// Attempts a sign-in from `peer`, optionally through a proxy that sent
/// `X-Forwarded-For: xff`; the reply of the POST.
pub(crate) async fn try_login_via(
    router: &Router,
    user: &str,
    password: &str,
    peer: &str,
    xff: Option<&str>,
) -> Reply {
    let (cookie, token) = login_token(router).await;
    let mut req = from_peer(
        post_form(
            "/login",
            Some(&cookie),
            &[("csrf", &token), ("username", user), ("password", password)],
        ),
        peer,
    );
    if let Some(xff) = xff {
        req = with_header(req, "x-forwarded-for", xff);
    }
    send(router, req).await
}

/// Attempts a sign-in; the reply of the POST.
pub(crate) async fn try_login(router: &Router, user: &str, password: &str) -> Reply {
    let page = send(router, get("/login", None)).await;
    let token = page
        .cookie("vipps_om_console_login")
        .expect("a login cookie");
    assert_eq!(page.csrf(), token);
    send(
        router,
        post_form(
            "/login",
            Some(&format!("vipps_om_console_login={token}")),
            &[("csrf", &token), ("username", user), ("password", password)],
        ),
    )
    .await
}

/// Signs in; the cookie header and the session's CSRF token.
pub(crate) async fn login(router: &Router, user: &str, password: &str) -> (String, String) {
    let reply = try_login(router, user, password).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let cookie = format!(
        "vipps_om_console={}",
        reply.cookie("vipps_om_console").expect("a session cookie")
    );
    let home = send(router, get("/", Some(&cookie))).await;
    assert_eq!(home.status, StatusCode::OK);
    (cookie.clone(), home.csrf())
}

/// Runs an outbox worker until nothing is due (at most 50 jobs); returns
/// how many it processed.
pub(crate) async fn deliver_all(env: &Env) -> usize {
    let worker = Worker::new(env.outbox.clone(), env.sim.demo_client().unwrap());
    let mut n = 0;
    while n < 50 && worker.run_once().await.unwrap().is_some() {
        n += 1;
    }
    n
}

/// The requests that changed something in the simulator (not GETs).
pub(crate) fn sim_writes(env: &Env) -> Vec<String> {
    env.sim
        .state()
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.contains("accesstoken"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// The outbox jobs of `order` (ecom), in their sequence.
pub(crate) async fn jobs_of(env: &Env, order: &str) -> Vec<vipps_om_outbox::JobStatus> {
    env.outbox.order_status(order).await.unwrap()
}
