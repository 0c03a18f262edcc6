package io.switchboard.gateway.impl;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.CloseCodes;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.Set;

/**
 * Service to gateway: pushes to one session through this node's address, and group messages
 * through the shared {@link Addresses#GROUPS} address, written here to the local members only.
 * Two cluster registrations per gateway node, none per socket.
 */
public final class GatewayInbox {

  private static final System.Logger LOG = System.getLogger(GatewayInbox.class.getName());

  /**
   * Group messages up to this size are encoded once and the same bytes are written, as one frame,
   * to every member; larger ones are written per member, fragmented as Vert.x does.
   */
  static final int MAX_SHARED_FRAME_BYTES = 65536;

  private final EventBus bus;
  private final String address;
  private final SessionRegistry registry;
  private MessageConsumer<Object> nodeConsumer;
  private MessageConsumer<Object> groupConsumer;

  public GatewayInbox(EventBus bus, String address, SessionRegistry registry) {
    this.bus = bus;
    this.address = address;
    this.registry = registry;
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
        session.ws.writeTextMessage((String) msg.body());
        break;
      case BINARY:
        session.ws.writeBinaryMessage((Buffer) msg.body());
        break;
      case CLOSE:
        close(session, headers);
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

  private void onGroupMessage(Message<Object> msg) {
    MultiMap headers = msg.headers();
    Set<GatewaySession> members = registry.members(headers.get(Headers.GROUP));
    if (members.isEmpty()) {
      return;
    }
    String except = headers.get(Headers.EXCEPT);
    Op op = Op.of(headers.get(Headers.OP));
    Object body = msg.body();
    Buffer payload;
    WebSocketFrameType type;
    if (op == Op.TEXT) {
      payload = Buffer.buffer((String) body); // UTF-8, once for all members
      type = WebSocketFrameType.TEXT;
    } else if (op == Op.BINARY) {
      payload = (Buffer) body;
      type = WebSocketFrameType.BINARY;
    } else {
      return;
    }
    boolean shared = payload.length() <= MAX_SHARED_FRAME_BYTES;
    for (GatewaySession member : members) {
      if (member.closed || member.id.equals(except)) {
        continue;
      }
      if (shared) {
        member.ws.writeFrame(frame(type, payload));
      } else if (op == Op.TEXT) {
        member.ws.writeTextMessage((String) body);
      } else {
        member.ws.writeBinaryMessage(payload);
      }
    }
  }

  /**
   * A final frame over the payload's bytes, not a copy of them: each frame gets its own slice
   * (its own read position), so one encoded message is written to any number of sockets.
   */
  private static WebSocketFrame frame(WebSocketFrameType type, Buffer payload) {
    return new WebSocketFrameImpl(type, ((BufferInternal) payload).getByteBuf(), true);
  }

  private static void close(GatewaySession session, MultiMap headers) {
    int code = parseCode(headers.get(Headers.CODE));
    session.ws.close((short) code, WebSocketEndpoint.truncateReason(headers.get(Headers.REASON)));
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
