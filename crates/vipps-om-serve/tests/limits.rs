//! The limits of `vipps_om_serve::serve`, over real sockets: stalled
//! clients are cut off at their timeouts and never keep a normal request
//! from being served. Bounds are generous (these machines are noisy);
//! latency is measured elsewhere.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use vipps_om_serve::{BodyReadTimeout, ServeLimits, serve};

/// What "served promptly" means on a noisy machine.
const BOUND: Duration = Duration::from_secs(5);
/// The stalled connections of the issue.
const STALLED: usize = 2000;
/// The first line of a request, without the blank line that ends a header.
const HALF_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: stall";

struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(limits: ServeLimits) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(
            listener,
            router(),
            async {
                let _ = stopped.await;
            },
            limits,
        ));
        Server {
            addr,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(BOUND, &mut self.task)
            .await
            .expect("the server stops")
            .expect("the server task does not panic")
    }
}

fn router() -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                "slow but done"
            }),
        )
        .route("/big", get(|| async { Body::from(vec![b'x'; 32 << 20]) }))
        .route(
            "/upload",
            post(|body: Body| async move {
                match axum::body::to_bytes(body, 1 << 20).await {
                    Ok(bytes) => (StatusCode::OK, format!("{} bytes", bytes.len())),
                    Err(e) => match BodyReadTimeout::find(&e) {
                        Some(t) => (StatusCode::REQUEST_TIMEOUT, t.to_string()),
                        None => (StatusCode::BAD_REQUEST, e.to_string()),
                    },
                }
            }),
        )
}

fn limits(adjust: impl FnOnce(&mut ServeLimits)) -> ServeLimits {
    let mut limits = ServeLimits::default();
    adjust(&mut limits);
    limits
}

/// Sends `request` on a new connection and reads the answer to the end.
async fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

async fn get_path(addr: SocketAddr, path: &str) -> String {
    exchange(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
}

/// Opens a connection that sends half a request header and stops.
async fn stall(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(HALF_REQUEST).await.unwrap();
    stream
}

/// Waits until the server closes `stream` (end of file or reset); the
/// time it took.
async fn closed_within(stream: &mut TcpStream, bound: Duration) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(bound, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the connection is still open after {bound:?}"
    );
    started.elapsed()
}

/// The soft limit on open files, from `/proc/self/limits` (Linux).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// How many stalled connections this process can hold: each takes two
/// descriptors here (client and server end). 2,000 when the limit allows
/// (it needs about 4,100); otherwise as many as fit, said on stderr.
fn stalled_count() -> usize {
    match open_files_limit() {
        Some(limit) if limit < 2 * STALLED + 100 => {
            let fit = limit.saturating_sub(100) / 2;
            eprintln!(
                "open-file limit {limit} is below {}: testing with {fit} stalled connections (raise `ulimit -n` for the full 2,000)",
                2 * STALLED + 100
            );
            fit
        }
        _ => STALLED,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_stalled_connections_do_not_stop_a_normal_request() {
    let server = Server::start(ServeLimits::default()).await;
    let count = stalled_count();
    let mut stalled = Vec::with_capacity(count);
    for _ in 0..count {
        stalled.push(stall(server.addr).await);
    }
    // Give the server time to accept them all, so they hold real slots.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // They are held open (the header-read timeout is 10 s)...
    for stream in stalled.iter_mut().step_by(100) {
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_millis(10), stream.read(&mut buf)).await;
        assert!(
            read.is_err(),
            "a stalled connection was answered or closed early"
        );
    }

    // ...and a normal request is served beside them.
    let started = Instant::now();
    let answer = tokio::time::timeout(BOUND, get_path(server.addr, "/"))
        .await
        .unwrap_or_else(|_| {
            panic!("no answer within {BOUND:?} beside {count} stalled connections")
        });
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");
    assert!(started.elapsed() < BOUND);
    drop(stalled);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_stalled_header_is_closed_after_the_header_read_timeout() {
    let timeout = Duration::from_millis(300);
    let server = Server::start(limits(|l| l.header_read_timeout = timeout)).await;

    let mut half = stall(server.addr).await;
    let took = closed_within(&mut half, BOUND).await;
    assert!(
        took >= timeout - Duration::from_millis(50),
        "closed early: {took:?}"
    );

    // A connection that sends nothing at all is closed too.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    closed_within(&mut silent, BOUND).await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_read_timeout() {
    let server = Server::start(limits(|l| {
        l.header_read_timeout = Duration::from_millis(300);
    }))
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.ends_with(b"\r\n\r\nok") {
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the answer");
        answer.extend_from_slice(&buf[..n]);
    }
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    // Kept alive after the answer, then closed when idle too long.
    closed_within(&mut stream, BOUND).await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn at_the_connection_cap_a_new_client_waits_for_a_slot() {
    let header_timeout = Duration::from_millis(800);
    let server = Server::start(limits(|l| {
        l.max_connections = 2;
        l.header_read_timeout = header_timeout;
    }))
    .await;
    let _first = stall(server.addr).await;
    let _second = stall(server.addr).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let started = Instant::now();
    let answer = tokio::time::timeout(BOUND, get_path(server.addr, "/"))
        .await
        .expect("served once a stalled connection times out");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let waited = started.elapsed();
    assert!(
        waited >= header_timeout / 2,
        "served at once although both slots were taken: {waited:?}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_slow_body_fails_at_the_body_read_timeout() {
    let server = Server::start(limits(|l| l.body_read_timeout = Duration::from_millis(300))).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789",
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(BOUND, stream.read_to_end(&mut answer))
        .await
        .expect("answered within the bound")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within 0.3 s"), "{answer}");

    // A body that arrives in time is read whole.
    let answer = exchange(
        server.addr,
        b"POST /upload HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
    )
    .await;
    assert!(answer.ends_with("5 bytes"), "{answer}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_client_that_reads_nothing_loses_its_slot_after_the_send_timeout() {
    let server = Server::start(limits(|l| {
        l.max_connections = 1;
        l.send_timeout = Duration::from_millis(300);
    }))
    .await;
    // Asks for 32 MiB and reads none of it: the only slot is held until
    // the send timeout.
    let mut greedy = TcpStream::connect(server.addr).await.unwrap();
    greedy
        .write_all(b"GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let answer = tokio::time::timeout(BOUND, get_path(server.addr, "/"))
        .await
        .expect("served once the stalled reader is cut off");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The stalled reader's connection was closed before the whole answer.
    let mut received = Vec::new();
    let _ = greedy.read_to_end(&mut received).await;
    assert!(received.len() < 32 << 20, "the whole answer was sent");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_oversized_header_gets_431() {
    let server = Server::start(ServeLimits::default()).await;
    let big = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
        "b".repeat(vipps_om_serve::DEFAULT_MAX_HEADER_BYTES)
    );
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    // The server may close before reading all of it.
    let _ = stream.write_all(big.as_bytes()).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(BOUND, stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "answered and closed within the bound");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");

    // Headers within the limit are fine.
    let fits = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nX-Fits: {}\r\n\r\n",
        "f".repeat(vipps_om_serve::DEFAULT_MAX_HEADER_BYTES / 2)
    );
    assert!(
        exchange(server.addr, fits.as_bytes())
            .await
            .starts_with("HTTP/1.1 200")
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn handlers_see_the_client_address() {
    let server = Server::start(ServeLimits::default()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let local = stream.local_addr().unwrap();
    stream
        .write_all(b"GET /peer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.ends_with(&local.to_string()), "{answer}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_and_refuses_new_clients() {
    let server = Server::start(ServeLimits::default()).await;
    let addr = server.addr;
    let in_flight = tokio::spawn(async move { get_path(addr, "/slow").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.stop().await.unwrap();
    let answer = in_flight.await.unwrap();
    assert!(answer.ends_with("slow but done"), "{answer}");
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting");
}

#[tokio::test]
async fn invalid_limits_are_refused_with_the_field_named() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = serve(
        listener,
        router(),
        std::future::pending(),
        limits(|l| l.max_connections = 0),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("max_connections"), "{err}");
}
