//! A faithful, stateful local simulator of the Vipps MobilePay **Order
//! Management API** and the access token service, for trying an
//! integration without production (Order Management does not exist in the
//! Vipps test environment) and for rehearsing what goes wrong: expired
//! tokens, rate limits, outages, slow answers.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use vipps_om_sim::{Fault, Route};
//!
//! let sim = vipps_om_sim::spawn_default().await?; // demo merchant, free port
//! let client = sim.demo_client()?;                 // a vipps_om::Client for it
//! sim.inject_fault(Fault::status(Route::AddReceipt, 503).times(2))?;
//! // ... run the code under test against sim.base_url() ...
//! assert_eq!(sim.counters().count(Route::AddReceipt, 503), 2);
//! let stored = sim.receipt("123456", &vipps_om::PaymentType::Ecom, "order-1");
//! # let _ = (client, stored);
//! sim.shutdown().await?;
//! # Ok(()) }
//! ```
//!
//! For tests without a socket, [`app`] gives the [`axum::Router`] to call
//! with `tower::ServiceExt::oneshot`.
//!
//! # Layout
//! - [`config`]: [`Simulator`] (the configuration) and its builder,
//!   [`Merchant`]s and the merchants TOML file.
//! - [`routes`]: the surface as data ([`Route`] templates) and the matcher.
//! - `surface`: the per-request phases: body, route, faults, dispatch,
//!   recording. `api`: the Order Management operations; `auth`: the
//!   gateway and token service; `rules`: the request checks, the
//!   simulator's own code written from the spec (schema tables, image
//!   rules, the strict-mode rules); `reply`: the error formats.
//! - [`state`]: [`SimState`], the store behind one mutex, and every control
//!   operation as a method. [`faults`] and [`observe`] (request log,
//!   counters) are its parts.
//! - `control`: the `/_sim/` HTTP API over the same methods; [`server`]:
//!   [`spawn`] and the [`RunningSim`] handle.
//! - [`checklist`]: what each merchant's integration did, the rehearsal of
//!   the failures it must survive, and the report grading it against the
//!   merchant's checklist (`/_sim/rehearsal`, `/_sim/checklist`).
//!
//! # Surface
//! One base URL serves what `https://api.vipps.no` serves:
//! `POST /accesstoken/get` (the path in any case, e.g. `/accessToken/get`)
//! and under `/order-management/`: `POST /v1/images`,
//! `PUT /v2/{paymentType}/categories/{orderId}`,
//! `POST /v2/{paymentType}/receipts/{orderId}`,
//! `GET /v2/{paymentType}/{orderId}`, `POST /v3/categories`,
//! `GET /v3/categories?orderId=`, `GET /v3/categories/{categoryId}`,
//! `DELETE /v3/categories/{categoryId}`. The removed v1 paths
//! (`/v1/orders/{id}`, `/v1/receipts/{id}`) answer 404 naming the v2
//! replacement; any other path answers 404. Every JSON answer has
//! `Content-Type: application/json`.
//!
//! Merchants: the built-in demo merchant (MSN `123456`, `demo-client-id`,
//! `demo-client-secret`, `demo-subscription-key`) and any from a TOML file
//! ([`config`]). Tokens are JWTs like production's (HS256, a key made at
//! start-up, `exp - iat` = `expires_in`) bound to their merchant, valid for
//! [`Simulator::token_ttl`] (default 3600 s); the simulator trusts its own
//! record of issued tokens, not their claims.
//!
//! # Chosen behaviours
//! Where the official documentation is silent or contradictory, the
//! simulator does this (the same list is in the crate's README):
//! - **Token service**: credentials only in headers, body ignored; answer
//!   200 `{"token_type":"Bearer","expires_in":"3600","access_token":…}`
//!   with `expires_in` a string like the documented example. A missing or
//!   unknown subscription key is the gateway's 401
//!   `{"statusCode":401,"message":"Access denied due to missing/invalid
//!   subscription key…"}`; a wrong or missing client id or secret is a 401
//!   Azure AD body (`error: invalid_client`, codes 900144, 700016 or
//!   7000215). `Merchant-Serial-Number` and `Vipps-System-*` are accepted
//!   and not checked on the token request.
//! - **API authentication**: subscription key first, then the token. The
//!   `Bearer` scheme is case-sensitive. A missing, malformed, unknown,
//!   expired or revoked token, and a token used with another merchant's
//!   subscription key, all get 401
//!   `{"statusCode":401,"message":"Unauthorized. Access token is missing or invalid."}`.
//! - **Merchant-Serial-Number** is required on API calls: missing → 400
//!   naming it; another merchant's → 403 ErrorResponse ("does not belong to
//!   these API keys"). `Vipps-System-*` headers over 100 characters (the
//!   spec's limit) → 400 naming the header.
//! - **Validation** is the simulator's own (`rules`), from the spec and
//!   the documented behaviours, never the client library's: one 400
//!   ErrorResponse names every bad header, path parameter, query parameter
//!   and body field (JSON paths such as `orderLines[1].unitInfo.quantity`;
//!   `$` for the body as a whole) with ASP.NET-style reasons ("The field
//!   taxRate must be between 0 and 10000."). In the default [`Mode`] it
//!   refuses what production is documented to refuse and accepts the
//!   rest, with `warnings` in the request log ("production may refuse
//!   this: …"); [`Mode::Strict`] ([`SimulatorBuilder::strict`], `strict =
//!   true` per merchant) also refuses the client library's rules and the
//!   strict readings of ambiguous docs, each with a `type` URN. The
//!   README has the table.
//! - **Body format**: a body not sent as `application/json` (or `+json`)
//!   gets 415. Bodies over 8 MiB get 413, a body not received within 60 s
//!   408.
//! - **paymentType** in v2 paths: `ecom` or `recurring` in any case;
//!   anything else (also `ePayment`) → 400 naming `paymentType`, on every
//!   v2 operation including GET (the spec lists no 400 there). In the v3
//!   body it must be exactly `ECOM` or `RECURRING`.
//! - **Images** are scoped per merchant (two merchants may use the same
//!   imageId). A second upload of an id → 409. The bytes are inspected,
//!   then dropped: only the facts (format, size) are kept.
//! - **Categories**: one list per (merchant, paymentType, orderId), shared
//!   by v2 and v3. v2 PUT replaces the whole list with one category and
//!   answers 200 with a JSON string UUID, which is that category's v3
//!   `categoryId`; it never answers 409. v3 POST appends (201
//!   `{"categoryId"}`). GET v2 shows the latest category of the order,
//!   whichever API added it; deleting it with v3 shows the one before.
//!   `GET /v3/categories?orderId=` lists the merchant's categories for that
//!   orderId across both payment types, oldest first (an empty list, not
//!   404, when there are none); `orderId` missing: an empty list (400 in
//!   strict mode). A malformed
//!   categoryId is 400 on GET and 404 on DELETE (the spec lists no 400
//!   for DELETE). Another merchant's category is 404. A referenced
//!   `imageId` this merchant never uploaded → 400 naming `imageId`.
//! - **Receipts**: once per (merchant, paymentType, orderId): 201 with a
//!   JSON string UUID, then 409. Concurrent identical POSTs: exactly one
//!   201. Stored as the client library's model serializes it, so GET
//!   returns what was sent minus unknown fields (bodies are converted to
//!   the client library's models only after they passed the checks).
//! - **GET v2** returns `category` and `receipt`, leaving out (not `null`)
//!   the part that does not exist; 404 when neither does. Another
//!   merchant's order is 404.
//! - **Writes do not check that a payment exists**, as the real API.
//! - **Unknown paths** and known paths with another method → the gateway's
//!   404 `{"statusCode": 404, "message": "Resource not found"}` (no 405);
//!   none of these, nor the v1 404s, needs credentials.
//! - **Faults** act before authentication, on live routes only (never on
//!   `/_sim/` or unknown paths), first added first used. 429 answers in the
//!   gateway format with `Retry-After` (1 s unless set); 401 in the
//!   gateway's token format; other statuses as ErrorResponse; every faulted
//!   answer carries `x-sim-fault: injected`. A delayed request is handled
//!   even if its client gave up waiting.
//! - **Request log** keeps the last 1000 requests and at most 16 MiB
//!   (both configurable), with
//!   `Authorization` as `Bearer ***`, the subscription key, `client_secret`
//!   and headers named like `*secret*`, `*password*`, `*token*` as `***`,
//!   and strings over 256 characters in bodies shortened; a body still
//!   over 8 KiB keeps only its first 8 KiB, marked ([`observe`]). Control
//!   requests are not logged or counted.
//!
//! # Limits
//! Everything a client can make the simulator hold is bounded: the request
//! log in entries and bytes ([`observe`]); stored orders and images by a
//! byte budget (507 beyond), categories per order, live tokens and queued
//! faults by count ([`state`]); connections, header, body and send times
//! by the server ([`ServeLimits`], see [`server`]). The crate's README has
//! the table of numbers.
//!
//! # Fidelity limits
//! Everything is in memory and lost at exit. There is no rate limiting
//! unless injected, no partner keys, no webhooks, of ePayment only
//! createPayment and getPayment ([`epayment`]: a receipt sent with the
//! payment takes the order's receipt slot), and the app's rendering of
//! receipts is not simulated. Error wording is ours; the formats are the
//! real ones.

pub mod checklist;
pub mod config;
pub mod faults;
pub mod observe;
pub mod routes;
pub mod server;
pub mod state;

mod api;
mod auth;
mod control;
pub mod epayment;
mod jwt;
mod reply;
mod rules;
mod surface;

pub use config::{ConfigError, Merchant, Partner, ServeLimits, Simulator, SimulatorBuilder};
pub use control::CONTROL_BODY_LIMIT;
pub use faults::{Fault, FaultError, FaultRoute, FaultSpec};
pub use observe::{Counters, LoggedRequest};
pub use routes::Route;
pub use rules::Mode;
pub use server::{RunningSim, SpawnError, spawn, spawn_default};
pub use state::{SimState, StoredImage, StoredOrder};
pub use surface::BODY_LIMIT;

/// The simulator as an [`axum::Router`] over `state`: the control API under
/// `/_sim/` and the simulated API everywhere else. Serve it, or call it
/// directly with `tower::ServiceExt::oneshot` in tests.
pub fn app(state: SimState) -> axum::Router {
    control::routes()
        .fallback(surface::handle)
        .with_state(state)
}
