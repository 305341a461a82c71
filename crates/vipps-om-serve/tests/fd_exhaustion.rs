//! Running out of file descriptors neither stops nor spins the accept
//! loop. This file is its own test binary (its own process): it lowers the
//! process's open-file limit with `prlimit` (util-linux), fills the
//! descriptor table, and lets one client connect that the server cannot
//! accept (`EMFILE`).

use std::fs::File;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use vipps_om_serve::{ACCEPT_ERROR_PAUSE, ServeLimits, serve};

/// The lowered soft limit: room for the runtime and the test, no more.
const SOFT_LIMIT: usize = 256;
/// How long the server stays unable to accept.
const STARVED: Duration = Duration::from_millis(1500);
/// CPU time the whole process may use while starved: a loop retrying
/// `accept` without pausing would burn about `STARVED` of it.
const MAX_CPU_WHILE_STARVED: Duration = Duration::from_millis(300);

/// Clock ticks per second of `/proc/self/stat` times.
fn ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(100)
}

/// User plus system CPU time of this process, in clock ticks, from
/// `/proc/self/stat` (opening it takes one descriptor for a moment).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat (Linux)");
    // The fields after the command name (in parentheses); utime and stime
    // are fields 14 and 15 of the line, 12 and 13 of these.
    let after = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn lower_open_file_limit() {
    let pid = std::process::id().to_string();
    let status = Command::new("prlimit")
        .args(["--pid", &pid, &format!("--nofile={SOFT_LIMIT}:")])
        .status()
        .expect("prlimit (util-linux) is needed to lower the open-file limit");
    assert!(status.success(), "prlimit failed: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_file_descriptors_the_server_pauses_and_recovers() {
    let per_second = ticks_per_second();
    lower_open_file_limit();

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let router = Router::new().route("/", get(|| async { "ok" }));
    let server = tokio::spawn(serve(
        listener,
        router,
        std::future::pending(),
        ServeLimits::default(),
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;

    // Fill the descriptor table, then free one: it is used to read the
    // CPU time, then by the client's socket. No connection is pending
    // before the client connects, so the server cannot take it.
    let mut filler = Vec::new();
    while let Ok(file) = File::open("/dev/null") {
        filler.push(file);
        assert!(filler.len() <= SOFT_LIMIT, "the limit was not lowered");
    }
    filler.pop();
    let cpu_start = cpu_ticks();
    let mut client = TcpStream::connect(addr)
        .await
        .expect("connect with the freed descriptor");
    // The table is full: the server's accept fails with EMFILE.
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(STARVED).await;
    assert!(!server.is_finished(), "the server stopped on EMFILE");
    drop(filler);
    let cpu_used = Duration::from_millis(cpu_ticks().saturating_sub(cpu_start) * 1000 / per_second);
    assert!(
        cpu_used < MAX_CPU_WHILE_STARVED,
        "the process used {cpu_used:?} of CPU in {STARVED:?} without descriptors: the accept loop spins"
    );

    // With descriptors back, the waiting client is served.
    let mut answer = String::new();
    tokio::time::timeout(
        ACCEPT_ERROR_PAUSE + Duration::from_secs(5),
        client.read_to_string(&mut answer),
    )
    .await
    .expect("served once descriptors are free")
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");
    assert!(!server.is_finished());
}
