package io.switchboard;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.PresenceWire;
import io.switchboard.testing.Await;
import io.switchboard.testing.PresenceService;
import io.switchboard.testing.WsClient;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Cluster-wide groups, presence and session attributes (issue 12) with a gateway and two
 * instances of a presence service in one JVM (the local event bus behaves as the clustered one).
 * Bounds are small here: 3 groups per session, 64 bytes of meta, 256 bytes of attributes.
 */
@DisplayName("Presence and session attributes, in one JVM")
class PresenceTest {

  private Vertx vertx;
  private int port;
  private final List<String> instances = new ArrayList<>();
  private final Map<String, String> deployments = new HashMap<>();
  private final List<WsClient> clients = new ArrayList<>();

  @BeforeEach
  void deploy() throws Exception {
    vertx = Vertx.vertx();
    GatewayVerticle gateway = new GatewayVerticle();
    JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0)
      .put("routes", new JsonObject().put("/p", "presence"))
      .put("limits", new JsonObject().put("maxGroupsPerSession", 3).put("maxMemberMetaBytes", 64)
        .put("maxSessionAttributeBytes", 256));
    deployService();
    deployService();
    await(vertx.deployVerticle(gateway, new DeploymentOptions().setConfig(conf)));
    port = gateway.actualPort();
  }

  @AfterEach
  void close() throws Exception {
    clients.forEach(WsClient::close);
    await(vertx.close());
  }

  @Test
  @DisplayName("shows a member with its meta in members() and count() of its own instance at once and of every other instance soon")
  void membersEverywhere() {
    WsClient[] ab = onTwoInstances();
    WsClient a = ab[0];
    WsClient b = ab[1];
    String aId = ask(a, "state").getString("id");
    ask(a, "join:room:{\"name\":\"ada\"}");
    JsonObject here = ask(a, "members:room");
    assertEquals(1, here.getInteger("count"), "visible at once on the joining instance");
    assertEquals(new JsonObject().put("name", "ada"), here.getJsonObject("members").getJsonObject(aId));
    JsonObject there = Await.until("a's join seen by the other instance", 10_000, () -> ask(b, "members:room"),
      m -> m.getInteger("count") == 1);
    assertEquals(new JsonObject().put("name", "ada"), there.getJsonObject("members").getJsonObject(aId));
    assertTrue(ask(b, "groups").getJsonArray("groups").contains("room"));
    assertEquals(new JsonArray().add("+room " + aId + " {\"name\":\"ada\"}"), ask(b, "events").getJsonArray("events"));
    assertEquals(new JsonArray().add("+room " + aId + " {\"name\":\"ada\"}"), ask(a, "events").getJsonArray("events"));
  }

  @Test
  @DisplayName("replaces a member's meta on a second join: every instance hears a leave with the old meta, then a join with the new")
  void rejoinReplacesMeta() {
    WsClient[] ab = onTwoInstances();
    String aId = ask(ab[0], "state").getString("id");
    ask(ab[0], "join:room:{\"name\":\"ada\"}");
    ask(ab[0], "join:room:{\"name\":\"ada lovelace\"}");
    JsonArray expected = new JsonArray().add("+room " + aId + " {\"name\":\"ada\"}")
      .add("-room " + aId + " {\"name\":\"ada\"}").add("+room " + aId + " {\"name\":\"ada lovelace\"}");
    for (WsClient c : ab) {
      Await.until("the rejoin's events on " + c, 10_000, () -> ask(c, "events").getJsonArray("events"), expected::equals);
      assertEquals(1, ask(c, "members:room").getInteger("count"));
    }
  }

  @Test
  @DisplayName("removes a member that leaves or closes on every instance, and a closing session has left before its onClose")
  void leaveAndClose() {
    WsClient[] ab = onTwoInstances();
    WsClient a = ab[0];
    WsClient b = ab[1];
    WsClient c = connect();
    ask(a, "join:room");
    ask(b, "join:room");
    ask(c, "join:room");
    ask(c, "join:other");
    for (WsClient x : ab) {
      Await.until("three members seen", 10_000, () -> ask(x, "members:room").getInteger("count"), n -> n == 3);
    }
    ask(b, "leave:room");
    c.close();
    for (WsClient x : ab) {
      JsonObject m = Await.until("one member left", 10_000, () -> ask(x, "members:room"), j -> j.getInteger("count") == 1);
      assertEquals(1, m.getJsonObject("members").size());
      Await.until("group other gone", 10_000, () -> ask(x, "groups").getJsonArray("groups"),
        g -> g.equals(new JsonArray().add("room")));
      assertEquals(0, ask(x, "violations").getInteger("violations"), "no onClose saw its session still a member");
    }
  }

  @Test
  @DisplayName("hands a session's attributes and groups with their meta to the instance it is rebound to")
  void rebindHandsStateOver() throws Exception {
    WsClient[] ab = onTwoInstances();
    WsClient a = ab[0];
    JsonObject before = ask(a, "state");
    ask(a, "attr:name:\"ada\"");
    ask(a, "attr:room:\"lobby\"");
    ask(a, "attr:room");
    ask(a, "attr:prefs:{\"theme\":\"dark\",\"n\":[1,2]}");
    ask(a, "join:lobby:{\"name\":\"ada\"}");
    ask(a, "join:news");
    JsonObject local = ask(a, "state");
    assertEquals(new JsonObject().put("name", "ada").put("prefs", new JsonObject("{\"theme\":\"dark\",\"n\":[1,2]}")),
      local.getJsonObject("attributes"), "set and removed at once on the instance");
    String lost = before.getString("instance").equals(ask(ab[1], "state").getString("instance")) ? null : before.getString("instance");
    assertTrue(lost != null);
    undeploy(lost); // drains: a is rebound to the other instance
    JsonObject after = Await.until("a rebound", 10_000, () -> ask(a, "state"), s -> s.getBoolean("rebind"));
    assertNotEquals(lost, after.getString("instance"));
    assertEquals(before.getString("id"), after.getString("id"));
    assertEquals(local.getJsonObject("attributes"), after.getJsonObject("attributes"));
    assertEquals(Map.of("lobby", 1, "news", 1), counts(after.getJsonArray("groups")));
    JsonObject members = ask(a, "members:lobby");
    assertEquals(new JsonObject().put("name", "ada"), members.getJsonObject("members").getJsonObject(before.getString("id")));
    ask(a, "attr:again:true");
    assertEquals(true, ask(a, "state").getJsonObject("attributes").getBoolean("again"), "the new instance sets attributes too");
  }

  @Test
  @DisplayName("refuses a join past maxGroupsPerSession or with a meta over maxMemberMetaBytes, and an attribute over maxSessionAttributeBytes; the session lives on")
  void bounds() throws Exception {
    WsClient[] ab = onTwoInstances();
    WsClient a = ab[0];
    String aId = ask(a, "state").getString("id");
    ask(a, "join:g1");
    ask(a, "join:g2:{\"name\":\"ada\"}");
    ask(a, "join:g3");
    ask(a, "join:g4"); // over 3 groups: the gateway refuses, this instance's view follows
    ask(a, "join:g2:{\"name\":\"" + "x".repeat(100) + "\"}"); // meta over 64 bytes: refused, the old one stays
    for (WsClient x : ab) {
      Await.until("the refused join gone from the view", 10_000, () -> ask(x, "groups").getJsonArray("groups"),
        g -> g.size() == 3 && !g.contains("g4"));
      Await.until("the old meta restated", 10_000, () -> ask(x, "members:g2").getJsonObject("members").getJsonObject(aId),
        m -> new JsonObject().put("name", "ada").equals(m));
    }
    ask(a, "attr:small:1");
    ask(a, "attr:big:\"" + "y".repeat(300) + "\""); // over 256 bytes: the gateway keeps what it had
    assertEquals("attr", ask(a, "attr:other:2").getString("ok"), "the session lives on");
    String instance = ask(a, "state").getString("instance");
    undeploy(instance);
    JsonObject after = Await.until("a rebound", 10_000, () -> ask(a, "state"), s -> s.getBoolean("rebind"));
    assertEquals(new JsonObject().put("small", 1).put("other", 2), after.getJsonObject("attributes"),
      "the refused attribute was not kept by the gateway");
    assertFalse(after.getJsonArray("groups").contains("g4"));
  }

  @Test
  @DisplayName("starts a new instance with the members the gateway already holds (a snapshot)")
  void newInstanceSyncs() throws Exception {
    WsClient[] ab = onTwoInstances();
    String aId = ask(ab[0], "state").getString("id");
    ask(ab[0], "join:room:{\"name\":\"ada\"}");
    ask(ab[1], "join:room");
    Await.until("both joins seen", 10_000, () -> ask(ab[0], "members:room").getInteger("count"), n -> n == 2);
    String third = deployService();
    WsClient c = null;
    for (int i = 0; i < 6 && c == null; i++) {
      WsClient x = connect();
      if (third.equals(ask(x, "state").getString("instance"))) {
        c = x;
      }
    }
    assertTrue(c != null, "a client bound to the new instance " + third);
    WsClient onThird = c;
    JsonObject m = Await.until("the new instance's view", 10_000, () -> ask(onThird, "members:room"), j -> j.getInteger("count") == 2);
    assertEquals(new JsonObject().put("name", "ada"), m.getJsonObject("members").getJsonObject(aId));
  }

  @Test
  @DisplayName("publishes one presence delta message per event-loop turn, not one per join, numbered in order")
  void batchesDeltas() throws Exception {
    List<JsonObject> published = new ArrayList<>();
    AtomicInteger entries = new AtomicInteger();
    await(vertx.eventBus().<JsonObject>consumer(Addresses.presence("presence"), msg -> {
      if (msg.body().containsKey(PresenceWire.DELTAS)) {
        synchronized (published) {
          published.add(msg.body());
        }
        entries.addAndGet(msg.body().getJsonArray(PresenceWire.DELTAS).size());
      }
    }).completion());
    List<WsClient> many = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      many.add(connect());
    }
    for (WsClient x : many) {
      x.send("join:g1");
      x.send("join:g2");
      x.send("join:g3");
    }
    for (WsClient x : many) {
      for (int i = 0; i < 3; i++) {
        assertEquals("join", x.nextJson().getString("ok"));
      }
    }
    Await.until("60 joins published", 10_000, entries::get, n -> n == 60);
    synchronized (published) {
      assertTrue(published.size() < 60, "fewer delta messages than joins: " + published.size());
      for (int i = 0; i < published.size(); i++) {
        assertEquals(i + 1, published.get(i).getLong(PresenceWire.SEQ));
      }
    }
  }

  private static Map<String, Integer> counts(JsonArray groups) {
    Map<String, Integer> counts = new HashMap<>();
    groups.forEach(g -> counts.merge((String) g, 1, Integer::sum));
    return counts;
  }

  private void undeploy(String instanceAddress) throws Exception {
    String id = deployments.remove(instanceAddress);
    assertTrue(id != null, "a deployment for " + instanceAddress);
    await(vertx.undeploy(id));
  }

  private String deployService() throws Exception {
    PresenceService service = new PresenceService();
    String id = await(vertx.deployVerticle(service));
    deployments.put(service.instanceAddress(), id);
    instances.add(service.instanceAddress());
    return service.instanceAddress();
  }

  @Test
  @DisplayName("answers a flood of syncs from one instance with at most one snapshot per 500 ms, and one after the flood")
  void syncFlood() throws Exception {
    java.util.concurrent.CompletableFuture<String> gateway = new java.util.concurrent.CompletableFuture<>();
    await(vertx.eventBus().consumer(Addresses.presence("presence"), m -> gateway.complete(((JsonObject) m.body()).getString("gw")))
      .completion());
    ask(connect(), "join:room");
    String node = gateway.get(10, java.util.concurrent.TimeUnit.SECONDS);
    String instance = Addresses.serviceInstance("presence", "flood");
    AtomicInteger snapshots = new AtomicInteger();
    await(vertx.eventBus().consumer(instance, m -> snapshots.incrementAndGet()).completion());
    long t0 = System.nanoTime();
    for (int i = 0; i < 500; i++) {
      vertx.eventBus().send(node, null, new io.vertx.core.eventbus.DeliveryOptions()
        .addHeader(io.switchboard.protocol.Headers.OP, io.switchboard.protocol.Op.SYNC.wire())
        .addHeader(io.switchboard.protocol.Headers.SERVICE, "presence").addHeader(io.switchboard.protocol.Headers.INSTANCE, instance));
    }
    Await.until("the first snapshot and the one owed after the flood", 10_000, snapshots::get, n -> n >= 2);
    Thread.sleep(1500); // a quiet window: nothing more may come
    long windows = (System.nanoTime() - t0) / 500_000_000L + 1;
    assertTrue(snapshots.get() <= windows + 1, snapshots.get() + " snapshots for 500 syncs in " + windows + " windows of 500 ms");
  }

  private WsClient connect() {
    WsClient c = WsClient.connect(vertx, port, "/p", "client" + clients.size());
    clients.add(c);
    return c;
  }

  /** Two clients bound to different instances. */
  private WsClient[] onTwoInstances() {
    Map<String, WsClient> byInstance = new HashMap<>();
    for (int i = 0; i < 8 && byInstance.size() < 2; i++) {
      WsClient c = connect();
      byInstance.putIfAbsent(ask(c, "state").getString("instance"), c);
    }
    assertEquals(2, byInstance.size(), "clients on both instances");
    return byInstance.values().toArray(new WsClient[0]);
  }

  private static JsonObject ask(WsClient c, String command) {
    c.send(command);
    return c.nextJson();
  }
}
