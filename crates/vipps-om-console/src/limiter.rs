//! The sign-in limiter: counts failed sign-ins only, in memory, so that
//! guessing gets slow without letting a stranger lock a member of staff
//! out.
//!
//! - Per user name **and** client address: after
//!   [`LoginPolicy::max_failures`] failures in [`LoginPolicy::window`] that
//!   pair is refused for [`LoginPolicy::lockout`]. The same name from
//!   another address is not affected, so the owner still signs in.
//! - Per client address (all names): after
//!   [`LoginPolicy::max_per_address`] failures in the window the address is
//!   refused for the lockout. IPv6 addresses count per /64 network (one
//!   machine usually holds a whole /64).
//! - Per user name (all addresses): no lock-out, a slow-down. After
//!   [`LoginPolicy::slowdown_after`] failures in the window every attempt
//!   for that name waits [`LoginPolicy::slowdown_step`] more per further
//!   failure, at most [`LoginPolicy::max_slowdown`], before its password is
//!   checked — the right password still works, a little later.
//!
//! Successful sign-ins are never counted; one clears its own name+address
//! pair. Each of the three tables holds at most
//! [`LoginPolicy::max_entries`] entries: when full, entries older than the
//! window go first, then the oldest (so memory stays bounded under a
//! flood of made-up names or addresses: about 200 bytes an entry, ~6 MB
//! for the three tables at the default 10 000). A restart clears it all;
//! the limiter is a brake on guessing, argon2 and the passwords' length
//! are the wall.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Sign-in limits (see the [module](self) documentation).
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    /// Failures of one name from one address before that pair is refused.
    pub max_failures: u32,
    /// Window in which failures are counted.
    pub window: Duration,
    /// How long a refused pair or address stays refused.
    pub lockout: Duration,
    /// Failures from one address (any names) before it is refused.
    pub max_per_address: u32,
    /// Failures of one name (from any address) before its sign-ins slow
    /// down.
    pub slowdown_after: u32,
    /// Extra wait per failure beyond `slowdown_after`.
    pub slowdown_step: Duration,
    /// The longest wait the slow-down adds to one attempt.
    pub max_slowdown: Duration,
    /// Password checks running at once (argon2id with the recommended
    /// parameters takes 19 MiB each).
    pub max_concurrent_hashes: usize,
    /// Sign-ins that may wait for a free password check; beyond that, or
    /// after `hash_wait`, the answer is 503 with `Retry-After`.
    pub max_waiting_hashes: usize,
    /// How long a sign-in waits for a free password check.
    pub hash_wait: Duration,
    /// Entries per table (name+address, address, name).
    pub max_entries: usize,
}

/// Failures of one name from one address before the pair is refused.
pub const DEFAULT_MAX_FAILURES: u32 = 5;
/// Failures from one address, any names, before the address is refused.
pub const DEFAULT_MAX_PER_ADDRESS: u32 = 30;
/// Failures of one name, any address, before its sign-ins slow down.
pub const DEFAULT_SLOWDOWN_AFTER: u32 = 10;
/// Password checks at once: 4 × 19 MiB of argon2id memory.
pub const DEFAULT_MAX_CONCURRENT_HASHES: usize = 4;
/// Sign-ins waiting for a password check at once.
pub const DEFAULT_MAX_WAITING_HASHES: usize = 16;
/// Entries per limiter table.
pub const DEFAULT_MAX_ENTRIES: usize = 10_000;

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            max_failures: DEFAULT_MAX_FAILURES,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(15 * 60),
            max_per_address: DEFAULT_MAX_PER_ADDRESS,
            slowdown_after: DEFAULT_SLOWDOWN_AFTER,
            slowdown_step: Duration::from_millis(250),
            max_slowdown: Duration::from_secs(3),
            max_concurrent_hashes: DEFAULT_MAX_CONCURRENT_HASHES,
            max_waiting_hashes: DEFAULT_MAX_WAITING_HASHES,
            hash_wait: Duration::from_secs(2),
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Counter {
    failures: u32,
    since: Instant,
    locked_until: Option<Instant>,
}

impl Counter {
    fn new(now: Instant) -> Counter {
        Counter {
            failures: 0,
            since: now,
            locked_until: None,
        }
    }

    fn locked(&self, now: Instant) -> bool {
        self.locked_until.is_some_and(|u| u > now)
    }

    /// Still worth keeping: locked, or failures inside the window.
    fn live(&self, now: Instant, window: Duration) -> bool {
        self.locked(now) || now.saturating_duration_since(self.since) <= window
    }
}

/// A table of counters with a bounded number of entries.
#[derive(Debug)]
struct Table<K> {
    map: HashMap<K, Counter>,
}

impl<K: Eq + Hash + Clone> Table<K> {
    fn new() -> Table<K> {
        Table {
            map: HashMap::new(),
        }
    }

    fn get(&self, key: &K, now: Instant, window: Duration) -> Option<Counter> {
        self.map.get(key).copied().filter(|c| c.live(now, window))
    }

    /// Counts a failure; returns the counter after it.
    fn fail(&mut self, key: K, policy: &LoginPolicy, limit: u32, now: Instant) -> Counter {
        if !self.map.contains_key(&key) && self.map.len() >= policy.max_entries {
            self.map.retain(|_, c| c.live(now, policy.window));
            if self.map.len() >= policy.max_entries {
                // Still full of live entries: drop the oldest.
                if let Some(oldest) = self
                    .map
                    .iter()
                    .min_by_key(|(_, c)| c.since)
                    .map(|(k, _)| k.clone())
                {
                    self.map.remove(&oldest);
                }
            }
        }
        let counter = self.map.entry(key).or_insert_with(|| Counter::new(now));
        if !counter.live(now, policy.window) || counter.locked_until.is_some_and(|u| u <= now) {
            *counter = Counter::new(now);
        }
        counter.failures = counter.failures.saturating_add(1);
        if limit > 0 && counter.failures >= limit && counter.locked_until.is_none() {
            counter.locked_until = now.checked_add(policy.lockout);
        }
        *counter
    }
}

/// What the limiter says about a sign-in attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Go ahead and check the password, after waiting `delay` (the
    /// per-name slow-down; zero normally).
    Open {
        /// The slow-down to wait first.
        delay: Duration,
    },
    /// This name is refused from this address (too many failures here).
    Locked,
    /// This address is refused (too many failures, any names).
    TooMany,
}

/// What a failure changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failure {
    /// This failure made the name+address pair refused.
    pub pair_locked: bool,
    /// This failure made the address refused.
    pub address_locked: bool,
}

/// How many entries the limiter holds, per table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimiterSize {
    /// Name+address pairs.
    pub pairs: usize,
    /// Addresses.
    pub addresses: usize,
    /// Names.
    pub names: usize,
}

#[derive(Debug)]
struct Tables {
    pairs: Table<(String, String)>,
    addresses: Table<String>,
    names: Table<String>,
}

/// Counts failed sign-ins in memory (see the [module](self) documentation).
#[derive(Debug)]
pub struct LoginLimiter {
    policy: LoginPolicy,
    tables: Mutex<Tables>,
}

/// The key of a client address: the address itself, or the /64 network
/// of an IPv6 address.
fn address_key(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => address.to_owned(),
    }
}

fn name_key(name: &str) -> String {
    name.to_lowercase()
}

impl LoginLimiter {
    /// A limiter with `policy`.
    pub fn new(policy: LoginPolicy) -> LoginLimiter {
        LoginLimiter {
            policy,
            tables: Mutex::new(Tables {
                pairs: Table::new(),
                addresses: Table::new(),
                names: Table::new(),
            }),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &LoginPolicy {
        &self.policy
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Call before checking a password (counts nothing).
    pub fn check(&self, name: &str, address: &str) -> Gate {
        let now = Instant::now();
        let (name, address) = (name_key(name), address_key(address));
        let window = self.policy.window;
        let tables = self.tables();
        if tables
            .addresses
            .get(&address, now, window)
            .is_some_and(|c| c.locked(now))
        {
            return Gate::TooMany;
        }
        if tables
            .pairs
            .get(&(name.clone(), address), now, window)
            .is_some_and(|c| c.locked(now))
        {
            return Gate::Locked;
        }
        let failures = tables
            .names
            .get(&name, now, window)
            .map(|c| c.failures)
            .unwrap_or(0);
        let excess = failures.saturating_sub(self.policy.slowdown_after);
        let delay = if excess == 0 {
            Duration::ZERO
        } else {
            self.policy
                .slowdown_step
                .saturating_mul(excess)
                .min(self.policy.max_slowdown)
        };
        Gate::Open { delay }
    }

    /// Records a failed password for `name` from `address`.
    pub fn failed(&self, name: &str, address: &str) -> Failure {
        let now = Instant::now();
        let (name, address) = (name_key(name), address_key(address));
        let policy = self.policy;
        let mut tables = self.tables();
        let pair = tables.pairs.fail(
            (name.clone(), address.clone()),
            &policy,
            policy.max_failures,
            now,
        );
        let by_address = tables
            .addresses
            .fail(address, &policy, policy.max_per_address, now);
        // Names are never locked: a limit of 0 only counts.
        tables.names.fail(name, &policy, 0, now);
        Failure {
            pair_locked: pair.failures == policy.max_failures && pair.locked(now),
            address_locked: by_address.failures == policy.max_per_address && by_address.locked(now),
        }
    }

    /// Clears the name+address pair after a successful sign-in (the
    /// name's and the address's counts stay: others may still be
    /// guessing).
    pub fn succeeded(&self, name: &str, address: &str) {
        let key = (name_key(name), address_key(address));
        self.tables().pairs.map.remove(&key);
    }

    /// How many entries each table holds (each at most
    /// [`LoginPolicy::max_entries`]).
    pub fn size(&self) -> LimiterSize {
        let tables = self.tables();
        LimiterSize {
            pairs: tables.pairs.map.len(),
            addresses: tables.addresses.map.len(),
            names: tables.names.map.len(),
        }
    }
}

/// Bounds the password checks that run at once
/// ([`LoginPolicy::max_concurrent_hashes`]) and those that wait for one
/// ([`LoginPolicy::max_waiting_hashes`], each at most
/// [`LoginPolicy::hash_wait`]); nothing queues beyond that.
#[derive(Debug)]
pub struct HashGate {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    wait: Duration,
}

/// Undoes one count of waiting sign-ins when dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HashGate {
    /// A gate for `policy`.
    pub fn new(policy: &LoginPolicy) -> HashGate {
        HashGate {
            permits: Arc::new(Semaphore::new(policy.max_concurrent_hashes)),
            waiting: AtomicUsize::new(0),
            max_waiting: policy.max_waiting_hashes,
            wait: policy.hash_wait,
        }
    }

    /// A permit to check one password (hold it until the check is done),
    /// or `None` when too many run and wait already: answer 503.
    pub async fn enter(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Some(permit);
        }
        let before = self.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&self.waiting);
        if before >= self.max_waiting {
            return None;
        }
        tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(gate: Gate) -> bool {
        matches!(gate, Gate::Open { .. })
    }

    #[test]
    fn a_pair_is_refused_but_the_name_works_elsewhere() {
        let limiter = LoginLimiter::new(LoginPolicy {
            max_failures: 3,
            ..LoginPolicy::default()
        });
        for _ in 0..2 {
            assert!(open(limiter.check("Ann", "1.2.3.4")));
            assert!(!limiter.failed("Ann", "1.2.3.4").pair_locked);
        }
        assert!(limiter.failed("ann", "1.2.3.4").pair_locked);
        assert_eq!(limiter.check("ANN", "1.2.3.4"), Gate::Locked);
        assert!(open(limiter.check("ann", "5.6.7.8")));
        assert!(open(limiter.check("bob", "1.2.3.4")));
    }

    #[test]
    fn ipv6_counts_per_64_network() {
        assert_eq!(address_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(address_key("2001:db8:1:2::9"), "2001:db8:1:2::/64");
        assert_eq!(address_key("::ffff:10.0.0.1"), "10.0.0.1");
        assert_eq!(address_key("10.0.0.1"), "10.0.0.1");
    }

    #[test]
    fn names_slow_down_and_never_lock() {
        let limiter = LoginLimiter::new(LoginPolicy {
            slowdown_after: 2,
            slowdown_step: Duration::from_millis(100),
            max_slowdown: Duration::from_millis(250),
            ..LoginPolicy::default()
        });
        for i in 0..6 {
            limiter.failed("ann", &format!("10.0.0.{i}"));
        }
        assert_eq!(
            limiter.check("ann", "10.9.9.9"),
            Gate::Open {
                delay: Duration::from_millis(250)
            }
        );
    }

    #[tokio::test]
    async fn hash_checks_are_bounded() {
        let gate = HashGate::new(&LoginPolicy {
            max_concurrent_hashes: 1,
            max_waiting_hashes: 1,
            hash_wait: Duration::from_millis(50),
            ..LoginPolicy::default()
        });
        let held = gate.enter().await.expect("a free permit");
        assert!(gate.enter().await.is_none(), "timed out waiting");
        drop(held);
        assert!(gate.enter().await.is_some());
    }

    #[test]
    fn tables_stay_bounded() {
        let limiter = LoginLimiter::new(LoginPolicy {
            max_entries: 5,
            ..LoginPolicy::default()
        });
        for i in 0..50 {
            limiter.failed(&format!("n{i}"), &format!("10.0.{i}.1"));
        }
        let size = limiter.size();
        assert!(size.pairs <= 5 && size.addresses <= 5 && size.names <= 5);
    }
}
