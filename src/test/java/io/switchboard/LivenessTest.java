package io.switchboard;

import io.switchboard.testing.Await;
import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;
import io.switchboard.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Liveness that load cannot fake, with real JVMs on a private Hazelcast cluster: a gateway whose
 * event loop is blocked for 10 s (far past its heartbeats) is not taken for dead while its JVM is
 * a cluster member, and nothing of its sessions is lost; a JVM killed with -9 is taken for dead
 * as soon as the cluster drops it, whichever side dies.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("Liveness across JVMs")
class LivenessTest {

  private static final TestCluster cluster = new TestCluster();
  private static Vertx vertx;
  private static JvmProcess gateway;
  private static JvmProcess gateway2;
  /** A gateway that hangs past its (short) heartbeat timeout. */
  private static JvmProcess hanging;
  private static int port3;
  private static Path hangFile;
  private static JvmProcess services;
  private static int port;
  private static int port2;
  private static Path blockFile;

  @BeforeAll
  static void start() throws IOException {
    vertx = Vertx.vertx();
    Path dir = Files.createDirectories(Path.of("target", "liveness-test"));
    blockFile = dir.resolve("block-" + System.nanoTime());
    port = TestCluster.freePort();
    port2 = TestCluster.freePort();
    port3 = TestCluster.freePort();
    hangFile = dir.resolve("hang-" + System.nanoTime());
    Path conf3 = dir.resolve("gateway3.json");
    Files.writeString(conf3, new JsonObject().put("host", "127.0.0.1").put("port", port3)
      .put("limits", new JsonObject().put("heartbeatTimeoutMs", 4000)).encodePrettily());
    Path conf = dir.resolve("gateway.json");
    Files.writeString(conf, new JsonObject().put("host", "127.0.0.1").put("port", port).encodePrettily());
    Path conf2 = dir.resolve("gateway2.json");
    Files.writeString(conf2, new JsonObject().put("host", "127.0.0.1").put("port", port2).encodePrettily());
    Path servicesConf = dir.resolve("services.json");
    Files.writeString(servicesConf, new JsonObject().put("services", new JsonArray()
      .add(new JsonObject().put("verticle", "io.switchboard.testing.ProbeService")
        .put("config", new JsonObject().put("name", "lv").put("paths", new JsonArray().add("/lv"))))).encodePrettily());
    List<String> blockable = new ArrayList<>(cluster.jvmArgs());
    blockable.add("-Dtest.block.file=" + blockFile.toAbsolutePath());
    gateway = JvmProcess.launch("liveness-gateway", blockable, Map.of(),
      "run", "io.switchboard.testing.BlockableGateway", "-conf", conf.toString(), "-cluster");
    gateway2 = JvmProcess.launch("liveness-gateway-2", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", conf2.toString(), "-cluster");
    List<String> hangable = new ArrayList<>(cluster.jvmArgs());
    hangable.add("-Dtest.block.file=" + hangFile.toAbsolutePath());
    hanging = JvmProcess.launch("liveness-gateway-hanging", hangable, Map.of(),
      "run", "io.switchboard.testing.BlockableGateway", "-conf", conf3.toString(), "-cluster");
    services = JvmProcess.launch("liveness-services", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", servicesConf.toString(), "-cluster");
    gateway.await("Succeeded in deploying verticle", 60_000);
    gateway2.await("Succeeded in deploying verticle", 60_000);
    hanging.await("Succeeded in deploying verticle", 60_000);
    services.await("Service host deployed", 60_000);
    for (int p : new int[]{port, port2, port3}) {
      Await.until("/lv routed on port " + p, 30_000, () -> {
        try (WsClient c = WsClient.connect(vertx, p, "/lv")) {
          c.send("ping");
          return "/lv ping".equals(c.next());
        } catch (AssertionError e) {
          return false;
        }
      });
    }
  }

  @AfterAll
  static void stop() {
    for (JvmProcess p : new JvmProcess[]{services, hanging, gateway2, gateway}) {
      if (p != null) {
        p.close();
      }
    }
    vertx.close();
  }

  @Test
  @Order(1)
  @DisplayName("a gateway whose event loop is blocked for 10 s is not taken for lost while its JVM is a member: "
    + "its sessions stay open and what their clients sent meanwhile is answered")
  void blockedLoopIsNotDeath() throws Exception {
    try (WsClient c = WsClient.connect(vertx, port, "/lv", "blocked");
         WsClient other = WsClient.connect(vertx, port2, "/lv", "other")) {
      c.send("before");
      assertEquals("/lv before", c.next());
      Files.writeString(blockFile, "10000");
      gateway.await("blocking the event loop for 10000 ms", 10_000);
      c.send("during");
      other.send("meanwhile");
      assertEquals("/lv meanwhile", other.next(), "the other gateway is served while this one is blocked");
      gateway.await("event loop free again", 30_000);
      assertEquals("/lv during", c.next(), "what the client sent while the loop was blocked is answered");
      c.send("after");
      assertEquals("/lv after", c.next());
      assertFalse(c.isClosed());
      // the gateway's heartbeats were held up 10 s (ten of them, at 1 s): nobody called it lost
      assertFalse(services.printed(line -> line.contains("Lost")), "the service took the blocked gateway for lost:\n"
        + services.output());
      assertFalse(gateway.printed(line -> line.contains("Lost")), "the blocked gateway took the service for lost:\n"
        + gateway.output());
    }
  }

  @Test
  @Order(2)
  @DisplayName("a gateway whose event loop hangs past its heartbeat timeout is taken for lost; when it comes back, "
    + "its client is closed with 1012 rather than left talking to nobody")
  void hungGatewayIsLostAndReconciled() throws Exception {
    try (WsClient c = served(port3, "on-hung")) {
      Files.writeString(hangFile, "20000"); // five times its heartbeatTimeoutMs (4 s)
      hanging.await("blocking the event loop for 20000 ms", 10_000);
      services.await("Lost \\(no heartbeat for \\d+ ms\\): gateway", 30_000);
      hanging.await("event loop free again", 30_000);
      // back: the service tells it the session ended on its side (expired), the gateway closes it
      assertEquals(1012, c.awaitClose(20_000));
      assertTrue(c.closeReason().contains("lost the session"), c.closeReason());
    }
    try (WsClient again = served(port3, "after-hung")) {
      assertFalse(again.isClosed(), "the gateway serves new sessions again");
    }
  }

  @Test
  @Order(3)
  @DisplayName("kill -9 of a gateway JVM: the service takes it for lost once the cluster drops it, and its sessions end there")
  void killedGateway() throws Exception {
    try (WsClient c = served(port2, "on-killed")) {
      long killed = System.nanoTime();
      gateway2.kill();
      services.await("Lost \\(its JVM left the cluster\\): gateway", 20_000);
      long noticed = (System.nanoTime() - killed) / 1_000_000;
      services.await("closed 1 session\\(s\\) of lost gateway", 10_000);
      System.out.printf("kill -9 of a gateway JVM to the service dropping it: %d ms%n", noticed);
    }
  }

  @Test
  @Order(4)
  @DisplayName("kill -9 of the services JVM: the gateway closes its sessions with 1012 once the cluster drops it")
  void killedService() throws Exception {
    try (WsClient c = served(port, "on-killed-service")) {
      long killed = System.nanoTime();
      services.kill();
      assertEquals(1012, c.awaitClose(20_000));
      System.out.printf("kill -9 of a service JVM to 1012 on its sessions: %d ms%n", (System.nanoTime() - killed) / 1_000_000);
      assertTrue(gateway.printed(line -> line.contains("Lost (its JVM left the cluster)")), gateway.output());
    }
  }

  /** A client of /lv through the gateway on {@code port}, answered once. */
  private static WsClient served(int port, String name) {
    WsClient c = WsClient.connect(vertx, port, "/lv", name);
    c.send("before");
    assertEquals("/lv before", c.next());
    return c;
  }
}
