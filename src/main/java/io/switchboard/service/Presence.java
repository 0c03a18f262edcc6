package io.switchboard.service;

import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Set;

/**
 * Who is in the groups of this service, over every gateway of the cluster: a local replica kept by
 * each instance of the service, read synchronously (no bus round trip). Get it from
 * {@link ServiceVerticle#presence()}; use it from the service verticle's context only.
 *
 * <p>Contracts:
 * <ul>
 *   <li>A join or leave made by this instance ({@link Session#join(String, JsonObject)},
 *   {@link Session#leave(String)}) is visible here at once, before the gateway confirms it. Those
 *   made by other instances (through other gateways or the same) arrive as deltas from the
 *   gateway holding the session: eventually, and in order per gateway.</li>
 *   <li>When a session closes, it has left its groups here (with {@link ServiceVerticle#onLeft}
 *   for each) before {@link ServiceVerticle#onClose} runs for it (on the instance it is bound to).</li>
 *   <li>When a gateway is lost (its JVM left the cluster), every member it held leaves every group
 *   here ({@link ServiceVerticle#onLeft} for each) before the {@code onClose} callbacks of the
 *   sessions of that gateway run.</li>
 * </ul>
 *
 * <p>Each gateway numbers its membership deltas per service; an instance that starts, or sees a
 * gap in a gateway's numbers, asks that gateway for a snapshot of its part.
 */
public interface Presence {

  /**
   * The members of a group: session id to member meta (as joined; read-only). Empty when the
   * group has no member. A snapshot: later changes do not show in it (reading an unchanged group
   * again returns the same map, at no cost).
   */
  Map<String, JsonObject> members(String group);

  /** The number of members of a group (0 when it has none). */
  int count(String group);

  /** The groups of this service that have at least one member. A copy. */
  Set<String> groups();
}
