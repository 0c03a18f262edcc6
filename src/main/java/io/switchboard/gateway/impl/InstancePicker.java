package io.switchboard.gateway.impl;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Balances a node's sessions over a service's instances: picks the live instance with the fewest
 * sessions bound from this node (round-robin among equals), and keeps which sessions each
 * instance holds, so that a lost instance's sessions are found without a scan. Confined to the
 * gateway node's event loop.
 *
 * @param <S> the session type
 */
final class InstancePicker<S> {

  /** Sessions this node has bound to each instance: the balancing weight. */
  private final Map<String, Set<S>> bound = new HashMap<>();
  /**
   * Where each service's next pick starts among equals. Per service: a node's picks for several
   * services interleave, and one shared counter would then start a service's picks at the same
   * instance every time while its opens are in flight (not yet bound, so all counts are equal).
   */
  private final Map<String, Integer> roundRobin = new HashMap<>();

  /**
   * The instance (of {@code instances}, the service's live ones in directory order) with the
   * fewest sessions from this node, not in {@code exclude}, round-robin among equals per
   * {@code service}; null when there is none.
   */
  String pick(String service, List<String> instances, Set<String> exclude) {
    int n = instances.size();
    if (n == 0) {
      return null;
    }
    String best = null;
    int bestCount = Integer.MAX_VALUE;
    int start = Math.floorMod(roundRobin.merge(service, 1, Integer::sum) - 1, n);
    for (int i = 0; i < n; i++) {
      String address = instances.get((start + i) % n);
      int count = count(address);
      if (!exclude.contains(address) && count < bestCount) {
        best = address;
        bestCount = count;
      }
    }
    return best;
  }

  /** Records that {@code instance} accepted {@code session}. */
  void bind(S session, String instance) {
    bound.computeIfAbsent(instance, k -> new LinkedHashSet<>()).add(session);
  }

  /** Records that {@code instance} no longer holds {@code session}. */
  void unbind(S session, String instance) {
    Set<S> sessions = bound.get(instance);
    if (sessions != null && sessions.remove(session) && sessions.isEmpty()) {
      bound.remove(instance);
    }
  }

  /** The sessions {@code instance} holds, as a copy the caller may unbind from while iterating. */
  List<S> boundTo(String instance) {
    Set<S> sessions = bound.get(instance);
    return sessions == null ? Collections.emptyList() : new ArrayList<>(sessions);
  }

  /** How many of this node's sessions {@code instance} holds. */
  int count(String instance) {
    Set<S> sessions = bound.get(instance);
    return sessions == null ? 0 : sessions.size();
  }
}
