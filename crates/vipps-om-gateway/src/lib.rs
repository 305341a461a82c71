//! A drop-in gateway for code that already calls the Vipps MobilePay Order
//! Management API (the official SDKs, a shop plugin's own client): point
//! its base URL here instead of `https://api.vipps.no` and every write is
//! stored in the [`vipps_om_outbox`] before it is answered, then delivered
//! by the outbox's workers (`vipps-om outbox run`) with retries, leases and
//! the per-order sequence.
//!
//! | Call | Answer (after the job is committed) |
//! |---|---|
//! | `POST /accesstoken/get` with the local `client_id`/`client_secret` headers | 200, a bearer token of this gateway (`expires_in` as a string, like the token service) |
//! | `POST /order-management/v2/{paymentType}/receipts/{orderId}` | 201, a JSON string id (`"outbox-job-42"`); 409 when the outbox already holds a receipt for the order |
//! | `PUT /order-management/v2/{paymentType}/categories/{orderId}` | 200, a JSON string id |
//! | `POST /order-management/v1/images` | 200 `{"imageId"}`; 409 when the outbox already holds that image id |
//! | `POST /order-management/v3/categories` | 201 `{"categoryId": "outbox-job-N"}` (the API's own id exists only once delivered) |
//! | `GET /order-management/v2/{paymentType}/{orderId}`, `GET /order-management/v3/categories[/{id}]` | passed to the API with the gateway's own credentials, its answer returned |
//!
//! What local validation refuses is 400 in the API's problem shape, every
//! field in `invalidParams` (`{name, reason}`). A category that shows an
//! image uploaded through the gateway and not delivered yet gets a copy of
//! that upload in its own order's sequence, so the image always reaches
//! the API first (the copy's 409 is recognised as the same image).
//!
//! **Security.** Every Order Management call must carry a bearer token
//! this gateway issued (random 256 bits, stored only as SHA-256, expiring
//! after [`GatewayConfig::token_ttl`], at most [`GatewayConfig::max_tokens`]
//! live: the one expiring first is dropped beyond it). The local client
//! secret is compared in constant time and never logged. A
//! `Merchant-Serial-Number` header, when sent, must be the gateway's. The
//! server runs on [`vipps_om_serve`] (header, body and send timeouts, a
//! connection cap); bodies are bounded by [`GatewayConfig::max_body_bytes`],
//! each call by [`GatewayConfig::request_timeout`], and at most
//! [`GatewayConfig::max_in_flight`] run at once (a call waits at most
//! [`QUEUE_WAIT`] for a turn, then 503 with `Retry-After`).

#![cfg_attr(not(test), warn(clippy::unwrap_used))]
// The handlers' helpers return the ready answer (a 4xx or 503 `Response`)
// as their error, so that each handler is a chain of `?`: one allocation
// on a refusal matters less than a second error type mapped everywhere.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use vipps_om::{CategoryId, Client, MerchantSerialNumber, OrderId, PaymentType, ValidationReport};
use vipps_om_outbox::{JobKind, JobRequest, JobState, NewJob, Outbox, OutboxError};

/// The default [`GatewayConfig::token_ttl`]: 1 hour, like a test token of
/// the real token service.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// The longest [`GatewayConfig::token_ttl`]: 24 hours, like a production
/// token of the real token service.
pub const MAX_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);
/// The default [`GatewayConfig::max_tokens`]: 10,000 live tokens.
pub const DEFAULT_MAX_TOKENS: usize = 10_000;
/// The default [`GatewayConfig::max_in_flight`]: 64 calls at once.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;
/// The default [`GatewayConfig::request_timeout`]: 30 s for one call.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The default [`GatewayConfig::max_body_bytes`]: 8 MiB, the most the
/// `vipps-om` tools send in one request (an image is at most 2 MiB, base64
/// about 2.7 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// How long a call waits for one of the [`GatewayConfig::max_in_flight`]
/// turns before it is answered 503: 5 s.
pub const QUEUE_WAIT: Duration = Duration::from_secs(5);
/// The longest local client id or secret: 256 bytes.
pub const MAX_CREDENTIAL_LEN: usize = 256;

/// How the gateway answers.
#[derive(Clone)]
#[non_exhaustive]
pub struct GatewayConfig {
    /// The merchant whose jobs it stores (and whose credentials the
    /// outbox worker and the passed-through reads use).
    pub merchant_serial_number: MerchantSerialNumber,
    /// The `client_id` callers present to `POST /accesstoken/get`.
    pub local_client_id: String,
    /// The `client_secret` callers present with it.
    pub local_client_secret: SecretString,
    /// How long an issued token is valid (default [`DEFAULT_TOKEN_TTL`]).
    pub token_ttl: Duration,
    /// The most tokens alive at once (default [`DEFAULT_MAX_TOKENS`]).
    pub max_tokens: usize,
    /// The most calls handled at once (default [`DEFAULT_MAX_IN_FLIGHT`]).
    pub max_in_flight: usize,
    /// The longest one call may take (default [`DEFAULT_REQUEST_TIMEOUT`]).
    pub request_timeout: Duration,
    /// The largest request body (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub max_body_bytes: usize,
}

impl std::fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayConfig")
            .field("merchant_serial_number", &self.merchant_serial_number)
            .field("local_client_id", &self.local_client_id)
            .field("local_client_secret", &"(hidden)")
            .field("token_ttl", &self.token_ttl)
            .field("max_tokens", &self.max_tokens)
            .field("max_in_flight", &self.max_in_flight)
            .field("request_timeout", &self.request_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

/// A setting the gateway refuses.
#[derive(Debug)]
#[non_exhaustive]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl GatewayConfig {
    /// The defaults for `merchant_serial_number` and the local
    /// credentials (each 1 to [`MAX_CREDENTIAL_LEN`] bytes).
    pub fn new(
        merchant_serial_number: MerchantSerialNumber,
        local_client_id: impl Into<String>,
        local_client_secret: SecretString,
    ) -> Result<GatewayConfig, ConfigError> {
        let local_client_id = local_client_id.into();
        for (name, value) in [
            ("local client id", local_client_id.as_str()),
            ("local client secret", local_client_secret.expose_secret()),
        ] {
            if value.is_empty() || value.len() > MAX_CREDENTIAL_LEN {
                return Err(ConfigError(format!(
                    "the {name} is {} bytes long; it must be 1 to {MAX_CREDENTIAL_LEN} bytes",
                    value.len()
                )));
            }
            if value.chars().any(char::is_control) {
                return Err(ConfigError(format!(
                    "the {name} contains control characters (a line break?); it is sent in an HTTP header"
                )));
            }
        }
        Ok(GatewayConfig {
            merchant_serial_number,
            local_client_id,
            local_client_secret,
            token_ttl: DEFAULT_TOKEN_TTL,
            max_tokens: DEFAULT_MAX_TOKENS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        })
    }

    /// Sets [`GatewayConfig::token_ttl`] (1 s to [`MAX_TOKEN_TTL`]).
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl.clamp(Duration::from_secs(1), MAX_TOKEN_TTL);
        self
    }

    /// Sets [`GatewayConfig::max_tokens`] (at least 1).
    pub fn max_tokens(mut self, max: usize) -> Self {
        self.max_tokens = max.max(1);
        self
    }

    /// Sets [`GatewayConfig::max_in_flight`] (at least 1).
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = max.max(1);
        self
    }
}

/// The gateway: an outbox, optionally a client for the reads it passes
/// through, and its tokens.
#[derive(Clone)]
pub struct Gateway {
    state: Arc<Shared>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("config", &self.state.config)
            .finish_non_exhaustive()
    }
}

struct Shared {
    outbox: Outbox,
    api: Option<Client>,
    config: GatewayConfig,
    tokens: Mutex<Tokens>,
    gate: Arc<Semaphore>,
}

/// Live tokens by SHA-256, with their expiry.
#[derive(Default)]
struct Tokens {
    live: HashMap<[u8; 32], Instant>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    fn issue(&mut self, ttl: Duration, max: usize) -> Result<String, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        let token = hex::encode(bytes);
        let now = Instant::now();
        self.live.retain(|_, expires| *expires > now);
        while self.live.len() >= max {
            let Some(first) = self
                .live
                .iter()
                .min_by_key(|(_, expires)| **expires)
                .map(|(k, _)| *k)
            else {
                break;
            };
            self.live.remove(&first);
        }
        self.live.insert(digest(&token), now + ttl);
        Ok(token)
    }

    fn valid(&self, token: &str) -> bool {
        self.live
            .get(&digest(token))
            .is_some_and(|expires| *expires > Instant::now())
    }
}

impl Gateway {
    /// A gateway storing into `outbox`, passing reads to the API through
    /// `api` (without one, reads answer 503 saying so).
    pub fn new(outbox: Outbox, api: Option<Client>, config: GatewayConfig) -> Gateway {
        let gate = Arc::new(Semaphore::new(config.max_in_flight));
        Gateway {
            state: Arc::new(Shared {
                outbox,
                api,
                config,
                tokens: Mutex::new(Tokens::default()),
                gate,
            }),
        }
    }

    /// The routes, with the token check, the bounds and the API's 404 for
    /// anything else.
    pub fn router(&self) -> Router {
        let api = Router::new()
            .route(
                "/order-management/v2/{payment_type}/receipts/{order_id}",
                post(add_receipt),
            )
            .route(
                "/order-management/v2/{payment_type}/categories/{order_id}",
                put(set_category),
            )
            .route("/order-management/v1/images", post(upload_image))
            .route(
                "/order-management/v3/categories",
                post(add_category_v3).get(list_categories_v3),
            )
            .route(
                "/order-management/v3/categories/{category_id}",
                get(get_category_v3),
            )
            .route(
                "/order-management/v2/{payment_type}/{order_id}",
                get(get_order),
            )
            .route_layer(middleware::from_fn_with_state(
                self.state.clone(),
                check_token,
            ));
        Router::new()
            .route("/accesstoken/get", post(issue_token))
            .merge(api)
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(self.state.clone(), bounds))
            .with_state(self.state.clone())
    }

    /// Serves on `listener` until `shutdown` completes, through
    /// [`vipps_om_serve::serve`] with its default limits.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        vipps_om_serve::serve(
            listener,
            self.router(),
            shutdown,
            vipps_om_serve::ServeLimits::default(),
        )
        .await
    }
}

type S = State<Arc<Shared>>;

// ------------------------------------------------------------- answers

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

fn instance() -> String {
    let mut bytes = [0u8; 8];
    // An instance id only names the occurrence; zeros if randomness fails.
    let _ = getrandom::fill(&mut bytes);
    format!("vipps-om-gateway-{}", hex::encode(bytes))
}

/// The API's problem shape.
fn problem(
    status: StatusCode,
    title: &str,
    detail: &str,
    invalid: &[(String, String)],
) -> Response {
    let section = match status.as_u16() {
        400 => "6.5.1",
        409 => "6.5.8",
        413 => "6.5.11",
        415 => "6.5.13",
        503 => "6.6.4",
        _ => "6.6.1",
    };
    let mut body = json!({
        "type": format!("https://datatracker.ietf.org/doc/html/rfc7231#section-{section}"),
        "title": title,
        "detail": detail,
        "instance": instance(),
    });
    if !invalid.is_empty()
        && let Some(map) = body.as_object_mut()
    {
        map.insert(
            "invalidParams".to_owned(),
            invalid
                .iter()
                .map(|(name, reason)| json!({"name": name, "reason": reason}))
                .collect(),
        );
    }
    json_response(status, &body)
}

/// A 400 naming every field with errors.
fn invalid(report: &ValidationReport) -> Response {
    let params: Vec<(String, String)> = report
        .errors()
        .map(|p| {
            let name = if p.path.is_empty() { "body" } else { &p.path };
            (name.to_owned(), p.message.clone())
        })
        .collect();
    problem(
        StatusCode::BAD_REQUEST,
        "One or more validation errors occurred.",
        "BadRequest",
        &params,
    )
}

fn one_invalid(name: &str, reason: impl Into<String>) -> Response {
    problem(
        StatusCode::BAD_REQUEST,
        "One or more validation errors occurred.",
        "BadRequest",
        &[(name.to_owned(), reason.into())],
    )
}

/// The gateway's answer to an unknown path, as the API's gateway gives it.
async fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({"statusCode": 404, "message": "Resource not found"}),
    )
}

fn unauthorized(message: &str) -> Response {
    let mut response = json_response(
        StatusCode::UNAUTHORIZED,
        &json!({"statusCode": 401, "message": message}),
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn unavailable(detail: &str) -> Response {
    let mut response = problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "Service unavailable",
        detail,
        &[],
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

fn outbox_down(e: &OutboxError) -> Response {
    tracing::warn!(error = %e, "gateway: the outbox could not store or read a job");
    unavailable(
        "The outbox database did not answer; nothing was stored. Send the request again in a moment.",
    )
}

// ---------------------------------------------------------- middleware

/// At most `max_in_flight` calls at once (waiting at most [`QUEUE_WAIT`]),
/// each within `request_timeout`.
async fn bounds(State(state): S, request: Request, next: Next) -> Response {
    let Ok(Ok(_turn)) = tokio::time::timeout(QUEUE_WAIT, state.gate.clone().acquire_owned()).await
    else {
        return unavailable(&format!(
            "The gateway is handling {} calls already (its limit); send the request again in a moment.",
            state.config.max_in_flight
        ));
    };
    match tokio::time::timeout(state.config.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => unavailable(&format!(
            "The call did not finish within {} s; it may or may not have been stored. Send it again: a receipt already stored then answers 409.",
            state.config.request_timeout.as_secs()
        )),
    }
}

/// Every Order Management call needs a live token of this gateway, and
/// names this gateway's merchant if it names one.
async fn check_token(State(state): S, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return unauthorized(
            "Access denied due to missing bearer token. Get one from POST /accesstoken/get of this gateway.",
        );
    };
    let valid = state
        .tokens
        .lock()
        .map(|tokens| tokens.valid(token))
        .unwrap_or(false);
    if !valid {
        return unauthorized(
            "Access denied due to invalid or expired token. Get a new one from POST /accesstoken/get of this gateway.",
        );
    }
    if let Some(msn) = request.headers().get("merchant-serial-number")
        && msn.as_bytes() != state.config.merchant_serial_number.as_str().as_bytes()
    {
        return json_response(
            StatusCode::FORBIDDEN,
            &json!({
                "statusCode": 403,
                "message": format!(
                    "This gateway stores jobs of merchant {} only; run one gateway per Merchant-Serial-Number.",
                    state.config.merchant_serial_number
                ),
            }),
        );
    }
    next.run(request).await
}

// ------------------------------------------------------------ handlers

async fn issue_token(State(state): S, headers: HeaderMap) -> Response {
    let presented = |name: &str| headers.get(name).map(|v| v.as_bytes().to_vec());
    let (Some(id), Some(secret)) = (presented("client_id"), presented("client_secret")) else {
        return unauthorized(
            "Access denied: send the client_id and client_secret headers configured for this gateway.",
        );
    };
    let config = &state.config;
    // Constant time over digests, so neither length nor content leaks.
    let id_ok = Sha256::digest(&id).ct_eq(&Sha256::digest(config.local_client_id.as_bytes()));
    let secret_ok = Sha256::digest(&secret).ct_eq(&Sha256::digest(
        config.local_client_secret.expose_secret().as_bytes(),
    ));
    if !bool::from(id_ok & secret_ok) {
        tracing::warn!("gateway: a token request with wrong local credentials was refused");
        return unauthorized("Access denied: the client_id or client_secret is wrong.");
    }
    let issued = state
        .tokens
        .lock()
        .map_err(|_| ())
        .and_then(|mut t| t.issue(config.token_ttl, config.max_tokens).map_err(|_| ()));
    let Ok(token) = issued else {
        return unavailable("No token could be made (no randomness, or the token table failed).");
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let ttl = config.token_ttl.as_secs();
    json_response(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "expires_in": ttl.to_string(),
            "ext_expires_in": ttl.to_string(),
            "expires_on": now.saturating_add(ttl).to_string(),
            "not_before": now.to_string(),
            "resource": "vipps-om-gateway",
            "access_token": token,
        }),
    )
}

/// The path's payment type and order id, or a 400 naming them.
fn order_of(payment_type: &str, order_id: &str) -> Result<(PaymentType, OrderId), Response> {
    let payment_type = payment_type
        .parse::<PaymentType>()
        .ok()
        .filter(|p| p.path_segment().is_some())
        .ok_or_else(|| {
            one_invalid(
                "paymentType",
                format!(
                    "The value '{payment_type}' is not valid for paymentType; use {}.",
                    PaymentType::expected()
                ),
            )
        })?;
    let order_id = OrderId::new(order_id).map_err(|e| one_invalid("orderId", e.to_string()))?;
    Ok((payment_type, order_id))
}

/// The body, at most `max_body_bytes`, sent as JSON.
async fn read_json(state: &Shared, headers: &HeaderMap, body: Body) -> Result<Vec<u8>, Response> {
    if let Some(kind) = headers.get(header::CONTENT_TYPE)
        && !kind
            .to_str()
            .is_ok_and(|k| k.to_ascii_lowercase().contains("json"))
    {
        return Err(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            "Send the body as JSON (Content-Type: application/json).",
            &[],
        ));
    }
    let max = state.config.max_body_bytes;
    axum::body::to_bytes(body, max)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| {
            problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large",
                &format!(
                    "The request body is larger than {} MiB, the most this gateway accepts (an image is at most 2 MB).",
                    max / (1024 * 1024)
                ),
                &[],
            )
        })
}

/// The request read and checked with the client library's rules.
fn parse(kind: JobKind, body: &[u8]) -> Result<JobRequest, Response> {
    JobRequest::parse(kind, body)
        .map(|(request, _warnings)| request)
        .map_err(|report| invalid(&report))
}

fn job(
    state: &Shared,
    payment_type: &PaymentType,
    order_id: &OrderId,
    request: JobRequest,
) -> Result<NewJob, Response> {
    NewJob::new(
        &state.config.merchant_serial_number,
        payment_type,
        order_id,
        request,
    )
    .map_err(|e| one_invalid("body", e.to_string()))
}

/// The order under which an image uploaded through the gateway waits (an
/// upload is not tied to a payment): `gateway-image-` and 40 hex digits of
/// the SHA-256 of its id.
fn image_order(image_id: &str) -> Result<OrderId, Response> {
    let hash = hex::encode(Sha256::digest(image_id.as_bytes()));
    OrderId::new(format!("gateway-image-{}", &hash[..40]))
        .map_err(|e| one_invalid("imageId", e.to_string()))
}

impl Shared {
    /// Whether the outbox holds a job of `kind` for the order (any state).
    async fn holds(
        &self,
        kind: JobKind,
        payment_type: &PaymentType,
        order_id: &OrderId,
    ) -> Result<bool, Response> {
        let jobs = self
            .outbox
            .order_status(order_id.as_str())
            .await
            .map_err(|e| outbox_down(&e))?;
        Ok(jobs.iter().any(|j| {
            j.kind == kind
                && j.merchant_serial_number == self.config.merchant_serial_number.as_str()
                && j.payment_type == payment_type.as_str()
        }))
    }

    /// A copy of the upload of the image `request` shows, for the order's
    /// own sequence, when that upload came through the gateway and is not
    /// delivered yet.
    async fn image_first(
        &self,
        request: &JobRequest,
        payment_type: &PaymentType,
        order_id: &OrderId,
    ) -> Result<Option<NewJob>, Response> {
        let Some(image_id) = request.image_id() else {
            return Ok(None);
        };
        let holder = image_order(image_id)?;
        let jobs = self
            .outbox
            .order_status(holder.as_str())
            .await
            .map_err(|e| outbox_down(&e))?;
        let Some(upload) = jobs.iter().rev().find(|j| {
            j.kind == JobKind::Image
                && j.merchant_serial_number == self.config.merchant_serial_number.as_str()
        }) else {
            return Ok(None);
        };
        if upload.state == JobState::Delivered {
            return Ok(None);
        }
        match self.outbox.job_request(upload.id).await {
            Ok(image @ JobRequest::Image(_)) => job(self, payment_type, order_id, image).map(Some),
            Ok(_) | Err(OutboxError::UnreadableRequest { .. }) => Ok(None),
            Err(e) => Err(outbox_down(&e)),
        }
    }

    /// Stores `jobs` in one transaction.
    async fn store(&self, jobs: &[NewJob]) -> Result<Vec<vipps_om_outbox::Enqueued>, Response> {
        self.outbox
            .submit_many(jobs)
            .await
            .map_err(|e| outbox_down(&e))
    }
}

fn conflict(detail: &str) -> Response {
    problem(StatusCode::CONFLICT, "Conflict", detail, &[])
}

async fn add_receipt(
    State(state): S,
    Path((payment_type, order_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let (payment_type, order_id) = order_of(&payment_type, &order_id)?;
        let body = read_json(&state, &headers, body).await?;
        let request = parse(JobKind::Receipt, &body)?;
        let already =
            "Order details (a receipt) for this order are already stored; they cannot be changed.";
        if state
            .holds(JobKind::Receipt, &payment_type, &order_id)
            .await?
        {
            return Err(conflict(already));
        }
        // One receipt per order, also between two calls racing past the
        // check above: the order is the idempotency key.
        let new = job(&state, &payment_type, &order_id, request)?
            .with_idempotency_key(format!(
                "gateway:receipt:{}:{order_id}",
                payment_type.as_str()
            ))
            .map_err(|e| one_invalid("orderId", e.to_string()))?;
        let stored = state.store(std::slice::from_ref(&new)).await?;
        match stored.first() {
            Some(done) if !done.already_queued => Ok(json_response(
                StatusCode::CREATED,
                &json!(format!("outbox-job-{}", done.id)),
            )),
            _ => Err(conflict(already)),
        }
    }
    .await;
    result.unwrap_or_else(|response| response)
}

async fn set_category(
    State(state): S,
    Path((payment_type, order_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = async {
        let (payment_type, order_id) = order_of(&payment_type, &order_id)?;
        let body = read_json(&state, &headers, body).await?;
        let request = parse(JobKind::CategoryV2, &body)?;
        let mut jobs: Vec<NewJob> = state
            .image_first(&request, &payment_type, &order_id)
            .await?
            .into_iter()
            .collect();
        jobs.push(job(&state, &payment_type, &order_id, request)?);
        let stored = state.store(&jobs).await?;
        let id = stored.last().map(|e| e.id.to_string()).unwrap_or_default();
        Ok(json_response(
            StatusCode::OK,
            &json!(format!("outbox-job-{id}")),
        ))
    }
    .await;
    result.unwrap_or_else(|response: Response| response)
}

async fn upload_image(State(state): S, headers: HeaderMap, body: Body) -> Response {
    let result = async {
        let body = read_json(&state, &headers, body).await?;
        let request = parse(JobKind::Image, &body)?;
        let image_id = request.image_id().unwrap_or_default().to_owned();
        let holder = image_order(&image_id)?;
        let already = "An image with this imageId is already stored; images cannot be replaced (give the new picture its own id).";
        if state.holds(JobKind::Image, &PaymentType::Ecom, &holder).await? {
            return Err(conflict(already));
        }
        let new = job(&state, &PaymentType::Ecom, &holder, request)?;
        let stored = state.store(std::slice::from_ref(&new)).await?;
        match stored.first() {
            Some(done) if !done.already_queued => {
                Ok(json_response(StatusCode::OK, &json!({"imageId": image_id})))
            }
            _ => Err(conflict(already)),
        }
    }
    .await;
    result.unwrap_or_else(|response: Response| response)
}

async fn add_category_v3(State(state): S, headers: HeaderMap, body: Body) -> Response {
    let result = async {
        let body = read_json(&state, &headers, body).await?;
        let request = parse(JobKind::CategoryV3, &body)?;
        let JobRequest::CategoryV3(v3) = &request else {
            return Err(one_invalid("body", "not a v3 category"));
        };
        let (payment_type, order_id) = (v3.payment_type.clone(), v3.order_id.clone());
        if payment_type.path_segment().is_none() {
            return Err(one_invalid(
                "paymentType",
                format!("paymentType must be {}", PaymentType::expected()),
            ));
        }
        let mut jobs: Vec<NewJob> = state
            .image_first(&request, &payment_type, &order_id)
            .await?
            .into_iter()
            .collect();
        jobs.push(job(&state, &payment_type, &order_id, request)?);
        let stored = state.store(&jobs).await?;
        let id = stored.last().map(|e| e.id.to_string()).unwrap_or_default();
        Ok(json_response(
            StatusCode::CREATED,
            &json!({"categoryId": format!("outbox-job-{id}")}),
        ))
    }
    .await;
    result.unwrap_or_else(|response: Response| response)
}

// --------------------------------------------------------------- reads

fn api_answer<T: serde::Serialize>(result: Result<T, vipps_om::Error>) -> Response {
    match result {
        Ok(value) => json_response(
            StatusCode::OK,
            &serde_json::to_value(value).unwrap_or(Value::Null),
        ),
        Err(e) => match e.status().and_then(|s| StatusCode::from_u16(s).ok()) {
            Some(status) => match e.problem() {
                Some(p) => json_response(status, &serde_json::to_value(p).unwrap_or(Value::Null)),
                None => problem(status, "The API refused the read", &e.to_string(), &[]),
            },
            None => problem(
                StatusCode::BAD_GATEWAY,
                "Bad Gateway",
                &format!("The Order Management API could not be read: {e}"),
                &[],
            ),
        },
    }
}

fn no_api() -> Response {
    unavailable(
        "Reads are passed to the Order Management API, and this gateway was started without API credentials.",
    )
}

async fn get_order(
    State(state): S,
    Path((payment_type, order_id)): Path<(String, String)>,
) -> Response {
    let (payment_type, order_id) = match order_of(&payment_type, &order_id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(api) = &state.api else {
        return no_api();
    };
    api_answer(api.orders().get(&payment_type, &order_id).await)
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(rename = "orderId")]
    order_id: Option<String>,
}

async fn list_categories_v3(State(state): S, Query(query): Query<ListQuery>) -> Response {
    let Some(order_id) = query.order_id else {
        return one_invalid("orderId", "The orderId field is required.");
    };
    let order_id = match OrderId::new(order_id) {
        Ok(id) => id,
        Err(e) => return one_invalid("orderId", e.to_string()),
    };
    let Some(api) = &state.api else {
        return no_api();
    };
    api_answer(
        api.categories()
            .list(&order_id)
            .await
            .map(|categories| json!({"categories": categories})),
    )
}

async fn get_category_v3(State(state): S, Path(category_id): Path<String>) -> Response {
    let category_id = match category_id.parse::<CategoryId>() {
        Ok(id) => id,
        Err(e) => return one_invalid("categoryId", e.to_string()),
    };
    let Some(api) = &state.api else {
        return no_api();
    };
    api_answer(api.categories().get(&category_id).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_are_bounded_and_stored_only_as_digests() {
        let mut tokens = Tokens::default();
        let first = tokens.issue(Duration::from_secs(60), 2).unwrap();
        assert_eq!(first.len(), 64);
        assert!(tokens.valid(&first));
        assert!(!tokens.valid("not-issued"));
        let second = tokens.issue(Duration::from_secs(120), 2).unwrap();
        let third = tokens.issue(Duration::from_secs(120), 2).unwrap();
        // The one expiring first made room.
        assert!(!tokens.valid(&first));
        assert!(tokens.valid(&second) && tokens.valid(&third));
        assert_eq!(tokens.live.len(), 2);
        assert!(!tokens.live.contains_key(&[0u8; 32]));
        let short = tokens.issue(Duration::ZERO, 5).unwrap();
        assert!(!tokens.valid(&short));
    }

    #[test]
    fn image_orders_are_valid_order_ids() {
        let long = "a".repeat(128);
        for id in [
            "logo-1",
            "f09c6aeb-442e-4da1-b36a-d8f613edc6c9",
            long.as_str(),
        ] {
            let order = image_order(id).unwrap();
            assert!(order.as_str().starts_with("gateway-image-"));
            assert_eq!(order.as_str().len(), 54);
        }
    }

    #[test]
    fn the_secret_is_never_shown() {
        let config = GatewayConfig::new(
            MerchantSerialNumber::new("123456").unwrap(),
            "shop",
            SecretString::from("s3cret-value"),
        )
        .unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
        assert_eq!(
            config.clone().token_ttl(Duration::MAX).token_ttl,
            MAX_TOKEN_TTL
        );
        assert!(
            GatewayConfig::new(
                MerchantSerialNumber::new("123456").unwrap(),
                "",
                SecretString::from("x"),
            )
            .is_err()
        );
    }
}
