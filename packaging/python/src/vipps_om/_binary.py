"""Finding the `vipps-om` binary: `VIPPS_OM_BIN`, or the one this package installed."""

from __future__ import annotations

import os
import sys
import sysconfig

#: Environment variable naming a `vipps-om` binary to use instead of the
#: installed one (for example `target/release/vipps-om` of a cargo build).
BIN_ENV = "VIPPS_OM_BIN"

_EXE = "vipps-om" + (sysconfig.get_config_var("EXE") or "")


class BinaryNotFound(FileNotFoundError):
    """Neither `VIPPS_OM_BIN` nor an installed `vipps-om` binary was found."""


def _user_scripts_dir() -> str | None:
    try:
        if sys.version_info >= (3, 10):
            scheme = sysconfig.get_preferred_scheme("user")
        elif os.name == "nt":
            scheme = "nt_user"
        elif sys.platform == "darwin" and getattr(sys, "_framework", None):
            scheme = "osx_framework_user"
        else:
            scheme = "posix_user"
        return sysconfig.get_path("scripts", scheme=scheme)
    except (KeyError, ValueError):
        return None


def _candidates() -> list[str]:
    dirs = [sysconfig.get_path("scripts"), _user_scripts_dir()]
    # A virtual environment's interpreter sits next to its scripts, also
    # when sysconfig points elsewhere (some embedded or relocated setups).
    dirs.append(os.path.dirname(sys.executable))
    seen: list[str] = []
    for folder in dirs:
        if folder:
            path = os.path.join(folder, _EXE)
            if path not in seen:
                seen.append(path)
    return seen


def _is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_binary() -> str:
    """Return the path of the `vipps-om` binary.

    `VIPPS_OM_BIN`, when set, wins (and must name an executable file);
    otherwise the binary that the `vipps-om` wheel installed into this
    interpreter's scripts folder (a virtual environment's `bin/`, or the
    user scripts folder of `pip install --user`).

    Raises `BinaryNotFound` with what to do when neither exists.
    """
    override = os.environ.get(BIN_ENV, "")
    if override:
        if _is_executable(override):
            return override
        reason = "does not exist" if not os.path.exists(override) else "is not an executable file"
        raise BinaryNotFound(
            f"{BIN_ENV}={override} {reason}: point {BIN_ENV} at a vipps-om binary "
            "(e.g. target/release/vipps-om after `cargo build --release -p vipps-om-cli`), "
            f"or unset it to use the one installed with the vipps-om Python package"
        )
    tried = _candidates()
    for path in tried:
        if _is_executable(path):
            return path
    raise BinaryNotFound(
        "the vipps-om binary was not found (looked in: "
        + ", ".join(tried)
        + "): install it into this environment with `pip install vipps-om`, "
        f"or set {BIN_ENV} to the path of a vipps-om binary"
    )
