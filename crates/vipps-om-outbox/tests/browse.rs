//! Browsing a large outbox (`Outbox::browse` and the dashboard's
//! queries): 1,000,000 jobs inserted with one bulk SQL statement, then
//! every filter's page is checked for its rows, for an index in its query
//! plan (no full scan, no sort of every row) and for a page in a generous
//! time; paging newest-first and oldest-first while jobs are enqueued in
//! between neither skips nor repeats a row, and "previous" returns the
//! page before. On SQLite always; on PostgreSQL with `DATABASE_URL` and
//! on MySQL/MariaDB with `MYSQL_URL` (built with the `mysql` feature), a
//! fresh database each, skipped with a message without.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use vipps_om_outbox::{
    Backend, Cursor, JobFilter, JobId, JobKind, JobSort, JobState, Outbox, PageKey, Timestamp,
};

/// Jobs in the large table.
const ROWS: i64 = 1_000_000;
/// Milliseconds between two jobs' `created_at` (1,000,000 jobs over 29 days).
const STEP: i64 = 2_500;
/// The most one page may take here (debug builds on a busy machine; the
/// benchmark measures the real time).
const PAGE_BOUND: Duration = Duration::from_secs(3);

/// The bulk insert of `ROWS` jobs: job `i` (1-based) is a receipt, an
/// image or a category by `i % 4`, of merchant `10000{1 + i % 3}`, with
/// orderId `order-%07d`, receipt number `r-%07d` (receipts), failed when
/// `i % 100 == 0`, pending when `i % 100 == 1`, else delivered; enqueued
/// `base + i * STEP`.
fn fill_sql(backend: Backend, base: i64) -> String {
    let cols = "kind, merchant_serial_number, payment_type, order_id, payload, state, attempts, \
        next_attempt_at, created_at, updated_at, seq, idempotency_key, delivered_at, failed_at, \
        last_error, last_status";
    let (rows, fmt_order, fmt_receipt) = match backend {
        Backend::Sqlite => (
            format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})"),
            "printf('order-%07d', i)".to_owned(),
            "printf('{\"orderLines\":[],\"bottomLine\":{\"currency\":\"NOK\",\"receiptNumber\":\"r-%07d\"}}', i)".to_owned(),
        ),
        Backend::Postgres => (
            String::new(),
            "'order-' || lpad(i::text, 7, '0')".to_owned(),
            "'{\"orderLines\":[],\"bottomLine\":{\"currency\":\"NOK\",\"receiptNumber\":\"r-' || lpad(i::text, 7, '0') || '\"}}'".to_owned(),
        ),
        _ => (
            String::new(),
            "CONCAT('order-', LPAD(i, 7, '0'))".to_owned(),
            "CONCAT('{\"orderLines\":[],\"bottomLine\":{\"currency\":\"NOK\",\"receiptNumber\":\"r-', LPAD(i, 7, '0'), '\"}}')".to_owned(),
        ),
    };
    let select = format!(
        "SELECT CASE i % 4 WHEN 0 THEN 'receipt' WHEN 1 THEN 'image' WHEN 2 THEN 'category_v2' ELSE 'category_v3' END, \
         CASE i % 3 WHEN 0 THEN '100001' WHEN 1 THEN '100002' ELSE '100003' END, 'ECOM', {fmt_order}, \
         CASE WHEN i % 4 = 0 THEN {fmt_receipt} ELSE '{{}}' END, \
         CASE WHEN i % 100 = 0 THEN 'failed' WHEN i % 100 = 1 THEN 'pending' ELSE 'delivered' END, \
         1, {base} + i * {STEP}, {base} + i * {STEP}, {base} + i * {STEP}, 1, {key}, \
         CASE WHEN i % 100 > 1 THEN {base} + i * {STEP} + 1000 END, \
         CASE WHEN i % 100 = 0 THEN {base} + i * {STEP} + 1000 END, \
         CASE WHEN i % 100 = 0 THEN 'refused' END, CASE WHEN i % 100 = 0 THEN 400 END",
        key = match backend {
            Backend::Sqlite => "'k' || i",
            Backend::Postgres => "'k' || i::text",
            _ => "CONCAT('k', i)",
        }
    );
    match backend {
        Backend::Sqlite => {
            format!("{rows} INSERT INTO vipps_om_outbox_jobs ({cols}) {select} FROM n")
        }
        Backend::Postgres => format!(
            "INSERT INTO vipps_om_outbox_jobs ({cols}) {select} FROM generate_series(CAST(1 AS BIGINT), {ROWS}) AS g(i)"
        ),
        _ => format!(
            "INSERT INTO vipps_om_outbox_jobs ({cols}) {select} FROM \
             (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * h.d + 1 AS i \
              FROM {digits} a, {digits} b, {digits} c, {digits} e, {digits} f, {digits} h) n",
            digits = "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 \
                      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)"
        ),
    }
}

async fn execute(outbox: &Outbox, sql: &str) {
    match outbox.backend() {
        Backend::Sqlite => {
            sqlx::raw_sql(sql)
                .execute(outbox.sqlite_pool().unwrap())
                .await
                .unwrap();
        }
        Backend::Postgres => {
            sqlx::raw_sql(sql)
                .execute(outbox.pg_pool().unwrap())
                .await
                .unwrap();
        }
        _ => {
            #[cfg(feature = "mysql")]
            sqlx::raw_sql(sql)
                .execute(outbox.mysql_pool().unwrap())
                .await
                .unwrap();
        }
    }
}

/// Enqueues `n` failed jobs now (newer than every job of the table).
async fn add_failed(outbox: &Outbox, n: usize, tag: &str) -> Vec<JobId> {
    let msn = vipps_om::MerchantSerialNumber::new("100001").unwrap();
    let mut ids = Vec::new();
    for k in 0..n {
        let order = vipps_om::OrderId::new(format!("late-{tag}-{k}")).unwrap();
        let category =
            vipps_om::Category::new(vipps_om::CategoryType::General, "https://shop.example/o");
        let job = vipps_om_outbox::NewJob::category(
            &msn,
            &vipps_om::PaymentType::Ecom,
            &order,
            &category,
        )
        .unwrap();
        ids.push(outbox.enqueue(&job).await.unwrap());
    }
    let list: Vec<String> = ids.iter().map(|id| id.get().to_string()).collect();
    execute(
        outbox,
        &format!(
            "UPDATE vipps_om_outbox_jobs SET state = 'failed', failed_at = created_at, last_error = 'refused', \
             last_status = 400 WHERE id IN ({})",
            list.join(", ")
        ),
    )
    .await;
    ids
}

/// Which index the plan of a page uses (the plan must name one, and must
/// neither scan the table nor sort every row).
fn assert_indexed(backend: Backend, what: &str, plan: &str, index: &str) {
    // An exact match (one receipt number) may sort the few rows it found.
    let sorts_matches = index.ends_with("receipt_number");
    match backend {
        Backend::Sqlite => {
            assert!(
                plan.contains(&format!("INDEX {index}")),
                "{what}: wants {index}:\n{plan}"
            );
            assert!(
                sorts_matches || !plan.contains("USE TEMP B-TREE FOR ORDER BY"),
                "{what}: sorts every row:\n{plan}"
            );
        }
        // PostgreSQL may prefer another of the indexes for a filter that
        // matches a quarter of the table (reading it in time order and
        // checking the kind finds a page sooner): any index, no scan of
        // the table, no sort of every row.
        Backend::Postgres => {
            assert!(
                plan.contains("Index"),
                "{what}: wants an index ({index}):\n{plan}"
            );
            assert!(
                sorts_matches
                    || !plan.lines().any(|l| l
                        .trim_start()
                        .trim_start_matches("->  ")
                        .starts_with("Sort ")),
                "{what}: sorts every row:\n{plan}"
            );
            assert!(
                !plan.contains("Seq Scan on vipps_om_outbox_jobs j"),
                "{what}: scans the table:\n{plan}"
            );
        }
        _ => assert!(
            plan.lines().any(|l| l == index),
            "{what}: wants {index}:\n{plan}"
        ),
    }
}

/// A filter's name, the filter, its sort, the index its plan must use,
/// and which jobs (by `i`) it matches.
type Case = (
    &'static str,
    JobFilter,
    JobSort,
    &'static str,
    Box<dyn Fn(i64) -> bool>,
);

async fn large_table(outbox: &Outbox) {
    let backend = outbox.backend();
    let now = Timestamp::now().as_millis();
    let base = now - 30 * 86_400_000;
    let started = Instant::now();
    execute(outbox, &fill_sql(backend, base)).await;
    match backend {
        Backend::Sqlite => execute(outbox, "ANALYZE").await,
        // As autovacuum would: the visibility map lets counts read indexes alone.
        Backend::Postgres => execute(outbox, "VACUUM ANALYZE vipps_om_outbox_jobs").await,
        _ => execute(outbox, "ANALYZE TABLE vipps_om_outbox_jobs").await,
    }
    eprintln!(
        "{backend:?}: {ROWS} jobs inserted in {:?}",
        started.elapsed()
    );

    let at = |i: i64| Timestamp::from_millis(base + i * STEP);
    let cases: Vec<Case> = vec![
        (
            "every job, newest first",
            JobFilter::new(),
            JobSort::Newest,
            "vipps_om_outbox_jobs_created",
            Box::new(|_| true),
        ),
        (
            "every job, oldest first",
            JobFilter::new(),
            JobSort::Oldest,
            "vipps_om_outbox_jobs_created",
            Box::new(|_| true),
        ),
        (
            "every job, by orderId",
            JobFilter::new(),
            JobSort::OrderId,
            "vipps_om_outbox_jobs_order_id",
            Box::new(|_| true),
        ),
        (
            "failed",
            JobFilter::new().state(JobState::Failed),
            JobSort::Newest,
            "vipps_om_outbox_jobs_state_created",
            Box::new(|i| i % 100 == 0),
        ),
        (
            "receipts",
            JobFilter::new().kind(JobKind::Receipt),
            JobSort::Oldest,
            "vipps_om_outbox_jobs_kind_created",
            Box::new(|i| i % 4 == 0),
        ),
        (
            "one merchant",
            JobFilter::new().merchant("100002").unwrap(),
            JobSort::Newest,
            "vipps_om_outbox_jobs_merchant_created",
            Box::new(|i| i % 3 == 1),
        ),
        (
            "orderId prefix",
            JobFilter::new().order_id_prefix("order-00012").unwrap(),
            JobSort::OrderId,
            "vipps_om_outbox_jobs_order_id",
            Box::new(|i| (1200..1300).contains(&i)),
        ),
        (
            "receipt number",
            JobFilter::new().receipt_number("r-0000400").unwrap(),
            JobSort::Newest,
            "vipps_om_outbox_jobs_receipt_number",
            Box::new(|i| i == 400),
        ),
        (
            "date range",
            JobFilter::new()
                .created(Some(at(1000)), Some(at(2000)))
                .unwrap(),
            JobSort::Oldest,
            "vipps_om_outbox_jobs_created",
            Box::new(|i| (1000..2000).contains(&i)),
        ),
    ];
    for (what, filter, sort, index, matches) in cases {
        let plan = outbox
            .browse_plan(&filter, sort, &Cursor::First, 50)
            .await
            .unwrap();
        assert_indexed(backend, what, &plan, index);
        let t = Instant::now();
        let page = outbox
            .browse(&filter, sort, &Cursor::First, 50)
            .await
            .unwrap();
        let took = t.elapsed();
        eprintln!("{backend:?}: {what}: first page in {took:?}");
        assert!(took < PAGE_BOUND, "{what}: {took:?}");
        assert!(!page.jobs.is_empty(), "{what}");
        let expected = (1..=ROWS).filter(|i| matches(*i)).count().min(50);
        assert_eq!(page.jobs.len(), expected, "{what}");
        for job in &page.jobs {
            let i: i64 = job.order_id.trim_start_matches("order-").parse().unwrap();
            assert!(matches(i), "{what}: {}", job.order_id);
        }
        // A later page by its key is as quick and keyed the same way.
        if let Some(next) = page.next.clone() {
            let plan = outbox
                .browse_plan(&filter, sort, &Cursor::After(next.clone()), 50)
                .await
                .unwrap();
            assert_indexed(backend, what, &plan, index);
            let t = Instant::now();
            let second = outbox
                .browse(&filter, sort, &Cursor::After(next), 50)
                .await
                .unwrap();
            assert!(t.elapsed() < PAGE_BOUND, "{what}: {:?}", t.elapsed());
            assert!(second.jobs.iter().all(|j| !page.jobs.contains(j)), "{what}");
        }
    }
    let newest = outbox
        .browse(&JobFilter::new(), JobSort::Newest, &Cursor::First, 3)
        .await
        .unwrap();
    assert_eq!(newest.jobs[0].order_id, format!("order-{ROWS:07}"));
    let by_order = outbox
        .browse(&JobFilter::new(), JobSort::OrderId, &Cursor::First, 2)
        .await
        .unwrap();
    assert_eq!(by_order.jobs[0].order_id, "order-0000001");

    // The dashboard's queries.
    let t = Instant::now();
    let groups = outbox.failure_groups(20).await.unwrap();
    eprintln!("{backend:?}: failure groups in {:?}", t.elapsed());
    assert_eq!(groups.groups.iter().map(|g| g.count).sum::<u64>(), 10_000);
    assert!(
        groups
            .groups
            .iter()
            .all(|g| g.reason.status == Some(400) && g.reason.error == "refused")
    );
    let t = Instant::now();
    let (backlog, _) = outbox.backlog().await.unwrap();
    eprintln!("{backend:?}: backlog in {:?}", t.elapsed());
    assert_eq!(backlog.len(), 3);
    assert_eq!(backlog.iter().map(|m| m.failed).sum::<u64>(), 10_000);
    assert_eq!(backlog.iter().map(|m| m.retrying).sum::<u64>(), 10_000);
    let t = Instant::now();
    let activity = outbox
        .activity(
            Timestamp::from_millis(base),
            Duration::from_secs(3600),
            31 * 24,
        )
        .await
        .unwrap();
    eprintln!(
        "{backend:?}: 31 days of hourly activity in {:?}",
        t.elapsed()
    );
    assert_eq!(activity.delivered.iter().sum::<u64>(), 980_000);
    assert_eq!(activity.failed.iter().sum::<u64>(), 10_000);
    let group = &groups.groups[0];
    let t = Instant::now();
    let every = outbox
        .count_matching(&JobFilter::new().reason(group.reason.clone()), 100_000)
        .await
        .unwrap();
    eprintln!("{backend:?}: count of a reason in {:?}", t.elapsed());
    assert_eq!(every, 10_000, "the reason of every merchant");
    let of_group = JobFilter::new()
        .merchant(&group.merchant_serial_number)
        .unwrap()
        .kind(group.kind)
        .reason(group.reason.clone());
    assert_eq!(
        outbox.count_matching(&of_group, 100_000).await.unwrap(),
        group.count
    );
    assert_eq!(
        outbox.count_matching(&of_group, 7).await.unwrap(),
        7,
        "capped"
    );

    paging_is_stable(outbox).await;
}

/// Paging through the failed jobs while failed jobs are enqueued between
/// pages: newest first sees exactly the jobs there were, oldest first
/// those and then the new ones; "previous" gives the page before.
async fn paging_is_stable(outbox: &Outbox) {
    let failed = JobFilter::new().state(JobState::Failed);
    for sort in [JobSort::Newest, JobSort::Oldest] {
        let before: Vec<JobId> = outbox.matching_ids(&failed, 100_000).await.unwrap();
        let mut seen: Vec<JobId> = Vec::new();
        let mut added: Vec<JobId> = Vec::new();
        let mut cursor = Cursor::First;
        let mut pages: Vec<(Cursor, Vec<JobId>, Option<PageKey>)> = Vec::new();
        loop {
            let page = outbox.browse(&failed, sort, &cursor, 200).await.unwrap();
            let ids: Vec<JobId> = page.jobs.iter().map(|j| j.id).collect();
            seen.extend(&ids);
            pages.push((cursor.clone(), ids, page.previous.clone()));
            added
                .extend(add_failed(outbox, 3, &format!("{}-{}", sort.as_str(), pages.len())).await);
            match page.next {
                Some(key) => cursor = Cursor::After(key),
                None => break,
            }
        }
        let unique: BTreeSet<JobId> = seen.iter().copied().collect();
        assert_eq!(unique.len(), seen.len(), "{sort:?}: a row came twice");
        let mut expected: BTreeSet<JobId> = before.iter().copied().collect();
        if sort == JobSort::Oldest {
            // New jobs come after every earlier one: all but the last
            // batch (added after the last page) were reached.
            let last_batch = added.len() - 3;
            expected.extend(&added[..last_batch]);
        }
        assert_eq!(unique, expected, "{sort:?}: rows skipped or extra");
        // "previous" from the third page is the second page.
        let (_, second, _) = &pages[1];
        let (_, _, previous) = &pages[2];
        let back = outbox
            .browse(
                &failed,
                sort,
                &Cursor::Before(previous.clone().unwrap()),
                200,
            )
            .await
            .unwrap();
        assert_eq!(
            &back.jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
            second,
            "{sort:?}"
        );
    }
}

vipps_om_testdb::on_every_backend!(
    prefix: "outbox_browse",
    everywhere: [a_million_jobs_page_by_index],
);

async fn a_million_jobs_page_by_index(db: &vipps_om_testdb::TestDb) {
    let outbox = Outbox::connect(db.url()).await.unwrap();
    large_table(&outbox).await;
    outbox.close().await;
}
