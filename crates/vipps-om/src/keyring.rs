//! Many merchants' own keys: the [`CredentialsProvider`] trait (what
//! gives a [`Client`] per Merchant-Serial-Number) and [`Keyring`], its
//! TOML file implementation for platforms that hold each merchant's keys.
//!
//! ```toml
//! [[merchant]]
//! msn = "123456"                                   # a number works too
//! client_id = "shop-a-client-id"                   # not a secret
//! client_secret_env = "SHOP_A_CLIENT_SECRET"       # or client_secret_file = "secrets/shop-a.secret"
//! subscription_key_file = "secrets/shop-a.key"     # or subscription_key_env = "SHOP_A_SUBSCRIPTION_KEY"
//! ```
//!
//! The file itself holds no secrets: each secret comes from an
//! environment variable or from a file (a relative path is read from the
//! keyring's folder) that only its owner may read (on Unix, no read,
//! write or execute bit for group or others: `chmod 600`). Everything is
//! read and checked when the keyring is loaded; a mistake is refused with
//! the file, the line and the field, and never with a secret's value.
//!
//! Every merchant gets its own [`Client`] (its own token, fetched by one
//! request however many calls wait for it); all of them share one
//! connection pool. Sales-unit keys belong to one sales unit, so a
//! `client_id` used by two entries is refused: with keys that act for
//! many merchants, use partner keys ([`crate::PartnerClient`]).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use crate::client::{Client, ClientBuilder, PartnerClient};
use crate::config::Credentials;
use crate::error::Error;
use crate::ids::MerchantSerialNumber;

/// The largest keyring file read: 16 MiB (about 80,000 entries of the
/// usual size). A larger file is refused naming the limit.
pub const MAX_KEYRING_BYTES: u64 = 16 * 1024 * 1024;

/// The most `[[merchant]]` entries one keyring holds: 100,000.
pub const MAX_KEYRING_MERCHANTS: usize = 100_000;

/// The largest secret file read: 4 KiB (a client secret or subscription
/// key is well under 100 bytes). A larger file is refused naming the limit.
pub const MAX_SECRET_FILE_BYTES: u64 = 4096;

/// What gives the [`Client`] of a merchant: partner keys
/// ([`PartnerClient`]), a keyring of merchants' own keys ([`Keyring`]), or
/// one merchant's [`Client`].
pub trait CredentialsProvider: Send + Sync {
    /// The client acting for `msn`, or `None` when this provider holds no
    /// keys for it.
    fn client(&self, msn: &MerchantSerialNumber) -> Option<Client>;

    /// The merchants this provider holds keys for, in MSN order; `None`
    /// when it may act for any merchant (partner keys: which sales units
    /// are linked is known to Vipps MobilePay only).
    fn merchants(&self) -> Option<Vec<MerchantSerialNumber>>;
}

impl CredentialsProvider for PartnerClient {
    fn client(&self, msn: &MerchantSerialNumber) -> Option<Client> {
        Some(self.merchant(msn))
    }

    fn merchants(&self) -> Option<Vec<MerchantSerialNumber>> {
        None
    }
}

impl CredentialsProvider for Client {
    fn client(&self, msn: &MerchantSerialNumber) -> Option<Client> {
        (self.merchant_serial_number() == msn).then(|| self.clone())
    }

    fn merchants(&self) -> Option<Vec<MerchantSerialNumber>> {
        Some(vec![self.merchant_serial_number().clone()])
    }
}

/// Merchants' own keys, loaded from a keyring file (see the [module
/// documentation](self)). `Debug` shows the file and the MSNs, never a
/// secret.
#[derive(Clone)]
pub struct Keyring {
    path: PathBuf,
    clients: BTreeMap<String, Client>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("path", &self.path)
            .field("merchants", &self.clients.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringFile {
    #[serde(default)]
    merchant: Vec<toml::Spanned<Entry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    msn: toml::Spanned<MsnValue>,
    client_id: toml::Spanned<String>,
    client_secret_env: Option<toml::Spanned<String>>,
    client_secret_file: Option<toml::Spanned<String>>,
    subscription_key_env: Option<toml::Spanned<String>>,
    subscription_key_file: Option<toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum MsnValue {
    Number(u64),
    Text(String),
}

impl Keyring {
    /// Reads the keyring at `path`, taking environment variables from the
    /// process. `builder` gives every merchant's client its settings
    /// (environment, `Vipps-System-*` headers, timeouts, retries); its own
    /// credentials, if any, are not used.
    pub fn load(path: impl AsRef<Path>, builder: &ClientBuilder) -> Result<Keyring, Error> {
        Self::load_with(path, builder, |name| std::env::var(name).ok())
    }

    /// [`Keyring::load`], reading environment variables through `env`.
    pub fn load_with(
        path: impl AsRef<Path>,
        builder: &ClientBuilder,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Keyring, Error> {
        let path = path.as_ref();
        let shown = path.display();
        let file = std::fs::File::open(path)
            .map_err(|e| Error::Config(format!("cannot read the keyring {shown}: {e}")))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size > MAX_KEYRING_BYTES {
            return Err(Error::Config(format!(
                "the keyring {shown} is {size} bytes, more than the {} MiB a keyring may have; split the merchants over several keyrings (one per worker)",
                MAX_KEYRING_BYTES / (1024 * 1024)
            )));
        }
        let mut text = String::new();
        file.take(MAX_KEYRING_BYTES.saturating_add(1))
            .read_to_string(&mut text)
            .map_err(|e| {
                Error::Config(format!(
                    "cannot read the keyring {shown}: {e} (it must be UTF-8 text)"
                ))
            })?;
        if text.len() as u64 > MAX_KEYRING_BYTES {
            return Err(Error::Config(format!(
                "the keyring {shown} is larger than the {} MiB a keyring may have; split the merchants over several keyrings",
                MAX_KEYRING_BYTES / (1024 * 1024)
            )));
        }
        let folder = path.parent().unwrap_or(Path::new("."));
        let mut keyring = Self::parse(&text, &shown.to_string(), folder, builder, &env)?;
        keyring.path = path.to_owned();
        Ok(keyring)
    }

    fn parse(
        text: &str,
        origin: &str,
        folder: &Path,
        builder: &ClientBuilder,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Keyring, Error> {
        let fail = |line: usize, message: String| {
            Error::Config(format!("the keyring {origin}, line {line}: {message}"))
        };
        let file: KeyringFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(text, s.start));
            fail(line, e.message().trim_end().to_owned())
        })?;
        if file.merchant.is_empty() {
            return Err(Error::Config(format!(
                "the keyring {origin} has no [[merchant]] entries; add one per merchant with msn, client_id, client_secret_env or client_secret_file, and subscription_key_env or subscription_key_file"
            )));
        }
        if file.merchant.len() > MAX_KEYRING_MERCHANTS {
            return Err(Error::Config(format!(
                "the keyring {origin} has {} merchants, more than the {MAX_KEYRING_MERCHANTS} one keyring may hold; split them over several keyrings (one per worker)",
                file.merchant.len()
            )));
        }
        let http = builder.http()?;
        let mut clients: BTreeMap<String, Client> = BTreeMap::new();
        // MSN → line, client_id → (line, MSN): for the duplicate messages.
        let mut msn_lines: BTreeMap<String, usize> = BTreeMap::new();
        let mut client_ids: BTreeMap<String, (usize, String)> = BTreeMap::new();
        for entry in &file.merchant {
            let line = line_of(text, entry.span().start);
            let entry = entry.get_ref();
            let msn_text = match entry.msn.get_ref() {
                MsnValue::Number(n) => n.to_string(),
                MsnValue::Text(s) => s.trim().to_owned(),
            };
            let msn_line = line_of(text, entry.msn.span().start);
            let msn = MerchantSerialNumber::new(&msn_text)
                .map_err(|e| fail(msn_line, format!("msn: {e}")))?;
            if let Some(first) = msn_lines.insert(msn.to_string(), line) {
                return Err(fail(
                    line,
                    format!(
                        "msn {msn} is listed twice (first at line {first}); keep one entry per merchant"
                    ),
                ));
            }
            let client_id = entry.client_id.get_ref().trim();
            if client_id.is_empty() {
                return Err(fail(
                    line_of(text, entry.client_id.span().start),
                    "client_id is empty; copy the sales unit's client id from portal.vipps.no"
                        .to_owned(),
                ));
            }
            if let Some((first, other)) =
                client_ids.insert(client_id.to_owned(), (line, msn.to_string()))
            {
                return Err(fail(
                    line,
                    format!(
                        "client_id {client_id:?} of merchant {msn} is also the client id of merchant {other} (line {first}); a sales unit's keys act for that sales unit only (keys for many merchants are partner keys)"
                    ),
                ));
            }
            let secret = Source::pick(
                text,
                origin,
                msn.as_str(),
                "client_secret",
                &entry.client_secret_env,
                &entry.client_secret_file,
                line,
            )?
            .read(text, origin, folder, env)?;
            let key = Source::pick(
                text,
                origin,
                msn.as_str(),
                "subscription_key",
                &entry.subscription_key_env,
                &entry.subscription_key_file,
                line,
            )?
            .read(text, origin, folder, env)?;
            let credentials = Credentials {
                client_id: client_id.to_owned(),
                client_secret: secret,
                subscription_key: key,
                merchant_serial_number: msn.clone(),
            };
            let client = builder
                .build_with(&credentials, http.clone())
                .map_err(|e| fail(line, format!("merchant {msn}: {e}")))?;
            clients.insert(msn.to_string(), client);
        }
        Ok(Keyring {
            path: PathBuf::from(origin),
            clients,
        })
    }

    /// The client of merchant `msn`, or `None` when the keyring has no
    /// keys for it. Cheap: the client is made when the keyring is loaded;
    /// this clones a handle.
    pub fn client(&self, msn: &MerchantSerialNumber) -> Option<Client> {
        self.clients.get(msn.as_str()).cloned()
    }

    /// Every merchant of the keyring, in MSN order.
    pub fn merchants(&self) -> Vec<MerchantSerialNumber> {
        self.clients
            .values()
            .map(|c| c.merchant_serial_number().clone())
            .collect()
    }

    /// How many merchants the keyring holds.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether the keyring holds no merchant (never true for a loaded one).
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// The file it was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl CredentialsProvider for Keyring {
    fn client(&self, msn: &MerchantSerialNumber) -> Option<Client> {
        Keyring::client(self, msn)
    }

    fn merchants(&self) -> Option<Vec<MerchantSerialNumber>> {
        Some(Keyring::merchants(self))
    }
}

/// Where one secret of an entry comes from.
enum Source<'a> {
    Env {
        field: String,
        name: &'a toml::Spanned<String>,
        msn: &'a str,
    },
    File {
        field: String,
        path: &'a toml::Spanned<String>,
        msn: &'a str,
    },
}

impl<'a> Source<'a> {
    /// Exactly one of `{what}_env` and `{what}_file`.
    fn pick(
        text: &str,
        origin: &str,
        msn: &'a str,
        what: &str,
        env: &'a Option<toml::Spanned<String>>,
        file: &'a Option<toml::Spanned<String>>,
        line: usize,
    ) -> Result<Source<'a>, Error> {
        match (env, file) {
            (Some(name), None) => Ok(Source::Env {
                field: format!("{what}_env"),
                name,
                msn,
            }),
            (None, Some(path)) => Ok(Source::File {
                field: format!("{what}_file"),
                path,
                msn,
            }),
            (Some(name), Some(_)) => Err(Error::Config(format!(
                "the keyring {origin}, line {}: merchant {msn} has both {what}_env and {what}_file; keep one",
                line_of(text, name.span().start)
            ))),
            (None, None) => Err(Error::Config(format!(
                "the keyring {origin}, line {line}: merchant {msn} has no {what}; add {what}_env = \"VARIABLE\" (an environment variable holding it) or {what}_file = \"PATH\" (a file only you may read)"
            ))),
        }
    }

    fn read(
        self,
        text: &str,
        origin: &str,
        folder: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<SecretString, Error> {
        match self {
            Source::Env { field, name, msn } => {
                let line = line_of(text, name.span().start);
                let var = name.get_ref().trim();
                let value = env(var).map(|v| v.trim().to_owned()).unwrap_or_default();
                if value.is_empty() {
                    return Err(Error::Config(format!(
                        "the keyring {origin}, line {line}: {field} of merchant {msn} names the environment variable {var}, which is not set (or empty); set it before starting"
                    )));
                }
                Ok(SecretString::from(value))
            }
            Source::File { field, path, msn } => {
                let line = line_of(text, path.span().start);
                let given = Path::new(path.get_ref().trim());
                let full = if given.is_absolute() {
                    given.to_owned()
                } else {
                    folder.join(given)
                };
                read_secret_file(&full).map_err(|why| {
                    Error::Config(format!(
                        "the keyring {origin}, line {line}: {field} of merchant {msn}: {why}"
                    ))
                })
            }
        }
    }
}

/// A secret from a file only its owner may read: its text without the
/// surrounding whitespace (a trailing newline). The message on failure
/// names the file and what to do, never its content.
pub(crate) fn read_secret_file(path: &Path) -> Result<SecretString, String> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown} is not a file"));
    }
    check_owner_only(&meta, path)?;
    if meta.len() > MAX_SECRET_FILE_BYTES {
        return Err(format!(
            "{shown} is {} bytes, more than the {MAX_SECRET_FILE_BYTES} bytes a secret file may have; it should hold the secret alone",
            meta.len()
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SECRET_FILE_BYTES.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if bytes.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(format!(
            "{shown} is more than the {MAX_SECRET_FILE_BYTES} bytes a secret file may have; it should hold the secret alone"
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{shown} is not UTF-8 text; it should hold the secret alone"))?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(format!("{shown} is empty; write the secret into it"));
    }
    Ok(SecretString::from(secret.to_owned()))
}

#[cfg(unix)]
fn check_owner_only(meta: &std::fs::Metadata, path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        let shown = path.display();
        return Err(format!(
            "{shown} holds a secret but group or others have access to it (mode {mode:03o}); it must be readable only by its owner: run chmod 600 {shown}"
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner_only(_meta: &std::fs::Metadata, _path: &Path) -> Result<(), String> {
    Ok(())
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map(|before| before.matches('\n').count().saturating_add(1))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(PathBuf);

    impl Dir {
        fn new(name: &str) -> Dir {
            let dir = std::env::temp_dir().join(format!(
                "vipps-om-keyring-{name}-{}-{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            Dir(dir)
        }

        fn write(&self, name: &str, text: &str, mode: u32) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, text).unwrap();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            }
            #[cfg(not(unix))]
            let _ = mode;
            path
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn env(name: &str) -> Option<String> {
        match name {
            "SHOP_A_SECRET" => Some("secret-a-value".into()),
            "SHOP_B_KEY" => Some("key-b-value\n".into()),
            "EMPTY" => Some("  ".into()),
            _ => None,
        }
    }

    fn builder() -> ClientBuilder {
        Client::builder().base_url("http://127.0.0.1:9")
    }

    const TWO: &str = r#"
[[merchant]]
msn = "111111"
client_id = "shop-a"
client_secret_env = "SHOP_A_SECRET"
subscription_key_file = "a.key"

[[merchant]]
msn = 222222
client_id = "shop-b"
client_secret_file = "b.secret"
subscription_key_env = "SHOP_B_KEY"
"#;

    fn load(dir: &Dir, text: &str) -> Result<Keyring, String> {
        let path = dir.write("keyring.toml", text, 0o644);
        Keyring::load_with(&path, &builder(), env).map_err(|e| e.to_string())
    }

    #[test]
    fn a_keyring_gives_a_client_per_merchant_without_showing_secrets() {
        let dir = Dir::new("ok");
        dir.write("a.key", "key-a-value\n", 0o600);
        dir.write("b.secret", "secret-b-value", 0o400);
        let keyring = load(&dir, TWO).unwrap();
        let msns: Vec<String> = keyring.merchants().iter().map(|m| m.to_string()).collect();
        assert_eq!(msns, ["111111", "222222"]);
        let b = MerchantSerialNumber::new("222222").unwrap();
        let client = keyring.client(&b).expect("merchant b");
        assert_eq!(client.merchant_serial_number(), &b);
        assert!(!client.uses_partner_keys());
        assert!(
            keyring
                .client(&MerchantSerialNumber::new("333333").unwrap())
                .is_none()
        );
        let provider: &dyn CredentialsProvider = &keyring;
        assert_eq!(provider.merchants().map(|m| m.len()), Some(2));
        let shown = format!("{keyring:?} {client:?}");
        for secret in [
            "secret-a-value",
            "key-a-value",
            "secret-b-value",
            "key-b-value",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("111111"), "{shown}");
    }

    #[test]
    fn a_missing_or_empty_variable_is_named() {
        let dir = Dir::new("env");
        dir.write("a.key", "key-a-value\n", 0o600);
        dir.write("b.secret", "secret-b-value", 0o600);
        let message = load(&dir, &TWO.replace("SHOP_A_SECRET", "NOT_SET")).unwrap_err();
        assert!(message.contains("line 5"), "{message}");
        assert!(message.contains("client_secret_env"), "{message}");
        assert!(message.contains("merchant 111111"), "{message}");
        assert!(message.contains("NOT_SET, which is not set"), "{message}");
        let message = load(&dir, &TWO.replace("SHOP_B_KEY", "EMPTY")).unwrap_err();
        assert!(
            message.contains("EMPTY, which is not set (or empty)"),
            "{message}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_file_others_may_read_is_refused() {
        let dir = Dir::new("mode");
        dir.write("a.key", "key-a-value\n", 0o640);
        dir.write("b.secret", "secret-b-value", 0o600);
        let message = load(&dir, TWO).unwrap_err();
        assert!(
            message.contains("subscription_key_file of merchant 111111"),
            "{message}"
        );
        assert!(message.contains("mode 640"), "{message}");
        assert!(message.contains("chmod 600"), "{message}");
        assert!(!message.contains("key-a-value"), "{message}");
        dir.write("a.key", "key-a-value\n", 0o604);
        assert!(load(&dir, TWO).unwrap_err().contains("mode 604"));
    }

    #[test]
    fn unknown_fields_duplicates_and_missing_secrets_are_refused() {
        let dir = Dir::new("bad");
        dir.write("a.key", "key-a-value\n", 0o600);
        dir.write("b.secret", "secret-b-value", 0o600);

        let message = load(
            &dir,
            &TWO.replace(
                "client_id = \"shop-b\"",
                "client_id = \"shop-b\"\nclient_secret = \"x\"",
            ),
        )
        .unwrap_err();
        assert!(
            message.contains("unknown field `client_secret`"),
            "{message}"
        );
        assert!(message.contains("line 11"), "{message}");

        let message = load(&dir, &TWO.replace("222222", "111111")).unwrap_err();
        assert!(
            message.contains("msn 111111 is listed twice (first at line 2)"),
            "{message}"
        );

        let message = load(&dir, &TWO.replace("shop-b", "shop-a")).unwrap_err();
        assert!(message.contains("client_id \"shop-a\""), "{message}");

        let message = load(
            &dir,
            &TWO.replace("subscription_key_env = \"SHOP_B_KEY\"", ""),
        )
        .unwrap_err();
        assert!(
            message.contains("merchant 222222 has no subscription_key"),
            "{message}"
        );

        let message = load(
            &dir,
            &TWO.replace(
                "client_secret_env = \"SHOP_A_SECRET\"",
                "client_secret_env = \"SHOP_A_SECRET\"\nclient_secret_file = \"a.key\"",
            ),
        )
        .unwrap_err();
        assert!(
            message.contains("both client_secret_env and client_secret_file"),
            "{message}"
        );

        let message = load(&dir, &TWO.replace("\"111111\"", "\"12ab\"")).unwrap_err();
        assert!(message.contains("line 3: msn"), "{message}");

        assert!(
            load(&dir, "")
                .unwrap_err()
                .contains("no [[merchant]] entries")
        );

        let message = load(&dir, &TWO.replace("b.secret", "missing.secret")).unwrap_err();
        assert!(message.contains("missing.secret"), "{message}");
    }

    #[test]
    fn oversized_and_empty_secret_files_are_refused() {
        let dir = Dir::new("size");
        dir.write("a.key", "", 0o600);
        dir.write("b.secret", "secret-b-value", 0o600);
        assert!(load(&dir, TWO).unwrap_err().contains("a.key is empty"));
        let big = "x".repeat(MAX_SECRET_FILE_BYTES as usize + 1);
        dir.write("a.key", &big, 0o600);
        let message = load(&dir, TWO).unwrap_err();
        assert!(message.contains("more than the 4096 bytes"), "{message}");
    }

    #[test]
    fn keyrings_beyond_their_limits_are_refused_naming_them() {
        let dir = Dir::new("limits");
        let path = dir.write("big.toml", "", 0o600);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(MAX_KEYRING_BYTES + 1)
            .unwrap();
        let message = Keyring::load_with(&path, &builder(), env)
            .unwrap_err()
            .to_string();
        assert!(message.contains("more than the 16 MiB"), "{message}");

        let entries: Vec<String> = (0..=MAX_KEYRING_MERCHANTS)
            .map(|i| format!("{{msn={},client_id=\"c{i}\"}}", i + 1))
            .collect();
        let text = format!("merchant = [{}]\n", entries.join(","));
        let message = load(&dir, &text).unwrap_err();
        assert!(
            message.contains("100001 merchants, more than the 100000"),
            "{message}"
        );
    }
}
