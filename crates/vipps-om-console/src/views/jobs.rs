//! `/jobs`: the filter form, a page of deliveries (each row links to its
//! order), the links to the previous and next pages, and for editors the
//! bulk retry buttons (the ticked rows, or every failed job matching the
//! filter), which lead to a review page first.

use maud::{Markup, html};
use vipps_om_outbox::{FailureReason, JobKind, JobPage, JobSort, JobState, JobStatus};

use super::order::{state_name, when};
use super::{csrf, problems};
use crate::i18n::{Lang, T};
use crate::limits::{MAX_JOBS_PAGE_ROWS, MIN_JOBS_PAGE_ROWS};
use crate::links::{order_query, payment_type};
use crate::pages::jobs::{Problem, Raw};
use crate::web::Ctx;

/// What a checked filter found.
pub(crate) struct Shown<'a> {
    /// The page (none when the reason asked for is gone).
    pub(crate) page: Option<&'a JobPage>,
    /// The reason filtered by.
    pub(crate) reason: Option<&'a FailureReason>,
    pub(crate) reason_gone: bool,
}

/// The `/jobs` page: the form, and the page of jobs or the problems.
pub(crate) fn page(
    ctx: &Ctx,
    raw: &Raw,
    shown: Option<&Shown<'_>>,
    problem_list: &[Problem],
    editor: bool,
) -> Markup {
    let lang = ctx.lang;
    super::page(
        ctx,
        lang.t(T::JobsTitle),
        html! {
            (filter_form(lang, raw))
            (problems(lang.t(T::InvalidInput), problem_list, "error"))
            @if let Some(shown) = shown {
                p.muted #time-zone { (lang.t(T::TimesIn)) " " strong { (crate::zone::name(&ctx.zone)) } " " (lang.t(T::UtcOnHover)) }
                @if let Some(reason) = shown.reason {
                    p.notice.info #reason-filter {
                        strong { (lang.t(T::JobsReason)) } " "
                        (reason.error.lines().next().unwrap_or(lang.t(T::DashNoReasonText)))
                        @if let Some(s) = reason.status { " (HTTP " (s) ")" }
                    }
                }
                @if shown.reason_gone {
                    p.notice.info role="status" #reason-gone { (lang.t(T::JobsReasonGone)) }
                }
                @if let Some(page) = shown.page {
                    (jobs(ctx, raw, page, editor))
                }
            }
        },
    )
}

fn select(name: &str, label: &str, any: &str, chosen: &str, options: &[(&str, &str)]) -> Markup {
    html! {
        div.field {
            label for={ "f-" (name) } { (label) }
            select id={ "f-" (name) } name=(name) {
                option value="" selected[chosen.is_empty()] { (any) }
                @for (value, text) in options {
                    option value=(value) selected[chosen == *value] { (text) }
                }
            }
        }
    }
}

fn text_field(name: &str, label: &str, value: &str, kind: &str) -> Markup {
    html! {
        div.field {
            label for={ "f-" (name) } { (label) }
            input id={ "f-" (name) } type=(kind) name=(name) value=(value) maxlength="128";
        }
    }
}

fn filter_form(lang: Lang, raw: &Raw) -> Markup {
    let states: Vec<(&str, &str)> = JobState::ALL
        .iter()
        .map(|s| (s.as_str(), state_name(lang, *s)))
        .collect();
    let kinds: Vec<(&str, &str)> = JobKind::ALL
        .iter()
        .map(|k| (k.as_str(), lang.job_kind(*k)))
        .collect();
    let sorts = [
        (JobSort::Newest.as_str(), lang.t(T::JobsSortNewest)),
        (JobSort::Oldest.as_str(), lang.t(T::JobsSortOldest)),
        (JobSort::OrderId.as_str(), lang.t(T::JobsSortOrder)),
    ];
    let any = lang.t(T::JobsAny);
    html! {
        form.card.filters #filters method="get" action="/jobs" role="search" aria-label=(lang.t(T::JobsFilter)) {
            (select("state", lang.t(T::State), any, raw.get("state"), &states))
            (select("kind", lang.t(T::JobsKind), any, raw.get("kind"), &kinds))
            (text_field("merchant", lang.t(T::JobMerchant), raw.get("merchant"), "text"))
            (text_field("order_id", lang.t(T::JobsOrderPrefix), raw.get("order_id"), "text"))
            (text_field("receipt", lang.t(T::ReceiptNumber), raw.get("receipt"), "text"))
            (text_field("from", lang.t(T::JobsFrom), raw.get("from"), "date"))
            (text_field("to", lang.t(T::JobsTo), raw.get("to"), "date"))
            (select("sort", lang.t(T::JobsSort), lang.t(T::JobsSortNewest), if raw.sort == "newest" { "" } else { &raw.sort }, &sorts[1..]))
            div.field {
                label for="f-size" { (lang.t(T::JobsPageSize)) }
                input #f-size type="number" name="size" min=(MIN_JOBS_PAGE_ROWS) max=(MAX_JOBS_PAGE_ROWS) value=(raw.size) placeholder="50";
            }
            @if !raw.get("reason").is_empty() {
                input type="hidden" name="reason" value=(raw.get("reason"));
            }
            div.buttons {
                button type="submit" { (lang.t(T::JobsShow)) }
                a href="/jobs" { (lang.t(T::JobsClear)) }
            }
        }
    }
}

/// The first line of why a job failed or was retried.
fn why(job: &JobStatus) -> Option<&str> {
    match job.state {
        JobState::Failed | JobState::Pending => job.last_error.as_deref()?.lines().next(),
        _ => None,
    }
}

/// Why a job failed, in the support words of the order page and the
/// dashboard (one line: this page lists neither rejected fields nor image
/// ids), then the API's first line.
fn failed_because(lang: Lang, job: &JobStatus) -> Markup {
    use super::order::{Cause, cause, cause_texts};
    // The image id is not needed for the words: the request is not read.
    let words = cause(job, Some("")).map(|c| match c {
        Cause::MissingImage(_) => T::JobsCauseMissingImage,
        Cause::Rejected => T::JobsCauseRejected,
        other => cause_texts(&other).0,
    });
    let api = why(job);
    html! {
        @if let Some(words) = words {
            span.why { (lang.t(words)) }
            @if let Some(w) = api { br; small.muted { (w) } }
        } @else if let Some(w) = api {
            (w)
        }
    }
}

fn jobs(ctx: &Ctx, raw: &Raw, page: &JobPage, editor: bool) -> Markup {
    let lang = ctx.lang;
    let [
        job_l,
        order_l,
        kind_l,
        state_l,
        merchant_l,
        queued_l,
        what_l,
    ] = [
        T::Job,
        T::Order,
        T::JobsKind,
        T::State,
        T::JobMerchant,
        T::Created,
        T::LastError,
    ]
    .map(|t| lang.t(t));
    let table = html! {
        div.scroll {
            table.stack #jobs {
                thead { tr {
                    @if editor { th scope="col" { span.muted { "✓" } } }
                    th scope="col" { (job_l) }
                    th scope="col" { (order_l) }
                    th scope="col" { (kind_l) }
                    th scope="col" { (state_l) }
                    th scope="col" { (merchant_l) }
                    th scope="col" { (queued_l) }
                    th scope="col" { (what_l) }
                } }
                tbody {
                    @for job in &page.jobs {
                        @let q = order_query(&job.order_id, &payment_type(&job.payment_type));
                        tr class={ "state-" (job.state.as_str()) } {
                            @if editor {
                                td.tick {
                                    @if job.state == JobState::Failed {
                                        input type="checkbox" name="job" value=(job.id.get()) id={ "tick-" (job.id.get()) }
                                            aria-label={ (lang.t(T::JobsTick)) " " (job.id.get()) };
                                    }
                                }
                            }
                            td.nowrap data-label=(job_l) { (job.id.get()) }
                            td data-label=(order_l) { a href={ "/order?" (q) "#job-" (job.id.get()) } { (job.order_id) } }
                            td data-label=(kind_l) { (lang.job_kind(job.kind)) }
                            td data-label=(state_l) { span.badge { (state_name(lang, job.state)) } }
                            td data-label=(merchant_l) { code { (job.merchant_serial_number) } }
                            td.nowrap data-label=(queued_l) { (when(ctx, job.created_at)) }
                            td data-label=(what_l) { (failed_because(lang, job)) }
                        }
                    }
                }
            }
        }
    };
    html! {
        @if page.jobs.is_empty() {
            p.muted #no-jobs { (lang.t(T::JobsNone)) }
        } @else if editor {
            form #bulk method="post" action="/bulk/retry/review" {
                (csrf(ctx))
                @for (name, value) in raw.pairs(false) {
                    input type="hidden" name=(name) value=(value);
                }
                (table)
                div.bulk-actions {
                    button type="submit" name="scope" value="ticked" { (lang.t(T::BulkRetryTicked)) }
                    button type="submit" name="scope" value="filter" { (lang.t(T::BulkRetryMatching)) }
                }
            }
        } @else {
            (table)
        }
        (pager(lang, raw, page))
    }
}

fn pager(lang: Lang, raw: &Raw, page: &JobPage) -> Markup {
    html! {
        @if page.previous.is_some() || page.next.is_some() {
            nav.pager aria-label=(lang.t(T::JobsPages)) {
                @if let Some(key) = &page.previous {
                    a #previous rel="prev" href={ "/jobs?" (raw.query(&[("before", &key.to_string())])) } { "← " (lang.t(T::JobsPrevious)) }
                } @else { span {} }
                @if let Some(key) = &page.next {
                    a #next rel="next" href={ "/jobs?" (raw.query(&[("after", &key.to_string())])) } { (lang.t(T::JobsNext)) " →" }
                }
            }
        }
    }
}
