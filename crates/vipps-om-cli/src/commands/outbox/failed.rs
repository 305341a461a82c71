//! `vipps-om outbox failed`: the failed jobs, each field problem once,
//! and how to fix each.

use serde_json::json;
use vipps_om_outbox::{JobKind, Outbox};

use super::failure;
use super::status::job_text;
use crate::commands::Context;
use crate::failure::Failure;
use crate::style::clean;

/// Lists up to `limit` failed jobs with their reasons and fixes.
pub(super) async fn run(ctx: &Context, outbox: &Outbox, limit: u32) -> Result<(), Failure> {
    let jobs = outbox.failed(limit).await.map_err(failure)?;
    ctx.emit(
        |style| {
            if jobs.is_empty() {
                return format!("{} No failed jobs\n", style.ok("✓"));
            }
            let mut out = format!(
                "{}\n",
                style.heading(&format!("{} failed job(s)", jobs.len()))
            );
            for job in &jobs {
                out.push_str(&job_text(job, style));
                if let Some(error) = &job.last_error {
                    for line in error.lines().skip(1).filter(|l| !l.trim_start().starts_with("- ")) {
                        out.push_str(&format!("      {}\n", clean(line.trim())));
                    }
                }
                if job.different_content && job.kind == JobKind::Image {
                    out.push_str(&format!(
                        "      fix: give the image a new image id (vipps-om outbox retry {} --file FIXED.json) and use that id in the order's category\n",
                        job.id
                    ));
                } else if job.different_content {
                    out.push_str(&format!(
                        "      it cannot be fixed by a retry: the stored {} stays; tell the customer another way (`vipps-om outbox status --job {}` shows the job's request)\n",
                        job.kind.describe(),
                        job.id
                    ));
                } else {
                    out.push_str(&format!(
                        "      fix: vipps-om outbox status --job {} (the request), then vipps-om outbox retry {} [--file FIXED.json]\n",
                        job.id, job.id
                    ));
                }
            }
            out
        },
        || json!({"jobs": jobs}),
    );
    Ok(())
}
