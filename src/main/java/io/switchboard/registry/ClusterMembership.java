package io.switchboard.registry;

import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;

import java.util.HashSet;
import java.util.Set;

/**
 * The JVMs of the cluster, as the cluster manager (Hazelcast) sees them: the one signal of death
 * that load cannot fake. Hazelcast's membership runs on its own threads and heartbeats, so a JVM
 * whose event loops are saturated stays a member; a killed JVM is removed in about a second on a
 * local network (its connections close), a silent one after {@code hazelcast.max.no.heartbeat.seconds}.
 *
 * <p>Read by polling: {@link ClusterManager#getNodes()} reads Hazelcast's local member list (no
 * remote call), and the cluster manager's node listener is Vert.x's own, not to be replaced. This
 * is the registry's one reach under Vert.x's public API ({@code VertxInternal#clusterManager}).
 */
public final class ClusterMembership {

  private final ClusterManager manager;

  private ClusterMembership(ClusterManager manager) {
    this.manager = manager;
  }

  /** The membership of a clustered Vert.x; {@code null} for one that is not clustered. */
  public static ClusterMembership of(Vertx vertx) {
    if (!vertx.isClustered() || !(vertx instanceof VertxInternal)) {
      return null;
    }
    ClusterManager manager = ((VertxInternal) vertx).clusterManager();
    return manager == null ? null : new ClusterMembership(manager);
  }

  /** This JVM's cluster node id, or {@code null} while it is not (or no longer) joined. */
  public String localNode() {
    return manager.isActive() ? manager.getNodeId() : null;
  }

  /** The node ids of the JVMs in the cluster now. */
  public Set<String> members() {
    return manager.isActive() ? new HashSet<>(manager.getNodes()) : Set.of();
  }
}
