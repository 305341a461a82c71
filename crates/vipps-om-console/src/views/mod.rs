//! Server-rendered pages (maud: every interpolated value is escaped; no
//! `PreEscaped` is used on any data).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use crate::i18n::{Lang, T};
use crate::limits::{self, TooLong};
use crate::store::Role;
use crate::web::{CSRF_FIELD, Ctx};

pub(crate) mod accounts;
pub(crate) mod audit;
pub(crate) mod bulk;
pub(crate) mod dashboard;
pub(crate) mod forms;
pub(crate) mod jobs;
pub(crate) mod order;

pub(crate) use order::when;

/// A full page with the header, navigation and language switch.
pub(crate) fn page(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let lang = ctx.lang;
    let back: String = url::form_urlencoded::byte_serialize(ctx.here.as_bytes()).collect();
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · " (lang.t(T::AppName)) }
                link rel="stylesheet" href="/static/console.css";
            }
            body {
                a.skip href="#main" { (lang.t(T::SkipToContent)) }
                header.top {
                    span.brand { (lang.t(T::AppName)) }
                    @if let Some(session) = &ctx.session {
                        nav aria-label="Main" {
                            a href="/" { (lang.t(T::NavHome)) }
                            a href="/jobs" { (lang.t(T::NavJobs)) }
                            a href="/audit" { (lang.t(T::NavAudit)) }
                            @if session.user.role == Role::Admin { a href="/admin/users" { (lang.t(T::NavAccounts)) } }
                        }
                        span.who {
                            (lang.t(T::SignedInAs)) " " strong { (session.user.username) }
                            " (" (role_name(lang, session.user.role)) ") "
                            a href="/account/password" { (lang.t(T::NavPassword)) }
                        }
                        form.inline method="post" action="/logout" {
                            (csrf(ctx))
                            button type="submit" { (lang.t(T::SignOut)) }
                        }
                    }
                    nav.langs aria-label=(lang.t(T::Language)) {
                        @for l in Lang::ALL {
                            @if l == lang {
                                span.lang aria-current="true" { (l.name()) }
                            } @else {
                                a.lang href={ "/lang/" (l.code()) "?back=" (back) } lang=(l.code()) hreflang=(l.code()) { (l.name()) }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

pub(crate) fn role_name(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Viewer => lang.t(T::RoleViewer),
        Role::Editor => lang.t(T::RoleEditor),
        Role::Admin => lang.t(T::RoleAdmin),
    }
}

/// The hidden CSRF field of a form.
pub(crate) fn csrf(ctx: &Ctx) -> Markup {
    let token = ctx
        .session
        .as_ref()
        .map(|s| s.csrf_token.as_str())
        .unwrap_or("");
    html! { input type="hidden" name=(CSRF_FIELD) value=(token); }
}

pub(crate) fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// A page with a heading and one paragraph.
pub(crate) fn message_page(ctx: &Ctx, status: StatusCode, title: &str, text: &str) -> Response {
    respond(
        status,
        page(
            ctx,
            title,
            html! { p.notice.error role="alert" { (text) } p { a href="/" { (ctx.lang.t(T::NavOrders)) } } },
        ),
    )
}

pub(crate) fn forbidden(ctx: &Ctx) -> Response {
    message_page(
        ctx,
        StatusCode::FORBIDDEN,
        ctx.lang.t(T::Forbidden),
        ctx.lang.t(T::ForbiddenText),
    )
}

pub(crate) fn forbidden_admin(ctx: &Ctx) -> Response {
    message_page(
        ctx,
        StatusCode::FORBIDDEN,
        ctx.lang.t(T::Forbidden),
        ctx.lang.t(T::AdminOnly),
    )
}

pub(crate) fn csrf_failed(ctx: &Ctx) -> Response {
    message_page(
        ctx,
        StatusCode::FORBIDDEN,
        ctx.lang.t(T::CsrfFailed),
        ctx.lang.t(T::CsrfFailedText),
    )
}

/// 400: a field over its limit, named with its limit.
pub(crate) fn too_long(ctx: &Ctx, e: &TooLong) -> Response {
    let lang = ctx.lang;
    let field = match e.label.map(|l| lang.t(l)) {
        Some(label) => format!("{label} ({})", e.field),
        None => format!("“{}”", e.field),
    };
    let text = lang.t_args(
        T::TooLong,
        &[("field", &field), ("max", &e.max_chars.to_string())],
    );
    message_page(ctx, StatusCode::BAD_REQUEST, lang.t(T::InvalidInput), &text)
}

/// 413: an image file over 2 MB (`size` when known) or a multipart body
/// over [`crate::web::MAX_BODY`].
pub(crate) fn file_too_large(ctx: &Ctx, size: Option<usize>) -> Response {
    let lang = ctx.lang;
    let max = (limits::MAX_IMAGE_BYTES / (1024 * 1024)).to_string();
    let text = match size {
        Some(size) => lang.t_args(
            T::FileTooLargeSize,
            &[("max", &max), ("size", &size.to_string())],
        ),
        None => lang.t_args(T::FileTooLarge, &[("max", &max)]),
    };
    message_page(
        ctx,
        StatusCode::PAYLOAD_TOO_LARGE,
        lang.t(T::InvalidInput),
        &text,
    )
}

/// 413: a URL-encoded form over [`limits::MAX_FORM_BYTES`].
pub(crate) fn form_too_large(ctx: &Ctx) -> Response {
    let lang = ctx.lang;
    let max = (limits::MAX_FORM_BYTES / 1024).to_string();
    let text = lang.t_args(T::FormTooLarge, &[("max", &max)]);
    message_page(
        ctx,
        StatusCode::PAYLOAD_TOO_LARGE,
        lang.t(T::InvalidInput),
        &text,
    )
}

/// 414: a path and query over [`limits::MAX_TARGET_BYTES`].
pub(crate) fn target_too_long(lang: Lang) -> Response {
    let ctx = bare_ctx(lang);
    let max = limits::MAX_TARGET_BYTES.to_string();
    let text = lang.t_args(T::UrlTooLong, &[("max", &max)]);
    message_page(
        &ctx,
        StatusCode::URI_TOO_LONG,
        lang.t(T::InvalidInput),
        &text,
    )
}

fn bare_ctx(lang: Lang) -> Ctx {
    Ctx {
        lang,
        session: None,
        here: "/".into(),
        address: String::new(),
        login_token: None,
        zone: jiff::tz::TimeZone::UTC,
    }
}

/// The 500 page, without any detail of the error.
pub(crate) fn server_error(lang: Lang) -> Response {
    let ctx = bare_ctx(lang);
    message_page(
        &ctx,
        StatusCode::INTERNAL_SERVER_ERROR,
        lang.t(T::ServerError),
        lang.t(T::ServerErrorText),
    )
}

/// Problems as a list: each with its field path.
pub(crate) fn problems(title: &str, items: &[(String, String)], class: &str) -> Markup {
    html! {
        @if !items.is_empty() {
            div class={ "notice " (class) } role=(if class == "error" { "alert" } else { "status" }) {
                p { strong { (title) } }
                ul {
                    @for (path, message) in items {
                        li {
                            @if !path.is_empty() { code { (path) } ": " }
                            (message)
                        }
                    }
                }
            }
        }
    }
}

pub(crate) fn login(ctx: &Ctx, token: &str, next: &str, error: Option<&str>) -> Markup {
    let lang = ctx.lang;
    page(
        ctx,
        lang.t(T::SignIn),
        html! {
            @if let Some(error) = error {
                p.notice.error role="alert" #login-error { (error) }
            }
            form.card method="post" action="/login" {
                input type="hidden" name=(CSRF_FIELD) value=(token);
                input type="hidden" name="next" value=(next);
                label for="username" { (lang.t(T::Username)) }
                input #username type="text" name="username" autocomplete="username" required autofocus maxlength=(limits::MAX_USERNAME_CHARS);
                label for="password" { (lang.t(T::Password)) }
                input #password type="password" name="password" autocomplete="current-password" required maxlength=(limits::MAX_PASSWORD_CHARS);
                button type="submit" { (lang.t(T::SignIn)) }
            }
        },
    )
}

pub(crate) fn search_form(ctx: &Ctx, order_id: &str, payment_type: &str) -> Markup {
    let lang = ctx.lang;
    html! {
        form.card.search method="get" action="/order" role="search" {
            div.field {
                label for="order_id" { (lang.t(T::OrderId)) }
                input #order_id type="text" name="order_id" value=(order_id) required maxlength="128" aria-describedby="order_id_hint";
                small #order_id_hint { (lang.t(T::OrderIdHint)) }
            }
            div.field {
                label for="payment_type" { (lang.t(T::PaymentType)) }
                select #payment_type name="payment_type" {
                    option value="ecom" selected[payment_type != "recurring"] { (lang.t(T::PaymentEcom)) }
                    option value="recurring" selected[payment_type == "recurring"] { (lang.t(T::PaymentRecurring)) }
                }
            }
            button type="submit" { (lang.t(T::Search)) }
        }
    }
}

/// A page listing problems (each with its field path) and a link home.
pub(crate) fn problems_page(
    ctx: &Ctx,
    status: StatusCode,
    title: &str,
    items: &[(String, String)],
) -> Response {
    respond(
        status,
        page(
            ctx,
            title,
            html! { (problems(title, items, "error")) p { a href="/" { (ctx.lang.t(T::NavOrders)) } } },
        ),
    )
}
