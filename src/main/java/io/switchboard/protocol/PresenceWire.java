package io.switchboard.protocol;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The body of an {@link Op#PRESENCE} message: what a gateway node tells a service's instances
 * about the members it holds of that service's groups. A JSON object:
 *
 * <pre>
 *   {"gw": gateway node address, "seq": n, "deltas": [["j", group, sid, meta], ["l", group, sid], ...]}
 *   {"gw": gateway node address, "seq": n, "snapshot": {group: {sid: meta, ...}, ...}}
 *   {"gw": gateway node address, "seq": n}
 * </pre>
 *
 * A delta message (published on {@link Addresses#presence(String)}) is change number {@code seq}
 * of that gateway node for that service: an instance that has {@code seq - 1} applies it, one that
 * has {@code seq} or more skips it, one that has less asks for a snapshot ({@link Op#SYNC}).
 * A snapshot (sent to the instance that asked) is the node's whole part as of change {@code seq}.
 * The third form, a beacon published every few seconds, says "my last change is {@code seq}":
 * an instance behind it asks for a snapshot. Groups are the service's own names (not qualified).
 * A {@code "j"} entry states the member's meta after the change (a join, a meta replaced, or a
 * refused change restating the old meta); an {@code "l"} entry says the session is not a member
 * (a leave, a close, or a refused join).
 */
public final class PresenceWire {

  public static final String GATEWAY = "gw";
  public static final String SEQ = "seq";
  public static final String DELTAS = "deltas";
  public static final String SNAPSHOT = "snapshot";
  public static final String JOINED = "j";
  public static final String LEFT = "l";

  private PresenceWire() {
  }

  /** A delta message's body. */
  public static JsonObject deltas(String gateway, long seq, JsonArray deltas) {
    return new JsonObject().put(GATEWAY, gateway).put(SEQ, seq).put(DELTAS, deltas);
  }

  /** A snapshot's body. */
  public static JsonObject snapshot(String gateway, long seq, JsonObject groups) {
    return new JsonObject().put(GATEWAY, gateway).put(SEQ, seq).put(SNAPSHOT, groups);
  }

  /** A beacon's body. */
  public static JsonObject beacon(String gateway, long seq) {
    return new JsonObject().put(GATEWAY, gateway).put(SEQ, seq);
  }

  /** A join entry (the member's meta after the change). */
  public static JsonArray joined(String group, String sessionId, JsonObject meta) {
    return new JsonArray().add(JOINED).add(group).add(sessionId).add(meta);
  }

  /** A leave entry. */
  public static JsonArray left(String group, String sessionId) {
    return new JsonArray().add(LEFT).add(group).add(sessionId);
  }
}
