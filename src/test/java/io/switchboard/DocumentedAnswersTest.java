package io.switchboard;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.RawWebSocket.head;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.registry.Announce;
import io.switchboard.testing.Await;
import io.switchboard.testing.ProbeService;
import io.switchboard.testing.RawWebSocket;
import io.switchboard.testing.WsClient;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The answers README.md and docs/close-codes.md promise that no other test pinned: the open
 * timeout, custom origin policies, the headers on refusals, the SDK's calls, the balancing rule
 * and the order batching keeps. Gateways and probe services in one JVM.
 */
@DisplayName("The documented answers of a gateway and the service SDK")
class DocumentedAnswersTest {

  private static final int OPEN_TIMEOUT_MS = 300;
  private static Vertx vertx;
  private static int port;

  @BeforeAll
  static void deploy() throws Exception {
    vertx = Vertx.vertx();
    await(vertx.deployVerticle(new ProbeService()));
    port = deployGateway(new JsonObject());
  }

  @AfterAll
  static void close() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("closes with 1013 when the service does not accept the session within limits.openTimeoutMs")
  void openTimeout() {
    int p = deployGateway(new JsonObject().put("limits", new JsonObject().put("openTimeoutMs", OPEN_TIMEOUT_MS)));
    // the probe holds its onOpen 3 times the timeout (well under the 2 s after which a silent
    // instance counts as lost): the gateway gives up first
    WsClient c = WsClient.connect(vertx, p, "/probe?stall=" + 3 * OPEN_TIMEOUT_MS);
    assertEquals(1013, c.awaitClose());
    assertEquals("Service probe did not answer in time", c.closeReason());
    // once the probe's event loop is free again, a session it accepts in time is served
    Await.until("a session served by the probe once it is free again", 20_000, () -> {
      try (WsClient fine = WsClient.connect(vertx, p, "/probe")) {
        fine.send("still");
        return fine.poll(1000);
      }
    }, "/probe still"::equals);
  }

  @Test
  @DisplayName("lets in only the origins of a custom allowedOrigins list, with * wildcards, and no others (403)")
  void customOrigins() throws Exception {
    int p = deployGateway(new JsonObject().put("allowedOrigins",
      new JsonArray().add("https://app.example.com").add("https://*.example.org")));
    assertEquals(101, status(p, "Origin: https://app.example.com"));
    assertEquals(101, status(p, "Origin: https://chat.example.org"));
    assertEquals(403, status(p, "Origin: https://evil.example.com"));
    assertEquals(403, status(p, "Origin: http://app.example.com"), "another scheme is another origin");
    assertEquals(403, status(p, "Origin: http://localhost:3000"), "the default localhost origins are replaced");
    assertEquals(101, status(p), "no Origin (not a browser) is allowed by default");
  }

  @Test
  @DisplayName("refuses clients without an Origin (403) when allowMissingOrigin is false")
  void missingOrigin() throws Exception {
    int p = deployGateway(new JsonObject().put("allowMissingOrigin", false));
    assertEquals(403, status(p));
    assertEquals(101, status(p, "Origin: http://localhost:8080"));
  }

  @Test
  @DisplayName("sends Retry-After: 5 with 429 and the maxConnections 503, and Sec-WebSocket-Version: 13 with 426")
  void refusalHeaders() throws Exception {
    int p = deployGateway(new JsonObject().put("limits", new JsonObject().put("maxConnections", 2).put("maxConnectionsPerIp", 1)));
    try (RawWebSocket first = RawWebSocket.connectFrom(p, "/probe", "127.0.0.1");
         RawWebSocket sameIp = RawWebSocket.connectFrom(p, "/probe", "127.0.0.1");
         RawWebSocket second = RawWebSocket.connectFrom(p, "/probe", "127.0.0.2");
         RawWebSocket third = RawWebSocket.connectFrom(p, "/probe", "127.0.0.3")) {
      assertEquals(101, first.status);
      assertEquals(429, sameIp.status);
      assertEquals("5", sameIp.headers.get("retry-after"));
      assertEquals(101, second.status);
      assertEquals(503, third.status);
      assertEquals("5", third.headers.get("retry-after"));
    }
    RawWebSocket v8 = RawWebSocket.handshake(port, "GET /probe HTTP/1.1", "Host: x", "Upgrade: websocket",
      "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 8");
    assertEquals(426, v8.status);
    assertEquals("13", v8.headers.get("sec-websocket-version"));
  }

  @Test
  @DisplayName("SDK: publish(group, text, exceptSession) reaches every member but the one excepted")
  void publishExcept() {
    try (WsClient a = WsClient.connect(vertx, port, "/probe", "a");
         WsClient b = WsClient.connect(vertx, port, "/probe", "b")) {
      a.send("join:except");
      assertEquals("joined except", a.next());
      b.send("join:except");
      assertEquals("joined except", b.next());
      a.send("others:except:not to a");
      assertEquals("not to a", b.next());
      a.send("ping");
      assertEquals("/probe ping", a.next(), "a got nothing before its own echo");
      a.assertQuiet(300);
    }
  }

  @Test
  @DisplayName("SDK: Session.send(Buffer) arrives as a binary frame, byte for byte")
  void sendBuffer() {
    try (WsClient c = WsClient.connect(vertx, port, "/probe")) {
      c.send("bytes:héllo");
      assertEquals(Buffer.buffer("héllo"), c.next());
    }
  }

  @Test
  @DisplayName("SDK: Session.headers() holds the forwardHeaders the client sent, and remoteAddress() its address")
  void headersAndRemoteAddress() {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/probe")
      .addHeader("User-Agent", "probe-agent/1.0").addHeader("Accept-Language", "fr").addHeader("X-Secret", "kept out");
    try (WsClient c = WsClient.connect(vertx, options, "headers")) {
      c.send("headers");
      JsonObject headers = new JsonObject((String) c.next());
      assertEquals("probe-agent/1.0", headers.getString("user-agent"), headers.encode());
      assertEquals("fr", headers.getString("accept-language"), headers.encode());
      assertTrue(List.of("user-agent", "origin", "accept-language").containsAll(headers.fieldNames()),
        "only the default forwardHeaders: " + headers.encode());
      c.send("remote");
      String remote = (String) c.next();
      assertEquals(c.localAddress(), remote, "the client's own address and port, as the gateway saw it");
    }
  }

  @Test
  @DisplayName("balances a new session onto the live instance with the fewest sessions from this gateway")
  void fewestSessions() throws Exception {
    Vertx other = Vertx.vertx();
    try {
      JsonObject duo = new JsonObject().put("name", "duo");
      await(other.deployVerticle(new ProbeService(), new DeploymentOptions().setConfig(duo)));
      await(other.deployVerticle(new ProbeService(), new DeploymentOptions().setConfig(duo)));
      GatewayVerticle g = new GatewayVerticle();
      await(other.deployVerticle(g, new DeploymentOptions().setConfig(new JsonObject().put("host", "127.0.0.1")
        .put("port", 0).put("routes", new JsonObject().put("/duo", "duo")))));
      int p = g.actualPort();
      // both instances known to the gateway: two sessions opened one after the other land on both
      List<WsClient> clients = new ArrayList<>();
      Await.until("the gateway knowing both instances", 10_000, () -> {
        try (WsClient x = WsClient.connect(other, p, "/duo"); WsClient y = WsClient.connect(other, p, "/duo")) {
          return !who(x).equals(who(y));
        }
      }, differ -> differ);
      Map<String, List<WsClient>> byInstance = new HashMap<>();
      for (int i = 0; i < 6; i++) {
        WsClient c = WsClient.connect(other, p, "/duo", "duo-" + i);
        clients.add(c);
        byInstance.computeIfAbsent(who(c), k -> new ArrayList<>()).add(c);
      }
      assertEquals(2, byInstance.size(), byInstance.keySet().toString());
      byInstance.values().forEach(l -> assertEquals(3, l.size(), "six sessions split 3/3"));
      String emptied = byInstance.keySet().iterator().next();
      for (WsClient c : byInstance.get(emptied)) {
        c.close();
      }
      Await.until("the gateway counting the closed sessions", 10_000, () -> await(g.sessionCount()), n -> n == 3);
      // now 0 against 3: the next three all go to the emptied instance
      for (int i = 0; i < 3; i++) {
        WsClient c = WsClient.connect(other, p, "/duo", "after-" + i);
        clients.add(c);
        assertEquals(emptied, who(c), "session " + i + " after the closes goes to the instance with the fewest");
      }
      clients.forEach(WsClient::close);
    } finally {
      await(other.close());
    }
  }

  @Test
  @DisplayName("batching keeps order: messages a service sent a session arrive before its group publish that follows")
  void flushBeforePublish() {
    try (WsClient c = WsClient.connect(vertx, port, "/probe")) {
      c.send("join:burst");
      assertEquals("joined burst", c.next());
      c.send("burst:50:burst");
      for (int i = 0; i < 50; i++) {
        assertEquals("burst-" + i, c.next());
      }
      assertEquals("after the burst", c.next());
    }
  }

  @Test
  @DisplayName("batching keeps order: what onOpen sent arrives before the answer to the client's first message")
  void flushBeforeOpenReply() {
    WsClient c = WsClient.connect(vertx, port, "/probe?greet");
    c.send("first");
    String greeting = (String) c.next();
    assertTrue(greeting.startsWith("welcome "), greeting);
    assertEquals("/probe first", c.next());
    c.close();
  }

  @Test
  @DisplayName("batching with mixed peers: a gateway that does not announce batch gets one message per frame, "
    + "a batching gateway reads a peer's single messages too")
  void mixedBatchAndSingleMessagePeers() throws Exception {
    // a gateway node of another implementation (as the Python SDK is a service of one): it announces
    // without "batch" and speaks docs/protocol.md one message per frame
    String fake = Addresses.gateway("fake" + Long.toString(System.nanoTime(), 36));
    java.util.concurrent.BlockingQueue<io.vertx.core.eventbus.Message<Object>> pushes =
      new java.util.concurrent.LinkedBlockingQueue<>();
    await(vertx.eventBus().consumer(fake, pushes::add).completion());
    JsonObject announce = Announce.of(Announce.ROLE_GATEWAY, fake, 500);
    vertx.eventBus().publish(Addresses.REGISTRY, announce);
    long heartbeat = vertx.setPeriodic(500, id -> vertx.eventBus().publish(Addresses.REGISTRY, announce));
    try {
      String sid = fake + ".1";
      io.vertx.core.eventbus.Message<Object> accepted = await(vertx.eventBus().request(Addresses.service("probe"),
        new JsonObject().put("service", "probe").put("path", "/probe").put("query", (String) null)
          .put("remoteAddress", "10.0.0.1:4242").put("headers", new JsonObject()),
        new io.vertx.core.eventbus.DeliveryOptions().addHeader(Headers.OP, Op.OPEN.wire())
          .addHeader(Headers.SESSION, sid).addHeader(Headers.GATEWAY, fake)));
      String instance = accepted.headers().get(Headers.INSTANCE);
      for (int i = 0; i < 3; i++) {
        vertx.eventBus().send(instance, "m" + i, new io.vertx.core.eventbus.DeliveryOptions()
          .addHeader(Headers.OP, Op.TEXT.wire()).addHeader(Headers.SESSION, sid));
      }
      for (int i = 0; i < 3; i++) {
        io.vertx.core.eventbus.Message<Object> push = pushes.poll(10, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(push != null, "answer " + i + " reached the gateway that does not batch");
        assertEquals(Op.TEXT.wire(), push.headers().get(Headers.OP), "one message per frame, not a batch");
        assertEquals(sid, push.headers().get(Headers.SESSION));
        assertEquals("/probe m" + i, push.body());
      }
      vertx.eventBus().send(instance, null, new io.vertx.core.eventbus.DeliveryOptions().addHeader(Headers.OP, Op.CLOSE.wire())
        .addHeader(Headers.SESSION, sid).addHeader(Headers.CODE, "1000").addHeader(Headers.REASON, "bye"));
    } finally {
      vertx.cancelTimer(heartbeat);
    }
    // the batching gateway, meanwhile, reads a single (unbatched) push for one of its sessions
    WsClient c = WsClient.connect(vertx, port, "/probe?greet");
    String greeting = (String) c.next();
    String sessionId = greeting.substring("welcome ".length());
    String node = sessionId.substring(0, sessionId.lastIndexOf('.'));
    vertx.eventBus().send(Addresses.gateway(node), "a single message", new io.vertx.core.eventbus.DeliveryOptions()
      .addHeader(Headers.OP, Op.TEXT.wire()).addHeader(Headers.SESSION, sessionId));
    assertEquals("a single message", c.next());
    c.send("and a batched answer");
    assertEquals("/probe and a batched answer", c.next());
    c.close();
  }

  private static String who(WsClient c) {
    c.send("who");
    return (String) c.next();
  }

  private static int status(int gatewayPort, String... extra) throws Exception {
    return RawWebSocket.handshakeStatus(gatewayPort, head("GET", "/probe", extra));
  }

  private static int deployGateway(JsonObject extra) {
    GatewayVerticle g = new GatewayVerticle();
    JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0)
      .put("routes", new JsonObject().put("/probe", "probe")).mergeIn(extra);
    try {
      await(vertx.deployVerticle(g, new DeploymentOptions().setConfig(conf)));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return g.actualPort();
  }
}
