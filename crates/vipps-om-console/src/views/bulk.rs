//! The review and result pages of a bulk retry.

use maud::{Markup, html};
use vipps_om_outbox::{JobId, JobStatus};

use super::csrf;
use super::order::state_name;
use crate::i18n::T;
use crate::limits::MAX_BULK_RETRY;
use crate::links::{order_query, payment_type};
use crate::pages::jobs::Raw;
use crate::web::Ctx;

/// What a review page shows.
pub(crate) struct Review<'a> {
    pub(crate) raw: &'a Raw,
    /// The highest id of the jobs reviewed.
    pub(crate) upto: Option<i64>,
    /// How many jobs match.
    pub(crate) count: usize,
    pub(crate) ticked: bool,
    /// The first of them (still failed).
    pub(crate) listed: &'a [JobStatus],
    /// The filter in words.
    pub(crate) filter: String,
    /// Over [`MAX_BULK_RETRY`].
    pub(crate) too_many: bool,
}

/// The hidden fields that carry a bulk form's choice to the next step.
fn carried(ctx: &Ctx, raw: &Raw, upto: Option<i64>) -> Markup {
    html! {
        (csrf(ctx))
        @if let (Some(upto), false) = (upto, raw.scope == "ticked") {
            input type="hidden" name="upto" value=(upto);
        }
        input type="hidden" name="scope" value=(if raw.scope == "ticked" { "ticked" } else { "filter" });
        @for (name, value) in raw.pairs(false) {
            input type="hidden" name=(name) value=(value);
        }
        @if raw.scope == "ticked" {
            @for id in &raw.ticked {
                input type="hidden" name="job" value=(id);
            }
        }
    }
}

pub(crate) fn review(ctx: &Ctx, r: &Review<'_>) -> Markup {
    let lang = ctx.lang;
    let back = format!("/jobs?{}", r.raw.query(&[]));
    super::page(
        ctx,
        lang.t(T::BulkTitle),
        html! {
            section.card #review {
                @if r.ticked {
                    p { (lang.t(T::BulkTickedWere)) }
                } @else {
                    p #bulk-filter { (lang.t(T::BulkFilterWas)) " " code { (r.filter) } }
                }
                @if r.too_many {
                    p.notice.error role="alert" #too-many {
                        (lang.t(T::BulkTooMany)) " " (MAX_BULK_RETRY) "."
                    }
                } @else if r.count == 0 {
                    p.notice.info role="status" #none { (lang.t(T::BulkNone)) }
                } @else {
                    p #count { strong { (r.count) } " " (lang.t(T::BulkWillRetry)) }
                    ul #listed {
                        @for job in r.listed {
                            li {
                                (lang.t(T::Job)) " " (job.id.get()) ": "
                                a href={ "/order?" (order_query(&job.order_id, &payment_type(&job.payment_type))) } { (job.order_id) }
                                " · " (lang.job_kind(job.kind)) " · " (state_name(lang, job.state))
                                @if let Some(e) = job.last_error.as_deref().and_then(|e| e.lines().next()) {
                                    " — " span.muted { (e) }
                                }
                            }
                        }
                    }
                    @let rest = r.count.saturating_sub(r.listed.len());
                    @if rest > 0 {
                        p #and-more { (lang.t(T::BulkAndMore)) " " strong { (rest) } }
                    }
                    p.muted { (lang.t(T::BulkHow)) }
                    form method="post" action="/bulk/retry/apply" {
                        (carried(ctx, r.raw, r.upto))
                        div.bulk-actions {
                            button type="submit" { (lang.t(T::BulkConfirm)) " (" (r.count) ")" }
                            a.button href=(back) { (lang.t(T::Cancel)) }
                        }
                    }
                }
                @if r.too_many || r.count == 0 {
                    p { a href=(back) { (lang.t(T::BulkBack)) } }
                }
            }
        },
    )
}

/// What a bulk retry did.
#[derive(Debug, Default)]
pub(crate) struct Done {
    pub(crate) retried: usize,
    pub(crate) skipped: usize,
    pub(crate) failed: Vec<JobId>,
}

pub(crate) fn done(ctx: &Ctx, raw: &Raw, d: &Done) -> Markup {
    let lang = ctx.lang;
    let back = format!("/jobs?{}", raw.query(&[]));
    super::page(
        ctx,
        lang.t(T::BulkDoneTitle),
        html! {
            p.notice.ok role="status" #retried { strong { (d.retried) } " " (lang.t(T::BulkDone)) }
            @if d.skipped > 0 {
                p #skipped { strong { (d.skipped) } " " (lang.t(T::BulkSkipped)) }
            }
            @if !d.failed.is_empty() {
                p.notice.error role="alert" #errors {
                    strong { (d.failed.len()) } " " (lang.t(T::BulkErrors)) " "
                    @for (i, id) in d.failed.iter().take(20).enumerate() {
                        @if i > 0 { ", " } (id.get())
                    }
                }
            }
            p { a href=(back) { (lang.t(T::BulkBack)) } " · " a href="/" { (lang.t(T::NavHome)) } }
        },
    )
}
