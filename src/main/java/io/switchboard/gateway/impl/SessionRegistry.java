package io.switchboard.gateway.impl;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The sessions, group memberships and session attributes of one gateway node. Local state only,
 * confined to the node's event loop: nothing here is registered in the cluster. Every membership
 * change (and every refused one) is told to a {@link Listener}, which relays it to the services'
 * replicas ({@link PresenceOut}).
 */
public final class SessionRegistry {

  private static final System.Logger LOG = System.getLogger(SessionRegistry.class.getName());

  /** Hears every membership change, after it is made. */
  interface Listener {
    /** The session is a member of {@code group} (qualified) with {@code meta} (a join, a new meta, or a refused change restating it). */
    void joined(GatewaySession session, String group, JsonObject meta);

    /** The session is not a member of {@code group} (a leave, its close, or a refused join). */
    void left(GatewaySession session, String group);
  }

  private static final Listener NOBODY = new Listener() {
    @Override
    public void joined(GatewaySession session, String group, JsonObject meta) {
    }

    @Override
    public void left(GatewaySession session, String group) {
    }
  };

  /** The meta of every member joined without one; never changed. */
  private static final JsonObject EMPTY = new JsonObject(Collections.emptyMap());

  private final Map<String, GatewaySession> sessions = new HashMap<>();
  /** Qualified group to its members here, each with its meta; an empty group is removed. */
  private final Map<String, Map<GatewaySession, JsonObject>> groups = new HashMap<>();
  private Listener listener = NOBODY;
  private int maxGroupsPerSession = Integer.MAX_VALUE;
  private int maxMemberMetaBytes = Integer.MAX_VALUE;
  private int maxAttributeBytes = Integer.MAX_VALUE;

  /** Sets the bounds (see GatewayOptions {@code limits}) and the listener of membership changes. */
  void configure(int maxGroupsPerSession, int maxMemberMetaBytes, int maxAttributeBytes, Listener listener) {
    this.maxGroupsPerSession = maxGroupsPerSession;
    this.maxMemberMetaBytes = maxMemberMetaBytes;
    this.maxAttributeBytes = maxAttributeBytes;
    this.listener = listener;
  }

  void add(GatewaySession session) {
    sessions.put(session.id, session);
  }

  GatewaySession get(String id) {
    return id == null ? null : sessions.get(id);
  }

  /**
   * Gives a session that has not opened yet (no groups, no instance) the id of the session it
   * resumes. The id must not be in use here (the caller removes a session holding it first).
   */
  void rename(GatewaySession session, String id) {
    if (sessions.get(session.id) == session) {
      sessions.remove(session.id);
    }
    session.id = id;
    sessions.put(id, session);
  }

  /** Forgets a session, all its group memberships (each told to the listener) and its attributes. The only place a session is freed. */
  void remove(GatewaySession session) {
    if (!sessions.remove(session.id, session)) {
      return;
    }
    for (String group : session.groups().keySet()) {
      removeMember(group, session);
      listener.left(session, group);
    }
    session.clearGroups();
    session.attributes = null;
    session.attributeBytes = 0;
  }

  /**
   * Makes the session a member of {@code group} with {@code meta}, or replaces its meta. Refused,
   * with a log line, past {@code maxGroupsPerSession} groups or {@code maxMemberMetaBytes} of meta;
   * the listener then hears the membership as it stays.
   */
  void join(GatewaySession session, String group, JsonObject meta) {
    if (meta == null || meta.isEmpty()) {
      meta = EMPTY; // most members have none: one shared object for all
    }
    JsonObject current = session.groups().get(group);
    int metaBytes = meta.isEmpty() ? 0 : meta.toBuffer().length();
    if (metaBytes > maxMemberMetaBytes) {
      LOG.log(System.Logger.Level.WARNING, String.format("Refused join of session %s to %s: member meta of %d bytes"
        + " is over limits.maxMemberMetaBytes (%d)", session.id, group, metaBytes, maxMemberMetaBytes));
      restate(session, group, current);
      return;
    }
    if (current == null && session.groups().size() >= maxGroupsPerSession) {
      LOG.log(System.Logger.Level.WARNING, String.format("Refused join of session %s to %s: it is in %d groups already"
        + " (limits.maxGroupsPerSession)", session.id, group, session.groups().size()));
      restate(session, group, null);
      return;
    }
    if (meta.equals(current)) {
      listener.joined(session, group, meta); // confirms the instance's view, changes nothing
      return;
    }
    session.putGroup(group, meta);
    groups.computeIfAbsent(group, g -> new LinkedHashMap<>()).put(session, meta);
    listener.joined(session, group, meta);
  }

  void leave(GatewaySession session, String group) {
    if (session.removeGroup(group) != null) {
      removeMember(group, session);
    }
    listener.left(session, group);
  }

  /**
   * Sets an attribute of the session ({@code null}: removes it). Refused, with a log line, when
   * the attributes would exceed {@code maxSessionAttributeBytes} of encoded JSON; the session
   * keeps the attributes it had.
   */
  void setAttribute(GatewaySession session, String key, Object value) {
    JsonObject attributes = session.attributes;
    Object old = attributes == null ? null : attributes.getValue(key);
    int oldBytes = old == null ? 0 : entryBytes(key, old);
    if (value == null) {
      if (old != null) {
        attributes.remove(key);
        session.attributeBytes -= oldBytes;
      }
      return;
    }
    int newBytes;
    try {
      newBytes = entryBytes(key, value);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Refused attribute " + key + " of session " + session.id + ": not a JSON value");
      return;
    }
    int total = 1 + session.attributeBytes - oldBytes + newBytes; // '{' + each "key":value, + '}' for the last ','
    if (total > maxAttributeBytes) {
      LOG.log(System.Logger.Level.WARNING, String.format("Refused attribute %s of session %s: the attributes would take"
        + " %d bytes of JSON, over limits.maxSessionAttributeBytes (%d); the session keeps the ones it had",
        key, session.id, total, maxAttributeBytes));
      return;
    }
    if (attributes == null) {
      attributes = session.attributes = new JsonObject();
    }
    attributes.put(key, value);
    session.attributeBytes += newBytes - oldBytes;
  }

  /** The members here of a group (qualified), each with its meta. */
  Set<GatewaySession> members(String group) {
    Map<GatewaySession, JsonObject> members = groups.get(group);
    return members == null ? Collections.emptySet() : members.keySet();
  }

  /**
   * This node's part of a service's groups: group (unqualified) to session id to meta; what a
   * snapshot ({@code Op.SYNC}) answers.
   */
  JsonObject snapshot(String service) {
    String prefix = service + "/";
    JsonObject snapshot = new JsonObject();
    groups.forEach((group, members) -> {
      if (group.startsWith(prefix)) {
        JsonObject ids = new JsonObject(new LinkedHashMap<>(members.size() * 2));
        members.forEach((session, meta) -> ids.put(session.id, meta));
        snapshot.put(group.substring(prefix.length()), ids);
      }
    });
    return snapshot;
  }

  void forEach(Consumer<GatewaySession> action) {
    sessions.values().forEach(action);
  }

  /** Live sessions on this node. */
  public int size() {
    return sessions.size();
  }

  /** Memberships on this node, over every group. */
  int memberships() {
    int n = 0;
    for (Map<GatewaySession, JsonObject> members : groups.values()) {
      n += members.size();
    }
    return n;
  }

  private void restate(GatewaySession session, String group, JsonObject current) {
    if (current == null) {
      listener.left(session, group);
    } else {
      listener.joined(session, group, current);
    }
  }

  private void removeMember(String group, GatewaySession session) {
    Map<GatewaySession, JsonObject> members = groups.get(group);
    if (members != null && members.remove(session) != null && members.isEmpty()) {
      groups.remove(group);
    }
  }

  /** What one attribute adds to the encoded object: {@code "key":value,}. */
  private static int entryBytes(String key, Object value) {
    return Json.encodeToBuffer(key).length() + 1 + Json.encodeToBuffer(value).length() + 1;
  }
}
