//! Which merchants a worker delivers for, and the [`Client`] it delivers
//! each one's jobs with: [`MerchantClients`].
//!
//! A worker made with [`crate::Worker::new`] delivers one merchant's jobs
//! (its client's Merchant-Serial-Number). A worker made with
//! [`crate::Worker::for_merchants`] delivers the jobs of every merchant of
//! its source: a [`ClientSet`] (one [`Client`] per merchant, e.g. from a
//! platform's per-merchant keys), or any other implementation of the trait
//! (partner keys, where one set of credentials acts for many MSNs, or a
//! keyring file).
//!
//! The scope decides what a worker claims: [`MerchantScope::Only`] claims
//! only the listed MSNs' jobs; [`MerchantScope::Any`] claims any MSN's
//! job, and a job whose MSN the source has no client for is given back at
//! once, its attempt not counted, and that MSN is left alone for a minute
//! ([`NO_CLIENT_RECHECK`]): such jobs wait for a worker that can deliver
//! them, they are never failed for it.

use std::collections::HashMap;
use std::time::Duration;

use vipps_om::Client;

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

/// Where a worker gets the [`Client`] to deliver a merchant's jobs with.
///
/// Implement it for partner keys (one client per MSN from one set of
/// credentials, sharing one token) or a keyring (per-merchant keys).
/// `client` is called once per claimed job, so it should be cheap (a
/// clone of a cached client, not a new connection pool).
pub trait MerchantClients: Send + Sync + 'static {
    /// The client that delivers `msn`'s jobs, or `None` when this source
    /// cannot act for that merchant (its jobs are left for another
    /// worker).
    fn client(&self, msn: &str) -> Option<Client>;

    /// Which merchants' jobs to claim.
    fn scope(&self) -> MerchantScope;
}

/// One merchant: the client's own MSN.
impl MerchantClients for Client {
    fn client(&self, msn: &str) -> Option<Client> {
        (self.merchant_serial_number().as_str() == msn).then(|| self.clone())
    }

    fn scope(&self) -> MerchantScope {
        MerchantScope::Only(vec![self.merchant_serial_number().as_str().to_owned()])
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

impl MerchantClients for ClientSet {
    fn client(&self, msn: &str) -> Option<Client> {
        self.by_msn.get(msn).cloned()
    }

    fn scope(&self) -> MerchantScope {
        MerchantScope::Only(self.order.clone())
    }
}
