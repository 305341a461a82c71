//! [`Client`] and [`ClientBuilder`]: configuration, the Vipps headers on
//! every request, the token lifecycle, retries and tracing. The endpoint
//! methods live in [`crate::api`].

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER,
};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::config::{Credentials, Environment, SystemInfo};
use crate::error::{AuthFailure, Error, snippet};
use crate::ids::MerchantSerialNumber;
use crate::models::{ProblemDetails, TokenResponse};
use crate::retry::{Endpoint, RetryPolicies, RetryPolicy, parse_retry_after};
use crate::token::{CachedToken, TokenCache};

/// Default time for one attempt, connection included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Default time to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest lifetime a token is trusted for: 24 hours, the longest the
/// Vipps MobilePay token service issues. A larger `expires_in` is used as
/// 24 h (the token is then refreshed after 23 h 55 min; should the service
/// revoke it sooner, the 401 it answers makes the client fetch a new one).
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// The shortest lifetime a token is used for: 60 seconds. A smaller
/// `expires_in` (0 included) is used as 60 s, so that a token service
/// answering nonsense does not make every call fetch a token first; a token
/// that really expired earlier is answered with 401 and replaced once.
pub const MIN_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// The most of a response body the client reads: 8 MiB. Every answer of
/// the Order Management API is a few kilobytes of JSON; a body beyond this
/// (or a `Content-Length` announcing one) is cut off here, so a misbehaving
/// server or proxy cannot make the client buffer without limit. A cut body
/// cannot be read as JSON, so the call ends with [`Error::Decode`] naming
/// the limit (on a 2xx the API has still done the work).
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// A client for one sales unit. Cheap to clone; clones share the token and
/// the connection pool.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    base_url: String,
    credentials: Credentials,
    /// Merchant-Serial-Number, subscription key (marked sensitive), the
    /// Vipps-System headers and `Accept`, built once.
    common_headers: HeaderMap,
    tokens: TokenCache,
    retry: RetryPolicies,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("credentials", &self.inner.credentials)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]. Nothing is read from the environment unless you
/// call [`ClientBuilder::from_env`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    environment: Environment,
    credentials: Option<Credentials>,
    system: SystemInfo,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicies,
    pending_error: Option<String>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            environment: Environment::Production,
            credentials: None,
            system: SystemInfo::default(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicies::default(),
            pending_error: None,
        }
    }
}

/// Environment variables read by [`ClientBuilder::from_env`].
pub mod env_vars {
    /// Client id of the sales unit.
    pub const CLIENT_ID: &str = "VIPPS_CLIENT_ID";
    /// Client secret.
    pub const CLIENT_SECRET: &str = "VIPPS_CLIENT_SECRET";
    /// Subscription key (`Ocp-Apim-Subscription-Key`).
    pub const SUBSCRIPTION_KEY: &str = "VIPPS_SUBSCRIPTION_KEY";
    /// Merchant-Serial-Number.
    pub const MERCHANT_SERIAL_NUMBER: &str = "VIPPS_MERCHANT_SERIAL_NUMBER";
    /// `production`, `test` or a base URL; production when unset.
    pub const BASE_URL: &str = "VIPPS_BASE_URL";
    /// `Vipps-System-Name`.
    pub const SYSTEM_NAME: &str = "VIPPS_SYSTEM_NAME";
    /// `Vipps-System-Version`.
    pub const SYSTEM_VERSION: &str = "VIPPS_SYSTEM_VERSION";
    /// `Vipps-System-Plugin-Name`.
    pub const SYSTEM_PLUGIN_NAME: &str = "VIPPS_SYSTEM_PLUGIN_NAME";
    /// `Vipps-System-Plugin-Version`.
    pub const SYSTEM_PLUGIN_VERSION: &str = "VIPPS_SYSTEM_PLUGIN_VERSION";
}

impl ClientBuilder {
    /// Where to send requests (default: production).
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Sends requests to `base_url` (e.g. the simulator). An invalid URL is
    /// reported by [`ClientBuilder::build`].
    pub fn base_url(mut self, base_url: &str) -> Self {
        match Environment::parse(base_url) {
            Ok(env) => self.environment = env,
            Err(e) => self.pending_error = Some(e.to_string()),
        }
        self
    }

    /// The environment requests will go to.
    pub fn environment_ref(&self) -> &Environment {
        &self.environment
    }

    /// The `Vipps-System-*` values that will be sent.
    pub fn system_ref(&self) -> &SystemInfo {
        &self.system
    }

    /// The sales unit's keys.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The `Vipps-System-*` headers (default: this library's name and version).
    pub fn system_info(mut self, system: SystemInfo) -> Self {
        self.system = system;
        self
    }

    /// Time limit for one attempt of a request (default 20 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time limit for connecting (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// All retry policies at once.
    pub fn retry_policies(mut self, policies: RetryPolicies) -> Self {
        self.retry = policies;
        self
    }

    /// The retry policy of one endpoint.
    pub fn retry_policy(mut self, endpoint: Endpoint, policy: RetryPolicy) -> Self {
        self.retry.set(endpoint, policy);
        self
    }

    /// A builder filled from `VIPPS_*` environment variables (see
    /// [`env_vars`]). Missing credentials are reported all at once.
    pub fn from_env() -> Result<ClientBuilder, Error> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Like [`ClientBuilder::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<ClientBuilder, Error> {
        use env_vars::*;
        let mut builder = ClientBuilder::default();
        let required = [
            CLIENT_ID,
            CLIENT_SECRET,
            SUBSCRIPTION_KEY,
            MERCHANT_SERIAL_NUMBER,
        ];
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|name| lookup(name).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(Error::Config(format!(
                "{} not set; copy the values of the sales unit from portal.vipps.no (Utvikler → API keys)",
                missing.join(", ")
            )));
        }
        let get = |name: &str| lookup(name).unwrap_or_default();
        let msn = MerchantSerialNumber::new(get(MERCHANT_SERIAL_NUMBER))
            .map_err(|e| Error::Config(e.to_string()))?;
        builder.credentials = Some(Credentials::new(
            get(CLIENT_ID),
            get(CLIENT_SECRET),
            get(SUBSCRIPTION_KEY),
            msn,
        ));
        if let Some(url) = lookup(BASE_URL) {
            builder.environment = Environment::parse(&url)?;
        }
        let system = &mut builder.system;
        for (name, slot) in [
            (SYSTEM_NAME, &mut system.name),
            (SYSTEM_VERSION, &mut system.version),
            (SYSTEM_PLUGIN_NAME, &mut system.plugin_name),
            (SYSTEM_PLUGIN_VERSION, &mut system.plugin_version),
        ] {
            if let Some(value) = lookup(name) {
                *slot = value;
            }
        }
        Ok(builder)
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        if let Some(message) = self.pending_error {
            return Err(Error::Config(message));
        }
        let credentials = self.credentials.ok_or_else(|| {
            Error::Config("no credentials given; call .credentials(..) or use from_env()".into())
        })?;
        if credentials.client_id.trim().is_empty() {
            return Err(Error::Config("the client id is empty".into()));
        }
        self.system.check()?;

        let mut common_headers = HeaderMap::new();
        common_headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        common_headers.insert(
            "Merchant-Serial-Number",
            header_value(
                credentials.merchant_serial_number.as_str(),
                "Merchant-Serial-Number",
                false,
            )?,
        );
        common_headers.insert(
            "Ocp-Apim-Subscription-Key",
            header_value(
                credentials.subscription_key.expose_secret(),
                "the subscription key",
                true,
            )?,
        );
        for (name, value) in self.system.headers() {
            common_headers.insert(
                HeaderName::from_static(lowercase_static(name)),
                header_value(value, name, false)?,
            );
        }
        // Checked here so that a token request never fails on a bad header.
        header_value(
            credentials.client_secret.expose_secret(),
            "the client secret",
            true,
        )?;
        header_value(&credentials.client_id, "the client id", false)?;

        // With `tls-ring` alone, rustls has no built-in crypto provider:
        // use ring unless the application has installed one (an `Err` here
        // means it has).
        #[cfg(all(feature = "tls-ring", not(feature = "tls-aws-lc")))]
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(concat!("vipps-om-rust/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("could not set up HTTP: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url: self.environment.base_url(),
                credentials,
                common_headers,
                tokens: TokenCache::default(),
                retry: self.retry,
            }),
        })
    }
}

fn lowercase_static(name: &'static str) -> &'static str {
    match name {
        "Vipps-System-Name" => "vipps-system-name",
        "Vipps-System-Version" => "vipps-system-version",
        "Vipps-System-Plugin-Name" => "vipps-system-plugin-name",
        _ => "vipps-system-plugin-version",
    }
}

fn header_value(value: &str, what: &str, sensitive: bool) -> Result<HeaderValue, Error> {
    let mut v = HeaderValue::from_str(value.trim()).map_err(|_| {
        Error::Config(format!(
            "{what} contains characters that cannot be sent in an HTTP header; copy it again"
        ))
    })?;
    if v.is_empty() {
        return Err(Error::Config(format!("{what} is empty")));
    }
    v.set_sensitive(sensitive);
    Ok(v)
}

/// The current access token and what is known about it.
#[non_exhaustive]
pub struct TokenInfo {
    /// The sales unit it is for.
    pub merchant_serial_number: MerchantSerialNumber,
    /// When it expires (wall clock).
    pub expires_at: SystemTime,
    /// Its lifetime as issued.
    pub lifetime: Duration,
    /// The token itself; expose it only when a person asks for it.
    pub token: SecretString,
}

impl std::fmt::Debug for TokenInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenInfo")
            .field("merchant_serial_number", &self.merchant_serial_number)
            .field("expires_at", &self.expires_at)
            .field("lifetime", &self.lifetime)
            .field("token", &"[REDACTED]")
            .finish()
    }
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// One request to make, possibly several times.
pub(crate) struct Call<'a> {
    pub(crate) endpoint: Endpoint,
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Option<(&'static str, &'a str)>,
    pub(crate) body: Option<bytes::Bytes>,
    pub(crate) payment_type: Option<&'a str>,
    pub(crate) order_id: Option<&'a str>,
}

/// A final answer (not 401, and not a retryable failure with retries left).
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: bytes::Bytes,
    /// Whether an earlier attempt failed in a way that may have been
    /// processed by the server (so a 409 now may be our own earlier write).
    pub(crate) after_ambiguous_failure: bool,
}

/// A failed attempt that may be retried.
struct Failed {
    error: Error,
    /// The server may have processed the request.
    ambiguous: bool,
    retry_after: Option<Duration>,
}

impl Client {
    /// A builder; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `VIPPS_*` environment variables.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The Merchant-Serial-Number of this client.
    pub fn merchant_serial_number(&self) -> &MerchantSerialNumber {
        &self.inner.credentials.merchant_serial_number
    }

    /// Fetches (or reuses) the access token and describes it.
    pub async fn token_info(&self) -> Result<TokenInfo, Error> {
        let token = self.token().await?;
        Ok(TokenInfo {
            merchant_serial_number: self.merchant_serial_number().clone(),
            expires_at: token.expires_at_wall,
            lifetime: token.lifetime,
            token: token.value.clone(),
        })
    }

    /// The shared token. Its return type is spelled out (boxed) because
    /// fetching a token goes through [`Client::execute`], which asks for a
    /// token on API calls: the cycle needs one named `Send` future.
    fn token(&self) -> BoxFuture<'_, Result<Arc<CachedToken>, Error>> {
        Box::pin(async move {
            self.inner
                .tokens
                .get(|generation| self.fetch_token(generation))
                .await
        })
    }

    async fn fetch_token(&self, generation: u64) -> Result<CachedToken, Error> {
        let call = Call {
            endpoint: Endpoint::AccessToken,
            method: Method::POST,
            path: "/accesstoken/get".into(),
            query: None,
            body: None,
            payment_type: None,
            order_id: None,
        };
        let reply = self.execute(call).await?;
        match reply.status.as_u16() {
            200..=299 => {
                let token: TokenResponse = decode(&reply)?;
                if token.expose().is_empty() {
                    return Err(Error::Decode {
                        status: reply.status.as_u16(),
                        reason: "access_token is empty".into(),
                        snippet: String::new(),
                        source: None,
                    });
                }
                tracing::debug!(expires_in = token.expires_in, "fetched access token");
                // Clamped to MIN_TOKEN_LIFETIME..=MAX_TOKEN_LIFETIME inside.
                CachedToken::new(
                    token.access_token,
                    Duration::from_secs(token.expires_in),
                    generation,
                )
                .map_err(|_| Error::Decode {
                    status: reply.status.as_u16(),
                    reason: "access_token has characters that cannot be sent in a header".into(),
                    snippet: String::new(),
                    source: None,
                })
            }
            403 => Err(Error::Forbidden {
                detail: problem_text(&reply.body),
            }),
            status => Err(Error::Api {
                status,
                problem: ProblemDetails::parse_boxed(&reply.body),
            }),
        }
    }

    /// Sends `call`, retrying per policy and refreshing the token once after
    /// a 401. Returns the final reply, whatever its status, except 401 and
    /// retryable failures, which become errors.
    pub(crate) async fn execute(&self, call: Call<'_>) -> Result<Reply, Error> {
        let span = tracing::info_span!(
            "vipps_om.call",
            endpoint = call.endpoint.template(),
            payment_type = call.payment_type.unwrap_or(""),
            order_id = call.order_id.unwrap_or(""),
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        self.execute_in_span(call).instrument(span).await
    }

    async fn execute_in_span(&self, call: Call<'_>) -> Result<Reply, Error> {
        let policy = self.inner.retry.get(call.endpoint);
        let started = tokio::time::Instant::now();
        let mut attempt: u32 = 0;
        let mut refreshed_token = false;
        let mut after_ambiguous_failure = false;
        loop {
            attempt += 1;
            let span = tracing::Span::current();
            span.record("attempt", attempt);
            let token = match call.endpoint {
                Endpoint::AccessToken => None,
                _ => Some(self.token().await?),
            };
            let attempt_started = tokio::time::Instant::now();
            let outcome = self.send_once(&call, token.as_deref()).await;
            span.record(
                "latency_ms",
                u64::try_from(attempt_started.elapsed().as_millis()).unwrap_or(u64::MAX),
            );
            let failed = match outcome {
                Ok((status, retry_after, body)) => {
                    span.record("status", status.as_u16());
                    if status == StatusCode::UNAUTHORIZED {
                        let cause = classify_unauthorized(call.endpoint, &body);
                        if let (AuthFailure::AccessToken, Some(token), false) =
                            (cause, &token, refreshed_token)
                        {
                            tracing::info!(
                                "access token refused; fetching a new one and trying once more"
                            );
                            self.inner.tokens.invalidate(token.generation);
                            refreshed_token = true;
                            attempt -= 1;
                            continue;
                        }
                        return Err(Error::Unauthorized {
                            cause,
                            detail: problem_text(&body),
                        });
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                        let error = if status == StatusCode::TOO_MANY_REQUESTS {
                            Error::RateLimited { retry_after }
                        } else {
                            Error::Api {
                                status: status.as_u16(),
                                problem: ProblemDetails::parse_boxed(&body),
                            }
                        };
                        Failed {
                            error,
                            ambiguous: status != StatusCode::TOO_MANY_REQUESTS,
                            retry_after,
                        }
                    } else {
                        tracing::debug!(status = status.as_u16(), "answer");
                        return Ok(Reply {
                            status,
                            body,
                            after_ambiguous_failure,
                        });
                    }
                }
                Err(failed) => failed,
            };
            let allowed =
                attempt < policy.max_attempts && (policy.retry_ambiguous || !failed.ambiguous);
            let wait = failed
                .retry_after
                .unwrap_or_else(|| policy.backoff(attempt + 1));
            // `wait` is at most MAX_RETRY_AFTER or max_backoff, but a
            // policy is the caller's: never let the sum overflow.
            if !allowed || started.elapsed().saturating_add(wait) > policy.total_budget {
                tracing::warn!(error = %failed.error, attempt, "giving up");
                return Err(failed.error);
            }
            tracing::info!(error = %failed.error, attempt, wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX), "retrying");
            after_ambiguous_failure |= failed.ambiguous;
            tokio::time::sleep(wait).await;
        }
    }

    async fn send_once(
        &self,
        call: &Call<'_>,
        token: Option<&CachedToken>,
    ) -> Result<(StatusCode, Option<Duration>, bytes::Bytes), Failed> {
        let url = format!("{}{}", self.inner.base_url, call.path);
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), url)
            .headers(self.inner.common_headers.clone());
        if let Some((name, value)) = call.query {
            request = request.query(&[(name, value)]);
        }
        match token {
            Some(token) => request = request.header(AUTHORIZATION, token.authorization.clone()),
            None => {
                let creds = &self.inner.credentials;
                let mut secret = HeaderValue::from_str(creds.client_secret.expose_secret())
                    .unwrap_or(HeaderValue::from_static(""));
                secret.set_sensitive(true);
                request = request
                    .header("client_id", creds.client_id.as_str())
                    .header("client_secret", secret);
            }
        }
        request = match &call.body {
            Some(body) => request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone()),
            None if call.method == Method::POST => request
                .header(CONTENT_TYPE, "application/json")
                .body(bytes::Bytes::new()),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|e| transport_failure(call.endpoint, e))?;
        let status = response.status();
        // Only failures that may be retried care about Retry-After.
        let retry_after = (status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error())
            .then(|| response.headers().get(RETRY_AFTER))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = read_body(call.endpoint, response).await?;
        Ok((status, retry_after, body))
    }
}

/// Reads a response body, at most [`MAX_RESPONSE_BYTES`] of it, whatever
/// `Content-Length` claims: a longer body is cut there (and the connection
/// dropped), a shorter one than announced is a transport failure.
async fn read_body(
    endpoint: Endpoint,
    mut response: reqwest::Response,
) -> Result<bytes::Bytes, Failed> {
    let announced = response.content_length();
    if announced.is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
        tracing::warn!(
            endpoint = endpoint.template(),
            content_length = announced,
            limit = MAX_RESPONSE_BYTES,
            "response body larger than the client reads; not reading it"
        );
        return Ok(too_large_marker());
    }
    let capacity = announced
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
        .min(64 * 1024);
    let mut body = bytes::BytesMut::with_capacity(capacity);
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_failure(endpoint, e))?
    {
        if body.len().saturating_add(chunk.len()) > MAX_RESPONSE_BYTES {
            tracing::warn!(
                endpoint = endpoint.template(),
                limit = MAX_RESPONSE_BYTES,
                "response body larger than the client reads; cut off"
            );
            return Ok(too_large_marker());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// What stands in for a body beyond [`MAX_RESPONSE_BYTES`]: not JSON, so
/// decoding it fails with a message that names the limit.
fn too_large_marker() -> bytes::Bytes {
    bytes::Bytes::from(format!(
        "(response body larger than {} MiB, the most this client reads; not read)",
        MAX_RESPONSE_BYTES / (1024 * 1024)
    ))
}

fn transport_failure(endpoint: Endpoint, e: reqwest::Error) -> Failed {
    if e.is_timeout() {
        return Failed {
            error: Error::Timeout {
                endpoint: endpoint.template(),
            },
            ambiguous: true,
            retry_after: None,
        };
    }
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    // A refused or failed connection never reached the server.
    let ambiguous = !e.is_connect();
    Failed {
        error: Error::Transport {
            message,
            source: Some(Arc::new(e)),
        },
        ambiguous,
        retry_after: None,
    }
}

/// Which credential a 401 is about: the gateway names the subscription key
/// in its message; anything else on an API call is the token, and on the
/// token endpoint the client id/secret.
fn classify_unauthorized(endpoint: Endpoint, body: &[u8]) -> AuthFailure {
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    if text.contains("subscription key") || text.contains("subscription not found") {
        AuthFailure::SubscriptionKey
    } else if endpoint == Endpoint::AccessToken {
        AuthFailure::ClientCredentials
    } else {
        AuthFailure::AccessToken
    }
}

pub(crate) fn problem_text(body: &[u8]) -> String {
    ProblemDetails::parse(body)
        .map(|p| p.summary())
        .unwrap_or_else(|| snippet(body).trim().to_owned())
}

/// Reads a JSON body, naming the field that failed.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(reply: &Reply) -> Result<T, Error> {
    // The fast parser first; the path-tracking one only to explain a failure.
    if let Ok(value) = serde_json::from_slice(&reply.body) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(&reply.body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let reason = match e.path().to_string().as_str() {
            "." => e.inner().to_string(),
            path => format!("{path}: {}", e.inner()),
        };
        Error::Decode {
            status: reply.status.as_u16(),
            reason,
            snippet: snippet(&reply.body),
            source: Some(Arc::new(e.into_inner())),
        }
    })
}
