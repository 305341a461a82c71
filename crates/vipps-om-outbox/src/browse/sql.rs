//! The statements of [`super`], built per call with `$N` placeholders
//! (MySQL's are rewritten by [`crate::numbered::positional`]) and one
//! dialect per backend where they differ: orderIds compare in byte order
//! (`COLLATE "C"` on PostgreSQL), the receipt number is the indexed
//! expression of migration 7, and MySQL divides integers with `DIV`.

use sqlx::{Database, Encode, IntoArguments, Type};

use super::{Cursor, JobFilter, JobSort, PageKey};
use crate::db::{Backend, TABLE};
use crate::numbered::Numbered;

/// A value to bind.
#[derive(Debug, Clone)]
pub(super) enum Value {
    Int(i64),
    Text(String),
}

/// A statement and its values, `$1` first.
#[derive(Debug, Clone)]
pub(super) struct Built {
    pub(super) text: String,
    pub(super) values: Vec<Value>,
}

impl Built {
    pub(super) fn plain(text: String) -> Built {
        Built {
            text,
            values: Vec::new(),
        }
    }

    /// The placeholder of one more value.
    fn value(&mut self, value: Value) -> String {
        self.values.push(value);
        format!("${}", self.values.len())
    }

    fn int(&mut self, n: i64) -> String {
        self.value(Value::Int(n))
    }

    fn text(&mut self, s: &str) -> String {
        self.value(Value::Text(s.to_owned()))
    }
}

/// Binds `values` in order.
pub(super) fn bind_all<'q, DB: Database>(
    mut query: Numbered<'q, DB>,
    values: &'q [Value],
) -> Numbered<'q, DB>
where
    <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    i64: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
{
    for value in values {
        query = match value {
            Value::Int(n) => query.bind(*n),
            Value::Text(s) => query.bind(s.as_str()),
        };
    }
    query
}

/// The columns of a job's status (as `db::job_status` reads them).
const STATUS: &str = "j.id, j.kind, j.merchant_serial_number, j.payment_type, j.order_id, \
    j.state, j.attempts, j.last_error, j.last_status, j.problems, j.outcome, j.result_id, \
    j.next_attempt_at, j.lease_owner, j.leased_until, j.created_at, j.updated_at, \
    j.delivered_at, j.failed_at, j.budget_used, j.idempotency_key, j.failure";

/// The job of the same order that holds `j` back.
const BLOCKED_BY: &str = "(SELECT e.id FROM vipps_om_outbox_jobs e WHERE e.order_id = j.order_id \
    AND e.payment_type = j.payment_type AND e.merchant_serial_number = j.merchant_serial_number \
    AND e.seq < j.seq AND e.state <> 'delivered' ORDER BY e.seq LIMIT 1) AS blocked_by";

/// The index of the state filter (migration 7).
const STATE_INDEX: &str = "vipps_om_outbox_jobs_state_created";

/// The index of the jobs not delivered (migration 7; partial where the
/// backend can, so the queries name its condition).
const BACKLOG_INDEX: &str = "vipps_om_outbox_jobs_backlog";

/// The condition of [`BACKLOG_INDEX`].
const NOT_DELIVERED: &str = "j.state IN ('pending', 'in_flight', 'failed')";

/// The table, on MySQL told to use `index`: MariaDB and MySQL estimate a
/// state as a third of the table (no histogram) and would read every row
/// to count the failed ones.
fn table(backend: Backend, index: Option<&str>) -> String {
    match (backend, index) {
        (Backend::Mysql, Some(index)) => format!("{TABLE} j FORCE INDEX ({index})"),
        _ => format!("{TABLE} j"),
    }
}

/// The index a count or list of `filter` should use on MySQL: the state's,
/// unless a narrower filter has its own.
fn counting_index(filter: &JobFilter) -> Option<&'static str> {
    let narrower = filter.order_id_prefix.is_some() || filter.receipt_number.is_some();
    ((filter.state.is_some() || filter.reason.is_some()) && !narrower).then_some(STATE_INDEX)
}

/// The index a page of `filter` in `sort` order reads on MySQL (which
/// may otherwise read a time index and skip the rows of other states):
/// the index of its narrowest filter that can give the rows in order.
fn page_index(filter: &JobFilter, sort: JobSort) -> &'static str {
    if filter.receipt_number.is_some() {
        "vipps_om_outbox_jobs_receipt_number"
    } else if filter.order_id_prefix.is_some() || sort == JobSort::OrderId {
        "vipps_om_outbox_jobs_order_id"
    } else if filter.state.is_some() || filter.reason.is_some() {
        STATE_INDEX
    } else if filter.kind.is_some() {
        "vipps_om_outbox_jobs_kind_created"
    } else if filter.merchant_serial_number.is_some() {
        "vipps_om_outbox_jobs_merchant_created"
    } else {
        "vipps_om_outbox_jobs_created"
    }
}

/// The orderId as the index of migration 7 orders it.
fn order_column(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "j.order_id COLLATE \"C\"",
        _ => "j.order_id",
    }
}

/// The smallest string above every string that starts with `prefix`
/// (in code point order, which is UTF-8 byte order); `None` when there is
/// none (the prefix is all U+10FFFF).
pub(super) fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last).checked_add(1);
        while let Some(n) = next {
            if let Some(c) = char::from_u32(n) {
                chars.push(c);
                return Some(chars.into_iter().collect());
            }
            // A surrogate: skip to the first code point after them.
            next = (n <= 0xE000).then_some(0xE000);
        }
    }
    None
}

/// `WHERE` conditions of `filter` (joined with `AND`; `1 = 1` for none).
fn conditions(b: &mut Built, backend: Backend, filter: &JobFilter) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(state) = filter.state {
        out.push(format!("j.state = {}", b.text(state.as_str())));
    }
    if let Some(kind) = filter.kind {
        out.push(format!("j.kind = {}", b.text(kind.as_str())));
    }
    if let Some(msn) = &filter.merchant_serial_number {
        out.push(format!("j.merchant_serial_number = {}", b.text(msn)));
    }
    if let Some(prefix) = &filter.order_id_prefix {
        let column = order_column(backend);
        out.push(format!("{column} >= {}", b.text(prefix)));
        if let Some(above) = successor(prefix) {
            out.push(format!("{column} < {}", b.text(&above)));
        }
    }
    if let Some(number) = &filter.receipt_number {
        let p = b.text(number);
        out.push(match backend {
            Backend::Sqlite => format!(
                "j.kind = 'receipt' AND (CASE WHEN json_valid(j.payload) THEN \
                 json_extract(j.payload, '$.bottomLine.receiptNumber') END) = {p}"
            ),
            // A column on both (migration 8 / 7); PostgreSQL's index holds
            // receipts only.
            Backend::Postgres | Backend::Mysql => {
                format!("j.kind = 'receipt' AND j.receipt_number = {p}")
            }
        });
    }
    if let Some(from) = filter.created_from {
        out.push(format!("j.created_at >= {}", b.int(from.as_millis())));
    }
    if let Some(before) = filter.created_before {
        out.push(format!("j.created_at < {}", b.int(before.as_millis())));
    }
    if let Some(reason) = &filter.reason {
        out.push(format!(
            "j.state = 'failed' AND COALESCE(j.last_status, 0) = {} \
             AND COALESCE(j.failure, '') = {} AND COALESCE(j.last_error, '') = {}",
            b.int(i64::from(reason.status.unwrap_or(0))),
            b.text(if reason.different_content {
                crate::db::DIFFERENT_CONTENT
            } else {
                ""
            }),
            b.text(&reason.error),
        ));
    }
    out
}

fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    }
}

/// A page (or, with `limit` 1, whether a row lies beyond a key).
pub(super) fn page(
    backend: Backend,
    filter: &JobFilter,
    sort: JobSort,
    cursor: &Cursor,
    limit: i64,
) -> Built {
    let mut b = Built::plain(String::new());
    let mut conds = conditions(&mut b, backend, filter);
    let ascending = sort != JobSort::Newest;
    // Reading backwards (a "previous" page) runs the other way.
    let (key, forward) = match cursor {
        Cursor::First => (None, true),
        Cursor::After(key) => (Some(key), true),
        Cursor::Before(key) => (Some(key), false),
    };
    let up = ascending == forward;
    let (cmp, cmp_eq, dir) = if up {
        (">", ">=", "ASC")
    } else {
        ("<", "<=", "DESC")
    };
    let column = match sort {
        JobSort::OrderId => order_column(backend),
        JobSort::Newest | JobSort::Oldest => "j.created_at",
    };
    if let Some(key) = key {
        // `column >= k` bounds the index range; the rest skips the rows
        // of the key itself.
        let (k, id) = match key {
            PageKey::Time { at, id } => (b.int(*at), b.int(*id)),
            PageKey::Order { order_id, id } => (b.text(order_id), b.int(*id)),
        };
        conds.push(format!(
            "{column} {cmp_eq} {k} AND ({column} {cmp} {k} OR j.id {cmp} {id})"
        ));
    }
    let limit = b.int(limit);
    b.text = format!(
        "SELECT {STATUS}, {BLOCKED_BY} FROM {} {} ORDER BY {column} {dir}, j.id {dir} LIMIT {limit}",
        table(backend, Some(page_index(filter, sort))),
        where_clause(&conds)
    );
    b
}

/// How many rows match, at most `cap`.
pub(super) fn count(backend: Backend, filter: &JobFilter, cap: i64) -> Built {
    let mut b = Built::plain(String::new());
    let conds = conditions(&mut b, backend, filter);
    let cap = b.int(cap);
    b.text = format!(
        "SELECT COUNT(*) AS n FROM (SELECT j.id FROM {} {} LIMIT {cap}) m",
        table(backend, counting_index(filter)),
        where_clause(&conds)
    );
    b
}

/// The ids of at most `limit` matching rows, lowest first.
pub(super) fn ids(backend: Backend, filter: &JobFilter, limit: i64) -> Built {
    let mut b = Built::plain(String::new());
    let conds = conditions(&mut b, backend, filter);
    let limit = b.int(limit);
    b.text = format!(
        "SELECT j.id FROM {} {} ORDER BY j.id LIMIT {limit}",
        table(backend, counting_index(filter)),
        where_clause(&conds)
    );
    b
}

/// The failed jobs per merchant, kind and reason, most first.
pub(super) fn failure_groups(backend: Backend, limit: i64) -> Built {
    let mut b = Built::plain(String::new());
    let limit = b.int(limit);
    b.text = format!(
        "SELECT j.merchant_serial_number, j.kind, COALESCE(j.last_status, 0) AS status, \
         COALESCE(j.failure, '') AS failure, COALESCE(j.last_error, '') AS error, COUNT(*) AS n, \
         MIN(j.failed_at) AS first_at, MAX(j.failed_at) AS last_at, MAX(j.id) AS sample \
         FROM {} WHERE j.state = 'failed' \
         GROUP BY j.merchant_serial_number, j.kind, COALESCE(j.last_status, 0), \
         COALESCE(j.failure, ''), COALESCE(j.last_error, '') \
         ORDER BY n DESC, sample DESC LIMIT {limit}",
        table(backend, Some(STATE_INDEX))
    );
    b
}

/// Jobs not delivered, per merchant and state, with the oldest.
pub(super) fn backlog(backend: Backend) -> String {
    format!(
        "SELECT j.merchant_serial_number, j.state, COUNT(*) AS n, MIN(j.created_at) AS oldest \
         FROM {} WHERE {NOT_DELIVERED} \
         GROUP BY j.merchant_serial_number, j.state",
        table(backend, Some(BACKLOG_INDEX))
    )
}

/// Pending jobs that were tried before, per merchant.
pub(super) fn retrying(backend: Backend) -> String {
    format!(
        "SELECT j.merchant_serial_number, COUNT(*) AS n FROM {} \
         WHERE {NOT_DELIVERED} AND j.state = 'pending' AND j.attempts > 0 \
         GROUP BY j.merchant_serial_number",
        table(backend, Some(BACKLOG_INDEX))
    )
}

/// Rows per bucket of `width` ms from `start` to `end` of a time column.
pub(super) fn buckets(backend: Backend, column: &str, start: i64, width: i64, end: i64) -> Built {
    let mut b = Built::plain(String::new());
    let (start, width, end) = (b.int(start), b.int(width), b.int(end));
    let div = if backend == Backend::Mysql {
        "DIV"
    } else {
        "/"
    };
    b.text = format!(
        "SELECT (j.{column} - {start}) {div} {width} AS b, COUNT(*) AS n FROM {TABLE} j \
         WHERE j.{column} >= {start} AND j.{column} < {end} GROUP BY b"
    );
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_successor_of_a_prefix_bounds_exactly_its_strings() {
        assert_eq!(successor("ab").as_deref(), Some("ac"));
        assert_eq!(successor("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(successor("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(successor("\u{10FFFF}"), None);
        for s in ["ab", "ab-1", "ab\u{10FFFE}", "abz"] {
            assert!(("ab".."ac").contains(&s), "{s}");
        }
    }

    #[test]
    fn every_filter_is_a_bound_value() {
        let filter = JobFilter::new()
            .order_id_prefix("o'1")
            .unwrap()
            .receipt_number("r1")
            .unwrap();
        let built = page(
            Backend::Sqlite,
            &filter,
            JobSort::Newest,
            &Cursor::First,
            51,
        );
        assert!(!built.text.contains("o'1"), "{}", built.text);
        assert_eq!(built.values.len(), 4);
    }
}
