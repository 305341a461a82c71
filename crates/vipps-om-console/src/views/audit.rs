//! The audit log's page.

use maud::{Markup, html};

use super::when;
use crate::i18n::{Lang, T};
use crate::store::{AuditEntry, AuditPage};
use crate::web::Ctx;

/// The audit log page (of one order when `order` is given).
pub(crate) fn page(ctx: &Ctx, order: Option<&str>, audit: &AuditPage, page_views: bool) -> Markup {
    let lang = ctx.lang;
    super::page(
        ctx,
        lang.t(T::AuditTitle),
        html! {
            p { (lang.t(T::AuditExplain)) }
            @if !page_views { p.muted #page-views-off { (lang.t(T::PageViewsOff)) } }
            p.muted #time-zone { (lang.t(T::TimesIn)) " " strong { (crate::zone::name(&ctx.zone)) } " " (lang.t(T::UtcOnHover)) }
            @if let Some(order) = order { p { (lang.t(T::Order)) " " code { (order) } " · " a href="/audit" { (lang.t(T::AuditTitle)) } } }
            (table(ctx, &audit.entries))
            (pager(lang, order, audit))
        },
    )
}

fn table(ctx: &Ctx, entries: &[AuditEntry]) -> Markup {
    let lang = ctx.lang;
    let [when_l, who_l, action_l, order_l, detail_l, outcome_l] =
        [T::When, T::Who, T::Action, T::Order, T::Detail, T::Outcome].map(|t| lang.t(t));
    html! {
        @if entries.is_empty() {
            p.muted { (lang.t(T::NoAudit)) }
        } @else {
            div.scroll {
                table #audit .stack {
                    thead { tr {
                        th scope="col" { (when_l) }
                        th scope="col" { (who_l) }
                        th scope="col" { (action_l) }
                        th scope="col" { (order_l) }
                        th scope="col" { (detail_l) }
                        th scope="col" { (outcome_l) }
                    } }
                    tbody {
                        @for e in entries {
                            tr {
                                td.nowrap data-label=(when_l) { (when(ctx, e.at)) }
                                td.nowrap data-label=(who_l) { (e.username) }
                                td.nowrap data-label=(action_l) { code { (e.action) } }
                                td.nowrap data-label=(order_l) {
                                    @if let Some(order) = &e.order_id {
                                        @let pt = e.payment_type.as_deref().unwrap_or("ecom").to_lowercase();
                                        @let q: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("order_id", order).append_pair("payment_type", &pt).finish();
                                        a href={ "/order?" (q) } { (order) }
                                    }
                                }
                                td.detail data-label=(detail_l) { (e.detail) }
                                td class={ "outcome-" (e.outcome) " nowrap" } data-label=(outcome_l) { (outcome(lang, &e.outcome)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An outcome in the page's language (one an older console wrote in
/// other words shows as stored).
fn outcome(lang: Lang, stored: &str) -> &str {
    match stored {
        "ok" => lang.t(T::OutcomeOk),
        "refused" => lang.t(T::OutcomeRefused),
        "failed" => lang.t(T::OutcomeFailed),
        other => other,
    }
}

/// Links to the newer and older pages of the audit log.
fn pager(lang: Lang, order: Option<&str>, audit: &AuditPage) -> Markup {
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
