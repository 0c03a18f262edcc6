package io.switchboard.history;

import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.strategy.StringPartitioningStrategy;
import io.switchboard.testing.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Group history on Hazelcast: two clustered Vert.x instances in this JVM on a private copy of
 * conf/cluster.xml; one appends, the other reads, against {@link HistorySemantics}. Then the
 * durability: a member holding a group's ring buffer dies and the history survives on its backup.
 */
@DisplayName("Group history on Hazelcast")
class HazelcastHistoryTest extends HistorySemantics {

  private static Vertx a;
  private static Vertx b;

  @BeforeAll
  static void cluster() throws Exception {
    TestCluster cluster = new TestCluster();
    a = member(cluster);
    b = member(cluster);
    until("two members", () -> manager(a).getHazelcastInstance().getCluster().getMembers().size() == 2);
  }

  @AfterAll
  static void close() throws Exception {
    for (Vertx v : new Vertx[]{b, a}) {
      if (v != null) {
        await(v.close());
      }
    }
  }

  static Vertx member(TestCluster cluster) throws Exception {
    HazelcastClusterManager manager = new HazelcastClusterManager(new FileSystemXmlConfig(cluster.configFile().toFile()));
    return await(Vertx.builder().withClusterManager(manager).buildClustered());
  }

  static HazelcastClusterManager manager(Vertx vertx) {
    return (HazelcastClusterManager) ((io.vertx.core.internal.VertxInternal) vertx).clusterManager();
  }

  @Override
  GroupHistory writer() {
    return GroupHistory.of(a);
  }

  @Override
  GroupHistory reader() {
    return GroupHistory.of(b);
  }

  @Override
  Vertx vertx() {
    return a;
  }

  @Test
  @DisplayName("a clustered Vert.x gets the Hazelcast store")
  void hazelcastStore() {
    assertInstanceOf(HazelcastHistory.class, GroupHistory.of(a));
  }

  @Test
  @DisplayName("10 000 appends made at once from one event loop are all stored, in order, and read back 300 at a time "
    + "(times printed, not asserted)")
  void manyAppends() throws Exception {
    String svc = service();
    await(writer().declare(svc, "room:*", new HistoryPolicy(20_000, 0)));
    String group = svc + "/room:many";
    int n = 10_000;
    long start = System.nanoTime();
    io.vertx.core.Promise<List<Appended>> done = io.vertx.core.Promise.promise();
    a.getOrCreateContext().runOnContext(v -> {
      List<io.vertx.core.Future<Appended>> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        all.add(writer().append(group, List.of("m" + i)));
      }
      io.vertx.core.Future.all(all).map(cf -> all.stream().map(io.vertx.core.Future::result).toList()).onComplete(done);
    });
    List<Appended> appended = await(done.future());
    long appendedAt = System.nanoTime();
    for (int i = 0; i < n; i++) {
      assertEquals(i, appended.get(i).position(), "append " + i);
    }
    List<Replay.Entry> read = all(group, appended.get(0).epoch(), -1);
    long readAt = System.nanoTime();
    assertEquals(n, read.size());
    for (int i = 0; i < n; i++) {
      assertEquals("m" + i, read.get(i).body());
    }
    System.out.printf("Hazelcast history, 2 members in one JVM: %d appends in %d ms; read back in %d ms (300 per call)%n",
      n, TimeUnit.NANOSECONDS.toMillis(appendedAt - start), TimeUnit.NANOSECONDS.toMillis(readAt - appendedAt));
  }

  @Test
  @DisplayName("the member holding a group's ring buffer dies (no goodbye): the survivor reads the same history, "
    + "in the same epoch, and appends go on from the next position")
  void survivesAMemberLoss() throws Exception {
    TestCluster cluster = new TestCluster();
    List<Vertx> members = new ArrayList<>(List.of(member(cluster), member(cluster)));
    try {
      until("two members", () -> manager(members.get(0)).getHazelcastInstance().getCluster().getMembers().size() == 2);
      // every partition has its backup on the other member (the partition table settled after the join)
      until("the cluster safe", 60_000, () -> manager(members.get(0)).getHazelcastInstance().getPartitionService().isClusterSafe());
      String svc = service();
      String group = svc + "/room:z";
      for (Vertx m : members) {
        await(GroupHistory.of(m).declare(svc, "room:*", new HistoryPolicy(100, 0)));
      }
      List<Object> bodies = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        bodies.add("m" + i);
      }
      Appended first = await(GroupHistory.of(members.get(0)).append(group, bodies));
      assertEquals(0, first.position());

      HazelcastInstance hz0 = manager(members.get(0)).getHazelcastInstance();
      var owner = hz0.getPartitionService()
        .getPartition(StringPartitioningStrategy.getPartitionKey(HazelcastHistory.PREFIX + group)).getOwner();
      Vertx holder = members.stream().filter(m -> manager(m).getHazelcastInstance().getCluster().getLocalMember().equals(owner))
        .findFirst().orElseThrow();
      Vertx survivor = members.get(0) == holder ? members.get(1) : members.get(0);
      System.out.println("killing the member that owns " + group + ": " + owner);
      manager(holder).getHazelcastInstance().getLifecycleService().terminate();
      members.remove(holder);
      holder.close(); // its Hazelcast is gone already; not awaited

      Replay kept = until("the survivor reads the history", 30_000,
        () -> await(GroupHistory.of(survivor).since(group, first.epoch(), -1, 100)), r -> r.status() == Replay.Status.OK);
      assertEquals(bodies, bodies(kept), "all 20 messages, in order, from the backup");
      assertEquals(first.epoch(), kept.epoch(), "the epoch survived with them");
      Appended next = await(GroupHistory.of(survivor).append(group, List.of("after")));
      assertEquals(20, next.position());
      assertEquals(first.epoch(), next.epoch());
    } finally {
      for (Vertx m : members) {
        m.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }
}
