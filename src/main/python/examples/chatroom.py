"""The seed's chatroom as a Python Switchboard service: the protocol of io.switchboard.demo.ChatService.

With ``launcher/demo`` running (it opens the TCP bridge on 127.0.0.1:7000)::

    python3 src/main/python/examples/chatroom.py

serves ``ws://localhost:8080/py_chatroom`` as the service ``py_chat`` (its bridge token comes from
the bridge's token file, ``~/.switchboard/bridge-7000.tokens``; no flag needed). All frames are JSON text;
malformed JSON and missing or mistyped fields are ignored. Fan-out uses gateway groups: ``all``
(every client), ``named`` and one ``room:<name>`` per room.

Like the Java chat, it keeps nothing about a user: the user's name and current room are session
attributes (kept by the gateway, handed over on a rebind), room membership is the group
``room:<name>`` with the member meta ``{"name": ...}``, and counts come from ``self.presence``
(every gateway, every instance). The room list (names in creation order) is the one thing kept
here: the Python SDK has no cluster-wide shared data, so a process knows the rooms it created and
every room it has seen a member join (``on_joined``, from any instance); an empty room created by
another process is unknown here until someone joins it.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import switchboard  # noqa: E402

ALL = "all"
NAMED = "named"
ROOM_PREFIX = "room:"
MAX_ROOMS = 1000


class ChatRoom(switchboard.Service):
    """Rooms, names and messages, exactly as the Java ChatService answers them."""

    name = "py_chat"
    paths = ["/py_chatroom"]
    failover = "rebind"

    def __init__(self, name=None, paths=None):
        super().__init__(name, paths)
        self.rooms = {}  # room name -> True (a dict as an ordered set), in creation order; bounded by MAX_ROOMS

    def on_open(self, session):
        if session.rebound:
            return  # its name, room and groups came with it
        session.join(ALL)
        session.send(name_query())
        session.send(event({"type": "listing", "chatrooms": [[room, self.count(room)] for room in self.rooms]}))

    def on_message(self, session, message):
        msg = parse(message)
        if msg is None:
            return
        kind = text_field(msg, "type")
        name = session.attributes.get("name")
        if name is None:
            if kind == "name" and text_field(msg, "name") is not None:
                session.set_attribute("name", msg["name"])
                session.join(NAMED)
            else:
                session.send(name_query())
            return
        room = text_field(msg, "chatroom")
        current = session.attributes.get("room")
        if kind == "join" and room is not None:
            self.join(session, name, room)
        elif kind == "create" and room is not None:
            self.create(room)
        elif kind == "message" and current is not None and text_field(msg, "message") is not None:
            self.publish(room_group(current), event({"type": "message", "name": name, "message": msg["message"]}))

    def on_close(self, session, code, reason):
        room = session.attributes.get("room")
        if room is not None:  # it has left its groups already: the count no longer includes it
            self.publish(room_group(room), event({"type": "logoff", "name": session.attributes.get("name")}), session)
            self.publish_count(room)

    def on_joined(self, group, session_id, meta):
        if group.startswith(ROOM_PREFIX):
            self.remember(group[len(ROOM_PREFIX):])

    def join(self, session, name, room):
        if room not in self.rooms:
            session.send(encode({"type": "notice", "notice": "Chatroom %s not found." % room}))
            return
        old = session.attributes.get("room")
        if old is not None:
            session.leave(room_group(old))
            session.set_attribute("room", None)
            self.publish(room_group(old), event({"type": "logoff", "name": name}), session)
            self.publish_count(old)
        self.publish(room_group(room), event({"type": "newuser", "name": name}), session)
        session.join(room_group(room), {"name": name})
        session.set_attribute("room", room)
        self.publish_count(room)
        session.send(encode({"type": "join", "chatroom": room}))

    def create(self, room):
        if room not in self.rooms and self.remember(room):
            self.publish(NAMED, event({"type": "newchatroom", "name": room}))

    def remember(self, room):
        """Adds a room to the list unless it is full or has it; returns whether it was added."""
        if room in self.rooms or len(self.rooms) >= MAX_ROOMS:
            return False
        self.rooms[room] = True
        return True

    def count(self, room):
        return self.presence.count(room_group(room))

    def publish_count(self, room):
        self.publish(ALL, event({"type": "update", "data": [room, self.count(room)]}))


def room_group(room):
    return "room:" + room


def encode(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def name_query():
    return encode({"type": "query", "query": "name"})


def event(inner):
    return encode({"type": "event", "event": inner})


def parse(text):
    """The message as a JSON object, or None for anything else (garbage, arrays, binary)."""
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def text_field(msg, key):
    value = msg.get(key)
    return value if isinstance(value, str) else None


def main():
    switchboard.main(ChatRoom, "The seed's chatroom on Switchboard, in Python.")


if __name__ == "__main__":
    main()
