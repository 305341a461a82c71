//! `vipps-om outbox ...`: durable delivery through the outbox
//! (`vipps_om_outbox`). `enqueue` stores work and returns at once, `run`
//! delivers it until stopped (Ctrl-C/SIGTERM finish or release what is in
//! flight), `status`, `failed` and `retry` are for the people who look
//! after it.
//!
//! The database is `--database-url` (or `VIPPS_OM_DATABASE_URL`), by
//! default a SQLite file in the user's data directory
//! (`~/.local/share/vipps-om/outbox.db` on Linux). The merchant is the one
//! of the connection settings, as for every other command.
//!
//! One module per subcommand: [`enqueue`] (`--file`) and [`bulk`]
//! (`--bulk`), [`run`] (with [`webhook`]), [`serve`] (the gateway),
//! [`status`], [`failed`], [`retry`]. Requests are
//! read with the outbox's own parsers ([`vipps_om_outbox::NewJob::parse`],
//! [`vipps_om_outbox::JobRequest`]), and shown from the typed request the
//! outbox reads back.

mod bulk;
mod enqueue;
mod failed;
mod retry;
mod run;
pub(crate) mod serve;
mod status;
pub(crate) mod webhook;

use vipps_om::MerchantSerialNumber;
use vipps_om_outbox::{JobId, JobKind, Outbox, OutboxError};

use super::Context;
use crate::cli::{JobKindArg, OutboxArgs, OutboxCommand, SchemaBackendArg};
use crate::failure::{ExitCode, Failure};

/// Runs an `outbox` subcommand.
pub(crate) async fn run(ctx: &Context, args: &OutboxArgs) -> Result<(), Failure> {
    // The DDL needs no database.
    if let OutboxCommand::Schema { backend } = &args.command {
        let ddl = vipps_om_outbox::schema(match backend {
            SchemaBackendArg::Sqlite => vipps_om_outbox::Backend::Sqlite,
            SchemaBackendArg::Postgres => vipps_om_outbox::Backend::Postgres,
            SchemaBackendArg::Mysql => vipps_om_outbox::Backend::Mysql,
        });
        super::write_stdout(ddl.as_bytes());
        return Ok(());
    }
    let url = database_url(args.database_url.as_deref())?;
    let outbox = Outbox::connect(&url).await.map_err(failure)?;
    let result = match &args.command {
        OutboxCommand::Enqueue(args) => match &args.bulk {
            Some(file) => bulk::run(ctx, &outbox, file, args.no_validate).await,
            None => enqueue::run(ctx, &outbox, args).await,
        },
        OutboxCommand::Run(args) => run::run(ctx, &outbox, &url, args).await,
        OutboxCommand::Status { order_id, job } => match (order_id, job) {
            (_, Some(job)) => status::show_job(ctx, &outbox, JobId::new(*job)).await,
            (Some(order), None) => status::order_status(ctx, &outbox, order).await,
            (None, None) => status::queue_status(ctx, &outbox, &url).await,
        },
        OutboxCommand::Failed { limit } => failed::run(ctx, &outbox, *limit).await,
        OutboxCommand::Retry(args) => retry::run(ctx, &outbox, args).await,
        OutboxCommand::Serve(args) => serve::run(ctx, &outbox, args).await,
        OutboxCommand::Schema { .. } => Ok(()),
    };
    outbox.close().await;
    result
}

/// The database URL: the flag or variable (any spelling
/// [`Outbox::connect`] reads: `sqlite:///PATH`, `sqlite:PATH`, a plain
/// path, `postgres://…`, `mysql://…`), else a SQLite file in the user's data directory
/// (created with its directory, since it is ours).
pub(crate) fn database_url(given: Option<&str>) -> Result<String, Failure> {
    if let Some(url) = given.map(str::trim).filter(|u| !u.is_empty()) {
        return Ok(url.to_owned());
    }
    let dir = dirs::data_dir()
        .map(|d| d.join("vipps-om"))
        .ok_or_else(|| {
            Failure::usage(
                "no data directory is known for this user; give --database-url (e.g. sqlite:///var/lib/shop/outbox.db) or set VIPPS_OM_DATABASE_URL",
            )
        })?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
    Ok(format!("sqlite://{}", dir.join("outbox.db").display()))
}

/// How an outbox error ends the command: a database that cannot be
/// reached exits 3; a URL, folder or file that is wrong is configuration
/// (2).
pub(crate) fn failure(error: OutboxError) -> Failure {
    match &error {
        OutboxError::UnsupportedUrl(_)
        | OutboxError::MissingFolder { .. }
        | OutboxError::CannotOpen { .. } => Failure {
            kind: "configuration",
            ..Failure::usage(error.to_string())
        },
        OutboxError::InvalidPayload(report) => Failure::invalid("the new request", report),
        OutboxError::Database { .. } => Failure {
            code: ExitCode::Unavailable,
            kind: "database",
            ..Failure::usage(error.to_string())
        },
        OutboxError::NoSuchJob(_) => Failure {
            kind: "not_found",
            ..Failure::usage(error.to_string())
        },
        OutboxError::UnreadableRequest { .. } => Failure {
            kind: "unreadable_request",
            ..Failure::usage(error.to_string())
        },
        OutboxError::Schema(_) => Failure {
            kind: "schema",
            ..Failure::usage(error.to_string())
        },
        _ => Failure::usage(error.to_string()),
    }
}

/// The merchant of the connection settings: whose jobs are queued and
/// delivered.
fn merchant(ctx: &Context) -> Result<MerchantSerialNumber, Failure> {
    Ok(ctx.client()?.merchant_serial_number().clone())
}

impl From<JobKindArg> for JobKind {
    fn from(kind: JobKindArg) -> Self {
        match kind {
            JobKindArg::Receipt => JobKind::Receipt,
            JobKindArg::Category => JobKind::CategoryV2,
            JobKindArg::CategoryV3 => JobKind::CategoryV3,
            JobKindArg::Image => JobKind::Image,
        }
    }
}
