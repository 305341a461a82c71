//! Server-rendered pages (maud: every interpolated value is escaped; no
//! `PreEscaped` is used on any data).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use vipps_om::summary::{LineSummary, OrderSummary, ReceiptSummary};
use vipps_om::{Amount, Currency, Total};
use vipps_om_outbox::{JobState, JobStatus, Timestamp};

use crate::i18n::{Lang, T};
use crate::limits::{self, TooLong};
use crate::store::{AuditEntry, AuditPage, Role};
use crate::web::{CSRF_FIELD, Ctx};

/// A full page with the header, navigation and language switch.
pub(crate) fn page(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let lang = ctx.lang;
    let other = lang.other();
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
                            a href="/" { (lang.t(T::NavOrders)) }
                            a href="/audit" { (lang.t(T::NavAudit)) }
                        }
                        span.who {
                            (lang.t(T::SignedInAs)) " " strong { (session.user.username) }
                            " (" (role_name(lang, session.user.role)) ")"
                        }
                        form.inline method="post" action="/logout" {
                            (csrf(ctx))
                            button type="submit" { (lang.t(T::SignOut)) }
                        }
                    }
                    a.lang href={ "/lang/" (other.code()) "?back=" (back) } lang=(other.code()) hreflang=(other.code()) {
                        (other.name())
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
    let label = e.label.map(|l| lang.t(l)).unwrap_or("");
    let text = format!(
        "{label}{open}{field}{close}: {} {} {}. {}",
        lang.t(T::TooLongAtMost),
        e.max_chars,
        lang.t(T::Characters),
        lang.t(T::ShortenAndRetry),
        open = if label.is_empty() { "“" } else { " (" },
        close = if label.is_empty() { "”" } else { ")" },
        field = e.field,
    );
    message_page(ctx, StatusCode::BAD_REQUEST, lang.t(T::InvalidInput), &text)
}

/// 413: an image file over 2 MB (`size` when known) or a multipart body
/// over [`crate::web::MAX_BODY`].
pub(crate) fn file_too_large(ctx: &Ctx, size: Option<usize>) -> Response {
    let lang = ctx.lang;
    let mut text = format!(
        "{}: {} {} MB",
        lang.t(T::ImageFileShort),
        lang.t(T::TooLargeAtMost),
        limits::MAX_IMAGE_BYTES / (1024 * 1024)
    );
    if let Some(size) = size {
        text.push_str(&format!(" ({} {size} bytes)", lang.t(T::ThisFileIs)));
    }
    text.push_str(". ");
    text.push_str(lang.t(T::ChooseSmaller));
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
    let text = format!(
        "{} {} KB.",
        lang.t(T::FormTooLarge),
        limits::MAX_FORM_BYTES / 1024
    );
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
    let text = format!(
        "{} {} bytes.",
        lang.t(T::UrlTooLong),
        limits::MAX_TARGET_BYTES
    );
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

/// Whether a link from API data may be made clickable.
pub(crate) fn web_link(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.has_host())
}

/// An amount or a sum; a sum too large to compute shows a marker, never a
/// wrong number.
fn money(amount: impl Into<Total>, currency: &Currency) -> String {
    amount.into().display(currency)
}

fn lines_table(lang: Lang, caption: &str, lines: &[LineSummary], currency: &Currency) -> Markup {
    html! {
        @if !lines.is_empty() {
            div.scroll {
                table {
                    caption { (caption) }
                    thead { tr {
                        th scope="col" { (lang.t(T::Product)) }
                        th scope="col" .num { (lang.t(T::Quantity)) }
                        th scope="col" .num { (lang.t(T::UnitPrice)) }
                        th scope="col" .num { (lang.t(T::Discount)) }
                        th scope="col" .num { (lang.t(T::TaxRate)) }
                        th scope="col" .num { (lang.t(T::Total)) }
                    } }
                    tbody {
                        @for line in lines {
                            tr {
                                td {
                                    @if let Some(url) = line.product_url.as_deref().filter(|u| web_link(u)) {
                                        a href=(url) rel="noopener noreferrer" target="_blank" { (line.name) }
                                    } @else {
                                        (line.name)
                                    }
                                    br; small.muted { (line.id) }
                                }
                                td.num { (line.quantity) " " (line.unit.as_str().to_lowercase()) }
                                td.num { @if let Some(p) = line.unit_price { (money(p, currency)) } }
                                td.num { @if let Some(d) = line.discount { "−" (money(d, currency)) } }
                                td.num { @match line.tax_rate { Some(r) => (r.to_string()), None => (lang.t(T::NoRate)) } }
                                td.num { (money(line.total, currency)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn receipt_view(lang: Lang, r: &ReceiptSummary) -> Markup {
    let c = &r.currency;
    html! {
        (lines_table(lang, lang.t(T::Items), &r.items, c))
        (lines_table(lang, lang.t(T::Shipping), &r.shipping, c))
        (lines_table(lang, lang.t(T::Returns), &r.returns, c))
        div.scroll {
            table.totals {
                caption { (lang.t(T::TotalsPerRate)) }
                thead { tr {
                    th scope="col" { (lang.t(T::TaxRate)) }
                    th scope="col" .num { (lang.t(T::ExclTax)) }
                    th scope="col" .num { (lang.t(T::Tax)) }
                    th scope="col" .num { (lang.t(T::InclTax)) }
                } }
                tbody {
                    @for t in &r.tax_totals {
                        tr {
                            th scope="row" { @match t.rate { Some(rate) => (rate.to_string()), None => (lang.t(T::NoRate)) } }
                            td.num { (money(t.excluding_tax, c)) }
                            td.num { (money(t.tax, c)) }
                            td.num { (money(t.total, c)) }
                        }
                    }
                }
                tfoot { tr {
                    th scope="row" { (lang.t(T::Total)) }
                    td.num {}
                    td.num { (money(r.total_tax, c)) }
                    td.num #order-total { (money(r.total, c)) }
                } }
            }
        }
        dl.facts {
            @if r.total_discount != Amount::ZERO {
                dt { (lang.t(T::TotalDiscount)) } dd { (money(r.total_discount, c)) }
            }
            @if let Some(tip) = r.tip { dt { (lang.t(T::Tip)) } dd { (money(tip, c)) } }
            @if let Some(n) = &r.receipt_number { dt { (lang.t(T::ReceiptNumber)) } dd #receipt-number { (n) } }
            @if let Some(pos) = &r.pos_id { dt { (lang.t(T::PosId)) } dd { (pos) } }
            @if let Some(b) = &r.barcode {
                dt { (lang.t(T::Barcode)) }
                dd #barcode { code { (b.data.as_deref().unwrap_or("")) } " (" (b.format.as_str()) ")" }
            }
            @if let Some(sources) = &r.payment_sources {
                @for (name, amount) in sources.entries() {
                    dt { (lang.t(T::PaidWith)) " " (name) } dd { (money(amount, c)) }
                }
            }
        }
    }
}

/// The order as the customer sees it.
pub(crate) fn order_summary(lang: Lang, summary: &OrderSummary) -> Markup {
    html! {
        section.card aria-labelledby="seen-title" {
            h2 #seen-title { (lang.t(T::AsCustomerSees)) }
            h3 { (lang.t(T::CategoryButton)) }
            @match &summary.category {
                None => p.muted { (lang.t(T::NoCategory)) },
                Some(button) => {
                    div.button-preview #category-button {
                        span.app-button { (button.label) }
                    }
                    dl.facts {
                        dt { (lang.t(T::Label)) } dd { (button.label) }
                        dt { (lang.t(T::Category)) } dd { code { (button.category.as_str()) } }
                        dt { (lang.t(T::Link)) }
                        dd #category-link {
                            @if web_link(&button.url) {
                                a href=(button.url) rel="noopener noreferrer" target="_blank" { (button.url) }
                            } @else {
                                code { (button.url) } " " span.warn { "(" (lang.t(T::NotAWebLink)) ")" }
                            }
                        }
                        dt { (lang.t(T::ImageId)) }
                        dd { @match &button.image_id { Some(id) => code { (id) }, None => span.muted { (lang.t(T::NoImage)) } } }
                    }
                }
            }
            h3 { (lang.t(T::OrderDetails)) }
            @match &summary.receipt {
                None => p.muted { (lang.t(T::NoReceipt)) },
                Some(r) => (receipt_view(lang, r)),
            }
        }
    }
}

fn state_name(lang: Lang, state: JobState) -> &'static str {
    match state {
        JobState::Pending => lang.t(T::StatePending),
        JobState::InFlight => lang.t(T::StateInFlight),
        JobState::Delivered => lang.t(T::StateDelivered),
        JobState::Failed => lang.t(T::StateFailed),
    }
}

/// A time for people: `2025-11-25 15:56:00 UTC`.
pub(crate) fn when(t: Timestamp) -> String {
    let s = t.to_string();
    match (s.get(0..10), s.get(11..19)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => s,
    }
}

/// The delivery history of an order.
pub(crate) fn history(ctx: &Ctx, jobs: &[JobStatus], editor: bool) -> Markup {
    let lang = ctx.lang;
    html! {
        section.card aria-labelledby="history-title" {
            h2 #history-title { (lang.t(T::Deliveries)) }
            @if jobs.is_empty() {
                p.muted { (lang.t(T::NoDeliveries)) }
            }
            @for job in jobs {
                article class={ "job state-" (job.state.as_str()) } id={ "job-" (job.id.get()) } {
                    h3 {
                        (lang.t(T::Job)) " " (job.id.get()) ": " (job.kind.describe())
                        " — " span.badge { (state_name(lang, job.state)) }
                    }
                    dl.facts {
                        dt { (lang.t(T::Attempts)) } dd { (job.attempts) }
                        dt { (lang.t(T::Created)) } dd { (when(job.created_at)) }
                        @if let Some(t) = job.delivered_at { dt { (lang.t(T::DeliveredAt)) } dd { (when(t)) } }
                        @if let Some(id) = &job.result_id { dt { "Id" } dd { code { (id) } } }
                        @if let Some(error) = &job.last_error {
                            dt { (lang.t(T::LastError)) }
                            dd.reason {
                                @for line in error.lines() { (line) br; }
                                @if let Some(status) = job.last_status { small.muted { "HTTP " (status) } }
                            }
                        }
                        dt { (lang.t(T::NextStep)) }
                        dd {
                            @match job.state {
                                JobState::Failed => (lang.t(T::NextFailed)),
                                JobState::Delivered => (lang.t(T::NextDone)),
                                JobState::InFlight => (lang.t(T::NextInFlight)),
                                JobState::Pending => {
                                    @if let Some(earlier) = job.blocked_by {
                                        (lang.t(T::NextBlocked)) " " a href={ "#job-" (earlier.get()) } { (lang.t(T::Job)) " " (earlier.get()) }
                                    } @else {
                                        (lang.t(T::NextPending))
                                        @if let Some(t) = job.next_attempt_at { " — " (lang.t(T::NextAttempt)) ": " (when(t)) }
                                    }
                                }
                            }
                        }
                    }
                    @if !job.problems.is_empty() {
                        (problems(lang.t(T::FieldsRejected), &job.problems.iter().map(|p| (p.path.clone(), p.reason.clone())).collect::<Vec<_>>(), "error"))
                    }
                    @if editor && job.state == JobState::Failed {
                        p { a.button href={ "/jobs/" (job.id.get()) "/retry" } { (lang.t(T::Retry)) } }
                    }
                }
            }
        }
    }
}

pub(crate) fn audit_table(lang: Lang, entries: &[AuditEntry]) -> Markup {
    html! {
        @if entries.is_empty() {
            p.muted { (lang.t(T::NoAudit)) }
        } @else {
            div.scroll {
                table #audit {
                    thead { tr {
                        th scope="col" { (lang.t(T::When)) }
                        th scope="col" { (lang.t(T::Who)) }
                        th scope="col" { (lang.t(T::Action)) }
                        th scope="col" { (lang.t(T::Order)) }
                        th scope="col" { (lang.t(T::Detail)) }
                        th scope="col" { (lang.t(T::Outcome)) }
                    } }
                    tbody {
                        @for e in entries {
                            tr {
                                td { (when(e.at)) }
                                td { (e.username) }
                                td { code { (e.action) } }
                                td {
                                    @if let Some(order) = &e.order_id {
                                        @let pt = e.payment_type.as_deref().unwrap_or("ecom").to_lowercase();
                                        @let q: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("order_id", order).append_pair("payment_type", &pt).finish();
                                        a href={ "/order?" (q) } { (order) }
                                    }
                                }
                                td { (e.detail) }
                                td class={ "outcome-" (e.outcome) } { (e.outcome) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Links to the newer and older pages of the audit log.
pub(crate) fn audit_pager(lang: Lang, order: Option<&str>, audit: &AuditPage) -> Markup {
    let link = |key: &str, id: i64| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(order) = order {
            q.append_pair("order_id", order);
        }
        q.append_pair(key, &id.to_string());
        format!("/audit?{}", q.finish())
    };
    let newer = audit
        .entries
        .first()
        .filter(|_| audit.has_newer)
        .map(|e| link("after", e.id));
    let older = audit
        .entries
        .last()
        .filter(|_| audit.has_older)
        .map(|e| link("before", e.id));
    html! {
        @if newer.is_some() || older.is_some() {
            nav.pager aria-label=(lang.t(T::AuditPages)) {
                @if let Some(href) = &newer { a #newer rel="prev" href=(href) { "← " (lang.t(T::NewerEntries)) } }
                " "
                @if let Some(href) = &older { a #older rel="next" href=(href) { (lang.t(T::OlderEntries)) " →" } }
            }
        }
    }
}
