"""Tools and a local simulator for the Vipps MobilePay Order Management API.

This package installs the ``vipps-om`` command (``vipps-om --help``,
``vipps-om sim``) and helps tests start the simulator:

* in pytest, the ``vipps_om_sim`` fixture (see ``vipps_om.pytest_plugin``);
* anywhere, ``start_simulator()``::

    from vipps_om import start_simulator

    with start_simulator() as sim:
        print(sim.base_url, sim.credentials.client_id)
        sim.inject_fault(ROUTE_ADD_RECEIPT, 503)

The binary is the one installed with this package, or ``VIPPS_OM_BIN``
when set (``find_binary()``).
"""

from __future__ import annotations

from ._binary import BIN_ENV, BinaryNotFound, find_binary
from .simulator import (
    DEMO_MERCHANT,
    ROUTE_ADD_RECEIPT,
    ROUTE_GET_ORDER,
    ROUTE_SET_CATEGORY,
    ROUTE_TOKEN,
    ROUTE_UPLOAD_IMAGE,
    Credentials,
    Simulator,
    SimulatorError,
    start_simulator,
)

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("vipps-om")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0+unknown"

__all__ = [
    "BIN_ENV",
    "BinaryNotFound",
    "Credentials",
    "DEMO_MERCHANT",
    "ROUTE_ADD_RECEIPT",
    "ROUTE_GET_ORDER",
    "ROUTE_SET_CATEGORY",
    "ROUTE_TOKEN",
    "ROUTE_UPLOAD_IMAGE",
    "Simulator",
    "SimulatorError",
    "find_binary",
    "start_simulator",
]
