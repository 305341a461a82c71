//! Upgrading a PostgreSQL outbox that already holds jobs (with
//! `DATABASE_URL`; skipped with a message without): a database at schema
//! version 6 with receipt jobs in it is brought to the current version by
//! `Outbox::connect`, even when the server builds indexes with parallel
//! workers, and its old receipts are found by receipt number afterwards,
//! as are new ones and receipts inserted with the shop's own SQL.

use sha2::Digest;
use sqlx::Connection;
use vipps_om_outbox::{Cursor, JobFilter, JobSort, Outbox};

/// The PostgreSQL migrations before version 7, in order.
const BEFORE_7: &[(i64, &str, &str)] = &[
    (
        1,
        "outbox jobs",
        include_str!("../migrations/postgres/0001_outbox.sql"),
    ),
    (
        2,
        "integer times, nothing scheduled beyond 24 h",
        include_str!("../migrations/postgres/0002_integer_times.sql"),
    ),
    (
        3,
        "per-order sequence, retry budget, idempotency keys, different content",
        include_str!("../migrations/postgres/0003_order_seq_budget_keys.sql"),
    ),
    (
        4,
        "the format version of stored requests",
        include_str!("../migrations/postgres/0004_payload_version.sql"),
    ),
    (
        6,
        "webhook events for the shop",
        include_str!("../migrations/postgres/0006_webhook_events.sql"),
    ),
];

fn sha256(sql: &str) -> String {
    sha2::Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A job row as a shop's own SQL inserts it (the columns of schema 6).
fn insert(kind: &str, order: &str, payload: &str) -> String {
    format!(
        "INSERT INTO vipps_om_outbox_jobs (kind, merchant_serial_number, payment_type, order_id, \
         payload, state, attempts, next_attempt_at, created_at, updated_at, seq) VALUES \
         ('{kind}', '123456', 'ECOM', '{order}', '{payload}', 'delivered', 1, 1, 1, 1, 1);"
    )
}

fn receipt_json(number: &str) -> String {
    format!(r#"{{"orderLines":[],"bottomLine":{{"currency":"NOK","receiptNumber":"{number}"}}}}"#)
}

async fn found(outbox: &Outbox, number: &str) -> Vec<String> {
    let filter = JobFilter::new().receipt_number(number).unwrap();
    outbox
        .browse(&filter, JobSort::Newest, &Cursor::First, 50)
        .await
        .unwrap()
        .jobs
        .into_iter()
        .map(|j| j.order_id)
        .collect()
}

/// Only PostgreSQL has had a migration that failed on a populated table.
mod postgres {
    use super::*;

    #[tokio::test]
    async fn a_schema_6_database_with_receipts_upgrades_and_finds_them_by_number() {
        let Some(db) = vipps_om_testdb::TestDb::postgres("outbox_upgrade").await else {
            return;
        };
        let mut setup = String::new();
        for (_, _, sql) in BEFORE_7 {
            setup.push_str(sql);
            setup.push_str(";\n");
        }
        setup.push_str(
            "CREATE TABLE vipps_om_outbox_migrations (version BIGINT PRIMARY KEY, \
             description TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL);\n",
        );
        for (version, description, sql) in BEFORE_7 {
            setup.push_str(&format!(
                "INSERT INTO vipps_om_outbox_migrations VALUES ({version}, '{description}', '{}', 0);\n",
                sha256(sql)
            ));
        }
        setup.push_str(&insert("receipt", "old-1", &receipt_json("R-1")));
        setup.push_str(&insert("receipt", "old-2", "not json"));
        setup.push_str(&insert(
            "category_v2",
            "old-3",
            r#"{"receiptNumber":"R-1"}"#,
        ));
        // Index builds with parallel workers however small the table: migration
        // 7's index over a function with an exception block failed there.
        setup.push_str(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET min_parallel_table_scan_size = 0', \
             current_database()); END $$;",
        );
        let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
        sqlx::raw_sql(&setup).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();

        let outbox = Outbox::connect(db.url())
            .await
            .expect("the upgrade to the current schema");
        assert_eq!(found(&outbox, "R-1").await, ["old-1"], "an old receipt");
        assert!(
            found(&outbox, "not json").await.is_empty(),
            "a stored request that is not JSON has no receipt number"
        );

        // Inserted by a shop's own SQL after the upgrade, and replaced.
        let pool = outbox.pg_pool().unwrap().clone();
        sqlx::raw_sql(&format!(
            "{} {}",
            insert("receipt", "shop-1", &receipt_json("R-2")),
            insert("receipt", "shop-2", &receipt_json("R-3")),
        ))
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("UPDATE vipps_om_outbox_jobs SET payload = $1 WHERE order_id = 'shop-2'")
            .bind(receipt_json("R-4"))
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(found(&outbox, "R-2").await, ["shop-1"]);
        assert!(
            found(&outbox, "R-3").await.is_empty(),
            "the replaced number"
        );
        assert_eq!(found(&outbox, "R-4").await, ["shop-2"]);
        outbox.close().await;
        db.drop_database().await;
    }
}
