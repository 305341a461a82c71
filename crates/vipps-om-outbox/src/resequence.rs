//! [`Outbox::move_to_end`]: moving waiting jobs behind later ones of their
//! order, for a fix that must be delivered after something enqueued later
//! (the support console puts a category behind the image it names).

use sqlx::Row;
use vipps_om::{MerchantSerialNumber, OrderId, PaymentType};

use crate::error::OutboxError;
use crate::job::{JobId, JobKind, NewJob};
use crate::outbox::Outbox;
use crate::request::read_stored;

/// Deletes a job that is waiting or failed and returns what it sends.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
const TAKE: &str = "DELETE FROM vipps_om_outbox_jobs WHERE id = $1 AND state IN ('pending', 'failed') \
     RETURNING kind, merchant_serial_number, payment_type, order_id, payload, payload_version, \
     idempotency_key";

/// MySQL has no `DELETE ... RETURNING`: the job is read (and locked),
/// then deleted, in the same transaction.
#[cfg(feature = "mysql")]
const MYSQL_TAKE: &str = "SELECT kind, merchant_serial_number, payment_type, order_id, payload, \
     payload_version, idempotency_key FROM vipps_om_outbox_jobs \
     WHERE id = ? AND state IN ('pending', 'failed') FOR UPDATE";

/// What a move refuses: `NoSuchJob`, or `WrongState` for a job in flight
/// or delivered.
const WHY: &str = "only a pending or failed job can be moved to the end of its order's sequence";

fn new_job<R: Row>(row: &R) -> Result<NewJob, OutboxError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<String>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let text = |column: &str| {
        crate::numbered::text::<_, String>(row, column)
            .map_err(OutboxError::db("read a job to move"))
    };
    let schema = |e: String| OutboxError::Schema(format!("a job to move: {e}"));
    let kind = text("kind")?;
    let kind = JobKind::parse(&kind).ok_or_else(|| schema(format!("unknown kind {kind:?}")))?;
    let merchant_serial_number = MerchantSerialNumber::new(text("merchant_serial_number")?)
        .map_err(|e| schema(e.to_string()))?;
    let payment_type = text("payment_type")?
        .parse::<PaymentType>()
        .map_err(|e| schema(e.to_string()))?;
    let order_id = OrderId::new(text("order_id")?).map_err(|e| schema(e.to_string()))?;
    let version = row
        .try_get::<i64, _>("payload_version")
        .map_err(OutboxError::db("read a job to move"))?;
    let request = read_stored(kind, version, &text("payload")?).map_err(|reason| {
        OutboxError::Schema(format!(
            "a job to move: its stored request cannot be read ({reason}); replace it first"
        ))
    })?;
    let mut job = NewJob::new(&merchant_serial_number, &payment_type, &order_id, request)?;
    // The moved job keeps its key (a job whose body staff replaced keeps
    // the key it was queued with, so two such jobs never collide); jobs
    // queued before keys existed get the default one.
    if let Some(key) = crate::numbered::text::<_, Option<String>>(row, "idempotency_key")
        .map_err(OutboxError::db("read a job to move"))?
        .filter(|k| !k.is_empty())
    {
        job.idempotency_key = key;
    }
    Ok(job)
}

/// [`Outbox::move_to_end`] on MySQL.
#[cfg(feature = "mysql")]
async fn move_in_mysql(
    outbox: &Outbox,
    pool: &sqlx::MySqlPool,
    ids: &[JobId],
) -> Result<Vec<JobId>, OutboxError> {
    let mut tx = pool
        .begin()
        .await
        .map_err(OutboxError::db("begin a transaction"))?;
    let mut moved = Vec::with_capacity(ids.len());
    for &id in ids {
        let row = sqlx::query(MYSQL_TAKE)
            .bind(id.get())
            .fetch_optional(&mut *tx)
            .await
            .map_err(OutboxError::db("take a job to move"))?;
        let Some(row) = row else {
            drop(tx);
            let state = outbox.job(id).await?.state;
            return Err(OutboxError::WrongState {
                id,
                state,
                what: WHY,
            });
        };
        sqlx::query("DELETE FROM vipps_om_outbox_jobs WHERE id = ?")
            .bind(id.get())
            .execute(&mut *tx)
            .await
            .map_err(OutboxError::db("take a job to move"))?;
        moved.push(outbox.enqueue_in(&mut tx, &new_job(&row)?).await?);
    }
    tx.commit()
        .await
        .map_err(OutboxError::db("commit the moved jobs"))?;
    Ok(moved)
}

#[cfg(any(feature = "sqlite", feature = "postgres"))]
macro_rules! move_in {
    ($outbox:expr, $pool:expr, $begin:expr, $ids:expr) => {{
        let mut tx = $begin
            .await
            .map_err(OutboxError::db("begin a transaction"))?;
        let mut moved = Vec::with_capacity($ids.len());
        for &id in $ids {
            let row = sqlx::query(TAKE)
                .bind(id.get())
                .fetch_optional(&mut *tx)
                .await
                .map_err(OutboxError::db("take a job to move"))?;
            let Some(row) = row else {
                drop(tx);
                let state = $outbox.job(id).await?.state;
                return Err(OutboxError::WrongState {
                    id,
                    state,
                    what: WHY,
                });
            };
            moved.push($outbox.enqueue_in(&mut tx, &new_job(&row)?).await?);
        }
        tx.commit()
            .await
            .map_err(OutboxError::db("commit the moved jobs"))?;
        moved
    }};
}

impl Outbox {
    /// Moves each job of `ids` (each pending or failed), in this order,
    /// to the end of its order's sequence, in one transaction: the job is
    /// enqueued again with the same request and removed from its old
    /// place, so it gets a new id (returned, in the same order), is
    /// pending and due now (a failed job is sent again) and its earlier
    /// attempts are forgotten. A job in flight or delivered is refused
    /// (`WrongState`) and nothing moves.
    pub async fn move_to_end(&self, ids: &[JobId]) -> Result<Vec<JobId>, OutboxError> {
        #[allow(unused_mut)] // assigned only by the backends built in
        let mut moved = None;
        #[cfg(feature = "sqlite")]
        if let Some(pool) = self.sqlite_pool() {
            moved = Some(move_in!(
                self,
                pool,
                pool.begin_with("BEGIN IMMEDIATE"),
                ids
            ));
        }
        #[cfg(feature = "postgres")]
        if let Some(pool) = self.pg_pool() {
            moved = Some(move_in!(self, pool, pool.begin(), ids));
        }
        #[cfg(feature = "mysql")]
        if let Some(pool) = self.mysql_pool() {
            moved = Some(move_in_mysql(self, pool, ids).await?);
        }
        let moved =
            moved.ok_or_else(|| OutboxError::Schema("the outbox has no database".into()))?;
        for (old, new) in ids.iter().zip(&moved) {
            tracing::info!(job = %old, now = %new, "job moved to the end of its order's sequence");
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use vipps_om::{Category, CategoryType, ImageId};

    use super::*;
    use crate::job::JobState;

    fn category(n: u32) -> NewJob {
        NewJob::category(
            &MerchantSerialNumber::new("123456").unwrap(),
            &PaymentType::Ecom,
            &OrderId::new("order-1").unwrap(),
            &Category::new(CategoryType::General, format!("https://shop.example/{n}"))
                .with_image_id(ImageId::new(format!("img-{n}")).unwrap()),
        )
        .unwrap()
    }

    async fn moves_keeping_the_request(outbox: Outbox) {
        let ids = outbox
            .enqueue_many(&[category(1), category(2), category(3)])
            .await
            .unwrap();
        let before = outbox.job_request(ids[0]).await.unwrap();
        let moved = outbox.move_to_end(&[ids[0]]).await.unwrap();
        assert_eq!(moved.len(), 1);
        let order: Vec<JobId> = outbox
            .order_status("order-1")
            .await
            .unwrap()
            .iter()
            .map(|j| j.id)
            .collect();
        assert_eq!(order, [ids[1], ids[2], moved[0]]);
        assert_eq!(outbox.job_request(moved[0]).await.unwrap(), before);
        assert_eq!(outbox.job(moved[0]).await.unwrap().state, JobState::Pending);
        assert!(matches!(
            outbox.job(ids[0]).await,
            Err(OutboxError::NoSuchJob(_))
        ));
        // Unknown: refused, nothing moves (the known one stays put).
        assert!(
            outbox
                .move_to_end(&[ids[1], JobId::new(999_999)])
                .await
                .is_err()
        );
        let first = outbox.order_status("order-1").await.unwrap()[0].id;
        assert_eq!(first, ids[1]);
        outbox.close().await;
    }

    async fn moves_a_job_to_the_end_of_its_order(db: &vipps_om_testdb::TestDb) {
        moves_keeping_the_request(Outbox::connect(db.url()).await.unwrap()).await;
    }

    #[cfg(all(feature = "sqlite", feature = "postgres"))]
    vipps_om_testdb::on_every_backend!(
        prefix: "outbox_move",
        everywhere: [moves_a_job_to_the_end_of_its_order],
    );
}
