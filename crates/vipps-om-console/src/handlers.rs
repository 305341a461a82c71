//! One function per route. Every handler that changes something takes
//! [`Signed`] and calls [`Signed::require_editor`] first; the CSRF token
//! was checked by the guard before any handler runs.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use vipps_om::summary::OrderSummary;
use vipps_om::{Category, CategoryType, Error, ImageId, OrderId, PaymentType, Validate};
use vipps_om_outbox::{JobId, JobState};

use crate::auth::random_token;
use crate::i18n::{Lang, T};
use crate::store::NewAudit;
use crate::uploads::PendingUpload;
use crate::views::{self, csrf, page, problems, respond};
use crate::web::{Ctx, Signed, local_path, set_cookie};
use crate::{AppState, store};

type St = State<Arc<AppState>>;

const STYLESHEET: &str = include_str!("../static/console.css");

pub(crate) async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

pub(crate) async fn not_found(ctx: Ctx) -> Response {
    views::message_page(
        &ctx,
        StatusCode::NOT_FOUND,
        ctx.lang.t(T::NotFound),
        ctx.lang.t(T::NotFound),
    )
}

#[derive(Deserialize)]
pub(crate) struct Back {
    back: Option<String>,
}

pub(crate) async fn set_lang(
    State(state): St,
    Path(code): Path<String>,
    Query(q): Query<Back>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::En);
    let back = q
        .back
        .as_deref()
        .and_then(local_path)
        .unwrap_or("/")
        .to_owned();
    let mut response = Redirect::to(&back).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, "console_lang", lang.code(), Some(365 * 24 * 3600)),
    );
    response
}

pub(crate) async fn audit(state: &AppState, entry: NewAudit<'_>) {
    if let Err(e) = state.store.audit(&entry).await {
        tracing::error!(error = %e, action = entry.action, "could not write the audit log");
    }
}

pub(crate) fn internal(ctx: &Ctx, error: impl std::fmt::Display) -> Response {
    tracing::error!(error = %error, path = %ctx.here, "request failed");
    views::server_error(ctx.lang)
}

// ------------------------------------------------------------ orders

#[derive(Deserialize, Default)]
pub(crate) struct OrderQuery {
    #[serde(default)]
    order_id: String,
    #[serde(default)]
    payment_type: String,
}

fn payment_type(value: &str) -> PaymentType {
    if value.eq_ignore_ascii_case("recurring") {
        PaymentType::Recurring
    } else {
        PaymentType::Ecom
    }
}

fn pt_code(pt: &PaymentType) -> &'static str {
    pt.path_segment().unwrap_or("ecom")
}

fn order_query(order_id: &str, pt: &PaymentType) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("order_id", order_id)
        .append_pair("payment_type", pt_code(pt))
        .finish()
}

pub(crate) async fn home(signed: Signed) -> Response {
    let ctx = &signed.ctx;
    respond(
        StatusCode::OK,
        page(
            ctx,
            ctx.lang.t(T::FindOrder),
            views::search_form(ctx, "", "ecom"),
        ),
    )
}

pub(crate) async fn order(
    State(state): St,
    signed: Signed,
    Query(q): Query<OrderQuery>,
) -> Response {
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let pt = payment_type(&q.payment_type);
    let raw = q.order_id.trim();
    let search = views::search_form(ctx, raw, pt_code(&pt));
    if raw.is_empty() {
        return respond(StatusCode::OK, page(ctx, lang.t(T::FindOrder), search));
    }
    let order_id = match OrderId::new(raw) {
        Ok(id) => id,
        Err(e) => {
            return respond(
                StatusCode::BAD_REQUEST,
                page(
                    ctx,
                    lang.t(T::FindOrder),
                    html! { (search) (problems(lang.t(T::InvalidInput), &[("orderId".into(), e.to_string())], "error")) },
                ),
            );
        }
    };
    let fetched = state.client.orders().get(&pt, &order_id).await;
    let jobs = state
        .outbox
        .order_status(order_id.as_str())
        .await
        .map(|jobs| {
            let msn = state.client.merchant_serial_number().as_str();
            jobs.into_iter()
                .filter(|j| {
                    j.merchant_serial_number == msn
                        && j.payment_type.eq_ignore_ascii_case(pt.as_str())
                })
                .collect::<Vec<_>>()
        });
    let editor = signed.session.user.role == crate::Role::Editor;
    let q = order_query(order_id.as_str(), &pt);
    let body = html! {
        (search)
        p.order-id { (lang.t(T::Order)) " " code { (order_id.as_str()) } " · " (pt.as_str()) }
        @match &fetched {
            Ok(order) => (views::order_summary(lang, &OrderSummary::new(order))),
            Err(Error::NotFound { .. }) => section.card {
                p.notice.info role="status" { (lang.t(T::NotInApp)) " " (lang.t(T::TryOtherType)) }
            },
            Err(e) => section.card {
                (problems(lang.t(T::ApiFailed), &std::iter::once((String::new(), e.to_string())).chain(e.field_problems()).collect::<Vec<_>>(), "error"))
            },
        }
        @match &jobs {
            Ok(jobs) => (views::history(ctx, jobs, editor)),
            Err(e) => section.card { (problems(lang.t(T::OutboxUnavailable), &[(String::new(), e.to_string())], "error")) },
        }
        section.card aria-labelledby="actions-title" {
            h2 #actions-title { (lang.t(T::EditorActions)) }
            @if editor {
                p.actions {
                    a.button href={ "/category?" (q) } { (lang.t(T::EditCategory)) }
                    a.button href={ "/image?" (q) } { (lang.t(T::UploadImage)) }
                }
            } @else {
                p.muted { (lang.t(T::ViewerNote)) }
            }
            p { a href={ "/audit?order_id=" (url::form_urlencoded::byte_serialize(order_id.as_str().as_bytes()).collect::<String>()) } { (lang.t(T::AuditOfOrder)) } }
        }
    };
    audit(
        &state,
        NewAudit {
            username: &signed.session.user.username,
            action: "order.view",
            order_id: Some(order_id.as_str()),
            payment_type: Some(pt.as_str()),
            detail: match &fetched {
                Ok(_) => "viewed the order",
                Err(Error::NotFound { .. }) => "looked for the order: not in the app",
                Err(_) => "looked for the order: the API could not be asked",
            },
            outcome: "ok",
        },
    )
    .await;
    respond(StatusCode::OK, page(ctx, order_id.as_str(), body))
}

// ------------------------------------------------------------ retry

async fn job_of_merchant(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
) -> Result<vipps_om_outbox::JobStatus, Response> {
    match state.outbox.job(JobId::new(id)).await {
        Ok(job) if job.merchant_serial_number == state.client.merchant_serial_number().as_str() => {
            Ok(job)
        }
        Ok(_) | Err(vipps_om_outbox::OutboxError::NoSuchJob(_)) => Err(views::message_page(
            ctx,
            StatusCode::NOT_FOUND,
            ctx.lang.t(T::NotFound),
            ctx.lang.t(T::NotFound),
        )),
        Err(e) => Err(internal(ctx, e)),
    }
}

fn back_to_order(lang: Lang, order_id: &str, pt: &str) -> maud::Markup {
    let pt = payment_type(pt);
    html! { p { a href={ "/order?" (order_query(order_id, &pt)) } { (lang.t(T::BackToOrder)) } } }
}

pub(crate) async fn retry_confirm(
    State(state): St,
    signed: Signed,
    Path(id): Path<i64>,
) -> Response {
    if let Err(r) = signed.require_editor() {
        return r;
    }
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let job = match job_of_merchant(&state, ctx, id).await {
        Ok(job) => job,
        Err(r) => return r,
    };
    let body = html! {
        section.card {
            p { (lang.t(T::Job)) " " (job.id.get()) ": " (job.kind.describe()) " · " (lang.t(T::Order)) " " code { (job.order_id) } }
            @if let Some(e) = &job.last_error { p.notice.error { (e) } }
            p { (lang.t(T::RetryExplain)) }
            form method="post" action={ "/jobs/" (job.id.get()) "/retry" } {
                (csrf(ctx))
                button type="submit" #confirm { (lang.t(T::Confirm)) }
                " "
                a href={ "/order?" (order_query(&job.order_id, &payment_type(&job.payment_type))) } { (lang.t(T::Cancel)) }
            }
        }
    };
    respond(StatusCode::OK, page(ctx, lang.t(T::RetryConfirm), body))
}

pub(crate) async fn retry(State(state): St, signed: Signed, Path(id): Path<i64>) -> Response {
    if let Err(r) = signed.require_editor() {
        return r;
    }
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let job = match job_of_merchant(&state, ctx, id).await {
        Ok(job) => job,
        Err(r) => return r,
    };
    let result = state.outbox.retry(JobId::new(id)).await;
    let detail = match &result {
        Ok(()) => format!("job {id} ({}) queued again", job.kind.describe()),
        Err(e) => format!("job {id} ({}) not retried: {e}", job.kind.describe()),
    };
    audit(
        &state,
        NewAudit {
            username: &signed.session.user.username,
            action: "job.retry",
            order_id: Some(&job.order_id),
            payment_type: Some(&job.payment_type),
            detail: &detail,
            outcome: if result.is_ok() { "ok" } else { "failed" },
        },
    )
    .await;
    let (status, body) = match result {
        Ok(()) => (
            StatusCode::OK,
            html! { p.notice.ok role="status" #result { (lang.t(T::RetryDone)) } },
        ),
        Err(vipps_om_outbox::OutboxError::WrongState { state: s, .. }) if s != JobState::Failed => {
            (
                StatusCode::CONFLICT,
                html! { p.notice.error role="alert" #result { (lang.t(T::RetryRefused)) ": " (s.as_str()) } },
            )
        }
        Err(e) => return internal(ctx, e),
    };
    respond(
        status,
        page(
            ctx,
            lang.t(T::Retry),
            html! { (body) (back_to_order(lang, &job.order_id, &job.payment_type)) },
        ),
    )
}

// ------------------------------------------------------------ category

#[derive(Deserialize)]
pub(crate) struct CategoryForm {
    order_id: String,
    payment_type: String,
    category: String,
    url: String,
    #[serde(default)]
    image_id: String,
}

const CATEGORIES: [CategoryType; 6] = [
    CategoryType::General,
    CategoryType::Receipt,
    CategoryType::OrderConfirmation,
    CategoryType::Delivery,
    CategoryType::Ticket,
    CategoryType::Booking,
];

fn category_fields(ctx: &Ctx, form: &CategoryForm) -> maud::Markup {
    let lang = ctx.lang;
    html! {
        input type="hidden" name="order_id" value=(form.order_id);
        input type="hidden" name="payment_type" value=(form.payment_type);
        div.field {
            label for="category" { (lang.t(T::Category)) }
            select #category name="category" {
                @for c in &CATEGORIES {
                    option value=(c.as_str()) selected[c.as_str() == form.category] { (c.button_label()) " (" (c.as_str()) ")" }
                }
            }
        }
        div.field {
            label for="url" { (lang.t(T::CategoryUrl)) }
            input #url type="url" name="url" value=(form.url) required maxlength="2048";
        }
        div.field {
            label for="image_id" { (lang.t(T::ImageIdOptional)) }
            input #image_id type="text" name="image_id" value=(form.image_id) maxlength="128";
        }
    }
}

fn category_edit_page(
    ctx: &Ctx,
    form: &CategoryForm,
    report: Option<&[(String, String)]>,
) -> Response {
    let lang = ctx.lang;
    let status = if report.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    respond(
        status,
        page(
            ctx,
            lang.t(T::EditCategory),
            html! {
                p { (lang.t(T::Order)) " " code { (form.order_id) } }
                @if let Some(items) = report { (problems(lang.t(T::FixProblems), items, "error")) }
                form.card method="post" action="/category/review" {
                    (csrf(ctx))
                    (category_fields(ctx, form))
                    button type="submit" { (lang.t(T::Review)) }
                }
                (back_to_order(lang, &form.order_id, &form.payment_type))
            },
        ),
    )
}

#[derive(Deserialize)]
pub(crate) struct OrderRef {
    order_id: String,
    #[serde(default)]
    payment_type: String,
    #[serde(default)]
    image_id: String,
}

pub(crate) async fn category_form(
    State(state): St,
    signed: Signed,
    Query(q): Query<OrderRef>,
) -> Response {
    if let Err(r) = signed.require_editor() {
        return r;
    }
    let pt = payment_type(&q.payment_type);
    let mut form = CategoryForm {
        order_id: q.order_id.clone(),
        payment_type: pt_code(&pt).to_owned(),
        category: CategoryType::Receipt.as_str().to_owned(),
        url: String::new(),
        image_id: q.image_id.clone(),
    };
    if let Ok(id) = OrderId::new(q.order_id.as_str())
        && let Ok(order) = state.client.orders().get(&pt, &id).await
        && let Some(current) = order.category
    {
        form.category = current.category.as_str().to_owned();
        form.url = current.order_details_url;
        if form.image_id.is_empty() {
            form.image_id = current.image_id.map(|i| i.to_string()).unwrap_or_default();
        }
    }
    category_edit_page(&signed.ctx, &form, None)
}

/// Order, payment type, category and warnings.
type ParsedCategory = (OrderId, PaymentType, Category, Vec<(String, String)>);

/// The category the form describes, or every problem with it.
fn parse_category(form: &CategoryForm) -> Result<ParsedCategory, Vec<(String, String)>> {
    let mut errors = Vec::new();
    let order_id = OrderId::new(form.order_id.trim())
        .map_err(|e| errors.push(("orderId".to_owned(), e.to_string())))
        .ok();
    let category: CategoryType = form
        .category
        .parse()
        .unwrap_or(CategoryType::Unknown(form.category.clone()));
    let image_id = match form.image_id.trim() {
        "" => None,
        id => ImageId::new(id)
            .map_err(|e| errors.push(("imageId".to_owned(), e.to_string())))
            .ok(),
    };
    let mut value = Category::new(category, form.url.trim());
    value.image_id = image_id;
    let report = value.validate();
    for p in report.errors() {
        errors.push((p.path.clone(), p.message.clone()));
    }
    let warnings: Vec<(String, String)> = report
        .warnings()
        .map(|p| (p.path.clone(), p.message.clone()))
        .collect();
    match order_id {
        Some(order_id) if errors.is_empty() => {
            Ok((order_id, payment_type(&form.payment_type), value, warnings))
        }
        _ => Err(errors),
    }
}

/// The category form of a review or an apply: editors only, checked the
/// same way both times (the apply step trusts nothing from the review).
fn editor_category(signed: &Signed, form: &CategoryForm) -> Result<ParsedCategory, Response> {
    signed.require_editor()?;
    parse_category(form).map_err(|errors| category_edit_page(&signed.ctx, form, Some(&errors)))
}

pub(crate) async fn category_review(
    State(state): St,
    signed: Signed,
    Form(form): Form<CategoryForm>,
) -> Response {
    let (order_id, pt, category, warnings) = match editor_category(&signed, &form) {
        Ok(parsed) => parsed,
        Err(r) => return r,
    };
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let current = state
        .client
        .orders()
        .get(&pt, &order_id)
        .await
        .ok()
        .and_then(|o| o.category);
    let new_summary = OrderSummary::new(&vipps_om::OrderV2Response::new(
        Some(category.clone()),
        None,
    ));
    let body = html! {
        p { (lang.t(T::Order)) " " code { (order_id.as_str()) } " · " (pt.as_str()) }
        @if let Some(current) = &current {
            p { (lang.t(T::ReplacesCurrent)) " " strong { (current.category.button_label()) } " → " code { (current.order_details_url) } }
        }
        (views::order_summary(lang, &new_summary))
        (problems(lang.t(T::Warnings), &warnings, "warn"))
        form.card method="post" action="/category/apply" {
            (csrf(ctx))
            input type="hidden" name="order_id" value=(form.order_id);
            input type="hidden" name="payment_type" value=(pt_code(&pt));
            input type="hidden" name="category" value=(category.category.as_str());
            input type="hidden" name="url" value=(category.order_details_url);
            input type="hidden" name="image_id" value=(form.image_id.trim());
            button type="submit" #confirm { (lang.t(T::Confirm)) }
            " "
            a href={ "/order?" (order_query(order_id.as_str(), &pt)) } { (lang.t(T::Cancel)) }
        }
    };
    respond(StatusCode::OK, page(ctx, lang.t(T::ReviewCategory), body))
}

pub(crate) async fn category_apply(
    State(state): St,
    signed: Signed,
    Form(form): Form<CategoryForm>,
) -> Response {
    let (order_id, pt, category, _) = match editor_category(&signed, &form) {
        Ok(parsed) => parsed,
        Err(r) => return r,
    };
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let result = state
        .client
        .categories()
        .set(&pt, &order_id, &category)
        .await;
    let detail = format!(
        "category {} → {}{}{}",
        category.category.as_str(),
        category.order_details_url,
        category
            .image_id
            .as_ref()
            .map(|_| " with image ")
            .unwrap_or(""),
        category
            .image_id
            .as_ref()
            .map(|i| i.to_string())
            .unwrap_or_default(),
    );
    audit(
        &state,
        NewAudit {
            username: &signed.session.user.username,
            action: "category.set",
            order_id: Some(order_id.as_str()),
            payment_type: Some(pt.as_str()),
            detail: &match &result {
                Ok(_) => detail,
                Err(e) => format!("{detail}: {}", e.to_string().lines().next().unwrap_or("")),
            },
            outcome: if result.is_ok() { "ok" } else { "failed" },
        },
    )
    .await;
    let (status, body) = match &result {
        Ok(_) => (
            StatusCode::OK,
            html! { p.notice.ok role="status" #result { (lang.t(T::CategorySet)) } },
        ),
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            problems(
                lang.t(T::ActionFailed),
                &std::iter::once((String::new(), e.to_string()))
                    .chain(e.field_problems())
                    .collect::<Vec<_>>(),
                "error",
            ),
        ),
    };
    respond(
        status,
        page(
            ctx,
            lang.t(T::EditCategory),
            html! { (body) (back_to_order(lang, order_id.as_str(), pt_code(&pt))) },
        ),
    )
}

// ------------------------------------------------------------ images

pub(crate) async fn image_form(signed: Signed, Query(q): Query<OrderRef>) -> Response {
    if let Err(r) = signed.require_editor() {
        return r;
    }
    image_form_page(&signed.ctx, &q.order_id, &q.payment_type, "", None)
}

fn image_form_page(
    ctx: &Ctx,
    order_id: &str,
    pt: &str,
    image_id: &str,
    report: Option<&[(String, String)]>,
) -> Response {
    let lang = ctx.lang;
    respond(
        if report.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        page(
            ctx,
            lang.t(T::UploadImage),
            html! {
                @if let Some(items) = report { (problems(lang.t(T::FixProblems), items, "error")) }
                form.card method="post" action="/image/review" enctype="multipart/form-data" {
                    (csrf(ctx))
                    input type="hidden" name="order_id" value=(order_id);
                    input type="hidden" name="payment_type" value=(pt);
                    div.field {
                        label for="file" { (lang.t(T::ImageFile)) }
                        input #file type="file" name="file" accept="image/png,image/jpeg" required;
                    }
                    div.field {
                        label for="image_id" { (lang.t(T::ImageIdChoice)) }
                        input #image_id type="text" name="image_id" value=(image_id) maxlength="128";
                    }
                    button type="submit" { (lang.t(T::Review)) }
                }
                @if !order_id.is_empty() { (back_to_order(lang, order_id, pt)) }
            },
        ),
    )
}

pub(crate) async fn image_review(
    State(state): St,
    signed: Signed,
    mut multipart: Multipart,
) -> Response {
    if let Err(r) = signed.require_editor() {
        return r;
    }
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let (mut order_id, mut pt, mut image_id, mut bytes) =
        (String::new(), String::new(), String::new(), Vec::new());
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                match name.as_str() {
                    "file" => match field.bytes().await {
                        Ok(b) => bytes = b.to_vec(),
                        Err(_) => {
                            return image_form_page(
                                ctx,
                                &order_id,
                                &pt,
                                &image_id,
                                Some(&[("file".into(), "the file could not be read".into())]),
                            );
                        }
                    },
                    "order_id" => order_id = field.text().await.unwrap_or_default(),
                    "payment_type" => pt = field.text().await.unwrap_or_default(),
                    "image_id" => {
                        image_id = field.text().await.unwrap_or_default().trim().to_owned()
                    }
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                return image_form_page(
                    ctx,
                    &order_id,
                    &pt,
                    &image_id,
                    Some(&[(String::new(), e.body_text())]),
                );
            }
        }
    }
    let report = vipps_om::validate::validate_image_bytes(&bytes, "file");
    let mut errors: Vec<(String, String)> = report
        .errors()
        .map(|p| (p.path.clone(), p.message.clone()))
        .collect();
    let id = if image_id.is_empty() {
        Some(ImageId::from_content(&bytes))
    } else {
        ImageId::new(image_id.as_str())
            .map_err(|e| errors.push(("imageId".into(), e.to_string())))
            .ok()
    };
    let (Some(id), true) = (id, errors.is_empty()) else {
        return image_form_page(ctx, &order_id, &pt, &image_id, Some(&errors));
    };
    let facts = vipps_om::image::ImageFacts::inspect(&bytes).ok();
    let warnings: Vec<(String, String)> = report
        .warnings()
        .map(|p| (p.path.clone(), p.message.clone()))
        .collect();
    let upload_id = match random_token() {
        Ok(t) => t,
        Err(e) => return internal(ctx, e),
    };
    let size = bytes.len();
    state.uploads.insert(
        upload_id.clone(),
        PendingUpload {
            user_id: signed.session.user.id,
            image_id: id.clone(),
            bytes: Arc::new(bytes),
            order_id: order_id.clone(),
            payment_type: pt.clone(),
        },
    );
    let body = html! {
        dl.facts {
            dt { (lang.t(T::ImageId)) } dd { code #image-id { (id.as_str()) } }
            dt { (lang.t(T::ImageFacts)) }
            dd {
                @if let Some(f) = &facts { (f.format.mime()) ", " (f.width) "×" (f.height) " px, " }
                (size) " bytes"
            }
        }
        (problems(lang.t(T::Warnings), &warnings, "warn"))
        form.card method="post" action="/image/apply" {
            (csrf(ctx))
            input type="hidden" name="upload" value=(upload_id);
            button type="submit" #confirm { (lang.t(T::Upload)) }
            " "
            @if order_id.is_empty() { a href="/" { (lang.t(T::Cancel)) } }
            @else { a href={ "/order?" (order_query(&order_id, &payment_type(&pt))) } { (lang.t(T::Cancel)) } }
        }
    };
    respond(StatusCode::OK, page(ctx, lang.t(T::ReviewImage), body))
}

#[derive(Deserialize)]
pub(crate) struct ApplyUpload {
    upload: String,
}

pub(crate) async fn image_apply(
    State(state): St,
    signed: Signed,
    Form(form): Form<ApplyUpload>,
) -> Response {
    if let Err(r) = signed.require_editor() {
        return r;
    }
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let Some(pending) = state.uploads.take(&form.upload, signed.session.user.id) else {
        return views::message_page(
            ctx,
            StatusCode::GONE,
            lang.t(T::ActionFailed),
            lang.t(T::UploadExpired),
        );
    };
    let image = vipps_om::Image::from_bytes(pending.image_id.clone(), &pending.bytes);
    let result = state.client.images().upload(&image).await;
    let order = (!pending.order_id.is_empty()).then_some(pending.order_id.as_str());
    let pt = payment_type(&pending.payment_type);
    let (outcome, detail, notice) = match &result {
        Ok(_) => (
            "ok",
            format!(
                "image {} uploaded ({} bytes)",
                pending.image_id,
                pending.bytes.len()
            ),
            Ok(lang.t(T::ImageUploaded)),
        ),
        Err(Error::ImageAlreadyExists { .. }) => (
            "ok",
            format!("image {} was already uploaded", pending.image_id),
            Ok(lang.t(T::ImageAlready)),
        ),
        Err(e) => (
            "failed",
            format!(
                "image {}: {}",
                pending.image_id,
                e.to_string().lines().next().unwrap_or("")
            ),
            Err(e),
        ),
    };
    audit(
        &state,
        NewAudit {
            username: &signed.session.user.username,
            action: "image.upload",
            order_id: order,
            payment_type: order.map(|_| pt.as_str()),
            detail: &detail,
            outcome,
        },
    )
    .await;
    let q = order_query(&pending.order_id, &pt);
    let image_q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("image_id", pending.image_id.as_str())
        .finish();
    let body = match notice {
        Ok(text) => html! {
            p.notice.ok role="status" #result { (text) " " code { (pending.image_id.as_str()) } }
            @if let Some(order) = order {
                p.actions { a.button href={ "/category?" (q) "&" (image_q) } { (lang.t(T::UseInCategory)) } }
                (back_to_order(lang, order, pt_code(&pt)))
            }
        },
        Err(e) => html! {
            (problems(lang.t(T::ActionFailed), &std::iter::once((String::new(), e.to_string())).chain(e.field_problems()).collect::<Vec<_>>(), "error"))
            @if let Some(order) = order { (back_to_order(lang, order, pt_code(&pt))) }
        },
    };
    let status = if result.is_ok() || matches!(result, Err(Error::ImageAlreadyExists { .. })) {
        StatusCode::OK
    } else {
        StatusCode::BAD_GATEWAY
    };
    respond(status, page(ctx, lang.t(T::UploadImage), body))
}

// ------------------------------------------------------------ audit

#[derive(Deserialize)]
pub(crate) struct AuditQuery {
    order_id: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

pub(crate) async fn audit_page(
    State(state): St,
    signed: Signed,
    Query(q): Query<AuditQuery>,
) -> Response {
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let order = q
        .order_id
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    let row = |v: &Option<String>| v.as_deref().map(|v| v.trim().parse::<i64>());
    let cursor = match (row(&q.before), row(&q.after)) {
        (None, None) => store::AuditCursor::Newest,
        (Some(Ok(id)), None) => store::AuditCursor::Before(id),
        (None, Some(Ok(id))) => store::AuditCursor::After(id),
        _ => {
            return views::message_page(
                ctx,
                StatusCode::BAD_REQUEST,
                lang.t(T::InvalidInput),
                lang.t(T::AuditCursorBad),
            );
        }
    };
    match state
        .store
        .audit_page(order, cursor, crate::limits::AUDIT_PAGE_ROWS)
        .await
    {
        Ok(audit) => respond(
            StatusCode::OK,
            page(
                ctx,
                lang.t(T::AuditTitle),
                html! {
                    p { (lang.t(T::AuditExplain)) }
                    @if let Some(order) = order { p { (lang.t(T::Order)) " " code { (order) } " · " a href="/audit" { (lang.t(T::AuditTitle)) } } }
                    (views::audit_table(lang, &audit.entries))
                    (views::audit_pager(lang, order, &audit))
                },
            ),
        ),
        Err(e) => internal(ctx, e),
    }
}
