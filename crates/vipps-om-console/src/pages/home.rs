//! The start page (what needs attention, and the order search), the
//! stylesheet and the 404 page.

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use vipps_om_outbox::{Activity, OutboxError, Timestamp};

use super::{Page, St, internal};
use crate::AppState;
use crate::i18n::{Lang, T};
use crate::limits::DASHBOARD_REASONS;
use crate::views::dashboard::{Bar, Dashboard, Reason};
use crate::views::{self, page, respond};
use crate::web::{Ctx, Signed};
use vipps_om_outbox::browse::MAX_ACTIVITY_BUCKETS;

/// How long the dashboard's charts are reused as they are.
const CHART_CACHE: Duration = Duration::from_secs(60);

/// How long the counts of past hours are reused: after a minute only the
/// last [`RECOUNT_HOURS`] hours are counted again, and all of them after
/// this long (a retry takes a failure off an hour counted before).
const CHART_REFRESH: Duration = Duration::from_secs(10 * 60);

/// The hours counted again when the counts of past hours are reused: this
/// one and the one before.
const RECOUNT_HOURS: u32 = 2;

/// The charts' counts and what they cover.
#[derive(Clone)]
pub(crate) struct CachedActivity {
    /// When they were last brought up to date.
    made: std::time::Instant,
    /// When every hour was last counted.
    full: std::time::Instant,
    activity: Activity,
}

/// The charts' last count.
pub(crate) type ActivityCache = std::sync::Mutex<Option<CachedActivity>>;

/// An hour in milliseconds.
const HOUR_MS: i64 = 3_600_000;
/// Days in the month chart.
const CHART_DAYS: i64 = 30;
/// Hours in the day chart.
const CHART_HOURS: usize = 24;

const STYLESHEET: &str = include_str!("../../static/console.css");

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

pub(crate) async fn home(State(state): St, signed: Signed) -> Page {
    let ctx = &signed.ctx;
    let dash = dashboard(&state, ctx).await.map_err(|e| internal(ctx, e))?;
    let body = views::dashboard::page(ctx, &dash, views::search_form(ctx, "", "ecom"));
    Ok(respond(
        StatusCode::OK,
        page(ctx, ctx.lang.t(T::DashTitle), body),
    ))
}

/// Reads what the dashboard shows.
async fn dashboard(state: &AppState, ctx: &Ctx) -> Result<Dashboard, OutboxError> {
    let outbox = &state.outbox;
    let groups = outbox.failure_groups(DASHBOARD_REASONS).await?;
    let mut reasons = Vec::with_capacity(groups.groups.len());
    for group in groups.groups {
        let sample = match outbox.job(group.sample).await {
            Ok(job) => Some(job),
            // Purged meanwhile: the group shows without its example.
            Err(OutboxError::NoSuchJob(_)) => None,
            Err(e) => return Err(e),
        };
        let image = match &sample {
            Some(job) => super::named_image(state, job).await?,
            None => None,
        };
        reasons.push(Reason {
            group,
            sample,
            image,
        });
    }
    let (backlog, now) = outbox.backlog().await?;
    let activity = activity(state, now).await?;
    let (hours, days) = bars(
        ctx.lang,
        &ctx.zone,
        now,
        activity.from,
        &activity.delivered,
        &activity.failed,
    );
    Ok(Dashboard {
        reasons,
        more_reasons: groups.more,
        backlog,
        now,
        hours,
        days,
    })
}

/// The hours the charts cover: the last [`MAX_ACTIVITY_BUCKETS`] hours
/// (31 days) up to the end of this hour, the same for every time zone.
fn chart_window(now: Timestamp) -> (Timestamp, u32) {
    let now_ms = now.as_millis();
    let hour_end = now_ms
        .saturating_sub(now_ms.rem_euclid(HOUR_MS))
        .saturating_add(HOUR_MS);
    let start = hour_end.saturating_sub(HOUR_MS.saturating_mul(i64::from(MAX_ACTIVITY_BUCKETS)));
    (Timestamp::from_millis(start), MAX_ACTIVITY_BUCKETS)
}

/// The counts of the charts: as counted less than [`CHART_CACHE`] ago
/// for the same hours; else the last [`RECOUNT_HOURS`] hours counted
/// again and the others taken from a count less than [`CHART_REFRESH`]
/// old; else every hour counted.
async fn activity(state: &AppState, now: Timestamp) -> Result<Activity, OutboxError> {
    let (start, buckets) = chart_window(now);
    let hour = Duration::from_millis(HOUR_MS as u64);
    let cached = state.activity_cache.lock().ok().and_then(|c| c.clone());
    if let Some(c) = &cached
        && c.activity.from == start
        && c.made.elapsed() < CHART_CACHE
    {
        return Ok(c.activity.clone());
    }
    let (activity, full) = match cached.filter(|c| c.full.elapsed() < CHART_REFRESH) {
        Some(old) => {
            let recount_from = Timestamp::from_millis(
                start
                    .as_millis()
                    .saturating_add(HOUR_MS.saturating_mul(i64::from(buckets - RECOUNT_HOURS))),
            );
            let recent = state
                .outbox
                .activity(recount_from, hour, RECOUNT_HOURS)
                .await?;
            (merge(&old.activity, &recent, start, buckets), old.full)
        }
        None => (
            state.outbox.activity(start, hour, buckets).await?,
            std::time::Instant::now(),
        ),
    };
    if let Ok(mut cache) = state.activity_cache.lock() {
        *cache = Some(CachedActivity {
            made: std::time::Instant::now(),
            full,
            activity: activity.clone(),
        });
    }
    Ok(activity)
}

/// `buckets` hours from `start`: those `recent` covers from it, the
/// others from `old` (none where it has none).
fn merge(old: &Activity, recent: &Activity, start: Timestamp, buckets: u32) -> Activity {
    let pick = |a: &Activity, series: &[u64], at: i64| -> Option<u64> {
        let offset = at.checked_sub(a.from.as_millis())?;
        if offset < 0 || offset % HOUR_MS != 0 {
            return None;
        }
        series.get(usize::try_from(offset / HOUR_MS).ok()?).copied()
    };
    let mut merged = recent.clone();
    merged.from = start;
    merged.delivered.clear();
    merged.failed.clear();
    for i in 0..i64::from(buckets) {
        let at = start.as_millis().saturating_add(HOUR_MS.saturating_mul(i));
        let from_recent = at >= recent.from.as_millis();
        let (a, d, f) = if from_recent {
            (recent, &recent.delivered, &recent.failed)
        } else {
            (old, &old.delivered, &old.failed)
        };
        merged.delivered.push(pick(a, d, at).unwrap_or(0));
        merged.failed.push(pick(a, f, at).unwrap_or(0));
    }
    merged
}

/// The last [`CHART_HOURS`] hourly bars, and the hours summed per day of
/// the staff's zone.
fn bars(
    lang: Lang,
    zone: &jiff::tz::TimeZone,
    now: Timestamp,
    from: Timestamp,
    delivered: &[u64],
    failed: &[u64],
) -> (Vec<Bar>, Vec<Bar>) {
    let start = from.as_millis();
    let local = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .ok()
            .map(|t| t.to_zoned_datetime(zone.clone()))
    };
    let hourly: Vec<(i64, u64, u64)> = delivered
        .iter()
        .zip(failed)
        .enumerate()
        .map(|(i, (d, f))| {
            let at = start.saturating_add(HOUR_MS.saturating_mul(i64::try_from(i).unwrap_or(0)));
            (at, *d, *f)
        })
        .collect();
    let hours = hourly[hourly.len().saturating_sub(CHART_HOURS)..]
        .iter()
        .map(|&(at, delivered, failed)| {
            let z = local(at);
            Bar {
                start: Timestamp::from_millis(at),
                label: z
                    .as_ref()
                    .map(|z| z.strftime("%H").to_string())
                    .unwrap_or_default(),
                long_label: z
                    .as_ref()
                    .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                delivered,
                failed,
            }
        })
        .collect();
    // The staff's day [`CHART_DAYS`] - 1 days ago.
    let first_day = local(now.as_millis()).and_then(|z| {
        z.date()
            .checked_sub(jiff::Span::new().days(CHART_DAYS - 1))
            .ok()
    });
    let mut days: Vec<Bar> = Vec::new();
    for (at, delivered, failed) in hourly {
        let Some(z) = local(at) else { continue };
        let date = z.date();
        if first_day.is_some_and(|first| date < first) {
            continue;
        }
        match days.last_mut() {
            Some(day) if day.long_label == date.to_string() => {
                day.delivered = day.delivered.saturating_add(delivered);
                day.failed = day.failed.saturating_add(failed);
            }
            _ => days.push(Bar {
                start: Timestamp::from_millis(at),
                label: date.strftime(lang.day_month_format()).to_string(),
                long_label: date.to_string(),
                delivered,
                failed,
            }),
        }
    }
    (hours, days)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn past_hours_are_reused_and_the_last_ones_counted_again() {
        use std::time::Duration;
        use vipps_om_outbox::{Outbox, Timestamp};
        let outbox = Outbox::connect("sqlite::memory:").await.unwrap();
        let hour = Duration::from_secs(3600);
        let start0 = Timestamp::from_millis(1_796_205_600_000);
        let mut old = outbox.activity(start0, hour, 744).await.unwrap();
        old.delivered = (1..=744).collect();
        old.failed = vec![0; 744];
        let start = Timestamp::from_millis(start0.as_millis() + super::HOUR_MS);
        let recount = Timestamp::from_millis(start.as_millis() + 742 * super::HOUR_MS);
        let mut recent = outbox.activity(recount, hour, 2).await.unwrap();
        recent.delivered = vec![100, 200];
        recent.failed = vec![1, 2];
        let merged = super::merge(&old, &recent, start, 744);
        assert_eq!(merged.from, start);
        assert_eq!(merged.delivered.len(), 744);
        assert_eq!(merged.delivered[0], 2, "the old window's second hour");
        assert_eq!(merged.delivered[741], 743);
        assert_eq!(&merged.delivered[742..], &[100, 200]);
        assert_eq!(&merged.failed[740..], &[0, 0, 1, 2]);
    }

    #[test]
    fn the_charts_cover_30_local_days_and_the_last_24_hours() {
        use vipps_om_outbox::Timestamp;
        let oslo = crate::zone::named("Europe/Oslo").unwrap();
        // 2026-12-02T10:20:00Z (11:20 in Oslo).
        let now = Timestamp::from_millis(1_796_205_600_000 + 20 * 60_000);
        let (start, buckets) = super::chart_window(now);
        assert_eq!(start.to_string(), "2026-11-01T11:00:00.000Z");
        assert_eq!(buckets, 31 * 24);
        let ones = vec![1u64; buckets as usize];
        let (hours, days) = super::bars(crate::i18n::Lang::Nb, &oslo, now, start, &ones, &ones);
        assert_eq!(hours.len(), 24);
        assert_eq!(hours[23].long_label, "2026-12-02 11:00");
        assert_eq!(days.len(), 30);
        // 2026-11-03 00:00 in Oslo is 2026-11-02T23:00Z: whole local days.
        assert_eq!(days[0].long_label, "2026-11-03");
        assert_eq!(days[0].delivered, 24);
        assert_eq!(days[29].label, "02.12");
        assert_eq!(days[29].delivered, 12, "today up to the end of this hour");
    }

    /// The stylesheet without its comments.
    fn css() -> String {
        let mut out = String::new();
        let mut rest = super::STYLESHEET;
        while let Some(start) = rest.find("/*") {
            out.push_str(&rest[..start]);
            rest = rest[start..]
                .find("*/")
                .map_or("", |end| &rest[start + end + 2..]);
        }
        out.push_str(rest);
        out
    }

    /// The stylesheet's custom properties that hold a colour.
    fn variables() -> Vec<(String, String)> {
        css()
            .split([';', '{', '}'])
            .filter_map(|decl| decl.trim().strip_prefix("--")?.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_lowercase()))
            .filter(|(_, v)| v.starts_with('#'))
            .collect()
    }

    fn resolve(value: &str, vars: &[(String, String)]) -> String {
        let value = value.trim();
        match value
            .strip_prefix("var(--")
            .and_then(|v| v.strip_suffix(')'))
        {
            Some(name) => vars
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("no colour variable --{name}")),
            None => value.to_lowercase(),
        }
    }

    /// WCAG 2 relative luminance of `#rgb` or `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let h = hex.trim_start_matches('#');
        let h: String = if h.len() == 3 {
            h.chars().flat_map(|c| [c, c]).collect()
        } else {
            h.to_owned()
        };
        assert_eq!(h.len(), 6, "not a hex colour: {hex}");
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&h[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn contrast_formula_matches_wcag() {
        assert!((contrast("#000", "#fff") - 21.0).abs() < 0.01);
        // White on the Vipps orange is too faint for text (about 3:1).
        assert!(contrast("#fff", "#ff5b24") < 4.5);
    }

    /// Every rule that styles a button (console buttons, link buttons,
    /// the app's category button) sets both its text and background
    /// colour, and they contrast at least 4.5:1 (WCAG 2 AA).
    #[test]
    fn every_button_has_aa_contrast() {
        let vars = variables();
        let mut checked = Vec::new();
        let sheet = css();
        for rule in sheet.split('}') {
            let Some((selector, body)) = rule.split_once('{') else {
                continue;
            };
            let selector = selector.trim();
            if !selector.contains("button") || selector.contains("::") {
                continue;
            }
            let decl = |name: &str| {
                body.split(';').find_map(|d| {
                    let (k, v) = d.split_once(':')?;
                    (k.trim() == name).then(|| v.split_whitespace().next().unwrap_or("").to_owned())
                })
            };
            let (fg, bg) = (
                decl("color"),
                decl("background").or_else(|| decl("background-color")),
            );
            match (fg, bg) {
                (None, None) => continue,
                (Some(fg), Some(bg)) => {
                    let (fg, bg) = (resolve(&fg, &vars), resolve(&bg, &vars));
                    let ratio = contrast(&fg, &bg);
                    assert!(ratio >= 4.5, "{selector}: {fg} on {bg} is {ratio:.2}:1");
                    checked.push(selector.to_owned());
                }
                (fg, bg) => panic!(
                    "{selector} sets only one of color ({fg:?}) and background ({bg:?}): set both"
                ),
            }
        }
        for expected in [
            "button, .button",
            "header.top button",
            ".app-button",
            ".app-button.mobilepay",
        ] {
            assert!(
                checked.iter().any(|s| s == expected),
                "{expected} not checked: {checked:?}"
            );
        }
    }

    #[test]
    fn the_apps_use_their_brand_colours() {
        let vars = variables();
        let var = |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(var("vipps"), Some("#ff5b24"));
        assert_eq!(var("mobilepay"), Some("#5a78ff"));
        assert!(
            !css().contains("url("),
            "no images (logos) in the stylesheet"
        );
    }
}
