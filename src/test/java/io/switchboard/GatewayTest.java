package io.switchboard;

import static io.switchboard.testing.Await.await;

import io.switchboard.demo.ChatService;
import io.switchboard.demo.EchoService;
import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.testing.Await;
import io.switchboard.testing.ChatScenario;
import io.switchboard.testing.ProbeService;
import io.switchboard.testing.WsClient;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway and the demo services in one JVM (the local event bus behaves as the clustered
 * one does): routing, the chat protocol, pushes, groups, closes and refusals.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("A gateway in one JVM with its services")
class GatewayTest {

  private static Vertx vertx;
  private static GatewayVerticle gateway;
  private static int port;

  @BeforeAll
  static void deploy() throws Exception {
    vertx = Vertx.vertx();
    gateway = new GatewayVerticle();
    JsonObject routes = new JsonObject()
      .put("/chat", "chat").put("/demo_chatroom", "chat").put("/echo", "echo")
      .put("/probe", "probe").put("/probe2", "probe").put("/ghost", "ghost");
    JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0).put("routes", routes);
    await(vertx.deployVerticle(new ChatService()).compose(id -> vertx.deployVerticle(new EchoService()))
      .compose(id -> vertx.deployVerticle(new ProbeService()))
      .compose(id -> vertx.deployVerticle(gateway, new DeploymentOptions().setConfig(conf))));
    port = gateway.actualPort();
  }

  @AfterAll
  static void close() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("runs the seed's whole chatroom protocol for several clients on /chat")
  void chatProtocol() {
    new ChatScenario(vertx, port, "/chat", "a-").run();
    awaitNoSessions();
  }

  @Test
  @DisplayName("serves the chat at the seed's own path /demo_chatroom too")
  void seedPath() {
    new ChatScenario(vertx, port, "/demo_chatroom", "b-").run();
  }

  @Test
  @DisplayName("echoes text as text and binary as binary")
  void echo() {
    try (WsClient c = WsClient.connect(vertx, port, "/echo")) {
      c.send("héllo ✓");
      assertEquals("héllo ✓", c.next());
      c.send(Buffer.buffer(new byte[]{0, 1, 2, (byte) 255}));
      assertEquals(Buffer.buffer(new byte[]{0, 1, 2, (byte) 255}), c.next());
    }
  }

  @Test
  @DisplayName("answers an upgrade on an unrouted path with 404, before the handshake")
  void unroutedPath() {
    assertEquals(404, WsClient.rejectedStatus(vertx, port, "/nowhere"));
    assertEquals(404, WsClient.rejectedStatus(vertx, port, "/"));
    assertEquals(404, WsClient.rejectedStatus(vertx, port, "/chat/extra"));
  }

  @Test
  @DisplayName("serves the demo page at / and tells plain HTTP on a WebSocket path to upgrade (426)")
  void staticAndPlainHttp() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
      HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("Switchboard chat"), page.body());
    HttpResponse<String> plain = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/chat")).build(),
      HttpResponse.BodyHandlers.ofString());
    assertEquals(426, plain.statusCode());
    assertEquals(404, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/missing.html")).build(),
      HttpResponse.BodyHandlers.ofString()).statusCode());
  }

  @Test
  @DisplayName("closes with 1013 and a reason when the routed service is not running")
  void serviceNotRunning() {
    WsClient c = WsClient.connect(vertx, port, "/ghost");
    assertEquals(1013, c.awaitClose());
    assertEquals("Service ghost is not running", c.closeReason());
    awaitNoSessions();
  }

  @Test
  @DisplayName("closes with 1011 when the service's onOpen fails")
  void serviceRefusesOpen() {
    WsClient c = WsClient.connect(vertx, port, "/probe?refuse");
    assertEquals(1011, c.awaitClose());
    assertTrue(c.closeReason().contains("probe"), c.closeReason());
  }

  @Test
  @DisplayName("lets a service close a session with its own code and reason")
  void serviceCloses() {
    WsClient c = WsClient.connect(vertx, port, "/probe");
    c.send("close:4001:see you");
    assertEquals(4001, c.awaitClose());
    assertEquals("see you", c.closeReason());
  }

  @Test
  @DisplayName("keeps a session alive when the service throws on one of its messages")
  void serviceThrows() {
    try (WsClient c = WsClient.connect(vertx, port, "/probe")) {
      c.send("boom");
      c.send("ping");
      assertEquals("/probe ping", c.next());
    }
  }

  @Test
  @DisplayName("fans a group message out to its members only, across paths, and stops after leave")
  void groups() {
    try (WsClient a = WsClient.connect(vertx, port, "/probe", "a");
         WsClient b = WsClient.connect(vertx, port, "/probe2", "b");
         WsClient outsider = WsClient.connect(vertx, port, "/probe", "outsider")) {
      a.send("join:g1");
      assertEquals("joined g1", a.next());
      b.send("join:g1");
      assertEquals("joined g1", b.next());
      outsider.send("publish:g1:hi group");
      assertEquals("hi group", a.next());
      assertEquals("hi group", b.next());
      b.send("leave:g1");
      assertEquals("left g1", b.next());
      a.send("publish:g1:second");
      assertEquals("second", a.next());
      b.send("ping");
      assertEquals("/probe2 ping", b.next(), "b got nothing after leaving");
      outsider.send("ping");
      assertEquals("/probe ping", outsider.next(), "the outsider got no group message");
      a.assertQuiet(300);
      b.assertQuiet();        // the window above covered all three
      outsider.assertQuiet();
    }
  }

  @Test
  @DisplayName("fans binary group messages out untouched")
  void binaryGroup() {
    try (WsClient a = WsClient.connect(vertx, port, "/probe", "a")) {
      a.send("join:binary");
      assertEquals("joined binary", a.next());
      a.send(Buffer.buffer("\u0000raw\u00ff"));
      assertEquals(Buffer.buffer("\u0000raw\u00ff"), a.next());
    }
  }

  @Test
  @DisplayName("refuses to deploy with an unknown config key, naming it and the likely key")
  void unknownConfigKey() {
    Throwable err = assertFails(vertx.deployVerticle(new GatewayVerticle(),
      new DeploymentOptions().setConfig(new JsonObject().put("prot", 8080))));
    assertTrue(err.getMessage().contains("unknown key \"prot\"; did you mean \"port\"?"), err.getMessage());
  }

  @Test
  @DisplayName("refuses to deploy with a mistyped value, naming the key")
  void mistypedConfig() {
    Throwable err = assertFails(vertx.deployVerticle(new GatewayVerticle(),
      new DeploymentOptions().setConfig(new JsonObject().put("limits", new JsonObject().put("maxFrameSize", "big")))));
    assertTrue(err.getMessage().contains("\"maxFrameSize\" must be an integer"), err.getMessage());
  }

  private static void awaitNoSessions() {
    Await.until("no session left on the gateway", WsClient.TIMEOUT_MS, () -> await(gateway.sessionCount()), n -> n == 0);
  }

  private static Throwable assertFails(io.vertx.core.Future<?> f) {
    try {
      f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure");
  }
}
