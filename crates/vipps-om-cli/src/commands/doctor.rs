//! `vipps-om doctor`: the go-live check. Each check passes, warns or fails,
//! and a failure says what to do.

use serde_json::json;
use vipps_om::{AuthFailure, Environment, Error, OrderId, PaymentType, SystemInfo};

use super::Context;
use crate::commands::check::{self as link, Check, LinkOptions, Verdict, render_checks};
use crate::failure::{ExitCode, Failure};
use crate::profile::SAMPLE_CATEGORY_URL_VAR;

/// The order id used to probe Order Management access. Reading an order
/// changes nothing; a 404 proves the keys may use the API.
const PROBE_ORDER: &str = "vipps-om-doctor-probe";

/// Runs every check and prints the list.
pub(crate) async fn run(ctx: &Context) -> Result<(), Failure> {
    let mut checks = Vec::new();
    let mut worst = ExitCode::Ok;
    let mut fail = |checks: &mut Vec<Check>, name, detail: String, code: ExitCode| {
        checks.push(Check {
            name,
            verdict: Verdict::Fail,
            detail,
        });
        if worst == ExitCode::Ok {
            worst = code;
        }
    };

    let builder = match ctx.client_builder() {
        Ok(b) => {
            checks.push(Check {
                name: "configuration",
                verdict: Verdict::Pass,
                detail: "client id, secret, subscription key and Merchant-Serial-Number are set"
                    .into(),
            });
            Some(b)
        }
        Err(f) => {
            fail(&mut checks, "configuration", f.message, ExitCode::Usage);
            None
        }
    };
    if let Some(builder) = builder {
        let (verdict, detail) = match builder.environment_ref() {
            Environment::Production => (Verdict::Pass, "production (https://api.vipps.no)".to_owned()),
            Environment::Test => (
                Verdict::Warn,
                "the test environment has no Order Management API: calls will fail there; use production keys and https://api.vipps.no to go live".to_owned(),
            ),
            Environment::Custom(url) => (Verdict::Warn, format!("{url} is not Vipps MobilePay (fine for the simulator, not for going live)")),
        };
        checks.push(Check {
            name: "base URL",
            verdict,
            detail,
        });

        let system = builder.system_ref().clone();
        let (verdict, detail) = if system.name == SystemInfo::default().name {
            (
                Verdict::Warn,
                "Vipps-System-Name/-Version are this tool's defaults; set VIPPS_SYSTEM_NAME, VIPPS_SYSTEM_VERSION, VIPPS_SYSTEM_PLUGIN_NAME and VIPPS_SYSTEM_PLUGIN_VERSION to your shop system (mandatory for partners and platforms)".to_owned(),
            )
        } else {
            (
                Verdict::Pass,
                system
                    .headers()
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        };
        checks.push(Check {
            name: "Vipps-System headers",
            verdict,
            detail,
        });

        match builder.build() {
            Err(e) => fail(&mut checks, "client", e.to_string(), ExitCode::Usage),
            Ok(client) => match client.token_info().await {
                Err(e) => {
                    let (detail, code) = said(e);
                    fail(&mut checks, "access token", detail, code);
                }
                Ok(info) => {
                    checks.push(Check {
                        name: "access token",
                        verdict: Verdict::Pass,
                        detail: format!("fetched; valid for {} s", info.lifetime.as_secs()),
                    });
                    let probe =
                        OrderId::new(PROBE_ORDER).map_err(|e| Failure::usage(e.to_string()))?;
                    match client.orders().get(&PaymentType::Ecom, &probe).await {
                        Ok(_) | Err(Error::NotFound { .. }) => checks.push(Check {
                            name: "Order Management access",
                            verdict: Verdict::Pass,
                            detail: "the keys and Merchant-Serial-Number belong together and may use Order Management".into(),
                        }),
                        Err(e @ Error::Forbidden { .. }) => {
                            let (detail, code) = said(e);
                            fail(&mut checks, "Order Management access", detail, code)
                        }
                        Err(e @ Error::Unauthorized { cause: AuthFailure::AccessToken, .. }) => fail(
                            &mut checks,
                            "Order Management access",
                            format!("{e}. The subscription key and the Merchant-Serial-Number probably belong to different sales units"),
                            ExitCode::Auth,
                        ),
                        Err(e) => {
                            let (detail, code) = said(e);
                            fail(&mut checks, "Order Management access", detail, code)
                        }
                    }
                }
            },
        }
    }

    // The link a category leads to, opened as the customer's phone would.
    let configuration_failed = checks.first().is_some_and(|c| c.verdict == Verdict::Fail);
    match ctx.sample_category_url() {
        // The config file is unreadable: said once, by `configuration`.
        Err(_) if configuration_failed => checks.push(Check::new(
            "category link",
            Verdict::Skip,
            "the configuration could not be read (see above)",
        )),
        Err(f) => fail(&mut checks, "category link", f.message, ExitCode::Usage),
        Ok(None) => checks.push(Check::new(
            "category link",
            Verdict::Skip,
            format!("no sample link to open as the customer's phone would: set sample_category_url = \"https://shop.example/orders/1001\" in the profile (or {SAMPLE_CATEGORY_URL_VAR}), or run `vipps-om category check URL`"),
        )),
        Ok(Some(raw)) => match link::parse_link(&raw) {
            Err(f) => fail(
                &mut checks,
                "category link",
                format!("sample_category_url: {}", f.message),
                ExitCode::Usage,
            ),
            Ok(url) => {
                let report = link::check_link(&url, LinkOptions::default()).await?;
                let problems: Vec<String> = report
                    .checks
                    .iter()
                    .filter(|c| matches!(c.verdict, Verdict::Fail | Verdict::Warn))
                    .map(|c| format!("{}: {}", c.name, c.detail))
                    .collect();
                let code = report.exit_code();
                if code != ExitCode::Ok {
                    fail(
                        &mut checks,
                        "category link",
                        format!("{url}: {}; details: vipps-om category check {url}", problems.join("; ")),
                        code,
                    );
                } else if problems.is_empty() {
                    checks.push(Check::new(
                        "category link",
                        Verdict::Pass,
                        format!("{url} opens without signing in (status {}, first byte after {} ms)", report.status.unwrap_or_default(), report.first_byte_ms.unwrap_or_default()),
                    ));
                } else {
                    checks.push(Check::new(
                        "category link",
                        Verdict::Warn,
                        format!("{url}: {}", problems.join("; ")),
                    ));
                }
            }
        },
    }

    ctx.emit(
        |style| render_checks(&checks, style),
        || json!({"ok": worst == ExitCode::Ok, "checks": checks}),
    );
    if worst == ExitCode::Ok {
        Ok(())
    } else {
        Err(Failure {
            code: worst,
            kind: "doctor",
            message: "some go-live checks failed; see the list above".into(),
            problems: Vec::new(),
            status: None,
        })
    }
}

/// An error as one line of the list (the service's own words after ours,
/// as the command's error message has them on a line of their own), and
/// the exit code it stands for.
fn said(error: Error) -> (String, ExitCode) {
    let failure = Failure::from(error);
    let detail = failure
        .message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    (detail, failure.code)
}
