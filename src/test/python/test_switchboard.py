"""The Python SDK against a fake TCP bridge: framing, registering, replies to opens, pushes,
groups, discovery announces, the token, and reconnecting when the bridge drops.

Run: python3 -m unittest discover -s src/test/python -v   (PythonServiceTest runs it in mvn test)
"""

import asyncio
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "main", "python"))
import switchboard  # noqa: E402

TIMEOUT = 20.0


class FakeBridge:
    """A TCP server speaking the bridge's framing; records what clients send, lets a test push."""

    def __init__(self):
        self.connections = asyncio.Queue()
        self.writers = []
        self.server = None
        self.port = None

    async def start(self):
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _accept(self, reader, writer):
        self.writers.append(writer)
        await self.connections.put(Connection(reader, writer))

    async def next_connection(self):
        return await asyncio.wait_for(self.connections.get(), TIMEOUT)

    async def stop(self):
        for writer in self.writers:
            writer.close()
        self.server.close()
        await self.server.wait_closed()


class Connection:
    """One client connection as the bridge sees it."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.decoder = switchboard.FrameDecoder()
        self.pending = []

    async def next_frame(self, skip_announces=True, until_ping=False):
        """The next frame the client sent; pings are answered (pong) and skipped, or returned."""
        deadline = asyncio.get_running_loop().time() + TIMEOUT  # heartbeats must not extend it
        while True:
            while not self.pending:
                remaining = deadline - asyncio.get_running_loop().time()
                chunk = await asyncio.wait_for(self.reader.read(65536), max(remaining, 0.001))
                if not chunk:
                    raise EOFError("client closed the connection")
                self.pending.extend(self.decoder.feed(chunk))
            frame = self.pending.pop(0)
            if frame.get("type") == "ping":
                self.push({"type": "pong"})
                if until_ping:
                    return frame
                continue
            if until_ping:
                continue
            if skip_announces and frame.get("address") == switchboard.REGISTRY \
                    and frame.get("body", {}).get("op") == "announce":
                continue
            return frame

    def push(self, frame):
        self.writer.write(switchboard.encode_frame(frame))

    def drop(self):
        self.writer.close()


class Recorder(switchboard.Service):
    """Records callbacks; echoes text; refuses opens on query 'refuse'."""

    name = "probe"
    paths = ["/probe"]

    def __init__(self):
        super().__init__()
        self.events = asyncio.Queue()

    def on_open(self, session):
        if session.query == "refuse":
            raise RuntimeError("refused on purpose")
        session.join("all")
        self.events.put_nowait(("open", session))

    def on_message(self, session, message):
        self.events.put_nowait(("message", message))
        if isinstance(message, str):
            session.send("echo " + message)
            self.publish("all", "to all but " + session.id, session)

    def on_close(self, session, code, reason):
        self.events.put_nowait(("close", session.id, code, reason))


def open_frame(sid, query=None, address="switchboard.service.probe"):
    return {"type": "message", "address": address, "replyAddress": "__vertx.reply.%s" % sid, "send": True,
            "headers": {"sb.op": "open", "sb.sid": sid, "sb.gw": "switchboard.gateway.gw1"},
            "body": {"service": "probe", "path": "/probe", "query": query, "remoteAddress": "127.0.0.1:5",
                     "headers": {"origin": "http://x"}}}


class FramingTest(unittest.TestCase):

    def test_a_frame_is_a_big_endian_length_and_json(self):
        frame = switchboard.encode_frame({"type": "ping"})
        self.assertEqual(struct.pack(">I", len(b'{"type":"ping"}')) + b'{"type":"ping"}', frame)

    def test_the_decoder_reassembles_frames_split_anywhere(self):
        data = b"".join(switchboard.encode_frame({"type": "message", "body": "h\u00e9llo %d" % i}) for i in range(3))
        decoder = switchboard.FrameDecoder()
        frames = []
        for i in range(len(data)):
            frames.extend(decoder.feed(data[i:i + 1]))
        self.assertEqual(["h\u00e9llo 0", "h\u00e9llo 1", "h\u00e9llo 2"], [f["body"] for f in frames])

    def test_bad_settings_are_named(self):
        os.environ[switchboard.ENV_PORT] = "70x"
        try:
            with self.assertRaisesRegex(ValueError, "SWITCHBOARD_BRIDGE_PORT must be a port number"):
                switchboard.resolve_bridge()
        finally:
            del os.environ[switchboard.ENV_PORT]
        with self.assertRaisesRegex(ValueError, "service name"):
            switchboard.Service(name="no spaces")


class ServiceOverBridgeTest(unittest.IsolatedAsyncioTestCase):

    async def asyncSetUp(self):
        self.bridge = FakeBridge()
        await self.bridge.start()
        self.service = Recorder()
        self.task = asyncio.ensure_future(self.service.serve("127.0.0.1", self.bridge.port, "t0ken"))

    async def asyncTearDown(self):
        self.service.stop()
        await asyncio.wait_for(self.task, TIMEOUT)
        await self.bridge.stop()

    async def registered(self):
        """Accepts the service's connection and checks what it registers, in order."""
        conn = await self.bridge.next_connection()
        for address in ("switchboard.service.probe", self.service.instance, "switchboard.registry.hello"):
            frame = await conn.next_frame()
            self.assertEqual({"type": "register", "address": address, "headers": {"sb.token": "t0ken"}}, frame)
        return conn

    async def event(self):
        return await asyncio.wait_for(self.service.events.get(), TIMEOUT)

    async def test_registers_announces_and_answers_hello(self):
        conn = await self.registered()
        announce = await conn.next_frame(skip_announces=False)
        self.assertEqual("publish", announce["type"])
        self.assertEqual("switchboard.registry", announce["address"])
        body = announce["body"]
        self.assertEqual(("announce", "probe", self.service.instance, ["/probe"], "close", 0),
                         (body["op"], body["service"], body["instance"], body["paths"], body["failover"],
                          body["sessions"]))
        conn.push({"type": "message", "address": "switchboard.registry.hello", "send": False, "body": {}})
        again = await conn.next_frame(skip_announces=False)
        self.assertEqual("announce", again["body"]["op"])

    async def test_opens_a_session_relays_and_closes_it(self):
        conn = await self.registered()
        conn.push(open_frame("gw1.1"))
        kind, session = await self.event()
        self.assertEqual(("open", "/probe", "http://x"), (kind, session.path, session.headers["origin"]))
        join = await conn.next_frame()
        self.assertEqual({"sb.op": "join", "sb.sid": "gw1.1", "sb.group": "probe/all", "sb.token": "t0ken"},
                         join["headers"])
        reply = await conn.next_frame()
        self.assertEqual({"type": "send", "address": "__vertx.reply.gw1.1",
                          "headers": {"sb.inst": self.service.instance, "sb.token": "t0ken"}}, reply)

        conn.push({"type": "message", "address": self.service.instance, "send": True,
                   "headers": {"sb.op": "text", "sb.sid": "gw1.1"}, "body": "hi"})
        self.assertEqual(("message", "hi"), await self.event())
        push = await conn.next_frame()
        self.assertEqual(("send", "switchboard.gateway.gw1", "echo hi", "text"),
                         (push["type"], push["address"], push["body"], push["headers"]["sb.op"]))
        group = await conn.next_frame()
        self.assertEqual(("publish", "switchboard.groups", "probe/all", "gw1.1"),
                         (group["type"], group["address"], group["headers"]["sb.group"],
                          group["headers"]["sb.except"]))

        # binary travels as base64url without padding, as Vert.x encodes a Buffer in JSON
        conn.push({"type": "message", "address": self.service.instance, "send": True,
                   "headers": {"sb.op": "binary", "sb.sid": "gw1.1"}, "body": "_wB_AQI"})
        self.assertEqual(("message", b"\xff\x00\x7f\x01\x02"), await self.event())
        with self.assertRaises(TypeError):
            session.send(b"\x00")

        conn.push({"type": "message", "address": self.service.instance, "send": True,
                   "headers": {"sb.op": "close", "sb.sid": "gw1.1", "sb.code": "1001", "sb.reason": "bye"}})
        self.assertEqual(("close", "gw1.1", 1001, "bye"), await self.event())
        self.assertFalse(session.is_open)
        self.assertEqual({}, self.service.sessions)

    async def test_an_open_on_the_instance_address_is_served_too(self):
        conn = await self.registered()
        conn.push(open_frame("gw1.7", address=self.service.instance))
        kind, _ = await self.event()
        self.assertEqual("open", kind)

    async def test_a_failing_on_open_refuses_the_session_with_1011(self):
        conn = await self.registered()
        conn.push(open_frame("gw1.2", query="refuse"))
        reply = await conn.next_frame()
        self.assertEqual(("__vertx.reply.gw1.2", 1011, "Service probe failed to open the session"),
                         (reply["address"], reply["failureCode"], reply["message"]))
        self.assertEqual({}, self.service.sessions)

    async def test_reconnects_registers_again_and_ends_the_sessions_it_held(self):
        conn = await self.registered()
        conn.push(open_frame("gw1.3"))
        await self.event()
        conn.drop()
        conn2 = await self.registered()  # the same instance address registered again
        self.assertEqual(("close", "gw1.3", 1012, "bus connection lost"), await self.event())
        close = await conn2.next_frame()
        self.assertEqual(("switchboard.gateway.gw1", "close", "gw1.3", "1012"),
                         (close["address"], close["headers"]["sb.op"], close["headers"]["sb.sid"],
                          close["headers"]["sb.code"]))
        self.assertTrue(self.service.connected)

    async def test_says_ready_only_once_the_bridge_took_its_frames(self):
        with self.assertLogs("switchboard", "INFO") as logs:
            refused = await self.bridge.next_connection()
            while (await refused.next_frame(skip_announces=False)).get("address") != switchboard.REGISTRY:
                pass  # the bridge refuses: no pong, an err frame, the connection closed
            refused.push({"type": "err", "message": "switchboard bridge: missing or wrong token"})
            refused.drop()
            conn = await self.registered()
            await conn.next_frame(until_ping=True)
            for _ in range(100):
                if any("service probe ready" in line for line in logs.output):
                    break
                await asyncio.sleep(0.05)
        said = "\n".join(logs.output)
        self.assertIn("refused a frame: switchboard bridge: missing or wrong token", said)
        self.assertEqual(1, said.count("service probe ready"), said)
        self.assertNotIn("reconnected", said)
        self.assertLess(said.index("wrong token"), said.index("service probe ready"))

    async def test_withdraws_on_stop(self):
        conn = await self.registered()
        self.service.stop()
        while True:
            frame = await conn.next_frame()
            if frame.get("address") == "switchboard.registry":
                break
        self.assertEqual({"op": "withdraw", "service": "probe", "instance": self.service.instance}, frame["body"])


if __name__ == "__main__":
    unittest.main()
