package io.switchboard.service.impl;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Close;
import io.switchboard.protocol.CloseCodes;
import io.switchboard.protocol.PeerLink;
import io.switchboard.service.Session;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.util.Collections;
import java.util.HashSet;
import java.util.Set;

/** A {@link Session} of one service instance: its pushes go through a {@link PeerLink} to its gateway node. */
final class SessionImpl implements Session {

  private final String service;
  private final String id;
  private final PeerLink link;
  private final JsonObject info;
  private final Set<String> groups = new HashSet<>(4);
  private final JsonObject attributes = new JsonObject();
  private final boolean rebind;
  private boolean open = true;

  SessionImpl(String service, String id, PeerLink link, JsonObject info, boolean rebind) {
    this.service = service;
    this.id = id;
    this.link = link;
    this.info = info == null ? new JsonObject() : info;
    this.rebind = rebind;
  }

  @Override
  public boolean isRebind() {
    return rebind;
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
      link.close(id, new Close(code, reason));
    }
  }

  @Override
  public void join(String group) {
    join(group, null);
  }

  @Override
  public void join(String group, JsonObject meta) {
    if (open && groups.add(group)) {
      link.join(id, Addresses.group(service, group));
    }
  }

  @Override
  public JsonObject attributes() {
    return attributes.copy();
  }

  @Override
  public void setAttribute(String key, Object value) {
    if (value == null) {
      attributes.remove(key);
    } else {
      attributes.put(key, value);
    }
  }

  @Override
  public void leave(String group) {
    if (open && groups.remove(group)) {
      link.leave(id, Addresses.group(service, group));
    }
  }

  @Override
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
