package io.switchboard.bridge;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.CloseCodes;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.registry.Announce;
import io.switchboard.registry.ClusterMembership;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One bridge client: its socket, the service its token names, what it registered, the requests it
 * has not answered, and the sessions bound to its instances. Created on accept, freed in
 * {@link #free()} (the one place), confined to the socket's event loop.
 *
 * <p>Wire format (the Vert.x TCP bridge's): a 4-byte big-endian length, then that many bytes of
 * UTF-8 JSON. Every frame the client sends passes {@link #onFrame}; a refused action gets an
 * {@code err} frame and reaches nothing; a malformed or unauthenticated frame gets an {@code err}
 * frame and the connection is closed.
 */
final class BridgeConnection {

  private static final System.Logger LOG = System.getLogger(BridgeConnection.class.getName());
  private static final int LOGGED_REFUSALS = 10;

  /** A request the client got and has not answered: kept to route its reply. */
  private static final class Pending {
    final Message<Object> message;
    final long since;

    Pending(Message<Object> message, long since) {
      this.message = message;
      this.since = since;
    }
  }

  private final Vertx vertx;
  private final EventBus eb;
  private final TcpBridgeOptions options;
  private final NetSocket socket;
  private final Runnable onFreed;
  private final RecordParser parser;
  private final Map<String, MessageConsumer<Object>> consumers = new HashMap<>();
  private final LinkedHashMap<String, Pending> replies = new LinkedHashMap<>();
  /** Session id to the address of the gateway node holding it, for sessions bound to this client. */
  private final Map<String, String> sessions = new HashMap<>();
  /** The last announce of each instance this client announced and did not withdraw: said lost when it drops. */
  private final Map<String, JsonObject> announced = new HashMap<>();
  /** This JVM's cluster membership: the client's announces are stamped with it (null: not clustered). */
  private final ClusterMembership membership;
  private TcpBridgeOptions.ServiceGrant grant;
  private int expected = -1;
  private int refusals;
  private long authTimer;
  private boolean closed;

  BridgeConnection(Vertx vertx, TcpBridgeOptions options, NetSocket socket, Runnable onFreed) {
    this.vertx = vertx;
    this.eb = vertx.eventBus();
    this.options = options;
    this.socket = socket;
    this.onFreed = onFreed;
    this.membership = ClusterMembership.of(vertx);
    this.parser = RecordParser.newFixed(4, this::onRecord);
    socket.setWriteQueueMaxSize(options.maxOutboundBytes());
    socket.handler(parser);
    socket.exceptionHandler(err -> socket.close());
    socket.closeHandler(v -> free());
    authTimer = vertx.setTimer(options.authTimeoutMs(), id -> {
      authTimer = -1;
      if (grant == null) {
        fatal("no frame with a token within " + options.authTimeoutMs() + " ms");
      }
    });
  }

  /** The service this client serves, or {@code null} before its first frame. */
  String service() {
    return grant == null ? null : grant.name();
  }

  /** Fails requests the client left unanswered for longer than the reply timeout. */
  void expireReplies(long now) {
    for (Iterator<Pending> it = replies.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (now - p.since < TcpBridgeOptions.DEFAULT_REPLY_TIMEOUT_MS) {
        break; // insertion order: the rest are younger
      }
      it.remove();
      forgetOpen(p);
      p.message.fail(CloseCodes.SERVICE_RESTART, "bridge client of " + service() + " did not answer in time");
    }
  }

  private void forgetOpen(Pending p) {
    String sid = opening(p.message);
    if (sid != null) {
      sessions.remove(sid);
    }
  }

  // -- framing ---------------------------------------------------------------------------------

  private void onRecord(Buffer record) {
    if (closed) {
      return;
    }
    if (expected < 0) {
      int length = record.getInt(0);
      int cap = grant == null ? options.maxFirstFrameBytes() : options.maxFrameBytes();
      if (length <= 0 || length > cap) {
        fatal("frame length " + Integer.toUnsignedLong(length) + " is not from 1 to " + cap + " bytes"
          + (grant == null ? " (the first frame, before the token is checked)" : "")
          + " (\"maxFrameBytes\" in the bridge config)");
        return;
      }
      expected = length;
      parser.fixedSizeMode(length);
      return;
    }
    expected = -1;
    parser.fixedSizeMode(4);
    JsonObject frame;
    try {
      Object json = Json.decodeValue(record);
      if (!(json instanceof JsonObject)) {
        fatal("a frame is a JSON object, got " + (json == null ? "null" : json.getClass().getSimpleName()));
        return;
      }
      frame = (JsonObject) json;
    } catch (DecodeException e) {
      fatal("a frame is a JSON object: " + e.getMessage());
      return;
    }
    onFrame(frame);
  }

  // -- frames from the client -----------------------------------------------------------------------

  private void onFrame(JsonObject frame) {
    String malformed = malformed(frame);
    if (malformed != null) {
      fatal(malformed);
      return;
    }
    JsonObject headers = frame.getJsonObject("headers");
    Object token = headers == null ? null : headers.remove(TcpBridgeOptions.TOKEN_HEADER);
    if (!authenticate(token)) {
      fatal("missing or wrong token: set the \"" + TcpBridgeOptions.TOKEN_HEADER + "\" header of every frame to the"
        + " token of your service (the Python SDK reads " + TcpBridgeOptions.ENV_TOKEN + " or the bridge's token file)");
      return;
    }
    String type = frame.getString("type");
    String address = frame.getString("address");
    switch (type) {
      case "ping":
        write(new JsonObject().put("type", "pong"));
        break;
      case "register":
        register(address);
        break;
      case "unregister":
        unregister(address);
        break;
      case "send":
        send(frame, address, headers);
        break;
      case "publish":
        publish(frame, address, headers);
        break;
      default:
        throw new IllegalStateException(type); // malformed() allows no other type
    }
  }

  /** Why a frame is not a bridge frame, or {@code null}. */
  private static String malformed(JsonObject frame) {
    Object type = frame.getValue("type");
    if (!(type instanceof String)) {
      return "a frame needs a string \"type\" (ping, register, unregister, send or publish)";
    }
    switch ((String) type) {
      case "ping":
      case "register":
      case "unregister":
      case "send":
      case "publish":
        break;
      default:
        return "unknown frame type \"" + type + "\" (ping, register, unregister, send or publish)";
    }
    Object headers = frame.getValue("headers");
    if (headers != null) {
      if (!(headers instanceof JsonObject)) {
        return "\"headers\" must be a JSON object of strings";
      }
      for (Map.Entry<String, Object> h : (JsonObject) headers) {
        if (!(h.getValue() instanceof String)) {
          return "header \"" + h.getKey() + "\" must be a string";
        }
      }
    }
    Object address = frame.getValue("address");
    if (!"ping".equals(type) && !(address instanceof String)) {
      return "a " + type + " frame needs a string \"address\"";
    }
    Object reply = frame.getValue("replyAddress");
    if (reply != null && !(reply instanceof String)) {
      return "\"replyAddress\" must be a string";
    }
    Object code = frame.getValue("failureCode");
    if (code != null && !(code instanceof Integer)) {
      return "\"failureCode\" must be an integer";
    }
    return null;
  }

  /** The first frame's token names the service; every later frame must carry the same token. */
  private boolean authenticate(Object token) {
    if (!(token instanceof String)) {
      return false;
    }
    byte[] given = ((String) token).getBytes(StandardCharsets.UTF_8);
    if (grant != null) {
      return MessageDigest.isEqual(given, grant.token().getBytes(StandardCharsets.UTF_8));
    }
    TcpBridgeOptions.ServiceGrant match = null;
    for (TcpBridgeOptions.ServiceGrant g : options.services().values()) {
      if (MessageDigest.isEqual(given, g.token().getBytes(StandardCharsets.UTF_8))) {
        match = g; // no early exit: the time taken does not say which one matched
      }
    }
    if (match != null) {
      grant = match;
      vertx.cancelTimer(authTimer);
      LOG.log(System.Logger.Level.INFO, "TCP bridge client " + socket.remoteAddress() + " serves " + grant.name());
    }
    return match != null;
  }

  private void register(String address) {
    if (!BridgeRules.mayRegister(grant.name(), address)) {
      refuse("a client of " + grant.name() + " registers only on " + Addresses.service(grant.name()) + ", "
        + Addresses.serviceInstance(grant.name(), "<id>") + ", " + Addresses.REGISTRY_HELLO + " and "
        + Addresses.presence(grant.name()) + ", not " + address);
    } else if (consumers.containsKey(address)) {
      refuse("already registered on " + address);
    } else if (consumers.size() >= TcpBridgeOptions.DEFAULT_MAX_REGISTRATIONS) {
      refuse("at most " + TcpBridgeOptions.DEFAULT_MAX_REGISTRATIONS + " registrations per connection");
    } else {
      consumers.put(address, eb.consumer(address, this::deliver));
    }
  }

  private void unregister(String address) {
    MessageConsumer<Object> consumer = consumers.remove(address);
    if (consumer == null) {
      refuse("not registered on " + address);
    } else {
      consumer.unregister();
      JsonObject announce = announced.remove(address); // announced and not withdrawn: it is gone now
      if (announce != null) {
        eb.publish(Addresses.REGISTRY, Announce.lost(announce));
      }
    }
  }

  private void send(JsonObject frame, String address, JsonObject headers) {
    if (frame.getString("replyAddress") != null) {
      refuse("a bridge client answers requests but makes none (no \"replyAddress\")");
      return;
    }
    Pending pending = replies.remove(address);
    if (pending != null) {
      answer(pending.message, frame, headers);
    } else if (BridgeRules.gatewayAddress(address)) {
      push(address, frame.getValue("body"), headers);
    } else {
      refuse("a client of " + grant.name() + " sends only to gateway nodes and to requests it got, not to " + address);
    }
  }

  /**
   * The answer to a request. An open's session was bound to this client when the open arrived
   * (a service pushes to it while opening); a failed open, or one answered with an instance this
   * client did not register, unbinds it.
   */
  private void answer(Message<Object> request, JsonObject frame, JsonObject headers) {
    String sid = opening(request);
    Integer failure = frame.getInteger("failureCode");
    if (failure != null) {
      if (sid != null) {
        sessions.remove(sid);
      }
      request.fail(failure, frame.getString("message", ""));
      return;
    }
    if (sid != null) {
      String instance = headers == null ? null : headers.getString(Headers.INSTANCE);
      if (instance == null || !consumers.containsKey(instance) || !BridgeRules.instanceAddress(grant.name(), instance)) {
        sessions.remove(sid);
        request.fail(CloseCodes.INTERNAL_ERROR, "Service " + grant.name() + " answered an open with a foreign instance");
        refuse("an open is answered with header " + Headers.INSTANCE + " naming an instance this connection registered, not "
          + instance);
        return;
      }
    }
    request.reply(frame.getValue("body"), deliveryOptions(headers));
  }

  /** The session id of an open request (one with a session and a gateway), else {@code null}. */
  private static String opening(Message<Object> request) {
    return Op.OPEN.wire().equals(request.headers().get(Headers.OP)) && request.headers().get(Headers.GATEWAY) != null
      ? request.headers().get(Headers.SESSION) : null;
  }

  /** A push to one session: only to a session bound to this client, at the gateway node holding it. */
  private void push(String address, Object body, JsonObject headers) {
    String op = headers == null ? null : headers.getString(Headers.OP);
    String sid = headers == null ? null : headers.getString(Headers.SESSION);
    Op known = Op.of(op);
    if (known == Op.SYNC && headers != null) { // presence: a snapshot of its own service, to an instance it registered
      String instance = headers.getString(Headers.INSTANCE);
      if (BridgeRules.ownSync(grant.name(), headers.getString(Headers.SERVICE), instance) && consumers.containsKey(instance)) {
        eb.send(address, null, deliveryOptions(headers));
      } else {
        refuse("a sync names this client's service and one of its registered instance addresses, not "
          + headers.getString(Headers.SERVICE) + " / " + instance);
      }
    } else if (known == null || !known.isSessionMessage()) {
      refuse("to a gateway a client sends " + Headers.OP + " text, binary, close, join, leave, attr or sync, not " + op);
    } else if (sid == null || !address.equals(sessions.get(sid))) {
      refuse("session " + sid + " is not bound to an instance of " + grant.name() + " at " + address);
    } else if ((Op.JOIN.wire().equals(op) || Op.LEAVE.wire().equals(op))
      && !BridgeRules.ownGroup(grant.name(), headers.getString(Headers.GROUP))) {
      refuse("groups of " + grant.name() + " are named " + Addresses.group(grant.name(), "<group>") + ", not "
        + headers.getString(Headers.GROUP));
    } else {
      eb.send(address, body, deliveryOptions(headers));
    }
  }

  private void publish(JsonObject frame, String address, JsonObject headers) {
    Object body = frame.getValue("body");
    if (Addresses.GROUPS.equals(address)) {
      String op = headers == null ? null : headers.getString(Headers.OP);
      String group = headers == null ? null : headers.getString(Headers.GROUP);
      if (!(Op.TEXT.wire().equals(op) || Op.BINARY.wire().equals(op))) {
        refuse("a group publish has " + Headers.OP + " text or binary, not " + op);
      } else if (!BridgeRules.ownGroup(grant.name(), group)) {
        refuse("a client of " + grant.name() + " publishes only to its groups ("
          + Addresses.group(grant.name(), "<group>") + "), not " + group);
      } else {
        eb.publish(address, body, deliveryOptions(headers));
      }
    } else if (Addresses.REGISTRY.equals(address)) {
      String why = body instanceof JsonObject ? vetAnnounce((JsonObject) body) : "an announce is a JSON object";
      if (why != null) {
        refuse(why);
      } else {
        JsonObject announce = stamp((JsonObject) body);
        String instance = announce.getString(Announce.INSTANCE);
        if (Announce.OP_WITHDRAW.equals(announce.getString(Announce.OP))) {
          announced.remove(instance);
        } else {
          announced.put(instance, announce);
        }
        eb.publish(address, announce, deliveryOptions(headers));
      }
    } else {
      refuse("only " + Addresses.GROUPS + " and " + Addresses.REGISTRY + " take a publish, not " + address);
    }
  }

  /**
   * The client's announce as the cluster sees it: said by this JVM's cluster member, so that the
   * instance is lost the moment this JVM leaves the cluster (a client cannot name another member).
   */
  private JsonObject stamp(JsonObject announce) {
    String member = membership == null ? null : membership.localNode();
    return member == null ? announce.copy() : announce.copy().put(Announce.MEMBER, member);
  }

  /** Why this client may not publish this announce or withdraw, or {@code null}. */
  private String vetAnnounce(JsonObject msg) {
    String op = msg.getValue(Announce.OP) instanceof String ? msg.getString(Announce.OP) : null;
    if (!Announce.OP_ANNOUNCE.equals(op) && !Announce.OP_WITHDRAW.equals(op)) {
      return "a registry message has op announce or withdraw, not " + op;
    }
    Object role = msg.getValue(Announce.ROLE);
    if (role != null && !Announce.ROLE_SERVICE.equals(role)) {
      return "a client of " + grant.name() + " announces only its service (role service), not role " + role;
    }
    if (!grant.name().equals(msg.getValue(Announce.SERVICE))) {
      return "a client of " + grant.name() + " announces only " + grant.name() + ", not " + msg.getValue(Announce.SERVICE);
    }
    Object instance = msg.getValue(Announce.INSTANCE);
    if (!(instance instanceof String) || !BridgeRules.instanceAddress(grant.name(), (String) instance)
      || !consumers.containsKey(instance)) {
      return "a client announces only instances it registered on, not " + instance;
    }
    if (Announce.OP_WITHDRAW.equals(op)) {
      return null;
    }
    Object heartbeat = msg.getValue(Announce.HEARTBEAT_MS);
    if (heartbeat != null && (!(heartbeat instanceof Number) || ((Number) heartbeat).longValue() < options.minHeartbeatMs())) {
      return "\"" + Announce.HEARTBEAT_MS + "\" must be a number of at least " + options.minHeartbeatMs() + " ms, got " + heartbeat;
    }
    Object paths = msg.getValue(Announce.PATHS);
    if (paths != null && !(paths instanceof JsonArray)) {
      return "\"" + Announce.PATHS + "\" must be an array";
    }
    for (Object p : paths == null ? new JsonArray() : (JsonArray) paths) {
      if (!(p instanceof String) || !BridgeRules.servablePath((String) p)) {
        return "a bridge service announces paths of one segment like \"/py_chat\", never "
          + String.join(", ", BridgeRules.RESERVED_PATHS) + "; not " + p;
      }
      if (grant.paths() != null && !grant.paths().contains(p)) {
        return grant.name() + " may announce only " + grant.paths() + " (\"services\" in the bridge config), not " + p;
      }
    }
    return null;
  }

  private static DeliveryOptions deliveryOptions(JsonObject headers) {
    DeliveryOptions options = new DeliveryOptions();
    if (headers != null) {
      for (Map.Entry<String, Object> h : headers) {
        options.addHeader(h.getKey(), (String) h.getValue());
      }
    }
    return options;
  }

  // -- messages to the client -----------------------------------------------------------------------

  private void deliver(Message<Object> msg) {
    if (closed) {
      if (msg.replyAddress() != null) {
        msg.fail(CloseCodes.SERVICE_RESTART, "bridge client of " + service() + " is gone");
      }
      return;
    }
    String op = msg.headers().get(Headers.OP);
    String sid = msg.headers().get(Headers.SESSION);
    if (Op.CLOSE.wire().equals(op) && sid != null) {
      sessions.remove(sid); // the session is over: the client may no longer address it
    }
    String opening = msg.replyAddress() == null ? null : opening(msg);
    if (opening != null) { // only gateways send opens: bridge clients cannot send to service addresses
      if (sessions.size() >= options.maxSessions() && !sessions.containsKey(opening)) {
        msg.fail(CloseCodes.TRY_AGAIN_LATER, "Service " + service() + " holds too many sessions on this bridge connection");
        LOG.log(System.Logger.Level.WARNING, "TCP bridge: " + service() + " at " + socket.remoteAddress() + " holds "
          + options.maxSessions() + " sessions (\"maxSessions\"); an open was refused");
        return;
      }
      sessions.put(opening, msg.headers().get(Headers.GATEWAY));
    }
    JsonObject headers = new JsonObject();
    msg.headers().forEach(h -> headers.put(h.getKey(), h.getValue()));
    JsonObject frame = new JsonObject().put("type", "message").put("address", msg.address())
      .put("headers", headers).put("send", msg.isSend());
    if (msg.body() != null) {
      frame.put("body", msg.body());
    }
    if (msg.replyAddress() != null) {
      frame.put("replyAddress", msg.replyAddress());
      if (replies.size() >= options.maxPendingReplies()) {
        Iterator<Pending> oldest = replies.values().iterator();
        Pending evicted = oldest.next();
        oldest.remove();
        forgetOpen(evicted);
        evicted.message.fail(CloseCodes.TRY_AGAIN_LATER, "bridge client of " + service() + " has too many unanswered requests");
      }
      replies.put(msg.replyAddress(), new Pending(msg, System.nanoTime() / 1_000_000));
    }
    write(frame);
  }

  private void write(JsonObject frame) {
    if (closed) {
      return;
    }
    Buffer buffer;
    try {
      buffer = encode(frame);
    } catch (RuntimeException e) { // a body the bridge cannot carry as JSON
      LOG.log(System.Logger.Level.WARNING, "TCP bridge cannot carry a message to " + frame.getString("address")
        + " as JSON: " + e.getMessage());
      return;
    }
    if (socket.writeQueueFull()) {
      fatal("the client does not read: more than " + options.maxOutboundBytes() + " bytes queued (\"maxOutboundBytes\")");
      return;
    }
    socket.write(buffer);
  }

  private static Buffer encode(JsonObject frame) {
    byte[] json = frame.encode().getBytes(StandardCharsets.UTF_8);
    return Buffer.buffer(json.length + 4).appendInt(json.length).appendBytes(json);
  }

  private static Buffer errFrame(String why) {
    return encode(new JsonObject().put("type", "err").put("message", "switchboard bridge: " + why));
  }

  /** Refuses one action: an err frame, nothing reaches the bus, the connection lives on. */
  private void refuse(String why) {
    if (++refusals <= LOGGED_REFUSALS) {
      LOG.log(System.Logger.Level.WARNING, "TCP bridge refused a frame from " + socket.remoteAddress()
        + (grant == null ? "" : " (" + grant.name() + ")") + ": " + why
        + (refusals == LOGGED_REFUSALS ? " (further refusals on this connection are answered but not logged)" : ""));
    }
    if (!socket.writeQueueFull()) {
      socket.write(errFrame(why));
    }
  }

  /** Ends the connection: an err frame saying why, then close. */
  private void fatal(String why) {
    if (closed) {
      return;
    }
    LOG.log(System.Logger.Level.WARNING, "TCP bridge closes the connection of " + socket.remoteAddress()
      + (grant == null ? "" : " (" + grant.name() + ")") + ": " + why);
    free();
    socket.end(errFrame(why));
  }

  /** Frees everything this client held; the one place. Requests it left unanswered are failed. */
  private void free() {
    if (closed) {
      return;
    }
    closed = true;
    socket.handler(null);
    vertx.cancelTimer(authTimer);
    consumers.values().forEach(MessageConsumer::unregister);
    consumers.clear();
    replies.values().forEach(p -> p.message.fail(CloseCodes.SERVICE_RESTART, "bridge client of " + service() + " is gone"));
    replies.clear();
    sessions.clear();
    // its instances are gone now, not after their heartbeat timeout: gateways move or close their sessions
    announced.values().forEach(a -> eb.publish(Addresses.REGISTRY, Announce.lost(a)));
    announced.clear();
    onFreed.run();
  }
}
