package io.switchboard.service.impl;

import io.switchboard.protocol.PresenceWire;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The figures of a service instance's presence replica (issue 12); not a test. Run with the test
 * classpath: {@code java -cp ... io.switchboard.service.impl.PresenceFootprint [members]}.
 * Fills a replica with one group of {@code members} (10 000) members, each with a meta
 * {@code {"name":"user-N"}}, as one gateway's deltas; prints the live heap per membership (after
 * GC), then the cost of {@code members()} (after a change of the group, and unchanged) and
 * {@code count()} on that group.
 */
public final class PresenceFootprint {

  private PresenceFootprint() {
  }

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    Vertx vertx = Vertx.vertx();
    Context context = vertx.getOrCreateContext();
    PresenceReplica replica = new PresenceReplica(vertx, "svc", "switchboard.service.svc.x", new PresenceReplica.Events() {
      @Override
      public void joined(String group, String sessionId, JsonObject meta) {
      }

      @Override
      public void left(String group, String sessionId, JsonObject meta) {
      }
    });
    long before = liveHeap();
    on(context, () -> {
      long seq = 0;
      JsonArray batch = new JsonArray();
      for (int i = 0; i < n; i++) {
        // ids and metas as the wire gives them: fresh strings and objects per member
        batch.add(PresenceWire.joined("room", new String("gw0000001." + randomId(i)), new JsonObject().put("name", "user-" + i)));
        if (batch.size() == 1000) {
          replica.onMessage(PresenceWire.deltas("switchboard.gateway.g1", ++seq, batch));
          batch = new JsonArray();
        }
      }
      if (!batch.isEmpty()) {
        replica.onMessage(PresenceWire.deltas("switchboard.gateway.g1", ++seq, batch));
      }
    });
    long after = liveHeap();
    int count = on(context, () -> replica.count("room"));
    System.out.printf("replica: %d members of one group: %d bytes of live heap per membership (id, meta {\"name\":\"user-N\"} and maps)%n",
      count, (after - before) / count);
    for (int round = 0; round < 3; round++) { // the first rounds warm the JIT up
      int calls = 2000;
      long[] took = on(context, () -> {
        JsonObject[] metas = {new JsonObject().put("name", "a"), new JsonObject().put("name", "b")};
        long t0 = System.nanoTime();
        int sink = 0;
        for (int i = 0; i < calls; i++) { // each read after a change of the group: a fresh copy
          replica.local("switchboard.gateway.g1", "changing", "room", metas[i % 2]);
          sink += replica.members("room").size();
        }
        long t1 = System.nanoTime();
        for (int i = 0; i < calls * 100; i++) { // reads of an unchanged group
          sink += replica.members("room").size();
        }
        long t2 = System.nanoTime();
        for (int i = 0; i < calls * 100; i++) {
          sink += replica.count("room");
        }
        long t3 = System.nanoTime();
        return new long[] {(t1 - t0) / calls, (t2 - t1) / (calls * 100L), (t3 - t2) / (calls * 100L), sink};
      });
      System.out.printf("replica round %d: members(\"room\") of %d: %d µs after a change (a copy), %d ns unchanged;"
        + " count(\"room\") %d ns%n", round, count, took[0] / 1000, took[1], took[2]);
    }
    vertx.close();
  }

  private static String randomId(int i) {
    return Long.toString(0x5DEECE66DL * (i + 1) & 0xFFFFFFFFFFFFL, 36) + "AbCdEfGhIjKlMn" + i;
  }

  private static long liveHeap() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private interface Work<T> {
    T run();
  }

  private static void on(Context context, Runnable work) throws Exception {
    on(context, () -> {
      work.run();
      return null;
    });
  }

  private static <T> T on(Context context, Work<T> work) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        result.complete(work.run());
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    });
    return result.get(60, TimeUnit.SECONDS);
  }
}
