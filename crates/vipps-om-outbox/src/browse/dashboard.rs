//! The dashboard's reads: the failed jobs grouped by reason, the jobs not
//! delivered per merchant, and deliveries and failures per time bucket.

use std::time::Duration;

use sqlx::Row;

use super::sql::{self, Built, bind_all};
use super::{FailureReason, MAX_ACTIVITY_BUCKETS, MAX_FAILURE_GROUPS, count};
use crate::db::{self, Backend, on_db};
use crate::error::OutboxError;
use crate::job::{JobId, JobKind, JobState, Timestamp};
use crate::numbered::{positional, text};
use crate::outbox::Outbox;

/// Failed jobs of one merchant and kind with the same reason.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FailureGroup {
    /// Their merchant.
    pub merchant_serial_number: String,
    /// Their kind.
    pub kind: JobKind,
    /// Why they failed.
    pub reason: FailureReason,
    /// How many.
    pub count: u64,
    /// When the first of them failed.
    pub first_failed_at: Option<Timestamp>,
    /// When the last of them failed.
    pub last_failed_at: Option<Timestamp>,
    /// The newest of them (its rejected fields stand for the group's).
    pub sample: JobId,
}

/// The failed jobs, grouped by reason, most first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FailureGroups {
    /// At most the number asked for.
    pub groups: Vec<FailureGroup>,
    /// More groups exist than returned.
    pub more: bool,
}

/// One merchant's jobs that are not delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MerchantBacklog {
    /// The merchant.
    pub merchant_serial_number: String,
    /// Waiting for their first attempt.
    pub waiting: u64,
    /// Waiting to be tried again after a failed attempt.
    pub retrying: u64,
    /// Being delivered now.
    pub in_flight: u64,
    /// Failed for good, kept for staff.
    pub failed: u64,
    /// When the oldest waiting, retrying or in-flight job was enqueued.
    pub oldest_waiting: Option<Timestamp>,
}

/// Deliveries and failures per time bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Activity {
    /// Where the first bucket starts.
    pub from: Timestamp,
    /// How long each bucket is.
    pub width: Duration,
    /// Jobs delivered in each bucket.
    pub delivered: Vec<u64>,
    /// Jobs that failed for good in each bucket and are still failed (a
    /// retry clears the failure).
    pub failed: Vec<u64>,
}

impl Outbox {
    /// The failed jobs grouped by merchant, kind and reason, most first
    /// (at most `limit` groups, up to [`MAX_FAILURE_GROUPS`]).
    pub async fn failure_groups(&self, limit: u32) -> Result<FailureGroups, OutboxError> {
        let limit = limit.clamp(1, MAX_FAILURE_GROUPS);
        let built = sql::failure_groups(self.backend(), i64::from(limit) + 1);
        let mut groups = fetch!(self, &built, "group the failed jobs", |r| -> Result<
            _,
            sqlx::Error,
        > {
            let kind: String = text(r, "kind")?;
            let failure: String = text(r, "failure")?;
            Ok(FailureGroup {
                merchant_serial_number: text(r, "merchant_serial_number")?,
                kind: JobKind::parse(&kind).ok_or_else(|| db::decode_error("kind", &kind))?,
                reason: FailureReason {
                    status: u16::try_from(r.try_get::<i64, _>("status")?)
                        .ok()
                        .filter(|s| *s != 0),
                    different_content: failure == db::DIFFERENT_CONTENT,
                    error: text(r, "error")?,
                },
                count: count(r.try_get("n")?),
                first_failed_at: r
                    .try_get::<Option<i64>, _>("first_at")?
                    .map(Timestamp::from_millis),
                last_failed_at: r
                    .try_get::<Option<i64>, _>("last_at")?
                    .map(Timestamp::from_millis),
                sample: JobId::new(r.try_get("sample")?),
            })
        })?;
        let more = groups.len() > limit as usize;
        groups.truncate(limit as usize);
        Ok(FailureGroups { groups, more })
    }

    /// The jobs not delivered yet, per merchant (by merchant), and the
    /// database's clock.
    pub async fn backlog(&self) -> Result<(Vec<MerchantBacklog>, Timestamp), OutboxError> {
        let now_sql = on_db!(self.db(), |_pool, sql| sql.now);
        let now: Vec<i64> = fetch!(
            self,
            &Built::plain(format!("SELECT {now_sql} AS now")),
            "read the clock",
            |r| r.try_get::<i64, _>("now")
        )?;
        let states = fetch!(
            self,
            &Built::plain(sql::backlog(self.backend())),
            "count waiting jobs",
            |r| -> Result<_, sqlx::Error> {
                Ok((
                    text::<_, String>(r, "merchant_serial_number")?,
                    text::<_, String>(r, "state")?,
                    r.try_get::<i64, _>("n")?,
                    r.try_get::<Option<i64>, _>("oldest")?,
                ))
            }
        )?;
        let retrying = fetch!(
            self,
            &Built::plain(sql::retrying(self.backend())),
            "count retrying jobs",
            |r| -> Result<_, sqlx::Error> {
                Ok((
                    text::<_, String>(r, "merchant_serial_number")?,
                    r.try_get::<i64, _>("n")?,
                ))
            }
        )?;
        let mut out: Vec<MerchantBacklog> = Vec::new();
        let mut entry = |msn: &str| -> usize {
            match out.iter().position(|m| m.merchant_serial_number == msn) {
                Some(at) => at,
                None => {
                    out.push(MerchantBacklog {
                        merchant_serial_number: msn.to_owned(),
                        ..MerchantBacklog::default()
                    });
                    out.len() - 1
                }
            }
        };
        let mut rows = Vec::new();
        for (msn, state, n, oldest) in states {
            rows.push((entry(&msn), state, n, oldest));
        }
        let retrying: Vec<(usize, i64)> =
            retrying.into_iter().map(|(m, n)| (entry(&m), n)).collect();
        for (at, state, n, oldest) in rows {
            let m = &mut out[at];
            match JobState::parse(&state) {
                Some(JobState::Pending) => m.waiting = m.waiting.saturating_add(count(n)),
                Some(JobState::InFlight) => m.in_flight = count(n),
                Some(JobState::Failed) => m.failed = count(n),
                _ => continue,
            }
            if state != JobState::Failed.as_str()
                && let Some(t) = oldest.map(Timestamp::from_millis)
            {
                m.oldest_waiting = Some(m.oldest_waiting.map_or(t, |o| o.min(t)));
            }
        }
        for (at, n) in retrying {
            let m = &mut out[at];
            m.retrying = count(n);
            m.waiting = m.waiting.saturating_sub(m.retrying);
        }
        out.sort_by(|a, b| a.merchant_serial_number.cmp(&b.merchant_serial_number));
        Ok((
            out,
            Timestamp::from_millis(now.first().copied().unwrap_or(0)),
        ))
    }

    /// Deliveries and failures in `buckets` buckets of `width` (at least
    /// a minute) from `from` (at most [`MAX_ACTIVITY_BUCKETS`]).
    pub async fn activity(
        &self,
        from: Timestamp,
        width: Duration,
        buckets: u32,
    ) -> Result<Activity, OutboxError> {
        let buckets = buckets.clamp(1, MAX_ACTIVITY_BUCKETS);
        let width = width.max(Duration::from_secs(60));
        let width_ms = i64::try_from(width.as_millis()).unwrap_or(i64::MAX);
        let start = from.as_millis();
        let end = start.saturating_add(width_ms.saturating_mul(i64::from(buckets)));
        let mut counts = [Vec::new(), Vec::new()];
        for (column, out) in ["delivered_at", "failed_at"]
            .into_iter()
            .zip(counts.iter_mut())
        {
            let built = sql::buckets(self.backend(), column, start, width_ms, end);
            let rows = fetch!(self, &built, "count deliveries over time", |r| -> Result<
                _,
                sqlx::Error,
            > {
                Ok((r.try_get::<i64, _>("b")?, r.try_get::<i64, _>("n")?))
            })?;
            *out = vec![0u64; buckets as usize];
            for (b, n) in rows {
                if let Some(slot) = usize::try_from(b).ok().and_then(|b| out.get_mut(b)) {
                    *slot = count(n);
                }
            }
        }
        let [delivered, failed] = counts;
        Ok(Activity {
            from,
            width,
            delivered,
            failed,
        })
    }
}
