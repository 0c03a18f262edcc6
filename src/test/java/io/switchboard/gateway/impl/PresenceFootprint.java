package io.switchboard.gateway.impl;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.PresenceWire;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.switchboard.testing.Await.await;

/**
 * The figures of a gateway node's side of presence (issue 12); not a test. Run with the test
 * classpath: {@code java -cp ... io.switchboard.gateway.impl.PresenceFootprint [sessions]}.
 * {@code sessions} (10 000) sessions join one group, once with an empty meta and once with
 * {@code {"name":"user-N"}}: the live heap per membership (after GC); then a burst of 1 000 joins
 * in one event-loop turn: how many delta messages it publishes and how long the turn takes.
 */
public final class PresenceFootprint {

  private PresenceFootprint() {
  }

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    Vertx vertx = Vertx.vertx();
    Context context = vertx.getOrCreateContext();
    AtomicInteger published = new AtomicInteger();
    AtomicInteger entries = new AtomicInteger();
    await(vertx.eventBus().<JsonObject>consumer(Addresses.presence("svc"), m -> {
      if (m.body().containsKey(PresenceWire.DELTAS)) {
        published.incrementAndGet();
        entries.addAndGet(m.body().getJsonArray(PresenceWire.DELTAS).size());
      }
    }).completion());
    SessionRegistry registry = new SessionRegistry();
    PresenceOut out = on(context, () -> new PresenceOut(vertx, context, "switchboard.gateway.g1", registry));
    registry.configure(64, 1024, 16 * 1024, out);
    List<GatewaySession> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      GatewaySession s = new GatewaySession("g1." + Secrets.randomId(), "svc", null, new JsonObject(), () -> { });
      sessions.add(s);
      registry.add(s);
    }
    for (String kind : new String[] {"empty meta", "meta {\"name\":\"user-N\"}"}) {
      boolean withMeta = kind.startsWith("meta");
      String group = "svc/" + (withMeta ? "named" : "plain");
      long before = liveHeap();
      on(context, () -> {
        for (int i = 0; i < n; i++) {
          registry.join(sessions.get(i), group, withMeta ? new JsonObject().put("name", "user-" + i) : new JsonObject());
        }
        out.flush();
        return null;
      });
      long after = liveHeap();
      System.out.printf("gateway: %d members of one group, %s: %d bytes of live heap per membership%n", n, kind,
        (after - before) / n);
    }
    int published0 = published.get();
    int entries0 = entries.get();
    for (int round = 0; round < 3; round++) {
      String group = "svc/burst" + round;
      long took = on(context, () -> {
        long t0 = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
          registry.join(sessions.get(i), group, new JsonObject().put("name", "user-" + i));
        }
        return System.nanoTime() - t0;
      });
      int target = entries0 + 1000 * (round + 1);
      long deadline = System.currentTimeMillis() + 10_000;
      while (entries.get() < target && System.currentTimeMillis() < deadline) {
        Thread.sleep(5);
      }
      System.out.printf("gateway: a burst of 1 000 joins in one turn: %.2f ms of event loop, %d delta message(s) published%n",
        took / 1e6, published.get() - published0);
      published0 = published.get();
      entries0 = entries.get();
    }
    vertx.close();
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
