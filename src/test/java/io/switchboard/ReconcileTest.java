package io.switchboard;

import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Batch;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.registry.Announce;
import io.switchboard.service.Failover;
import io.switchboard.testing.ProbeService;
import io.switchboard.testing.WsClient;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When a gateway and a service instance disagree about a session (one took the other for lost,
 * the other lives on), the socket is never left open and dead: the instance tells the gateway it
 * does not hold the session ({@code expired}) and the client gets 1012. One JVM; the peer that is
 * taken for lost is a fake on the bus, so that its heartbeats can stop while it lives.
 */
@DisplayName("Reconciling a session one side took for lost")
class ReconcileTest {

  private Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("a service that took a live gateway for lost answers its next message for the session with expired, "
    + "and tells it of every session it ended when it announces itself again")
  void serviceSaysExpired() throws Exception {
    await(vertx.deployVerticle(new ProbeService()));
    String fake = Addresses.gateway("fake" + Long.toString(System.nanoTime(), 36));
    BlockingQueue<Message<Object>> pushes = new LinkedBlockingQueue<>();
    await(vertx.eventBus().consumer(fake, pushes::add).completion());
    JsonObject announce = Announce.of(Announce.ROLE_GATEWAY, fake, 100).put(Announce.BATCH, true)
      .put(Announce.HEARTBEAT_TIMEOUT_MS, 400);
    vertx.eventBus().publish(Addresses.REGISTRY, announce);
    long heartbeat = vertx.setPeriodic(100, id -> vertx.eventBus().publish(Addresses.REGISTRY, announce));
    Thread.sleep(300); // the announce reaches the service's directory (not a timing assertion)
    String sid = fake + ".1";
    Message<Object> accepted = await(vertx.eventBus().request(Addresses.service("probe"),
      new JsonObject().put("service", "probe").put("path", "/probe"),
      new DeliveryOptions().addHeader(Headers.OP, Op.OPEN.wire()).addHeader(Headers.SESSION, sid)
        .addHeader(Headers.GATEWAY, fake)));
    String instance = accepted.headers().get(Headers.INSTANCE);

    vertx.cancelTimer(heartbeat); // the gateway falls silent past its heartbeat timeout, yet lives
    Thread.sleep(1500);           // the service takes it for lost and ends its session (not a timing assertion)
    pushes.clear();

    vertx.eventBus().publish(Addresses.REGISTRY, announce); // back: the service tells it what it ended
    assertEquals(List.of(sid), expiredIn(pushes.poll(10, TimeUnit.SECONDS)), "told on its return");

    sendText(instance, fake, sid, "anyone there?");
    assertEquals(List.of(sid), expiredIn(pushes.poll(10, TimeUnit.SECONDS)), "a message for the ended session");
  }

  @Test
  @DisplayName("a gateway told expired by the session's instance closes the socket with 1012; other sessions live on")
  void gatewayClosesExpired() throws Exception {
    await(vertx.deployVerticle(new ProbeService()));
    GatewayVerticle g = new GatewayVerticle();
    await(vertx.deployVerticle(g, new DeploymentOptions().setConfig(new JsonObject().put("host", "127.0.0.1")
      .put("port", 0).put("routes", new JsonObject().put("/amnesia", "amnesia").put("/probe", "probe")))));
    // an instance that accepts sessions and then forgets them: every message gets an expired back
    String instance = Addresses.serviceInstance("amnesia", "a1");
    MessageConsumer<Object> forgetful = vertx.eventBus().consumer(instance, msg -> {
      if (Op.OPEN.wire().equals(msg.headers().get(Headers.OP))) {
        msg.reply(null, new DeliveryOptions().addHeader(Headers.INSTANCE, instance));
      } else if (Op.BATCH.wire().equals(msg.headers().get(Headers.OP))) {
        String gateway = msg.headers().get(Headers.INSTANCE);
        List<String> sessions = new ArrayList<>();
        Batch.read((Buffer) msg.body(), (op, session, payload) -> sessions.add(session));
        Buffer reply = Buffer.buffer();
        sessions.forEach(s -> Batch.append(reply, Op.EXPIRED, s, Buffer.buffer()));
        vertx.eventBus().send(gateway, reply, new DeliveryOptions().addHeader(Headers.OP, Op.BATCH.wire())
          .addHeader(Headers.INSTANCE, instance));
      }
    });
    await(forgetful.completion());
    JsonObject announce = Announce.service("amnesia", instance, List.of(), Failover.CLOSE, 0, 200);
    vertx.eventBus().publish(Addresses.REGISTRY, announce);
    long heartbeat = vertx.setPeriodic(200, id -> vertx.eventBus().publish(Addresses.REGISTRY, announce));
    try (WsClient user = WsClient.connect(vertx, g.actualPort(), "/probe", "user")) {
      WsClient c = null;
      for (int i = 0; i < 50 && c == null; i++) { // until the gateway's directory knows the instance
        WsClient attempt = WsClient.connect(vertx, g.actualPort(), "/amnesia", "forgotten");
        attempt.send("hello");
        if (attempt.awaitClose() == 1012) {
          c = attempt;
        } else {
          Thread.sleep(100);
        }
      }
      assertNotNull(c, "a session of the forgetful instance");
      assertTrue(c.closeReason().contains("lost the session"), c.closeReason());
      user.send("still");
      assertEquals("/probe still", user.next());
    } finally {
      vertx.cancelTimer(heartbeat);
    }
  }

  private void sendText(String instance, String gateway, String sid, String text) {
    Buffer batch = Buffer.buffer();
    Batch.append(batch, Op.TEXT, sid, Buffer.buffer(text));
    vertx.eventBus().send(instance, batch, new DeliveryOptions().addHeader(Headers.OP, Op.BATCH.wire())
      .addHeader(Headers.INSTANCE, gateway));
  }

  /** The sessions a push says are expired (a batch of expired records, or one expired message). */
  private static List<String> expiredIn(Message<Object> push) {
    assertNotNull(push, "a push to the gateway");
    List<String> ids = new ArrayList<>();
    if (Op.BATCH.wire().equals(push.headers().get(Headers.OP))) {
      Batch.read((Buffer) push.body(), (op, session, payload) -> {
        assertEquals(Op.EXPIRED, op);
        ids.add(session);
      });
    } else {
      assertEquals(Op.EXPIRED.wire(), push.headers().get(Headers.OP));
      ids.add(push.headers().get(Headers.SESSION));
    }
    return ids;
  }
}
