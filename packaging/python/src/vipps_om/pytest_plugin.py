"""pytest plugin of the vipps-om package: the `vipps_om_sim` fixture.

Installed with the package (entry point ``pytest11``), nothing to
configure::

    def test_receipt(vipps_om_sim):
        shop = Shop(base_url=vipps_om_sim.base_url, **vars(vipps_om_sim.credentials))
        ...
        assert vipps_om_sim.orders()[0]["receipt"]

The fixture starts ``vipps-om sim`` on a free loopback port and stops it
afterwards. Its scope is ``session`` (one simulator for the whole run:
call ``vipps_om_sim.reset()`` where a test needs a clean one) unless
``vipps_om_sim_scope`` in the ini file or ``--vipps-om-sim-scope`` says
otherwise (``function`` starts one per test). With pytest-xdist each
worker is its own session, so each gets its own simulator on its own port.
``vipps_om_sim_function`` is always one simulator per test, for the tests
that need their own next to a shared one. ``vipps_om_sim_args`` (ini)
passes more ``vipps-om sim`` options to both, e.g. ``--strict``.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from ._binary import BinaryNotFound
from .simulator import Simulator, SimulatorError, start_simulator

#: The scopes `vipps_om_sim_scope` accepts.
SCOPES = ("session", "package", "module", "class", "function")
_DEFAULT_SCOPE = "session"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vipps-om", "vipps-om simulator")
    group.addoption(
        "--vipps-om-sim-scope",
        choices=SCOPES,
        default=None,
        help="scope of the vipps_om_sim fixture (default: the ini value, else session)",
    )
    parser.addini(
        "vipps_om_sim_scope",
        help="scope of the vipps_om_sim fixture: " + ", ".join(SCOPES) + " (default session)",
        default=_DEFAULT_SCOPE,
    )
    parser.addini(
        "vipps_om_sim_args",
        help="more `vipps-om sim` options for the vipps_om_sim fixture, e.g. --strict",
        type="args",
        default=[],
    )


def _scope(fixture_name: str, config: pytest.Config) -> str:
    scope = config.getoption("--vipps-om-sim-scope") or config.getini("vipps_om_sim_scope")
    scope = str(scope).strip() or _DEFAULT_SCOPE
    if scope not in SCOPES:
        raise pytest.UsageError(
            f"vipps_om_sim_scope = {scope!r} is not a pytest scope; use one of: "
            + ", ".join(SCOPES)
        )
    return scope


def _running_simulator(config: pytest.Config, fixture: str) -> Iterator[Simulator]:
    try:
        sim = start_simulator(config.getini("vipps_om_sim_args"))
    except (BinaryNotFound, SimulatorError) as error:
        pytest.fail(f"{fixture}: {error}", pytrace=False)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope=_scope)
def vipps_om_sim(pytestconfig: pytest.Config) -> Iterator[Simulator]:
    """A running `vipps-om sim`: ``base_url``, ``credentials`` (the demo
    merchant), ``env()``, and ``reset()``, ``inject_fault(...)``,
    ``requests()``, ``orders()``, ``counters()``. Session-scoped unless
    ``vipps_om_sim_scope`` says otherwise."""
    yield from _running_simulator(pytestconfig, "vipps_om_sim")


@pytest.fixture
def vipps_om_sim_function(pytestconfig: pytest.Config) -> Iterator[Simulator]:
    """The same as `vipps_om_sim`, but a simulator of this test's own,
    started for it and stopped after it, whatever `vipps_om_sim`'s scope."""
    yield from _running_simulator(pytestconfig, "vipps_om_sim_function")
