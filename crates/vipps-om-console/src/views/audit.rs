//! The audit log's page.

use maud::{Markup, html};

use super::when;
use crate::i18n::{Lang, T};
use crate::store::{AuditEntry, AuditPage};
use crate::web::Ctx;

/// The audit log page (of one order when `order` is given).
pub(crate) fn page(ctx: &Ctx, order: Option<&str>, audit: &AuditPage) -> Markup {
    let lang = ctx.lang;
    super::page(
        ctx,
        lang.t(T::AuditTitle),
        html! {
            p { (lang.t(T::AuditExplain)) }
            @if let Some(order) = order { p { (lang.t(T::Order)) " " code { (order) } " · " a href="/audit" { (lang.t(T::AuditTitle)) } } }
            (table(lang, &audit.entries))
            (pager(lang, order, audit))
        },
    )
}

fn table(lang: Lang, entries: &[AuditEntry]) -> Markup {
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
