package io.switchboard;

import io.switchboard.testing.ChatScenario;
import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;
import io.switchboard.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Python service in its own process: a gateway JVM, a services JVM that opens the TCP bridge
 * (conf/services.json), and {@code python3 src/main/python/examples/chatroom.py} connected to
 * it, on a private Hazelcast cluster over loopback. The gateway routes {@code /py_chatroom} to
 * {@code py_chat} by the shipped conf/gateway.json.
 */
@DisplayName("A Python service on the TCP bridge of a services JVM")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PythonServiceTest {

  /** The Python interpreter: {@code python3} on the PATH unless SWITCHBOARD_PYTHON names another. */
  static final String PYTHON = System.getenv().getOrDefault("SWITCHBOARD_PYTHON", "python3");

  private static final String ADMIN_TOKEN = "python-test-admin-token";
  private static final TestCluster cluster = new TestCluster();
  private static Vertx vertx;
  private static JvmProcess gateway;
  private static JvmProcess services;
  private static JvmProcess python;
  private static int port;
  private static int bridgePort;

  @BeforeAll
  static void startAll() {
    PythonUnitTest.requirePython();
    vertx = Vertx.vertx();
    port = TestCluster.freePort();
    bridgePort = TestCluster.freePort();
    gateway = JvmProcess.launch("python-gateway", cluster.jvmArgs(),
      Map.of("SWITCHBOARD_PORT", Integer.toString(port), "SWITCHBOARD_HOST", "127.0.0.1",
        "SWITCHBOARD_ADMIN_TOKEN", ADMIN_TOKEN),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", "conf/gateway.json", "-cluster");
    gateway.await("Gateway node .* ready", 60_000);
    gateway.await("Succeeded in deploying verticle", 30_000);
    services = JvmProcess.launch("python-services", cluster.jvmArgs(),
      Map.of("SWITCHBOARD_BRIDGE_PORT", Integer.toString(bridgePort)),
      "run", "io.switchboard.host.ServiceHost", "-conf", "conf/services.json", "-cluster");
    services.await("TCP bridge ready on 127\\.0\\.0\\.1:" + bridgePort, 60_000);
    services.await("Service host deployed", 30_000);
    python = startChatroom("python-chat");
    awaitRoutable();
  }

  @AfterAll
  static void stopAll() {
    for (JvmProcess p : new JvmProcess[]{python, services, gateway}) {
      if (p != null) {
        p.close();
      }
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  @Test
  @Order(1)
  @DisplayName("runs the whole chatroom protocol against the Python chat at /py_chatroom")
  void chatProtocol() {
    new ChatScenario(vertx, port, "/py_chatroom", "p-").run();
  }

  @Test
  @Order(2)
  @DisplayName("shows in /admin/nodes as pid@host, like the Java nodes, with its uptime")
  void adminNodes() throws Exception {
    java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
      java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/admin/nodes"))
        .header("Authorization", "Bearer " + ADMIN_TOKEN).timeout(java.time.Duration.ofSeconds(10)).build(),
      java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    JsonObject py = new io.vertx.core.json.JsonArray(r.body()).stream().map(JsonObject.class::cast)
      .filter(n -> n.getJsonArray("roles").contains("service:py_chat")).findFirst()
      .orElseThrow(() -> new AssertionError("no py_chat node in " + r.body()));
    assertTrue(py.getString("node").matches(python.pid() + "@[^/@]+"), py.encode());
    assertEquals(py.getString("node").substring(py.getString("node").indexOf('@') + 1), py.getString("host"));
    assertTrue(py.getLong("uptimeMs") > 0, py.encode());
  }

  @Test
  @Order(3)
  @DisplayName("takes the path away when the Python process is killed (1013), and back when it returns")
  void killedAndBack() {
    python.kill();
    // The bridge unregisters the dead connection's consumers; once the cluster knows, new sessions
    // on the static route are refused at once.
    long deadline = System.currentTimeMillis() + 30_000;
    String lastReason;
    int lastCode;
    do {
      try (WsClient c = WsClient.connect(vertx, port, "/py_chatroom", "after-kill")) {
        lastCode = c.awaitClose();
        lastReason = c.closeReason();
      }
    } while (!"Service py_chat is not running".equals(lastReason) && System.currentTimeMillis() < deadline);
    assertEquals(1013, lastCode);
    assertEquals("Service py_chat is not running", lastReason);

    python = startChatroom("python-chat-again");
    awaitRoutable();
    try (WsClient c = WsClient.connect(vertx, port, "/py_chatroom", "back")) {
      assertEquals(new JsonObject().put("type", "query").put("query", "name"), c.nextJson());
    }
  }

  @Test
  @Order(4)
  @DisplayName("reconnects to a restarted bridge by itself and serves the path again")
  void bridgeRestarted() {
    int before = python.output().split("reconnected", -1).length;
    services.kill();
    python.await("the TCP bridge at 127\\.0\\.0\\.1:" + bridgePort + " closed the connection|lost the TCP bridge", 30_000);
    services = JvmProcess.launch("python-services-again", cluster.jvmArgs(),
      Map.of("SWITCHBOARD_BRIDGE_PORT", Integer.toString(bridgePort)),
      "run", "io.switchboard.host.ServiceHost", "-conf", "conf/services.json", "-cluster");
    services.await("TCP bridge ready on 127\\.0\\.0\\.1:" + bridgePort, 60_000);
    python.await("service py_chat reconnected at switchboard\\.service\\.py_chat\\.", 30_000);
    assertEquals(before + 1, python.output().split("reconnected", -1).length, "one reconnection");
    awaitRoutable();
    try (WsClient c = WsClient.connect(vertx, port, "/py_chatroom", "after-restart")) {
      assertEquals(new JsonObject().put("type", "query").put("query", "name"), c.nextJson());
      assertEquals("listing", c.nextJson().getJsonObject("event").getString("type"));
      c.send("{\"type\":\"name\",\"name\":\"eve\"}");
      c.send("{\"type\":\"join\",\"chatroom\":\"nowhere\"}");
      c.expect("{\"type\":\"notice\",\"notice\":\"Chatroom nowhere not found.\"}");
    }
  }

  private static JvmProcess startChatroom(String name) {
    JvmProcess p = JvmProcess.start(name, List.of(PYTHON, "-u", "src/main/python/examples/chatroom.py"),
      Map.of("SWITCHBOARD_BRIDGE_PORT", Integer.toString(bridgePort)));
    p.await("service py_chat ready at switchboard\\.service\\.py_chat\\.", 30_000);
    return p;
  }

  /** Waits until a new session on /py_chatroom reaches the Python service (registrations propagate). */
  private static void awaitRoutable() {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      try (WsClient c = WsClient.connect(vertx, port, "/py_chatroom", "probe")) {
        c.next();
        return;
      } catch (AssertionError e) {
        if (System.currentTimeMillis() > deadline) {
          throw new AssertionError("/py_chatroom never became routable; python said:\n" + python.output(), e);
        }
      }
    }
  }
}
