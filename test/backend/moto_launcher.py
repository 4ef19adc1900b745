"""Runs moto's server with retryctl's fidelity patches applied.

Usage: .venv/bin/python test/backend/moto_launcher.py [--port N] [--vanilla]

Prints one line ``READY http://127.0.0.1:<port>`` on stdout once the server
accepts connections (``--port 0``, the default, binds a free port), then serves
until SIGTERM/SIGINT, or until stdin closes with ``--exit-on-stdin-eof`` (so a
server whose parent died does not linger).
"""

import argparse
import os
import re
import signal
import sys
import threading
from importlib.metadata import version

HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(HERE, "requirements.txt")


def _pinned_moto() -> str:
    # requirements.txt is the single place the version is named.
    with open(REQUIREMENTS, encoding="utf-8") as f:
        for line in f:
            match = re.match(r"^\s*moto(\[[^\]]*\])?==([^\s#]+)", line)
            if match:
                return match.group(2)
    raise SystemExit(f"moto_launcher: no 'moto==<version>' pin in {REQUIREMENTS}")


def _check_pin() -> None:
    pinned = _pinned_moto()
    installed = version("moto")
    if installed != pinned:
        sys.stderr.write(
            f"moto_launcher: installed moto is {installed}, but the fidelity patches are written "
            f"against moto {pinned} (test/backend/requirements.txt). Re-run "
            "scripts/ensure-venv.sh, or move the pin and re-verify every patch.\n"
        )
        sys.exit(3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--vanilla",
        action="store_true",
        default=os.environ.get("RETRYCTL_MOTO_VANILLA") == "1",
        help="start moto without the fidelity patches (also RETRYCTL_MOTO_VANILLA=1)",
    )
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args()

    _check_pin()
    sys.path.insert(0, HERE)
    if not args.vanilla:
        import fidelity

        applied = fidelity.apply_all()
        sys.stderr.write(f"moto_launcher: fidelity patches applied: {', '.join(applied)}\n")
    else:
        sys.stderr.write("moto_launcher: vanilla moto (no fidelity patches)\n")

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    host, port = server.get_host_and_port()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if args.exit_on_stdin_eof:

        def watch_stdin() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            stop.set()

        threading.Thread(target=watch_stdin, daemon=True).start()

    print(f"READY http://{host}:{port}", flush=True)
    stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
