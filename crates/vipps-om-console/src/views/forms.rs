//! The editors' forms and their results: retry, category link, image.

use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use vipps_om::summary::OrderSummary;
use vipps_om::{Category, CategoryType, ImageId, OrderId, PaymentType};
use vipps_om_outbox::{JobStatus, OutboxError};

use super::order::Jobs;

use super::order::{deliveries, order_summary};
use super::{csrf, page, problems, respond};
use crate::delivery::{OrderKey, Queued};
use crate::i18n::{Lang, T};
use crate::links::order_query;
use crate::links::{payment_type, pt_code};
use crate::pages::category::CategoryForm;
use crate::web::Ctx;

/// The link back to an order's page.
pub(crate) fn back_to_order(lang: Lang, order_id: &str, pt: &str) -> Markup {
    let pt = payment_type(pt);
    html! { p { a href={ "/order?" (order_query(order_id, &pt)) } { (lang.t(T::BackToOrder)) } } }
}

/// A form page: 200, or 422 with the problems of the last try above it.
fn form_page(ctx: &Ctx, title: T, report: Option<&[(String, String)]>, form: Markup) -> Response {
    let lang = ctx.lang;
    let status = if report.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = html! {
        @if let Some(items) = report { (problems(lang.t(T::FixProblems), items, "error")) }
        (form)
    };
    respond(status, page(ctx, lang.t(title), body))
}

/// What the outbox was told, job by job, and that the worker delivers it.
fn queued_notice(ctx: &Ctx, text: T, queued: &Queued) -> Markup {
    let lang = ctx.lang;
    html! {
        p.notice.ok role="status" #result { (lang.t(text)) }
        p.muted { (lang.t(T::WorkerNote)) }
        p { (lang.t(T::QueuedHow)) " " span #queued { (queued_text(lang, queued)) } }
        @if !queued.moved.is_empty() {
            p { (lang.t(T::MovedBehindImage)) " "
                @for (old, new) in &queued.moved { (lang.t(T::Job)) " " (old.get()) " → " a href={ "#job-" (new.get()) } { (lang.t(T::Job)) " " (new.get()) } " " }
            }
        }
    }
}

/// What the outbox was told, in the page's language (the audit log
/// keeps [`Queued::describe`]).
fn queued_text(lang: Lang, queued: &Queued) -> String {
    let ids = |ids: &[vipps_om_outbox::JobId]| {
        ids.iter()
            .map(|id| id.get().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !queued.updated.is_empty() {
        parts.push(lang.t_args(T::Updated, &[("jobs", &ids(&queued.updated))]));
    }
    if !queued.retried.is_empty() {
        parts.push(lang.t_args(T::RetriedJob, &[("jobs", &ids(&queued.retried))]));
    }
    for (old, new) in &queued.moved {
        parts.push(lang.t_args(
            T::MovedJob,
            &[
                ("old", &old.get().to_string()),
                ("new", &new.get().to_string()),
            ],
        ));
    }
    if let Some(id) = queued.enqueued {
        parts.push(lang.t_args(T::EnqueuedJob, &[("job", &id.get().to_string())]));
    }
    parts.join("; ")
}

// ------------------------------------------------------------ retry

pub(crate) fn retry_confirm(ctx: &Ctx, job: &JobStatus, image: Option<&str>) -> Markup {
    let lang = ctx.lang;
    let body = html! {
        section.card {
            p { (lang.t(T::Job)) " " (job.id.get()) ": " (lang.job_kind(job.kind)) " · " (lang.t(T::Order)) " " code { (job.order_id) }
                " · " (lang.t(T::JobMerchant)) " " code #job-merchant { (job.merchant_serial_number) } }
            @if let Some(cause) = super::order::cause(job, image) {
                (super::order::cause_and_fix(ctx, job, &cause, true))
            }
            @if let Some(e) = &job.last_error { p.muted { (lang.t(T::TechnicalDetail)) ": " (e) } }
            p { (lang.t(T::RetryExplain)) }
            form method="post" action={ "/jobs/" (job.id.get()) "/retry" } {
                (csrf(ctx))
                button type="submit" #confirm { (lang.t(T::Confirm)) }
                " "
                a href={ "/order?" (order_query(&job.order_id, &payment_type(&job.payment_type))) } { (lang.t(T::Cancel)) }
            }
        }
    };
    page(ctx, lang.t(T::RetryConfirm), body)
}

pub(crate) fn retry_refused(ctx: &Ctx, job: &JobStatus) -> Markup {
    let lang = ctx.lang;
    page(
        ctx,
        lang.t(T::Retry),
        html! {
            p.notice.error role="alert" #result { (lang.t(T::RetryRefused)) ": " (super::order::state_name(lang, job.state)) }
            (back_to_order(lang, &job.order_id, &job.payment_type))
        },
    )
}

pub(crate) fn retry_done(ctx: &Ctx, job: &JobStatus, queued: &Queued) -> Markup {
    let lang = ctx.lang;
    page(
        ctx,
        lang.t(T::Retry),
        html! {
            (queued_notice(ctx, T::RetryDone, queued))
            (back_to_order(lang, &job.order_id, &job.payment_type))
        },
    )
}

// ------------------------------------------------------------ category

/// The categories an editor can choose, in the order the form lists them.
pub(crate) const CATEGORIES: [CategoryType; 6] = [
    CategoryType::General,
    CategoryType::Receipt,
    CategoryType::OrderConfirmation,
    CategoryType::Delivery,
    CategoryType::Ticket,
    CategoryType::Booking,
];

fn category_fields(ctx: &Ctx, form: &CategoryForm) -> Markup {
    let lang = ctx.lang;
    html! {
        input type="hidden" name="order_id" value=(form.order_id);
        input type="hidden" name="payment_type" value=(form.payment_type);
        div.field {
            label for="category" { (lang.t(T::Category)) }
            select #category name="category" {
                @for c in &CATEGORIES {
                    option value=(c.as_str()) selected[c.as_str() == form.category] { (lang.category_label(c)) " (" (c.as_str()) ")" }
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

/// The category form, with the problems of the last try.
pub(crate) fn category_edit(
    ctx: &Ctx,
    form: &CategoryForm,
    report: Option<&[(String, String)]>,
) -> Response {
    let lang = ctx.lang;
    form_page(
        ctx,
        T::EditCategory,
        report,
        html! {
            p { (lang.t(T::Order)) " " code { (form.order_id) } }
            form.card method="post" action="/category/review" {
                (csrf(ctx))
                (category_fields(ctx, form))
                button type="submit" { (lang.t(T::Review)) }
            }
            (back_to_order(lang, &form.order_id, &form.payment_type))
        },
    )
}

/// What the category review shows.
pub(crate) struct CategoryReview<'a> {
    pub(crate) order_id: &'a OrderId,
    pub(crate) payment_type: &'a PaymentType,
    pub(crate) category: &'a Category,
    /// The category the API has now.
    pub(crate) current: Option<&'a Category>,
    /// The new category as the customer will see it.
    pub(crate) preview: &'a OrderSummary,
    pub(crate) warnings: &'a [(String, String)],
}

pub(crate) fn category_review(ctx: &Ctx, r: &CategoryReview<'_>) -> Markup {
    let lang = ctx.lang;
    let pt = r.payment_type;
    let body = html! {
        p { (lang.t(T::Order)) " " code { (r.order_id.as_str()) } " · " (pt.as_str()) }
        @if let Some(current) = r.current {
            p { (lang.t(T::ReplacesCurrent)) " " strong { (lang.category_label(&current.category)) } " → " code { (current.order_details_url) } }
        }
        (order_summary(lang, r.preview))
        (problems(lang.t(T::Warnings), r.warnings, "warn"))
        p.muted { (lang.t(T::WorkerNote)) }
        form.card method="post" action="/category/apply" {
            (csrf(ctx))
            input type="hidden" name="order_id" value=(r.order_id.as_str());
            input type="hidden" name="payment_type" value=(pt_code(pt));
            input type="hidden" name="category" value=(r.category.category.as_str());
            input type="hidden" name="url" value=(r.category.order_details_url);
            input type="hidden" name="image_id" value=(r.category.image_id.as_ref().map(|i| i.as_str()).unwrap_or(""));
            button type="submit" #confirm { (lang.t(T::Confirm)) }
            " "
            a href={ "/order?" (order_query(r.order_id.as_str(), pt)) } { (lang.t(T::Cancel)) }
        }
    };
    page(ctx, lang.t(T::ReviewCategory), body)
}

/// The category fix is queued: what the outbox holds now.
pub(crate) fn category_queued(
    ctx: &Ctx,
    key: &OrderKey<'_>,
    queued: &Queued,
    jobs: &Result<Jobs, OutboxError>,
) -> Markup {
    let lang = ctx.lang;
    page(
        ctx,
        lang.t(T::EditCategory),
        html! {
            (queued_notice(ctx, T::CategoryQueued, queued))
            (deliveries(ctx, jobs, true))
            (back_to_order(lang, key.order_id.as_str(), pt_code(key.payment_type)))
        },
    )
}

// ------------------------------------------------------------ images

/// The image form's fields (the file aside).
pub(crate) struct ImageForm {
    pub(crate) order_id: String,
    pub(crate) payment_type: String,
    pub(crate) image_id: String,
}

/// The image form, with the problems of the last try.
pub(crate) fn image_form(
    ctx: &Ctx,
    form: &ImageForm,
    report: Option<&[(String, String)]>,
) -> Response {
    let lang = ctx.lang;
    form_page(
        ctx,
        T::UploadImage,
        report,
        html! {
            form.card method="post" action="/image/review" enctype="multipart/form-data" {
                (csrf(ctx))
                input type="hidden" name="order_id" value=(form.order_id);
                input type="hidden" name="payment_type" value=(form.payment_type);
                div.field {
                    label for="file" { (lang.t(T::ImageFile)) }
                    input #file type="file" name="file" accept="image/png,image/jpeg" required;
                }
                div.field {
                    label for="image_id" { (lang.t(T::ImageIdChoice)) }
                    input #image_id type="text" name="image_id" value=(form.image_id) maxlength="128";
                }
                button type="submit" { (lang.t(T::Review)) }
            }
            @if !form.order_id.is_empty() { (back_to_order(lang, &form.order_id, &form.payment_type)) }
        },
    )
}

/// What the image review shows.
pub(crate) struct ImageReview<'a> {
    pub(crate) form: &'a ImageForm,
    pub(crate) image_id: &'a ImageId,
    pub(crate) facts: Option<vipps_om::image::ImageFacts>,
    pub(crate) size: usize,
    pub(crate) warnings: &'a [(String, String)],
    /// The pending upload to confirm.
    pub(crate) upload_id: &'a str,
}

pub(crate) fn image_review(ctx: &Ctx, r: &ImageReview<'_>) -> Markup {
    let lang = ctx.lang;
    let body = html! {
        dl.facts {
            dt { (lang.t(T::ImageId)) } dd { code #image-id { (r.image_id.as_str()) } }
            dt { (lang.t(T::ImageFacts)) }
            dd {
                @if let Some(f) = &r.facts { (f.format.mime()) ", " (f.width) "×" (f.height) " px, " }
                (r.size) " " (lang.t(T::Bytes))
            }
        }
        (problems(lang.t(T::Warnings), r.warnings, "warn"))
        p.muted { (lang.t(T::WorkerNote)) }
        form.card method="post" action="/image/apply" {
            (csrf(ctx))
            input type="hidden" name="upload" value=(r.upload_id);
            button type="submit" #confirm { (lang.t(T::Upload)) }
            " "
            a href={ "/order?" (order_query(&r.form.order_id, &payment_type(&r.form.payment_type))) } { (lang.t(T::Cancel)) }
        }
    };
    page(ctx, lang.t(T::ReviewImage), body)
}

/// The image upload is queued: what the outbox holds now.
pub(crate) fn image_queued(
    ctx: &Ctx,
    key: &OrderKey<'_>,
    image_id: &ImageId,
    queued: &Queued,
    jobs: &Result<Jobs, OutboxError>,
) -> Markup {
    let lang = ctx.lang;
    let q = order_query(key.order_id.as_str(), key.payment_type);
    let image_q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("image_id", image_id.as_str())
        .finish();
    page(
        ctx,
        lang.t(T::UploadImage),
        html! {
            (queued_notice(ctx, T::ImageQueued, queued))
            p { (lang.t(T::ImageId)) " " code #image-id { (image_id.as_str()) } }
            @if !queued.failed_ahead.is_empty() {
                p.notice.info role="status" #failed-ahead { (lang.t(T::FailedNamesImage)) " "
                    @for id in &queued.failed_ahead { a href={ "/jobs/" (id.get()) "/retry" } { (lang.t(T::Job)) " " (id.get()) } " " }
                }
            }
            p.actions { a.button href={ "/category?" (q) "&" (image_q) } { (lang.t(T::UseInCategory)) } }
            (deliveries(ctx, jobs, true))
            (back_to_order(lang, key.order_id.as_str(), pt_code(key.payment_type)))
        },
    )
}
