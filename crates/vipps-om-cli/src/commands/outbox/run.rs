//! `vipps-om outbox run`: workers deliver this merchant's jobs until
//! Ctrl-C/SIGTERM (in-flight deliveries finish or are released), or with
//! `--drain` until nothing is left.

use std::time::Duration;

use serde_json::json;
use vipps_om_outbox::telemetry::Health;
use vipps_om_outbox::{Outbox, Worker, WorkerConfig, redact_url};

use super::failure;
use crate::cli::OutboxRunArgs;
use crate::commands::Context;
use crate::failure::{ExitCode, Failure};

/// Waits for Ctrl-C, or SIGTERM on Unix.
pub(super) async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Starts the `--metrics-listen` endpoint: Prometheus text at `/metrics`,
/// `/healthz`, `/readyz`; it stops with the process (the sender's drop).
async fn serve_metrics(
    outbox: &Outbox,
    addr: std::net::SocketAddr,
) -> Result<(Health, tokio::sync::oneshot::Sender<()>), Failure> {
    use vipps_om_outbox::telemetry::{install_recorder, serve_metrics};
    let handle = install_recorder().map_err(failure)?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        Failure::usage(format!(
            "--metrics-listen {addr}: cannot listen there ({e}); choose a free address and port, e.g. 127.0.0.1:9184"
        ))
    })?;
    let bound = listener.local_addr().unwrap_or(addr);
    eprintln!("Metrics at http://{bound}/metrics (and /healthz, /readyz)");
    let health = Health::new();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = serve_metrics(
        listener,
        outbox.clone(),
        handle,
        health.clone(),
        async move {
            let _ = stopped.await;
        },
    );
    tokio::spawn(async move {
        if let Err(e) = server.await {
            tracing::warn!(error = %e, "the metrics endpoint stopped");
        }
    });
    Ok((health, stop))
}

/// Runs the workers until stopped (or drained with `--drain`).
pub(super) async fn run(
    ctx: &Context,
    outbox: &Outbox,
    url: &str,
    args: &OutboxRunArgs,
) -> Result<(), Failure> {
    let delivering = ctx.setup()?.delivering()?;
    let per_merchant = match (&delivering.msn, args.per_merchant_concurrency) {
        (_, Some(n)) => usize::from(n),
        // One merchant: every worker may deliver its jobs.
        (Some(_), None) => usize::from(args.workers),
        (None, None) => vipps_om_outbox::DEFAULT_PER_MERCHANT_CONCURRENCY,
    };
    let config = WorkerConfig::default()
        .lease(Duration::from_secs(args.lease_secs))
        .poll_interval(Duration::from_millis(args.poll_ms))
        .shutdown_grace(Duration::from_secs(args.grace_secs))
        .max_attempts(args.max_attempts)
        .stop_when_idle(args.drain)
        .max_db_outage(Some(Duration::from_secs(args.max_db_outage_secs)))
        .per_merchant_concurrency(per_merchant)
        .concurrency(usize::from(args.workers));
    let hook = args.webhook.config()?;
    let config = config.webhook_events(hook.is_some());
    let metrics = match args.metrics_listen {
        Some(addr) => Some(serve_metrics(outbox, addr).await?),
        None => None,
    };
    let webhooks = super::webhook::Posting::start(outbox, hook);
    eprintln!(
        "Delivering the outbox jobs of {} from {} with {} worker(s); Ctrl-C or SIGTERM stops gracefully",
        delivering.who,
        redact_url(url),
        args.workers
    );
    if let Some(msn) = &delivering.msn {
        let waiting = outbox
            .waiting_for_other_merchants(msn.as_str())
            .await
            .map_err(failure)?;
        for (other, n) in &waiting {
            eprintln!(
                "note: {n} job(s) of merchant {other} are left for a worker run with that merchant's credentials"
            );
        }
    }
    let report = Worker::for_merchants_shared(outbox.clone(), delivering.provider)
        .with_config(config)
        .run(async {
            stop_signal().await;
            if let Some((health, _)) = &metrics {
                health.shutting_down();
            }
            eprintln!(
                "Stopping: finishing the deliveries in flight (at most {} s)…",
                args.grace_secs
            );
        })
        .await;
    webhooks
        .finish(
            args.drain
                .then(|| Duration::from_secs(args.webhook.webhook_drain_secs)),
        )
        .await;
    let report = report.map_err(|aborted| {
            let r = aborted.report;
            Failure {
                code: ExitCode::Unavailable,
                kind: "worker_stopped",
                ..Failure::usage(format!(
                    "{aborted}. Until then: {} delivered, {} to try again, {} failed, {} released unfinished. Fix the cause (a database that is gone or unreachable: check it, or allow a longer outage with --max-db-outage-secs) and start `vipps-om outbox run` again; `vipps-om outbox status` shows where each job stands",
                    r.delivered, r.retried, r.failed, r.released
                ))
            }
        })?;
    ctx.emit(
        |style| {
            format!(
                "{} {} delivered, {} to try again, {} failed, {} released unfinished\n",
                if report.failed == 0 {
                    style.ok("✓")
                } else {
                    style.fail("✗")
                },
                report.delivered,
                report.retried,
                report.failed,
                report.released
            )
        },
        || json!({"report": report}),
    );
    if args.drain && report.different_content > 0 {
        return Err(Failure {
            code: ExitCode::Refused,
            kind: "different_content",
            status: Some(409),
            ..Failure::usage(format!(
                "{} job(s) failed because a different receipt (or image under the same id) is already stored; receipts and images cannot be changed, so the app keeps showing the stored one{}; see `vipps-om outbox failed`",
                report.different_content,
                match report.failed - report.different_content {
                    0 => String::new(),
                    n => format!(", and {n} other job(s) failed for good"),
                }
            ))
        });
    }
    if args.drain && report.failed > 0 {
        return Err(Failure {
            code: ExitCode::Refused,
            kind: "failed_jobs",
            ..Failure::usage(format!(
                "{} job(s) failed for good; see `vipps-om outbox failed`, fix them and `vipps-om outbox retry`",
                report.failed
            ))
        });
    }
    Ok(())
}
