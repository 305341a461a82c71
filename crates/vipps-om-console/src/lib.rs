//! The support console: a small web application where customer-support
//! staff find an order, see it as the customer sees it in the Vipps or
//! MobilePay app (through [`vipps_om::summary::OrderSummary`]), read its
//! delivery history from the outbox ([`vipps_om_outbox`]), and — with the
//! editor role — retry a failed delivery, set the category link, or upload
//! an image. Admins also manage the accounts (`/admin/users`: add a member
//! of staff, change a role, disable and enable, reset a password; see
//! [`Role`] and [`store::AccountChange`]). Every sign-in and change is
//! written to an append-only audit log (each order opened too, with
//! [`ConsoleConfig::audit_page_views`]).
//!
//! # Accounts
//! Roles are ordered, `Viewer < Editor < Admin`: each may do everything
//! the ones before it may. The first admin is made on the command line
//! (`vipps-om console add-user root --role admin`, or [`Console::add_user`]
//! with [`Role::Admin`]); `--replace` there also enables a disabled account
//! again, the way back in for a locked-out admin. In the console an admin
//! adds staff with a **one-time password**: 18 random characters shown
//! once on the answer page, stored only as an argon2id hash, never logged
//! or audited, and accepted for [`limits::ONE_TIME_PASSWORD_TTL`] (72
//! hours). A sign-in with it leads to `/account/password`, and that
//! session reaches nothing else (other pages redirect there) until the
//! person has chosen their own password (at least 12 characters; their
//! other sessions end). A reset makes a new one-time password the same way
//! and ends the account's sessions. (A set-password link was not chosen:
//! the console sends no mail, and a link to hand over is no safer than a
//! password to hand over.) Disabling an account ends its sessions at once
//! (every request looks its account up) and its sign-ins are refused
//! with "this account is disabled" — said only after the right password.
//! The last enabled admin can be neither disabled nor given a lower role:
//! the change is checked and made in one transaction that locks the
//! admins' rows, so two admins cannot demote each other at once. Each
//! change is audited (`user.add`, `user.role`, `user.disable`,
//! `user.enable`, `user.password_reset`, `password.change`) with who did
//! it and to whom; refusals as `refused`.
//!
//! # The order as the customer sees it
//! Beside the category's image id the order page shows the image itself
//! (`/order/image?order_id=…&payment_type=…&image_id=…`): the bytes the
//! shop uploaded, read from the order's image job in the outbox (the
//! newest delivered one, else the newest). The Order Management API gives
//! no image back, so an image uploaded by another system is named by id
//! only, with a note. The bytes are served only when their first bytes are
//! those of a PNG or a JPEG file (else 422 with a plain-text reason) and
//! they are at most 2 MB, with that type, `nosniff`, and `Cache-Control:
//! private, no-cache` with an `ETag` (a browser asks again each time and
//! gets 304 when nothing changed). It is an image of this site, so the
//! CSP's `img-src 'self'` allows it.
//!
//! # Merchants
//! A console works for one merchant: the one of its [`vipps_om::Client`]
//! (one set of API keys). The order page names it, looks only at that
//! merchant's deliveries, and says when the outbox (which may be shared)
//! holds deliveries of other merchants for the same order id. Run one
//! console per merchant to read several merchants' orders. What needs no
//! API call covers every merchant in the outbox: the dashboard, `/jobs`
//! (filtered by merchant if wanted), the bulk retry and the retry of one
//! job (it only queues the job again; the worker holding that merchant's
//! keys sends it).
//! Times show in the staff's time zone ([`zone`]) with UTC on hover.
//! Every page is in English, Norwegian bokmål, Danish, Finnish or Swedish,
//! with amounts and dates in that language's format ([`i18n`]: the texts
//! are Fluent files, how to add one is there too).
//!
//! The console reads orders from the API but never writes to it: the
//! outbox is the only writer of an order's category and images. A fix
//! replaces the request of the order's waiting or failed job of the same
//! kind, or is enqueued in the order's sequence (a category behind the
//! image it names), and the outbox worker delivers it — run
//! `vipps-om outbox run` (a [`vipps_om_outbox::Worker`]) beside the
//! console; [`demo`] runs its own.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use vipps_om_console::{Console, ConsoleConfig, PasswordHasherConfig, Role};
//! let outbox = vipps_om_outbox::Outbox::connect("sqlite:///var/lib/shop/outbox.db?mode=rwc").await?;
//! let client = vipps_om::Client::from_env()?;
//! let console = Console::new(outbox, client, PasswordHasherConfig::recommended()?, ConsoleConfig::default()).await?;
//! console.add_user("kari", Role::Editor, "a long passphrase", false).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8088").await?;
//! vipps_om_console::serve(listener, console.router(), std::future::pending()).await?;
//! # Ok(()) }
//! ```
//!
//! # Pages
//! - `/`: what needs attention. Failed deliveries grouped by merchant,
//!   kind and reason (why in support words, what to do, the API's message
//!   and the rejected fields of the newest), each linking to its jobs;
//!   what waits, is retried or is being delivered per merchant with the
//!   age of the oldest; deliveries and failures per hour (24 hours) and
//!   per day (30 days) as SVG bar charts drawn on the server, each with
//!   its numbers as a table (counted at most once a minute); the order
//!   search.
//! - `/jobs`: every delivery, filtered (`state`, `kind`, `merchant`,
//!   `order_id` prefix, `receipt` number, `from`/`to` dates in the staff's
//!   zone, `reason` from the dashboard), sorted (`sort=newest|oldest|order`),
//!   [`limits::JOBS_PAGE_ROWS`] rows a page (`size=`), with "next" and
//!   "previous" links that carry a row's key ([`vipps_om_outbox::browse`]);
//!   each row links to its order, and a failed one says why in the order
//!   page's support words before the API's first line. Values out of
//!   bounds answer 400 with the form and what to change.
//! - Bulk retry (editors; POST `/bulk/retry/review`, then
//!   `/bulk/retry/apply`): every failed job matching the filter, or the
//!   ticked rows, after a review page that says how many and names the
//!   first [`limits::BULK_REVIEW_LIST`]; at most
//!   [`limits::MAX_BULK_RETRY`] per action; one `jobs.retry_bulk` audit
//!   entry with the count and the filter.
//!
//! # Security
//! - Sessions: 256-bit random ids in a cookie that is `HttpOnly`,
//!   `SameSite=Strict`, `Path=/`, and `Secure` with the `__Host-` prefix
//!   when [`ConsoleConfig::secure_cookies`] is on (served over TLS). The
//!   database keeps only a SHA-256 of each id. Sessions end after 30 idle
//!   minutes and after 12 hours in any case; signing in always starts a new
//!   one.
//! - CSRF: every POST carries a per-session token, checked in constant
//!   time by one middleware before any handler runs. The sign-in form's
//!   token is issued by the server (HMAC-signed with a key made at
//!   start-up, valid for an hour) and must also match its cookie: a
//!   made-up pair is refused.
//! - Sign-in: argon2id hashes; an unknown name costs the same as a wrong
//!   password. Only failures count ([`limiter`]): 5 for one name from one
//!   address refuse that pair for 15 minutes (the owner elsewhere still
//!   signs in), 30 from one address refuse the address, and from 10 on
//!   a name's sign-ins slow down (at most 3 s) but are never locked. At
//!   most 4 password checks run at once (19 MiB each) and 16 wait (2 s at
//!   most); beyond that the answer is 503 with `Retry-After`. Behind a
//!   reverse proxy the client's address comes from `X-Forwarded-For` only
//!   when the peer is a [`ConsoleConfig::trusted_proxies`] entry
//!   ([`proxy`]). A failed sign-in for a name that has no account is
//!   logged as "(unknown name)" with its length and address, never the
//!   name itself (people type passwords into that field).
//! - Limits ([`limits`]): every query parameter and form field is bounded
//!   (user name 64 characters, password 1024, links 2048, ids 128, others
//!   256; URL-encoded forms 64 KB, URLs 8 KB, image files 2 MB) and
//!   checked before any work; beyond, a page names the field and its limit
//!   (400, 413 or 414). The audit page shows 50 rows at a time with
//!   links to newer and older ones, each text cut to 500 characters.
//!   `/jobs`: filters of 128 characters, a date range of 366 days, 10 to
//!   200 rows a page; a bulk retry of 10,000 jobs or 200 ticked rows.
//!   Images waiting for confirmation: 4 per editor (a newer one replaces
//!   the oldest), 64 in all, 15 minutes each ([`uploads`]).
//!   One-time passwords are accepted for 72 hours; the accounts page lists
//!   the first 500 accounts by name (a note says when there are more).
//! - Roles are checked on the server in every handler that changes
//!   something; viewers get 403 on editors' actions, viewers and editors
//!   403 on `/admin/…` (and see no link to it).
//! - Headers on every answer: a CSP without inline scripts or styles,
//!   frame denial, `nosniff`, `Referrer-Policy: no-referrer`, and
//!   `Cache-Control: no-store` on pages.
//! - HTML comes from maud templates, which escape every value; links from
//!   API data are only made for `http`/`https` URLs.

#![cfg_attr(not(test), warn(clippy::unwrap_used))]
// Handlers answer refusals with a ready page (`Err(Response)`), as axum does.
#![allow(clippy::result_large_err)]

pub mod auth;
mod delivery;
#[cfg(feature = "demo")]
pub mod demo;
pub mod i18n;
mod images;
pub mod limiter;
pub mod limits;
mod links;
mod pages;
pub mod proxy;
pub mod store;
pub mod uploads;
mod views;
mod web;
pub mod zone;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use vipps_om::Client;
use vipps_om_outbox::Outbox;

pub use auth::{PasswordError, PasswordHasherConfig};
pub use limiter::{LimiterSize, LoginPolicy};
pub use pages::signin::UNKNOWN_NAME;
pub use proxy::ForwardedHeader;
pub use store::{Account, AccountChange, AuditEntry, ChangeOutcome, Role, Store, StoreError, User};

/// Settings of a console.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// Served over TLS (directly or by a reverse proxy): cookies get
    /// `Secure` and the `__Host-` prefix, and HSTS is sent.
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends after this long in any case.
    pub absolute_timeout: Duration,
    /// Sign-in limits.
    pub login_policy: LoginPolicy,
    /// Reverse proxies whose `X-Forwarded-For` (or `Forwarded`) header
    /// names the client: only a request whose peer is one of them is read
    /// that way; every other peer is the client itself (see
    /// [`proxy`]). Empty: headers are never read.
    pub trusted_proxies: Vec<IpAddr>,
    /// Which header the trusted proxies set.
    pub forwarded_header: ForwardedHeader,
    /// How long a checked image waits for its editor's confirmation.
    pub upload_ttl: Duration,
    /// Also write every order a user looks at to the audit log
    /// (`order.view`). Off by default: the log holds sign-ins and changes
    /// (`vipps-om console --audit-page-views` turns it on).
    pub audit_page_views: bool,
    /// The time zone (IANA name, e.g. `Europe/Oslo`) every time is shown
    /// in. `None`: each browser's `Accept-Language` region, else UTC
    /// ([`zone`]). Always with the UTC time on hover.
    pub time_zone: Option<String>,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            secure_cookies: false,
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            login_policy: LoginPolicy::default(),
            trusted_proxies: Vec::new(),
            forwarded_header: ForwardedHeader::default(),
            upload_ttl: Duration::from_secs(15 * 60),
            audit_page_views: false,
            time_zone: None,
        }
    }
}

/// Everything the handlers share.
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) outbox: Outbox,
    pub(crate) client: Client,
    pub(crate) hasher: PasswordHasherConfig,
    pub(crate) config: ConsoleConfig,
    pub(crate) limiter: limiter::LoginLimiter,
    pub(crate) hash_gate: limiter::HashGate,
    pub(crate) login_tokens: auth::LoginTokens,
    pub(crate) uploads: uploads::PendingUploads,
    /// [`ConsoleConfig::time_zone`], read.
    pub(crate) time_zone: Option<jiff::tz::TimeZone>,
    /// The dashboard's charts, read at most once a minute.
    pub(crate) activity_cache: pages::home::ActivityCache,
}

impl AppState {
    /// An order of this console's merchant.
    pub(crate) fn order_key<'a>(
        &'a self,
        payment_type: &'a vipps_om::PaymentType,
        order_id: &'a vipps_om::OrderId,
    ) -> delivery::OrderKey<'a> {
        delivery::OrderKey {
            merchant: self.client.merchant_serial_number(),
            payment_type,
            order_id,
        }
    }

    pub(crate) fn session_cookie(&self) -> &'static str {
        if self.config.secure_cookies {
            "__Host-vipps_om_console"
        } else {
            "vipps_om_console"
        }
    }

    pub(crate) fn login_cookie(&self) -> &'static str {
        if self.config.secure_cookies {
            "__Host-vipps_om_console_login"
        } else {
            "vipps_om_console_login"
        }
    }
}

/// A configured console: make its [`Console::router`] and serve it.
#[derive(Clone)]
pub struct Console {
    state: Arc<AppState>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("config", &self.state.config)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// A console on `outbox`'s database (its tables are created when
    /// missing) that reads and changes orders with `client`.
    pub async fn new(
        outbox: Outbox,
        client: Client,
        hasher: PasswordHasherConfig,
        config: ConsoleConfig,
    ) -> Result<Console, StoreError> {
        let time_zone = config
            .time_zone
            .as_deref()
            .map(zone::named)
            .transpose()
            .map_err(StoreError::Setup)?;
        let login_tokens =
            auth::LoginTokens::new().map_err(|e| StoreError::Setup(e.to_string()))?;
        let store = Store::for_outbox(&outbox).await?;
        let _ = store.purge_sessions().await;
        Ok(Console {
            state: Arc::new(AppState {
                store,
                outbox,
                client,
                hasher,
                limiter: limiter::LoginLimiter::new(config.login_policy),
                hash_gate: limiter::HashGate::new(&config.login_policy),
                login_tokens,
                uploads: uploads::PendingUploads::new(config.upload_ttl),
                time_zone,
                activity_cache: Default::default(),
                config,
            }),
        })
    }

    /// How many entries the sign-in limiter holds (each table at most
    /// [`LoginPolicy::max_entries`]).
    pub fn sign_in_limiter_size(&self) -> LimiterSize {
        self.state.limiter.size()
    }

    /// The console's tables.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// The outbox it reads delivery history from.
    pub fn outbox(&self) -> &Outbox {
        &self.state.outbox
    }

    /// Adds an account (hashing the password with argon2id), and writes
    /// it to the audit log as done by `by`.
    pub async fn add_user(
        &self,
        username: &str,
        role: Role,
        password: &str,
        replace: bool,
    ) -> Result<User, AddUserError> {
        add_user(
            &self.state.store,
            &self.state.hasher,
            username,
            role,
            password,
            replace,
        )
        .await
    }

    /// The routes, with the security middleware.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(pages::home::home))
            .route(
                "/login",
                get(pages::signin::login_page).post(pages::signin::login),
            )
            .route("/logout", post(pages::signin::logout))
            .route("/order", get(pages::order::order))
            .route("/jobs", get(pages::jobs::jobs_page))
            .route("/bulk/retry/review", post(pages::bulk::review))
            .route("/bulk/retry/apply", post(pages::bulk::apply))
            .route(
                "/jobs/{id}/retry",
                get(pages::retry::retry_confirm).post(pages::retry::retry),
            )
            .route("/category", get(pages::category::category_form))
            .route("/category/review", post(pages::category::category_review))
            .route("/category/apply", post(pages::category::category_apply))
            .route("/image", get(pages::image::image_form))
            .route("/image/review", post(pages::image::image_review))
            .route("/image/apply", post(pages::image::image_apply))
            .route("/audit", get(pages::audit::audit_page))
            .route("/lang/{code}", get(pages::lang::set_lang))
            // Accounts (admins) and the own password (everyone).
            .route(
                "/admin/users",
                get(pages::accounts::accounts_page).post(pages::accounts::add_account),
            )
            .route("/admin/users/{id}", get(pages::accounts::account_page))
            .route("/admin/users/{id}/role", post(pages::accounts::change_role))
            .route("/admin/users/{id}/disable", post(pages::accounts::disable))
            .route("/admin/users/{id}/enable", post(pages::accounts::enable))
            .route(
                "/admin/users/{id}/password",
                post(pages::accounts::reset_password),
            )
            .route(
                pages::accounts::PASSWORD_PATH,
                get(pages::accounts::password_page).post(pages::accounts::change_password),
            )
            .route("/order/image", get(pages::order::category_image))
            .route("/static/console.css", get(pages::home::css))
            .fallback(pages::home::not_found)
            .layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                web::guard,
            ))
            .layer(axum::middleware::from_fn_with_state(
                self.state.clone(),
                web::security_headers,
            ))
            .layer(DefaultBodyLimit::max(web::MAX_BODY))
            .with_state(self.state.clone())
    }
}

/// Why an account could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddUserError {
    /// The name is empty, too long or has characters other than letters,
    /// digits and `.-_@`.
    #[error("the user name must be 1-64 characters: letters, digits and . - _ @ (got {0:?})")]
    BadName(String),
    /// The password was refused or could not be hashed.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The database refused it.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a user name: 1–64 ([`limits::MAX_USERNAME_CHARS`]) of letters,
/// digits, `.`, `-`, `_`, `@`.
pub fn valid_username(name: &str) -> bool {
    (1..=limits::MAX_USERNAME_CHARS).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
}

/// Adds an account to `store` (see [`Console::add_user`]).
pub async fn add_user(
    store: &Store,
    hasher: &PasswordHasherConfig,
    username: &str,
    role: Role,
    password: &str,
    replace: bool,
) -> Result<User, AddUserError> {
    if !valid_username(username) {
        return Err(AddUserError::BadName(username.to_owned()));
    }
    let hasher = hasher.clone();
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hasher.hash(&password))
        .await
        .map_err(|e| PasswordError::Hashing(e.to_string()))??;
    let user = store.add_user(username, role, &hash, replace).await?;
    store
        .audit(&store::NewAudit {
            username: "(command line)",
            action: if replace { "user.set" } else { "user.add" },
            order_id: None,
            payment_type: None,
            detail: &format!("account {username} with role {role}"),
            outcome: "ok",
        })
        .await?;
    Ok(user)
}

/// Serves `router` on `listener` until `shutdown` completes, with the
/// client's address available to the sign-in limiter, within
/// `vipps_om_serve`'s default limits: a request header must arrive within
/// 10 s (also the idle keep-alive timeout), a body within 60 s, a client
/// must read the answer (30 s without progress closes the connection),
/// headers are at most 64 KiB (else 431), at most 4,096 connections are
/// open at once (more wait to be accepted); HTTP/1.1 only.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    vipps_om_serve::serve(
        listener,
        router,
        shutdown,
        vipps_om_serve::ServeLimits::default(),
    )
    .await
}

pub use vipps_om_outbox;

/// Reads a new password: prompted twice without echo on a terminal, or the
/// first line of standard input otherwise (for scripts and tests).
pub fn read_new_password(username: &str) -> std::io::Result<String> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {username}: "))?;
        let second = rpassword::prompt_password("Again: ")?;
        if first != second {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the two passwords differ",
            ));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}
