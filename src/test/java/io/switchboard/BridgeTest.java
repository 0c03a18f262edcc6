package io.switchboard;

import static io.switchboard.testing.Await.await;

import io.switchboard.config.ConfigException;
import io.switchboard.demo.ChatService;
import io.switchboard.gateway.BridgeOptions;
import io.switchboard.gateway.GatewayOptions;
import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Headers;
import io.switchboard.testing.BridgeClient;
import io.switchboard.testing.WsClient;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The browser event-bus bridge at {@code /eventbus}, in one JVM: its permissions and hook, and the
 * chat over it. Probe consumers stand where services would and count what reaches them.
 */
@DisplayName("The event-bus bridge of a gateway")
class BridgeTest {

  private static final String SECRET = "probe.secret";
  private static final String GUARDED = "probe.guarded";
  private static final String NEWS = "probe.news";
  /** Services publish here for each other; no outbound permission names it. */
  private static final String INTERNAL = "probe.internal";
  private static final String TOKEN = "s3cret";
  /** How long a test watches for something that must not arrive (a window, not a performance figure). */
  private static final long QUIET_MS = 300;

  private static Vertx vertx;
  private static int port;
  private static int bareGatewayPort;
  private static int tokenGatewayPort;
  private static int limitedGatewayPort;
  /** Takes requests and never answers them. */
  private static final String SILENT = "probe.silent";
  private static final AtomicInteger secretCount = new AtomicInteger();
  private static final BlockingQueue<MultiMap> guarded = new LinkedBlockingQueue<>();

  @BeforeAll
  static void deploy() throws Exception {
    vertx = Vertx.vertx();
    MessageConsumer<Object> secret = vertx.eventBus().consumer(SECRET, m -> secretCount.incrementAndGet());
    MessageConsumer<Object> guard = vertx.eventBus().consumer(GUARDED, m -> guarded.add(m.headers()));
    JsonObject permitted = new JsonObject()
      .put("inbound", new JsonArray()
        .add(new JsonObject().put("address", ChatService.BRIDGE_ADDRESS))
        .add(new JsonObject().put("address", GUARDED).put("match", new JsonObject().put("action", "read"))))
      .put("outbound", new JsonArray()
        .add(new JsonObject().put("address", ChatService.LOBBY_ADDRESS))
        .add(new JsonObject().put("addressRegex", "demo\\.chat\\.room\\..+"))
        .add(new JsonObject().put("address", NEWS)));
    await(Future.all(secret.completion(), guard.completion()).compose(v -> vertx.deployVerticle(new ChatService())));
    port = deployGateway(permitted);
    bareGatewayPort = deployGateway(null);
    tokenGatewayPort = deployGateway(permitted.copy().put("token", TOKEN));
    await(vertx.eventBus().consumer(SILENT, m -> { }).completion());
    limitedGatewayPort = deployGateway(new JsonObject()
      .put("inbound", new JsonArray().add(new JsonObject().put("address", SILENT)))
      .put("outbound", new JsonArray().add(new JsonObject().put("addressRegex", "probe\\..+")))
      .put("maxAddressLength", 20).put("replyTimeoutMs", 300).put("pingTimeoutMs", 5000));
  }

  @AfterAll
  static void close() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("refuses a send to an address no permission names (access_denied), and nothing reaches the bus")
  void sendToUnpermittedAddress() {
    try (BridgeClient browser = BridgeClient.connect(vertx, port, "browser")) {
      browser.send(SECRET, new JsonObject().put("action", "read"));
      assertEquals("access_denied", browser.nextError());
      browser.publish(SECRET, new JsonObject().put("action", "read"));
      assertEquals("access_denied", browser.nextError());
      // a permitted message sent after them arrives: had they passed, they would have arrived first
      browser.send(GUARDED, new JsonObject().put("action", "read"));
      assertNotNull(nextGuarded());
      assertEquals(0, secretCount.get(), "messages that reached " + SECRET);
    }
  }

  @Test
  @DisplayName("refuses to register on an address no outbound permission names, and never delivers its messages")
  void registerOnUnpermittedAddress() {
    try (BridgeClient browser = BridgeClient.connect(vertx, port, "browser")) {
      browser.register(INTERNAL);
      assertEquals("access_denied", browser.nextError());
      browser.register(NEWS);
      awaitDelivery(browser, NEWS);
      vertx.eventBus().publish(INTERNAL, "for services only");
      vertx.eventBus().publish(NEWS, "after the internal one");
      assertEquals("after the internal one", browser.nextOn(NEWS));
      assertTrue(browser.received().stream().noneMatch(f -> INTERNAL.equals(f.getString("address"))), browser.received().toString());
    }
  }

  @Test
  @DisplayName("refuses a message that fails its permission's match, and lets a matching one through")
  void messageFailingMatch() throws Exception {
    try (BridgeClient browser = BridgeClient.connect(vertx, port, "browser")) {
      browser.send(GUARDED, new JsonObject().put("action", "delete"));
      assertEquals("access_denied", browser.nextError());
      browser.send(GUARDED, "a string has no fields to match");
      assertEquals("access_denied", browser.nextError());
      browser.send(GUARDED, null);
      assertEquals("rejected", browser.nextError(), "a missing body passes vertx-web's match; the hook refuses it");
      browser.send(GUARDED, new JsonObject().put("action", "read").put("id", 7));
      MultiMap headers = nextGuarded();
      assertNotNull(headers, "the matching message reached the probe");
      assertNull(guarded.poll(QUIET_MS, TimeUnit.MILLISECONDS), "only the matching message reached the probe");
    }
  }

  @Test
  @DisplayName("denies everything by default: a gateway without bridge permissions")
  void defaultDeny() throws Exception {
    try (BridgeClient browser = BridgeClient.connect(vertx, bareGatewayPort, "browser")) {
      browser.send(GUARDED, new JsonObject().put("action", "read"));
      assertEquals("access_denied", browser.nextError());
      browser.send(ChatService.BRIDGE_ADDRESS, new JsonObject().put("type", "name").put("name", "x"));
      assertEquals("access_denied", browser.nextError());
      browser.register(ChatService.LOBBY_ADDRESS);
      assertEquals("access_denied", browser.nextError());
    }
    try (BridgeClient browser = BridgeClient.connect(vertx, port, "browser")) {
      browser.send(GUARDED, new JsonObject().put("action", "read"));
      assertNotNull(nextGuarded());
      assertNull(guarded.poll(QUIET_MS, TimeUnit.MILLISECONDS), "nothing came through the bare gateway");
    }
  }

  @Test
  @DisplayName("stamps the browser's socket id on what it sends, over any id the browser made up")
  void stampsSocketId() {
    try (BridgeClient a = BridgeClient.connect(vertx, port, "a"); BridgeClient b = BridgeClient.connect(vertx, port, "b")) {
      JsonObject read = new JsonObject().put("action", "read");
      a.send(GUARDED, read, new JsonObject().put(Headers.BRIDGE_SOCKET, "forged"));
      String idA = nextGuarded().get(Headers.BRIDGE_SOCKET);
      a.send(GUARDED, read);
      assertEquals(idA, nextGuarded().get(Headers.BRIDGE_SOCKET));
      b.send(GUARDED, read);
      String idB = nextGuarded().get(Headers.BRIDGE_SOCKET);
      assertNotEquals("forged", idA);
      assertNotEquals(idA, idB);
    }
  }

  @Test
  @DisplayName("with a token configured, refuses sockets and frames without it, and never forwards it")
  void token() throws Exception {
    BridgeClient stranger = BridgeClient.connect(vertx, tokenGatewayPort, "stranger");
    stranger.awaitClosed();
    BridgeClient wrong = BridgeClient.connect(vertx, tokenGatewayPort, "wrong", "token=guess");
    wrong.awaitClosed();
    try (BridgeClient browser = BridgeClient.connect(vertx, tokenGatewayPort, "browser", "token=" + TOKEN)) {
      JsonObject read = new JsonObject().put("action", "read");
      browser.send(GUARDED, read);
      assertEquals("rejected", browser.nextError());
      browser.send(GUARDED, read, new JsonObject().put("token", "guess"));
      assertEquals("rejected", browser.nextError());
      browser.register(NEWS);
      assertEquals("rejected", browser.nextError());
      browser.send(GUARDED, read, new JsonObject().put("token", TOKEN));
      MultiMap headers = nextGuarded();
      assertNotNull(headers);
      assertNull(headers.get("token"), "the token stays in the gateway");
      assertNull(guarded.poll(QUIET_MS, TimeUnit.MILLISECONDS), "only the frame with the token came through");
    }
  }

  @Test
  @DisplayName("lets a bridge user and a WebSocket user chat in one room, and tells the room when the bridge user leaves")
  void chatOverTheBridge() {
    String room = "bridge-room";
    try (WsClient will = WsClient.connect(vertx, port, "/chat", "will");
         BridgeClient bea = BridgeClient.connect(vertx, port, "bea")) {
      will.nextJson();
      will.nextJson();
      will.send("{\"type\":\"name\",\"name\":\"will\"}");
      will.send("{\"type\":\"create\",\"chatroom\":\"" + room + "\"}");
      will.send("{\"type\":\"join\",\"chatroom\":\"" + room + "\"}");
      will.expect(event("{\"type\":\"newchatroom\",\"name\":\"" + room + "\"}"), update(room, 1),
        "{\"type\":\"join\",\"chatroom\":\"" + room + "\"}");

      assertEquals(new JsonArray().add(new JsonObject("{\"type\":\"query\",\"query\":\"name\"}")),
        bea.ask(ChatService.BRIDGE_ADDRESS, new JsonObject().put("type", "join").put("chatroom", room)),
        "without a name the service asks for one");
      JsonArray listing = (JsonArray) bea.ask(ChatService.BRIDGE_ADDRESS, chat("name", null));
      assertTrue(listing.getJsonObject(0).getJsonObject("event").getJsonArray("chatrooms")
        .contains(new JsonArray().add(room).add(1)), listing.encode());

      bea.register(ChatService.LOBBY_ADDRESS);
      awaitDelivery(bea, ChatService.LOBBY_ADDRESS);
      assertEquals(new JsonArray().add(new JsonObject().put("type", "join").put("chatroom", room)),
        bea.ask(ChatService.BRIDGE_ADDRESS, chat("join", room)));
      will.expect(event("{\"type\":\"newuser\",\"name\":\"bea\"}"), update(room, 2));
      assertEquals(new JsonObject(update(room, 2)), bea.nextOn(ChatService.LOBBY_ADDRESS));
      bea.register(ChatService.roomAddress(room));
      awaitDelivery(bea, ChatService.roomAddress(room));

      assertEquals(new JsonArray(), bea.ask(ChatService.BRIDGE_ADDRESS, chat("message", "hello from the bridge")));
      String fromBea = event("{\"type\":\"message\",\"name\":\"bea\",\"message\":\"hello from the bridge\"}");
      will.expect(fromBea);
      assertEquals(new JsonObject(fromBea), bea.nextOn(ChatService.roomAddress(room)));

      will.send("{\"type\":\"message\",\"message\":\"hello from the socket\"}");
      String fromWill = event("{\"type\":\"message\",\"name\":\"will\",\"message\":\"hello from the socket\"}");
      will.expect(fromWill);
      assertEquals(new JsonObject(fromWill), bea.nextOn(ChatService.roomAddress(room)));

      bea.close();
      will.expect(event("{\"type\":\"logoff\",\"name\":\"bea\"}"), update(room, 1));
    }
  }

  @Test
  @DisplayName("refuses to register an address longer than maxAddressLength, and takes one within it")
  void maxAddressLength() {
    try (BridgeClient browser = BridgeClient.connect(vertx, limitedGatewayPort, "browser")) {
      String tooLong = "probe." + "x".repeat(15); // 21 characters
      browser.register(tooLong);
      assertEquals("max_address_length_reached", browser.nextError());
      String fits = "probe." + "y".repeat(14);    // 20 characters
      browser.register(fits);
      awaitDelivery(browser, fits);
      vertx.eventBus().publish(tooLong, "never delivered");
      vertx.eventBus().publish(fits, "delivered");
      assertEquals("delivered", browser.nextOn(fits));
      assertTrue(browser.received().stream().noneMatch(f -> tooLong.equals(f.getString("address"))), browser.received().toString());
    }
  }

  @Test
  @DisplayName("answers a browser's request nobody replies to with a TIMEOUT error after replyTimeoutMs")
  void replyTimeout() {
    try (BridgeClient browser = BridgeClient.connect(vertx, limitedGatewayPort, "browser")) {
      String replyAddress = browser.request(SILENT, new JsonObject().put("q", 1), null);
      JsonObject err = browser.await("the request's failure", f -> "err".equals(f.getString("type"))
        && replyAddress.equals(f.getString("address")));
      assertEquals("TIMEOUT", err.getString("failureType"), err.encode());
    }
  }

  @Test
  @DisplayName("closes a bridge socket that stops pinging for pingTimeoutMs, and keeps one that pings")
  void pingTimeout() {
    try (BridgeClient pinging = BridgeClient.connect(vertx, limitedGatewayPort, "pinging")) {
      // a raw socket on the bridge's transport that never sends the bridge's ping frame
      WsClient silent = WsClient.connect(vertx, limitedGatewayPort, "/eventbus/websocket", "silent");
      silent.awaitClose(30_000); // the bridge checks every pingTimeoutMs: closed within twice that
      String replyAddress = pinging.request(SILENT, new JsonObject(), null);
      assertEquals("TIMEOUT", pinging.await("an answer on the live socket", f -> replyAddress.equals(f.getString("address")))
        .getString("failureType"), "the socket that pings every 2 s is still served");
    }
  }

  @Test
  @DisplayName("refuses bridge permissions that are unknown, ambiguous or not valid regular expressions, naming the key")
  void badPermissions() {
    assertConfigError(new JsonObject().put("inbound", new JsonArray().add(new JsonObject().put("adress", "a"))),
      "unknown key \"adress\"; did you mean \"address\"?");
    assertConfigError(new JsonObject().put("inbound", new JsonArray().add(new JsonObject())),
      "\"inbound[0]\" must name exactly one of \"address\" and \"addressRegex\"");
    assertConfigError(new JsonObject().put("outbound", new JsonArray().add(new JsonObject().put("address", "a").put("addressRegex", "a"))),
      "\"outbound[0]\" must name exactly one of");
    assertConfigError(new JsonObject().put("outbound", new JsonArray().add(new JsonObject().put("addressRegex", "demo.(chat"))),
      "\"addressRegex\" is not a valid regular expression");
    assertConfigError(new JsonObject().put("inbound", new JsonArray().add("demo.chat")), "\"inbound[0]\" must be a JSON object");
    assertConfigError(new JsonObject().put("pingTimeout", 5000), "unknown key \"pingTimeout\"; did you mean \"pingTimeoutMs\"?");
    GatewayOptions defaults = GatewayOptions.fromJson(new JsonObject(), Map.of());
    assertEquals(List.of(), defaults.bridge().inbound());
    assertEquals(List.of(), defaults.bridge().outbound());
    assertNull(defaults.bridge().token());
  }

  @Test
  @DisplayName("serves the bridge page and both client libraries itself, and points SockJS at the local copy")
  void servesItsOwnClient() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String page = get(http, "/bridge.html");
    for (String script : List.of("vendor/sockjs-client/sockjs.min.js", "vendor/vertx-eventbus/vertx-eventbus.js", "bridge.js")) {
      assertTrue(page.contains("<script src=\"" + script + "\">"), page);
      assertFalse(get(http, "/" + script).isEmpty());
    }
    assertFalse(page.contains("//cdn") || page.contains("http://") || page.contains("https://"), page);
    assertTrue(get(http, "/vendor/sockjs-client/sockjs.min.js").startsWith("/* sockjs-client v1.6.1"));
    assertTrue(get(http, "/eventbus/iframe.html").contains("src=\"/vendor/sockjs-client/sockjs.min.js\""));
    assertTrue(get(http, "/eventbus/info").contains("\"websocket\":true"));
  }

  private static String get(HttpClient http, String path) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
      URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), path);
    return response.body();
  }

  @Test
  @DisplayName("ships a gateway.json that opens the chat's bridge addresses and none of Switchboard's own")
  void shippedConf() throws Exception {
    JsonObject json = new JsonObject(Files.readString(Path.of("conf", "gateway.json")));
    BridgeOptions bridge = GatewayOptions.fromJson(json, Map.of()).bridge();
    assertTrue(covers(bridge.inbound(), ChatService.BRIDGE_ADDRESS));
    assertTrue(covers(bridge.outbound(), ChatService.LOBBY_ADDRESS));
    assertTrue(covers(bridge.outbound(), ChatService.roomAddress("any room, even.with.dots")));
    for (String internal : List.of(Addresses.service("chat"), Addresses.serviceInstance("chat", "1a2b3c4d"),
      Addresses.gateway("1a2b3c4d"), Addresses.GROUPS, Addresses.REGISTRY, Addresses.REGISTRY_HELLO,
      Addresses.BRIDGE_CLOSED, ChatService.ROOM_ADDRESS_PREFIX, "demo.chat.roomsX")) {
      assertFalse(covers(bridge.inbound(), internal), "inbound permits " + internal);
      assertFalse(covers(bridge.outbound(), internal), "outbound permits " + internal);
    }
    assertFalse(covers(bridge.inbound(), ChatService.LOBBY_ADDRESS), "browsers must not publish fake room events");
    assertFalse(covers(bridge.inbound(), ChatService.roomAddress("lobby")), "browsers must not publish fake room events");
  }

  private static boolean covers(List<BridgeOptions.Permission> permissions, String address) {
    return permissions.stream().anyMatch(p -> p.coversAddress(address));
  }

  private static void assertConfigError(JsonObject bridge, String expected) {
    ConfigException e = assertThrows(ConfigException.class,
      () -> GatewayOptions.fromJson(new JsonObject().put("bridge", bridge), Map.of()));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertTrue(e.getMessage().startsWith("gateway config \"bridge\""), e.getMessage());
  }

  /** The bridge does not acknowledge a registration: publish until one arrives, then drop the probes. */
  private static void awaitDelivery(BridgeClient client, String address) {
    long timer = vertx.setPeriodic(50, id -> vertx.eventBus().publish(address, "probe-" + address));
    try {
      assertEquals("probe-" + address, client.nextOn(address));
    } finally {
      vertx.cancelTimer(timer);
    }
    String last = "last-probe-" + address;
    vertx.eventBus().publish(address, last);
    while (!last.equals(client.nextOn(address))) {
      // drain the probes still on their way
    }
  }

  private static MultiMap nextGuarded() {
    try {
      return guarded.poll(WsClient.TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static JsonObject chat(String type, String arg) {
    JsonObject cmd = new JsonObject().put("type", type).put("name", "bea");
    if ("join".equals(type)) {
      cmd.put("chatroom", arg);
    } else if ("message".equals(type)) {
      cmd.put("message", arg);
    }
    return cmd;
  }

  private static String event(String inner) {
    return "{\"type\":\"event\",\"event\":" + inner + "}";
  }

  private static String update(String room, int count) {
    return event("{\"type\":\"update\",\"data\":[\"" + room + "\"," + count + "]}");
  }

  private static int deployGateway(JsonObject bridge) throws Exception {
    GatewayVerticle gateway = new GatewayVerticle();
    JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0)
      .put("routes", new JsonObject().put("/chat", "chat"));
    if (bridge != null) {
      conf.put("bridge", bridge);
    }
    await(vertx.deployVerticle(gateway, new DeploymentOptions().setConfig(conf)));
    return gateway.actualPort();
  }
}
