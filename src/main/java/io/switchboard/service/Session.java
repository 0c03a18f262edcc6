package io.switchboard.service;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.util.Set;

/**
 * A service's handle on one WebSocket session, wherever in the cluster its socket is. Pushes go
 * to the gateway node holding the socket, in the order they are made.
 *
 * <p>A session is handed to {@link ServiceVerticle#onOpen(Session)} and stays valid until
 * {@link ServiceVerticle#onClose(Session, int, String)}; after that every push is a no-op.
 * Use it from the service verticle's own context only.
 */
public interface Session {

  /**
   * Whether this open is a failover: the session was bound to an instance that went away and
   * the gateway re-opened it here (the service declared {@link Failover#REBIND}).
   */
  boolean isRebind();

  /** The address of the gateway node that holds the socket. */
  String gateway();

  /** The session id, unique in the cluster. */
  String id();

  /** The request path the socket was opened on, e.g. {@code /chat}. */
  String path();

  /** The request's query string, or {@code null}. */
  String query();

  /** The client's address as the gateway saw it, {@code host:port}. */
  String remoteAddress();

  /** The request headers the gateway forwards ({@code forwardHeaders}), by lower-case name. */
  JsonObject headers();

  /**
   * The verified JWT claims the client connected with (gateway {@code auth} on), or an empty
   * object when connections need no token.
   */
  JsonObject claims();

  /** Whether the socket is still open, as far as this service knows. */
  boolean isOpen();

  /** Sends a text message to the client. */
  void send(String text);

  /** Sends a binary message to the client. */
  void send(Buffer data);

  /** Closes the socket normally (1000). */
  void close();

  /**
   * Closes the socket with a close code and a reason (at most 123 UTF-8 bytes; longer ones are
   * cut). {@link ServiceVerticle#onClose} follows once the socket is closed.
   */
  void close(int code, String reason);

  /** Adds the session to a group of this service; {@link ServiceVerticle#publish} reaches it. */
  void join(String group);

  /** Removes the session from a group. */
  void leave(String group);

  /** The groups this session is in. */
  Set<String> groups();
}
