package io.switchboard.service.impl;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Close;
import io.switchboard.protocol.CloseCodes;
import io.switchboard.protocol.PeerLink;
import io.switchboard.service.Session;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** A {@link Session} of one service instance: its pushes go through a {@link PeerLink} to its gateway node. */
final class SessionImpl implements Session {

  private final String service;
  private final String id;
  private PeerLink link;
  private final JsonObject info;
  /** Group (unqualified) to this session's member meta in it. */
  private final Map<String, JsonObject> groups = new HashMap<>(4);
  private final JsonObject attributes;
  private final JsonObject readOnlyAttributes;
  private final PresenceReplica presence;
  private final boolean rebind;
  private boolean resume;
  private boolean open = true;
  /**
   * The close this service asked for (the first), or null: a session the service closed is not
   * resumed (a resume's open is refused with this code), or a kick would be undone.
   */
  Close closedByService;
  /** The last client sequence number taken ({@code sb.seq}); 0 when none. */
  long lastSeq;

  /**
   * @param info the open's body: the request's info, plus (on a rebind) the session's
   *             {@code "attributes"} and {@code "groups"} (group to meta) the gateway kept
   */
  SessionImpl(String service, String id, PeerLink link, JsonObject info, boolean rebind, boolean resume,
              PresenceReplica presence) {
    this.resume = resume;
    this.service = service;
    this.id = id;
    this.link = link;
    this.info = info == null ? new JsonObject() : info;
    this.rebind = rebind;
    this.presence = presence;
    Object attrs = this.info.getValue("attributes");
    this.attributes = attrs instanceof JsonObject ? ((JsonObject) attrs).copy() : new JsonObject();
    this.readOnlyAttributes = new JsonObject(Collections.unmodifiableMap(attributes.getMap()));
    Object held = this.info.getValue("groups");
    if (held instanceof JsonObject) {
      for (Map.Entry<String, Object> g : (JsonObject) held) {
        groups.put(g.getKey(), g.getValue() instanceof JsonObject ? (JsonObject) g.getValue() : new JsonObject());
      }
    }
  }

  @Override
  public boolean isRebind() {
    return rebind;
  }

  @Override
  public boolean isResume() {
    return resume;
  }

  /**
   * The client resumed the session through another gateway while this instance still held it:
   * it lives on, pushed to through {@code newLink}.
   */
  void movedTo(PeerLink newLink, boolean resumed) {
    this.link = newLink;
    this.resume = resumed;
  }

  @Override
  public String gateway() {
    return link.address();
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public String path() {
    return info.getString("path");
  }

  @Override
  public String query() {
    return info.getString("query");
  }

  @Override
  public String remoteAddress() {
    return info.getString("remoteAddress");
  }

  @Override
  public JsonObject headers() {
    return info.getJsonObject("headers", new JsonObject());
  }

  @Override
  public JsonObject claims() {
    return info.getJsonObject("claims", new JsonObject());
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void send(String text) {
    if (open) {
      link.text(id, text, null);
    }
  }

  @Override
  public void send(Buffer data) {
    if (open) {
      link.binary(id, data);
    }
  }

  @Override
  public void close() {
    close(CloseCodes.NORMAL, "");
  }

  @Override
  public void close(int code, String reason) {
    if (open) {
      Close close = new Close(code, reason);
      if (closedByService == null) {
        closedByService = close;
      }
      link.close(id, close);
    }
  }

  @Override
  public void join(String group) {
    join(group, null);
  }

  @Override
  public void join(String group, JsonObject meta) {
    if (group == null) {
      throw new IllegalArgumentException("group is null");
    }
    JsonObject copy = meta == null ? new JsonObject() : meta.copy();
    if (open && !copy.equals(groups.get(group))) {
      groups.put(group, copy);
      link.join(id, Addresses.group(service, group), copy);
      presence.local(gateway(), id, group, copy);
    }
  }

  @Override
  public void leave(String group) {
    if (open && groups.remove(group) != null) {
      link.leave(id, Addresses.group(service, group));
      presence.local(gateway(), id, group, null);
    }
  }

  @Override
  public Set<String> groups() {
    return Collections.unmodifiableSet(groups.keySet());
  }

  @Override
  public JsonObject attributes() {
    return readOnlyAttributes;
  }

  @Override
  public void setAttribute(String key, Object value) {
    if (key == null) {
      throw new IllegalArgumentException("attribute key is null");
    }
    if (value != null) {
      try {
        Json.encode(value);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("attribute " + key + " is not a JSON value: " + value.getClass().getName(), e);
      }
    }
    if (!open) {
      return;
    }
    if (value == null) {
      attributes.remove(key);
    } else {
      attributes.put(key, value);
    }
    link.attribute(id, key, value);
  }

  @Override
  public String toString() {
    return "Session[" + id + " " + path() + " from " + remoteAddress() + "]";
  }

  /** Marks the session closed; it leaves its groups in this instance's presence first. */
  /** The session lives on at another instance (the gateway moved it): forgotten here, its memberships untouched. */
  void markMoved() {
    open = false;
    groups.clear();
  }

  void markClosed() {
    if (open && !groups.isEmpty()) {
      presence.closed(gateway(), id, groups.keySet());
    }
    open = false;
    groups.clear();
  }
}
