package io.switchboard;

import io.switchboard.bridge.TcpBridgeVerticle;
import io.switchboard.protocol.Addresses;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TCP bridge in one JVM, spoken to with raw frames (4-byte length + JSON) from a plain socket,
 * as any language would, and as an attacker would: its config checks, its tokens (each naming one
 * service), what a client of one service may do, and how it answers oversized or malformed frames.
 * Consumers on the gateway, group and registry addresses record what reaches the bus.
 */
@DisplayName("The TCP bridge")
@Timeout(120)
class TcpBridgeTest {

  private static final long TIMEOUT_S = 20;
  static final String CHAT_TOKEN = "chat-token-0123456789";
  static final String OTHER_TOKEN = "other-token-0123456789";
  private static final String GW = Addresses.gateway("g1");
  private static final String INSTANCE = Addresses.serviceInstance("py_chat", "i1");

  private Vertx vertx;
  private Path tokenFile;
  private final List<String> atGateway = new CopyOnWriteArrayList<>();
  private final List<String> atGroups = new CopyOnWriteArrayList<>();
  private final List<JsonObject> atRegistry = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    Files.createDirectories(Path.of("target"));
    tokenFile = Files.createTempDirectory(Path.of("target"), "bridge-tokens-").resolve("sub").resolve("bridge.tokens");
    vertx.eventBus().<Object>consumer(GW, m -> atGateway.add(m.headers().get("sb.op") + " " + m.headers().get("sb.sid")
      + (m.headers().get("sb.group") == null ? "" : " " + m.headers().get("sb.group")) + " " + m.body()));
    vertx.eventBus().<Object>consumer(Addresses.GROUPS, m -> atGroups.add(m.headers().get("sb.group") + " " + m.body()));
    await(vertx.eventBus().<JsonObject>consumer(Addresses.REGISTRY, m -> atRegistry.add(m.body())).completion());
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
  }

  // -- config --------------------------------------------------------------------------------------

  @Test
  @DisplayName("fails the deploy naming a mistyped key, a port out of range, a short or shared token, a reserved path")
  void configErrors() {
    assertContains(deployFailure(new JsonObject().put("prot", 7000)),
      "TCP bridge config: unknown key \"prot\"; did you mean \"port\"?");
    assertContains(deployFailure(new JsonObject().put("port", 70000)), "\"port\" must be an integer from 0 to 65535, got 70000");
    assertContains(deployFailure(config().put("services", new JsonObject().put("a", new JsonObject().put("token", "short")))),
      "\"a\" has a token shorter than 16 characters");
    assertContains(deployFailure(config().put("services", new JsonObject()
        .put("a", new JsonObject().put("token", CHAT_TOKEN)).put("b", new JsonObject().put("token", CHAT_TOKEN)))),
      "services \"a\" and \"b\" have the same token");
    assertContains(deployFailure(config().put("services", new JsonObject().put("a", new JsonObject().put("paths", new JsonArray().add("/admin"))))),
      "\"a\" has a path a bridge service cannot serve");
    assertContains(deployFailure(config().put("services", new JsonObject().put("a", new JsonObject().put("tokn", "x")))),
      "unknown key \"tokn\"; did you mean \"token\"?");
    assertContains(deployFailure(config().put("maxFrameBytes", 10)), "\"maxFrameBytes\" must be an integer from 1024");
  }

  @Test
  @DisplayName("generates a token for a service configured without one and writes it to a file only its user reads")
  void generatedToken() throws Exception {
    TcpBridgeVerticle bridge = deployBridge(config().put("services", new JsonObject().put("py_chat", new JsonObject())));
    assertEquals(tokenFile.toAbsolutePath(), bridge.tokenFile());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile.getParent())));
    JsonObject written = new JsonObject(Files.readString(tokenFile));
    String token = written.getJsonObject("services").getString("py_chat");
    assertEquals(bridge.token("py_chat"), token);
    assertTrue(token.length() >= 32, token);
    assertEquals(bridge.actualPort(), written.getInteger("port"));
    try (Client c = new Client(bridge.actualPort(), token)) {
      c.write(ping());
      assertEquals("pong", c.read().getString("type"));
    }
    await(vertx.undeploy(bridge.deploymentID()));
    assertTrue(!Files.exists(tokenFile), "a stopped bridge removes its token file");
  }

  @Test
  @DisplayName("fails the deploy when a generated token cannot be written, and only warns when every token is configured")
  void unwritableTokenFile() throws Exception {
    Path blocker = Files.createTempFile(Path.of("target"), "not-a-folder-", "");
    JsonObject conf = config().put("tokenFile", blocker.resolve("bridge.tokens").toString());
    assertContains(deployFailure(conf.copy().put("services", new JsonObject().put("py_chat", new JsonObject()))),
      "TCP bridge cannot write its token file");
    TcpBridgeVerticle bridge = deployBridge(conf.copy().put("services",
      new JsonObject().put("py_chat", new JsonObject().put("token", CHAT_TOKEN))));
    assertNull(bridge.tokenFile());
    try (Client c = new Client(bridge.actualPort(), CHAT_TOKEN)) {
      c.write(ping());
      assertEquals("pong", c.read().getString("type"));
    }
  }

  // -- who the client is ---------------------------------------------------------------------------

  @Test
  @DisplayName("refuses no token, a wrong token and a token of another service, and closes on the first two")
  void tokens() throws Exception {
    int port = deploy();
    try (Client c = new Client(port, null)) {
      c.write(register(Addresses.service("py_chat")));
      assertContains(c.readErr(), "missing or wrong token");
      c.assertClosed();
    }
    try (Client c = new Client(port, "wrong-token-0123456789")) {
      c.write(register(Addresses.service("py_chat")));
      assertContains(c.readErr(), "missing or wrong token");
      c.assertClosed();
    }
    try (Client c = new Client(port, CHAT_TOKEN)) { // a later frame must carry the same token
      c.write(ping());
      assertEquals("pong", c.read().getString("type"));
      c.raw(register(Addresses.service("py_chat")).put("headers", new JsonObject().put("sb.token", OTHER_TOKEN)));
      assertContains(c.readErr(), "missing or wrong token");
      c.assertClosed();
    }
    try (Client other = new Client(port, OTHER_TOKEN)) { // the token of service "other" is not one of py_chat
      other.write(register(Addresses.service("py_chat")));
      assertContains(other.readErr(), "a client of other registers only on switchboard.service.other");
      other.write(register(INSTANCE));
      assertContains(other.readErr(), "a client of other registers only on");
      other.write(ping());
      assertEquals("pong", other.read().getString("type"), "a refused action leaves the connection serving");
    }
  }

  @Test
  @DisplayName("closes a connection that sends no token-bearing frame in time")
  void authTimeout() throws Exception {
    int port = deploy(config().put("authTimeoutMs", 200));
    try (Client c = new Client(port, null)) {
      assertContains(c.readErr(), "no frame with a token within 200 ms");
      c.assertClosed();
    }
  }

  @Test
  @DisplayName("lets a client register only its own service's addresses and the hello, and delivers to them")
  void registrations() throws Exception {
    int port = deploy();
    try (Client c = new Client(port, CHAT_TOKEN)) {
      for (String forbidden : List.of(GW, Addresses.GROUPS, Addresses.REGISTRY, Addresses.service("chat"),
        Addresses.serviceInstance("chat", "x"), Addresses.host("h1"), "switchboard.service.py_chat.a.b",
        Addresses.presence("chat"), "anything")) {
        c.write(register(forbidden));
        assertContains(c.readErr(), "registers only on");
      }
      c.write(register(Addresses.service("py_chat")));
      c.write(register(INSTANCE));
      c.write(register(Addresses.REGISTRY_HELLO));
      c.write(register(Addresses.presence("py_chat")));
      c.write(register(INSTANCE));
      assertContains(c.readErr(), "already registered");
      JsonObject delta = awaitDelivery(c, () -> vertx.eventBus().publish(Addresses.presence("py_chat"),
        new JsonObject().put("gw", GW).put("seq", 1)));
      assertEquals(Addresses.presence("py_chat"), delta.getString("address"), "its own service's presence deltas");
      JsonObject hello = awaitDelivery(c, () -> vertx.eventBus().publish(Addresses.REGISTRY_HELLO, new JsonObject()));
      assertEquals(Addresses.REGISTRY_HELLO, hello.getString("address"));
      c.write(new JsonObject().put("type", "unregister").put("address", Addresses.REGISTRY_HELLO));
      c.write(new JsonObject().put("type", "unregister").put("address", Addresses.REGISTRY_HELLO));
      assertContains(c.readErr(), "not registered on");
    }
  }

  // -- what it may do ------------------------------------------------------------------------------

  @Test
  @DisplayName("pushes to and closes only sessions bound to its own instances, and forgets them on close")
  void sessionsBoundToIt() throws Exception {
    int port = deploy();
    try (Client c = new Client(port, CHAT_TOKEN)) {
      registered(c);
      // before any open: the session ids are guessed, the bridge refuses them
      c.write(push(GW, "text", "g1.1", "guess"));
      assertContains(c.readErr(), "session g1.1 is not bound to an instance of py_chat");
      c.write(push(GW, "close", "g1.1", null));
      assertContains(c.readErr(), "session g1.1 is not bound");

      var opened = vertx.eventBus().request(Addresses.service("py_chat"), new JsonObject().put("path", "/py_chatroom"),
        new DeliveryOptions().addHeader("sb.op", "open").addHeader("sb.sid", "g1.1").addHeader("sb.gw", GW));
      JsonObject open = c.read();
      assertEquals("open", open.getJsonObject("headers").getString("sb.op"));
      // an answer naming another service's instance does not bind the session
      JsonObject foreign = new JsonObject().put("type", "send").put("address", open.getString("replyAddress"))
        .put("headers", new JsonObject().put("sb.inst", Addresses.serviceInstance("chat", "real")));
      c.write(foreign);
      assertContains(c.readErr(), "an open is answered with header sb.inst naming an instance this connection registered");
      assertThrows(Exception.class, () -> await(opened), "the open failed");
      c.write(push(GW, "text", "g1.1", "after a failed open"));
      assertContains(c.readErr(), "session g1.1 is not bound");

      var opened2 = vertx.eventBus().request(Addresses.service("py_chat"), new JsonObject(),
        new DeliveryOptions().addHeader("sb.op", "open").addHeader("sb.sid", "g1.2").addHeader("sb.gw", GW));
      JsonObject open2 = c.read();
      c.write(new JsonObject().put("type", "send").put("address", open2.getString("replyAddress"))
        .put("headers", new JsonObject().put("sb.inst", INSTANCE)));
      assertEquals(INSTANCE, await(opened2).headers().get("sb.inst"));

      c.write(push(GW, "text", "g1.2", "hi"));
      c.write(push(GW, "join", "g1.2", null).put("headers", hdr("join", "g1.2").put("sb.group", "py_chat/room")));
      c.write(push(GW, "join", "g1.2", null).put("headers", hdr("join", "g1.2").put("sb.group", "chat/room")));
      assertContains(c.readErr(), "groups of py_chat are named py_chat/<group>, not chat/room");
      c.write(push(Addresses.gateway("g2"), "text", "g1.2", "elsewhere"));
      assertContains(c.readErr(), "session g1.2 is not bound to an instance of py_chat at switchboard.gateway.g2");
      c.write(push(GW, "batch", "g1.2", "x"));
      assertContains(c.readErr(), "to a gateway a client sends sb.op text, binary, close, join, leave, attr or sync, not batch");
      c.write(push(GW, "drain", "g1.2", "x"));
      assertContains(c.readErr(), "not drain");
      c.write(new JsonObject().put("type", "send").put("address", GW).put("headers", new JsonObject().put("sb.op", "sync")
        .put("sb.svc", "chat").put("sb.inst", Addresses.serviceInstance("chat", "real"))));
      assertContains(c.readErr(), "a sync names this client's service and one of its registered instance addresses");
      c.write(new JsonObject().put("type", "send").put("address", GW).put("headers", new JsonObject().put("sb.op", "sync")
        .put("sb.svc", "py_chat").put("sb.inst", INSTANCE)));
      c.write(push(GW, "text", "g1.2", "asks").put("replyAddress", "x"));
      assertContains(c.readErr(), "answers requests but makes none");

      // the gateway closes the session: from then on the client cannot address it
      vertx.eventBus().send(INSTANCE, null, new DeliveryOptions().addHeader("sb.op", "close").addHeader("sb.sid", "g1.2")
        .addHeader("sb.code", "1000"));
      assertEquals("close", c.read().getJsonObject("headers").getString("sb.op"));
      c.write(push(GW, "text", "g1.2", "after close"));
      assertContains(c.readErr(), "session g1.2 is not bound");
      c.write(ping());
      assertEquals("pong", c.read().getString("type"));
      assertEquals(List.of("text g1.2 hi", "join g1.2 py_chat/room null", "sync null null"), atGateway,
        "only the bound session's pushes, and its own sync");
    }
  }

  @Test
  @DisplayName("publishes only to its own service's groups")
  void groups() throws Exception {
    int port = deploy();
    try (Client c = new Client(port, CHAT_TOKEN)) {
      registered(c);
      c.write(groupPublish("chat/lobby", "stolen"));
      assertContains(c.readErr(), "publishes only to its groups (py_chat/<group>), not chat/lobby");
      c.write(groupPublish("py_chat", "no group"));
      assertContains(c.readErr(), "not py_chat");
      c.write(new JsonObject().put("type", "send").put("address", Addresses.GROUPS).put("body", "x")
        .put("headers", new JsonObject().put("sb.op", "text").put("sb.group", "py_chat/room")));
      assertContains(c.readErr(), "sends only to gateway nodes");
      c.write(new JsonObject().put("type", "publish").put("address", GW).put("body", "x"));
      assertContains(c.readErr(), "take a publish");
      c.write(groupPublish("py_chat/room", "hello room"));
      c.write(ping());
      assertEquals("pong", c.read().getString("type"));
      awaitTrue(() -> atGroups.size() == 1);
      assertEquals(List.of("py_chat/room hello room"), atGroups);
    }
  }

  @Test
  @DisplayName("announces only its own registered instances, never another service, a gateway, a host, a reserved path or a tiny heartbeat")
  void announces() throws Exception {
    int port = deploy();
    try (Client c = new Client(port, CHAT_TOKEN)) {
      registered(c);
      JsonObject own = announce("py_chat", INSTANCE).put("paths", new JsonArray().add("/py_chatroom"));
      List<JsonObject> attacks = List.of(
        announce("chat", Addresses.serviceInstance("chat", "fake")).put("paths", new JsonArray().add("/chat")),
        own.copy().put("role", "gateway").put("instance", GW),
        own.copy().put("role", "host").put("instance", Addresses.host("h1")),
        own.copy().put("paths", new JsonArray().add("/")),
        own.copy().put("paths", new JsonArray().add("/admin/")),
        own.copy().put("paths", new JsonArray().add("/eventbus")),
        own.copy().put("paths", new JsonArray().add("/index.html")),
        own.copy().put("paths", new JsonArray().add("/health")),
        own.copy().put("paths", new JsonArray().add("/elsewhere")),
        own.copy().put("heartbeatMs", 1),
        own.copy().put("instance", Addresses.serviceInstance("py_chat", "not-registered")),
        new JsonObject().put("op", "withdraw").put("role", "gateway").put("instance", GW),
        new JsonObject().put("op", "withdraw").put("service", "chat").put("instance", Addresses.serviceInstance("chat", "real")),
        new JsonObject().put("op", "deploy"));
      for (JsonObject attack : attacks) {
        c.write(registryPublish(attack));
        String err = c.readErr();
        assertTrue(err.contains("announces only") || err.contains("paths of one segment") || err.contains("may announce only")
          || err.contains("heartbeatMs") || err.contains("op announce or withdraw"), attack.encode() + " -> " + err);
      }
      c.write(registryPublish(own.copy().put("heartbeatMs", 100)));
      c.write(ping());
      assertEquals("pong", c.read().getString("type"));
      awaitTrue(() -> !atRegistry.isEmpty());
      assertEquals(1, atRegistry.size(), "only the own announce reached the bus: " + atRegistry);
      assertEquals(INSTANCE, atRegistry.get(0).getString("instance"));
    }
  }

  @Test
  @DisplayName("refuses opens over maxSessions with 1013, and closes a client that does not read once maxOutboundBytes are queued")
  void bounds() throws Exception {
    int port = deploy(config().put("maxSessions", 1).put("maxOutboundBytes", 65536));
    try (Client c = new Client(port, CHAT_TOKEN)) {
      registered(c);
      var first = vertx.eventBus().request(INSTANCE, new JsonObject(),
        new DeliveryOptions().addHeader("sb.op", "open").addHeader("sb.sid", "g1.1").addHeader("sb.gw", GW));
      var second = vertx.eventBus().request(INSTANCE, new JsonObject(),
        new DeliveryOptions().addHeader("sb.op", "open").addHeader("sb.sid", "g1.2").addHeader("sb.gw", GW));
      Exception refused = assertThrows(Exception.class, () -> await(second));
      assertContains(refused.getMessage(), "holds too many sessions");
      assertEquals(1013, ((io.vertx.core.eventbus.ReplyException) refused.getCause()).failureCode());
      JsonObject open = c.read();
      assertEquals("g1.1", open.getJsonObject("headers").getString("sb.sid"), "only the first open reached the client");
      c.write(new JsonObject().put("type", "send").put("address", open.getString("replyAddress"))
        .put("headers", new JsonObject().put("sb.inst", INSTANCE)));
      await(first);

      // the client stops reading; the gateway goes on pushing
      String chunk = "x".repeat(60_000);
      for (int i = 0; i < 2000; i++) {
        vertx.eventBus().send(INSTANCE, chunk, new DeliveryOptions().addHeader("sb.op", "text").addHeader("sb.sid", "g1.1"));
      }
      String last = null;
      try {
        while (true) {
          JsonObject f = c.read();
          if ("err".equals(f.getString("type"))) {
            last = f.getString("message");
          }
        }
      } catch (EOFException | java.net.SocketException closed) {
        // the bridge closed the connection
      }
      assertContains(last, "the client does not read: more than 65536 bytes queued");
    }
  }

  // -- bad frames ----------------------------------------------------------------------------------

  @Test
  @DisplayName("closes on a 2 GiB, a negative, a zero or an over-the-cap length prefix, before buffering, and serves others")
  void lengthCaps() throws Exception {
    int port = deploy(config().put("maxFrameBytes", 4096));
    for (int length : new int[]{Integer.MAX_VALUE, 0x80000000, -1, 0, 64 * 1024 + 1}) {
      try (Client c = new Client(port, null)) { // before the token: the first frame is capped at 64 KiB
        c.out.writeInt(length);
        c.out.flush();
        assertContains(c.readErr(), "frame length " + Integer.toUnsignedLong(length) + " is not from 1 to 4096 bytes");
        c.assertClosed();
      }
    }
    try (Client c = new Client(port, CHAT_TOKEN)) { // after the token: maxFrameBytes
      c.write(ping());
      assertEquals("pong", c.read().getString("type"));
      c.write(groupPublish("py_chat/room", "x".repeat(5000)));
      assertContains(c.readErr(), "frame length");
      c.assertClosed();
    }
    try (Client c = new Client(port, CHAT_TOKEN)) {
      c.write(ping());
      assertEquals("pong", c.read().getString("type"), "the bridge serves the next client");
    }
    assertTrue(atGroups.isEmpty());
  }

  @Test
  @DisplayName("answers a malformed frame with an error and closes, and serves others")
  void malformed() throws Exception {
    int port = deploy();
    List<Consumer<Client>> frames = List.of(
      c -> c.rawBytes("not json".getBytes(StandardCharsets.UTF_8)),
      c -> c.rawBytes("[1,2]".getBytes(StandardCharsets.UTF_8)),
      c -> c.raw(new JsonObject().put("address", GW).put("headers", new JsonObject().put("sb.token", CHAT_TOKEN))),
      c -> c.raw(new JsonObject().put("type", 7).put("headers", new JsonObject().put("sb.token", CHAT_TOKEN))),
      c -> c.raw(new JsonObject().put("type", "send").put("address", GW).put("headers", "sb.token")),
      c -> c.raw(new JsonObject().put("type", "send").put("address", GW)
        .put("headers", new JsonObject().put("sb.token", CHAT_TOKEN).put("sb.sid", 5))),
      c -> c.raw(new JsonObject().put("type", "send").put("address", 5).put("headers", new JsonObject().put("sb.token", CHAT_TOKEN))),
      c -> c.raw(new JsonObject().put("type", "frobnicate").put("headers", new JsonObject().put("sb.token", CHAT_TOKEN))));
    List<String> expected = List.of("a frame is a JSON object", "a frame is a JSON object, got JsonArray",
      "needs a string \"type\"", "needs a string \"type\"", "\"headers\" must be a JSON object",
      "header \"sb.sid\" must be a string", "needs a string \"address\"", "unknown frame type \"frobnicate\"");
    for (int i = 0; i < frames.size(); i++) {
      try (Client c = new Client(port, CHAT_TOKEN)) {
        c.write(ping());
        assertEquals("pong", c.read().getString("type"));
        frames.get(i).accept(c);
        assertContains(c.readErr(), expected.get(i));
        c.assertClosed();
      }
    }
    try (Client c = new Client(port, CHAT_TOKEN)) {
      c.write(ping());
      assertEquals("pong", c.read().getString("type"), "the bridge serves the next client");
    }
    assertTrue(atGateway.isEmpty(), atGateway::toString);
  }

  // -- helpers -------------------------------------------------------------------------------------

  private JsonObject config() {
    return new JsonObject().put("port", 0).put("tokenFile", tokenFile.toString());
  }

  private int deploy() throws Exception {
    return deploy(config());
  }

  private int deploy(JsonObject config) throws Exception {
    if (!config.containsKey("services")) {
      config.put("services", new JsonObject()
        .put("py_chat", new JsonObject().put("token", CHAT_TOKEN).put("paths", new JsonArray().add("/py_chatroom")))
        .put("other", new JsonObject().put("token", OTHER_TOKEN)));
    }
    return deployBridge(config).actualPort();
  }

  private TcpBridgeVerticle deployBridge(JsonObject config) throws Exception {
    TcpBridgeVerticle bridge = new TcpBridgeVerticle();
    vertx.deployVerticle(bridge, new DeploymentOptions().setConfig(config))
      .toCompletionStage().toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
    return bridge;
  }

  private String deployFailure(JsonObject config) {
    Exception e = assertThrows(Exception.class, () -> deployBridge(config));
    return String.valueOf(e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
  }

  /** Registers the client's service and instance addresses, and waits until they receive. */
  private void registered(Client c) throws Exception {
    c.write(register(Addresses.service("py_chat")));
    c.write(register(INSTANCE));
    awaitDelivery(c, () -> vertx.eventBus().send(INSTANCE, "probe", new DeliveryOptions().addHeader("sb.op", "text")));
    awaitDelivery(c, () -> vertx.eventBus().send(Addresses.service("py_chat"), "probe"));
  }

  /** Repeats {@code action} until the client receives a frame (registrations propagate asynchronously). */
  private static JsonObject awaitDelivery(Client c, Runnable action) throws Exception {
    long deadline = System.currentTimeMillis() + TIMEOUT_S * 1000;
    long pause = 10;
    while (System.currentTimeMillis() < deadline) {
      action.run();
      JsonObject got = c.readWithin((int) pause);
      if (got != null) {
        while (c.readWithin(50) != null) {
          // drop repeats of the probe
        }
        return got;
      }
      pause = Math.min(pause * 2, 500);
    }
    throw new AssertionError("nothing delivered within " + TIMEOUT_S + " s");
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + TIMEOUT_S * 1000;
    long pause = 5;
    while (!condition.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("condition not met within " + TIMEOUT_S + " s");
      }
      Thread.sleep(pause);
      pause = Math.min(pause * 2, 200);
    }
  }

  private static void assertContains(String actual, String expected) {
    assertTrue(actual != null && actual.contains(expected), "expected \"" + expected + "\" in: " + actual);
  }

  static JsonObject ping() {
    return new JsonObject().put("type", "ping");
  }

  static JsonObject register(String address) {
    return new JsonObject().put("type", "register").put("address", address);
  }

  private static JsonObject hdr(String op, String sid) {
    return new JsonObject().put("sb.op", op).put("sb.sid", sid);
  }

  static JsonObject push(String gateway, String op, String sid, String body) {
    JsonObject f = new JsonObject().put("type", "send").put("address", gateway).put("headers", hdr(op, sid));
    return body == null ? f : f.put("body", body);
  }

  static JsonObject groupPublish(String group, String body) {
    return new JsonObject().put("type", "publish").put("address", Addresses.GROUPS).put("body", body)
      .put("headers", new JsonObject().put("sb.op", "text").put("sb.group", group));
  }

  static JsonObject announce(String service, String instance) {
    return new JsonObject().put("op", "announce").put("role", "service").put("service", service).put("instance", instance)
      .put("paths", new JsonArray()).put("node", "1@test").put("heartbeatMs", 1000);
  }

  static JsonObject registryPublish(JsonObject body) {
    return new JsonObject().put("type", "publish").put("address", Addresses.REGISTRY).put("body", body);
  }

  /** A bridge client over a plain blocking socket; {@link #write} adds the token header. */
  static final class Client implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    final DataOutputStream out;
    private final String token;

    Client(int port, String token) throws IOException {
      this.token = token;
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_S));
      in = new DataInputStream(socket.getInputStream());
      out = new DataOutputStream(socket.getOutputStream());
    }

    /** Writes a frame carrying the token (when the client has one). */
    void write(JsonObject frame) throws IOException {
      JsonObject f = frame.copy();
      if (token != null) {
        JsonObject headers = f.getJsonObject("headers", new JsonObject());
        f.put("headers", headers.put("sb.token", token));
      }
      rawBytes(f.encode().getBytes(StandardCharsets.UTF_8));
    }

    /** Writes a frame as given. */
    void raw(JsonObject frame) {
      rawBytes(frame.encode().getBytes(StandardCharsets.UTF_8));
    }

    void rawBytes(byte[] json) {
      try {
        out.writeInt(json.length);
        out.write(json);
        out.flush();
      } catch (IOException e) {
        throw new AssertionError(e);
      }
    }

    JsonObject read() throws IOException {
      byte[] json = new byte[in.readInt()];
      in.readFully(json);
      return new JsonObject(new String(json, StandardCharsets.UTF_8));
    }

    /** The next frame, which must be an {@code err} frame; returns its message. */
    String readErr() throws IOException {
      JsonObject f = read();
      assertEquals("err", f.getString("type"), f.encode());
      assertNull(f.getValue("address"), f.encode());
      return f.getString("message");
    }

    /** The next frame, or {@code null} when none comes within {@code ms}. */
    JsonObject readWithin(int ms) throws IOException {
      socket.setSoTimeout(ms);
      try {
        return read();
      } catch (java.net.SocketTimeoutException e) {
        return null;
      } finally {
        socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_S));
      }
    }

    /** The bridge closed the connection, with no further frame. */
    void assertClosed() throws IOException {
      try {
        JsonObject more = read();
        throw new AssertionError("expected the connection closed, got " + more.encode());
      } catch (EOFException | java.net.SocketException e) {
        // closed by the bridge
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
