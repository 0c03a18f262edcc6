package io.switchboard;

import io.switchboard.testing.Await;
import io.switchboard.testing.ChatScenario;
import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;
import io.switchboard.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The real thing: a gateway JVM (two gateway nodes, {@code -instances 2}) and a services JVM
 * (chat and echo) started with the launcher, clustered by Hazelcast over loopback, driven by
 * WebSocket clients from this JVM.
 */
@DisplayName("A gateway JVM and a services JVM on a real Hazelcast cluster")
class ClusterChatTest {

  private static final TestCluster cluster = new TestCluster();
  private static Vertx vertx;
  private static JvmProcess gateway;
  private static JvmProcess services;
  private static int port;

  @BeforeAll
  static void startCluster() {
    vertx = Vertx.vertx();
    // a fixed free port, not 0: the two gateway nodes (-instances 2) must share one port, and
    // Vert.x gives each server asked for port 0 a port of its own
    port = TestCluster.freePort();
    Map<String, String> env = Map.of("SWITCHBOARD_PORT", Integer.toString(port), "SWITCHBOARD_HOST", "127.0.0.1");
    gateway = JvmProcess.launch("cluster-chat-gateway", cluster.jvmArgs(), env,
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", "conf/gateway.json", "-cluster", "-instances", "2");
    long gatewayReady = Long.parseLong(gateway.await("Gateway node .* ready .*JVM up (\\d+) ms", 60_000).group(1));
    gateway.await("Succeeded in deploying verticle", 30_000);
    services = JvmProcess.launch("cluster-chat-services", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", "conf/services.json", "-cluster");
    long servicesReady = Long.parseLong(services.await("Service chat ready .*JVM up (\\d+) ms", 60_000).group(1));
    services.await("Service host deployed", 30_000);
    System.out.printf("start-to-ready (JVM uptime): gateway %d ms, chat service %d ms%n", gatewayReady, servicesReady);
    awaitRoutable("/echo");
    awaitRoutable("/chat");
  }

  @AfterAll
  static void stopCluster() {
    if (services != null) {
      services.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  @Test
  @DisplayName("runs the whole chatroom protocol for several clients across the two JVMs")
  void chatAcrossJvms() {
    new ChatScenario(vertx, port, "/chat", "c-").run();
  }

  @Test
  @DisplayName("serves the seed's own path /demo_chatroom with the same rooms")
  void seedPath() {
    new ChatScenario(vertx, port, "/demo_chatroom", "d-").run();
  }

  @Test
  @DisplayName("answers an unrouted path with 404 before the upgrade")
  void unrouted() {
    assertEquals(404, WsClient.rejectedStatus(vertx, port, "/not-a-service"));
  }

  @Test
  @DisplayName("echoes text and binary through the services JVM, and survives garbage")
  void echoAndGarbage() {
    try (WsClient c = WsClient.connect(vertx, port, "/echo")) {
      c.send("\u0000{not json]");
      assertEquals("\u0000{not json]", c.next());
      c.send(Buffer.buffer(new byte[]{(byte) 0xff, 0, 0x7f}));
      assertEquals(Buffer.buffer(new byte[]{(byte) 0xff, 0, 0x7f}), c.next());
      c.send("still alive");
      assertEquals("still alive", c.next());
    }
  }

  /** Waits until a path answers through the cluster (a service's registration propagates). */
  private static void awaitRoutable(String path) {
    Await.until(path + " routable through the cluster", 20_000, () -> {
      try (WsClient c = WsClient.connect(vertx, port, path)) {
        if (path.equals("/echo")) {
          c.send("ping");
        }
        return c.poll(2_000) != null;
      }
    }, routed -> routed);
  }
}
