"""Switchboard services in Python, over the Vert.x TCP event-bus bridge.

One module, standard library only (asyncio), Python 3.9 or later. A Python service joins the
Switchboard bus exactly as a Java ``ServiceVerticle`` does (docs/protocol.md): gateways route
WebSocket paths to it by its name, and it answers with the same pushes, groups and closes::

    import switchboard

    class Shout(switchboard.Service):
        name = "shout"
        paths = ["/shout"]

        def on_open(self, session):
            session.join("everyone")

        def on_message(self, session, message):
            self.publish("everyone", message.upper())

    switchboard.run(Shout())

The service connects to the TCP bridge of a services JVM (``io.switchboard.bridge.TcpBridgeVerticle``,
which ``launcher/demo`` opens on 127.0.0.1:7000). Host and port come from the arguments of
:func:`run`, else from ``SWITCHBOARD_BRIDGE_HOST`` and ``SWITCHBOARD_BRIDGE_PORT``, else the
defaults. The token, which names the one service this connection may serve, comes from the
``token`` argument, else ``SWITCHBOARD_BRIDGE_TOKEN``, else the bridge's token file (the
service's entry in ``SWITCHBOARD_BRIDGE_TOKEN_FILE``, by default
``~/.switchboard/bridge-<port>.tokens``, which the bridge writes at every start, readable by its
user only); the file is read again at each reconnect. When the bridge cannot be reached, or the
connection drops, the service says so on stderr and keeps retrying; once connected again it
registers again. Sessions it held before the drop are closed (1012, "reconnect at once"), since
messages of theirs may have been lost meanwhile.

Callbacks run on the asyncio event loop, one at a time, in order per session; they may be plain
functions or coroutines (a coroutine is awaited before the next frame is handled). They must not
block.

Presence and session state: ``session.join(group, meta)`` joins with a member meta that every
instance of the service sees in ``self.presence.members(group)`` / ``.count(group)`` /
``.groups()`` and hears of in ``on_joined`` / ``on_left`` (the gateways publish numbered deltas on
``switchboard.presence.<name>``, docs/protocol.md); ``session.set_attribute(key, value)`` keeps a
JSON value with the session at its gateway, so that with ``failover = "rebind"`` the instance a
session is re-opened on has its ``session.attributes`` and ``session.groups`` at once.

Binary messages: a client's binary message reaches :meth:`Service.on_message` as ``bytes`` (the
bridge carries it as base64url text). A service cannot *send* binary messages: the bridge turns
every body into JSON, and gateways expect binary pushes as Vert.x buffers, so :meth:`Session.send`
and :meth:`Service.publish` take ``str`` only and raise ``TypeError`` for ``bytes``.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import logging
import os
import signal
import socket
import struct
import sys
import time
import types
import uuid
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

__all__ = [
    "Service", "Session", "run", "encode_frame", "FrameDecoder", "resolve_bridge",
    "DEFAULT_BRIDGE_HOST", "DEFAULT_BRIDGE_PORT", "token_file", "read_token",
]

log = logging.getLogger("switchboard")

# --- The protocol: the same names as io.switchboard.protocol (Addresses, Headers, Op) -------------

PREFIX = "switchboard."
REGISTRY = PREFIX + "registry"
REGISTRY_HELLO = PREFIX + "registry.hello"
GROUPS = PREFIX + "groups"

H_OP = "sb.op"
H_SESSION = "sb.sid"
H_GATEWAY = "sb.gw"
H_INSTANCE = "sb.inst"
H_CODE = "sb.code"
H_REASON = "sb.reason"
H_GROUP = "sb.group"
H_EXCEPT = "sb.except"
H_REBIND = "sb.rebind"
H_SEQ = "sb.seq"  # a client's number for a text message (switchboard.v1 clients): taken once per session
H_RESUME = "sb.resume"  # on a rebind open: a client resumed the session
H_TOKEN = "sb.token"  # checked and removed by the bridge (TcpBridgeOptions.TOKEN_HEADER)
H_SERVICE = "sb.svc"

OP_OPEN, OP_TEXT, OP_BINARY, OP_CLOSE, OP_JOIN, OP_LEAVE = "open", "text", "binary", "close", "join", "leave"
# "the receiver does not hold the session (any more)": a gateway sends it to an instance it moved
# a session away from, and Java services answer a frame for a session they ended with it
# (docs/protocol.md); this SDK handles the first and does not send the second.
OP_EXPIRED = "expired"
OP_TEXT_SEQ = "text-seq"  # a numbered text inside Java batches only; over the bridge it is OP_TEXT with H_SEQ
OP_ATTR, OP_PRESENCE, OP_SYNC = "attr", "presence", "sync"

# presence (protocol.PresenceWire): a gateway's numbered deltas, beacons and snapshots
PRESENCE_SYNC_TIMEOUT_SECONDS = 5.0
"""How long a snapshot asked of a gateway is awaited before it is asked again at its next change."""
PRESENCE_LOST_SECONDS = 30.0
"""A gateway silent for this long (it beacons every 2 s) is taken as lost: its members leave."""
PRESENCE_MAX_BUFFERED = 1024

NORMAL = 1000
INTERNAL_ERROR = 1011
SERVICE_RESTART = 1012

DEFAULT_BRIDGE_HOST = "127.0.0.1"
DEFAULT_BRIDGE_PORT = 7000
ENV_HOST = "SWITCHBOARD_BRIDGE_HOST"
ENV_PORT = "SWITCHBOARD_BRIDGE_PORT"
ENV_TOKEN = "SWITCHBOARD_BRIDGE_TOKEN"
ENV_TOKEN_FILE = "SWITCHBOARD_BRIDGE_TOKEN_FILE"
TOKEN_FOLDER = ".switchboard"

HEARTBEAT_SECONDS = 1.0
NODE = "%d@%s" % (os.getpid(), socket.gethostname())  # pid@host, as Java nodes name themselves
_STARTED = time.monotonic()  # the uptime announced counts from when the SDK was loaded
RETRY_MIN_SECONDS = 0.2
RETRY_MAX_SECONDS = 5.0


def service_address(name: str) -> str:
    """The address all instances of a service share: where session opens arrive."""
    return PREFIX + "service." + name


def instance_address(name: str, instance: str) -> str:
    """The private address of one instance: frames and closes of its sessions."""
    return PREFIX + "service." + name + "." + instance


def presence_address(name: str) -> str:
    """Where gateway nodes publish the membership deltas of a service's groups."""
    return PREFIX + "presence." + name


def qualified_group(service: str, group: str) -> str:
    """A service's group as gateways index it: groups never cross services."""
    return service + "/" + group


# --- Framing: 4-byte big-endian length, then that many bytes of UTF-8 JSON ------------------------

def encode_frame(frame: Dict[str, Any]) -> bytes:
    """One bridge frame: a JSON object, prefixed with its length (4 bytes, big-endian)."""
    data = json.dumps(frame, separators=(",", ":")).encode("utf-8")
    return struct.pack(">I", len(data)) + data


class FrameDecoder:
    """Splits a byte stream into bridge frames, whatever the chunking of the stream."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> List[Dict[str, Any]]:
        """Adds received bytes; returns the frames completed by them, in order."""
        self._buffer += chunk
        frames = []
        while len(self._buffer) >= 4:
            (length,) = struct.unpack_from(">I", self._buffer)
            if len(self._buffer) < 4 + length:
                break
            frames.append(json.loads(bytes(self._buffer[4:4 + length]).decode("utf-8")))
            del self._buffer[:4 + length]
        return frames


def resolve_bridge(host: Optional[str] = None, port: Optional[int] = None,
                   token: Optional[str] = None) -> Tuple[str, int, Optional[str]]:
    """The bridge's host, port and token: arguments first, then the environment, then defaults."""
    host = host or os.environ.get(ENV_HOST) or DEFAULT_BRIDGE_HOST
    if port is None:
        raw = os.environ.get(ENV_PORT, "").strip()
        if raw:
            try:
                port = int(raw)
            except ValueError:
                raise ValueError("%s must be a port number, got %r" % (ENV_PORT, raw)) from None
        else:
            port = DEFAULT_BRIDGE_PORT
    if not 1 <= port <= 65535:
        raise ValueError("the bridge port must be from 1 to 65535, got %d" % port)
    token = token or os.environ.get(ENV_TOKEN) or None
    return host, port, token


def token_file(port: int) -> str:
    """Where the bridge on ``port`` writes its tokens: ``$SWITCHBOARD_BRIDGE_TOKEN_FILE``, else
    ``~/.switchboard/bridge-<port>.tokens``."""
    return os.environ.get(ENV_TOKEN_FILE, "").strip() or os.path.join(
        os.path.expanduser("~"), TOKEN_FOLDER, "bridge-%d.tokens" % port)


def read_token(service: str, port: int) -> str:
    """The token of ``service`` from the bridge's token file; ``ValueError`` says what is missing."""
    path = token_file(port)
    try:
        with open(path, encoding="utf-8") as f:
            tokens = json.load(f).get("services") or {}
    except FileNotFoundError:
        raise ValueError("no bridge token: %s does not exist (is the bridge running on port %d on this host? "
                         "else pass --token or set %s)" % (path, port, ENV_TOKEN)) from None
    except (OSError, ValueError, AttributeError) as e:
        raise ValueError("cannot read the bridge's token file %s: %s" % (path, e)) from None
    token = tokens.get(service) if isinstance(tokens, dict) else None
    if not isinstance(token, str):
        raise ValueError("the bridge has no token for service %r (%s lists %s): add it to \"services\" in "
                         "conf/bridge.json" % (service, path, ", ".join(sorted(tokens)) or "none"))
    return token


# --- The SDK ---------------------------------------------------------------------------------------

class Session:
    """A service's handle on one WebSocket session, wherever in the cluster its socket is.

    Handed to :meth:`Service.on_open`, valid until :meth:`Service.on_close`; after that every
    push is a no-op. Pushes go to the gateway node that holds the socket, in the order made.
    """

    def __init__(self, service: "Service", session_id: str, gateway: str, info: Optional[dict],
                 rebound: bool = False) -> None:
        self._service = service
        self.id: str = session_id
        """The session id, unique in the cluster."""
        self.gateway: str = gateway
        """The address of the gateway node holding the socket."""
        info = info if isinstance(info, dict) else {}
        self.path: Optional[str] = info.get("path")
        """The request path the socket was opened on, e.g. ``/chat``."""
        self.query: Optional[str] = info.get("query")
        """The request's query string, or ``None``."""
        self.remote_address: Optional[str] = info.get("remoteAddress")
        """The client's address as the gateway saw it, ``host:port``."""
        self.headers: Dict[str, str] = info.get("headers") or {}
        """The request headers the gateway forwards, by lower-case name."""
        self.rebound: bool = rebound
        """Whether the gateway re-opened this session here after its instance went away, or a
        client resumed it (a ``switchboard.v1`` client reconnected with its token): a resumed session
        is a rebind too, with its attributes and groups."""
        self._last_seq = 0  # the last client sequence number (sb.seq) taken
        held = info.get("groups")
        self._groups: Dict[str, dict] = {g: (m if isinstance(m, dict) else {}) for g, m in held.items()} \
            if isinstance(held, dict) else {}
        attrs = info.get("attributes")
        self._attributes: Dict[str, Any] = dict(attrs) if isinstance(attrs, dict) else {}
        self._open = True

    @property
    def is_open(self) -> bool:
        """Whether the socket is still open, as far as this service knows."""
        return self._open

    @property
    def groups(self) -> frozenset:
        """The groups this session is in."""
        return frozenset(self._groups)

    @property
    def attributes(self):
        """The session's attributes (a read-only view): kept with the session at its gateway, so a
        rebind hands them to the new instance. Change them with :meth:`set_attribute`."""
        return types.MappingProxyType(self._attributes)

    def set_attribute(self, key: str, value: Any) -> None:
        """Sets an attribute to a JSON value (``None`` removes it). Visible here at once, sent to the
        gateway in order with the session's other pushes; the gateway keeps at most
        ``limits.maxSessionAttributeBytes`` of JSON (default 16 KiB) and refuses a set over it with a
        log line (the session lives on). ``TypeError`` for a value JSON cannot carry."""
        if not isinstance(key, str):
            raise TypeError("an attribute key is a str, not %s" % type(key).__name__)
        json.dumps(value)  # TypeError for what JSON cannot carry
        if not self._open:
            return
        if value is None:
            self._attributes.pop(key, None)
        else:
            self._attributes[key] = value
        self._push(OP_ATTR, {"key": key, "value": value})

    def send(self, message: str) -> None:
        """Sends a text message to the client. ``bytes`` raise ``TypeError`` (see the module doc)."""
        _require_text(message)
        self._push(OP_TEXT, message)

    def close(self, code: int = NORMAL, reason: str = "") -> None:
        """Closes the socket with a close code and a reason (at most 123 UTF-8 bytes, longer is cut).

        :meth:`Service.on_close` follows once the gateway closed the socket.
        """
        self._push(OP_CLOSE, None, {H_CODE: str(int(code)), H_REASON: reason or ""})

    def join(self, group: str, meta: Optional[dict] = None) -> None:
        """Adds the session to a group of this service with a member meta (e.g. ``{"name": "ada"}``),
        which every instance sees in :attr:`Service.presence` and ``on_joined``; joining again
        replaces the meta. :meth:`Service.publish` reaches it. Bounds (the gateway's
        ``limits.maxGroupsPerSession``, ``limits.maxMemberMetaBytes``) are enforced there: a refused
        join is logged there and leaves this instance's view again."""
        meta = dict(meta) if meta else {}
        json.dumps(meta)  # TypeError for what JSON cannot carry
        if self._open and self._groups.get(group) != meta:
            self._groups[group] = meta
            self._push(OP_JOIN, meta or None, {H_GROUP: qualified_group(self._service.name, group)})
            self._service.presence._local(self.gateway, self.id, group, meta)

    def leave(self, group: str) -> None:
        """Removes the session from a group."""
        if self._open and group in self._groups:
            del self._groups[group]
            self._push(OP_LEAVE, None, {H_GROUP: qualified_group(self._service.name, group)})
            self._service.presence._local(self.gateway, self.id, group, None)

    def _push(self, op: str, body: Any, headers: Optional[Dict[str, str]] = None) -> None:
        if not self._open:
            return
        h = {H_OP: op, H_SESSION: self.id}
        if headers:
            h.update(headers)
        self._service._send(self.gateway, body, h)

    def _mark_moved(self) -> None:
        """The session lives on at another instance: forgotten here, its memberships untouched."""
        self._open = False
        self._groups.clear()

    def _mark_closed(self) -> None:
        if self._open and self._groups:
            self._service.presence._closed(self.gateway, self.id, list(self._groups))
        self._open = False
        self._groups.clear()

    def __repr__(self) -> str:
        return "Session[%s %s from %s]" % (self.id, self.path, self.remote_address)


class _Part:
    """One gateway node's members of this service's groups."""

    __slots__ = ("groups", "seq", "syncing", "sync_deadline", "buffered", "heard")

    def __init__(self, now: float) -> None:
        self.groups: Dict[str, Dict[str, dict]] = {}
        self.seq = 0
        self.syncing = False
        self.sync_deadline = 0.0
        self.buffered: List[dict] = []
        self.heard = now


class Presence:
    """Who is in the groups of this service, over every gateway of the cluster: a local replica,
    read synchronously. The Java SDK's ``Presence``, with the same contracts: a join or leave made
    by this instance is visible here at once; those of other instances arrive as the gateways'
    deltas (in order per gateway); a session that closes has left its groups here before
    ``on_close``. A gateway silent for :data:`PRESENCE_LOST_SECONDS` (it beacons every 2 s) is
    taken as lost: each of its members leaves (``on_left``).
    """

    def __init__(self, service: "Service") -> None:
        self._service = service
        self._parts: Dict[str, _Part] = {}
        self._pending: Dict[str, Dict[str, int]] = {}

    def members(self, group: str) -> Dict[str, dict]:
        """Session id to member meta of a group's members (a copy; empty when it has none)."""
        members: Dict[str, dict] = {}
        for part in self._parts.values():
            members.update(part.groups.get(group, {}))
        return members

    def count(self, group: str) -> int:
        """The number of members of a group."""
        return sum(len(part.groups.get(group, ())) for part in self._parts.values())

    def groups(self) -> Set[str]:
        """The groups with at least one member (a copy)."""
        groups: Set[str] = set()
        for part in self._parts.values():
            groups.update(part.groups)
        return groups

    # -- what feeds it ------------------------------------------------------------------------------

    def _local(self, gateway: str, sid: str, group: str, meta: Optional[dict]) -> None:
        mine = self._pending.setdefault(sid, {})
        mine[group] = mine.get(group, 0) + 1
        self._set(self._part(gateway), group, sid, meta)

    def _closed(self, gateway: str, sid: str, groups: Iterable[str]) -> None:
        self._pending.pop(sid, None)
        part = self._parts.get(gateway)
        if part is not None:
            for group in groups:
                self._set(part, group, sid, None)

    def _drop(self, gateway: str) -> int:
        """A gateway is lost (or the bus connection was): each of its members leaves."""
        part = self._parts.pop(gateway, None)
        if part is None:
            return 0
        n = 0
        for group, members in part.groups.items():
            for sid, meta in members.items():
                self._pending.pop(sid, None)
                n += 1
                self._fire(False, group, sid, meta)
        return n

    def _reset(self) -> None:
        for gateway in list(self._parts):
            self._drop(gateway)

    def _sweep(self) -> None:
        now = time.monotonic()
        for gateway, part in list(self._parts.items()):
            if part.syncing and now > part.sync_deadline:
                part.syncing = False
                part.buffered.clear()
            if now - part.heard > PRESENCE_LOST_SECONDS:
                n = self._drop(gateway)
                log.info("switchboard: %s: no presence from gateway %s for %.0f s; its %d membership(s) left",
                         self._service.name, gateway, PRESENCE_LOST_SECONDS, n)

    def _on_message(self, body: Any) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("gw"), str) or not isinstance(body.get("seq"), int):
            log.warning("switchboard: %s: ignoring a malformed presence message", self._service.name)
            return
        gateway, seq = body["gw"], body["seq"]
        part = self._parts.get(gateway)
        if "snapshot" in body:
            if part is not None and part.syncing:
                part.heard = time.monotonic()
                self._apply_snapshot(gateway, part, seq, body["snapshot"] if isinstance(body["snapshot"], dict) else {})
            return
        part = self._part(gateway)
        part.heard = time.monotonic()
        if "deltas" not in body:  # a beacon
            if not part.syncing and seq > part.seq:
                self._sync(gateway, part)
        elif part.syncing:
            self._buffer(part, body)
        elif seq == part.seq + 1:
            self._apply_deltas(part, body)
        elif seq > part.seq + 1:
            self._buffer(part, body)
            self._sync(gateway, part)

    def _part(self, gateway: str) -> _Part:
        part = self._parts.get(gateway)
        if part is None:
            part = self._parts[gateway] = _Part(time.monotonic())
        return part

    @staticmethod
    def _buffer(part: _Part, body: dict) -> None:
        if len(part.buffered) >= PRESENCE_MAX_BUFFERED:
            part.buffered.clear()
        part.buffered.append(body)

    def _sync(self, gateway: str, part: _Part) -> None:
        part.syncing = True
        part.sync_deadline = time.monotonic() + PRESENCE_SYNC_TIMEOUT_SECONDS
        self._service._send(gateway, None, {H_OP: OP_SYNC, H_SERVICE: self._service.name,
                                            H_INSTANCE: self._service.instance})

    def _apply_snapshot(self, gateway: str, part: _Part, seq: int, snapshot: dict) -> None:
        part.syncing = False
        fresh: Dict[str, Dict[str, dict]] = {}
        for group, members in snapshot.items():
            if isinstance(members, dict):
                fresh[group] = {sid: (m if isinstance(m, dict) else {}) for sid, m in members.items()}
        for sid, groups in self._pending.items():  # this instance's changes not confirmed yet stand
            for group in groups:
                mine = part.groups.get(group, {}).get(sid)
                if mine is not None:
                    fresh.setdefault(group, {})[sid] = mine
                else:
                    fresh.get(group, {}).pop(sid, None)
        for group, members in list(part.groups.items()):
            for sid, meta in list(members.items()):
                if fresh.get(group, {}).get(sid) != meta:
                    self._set(part, group, sid, None)
        for group, members in fresh.items():
            for sid, meta in members.items():
                self._set(part, group, sid, meta)
        part.seq = seq
        while part.buffered and not part.syncing:
            nxt = part.buffered.pop(0)
            if nxt["seq"] == part.seq + 1:
                self._apply_deltas(part, nxt)
            elif nxt["seq"] > part.seq + 1:
                part.buffered.insert(0, nxt)
                self._sync(gateway, part)

    def _apply_deltas(self, part: _Part, body: dict) -> None:
        part.seq = body["seq"]
        for d in body.get("deltas") or ():
            if not isinstance(d, list) or len(d) < 3:
                continue
            kind, group, sid = d[0], d[1], d[2]
            meta = (d[3] if len(d) > 3 and isinstance(d[3], dict) else {}) if kind == "j" else None
            mine = self._pending.get(sid)
            unconfirmed = mine.get(group) if mine else None
            if unconfirmed is not None:
                if unconfirmed > 1:
                    mine[group] = unconfirmed - 1
                    continue  # a later change of this instance is on its way: its view stands
                del mine[group]
                if not mine:
                    del self._pending[sid]
            self._set(part, group, sid, meta)

    def _set(self, part: _Part, group: str, sid: str, meta: Optional[dict]) -> None:
        members = part.groups.get(group)
        old = members.get(sid) if members else None
        if meta is None:
            if old is not None:
                del members[sid]
                if not members:
                    del part.groups[group]
                self._fire(False, group, sid, old)
            return
        if meta == old:
            return
        part.groups.setdefault(group, {})[sid] = meta
        if old is not None:
            self._fire(False, group, sid, old)
        self._fire(True, group, sid, meta)

    def _fire(self, joined: bool, group: str, sid: str, meta: dict) -> None:
        callback = self._service.on_joined if joined else self._service.on_left
        try:
            result = callback(group, sid, meta)
            if inspect.isawaitable(result):
                asyncio.ensure_future(result)
        except Exception:
            log.exception("switchboard: %s: %s failed for %s in %s", self._service.name,
                          "on_joined" if joined else "on_left", sid, group)


class Service:
    """The base of a Switchboard service in Python. Subclass it and override the ``on_*`` callbacks.

    Set ``name`` (what gateway routes refer to) and ``paths`` (the WebSocket paths it serves, for
    discovery; may be empty, then only the gateways' static routes reach it), as class attributes
    or constructor arguments. Run it with :func:`run` or ``await service.serve()``.

    Callbacks for one session: :meth:`on_open` once, :meth:`on_message` for each message,
    :meth:`on_close` once. An exception from ``on_open`` refuses the session (the client gets
    close 1011); one from ``on_message`` is logged and the session lives on.
    """

    name: Optional[str] = None
    paths: Iterable[str] = ()
    failover: str = "close"

    def __init__(self, name: Optional[str] = None, paths: Optional[Iterable[str]] = None) -> None:
        if name is not None:
            self.name = name
        if paths is not None:
            self.paths = paths
        if not self.name or not all(c.isalnum() or c in "_-" for c in self.name) or len(self.name) > 64:
            raise ValueError("a service name is 1 to 64 letters, digits, '_' or '-', got %r" % (self.name,))
        self.paths = list(self.paths)
        self.instance: str = instance_address(self.name, uuid.uuid4().hex[:8])
        """This instance's own address."""
        self._sessions: Dict[str, Session] = {}
        self._writer: Optional[asyncio.StreamWriter] = None
        self._token: Optional[str] = None
        self._stopping: Optional[asyncio.Event] = None
        self._on_pong = None
        self._was_ready = False
        self.presence: Presence = Presence(self)
        """Who is in this service's groups, over every gateway (see :class:`Presence`)."""

    # -- callbacks --------------------------------------------------------------------------------

    def on_open(self, session: Session) -> Any:
        """A session opened. Greet it, join it to groups, keep state for it."""

    def on_message(self, session: Session, message: Any) -> Any:
        """A message arrived from the client: ``str`` for a text message, ``bytes`` for binary."""

    def on_close(self, session: Session, code: int, reason: str) -> Any:
        """The socket closed, by either side (1006: the connection dropped without a close frame)."""

    def on_joined(self, group: str, session_id: str, meta: dict) -> Any:
        """A session joined a group of this service (on any gateway, through any instance), or
        joined again with a new meta (then ``on_left`` with the old one came first). Called on every
        instance, in order per gateway. Keep it a plain function (a coroutine is run, not awaited)."""

    def on_left(self, group: str, session_id: str, meta: dict) -> Any:
        """A session left a group of this service: a leave, its close, or its gateway lost."""

    # -- actions ----------------------------------------------------------------------------------

    @property
    def sessions(self) -> Dict[str, Session]:
        """The open sessions bound to this instance, by id (a copy)."""
        return dict(self._sessions)

    @property
    def connected(self) -> bool:
        """Whether the service is connected to the bridge right now."""
        return self._writer is not None

    def publish(self, group: str, message: str, except_session: Optional[Session] = None) -> None:
        """Sends a text message to every member of a group, on every gateway, but ``except_session``."""
        _require_text(message)
        headers = {H_OP: OP_TEXT, H_GROUP: qualified_group(self.name, group)}
        if except_session is not None:
            headers[H_EXCEPT] = except_session.id
        self._write({"type": "publish", "address": GROUPS, "headers": headers, "body": message})

    def stop(self) -> None:
        """Asks :meth:`serve` to withdraw the service, close its sessions and return."""
        if self._stopping is not None:
            self._stopping.set()

    # -- the connection ---------------------------------------------------------------------------

    async def serve(self, host: Optional[str] = None, port: Optional[int] = None,
                    token: Optional[str] = None) -> None:
        """Connects to the bridge and serves until :meth:`stop`; reconnects whenever it drops."""
        host, port, given = resolve_bridge(host, port, token)
        self._stopping = asyncio.Event()
        delay = RETRY_MIN_SECONDS
        while not self._stopping.is_set():
            try:
                self._token = given or read_token(self.name, port)
            except ValueError as e:
                log.error("switchboard: %s. Retrying in %.1f s.", e, delay)
                if await self._sleep_unless_stopped(delay):
                    break
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                continue
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError as e:
                log.error("switchboard: cannot reach the TCP bridge at %s:%d (%s). Is a services JVM with "
                          "io.switchboard.bridge.TcpBridgeVerticle running there? launcher/demo starts one on "
                          "127.0.0.1:%d; choose another with --bridge-port or %s. Retrying in %.1f s.",
                          host, port, e.strerror or e, DEFAULT_BRIDGE_PORT, ENV_PORT, delay)
                if await self._sleep_unless_stopped(delay):
                    break
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                continue
            connected_at = asyncio.get_running_loop().time()
            _no_delay(writer)
            self._writer = writer
            heartbeat = asyncio.ensure_future(self._heartbeat())
            try:
                self._register()
                await self._end_orphans()
                self._announce()
                self._write({"type": "ping"})  # its pong says the bridge took the frames above

                def ready():
                    log.info("switchboard: service %s %s at %s via the TCP bridge %s:%d (paths %s)", self.name,
                             "reconnected" if self._was_ready else "ready", self.instance, host, port,
                             ", ".join(self.paths) or "none")
                    self._was_ready = True
                self._on_pong = ready
                await writer.drain()
                await self._read(reader)
                if not self._stopping.is_set():
                    log.error("switchboard: the TCP bridge at %s:%d closed the connection; reconnecting",
                              host, port)
            except (OSError, asyncio.IncompleteReadError, ValueError) as e:
                if not self._stopping.is_set():
                    log.error("switchboard: lost the TCP bridge at %s:%d (%s); reconnecting", host, port, e)
            finally:
                heartbeat.cancel()
                if self._stopping.is_set():
                    await self._leave()
                self._writer = None
                writer.close()
                try:
                    await writer.wait_closed()
                except OSError:
                    pass
            # a connection that is refused at once (a wrong token) must not turn into a busy loop
            lasted = asyncio.get_running_loop().time() - connected_at
            delay = RETRY_MIN_SECONDS if lasted > RETRY_MAX_SECONDS else min(delay * 2, RETRY_MAX_SECONDS)
            if not self._stopping.is_set() and await self._sleep_unless_stopped(delay):
                break
        log.info("switchboard: service %s stopped", self.name)

    def _register(self) -> None:
        for address in (service_address(self.name), self.instance, REGISTRY_HELLO, presence_address(self.name)):
            self._write({"type": "register", "address": address})

    async def _read(self, reader: asyncio.StreamReader) -> None:
        decoder = FrameDecoder()
        stop = asyncio.ensure_future(self._stopping.wait())
        stop.add_done_callback(lambda _: reader.feed_eof())  # stop() ends the read below
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk or self._stopping.is_set():
                    return
                for frame in decoder.feed(chunk):
                    await self._dispatch(frame)
                if self._writer is not None:
                    await self._writer.drain()
        finally:
            stop.cancel()

    async def _dispatch(self, frame: Dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "err":
            log.error("switchboard: the TCP bridge refused a frame: %s", frame.get("message"))
            return
        if kind == "pong" and self._on_pong is not None:
            self._on_pong()
            self._on_pong = None
        if kind != "message":
            return
        address = frame.get("address")
        headers = frame.get("headers") or {}
        if address == REGISTRY_HELLO:
            self._announce()
            return
        op = headers.get(H_OP)
        if address == presence_address(self.name) or (address == self.instance and op == OP_PRESENCE):
            self.presence._on_message(frame.get("body"))
        elif op == OP_OPEN and address in (service_address(self.name), self.instance):
            await self._open(frame, headers)
        elif address == self.instance:
            await self._frame(op, headers, frame.get("body"))

    async def _open(self, frame: Dict[str, Any], headers: Dict[str, str]) -> None:
        reply_to = frame.get("replyAddress")
        sid, gateway = headers.get(H_SESSION), headers.get(H_GATEWAY)
        if reply_to is None:
            return
        if sid is None or gateway is None:
            self._fail(reply_to, 1002, "open without %s or %s" % (H_SESSION, H_GATEWAY))
            return
        session = Session(self, sid, gateway, frame.get("body"), headers.get(H_REBIND) == "true")
        self._sessions[sid] = session
        try:
            await _call(self.on_open, session)
        except Exception:
            log.exception("switchboard: %s: on_open failed for %r", self.name, session)
            self._sessions.pop(sid, None)
            session._mark_closed()
            self._fail(reply_to, INTERNAL_ERROR, "Service %s failed to open the session" % self.name)
            return
        self._write({"type": "send", "address": reply_to, "headers": {H_INSTANCE: self.instance}})

    async def _frame(self, op: Optional[str], headers: Dict[str, str], body: Any) -> None:
        session = self._sessions.get(headers.get(H_SESSION))
        if session is None:
            return
        try:
            if op == OP_TEXT:
                seq = _seq(headers.get(H_SEQ))
                if seq:
                    if seq <= session._last_seq:
                        log.debug("switchboard: %s: dropped message %d of %s, taken already", self.name, seq, session.id)
                        return
                    session._last_seq = seq
                await _call(self.on_message, session, body if isinstance(body, str) else "")
            elif op == OP_BINARY:
                await _call(self.on_message, session, _from_base64url(body))
            elif op == OP_CLOSE:
                del self._sessions[session.id]
                session._mark_closed()
                await _call(self.on_close, session, _code(headers.get(H_CODE)), headers.get(H_REASON) or "")
            elif op == OP_EXPIRED:
                # the gateway moved the session to another instance (this one was taken for lost):
                # it lives on there, so it is forgotten here without on_close
                del self._sessions[session.id]
                session._mark_moved()
        except Exception:
            log.exception("switchboard: %s: %s callback failed for %r", self.name, op, session)

    async def _end_orphans(self) -> None:
        """Sessions held across a drop may have lost messages: close them, so clients reconnect."""
        for session in list(self._sessions.values()):
            session.close(SERVICE_RESTART, "Service %s lost its bus connection" % self.name)
            await self._forget(session, SERVICE_RESTART, "bus connection lost")
        self.presence._reset()  # deltas may have been missed: the gateways' beacons bring it back

    async def _leave(self) -> None:
        """On stop: withdraw from discovery and close the sessions (clients reconnect at once)."""
        self._write({"type": "publish", "address": REGISTRY,
                     "body": {"op": "withdraw", "role": "service", "service": self.name, "instance": self.instance,
                              "node": NODE}})
        for session in list(self._sessions.values()):
            session.close(SERVICE_RESTART, "Service %s stopped" % self.name)
            await self._forget(session, SERVICE_RESTART, "service stopped")
        try:
            await self._writer.drain()
        except OSError:
            pass

    async def _forget(self, session: Session, code: int, reason: str) -> None:
        self._sessions.pop(session.id, None)
        session._mark_closed()
        try:
            await _call(self.on_close, session, code, reason)
        except Exception:
            log.exception("switchboard: %s: on_close failed for %r", self.name, session)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            self._announce()
            self.presence._sweep()

    def _announce(self) -> None:
        self._write({"type": "publish", "address": REGISTRY, "body": {
            "op": "announce", "role": "service", "service": self.name, "instance": self.instance,
            "paths": self.paths, "failover": self.failover, "sessions": len(self._sessions), "node": NODE,
            "uptimeMs": int((time.monotonic() - _STARTED) * 1000), "heartbeatMs": int(HEARTBEAT_SECONDS * 1000)}})

    async def _sleep_unless_stopped(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
            return True
        except asyncio.TimeoutError:
            return False

    def _send(self, address: str, body: Any, headers: Dict[str, str]) -> None:
        frame = {"type": "send", "address": address, "headers": headers}
        if body is not None:
            frame["body"] = body
        self._write(frame)

    def _fail(self, reply_to: str, code: int, message: str) -> None:
        self._write({"type": "send", "address": reply_to, "failureCode": code, "message": message})

    def _write(self, frame: Dict[str, Any]) -> None:
        """Writes a frame to the bridge; while disconnected, it is dropped (there is no one to get it)."""
        if self._writer is None:
            return
        if self._token is not None:
            frame.setdefault("headers", {})[H_TOKEN] = self._token
        self._writer.write(encode_frame(frame))


def run(service: Service, host: Optional[str] = None, port: Optional[int] = None,
        token: Optional[str] = None) -> None:
    """Runs a service until Ctrl-C or SIGTERM, then withdraws it and closes its sessions."""
    if not logging.getLogger().handlers and not log.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(message)s", stream=sys.stderr)
    resolve_bridge(host, port, token)  # a bad port fails here, before the loop starts

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, service.stop)
            except (NotImplementedError, RuntimeError):
                pass  # not on this platform: Ctrl-C still ends the process
        await service.serve(host, port, token)

    asyncio.run(main())


def main(service_class: type, description: str, argv: Optional[List[str]] = None) -> None:
    """The command line of a service script: ``--name``, ``--path`` (repeatable), ``--bridge-host``,
    ``--bridge-port``, ``--token``; then :func:`run`. ``service_class(name, paths)`` builds the service."""
    import argparse
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--name", default=service_class.name,
                        help="service name gateways route to (default %(default)s)")
    parser.add_argument("--path", action="append",
                        help="WebSocket path to announce (default: the class's paths)")
    parser.add_argument("--bridge-host", help="TCP bridge host (default $%s or %s)" % (ENV_HOST, DEFAULT_BRIDGE_HOST))
    parser.add_argument("--bridge-port", type=int,
                        help="TCP bridge port (default $%s or %d)" % (ENV_PORT, DEFAULT_BRIDGE_PORT))
    parser.add_argument("--token", help="bridge token of this service (default $%s, else the bridge's token file "
                                        "$%s or ~/%s/bridge-<port>.tokens)" % (ENV_TOKEN, ENV_TOKEN_FILE, TOKEN_FOLDER))
    args = parser.parse_args(argv)
    run(service_class(args.name, args.path), args.bridge_host, args.bridge_port, args.token)


# --- helpers ---------------------------------------------------------------------------------------

async def _call(callback, *args) -> None:
    result = callback(*args)
    if inspect.isawaitable(result):
        await result


def _require_text(message: Any) -> None:
    if not isinstance(message, str):
        raise TypeError("Switchboard's TCP bridge carries text only: send a str, not %s (binary messages "
                        "cannot be pushed from a bridge service; encode them as text)" % type(message).__name__)


def _from_base64url(body: Any) -> bytes:
    """Vert.x encodes a Buffer in JSON as base64url without padding."""
    text = body if isinstance(body, str) else ""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _seq(raw: Optional[str]) -> int:
    """A text's client sequence number (sb.seq); 0 when absent or not a positive integer."""
    try:
        return max(0, int(raw)) if raw is not None else 0
    except ValueError:
        return 0


def _code(raw: Optional[str]) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 1006


def _no_delay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
