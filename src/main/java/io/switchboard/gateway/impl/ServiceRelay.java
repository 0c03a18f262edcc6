package io.switchboard.gateway.impl;

import io.switchboard.protocol.Close;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Outbox;
import io.switchboard.protocol.Op;
import io.switchboard.protocol.PeerLink;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

/**
 * Gateway to service: a session's open (a request to a chosen instance, or to the service
 * address when no instance is known), then its frames and its close to the instance that
 * accepted it.
 */
final class ServiceRelay {

  private final EventBus bus;
  private final String gatewayAddress;
  private final long openTimeoutMs;
  private final Outbox outbox;

  ServiceRelay(EventBus bus, Context context, String gatewayAddress, long openTimeoutMs) {
    this.bus = bus;
    this.gatewayAddress = gatewayAddress;
    this.openTimeoutMs = openTimeoutMs;
    this.outbox = new Outbox(bus, context, gatewayAddress); // batches say which gateway sent them
  }

  /** Asks {@code address} to accept a session; completes with the address of the instance that did. */
  Future<String> open(GatewaySession session, JsonObject info, String address, boolean rebind, boolean resume) {
    DeliveryOptions options = new DeliveryOptions()
      .setSendTimeout(openTimeoutMs)
      .addHeader(Headers.OP, Op.OPEN.wire())
      .addHeader(Headers.SESSION, session.id)
      .addHeader(Headers.GATEWAY, gatewayAddress);
    if (rebind) {
      options.addHeader(Headers.REBIND, "true");
    }
    if (resume) {
      options.addHeader(Headers.RESUME, "true");
    }
    Future<String> opened = bus.request(address, info, options).map(reply -> reply.headers().get(Headers.INSTANCE));
    session.keepInfo(info);
    return opened;
  }

  /** A text message; {@code utf8} is its bytes when at hand (saves encoding it again for a batch). */
  void text(GatewaySession session, String text, Buffer utf8) {
    link(session).text(session.id, text, utf8);
  }

  /** A text message a {@code switchboard.v1} client numbered {@code seq}. */
  void text(GatewaySession session, String text, long seq) {
    link(session).text(session.id, text, null, seq);
  }

  void binary(GatewaySession session, Buffer data) {
    link(session).binary(session.id, data);
  }

  void close(GatewaySession session, int code, String reason) {
    link(session).close(session.id, new Close(code, reason));
  }

  /** Tells the session's instance that the session moved away from it ({@link io.switchboard.protocol.Op#EXPIRED}). */
  void expired(GatewaySession session) {
    link(session).expired(session.id);
  }

  /** The same, to an instance the session is no longer bound to (one message, unbatched). */
  void expiredAt(String instance, String sessionId) {
    new PeerLink(bus, outbox, instance, () -> false).expired(sessionId);
  }

  /** The writer to the session's instance, in the encoding that instance reads. */
  private PeerLink link(GatewaySession session) {
    if (session.link == null || !session.link.address().equals(session.instance)) {
      session.link = new PeerLink(bus, outbox, session.instance, () -> session.batched);
    }
    return session.link;
  }
}
