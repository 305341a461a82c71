//! Running the simulator on a socket: [`spawn`] binds, serves in a
//! background task and returns a [`RunningSim`] handle; dropping the handle
//! or calling [`RunningSim::shutdown`] stops it.
//!
//! Serving is `vipps_om_serve::serve` with the configuration's
//! [`crate::ServeLimits`] (set with
//! [`SimulatorBuilder::serve_limits`](crate::SimulatorBuilder::serve_limits)):
//! HTTP/1.1, a request header must arrive within 10 s (also the idle
//! keep-alive timeout), a body within 60 s (else 408), a client must read
//! the answer (30 s without progress closes the connection), headers are
//! at most 64 KiB (else 431), and at most
//! 4,096 connections are open at once (more wait to be accepted). The
//! injected fault delays (up to [`crate::faults::MAX_FAULT_DELAY`]) are
//! handler time, which no limit cuts short.

use std::net::SocketAddr;
use std::ops::Deref;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::{Merchant, Simulator};
use crate::state::SimState;

/// How long [`RunningSim::shutdown`] lets in-flight requests finish before
/// it stops serving anyway (an injected delay may hold a request longer).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpawnError {
    /// The address could not be bound (in use, not local, no permission).
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A simulator serving in the background. It derefs to its [`SimState`],
/// so every control operation (`reset`, `inject_fault`, `requests`,
/// `counters`, `orders`, `images`, ...) is a method call away.
pub struct RunningSim {
    state: SimState,
    addr: SocketAddr,
    base_url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for RunningSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSim")
            .field("base_url", &self.base_url)
            .field("state", &self.state)
            .finish()
    }
}

/// Binds `config.listen_addr()` (port 0: a free port) and serves the
/// simulator until the handle is shut down or dropped.
pub async fn spawn(config: Simulator) -> Result<RunningSim, SpawnError> {
    let state = SimState::new(&config);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| SpawnError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SpawnError::Bind {
        addr: config.listen,
        source,
    })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = crate::app(state.clone());
    let task = tokio::spawn(vipps_om_serve::serve(
        listener,
        app,
        async {
            // A dropped sender stops the server too.
            let _ = stopped.await;
        },
        config.serve_limits,
    ));
    Ok(RunningSim {
        state,
        addr,
        base_url: format!("http://{addr}"),
        stop: Some(stop),
        task: Some(task),
    })
}

/// [`spawn`] with the defaults: the demo merchant, one-hour tokens, a free
/// port on 127.0.0.1.
pub async fn spawn_default() -> Result<RunningSim, SpawnError> {
    spawn(Simulator::default()).await
}

impl RunningSim {
    /// The base URL to give a client, e.g. `http://127.0.0.1:43123`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The state behind the server.
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// A client builder for `merchant`, pointed at this simulator.
    pub fn client_builder(&self, merchant: &Merchant) -> vipps_om::ClientBuilder {
        vipps_om::Client::builder()
            .base_url(&self.base_url)
            .credentials(merchant.credentials())
    }

    /// A client for the demo merchant, pointed at this simulator.
    pub fn demo_client(&self) -> Result<vipps_om::Client, vipps_om::Error> {
        self.client_builder(self.state.demo_merchant()).build()
    }

    /// The partner keys of the partner named `name`, as a
    /// [`vipps_om::PartnerClient`] pointed at this simulator; `None` when
    /// no partner has that name.
    pub fn partner_client(
        &self,
        name: &str,
    ) -> Option<Result<vipps_om::PartnerClient, vipps_om::Error>> {
        let partner = self.state.partners().iter().find(|p| p.name() == name)?;
        Some(
            vipps_om::Client::builder()
                .base_url(&self.base_url)
                .build_partner(partner.credentials()),
        )
    }

    /// Stops accepting connections, lets in-flight requests finish (at
    /// most [`SHUTDOWN_GRACE`]) and waits for the server to end.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(std::io::Error::other(join)),
            Err(_) => {
                task.abort();
                Ok(())
            }
        }
    }
}

impl Deref for RunningSim {
    type Target = SimState;

    fn deref(&self) -> &SimState {
        &self.state
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
