package io.switchboard.gateway.impl;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One browser connection as the gateway sees it. Created when the upgrade succeeds, confined to
 * the gateway node's event loop, and freed in one place: {@link SessionRegistry#remove}.
 */
final class GatewaySession {

  final String id;
  final String service;
  final ServerWebSocket ws;
  /** The HTTP connection under the socket, to drop it when a close cannot complete. */
  final HttpConnection connection;
  /** What the service is told on open (and again on a rebind). */
  final JsonObject info;
  /** Groups this session is a member of, so that removal can clean them. */
  final Set<String> groups = new HashSet<>(4);
  /** Messages (String or Buffer) that arrived while no instance was bound; relayed on bind. */
  final ArrayDeque<Object> pending = new ArrayDeque<>(2);
  /** The service instance address, once an instance accepted the open; null before and while rebinding. */
  String instance;
  /** Whether the bound instance takes batches (it announced {@code "batch": true}). */
  boolean batched;
  /** The writer to {@link #instance} (see ServiceRelay), or null before the first message. */
  io.switchboard.protocol.PeerLink link;
  /** The gateway started closing it: nothing more is written. */
  boolean closing;
  boolean closed;
  /** When the client last sent anything (a message or a pong), in ms of System.nanoTime. */
  long lastActivity;
  /** The message being assembled from fragments, or null; and whether it is text. */
  io.vertx.core.buffer.Buffer partial;
  boolean partialText;
  /**
   * For sessions of a {@code rebind} service: what the client sent in the last few seconds, with
   * when, so that what a lost instance may not have processed can be replayed after the rebind.
   * Null for {@code close} services, which pay nothing for it.
   */
  ArrayDeque<Sent> recent;
  int recentBytes;
  /** When the newest message evicted from {@link #recent} was sent (ms of System.nanoTime); MIN_VALUE for none. */
  long lastEvictedAt = Long.MIN_VALUE;
  /** Messages to send first once re-bound (the replay), or null. */
  List<Object> replay;

  /** One message the client sent, and when (ms of System.nanoTime). */
  static final class Sent {
    final long at;
    final Object message;

    Sent(long at, Object message) {
      this.at = at;
      this.message = message;
    }
  }

  /** Its service's meters. */
  GatewayMetrics.ServiceMeters meters;
  /** Releases what the session held outside this node (its connection-limit slot). */
  final Runnable onEnd;

  GatewaySession(String id, String service, ServerWebSocket ws, HttpConnection connection, JsonObject info,
                 Runnable onEnd) {
    this.id = id;
    this.service = service;
    this.ws = ws;
    this.connection = connection;
    this.info = info;
    this.onEnd = onEnd;
  }

  boolean isBound() {
    return instance != null;
  }
}
