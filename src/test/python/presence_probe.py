"""A Python twin of io.switchboard.testing.PresenceService, for PythonPresenceTest: serves
``py_echo`` (the name conf/bridge.json admits) at /py_echo with ``failover: rebind``, driven by its
clients, answering JSON: ``join:G[:META]``, ``leave:G``, ``attr:K[:JSON]``, ``state``,
``members:G``, ``groups``, ``events``, ``violations``."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "main", "python"))
import switchboard  # noqa: E402


class PresenceProbe(switchboard.Service):
    name = "py_echo"
    paths = ["/py_echo"]
    failover = "rebind"

    def __init__(self, name=None, paths=None):
        super().__init__(name, paths)
        self.events = []
        self.violations = 0
        self.closes = 0

    def on_message(self, session, message):
        parts = message.split(":", 2)
        answer = {"instance": self.instance}
        cmd = parts[0]
        if cmd == "join":
            session.join(parts[1], json.loads(parts[2]) if len(parts) > 2 else None)
            answer["ok"] = "join"
        elif cmd == "leave":
            session.leave(parts[1])
            answer["ok"] = "leave"
        elif cmd == "attr":
            session.set_attribute(parts[1], json.loads(parts[2]) if len(parts) > 2 else None)
            answer["ok"] = "attr"
        elif cmd == "state":
            answer.update(id=session.id, rebind=session.rebound, attributes=dict(session.attributes),
                          groups=sorted(session.groups))
        elif cmd == "members":
            answer.update(count=self.presence.count(parts[1]), members=self.presence.members(parts[1]))
        elif cmd == "groups":
            answer["groups"] = sorted(self.presence.groups())
        elif cmd == "events":
            answer["events"] = self.events[-10000:]
        elif cmd == "violations":
            answer.update(violations=self.violations, closes=self.closes)
        else:
            answer["error"] = "unknown command " + cmd
        session.send(json.dumps(answer))

    def on_joined(self, group, session_id, meta):
        self.events.append("+%s %s %s" % (group, session_id, json.dumps(meta, separators=(",", ":"))))

    def on_left(self, group, session_id, meta):
        self.events.append("-%s %s %s" % (group, session_id, json.dumps(meta, separators=(",", ":"))))

    def on_close(self, session, code, reason):
        self.closes += 1
        self.violations += sum(1 for g in self.presence.groups() if session.id in self.presence.members(g))


if __name__ == "__main__":
    switchboard.main(PresenceProbe, "Presence probe for tests.")
