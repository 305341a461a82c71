//! `vipps-om sim` as a user runs it: the base URL on the first stdout line,
//! a working API behind it, one log line per request on stderr without
//! secrets, and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn vipps_om() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vipps-om"))
}

/// A raw HTTP/1.1 request; the simulator closes after `Connection: close`.
fn http(base_url: &str, request_head: &str) -> String {
    let addr = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout set");
    let request =
        format!("{request_head}Host: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[cfg(unix)]
#[test]
fn sim_prints_its_url_first_serves_logs_and_stops_on_sigterm() {
    let mut child = vipps_om()
        .args(["sim", "--listen", "127.0.0.1:0", "--token-ttl", "120"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vipps-om starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    let base_url = first.trim().to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{first:?}");
    assert!(
        !base_url.ends_with(":0"),
        "a real port was chosen: {base_url}"
    );
    let mut banner = String::new();
    for _ in 0..5 {
        stdout.read_line(&mut banner).expect("banner");
    }
    assert!(
        banner.contains("123456") && banner.contains("demo-client-id"),
        "{banner}"
    );

    let token = http(
        &base_url,
        "POST /accesstoken/get HTTP/1.1\r\nclient_id: demo-client-id\r\nclient_secret: demo-client-secret\r\nOcp-Apim-Subscription-Key: demo-subscription-key\r\n",
    );
    assert!(token.starts_with("HTTP/1.1 200"), "{token}");
    assert!(token.contains("\"expires_in\":\"120\""), "{token}");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = wait_for_exit(&mut child, Duration::from_secs(10));
    if exit.is_none() {
        let _ = child.kill();
    }
    assert!(exit.is_some_and(|s| s.success()), "exit: {exit:?}");

    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr read");
    let line = stderr
        .lines()
        .find(|l| l.contains("/accesstoken/get"))
        .unwrap_or_else(|| panic!("no request log line in {stderr}"));
    for field in ["method=POST", "status=200", "latency_ms=", "msn=123456"] {
        assert!(line.contains(field), "{field} missing in {line}");
    }
    assert!(!stderr.contains("demo-client-secret"), "{stderr}");
    assert!(!stderr.contains("demo-subscription-key"), "{stderr}");
}

/// The log lines are written in batches, but a request's line still
/// appears while the simulator runs (not only when it stops), and many
/// requests' lines all arrive, in order.
#[test]
fn request_log_lines_appear_while_running_in_order() {
    let mut child = vipps_om()
        .args(["sim", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vipps-om starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    let base_url = first.trim().to_owned();
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let (lines, received) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    const REQUESTS: usize = 200;
    for i in 0..REQUESTS {
        let answer = http(
            &base_url,
            &format!("GET /order-management/v2/ecom/log-order-{i} HTTP/1.1\r\n"),
        );
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    }
    // Every line arrives without stopping the simulator (generous bound:
    // they are written every 50 ms).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    while seen.len() < REQUESTS {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = received.recv_timeout(left) else {
            break;
        };
        if let Some(at) = line.find("log-order-") {
            let number: String = line[at + "log-order-".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            seen.push(number.parse::<usize>().expect("an order number"));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    assert_eq!(
        seen,
        (0..REQUESTS).collect::<Vec<_>>(),
        "lines missing or out of order"
    );
}

#[test]
fn a_bad_merchants_file_stops_the_start_with_the_line_named() {
    let path = std::env::temp_dir().join(format!(
        "vipps-om-cli-merchants-{}.toml",
        std::process::id()
    ));
    std::fs::write(
        &path,
        "[[merchant]]\nmerchant_serial_number = \"12x\"\nclient_id = \"a\"\nclient_secret = \"b\"\nsubscription_key = \"c\"\n",
    )
    .expect("written");
    let output = vipps_om()
        .args(["sim", "--listen", "127.0.0.1:0", "--merchants"])
        .arg(&path)
        .output()
        .expect("runs");
    let _ = std::fs::remove_file(&path);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 2"), "{stderr}");
    assert!(stderr.contains("merchant_serial_number"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "nothing on stdout when it does not start"
    );
}

#[test]
fn a_zero_token_lifetime_is_refused() {
    let output = vipps_om()
        .args(["sim", "--listen", "127.0.0.1:0", "--token-ttl", "0"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--token-ttl"));
}

/// A token lifetime beyond what the clock can add (once a panic in the
/// token service) is a configuration error naming the limit.
#[test]
fn a_token_lifetime_beyond_a_day_is_refused_with_the_limit() {
    let out = vipps_om()
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--token-ttl",
            "18446744073709551615",
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("24 hours"), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}

/// A raw HTTP/1.1 request with a JSON body.
fn http_json(base_url: &str, request_head: &str, body: &str) -> String {
    let addr = base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout set");
    let request = format!(
        "{request_head}Host: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

#[test]
fn strict_refuses_what_production_may_accept() {
    let mut child = vipps_om()
        .args(["sim", "--listen", "127.0.0.1:0", "--strict"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("vipps-om starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line");
    let base_url = first.trim().to_owned();
    let token = http(
        &base_url,
        "POST /accesstoken/get HTTP/1.1\r\nclient_id: demo-client-id\r\nclient_secret: demo-client-secret\r\nOcp-Apim-Subscription-Key: demo-subscription-key\r\n",
    );
    let token = token
        .split("\"access_token\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a token in {token}"))
        .to_owned();
    // totalAmount is not totalAmountExcludingTax + totalTaxAmount.
    let body = r#"{"orderLines":[{"name":"a","id":"1","totalAmount":1001,"totalAmountExcludingTax":800,"totalTaxAmount":200,"taxRate":2500}],"bottomLine":{"currency":"NOK"}}"#;
    let response = http_json(
        &base_url,
        &format!(
            "POST /order-management/v2/ecom/receipts/o-1 HTTP/1.1\r\nAuthorization: Bearer {token}\r\nOcp-Apim-Subscription-Key: demo-subscription-key\r\nMerchant-Serial-Number: 123456\r\n"
        ),
        body,
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    assert!(
        response.contains("urn:vipps-om-sim:strict:line-arithmetic"),
        "{response}"
    );
}
