package io.switchboard.history;

import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.HashMap;
import java.util.Map;

/**
 * Finds the {@link GroupHistory} of a Vert.x instance: one per instance, created on first use and
 * forgotten when the instance closes. A Vert.x clustered with Hazelcast gets the
 * {@link HazelcastHistory} (shared by the whole cluster); any other one the {@link LocalHistory}
 * of this JVM.
 */
final class HistoryStores {

  private static final Map<Vertx, GroupHistory> STORES = new HashMap<>();

  private HistoryStores() {
  }

  static GroupHistory of(Vertx vertx) {
    synchronized (STORES) {
      GroupHistory store = STORES.get(vertx);
      if (store == null) {
        store = create(vertx);
        STORES.put(vertx, store);
        ((VertxInternal) vertx).addCloseHook(completion -> {
          synchronized (STORES) {
            STORES.remove(vertx);
          }
          completion.succeed();
        });
      }
      return store;
    }
  }

  private static GroupHistory create(Vertx vertx) {
    ClusterManager manager = vertx.isClustered() ? ((VertxInternal) vertx).clusterManager() : null;
    if (manager instanceof HazelcastClusterManager) {
      return new HazelcastHistory(vertx, ((HazelcastClusterManager) manager).getHazelcastInstance());
    }
    return new LocalHistory(vertx);
  }
}
