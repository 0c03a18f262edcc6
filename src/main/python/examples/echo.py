"""Echoes every text message back to its sender: the Python twin of io.switchboard.demo.EchoService.

    python3 src/main/python/examples/echo.py --path /py_echo

serves the service ``py_echo`` (route a path to it in gateway.json, or let discovery announce
``--path``; the shipped conf/bridge.json lets ``py_echo`` announce ``/py_echo`` only). A binary message cannot be echoed as binary over the TCP bridge (see the SDK's
module doc); it is answered with its length as text.
"""

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
    switchboard.main(Echo, "An echo service on Switchboard, in Python.")


if __name__ == "__main__":
    main()
