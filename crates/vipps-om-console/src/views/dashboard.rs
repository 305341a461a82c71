//! The home page: what needs attention. Failed deliveries grouped by
//! reason (in support words, with the API's message and the rejected
//! fields), what is still on its way per merchant, and deliveries and
//! failures over the last 24 hours and 30 days as server-drawn SVG charts
//! with the same numbers as a table. No scripts; the charts are styled by
//! the stylesheet (the CSP allows no inline styles).

use std::time::Duration;

use maud::{Markup, html};
use vipps_om_outbox::{FailureGroup, JobState, JobStatus, MerchantBacklog, Timestamp};

use super::order::{cause, cause_texts, when};
use super::problems;
use crate::i18n::{Lang, T};
use crate::web::Ctx;

/// A reason group with its newest job (for the rejected fields and the
/// cause) and the image that job names.
pub(crate) struct Reason {
    pub(crate) group: FailureGroup,
    pub(crate) sample: Option<JobStatus>,
    pub(crate) image: Option<String>,
}

/// One bar of a chart (a pair: delivered and failed).
pub(crate) struct Bar {
    /// Where its hour or day starts.
    pub(crate) start: Timestamp,
    /// Its label on the axis.
    pub(crate) label: String,
    /// Its label in the table.
    pub(crate) long_label: String,
    pub(crate) delivered: u64,
    pub(crate) failed: u64,
}

/// What the dashboard shows.
pub(crate) struct Dashboard {
    pub(crate) reasons: Vec<Reason>,
    pub(crate) more_reasons: bool,
    pub(crate) backlog: Vec<MerchantBacklog>,
    /// The database's clock, for ages.
    pub(crate) now: Timestamp,
    pub(crate) hours: Vec<Bar>,
    pub(crate) days: Vec<Bar>,
}

/// An age in the largest two units: `2 d 3 h`, `45 min`, `12 s`.
pub(crate) fn age(lang: Lang, d: Duration) -> String {
    let s = d.as_secs();
    let (days, hours, mins) = (s / 86_400, s / 3600 % 24, s / 60 % 60);
    let (d_, h_, m_, s_) = (
        lang.t(T::AgeDays),
        lang.t(T::AgeHours),
        lang.t(T::AgeMinutes),
        lang.t(T::AgeSeconds),
    );
    if days > 0 {
        format!("{days} {d_} {hours} {h_}")
    } else if hours > 0 {
        format!("{hours} {h_} {mins} {m_}")
    } else if mins > 0 {
        format!("{mins} {m_}")
    } else {
        format!("{s} {s_}")
    }
}

/// The `/jobs` link of a filter.
pub(crate) fn jobs_link(pairs: &[(&str, &str)]) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish();
    format!("/jobs?{q}")
}

/// The home page's body.
pub(crate) fn page(ctx: &Ctx, dash: &Dashboard, search: Markup) -> Markup {
    let lang = ctx.lang;
    let merchants: std::collections::BTreeSet<&str> = dash
        .backlog
        .iter()
        .map(|m| m.merchant_serial_number.as_str())
        .chain(
            dash.reasons
                .iter()
                .map(|r| r.group.merchant_serial_number.as_str()),
        )
        .collect();
    let several = merchants.len() > 1;
    html! {
        p.muted #time-zone { (lang.t(T::TimesIn)) " " strong { (crate::zone::name(&ctx.zone)) } " " (lang.t(T::UtcOnHover)) }
        (failures(ctx, dash, several))
        (backlog(ctx, dash, several))
        section.card aria-labelledby="charts-title" {
            h2 #charts-title { (lang.t(T::ChartDayTitle)) }
            (chart(ctx, "hours", lang.t(T::ChartDayTitle), lang.t(T::ChartHour), &dash.hours))
            h2 { (lang.t(T::ChartMonthTitle)) }
            (chart(ctx, "days", lang.t(T::ChartMonthTitle), lang.t(T::ChartDay), &dash.days))
            p.muted { (lang.t(T::ChartNote)) }
        }
        section.card aria-labelledby="find-title" {
            h2 #find-title { (lang.t(T::DashFindOrderTitle)) }
            (search)
        }
    }
}

fn failures(ctx: &Ctx, dash: &Dashboard, several: bool) -> Markup {
    let lang = ctx.lang;
    html! {
        section.card #failures aria-labelledby="failures-title" {
            h2 #failures-title { (lang.t(T::DashFailedTitle)) }
            @if dash.reasons.is_empty() {
                p.notice.ok role="status" #no-failures { (lang.t(T::DashNoFailed)) }
            }
            @for reason in &dash.reasons {
                (reason_view(ctx, reason, several))
            }
            @if dash.more_reasons {
                p { a href=(jobs_link(&[("state", "failed")])) { (lang.t(T::DashMoreReasons)) } }
            }
        }
    }
}

fn reason_view(ctx: &Ctx, reason: &Reason, several: bool) -> Markup {
    let lang = ctx.lang;
    let g = &reason.group;
    let key = g.reason.key();
    let link = jobs_link(&[
        ("state", "failed"),
        ("kind", g.kind.as_str()),
        ("merchant", &g.merchant_serial_number),
        ("reason", &key),
    ]);
    let cause = reason
        .sample
        .as_ref()
        .and_then(|job| cause(job, reason.image.as_deref()));
    html! {
        article.reason id={ "reason-" (key) } {
            h3 {
                span.count { (g.count) } " " (lang.t(T::DashJobs)) " · " (lang.job_kind(g.kind))
                @if several { " · " (lang.t(T::JobMerchant)) " " code { (g.merchant_serial_number) } }
            }
            @if let Some(cause) = &cause {
                @let (why, fix) = cause_texts(cause);
                p { strong { (lang.t(T::CauseTitle)) ": " } span.why { (lang.t(why)) }
                    @if let super::order::Cause::MissingImage(id) = cause { " " code { (id) } } }
                p { strong { (lang.t(T::FixTitle)) ": " } (lang.t(fix)) }
            }
            dl.facts {
                dt { (lang.t(T::TechnicalDetail)) }
                dd.reason-text {
                    @if g.reason.error.is_empty() { (lang.t(T::DashNoReasonText)) }
                    @for line in g.reason.error.lines().take(6) { (line) br; }
                    @if let Some(status) = g.reason.status { small.muted { "HTTP " (status) } }
                }
                @if let Some(t) = g.first_failed_at { dt { (lang.t(T::DashFirstFailed)) } dd { (when(ctx, t)) } }
                @if let Some(t) = g.last_failed_at { dt { (lang.t(T::DashLastFailed)) } dd { (when(ctx, t)) } }
            }
            @if let Some(job) = reason.sample.as_ref().filter(|j| !j.problems.is_empty()) {
                @let title = format!("{} {}", lang.t(T::DashExampleJob), job.id.get());
                @let items: Vec<(String, String)> = job.problems.iter().map(|p| (p.path.clone(), p.reason.clone())).collect();
                (problems(&title, &items, "warn"))
            }
            p { a.button href=(link) { (lang.t(T::DashShowJobs)) " (" (g.count) ")" } }
        }
    }
}

fn backlog(ctx: &Ctx, dash: &Dashboard, several: bool) -> Markup {
    let lang = ctx.lang;
    let waiting: Vec<&MerchantBacklog> = dash
        .backlog
        .iter()
        .filter(|m| m.waiting + m.retrying + m.in_flight > 0)
        .collect();
    let [
        merchant_l,
        waiting_l,
        retrying_l,
        flight_l,
        failed_l,
        oldest_l,
    ] = [
        T::JobMerchant,
        T::DashWaiting,
        T::DashRetrying,
        T::DashInFlight,
        T::DashFailed,
        T::DashOldest,
    ]
    .map(|t| lang.t(t));
    let count_link = |m: &MerchantBacklog, state: JobState, n: u64| {
        let link = jobs_link(&[
            ("state", state.as_str()),
            ("merchant", &m.merchant_serial_number),
        ]);
        html! { a href=(link) { (n) } }
    };
    html! {
        section.card #backlog aria-labelledby="backlog-title" {
            h2 #backlog-title { (lang.t(T::DashQueueTitle)) }
            @if waiting.is_empty() {
                p.muted #nothing-waiting { (lang.t(T::DashNothingWaiting)) }
            }
            @if !dash.backlog.is_empty() {
                div.scroll {
                    table.stack #backlog-table {
                        thead { tr {
                            @if several { th scope="col" { (merchant_l) } }
                            th scope="col" .num { (waiting_l) }
                            th scope="col" .num { (retrying_l) }
                            th scope="col" .num { (flight_l) }
                            th scope="col" .num { (failed_l) }
                            th scope="col" { (oldest_l) }
                        } }
                        tbody {
                            @for m in &dash.backlog {
                                tr {
                                    @if several { th scope="row" data-label=(merchant_l) { code { (m.merchant_serial_number) } } }
                                    td.num data-label=(waiting_l) { (count_link(m, JobState::Pending, m.waiting)) }
                                    td.num data-label=(retrying_l) { (m.retrying) }
                                    td.num data-label=(flight_l) { (count_link(m, JobState::InFlight, m.in_flight)) }
                                    td.num data-label=(failed_l) { (count_link(m, JobState::Failed, m.failed)) }
                                    td data-label=(oldest_l) {
                                        @if let Some(t) = m.oldest_waiting {
                                            (age(lang, dash.now.since(t))) " · " (when(ctx, t))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The chart's size (SVG user units).
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

/// A bar chart of delivered and failed per bucket, and its table.
fn chart(ctx: &Ctx, id: &str, title: &str, unit: &str, bars: &[Bar]) -> Markup {
    let lang = ctx.lang;
    let most = bars
        .iter()
        .map(|b| b.delivered.max(b.failed))
        .max()
        .unwrap_or(0)
        .max(1);
    let total = |f: fn(&Bar) -> u64| bars.iter().map(f).fold(0u64, u64::saturating_add);
    let summary = format!(
        "{}: {} · {}: {} · {} {}",
        lang.t(T::ChartDelivered),
        total(|b| b.delivered),
        lang.t(T::ChartFailed),
        total(|b| b.failed),
        lang.t(T::ChartMost),
        most
    );
    let plot_h = HEIGHT - BOTTOM - TOP;
    let n = bars.len().max(1);
    let slot = (WIDTH - LEFT) / n as f64;
    let bar_w = (slot * 0.42).max(1.0);
    let label_every = n.div_ceil(8).max(1);
    let height = |v: u64| v as f64 / most as f64 * plot_h;
    let coord = |v: f64| format!("{v:.1}");
    html! {
        div.legend aria-hidden="true" {
            span { span.swatch.delivered {} (lang.t(T::ChartDelivered)) }
            span { span.swatch.failed {} (lang.t(T::ChartFailed)) }
        }
        svg.chart id={ "chart-" (id) } xmlns="http://www.w3.org/2000/svg"
            viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img"
            aria-labelledby={ "chart-" (id) "-title chart-" (id) "-desc" } {
            title id={ "chart-" (id) "-title" } { (title) }
            desc id={ "chart-" (id) "-desc" } { (summary) }
            line.grid x1=(coord(LEFT)) y1=(coord(TOP + plot_h)) x2=(coord(WIDTH)) y2=(coord(TOP + plot_h)) {}
            line.grid x1=(coord(LEFT)) y1=(coord(TOP)) x2=(coord(WIDTH)) y2=(coord(TOP)) {}
            text.axis x=(coord(LEFT - 4.0)) y=(coord(TOP + 10.0)) text-anchor="end" { (most) }
            text.axis x=(coord(LEFT - 4.0)) y=(coord(TOP + plot_h)) text-anchor="end" { "0" }
            @for (i, bar) in bars.iter().enumerate() {
                @let x = LEFT + slot * i as f64 + slot * 0.08;
                @let hd = height(bar.delivered);
                @let hf = height(bar.failed);
                rect.delivered x=(coord(x)) y=(coord(TOP + plot_h - hd)) width=(coord(bar_w)) height=(coord(hd)) {}
                rect.failed x=(coord(x + bar_w)) y=(coord(TOP + plot_h - hf)) width=(coord(bar_w)) height=(coord(hf)) {}
                @if i % label_every == 0 {
                    text.axis x=(coord(x)) y=(coord(HEIGHT - 6.0)) { (bar.label) }
                }
            }
        }
        details {
            summary { (lang.t(T::ChartAsTable)) }
            div.scroll {
                table id={ "table-" (id) } {
                    caption { (title) }
                    thead { tr {
                        th scope="col" { (unit) }
                        th scope="col" .num { (lang.t(T::ChartDelivered)) }
                        th scope="col" .num { (lang.t(T::ChartFailed)) }
                    } }
                    tbody {
                        @for bar in bars {
                            tr {
                                th scope="row" { time datetime=(bar.start.to_string()) { (bar.long_label) } }
                                td.num { (bar.delivered) }
                                td.num { (bar.failed) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_use_the_two_largest_units() {
        let d = |s| Duration::from_secs(s);
        assert_eq!(age(Lang::En, d(12)), "12 s");
        assert_eq!(age(Lang::En, d(45 * 60 + 5)), "45 min");
        assert_eq!(age(Lang::Nb, d(3 * 3600 + 20 * 60)), "3 t 20 min");
        assert_eq!(age(Lang::En, d(2 * 86_400 + 3 * 3600)), "2 d 3 h");
    }
}
