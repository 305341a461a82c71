//! The request plumbing every route shares: the session and CSRF guard,
//! the security headers, cookies, and the per-request context handlers
//! read.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::Extensions;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::AppState;
use crate::auth::{LOGIN_TOKEN_MAX_LEN, token_hash, tokens_match};
use crate::i18n::Lang;
use crate::limits::{self, TooLong};
use crate::store::{Role, SessionRow};
use crate::views;

/// Largest multipart body: an image of 2 MiB in a form, with room to
/// report a larger one as too large instead of cutting the connection.
/// URL-encoded forms are held to [`limits::MAX_FORM_BYTES`].
pub(crate) const MAX_BODY: usize = 8 * 1024 * 1024;

/// Longest session cookie looked up (ids are 64 hex digits; anything much
/// longer is not one and costs no database query).
const SESSION_ID_MAX_LEN: usize = 128;

/// The name of the form field that carries the CSRF token.
pub(crate) const CSRF_FIELD: &str = "csrf";

/// What every handler knows about the request.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub(crate) lang: Lang,
    pub(crate) session: Option<SessionRow>,
    /// Path and query of this request (for the language switch and the
    /// return after sign-in).
    pub(crate) here: String,
    /// The client's address, for the sign-in limiter.
    pub(crate) address: String,
    /// The per-browser token of the sign-in form (from its cookie).
    pub(crate) login_token: Option<String>,
    /// The staff's time zone ([`crate::zone`]).
    pub(crate) zone: jiff::tz::TimeZone,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

/// A signed-in request: handlers that take it are never reached by
/// anonymous visitors, who are sent to the sign-in page.
pub(crate) struct Signed {
    pub(crate) ctx: Ctx,
    pub(crate) session: SessionRow,
}

impl Signed {
    /// Refuses (403 page) unless the account is an editor.
    pub(crate) fn require_editor(&self) -> Result<(), Response> {
        if self.session.user.role.may_edit() {
            Ok(())
        } else {
            tracing::info!(user = %self.session.user.username, path = %self.ctx.here, "refused: editor role needed");
            Err(views::forbidden(&self.ctx))
        }
    }

    /// Refuses (403 page) unless the account is an admin.
    pub(crate) fn require_admin(&self) -> Result<(), Response> {
        if self.session.user.role == Role::Admin {
            Ok(())
        } else {
            tracing::info!(user = %self.session.user.username, path = %self.ctx.here, "refused: admin role needed");
            Err(views::forbidden_admin(&self.ctx))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        match ctx.session.clone() {
            Some(session) => Ok(Signed { ctx, session }),
            None => Err(to_login(&ctx.here, parts.method == Method::GET)),
        }
    }
}

/// A redirect to the sign-in page that comes back to `here` (GET only).
pub(crate) fn to_login(here: &str, come_back: bool) -> Response {
    if come_back && here != "/" {
        let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
        Redirect::to(&format!("/login?next={next}")).into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

/// Whether `next` is a path on this site (never another origin).
pub(crate) fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    ok.then_some(next)
}

/// Reads one cookie.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A `Set-Cookie` value with the console's attributes.
pub(crate) fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age_secs: Option<u64>,
) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age_secs {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.secure_cookies {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

fn client_address(state: &AppState, req: &Request) -> String {
    match req.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(peer)) => crate::proxy::client_ip(
            peer.ip(),
            req.headers(),
            &state.config.trusted_proxies,
            state.config.forwarded_header,
        )
        .to_string(),
        None => "unknown".to_owned(),
    }
}

fn choose_lang(req: &Request) -> Lang {
    let query_lang = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v))
    });
    query_lang
        .or_else(|| cookie(req.headers(), "console_lang").and_then(Lang::parse))
        .unwrap_or_else(|| {
            Lang::from_accept_language(
                req.headers()
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

/// What the guard found in a form body.
#[derive(Default)]
struct FormCheck {
    /// The CSRF field.
    token: Option<String>,
    /// The first field over its limit.
    too_long: Option<TooLong>,
    /// The size of a file over [`limits::MAX_IMAGE_BYTES`].
    file_too_large: Option<usize>,
}

/// Reads a form body (URL-encoded or multipart): its CSRF token, and
/// whether every field is within its limit.
async fn check_form(content_type: &str, extensions: &Extensions, body: &Bytes) -> FormCheck {
    let mut check = FormCheck::default();
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/x-www-form-urlencoded" {
        for (name, value) in url::form_urlencoded::parse(body) {
            if check.too_long.is_none()
                && let Err(e) = limits::check_field(&name, &value)
            {
                check.too_long = Some(e);
            }
            if name == CSRF_FIELD && check.token.is_none() {
                check.token = Some(value.into_owned());
            }
        }
        return check;
    }
    if mime != "multipart/form-data" {
        return check;
    }
    let Ok(mut req) = Request::builder()
        .method(Method::POST)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body.clone()))
    else {
        return check;
    };
    // The body limit the router set (axum's default would cut a file a
    // little over 2 MB before the CSRF field is read).
    *req.extensions_mut() = extensions.clone();
    let Ok(mut multipart) = Multipart::from_request(req, &()).await else {
        return check;
    };
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or("").to_owned();
        if field.file_name().is_some() || name == "file" {
            match field.bytes().await {
                Ok(bytes) if bytes.len() > limits::MAX_IMAGE_BYTES => {
                    check.file_too_large.get_or_insert(bytes.len());
                }
                Ok(_) => {}
                Err(_) => break,
            }
            continue;
        }
        let Ok(value) = field.text().await else { break };
        if check.too_long.is_none()
            && let Err(e) = limits::check_field(&name, &value)
        {
            check.too_long = Some(e);
        }
        if name == CSRF_FIELD && check.token.is_none() {
            check.token = Some(value);
        }
    }
    check
}

/// Whether a sign-in cookie has the shape of a token this server issues.
fn login_token_shape(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= LOGIN_TOKEN_MAX_LEN
        && token.bytes().all(|b| b.is_ascii_hexdigit() || b == b'.')
}

/// Resolves the session and language; refuses a URL, query parameter or
/// form field over its limit ([`crate::limits`]); and refuses every POST
/// whose CSRF token does not match (the sign-in form's signed per-browser
/// token, or the session's token everywhere else). Anonymous POSTs other
/// than sign-in are sent to the sign-in page.
pub(crate) async fn guard(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let lang = choose_lang(&req);
    let target_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target_len > limits::MAX_TARGET_BYTES {
        return views::target_too_long(lang);
    }
    let here = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let address = client_address(&state, &req);
    let query_check = limits::check_pairs(url::form_urlencoded::parse(
        req.uri().query().unwrap_or("").as_bytes(),
    ));
    let session = match cookie(req.headers(), state.session_cookie()) {
        Some(token) if !token.is_empty() && token.len() <= SESSION_ID_MAX_LEN => {
            match state
                .store
                .touch_session(&token_hash(token), millis(state.config.idle_timeout))
                .await
            {
                Ok(found) => found,
                Err(e) => {
                    tracing::error!(error = %e, "session lookup failed");
                    return views::server_error(lang);
                }
            }
        }
        _ => None,
    };
    let login_token = cookie(req.headers(), state.login_cookie())
        .filter(|t| login_token_shape(t))
        .map(str::to_owned);
    let zone = state
        .time_zone
        .clone()
        .or_else(|| {
            crate::zone::from_accept_language(
                req.headers()
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let ctx = Ctx {
        lang,
        session,
        here,
        address,
        login_token,
        zone,
    };
    if let Err(too_long) = query_check {
        return views::too_long(&ctx, &too_long);
    }
    // Signed in with a one-time password: nothing but choosing one's own
    // password (and signing out) until then.
    if ctx.session.as_ref().is_some_and(|s| s.must_change_password)
        && !allowed_before_own_password(req.uri().path())
    {
        return Redirect::to(crate::pages::accounts::PASSWORD_PATH).into_response();
    }
    let mut req = req;
    if req.method() == Method::POST {
        let is_login = req.uri().path() == "/login";
        if !is_login && ctx.session.is_none() {
            return to_login(&ctx.here, false);
        }
        let (parts, body) = req.into_parts();
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let multipart = content_type
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data");
        let limit = if multipart {
            MAX_BODY
        } else {
            limits::MAX_FORM_BYTES
        };
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(bytes) => bytes,
            Err(_) => {
                return if multipart {
                    views::file_too_large(&ctx, None)
                } else {
                    views::form_too_large(&ctx)
                };
            }
        };
        let check = check_form(&content_type, &parts.extensions, &bytes).await;
        let given = check.token.unwrap_or_default();
        let expected = if is_login {
            ctx.login_token.clone().unwrap_or_default()
        } else {
            ctx.session
                .as_ref()
                .map(|s| s.csrf_token.clone())
                .unwrap_or_default()
        };
        let issued_here = !is_login || state.login_tokens.verify(&given);
        if !(tokens_match(&given, &expected) && issued_here) {
            tracing::warn!(
                path = %parts.uri.path(),
                user = ctx.session.as_ref().map(|s| s.user.username.as_str()).unwrap_or("-"),
                token_present = !given.is_empty(),
                "refused a POST without a valid CSRF token"
            );
            return views::csrf_failed(&ctx);
        }
        if let Some(size) = check.file_too_large {
            return views::file_too_large(&ctx, Some(size));
        }
        if let Some(too_long) = check.too_long {
            tracing::info!(path = %parts.uri.path(), field = %too_long.field, "refused an over-long field");
            return views::too_long(&ctx, &too_long);
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    req.extensions_mut().insert(ctx);
    next.run(req).await
}

/// What an account that signed in with a one-time password may reach
/// before it has chosen its own password.
fn allowed_before_own_password(path: &str) -> bool {
    path == crate::pages::accounts::PASSWORD_PATH
        || path == "/logout"
        || path.starts_with("/static/")
        || path.starts_with("/lang/")
}

/// Security headers on every answer.
pub(crate) async fn security_headers(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let set = |headers: &mut HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(
        headers,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    set(
        headers,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    // Pages are never stored; an answer that chose its own caching (the
    // category image) keeps it.
    if !is_static && !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    if state.config.secure_cookies {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}

pub(crate) fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
