//! `vipps-om checklist`: the merchant's checklist as a running simulator
//! graded it from the integration's own traffic (`GET /_sim/checklist`),
//! as text or (`--json`) the simulator's JSON. Exit 0 only when no item
//! fails; 1 when one does; 2 when the URL is not a simulator; 3 when it
//! cannot be reached.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::commands::Context;
use crate::failure::{ExitCode, Failure};
use crate::style::{Style, clean};

/// Options of `vipps-om checklist`.
#[derive(Debug, clap::Args)]
pub(crate) struct ChecklistArgs {
    /// The simulator's base URL, e.g. http://127.0.0.1:8080 (the one
    /// `vipps-om sim` printed).
    #[arg(long, value_name = "URL", env = "VIPPS_BASE_URL")]
    pub(crate) base_url: Option<String>,

    /// Only this merchant (default: every merchant that sent requests).
    #[arg(long, value_name = "MSN", env = "VIPPS_MERCHANT_SERIAL_NUMBER")]
    pub(crate) msn: Option<String>,

    /// Grade the merchant as a partner integration: missing or empty
    /// Vipps HTTP headers fail instead of warn (needs --msn).
    #[arg(long, requires = "msn")]
    pub(crate) partner: bool,

    /// Do not fetch the category links (they are fetched as a phone would
    /// by default, when this machine can reach them).
    #[arg(long)]
    pub(crate) no_links: bool,

    /// Also save the report as a page to keep for the go-live review.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
}

/// How long the simulator may take to grade (it fetches category links,
/// each within 5 s, all at once).
const CHECKLIST_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest report read (a report is a few KiB per merchant).
const MAX_REPORT_BYTES: usize = 8 * 1024 * 1024;

/// Runs `vipps-om checklist`.
pub(crate) async fn run(ctx: &Context, args: &ChecklistArgs) -> Result<(), Failure> {
    let Some(base) = args.base_url.as_deref().map(str::trim) else {
        return Err(Failure::usage(
            "no simulator to ask: give --base-url URL (the address `vipps-om sim` printed) or set VIPPS_BASE_URL",
        ));
    };
    let base = base.trim_end_matches('/');
    let mut query: Vec<(&str, &str)> = Vec::new();
    if let Some(msn) = &args.msn {
        query.push(("msn", msn.trim()));
    }
    if args.partner {
        query.push(("partner", "true"));
    }
    if args.no_links {
        query.push(("links", "skip"));
    }
    let http = reqwest::Client::builder()
        .timeout(CHECKLIST_TIMEOUT)
        .build()
        .map_err(|e| Failure::usage(format!("cannot make an HTTP client: {e}")))?;
    let json = fetch(&http, &format!("{base}/_sim/checklist"), &query, base).await?;
    let reports = json["reports"].as_array().cloned().unwrap_or_default();
    if let Some(path) = &args.html {
        let page = fetch_text(&http, &format!("{base}/_sim/checklist.html"), &query, base).await?;
        std::fs::write(path, page).map_err(|e| {
            Failure::usage(format!("cannot write the page to {}: {e}", path.display()))
        })?;
    }
    let failed: Vec<String> = reports
        .iter()
        .flat_map(|r| {
            r["failed"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|f| f.as_str().map(|id| format!("{} {id}", msn_of(r))))
        })
        .collect();
    ctx.emit(|style| render(style, &reports, args), || json.clone());
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::reported(ExitCode::Refused))
    }
}

fn msn_of(report: &Value) -> String {
    clean(report["msn"].as_str().unwrap_or("?"))
}

async fn get(
    http: &reqwest::Client,
    url: &str,
    query: &[(&str, &str)],
    base: &str,
) -> Result<Vec<u8>, Failure> {
    let unreachable = |e: reqwest::Error| Failure {
        code: ExitCode::Unavailable,
        kind: "network",
        ..Failure::usage(format!(
            "cannot reach the simulator at {base}: {e}; is `vipps-om sim` running there?"
        ))
    };
    let mut response = http
        .get(url)
        .query(query)
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        if body.len().saturating_add(chunk.len()) > MAX_REPORT_BYTES {
            return Err(Failure::usage(format!(
                "the answer of {url} is larger than {} MiB; is {base} a vipps-om simulator?",
                MAX_REPORT_BYTES / (1024 * 1024)
            )));
        }
        body.extend_from_slice(&chunk);
    }
    match status {
        200 => Ok(body),
        404 => {
            let error = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(clean));
            Err(Failure::usage(match error {
                // The simulator's own 404: an unknown MSN.
                Some(error) if error.contains("msn") => error,
                _ => format!(
                    "{base} has no checklist (404): it is not a vipps-om simulator, or an older one; start one with `vipps-om sim`"
                ),
            }))
        }
        other => Err(Failure::usage(format!(
            "the simulator at {base} answered {other} to {url}"
        ))),
    }
}

async fn fetch(
    http: &reqwest::Client,
    url: &str,
    query: &[(&str, &str)],
    base: &str,
) -> Result<Value, Failure> {
    let body = get(http, url, query, base).await?;
    serde_json::from_slice(&body).map_err(|_| {
        Failure::usage(format!(
            "{base} answered {url} with something that is not a checklist; is it a vipps-om simulator?"
        ))
    })
}

async fn fetch_text(
    http: &reqwest::Client,
    url: &str,
    query: &[(&str, &str)],
    base: &str,
) -> Result<Vec<u8>, Failure> {
    get(http, url, query, base).await
}

fn label(style: &Style, status: &str) -> String {
    let padded = format!("{:<13}", status.replace('-', " "));
    match status {
        "pass" => style.ok(&padded),
        "warn" => style.warn(&padded),
        "fail" => style.fail(&padded),
        _ => style.dim(&padded),
    }
}

fn render(style: &Style, reports: &[Value], args: &ChecklistArgs) -> String {
    let mut out = String::new();
    if reports.is_empty() {
        out.push_str(
            "No merchant has sent requests to this simulator yet: run your integration against it first.\n",
        );
        return out;
    }
    for report in reports {
        let kind = if report["partner"] == true {
            "partner integration"
        } else {
            "direct integration"
        };
        let verdict = report["verdict"].as_str().unwrap_or("?");
        out.push_str(&style.heading(&format!(
            "Checklist for merchant {} ({kind}): {}",
            msn_of(report),
            verdict.replace('-', " ")
        )));
        out.push('\n');
        let traffic = &report["traffic"];
        out.push_str(&style.dim(&format!(
            "  {} request(s): {} token request(s), {} API call(s)",
            traffic["requests"], traffic["tokenRequests"], traffic["apiCalls"]
        )));
        out.push('\n');
        let mut section = String::new();
        for item in report["items"].as_array().into_iter().flatten() {
            let this = item["section"].as_str().unwrap_or_default();
            if this != section {
                section = this.to_owned();
                out.push_str(&format!("  {}\n", style.strong(&clean(this))));
            }
            let status = item["status"].as_str().unwrap_or("?");
            out.push_str(&format!(
                "    {} {}\n",
                label(style, status),
                clean(item["title"].as_str().unwrap_or_default())
            ));
            out.push_str(&format!(
                "    {:<13} {}\n",
                "",
                style.dim(&clean(item["summary"].as_str().unwrap_or_default()))
            ));
            for evidence in item["evidence"].as_array().into_iter().flatten() {
                out.push_str(&format!(
                    "    {:<13} {} {} at {} → {}: {}\n",
                    "",
                    clean(evidence["method"].as_str().unwrap_or_default()),
                    clean(evidence["path"].as_str().unwrap_or_default()),
                    clean(evidence["at"].as_str().unwrap_or_default()),
                    evidence["status"],
                    clean(evidence["detail"].as_str().unwrap_or_default())
                ));
            }
            if let Some(hint) = item["hint"].as_str() {
                out.push_str(&format!("    {:<13} what to do: {}\n", "", clean(hint)));
            }
        }
        out.push_str(&format!(
            "  {}\n",
            style.strong("What the simulator cannot see (check these by hand)")
        ));
        for line in report["cannotSee"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "    - {}\n",
                clean(line.as_str().unwrap_or_default())
            ));
        }
        let failed: Vec<String> = report["failed"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(clean))
            .collect();
        if failed.is_empty() {
            out.push_str(&format!("  {}\n\n", style.ok("Nothing failed.")));
        } else {
            out.push_str(&format!(
                "  {}\n\n",
                style.fail(&format!(
                    "{} item(s) failed: {}",
                    failed.len(),
                    failed.join(", ")
                ))
            ));
        }
    }
    if let Some(path) = &args.html {
        out.push_str(&format!("The page is saved in {}.\n", path.display()));
    }
    out
}
