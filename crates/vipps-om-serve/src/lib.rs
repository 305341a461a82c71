//! One hardened accept loop for the workspace's HTTP servers (the
//! simulator and the support console): [`serve`] runs an [`axum::Router`]
//! on a [`tokio::net::TcpListener`] until a shutdown future completes, with
//! every way a client can hold a connection bounded by [`ServeLimits`].
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let router = axum::Router::new().route("/", axum::routing::get(|| async { "hi" }));
//! vipps_om_serve::serve(listener, router, std::future::pending(), Default::default()).await
//! # }
//! ```
//!
//! # What is bounded, and what a client sees
//! | limit | default | beyond it |
//! |---|---|---|
//! | [`ServeLimits::header_read_timeout`] | [`DEFAULT_HEADER_READ_TIMEOUT`] (10 s) | the connection is closed without an answer; this also closes an idle keep-alive connection waiting for its next request |
//! | [`ServeLimits::body_read_timeout`] | [`DEFAULT_BODY_READ_TIMEOUT`] (60 s) | reading the body fails with [`BodyReadTimeout`]; the handler decides the answer (the simulator answers 408) and the connection is closed |
//! | [`ServeLimits::send_timeout`] | [`DEFAULT_SEND_TIMEOUT`] (30 s) | a client that reads nothing of the answer for this long has its connection closed |
//! | [`ServeLimits::max_header_bytes`] | [`DEFAULT_MAX_HEADER_BYTES`] (64 KiB) | the client gets 431 (Request Header Fields Too Large) and the connection is closed |
//! | [`ServeLimits::max_connections`] | [`DEFAULT_MAX_CONNECTIONS`] (4,096) | the server stops accepting until a connection ends: a new client's connection waits in the kernel's listen queue and is served when a slot frees (at the latest when the header-read timeout closes a stalled one); nothing is refused while the queue has room |
//!
//! Only HTTP/1.1 (and 1.0) is served: nothing in the workspace speaks
//! HTTP/2 without TLS, and hyper's HTTP/2 server has no header-read
//! timeout, so a cleartext HTTP/2 client could hold a connection without
//! sending a request. (`axum::serve` also accepted HTTP/2 with prior
//! knowledge; a client sending that preface now gets its connection
//! closed.)
//!
//! Handler time is not bounded here: it is the server's own (the
//! simulator's injected delays last up to two minutes on purpose).
//!
//! Accept errors never end the loop: a dropped or reset connection is
//! skipped, and running out of file descriptors (`EMFILE`, `ENFILE`) or
//! memory pauses accepting for [`ACCEPT_ERROR_PAUSE`] with a warning, so
//! the loop neither spins nor stops. Keep the process's descriptor limit
//! (`ulimit -n`) above [`ServeLimits::max_connections`] plus what the
//! application itself opens; the default cap fits the common limits of
//! servers and containers (often 65,536 or more) but not the 1,024 of some
//! desktop shells, where accepting pauses instead.
//!
//! Handlers get the client's address as
//! [`axum::extract::ConnectInfo<SocketAddr>`](axum::extract::ConnectInfo).
//!
//! Shutdown: when `shutdown` completes the listener is closed (new clients
//! are refused), idle connections are closed, and requests in flight may
//! finish; [`serve`] returns when the last connection has ended, which the
//! limits above bound. Dropping the [`serve`] future ends every connection
//! at once.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use bytes::Bytes;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Sleep;
use tower::ServiceExt;

/// Default [`ServeLimits::header_read_timeout`]: a request's headers must
/// arrive within 10 s of the connection opening or going idle.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`ServeLimits::body_read_timeout`]: 60 s for a whole request
/// body, enough for the simulator's largest (8 MiB) body at 140 KB/s.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Default [`ServeLimits::send_timeout`]: 30 s without the client reading
/// any of the answer.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Default [`ServeLimits::max_header_bytes`]: 64 KiB for a request line
/// and its headers, so 4,096 connections buffer at most 256 MiB of them.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 64 * 1024;
/// Smallest [`ServeLimits::max_header_bytes`] hyper accepts.
pub const MIN_HEADER_BYTES: usize = 8192;
/// Default [`ServeLimits::max_connections`]: 4,096 open connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// How long accepting pauses after an accept error other than a dropped
/// connection (out of file descriptors or memory).
pub const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(250);

/// The bounds [`serve`] enforces. `Default` gives the documented defaults;
/// change fields on a default value:
///
/// ```
/// let mut limits = vipps_om_serve::ServeLimits::default();
/// limits.max_connections = 512;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeLimits {
    /// Longest wait for a request's complete header, from the moment the
    /// connection opens or finishes its previous answer. Beyond it the
    /// connection is closed without an answer, so it is also the idle
    /// timeout of keep-alive connections.
    pub header_read_timeout: Duration,
    /// Longest time to receive a request body, counted from the end of its
    /// header. Beyond it reading the body fails with [`BodyReadTimeout`].
    pub body_read_timeout: Duration,
    /// Longest time writing the answer may make no progress (the client
    /// reads nothing). Beyond it the connection is closed.
    pub send_timeout: Duration,
    /// Largest request line plus headers, in bytes (at least
    /// [`MIN_HEADER_BYTES`]); it is also the most a connection buffers
    /// when reading. Beyond it the client gets 431.
    pub max_header_bytes: usize,
    /// Most connections open at once. At the cap the server accepts no
    /// more until one ends; waiting clients stay in the listen queue.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            send_timeout: DEFAULT_SEND_TIMEOUT,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

impl ServeLimits {
    /// Refuses limits that would serve nothing: a zero timeout, a header
    /// limit below [`MIN_HEADER_BYTES`], or a connection cap of 0 (or
    /// above what a semaphore can count).
    pub fn check(&self) -> Result<(), io::Error> {
        let invalid = |message: String| Err(io::Error::new(io::ErrorKind::InvalidInput, message));
        for (name, value, default) in [
            (
                "header_read_timeout",
                self.header_read_timeout,
                DEFAULT_HEADER_READ_TIMEOUT,
            ),
            (
                "body_read_timeout",
                self.body_read_timeout,
                DEFAULT_BODY_READ_TIMEOUT,
            ),
            ("send_timeout", self.send_timeout, DEFAULT_SEND_TIMEOUT),
        ] {
            if value.is_zero() {
                return invalid(format!(
                    "ServeLimits::{name} is zero; use a positive duration (default {default:?})"
                ));
            }
        }
        if self.max_header_bytes < MIN_HEADER_BYTES {
            return invalid(format!(
                "ServeLimits::max_header_bytes is {}; use at least {MIN_HEADER_BYTES} (default {DEFAULT_MAX_HEADER_BYTES})",
                self.max_header_bytes
            ));
        }
        if self.max_connections == 0 || self.max_connections > Semaphore::MAX_PERMITS {
            return invalid(format!(
                "ServeLimits::max_connections is {}; use 1 to {} (default {DEFAULT_MAX_CONNECTIONS})",
                self.max_connections,
                Semaphore::MAX_PERMITS
            ));
        }
        Ok(())
    }
}

/// Serves `router` on `listener` until `shutdown` completes, within
/// `limits` (see the crate documentation for what each bound does).
/// Handlers can extract [`ConnectInfo<SocketAddr>`](axum::extract::ConnectInfo).
///
/// Fails at once, with a message naming the field, when `limits` are
/// invalid ([`ServeLimits::check`]); after that it returns `Ok(())` once
/// shut down: accept errors are logged and survived, not returned.
pub async fn serve<F>(
    listener: TcpListener,
    router: Router,
    shutdown: F,
    limits: ServeLimits,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    limits.check()?;
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            Some(ended) = connections.join_next() => {
                if let Err(e) = ended
                    && e.is_panic()
                {
                    tracing::error!("a connection task panicked");
                }
            }
            accepted = accept(&listener, &slots) => {
                let Some((stream, peer, slot)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let io = TokioIo::new(SendTimeout::new(stream, limits.send_timeout));
                let service = hyper::service::service_fn({
                    let router = router.clone();
                    let body_timeout = limits.body_read_timeout;
                    move |request: Request<Incoming>| {
                        call(router.clone(), request, peer, body_timeout)
                    }
                });
                let connection = graceful.watch(http.serve_connection(io, service));
                connections.spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    drop(slot);
                });
            }
        }
    }

    // Refuse new clients, let the ones in flight finish.
    drop(listener);
    graceful.shutdown().await;
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// Waits for a free connection slot, then accepts. `None` after an accept
/// error (logged, and paused after when it is not a dropped connection).
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> Option<(TcpStream, SocketAddr, OwnedSemaphorePermit)> {
    // The semaphore is never closed, so this only fails if it were.
    let slot = Arc::clone(slots).acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, peer)) => Some((stream, peer, slot)),
        Err(e) if is_connection_error(&e) => {
            tracing::debug!(error = %e, "a connection was dropped before it was accepted");
            None
        }
        Err(e) => {
            tracing::warn!(
                error = %e,
                pause_ms = ACCEPT_ERROR_PAUSE.as_millis() as u64,
                "cannot accept a connection (out of file descriptors? raise `ulimit -n` or lower max_connections); pausing"
            );
            drop(slot);
            tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
            None
        }
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// One request: the peer address as `ConnectInfo`, the body under its
/// deadline, then the router.
async fn call(
    router: Router,
    request: Request<Incoming>,
    peer: SocketAddr,
    body_timeout: Duration,
) -> Result<Response<Body>, Infallible> {
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(ConnectInfo(peer));
    let body = if http_body::Body::is_end_stream(&body) {
        Body::new(body)
    } else {
        Body::new(DeadlineBody {
            inner: body,
            deadline: tokio::time::sleep(body_timeout),
            timeout: body_timeout,
        })
    };
    router.oneshot(Request::from_parts(parts, body)).await
}

/// A request body did not arrive within [`ServeLimits::body_read_timeout`].
/// Handlers find it in the source chain of the body's read error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyReadTimeout {
    /// The limit that was exceeded.
    pub timeout: Duration,
}

impl std::fmt::Display for BodyReadTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the request body did not arrive within {} s; send it faster or in a smaller request",
            self.timeout.as_secs_f64()
        )
    }
}

impl std::error::Error for BodyReadTimeout {}

impl BodyReadTimeout {
    /// Finds a body-read timeout in `error`'s source chain (as it appears
    /// after `axum::body::to_bytes` or an extractor wrapped it).
    pub fn find(error: &(dyn std::error::Error + 'static)) -> Option<BodyReadTimeout> {
        let mut next = Some(error);
        while let Some(e) = next {
            if let Some(found) = e.downcast_ref::<BodyReadTimeout>() {
                return Some(*found);
            }
            next = e.source();
        }
        None
    }
}

pin_project_lite::pin_project! {
    /// A request body that fails once its deadline passes.
    struct DeadlineBody {
        #[pin]
        inner: Incoming,
        #[pin]
        deadline: Sleep,
        timeout: Duration,
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = self.project();
        if let Poll::Ready(frame) = this.inner.poll_frame(cx) {
            return Poll::Ready(frame.map(|r| r.map_err(Into::into)));
        }
        if this.deadline.poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyReadTimeout {
                timeout: *this.timeout,
            }))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A socket whose writes fail after [`ServeLimits::send_timeout`] without
/// progress (the peer's receive window stays full).
struct SendTimeout {
    inner: TcpStream,
    timeout: Duration,
    /// Running while a write waits; cleared by any progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl SendTimeout {
    fn new(inner: TcpStream, timeout: Duration) -> Self {
        SendTimeout {
            inner,
            timeout,
            stalled: None,
        }
    }

    /// Passes `result` on, timing a `Pending` against the stall deadline.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        result: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match result {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let timeout = self.timeout;
                let stall = self
                    .stalled
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                if stall.as_mut().poll(cx).is_ready() {
                    self.stalled = None;
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client read nothing of the answer within the send timeout",
                    )))
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl AsyncRead for SendTimeout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for SendTimeout {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, result)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, result)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_limits_are_named() {
        assert!(ServeLimits::default().check().is_ok());
        let limits = ServeLimits {
            max_connections: 0,
            ..ServeLimits::default()
        };
        let err = limits.check().unwrap_err().to_string();
        assert!(err.contains("max_connections is 0"), "{err}");
        let limits = ServeLimits {
            header_read_timeout: Duration::ZERO,
            ..ServeLimits::default()
        };
        let err = limits.check().unwrap_err().to_string();
        assert!(err.contains("header_read_timeout is zero"), "{err}");
        assert!(err.contains("10s"), "{err}");
    }

    #[test]
    fn a_body_timeout_is_found_through_wrappers() {
        let timeout = BodyReadTimeout {
            timeout: Duration::from_secs(1),
        };
        let wrapped = axum::Error::new(axum::Error::new(timeout));
        assert_eq!(BodyReadTimeout::find(&wrapped), Some(timeout));
        assert_eq!(BodyReadTimeout::find(&io::Error::other("x")), None);
    }
}
