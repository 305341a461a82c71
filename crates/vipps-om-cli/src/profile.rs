//! Where the CLI's connection settings come from: flags, then `VIPPS_*`
//! environment variables, then a named profile in the config file
//! (`$XDG_CONFIG_HOME/vipps-om/config.toml`, or `VIPPS_OM_CONFIG`), in that
//! order of precedence.
//!
//! ```toml
//! default_profile = "shop-a"
//!
//! [profiles.shop-a]
//! client_id = "..."
//! client_secret = "..."
//! subscription_key = "..."
//! merchant_serial_number = "123456"
//! base_url = "production"          # or "test", or a URL
//! system_name = "acme"             # Vipps-System-Name, etc.
//! sample_category_url = "https://shop.example/orders/1001"   # checked by `doctor`
//!
//! [profiles.platform]
//! kind = "partner"                 # partner keys: every command needs --msn
//! client_id = "..."                # the partner's keys
//! client_secret = "..."
//! subscription_key = "..."
//! system_name = "acme"             # mandatory for partners
//!
//! [profiles.shops]
//! keyring = "/etc/vipps-om/keyring.toml"   # merchants' own keys; --msn picks one
//! ```
//!
//! Three kinds of keys: a sales unit's own (the default), partner keys
//! (`kind = "partner"`: the merchant is chosen per command with `--msn`,
//! never stored in the profile), and a keyring of merchants' own keys
//! (`--keyring FILE` or `keyring = "FILE"`; `--msn` picks the merchant).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use vipps_om::client::env_vars;
use vipps_om::{
    Client, ClientBuilder, Credentials, CredentialsProvider, Environment, Keyring,
    MerchantSerialNumber, PartnerClient, PartnerCredentials, SystemInfo,
};

use crate::failure::Failure;

/// One merchant's settings in the config file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    /// `merchant` (the default: a sales unit's own keys) or `partner`.
    kind: Option<String>,
    /// A keyring of merchants' own keys (`--keyring` wins).
    keyring: Option<PathBuf>,
    client_id: Option<String>,
    client_secret: Option<String>,
    subscription_key: Option<String>,
    merchant_serial_number: Option<String>,
    base_url: Option<String>,
    system_name: Option<String>,
    system_version: Option<String>,
    system_plugin_name: Option<String>,
    system_plugin_version: Option<String>,
    /// A link like those the shop gives its categories; `doctor` opens it
    /// as the customer's phone would (`category check`).
    sample_category_url: Option<String>,
}

impl Profile {
    fn get(&self, var: &str) -> Option<&String> {
        match var {
            env_vars::CLIENT_ID => self.client_id.as_ref(),
            env_vars::CLIENT_SECRET => self.client_secret.as_ref(),
            env_vars::SUBSCRIPTION_KEY => self.subscription_key.as_ref(),
            env_vars::MERCHANT_SERIAL_NUMBER => self.merchant_serial_number.as_ref(),
            env_vars::BASE_URL => self.base_url.as_ref(),
            env_vars::SYSTEM_NAME => self.system_name.as_ref(),
            env_vars::SYSTEM_VERSION => self.system_version.as_ref(),
            env_vars::SYSTEM_PLUGIN_NAME => self.system_plugin_name.as_ref(),
            env_vars::SYSTEM_PLUGIN_VERSION => self.system_plugin_version.as_ref(),
            _ => None,
        }
    }
}

/// The config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// The config file's path: `VIPPS_OM_CONFIG`, else the user's config dir.
pub(crate) fn config_path() -> Option<PathBuf> {
    std::env::var_os("VIPPS_OM_CONFIG")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("vipps-om").join("config.toml")))
}

/// Reads the config file; `Ok(None)` when there is none. Warns (on stderr)
/// when others can read it, since it holds secrets.
pub(crate) fn load(path: &Path) -> Result<Option<ConfigFile>, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Failure::usage(format!(
                "cannot read the config file {}: {e}",
                path.display()
            )));
        }
    };
    warn_if_readable_by_others(path);
    toml::from_str(&text).map(Some).map_err(|e| {
        let at = e
            .span()
            .map(|span| {
                let (line, column) = line_and_column(&text, span.start);
                format!(" at line {line}, column {column}")
            })
            .unwrap_or_default();
        Failure {
            kind: "config",
            ..Failure::usage(format!(
                "the config file {} is not valid{at}: {}",
                path.display(),
                e.message().trim_end()
            ))
        }
    })
}

/// The 1-based line and column (in characters) of byte `offset` of
/// `text`; an offset past the end or inside a character counts up to
/// the last whole character before it.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end = end.saturating_sub(1);
    }
    let before = &text[..end];
    let line = before.matches('\n').count().saturating_add(1);
    let line_start = before.rfind('\n').map_or(0, |i| i.saturating_add(1));
    let column = before[line_start..].chars().count().saturating_add(1);
    (line, column)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        eprintln!(
            "warning: {} holds API secrets and can be read by other users; run: chmod 600 {}",
            path.display(),
            path.display()
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// The environment variable that wins over a profile's
/// `sample_category_url`.
pub(crate) const SAMPLE_CATEGORY_URL_VAR: &str = "VIPPS_OM_SAMPLE_CATEGORY_URL";

/// The sample category link for `doctor`: [`SAMPLE_CATEGORY_URL_VAR`], else
/// the profile's `sample_category_url`; `None` when neither is set.
pub(crate) fn sample_category_url(
    profile_name: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, Failure> {
    if let Some(url) = env(SAMPLE_CATEGORY_URL_VAR).filter(|v| !v.trim().is_empty()) {
        return Ok(Some(url));
    }
    let profile = match config_path() {
        Some(path) => select_profile(load(&path)?, profile_name, &path)?,
        None => Profile::default(),
    };
    Ok(profile.sample_category_url.filter(|v| !v.trim().is_empty()))
}

/// Values given as flags, by the name of the environment variable they
/// override.
pub(crate) type Flags = BTreeMap<&'static str, String>;

/// What the connection settings describe: whose keys, and the settings
/// every client made from them shares.
pub(crate) enum Setup {
    /// A sales unit's own keys (and its MSN).
    Merchant(ClientBuilder),
    /// Partner keys; the merchant, when one was named.
    Partner {
        builder: ClientBuilder,
        credentials: PartnerCredentials,
        msn: Option<MerchantSerialNumber>,
    },
    /// A keyring file of merchants' own keys; the merchant, when named.
    Keyring {
        builder: ClientBuilder,
        path: PathBuf,
        msn: Option<MerchantSerialNumber>,
    },
}

impl Setup {
    /// The settings (environment, `Vipps-System-*`) every client shares.
    pub(crate) fn builder(&self) -> &ClientBuilder {
        match self {
            Setup::Merchant(b) => b,
            Setup::Partner { builder, .. } | Setup::Keyring { builder, .. } => builder,
        }
    }

    /// The client of the merchant named (with partner keys and keyrings
    /// `--msn` is required).
    pub(crate) fn client(self) -> Result<Client, Failure> {
        match self {
            Setup::Merchant(builder) => builder.build().map_err(Failure::from),
            Setup::Partner {
                builder,
                credentials,
                msn,
            } => {
                let msn = msn.ok_or_else(|| {
                    Failure::usage(
                        "these are partner keys (kind = \"partner\"), which act for many merchants: name the merchant with --msn MSN (or VIPPS_MERCHANT_SERIAL_NUMBER)",
                    )
                })?;
                Ok(partner_client(builder, credentials)?.merchant(&msn))
            }
            Setup::Keyring { builder, path, msn } => {
                let msn = msn.ok_or_else(|| {
                    Failure::usage(format!(
                        "the keyring {} holds keys of many merchants: name the merchant with --msn MSN (or VIPPS_MERCHANT_SERIAL_NUMBER)",
                        path.display()
                    ))
                })?;
                let keyring = load_keyring(&builder, &path)?;
                keyring_client(&keyring, &msn)
            }
        }
    }
}

/// Whose jobs `outbox run` delivers, and with which keys.
pub(crate) struct Delivering {
    /// A client per merchant.
    pub(crate) provider: std::sync::Arc<dyn CredentialsProvider>,
    /// The one merchant, when only one is delivered for.
    pub(crate) msn: Option<MerchantSerialNumber>,
    /// Who, in words: "merchant 123456", "every merchant these partner
    /// keys are linked to", "the 3 merchants of keyring FILE".
    pub(crate) who: String,
}

impl Setup {
    /// The merchants `outbox run` delivers for: the one `--msn` names, or
    /// without it every merchant the keys may act for (partner keys: any
    /// linked merchant; a keyring: each of its merchants).
    pub(crate) fn delivering(self) -> Result<Delivering, Failure> {
        use std::sync::Arc;
        let one = |client: Client| {
            let msn = client.merchant_serial_number().clone();
            Delivering {
                who: format!("merchant {msn}"),
                msn: Some(msn),
                provider: Arc::new(client),
            }
        };
        match self {
            Setup::Merchant(_)
            | Setup::Partner { msn: Some(_), .. }
            | Setup::Keyring { msn: Some(_), .. } => Ok(one(self.client()?)),
            Setup::Partner {
                builder,
                credentials,
                msn: None,
            } => Ok(Delivering {
                provider: Arc::new(partner_client(builder, credentials)?),
                msn: None,
                who: "every merchant these partner keys are linked to".to_owned(),
            }),
            Setup::Keyring {
                builder,
                path,
                msn: None,
            } => {
                let keyring = load_keyring(&builder, &path)?;
                Ok(Delivering {
                    who: format!(
                        "the {} merchant(s) of the keyring {}",
                        keyring.len(),
                        path.display()
                    ),
                    provider: Arc::new(keyring),
                    msn: None,
                })
            }
        }
    }
}

/// The partner client of these settings.
pub(crate) fn partner_client(
    builder: ClientBuilder,
    credentials: PartnerCredentials,
) -> Result<PartnerClient, Failure> {
    builder.build_partner(credentials).map_err(Failure::from)
}

/// The keyring at `path`, with `builder`'s settings.
pub(crate) fn load_keyring(builder: &ClientBuilder, path: &Path) -> Result<Keyring, Failure> {
    Keyring::load(path, builder).map_err(|e| Failure {
        kind: "config",
        ..Failure::from(e)
    })
}

/// The most MSNs a "not in the keyring" message lists.
const SHOWN_KEYRING_MERCHANTS: usize = 10;

/// The client of `msn` in `keyring`, or a usage error listing some of
/// its merchants.
pub(crate) fn keyring_client(
    keyring: &Keyring,
    msn: &MerchantSerialNumber,
) -> Result<Client, Failure> {
    keyring.client(msn).ok_or_else(|| {
        let merchants = keyring.merchants();
        let mut shown: Vec<String> = merchants
            .iter()
            .take(SHOWN_KEYRING_MERCHANTS)
            .map(ToString::to_string)
            .collect();
        if merchants.len() > SHOWN_KEYRING_MERCHANTS {
            shown.push(format!(
                "and {} more",
                merchants.len().saturating_sub(SHOWN_KEYRING_MERCHANTS)
            ));
        }
        Failure::usage(format!(
            "the keyring {} has no keys for merchant {msn}; its merchants: {}",
            keyring.path().display(),
            shown.join(", ")
        ))
    })
}

/// Reads flags, environment and profile into a [`Setup`].
pub(crate) fn setup(
    flags: &Flags,
    keyring_flag: Option<&Path>,
    profile_name: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Setup, Failure> {
    let profile = match config_path() {
        Some(path) => select_profile(load(&path)?, profile_name, &path)?,
        None if profile_name.is_some() => {
            return Err(Failure::usage(
                "--profile was given but no config directory is known; set VIPPS_OM_CONFIG",
            ));
        }
        None => Profile::default(),
    };
    let partner = match profile.kind.as_deref().map(str::trim) {
        None | Some("merchant") => false,
        Some("partner") => true,
        Some(other) => {
            return Err(Failure::usage(format!(
                "kind = {other:?} in the profile is not known; use \"merchant\" (a sales unit's own keys, the default) or \"partner\" (partner keys, with --msn per command)"
            )));
        }
    };
    let keyring = keyring_flag
        .map(Path::to_owned)
        .or_else(|| profile.keyring.clone());
    if !partner && keyring.is_none() {
        return client_builder_from(flags, &profile, env);
    }
    let flag_or_env = |var: &str| {
        flags
            .get(var)
            .cloned()
            .or_else(|| env(var).filter(|v| !v.trim().is_empty()))
    };
    let lookup = |var: &str| flag_or_env(var).or_else(|| profile.get(var).cloned());
    let builder = settings(&lookup)?;
    let msn_text = if partner {
        if profile.merchant_serial_number.is_some() {
            return Err(Failure::usage(
                "a partner profile (kind = \"partner\") names no merchant: remove merchant_serial_number from it and give --msn MSN per command",
            ));
        }
        flag_or_env(env_vars::MERCHANT_SERIAL_NUMBER)
    } else {
        lookup(env_vars::MERCHANT_SERIAL_NUMBER)
    };
    let msn = msn_text
        .map(|m| MerchantSerialNumber::new(m.trim()))
        .transpose()
        .map_err(|e| Failure::usage(format!("--msn: {e}")))?;
    if let Some(path) = keyring {
        if partner {
            return Err(Failure::usage(
                "a keyring holds merchants' own keys and cannot be used with partner keys (kind = \"partner\"); use one or the other",
            ));
        }
        return Ok(Setup::Keyring { builder, path, msn });
    }
    use env_vars::*;
    let missing: Vec<&str> = [CLIENT_ID, CLIENT_SECRET, SUBSCRIPTION_KEY]
        .into_iter()
        .filter(|var| lookup(var).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(Failure {
            kind: "config",
            ..Failure::usage(format!(
                "{} not set for the partner keys; copy them from the partner's keys (client_id, client_secret, subscription_key in the profile)",
                missing.join(", ")
            ))
        });
    }
    let get = |var: &str| lookup(var).unwrap_or_default();
    Ok(Setup::Partner {
        builder,
        credentials: Credentials::partner(
            get(CLIENT_ID),
            get(CLIENT_SECRET),
            get(SUBSCRIPTION_KEY),
        ),
        msn,
    })
}

/// The settings every client shares (environment and `Vipps-System-*`),
/// without credentials.
fn settings(lookup: &dyn Fn(&str) -> Option<String>) -> Result<ClientBuilder, Failure> {
    let mut builder = ClientBuilder::default();
    if let Some(url) = lookup(env_vars::BASE_URL) {
        builder = builder.environment(Environment::parse(&url).map_err(Failure::from)?);
    }
    let mut system = SystemInfo::default();
    for (var, slot) in [
        (env_vars::SYSTEM_NAME, &mut system.name),
        (env_vars::SYSTEM_VERSION, &mut system.version),
        (env_vars::SYSTEM_PLUGIN_NAME, &mut system.plugin_name),
        (env_vars::SYSTEM_PLUGIN_VERSION, &mut system.plugin_version),
    ] {
        if let Some(value) = lookup(var) {
            *slot = value;
        }
    }
    Ok(builder.system_info(system))
}

/// Builds the client configuration from flags, environment and profile
/// (a sales unit's own keys).
fn client_builder_from(
    flags: &Flags,
    profile: &Profile,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Setup, Failure> {
    let lookup = |var: &str| {
        flags
            .get(var)
            .cloned()
            .or_else(|| env(var).filter(|v| !v.trim().is_empty()))
            .or_else(|| profile.get(var).cloned())
    };
    ClientBuilder::from_lookup(lookup)
        .map(Setup::Merchant)
        .map_err(Failure::from)
}

fn select_profile(
    file: Option<ConfigFile>,
    wanted: Option<&str>,
    path: &Path,
) -> Result<Profile, Failure> {
    let Some(file) = file else {
        return match wanted {
            Some(name) => Err(Failure::usage(format!(
                "profile {name:?} not found: there is no config file at {}",
                path.display()
            ))),
            None => Ok(Profile::default()),
        };
    };
    let Some(name) = wanted.map(str::to_owned).or(file.default_profile.clone()) else {
        return Ok(Profile::default());
    };
    file.profiles.get(&name).cloned().ok_or_else(|| {
        let known: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
        Failure::usage(format!(
            "profile {name:?} is not in {}; known profiles: {}",
            path.display(),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_lines_and_characters_from_one() {
        let text = "a = 1\nbø = x\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 6), (2, 1));
        // "bø = " is 6 bytes, 5 characters: x is column 6.
        assert_eq!(line_and_column(text, 12), (2, 6));
        // Inside the two bytes of ø, or past the end: no panic.
        assert_eq!(line_and_column(text, 8), (2, 2));
        assert_eq!(line_and_column(text, 999), (3, 1));
    }
}
