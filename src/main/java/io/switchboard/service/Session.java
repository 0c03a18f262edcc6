package io.switchboard.service;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Close;
import io.switchboard.protocol.CloseCodes;
import io.switchboard.protocol.PeerLink;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/**
 * A service's handle on one WebSocket session, wherever in the cluster its socket is. Pushes go
 * to the gateway node holding the socket, in the order they are made.
 *
 * <p>A session is handed to {@link ServiceVerticle#onOpen(Session)} and stays valid until
 * {@link ServiceVerticle#onClose(Session, int, String)}; after that every push is a no-op.
 * Use it from the service verticle's own context only.
 */
public final class Session {

  private final ServiceVerticle service;
  private final String id;
  private final String gateway;
  private final PeerLink link;
  private final JsonObject info;
  private final Set<String> groups = new HashSet<>(4);
  private final boolean rebind;
  private boolean open = true;

  Session(ServiceVerticle service, String id, PeerLink link, JsonObject info, boolean rebind) {
    this.service = service;
    this.id = id;
    this.gateway = link.address();
    this.link = link;
    this.info = info == null ? new JsonObject() : info;
    this.rebind = rebind;
  }

  /**
   * Whether this open is a failover: the session was bound to an instance that went away and
   * the gateway re-opened it here (the service declared {@code "failover": "rebind"}).
   */
  public boolean isRebind() {
    return rebind;
  }

  /** The address of the gateway node that holds the socket. */
  public String gateway() {
    return gateway;
  }

  /** The session id, unique in the cluster. */
  public String id() {
    return id;
  }

  /** The request path the socket was opened on, e.g. {@code /chat}. */
  public String path() {
    return info.getString("path");
  }

  /** The request's query string, or {@code null}. */
  public String query() {
    return info.getString("query");
  }

  /** The client's address as the gateway saw it, {@code host:port}. */
  public String remoteAddress() {
    return info.getString("remoteAddress");
  }

  /** The request headers the gateway forwards ({@code forwardHeaders}), by lower-case name. */
  public JsonObject headers() {
    return info.getJsonObject("headers", new JsonObject());
  }

  /**
   * The verified JWT claims the client connected with (gateway {@code auth} on), or an empty
   * object when connections need no token.
   */
  public JsonObject claims() {
    return info.getJsonObject("claims", new JsonObject());
  }

  /** Whether the socket is still open, as far as this service knows. */
  public boolean isOpen() {
    return open;
  }

  /** Sends a text message to the client. */
  public void send(String text) {
    if (open) {
      link.text(id, text, null);
    }
  }

  /** Sends a binary message to the client. */
  public void send(Buffer data) {
    if (open) {
      link.binary(id, data);
    }
  }

  /** Closes the socket normally (1000). */
  public void close() {
    close(CloseCodes.NORMAL, "");
  }

  /**
   * Closes the socket with a close code and a reason (at most 123 UTF-8 bytes; longer ones are
   * cut). {@link ServiceVerticle#onClose} follows once the socket is closed.
   */
  public void close(int code, String reason) {
    if (open) {
      link.close(id, new Close(code, reason));
    }
  }

  /** Adds the session to a group of this service; {@link ServiceVerticle#publish} reaches it. */
  public void join(String group) {
    if (open && groups.add(group)) {
      link.join(id, Addresses.group(service.name(), group));
    }
  }

  /** Removes the session from a group. */
  public void leave(String group) {
    if (open && groups.remove(group)) {
      link.leave(id, Addresses.group(service.name(), group));
    }
  }

  /** The groups this session is in. */
  public Set<String> groups() {
    return Collections.unmodifiableSet(groups);
  }

  @Override
  public String toString() {
    return "Session[" + id + " " + path() + " from " + remoteAddress() + "]";
  }

  void markClosed() {
    open = false;
    groups.clear();
  }
}
