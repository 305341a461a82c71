//! Which merchants a worker delivers for, and the [`Client`] it delivers
//! each one's jobs with: a [`vipps_om::CredentialsProvider`].
//!
//! A worker made with [`crate::Worker::new`] delivers one merchant's jobs
//! (its client's Merchant-Serial-Number). A worker made with
//! [`crate::Worker::for_merchants`] delivers the jobs of every merchant of
//! its source: a [`ClientSet`] (one [`Client`] per merchant, e.g. from a
//! platform's per-merchant keys), or any other implementation of the trait
//! (partner keys, where one set of credentials acts for many MSNs, or a
//! keyring file).
//!
//! The source is the client library's [`CredentialsProvider`]: a
//! [`vipps_om::PartnerClient`] (partner keys, any merchant linked to them),
//! a [`vipps_om::Keyring`] (per-merchant keys from a file), a
//! [`ClientSet`], or one [`Client`].
//!
//! The scope decides what a worker claims: [`MerchantScope::Only`] claims
//! only the listed MSNs' jobs; [`MerchantScope::Any`] claims any MSN's
//! job, and a job whose MSN the source has no client for is given back at
//! once, its attempt not counted, and that MSN is left alone for a minute
//! ([`NO_CLIENT_RECHECK`]): such jobs wait for a worker that can deliver
//! them, they are never failed for it.

use std::collections::HashMap;
use std::time::Duration;

use std::sync::Arc;

use vipps_om::{Client, CredentialsProvider, MerchantSerialNumber};

/// How long a worker with [`MerchantScope::Any`] leaves the jobs of an MSN
/// its source had no client for before asking the source again (one
/// minute: a keyring reloaded meanwhile is picked up then).
pub const NO_CLIENT_RECHECK: Duration = Duration::from_secs(60);

/// Which merchants' jobs a worker claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MerchantScope {
    /// Any merchant's jobs that the source has a client for (partner keys
    /// that act for whatever sales units are linked to them).
    Any,
    /// Only these merchants' jobs (each is sent in every claim, so keep
    /// the list to the merchants this worker actually serves).
    Only(Vec<String>),
}

/// The clients a worker delivers with and the merchants it claims for,
/// taken once from a [`CredentialsProvider`] when the worker is made (a
/// keyring of 100,000 merchants is listed once, not at every claim).
#[derive(Clone)]
pub(crate) struct MerchantClients {
    provider: Arc<dyn CredentialsProvider>,
    scope: MerchantScope,
}

impl MerchantClients {
    pub(crate) fn new(provider: Arc<dyn CredentialsProvider>) -> MerchantClients {
        let scope = match provider.merchants() {
            None => MerchantScope::Any,
            Some(list) => MerchantScope::Only(list.iter().map(|m| m.as_str().to_owned()).collect()),
        };
        MerchantClients { provider, scope }
    }

    /// The client for a stored job's MSN (`None` for an MSN the provider
    /// cannot act for, or one that is not a valid MSN at all).
    pub(crate) fn client(&self, msn: &str) -> Option<Client> {
        let msn = MerchantSerialNumber::new(msn).ok()?;
        self.provider.client(&msn)
    }

    pub(crate) fn scope(&self) -> &MerchantScope {
        &self.scope
    }
}

/// One [`Client`] per merchant (each client's own MSN), for a platform
/// that holds every merchant's own keys; scope: exactly these merchants.
#[derive(Debug, Clone, Default)]
pub struct ClientSet {
    by_msn: HashMap<String, Client>,
    order: Vec<String>,
}

impl ClientSet {
    /// The set of `clients`; of two clients with the same MSN the first is
    /// kept.
    pub fn new(clients: impl IntoIterator<Item = Client>) -> ClientSet {
        let mut set = ClientSet::default();
        for client in clients {
            let msn = client.merchant_serial_number().as_str().to_owned();
            if !set.by_msn.contains_key(&msn) {
                set.order.push(msn.clone());
                set.by_msn.insert(msn, client);
            }
        }
        set
    }

    /// How many merchants it holds.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

impl From<Vec<Client>> for ClientSet {
    fn from(clients: Vec<Client>) -> Self {
        ClientSet::new(clients)
    }
}

impl CredentialsProvider for ClientSet {
    fn client(&self, msn: &MerchantSerialNumber) -> Option<Client> {
        self.by_msn.get(msn.as_str()).cloned()
    }

    fn merchants(&self) -> Option<Vec<MerchantSerialNumber>> {
        Some(
            self.order
                .iter()
                .filter_map(|msn| self.by_msn.get(msn))
                .map(|client| client.merchant_serial_number().clone())
                .collect(),
        )
    }
}
