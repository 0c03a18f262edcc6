package io.switchboard.demo;

import io.switchboard.config.ConfigReader;
import io.switchboard.service.BridgeSockets;
import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
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
 *
 * <p><b>Over the browser event-bus bridge</b> the same rooms are open to pages that use
 * {@code /eventbus}: a request to {@link #BRIDGE_ADDRESS} carries one command of the protocol
 * above plus the user's {@code name}, e.g. {@code {"type":"join","chatroom":"lobby","name":"ada"}};
 * the reply is the JSON array of what a WebSocket client would have been sent directly
 * ({@code name} replies with the room listing, a missing name with the name query). Room events
 * are published on {@link #roomAddress(String) demo.chat.room.<room>}, room creations and counts
 * on {@link #LOBBY_ADDRESS}. A bridge user is its bridge socket: it leaves its room when the
 * socket closes. Like the rooms, bridge users belong to one instance: run one.
 *
 * <p><b>Bounds</b> (config keys, defaults below): at most {@code maxRooms} rooms, room names of
 * at most {@code maxRoomNameLength} characters, user names of at most {@code maxUserNameLength},
 * messages of at most {@code maxMessageLength}, and a listing of the first {@code maxListedRooms}
 * rooms. A command over a bound is refused with a {@code notice}, e.g.
 * {@code {"type":"notice","notice":"Room names are at most 64 characters."}}; the session lives on.
 */
public class ChatService extends ServiceVerticle {

  /** Where bridge pages send their commands (request/reply). */
  public static final String BRIDGE_ADDRESS = "demo.chat";
  /** Where room creations and member counts are published for bridge pages. */
  public static final String LOBBY_ADDRESS = "demo.chat.rooms";
  /** The prefix of the per-room addresses bridge pages register on. */
  public static final String ROOM_ADDRESS_PREFIX = "demo.chat.room.";

  /** Most rooms the instance keeps; a create beyond it gets a notice. */
  public static final int DEFAULT_MAX_ROOMS = 1000;
  /** Longest room name, in characters. */
  public static final int DEFAULT_MAX_ROOM_NAME_LENGTH = 64;
  /** Longest user name, in characters. */
  public static final int DEFAULT_MAX_USER_NAME_LENGTH = 32;
  /** Longest chat message, in characters. */
  public static final int DEFAULT_MAX_MESSAGE_LENGTH = 4096;
  /** Most rooms a listing shows (the first ones created); the others can still be joined by name. */
  public static final int DEFAULT_MAX_LISTED_ROOMS = 200;

  private static final String ALL = "all";
  private static final String NAMED = "named";

  /** Room name to members, in creation order (the listing's order). */
  private final Map<String, Set<Chatter>> rooms = new LinkedHashMap<>();
  private final Map<String, Chatter> chatters = new HashMap<>();
  private final Map<String, BridgeChatter> bridgeChatters = new HashMap<>();
  private int maxRooms;
  private int maxRoomNameLength;
  private int maxUserNameLength;
  private int maxMessageLength;
  private int maxListedRooms;

  /** A member of the chat: a WebSocket session or a bridge socket. */
  private abstract static class Chatter {
    String name;
    String room;

    /** Sends to this chatter alone. */
    abstract void send(JsonObject msg);

    /** The session to leave out of a room's WebSocket fan-out, if this chatter has one. */
    abstract Session session();
  }

  private static final class SessionChatter extends Chatter {
    final Session session;

    SessionChatter(Session session) {
      this.session = session;
    }

    @Override
    void send(JsonObject msg) {
      session.send(msg.encode());
    }

    @Override
    Session session() {
      return session;
    }
  }

  /** What a bridge user is sent directly goes into the reply of the request being handled. */
  private static final class BridgeChatter extends Chatter {
    JsonArray reply;

    @Override
    void send(JsonObject msg) {
      if (reply != null) {
        reply.add(msg);
      }
    }

    @Override
    Session session() {
      return null;
    }
  }

  @Override
  protected String defaultName() {
    return "chat";
  }

  @Override
  protected void configure(ConfigReader conf) {
    maxRooms = conf.integer("maxRooms", DEFAULT_MAX_ROOMS, 1, 1_000_000);
    maxRoomNameLength = conf.integer("maxRoomNameLength", DEFAULT_MAX_ROOM_NAME_LENGTH, 1, 10_000);
    maxUserNameLength = conf.integer("maxUserNameLength", DEFAULT_MAX_USER_NAME_LENGTH, 1, 10_000);
    maxMessageLength = conf.integer("maxMessageLength", DEFAULT_MAX_MESSAGE_LENGTH, 1, 1_000_000);
    maxListedRooms = conf.integer("maxListedRooms", DEFAULT_MAX_LISTED_ROOMS, 0, 1_000_000);
  }

  /** The address a room's events are published on for bridge pages. */
  public static String roomAddress(String room) {
    return ROOM_ADDRESS_PREFIX + room;
  }

  @Override
  protected Future<?> onStart() {
    MessageConsumer<Object> requests = vertx.eventBus().consumer(BRIDGE_ADDRESS, this::onBridgeRequest);
    MessageConsumer<Object> closes = BridgeSockets.onClosed(vertx, this::onBridgeClosed);
    return Future.all(requests.completion(), closes.completion());
  }

  @Override
  protected void onOpen(Session session) {
    chatters.put(session.id(), new SessionChatter(session));
    session.join(ALL);
    session.send(nameQuery().encode());
    session.send(event(new JsonObject().put("type", "listing").put("chatrooms", listing())).encode());
  }

  @Override
  protected void onMessage(Session session, String text) {
    Chatter chatter = chatters.get(session.id());
    JsonObject msg = parse(text);
    if (chatter == null || msg == null) {
      return;
    }
    if (chatter.name == null) {
      if ("name".equals(type(msg)) && msg.getValue("name") instanceof String) {
        if (msg.getString("name").length() > maxUserNameLength) {
          chatter.send(notice("Names are at most " + maxUserNameLength + " characters."));
          return;
        }
        chatter.name = msg.getString("name");
        session.join(NAMED);
      } else {
        chatter.send(nameQuery());
      }
      return;
    }
    command(chatter, msg);
  }

  @Override
  protected void onClose(Session session, int code, String reason) {
    Chatter chatter = chatters.remove(session.id());
    if (chatter != null && chatter.room != null) {
      leaveRoom(chatter);
    }
  }

  private void onBridgeRequest(Message<Object> request) {
    String socket = BridgeSockets.socketOf(request);
    if (socket == null) {
      request.fail(400, BRIDGE_ADDRESS + " takes requests from the browser bridge only");
      return;
    }
    JsonObject msg = request.body() instanceof JsonObject ? (JsonObject) request.body() : null;
    if (msg == null || !(msg.getValue("name") instanceof String)) {
      request.reply(new JsonArray().add(nameQuery()));
      return;
    }
    if (msg.getString("name").length() > maxUserNameLength) {
      request.reply(new JsonArray().add(notice("Names are at most " + maxUserNameLength + " characters.")));
      return;
    }
    BridgeChatter chatter = bridgeChatters.computeIfAbsent(socket, s -> new BridgeChatter());
    chatter.name = msg.getString("name");
    chatter.reply = new JsonArray();
    if ("name".equals(type(msg))) {
      chatter.send(event(new JsonObject().put("type", "listing").put("chatrooms", listing())));
    } else {
      command(chatter, msg);
    }
    request.reply(chatter.reply);
    chatter.reply = null;
  }

  private void onBridgeClosed(String socket) {
    Chatter chatter = bridgeChatters.remove(socket);
    if (chatter != null && chatter.room != null) {
      leaveRoom(chatter);
    }
  }

  /** The commands of a named chatter. */
  private void command(Chatter chatter, JsonObject msg) {
    String type = type(msg);
    if (("join".equals(type) || "create".equals(type)) && msg.getValue("chatroom") instanceof String
      && msg.getString("chatroom").length() > maxRoomNameLength) {
      chatter.send(notice("Room names are at most " + maxRoomNameLength + " characters."));
    } else if ("join".equals(type) && msg.getValue("chatroom") instanceof String) {
      join(chatter, msg.getString("chatroom"));
    } else if ("create".equals(type) && msg.getValue("chatroom") instanceof String) {
      create(chatter, msg.getString("chatroom"));
    } else if ("message".equals(type) && chatter.room != null && msg.getValue("message") instanceof String) {
      if (msg.getString("message").length() > maxMessageLength) {
        chatter.send(notice("Messages are at most " + maxMessageLength + " characters."));
        return;
      }
      toRoom(chatter.room, event(new JsonObject()
        .put("type", "message").put("name", chatter.name).put("message", msg.getString("message"))), null);
    }
  }

  private void join(Chatter chatter, String room) {
    Set<Chatter> members = rooms.get(room);
    if (members == null) {
      chatter.send(notice("Chatroom " + room + " not found."));
      return;
    }
    if (chatter.room != null) {
      leaveRoom(chatter);
    }
    toRoom(room, event(new JsonObject().put("type", "newuser").put("name", chatter.name)), chatter);
    members.add(chatter);
    chatter.room = room;
    if (chatter.session() != null) {
      chatter.session().join(roomGroup(room));
    }
    publishCount(room, members.size());
    chatter.send(new JsonObject().put("type", "join").put("chatroom", room));
  }

  private void leaveRoom(Chatter chatter) {
    String room = chatter.room;
    Set<Chatter> members = rooms.get(room);
    members.remove(chatter);
    chatter.room = null;
    if (chatter.session() != null) {
      chatter.session().leave(roomGroup(room));
    }
    toRoom(room, event(new JsonObject().put("type", "logoff").put("name", chatter.name)), chatter);
    publishCount(room, members.size());
  }

  private void create(Chatter chatter, String room) {
    if (rooms.containsKey(room)) {
      return;
    }
    if (rooms.size() >= maxRooms) {
      chatter.send(notice("There are " + maxRooms + " chatrooms already; no more can be created."));
      return;
    }
    if (rooms.putIfAbsent(room, new LinkedHashSet<>()) == null) {
      toLobby(NAMED, event(new JsonObject().put("type", "newchatroom").put("name", room)));
    }
  }

  private void publishCount(String room, int count) {
    toLobby(ALL, event(new JsonObject().put("type", "update").put("data", new JsonArray().add(room).add(count))));
  }

  /** A room event: to the room's WebSocket members (but {@code except}) and to its bridge address. */
  private void toRoom(String room, JsonObject event, Chatter except) {
    Session skip = except == null ? null : except.session();
    if (skip == null) {
      publish(roomGroup(room), event.encode());
    } else {
      publish(roomGroup(room), event.encode(), skip);
    }
    vertx.eventBus().publish(roomAddress(room), event);
  }

  /** A lobby event: to a WebSocket group and to the bridge lobby address. */
  private void toLobby(String group, JsonObject event) {
    publish(group, event.encode());
    vertx.eventBus().publish(LOBBY_ADDRESS, event);
  }

  private JsonArray listing() {
    JsonArray list = new JsonArray();
    for (Map.Entry<String, Set<Chatter>> room : rooms.entrySet()) {
      if (list.size() >= maxListedRooms) {
        break;
      }
      list.add(new JsonArray().add(room.getKey()).add(room.getValue().size()));
    }
    return list;
  }

  private static String roomGroup(String room) {
    return "room:" + room;
  }

  private static String type(JsonObject msg) {
    return msg.getValue("type") instanceof String ? msg.getString("type") : null;
  }

  private static JsonObject notice(String text) {
    return new JsonObject().put("type", "notice").put("notice", text);
  }

  private static JsonObject nameQuery() {
    return new JsonObject().put("type", "query").put("query", "name");
  }

  private static JsonObject event(JsonObject event) {
    return new JsonObject().put("type", "event").put("event", event);
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
