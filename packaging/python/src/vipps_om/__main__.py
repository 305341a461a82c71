"""``python -m vipps_om ARGS``: runs the installed ``vipps-om`` binary."""

from __future__ import annotations

import os
import subprocess
import sys

from ._binary import BinaryNotFound, find_binary


def main() -> int:
    try:
        binary = find_binary()
    except BinaryNotFound as error:
        print(f"vipps-om: {error}", file=sys.stderr)
        return 2
    if sys.platform == "win32":
        return subprocess.run([binary, *sys.argv[1:]]).returncode
    os.execv(binary, [binary, *sys.argv[1:]])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
