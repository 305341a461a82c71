//! The app's rules, checked before go-live: verdicts shared by `doctor`,
//! `category check` and `image check`, and the link check itself.
//!
//! A category's link opens in the phone's browser, where the customer is
//! not signed in to the shop. [`check_link`] fetches it that way: no
//! cookies, a phone's user agent, every redirect followed here (so each
//! hop is reported), and says whether the customer would see the order or
//! a sign-in page, an error, a plain-HTTP page, or wait too long.

use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, LOCATION};
use reqwest::{StatusCode, Url};
use serde::Serialize;

use crate::failure::{ExitCode, Failure};
use crate::style::{Style, clean};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verdict {
    /// Fine.
    Pass,
    /// Works, but should be looked at.
    Warn,
    /// Breaks what the customer sees: fix it before going live.
    Fail,
    /// Not checked (the detail says why and how to have it checked).
    Skip,
}

/// One line of a check list: its name, verdict, and what was found and
/// what to do.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Check {
    pub(crate) name: &'static str,
    pub(crate) verdict: Verdict,
    pub(crate) detail: String,
}

impl Check {
    pub(crate) fn new(name: &'static str, verdict: Verdict, detail: impl Into<String>) -> Check {
        Check {
            name,
            verdict,
            detail: detail.into(),
        }
    }
}

/// The check list as text: one line per check, details from outside
/// (a web page, the API) on that one line and cleaned of control
/// characters.
pub(crate) fn render_checks(checks: &[Check], style: &Style) -> String {
    let mut out = String::new();
    for c in checks {
        let mark = match c.verdict {
            Verdict::Pass => style.ok("✓ pass"),
            Verdict::Warn => style.warn("! warn"),
            Verdict::Fail => style.fail("✗ fail"),
            Verdict::Skip => style.dim("- skip"),
        };
        let detail = c.detail.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push_str(&format!("{mark}  {:<26} {}\n", c.name, clean(&detail)));
    }
    out
}

// ------------------------------------------------------------- the link

/// The user agent sent: Safari on a current iPhone, as the app's in-app
/// browser identifies itself, so the shop answers as it would answer the
/// customer (some shops send desktop and phone browsers different pages).
pub(crate) const PHONE_USER_AGENT: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1";

/// Redirects followed before giving up: 10, as browsers stop a little
/// beyond that (Safari at 16, Chrome at 20) and a link that needs more is
/// broken or looping. Beyond it the `redirects` check fails.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// Default time to the first byte of the final answer (all redirects
/// included) above which the `speed` check warns: 3 s, about when people
/// on a phone give up on a page (Google's mobile page-speed research: over
/// half leave a page that takes longer than 3 s).
pub(crate) const DEFAULT_SLOW_AFTER_MS: u64 = 3000;

/// [`DEFAULT_SLOW_AFTER_MS`] as a duration.
pub(crate) const DEFAULT_SLOW_AFTER: Duration = Duration::from_millis(DEFAULT_SLOW_AFTER_MS);

/// The whole fetch (every hop and the page) is abandoned after 15 s; the
/// link then fails the `reachable` check ("no answer within 15 s").
pub(crate) const FETCH_TIMEOUT: Duration = Duration::from_secs(15);

/// Connecting to one host is abandoned after 10 s (within [`FETCH_TIMEOUT`]).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// At most 1 MiB of the final page is read to look for a password field;
/// the rest is not read (a sign-in form is near the top of any page), and
/// the check says so.
pub(crate) const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// Words in the path or query of the page a link was redirected to that
/// mark a sign-in page (English and Norwegian/Danish spellings).
const SIGN_IN_MARKERS: &[&str] = &[
    "login", "log-in", "log_in", "signin", "sign-in", "sign_in", "logg-inn", "logginn", "logind",
    "log-ind", "auth", "account", "session",
];

/// How a link is checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkOptions {
    /// Time to first byte above which the `speed` check warns.
    pub(crate) slow_after: Duration,
    /// Plain HTTP is a warning instead of a failure (a shop's test server).
    pub(crate) allow_http: bool,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            slow_after: DEFAULT_SLOW_AFTER,
            allow_http: false,
        }
    }
}

/// One answer on the way: the URL asked, its status, where it redirected.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Hop {
    pub(crate) url: String,
    pub(crate) status: u16,
    /// The absolute `Location` of a redirect.
    pub(crate) location: Option<String>,
    /// From the start of the check to this answer's headers.
    pub(crate) elapsed_ms: u64,
}

/// What checking a link found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LinkReport {
    pub(crate) url: String,
    /// The page the customer ends on (`null` when nothing answered).
    pub(crate) final_url: Option<String>,
    /// Its status (`null` when nothing answered).
    pub(crate) status: Option<u16>,
    /// Time to the first byte of the final answer, redirects included.
    pub(crate) first_byte_ms: Option<u64>,
    pub(crate) hops: Vec<Hop>,
    pub(crate) checks: Vec<Check>,
}

impl LinkReport {
    /// Whether no check failed (warnings allowed).
    pub(crate) fn ok(&self) -> bool {
        !self.checks.iter().any(|c| c.verdict == Verdict::Fail)
    }

    /// The exit code: 0 when no check failed, 3 when nothing answered,
    /// else 1 (the link's site refuses the customer).
    pub(crate) fn exit_code(&self) -> ExitCode {
        if self.ok() {
            ExitCode::Ok
        } else if self.status.is_none() {
            ExitCode::Unavailable
        } else {
            ExitCode::Refused
        }
    }
}

/// Parses the link to check: an absolute http(s) URL.
pub(crate) fn parse_link(raw: &str) -> Result<Url, Failure> {
    let url = Url::parse(raw.trim()).map_err(|_| {
        Failure::usage(format!(
            "{:?} is not an absolute URL; give the full link, e.g. https://shop.example/orders/123",
            clean(raw)
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(Failure::usage(format!(
            "{:?} is not a web link ({} scheme); the app opens links in the phone's browser, so give an https URL",
            clean(raw),
            url.scheme()
        )));
    }
    Ok(url)
}

/// How the fetch ended before the checks are judged.
enum Fetched {
    /// The final answer and what its page showed.
    Answered {
        status: StatusCode,
        first_byte: Duration,
        password_field: bool,
        page_cut: bool,
    },
    /// More than [`MAX_REDIRECTS`] redirects.
    TooManyRedirects,
    /// No answer: the reason (connection, TLS, timeout).
    Unreachable(String),
}

/// Fetches `url` as the phone's browser would and judges it.
pub(crate) async fn check_link(url: &Url, options: LinkOptions) -> Result<LinkReport, Failure> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(PHONE_USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| Failure::usage(format!("cannot set up HTTP: {}", chain(&e))))?;
    let started = Instant::now();
    let mut hops = Vec::new();
    let fetched = match tokio::time::timeout(FETCH_TIMEOUT, fetch(&http, url, started, &mut hops))
        .await
    {
        Ok(fetched) => fetched,
        Err(_) => Fetched::Unreachable(format!("no answer within {} s", FETCH_TIMEOUT.as_secs())),
    };
    Ok(judge(url, hops, fetched, options))
}

async fn fetch(
    http: &reqwest::Client,
    start: &Url,
    started: Instant,
    hops: &mut Vec<Hop>,
) -> Fetched {
    let mut url = start.clone();
    loop {
        let response = http
            .get(url.clone())
            .header(
                ACCEPT,
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            )
            .header(ACCEPT_LANGUAGE, "nb-NO,nb;q=0.9,en;q=0.8")
            .send()
            .await;
        let mut response = match response {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Fetched::Unreachable(format!(
                    "{url} gave no answer within {} s",
                    FETCH_TIMEOUT.as_secs()
                ));
            }
            Err(e) => return Fetched::Unreachable(format!("{url}: {}", chain(&e))),
        };
        let first_byte = started.elapsed();
        let status = response.status();
        let location = status
            .is_redirection()
            .then(|| response.headers().get(LOCATION))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| url.join(v.trim()).ok());
        hops.push(Hop {
            url: url.to_string(),
            status: status.as_u16(),
            location: location.as_ref().map(Url::to_string),
            elapsed_ms: millis(first_byte),
        });
        if let Some(next) = location {
            if hops.len() > MAX_REDIRECTS {
                return Fetched::TooManyRedirects;
            }
            url = next;
            continue;
        }
        let (page, page_cut) = read_page(&mut response).await;
        return Fetched::Answered {
            status,
            first_byte,
            password_field: has_password_field(&page),
            page_cut,
        };
    }
}

/// Reads at most [`MAX_PAGE_BYTES`] of the body; `true` when more was left
/// unread. A body that breaks off is judged on what arrived.
async fn read_page(response: &mut reqwest::Response) -> (Vec<u8>, bool) {
    let mut page = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_PAGE_BYTES.saturating_sub(page.len());
        if chunk.len() > room {
            page.extend_from_slice(&chunk[..room]);
            return (page, true);
        }
        page.extend_from_slice(&chunk);
    }
    (page, false)
}

/// Whether the page has an `<input type="password">` (any quoting, any
/// case): a sign-in form.
fn has_password_field(page: &[u8]) -> bool {
    let text = String::from_utf8_lossy(page).to_ascii_lowercase();
    text.split("<input").skip(1).any(|tag| {
        let tag = tag.split('>').next().unwrap_or_default();
        let compact: String = tag.chars().filter(|c| !c.is_whitespace()).collect();
        compact.contains("type=\"password\"")
            || compact.contains("type='password'")
            || compact.contains("type=password")
    })
}

/// Whether a URL's path or query names a sign-in page.
fn sign_in_url(url: &Url) -> Option<&'static str> {
    let text = format!("{}?{}", url.path(), url.query().unwrap_or_default()).to_ascii_lowercase();
    SIGN_IN_MARKERS.iter().copied().find(|m| text.contains(m))
}

fn judge(url: &Url, hops: Vec<Hop>, fetched: Fetched, options: LinkOptions) -> LinkReport {
    let mut checks = Vec::new();
    let final_url = hops
        .last()
        .map(|h| h.location.clone().unwrap_or_else(|| h.url.clone()));

    // HTTPS: the link and every page on the way.
    let plain: Vec<String> = std::iter::once(url.to_string())
        .chain(hops.iter().filter_map(|h| h.location.clone()))
        .filter(|u| !u.starts_with("https://"))
        .collect();
    checks.push(if plain.is_empty() {
        Check::new("https", Verdict::Pass, "the link and every redirect use https")
    } else {
        let what = format!(
            "{} not https: the phone's browser warns the customer or refuses; serve the page over https and give the https link",
            plain.join(", ")
        );
        if options.allow_http {
            Check::new("https", Verdict::Warn, format!("{what} (allowed here by --allow-http; production links must be https)"))
        } else {
            Check::new("https", Verdict::Fail, what)
        }
    });

    match fetched {
        Fetched::Unreachable(why) => {
            checks.push(Check::new(
                "reachable",
                Verdict::Fail,
                format!("{why}; check that the address is public and the site is up (the customer's phone is on the internet, not your network)"),
            ));
            for name in ["redirects", "status", "sign-in", "speed"] {
                checks.push(Check::new(name, Verdict::Skip, "nothing answered"));
            }
            LinkReport {
                url: url.to_string(),
                final_url: None,
                status: None,
                first_byte_ms: None,
                hops,
                checks,
            }
        }
        Fetched::TooManyRedirects => {
            checks.push(Check::new("reachable", Verdict::Pass, "the site answers"));
            checks.push(Check::new(
                "redirects",
                Verdict::Fail,
                format!("more than {MAX_REDIRECTS} redirects ({}); the browser gives up: link straight to the order page", route(url, &hops)),
            ));
            for name in ["status", "sign-in", "speed"] {
                checks.push(Check::new(name, Verdict::Skip, "no final page"));
            }
            let status = hops.last().map(|h| h.status);
            LinkReport {
                url: url.to_string(),
                final_url,
                status,
                first_byte_ms: None,
                hops,
                checks,
            }
        }
        Fetched::Answered {
            status,
            first_byte,
            password_field,
            page_cut,
        } => {
            checks.push(Check::new("reachable", Verdict::Pass, "the site answers"));
            let redirects = hops.len().saturating_sub(1);
            checks.push(if redirects == 0 {
                Check::new("redirects", Verdict::Pass, "none: the link is the page")
            } else {
                Check::new(
                    "redirects",
                    Verdict::Pass,
                    format!("{redirects}: {}", route(url, &hops)),
                )
            });

            let code = status.as_u16();
            checks.push(match code {
                200..=299 => Check::new("status", Verdict::Pass, format!("{status}")),
                401 | 403 => Check::new(
                    "status",
                    Verdict::Fail,
                    format!("{status}: the page needs a signed-in customer, and the phone's browser is not signed in to your shop; make the page open without signing in (e.g. a link with a long random token per order)"),
                ),
                _ => Check::new(
                    "status",
                    Verdict::Fail,
                    format!("{status}: the customer sees an error page instead of the order; check the link and that the page exists for this order"),
                ),
            });

            let redirected_to = (redirects > 0)
                .then(|| final_url.as_deref().and_then(|u| Url::parse(u).ok()))
                .flatten();
            let marker = redirected_to.as_ref().and_then(sign_in_url);
            checks.push(match (marker, password_field) {
                (Some(word), _) => Check::new(
                    "sign-in",
                    Verdict::Fail,
                    format!("the link leads to a sign-in page ({}, its address has {word:?}); the customer is not signed in in the phone's browser: make the order page open without signing in", final_url.as_deref().unwrap_or_default()),
                ),
                (None, true) => Check::new(
                    "sign-in",
                    Verdict::Fail,
                    "the page asks for a password; the customer is not signed in in the phone's browser: make the order page open without signing in",
                ),
                (None, false) if page_cut => Check::new(
                    "sign-in",
                    Verdict::Pass,
                    format!("no sign-in page or password field in the first {} MiB of the page", MAX_PAGE_BYTES >> 20),
                ),
                (None, false) => Check::new(
                    "sign-in",
                    Verdict::Pass,
                    "no sign-in page or password field",
                ),
            });

            let ms = millis(first_byte);
            checks.push(if first_byte > options.slow_after {
                Check::new(
                    "speed",
                    Verdict::Warn,
                    format!("first byte after {ms} ms (more than {} ms): customers on a phone may give up; make the page answer faster", millis(options.slow_after)),
                )
            } else {
                Check::new("speed", Verdict::Pass, format!("first byte after {ms} ms"))
            });
            LinkReport {
                url: url.to_string(),
                final_url,
                status: Some(code),
                first_byte_ms: Some(ms),
                hops,
                checks,
            }
        }
    }
}

/// `a → 302 → b → 200`.
fn route(url: &Url, hops: &[Hop]) -> String {
    let mut out = url.to_string();
    for hop in hops {
        out.push_str(&format!(" → {}", hop.status));
        if let Some(next) = &hop.location {
            out.push_str(&format!(" → {next}"));
        }
    }
    out
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What went wrong, from an error's causes ("connection refused" is in a
/// source, not in reqwest's own "error sending request for url").
fn chain(error: &dyn std::error::Error) -> String {
    let mut out = String::new();
    let mut source = error.source();
    if source.is_none() {
        return error.to_string();
    }
    while let Some(e) = source {
        let text = e.to_string();
        if !out.contains(&text) && !text.starts_with("client error (") {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        source = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_field_is_found_in_any_quoting_and_case() {
        assert!(has_password_field(
            b"<form><INPUT name=p TYPE=\"Password\"></form>"
        ));
        assert!(has_password_field(b"<input type = 'password' >"));
        assert!(has_password_field(b"<input\n class=x type=password>"));
        assert!(!has_password_field(b"<input type=\"text\"> password"));
        assert!(!has_password_field(b"<p>type=password</p>"));
    }

    #[test]
    fn sign_in_addresses_are_recognised_in_path_and_query() {
        let url = |s: &str| Url::parse(s).expect("url");
        assert_eq!(
            sign_in_url(&url("https://a.example/Logg-Inn")),
            Some("logg-inn")
        );
        assert_eq!(
            sign_in_url(&url("https://a.example/?next=%2Fo&session=1")),
            Some("session")
        );
        assert_eq!(sign_in_url(&url("https://a.example/orders/123")), None);
    }

    #[test]
    fn the_slow_threshold_flag_stops_at_the_fetch_timeout() {
        // `--slow-after-ms` accepts 1..=15000 (cli.rs).
        assert_eq!(FETCH_TIMEOUT.as_millis(), 15_000);
        assert!(DEFAULT_SLOW_AFTER < FETCH_TIMEOUT);
        assert!(CONNECT_TIMEOUT < FETCH_TIMEOUT);
    }

    #[test]
    fn a_link_must_be_an_absolute_web_address() {
        assert!(parse_link("https://shop.example/o/1").is_ok());
        assert!(parse_link("/o/1").is_err());
        assert!(parse_link("mailto:a@b.example").is_err());
    }
}
