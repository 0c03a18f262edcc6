package io.switchboard.gateway.impl;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Batch;
import io.switchboard.protocol.CloseCodes;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.switchboard.registry.Announce;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Service to gateway: pushes to one session through this node's address, and group messages
 * through the shared {@link Addresses#GROUPS} address, written here to the local members only.
 * Two cluster registrations per gateway node, none per socket.
 */
public final class GatewayInbox {

  private static final System.Logger LOG = System.getLogger(GatewayInbox.class.getName());

  private final EventBus bus;
  private final String address;
  private final SessionRegistry registry;
  private final SessionManager sessions;
  private MessageConsumer<Object> nodeConsumer;
  private MessageConsumer<Object> groupConsumer;

  public GatewayInbox(EventBus bus, String address, SessionRegistry registry, SessionManager sessions) {
    this.bus = bus;
    this.address = address;
    this.registry = registry;
    this.sessions = sessions;
  }

  /** Registers both consumers; completes once the cluster can route to them. */
  public Future<Void> start() {
    nodeConsumer = bus.consumer(address, this::onCommand);
    groupConsumer = bus.consumer(Addresses.GROUPS, this::onGroupMessage);
    return Future.all(nodeConsumer.completion(), groupConsumer.completion()).mapEmpty();
  }

  public Future<Void> stop() {
    return Future.join(nodeConsumer.unregister(), groupConsumer.unregister()).mapEmpty();
  }

  private void onCommand(Message<Object> msg) {
    MultiMap headers = msg.headers();
    if (Op.DRAIN.wire().equals(headers.get(Headers.OP))) {
      drain(msg);
      return;
    }
    if (Op.BATCH.wire().equals(headers.get(Headers.OP))) {
      String from = headers.get(Headers.INSTANCE);
      Batch.read((Buffer) msg.body(), (op, sessionId, payload) -> onBatched(op, sessionId, payload, from));
      return;
    }
    GatewaySession session = registry.get(headers.get(Headers.SESSION));
    if (session == null || session.closed) {
      return; // closed meanwhile: the service hears of it through the close event
    }
    Op op = Op.of(headers.get(Headers.OP));
    if (op == null) {
      LOG.log(System.Logger.Level.WARNING, "Ignoring a push with unknown op " + headers.get(Headers.OP));
      return;
    }
    switch (op) {
      case TEXT:
      case BINARY:
        sessions.write(session, msg.body());
        break;
      case CLOSE:
        sessions.closeSession(session, (short) parseCode(headers.get(Headers.CODE)), headers.get(Headers.REASON));
        break;
      case JOIN:
        registry.join(session, headers.get(Headers.GROUP));
        break;
      case LEAVE:
        registry.leave(session, headers.get(Headers.GROUP));
        break;
      default:
        LOG.log(System.Logger.Level.WARNING, "Ignoring a push with op " + op);
    }
  }

  /**
   * Whether {@code from}, the instance that sent a batch, no longer holds the session: the session
   * was re-bound elsewhere, and what the old instance sent before it was cut off (held in a TCP
   * connection during a partition, say) arrives late. Dropped, so it never follows newer messages.
   */
  private static boolean movedAway(GatewaySession session, String from) {
    return from != null && session.instance != null && !from.equals(session.instance);
  }

  private void onGroupMessage(Message<Object> msg) {
    MultiMap headers = msg.headers();
    String except = headers.get(Headers.EXCEPT);
    Object body = msg.body();
    if (!(body instanceof String || body instanceof Buffer)) {
      return;
    }
    int delivered = 0;
    for (GatewaySession member : registry.members(headers.get(Headers.GROUP))) {
      if (!member.id.equals(except)) {
        sessions.write(member, body);
        delivered++;
      }
    }
    sessions.countFanout(delivered);
  }

  private void onBatched(byte op, String sessionId, Buffer payload, String from) {
    GatewaySession session = registry.get(sessionId);
    if (session == null || session.closed || movedAway(session, from)) {
      return;
    }
    switch (op) {
      case Batch.TEXT:
        sessions.write(session, payload.toString(StandardCharsets.UTF_8));
        break;
      case Batch.BINARY:
        sessions.write(session, payload.copy());
        break;
      case Batch.CLOSE:
        int code = Batch.closeCode(payload);
        sessions.closeSession(session, (short) (CloseCodes.isSendable(code) ? code : CloseCodes.NORMAL),
          Batch.closeReason(payload));
        break;
      case Batch.JOIN:
        registry.join(session, payload.toString(StandardCharsets.UTF_8));
        break;
      case Batch.LEAVE:
        registry.leave(session, payload.toString(StandardCharsets.UTF_8));
        break;
      default:
        LOG.log(System.Logger.Level.WARNING, "Ignoring a batched push with op " + op);
    }
  }

  private void drain(Message<Object> msg) {
    JsonObject body = msg.body() instanceof JsonObject ? (JsonObject) msg.body() : new JsonObject();
    List<String> ids = new ArrayList<>();
    body.getJsonArray("sessions", new JsonArray()).forEach(id -> ids.add(String.valueOf(id)));
    sessions.drain(msg.headers().get(Headers.INSTANCE), ids, Announce.FAILOVER_REBIND.equals(body.getString("failover")));
    msg.reply(null);
  }

  private static int parseCode(String code) {
    try {
      int c = Integer.parseInt(code);
      return CloseCodes.isSendable(c) ? c : CloseCodes.NORMAL;
    } catch (NumberFormatException e) {
      return CloseCodes.NORMAL;
    }
  }
}
