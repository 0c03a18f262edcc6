package io.switchboard.gateway.impl;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Close;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.protocol.PeerReader;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.switchboard.service.Failover;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Service to gateway: pushes to one session through this node's address, and group messages
 * through the shared {@link Addresses#GROUPS} address, written here to the local members only.
 * Also the node's side of presence ({@link PresenceOut}): membership deltas out, snapshots on
 * {@link Op#SYNC}. Two cluster registrations per gateway node, none per socket.
 */
public final class GatewayInbox {

  private static final System.Logger LOG = System.getLogger(GatewayInbox.class.getName());

  private final EventBus bus;
  private final String address;
  private final SessionRegistry registry;
  private final SessionManager sessions;
  /** The instance that sent the push being read ({@link Headers#INSTANCE}), or null; set only while it is read. */
  private String sender;
  private MessageConsumer<Object> nodeConsumer;
  private MessageConsumer<Object> groupConsumer;
  private PresenceOut presence;

  public GatewayInbox(EventBus bus, String address, SessionRegistry registry, SessionManager sessions) {
    this.bus = bus;
    this.address = address;
    this.registry = registry;
    this.sessions = sessions;
  }

  /** Registers both consumers and starts relaying presence; completes once the cluster can route to them. */
  public Future<Void> start() {
    presence = sessions.startPresence(address);
    nodeConsumer = bus.consumer(address, this::onCommand);
    groupConsumer = bus.consumer(Addresses.GROUPS, this::onGroupMessage);
    return Future.all(nodeConsumer.completion(), groupConsumer.completion()).mapEmpty();
  }

  public Future<Void> stop() {
    if (presence != null) {
      presence.stop();
    }
    return Future.join(nodeConsumer.unregister(), groupConsumer.unregister()).mapEmpty();
  }

  private void onCommand(Message<Object> msg) {
    if (Op.DRAIN.wire().equals(msg.headers().get(Headers.OP))) {
      drain(msg);
      return;
    }
    if (Op.SYNC.wire().equals(msg.headers().get(Headers.OP))) {
      presence.sync(msg.headers().get(Headers.SERVICE), msg.headers().get(Headers.INSTANCE));
      return;
    }
    sender = msg.headers().get(Headers.INSTANCE);
    try {
      if (!PeerReader.read(msg, pushes)) {
        LOG.log(System.Logger.Level.WARNING, "Ignoring a push with op " + msg.headers().get(Headers.OP));
      }
    } finally {
      sender = null;
    }
  }

  /** A push to one of this node's sessions; one closed meanwhile is skipped (its service hears of the close). */
  private final PeerReader.Receiver pushes = new PeerReader.Receiver() {
    @Override
    public void text(String sessionId, String text) {
      to(sessionId, session -> sessions.write(session, text));
    }

    @Override
    public void text(String sessionId, Buffer utf8) {
      to(sessionId, session -> sessions.writeText(session, utf8));
    }

    @Override
    public void binary(String sessionId, Buffer data) {
      to(sessionId, session -> sessions.write(session, data));
    }

    @Override
    public void close(String sessionId, Close close) {
      to(sessionId, session -> sessions.closeSession(session, close.sendableCode(), close.reason()));
    }

    @Override
    public void join(String sessionId, String group, JsonObject meta) {
      to(sessionId, session -> {
        boolean member = session.groups().containsKey(group);
        registry.join(session, group, meta);
        if (!member && session.groups().containsKey(group)) {
          sessions.joinedGroup(session, group);
        }
        sessions.stateChanged(session);
      });
    }

    @Override
    public void attribute(String sessionId, String key, Object value) {
      to(sessionId, session -> {
        registry.setAttribute(session, key, value);
        sessions.stateChanged(session);
      });
    }

    @Override
    public void leave(String sessionId, String group) {
      to(sessionId, session -> {
        registry.leave(session, group);
        sessions.leftGroup(session, group);
        sessions.stateChanged(session);
      });
    }

    @Override
    public void expired(String sessionId) {
      to(sessionId, sessions::expired);
    }
  };

  private void to(String sessionId, Consumer<GatewaySession> push) {
    GatewaySession session = registry.get(sessionId);
    if (session == null || session.isClosed()) {
      return;
    }
    if (movedAway(session, sender)) {
      sessions.stale(session, sender);
    } else {
      push.accept(session);
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
    String group = headers.get(Headers.GROUP);
    String epoch = headers.get(Headers.EPOCH);
    long position = epoch == null ? -1 : position(headers.get(Headers.POSITION));
    if (position >= 0) {
      sessions.groupPosition(group, epoch, position);
    }
    String clientGroup = group == null ? null : Addresses.groupName(group);
    // text is encoded once for all the members (and once more for those that speak switchboard.v1),
    // at the first member: a node that holds none of the group's members encodes nothing
    Object frame = body instanceof Buffer ? body : null;
    EncodedText v1Frame = null;
    int delivered = 0;
    for (GatewaySession member : registry.members(group)) {
      if (!member.id.equals(except)) {
        if (frame == null) {
          frame = EncodedText.of((String) body);
        }
        if (member.v1 != null && v1Frame == null && body instanceof String) {
          v1Frame = EncodedText.of(ClientProtocol.groupMsg(clientGroup, position < 0 ? null : epoch, position, (String) body));
        }
        sessions.writeGroup(member, frame, v1Frame, position < 0 ? null : clientGroup, position);
        delivered++;
      }
    }
    sessions.countFanout(delivered);
  }

  /** A group message's {@link Headers#POSITION}; -1 when absent or not a number. */
  private static long position(String header) {
    try {
      return header == null ? -1 : Long.parseLong(header);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void drain(Message<Object> msg) {
    JsonObject body = msg.body() instanceof JsonObject ? (JsonObject) msg.body() : new JsonObject();
    List<String> ids = new ArrayList<>();
    body.getJsonArray("sessions", new JsonArray()).forEach(id -> ids.add(String.valueOf(id)));
    sessions.drain(msg.headers().get(Headers.INSTANCE), ids, Failover.of(body.getString("failover")) == Failover.REBIND);
    msg.reply(null);
  }
}
