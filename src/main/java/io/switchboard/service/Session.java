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

  /**
   * Whether a client resumed this session (a {@code switchboard.v1} client reconnected, to any
   * gateway, with its resume token; docs/protocol.md): the open is then also a
   * {@linkplain #isRebind() rebind}, with the session's attributes and groups. A client that
   * resumes through another gateway while this instance still holds the session gets no new
   * {@link ServiceVerticle#onOpen}: the same session lives on, this turns true and
   * {@link #gateway()} changes.
   */
  boolean isResume();

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

  /**
   * Adds the session to a group of this service with an empty member meta; {@link ServiceVerticle#publish}
   * reaches it. Same as {@code join(group, new JsonObject())}.
   */
  void join(String group);

  /**
   * Adds the session to a group of this service with a member meta (e.g. {@code {"name":"ada"}}),
   * which every instance of the service sees in {@link Presence#members(String)} and in
   * {@link ServiceVerticle#onJoined}. Joining a group again replaces the meta (the other instances
   * see a leave with the old meta, then a join with the new one).
   *
   * <p>The membership is kept by the gateway holding the socket, so it survives this instance (a
   * rebind re-opens the session with it). It is visible in this instance's {@link ServiceVerticle#presence()}
   * at once (this instance's {@link ServiceVerticle#onJoined} runs before {@code join} returns),
   * and in the other instances' after the gateway has relayed it. Bounds, enforced by the
   * gateway (refused with a log line, the session lives on): {@code limits.maxGroupsPerSession}
   * groups per session (default 64), {@code limits.maxMemberMetaBytes} of encoded JSON per meta
   * (default 1 KiB).
   *
   * @param meta the member meta; {@code null} is an empty one. It is copied.
   */
  void join(String group, JsonObject meta);

  /**
   * Removes the session from a group; like a join, visible in this instance's presence at once
   * ({@link ServiceVerticle#onLeft} runs before {@code leave} returns).
   */
  void leave(String group);

  /** The groups this session is in. */
  Set<String> groups();

  /**
   * The session's attributes: per-session state kept with the session at its gateway, so that a
   * rebind (see {@link #isRebind()}) hands them to the new instance. An unmodifiable view; change
   * it with {@link #setAttribute(String, Object)}.
   */
  JsonObject attributes();

  /**
   * Sets an attribute of the session (see {@link #attributes()}), or removes it when {@code value}
   * is {@code null}. The value is any JSON value ({@code String}, number, {@code Boolean},
   * {@code JsonObject}, {@code JsonArray}). It is visible here at once and sent to the gateway in
   * order with the session's other pushes; the gateway keeps at most
   * {@code limits.maxSessionAttributeBytes} of encoded JSON per session (default 16 KiB): a set
   * over it is refused there with a log line (the session lives on, the gateway keeps the
   * attributes it had, which a rebind would hand over).
   */
  void setAttribute(String key, Object value);
}
