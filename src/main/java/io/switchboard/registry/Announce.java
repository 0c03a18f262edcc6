package io.switchboard.registry;

import io.switchboard.service.Failover;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;

/**
 * The announce messages published on {@link io.switchboard.protocol.Addresses#REGISTRY}: what a
 * piece of Switchboard is, where it listens, and that it is alive. One place names their fields.
 *
 * <pre>{@code
 * {"op":"announce","role":"service","service":"chat","instance":"switchboard.service.chat.1a2b3c4d",
 *  "paths":["/chat"],"failover":"close","sessions":12,"node":"4242@host","uptimeMs":81234,"heartbeatMs":500}
 * {"op":"announce","role":"gateway","instance":"switchboard.gateway.9f8e7d6c","sessions":300,"node":...}
 * {"op":"announce","role":"host","instance":"switchboard.host.5e6f7a8b","deployments":[...],"node":...}
 * {"op":"withdraw","role":"service","service":"chat","instance":"switchboard.service.chat.1a2b3c4d"}
 * {"op":"lost","role":"service","service":"py_chat","instance":"switchboard.service.py_chat.5d6e","member":...}
 * }</pre>
 *
 * <p>{@code member} is the Vert.x cluster node id of the JVM the piece runs in (stamped by
 * {@link Announcer}; for a service in another language, by the TCP bridge JVM it is connected
 * through). A directory ties the piece's life to that JVM's cluster membership: the piece is lost
 * the moment its JVM leaves the cluster, and announces from a JVM that is not a member are not
 * believed. {@code heartbeatTimeoutMs} is how long the piece may stay silent while its JVM is still a
 * member before it counts as lost (a hung piece, not a busy one: see {@link #DEFAULT_HEARTBEAT_TIMEOUT_MS}).
 * {@code lost} is said by a TCP bridge for a client whose connection dropped.
 */
public final class Announce {

  public static final String OP = "op";
  public static final String OP_ANNOUNCE = "announce";
  public static final String OP_WITHDRAW = "withdraw";
  public static final String OP_LOST = "lost";
  public static final String ROLE = "role";
  public static final String ROLE_SERVICE = "service";
  public static final String ROLE_GATEWAY = "gateway";
  public static final String ROLE_HOST = "host";
  public static final String SERVICE = "service";
  public static final String INSTANCE = "instance";
  public static final String PATHS = "paths";
  public static final String FAILOVER = "failover";
  public static final String SESSIONS = "sessions";
  public static final String NODE = "node";
  public static final String UPTIME_MS = "uptimeMs";
  public static final String HEARTBEAT_MS = "heartbeatMs";
  public static final String HEARTBEAT_TIMEOUT_MS = "heartbeatTimeoutMs";
  public static final String MEMBER = "member";
  public static final String DEPLOYMENTS = "deployments";
  /** {@code true} when the peer reads and writes {@link io.switchboard.protocol.Batch}es. */
  public static final String BATCH = "batch";

  /**
   * The heartbeat of gateways and service hosts, and the one assumed when an announce does not say
   * (e.g. from another language's SDK). Java services configure their own ({@code heartbeatMs}).
   */
  public static final long DEFAULT_HEARTBEAT_MS = 1000;
  /** The fewest heartbeats a {@code heartbeatTimeoutMs} must span. */
  public static final int MISSED_HEARTBEATS = 4;
  /**
   * How long a piece whose JVM is still a cluster member may send no heartbeat before it counts as
   * lost, when its announce does not say ({@code heartbeatTimeoutMs}). Generous on purpose: death is
   * the cluster's call (a killed JVM leaves the membership in about a second); this limit only catches
   * a piece that hangs inside a live JVM, and a burst of work that delays heartbeats by seconds must
   * never pass for it.
   */
  public static final long DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;
  /**
   * The smallest heartbeat a directory believes (the smallest a Java service may configure); an
   * announce claiming less is ignored, so it cannot make peers expire an entry at once.
   */
  public static final long MIN_HEARTBEAT_MS = 50;

  private Announce() {
  }

  /** This JVM's node id, {@code pid@hostname}. */
  public static String thisNode() {
    return ManagementFactory.getRuntimeMXBean().getName();
  }

  /** An announce skeleton for this JVM: op, role, instance, node, uptime and heartbeat. */
  public static JsonObject of(String role, String instance, long heartbeatMs) {
    return new JsonObject()
      .put(OP, OP_ANNOUNCE)
      .put(ROLE, role)
      .put(INSTANCE, instance)
      .put(NODE, thisNode())
      .put(UPTIME_MS, ManagementFactory.getRuntimeMXBean().getUptime())
      .put(HEARTBEAT_MS, heartbeatMs);
  }

  /** A service instance's announce. */
  public static JsonObject service(String service, String instance, Iterable<String> paths, Failover failover,
                                   int sessions, long heartbeatMs) {
    JsonArray p = new JsonArray();
    paths.forEach(p::add);
    return of(ROLE_SERVICE, instance, heartbeatMs)
      .put(SERVICE, service).put(PATHS, p).put(FAILOVER, failover.wire()).put(SESSIONS, sessions).put(BATCH, true);
  }

  /** The {@code lost} a TCP bridge says for an instance of a client whose connection dropped. */
  public static JsonObject lost(JsonObject announce) {
    return withdraw(announce).put(OP, OP_LOST);
  }

  /** The withdraw matching an announce (its node and member too: a directory takes a withdraw only from the announcer). */
  public static JsonObject withdraw(JsonObject announce) {
    JsonObject withdraw = new JsonObject().put(OP, OP_WITHDRAW).put(ROLE, announce.getString(ROLE))
      .put(SERVICE, announce.getString(SERVICE)).put(INSTANCE, announce.getString(INSTANCE))
      .put(NODE, announce.getString(NODE));
    return announce.getString(MEMBER) == null ? withdraw : withdraw.put(MEMBER, announce.getString(MEMBER));
  }

  /**
   * Paths a gateway serves itself, which no service may take: {@code /}, {@code /admin},
   * {@code /eventbus} and everything under them, {@code /health}, {@code /ready}, {@code /metrics}.
   */
  public static boolean reservedPath(String path) {
    if (path == null || path.isEmpty() || path.equals("/")) {
      return true;
    }
    for (String p : new String[]{"/admin", "/eventbus"}) {
      if (path.equals(p) || path.startsWith(p + "/")) {
        return true;
      }
    }
    return path.equals("/health") || path.equals("/ready") || path.equals("/metrics");
  }
}
