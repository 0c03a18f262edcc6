"""Echoes every text message back to its sender: the Python twin of io.switchboard.demo.EchoService.

    python3 src/main/python/examples/echo.py --path /py_echo

serves the service ``py_echo`` (route a path to it in gateway.json, or let discovery announce
``--path``). A binary message cannot be echoed as binary over the TCP bridge (see the SDK's
module doc); it is answered with its length as text.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import switchboard  # noqa: E402


class Echo(switchboard.Service):
    """Sends each message back to the session it came from."""

    name = "py_echo"
    paths = ["/py_echo"]

    def on_message(self, session, message):
        if isinstance(message, str):
            session.send(message)
        else:
            session.send("%d bytes" % len(message))


def main():
    parser = argparse.ArgumentParser(description="An echo service on Switchboard, in Python.")
    parser.add_argument("--name", default=Echo.name, help="service name gateways route to (default %(default)s)")
    parser.add_argument("--path", action="append", help="WebSocket path to announce (default /py_echo)")
    parser.add_argument("--bridge-host", help="TCP bridge host (default $%s or %s)"
                        % (switchboard.ENV_HOST, switchboard.DEFAULT_BRIDGE_HOST))
    parser.add_argument("--bridge-port", type=int, help="TCP bridge port (default $%s or %d)"
                        % (switchboard.ENV_PORT, switchboard.DEFAULT_BRIDGE_PORT))
    parser.add_argument("--token", help="bridge token (default $%s)" % switchboard.ENV_TOKEN)
    args = parser.parse_args()
    switchboard.run(Echo(args.name, args.path), args.bridge_host, args.bridge_port, args.token)


if __name__ == "__main__":
    main()
