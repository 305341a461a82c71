//! Browsing the jobs, for support staff (the console's `/jobs` page and
//! dashboard): every job, filtered ([`JobFilter`]) and sorted
//! ([`JobSort`]), a page at a time with keyset pagination ([`PageKey`]:
//! a page starts after or before the key of a row, never at an offset,
//! so jobs enqueued meanwhile neither shift nor repeat rows); failed jobs
//! grouped by reason ([`FailureGroup`]); the queue per merchant
//! ([`MerchantBacklog`]); deliveries and failures over time
//! ([`Activity`]).
//!
//! Every filter has an index of its own (migration 7), each ending in the
//! sort key, so a page is an index range scan however many jobs the table
//! holds; [`Outbox::browse_plan`] shows the database's plan. With
//! several filters the database uses one of those indexes and checks the
//! others on its rows.
//!
//! The time of a job here is when it was enqueued (`created_at`).

use std::fmt;

use sha2::{Digest, Sha256};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::db::{self, Backend, on_db};
use crate::error::OutboxError;
use crate::job::{JobId, JobKind, JobState, JobStatus, Timestamp};
use crate::numbered::{positional, text};
use crate::outbox::Outbox;

mod sql;

use sql::{Built, bind_all};

/// The most jobs one page holds ([`Outbox::browse`] clamps to it).
pub const MAX_PAGE_SIZE: u32 = 200;

/// The longest text a filter takes (merchant, orderId prefix, receipt
/// number): 128 characters, the API's longest id.
pub const MAX_FILTER_CHARS: usize = 128;

/// The most reason groups [`Outbox::failure_groups`] returns.
pub const MAX_FAILURE_GROUPS: u32 = 500;

/// The most buckets [`Outbox::activity`] counts: 31 days of hours.
pub const MAX_ACTIVITY_BUCKETS: u32 = 31 * 24;

/// The most job ids [`Outbox::matching_ids`] returns.
pub const MAX_MATCHING_IDS: u32 = 100_000;

/// A filter value the outbox refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// A text filter longer than [`MAX_FILTER_CHARS`].
    #[error("the {field} filter is longer than {max} characters; shorten it", max = MAX_FILTER_CHARS)]
    TooLong {
        /// Which filter.
        field: &'static str,
    },
    /// A date range that ends before it starts.
    #[error("the date range ends before it starts; swap the dates")]
    Backwards,
}

/// Why failed jobs failed, as the outbox recorded it: the HTTP status,
/// whether different content is already stored, and the reason text
/// (the API's message). Jobs with the same reason form a
/// [`FailureGroup`]; [`JobFilter::reason`] selects them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FailureReason {
    /// The HTTP status (none when the API did not answer or the request
    /// was not sent).
    pub status: Option<u16>,
    /// Different content is already stored and cannot be replaced.
    pub different_content: bool,
    /// The reason text (empty when none was recorded).
    pub error: String,
}

impl FailureReason {
    /// A short stable key for links (16 hex digits of a SHA-256 of the
    /// reason); the same reason always has the same key.
    pub fn key(&self) -> String {
        let mut hash = Sha256::new();
        hash.update(self.status.unwrap_or(0).to_be_bytes());
        hash.update([u8::from(self.different_content)]);
        hash.update(self.error.as_bytes());
        hash.finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Which jobs a page, a count or a bulk action covers (every field
/// optional; all given must match). Made with [`JobFilter::new`] and its
/// builder methods, which refuse text over [`MAX_FILTER_CHARS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobFilter {
    /// In this state.
    pub state: Option<JobState>,
    /// Of this kind.
    pub kind: Option<JobKind>,
    /// Of this merchant.
    pub merchant_serial_number: Option<String>,
    /// Whose orderId starts with this (case-sensitive).
    pub order_id_prefix: Option<String>,
    /// Receipts with this `bottomLine.receiptNumber`.
    pub receipt_number: Option<String>,
    /// Enqueued at or after.
    pub created_from: Option<Timestamp>,
    /// Enqueued before.
    pub created_before: Option<Timestamp>,
    /// Failed with this reason.
    pub reason: Option<FailureReason>,
}

fn bounded(field: &'static str, value: &str) -> Result<Option<String>, FilterError> {
    if value.chars().count() > MAX_FILTER_CHARS {
        return Err(FilterError::TooLong { field });
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

impl JobFilter {
    /// Every job.
    pub fn new() -> JobFilter {
        JobFilter::default()
    }

    /// Only jobs in `state`.
    pub fn state(mut self, state: JobState) -> JobFilter {
        self.state = Some(state);
        self
    }

    /// Only jobs of `kind`.
    pub fn kind(mut self, kind: JobKind) -> JobFilter {
        self.kind = Some(kind);
        self
    }

    /// Only jobs of this merchant (empty: any).
    pub fn merchant(mut self, msn: &str) -> Result<JobFilter, FilterError> {
        self.merchant_serial_number = bounded("merchant", msn)?;
        Ok(self)
    }

    /// Only jobs whose orderId starts with `prefix` (empty: any).
    pub fn order_id_prefix(mut self, prefix: &str) -> Result<JobFilter, FilterError> {
        self.order_id_prefix = bounded("orderId", prefix)?;
        Ok(self)
    }

    /// Only receipt jobs with this receipt number (empty: any).
    pub fn receipt_number(mut self, number: &str) -> Result<JobFilter, FilterError> {
        self.receipt_number = bounded("receipt number", number)?;
        Ok(self)
    }

    /// Only jobs enqueued in `[from, before)` (either end open).
    pub fn created(
        mut self,
        from: Option<Timestamp>,
        before: Option<Timestamp>,
    ) -> Result<JobFilter, FilterError> {
        if let (Some(from), Some(before)) = (from, before)
            && before < from
        {
            return Err(FilterError::Backwards);
        }
        self.created_from = from;
        self.created_before = before;
        Ok(self)
    }

    /// Only failed jobs with this reason.
    pub fn reason(mut self, reason: FailureReason) -> JobFilter {
        self.reason = Some(reason);
        self
    }
}

/// The order of a page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobSort {
    /// Newest first (by the time enqueued, then id).
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// By orderId (byte order), then id.
    OrderId,
}

impl JobSort {
    /// The name used in links (`newest`, `oldest`, `order`).
    pub fn as_str(self) -> &'static str {
        match self {
            JobSort::Newest => "newest",
            JobSort::Oldest => "oldest",
            JobSort::OrderId => "order",
        }
    }

    /// Reads a name of [`JobSort::as_str`].
    pub fn parse(name: &str) -> Option<JobSort> {
        match name {
            "newest" => Some(JobSort::Newest),
            "oldest" => Some(JobSort::Oldest),
            "order" => Some(JobSort::OrderId),
            _ => None,
        }
    }
}

/// Where a page starts: the sort key of a row (in links as its
/// [`Display`](fmt::Display) text, read back with [`PageKey::parse`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKey {
    /// A row of a time-sorted page: when enqueued, and its id.
    Time {
        /// `created_at`, milliseconds.
        at: i64,
        /// The job.
        id: i64,
    },
    /// A row of a page sorted by orderId.
    Order {
        /// The orderId.
        order_id: String,
        /// The job.
        id: i64,
    },
}

impl fmt::Display for PageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageKey::Time { at, id } => write!(f, "t.{at}.{id}"),
            PageKey::Order { order_id, id } => write!(f, "o.{id}.{order_id}"),
        }
    }
}

impl PageKey {
    /// Reads the text of [`Display`](fmt::Display); `None` when it is not
    /// one (or its orderId is over [`MAX_FILTER_CHARS`]).
    pub fn parse(text: &str) -> Option<PageKey> {
        if let Some(rest) = text.strip_prefix("t.") {
            let (at, id) = rest.split_once('.')?;
            return Some(PageKey::Time {
                at: at.parse().ok()?,
                id: id.parse().ok()?,
            });
        }
        let (id, order_id) = text.strip_prefix("o.")?.split_once('.')?;
        (order_id.chars().count() <= MAX_FILTER_CHARS).then_some(())?;
        Some(PageKey::Order {
            order_id: order_id.to_owned(),
            id: id.parse().ok()?,
        })
    }

    fn of(sort: JobSort, job: &JobStatus) -> PageKey {
        match sort {
            JobSort::Newest | JobSort::Oldest => PageKey::Time {
                at: job.created_at.as_millis(),
                id: job.id.get(),
            },
            JobSort::OrderId => PageKey::Order {
                order_id: job.order_id.clone(),
                id: job.id.get(),
            },
        }
    }

    fn fits(&self, sort: JobSort) -> bool {
        matches!(
            (self, sort),
            (PageKey::Time { .. }, JobSort::Newest | JobSort::Oldest)
                | (PageKey::Order { .. }, JobSort::OrderId)
        )
    }
}

/// Which page: the first, the one after a row (the "next" link) or the
/// one before it ("previous").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Cursor {
    /// The first page.
    #[default]
    First,
    /// The rows after this key.
    After(PageKey),
    /// The rows before this key.
    Before(PageKey),
}

/// One page of jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobPage {
    /// The jobs, in the sort order.
    pub jobs: Vec<JobStatus>,
    /// The key of the last row, when more rows follow ([`Cursor::After`]).
    pub next: Option<PageKey>,
    /// The key of the first row, when rows come before
    /// ([`Cursor::Before`]).
    pub previous: Option<PageKey>,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Rows of `text` with `values` on the outbox's database, each read by
/// `$read` (generic over the backend's row).
macro_rules! fetch {
    ($outbox:expr, $built:expr, $action:expr, $read:expr) => {{
        let built: &Built = $built;
        on_db!($outbox.db(), |pool, sql| {
            let _ = sql;
            let text = if $outbox.backend() == Backend::Mysql {
                positional(&built.text)
            } else {
                built.text.clone()
            };
            match bind_all(crate::numbered::query(&text), &built.values)
                .fetch_all(pool)
                .await
            {
                Ok(rows) => rows
                    .iter()
                    .map($read)
                    .collect::<Result<Vec<_>, sqlx::Error>>(),
                Err(e) => Err(e),
            }
        })
        .map_err(OutboxError::db($action))
    }};
}

mod dashboard;

pub use dashboard::{Activity, FailureGroup, FailureGroups, MerchantBacklog};

fn id_of<R: Row>(row: &R) -> Result<i64, sqlx::Error>
where
    for<'s> &'s str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get("id")
}

impl Outbox {
    /// A page of at most `limit` jobs (1 to [`MAX_PAGE_SIZE`]) matching
    /// `filter`, sorted by `sort`, from `cursor`. A key made for another
    /// sort starts at the first page.
    pub async fn browse(
        &self,
        filter: &JobFilter,
        sort: JobSort,
        cursor: &Cursor,
        limit: u32,
    ) -> Result<JobPage, OutboxError> {
        let limit = limit.clamp(1, MAX_PAGE_SIZE);
        let cursor = match cursor {
            Cursor::After(k) | Cursor::Before(k) if !k.fits(sort) => &Cursor::First,
            other => other,
        };
        let backwards = matches!(cursor, Cursor::Before(_));
        let built = sql::page(self.backend(), filter, sort, cursor, i64::from(limit) + 1);
        let mut jobs: Vec<JobStatus> = fetch!(self, &built, "read a page of jobs", db::job_status)?;
        let more = jobs.len() > limit as usize;
        jobs.truncate(limit as usize);
        if backwards {
            jobs.reverse();
        }
        // Whether anything lies beyond the other end of the page.
        let beyond = |key: Option<PageKey>, after: bool| async move {
            let Some(key) = key else {
                return Ok::<bool, OutboxError>(false);
            };
            let cursor = if after {
                Cursor::After(key)
            } else {
                Cursor::Before(key)
            };
            let built = sql::page(self.backend(), filter, sort, &cursor, 1);
            Ok(!fetch!(self, &built, "read a page of jobs", id_of)?.is_empty())
        };
        let first = jobs.first().map(|j| PageKey::of(sort, j));
        let last = jobs.last().map(|j| PageKey::of(sort, j));
        let (has_previous, has_next) = match cursor {
            Cursor::First => (false, more),
            Cursor::After(key) => (
                beyond(first.clone().or(Some(key.clone())), false).await?,
                more,
            ),
            Cursor::Before(key) => (
                more,
                beyond(last.clone().or(Some(key.clone())), true).await?,
            ),
        };
        Ok(JobPage {
            next: if has_next { last } else { None },
            previous: if has_previous { first } else { None },
            jobs,
        })
    }

    /// The database's plan of the statement [`Outbox::browse`] runs for
    /// this page (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` elsewhere), one
    /// line per row: to check which index a filter uses.
    pub async fn browse_plan(
        &self,
        filter: &JobFilter,
        sort: JobSort,
        cursor: &Cursor,
        limit: u32,
    ) -> Result<String, OutboxError> {
        let mut built = sql::page(self.backend(), filter, sort, cursor, i64::from(limit));
        let (prefix, column) = match self.backend() {
            Backend::Sqlite => ("EXPLAIN QUERY PLAN ", "detail"),
            Backend::Postgres => ("EXPLAIN ", "QUERY PLAN"),
            Backend::Mysql => ("EXPLAIN ", "key"),
        };
        built.text.insert_str(0, prefix);
        let lines: Vec<Option<String>> =
            fetch!(self, &built, "explain a page of jobs", |r| -> Result<
                _,
                sqlx::Error,
            > {
                text::<_, Option<String>>(r, column)
            })?;
        Ok(lines.into_iter().flatten().collect::<Vec<_>>().join("\n"))
    }

    /// How many jobs match `filter`, counting at most `cap` (a count of
    /// `cap` means "at least").
    pub async fn count_matching(&self, filter: &JobFilter, cap: u32) -> Result<u64, OutboxError> {
        let built = sql::count(self.backend(), filter, i64::from(cap));
        let n: Vec<i64> = fetch!(self, &built, "count jobs", |r| r.try_get::<i64, _>("n"))?;
        Ok(count(n.first().copied().unwrap_or(0)))
    }

    /// The ids of at most `limit` jobs matching `filter` (at most
    /// [`MAX_MATCHING_IDS`]), lowest first: what a bulk action acts on.
    pub async fn matching_ids(
        &self,
        filter: &JobFilter,
        limit: u32,
    ) -> Result<Vec<JobId>, OutboxError> {
        let built = sql::ids(
            self.backend(),
            filter,
            i64::from(limit.min(MAX_MATCHING_IDS)),
        );
        let ids = fetch!(self, &built, "list jobs", id_of)?;
        Ok(ids.into_iter().map(JobId::new).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_keys_read_back_and_refuse_anything_else() {
        for key in [
            PageKey::Time {
                at: 1_764_000_000_000,
                id: 42,
            },
            PageKey::Time { at: -5, id: 0 },
            PageKey::Order {
                order_id: "a.b:c/ø".into(),
                id: 7,
            },
        ] {
            assert_eq!(PageKey::parse(&key.to_string()), Some(key));
        }
        for bad in [
            "",
            "t.",
            "t.1",
            "t.x.1",
            "o.1",
            "o.x.a",
            "x.1.2",
            &format!("o.1.{}", "a".repeat(129)),
        ] {
            assert_eq!(PageKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_reason_key_is_stable_and_tells_reasons_apart() {
        let r = FailureReason {
            status: Some(400),
            different_content: false,
            error: "x".into(),
        };
        assert_eq!(r.key(), r.clone().key());
        assert_eq!(r.key().len(), 16);
        let other = FailureReason {
            status: Some(404),
            ..r.clone()
        };
        assert_ne!(r.key(), other.key());
    }

    #[test]
    fn filters_are_bounded() {
        let long = "a".repeat(MAX_FILTER_CHARS + 1);
        assert_eq!(
            JobFilter::new().order_id_prefix(&long),
            Err(FilterError::TooLong { field: "orderId" })
        );
        assert!(
            JobFilter::new()
                .merchant(&"1".repeat(MAX_FILTER_CHARS))
                .is_ok()
        );
        let t = Timestamp::from_millis(10);
        assert_eq!(
            JobFilter::new().created(Some(t), Some(Timestamp::from_millis(9))),
            Err(FilterError::Backwards)
        );
    }
}
