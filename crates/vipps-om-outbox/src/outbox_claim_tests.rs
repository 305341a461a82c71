//! The fair claim and the batched record, on SQLite and (with
//! `DATABASE_URL` set) PostgreSQL, through the crate's own statements
//! (MySQL keeps the older claim, oldest merchants first).

use super::*;
use crate::job::Outcome;
use vipps_om::{MerchantSerialNumber, OrderId, PaymentType};

fn job(msn: &str, order: &str, number: u32) -> NewJob {
    use vipps_om::builder::{LineBuilder, ReceiptBuilder};
    let receipt = ReceiptBuilder::new(vipps_om::Currency::Nok)
        .line(
            LineBuilder::new("sku-1", "Wool socks")
                .unit_price(vipps_om::Amount::minor(14_900))
                .quantity("1")
                .tax_rate(vipps_om::TaxRate::from_percent(25)),
        )
        .receipt_number(number.to_string())
        .build()
        .unwrap();
    NewJob::receipt(
        &MerchantSerialNumber::new(msn).unwrap(),
        &PaymentType::Ecom,
        &OrderId::new(order).unwrap(),
        &receipt,
    )
    .unwrap()
}

const LEASE: Duration = Duration::from_secs(30);

async fn merchants_take_turns_from_the_cursor_and_the_excluded_are_left_out(
    db: &vipps_om_testdb::TestDb,
) {
    let outbox = Outbox::connect(db.url()).await.unwrap();
    // Merchant 100001 has a backlog of 5, enqueued first; 100002
    // and 100003 one job each; 100004 one job whose order's first
    // job is in flight.
    let mut jobs: Vec<NewJob> = (0..5).map(|i| job("100001", &format!("a{i}"), i)).collect();
    jobs.push(job("100002", "b", 1));
    jobs.push(job("100003", "c", 1));
    jobs.push(job("100004", "d", 1));
    jobs.push(job("100004", "d", 2));
    outbox.enqueue_many(&jobs).await.unwrap();
    let claim = |max: usize, cursor: &'static str, excluded: Vec<String>| {
        let outbox = outbox.clone();
        async move {
            outbox
                .claim_fair(None, &excluded, "w", LEASE, max, cursor)
                .await
                .unwrap()
        }
    };
    // One job per merchant, in MSN order from the start; the
    // backlog's oldest first.
    let first = claim(2, "", vec![]).await;
    let got: Vec<(String, String)> = first
        .jobs
        .iter()
        .map(|j| (j.merchant_serial_number.clone(), j.order_id.clone()))
        .collect();
    assert_eq!(got.len(), 2, "{got:?} ({})", outbox.backend().as_str());
    assert!(
        got.contains(&("100001".to_owned(), "a0".to_owned())),
        "{got:?}"
    );
    assert!(
        got.contains(&("100002".to_owned(), "b".to_owned())),
        "{got:?}"
    );
    assert_eq!(first.cursor, "100002");
    assert!(!first.end);
    // The next pass goes on after the cursor, not back to the
    // backlog; 100004's second job waits behind its first.
    let second = claim(5, "100002", vec![]).await;
    let mut got: Vec<(String, String)> = second
        .jobs
        .iter()
        .map(|j| (j.merchant_serial_number.clone(), j.order_id.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("100003".to_owned(), "c".to_owned()),
            ("100004".to_owned(), "d".to_owned())
        ]
    );
    assert!(second.end);
    assert_eq!(second.cursor, "");
    // From the start again: 100001's next job (its first is in
    // flight); 100001 excluded, nothing of it.
    let excluded = claim(5, "", vec!["100001".to_owned()]).await;
    assert!(excluded.jobs.is_empty(), "{:?}", excluded.jobs);
    let third = claim(5, "", vec![]).await;
    let got: Vec<&str> = third.jobs.iter().map(|j| j.order_id.as_str()).collect();
    assert_eq!(got, vec!["a1"]);
    outbox.close().await;
}

async fn a_batch_records_only_the_attempts_still_held_and_in_one_go(db: &vipps_om_testdb::TestDb) {
    let outbox = Outbox::connect(db.url()).await.unwrap();
    let jobs: Vec<NewJob> = (0..3).map(|i| job(&format!("20000{i}"), "o", i)).collect();
    outbox.enqueue_many(&jobs).await.unwrap();
    let claimed = outbox
        .claim_fair(None, &[], "w", LEASE, 3, "")
        .await
        .unwrap()
        .jobs;
    assert_eq!(claimed.len(), 3);
    // The second job's lease was taken over by another worker (its
    // own lease ran out, say): the batch must not record it.
    let taken = claimed[1].id.get();
    on_db!(&outbox.db, |pool, _sql| {
        query("UPDATE vipps_om_outbox_jobs SET lease_owner = 'other', attempts = attempts + 1 WHERE id = $1")
            .bind(taken)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected()
    });
    let done: Vec<DeliveredJob> = claimed
        .iter()
        .map(|j| DeliveredJob {
            id: j.id,
            attempts: j.attempts,
            outcome: Outcome::Created,
            result_id: Some(format!("r{}", j.id)),
        })
        .collect();
    let recorded = outbox.record_delivered_many("w", &done).await.unwrap();
    let mut ids: Vec<i64> = recorded.keys().copied().collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![claimed[0].id.get(), claimed[2].id.get()]);
    assert!(recorded.values().all(|w| w.is_some_and(|ms| ms >= 0)));
    for j in [&claimed[0], &claimed[2]] {
        let status = outbox.job(j.id).await.unwrap();
        assert_eq!(status.state, JobState::Delivered);
        assert_eq!(status.outcome, Some(Outcome::Created));
        assert_eq!(status.result_id, Some(format!("r{}", j.id)));
        assert_eq!(status.lease_owner, None);
    }
    let other = outbox.job(claimed[1].id).await.unwrap();
    assert_eq!(other.state, JobState::InFlight);
    assert_eq!(other.lease_owner.as_deref(), Some("other"));
    // Recording the same batch again changes nothing.
    assert!(
        outbox
            .record_delivered_many("w", &done)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        outbox
            .record_delivered_many("w", &[])
            .await
            .unwrap()
            .is_empty()
    );
    outbox.close().await;
}

// MySQL claims oldest merchants first (no partial due index to skip-scan),
// so the turn-taking is checked on SQLite and PostgreSQL only.
vipps_om_testdb::on_every_backend!(
    prefix: "outbox_unit",
    everywhere: [],
    not_on_mysql: [
        merchants_take_turns_from_the_cursor_and_the_excluded_are_left_out,
        a_batch_records_only_the_attempts_still_held_and_in_one_go,
    ],
);

/// A claim locks the jobs it picked through the primary key, also when the
/// planner's statistics are behind the table (analyzed while empty, then a
/// burst of enqueues): through the due index it would read every due job
/// of every merchant on each claim.
#[cfg(feature = "postgres")]
#[tokio::test]
async fn a_postgres_claim_reads_its_picked_jobs_by_primary_key() {
    let Some(db) = vipps_om_testdb::TestDb::postgres("outbox_unit_plan").await else {
        return;
    };
    let outbox = Outbox::connect(db.url()).await.unwrap();
    let pool = outbox.pg_pool().unwrap().clone();
    sqlx::query("ANALYZE vipps_om_outbox_jobs")
        .execute(&pool)
        .await
        .unwrap();
    let jobs: Vec<NewJob> = (0..3_000u32)
        .map(|i| job(&format!("{}", 100_001 + i % 100), &format!("o{i}"), i))
        .collect();
    outbox.enqueue_many(&jobs).await.unwrap();
    let picked: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM vipps_om_outbox_jobs ORDER BY merchant_serial_number, id LIMIT 64",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {}", db::POSTGRES.claim_ids))
        .bind("w")
        .bind(30_000i64)
        .bind(serde_json::to_string(&picked).unwrap())
        .fetch_all(&pool)
        .await
        .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("vipps_om_outbox_jobs_pkey"), "{plan}");
    assert!(!plan.contains("vipps_om_outbox_jobs_due"), "{plan}");
    // And it claims exactly them.
    let mut claimed: Vec<i64> = sqlx::query(&db::POSTGRES.claim_ids)
        .bind("w")
        .bind(30_000i64)
        .bind(serde_json::to_string(&picked).unwrap())
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<i64, _>("id"))
        .collect();
    claimed.sort_unstable();
    let mut picked = picked;
    picked.sort_unstable();
    assert_eq!(claimed, picked);
    // Recording them delivered finds them by primary key too, not by
    // reading every job in flight.
    let n = picked.len();
    let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {}", *DELIVERED_MANY))
        .bind("w")
        .bind(&picked)
        .bind(vec![1i64; n])
        .bind(vec!["created".to_owned(); n])
        .bind(vec![None::<String>; n])
        .fetch_all(&pool)
        .await
        .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("vipps_om_outbox_jobs_pkey"), "{plan}");
    assert!(
        !plan.contains("backlog") && !plan.contains("state_created"),
        "{plan}"
    );
    outbox.close().await;
    db.drop_database().await;
}
