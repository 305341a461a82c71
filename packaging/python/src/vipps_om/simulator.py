"""Start `vipps-om sim` on a free port and drive its control API (`/_sim/`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from ._binary import find_binary

#: Longest wait, in seconds, for the simulator to print its base URL.
STARTUP_TIMEOUT_S = 30.0
#: Longest wait, in seconds, for the simulator to stop after SIGTERM
#: before it is killed.
STOP_TIMEOUT_S = 10.0
#: Timeout, in seconds, of one control API call.
CONTROL_TIMEOUT_S = 10.0
#: Most bytes of the simulator's log quoted in an error.
LOG_TAIL_BYTES = 4096
#: Most bytes of the simulator's log that `Simulator.log()` returns (the newest).
LOG_KEPT_BYTES = 64 * 1024
#: Most bytes of a control API answer quoted in an error.
ANSWER_QUOTED_BYTES = 1024

_POLL_S = 0.02


class SimulatorError(RuntimeError):
    """The simulator did not start, or a control API call failed."""


@dataclass(frozen=True)
class Credentials:
    """A merchant's keys for the simulator (the demo merchant's are public test values)."""

    merchant_serial_number: str
    client_id: str
    client_secret: str = field(repr=False)
    subscription_key: str = field(repr=False)


#: The demo merchant every `vipps-om sim` serves (public test credentials,
#: only valid against the simulator).
DEMO_MERCHANT = Credentials(
    merchant_serial_number="123456",
    client_id="demo-client-id",
    client_secret="demo-client-secret",
    subscription_key="demo-subscription-key",
)

#: Route templates for `inject_fault` (also `"*"` for every route).
ROUTE_TOKEN = "POST /accesstoken/get"
ROUTE_UPLOAD_IMAGE = "POST /order-management/v1/images"
ROUTE_SET_CATEGORY = "PUT /order-management/v2/{paymentType}/categories/{orderId}"
ROUTE_ADD_RECEIPT = "POST /order-management/v2/{paymentType}/receipts/{orderId}"
ROUTE_GET_ORDER = "GET /order-management/v2/{paymentType}/{orderId}"


class Simulator:
    """A running `vipps-om sim`: its base URL, the demo merchant's
    credentials, and a small client of its control API.

    Use `start_simulator()` to get one, and `stop()` it (or use it as a
    context manager) when done; it is also stopped when Python exits.
    """

    def __init__(self, process: subprocess.Popen, base_url: str, workdir: str) -> None:
        self._process = process
        self._workdir = workdir
        #: The simulator's base URL, e.g. ``http://127.0.0.1:41039`` (no
        #: trailing slash): use it where production's ``https://api.vipps.no`` goes.
        self.base_url = base_url
        #: The demo merchant's credentials.
        self.credentials = DEMO_MERCHANT
        # Also run when Python exits (weakref.finalize's atexit default).
        self._finalizer = weakref.finalize(self, _stop_process, process, workdir)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Simulator {self.base_url} pid={self._process.pid} {state}>"

    def __enter__(self) -> "Simulator":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """The simulator's process id."""
        return self._process.pid

    @property
    def running(self) -> bool:
        """Whether the simulator process is still running."""
        return self._process.poll() is None

    def env(self) -> dict[str, str]:
        """The ``VIPPS_*`` variables the `vipps-om` command and the README's
        examples read, pointing at this simulator as the demo merchant."""
        return {
            "VIPPS_BASE_URL": self.base_url,
            "VIPPS_CLIENT_ID": self.credentials.client_id,
            "VIPPS_CLIENT_SECRET": self.credentials.client_secret,
            "VIPPS_SUBSCRIPTION_KEY": self.credentials.subscription_key,
            "VIPPS_MERCHANT_SERIAL_NUMBER": self.credentials.merchant_serial_number,
        }

    def log(self) -> str:
        """The newest `LOG_KEPT_BYTES` of the simulator's log (standard
        error: one line per request)."""
        return _read_tail(os.path.join(self._workdir, "sim.log"), LOG_KEPT_BYTES)

    def stop(self) -> None:
        """Stop the simulator (SIGTERM, then a kill after `STOP_TIMEOUT_S`).
        Calling it again does nothing."""
        self._finalizer()

    # -- control API ----------------------------------------------------

    def reset(self) -> None:
        """Forget orders, images, tokens, faults, the request log and counters."""
        self._call("POST", "/_sim/reset")

    def inject_fault(
        self,
        route: str = "*",
        status: int | None = None,
        *,
        count: int | None = None,
        retry_after: int | None = None,
        delay_ms: int | None = None,
        msn: str | None = None,
    ) -> dict[str, Any]:
        """Answer the next `count` (default 1) requests to `route` with
        `status` (400-599), after `delay_ms`, with a ``Retry-After`` of
        `retry_after` seconds; `msn` limits it to one merchant's requests.

        `route` is a template such as ``ROUTE_ADD_RECEIPT``
        (``"POST /order-management/v2/{paymentType}/receipts/{orderId}"``)
        or ``"*"``. Returns the queued fault; raises `SimulatorError` with
        the simulator's reason when it refuses it.
        """
        spec: dict[str, Any] = {"route": route}
        for key, value in (
            ("status", status),
            ("count", count),
            ("retryAfter", retry_after),
            ("delayMs", delay_ms),
            ("msn", msn),
        ):
            if value is not None:
                spec[key] = value
        answer = self._call("POST", "/_sim/faults", spec)
        if isinstance(answer, dict):
            fault = answer.get("fault", answer)
            return fault if isinstance(fault, dict) else answer
        return {}

    def faults(self) -> list[dict[str, Any]]:
        """The queued faults, with their uses left."""
        return self._list("/_sim/faults", "faults")

    def clear_faults(self) -> None:
        """Remove every queued fault."""
        self._call("DELETE", "/_sim/faults")

    def requests(self) -> list[dict[str, Any]]:
        """The request log, oldest first: method, path, route, status,
        headers (secrets masked), body, warnings, ..."""
        return self._list("/_sim/requests", "requests")

    def orders(self) -> list[dict[str, Any]]:
        """Every stored order, per merchant: categories and receipt."""
        return self._list("/_sim/orders", "orders")

    def counters(self) -> dict[str, Any]:
        """Token requests, tokens issued, and requests per route and status."""
        answer = self._call("GET", "/_sim/counters")
        return answer if isinstance(answer, dict) else {}

    def _list(self, path: str, key: str) -> list[dict[str, Any]]:
        answer = self._call("GET", path)
        if isinstance(answer, dict) and isinstance(answer.get(key), list):
            return answer[key]
        raise SimulatorError(f"GET {path}: the answer has no {key!r} list")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        if not self.running:
            raise SimulatorError(
                f"{method} {path}: the simulator is not running "
                f"(exit code {self._process.returncode})"
            )
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT_S) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as error:
            text = error.read(ANSWER_QUOTED_BYTES).decode("utf-8", "replace")
            reason = text
            try:
                reason = json.loads(text).get("error", text)
            except (ValueError, AttributeError):
                pass
            raise SimulatorError(f"{method} {path}: {error.code}: {reason}") from None
        except OSError as error:
            raise SimulatorError(f"{method} {path}: {error}") from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise SimulatorError(
                f"{method} {path}: the answer is not JSON: {raw[:ANSWER_QUOTED_BYTES]!r}"
            ) from None


def _read_tail(path: str, limit: int) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _stop_process(process: subprocess.Popen, workdir: str) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    shutil.rmtree(workdir, ignore_errors=True)


def start_simulator(
    args: Sequence[str] = (),
    *,
    listen: str = "127.0.0.1:0",
    binary: str | None = None,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_S,
) -> Simulator:
    """Start `vipps-om sim` on `listen` (a free loopback port by default)
    and return it once it serves.

    `args` are more `vipps-om sim` options, e.g. ``["--strict"]`` or
    ``["--merchants", "merchants.toml"]``. `binary` defaults to
    `find_binary()` (``VIPPS_OM_BIN``, or the binary installed with this
    package). `env` adds variables to the simulator's environment (e.g.
    ``{"RUST_LOG": "warn"}``).
    """
    path = binary or find_binary()
    workdir = tempfile.mkdtemp(prefix="vipps-om-sim-")
    out_path = os.path.join(workdir, "sim.stdout")
    log_path = os.path.join(workdir, "sim.log")
    child_env = dict(os.environ)
    if env:
        child_env.update(env)
    command = [path, "sim", "--listen", listen, *args]
    with open(out_path, "wb") as out, open(log_path, "wb") as log:
        try:
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=log, env=child_env
            )
        except OSError as error:
            shutil.rmtree(workdir, ignore_errors=True)
            raise SimulatorError(f"could not run {path}: {error}") from None
    deadline = time.monotonic() + startup_timeout
    while True:
        first = _first_line(out_path)
        if first is not None:
            if first.startswith(("http://", "https://")):
                return Simulator(process, first.rstrip("/"), workdir)
            problem = f"printed {first[:200]!r} instead of its base URL"
            break
        if process.poll() is not None:
            problem = f"exited with code {process.returncode} before serving"
            break
        if time.monotonic() > deadline:
            problem = f"printed no base URL within {startup_timeout:g} s"
            break
        time.sleep(_POLL_S)
    tail = _read_tail(log_path, LOG_TAIL_BYTES).strip()
    _stop_process(process, workdir)
    raise SimulatorError(
        f"`{' '.join(command)}` {problem}"
        + (f"; its log ends:\n{tail}" if tail else "; it logged nothing")
    )


def _first_line(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            line = f.readline()
    except OSError:
        return None
    if not line.endswith(b"\n"):
        return None
    return line.decode("utf-8", "replace").strip()

