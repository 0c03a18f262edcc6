package io.switchboard;

import com.hazelcast.config.FileSystemXmlConfig;
import io.switchboard.history.Replay;
import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Close;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.protocol.PeerReader;
import io.switchboard.registry.Announce;
import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
import io.switchboard.testing.TestCluster;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A service publishing to groups with a history ({@code "history"} in its config): positions and
 * epochs on the group messages, the order of publishes and pushes while appends are in flight
 * (on Hazelcast, where an append really takes a while), reading a group's history back, and the
 * config's validation. One clustered Vert.x in this JVM; the gateway is a fake on the bus.
 */
@DisplayName("Publishing to groups with a history")
class HistoryPublishTest {

  private static final String GW = Addresses.gateway("fakehist");
  private static Vertx vertx;
  private static long heartbeat;
  private static String instance;
  private static final List<String> out = new CopyOnWriteArrayList<>();
  private static final List<Future<Long>> positions = new CopyOnWriteArrayList<>();
  private static Publisher service;

  /** {@code burst:N}: N rounds of (publish to room:x, push, publish to lobby, push); {@code warm}: a publish to lobby; else pong. */
  public static class Publisher extends ServiceVerticle {
    @Override
    protected String defaultName() {
      return "pub";
    }

    @Override
    protected void onMessage(Session session, String text) {
      if (text.startsWith("burst:")) {
        int n = Integer.parseInt(text.substring(6));
        for (int i = 0; i < n; i++) {
          positions.add(publish("room:x", "r" + i));
          session.send("after r" + i);
          positions.add(publish("lobby", "l" + i));
          session.send("after l" + i);
        }
      } else if (text.startsWith("flood:")) {
        int n = Integer.parseInt(text.substring(6));
        for (int i = 0; i < n; i++) {
          positions.add(publish("room:flood", "f" + i));
        }
        session.send("flooded");
      } else if ("warm".equals(text)) {
        publish("lobby", "warm");
      } else {
        session.send("pong");
      }
    }
  }

  @BeforeAll
  static void start() throws Exception {
    HazelcastClusterManager manager = new HazelcastClusterManager(new FileSystemXmlConfig(new TestCluster().configFile().toFile()));
    vertx = await(Vertx.builder().withClusterManager(manager).buildClustered());
    // both consumers on one event loop: what arrives there arrives in the order it was sent
    io.vertx.core.Promise<List<Future<Void>>> promise = io.vertx.core.Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> {
      List<Future<Void>> registered = new ArrayList<>();
      registered.add(vertx.eventBus().consumer(GW, (Message<Object> msg) -> {
        String batch = Op.BATCH.wire().equals(msg.headers().get(Headers.OP)) ? "batch " : "";
        PeerReader.read(msg, new PeerReader.Receiver() {
          @Override
          public void text(String sid, String text) {
            out.add(batch + "push " + text);
          }

          @Override
          public void binary(String sid, Buffer data) {
          }

          @Override
          public void close(String sid, Close close) {
          }
        });
      }).completion());
      registered.add(vertx.eventBus().consumer(Addresses.GROUPS, (Message<Object> msg) -> out.add("group " + msg.headers().get(Headers.GROUP)
        + " " + msg.body() + " pos " + msg.headers().get(Headers.POSITION) + " epoch " + (msg.headers().get(Headers.EPOCH) != null)))
        .completion());
      promise.complete(registered);
    });
    await(Future.all(await(promise.future())));
    JsonObject announce = Announce.of(Announce.ROLE_GATEWAY, GW, 500).put(Announce.BATCH, true);
    vertx.eventBus().publish(Addresses.REGISTRY, announce);
    heartbeat = vertx.setPeriodic(500, id -> vertx.eventBus().publish(Addresses.REGISTRY, announce));
    service = new Publisher();
    await(vertx.deployVerticle(service, new DeploymentOptions().setConfig(new JsonObject()
      .put("history", new JsonObject().put("room:*", new JsonObject().put("size", 100).put("ttlSeconds", 0))))));
    Message<Object> reply = await(vertx.eventBus().request(Addresses.service("pub"), new JsonObject().put("path", "/pub"),
      new DeliveryOptions().addHeader(Headers.OP, Op.OPEN.wire()).addHeader(Headers.SESSION, "p1").addHeader(Headers.GATEWAY, GW)));
    instance = reply.headers().get(Headers.INSTANCE);
    until("the service writes batches to the fake gateway (it heard its announce)", () -> {
      text("ping");
      Thread.sleep(100);
      return out.contains("batch push pong");
    });
    // the clustered event bus looks up an address's handlers once, asynchronously (then cached):
    // messages to two addresses are in order once both were looked up
    text("warm");
    until("the first group message", () -> out.contains("group pub/lobby warm pos null epoch false"));
    out.clear();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.cancelTimer(heartbeat);
    await(vertx.close());
  }

  private static void text(String text) {
    vertx.eventBus().send(instance, text, new DeliveryOptions().addHeader(Headers.OP, Op.TEXT.wire())
      .addHeader(Headers.SESSION, "p1").addHeader(Headers.INSTANCE, GW));
  }

  @Test
  @DisplayName("each message to a group with history gets the next position and the epoch; publishes and the pushes made "
    + "between them leave in call order although the appends take a while; a group without history gets -1")
  void positionsAndOrder() throws Exception {
    positions.clear();
    out.clear();
    text("burst:30");
    until("every publish and push out", () -> out.size() == 120);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      expected.add("group pub/room:x r" + i + " pos " + i + " epoch true");
      expected.add("batch push after r" + i);
      expected.add("group pub/lobby l" + i + " pos null epoch false");
      expected.add("batch push after l" + i);
    }
    assertEquals(expected, out);
    for (int i = 0; i < 60; i++) {
      assertEquals(i % 2 == 0 ? i / 2 : -1L, (long) await(positions.get(i)), "publish " + i + "'s position");
    }

    Replay kept = await(service.history("room:x", 27, 10));
    assertEquals(Replay.Status.OK, kept.status());
    assertEquals(List.of("r28", "r29"), kept.entries().stream().map(Replay.Entry::body).toList());
    assertNotNull(kept.epoch());
    assertTrue(await(service.history("lobby", -1, 10)).entries().isEmpty(), "a group without history keeps nothing");
  }

  @Test
  @DisplayName("publishes whose appends fail (more than 10 000 waiting for one group) are still delivered, in call order, "
    + "without a position, and their futures fail; the others keep their positions")
  void failedAppends() throws Exception {
    int n = 10_500;
    positions.clear();
    out.clear();
    text("flood:" + n);
    until("every message and the push after them out", 60_000, () -> out.size() == n + 1);
    int withPosition = 0;
    for (int i = 0; i < n; i++) {
      String line = out.get(i);
      assertTrue(line.startsWith("group pub/room:flood f" + i + " pos "), "message " + i + " in call order: " + line);
      boolean positioned = !line.endsWith("pos null epoch false");
      Throwable failure = positions.get(i).toCompletionStage().handle((p, e) -> e).toCompletableFuture().join();
      if (positioned) {
        assertEquals(i, withPosition++, "the positioned messages come first");
        assertEquals("group pub/room:flood f" + i + " pos " + i + " epoch true", line);
        assertEquals(null, failure);
      } else {
        assertNotNull(failure, "publish " + i + " without a position fails");
        assertTrue(failure.getMessage().contains("10000 messages already wait"), failure.getMessage());
      }
    }
    assertEquals("batch push flooded", out.get(n), "the push made after them comes after them");
    assertTrue(withPosition >= 10_001 && withPosition < n, withPosition + " positioned");
  }

  @Test
  @DisplayName("a bad history config fails the deploy with a message naming the key")
  void badConfig() {
    for (JsonObject[] bad : new JsonObject[][]{
      {new JsonObject().put("room:*", new JsonObject().put("size", 0)), new JsonObject().put("want", "\"size\" must be an integer from 1 to 1000000")},
      {new JsonObject().put("ro*m", new JsonObject()), new JsonObject().put("want", "\"ro*m\" is no group pattern")},
      {new JsonObject().put("room:*", new JsonObject().put("ttl", 5)), new JsonObject().put("want", "unknown key \"ttl\"")},
      {new JsonObject().put("room:*", 5), new JsonObject().put("want", "\"room:*\" must be an object")}}) {
      Throwable e = vertx.deployVerticle(new Publisher(), new DeploymentOptions().setConfig(new JsonObject().put("name", "bad")
        .put("history", bad[0]))).toCompletionStage().handle((id, err) -> err).toCompletableFuture().join();
      assertNotNull(e, "deploying with " + bad[0].encode());
      assertTrue(e.getMessage().contains("history") && e.getMessage().contains(bad[1].getString("want")), e.getMessage());
    }
  }
}
