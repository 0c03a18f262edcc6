package io.switchboard;

import static io.switchboard.testing.Await.await;

import io.switchboard.demo.EchoService;
import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.testing.Await;
import io.switchboard.testing.BridgeClient;
import io.switchboard.testing.ProbeService;
import io.switchboard.testing.RawWebSocket;
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
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
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
      .put("routes", new JsonObject().put("/probe", "probe").put("/ghost", "ghost"))
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
    Await.until("/ready answering 200 once \"late\" runs", 10_000, () -> get("/ready"), r -> r.statusCode() == 200);
  }

  @Test
  @DisplayName("serves switchboard_* Prometheus series whose values count what was sent, received and closed")
  void metrics() throws Exception {
    String token = signer().generateToken(new JsonObject().put("sub", "m"), new JWTOptions().setExpiresInSeconds(60));
    String framesIn = "switchboard_frames_in_total{service=\"probe\"}";
    String bytesIn = "switchboard_bytes_in_total{service=\"probe\"}";
    String framesOut = "switchboard_frames_out_total{service=\"probe\"}";
    String bytesOut = "switchboard_bytes_out_total{service=\"probe\"}";
    String closes1000 = "switchboard_closes_total{code=\"1000\"}";
    String before = get("/metrics").body();
    try (WsClient c = WsClient.connect(vertx, port, "/probe?access_token=" + token)) {
      c.send("hello");          // answered "/probe hello" (12 bytes)
      assertEquals("/probe hello", c.next());
      c.send("ping-two");       // answered "/probe ping-two" (15 bytes)
      assertEquals("/probe ping-two", c.next());
      String open = get("/metrics").body();
      assertEquals(1.0, value(open, "switchboard_sessions_open{service=\"probe\"}"), open);
    }
    String body = Await.until("the closed session counted", 10_000, () -> get("/metrics").body(),
      b -> value(b, "switchboard_sessions_open{service=\"probe\"}") == 0.0
        && value(b, closes1000) == value(before, closes1000) + 1);
    assertEquals(2.0, value(body, framesIn) - value(before, framesIn), framesIn);
    assertEquals("hello".length() + "ping-two".length(), value(body, bytesIn) - value(before, bytesIn), bytesIn);
    assertEquals(2.0, value(body, framesOut) - value(before, framesOut), framesOut);
    assertEquals("/probe hello".length() + "/probe ping-two".length(), value(body, bytesOut) - value(before, bytesOut), bytesOut);
  }

  @Test
  @DisplayName("counts an open the bus cannot deliver in switchboard_bus_failures_total and closes it with 1013")
  void busFailures() throws Exception {
    String token = signer().generateToken(new JsonObject().put("sub", "m"), new JWTOptions().setExpiresInSeconds(60));
    String failures = "switchboard_bus_failures_total{reason=\"NO_HANDLERS\"}";
    double before = value(get("/metrics").body(), failures);
    WsClient c = WsClient.connect(vertx, port, "/ghost?access_token=" + token);
    assertEquals(1013, c.awaitClose());
    String body = get("/metrics").body();
    assertEquals(before + 1, value(body, failures), body);
  }

  @Test
  @DisplayName("takes the token from an Authorization: Bearer header too, and answers a bad one with WWW-Authenticate")
  void authorizationHeader() throws Exception {
    String token = signer().generateToken(new JsonObject().put("sub", "carol"), new JWTOptions().setExpiresInSeconds(60));
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/probe")
      .addHeader("Authorization", "Bearer " + token);
    try (WsClient c = WsClient.connect(vertx, options, "header")) {
      c.send("claims");
      assertEquals("carol", new JsonObject((String) c.next()).getString("sub"));
    }
    RawWebSocket refused = RawWebSocket.handshake(port, RawWebSocket.head("GET", "/probe", "Authorization: Bearer not.a.jwt"));
    assertEquals(401, refused.status);
    assertEquals("Bearer error=\"invalid_token\"", refused.headers.get("www-authenticate"));
  }

  @Test
  @DisplayName("verifies RS256 and ES256 tokens with a PEM public key, and refuses another key's (401)")
  void publicKeyTokens() throws Exception {
    for (String algorithm : List.of("RS256", "ES256")) {
      KeyPair keys = keyPair(algorithm);
      KeyPair other = keyPair(algorithm);
      int p = deployGateway(new JsonObject().put("algorithm", algorithm).put("publicKey", pem("PUBLIC KEY", keys.getPublic())));
      String token = signer(algorithm, keys).generateToken(new JsonObject().put("sub", "dave-" + algorithm),
        new JWTOptions().setAlgorithm(algorithm).setExpiresInSeconds(60));
      try (WsClient c = WsClient.connect(vertx, p, "/probe?access_token=" + token)) {
        c.send("claims");
        assertEquals("dave-" + algorithm, new JsonObject((String) c.next()).getString("sub"));
      }
      String forged = signer(algorithm, other).generateToken(new JsonObject().put("sub", "mallory"),
        new JWTOptions().setAlgorithm(algorithm).setExpiresInSeconds(60));
      assertEquals(401, WsClient.rejectedStatus(vertx, p, "/probe?access_token=" + forged), algorithm + " with another key");
    }
  }

  @Test
  @DisplayName("checks the token's issuer and audience when configured: a mismatch gets 401")
  void issuerAndAudience() throws Exception {
    int p = deployGateway(new JsonObject().put("algorithm", "HS256").put("secret", SECRET)
      .put("issuer", "https://issuer.example").put("audience", "switchboard"));
    JWTAuth signer = signer();
    String good = signer.generateToken(new JsonObject().put("sub", "erin"),
      new JWTOptions().setExpiresInSeconds(60).setIssuer("https://issuer.example").setAudience(List.of("switchboard")));
    String wrongIssuer = signer.generateToken(new JsonObject().put("sub", "erin"),
      new JWTOptions().setExpiresInSeconds(60).setIssuer("https://evil.example").setAudience(List.of("switchboard")));
    String wrongAudience = signer.generateToken(new JsonObject().put("sub", "erin"),
      new JWTOptions().setExpiresInSeconds(60).setIssuer("https://issuer.example").setAudience(List.of("another-app")));
    String noIssuer = signer.generateToken(new JsonObject().put("sub", "erin"),
      new JWTOptions().setExpiresInSeconds(60).setAudience(List.of("switchboard")));
    try (WsClient c = WsClient.connect(vertx, p, "/probe?access_token=" + good)) {
      c.send("claims");
      assertEquals("erin", new JsonObject((String) c.next()).getString("sub"));
    }
    assertEquals(401, WsClient.rejectedStatus(vertx, p, "/probe?access_token=" + wrongIssuer), "wrong issuer");
    assertEquals(401, WsClient.rejectedStatus(vertx, p, "/probe?access_token=" + wrongAudience), "wrong audience");
    assertEquals(401, WsClient.rejectedStatus(vertx, p, "/probe?access_token=" + noIssuer), "no issuer");
  }

  @Test
  @DisplayName("serves /metrics as metrics.access says: admin wants the admin token (403 without), public serves anyone")
  void metricsAccess() throws Exception {
    int admin = deployGateway(null, new JsonObject().put("access", "admin"), "admin-token-for-metrics");
    assertEquals(403, get(admin, "/metrics", null).statusCode());
    assertEquals(403, get(admin, "/metrics", "wrong-token").statusCode());
    HttpResponse<String> allowed = get(admin, "/metrics", "admin-token-for-metrics");
    assertEquals(200, allowed.statusCode());
    assertTrue(allowed.body().contains("switchboard_"), allowed.body());
    int open = deployGateway(null, new JsonObject().put("access", "public"), null);
    assertEquals(200, get(open, "/metrics", null).statusCode());
    int off = deployGateway(null, new JsonObject().put("enabled", false), null);
    assertEquals(404, get(off, "/metrics", null).statusCode());
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
      // and the same port refuses plain ws: it speaks TLS only
      WebSocketClient plain = other.createWebSocketClient();
      assertTrue(plain.connect(secure.actualPort(), "127.0.0.1", "/echo").toCompletionStage().toCompletableFuture()
        .handle((ok, err) -> err != null).get(10, TimeUnit.SECONDS), "a plain ws upgrade on the TLS port failed");
    } finally {
      await(other.close());
    }
  }

  private static int deployGateway(JsonObject auth) throws Exception {
    return deployGateway(auth, null, null);
  }

  private static int deployGateway(JsonObject auth, JsonObject metrics, String adminToken) throws Exception {
    GatewayVerticle g = new GatewayVerticle();
    JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0)
      .put("routes", new JsonObject().put("/probe", "probe"));
    if (auth != null) {
      conf.put("auth", auth);
    }
    if (metrics != null) {
      conf.put("metrics", metrics);
    }
    if (adminToken != null) {
      conf.put("admin", new JsonObject().put("token", adminToken));
    }
    await(vertx.deployVerticle(g, new DeploymentOptions().setConfig(conf)));
    return g.actualPort();
  }

  /** A value of a Prometheus series in a scrape, 0 when the series is not there yet. */
  private static double value(String scrape, String series) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return 0;
  }

  private static KeyPair keyPair(String algorithm) throws Exception {
    if (algorithm.startsWith("RS")) {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    }
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static String pem(String type, java.security.Key key) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
      + "\n-----END " + type + "-----\n";
  }

  private static JWTAuth signer(String algorithm, KeyPair keys) {
    return JWTAuth.create(vertx, new JWTAuthOptions()
      .addPubSecKey(new PubSecKeyOptions().setAlgorithm(algorithm).setBuffer(pem("PRIVATE KEY", keys.getPrivate())))
      .setJWTOptions(new JWTOptions().setAlgorithm(algorithm).setExpiresInSeconds(60)));
  }

  private static JWTAuth signer() {
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
      .setAlgorithm("HS256").setBuffer(SECRET)));
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return get(port, path, null);
  }

  private static HttpResponse<String> get(int gatewayPort, String path, String bearer) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + path));
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
