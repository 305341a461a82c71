"""Tests of the installed vipps-om package: the binary, start_simulator and
the vipps_om_sim fixture (run in inner pytest sessions with pytester).

Run from a virtual environment where the wheel is installed
(`.ci/packages-shops.sh` does), with pytest and pytest-xdist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig

import pytest

import vipps_om


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it has stopped all the same.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def test_the_wheel_installed_the_binary_into_the_environment():
    binary = vipps_om.find_binary()
    assert os.path.dirname(binary) == sysconfig.get_path("scripts")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"vipps-om {vipps_om.__version__}"


def test_python_m_vipps_om_runs_the_binary():
    done = subprocess.run([sys.executable, "-m", "vipps_om", "sim", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "--listen" in done.stdout


def test_vipps_om_bin_wins_and_a_wrong_one_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("VIPPS_OM_BIN", str(tmp_path / "nope"))
    with pytest.raises(vipps_om.BinaryNotFound, match=r"VIPPS_OM_BIN=.*nope does not exist"):
        vipps_om.find_binary()
    not_executable = tmp_path / "vipps-om"
    not_executable.write_text("")
    monkeypatch.setenv("VIPPS_OM_BIN", str(not_executable))
    with pytest.raises(vipps_om.BinaryNotFound, match="is not an executable file"):
        vipps_om.start_simulator()


def test_start_simulator_serves_and_stop_ends_the_process():
    with vipps_om.start_simulator() as sim:
        assert sim.base_url.startswith("http://127.0.0.1:")
        assert sim.credentials.merchant_serial_number == "123456"
        assert "demo-client-secret" not in repr(sim.credentials)
        fault = sim.inject_fault(vipps_om.ROUTE_GET_ORDER, 503, count=2, retry_after=1)
        assert fault["count"] == 2 and fault["status"] == 503
        assert len(sim.faults()) == 1
        sim.reset()
        assert sim.faults() == [] and sim.orders() == [] and sim.requests() == []
        pid = sim.pid
        assert _alive(pid)
    assert not sim.running
    assert not _alive(pid)
    with pytest.raises(vipps_om.SimulatorError, match="not running"):
        sim.orders()


def test_a_refused_fault_raises_with_the_simulators_reason():
    with vipps_om.start_simulator() as sim:
        with pytest.raises(vipps_om.SimulatorError, match=r'400: "GET /nope" is not a route'):
            sim.inject_fault("GET /nope", 503)


def test_a_simulator_that_cannot_start_says_why():
    with pytest.raises(vipps_om.SimulatorError) as failure:
        vipps_om.start_simulator(["--store-mib", "not-a-number"])
    message = str(failure.value)
    assert "exited with code 2 before serving" in message
    assert "--store-mib" in message


INNER_TESTS = """
import json, os

def _record(sim, name):
    with open(os.environ["RECORD"], "a") as f:
        f.write(json.dumps({"test": name, "url": sim.base_url, "pid": sim.pid,
                            "worker": os.environ.get("PYTEST_XDIST_WORKER", "main")}) + "\\n")

def test_one(vipps_om_sim):
    _record(vipps_om_sim, "one")
    assert vipps_om_sim.orders() == []

def test_two(vipps_om_sim):
    _record(vipps_om_sim, "two")

def test_three(vipps_om_sim):
    _record(vipps_om_sim, "three")

def test_four(vipps_om_sim):
    _record(vipps_om_sim, "four")
"""


def _run_inner(pytester, monkeypatch, *args, ini=""):
    record = pytester.path / "record.jsonl"
    record.unlink(missing_ok=True)
    monkeypatch.setenv("RECORD", str(record))
    pytester.makepyfile(test_inner=INNER_TESTS)
    if ini:
        pytester.makeini(ini)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    rows = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
    return result, rows


def test_fixture_is_session_scoped_by_default_and_stopped_after(pytester, monkeypatch):
    result, rows = _run_inner(pytester, monkeypatch)
    result.assert_outcomes(passed=4)
    assert len({r["url"] for r in rows}) == 1
    assert not _alive(rows[0]["pid"])


def test_function_scope_from_the_ini_file_starts_one_per_test(pytester, monkeypatch):
    result, rows = _run_inner(pytester, monkeypatch, ini="[pytest]\nvipps_om_sim_scope = function\n")
    result.assert_outcomes(passed=4)
    assert len({r["pid"] for r in rows}) == 4
    assert not any(_alive(r["pid"]) for r in rows)


def test_function_scope_from_the_command_line(pytester, monkeypatch):
    result, rows = _run_inner(pytester, monkeypatch, "--vipps-om-sim-scope", "function")
    result.assert_outcomes(passed=4)
    assert len({r["pid"] for r in rows}) == 4


def test_the_function_variant_is_per_test_next_to_a_shared_one(pytester, monkeypatch):
    inner = INNER_TESTS + """
def test_own(vipps_om_sim, vipps_om_sim_function):
    _record(vipps_om_sim_function, "own")
    assert vipps_om_sim_function.base_url != vipps_om_sim.base_url

def test_own_again(vipps_om_sim_function):
    _record(vipps_om_sim_function, "own_again")
"""
    record = pytester.path / "record.jsonl"
    monkeypatch.setenv("RECORD", str(record))
    pytester.makepyfile(test_inner=inner)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
    rows = [json.loads(line) for line in record.read_text().splitlines()]
    shared = {r["pid"] for r in rows if r["test"] in ("one", "two", "three", "four")}
    own = [r["pid"] for r in rows if r["test"].startswith("own")]
    assert len(shared) == 1
    assert len(set(own)) == 2 and not shared & set(own)
    assert not any(_alive(r["pid"]) for r in rows)


def test_pytest_xdist_gives_each_worker_its_own_simulator(pytester, monkeypatch):
    # Two files with --dist loadfile: one for each worker.
    pytester.makepyfile(test_inner2=INNER_TESTS.replace('"one"', '"five"'))
    result, rows = _run_inner(pytester, monkeypatch, "-n", "2", "--dist", "loadfile")
    result.assert_outcomes(passed=8)
    by_worker = {}
    for row in rows:
        by_worker.setdefault(row["worker"], set()).add(row["url"])
    assert len(by_worker) == 2, by_worker
    assert all(len(urls) == 1 for urls in by_worker.values()), by_worker
    first, second = by_worker.values()
    assert first != second
    assert not any(_alive(r["pid"]) for r in rows)


def test_sim_args_from_the_ini_file_reach_the_simulator(pytester, monkeypatch):
    pytester.makeini("[pytest]\nvipps_om_sim_args = --store-mib 0\n")
    pytester.makepyfile(
        test_args="def test_it(vipps_om_sim):\n    pass\n",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*vipps_om_sim:*--store-mib 0*"])


def test_a_missing_binary_fails_the_test_with_what_to_do(pytester, monkeypatch):
    monkeypatch.setenv("VIPPS_OM_BIN", str(pytester.path / "no-such-binary"))
    pytester.makepyfile(test_missing="def test_it(vipps_om_sim):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*vipps_om_sim: VIPPS_OM_BIN=*no-such-binary does not exist*"])
    assert "Traceback" not in result.stdout.str()


def test_a_wrong_scope_is_a_usage_error(pytester):
    pytester.makeini("[pytest]\nvipps_om_sim_scope = forever\n")
    pytester.makepyfile(test_scope="def test_it(vipps_om_sim):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != 0
    assert "vipps_om_sim_scope = 'forever' is not a pytest scope" in result.stdout.str() + result.stderr.str()
