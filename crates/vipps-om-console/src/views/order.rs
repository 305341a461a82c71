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

/// An amount or a sum as `lang` writes it; a sum too large to compute
/// shows a marker, never a wrong number.
fn money(lang: Lang, amount: impl Into<Total>, currency: &Currency) -> String {
    lang.total(amount, currency)
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
                                td.num data-label=(unit_price) { @if let Some(p) = line.unit_price { (money(lang, p, currency)) } }
                                td.num data-label=(discount) { @if let Some(d) = line.discount { (money(lang, Total::from_checked(d.checked_neg()), currency)) } }
                                td.num data-label=(tax_rate) { @match line.tax_rate { Some(r) => (r.to_string()), None => (lang.t(T::NoRate)) } }
                                td.num data-label=(total) { (money(lang, line.total, currency)) }
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
                            td.num data-label=(excl_l) { (money(lang, t.excluding_tax, c)) }
                            td.num data-label=(tax_l) { (money(lang, t.tax, c)) }
                            td.num data-label=(incl_l) { (money(lang, t.total, c)) }
                        }
                    }
                }
                tfoot { tr {
                    th scope="row" { (lang.t(T::Total)) }
                    td.num {}
                    td.num data-label=(tax_l) { (money(lang, r.total_tax, c)) }
                    td.num #order-total data-label=(incl_l) { (money(lang, r.total, c)) }
                } }
            }
        }
        dl.facts {
            @if r.total_discount != Amount::ZERO {
                dt { (lang.t(T::TotalDiscount)) } dd { (money(lang, r.total_discount, c)) }
            }
            @if let Some(tip) = r.tip { dt { (lang.t(T::Tip)) } dd { (money(lang, tip, c)) } }
            @if let Some(n) = &r.receipt_number { dt { (lang.t(T::ReceiptNumber)) } dd #receipt-number { (n) } }
            @if let Some(pos) = &r.pos_id { dt { (lang.t(T::PosId)) } dd { (pos) } }
            @if let Some(b) = &r.barcode {
                dt { (lang.t(T::Barcode)) }
                dd #barcode { code { (b.data.as_deref().unwrap_or("")) } " (" (b.format.as_str()) ")" }
            }
            @if let Some(sources) = &r.payment_sources {
                @for (name, amount) in sources.entries() {
                    dt { (lang.t(T::PaidWith)) " " (name) } dd { (money(lang, amount, c)) }
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

/// What the order page knows of the category's image file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CategoryImage {
    /// Not looked for (no image named, or not the order page).
    Unknown,
    /// An image job of the order holds it: its address on the console.
    Held(String),
    /// No image job of the order uploads it.
    NotHeld,
    /// The stored file is not a PNG or JPEG, or too large.
    Refused,
}

/// What the order page shows besides the API's answer and the history.
pub(crate) struct Shown {
    /// The category's image file.
    pub(crate) image: CategoryImage,
    /// Other merchants with deliveries for the same order id.
    pub(crate) other_merchants: Vec<String>,
    /// The customer's language chosen on the page (`customer_lang=`), if any.
    pub(crate) customer_lang: Option<Lang>,
}

/// The order as the customer sees it.
pub(crate) fn order_summary(lang: Lang, summary: &OrderSummary) -> Markup {
    order_summary_with(lang, summary, &CategoryImage::Unknown)
}

/// The order as the customer sees it, with the category's image itself.
pub(crate) fn order_summary_with(
    lang: Lang,
    summary: &OrderSummary,
    image: &CategoryImage,
) -> Markup {
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
                        dd #category-image {
                            @match &button.image_id {
                                Some(id) => {
                                    code { (id) }
                                    @match image {
                                        CategoryImage::Held(src) => {
                                            " " img.category-image src=(src) alt={ (lang.t(T::CategoryImageAlt)) " " (id) } width="96" height="96";
                                        }
                                        CategoryImage::NotHeld => { br; small.muted { (lang.t(T::ImageNotInOutbox)) } }
                                        CategoryImage::Refused => { br; small.warn { (lang.t(T::ImageNotPicture)) } }
                                        CategoryImage::Unknown => {}
                                    }
                                }
                                None => span.muted { (lang.t(T::NoImage)) },
                            }
                        }
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
    crate::zone::time(&ctx.zone, t, ctx.lang)
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

/// What the customer can be told about the order, from its deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CustomerStatus {
    /// A delivery is waiting, being sent or retrying.
    Waiting,
    /// Everything is in the app.
    Delivered,
    /// A delivery failed for good; staff are on it.
    Failed,
    /// Nothing was sent and the app shows nothing.
    NotSent,
}

impl CustomerStatus {
    /// A failed delivery outweighs one waiting, which outweighs the
    /// delivered ones; with no deliveries, what the app shows decides.
    pub(crate) fn of(jobs: &[JobStatus], in_app: bool) -> CustomerStatus {
        if jobs.iter().any(|j| j.state == JobState::Failed) {
            CustomerStatus::Failed
        } else if jobs
            .iter()
            .any(|j| matches!(j.state, JobState::Pending | JobState::InFlight))
        {
            CustomerStatus::Waiting
        } else if in_app || !jobs.is_empty() {
            CustomerStatus::Delivered
        } else {
            CustomerStatus::NotSent
        }
    }

    fn key(self) -> T {
        match self {
            CustomerStatus::Waiting => T::CustomerStatusWaiting,
            CustomerStatus::Delivered => T::CustomerStatusDelivered,
            CustomerStatus::Failed => T::CustomerStatusFailed,
            CustomerStatus::NotSent => T::CustomerStatusNotSent,
        }
    }
}

/// The customer's language when staff have not chosen one: the one of
/// the order's currency (NOK: bokmål, DKK: Danish, EUR: Finnish), else
/// the staff's own.
fn customer_lang_of(summary: Option<&OrderSummary>, staff: Lang) -> Lang {
    match summary
        .and_then(|s| s.receipt.as_ref())
        .map(|r| &r.currency)
    {
        Some(Currency::Nok) => Lang::Nb,
        Some(Currency::Dkk) => Lang::Da,
        Some(Currency::Eur) => Lang::Fi,
        _ => staff,
    }
}

/// A short, customer-safe status text in the customer's language, for
/// staff to copy (no script: a read-only text area), with links that
/// choose the customer's language (`customer_lang=`), independent of the
/// staff's.
pub(crate) fn customer_status(
    ctx: &Ctx,
    q: &str,
    summary: Option<&OrderSummary>,
    status: CustomerStatus,
    chosen: Option<Lang>,
) -> Markup {
    let lang = ctx.lang;
    let customer = chosen.unwrap_or_else(|| customer_lang_of(summary, lang));
    // The app of the order's currency; without order details, the one the
    // customer's language suggests.
    let app = match summary.filter(|s| s.receipt.is_some()) {
        Some(s) => app_of(s),
        None if matches!(customer, Lang::Da | Lang::Fi) => App::MobilePay,
        None => App::Vipps,
    };
    let text = customer.t_args(status.key(), &[("app", app.name())]);
    html! {
        section.card #customer-status aria-labelledby="customer-status-title" {
            h2 #customer-status-title { (lang.t(T::CustomerStatus)) }
            p.muted { (lang.t(T::CustomerStatusExplain)) }
            nav.langs aria-label=(lang.t(T::CustomerLanguage)) {
                (lang.t(T::CustomerLanguage)) ": "
                @for l in Lang::ALL {
                    " "
                    @if l == customer {
                        strong aria-current="true" lang=(l.code()) { (l.name()) }
                    } @else {
                        a href={ "/order?" (q) "&customer_lang=" (l.code()) "#customer-status" } lang=(l.code()) hreflang=(l.code()) { (l.name()) }
                    }
                }
            }
            label for="customer-text" { (lang.t(T::CustomerStatus)) " · " (customer.name()) }
            textarea #customer-text readonly rows="3" lang=(customer.code()) data-status=(format!("{status:?}")) { (text) }
        }
    }
}

/// An API failure (in the staff's language) with every field problem it
/// names.
pub(crate) fn api_failure(lang: Lang, title: &str, e: &Error) -> Markup {
    let items: Vec<(String, String)> =
        std::iter::once((String::new(), e.staff_message_in(lang.library())))
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
    shown: &Shown,
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
    let summary = fetched.as_ref().ok().map(OrderSummary::new);
    let in_app = summary
        .as_ref()
        .is_some_and(|s| s.category.is_some() || s.receipt.is_some());
    let listed = jobs.as_ref().map(|j| j.list.as_slice()).unwrap_or_default();
    let status = CustomerStatus::of(listed, in_app);
    html! {
        (search)
        p.order-id {
            (lang.t(T::Order)) " " code { (order_id) } " · " (key.payment_type.as_str())
            " · " (lang.t(T::JobMerchant)) " " code #order-merchant { (key.merchant) }
        }
        @if !shown.other_merchants.is_empty() {
            p.notice.info role="status" #other-merchants {
                (lang.t(T::OtherMerchantsJobs)) " "
                @for (i, msn) in shown.other_merchants.iter().enumerate() { @if i > 0 { ", " } code { (msn) } }
            }
        }
        @match fetched {
            Ok(_) => @if let Some(summary) = &summary { (order_summary_with(lang, summary, &shown.image)) },
            Err(Error::NotFound { .. }) => section.card {
                p.notice.info role="status" #not-in-app { (lang.t(T::NotInApp)) @if nothing_known { " " (lang.t(T::TryOtherType)) } }
            },
            // Keys are not support staff's to fix: say whom to ask.
            Err(e) if matches!(e.kind(), ErrorKind::Unauthorized(_) | ErrorKind::Forbidden) => section.card {
                (problems(lang.t(T::ApiFailed), &[(String::new(), lang.t(T::KeysRefused).to_owned())], "error"))
            },
            Err(e) => section.card { (api_failure(lang, lang.t(T::ApiFailed), e)) },
        }
        (deliveries(ctx, jobs, editor))
        // Shown when something is known: the app's view or the deliveries.
        @if summary.is_some() || jobs.is_ok() {
            (customer_status(ctx, &q, summary.as_ref(), status, shown.customer_lang))
        }
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
