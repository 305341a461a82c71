//! [`Outbox::move_to_end`]: moving waiting jobs behind later ones of their
//! order, for a fix that must be delivered after something enqueued later
//! (the support console puts a category behind the image it names).

use sqlx::Row;
use vipps_om::{MerchantSerialNumber, OrderId, PaymentType};

use crate::error::OutboxError;
use crate::job::{JobId, JobKind, NewJob};
use crate::outbox::Outbox;

/// Deletes a job that is waiting or failed and returns what it sends.
const TAKE: &str = "DELETE FROM vipps_om_outbox_jobs WHERE id = $1 AND state IN ('pending', 'failed') \
     RETURNING kind, merchant_serial_number, payment_type, order_id, payload";

/// What a move refuses: `NoSuchJob`, or `WrongState` for a job in flight
/// or delivered.
const WHY: &str = "only a pending or failed job can be moved to the end of its order's sequence";

fn new_job<R: Row>(row: &R) -> Result<NewJob, OutboxError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    let text = |column: &str| {
        row.try_get::<String, _>(column)
            .map_err(OutboxError::db("read a job to move"))
    };
    let schema = |e: String| OutboxError::Schema(format!("a job to move: {e}"));
    let kind = text("kind")?;
    Ok(NewJob {
        kind: JobKind::parse(&kind).ok_or_else(|| schema(format!("unknown kind {kind:?}")))?,
        merchant_serial_number: MerchantSerialNumber::new(text("merchant_serial_number")?)
            .map_err(|e| schema(e.to_string()))?,
        payment_type: text("payment_type")?
            .parse::<PaymentType>()
            .map_err(|e| schema(e.to_string()))?,
        order_id: OrderId::new(text("order_id")?).map_err(|e| schema(e.to_string()))?,
        payload: text("payload")?,
    })
}

macro_rules! move_in {
    ($outbox:expr, $pool:expr, $begin:expr, $ids:expr) => {{
        let mut tx = $begin.await.map_err(OutboxError::db("begin a transaction"))?;
        let mut moved = Vec::with_capacity($ids.len());
        for &id in $ids {
            let row = sqlx::query(TAKE)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(OutboxError::db("take a job to move"))?;
            let Some(row) = row else {
                drop(tx);
                let state = $outbox.job(id).await?.state;
                return Err(OutboxError::WrongState { id, state, what: WHY });
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
        let moved = if let Some(pool) = self.sqlite_pool() {
            move_in!(self, pool, pool.begin_with("BEGIN IMMEDIATE"), ids)
        } else if let Some(pool) = self.pg_pool() {
            move_in!(self, pool, pool.begin(), ids)
        } else {
            return Err(OutboxError::Schema("the outbox has no database".into()));
        };
        for (old, new) in ids.iter().zip(&moved) {
            tracing::info!(job = %old, now = %new, "job moved to the end of its order's sequence");
        }
        Ok(moved)
    }
}
