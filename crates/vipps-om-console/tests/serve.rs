//! `vipps_om_console::serve` over a real socket: stalled clients do not
//! keep others out, and handlers get the client's address (which the
//! sign-in limiter counts by).

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What "served promptly" means on a noisy machine.
const BOUND: Duration = Duration::from_secs(5);

/// The soft limit on open files, from `/proc/self/limits` (Linux).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_connections_do_not_keep_a_sign_in_page_from_being_served() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route(
        "/peer",
        get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(vipps_om_console::serve(listener, router, async {
        let _ = stopped.await;
    }));

    // 2,000, or what the open-file limit allows (two descriptors each).
    let count = match open_files_limit() {
        Some(limit) if limit < 4200 => limit.saturating_sub(200) / 2,
        _ => 2000,
    };
    let mut stalled = Vec::with_capacity(count);
    for _ in 0..count {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST /login HTTP/1.1\r\nHost: localhost\r\nCook")
            .await
            .unwrap();
        stalled.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut client = TcpStream::connect(addr).await.unwrap();
    let local = client.local_addr().unwrap();
    client
        .write_all(b"GET /peer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::time::timeout(BOUND, client.read_to_string(&mut answer))
        .await
        .unwrap_or_else(|_| panic!("no answer within {BOUND:?} beside {count} stalled connections"))
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(&local.to_string()), "{answer}");

    drop(stalled);
    let _ = stop.send(());
    tokio::time::timeout(BOUND, server)
        .await
        .expect("stops")
        .unwrap()
        .unwrap();
}
