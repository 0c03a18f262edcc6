package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Presence and session attributes in the Python SDK, over the real TCP bridge: a gateway JVM, a
 * services JVM with the bridge, two Python processes serving the same service
 * ({@code src/test/python/presence_probe.py}, as {@code py_echo} at /py_echo, failover rebind).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("Presence in Python services over the TCP bridge")
class PythonPresenceTest {

  private static final TestCluster cluster = new TestCluster();
  private static Vertx vertx;
  private static JvmProcess gateway;
  private static JvmProcess services;
  private static final JvmProcess[] pythons = new JvmProcess[2];
  private static int port;
  private static int bridgePort;
  private static final Map<String, List<WsClient>> byInstance = new HashMap<>();
  private static final Map<WsClient, String> ids = new HashMap<>();
  private static final List<WsClient> all = new ArrayList<>();

  @BeforeAll
  static void startAll() {
    PythonUnitTest.requirePython();
    vertx = Vertx.vertx();
    port = TestCluster.freePort();
    bridgePort = TestCluster.freePort();
    gateway = JvmProcess.launch("pypresence-gateway", cluster.jvmArgs(),
      Map.of("SWITCHBOARD_PORT", Integer.toString(port), "SWITCHBOARD_HOST", "127.0.0.1"),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", "conf/gateway.json", "-cluster");
    services = JvmProcess.launch("pypresence-services", cluster.jvmArgs(),
      Map.of("SWITCHBOARD_BRIDGE_PORT", Integer.toString(bridgePort)),
      "run", "io.switchboard.host.ServiceHost", "-conf", "conf/services.json", "-cluster");
    gateway.await("Gateway node .* ready", 60_000);
    services.await("TCP bridge ready on 127\\.0\\.0\\.1:" + bridgePort, 60_000);
    for (int i = 0; i < 2; i++) {
      pythons[i] = JvmProcess.start("pypresence-" + i, List.of(PythonServiceTest.PYTHON, "-u", "src/test/python/presence_probe.py"),
        Map.of("SWITCHBOARD_BRIDGE_PORT", Integer.toString(bridgePort)));
      pythons[i].await("service py_echo ready at switchboard\\.service\\.py_echo\\.", 30_000);
    }
  }

  @AfterAll
  static void stopAll() {
    all.forEach(WsClient::close);
    for (JvmProcess p : new JvmProcess[]{pythons[0], pythons[1], services, gateway}) {
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
  @DisplayName("shows every member with its meta on both Python instances, and the same events")
  void sameViewOnBoth() {
    Await.until("/py_echo on two Python instances", 60_000, () -> {
      WsClient c = WsClient.connect(vertx, port, "/py_echo", "c" + all.size());
      all.add(c);
      JsonObject state = ask(c, "state");
      ids.put(c, state.getString("id"));
      byInstance.computeIfAbsent(state.getString("instance"), k -> new ArrayList<>()).add(c);
      return byInstance.size() == 2 && byInstance.values().stream().allMatch(l -> l.size() >= 2);
    }, ok -> ok);
    JsonObject expected = new JsonObject();
    for (WsClient c : all) {
      JsonObject meta = new JsonObject().put("name", "py-" + all.indexOf(c));
      assertEquals("join", ask(c, "join:room:" + meta.encode()).getString("ok"));
      expected.put(ids.get(c), meta);
    }
    List<JsonArray> events = new ArrayList<>();
    for (List<WsClient> clients : byInstance.values()) {
      WsClient probe = clients.get(0);
      JsonObject view = Await.until("every join seen", 20_000, () -> ask(probe, "members:room"),
        m -> m.getInteger("count") == expected.size());
      assertEquals(expected, view.getJsonObject("members"));
      events.add(ask(probe, "events").getJsonArray("events"));
    }
    assertEquals(new java.util.HashSet<>(events.get(0).getList()), new java.util.HashSet<>(events.get(1).getList()));
    assertEquals(expected.size(), events.get(0).size());
  }

  @Test
  @Order(2)
  @DisplayName("rebinds the sessions of a killed Python instance to the other with their attributes and groups")
  void rebindKeepsState() {
    List<String> instances = new ArrayList<>(byInstance.keySet());
    String doomed = instances.get(0);
    WsClient moving = byInstance.get(doomed).get(0);
    WsClient staying = byInstance.get(instances.get(1)).get(0);
    ask(moving, "attr:name:\"ada\"");
    ask(moving, "join:lobby:{\"name\":\"ada\"}");
    JsonObject before = ask(moving, "state");
    assertEquals(new JsonObject().put("name", "ada"), before.getJsonObject("attributes"));
    Await.until("the lobby join seen on the other instance", 20_000, () -> ask(staying, "members:lobby").getInteger("count"),
      n -> n == 1);
    for (JvmProcess p : pythons) {
      if (p.output().contains("ready at " + doomed)) {
        p.kill();
      }
    }
    JsonObject after = Await.until("the session rebound", 30_000, () -> {
      moving.send("state");
      Object m = moving.poll(1000);
      return m == null ? new JsonObject() : new JsonObject((String) m);
    }, s -> s.getBoolean("rebind", false));
    while (moving.poll(1000) != null) {
      // answers to the "state" asked while it was rebinding (held, then relayed to the new instance)
    }
    assertNotEquals(doomed, after.getString("instance"));
    assertEquals(before.getString("id"), after.getString("id"));
    assertEquals(new JsonObject().put("name", "ada"), after.getJsonObject("attributes"));
    assertEquals(new JsonArray().add("lobby").add("room"), after.getJsonArray("groups"));
    assertEquals(new JsonObject().put("name", "ada"), ask(moving, "members:lobby").getJsonObject("members")
      .getJsonObject(before.getString("id")), "its membership is still seen, now by its new instance");
    assertTrue(ask(staying, "violations").getInteger("violations") == 0, "no onClose saw its session still a member");
  }

  private static JsonObject ask(WsClient c, String command) {
    c.send(command);
    return c.nextJson();
  }
}
