//! `vipps-om doctor`: the go-live check. Each check passes, warns or fails,
//! and a failure says what to do.

use serde_json::json;
use vipps_om::{AuthFailure, Environment, Error, OrderId, PaymentType, SystemInfo};

use super::Context;
use crate::commands::check::{self as link, Check, LinkOptions, Verdict, render_checks};
use crate::failure::{ExitCode, Failure};
use crate::profile::{self, SAMPLE_CATEGORY_URL_VAR, Setup};

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

    let setup = match ctx.setup() {
        Ok(setup) => {
            let detail = match &setup {
                Setup::Merchant(_) => {
                    "client id, secret, subscription key and Merchant-Serial-Number are set"
                        .to_owned()
                }
                Setup::Partner { msn: Some(msn), .. } => format!(
                    "partner keys (client id, secret, subscription key) are set; checking them for merchant {msn}"
                ),
                Setup::Partner { msn: None, .. } => {
                    "partner keys (client id, secret, subscription key) are set".to_owned()
                }
                Setup::Keyring { path, .. } => format!("keyring {}", path.display()),
            };
            checks.push(Check {
                name: "configuration",
                verdict: Verdict::Pass,
                detail,
            });
            Some(setup)
        }
        Err(f) => {
            fail(&mut checks, "configuration", f.message, ExitCode::Usage);
            None
        }
    };
    if let Some(setup) = setup {
        let partner = matches!(setup, Setup::Partner { .. });
        let builder = setup.builder();
        let (verdict, detail) = match builder.environment_ref() {
            Environment::Production => (Verdict::Pass, "production (https://api.vipps.no)".to_owned()),
            Environment::Test if partner => (
                Verdict::Fail,
                "partner keys work only in production, and the test environment has no Order Management API; use https://api.vipps.no".to_owned(),
            ),
            Environment::Test => (
                Verdict::Warn,
                "the test environment has no Order Management API: calls will fail there; use production keys and https://api.vipps.no to go live".to_owned(),
            ),
            Environment::Custom(url) => (Verdict::Warn, format!("{url} is not Vipps MobilePay (fine for the simulator, not for going live)")),
        };
        if verdict == Verdict::Fail {
            fail(&mut checks, "base URL", detail, ExitCode::Usage);
        } else {
            checks.push(Check {
                name: "base URL",
                verdict,
                detail,
            });
        }

        let (verdict, detail) = system_headers(builder.system_ref(), partner);
        if verdict == Verdict::Fail {
            fail(&mut checks, "Vipps-System headers", detail, ExitCode::Usage);
        } else {
            checks.push(Check {
                name: "Vipps-System headers",
                verdict,
                detail,
            });
        }

        let client = match setup {
            Setup::Keyring { builder, path, msn } => {
                match (profile::load_keyring(&builder, &path), msn) {
                    (Err(f), _) => {
                        fail(&mut checks, "keyring", f.message, ExitCode::Usage);
                        None
                    }
                    (Ok(keyring), None) => {
                        checks.push(Check::new(
                            "keyring",
                            Verdict::Pass,
                            format!("{} merchants, every secret readable", keyring.len()),
                        ));
                        checks.push(Check::new(
                            "access token",
                            Verdict::Skip,
                            "give --msn MSN to check one merchant's keys against the API",
                        ));
                        None
                    }
                    (Ok(keyring), Some(msn)) => {
                        match profile::keyring_client(&keyring, &msn) {
                            Err(f) => {
                                fail(&mut checks, "keyring", f.message, ExitCode::Usage);
                                None
                            }
                            Ok(client) => {
                                checks.push(Check::new(
                            "keyring",
                            Verdict::Pass,
                            format!("{} merchants, every secret readable; checking merchant {msn}", keyring.len()),
                        ));
                                Some(client)
                            }
                        }
                    }
                }
            }
            Setup::Partner { msn: None, .. } => {
                fail(
                    &mut checks,
                    "linked merchant",
                    "partner keys act for the merchants linked to them: give --msn MSN of one of them to check the keys, the token and the link".to_owned(),
                    ExitCode::Usage,
                );
                None
            }
            other => match other.client() {
                Err(f) => {
                    fail(&mut checks, "client", f.message, f.code);
                    None
                }
                Ok(client) => Some(client),
            },
        };
        if let Some(client) = client {
            match client.token_info().await {
                Err(e) => {
                    let (detail, code) = said(e);
                    fail(&mut checks, "access token", detail, code);
                }
                Ok(info) => {
                    checks.push(Check {
                        name: "access token",
                        verdict: Verdict::Pass,
                        detail: if info.partner_keys {
                            format!("the partner's token, fetched; valid for {} s and for every linked merchant", info.lifetime.as_secs())
                        } else {
                            format!("fetched; valid for {} s", info.lifetime.as_secs())
                        },
                    });
                    let name = if partner {
                        "linked merchant"
                    } else {
                        "Order Management access"
                    };
                    let probe =
                        OrderId::new(PROBE_ORDER).map_err(|e| Failure::usage(e.to_string()))?;
                    match client.orders().get(&PaymentType::Ecom, &probe).await {
                        Ok(_) | Err(Error::NotFound { .. }) => checks.push(Check {
                            name,
                            verdict: Verdict::Pass,
                            detail: if partner {
                                format!("sales unit {} is linked to these partner keys and may use Order Management", client.merchant_serial_number())
                            } else {
                                "the keys and Merchant-Serial-Number belong together and may use Order Management".into()
                            },
                        }),
                        Err(e @ (Error::Forbidden { .. } | Error::PartnerNotLinked { .. })) => {
                            let (detail, code) = said(e);
                            fail(&mut checks, name, detail, code)
                        }
                        Err(e @ Error::Unauthorized { cause: AuthFailure::AccessToken, .. }) => fail(
                            &mut checks,
                            name,
                            format!("{e}. The subscription key and the Merchant-Serial-Number probably belong to different sales units"),
                            ExitCode::Auth,
                        ),
                        Err(e) => {
                            let (detail, code) = said(e);
                            fail(&mut checks, name, detail, code)
                        }
                    }
                }
            }
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

/// The `Vipps-System-*` verdict: this tool's defaults are a warning for a
/// merchant and a failure for partners (who must send their own), values
/// over the recommended 30 characters or a version without a digit a
/// warning.
fn system_headers(system: &SystemInfo, partner: bool) -> (Verdict, String) {
    let defaults = SystemInfo::default();
    if system.name == defaults.name {
        let verdict = if partner {
            Verdict::Fail
        } else {
            Verdict::Warn
        };
        let must = if partner {
            "partners must send their own"
        } else {
            "mandatory for partners and platforms"
        };
        return (
            verdict,
            format!(
                "Vipps-System-Name/-Version are this tool's defaults; set VIPPS_SYSTEM_NAME, VIPPS_SYSTEM_VERSION, VIPPS_SYSTEM_PLUGIN_NAME and VIPPS_SYSTEM_PLUGIN_VERSION (or system_name, ... in the profile) to your system ({must})"
            ),
        );
    }
    if let Err(e) = system.check() {
        return (Verdict::Fail, e.to_string());
    }
    let mut notes = Vec::new();
    for (header, value) in system.headers() {
        if value.chars().count() > vipps_om::config::SYSTEM_HEADER_RECOMMENDED_LEN {
            notes.push(format!(
                "{header} is {} characters; keep it within {} (the knowledge base's limit)",
                value.chars().count(),
                vipps_om::config::SYSTEM_HEADER_RECOMMENDED_LEN
            ));
        }
    }
    for (header, value) in [
        ("Vipps-System-Version", &system.version),
        ("Vipps-System-Plugin-Version", &system.plugin_version),
    ] {
        if !value.chars().any(|c| c.is_ascii_digit()) {
            notes.push(format!(
                "{header} {:?} has no digit; send the version, e.g. 3.1.2",
                crate::style::clean(value)
            ));
        }
    }
    let listed = system
        .headers()
        .iter()
        .map(|(k, v)| format!("{k}: {}", crate::style::clean(v)))
        .collect::<Vec<_>>()
        .join(", ");
    if notes.is_empty() {
        (Verdict::Pass, listed)
    } else {
        (Verdict::Warn, format!("{listed}; {}", notes.join("; ")))
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
