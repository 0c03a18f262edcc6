package io.switchboard.demo;

import io.switchboard.config.ConfigReader;
import io.switchboard.service.BridgeSockets;
import io.switchboard.service.Failover;
import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.Counter;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

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
 * <p><b>Stateless</b>: run any number of instances in any number of JVMs; they behave as one, and
 * a lost instance's sessions are re-bound to another ({@code failover} is {@code rebind}) without
 * the client noticing. A {@code switchboard.v1} client that comes back after its connection ended
 * (a gateway restart or crash) resumes its session: it is in its room again, the room hears it
 * arrive again, and what was said meanwhile is replayed from the room's history (the
 * {@code "history"} of conf/chat.json). Nothing about a user lives in the instance:
 * <ul>
 *   <li>a user's name and current room are {@linkplain Session#setAttribute session attributes},
 *       kept by the gateway and handed to whichever instance the session is bound to;</li>
 *   <li>room membership is the group {@code room:<name>} with the member meta {@code {"name":...}};
 *       counts come from {@link #presence()} (cluster-wide; a count published while another
 *       instance's change was still on its way is published again, {@value #RECONCILE_MS} ms
 *       after it arrived); fan-out uses the groups {@code all}
 *       (every connected client), {@code named} and {@code room:<name>};</li>
 *   <li>the rooms (names and creation order) are shared data over the cluster manager: the
 *       {@link #ROOMS_MAP} async map (room → creation number from the {@link #ROOM_ORDER_COUNTER}
 *       counter). Each instance caches them, kept fresh by an event on {@link #INSTANCES_ADDRESS}
 *       at each creation; a join of a room not (yet) in the cache asks the map.</li>
 * </ul>
 *
 * <p><b>Over the browser event-bus bridge</b> the same rooms are open to pages that use
 * {@code /eventbus}: a request to {@link #BRIDGE_ADDRESS} carries one command of the protocol
 * above plus the user's {@code name}, e.g. {@code {"type":"join","chatroom":"lobby","name":"ada"}};
 * the reply is the JSON array of what a WebSocket client would have been sent directly
 * ({@code name} replies with the room listing, a missing name with the name query). Room events
 * are published on {@link #roomAddress(String) demo.chat.room.<room>}, room creations and counts
 * on {@link #LOBBY_ADDRESS}. A bridge user is its bridge socket: it leaves its room when the
 * socket closes. Bridge users are not sessions, so their state is shared data too: the
 * {@link #BRIDGE_USERS_MAP} async map (bridge socket id → {@code {"name":...,"room":...}}), and
 * one counter per room ({@link #BRIDGE_MEMBERS_COUNTER_PREFIX}{@code <room>}) whose value each
 * instance caches (refreshed by an event on {@link #INSTANCES_ADDRESS} at each change) and adds
 * to the room's group count. Any instance may answer any request of a bridge page.
 *
 * <p><b>Bounds</b> (config keys, defaults below): at most {@code maxRooms} rooms (checked against
 * the instance's cache of the cluster's rooms, so concurrent creates on several instances may pass
 * it by a few), room names of at most {@code maxRoomNameLength} characters, user names of at most
 * {@code maxUserNameLength}, messages of at most {@code maxMessageLength}, and a listing of the
 * first {@code maxListedRooms} rooms. A command over a bound is refused with a {@code notice},
 * e.g. {@code {"type":"notice","notice":"Room names are at most 64 characters."}}; the session
 * lives on. Commands of one session (or one bridge page, on one instance) are handled in order:
 * while one waits on shared data (a create, the join of a room this instance has not cached yet),
 * at most {@value #MAX_WAITING_COMMANDS} more (and {@value #MAX_WAITING_CHARS} characters of them)
 * wait behind it; a session that sends more is closed with 1008, a bridge request is failed (429).
 */
public class ChatService extends ServiceVerticle {

  /** Where bridge pages send their commands (request/reply). */
  public static final String BRIDGE_ADDRESS = "demo.chat";
  /** Where room creations and member counts are published for bridge pages. */
  public static final String LOBBY_ADDRESS = "demo.chat.rooms";
  /** The prefix of the per-room addresses bridge pages register on. */
  public static final String ROOM_ADDRESS_PREFIX = "demo.chat.room.";
  /** Where the chat's instances tell each other of a new room or a new bridge-member count (not bridged). */
  public static final String INSTANCES_ADDRESS = "demo.chat.instances";
  /** The cluster-wide async map of the rooms: room name → its creation number (the listing's order). */
  public static final String ROOMS_MAP = "demo.chat.rooms";
  /** The cluster-wide counter that numbers room creations. */
  public static final String ROOM_ORDER_COUNTER = "demo.chat.room-order";
  /** The cluster-wide async map of the bridge users: bridge socket id → {@code {"name":...,"room":...}}. */
  public static final String BRIDGE_USERS_MAP = "demo.chat.bridge-users";
  /** The prefix of the per-room cluster-wide counters of bridge members. */
  public static final String BRIDGE_MEMBERS_COUNTER_PREFIX = "demo.chat.bridge-members.";

  /** Most rooms the cluster keeps; a create beyond it gets a notice. */
  public static final int DEFAULT_MAX_ROOMS = 1000;
  /** Longest room name, in characters. */
  public static final int DEFAULT_MAX_ROOM_NAME_LENGTH = 64;
  /** Longest user name, in characters. */
  public static final int DEFAULT_MAX_USER_NAME_LENGTH = 32;
  /** Longest chat message, in characters. */
  public static final int DEFAULT_MAX_MESSAGE_LENGTH = 4096;
  /** Most rooms a listing shows (the first ones created); the others can still be joined by name. */
  public static final int DEFAULT_MAX_LISTED_ROOMS = 200;
  /** Most commands of one session waiting behind one that waits on shared data. */
  public static final int MAX_WAITING_COMMANDS = 4096;
  /** Most characters of the commands of one session waiting behind one that waits on shared data. */
  public static final int MAX_WAITING_CHARS = 1 << 20;

  /** How long after a membership change a count this instance published is checked (see {@code roomChanged}). */
  public static final long RECONCILE_MS = 300;

  /** The session attribute holding the user's name. */
  public static final String NAME_ATTRIBUTE = "name";
  /** The session attribute holding the user's current room. */
  public static final String ROOM_ATTRIBUTE = "room";

  private static final System.Logger LOG = System.getLogger(ChatService.class.getName());
  private static final String ALL = "all";
  private static final String NAMED = "named";
  private static final String ROOM_GROUP_PREFIX = "room:";

  /** The cache of the cluster's rooms: creation number → name, and name → creation number. */
  private final TreeMap<Long, String> roomsByOrder = new TreeMap<>();
  private final Map<String, Long> roomOrder = new HashMap<>();
  /** The cache of the bridge-member counts, by room (absent: none). */
  private final Map<String, Long> bridgeMembers = new HashMap<>();
  /** The bridge-member counters, by room (a cache of handles, bounded by the rooms). */
  private final Map<String, Counter> bridgeCounters = new HashMap<>();
  /**
   * Sessions with a command waiting on shared data: the tail of their command chain. Transient
   * (an entry lives for the milliseconds of a map operation); no user state.
   */
  private final Map<String, Waiting> waiting = new HashMap<>();
  /** Per room: the instance that published the latest count this instance has heard of, and that count. */
  private final Map<String, String> lastCountBy = new HashMap<>();
  private final Map<String, Long> lastCount = new HashMap<>();
  /** Rooms whose membership changed in this event-loop turn, to reconcile at its end. */
  private final Set<String> changedRooms = new LinkedHashSet<>();
  private AsyncMap<String, Long> rooms;
  private AsyncMap<String, JsonObject> bridgeUsers;
  private Counter roomOrderCounter;
  private int maxRooms;
  private int maxRoomNameLength;
  private int maxUserNameLength;
  private int maxMessageLength;
  private int maxListedRooms;

  private static final class Waiting {
    Future<Void> tail;
    int count;
    long chars;
  }

  @Override
  protected String defaultName() {
    return "chat";
  }

  @Override
  protected Failover defaultFailover() {
    return Failover.REBIND;
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
    MessageConsumer<JsonObject> instances = vertx.eventBus().consumer(INSTANCES_ADDRESS, m -> onInstanceEvent(m.body()));
    MessageConsumer<Object> requests = vertx.eventBus().consumer(BRIDGE_ADDRESS, this::onBridgeRequest);
    MessageConsumer<Object> closes = BridgeSockets.onClosed(vertx, this::onBridgeClosed);
    Future<AsyncMap<String, Long>> roomsMap = vertx.sharedData().getAsyncMap(ROOMS_MAP);
    Future<AsyncMap<String, JsonObject>> usersMap = vertx.sharedData().getAsyncMap(BRIDGE_USERS_MAP);
    // creating a Hazelcast counter handle blocks (a map write): off the event loop
    Future<Counter> order = vertx.executeBlocking(() -> vertx.sharedData().getCounter(ROOM_ORDER_COUNTER)).compose(f -> f);
    return Future.all(List.of(instances.completion(), requests.completion(), closes.completion(), roomsMap, usersMap, order))
      .compose(v -> {
        rooms = roomsMap.result();
        bridgeUsers = usersMap.result();
        roomOrderCounter = order.result();
        return rooms.entries();
      })
      .compose(entries -> {
        entries.forEach(this::cacheRoom);
        List<Future<?>> counts = new ArrayList<>();
        for (String room : entries.keySet()) {
          counts.add(bridgeCounter(room).compose(Counter::get).onSuccess(n -> cacheBridgeMembers(room, n)));
        }
        return Future.all(counts);
      });
  }

  @Override
  protected void onOpen(Session session) {
    if (session.isResume()) {
      // its client came back (switchboard.v1) with its name, room and groups; the room heard it
      // log off when its last connection ended, so it hears it again
      String room = roomOf(session);
      if (room != null && nameOf(session) != null) {
        inOrder(session.id(), 0, () -> { }, () -> {
          toRoom(room, event(new JsonObject().put("type", "newuser").put("name", nameOf(session))), session);
          publishCount(room);
          return Future.succeededFuture();
        });
      }
      return;
    }
    if (session.isRebind()) {
      return; // its name, room and groups came with it
    }
    session.join(ALL);
    session.send(nameQuery().encode());
    session.send(event(new JsonObject().put("type", "listing").put("chatrooms", listing())).encode());
  }

  @Override
  protected void onMessage(Session session, String text) {
    JsonObject msg = parse(text);
    if (msg != null) {
      inOrder(session.id(), text.length(), () -> session.close(1008, "Too many commands waiting"), () -> command(session, msg));
    }
  }

  @Override
  protected void onClose(Session session, int code, String reason) {
    // it has left its groups already (the presence counts no longer include it)
    inOrder(session.id(), 0, () -> { }, () -> {
      String room = roomOf(session);
      if (room != null) {
        toRoom(room, event(new JsonObject().put("type", "logoff").put("name", nameOf(session))), session);
        publishCount(room);
      }
      return Future.succeededFuture();
    });
  }

  /**
   * Runs a user's command now, or after those of the user still waiting on shared data; a user is
   * a session id or a bridge socket id. {@code overflow} runs instead when too much is waiting.
   */
  private void inOrder(String user, int chars, Runnable overflow, Supplier<Future<Void>> command) {
    Waiting w = waiting.get(user);
    Future<Void> done;
    if (w == null) {
      done = run(command);
      if (done.isComplete()) {
        return;
      }
      w = new Waiting();
      waiting.put(user, w);
    } else {
      if (w.count >= MAX_WAITING_COMMANDS || w.chars + chars > MAX_WAITING_CHARS) {
        waiting.remove(user);
        overflow.run();
        return;
      }
      Waiting ww = w;
      ww.count++;
      ww.chars += chars;
      done = w.tail.transform(ar -> {
        ww.count--;
        ww.chars -= chars;
        return run(command);
      });
    }
    w.tail = done;
    Waiting mine = w;
    done.onComplete(ar -> {
      if (mine.tail == done && waiting.get(user) == mine) {
        waiting.remove(user);
      }
    });
  }

  private static Future<Void> run(Supplier<Future<Void>> command) {
    try {
      return command.get().recover(err -> {
        LOG.log(System.Logger.Level.WARNING, "Chat command failed: " + err);
        return Future.succeededFuture();
      });
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Chat command failed", e);
      return Future.succeededFuture();
    }
  }

  /** A WebSocket client's command. */
  private Future<Void> command(Session session, JsonObject msg) {
    String type = type(msg);
    String name = nameOf(session);
    if (name == null) {
      if ("name".equals(type) && msg.getValue("name") instanceof String) {
        if (msg.getString("name").length() > maxUserNameLength) {
          session.send(notice("Names are at most " + maxUserNameLength + " characters.").encode());
          return Future.succeededFuture();
        }
        session.setAttribute(NAME_ATTRIBUTE, msg.getString("name"));
        session.join(NAMED);
      } else {
        session.send(nameQuery().encode());
      }
      return Future.succeededFuture();
    }
    String room = msg.getValue("chatroom") instanceof String ? msg.getString("chatroom") : null;
    if (("join".equals(type) || "create".equals(type)) && room != null && room.length() > maxRoomNameLength) {
      session.send(notice("Room names are at most " + maxRoomNameLength + " characters.").encode());
    } else if ("join".equals(type) && room != null) {
      return roomExists(room).map(exists -> {
        if (exists) {
          join(session, name, room);
        } else {
          session.send(notice("Chatroom " + room + " not found.").encode());
        }
        return null;
      });
    } else if ("create".equals(type) && room != null) {
      return create(room, n -> session.send(n.encode()));
    } else if ("message".equals(type) && roomOf(session) != null && msg.getValue("message") instanceof String) {
      if (msg.getString("message").length() > maxMessageLength) {
        session.send(notice("Messages are at most " + maxMessageLength + " characters.").encode());
      } else {
        toRoom(roomOf(session), event(new JsonObject()
          .put("type", "message").put("name", name).put("message", msg.getString("message"))), null);
      }
    }
    return Future.succeededFuture();
  }

  private void join(Session session, String name, String room) {
    if (!session.isOpen()) {
      return; // closed while the join waited on shared data: its onClose has run, announce nothing
    }
    String old = roomOf(session);
    if (old != null) {
      session.leave(roomGroup(old));
      session.setAttribute(ROOM_ATTRIBUTE, null);
      toRoom(old, event(new JsonObject().put("type", "logoff").put("name", name)), session);
      publishCount(old);
    }
    toRoom(room, event(new JsonObject().put("type", "newuser").put("name", name)), session);
    session.join(roomGroup(room), new JsonObject().put("name", name));
    session.setAttribute(ROOM_ATTRIBUTE, room);
    publishCount(room);
    session.send(new JsonObject().put("type", "join").put("chatroom", room).encode());
  }

  /** Creates a room unless it exists; {@code notices} gets a refusal. */
  private Future<Void> create(String room, java.util.function.Consumer<JsonObject> notices) {
    if (roomOrder.containsKey(room)) {
      return Future.succeededFuture();
    }
    if (roomOrder.size() >= maxRooms) {
      notices.accept(notice("There are " + maxRooms + " chatrooms already; no more can be created."));
      return Future.succeededFuture();
    }
    return roomOrderCounter.incrementAndGet()
      .compose(order -> rooms.putIfAbsent(room, order).map(existing -> {
        if (existing != null) {
          cacheRoom(room, existing);
        } else if (cacheRoom(room, order)) {
          vertx.eventBus().publish(INSTANCES_ADDRESS, new JsonObject().put("op", "created").put("room", room).put("order", order));
          toLobby(NAMED, event(new JsonObject().put("type", "newchatroom").put("name", room)));
        }
        return (Void) null;
      }))
      .recover(err -> {
        LOG.log(System.Logger.Level.WARNING, "Cannot create chatroom " + room + ": " + err);
        notices.accept(notice("Chatroom " + room + " could not be created; try again."));
        return Future.succeededFuture();
      });
  }

  /** Whether a room exists: from the cache, else from the cluster's map (a creation in flight). */
  private Future<Boolean> roomExists(String room) {
    if (roomOrder.containsKey(room)) {
      return Future.succeededFuture(true);
    }
    return rooms.get(room).map(order -> {
      if (order != null) {
        cacheRoom(room, order);
      }
      return order != null;
    });
  }

  private boolean cacheRoom(String room, Long order) {
    if (roomOrder.putIfAbsent(room, order) != null) {
      return false;
    }
    roomsByOrder.put(order, room);
    return true;
  }

  private void cacheBridgeMembers(String room, long count) {
    if (count > 0) {
      bridgeMembers.put(room, count);
    } else {
      bridgeMembers.remove(room);
    }
  }

  private void onInstanceEvent(JsonObject event) {
    if (event == null || !(event.getValue("room") instanceof String room)) {
      return;
    }
    if ("created".equals(event.getString("op")) && event.getValue("order") instanceof Number order) {
      cacheRoom(room, order.longValue());
    } else if ("bridge".equals(event.getString("op")) && event.getValue("count") instanceof Number count) {
      cacheBridgeMembers(room, count.longValue());
    } else if ("count".equals(event.getString("op")) && event.getValue("count") instanceof Number count
      && event.getValue("from") instanceof String from && !from.equals(instanceAddress()) && roomOrder.containsKey(room)) {
      lastCountBy.put(room, from);
      lastCount.put(room, count.longValue());
    }
  }

  @Override
  protected void onJoined(String group, String sessionId, JsonObject meta) {
    roomChanged(group);
  }

  @Override
  protected void onLeft(String group, String sessionId, JsonObject meta) {
    roomChanged(group);
  }

  /**
   * Counts converge. Other instances' joins and leaves arrive here as presence deltas, so a count
   * this instance published may have missed a change made elsewhere just before. When a room's
   * membership changes and this instance published the latest count heard of for it, the count is
   * checked {@value #RECONCILE_MS} ms later and published again if it differs. The wait lets the
   * instance that made the change publish its own count first (its count event reaches the other
   * instances about as fast as the delta), and lets a closing session's {@code onClose} publish
   * the count after its leaves; so a count published again is one that was wrong, and at most
   * {@value #RECONCILE_MS} ms late.
   */
  private void roomChanged(String group) {
    if (!group.startsWith(ROOM_GROUP_PREFIX)) {
      return;
    }
    if (changedRooms.isEmpty()) {
      vertx.setTimer(RECONCILE_MS, id -> {
        List<String> rooms = new ArrayList<>(changedRooms);
        changedRooms.clear();
        rooms.forEach(this::reconcileCount);
      });
    }
    changedRooms.add(group.substring(ROOM_GROUP_PREFIX.length()));
  }

  private void reconcileCount(String room) {
    Long published = lastCount.get(room);
    if (instanceAddress().equals(lastCountBy.get(room)) && published != null && published != count(room)) {
      publishCount(room);
    }
  }

  // ---- the bridge users

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
    String name = msg.getString("name");
    if (name.length() > maxUserNameLength) {
      request.reply(new JsonArray().add(notice("Names are at most " + maxUserNameLength + " characters.")));
      return;
    }
    // one page's requests in order (its create, then its join, sent without waiting), like a session's commands
    String text = msg.encode();
    inOrder(socket, text.length(), () -> request.fail(429, "too many requests waiting"), () -> {
      JsonArray reply = new JsonArray();
      Future<Void> done;
      try {
        done = bridgeCommand(socket, name, msg, reply);
      } catch (RuntimeException e) {
        done = Future.failedFuture(e);
      }
      return done.transform(ar -> {
        if (ar.failed()) {
          LOG.log(System.Logger.Level.WARNING, "Chat bridge command failed: " + ar.cause());
          request.fail(500, "the chat could not handle the command; try again");
        } else {
          request.reply(reply);
        }
        return Future.<Void>succeededFuture();
      });
    });
  }

  private Future<Void> bridgeCommand(String socket, String name, JsonObject msg, JsonArray reply) {
    String type = type(msg);
    String room = msg.getValue("chatroom") instanceof String ? msg.getString("chatroom") : null;
    if ("name".equals(type)) {
      reply.add(event(new JsonObject().put("type", "listing").put("chatrooms", listing())));
    } else if (("join".equals(type) || "create".equals(type)) && room != null && room.length() > maxRoomNameLength) {
      reply.add(notice("Room names are at most " + maxRoomNameLength + " characters."));
    } else if ("join".equals(type) && room != null) {
      return roomExists(room).compose(exists -> {
        if (!exists) {
          reply.add(notice("Chatroom " + room + " not found."));
          return Future.succeededFuture();
        }
        return bridgeUsers.get(socket).compose(user -> {
          String old = user == null ? null : user.getString("room");
          Future<Void> left = old == null ? Future.succeededFuture() : bridgeLeave(old, name);
          return left.compose(v -> {
            toRoom(room, event(new JsonObject().put("type", "newuser").put("name", name)), null);
            return bridgeUsers.put(socket, new JsonObject().put("name", name).put("room", room));
          }).compose(v -> bridgeMembersAdd(room, 1)).map(n -> {
            publishCount(room);
            reply.add(new JsonObject().put("type", "join").put("chatroom", room));
            return null;
          });
        });
      });
    } else if ("create".equals(type) && room != null) {
      return create(room, reply::add);
    } else if ("message".equals(type) && msg.getValue("message") instanceof String) {
      String text = msg.getString("message");
      return bridgeUsers.get(socket).map(user -> {
        String current = user == null ? null : user.getString("room");
        if (current == null) {
          return null;
        }
        if (text.length() > maxMessageLength) {
          reply.add(notice("Messages are at most " + maxMessageLength + " characters."));
        } else {
          toRoom(current, event(new JsonObject().put("type", "message").put("name", name).put("message", text)), null);
        }
        return null;
      });
    }
    return Future.succeededFuture();
  }

  /** A bridge user leaves a room: one member less, the room and the lobby told. */
  private Future<Void> bridgeLeave(String room, String name) {
    return bridgeMembersAdd(room, -1).map(n -> {
      toRoom(room, event(new JsonObject().put("type", "logoff").put("name", name)), null);
      publishCount(room);
      return null;
    });
  }

  private void onBridgeClosed(String socket) {
    if (socket == null || bridgeUsers == null) {
      return;
    }
    // every instance hears of the close; the one whose remove finds the user does the leaving
    bridgeUsers.remove(socket).compose(user -> user == null || user.getString("room") == null
        ? Future.succeededFuture()
        : bridgeLeave(user.getString("room"), user.getString("name")))
      .onFailure(err -> LOG.log(System.Logger.Level.WARNING, "Cannot remove chat bridge user " + socket + ": " + err));
  }

  /** Adds to a room's bridge-member counter; caches the new value here and tells the other instances. */
  private Future<Long> bridgeMembersAdd(String room, long delta) {
    return bridgeCounter(room).compose(c -> c.addAndGet(delta)).onSuccess(n -> {
      cacheBridgeMembers(room, n);
      vertx.eventBus().publish(INSTANCES_ADDRESS, new JsonObject().put("op", "bridge").put("room", room).put("count", n));
    });
  }

  private Future<Counter> bridgeCounter(String room) {
    Counter c = bridgeCounters.get(room);
    if (c != null) {
      return Future.succeededFuture(c);
    }
    // creating a Hazelcast counter handle blocks (a map write): off the event loop
    return vertx.executeBlocking(() -> vertx.sharedData().getCounter(BRIDGE_MEMBERS_COUNTER_PREFIX + room))
      .compose(f -> f)
      .onSuccess(counter -> bridgeCounters.put(room, counter));
  }

  // ---- fan-out

  /** A room's member count: its group's members on every gateway, plus its bridge users. */
  private long count(String room) {
    return presence().count(roomGroup(room)) + bridgeMembers.getOrDefault(room, 0L);
  }

  private void publishCount(String room) {
    long count = count(room);
    lastCountBy.put(room, instanceAddress());
    lastCount.put(room, count);
    vertx.eventBus().publish(INSTANCES_ADDRESS, new JsonObject().put("op", "count").put("room", room).put("count", count)
      .put("from", instanceAddress()));
    toLobby(ALL, event(new JsonObject().put("type", "update").put("data", new JsonArray().add(room).add(count))));
  }

  /** A room event: to the room's WebSocket members (but {@code except}) and to its bridge address. */
  private void toRoom(String room, JsonObject event, Session except) {
    if (except == null) {
      publish(roomGroup(room), event.encode());
    } else {
      publish(roomGroup(room), event.encode(), except);
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
    for (String room : roomsByOrder.values()) {
      if (list.size() >= maxListedRooms) {
        break;
      }
      list.add(new JsonArray().add(room).add(count(room)));
    }
    return list;
  }

  private static String nameOf(Session session) {
    Object name = session.attributes().getValue(NAME_ATTRIBUTE);
    return name instanceof String ? (String) name : null;
  }

  private static String roomOf(Session session) {
    Object room = session.attributes().getValue(ROOM_ATTRIBUTE);
    return room instanceof String ? (String) room : null;
  }

  private static String roomGroup(String room) {
    return ROOM_GROUP_PREFIX + room;
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
