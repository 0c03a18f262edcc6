package io.switchboard;

import static io.switchboard.testing.Await.await;

import io.switchboard.demo.EchoService;
import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.testing.BridgeClient;
import io.switchboard.testing.ProbeService;
import io.switchboard.testing.WsClient;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Who gets in (JWT at connect, TLS) and how an operator sees the gateway (health, readiness, metrics). */
@DisplayName("A gateway with auth, TLS, health and metrics")
class OperationsTest {

  private static final String SECRET = "a-test-secret-that-is-long-enough-for-hs256";
  private static final HttpClient http = HttpClient.newHttpClient();
  private static Vertx vertx;
  private static GatewayVerticle gateway;
  private static int port;

  @BeforeAll
  static void deploy() throws Exception {
    vertx = Vertx.vertx();
    gateway = new GatewayVerticle();
    JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0)
      .put("routes", new JsonObject().put("/probe", "probe"))
      .put("readyServices", new JsonArray().add("probe").add("late"))
      .put("auth", new JsonObject().put("algorithm", "HS256").put("secret", SECRET));
    await(vertx.deployVerticle(new ProbeService()).compose(id -> vertx.deployVerticle(gateway,
      new DeploymentOptions().setConfig(conf))));
    port = gateway.actualPort();
  }

  @AfterAll
  static void close() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("refuses a missing, malformed, forged or expired token with 401 before the upgrade")
  void badTokens() throws Exception {
    JWTAuth forger = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
      .setAlgorithm("HS256").setBuffer("another-secret-that-is-also-long-enough!!")));
    String forged = forger.generateToken(new JsonObject().put("sub", "mallory"));
    String expired = signer().generateToken(new JsonObject().put("sub", "alice")
      .put("exp", System.currentTimeMillis() / 1000 - 60));
    assertEquals(401, WsClient.rejectedStatus(vertx, port, "/probe"));
    assertEquals(401, WsClient.rejectedStatus(vertx, port, "/probe?access_token=not.a.jwt"));
    assertEquals(401, WsClient.rejectedStatus(vertx, port, "/probe?access_token=" + forged));
    assertEquals(401, WsClient.rejectedStatus(vertx, port, "/probe?access_token=" + expired));
  }

  @Test
  @DisplayName("lets a valid token in, by query or subprotocol, and hands its claims to the service")
  void validToken() throws Exception {
    String token = signer().generateToken(new JsonObject().put("sub", "alice").put("room", "lobby"),
      new JWTOptions().setExpiresInSeconds(60));
    try (WsClient c = WsClient.connect(vertx, port, "/probe?access_token=" + token)) {
      c.send("claims");
      JsonObject claims = new JsonObject((String) c.next());
      assertEquals("alice", claims.getString("sub"));
      assertEquals("lobby", claims.getString("room"));
    }
    WebSocketClient client = vertx.createWebSocketClient();
    WebSocket ws = client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
      .setURI("/probe").setSubProtocols(List.of("bearer", token))).toCompletionStage().toCompletableFuture()
      .get(10, TimeUnit.SECONDS);
    assertEquals("bearer", ws.subProtocol(), "the gateway selects the bearer subprotocol, as browsers require");
    ws.close();
  }

  @Test
  @DisplayName("asks the event-bus bridge for the same JWT: a socket without a valid one is closed")
  void bridgeNeedsTheToken() throws Exception {
    String token = signer().generateToken(new JsonObject().put("sub", "alice"), new JWTOptions().setExpiresInSeconds(60));
    BridgeClient.connect(vertx, port, "anonymous").awaitClosed();
    BridgeClient.connect(vertx, port, "forger", "access_token=not.a.jwt").awaitClosed();
    try (BridgeClient browser = BridgeClient.connect(vertx, port, "browser", "access_token=" + token)) {
      browser.send("demo.nowhere", new JsonObject());
      assertEquals("access_denied", browser.nextError(), "the socket is open: the bridge answers its frames");
    }
  }

  @Test
  @DisplayName("answers /health at once and /ready only when the required services are present")
  void healthAndReadiness() throws Exception {
    assertEquals(200, get("/health").statusCode());
    HttpResponse<String> notReady = get("/ready");
    assertEquals(503, notReady.statusCode());
    assertTrue(notReady.body().contains("\"missing\":[\"late\"]"), notReady.body());
    await(vertx.deployVerticle(new ProbeService(), new DeploymentOptions().setConfig(new JsonObject().put("name", "late"))));
    long deadline = System.currentTimeMillis() + 10_000;
    while (get("/ready").statusCode() != 200) {
      assertTrue(System.currentTimeMillis() < deadline, "never ready: " + get("/ready").body());
      Thread.sleep(50);
    }
  }

  @Test
  @DisplayName("serves switchboard_* Prometheus series: sessions, frames, bytes, closes, bus failures")
  void metrics() throws Exception {
    String token = signer().generateToken(new JsonObject().put("sub", "m"), new JWTOptions().setExpiresInSeconds(60));
    try (WsClient c = WsClient.connect(vertx, port, "/probe?access_token=" + token)) {
      c.send("hello");
      c.next();
      String open = get("/metrics").body();
      assertTrue(open.contains("switchboard_sessions_open{service=\"probe\"} 1.0"), open);
    }
    Thread.sleep(200);
    String body = get("/metrics").body();
    assertTrue(body.contains("switchboard_frames_in_total{service=\"probe\"}"), body);
    assertTrue(body.contains("switchboard_bytes_out_total{service=\"probe\"}"), body);
    assertTrue(body.contains("switchboard_closes_total{code=\"1000\"}"), body);
    assertTrue(body.contains("switchboard_sessions_open{service=\"probe\"} 0.0"), body);
  }

  @Test
  @DisplayName("serves wss with a PEM certificate and key from the config")
  void tls() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
    Vertx other = Vertx.vertx();
    try {
      GatewayVerticle secure = new GatewayVerticle();
      JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0)
        .put("routes", new JsonObject().put("/echo", "echo"))
        .put("tls", new JsonObject().put("certPath", cert.certificatePath()).put("keyPath", cert.privateKeyPath()));
      await(other.deployVerticle(new EchoService()).compose(id -> other.deployVerticle(secure,
        new DeploymentOptions().setConfig(conf))));
      // keep the client referenced: Vert.x 5 closes an unreachable client, and its sockets with it
      WebSocketClient client = other.createWebSocketClient(new WebSocketClientOptions().setSsl(true).setTrustAll(true)
        .setVerifyHost(false));
      WebSocket ws = client
        .connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(secure.actualPort()).setURI("/echo").setSsl(true))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      java.util.concurrent.CompletableFuture<String> echoed = new java.util.concurrent.CompletableFuture<>();
      ws.textMessageHandler(echoed::complete);
      ws.writeTextMessage("over tls");
      assertEquals("over tls", echoed.get(10, TimeUnit.SECONDS));
      assertTrue(ws.isSsl());
    } finally {
      await(other.close());
    }
  }

  private static JWTAuth signer() {
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
      .setAlgorithm("HS256").setBuffer(SECRET)));
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
      HttpResponse.BodyHandlers.ofString());
  }
}
