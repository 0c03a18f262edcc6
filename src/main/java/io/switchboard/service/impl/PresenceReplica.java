package io.switchboard.service.impl;

import io.switchboard.service.Presence;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Set;

/** This instance's replica of its service's groups, per gateway. Confined to the service's context. */
final class PresenceReplica implements Presence {

  @Override
  public Map<String, JsonObject> members(String group) {
    return Map.of();
  }

  @Override
  public int count(String group) {
    return 0;
  }

  @Override
  public Set<String> groups() {
    return Set.of();
  }
}
