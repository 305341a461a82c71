#!/usr/bin/env python3
"""Bounded soak of the support console under attack (issue 10), driven by
bench/soak.sh; results in BENCHMARKS.md ("## Console under attack").

Against a running console (loopback only), for DURATION seconds at once:

* stalled: STALLED connections that send half a request header and stop;
  each one the server closes is opened again, so the pressure stays;
* flood: FLOODERS threads, each from its own loopback source address
  (127.0.0.2, 127.0.0.3, ...), posting wrong passwords for the staff
  member's own name, and unknown names of 4 KiB, as fast as they are
  answered;
* staff: one member of staff, from 127.0.0.1, signs in with the right
  password every few seconds and opens an order page in between.

It prints one JSON object: the staff member's latencies (sign-in and page,
median/p95/max), how many of the staff member's requests failed (the
promise is none), the attack's answers by status, and the console's
memory (VmHWM and the last VmRSS from /proc). Standard library only.
"""

import argparse
import http.client
import json
import re
import resource
import socket
import statistics
import threading
import time
import urllib.parse


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Session:
    """A tiny cookie-keeping HTTP client bound to one source address."""

    def __init__(self, host, port, source, timeout=30):
        self.host, self.port, self.source, self.timeout = host, port, source, timeout
        self.cookies = {}

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection(
            self.host, self.port, timeout=self.timeout, source_address=(self.source, 0)
        )
        headers = {"Host": f"{self.host}:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            body = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{self.host}:{self.port}"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            for name, value in resp.getheaders():
                if name.lower() == "set-cookie":
                    pair = value.split(";", 1)[0]
                    if "=" in pair:
                        k, v = pair.split("=", 1)
                        self.cookies[k.strip()] = v.strip()
            return resp.status, data.decode("utf-8", "replace"), dict(resp.getheaders())
        finally:
            conn.close()

    def sign_in(self, username, password):
        status, page, _ = self.request("GET", "/login")
        if status != 200:
            return status
        token = re.search(r'name="csrf" value="([^"]*)"', page)
        form = {
            "csrf": token.group(1) if token else "",
            "next": "/",
            "username": username,
            "password": password,
        }
        status, _, _ = self.request("POST", "/login", form)
        return status


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return round(ordered[index] * 1000, 1)


def stalled_pressure(host, port, count, stop, counters):
    socks = []
    head = f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nX-Half: ".encode()

    def open_one():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect_ex((host, port))
        except OSError:
            s.close()
            return None
        return s

    while len(socks) < count and not stop.is_set():
        s = open_one()
        if s is not None:
            socks.append([s, False])
    counters["stalled_opened"] = len(socks)
    while not stop.is_set():
        for entry in socks:
            s, sent = entry
            if not sent:
                try:
                    s.send(head)
                    entry[1] = True
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    entry[1] = None
            else:
                try:
                    if s.recv(1, socket.MSG_PEEK) == b"":
                        entry[1] = None
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    entry[1] = None
            if entry[1] is None:
                s.close()
                counters["stalled_closed_by_server"] += 1
                fresh = open_one()
                if fresh is not None:
                    entry[0], entry[1] = fresh, False
                    counters["stalled_reopened"] += 1
                else:
                    entry[1] = None
        socks = [e for e in socks if e[1] is not None]
        time.sleep(0.2)
    for s, _ in socks:
        s.close()


def flooder(host, port, source, name, stop, counters, lock):
    session = Session(host, port, source, timeout=30)
    n = 0
    while not stop.is_set():
        n += 1
        username = name if n % 2 else "x" * 4096
        try:
            status = session.sign_in(username, f"wrong-password-{n}")
        except OSError:
            status = "error"
        with lock:
            counters[str(status)] = counters.get(str(status), 0) + 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--order", required=True, help="ORDER_ID:PAYMENT_TYPE")
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--stalled", type=int, default=2000)
    parser.add_argument("--flooders", type=int, default=8)
    args = parser.parse_args()
    raise_fd_limit()
    url = urllib.parse.urlsplit(args.url)
    host, port = url.hostname, url.port
    order_id, payment_type = args.order.split(":", 1)

    stop = threading.Event()
    stalled_counters = {"stalled_opened": 0, "stalled_closed_by_server": 0, "stalled_reopened": 0}
    flood_counters, lock = {}, threading.Lock()
    threads = [
        threading.Thread(
            target=stalled_pressure, args=(host, port, args.stalled, stop, stalled_counters)
        )
    ]
    for i in range(args.flooders):
        threads.append(
            threading.Thread(
                target=flooder,
                args=(host, port, f"127.0.0.{i + 2}", args.user, stop, flood_counters, lock),
            )
        )
    for t in threads:
        t.daemon = True
        t.start()
    time.sleep(2)  # let the pressure build before the staff member starts

    staff = Session(host, port, "127.0.0.1", timeout=30)
    sign_in_ms, page_ms, failures = [], [], []
    rss_samples = []
    deadline = time.monotonic() + args.duration
    i = 0
    order_path = "/order?" + urllib.parse.urlencode(
        {"order_id": order_id, "payment_type": payment_type}
    )
    while time.monotonic() < deadline:
        try:
            if i % 10 == 0:
                staff.cookies.clear()
                t0 = time.monotonic()
                status = staff.sign_in(args.user, args.password)
                sign_in_ms.append(time.monotonic() - t0)
                if status not in (302, 303):
                    failures.append(f"sign-in answered {status}")
            t0 = time.monotonic()
            status, page, _ = staff.request("GET", order_path)
            page_ms.append(time.monotonic() - t0)
            if status != 200:
                failures.append(f"order page answered {status}")
        except OSError as e:
            failures.append(f"{type(e).__name__}: {e}")
        i += 1
        try:
            with open(f"/proc/{args.pid}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            rss_samples.append(int(fields["VmRSS"].split()[0]))
            hwm = int(fields["VmHWM"].split()[0])
        except (OSError, KeyError, ValueError):
            hwm = None
        time.sleep(0.25)
    stop.set()
    for t in threads:
        t.join(timeout=35)

    def summary(values):
        return {
            "n": len(values),
            "median_ms": round(statistics.median(values) * 1000, 1) if values else None,
            "p95_ms": percentile(values, 95),
            "max_ms": round(max(values) * 1000, 1) if values else None,
        }

    print(
        json.dumps(
            {
                "duration_s": args.duration,
                "staff_sign_in": summary(sign_in_ms),
                "staff_page": summary(page_ms),
                "staff_failures": failures[:20],
                "staff_failure_count": len(failures),
                "attack_answers": flood_counters,
                "stalled": stalled_counters,
                "console_max_rss_mib": round(hwm / 1024, 1) if hwm else None,
                "console_last_rss_mib": round(rss_samples[-1] / 1024, 1) if rss_samples else None,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
