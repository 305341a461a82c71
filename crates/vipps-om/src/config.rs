//! Where requests go and who sends them: [`Environment`], [`Credentials`]
//! and the `Vipps-System-*` headers ([`SystemInfo`]).

use std::fmt;

use secrecy::SecretString;
use url::Url;

use crate::error::Error;
use crate::ids::MerchantSerialNumber;

/// Production API host.
pub const PRODUCTION_URL: &str = "https://api.vipps.no";
/// Test API host (Order Management itself is not available there; the
/// token service is).
pub const TEST_URL: &str = "https://apitest.vipps.no";

/// Which Vipps MobilePay environment (or other server) to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// `https://api.vipps.no`: live data, the only place Order Management exists.
    Production,
    /// `https://apitest.vipps.no`.
    Test,
    /// Any base URL serving the same paths, e.g. the simulator.
    Custom(Url),
}

impl Environment {
    /// Parses `production`, `test`, or an absolute `http(s)` base URL.
    pub fn parse(value: &str) -> Result<Environment, Error> {
        match value.trim() {
            "production" | "prod" => Ok(Environment::Production),
            "test" => Ok(Environment::Test),
            other => {
                let url = Url::parse(other).map_err(|_| {
                    Error::Config(format!(
                        "base URL {other:?} is not an absolute URL; use e.g. https://api.vipps.no or http://127.0.0.1:8080"
                    ))
                })?;
                if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
                    return Err(Error::Config(format!(
                        "base URL {other:?} must start with https:// or http://"
                    )));
                }
                Ok(match url.as_str().trim_end_matches('/') {
                    PRODUCTION_URL => Environment::Production,
                    TEST_URL => Environment::Test,
                    _ => Environment::Custom(url),
                })
            }
        }
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> String {
        match self {
            Environment::Production => PRODUCTION_URL.to_owned(),
            Environment::Test => TEST_URL.to_owned(),
            Environment::Custom(url) => url.as_str().trim_end_matches('/').to_owned(),
        }
    }
}

/// The four keys of a sales unit, from portal.vipps.no. Secrets are wrapped
/// so that neither `Debug` nor logs can print them.
#[derive(Clone)]
pub struct Credentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) subscription_key: SecretString,
    pub(crate) merchant_serial_number: MerchantSerialNumber,
}

impl Credentials {
    /// Credentials of one sales unit.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        subscription_key: impl Into<String>,
        merchant_serial_number: MerchantSerialNumber,
    ) -> Self {
        Credentials {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            subscription_key: SecretString::from(subscription_key.into()),
            merchant_serial_number,
        }
    }

    /// Partner keys: a client id, client secret and subscription key that
    /// act for every sales unit linked to the partner, with no
    /// Merchant-Serial-Number of their own. Build a
    /// [`crate::PartnerClient`] from them with
    /// [`crate::ClientBuilder::build_partner`], then one
    /// [`crate::Client`] per merchant with
    /// [`crate::PartnerClient::merchant`].
    pub fn partner(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        subscription_key: impl Into<String>,
    ) -> PartnerCredentials {
        PartnerCredentials {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            subscription_key: SecretString::from(subscription_key.into()),
        }
    }

    /// The client id (not a secret).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The Merchant-Serial-Number.
    pub fn merchant_serial_number(&self) -> &MerchantSerialNumber {
        &self.merchant_serial_number
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("subscription_key", &"[REDACTED]")
            .field(
                "merchant_serial_number",
                &self.merchant_serial_number.as_str(),
            )
            .finish()
    }
}

/// Partner keys, made by [`Credentials::partner`]: no
/// Merchant-Serial-Number; the merchant is chosen per [`crate::Client`]
/// ([`crate::PartnerClient::merchant`]). Secrets are wrapped so that
/// neither `Debug` nor logs can print them.
#[derive(Clone)]
pub struct PartnerCredentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
    pub(crate) subscription_key: SecretString,
}

impl PartnerCredentials {
    /// The partner's client id (not a secret).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

impl fmt::Debug for PartnerCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("subscription_key", &"[REDACTED]")
            .finish()
    }
}

/// Longest `Vipps-System-*` value the spec allows.
pub const SYSTEM_HEADER_MAX_LEN: usize = 100;
/// Length the knowledge base recommends staying within.
pub const SYSTEM_HEADER_RECOMMENDED_LEN: usize = 30;

/// The `Vipps-System-*` headers that identify the integration to Vipps
/// support (mandatory for partners and platforms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemInfo {
    /// `Vipps-System-Name`: the shop system, one lowercase word (`woocommerce`).
    pub name: String,
    /// `Vipps-System-Version`: its version.
    pub version: String,
    /// `Vipps-System-Plugin-Name`: the plugin or integration.
    pub plugin_name: String,
    /// `Vipps-System-Plugin-Version`: its version.
    pub plugin_version: String,
}

impl Default for SystemInfo {
    /// Names this library: `vipps-om-rust` / `vipps-om`, at its version.
    fn default() -> Self {
        SystemInfo {
            name: "vipps-om-rust".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            plugin_name: "vipps-om".into(),
            plugin_version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

impl SystemInfo {
    /// The four `(header, value)` pairs.
    pub fn headers(&self) -> [(&'static str, &str); 4] {
        [
            ("Vipps-System-Name", &self.name),
            ("Vipps-System-Version", &self.version),
            ("Vipps-System-Plugin-Name", &self.plugin_name),
            ("Vipps-System-Plugin-Version", &self.plugin_version),
        ]
    }

    /// Checks every value: not empty, at most 100 printable ASCII
    /// characters. Values over 30 characters are allowed (the spec says
    /// 100) but logged as a warning, since the knowledge base says 30.
    pub fn check(&self) -> Result<(), Error> {
        let mut problems = Vec::new();
        for (header, value) in self.headers() {
            if value.is_empty() {
                problems.push(format!(
                    "{header} is empty; name your system, e.g. \"acme\" and \"1.0.0\""
                ));
            } else if value.len() > SYSTEM_HEADER_MAX_LEN {
                problems.push(format!(
                    "{header} is {} characters; use at most {SYSTEM_HEADER_MAX_LEN}",
                    value.len()
                ));
            } else if !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                problems.push(format!("{header} {value:?} has characters that cannot be sent in a header; use plain ASCII"));
            } else if value.len() > SYSTEM_HEADER_RECOMMENDED_LEN {
                tracing::warn!(
                    header,
                    length = value.len(),
                    "Vipps-System header longer than the recommended 30 characters"
                );
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Config(problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_parse() {
        assert_eq!(
            Environment::parse("production").unwrap(),
            Environment::Production
        );
        assert_eq!(
            Environment::parse("https://apitest.vipps.no/").unwrap(),
            Environment::Test
        );
        assert_eq!(
            Environment::parse("http://127.0.0.1:8080/")
                .unwrap()
                .base_url(),
            "http://127.0.0.1:8080"
        );
        assert!(Environment::parse("ftp://x").is_err());
        assert!(Environment::parse("api.vipps.no").is_err());
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let c = Credentials::new(
            "id",
            "top-secret",
            "sub-key-secret",
            MerchantSerialNumber::new("123456").unwrap(),
        );
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("top-secret") && !dbg.contains("sub-key-secret"),
            "{dbg}"
        );
        assert!(dbg.contains("123456"));
        let p = Credentials::partner("partner-id", "top-secret", "sub-key-secret");
        let dbg = format!("{p:?}");
        assert!(
            !dbg.contains("top-secret") && !dbg.contains("sub-key-secret"),
            "{dbg}"
        );
        assert!(dbg.contains("partner-id"));
    }

    #[test]
    fn system_headers_are_checked() {
        assert!(SystemInfo::default().check().is_ok());
        let bad = SystemInfo {
            name: String::new(),
            version: "x".repeat(101),
            plugin_name: "ø".into(),
            ..SystemInfo::default()
        };
        let msg = bad.check().unwrap_err().to_string();
        assert!(msg.contains("Vipps-System-Name is empty"), "{msg}");
        assert!(msg.contains("Vipps-System-Version is 101"), "{msg}");
        assert!(msg.contains("Vipps-System-Plugin-Name"), "{msg}");
    }
}
