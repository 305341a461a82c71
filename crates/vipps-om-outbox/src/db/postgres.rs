//! PostgreSQL: any number of workers anywhere; claims lock the claimed
//! row with `FOR UPDATE OF j SKIP LOCKED`.

use std::sync::LazyLock;
use std::time::Duration;

use sqlx::ConnectOptions as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::{ConnectOptions, Db, Sql};
use crate::error::OutboxError;

/// Opens the pool.
pub(super) async fn connect(
    connect: PgConnectOptions,
    options: &ConnectOptions,
) -> Result<Db, OutboxError> {
    let connect = connect
        .application_name("vipps-om-outbox")
        .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await
        .map_err(OutboxError::db("connect to PostgreSQL"))?;
    Ok(Db::Postgres(pool))
}

/// PostgreSQL's statements: the transaction's clock, `SKIP LOCKED` claims.
pub(crate) static POSTGRES: LazyLock<Sql> = LazyLock::new(|| {
    Sql::new(
        "(EXTRACT(EPOCH FROM now()) * 1000)::BIGINT",
        "FOR UPDATE OF j SKIP LOCKED",
        "SELECT jsonb_array_elements_text(CAST(% AS TEXT)::jsonb)",
        // An array, not a subquery: a list of ids read by primary key,
        // which the planner cannot turn into a join over another index.
        "j.id = ANY(CAST(string_to_array(btrim(CAST(% AS TEXT), '[]'), ',') AS BIGINT[]))",
    )
});
