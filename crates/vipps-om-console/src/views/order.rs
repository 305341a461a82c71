//! The order as the customer sees it, and its delivery history.

use maud::{Markup, html};
use vipps_om::summary::{LineSummary, OrderSummary, ReceiptSummary};
use vipps_om::{Amount, Currency, Error, ErrorKind, OrderV2Response, Total};
use vipps_om_outbox::{JobState, JobStatus, OutboxError, Timestamp};

use super::problems;
use crate::delivery::OrderKey;
use crate::i18n::{Lang, T};
use crate::links::{encoded, order_query};
use crate::web::Ctx;

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

/// The delivery history, or why the outbox could not be read.
pub(crate) fn deliveries(
    ctx: &Ctx,
    jobs: &Result<Vec<JobStatus>, OutboxError>,
    editor: bool,
) -> Markup {
    let lang = ctx.lang;
    html! {
        @match jobs {
            Ok(jobs) => (history(ctx, jobs, editor)),
            Err(e) => section.card { (problems(lang.t(T::OutboxUnavailable), &[(String::new(), e.to_string())], "error")) },
        }
    }
}

/// An API failure with every field problem it names.
pub(crate) fn api_failure(title: &str, e: &Error) -> Markup {
    let items: Vec<(String, String)> = std::iter::once((String::new(), e.to_string()))
        .chain(e.field_problems())
        .collect();
    problems(title, &items, "error")
}

/// The order search, with why the order id was refused.
pub(crate) fn search_page(ctx: &Ctx, search: Markup, invalid: Option<&str>) -> Markup {
    let lang = ctx.lang;
    let problem = invalid.map(|why| [("orderId".to_owned(), why.to_owned())]);
    super::page(
        ctx,
        lang.t(T::FindOrder),
        html! {
            (search)
            @if let Some(items) = &problem { (problems(lang.t(T::InvalidInput), items, "error")) }
        },
    )
}

/// The body of an order's page.
pub(crate) fn page(
    ctx: &Ctx,
    search: Markup,
    key: &OrderKey<'_>,
    fetched: &Result<OrderV2Response, Error>,
    jobs: &Result<Vec<JobStatus>, OutboxError>,
    editor: bool,
) -> Markup {
    let lang = ctx.lang;
    let order_id = key.order_id.as_str();
    let q = order_query(order_id, key.payment_type);
    html! {
        (search)
        p.order-id { (lang.t(T::Order)) " " code { (order_id) } " · " (key.payment_type.as_str()) }
        @match fetched {
            Ok(order) => (order_summary(lang, &OrderSummary::new(order))),
            Err(Error::NotFound { .. }) => section.card {
                p.notice.info role="status" { (lang.t(T::NotInApp)) " " (lang.t(T::TryOtherType)) }
            },
            // Keys are not support staff's to fix: say whom to ask.
            Err(e) if matches!(e.kind(), ErrorKind::Unauthorized(_) | ErrorKind::Forbidden) => section.card {
                (problems(lang.t(T::ApiFailed), &[(String::new(), lang.t(T::KeysRefused).to_owned())], "error"))
            },
            Err(e) => section.card { (api_failure(lang.t(T::ApiFailed), e)) },
        }
        (deliveries(ctx, jobs, editor))
        section.card aria-labelledby="actions-title" {
            h2 #actions-title { (lang.t(T::EditorActions)) }
            @if editor {
                p.actions {
                    a.button href={ "/category?" (q) } { (lang.t(T::EditCategory)) }
                    a.button href={ "/image?" (q) } { (lang.t(T::UploadImage)) }
                }
                p.muted #worker-note { (lang.t(T::WorkerNote)) }
            } @else {
                p.muted { (lang.t(T::ViewerNote)) }
            }
            p { a href={ "/audit?order_id=" (encoded(order_id)) } { (lang.t(T::AuditOfOrder)) } }
        }
    }
}
