package io.switchboard.bench;

import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The seed chat's protocol (the frames of {@code io.switchboard.demo.ChatService}) in plain
 * Vert.x, in one verticle's memory: the <b>bare</b> baseline of the chat scenario. On connect the
 * name query and the listing; {@code name}; {@code create} (told to every named client);
 * {@code join} (the joiner announced to the room, the new count to every client, the join
 * confirmed); {@code message} (to every member of the sender's room, sender included); a close
 * leaves the room (logoff to the room, count to everyone). Runs on the verticle's event loop only.
 */
final class BareChat {

  private static final String NAME_QUERY = new JsonObject().put("type", "query").put("query", "name").encode();
  private static final int MAX_ROOMS = 1000;
  private static final int MAX_LISTED_ROOMS = 200;

  private final Set<ServerWebSocket> all = new LinkedHashSet<>();
  private final Set<ServerWebSocket> named = new LinkedHashSet<>();
  private final Map<String, Set<ServerWebSocket>> rooms = new LinkedHashMap<>();
  private final Map<ServerWebSocket, String[]> users = new HashMap<>(); // socket → {name, room}

  void accept(ServerWebSocket ws) {
    String[] user = new String[2];
    users.put(ws, user);
    all.add(ws);
    ws.writeTextMessage(NAME_QUERY);
    ws.writeTextMessage(event(new JsonObject().put("type", "listing").put("chatrooms", listing())));
    ws.textMessageHandler(text -> command(ws, user, text));
    ws.closeHandler(v -> {
      all.remove(ws);
      named.remove(ws);
      users.remove(ws);
      if (user[1] != null) {
        Set<ServerWebSocket> members = rooms.get(user[1]);
        members.remove(ws);
        toAll(members, event(new JsonObject().put("type", "logoff").put("name", user[0])), null);
        publishCount(user[1]);
      }
    });
  }

  private void command(ServerWebSocket ws, String[] user, String text) {
    JsonObject msg;
    try {
      msg = io.vertx.core.json.Json.decodeValue(text) instanceof JsonObject o ? o : null;
    } catch (RuntimeException e) {
      msg = null;
    }
    if (msg == null) {
      return;
    }
    String type = msg.getValue("type") instanceof String t ? t : null;
    if (user[0] == null) {
      if ("name".equals(type) && msg.getValue("name") instanceof String name) {
        user[0] = name;
        named.add(ws);
      } else {
        ws.writeTextMessage(NAME_QUERY);
      }
      return;
    }
    String room = msg.getValue("chatroom") instanceof String r ? r : null;
    if ("join".equals(type) && room != null) {
      Set<ServerWebSocket> members = rooms.get(room);
      if (members == null) {
        ws.writeTextMessage(new JsonObject().put("type", "notice").put("notice", "Chatroom " + room + " not found.").encode());
        return;
      }
      if (user[1] != null) {
        Set<ServerWebSocket> old = rooms.get(user[1]);
        old.remove(ws);
        toAll(old, event(new JsonObject().put("type", "logoff").put("name", user[0])), ws);
        publishCount(user[1]);
      }
      toAll(members, event(new JsonObject().put("type", "newuser").put("name", user[0])), ws);
      members.add(ws);
      user[1] = room;
      publishCount(room);
      ws.writeTextMessage(new JsonObject().put("type", "join").put("chatroom", room).encode());
    } else if ("create".equals(type) && room != null) {
      if (!rooms.containsKey(room) && rooms.size() < MAX_ROOMS) {
        rooms.put(room, new LinkedHashSet<>());
        toAll(named, event(new JsonObject().put("type", "newchatroom").put("name", room)), null);
      }
    } else if ("message".equals(type) && user[1] != null && msg.getValue("message") instanceof String message) {
      toAll(rooms.get(user[1]), event(new JsonObject().put("type", "message").put("name", user[0]).put("message", message)), null);
    }
  }

  private void publishCount(String room) {
    toAll(all, event(new JsonObject().put("type", "update").put("data", new JsonArray().add(room).add(rooms.get(room).size()))), null);
  }

  private static void toAll(Set<ServerWebSocket> members, String text, ServerWebSocket except) {
    for (ServerWebSocket m : members) {
      if (m != except) {
        m.writeTextMessage(text);
      }
    }
  }

  private JsonArray listing() {
    JsonArray list = new JsonArray();
    for (Map.Entry<String, Set<ServerWebSocket>> e : rooms.entrySet()) {
      if (list.size() >= MAX_LISTED_ROOMS) {
        break;
      }
      list.add(new JsonArray().add(e.getKey()).add(e.getValue().size()));
    }
    return list;
  }

  private static String event(JsonObject event) {
    return new JsonObject().put("type", "event").put("event", event).encode();
  }
}
