//! `/jobs`: every delivery, filtered by state, kind, merchant, orderId
//! prefix, receipt number, date range and reason, sorted, a page at a
//! time (keyset: the "next" and "previous" links carry the key of a row).
//! Every value is checked here before the outbox is asked; one out of
//! bounds answers 400 with the form and what to change.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use vipps_om_outbox::{
    Cursor, FailureReason, FilterError, JobFilter, JobKind, JobSort, JobState, PageKey, Timestamp,
};

use super::{Page, St, internal};
use crate::AppState;
use crate::i18n::T;
use crate::limits::{JOBS_PAGE_ROWS, MAX_DATE_RANGE_DAYS, MAX_JOBS_PAGE_ROWS, MIN_JOBS_PAGE_ROWS};
use crate::views::{self, respond};
use crate::web::{Ctx, Signed};

/// The names of the filter's parameters, in the order links carry them.
pub(crate) const FILTER_FIELDS: [&str; 8] = [
    "state", "kind", "merchant", "order_id", "receipt", "from", "to", "reason",
];

/// What a `/jobs` query or a bulk form says, as given (trimmed).
#[derive(Debug, Default, Clone)]
pub(crate) struct Raw {
    /// The filter's values by [`FILTER_FIELDS`] name (empty: not given).
    pub(crate) fields: Vec<(&'static str, String)>,
    pub(crate) sort: String,
    pub(crate) size: String,
    pub(crate) after: String,
    pub(crate) before: String,
    /// Ticked job ids (bulk forms).
    pub(crate) ticked: Vec<String>,
    /// Which jobs a bulk form covers (`ticked` or `filter`).
    pub(crate) scope: String,
    /// The highest job id a bulk review showed (its apply retries no job
    /// that failed after it was enqueued later).
    pub(crate) upto: String,
}

impl Raw {
    /// Reads URL-encoded pairs (a query or a form body).
    pub(crate) fn from_pairs(bytes: &[u8]) -> Raw {
        let mut raw = Raw::default();
        for (name, value) in url::form_urlencoded::parse(bytes) {
            let value = value.trim().to_owned();
            match name.as_ref() {
                "sort" => raw.sort = value,
                "size" => raw.size = value,
                "after" => raw.after = value,
                "before" => raw.before = value,
                "scope" => raw.scope = value,
                "upto" => raw.upto = value,
                "job" => raw.ticked.push(value),
                other => {
                    if let Some(field) = FILTER_FIELDS.iter().find(|f| **f == other)
                        && !value.is_empty()
                        && raw.get(field).is_empty()
                    {
                        raw.fields.push((field, value));
                    }
                }
            }
        }
        raw
    }

    /// A filter value ("" when not given).
    pub(crate) fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The filter's pairs (for links and hidden fields), with the sort and
    /// the page size when given.
    pub(crate) fn pairs(&self, with_view: bool) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = FILTER_FIELDS
            .iter()
            .map(|f| (*f, self.get(f)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        if with_view {
            out.extend([("sort", self.sort.as_str()), ("size", self.size.as_str())]);
            out.retain(|(_, v)| !v.is_empty());
        }
        out
    }

    /// The query of `/jobs` with this filter, and `extra` pairs.
    pub(crate) fn query(&self, extra: &[(&str, &str)]) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.pairs(true))
            .extend_pairs(extra)
            .finish()
    }
}

/// A checked filter.
pub(crate) struct Chosen {
    pub(crate) filter: JobFilter,
    pub(crate) sort: JobSort,
    pub(crate) size: u32,
    pub(crate) cursor: Cursor,
    /// A `reason=` was given and no failed job has it now.
    pub(crate) reason_gone: bool,
}

/// Sets one text filter of a [`JobFilter`].
type SetText = fn(JobFilter, &str) -> Result<JobFilter, FilterError>;

/// A value out of bounds: the field's label and what to change.
pub(crate) type Problem = (String, String);

/// Checks every value of `raw`; all problems at once.
pub(crate) async fn choose(
    state: &AppState,
    ctx: &Ctx,
    raw: &Raw,
) -> Result<Result<Chosen, Vec<Problem>>, super::AppError> {
    let lang = ctx.lang;
    let mut problems: Vec<Problem> = Vec::new();
    let mut problem = |field: T, text: String| problems.push((lang.t(field).to_owned(), text));
    let mut filter = JobFilter::new();
    match raw.get("state") {
        "" => {}
        s => match JobState::parse(s) {
            Some(s) => filter = filter.state(s),
            None => problem(T::State, lang.t(T::JobsBadState).to_owned()),
        },
    }
    match raw.get("kind") {
        "" => {}
        k => match JobKind::parse(k) {
            Some(k) => filter = filter.kind(k),
            None => problem(T::JobsKind, lang.t(T::JobsBadKind).to_owned()),
        },
    }
    let too_long = |label: T| format!("{} {}", lang.t(label), lang.t(T::JobsTooLong));
    let texts: [(T, &str, SetText); 3] = [
        (T::JobMerchant, "merchant", |f, v| f.merchant(v)),
        (T::JobsOrderPrefix, "order_id", |f, v| f.order_id_prefix(v)),
        (T::ReceiptNumber, "receipt", |f, v| f.receipt_number(v)),
    ];
    for (label, name, set) in texts {
        match set(filter.clone(), raw.get(name)) {
            Ok(f) => filter = f,
            Err(_) => problem(label, too_long(label)),
        }
    }
    let from = date(ctx, raw.get("from"), 0);
    let to = date(ctx, raw.get("to"), 1);
    for (label, value) in [(T::JobsFrom, &from), (T::JobsTo, &to)] {
        if value.is_err() {
            problem(label, lang.t(T::JobsBadDate).to_owned());
        }
    }
    if let (Ok(from), Ok(to)) = (from, to) {
        let days = match (from, to) {
            (Some((f, _)), Some((t, _))) => {
                Some(f.until(t).map(|s| s.get_days()).unwrap_or(i32::MAX))
            }
            _ => None,
        };
        match days {
            Some(d) if d <= 0 => problem(T::JobsTo, lang.t(T::JobsRangeBackwards).to_owned()),
            Some(d) if d > MAX_DATE_RANGE_DAYS => problem(
                T::JobsTo,
                format!("{} {MAX_DATE_RANGE_DAYS}.", lang.t(T::JobsRangeTooLong)),
            ),
            _ => match filter.clone().created(from.map(|f| f.1), to.map(|t| t.1)) {
                Ok(f) => filter = f,
                Err(_) => problem(T::JobsTo, lang.t(T::JobsRangeBackwards).to_owned()),
            },
        }
    }
    let sort = match raw.sort.as_str() {
        "" => JobSort::Newest,
        s => JobSort::parse(s).unwrap_or_else(|| {
            problem(T::JobsSort, lang.t(T::JobsBadSort).to_owned());
            JobSort::Newest
        }),
    };
    let size = match raw.size.as_str() {
        "" => JOBS_PAGE_ROWS,
        s => match s.parse::<u32>() {
            Ok(n) if (MIN_JOBS_PAGE_ROWS..=MAX_JOBS_PAGE_ROWS).contains(&n) => n,
            _ => {
                problem(
                    T::JobsPageSize,
                    format!("{} {MAX_JOBS_PAGE_ROWS}.", lang.t(T::JobsBadSize)),
                );
                JOBS_PAGE_ROWS
            }
        },
    };
    let key = |s: &str| (!s.is_empty()).then(|| PageKey::parse(s));
    let cursor = match (key(&raw.after), key(&raw.before)) {
        (None, None) => Cursor::First,
        (Some(Some(k)), None) => Cursor::After(k),
        (None, Some(Some(k))) => Cursor::Before(k),
        _ => {
            problem(T::JobsPages, lang.t(T::JobsBadKey).to_owned());
            Cursor::First
        }
    };
    let mut reason_gone = false;
    match raw.get("reason") {
        "" => {}
        key if key.len() == 16 && key.bytes().all(|b| b.is_ascii_hexdigit()) => {
            match find_reason(state, key)
                .await
                .map_err(|e| internal(ctx, e))?
            {
                Some(reason) => filter = filter.reason(reason),
                None => reason_gone = true,
            }
        }
        _ => problem(T::JobsReason, lang.t(T::JobsBadReason).to_owned()),
    }
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    Ok(Ok(Chosen {
        filter,
        sort,
        size,
        cursor,
        reason_gone,
    }))
}

/// The reason a `reason=` key stands for, among the failed jobs' reasons
/// now.
async fn find_reason(
    state: &AppState,
    key: &str,
) -> Result<Option<FailureReason>, vipps_om_outbox::OutboxError> {
    let groups = state
        .outbox
        .failure_groups(vipps_om_outbox::browse::MAX_FAILURE_GROUPS)
        .await?;
    Ok(groups
        .groups
        .into_iter()
        .map(|g| g.reason)
        .find(|r| r.key().eq_ignore_ascii_case(key)))
}

/// A `YYYY-MM-DD` date's start in the staff's zone, `days` days later
/// (the end of a range is the start of the next day); `Ok(None)` when
/// empty.
fn date(ctx: &Ctx, text: &str, days: i64) -> Result<Option<(jiff::civil::Date, Timestamp)>, ()> {
    if text.is_empty() {
        return Ok(None);
    }
    let date: jiff::civil::Date = text.parse().map_err(|_| ())?;
    if !(2000..=2999).contains(&date.year()) || text.len() != 10 {
        return Err(());
    }
    let date = date
        .checked_add(jiff::Span::new().days(days))
        .map_err(|_| ())?;
    let at = date.to_zoned_datetime(ctx.zone.clone()).map_err(|_| ())?;
    Ok(Some((
        date,
        Timestamp::from_millis(at.timestamp().as_millisecond()),
    )))
}

pub(crate) async fn jobs_page(State(state): St, signed: Signed, RawQuery(q): RawQuery) -> Page {
    let ctx = &signed.ctx;
    let raw = Raw::from_pairs(q.as_deref().unwrap_or("").as_bytes());
    let editor = signed.session.user.role.may_edit();
    let chosen = match choose(&state, ctx, &raw).await? {
        Ok(chosen) => chosen,
        Err(problems) => {
            return Ok(respond(
                StatusCode::BAD_REQUEST,
                views::jobs::page(ctx, &raw, None, &problems, editor),
            ));
        }
    };
    let page = if chosen.reason_gone {
        None
    } else {
        Some(
            state
                .outbox
                .browse(&chosen.filter, chosen.sort, &chosen.cursor, chosen.size)
                .await
                .map_err(|e| internal(ctx, e))?,
        )
    };
    let reason = chosen.filter.reason.as_ref();
    let shown = views::jobs::Shown {
        page: page.as_ref(),
        reason,
        reason_gone: chosen.reason_gone,
    };
    Ok(respond(
        StatusCode::OK,
        views::jobs::page(ctx, &raw, Some(&shown), &[], editor),
    ))
}
