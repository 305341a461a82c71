//! The do-nothing reference server of `bench/sim.sh`: axum answering
//! `GET /order-management/v2/ECOM/{orderId}` with a fixed body read from a
//! file once at start (the script passes the simulator's own GET answer
//! for the stored order, so both send the same bytes). No state, no
//! authentication, no logging: what the simulator's GET is measured
//! against.
//!
//! With a third argument it also answers
//! `POST /order-management/v2/ECOM/receipts/{orderId}`: it reads the whole
//! request body (and does nothing with it) and answers `201 Created` with
//! that file's bytes (the script passes the simulator's own answer to a
//! receipt). That is the ceiling of the simulator's POST on the machine:
//! what a server costs that reads the request and checks, parses and
//! stores nothing.
//!
//! ```sh
//! cargo run --release --example fixed_body -p vipps-om-sim -- BODY_FILE [axum|hardened] [POST_REPLY_FILE]
//! ```
//!
//! `axum` (the default) serves with `axum::serve`; `hardened` with the
//! accept loop the simulator uses (`vipps_om_serve::serve`, default
//! limits), to tell the accept loop's cost from the handler's. Listens on
//! a free port of 127.0.0.1 and prints its base URL as the first line of
//! standard output. The runtime is the one `vipps-om sim` starts: tokio's
//! multi-threaded runtime with its default number of worker threads (one
//! per core). Runs until killed.

use std::io::Write as _;
use std::process::ExitCode;

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{get, post};

/// Largest body file: 16 MiB, far above any order answer (the simulator's
/// store caps a receipt well below it).
const MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// Which accept loop serves the router.
#[derive(Clone, Copy)]
enum Serve {
    Axum,
    Hardened,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fixed_body: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args_os().skip(1);
    let usage = "usage: fixed_body BODY_FILE [axum|hardened] [POST_REPLY_FILE]";
    let path = args.next().ok_or(usage)?;
    let serve = match args.next().as_deref().map(|s| s.to_str()) {
        None | Some(Some("axum")) => Serve::Axum,
        Some(Some("hardened")) => Serve::Hardened,
        Some(_) => return Err(usage.to_owned()),
    };
    let body = read_body_file(&path)?;
    let post_reply = args.next().map(|p| read_body_file(&p)).transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(serve_body(body, post_reply, serve))
}

/// A body file's bytes, at most [`MAX_BODY_BYTES`].
fn read_body_file(path: &std::ffi::OsStr) -> Result<Bytes, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.to_string_lossy()))?
        .len();
    if size > MAX_BODY_BYTES {
        return Err(format!(
            "{} is {size} bytes, above the limit of {MAX_BODY_BYTES}: pass a smaller body file",
            path.to_string_lossy()
        ));
    }
    Ok(Bytes::from(std::fs::read(path).map_err(|e| {
        format!("cannot read {}: {e}", path.to_string_lossy())
    })?))
}

async fn serve_body(body: Bytes, post_reply: Option<Bytes>, serve: Serve) -> Result<(), String> {
    let mut app = Router::new().route(
        "/order-management/v2/ECOM/{order_id}",
        get(move || {
            let body = body.clone();
            async move { ([(CONTENT_TYPE, "application/json")], body).into_response() }
        }),
    );
    if let Some(reply) = post_reply {
        // `Bytes` as the handler's argument: axum reads the whole body
        // (within its default 2 MB limit) before the handler runs.
        app = app.route(
            "/order-management/v2/ECOM/receipts/{order_id}",
            post(move |_request_body: Bytes| {
                let reply = reply.clone();
                async move {
                    (
                        StatusCode::CREATED,
                        [(CONTENT_TYPE, "application/json")],
                        reply,
                    )
                        .into_response()
                }
            }),
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "http://{addr}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to standard output: {e}"))?;
    }
    match serve {
        Serve::Axum => axum::serve(listener, app).await,
        Serve::Hardened => {
            vipps_om_serve::serve(
                listener,
                app,
                std::future::pending(),
                vipps_om_serve::ServeLimits::default(),
            )
            .await
        }
    }
    .map_err(|e| format!("the server failed: {e}"))
}
