"""The Python SDK against a fake TCP bridge: framing, registering, replies to opens, pushes,
groups, discovery announces, the token, and reconnecting when the bridge drops.

Run: python3 -m unittest discover -s src/test/python -v   (PythonUnitTest runs it in mvn test)
"""

import asyncio
import json
import os
import socket
import stat
import struct
import sys
import tempfile
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
        self.presence_events = []
        self.still_members_at_close = []

    def on_joined(self, group, session_id, meta):
        self.presence_events.append(("joined", group, session_id, meta))

    def on_left(self, group, session_id, meta):
        self.presence_events.append(("left", group, session_id, meta))

    def on_open(self, session):
        if session.query == "refuse":
            raise RuntimeError("refused on purpose")
        session.join("all")
        self.events.put_nowait(("open", session))

    def on_message(self, session, message):
        self.events.put_nowait(("message", message))
        if message == "leave":
            session.leave("all")
            session.leave("all")  # a second leave says nothing
        elif message == "close":
            session.close(4000, "bye")
        elif isinstance(message, str):
            session.send("echo " + message)
            self.publish("all", "to all but " + session.id, session)

    def on_close(self, session, code, reason):
        self.still_members_at_close += [g for g in self.presence.groups() if session.id in self.presence.members(g)]
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
        for address in ("switchboard.service.probe", self.service.instance, "switchboard.registry.hello",
                        "switchboard.presence.probe"):
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
        self.assertEqual(("announce", "service", "probe", self.service.instance, ["/probe"], "close", 0, 1000),
                         (body["op"], body["role"], body["service"], body["instance"], body["paths"],
                          body["failover"], body["sessions"], body["heartbeatMs"]))
        # named as Java nodes are (pid@host), with the process's uptime
        self.assertEqual("%d@%s" % (os.getpid(), socket.gethostname()), body["node"])
        self.assertIsInstance(body["uptimeMs"], int)
        self.assertGreater(body["uptimeMs"], 0)
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
        self.assertEqual({"op": "withdraw", "role": "service", "service": "probe", "instance": self.service.instance,
                          "node": "%d@%s" % (os.getpid(), socket.gethostname())}, frame["body"])

    async def opened(self, sid):
        """A registered connection with one open session; the join and the open's reply consumed."""
        conn = await self.registered()
        conn.push(open_frame(sid))
        _, session = await self.event()
        await conn.next_frame()  # join
        await conn.next_frame()  # the reply
        return conn, session

    async def test_leave_sends_one_leave_and_ends_group_membership(self):
        conn, session = await self.opened("gw1.4")
        self.assertEqual(frozenset({"all"}), session.groups)
        conn.push({"type": "message", "address": self.service.instance, "send": True,
                   "headers": {"sb.op": "text", "sb.sid": "gw1.4"}, "body": "leave"})
        self.assertEqual(("message", "leave"), await self.event())
        leave = await conn.next_frame()
        self.assertEqual(("send", "switchboard.gateway.gw1", {"sb.op": "leave", "sb.sid": "gw1.4",
                                                              "sb.group": "probe/all", "sb.token": "t0ken"}),
                         (leave["type"], leave["address"], leave["headers"]))
        self.assertEqual(frozenset(), session.groups)
        self.service._write({"type": "ping"})  # a marker: nothing was sent between the leave and it
        self.assertEqual("ping", (await conn.next_frame(until_ping=True))["type"])

    async def test_a_service_side_close_asks_the_gateway_and_ends_on_its_answer(self):
        conn, session = await self.opened("gw1.5")
        conn.push({"type": "message", "address": self.service.instance, "send": True,
                   "headers": {"sb.op": "text", "sb.sid": "gw1.5"}, "body": "close"})
        self.assertEqual(("message", "close"), await self.event())
        close = await conn.next_frame()
        self.assertEqual(("switchboard.gateway.gw1", {"sb.op": "close", "sb.sid": "gw1.5", "sb.code": "4000",
                                                      "sb.reason": "bye", "sb.token": "t0ken"}),
                         (close["address"], close["headers"]))
        self.assertTrue(session.is_open, "open until the gateway says the socket closed")
        conn.push({"type": "message", "address": self.service.instance, "send": True,
                   "headers": {"sb.op": "close", "sb.sid": "gw1.5", "sb.code": "4000", "sb.reason": "bye"}})
        self.assertEqual(("close", "gw1.5", 4000, "bye"), await self.event())
        self.assertFalse(session.is_open)
        session.send("too late")  # a no-op after the close
        self.service._write({"type": "ping"})
        self.assertEqual("ping", (await conn.next_frame(until_ping=True))["type"])


    async def test_join_with_meta_attributes_and_presence_events(self):
        conn, session = await self.opened("gw1.8")
        self.assertEqual({"gw1.8": {}}, self.service.presence.members("all"), "its own join visible at once")
        session.join("room", {"name": "ada"})
        join = await conn.next_frame()
        self.assertEqual(({"sb.op": "join", "sb.sid": "gw1.8", "sb.group": "probe/room", "sb.token": "t0ken"},
                          {"name": "ada"}), (join["headers"], join["body"]))
        session.set_attribute("name", "ada")
        session.set_attribute("tmp", 1)
        session.set_attribute("tmp", None)
        for key, value in (("name", "ada"), ("tmp", 1), ("tmp", None)):
            attr = await conn.next_frame()
            self.assertEqual(("attr", {"key": key, "value": value}), (attr["headers"]["sb.op"], attr["body"]))
        self.assertEqual({"name": "ada"}, dict(session.attributes))
        with self.assertRaises(TypeError):
            session.attributes["x"] = 1  # a read-only view
        with self.assertRaises(TypeError):
            session.set_attribute("bad", object())
        # another gateway's member arrives as a delta; its own join is confirmed by its gateway
        conn.push(presence({"gw": "switchboard.gateway.gw2", "seq": 1,
                            "deltas": [["j", "room", "gw2.1", {"name": "bo"}]]}))
        conn.push(presence({"gw": "switchboard.gateway.gw1", "seq": 1,
                            "deltas": [["j", "all", "gw1.8", {}], ["j", "room", "gw1.8", {"name": "ada"}]]}))
        await self.until(lambda: self.service.presence.count("room") == 2)
        self.assertEqual({"gw1.8": {"name": "ada"}, "gw2.1": {"name": "bo"}}, self.service.presence.members("room"))
        self.assertEqual({"all", "room"}, self.service.presence.groups())
        self.assertIn(("joined", "room", "gw2.1", {"name": "bo"}), self.service.presence_events)
        # a gap: the replica asks gw2 for a snapshot, to its own instance address
        conn.push(presence({"gw": "switchboard.gateway.gw2", "seq": 3, "deltas": [["l", "room", "gw2.1"]]}))
        sync = await conn.next_frame()
        self.assertEqual(("switchboard.gateway.gw2", {"sb.op": "sync", "sb.svc": "probe", "sb.inst": self.service.instance,
                                                      "sb.token": "t0ken"}), (sync["address"], sync["headers"]))
        conn.push({"type": "message", "address": self.service.instance, "send": True, "headers": {"sb.op": "presence"},
                   "body": {"gw": "switchboard.gateway.gw2", "seq": 2, "snapshot": {"room": {"gw2.1": {"name": "bo"},
                                                                                              "gw2.2": {}}}}})
        await self.until(lambda: self.service.presence.count("room") == 2
                         and "gw2.2" in self.service.presence.members("room"))
        self.assertEqual({"gw1.8", "gw2.2"}, set(self.service.presence.members("room")), "snapshot, then delta 3")
        # a close: it has left its groups before on_close
        conn.push({"type": "message", "address": self.service.instance, "send": True,
                   "headers": {"sb.op": "close", "sb.sid": "gw1.8", "sb.code": "1000", "sb.reason": ""}})
        self.assertEqual(("close", "gw1.8", 1000, ""), await self.event())
        self.assertEqual([], self.service.still_members_at_close)
        self.assertEqual({"gw2.2"}, set(self.service.presence.members("room")))

    async def test_a_rebound_session_has_its_attributes_and_groups(self):
        conn = await self.registered()
        frame = open_frame("gw1.9")
        frame["headers"]["sb.rebind"] = "true"
        frame["body"]["attributes"] = {"name": "ada"}
        frame["body"]["groups"] = {"room": {"name": "ada"}}
        conn.push(frame)
        _, session = await self.event()
        self.assertTrue(session.rebound)
        self.assertEqual({"name": "ada"}, dict(session.attributes))
        self.assertEqual(frozenset({"room", "all"}), session.groups)

    async def test_a_numbered_message_taken_already_is_dropped(self):
        conn = await self.registered()
        conn.push(open_frame("gw1.5"))
        await self.event()
        for seq, text in ((1, "a"), (2, "b"), (2, "b again"), (1, "a again"), (None, "plain"), (3, "c")):
            headers = {"sb.op": "text", "sb.sid": "gw1.5"}
            if seq is not None:
                headers["sb.seq"] = str(seq)
            conn.push({"type": "message", "address": self.service.instance, "send": True, "headers": headers,
                       "body": text})
        got = [await self.event() for _ in range(4)]
        self.assertEqual([("message", "a"), ("message", "b"), ("message", "plain"), ("message", "c")], got)
        self.assertTrue(self.service.events.empty())

    async def until(self, condition):
        for _ in range(200):
            if condition():
                return
            await asyncio.sleep(0.02)
        self.fail("condition not met")


def presence(body):
    return {"type": "message", "address": "switchboard.presence.probe", "send": False,
            "headers": {"sb.op": "presence"}, "body": body}


class Slow(switchboard.Service):
    """Coroutine callbacks that yield to the loop: each must finish before the next frame is handled."""

    name = "slow"

    def __init__(self):
        super().__init__()
        self.log = []

    async def on_open(self, session):
        await asyncio.sleep(0.05)
        self.log.append("open " + session.id)

    async def on_message(self, session, message):
        self.log.append("start " + message)
        await asyncio.sleep(0.05)
        self.log.append("end " + message)
        session.send("done " + message)

    async def on_close(self, session, code, reason):
        await asyncio.sleep(0.01)
        self.log.append("close %d" % code)


class CoroutineCallbacksTest(unittest.IsolatedAsyncioTestCase):

    async def test_coroutine_callbacks_are_awaited_in_order(self):
        bridge = FakeBridge()
        await bridge.start()
        service = Slow()
        task = asyncio.ensure_future(service.serve("127.0.0.1", bridge.port, "t0ken"))
        try:
            conn = await bridge.next_connection()
            frame = open_frame("gw1.9", address="switchboard.service.slow")
            conn.push(frame)
            for body in ("a", "b"):
                conn.push({"type": "message", "address": service.instance, "send": True,
                           "headers": {"sb.op": "text", "sb.sid": "gw1.9"}, "body": body})
            conn.push({"type": "message", "address": service.instance, "send": True,
                       "headers": {"sb.op": "close", "sb.sid": "gw1.9", "sb.code": "1000", "sb.reason": ""}})
            pushes = []
            while len(pushes) < 3:
                f = await conn.next_frame()
                if f.get("type") == "send":
                    pushes.append(f.get("body") if f.get("body") is not None else f["address"])
            # the open's reply waits for the awaited on_open; each message's push follows its own end
            self.assertEqual([frame["replyAddress"], "done a", "done b"], pushes)
            for _ in range(100):
                if "close 1000" in service.log:
                    break
                await asyncio.sleep(0.02)
            self.assertEqual(["open gw1.9", "start a", "end a", "start b", "end b", "close 1000"], service.log)
        finally:
            service.stop()
            await asyncio.wait_for(task, TIMEOUT)
            await bridge.stop()


class TokenFileTest(unittest.IsolatedAsyncioTestCase):
    """With no token given, the SDK reads its service's token from the bridge's token file."""

    async def asyncSetUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.file = os.path.join(self.folder.name, "bridge.tokens")
        os.environ[switchboard.ENV_TOKEN_FILE] = self.file
        os.environ.pop(switchboard.ENV_TOKEN, None)

    async def asyncTearDown(self):
        del os.environ[switchboard.ENV_TOKEN_FILE]
        self.folder.cleanup()

    def write(self, services):
        with open(self.file, "w") as f:
            json.dump({"host": "127.0.0.1", "port": 1, "services": services}, f)
        os.chmod(self.file, stat.S_IRUSR | stat.S_IWUSR)

    async def test_reads_its_own_token_and_again_at_each_reconnect(self):
        self.write({"probe": "first-token-0123456789", "other": "not-mine-0123456789"})
        bridge = FakeBridge()
        await bridge.start()
        service = Recorder()
        task = asyncio.ensure_future(service.serve("127.0.0.1", bridge.port))
        try:
            conn = await bridge.next_connection()
            self.assertEqual({"sb.token": "first-token-0123456789"}, (await conn.next_frame())["headers"])
            self.write({"probe": "second-token-0123456789"})  # the bridge restarted with a fresh token
            conn.drop()
            conn2 = await bridge.next_connection()
            self.assertEqual({"sb.token": "second-token-0123456789"}, (await conn2.next_frame())["headers"])
        finally:
            service.stop()
            await asyncio.wait_for(task, TIMEOUT)
            await bridge.stop()

    def test_a_missing_file_or_entry_is_named(self):
        with self.assertRaisesRegex(ValueError, "does not exist .*SWITCHBOARD_BRIDGE_TOKEN"):
            switchboard.read_token("probe", 7000)
        self.write({"other": "x"})
        with self.assertRaisesRegex(ValueError, "no token for service 'probe' .* lists other"):
            switchboard.read_token("probe", 7000)

    def test_the_default_file_is_per_port_under_the_home_folder(self):
        del os.environ[switchboard.ENV_TOKEN_FILE]
        try:
            self.assertEqual(os.path.join(os.path.expanduser("~"), ".switchboard", "bridge-7000.tokens"),
                             switchboard.token_file(7000))
        finally:
            os.environ[switchboard.ENV_TOKEN_FILE] = self.file


if __name__ == "__main__":
    unittest.main()
