//! The order as the customer sees it, and its delivery history.

use maud::{Markup, html};
use vipps_om::summary::{LineSummary, OrderSummary, ReceiptSummary};
use vipps_om::{Amount, Currency, Error, ErrorKind, OrderV2Response, Total};
use vipps_om_outbox::{JobId, JobKind, JobState, JobStatus, OutboxError, Timestamp};

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
    let product = lang.t(T::Product);
    let quantity = lang.t(T::Quantity);
    let unit_price = lang.t(T::UnitPrice);
    let discount = lang.t(T::Discount);
    let tax_rate = lang.t(T::TaxRate);
    let total = lang.t(T::Total);
    html! {
        @if !lines.is_empty() {
            div.scroll {
                table.stack.lines {
                    caption { (caption) }
                    thead { tr {
                        th scope="col" { (product) }
                        th scope="col" .num { (quantity) }
                        th scope="col" .num { (unit_price) }
                        th scope="col" .num { (discount) }
                        th scope="col" .num { (tax_rate) }
                        th scope="col" .num { (total) }
                    } }
                    tbody {
                        @for line in lines {
                            tr {
                                td data-label=(product) {
                                    @if let Some(url) = line.product_url.as_deref().filter(|u| web_link(u)) {
                                        a href=(url) rel="noopener noreferrer" target="_blank" { (line.name) }
                                    } @else {
                                        (line.name)
                                    }
                                    br; small.muted { (line.id) }
                                }
                                td.num data-label=(quantity) { (line.quantity) " " (lang.unit(&line.unit)) }
                                td.num data-label=(unit_price) { @if let Some(p) = line.unit_price { (money(p, currency)) } }
                                td.num data-label=(discount) { @if let Some(d) = line.discount { (money(Total::from_checked(d.checked_neg()), currency)) } }
                                td.num data-label=(tax_rate) { @match line.tax_rate { Some(r) => (r.to_string()), None => (lang.t(T::NoRate)) } }
                                td.num data-label=(total) { (money(line.total, currency)) }
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
        @let rate_l = lang.t(T::TaxRate);
        @let excl_l = lang.t(T::ExclTax);
        @let tax_l = lang.t(T::Tax);
        @let incl_l = lang.t(T::InclTax);
        div.scroll {
            table.totals.stack {
                caption { (lang.t(T::TotalsPerRate)) }
                thead { tr {
                    th scope="col" { (rate_l) }
                    th scope="col" .num { (excl_l) }
                    th scope="col" .num { (tax_l) }
                    th scope="col" .num { (incl_l) }
                } }
                tbody {
                    @for t in &r.tax_totals {
                        tr {
                            th scope="row" data-label=(rate_l) { @match t.rate { Some(rate) => (rate.to_string()), None => (lang.t(T::NoRate)) } }
                            td.num data-label=(excl_l) { (money(t.excluding_tax, c)) }
                            td.num data-label=(tax_l) { (money(t.tax, c)) }
                            td.num data-label=(incl_l) { (money(t.total, c)) }
                        }
                    }
                }
                tfoot { tr {
                    th scope="row" { (lang.t(T::Total)) }
                    td.num {}
                    td.num data-label=(tax_l) { (money(r.total_tax, c)) }
                    td.num #order-total data-label=(incl_l) { (money(r.total, c)) }
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

/// Which app the customer sees the order in: MobilePay for orders in
/// DKK or EUR (Denmark, Finland), Vipps otherwise (and when there are no
/// order details to tell).
pub(crate) fn app_of(summary: &OrderSummary) -> App {
    match summary.receipt.as_ref().map(|r| &r.currency) {
        Some(Currency::Dkk | Currency::Eur) => App::MobilePay,
        _ => App::Vipps,
    }
}

/// The app an order shows in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum App {
    Vipps,
    MobilePay,
}

impl App {
    /// The brand's name, written as the design guidelines ask (text, no
    /// logo).
    pub(crate) fn name(self) -> &'static str {
        match self {
            App::Vipps => "Vipps",
            App::MobilePay => "MobilePay",
        }
    }

    fn class(self) -> &'static str {
        match self {
            App::Vipps => "app-button vipps",
            App::MobilePay => "app-button mobilepay",
        }
    }
}

/// The order as the customer sees it.
pub(crate) fn order_summary(lang: Lang, summary: &OrderSummary) -> Markup {
    let app = app_of(summary);
    html! {
        section.card aria-labelledby="seen-title" {
            h2 #seen-title { (lang.t(T::AsCustomerSees)) }
            h3 { (lang.t(T::CategoryButton)) }
            @match &summary.category {
                None => p.muted { (lang.t(T::NoCategory)) },
                Some(button) => {
                    @let label = lang.category_label(&button.category);
                    div.button-preview #category-button {
                        span class=(app.class()) { (label) }
                        span.app-name.muted { (lang.in_app(app.name())) }
                    }
                    dl.facts {
                        dt { (lang.t(T::Label)) } dd { (label) }
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

pub(crate) fn state_name(lang: Lang, state: JobState) -> &'static str {
    match state {
        JobState::Pending => lang.t(T::StatePending),
        JobState::InFlight => lang.t(T::StateInFlight),
        JobState::Delivered => lang.t(T::StateDelivered),
        JobState::Failed => lang.t(T::StateFailed),
    }
}

/// A time in the staff's zone, with UTC on hover.
pub(crate) fn when(ctx: &Ctx, t: Timestamp) -> Markup {
    crate::zone::time(&ctx.zone, t)
}

/// An order's jobs, with the image each failed category job names.
pub(crate) struct Jobs {
    pub(crate) list: Vec<JobStatus>,
    /// (job, the `imageId` its request names), for failed category jobs.
    pub(crate) named_images: Vec<(JobId, String)>,
}

impl Jobs {
    fn image_of(&self, job: JobId) -> Option<&str> {
        self.named_images
            .iter()
            .find(|(id, _)| *id == job)
            .map(|(_, image)| image.as_str())
    }

    /// The image a failed job of this order needs uploaded, if any.
    pub(crate) fn missing_image(&self) -> Option<&str> {
        self.list
            .iter()
            .find_map(|job| match cause(job, self.image_of(job.id)) {
                Some(Cause::MissingImage(id)) => Some(id),
                _ => None,
            })
    }
}

/// Why a failed job failed, in support words.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Cause<'a> {
    /// A category names an image the API does not have.
    MissingImage(&'a str),
    /// The API holds other content that cannot be replaced.
    Different,
    /// The API refused the console's keys.
    Keys,
    /// The API does not know the payment.
    NoOrder,
    /// The API refused fields of the request.
    Rejected,
    /// The API could not be reached, or kept failing.
    Unreachable,
}

/// The cause of a failed job (`image`: the image its request names).
pub(crate) fn cause<'a>(job: &JobStatus, image: Option<&'a str>) -> Option<Cause<'a>> {
    if job.state != JobState::Failed {
        return None;
    }
    let names_image = job.problems.iter().any(|p| p.path == "imageId");
    Some(match (job.different_content, job.last_status, image) {
        (true, _, _) => Cause::Different,
        (_, _, Some(id))
            if names_image && matches!(job.kind, JobKind::CategoryV2 | JobKind::CategoryV3) =>
        {
            Cause::MissingImage(id)
        }
        (_, Some(401 | 403), _) => Cause::Keys,
        (_, Some(404), _) => Cause::NoOrder,
        _ if !job.problems.is_empty() => Cause::Rejected,
        (_, Some(400 | 422), _) => Cause::Rejected,
        _ => Cause::Unreachable,
    })
}

/// The words for a cause and its fix.
pub(crate) fn cause_texts(cause: &Cause<'_>) -> (T, T) {
    match cause {
        Cause::MissingImage(_) => (T::CauseMissingImage, T::FixMissingImage),
        Cause::Different => (T::CauseDifferent, T::FixDifferent),
        Cause::Keys => (T::CauseKeys, T::FixKeys),
        Cause::NoOrder => (T::CauseNoOrder, T::FixNoOrder),
        Cause::Rejected => (T::CauseRejected, T::FixRejected),
        Cause::Unreachable => (T::CauseUnreachable, T::FixUnreachable),
    }
}

/// The cause and the fix of a failed job, before the API's own words.
pub(crate) fn cause_and_fix(ctx: &Ctx, job: &JobStatus, cause: &Cause<'_>, editor: bool) -> Markup {
    let lang = ctx.lang;
    let (why, fix) = cause_texts(cause);
    let q = order_query(
        &job.order_id,
        &crate::links::payment_type(&job.payment_type),
    );
    html! {
        div.notice.error.cause role="alert" {
            p { strong { (lang.t(T::CauseTitle)) ": " } span.why { (lang.t(why)) }
                @if let Cause::MissingImage(id) = cause { " " code { (id) } } }
            p { strong { (lang.t(T::FixTitle)) ": " } span.fix { (lang.t(fix)) } }
            @if let (Cause::MissingImage(id), true) = (cause, editor) {
                p { a.button.upload-missing href={ "/image?" (q) "&image_id=" (encoded(id)) } { (lang.t(T::UploadThisImage)) " " (id) } }
            }
        }
    }
}

/// The delivery history of an order.
pub(crate) fn history(ctx: &Ctx, jobs: &Jobs, editor: bool) -> Markup {
    let lang = ctx.lang;
    html! {
        section.card aria-labelledby="history-title" {
            h2 #history-title { (lang.t(T::Deliveries)) }
            @if jobs.list.is_empty() {
                p.muted { (lang.t(T::NoDeliveries)) }
            }
            @for job in &jobs.list {
                article class={ "job state-" (job.state.as_str()) } id={ "job-" (job.id.get()) } {
                    h3 {
                        (lang.t(T::Job)) " " (job.id.get()) ": " (lang.job_kind(job.kind))
                        " — " span.badge { (state_name(lang, job.state)) }
                    }
                    @if let Some(cause) = cause(job, jobs.image_of(job.id)) {
                        (cause_and_fix(ctx, job, &cause, editor))
                    }
                    dl.facts {
                        dt { (lang.t(T::JobMerchant)) } dd { code { (job.merchant_serial_number) } }
                        dt { (lang.t(T::Attempts)) } dd { (job.attempts) }
                        dt { (lang.t(T::Created)) } dd { (when(ctx, job.created_at)) }
                        @if let Some(t) = job.delivered_at { dt { (lang.t(T::DeliveredAt)) } dd { (when(ctx, t)) } }
                        @if let Some(id) = &job.result_id { dt { "Id" } dd { code { (id) } } }
                        @if let Some(error) = &job.last_error {
                            dt { @if job.state == JobState::Failed { (lang.t(T::TechnicalDetail)) } @else { (lang.t(T::LastError)) } }
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
                                        @if let Some(t) = job.next_attempt_at { " — " (lang.t(T::NextAttempt)) ": " (when(ctx, t)) }
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
pub(crate) fn deliveries(ctx: &Ctx, jobs: &Result<Jobs, OutboxError>, editor: bool) -> Markup {
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
    jobs: &Result<Jobs, OutboxError>,
    editor: bool,
) -> Markup {
    let lang = ctx.lang;
    let order_id = key.order_id.as_str();
    let q = order_query(order_id, key.payment_type);
    // The other payment type is worth a look only when nothing at all is
    // known of this one: not in the app, no delivery in the outbox.
    let nothing_known = matches!(jobs, Ok(j) if j.list.is_empty());
    let missing_image = jobs.as_ref().ok().and_then(Jobs::missing_image);
    let image_href = match missing_image {
        Some(id) => format!("/image?{q}&image_id={}", encoded(id)),
        None => format!("/image?{q}"),
    };
    html! {
        (search)
        p.order-id { (lang.t(T::Order)) " " code { (order_id) } " · " (key.payment_type.as_str()) }
        @match fetched {
            Ok(order) => (order_summary(lang, &OrderSummary::new(order))),
            Err(Error::NotFound { .. }) => section.card {
                p.notice.info role="status" #not-in-app { (lang.t(T::NotInApp)) @if nothing_known { " " (lang.t(T::TryOtherType)) } }
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
                    a.button href=(image_href) { (lang.t(T::UploadImage)) }
                }
                p.muted #worker-note { (lang.t(T::WorkerNote)) }
            } @else {
                p.muted { (lang.t(T::ViewerNote)) }
            }
            p { a href={ "/audit?order_id=" (encoded(order_id)) } { (lang.t(T::AuditOfOrder)) } }
        }
    }
}
