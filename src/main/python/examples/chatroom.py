"""The seed's chatroom as a Python Switchboard service: the protocol of io.switchboard.demo.ChatService.

With ``launcher/demo`` running (it opens the TCP bridge on 127.0.0.1:7000)::

    python3 src/main/python/examples/chatroom.py

serves ``ws://localhost:8080/py_chatroom`` as the service ``py_chat`` (its bridge token comes from
the bridge's token file, ``~/.switchboard/bridge-7000.tokens``; no flag needed). All frames are JSON text;
malformed JSON and missing or mistyped fields are ignored. Fan-out uses gateway groups: ``all``
(every client), ``named`` and one ``room:<name>`` per room. Rooms live in this process.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import switchboard  # noqa: E402

ALL = "all"
NAMED = "named"


class Chatter:
    """One client: its session, its name once given, its room once joined."""

    def __init__(self, session):
        self.session = session
        self.name = None
        self.room = None


class ChatRoom(switchboard.Service):
    """Rooms, names and messages, exactly as the Java ChatService answers them."""

    name = "py_chat"
    paths = ["/py_chatroom"]

    def __init__(self, name=None, paths=None):
        super().__init__(name, paths)
        self.rooms = {}  # room name -> members (dict as an ordered set), in creation order
        self.chatters = {}

    def on_open(self, session):
        self.chatters[session.id] = Chatter(session)
        session.join(ALL)
        session.send(name_query())
        session.send(event({"type": "listing", "chatrooms": [[room, len(m)] for room, m in self.rooms.items()]}))

    def on_message(self, session, message):
        chatter = self.chatters.get(session.id)
        msg = parse(message)
        if chatter is None or msg is None:
            return
        kind = text_field(msg, "type")
        if chatter.name is None:
            if kind == "name" and text_field(msg, "name") is not None:
                chatter.name = msg["name"]
                session.join(NAMED)
            else:
                session.send(name_query())
            return
        room = text_field(msg, "chatroom")
        if kind == "join" and room is not None:
            self.join(chatter, room)
        elif kind == "create" and room is not None:
            self.create(room)
        elif kind == "message" and chatter.room is not None and text_field(msg, "message") is not None:
            self.publish(room_group(chatter.room), event(
                {"type": "message", "name": chatter.name, "message": msg["message"]}))

    def on_close(self, session, code, reason):
        chatter = self.chatters.pop(session.id, None)
        if chatter is not None and chatter.room is not None:
            self.leave_room(chatter)

    def join(self, chatter, room):
        members = self.rooms.get(room)
        if members is None:
            chatter.session.send(encode({"type": "notice", "notice": "Chatroom %s not found." % room}))
            return
        if chatter.room is not None:
            self.leave_room(chatter)
        self.publish(room_group(room), event({"type": "newuser", "name": chatter.name}), chatter.session)
        members[chatter] = True
        chatter.room = room
        chatter.session.join(room_group(room))
        self.publish_count(room, len(members))
        chatter.session.send(encode({"type": "join", "chatroom": room}))

    def leave_room(self, chatter):
        room = chatter.room
        members = self.rooms[room]
        members.pop(chatter, None)
        chatter.room = None
        chatter.session.leave(room_group(room))
        self.publish(room_group(room), event({"type": "logoff", "name": chatter.name}), chatter.session)
        self.publish_count(room, len(members))

    def create(self, room):
        if room not in self.rooms:
            self.rooms[room] = {}
            self.publish(NAMED, event({"type": "newchatroom", "name": room}))

    def publish_count(self, room, count):
        self.publish(ALL, event({"type": "update", "data": [room, count]}))


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
