package io.switchboard.demo;

import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The 2012 seed's chatroom, protocol kept exactly so its old page still works. All frames are
 * JSON text; malformed JSON, missing or mistyped fields are ignored.
 *
 * <ul>
 *   <li>On connect: {@code {"type":"query","query":"name"}}, then the room listing.</li>
 *   <li>{@code name}: names the client; before that, anything else gets the name query again.</li>
 *   <li>{@code create}: a new room, announced to every named client.</li>
 *   <li>{@code join}: leaves the current room, announces the joiner to the room, the new count to
 *       everyone, and confirms to the joiner.</li>
 *   <li>{@code message}: to every member of the sender's room, sender included.</li>
 * </ul>
 *
 * Rooms and counts live in this instance. Fan-out uses gateway groups: {@code all} (every
 * connected client), {@code named} and one {@code room:<name>} per room.
 */
public class ChatService extends ServiceVerticle {

  private static final String ALL = "all";
  private static final String NAMED = "named";

  /** Room name to members, in creation order (the listing's order). */
  private final Map<String, Set<Chatter>> rooms = new LinkedHashMap<>();
  private final Map<String, Chatter> chatters = new HashMap<>();

  private static final class Chatter {
    final Session session;
    String name;
    String room;

    Chatter(Session session) {
      this.session = session;
    }
  }

  @Override
  protected String defaultName() {
    return "chat";
  }

  @Override
  protected void onOpen(Session session) {
    chatters.put(session.id(), new Chatter(session));
    session.join(ALL);
    session.send(nameQuery());
    session.send(event(new JsonObject().put("type", "listing").put("chatrooms", listing())));
  }

  @Override
  protected void onMessage(Session session, String text) {
    Chatter chatter = chatters.get(session.id());
    JsonObject msg = parse(text);
    if (chatter == null || msg == null) {
      return;
    }
    String type = msg.getValue("type") instanceof String ? msg.getString("type") : null;
    if (chatter.name == null) {
      if ("name".equals(type) && msg.getValue("name") instanceof String) {
        chatter.name = msg.getString("name");
        session.join(NAMED);
      } else {
        session.send(nameQuery());
      }
      return;
    }
    if ("join".equals(type) && msg.getValue("chatroom") instanceof String) {
      join(chatter, msg.getString("chatroom"));
    } else if ("create".equals(type) && msg.getValue("chatroom") instanceof String) {
      create(msg.getString("chatroom"));
    } else if ("message".equals(type) && chatter.room != null && msg.getValue("message") instanceof String) {
      publish(roomGroup(chatter.room), event(new JsonObject()
        .put("type", "message").put("name", chatter.name).put("message", msg.getString("message"))));
    }
  }

  @Override
  protected void onClose(Session session, int code, String reason) {
    Chatter chatter = chatters.remove(session.id());
    if (chatter != null && chatter.room != null) {
      leaveRoom(chatter);
    }
  }

  private void join(Chatter chatter, String room) {
    Set<Chatter> members = rooms.get(room);
    if (members == null) {
      chatter.session.send(new JsonObject().put("type", "notice").put("notice", "Chatroom " + room + " not found.").encode());
      return;
    }
    if (chatter.room != null) {
      leaveRoom(chatter);
    }
    publish(roomGroup(room), event(new JsonObject().put("type", "newuser").put("name", chatter.name)), chatter.session);
    members.add(chatter);
    chatter.room = room;
    chatter.session.join(roomGroup(room));
    publishCount(room, members.size());
    chatter.session.send(new JsonObject().put("type", "join").put("chatroom", room).encode());
  }

  private void leaveRoom(Chatter chatter) {
    String room = chatter.room;
    Set<Chatter> members = rooms.get(room);
    members.remove(chatter);
    chatter.room = null;
    chatter.session.leave(roomGroup(room));
    publish(roomGroup(room), event(new JsonObject().put("type", "logoff").put("name", chatter.name)), chatter.session);
    publishCount(room, members.size());
  }

  private void create(String room) {
    if (rooms.putIfAbsent(room, new LinkedHashSet<>()) == null) {
      publish(NAMED, event(new JsonObject().put("type", "newchatroom").put("name", room)));
    }
  }

  private void publishCount(String room, int count) {
    publish(ALL, event(new JsonObject().put("type", "update").put("data", new JsonArray().add(room).add(count))));
  }

  private JsonArray listing() {
    JsonArray list = new JsonArray();
    rooms.forEach((room, members) -> list.add(new JsonArray().add(room).add(members.size())));
    return list;
  }

  private static String roomGroup(String room) {
    return "room:" + room;
  }

  private static String nameQuery() {
    return new JsonObject().put("type", "query").put("query", "name").encode();
  }

  private static String event(JsonObject event) {
    return new JsonObject().put("type", "event").put("event", event).encode();
  }

  private static JsonObject parse(String text) {
    try {
      Object value = io.vertx.core.json.Json.decodeValue(text);
      return value instanceof JsonObject ? (JsonObject) value : null;
    } catch (RuntimeException e) {
      return null;
    }
  }
}
