//! What a simulator is started with: its [`Merchant`]s (the built-in demo
//! merchant plus any from a TOML file), the token lifetime, the listen
//! address, the size of the request log and of the store, and the limits
//! of the server ([`ServeLimits`]). [`Simulator`] is the checked
//! configuration; [`SimulatorBuilder`] makes one.
//!
//! A merchants file holds `[[merchant]]` tables:
//!
//! ```toml
//! [[merchant]]
//! merchant_serial_number = "654321"   # a number works too
//! client_id = "shop-two-client"
//! client_secret = "shop-two-secret"
//! subscription_key = "shop-two-key"
//! strict = true                        # optional: strict mode for this merchant
//! ```
//!
//! and `[[partner]]` tables: partner keys that act for the merchants
//! they list (see [`Partner`]):
//!
//! ```toml
//! [[partner]]
//! name = "acme-platform"
//! client_id = "acme-partner-client"
//! client_secret = "acme-partner-secret"
//! subscription_key = "acme-partner-key"
//! merchants = ["111111", "654321"]     # numbers work too
//! ```
//!
//! A listed MSN that no `[[merchant]]` table names is a merchant too,
//! with no keys of its own: only its partners reach it.
//!
//! `strict` (default `false`) makes the simulator also refuse, for this
//! merchant's requests, what the client library refuses and what the docs
//! leave ambiguous (see [`Mode`](crate::Mode)); [`SimulatorBuilder::strict`] does so
//! for every merchant.
//!
//! A bad file is refused with a message naming the file, the line and the
//! field; secrets are never part of a message.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use vipps_om::{Credentials, MerchantSerialNumber};
pub use vipps_om_serve::ServeLimits;

/// The demo merchant's Merchant-Serial-Number.
pub const DEMO_MSN: &str = "123456";
/// The demo merchant's client id.
pub const DEMO_CLIENT_ID: &str = "demo-client-id";
/// The demo merchant's client secret (public: it only opens the simulator).
pub const DEMO_CLIENT_SECRET: &str = "demo-client-secret";
/// The demo merchant's subscription key (public: it only opens the simulator).
pub const DEMO_SUBSCRIPTION_KEY: &str = "demo-subscription-key";
/// Token lifetime when none is configured: one hour, as in the test environment.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// The longest token lifetime the simulator hands out: 24 hours, as a
/// production token; a longer `--token-ttl` is refused (it would also
/// overflow the clock arithmetic of expiry).
pub const MAX_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);
/// Requests kept in the request log when no size is configured.
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 1000;
/// Bytes the request log may hold when no budget is configured (16 MiB,
/// by the log's own accounting: see [`crate::observe`]). The oldest
/// requests are dropped first to stay within it.
pub const DEFAULT_REQUEST_LOG_BYTES: usize = 16 * 1024 * 1024;
/// Bytes of orders (receipts, categories) and image records the simulator
/// stores when no budget is configured (512 MiB, by the store's own
/// accounting). Beyond it writes are answered 507 until a reset.
pub const DEFAULT_STORE_BYTES: usize = 512 * 1024 * 1024;

/// The most merchants one `[[partner]]` may list: 100,000 (a platform
/// of 10,000 merchants fits ten times). More is refused naming the
/// partner and the limit.
pub const MAX_PARTNER_MERCHANTS: usize = 100_000;

/// A sales unit the simulator knows: its MSN and the three credentials.
/// `Debug` never shows the secret or the subscription key.
#[derive(Clone)]
pub struct Merchant {
    msn: MerchantSerialNumber,
    client_id: String,
    client_secret: SecretString,
    subscription_key: SecretString,
    strict: bool,
    /// `false` for a merchant that only a `[[partner]]` lists: its
    /// client id, secret and subscription key are empty and open nothing.
    own_keys: bool,
}

impl Merchant {
    /// A merchant; every value must be non-empty printable ASCII without
    /// spaces (they travel in HTTP headers), the MSN digits only.
    pub fn new(
        merchant_serial_number: &str,
        client_id: &str,
        client_secret: &str,
        subscription_key: &str,
    ) -> Result<Merchant, ConfigError> {
        let invalid = |message: String| ConfigError::Merchant { message };
        let msn = MerchantSerialNumber::new(merchant_serial_number)
            .map_err(|e| invalid(e.to_string()))?;
        for (field, value) in [
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("subscription_key", subscription_key),
        ] {
            if let Some(problem) = header_value_problem(value) {
                return Err(invalid(format!("{field} {problem}")));
            }
        }
        Ok(Merchant {
            msn,
            client_id: client_id.to_owned(),
            client_secret: SecretString::from(client_secret.to_owned()),
            subscription_key: SecretString::from(subscription_key.to_owned()),
            strict: false,
            own_keys: true,
        })
    }

    /// A merchant that only partners reach: no keys of its own.
    fn partner_only(msn: MerchantSerialNumber) -> Merchant {
        Merchant {
            msn,
            client_id: String::new(),
            client_secret: SecretString::from(String::new()),
            subscription_key: SecretString::from(String::new()),
            strict: false,
            own_keys: false,
        }
    }

    /// Whether this merchant has keys of its own (`false` for an MSN only
    /// a `[[partner]]` lists: then [`Merchant::client_id`],
    /// [`Merchant::client_secret`] and [`Merchant::subscription_key`] are
    /// empty, and only the partner's keys reach it).
    pub fn has_own_keys(&self) -> bool {
        self.own_keys
    }

    /// This merchant's requests checked in strict mode ([`crate::Mode::Strict`]):
    /// also refused is what the client library refuses and what the docs
    /// leave ambiguous, each with its own problem `type` URN.
    #[must_use]
    pub fn with_strict(mut self, strict: bool) -> Merchant {
        self.strict = strict;
        self
    }

    /// Whether this merchant's requests are checked in strict mode (the
    /// simulator-wide [`Simulator::is_strict`] applies too).
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// The built-in demo merchant: MSN `123456`, `demo-client-id`,
    /// `demo-client-secret`, `demo-subscription-key`.
    pub fn demo() -> Merchant {
        Merchant {
            msn: MerchantSerialNumber::new(DEMO_MSN).expect("the demo MSN is digits"),
            client_id: DEMO_CLIENT_ID.to_owned(),
            client_secret: SecretString::from(DEMO_CLIENT_SECRET),
            subscription_key: SecretString::from(DEMO_SUBSCRIPTION_KEY),
            strict: false,
            own_keys: true,
        }
    }

    /// The Merchant-Serial-Number.
    pub fn merchant_serial_number(&self) -> &MerchantSerialNumber {
        &self.msn
    }

    /// The client id (not a secret).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret, for building a client in tests.
    pub fn client_secret(&self) -> &str {
        self.client_secret.expose_secret()
    }

    /// The subscription key, for building a client in tests.
    pub fn subscription_key(&self) -> &str {
        self.subscription_key.expose_secret()
    }

    /// The merchant's credentials for [`vipps_om::Client`].
    pub fn credentials(&self) -> Credentials {
        Credentials::new(
            self.client_id.clone(),
            self.client_secret().to_owned(),
            self.subscription_key().to_owned(),
            self.msn.clone(),
        )
    }
}

impl fmt::Debug for Merchant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Merchant")
            .field("merchant_serial_number", &self.msn.as_str())
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("subscription_key", &"***")
            .field("strict", &self.strict)
            .field("own_keys", &self.own_keys)
            .finish()
    }
}

/// Partner keys: one client id, client secret and subscription key that
/// act for every merchant listed, the merchant chosen per request with the
/// `Merchant-Serial-Number` header. `Debug` never shows the secret or the
/// subscription key.
#[derive(Clone)]
pub struct Partner {
    name: String,
    client_id: String,
    client_secret: SecretString,
    subscription_key: SecretString,
    merchants: Vec<MerchantSerialNumber>,
}

impl Partner {
    /// A partner linked to `merchants` (at most [`MAX_PARTNER_MERCHANTS`]);
    /// the keys follow [`Merchant::new`]'s rules, the name must not be
    /// empty.
    pub fn new(
        name: &str,
        client_id: &str,
        client_secret: &str,
        subscription_key: &str,
        merchants: &[&str],
    ) -> Result<Partner, ConfigError> {
        let invalid = |message: String| ConfigError::Merchant { message };
        if name.trim().is_empty() {
            return Err(invalid("a partner's name is empty".to_owned()));
        }
        for (field, value) in [
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("subscription_key", subscription_key),
        ] {
            if let Some(problem) = header_value_problem(value) {
                return Err(invalid(format!("partner {name:?}: {field} {problem}")));
            }
        }
        if merchants.len() > MAX_PARTNER_MERCHANTS {
            return Err(invalid(format!(
                "partner {name:?} lists {} merchants, more than the {MAX_PARTNER_MERCHANTS} the simulator links to one partner",
                merchants.len()
            )));
        }
        let mut msns = Vec::with_capacity(merchants.len());
        for msn in merchants {
            let msn = MerchantSerialNumber::new(*msn)
                .map_err(|e| invalid(format!("partner {name:?}: merchants: {e}")))?;
            if !msns.contains(&msn) {
                msns.push(msn);
            }
        }
        Ok(Partner {
            name: name.trim().to_owned(),
            client_id: client_id.to_owned(),
            client_secret: SecretString::from(client_secret.to_owned()),
            subscription_key: SecretString::from(subscription_key.to_owned()),
            merchants: msns,
        })
    }

    /// The partner's name (counters and messages use it).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The client id (not a secret).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret, for building a client in tests.
    pub fn client_secret(&self) -> &str {
        self.client_secret.expose_secret()
    }

    /// The subscription key, for building a client in tests.
    pub fn subscription_key(&self) -> &str {
        self.subscription_key.expose_secret()
    }

    /// The merchants linked to these keys, as listed.
    pub fn merchants(&self) -> &[MerchantSerialNumber] {
        &self.merchants
    }

    /// The partner's keys for [`vipps_om::ClientBuilder::build_partner`].
    pub fn credentials(&self) -> vipps_om::PartnerCredentials {
        Credentials::partner(
            self.client_id.clone(),
            self.client_secret().to_owned(),
            self.subscription_key().to_owned(),
        )
    }
}

impl fmt::Debug for Partner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Partner")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("subscription_key", &"***")
            .field("merchants", &self.merchants.len())
            .finish()
    }
}

fn header_value_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("is empty")
    } else if !value.bytes().all(|b| b.is_ascii_graphic()) {
        Some("must be printable ASCII without spaces (it is sent in an HTTP header)")
    } else {
        None
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The merchants file could not be read.
    #[error("cannot read the merchants file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The merchants file is not valid; the message names line and field.
    #[error("{origin}: {message}")]
    MerchantsFile {
        /// The file, or `merchants TOML` for text given directly.
        origin: String,
        /// What is wrong, with the line.
        message: String,
    },
    /// A merchant value is invalid.
    #[error("invalid merchant: {message}")]
    Merchant {
        /// What is wrong.
        message: String,
    },
    /// Two merchants share an MSN, client id or subscription key.
    #[error("{message}")]
    Duplicate {
        /// Which value is shared.
        message: String,
    },
    /// The token lifetime is zero or longer than [`MAX_TOKEN_TTL`].
    #[error(
        "the token lifetime must be between 1 second and 24 hours (86400 s), as production's tokens are"
    )]
    TokenTtl,
    /// The server limits would serve nothing; the message names the field.
    #[error("invalid server limits: {message}")]
    ServeLimits {
        /// What is wrong.
        message: String,
    },
}

/// A checked simulator configuration. [`Simulator::default`] is the demo
/// merchant only, tokens valid for an hour, listening on `127.0.0.1:0`.
#[derive(Debug, Clone)]
pub struct Simulator {
    pub(crate) merchants: Vec<Merchant>,
    pub(crate) partners: Vec<Partner>,
    pub(crate) token_ttl: Duration,
    pub(crate) listen: SocketAddr,
    pub(crate) request_log_capacity: usize,
    pub(crate) request_log_bytes: usize,
    pub(crate) store_bytes: usize,
    pub(crate) serve_limits: ServeLimits,
    pub(crate) strict: bool,
}

impl Default for Simulator {
    fn default() -> Self {
        Simulator {
            merchants: vec![Merchant::demo()],
            partners: Vec::new(),
            token_ttl: DEFAULT_TOKEN_TTL,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            request_log_capacity: DEFAULT_REQUEST_LOG_CAPACITY,
            request_log_bytes: DEFAULT_REQUEST_LOG_BYTES,
            store_bytes: DEFAULT_STORE_BYTES,
            serve_limits: ServeLimits::default(),
            strict: false,
        }
    }
}

impl Simulator {
    /// A builder starting from the defaults.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// Every merchant, the demo merchant first, those only partners list
    /// last ([`Merchant::has_own_keys`] is `false` for them).
    pub fn merchants(&self) -> &[Merchant] {
        &self.merchants
    }

    /// Every partner, in the order configured.
    pub fn partners(&self) -> &[Partner] {
        &self.partners
    }

    /// How long an access token lives.
    pub fn token_ttl(&self) -> Duration {
        self.token_ttl
    }

    /// The address to listen on (port 0: a free port).
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
    }

    /// The byte budget of the request log.
    pub fn request_log_bytes(&self) -> usize {
        self.request_log_bytes
    }

    /// The byte budget of stored orders and images.
    pub fn store_bytes(&self) -> usize {
        self.store_bytes
    }

    /// The limits [`crate::spawn`] serves with.
    pub fn serve_limits(&self) -> ServeLimits {
        self.serve_limits
    }

    /// Whether every merchant's requests are checked in strict mode.
    pub fn is_strict(&self) -> bool {
        self.strict
    }
}

/// Builds a [`Simulator`]; [`SimulatorBuilder::build`] checks everything.
/// `Debug` shows no merchant data (TOML text holds secrets).
#[derive(Default)]
pub struct SimulatorBuilder {
    merchants: Vec<Merchant>,
    partners: Vec<Partner>,
    files: Vec<PathBuf>,
    texts: Vec<String>,
    token_ttl: Option<Duration>,
    listen: Option<SocketAddr>,
    request_log_capacity: Option<usize>,
    request_log_bytes: Option<usize>,
    store_bytes: Option<usize>,
    serve_limits: Option<ServeLimits>,
    strict: bool,
}

impl fmt::Debug for SimulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatorBuilder")
            .field("merchants", &self.merchants)
            .field("partners", &self.partners)
            .field("files", &self.files)
            .field("toml_texts", &self.texts.len())
            .field("token_ttl", &self.token_ttl)
            .field("listen", &self.listen)
            .field("request_log_capacity", &self.request_log_capacity)
            .field("request_log_bytes", &self.request_log_bytes)
            .field("store_bytes", &self.store_bytes)
            .field("serve_limits", &self.serve_limits)
            .field("strict", &self.strict)
            .finish()
    }
}

impl SimulatorBuilder {
    /// Strict mode for every merchant (`vipps-om sim --strict`): also
    /// refuse what the client library refuses and what the docs leave
    /// ambiguous ([`crate::Mode::Strict`]). Default: off, the simulator refuses
    /// what production is documented to refuse and logs warnings for the
    /// rest.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Adds a merchant beside the demo merchant.
    pub fn merchant(mut self, merchant: Merchant) -> Self {
        self.merchants.push(merchant);
        self
    }

    /// Adds a partner: keys that act for the merchants it lists (an MSN
    /// no merchant has becomes a merchant without keys of its own).
    pub fn partner(mut self, partner: Partner) -> Self {
        self.partners.push(partner);
        self
    }

    /// Adds the merchants of a TOML file (read by [`Self::build`]).
    pub fn merchants_file(mut self, path: impl AsRef<Path>) -> Self {
        self.files.push(path.as_ref().to_owned());
        self
    }

    /// Adds the merchants of TOML text in the merchants-file format.
    pub fn merchants_toml(mut self, text: impl Into<String>) -> Self {
        self.texts.push(text.into());
        self
    }

    /// How long access tokens live (default one hour). Sub-second values
    /// are allowed for expiry tests; `expires_in` is rounded up to seconds.
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = Some(ttl);
        self
    }

    /// Where [`crate::spawn`] listens (default `127.0.0.1:0`).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// How many requests the request log keeps; older ones are dropped
    /// (default 1000).
    pub fn request_log_capacity(mut self, capacity: usize) -> Self {
        self.request_log_capacity = Some(capacity);
        self
    }

    /// How many bytes the request log may hold (default
    /// [`DEFAULT_REQUEST_LOG_BYTES`]); the oldest requests are dropped
    /// first to stay within it, and a request bigger than the whole budget
    /// is not logged (it is still counted).
    pub fn request_log_bytes(mut self, bytes: usize) -> Self {
        self.request_log_bytes = Some(bytes);
        self
    }

    /// How many bytes of orders and images the simulator stores (default
    /// [`DEFAULT_STORE_BYTES`]); beyond it writes get 507.
    pub fn store_bytes(mut self, bytes: usize) -> Self {
        self.store_bytes = Some(bytes);
        self
    }

    /// The server's timeouts and connection cap (default
    /// [`ServeLimits::default`]).
    pub fn serve_limits(mut self, limits: ServeLimits) -> Self {
        self.serve_limits = Some(limits);
        self
    }

    /// Reads the files and checks that no two merchants share an MSN, a
    /// client id or a subscription key.
    pub fn build(self) -> Result<Simulator, ConfigError> {
        let mut simulator = Simulator::default();
        let mut partners: Vec<(String, Partner)> = Vec::new();
        for path in &self.files {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            let origin = path.display().to_string();
            let (merchants, found) = parse_merchants(&text, &origin)?;
            add_all(&mut simulator.merchants, merchants, &origin)?;
            partners.extend(found);
        }
        for text in &self.texts {
            let (merchants, found) = parse_merchants(text, "merchants TOML")?;
            add_all(&mut simulator.merchants, merchants, "merchants TOML")?;
            partners.extend(found);
        }
        for merchant in self.merchants {
            add_all(
                &mut simulator.merchants,
                vec![(0, merchant)],
                "the configuration",
            )?;
        }
        partners.extend(
            self.partners
                .into_iter()
                .map(|p| ("the configuration".to_owned(), p)),
        );
        add_partners(&mut simulator, partners)?;
        if let Some(ttl) = self.token_ttl {
            if ttl.is_zero() || ttl > MAX_TOKEN_TTL {
                return Err(ConfigError::TokenTtl);
            }
            simulator.token_ttl = ttl;
        }
        if let Some(listen) = self.listen {
            simulator.listen = listen;
        }
        simulator.strict = self.strict;
        if let Some(capacity) = self.request_log_capacity {
            simulator.request_log_capacity = capacity;
        }
        if let Some(bytes) = self.request_log_bytes {
            simulator.request_log_bytes = bytes;
        }
        if let Some(bytes) = self.store_bytes {
            simulator.store_bytes = bytes;
        }
        if let Some(limits) = self.serve_limits {
            limits.check().map_err(|e| ConfigError::ServeLimits {
                message: e.to_string(),
            })?;
            simulator.serve_limits = limits;
        }
        Ok(simulator)
    }
}

/// Adds `(line, merchant)` pairs, refusing any shared identity.
fn add_all(
    known: &mut Vec<Merchant>,
    new: Vec<(usize, Merchant)>,
    origin: &str,
) -> Result<(), ConfigError> {
    for (line, merchant) in new {
        let at = if line > 0 {
            format!("{origin}, line {line}")
        } else {
            origin.to_owned()
        };
        for other in known.iter() {
            let clash = if other.msn == merchant.msn {
                Some(format!(
                    "merchant_serial_number {} is used twice",
                    merchant.msn
                ))
            } else if other.client_id == merchant.client_id {
                Some(format!("client_id {:?} is used twice", merchant.client_id))
            } else if other.subscription_key() == merchant.subscription_key() {
                Some(format!(
                    "the subscription_key of merchant {} is also the key of merchant {}",
                    merchant.msn, other.msn
                ))
            } else {
                None
            };
            if let Some(clash) = clash {
                let demo = if other.msn.as_str() == DEMO_MSN && other.client_id == DEMO_CLIENT_ID {
                    " (the built-in demo merchant has MSN 123456, demo-client-id and demo-subscription-key)"
                } else {
                    ""
                };
                return Err(ConfigError::Duplicate {
                    message: format!("{at}: {clash}{demo}; every merchant needs its own"),
                });
            }
        }
        known.push(merchant);
    }
    Ok(())
}

/// Adds `(where, partner)` pairs after every merchant: no partner's
/// client id or subscription key may be a merchant's or another
/// partner's, names are unique, and a listed MSN no merchant has becomes
/// a merchant without keys of its own.
fn add_partners(
    simulator: &mut Simulator,
    partners: Vec<(String, Partner)>,
) -> Result<(), ConfigError> {
    for (at, partner) in partners {
        let clash = |what: String| ConfigError::Duplicate {
            message: format!("{at}: {what}; every partner and merchant needs its own keys"),
        };
        for merchant in simulator.merchants.iter().filter(|m| m.own_keys) {
            if merchant.client_id == partner.client_id {
                return Err(clash(format!(
                    "the client_id of partner {:?} is also the client_id of merchant {}",
                    partner.name, merchant.msn
                )));
            }
            if merchant.subscription_key() == partner.subscription_key() {
                return Err(clash(format!(
                    "the subscription_key of partner {:?} is also the key of merchant {}",
                    partner.name, merchant.msn
                )));
            }
        }
        for other in &simulator.partners {
            if other.name == partner.name {
                return Err(clash(format!(
                    "partner name {:?} is used twice",
                    partner.name
                )));
            }
            if other.client_id == partner.client_id
                || other.subscription_key() == partner.subscription_key()
            {
                return Err(clash(format!(
                    "partners {:?} and {:?} share a client_id or subscription_key",
                    other.name, partner.name
                )));
            }
        }
        let known: std::collections::HashSet<String> = simulator
            .merchants
            .iter()
            .map(|m| m.msn.to_string())
            .collect();
        for msn in &partner.merchants {
            if !known.contains(msn.as_str()) {
                simulator
                    .merchants
                    .push(Merchant::partner_only(msn.clone()));
            }
        }
        simulator.partners.push(partner);
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantsFile {
    #[serde(default)]
    merchant: Vec<toml::Spanned<MerchantEntry>>,
    #[serde(default)]
    partner: Vec<toml::Spanned<PartnerEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartnerEntry {
    name: toml::Spanned<String>,
    client_id: toml::Spanned<String>,
    client_secret: toml::Spanned<String>,
    subscription_key: toml::Spanned<String>,
    merchants: toml::Spanned<Vec<MsnValue>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantEntry {
    merchant_serial_number: toml::Spanned<MsnValue>,
    client_id: toml::Spanned<String>,
    client_secret: toml::Spanned<String>,
    subscription_key: toml::Spanned<String>,
    #[serde(default)]
    strict: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MsnValue {
    Number(u64),
    Text(String),
}

/// Merchants as `(line, merchant)` pairs, partners as `(where, partner)`.
type Parsed = (Vec<(usize, Merchant)>, Vec<(String, Partner)>);

/// Parses a merchants file.
fn parse_merchants(text: &str, origin: &str) -> Result<Parsed, ConfigError> {
    let fail = |message: String| ConfigError::MerchantsFile {
        origin: origin.to_owned(),
        message,
    };
    let file: MerchantsFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|span| format!("line {}: ", line_of(text, span.start)))
            .unwrap_or_default();
        fail(format!("{line}{}", e.message().trim_end()))
    })?;
    if file.merchant.is_empty() && file.partner.is_empty() {
        return Err(fail(
            "no [[merchant]] or [[partner]] tables; add one per merchant with merchant_serial_number, client_id, client_secret and subscription_key (or a [[partner]] with name, client_id, client_secret, subscription_key and merchants)".to_owned(),
        ));
    }
    let mut merchants = Vec::with_capacity(file.merchant.len());
    for entry in &file.merchant {
        let entry_line = line_of(text, entry.span().start);
        let entry = entry.get_ref();
        let msn_line = line_of(text, entry.merchant_serial_number.span().start);
        let msn = match entry.merchant_serial_number.get_ref() {
            MsnValue::Number(n) => n.to_string(),
            MsnValue::Text(s) => s.clone(),
        };
        let msn = MerchantSerialNumber::new(&msn)
            .map_err(|e| fail(format!("line {msn_line}: merchant_serial_number: {e}")))?;
        for (field, value) in [
            ("client_id", &entry.client_id),
            ("client_secret", &entry.client_secret),
            ("subscription_key", &entry.subscription_key),
        ] {
            if let Some(problem) = header_value_problem(value.get_ref()) {
                return Err(fail(format!(
                    "line {}: {field} {problem}",
                    line_of(text, value.span().start)
                )));
            }
        }
        let merchant = Merchant::new(
            msn.as_str(),
            entry.client_id.get_ref(),
            entry.client_secret.get_ref(),
            entry.subscription_key.get_ref(),
        )
        .map_err(|e| fail(format!("line {entry_line}: {e}")))?
        .with_strict(entry.strict);
        merchants.push((entry_line, merchant));
    }
    let mut partners = Vec::with_capacity(file.partner.len());
    for entry in &file.partner {
        let entry_line = line_of(text, entry.span().start);
        let entry = entry.get_ref();
        for (field, value) in [
            ("client_id", &entry.client_id),
            ("client_secret", &entry.client_secret),
            ("subscription_key", &entry.subscription_key),
        ] {
            if let Some(problem) = header_value_problem(value.get_ref()) {
                return Err(fail(format!(
                    "line {}: {field} {problem}",
                    line_of(text, value.span().start)
                )));
            }
        }
        let list_line = line_of(text, entry.merchants.span().start);
        if entry.merchants.get_ref().len() > MAX_PARTNER_MERCHANTS {
            return Err(fail(format!(
                "line {list_line}: partner {:?} lists {} merchants, more than the {MAX_PARTNER_MERCHANTS} the simulator links to one partner; split them over several partners",
                entry.name.get_ref(),
                entry.merchants.get_ref().len()
            )));
        }
        let msns: Vec<String> = entry
            .merchants
            .get_ref()
            .iter()
            .map(|m| match m {
                MsnValue::Number(n) => n.to_string(),
                MsnValue::Text(s) => s.clone(),
            })
            .collect();
        let listed: Vec<&str> = msns.iter().map(String::as_str).collect();
        let partner = Partner::new(
            entry.name.get_ref(),
            entry.client_id.get_ref(),
            entry.client_secret.get_ref(),
            entry.subscription_key.get_ref(),
            &listed,
        )
        .map_err(|e| fail(format!("line {entry_line}: {e}")))?;
        partners.push((format!("{origin}, line {entry_line}"), partner));
    }
    Ok((merchants, partners))
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map(|before| before.matches('\n').count() + 1)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
[[merchant]]
merchant_serial_number = "654321"
client_id = "two-id"
client_secret = "two-secret"
subscription_key = "two-key"

[[merchant]]
merchant_serial_number = 777777
client_id = "three-id"
client_secret = "three-secret"
subscription_key = "three-key"
"#;

    fn error(text: &str) -> String {
        Simulator::builder()
            .merchants_toml(text)
            .build()
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_merchants_file_adds_merchants_after_the_demo() {
        let sim = Simulator::builder().merchants_toml(TWO).build().unwrap();
        let msns: Vec<&str> = sim
            .merchants()
            .iter()
            .map(|m| m.merchant_serial_number().as_str())
            .collect();
        assert_eq!(msns, vec!["123456", "654321", "777777"]);
        assert_eq!(sim.merchants()[2].client_id(), "three-id");
    }

    #[test]
    fn a_bad_field_is_named_with_its_line() {
        let text = TWO.replace(
            "merchant_serial_number = 777777",
            "merchant_serial_number = \"77a\"",
        );
        let message = error(&text);
        assert!(message.contains("line 9"), "{message}");
        assert!(message.contains("merchant_serial_number"), "{message}");

        let text = TWO.replace(
            "client_secret = \"two-secret\"",
            "client-secret = \"two-secret\"",
        );
        let message = error(&text);
        assert!(message.contains("client-secret"), "{message}");
        assert!(message.contains("line "), "{message}");

        let text = TWO.replace(
            "subscription_key = \"three-key\"",
            "subscription_key = \"\"",
        );
        let message = error(&text);
        assert!(
            message.contains("line 12: subscription_key is empty"),
            "{message}"
        );
    }

    #[test]
    fn missing_fields_and_empty_files_are_explained() {
        let message = error("[[merchant]]\nclient_id = \"x\"\n");
        assert!(message.contains("missing field"), "{message}");
        assert!(error("").contains("no [[merchant]] or [[partner]] tables"));
        assert!(error("[[merchant]\n").contains("line 1"));
    }

    #[test]
    fn shared_identities_are_refused_without_printing_secrets() {
        let text = TWO.replace("three-key", "two-key");
        let message = error(&text);
        assert!(message.contains("line 8"), "{message}");
        assert!(message.contains("subscription_key"), "{message}");
        assert!(!message.contains("two-key"), "{message}");

        let text = TWO.replace("654321", "123456");
        assert!(error(&text).contains("demo merchant"));
    }

    #[test]
    fn debug_hides_secrets() {
        let merchant = Merchant::new("1", "id", "s3cret", "k3y").unwrap();
        let shown = format!("{merchant:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("k3y"),
            "{shown}"
        );
    }

    #[test]
    fn builder_debug_hides_merchant_toml() {
        let builder = Simulator::builder().merchants_toml(TWO);
        let shown = format!("{builder:?}");
        assert!(
            !shown.contains("two-secret") && !shown.contains("two-key"),
            "{shown}"
        );
    }

    const PARTNERS: &str = r#"
[[merchant]]
merchant_serial_number = "654321"
client_id = "two-id"
client_secret = "two-secret"
subscription_key = "two-key"

[[partner]]
name = "acme"
client_id = "acme-id"
client_secret = "acme-secret"
subscription_key = "acme-key"
merchants = ["654321", 111111, "222222"]
"#;

    #[test]
    fn partners_link_listed_merchants_and_add_the_missing_ones() {
        let sim = Simulator::builder()
            .merchants_toml(PARTNERS)
            .build()
            .unwrap();
        let msns: Vec<(&str, bool)> = sim
            .merchants()
            .iter()
            .map(|m| (m.merchant_serial_number().as_str(), m.has_own_keys()))
            .collect();
        assert_eq!(
            msns,
            vec![
                ("123456", true),
                ("654321", true),
                ("111111", false),
                ("222222", false)
            ]
        );
        let partner = &sim.partners()[0];
        assert_eq!(partner.name(), "acme");
        assert_eq!(partner.merchants().len(), 3);
        let shown = format!("{partner:?}");
        assert!(!shown.contains("acme-secret") && !shown.contains("acme-key"));
    }

    #[test]
    fn partner_mistakes_are_named() {
        let message = error(&PARTNERS.replace("\"222222\"", "\"22x\""));
        assert!(message.contains("line 8"), "{message}");
        assert!(message.contains("merchants"), "{message}");
        let message = error(&PARTNERS.replace("acme-key", "two-key"));
        assert!(message.contains("partner \"acme\""), "{message}");
        assert!(!message.contains("two-key"), "{message}");
        let message = error(&PARTNERS.replace("name = \"acme\"", "nme = \"acme\""));
        assert!(message.contains("nme"), "{message}");
        let many: Vec<String> = (0..=MAX_PARTNER_MERCHANTS)
            .map(|i| format!("\"{}\"", i + 1))
            .collect();
        let message = error(&format!(
            "[[partner]]\nname = \"big\"\nclient_id = \"b\"\nclient_secret = \"b\"\nsubscription_key = \"b\"\nmerchants = [{}]\n",
            many.join(",")
        ));
        assert!(message.contains("more than the 100000"), "{message}");
    }

    #[test]
    fn zero_token_lifetime_is_refused() {
        assert!(matches!(
            Simulator::builder().token_ttl(Duration::ZERO).build(),
            Err(ConfigError::TokenTtl)
        ));
    }

    #[test]
    fn token_lifetime_beyond_a_day_is_refused() {
        assert!(matches!(
            Simulator::builder().token_ttl(Duration::MAX).build(),
            Err(ConfigError::TokenTtl)
        ));
        assert!(
            Simulator::builder()
                .token_ttl(MAX_TOKEN_TTL)
                .build()
                .is_ok()
        );
    }
}
