//! `--webhook-url URL --webhook-secret-file FILE` on `outbox run`: signed
//! JSON events to the shop when a job fails for good, is delivered after
//! having failed, or waits longer than `--webhook-wait-threshold` (see
//! [`vipps_om_outbox::webhook`]).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use vipps_om_outbox::webhook::MAX_SECRET_LEN;
use vipps_om_outbox::{WebhookConfig, WebhookSecret};

use crate::failure::Failure;

/// The longest `--webhook-wait-threshold`: 7 days.
pub(crate) const MAX_WAIT_THRESHOLD: Duration = Duration::from_secs(7 * 86_400);

/// Webhook flags.
#[derive(Debug, Args, Clone)]
pub(crate) struct WebhookArgs {
    /// Post a signed JSON event here when a job fails for good, is delivered after failing, or waits too long.
    #[arg(long, value_name = "URL", requires = "webhook_secret_file")]
    pub(crate) webhook_url: Option<String>,
    /// File holding the shared secret for the `Vipps-Om-Signature` HMAC (16 to 1,024 bytes; `openssl rand -hex 32`).
    #[arg(long, value_name = "FILE", env = "VIPPS_OM_WEBHOOK_SECRET_FILE")]
    pub(crate) webhook_secret_file: Option<PathBuf>,
    /// A job not delivered after this long gets one `job.waiting` event (e.g. 90s, 15m, 2h; 1s to 7d).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    pub(crate) webhook_wait_threshold: Duration,
    /// With --drain: how long to go on posting events once the jobs are done (they are kept for the next run after that).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub(crate) webhook_drain_secs: u64,
}

/// `90`, `90s`, `15m`, `2h`, `1d`: 1 s to [`MAX_WAIT_THRESHOLD`].
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let scale: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{text:?}: write a whole number with s, m, h or d (e.g. 15m)"
            ));
        }
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?}: write a whole number with s, m, h or d (e.g. 15m)"))?;
    let d = Duration::from_secs(n.saturating_mul(scale));
    if d < Duration::from_secs(1) || d > MAX_WAIT_THRESHOLD {
        return Err(format!("{text:?}: the threshold must be between 1s and 7d"));
    }
    Ok(d)
}

impl WebhookArgs {
    /// The webhook settings, or `None` without `--webhook-url`.
    pub(crate) fn config(&self) -> Result<Option<WebhookConfig>, Failure> {
        let Some(url) = &self.webhook_url else {
            return Ok(None);
        };
        let Some(file) = &self.webhook_secret_file else {
            return Err(Failure::usage(
                "--webhook-url needs --webhook-secret-file FILE (the shared secret the events are signed with)",
            ));
        };
        let bytes = read_bounded(file)?;
        let secret = WebhookSecret::new(&bytes)
            .map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
        let config = WebhookConfig::new(url, secret)
            .map_err(|e| Failure::usage(e.to_string()))?
            .wait_threshold(self.webhook_wait_threshold);
        Ok(Some(config))
    }
}

/// A secret file, at most [`MAX_SECRET_LEN`] bytes and a line break.
pub(crate) fn read_bounded(file: &std::path::Path) -> Result<Vec<u8>, Failure> {
    use std::io::Read as _;
    let opened = std::fs::File::open(file).map_err(|e| {
        Failure::usage(format!(
            "cannot read the secret file {}: {e}",
            file.display()
        ))
    })?;
    let mut bytes = Vec::new();
    opened
        .take(
            u64::try_from(MAX_SECRET_LEN)
                .unwrap_or(u64::MAX)
                .saturating_add(3),
        )
        .read_to_end(&mut bytes)
        .map_err(|e| {
            Failure::usage(format!(
                "cannot read the secret file {}: {e}",
                file.display()
            ))
        })?;
    Ok(bytes)
}

/// The webhook poster running beside the workers of `outbox run`.
pub(crate) struct Posting {
    running: Option<(
        vipps_om_outbox::Outbox,
        WebhookConfig,
        tokio::sync::watch::Sender<bool>,
        tokio::task::JoinHandle<()>,
    )>,
}

impl Posting {
    /// Starts posting events (nothing without a configuration).
    pub(crate) fn start(
        outbox: &vipps_om_outbox::Outbox,
        config: Option<WebhookConfig>,
    ) -> Posting {
        let Some(config) = config else {
            return Posting { running: None };
        };
        eprintln!(
            "Webhook events go to {} (signed; a job waiting longer than {} s gets a job.waiting event)",
            config.url,
            config.wait_threshold.as_secs()
        );
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = {
            let outbox = outbox.clone();
            let config = config.clone();
            tokio::spawn(async move {
                let until = async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                };
                if let Err(e) = vipps_om_outbox::run_webhooks(&outbox, &config, until).await {
                    eprintln!("error: webhook events are not posted: {e}");
                }
            })
        };
        Posting {
            running: Some((outbox.clone(), config, stop, task)),
        }
    }

    /// Stops posting; with `drain`, first posts what is left for at most
    /// that long (what is still undelivered then is posted by the next
    /// run: it stays in the database).
    pub(crate) async fn finish(self, drain: Option<Duration>) {
        let Some((outbox, config, stop, task)) = self.running else {
            return;
        };
        let _ = stop.send(true);
        let _ = task.await;
        if let Some(limit) = drain {
            let config = config.stop_when_idle(true);
            let posted = tokio::time::timeout(
                limit,
                vipps_om_outbox::run_webhooks(&outbox, &config, std::future::pending()),
            )
            .await;
            if posted.is_err() {
                let left = outbox.undelivered_events().await.unwrap_or(0);
                eprintln!(
                    "note: {left} webhook event(s) are still undelivered after {} s; they are kept and posted by the next `vipps-om outbox run --webhook-url ...`",
                    limit.as_secs()
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_read_as_people_write_them() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_duration("0s").is_err());
        assert!(
            parse_duration("8d")
                .unwrap_err()
                .contains("between 1s and 7d")
        );
        assert!(parse_duration("1.5h").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}
