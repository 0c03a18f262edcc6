package io.switchboard.gateway.impl;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The sessions and group memberships of one gateway node. Local state only, confined to the
 * node's event loop: nothing here is registered in the cluster.
 */
public final class SessionRegistry {

  private final Map<String, GatewaySession> sessions = new HashMap<>();
  private final Map<String, Set<GatewaySession>> groups = new HashMap<>();

  void add(GatewaySession session) {
    sessions.put(session.id, session);
  }

  GatewaySession get(String id) {
    return id == null ? null : sessions.get(id);
  }

  /** Forgets a session and all its group memberships. The only place a session is freed. */
  void remove(GatewaySession session) {
    if (sessions.remove(session.id) == null) {
      return;
    }
    for (String group : session.groups) {
      removeMember(group, session);
    }
    session.groups.clear();
  }

  void join(GatewaySession session, String group) {
    if (session.groups.add(group)) {
      groups.computeIfAbsent(group, g -> new LinkedHashSet<>()).add(session);
    }
  }

  void leave(GatewaySession session, String group) {
    if (session.groups.remove(group)) {
      removeMember(group, session);
    }
  }

  Set<GatewaySession> members(String group) {
    Set<GatewaySession> members = groups.get(group);
    return members == null ? Collections.emptySet() : members;
  }

  void forEach(java.util.function.Consumer<GatewaySession> action) {
    sessions.values().forEach(action);
  }

  /** Live sessions on this node. */
  public int size() {
    return sessions.size();
  }

  private void removeMember(String group, GatewaySession session) {
    Set<GatewaySession> members = groups.get(group);
    if (members != null && members.remove(session) && members.isEmpty()) {
      groups.remove(group);
    }
  }
}
