//! Prometheus metrics, recorded through the [`metrics`] facade (nothing
//! is recorded until the application installs a recorder), and with the
//! `prometheus` feature an HTTP endpoint serving them ([`serve_metrics`]:
//! `/metrics`, `/healthz`, `/readyz`).
//!
//! | name | type | labels |
//! |---|---|---|
//! | `vipps_om_outbox_jobs` | gauge | `state` (pending, in_flight, delivered, failed) |
//! | `vipps_om_outbox_merchant_jobs` | gauge | `state` (pending, in_flight, failed), `merchant` |
//! | `vipps_om_outbox_oldest_pending_seconds` | gauge | |
//! | `vipps_om_outbox_deliveries_total` | counter | `kind`, `result` (delivered, retry, failed, lease_lost), `status` (HTTP status or `none`) |
//! | `vipps_om_outbox_delivery_duration_seconds` | histogram | `kind` |
//! | `vipps_om_outbox_enqueue_to_delivered_seconds` | histogram | `kind` |
//! | `vipps_om_outbox_claimed_jobs_total` | counter | |
//! | `vipps_om_outbox_merchant_pauses_total` | counter | `merchant`, `reason` (429, 5xx, timeout, 401) |
//! | `vipps_om_outbox_merchants_paused` | gauge | |
//! | `vipps_om_token_fetches_total` | counter | (recorded by `vipps-om`) |
//!
//! The job gauges are read from the database at each scrape; the others
//! are this process's own counts. **Cardinality**: the `merchant` label
//! takes at most [`MAX_MERCHANT_LABELS`] values per process (the first
//! merchants seen); every other merchant is counted under
//! `merchant="other"`, so a platform with 10,000 merchants exports a
//! bounded number of series (per-merchant detail beyond the cap is in
//! `vipps-om outbox status` and the console).

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::db::ClaimedJob;
use crate::worker::Verdict;

/// The most distinct `merchant` label values this process exports: 100.
/// Beyond it a merchant's series are summed under `merchant="other"`.
pub const MAX_MERCHANT_LABELS: usize = 100;

/// The label value of a merchant beyond [`MAX_MERCHANT_LABELS`].
pub const OTHER_MERCHANTS: &str = "other";

fn labelled() -> &'static Mutex<HashSet<String>> {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    SEEN.get_or_init(|| Mutex::new(HashSet::new()))
}

/// The `merchant` label value of `msn` (its MSN, or `other` beyond the
/// cap).
pub fn merchant_label(msn: &str) -> String {
    let Ok(mut seen) = labelled().lock() else {
        return OTHER_MERCHANTS.to_owned();
    };
    if seen.contains(msn) {
        return msn.to_owned();
    }
    if seen.len() < MAX_MERCHANT_LABELS {
        seen.insert(msn.to_owned());
        return msn.to_owned();
    }
    OTHER_MERCHANTS.to_owned()
}

/// One attempt ended.
pub(crate) fn delivery(job: &ClaimedJob, verdict: &Verdict, took: Duration) {
    let (result, status) = match verdict {
        Verdict::Delivered { .. } => ("delivered", None),
        Verdict::Retry { status, .. } => ("retry", *status),
        Verdict::Failed { status, .. } => ("failed", *status),
        Verdict::LeaseLost => ("lease_lost", None),
    };
    let status = status.map_or_else(|| "none".to_owned(), |s| s.to_string());
    metrics::counter!("vipps_om_outbox_deliveries_total",
        "kind" => job.kind.as_str(), "result" => result, "status" => status)
    .increment(1);
    metrics::histogram!("vipps_om_outbox_delivery_duration_seconds", "kind" => job.kind.as_str())
        .record(took.as_secs_f64());
}

/// A job was recorded delivered `waited_ms` after it was enqueued.
pub(crate) fn enqueue_to_delivered(job: &ClaimedJob, waited_ms: Option<i64>) {
    if let Some(ms) = waited_ms {
        #[allow(clippy::cast_precision_loss)]
        let secs = (ms.max(0) as f64) / 1000.0;
        metrics::histogram!("vipps_om_outbox_enqueue_to_delivered_seconds", "kind" => job.kind.as_str())
            .record(secs);
    }
}

/// Jobs claimed.
pub(crate) fn claimed(n: usize) {
    metrics::counter!("vipps_om_outbox_claimed_jobs_total")
        .increment(u64::try_from(n).unwrap_or(u64::MAX));
}

/// A merchant was paused.
pub(crate) fn paused(msn: &str, reason: &'static str) {
    metrics::counter!("vipps_om_outbox_merchant_pauses_total",
        "merchant" => merchant_label(msn), "reason" => reason)
    .increment(1);
}

/// How many merchants are paused now.
pub(crate) fn paused_now(n: usize) {
    #[allow(clippy::cast_precision_loss)]
    metrics::gauge!("vipps_om_outbox_merchants_paused").set(n as f64);
}

#[cfg(feature = "prometheus")]
pub use server::{Health, install_recorder, serve_metrics};

#[cfg(feature = "prometheus")]
mod server {
    use std::future::Future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use axum::Router;
    use axum::extract::State;
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

    use super::{OTHER_MERCHANTS, merchant_label};
    use crate::error::OutboxError;
    use crate::outbox::Outbox;

    /// The buckets of the latency histograms, in seconds (5 ms to 5 min).
    const LATENCY_BUCKETS: &[f64] = &[
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
    ];

    /// How long a scrape or readiness check waits for the database.
    const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(5);

    /// Installs the process-wide Prometheus recorder (once; later calls
    /// return the same handle) with histogram buckets for the latencies.
    pub fn install_recorder() -> Result<PrometheusHandle, OutboxError> {
        static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
        if let Some(handle) = HANDLE.get() {
            return Ok(handle.clone());
        }
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)
            .map_err(|e| OutboxError::Schema(format!("metrics buckets: {e}")))?
            .build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).map_err(|_| {
            OutboxError::Schema(
                "another metrics recorder is already installed in this process".to_owned(),
            )
        })?;
        let _ = HANDLE.set(handle.clone());
        Ok(handle)
    }

    /// What `/readyz` reports besides the database: whether the process
    /// is shutting down. Clones share it.
    #[derive(Debug, Clone, Default)]
    pub struct Health {
        stopping: Arc<AtomicBool>,
    }

    impl Health {
        /// A healthy, running process.
        pub fn new() -> Health {
            Health::default()
        }

        /// From now on `/readyz` answers 503 (the process is stopping).
        pub fn shutting_down(&self) {
            self.stopping.store(true, Ordering::SeqCst);
        }
    }

    #[derive(Clone)]
    struct App {
        outbox: Outbox,
        handle: PrometheusHandle,
        health: Health,
    }

    /// Serves `/metrics` (Prometheus text: the job gauges are read from the
    /// database at each scrape), `/healthz` (200 while the process runs)
    /// and `/readyz` (200 when the database answers and the process is not
    /// shutting down, 503 otherwise) on `listener` until `shutdown`.
    pub async fn serve_metrics(
        listener: tokio::net::TcpListener,
        outbox: Outbox,
        handle: PrometheusHandle,
        health: Health,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = Router::new()
            .route("/metrics", get(scrape))
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/readyz", get(ready))
            .with_state(App {
                outbox,
                handle,
                health,
            });
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
    }

    async fn scrape(State(app): State<App>) -> impl IntoResponse {
        match tokio::time::timeout(DB_CHECK_TIMEOUT, app.outbox.metrics()).await {
            Ok(Ok(m)) => {
                #[allow(clippy::cast_precision_loss)]
                let f = |n: u64| n as f64;
                for (state, n) in [
                    ("pending", m.pending),
                    ("in_flight", m.in_flight),
                    ("delivered", m.delivered),
                    ("failed", m.failed),
                ] {
                    metrics::gauge!("vipps_om_outbox_jobs", "state" => state).set(f(n));
                }
                metrics::gauge!("vipps_om_outbox_oldest_pending_seconds")
                    .set(m.oldest_pending_age.map_or(0.0, |d| d.as_secs_f64()));
                // Merchants beyond the label cap are summed under "other".
                let mut other = [0u64; 3];
                for q in &m.by_merchant {
                    let label = merchant_label(&q.merchant_serial_number);
                    let counts = [q.pending, q.in_flight, q.failed];
                    if label == OTHER_MERCHANTS {
                        for (sum, n) in other.iter_mut().zip(counts) {
                            *sum = sum.saturating_add(n);
                        }
                        continue;
                    }
                    for (state, n) in ["pending", "in_flight", "failed"].into_iter().zip(counts) {
                        metrics::gauge!("vipps_om_outbox_merchant_jobs", "state" => state, "merchant" => label.clone())
                            .set(f(n));
                    }
                }
                for (state, n) in ["pending", "in_flight", "failed"].into_iter().zip(other) {
                    metrics::gauge!("vipps_om_outbox_merchant_jobs", "state" => state, "merchant" => OTHER_MERCHANTS)
                        .set(f(n));
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "metrics: cannot read the outbox"),
            Err(_) => tracing::warn!("metrics: the outbox database did not answer in time"),
        }
        (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            app.handle.render(),
        )
    }

    async fn ready(State(app): State<App>) -> (StatusCode, &'static str) {
        if app.health.stopping.load(Ordering::SeqCst) {
            return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n");
        }
        match tokio::time::timeout(DB_CHECK_TIMEOUT, app.outbox.ping()).await {
            Ok(Ok(())) => (StatusCode::OK, "ready\n"),
            _ => (
                StatusCode::SERVICE_UNAVAILABLE,
                "the outbox database does not answer\n",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merchant_labels_are_capped_and_kept() {
        let labels: Vec<String> = (0..MAX_MERCHANT_LABELS + 50)
            .map(|i| merchant_label(&format!("9{i:05}")))
            .collect();
        let distinct: HashSet<_> = labels.iter().collect();
        assert_eq!(distinct.len(), MAX_MERCHANT_LABELS + 1);
        assert_eq!(labels[MAX_MERCHANT_LABELS], OTHER_MERCHANTS);
        // A merchant that got a label keeps it.
        assert_eq!(merchant_label(&labels[0]), labels[0]);
        assert_eq!(merchant_label("999999"), OTHER_MERCHANTS);
    }
}
