package io.switchboard;

import io.switchboard.TcpBridgeTest.Client;
import io.switchboard.protocol.Addresses;
import io.switchboard.testing.ChatScenario;
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
import org.junit.jupiter.api.Timeout;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The attacks of issue 10 on the TCP bridge, against real JVMs: a gateway and a services JVM
 * (chat, echo and the TCP bridge, conf/services.json) on a private cluster. An attacker holding
 * the {@code py_chat} token (a local process that read the token file) tries to announce for
 * others, to reach sessions that are not its own, and to kill the services JVM with a huge length
 * prefix; a real user's {@code /chat} session is checked around every attack.
 */
@DisplayName("The TCP bridge under attack, in a real cluster")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(300)
class BridgeAttackTest {

  private static final TestCluster cluster = new TestCluster();
  private static Vertx vertx;
  private static JvmProcess gateway;
  private static JvmProcess services;
  private static int port;
  private static int bridgePort;
  private static String token;
  private static WsClient alice;
  private static String realGateway;
  private static String probeSid;
  private static int rounds;

  @BeforeAll
  static void startAll() throws Exception {
    vertx = Vertx.vertx();
    port = TestCluster.freePort();
    Path tokenFile = Files.createTempDirectory(Path.of("target"), "attack-").resolve("bridge.tokens");
    gateway = JvmProcess.launch("attack-gateway", cluster.jvmArgs(),
      Map.of("SWITCHBOARD_PORT", Integer.toString(port), "SWITCHBOARD_HOST", "127.0.0.1"),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", "conf/gateway.json", "-cluster");
    gateway.await("Gateway node .* ready", 60_000);
    services = JvmProcess.launch("attack-services", cluster.jvmArgs(),
      Map.of("SWITCHBOARD_BRIDGE_TOKEN_FILE", tokenFile.toString()),
      "run", "io.switchboard.host.ServiceHost", "-conf", "conf/services.json", "-cluster");
    Matcher ready = services.await("TCP bridge ready on 127\\.0\\.0\\.1:(\\d+)", 60_000);
    bridgePort = Integer.parseInt(ready.group(1));
    services.await("Service host deployed", 30_000);
    token = new JsonObject(Files.readString(tokenFile)).getJsonObject("services").getString("py_chat");
    alice = awaitChat("alice");
  }

  @AfterAll
  static void stopAll() {
    if (alice != null) {
      alice.close();
    }
    for (JvmProcess p : new JvmProcess[]{services, gateway}) {
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
  @DisplayName("refuses announces for another service, the gateway, a host, reserved paths or with a tiny heartbeat; /chat keeps working")
  void fakeAnnounces() throws Exception {
    try (Client attacker = new Client(bridgePort, token)) {
      String instance = Addresses.serviceInstance("py_chat", "evil");
      attacker.write(TcpBridgeTest.register(Addresses.service("py_chat")));
      attacker.write(TcpBridgeTest.register(instance));
      learnGateway(attacker);

      JsonObject own = TcpBridgeTest.announce("py_chat", instance).put("paths", new JsonArray().add("/py_chatroom"));
      List<JsonObject> attacks = List.of(
        TcpBridgeTest.announce("chat", Addresses.serviceInstance("chat", "evil")).put("paths", new JsonArray().add("/chat")),
        TcpBridgeTest.announce("chat", instance).put("paths", new JsonArray().add("/chat")),
        own.copy().put("role", "gateway").put("instance", realGateway).put("heartbeatMs", 1),
        own.copy().put("role", "gateway").put("instance", realGateway),
        own.copy().put("role", "host").put("instance", Addresses.host("evil")),
        own.copy().put("paths", new JsonArray().add("/")),
        own.copy().put("paths", new JsonArray().add("/admin/")),
        own.copy().put("paths", new JsonArray().add("/chat")),
        own.copy().put("heartbeatMs", 1),
        new JsonObject().put("op", "withdraw").put("role", "gateway").put("instance", realGateway));
      for (JsonObject attack : attacks) {
        attacker.write(TcpBridgeTest.registryPublish(attack));
        String err = attacker.readErr();
        assertTrue(err.startsWith("switchboard bridge: "), err);
      }
      // the gateway was not dropped, nothing took /chat: six new sessions all reach the real chat
      for (int i = 0; i < 6; i++) {
        try (WsClient c = WsClient.connect(vertx, port, "/chat", "new-" + i)) {
          assertEquals("name", c.nextJson().getString("query"), "served by the real chat");
        }
      }
      assertNull(attacker.readWithin(300), "the attacker got no open");
      assertEquals(200, httpStatus("/"), "/ is still the chat page");
      assertNotEquals(426, httpStatus("/admin/"), "/admin/ is not taken for a WebSocket path");
      aliceStillChats();
    }
  }

  @Test
  @Order(2)
  @DisplayName("refuses pushes and closes to sessions not bound to the client, guessed ids included")
  void foreignSessions() throws Exception {
    try (Client attacker = new Client(bridgePort, token)) {
      attacker.write(TcpBridgeTest.register(Addresses.service("py_chat")));
      attacker.write(TcpBridgeTest.register(Addresses.serviceInstance("py_chat", "evil")));
      learnGateway(attacker);
      // a real id that was bound to the attacker until its session closed, the counters that ids
      // once were, and ids of today's shape (<node>.<22 random characters>)
      String node = probeSid.substring(0, probeSid.lastIndexOf('.'));
      List<String> guesses = new ArrayList<>(List.of(probeSid));
      for (long i = 0; i < 10; i++) {
        guesses.add(node + "." + i);
        guesses.add(node + "." + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 22));
      }
      for (String sid : guesses) {
        attacker.write(TcpBridgeTest.push(realGateway, "text", sid, "{\"type\":\"message\",\"message\":\"pwned\"}"));
        assertTrue(attacker.readErr().contains("is not bound to an instance of py_chat"));
        attacker.write(TcpBridgeTest.push(realGateway, "close", sid, null)
          .put("headers", new JsonObject().put("sb.op", "close").put("sb.sid", sid).put("sb.code", "1000")));
        assertTrue(attacker.readErr().contains("is not bound to an instance of py_chat"));
      }
      attacker.write(TcpBridgeTest.groupPublish("chat/lobby", "pwned"));
      assertTrue(attacker.readErr().contains("publishes only to its groups"));
      aliceStillChats();
      alice.assertQuiet();
      assertFalse(alice.isClosed());
    }
  }

  @Test
  @Order(3)
  @DisplayName("closes on 2 GiB and negative length prefixes and on malformed frames; the services JVM lives with its heap bounded")
  void lengthPrefixes() throws Exception {
    long heapBefore = heapUsedKb(services.pid());
    for (int length : new int[]{Integer.MAX_VALUE, 0x80000000, -2}) {
      try (Client c = new Client(bridgePort, null)) {
        c.out.writeInt(length);
        c.out.flush();
        assertTrue(c.readErr().contains("frame length " + Integer.toUnsignedLong(length) + " is not from 1 to "));
        c.assertClosed();
      }
    }
    // the attack as it was: a 2 GiB prefix, then the bytes, as fast as they go
    long sent = 0;
    try (Socket s = new Socket("127.0.0.1", bridgePort)) {
      s.setSoTimeout(20_000);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(Integer.MAX_VALUE);
      byte[] chunk = new byte[1 << 20];
      try {
        for (int i = 0; i < 256; i++) {
          out.write(chunk);
          sent += chunk.length;
        }
        fail256(sent);
      } catch (IOException closed) {
        // the bridge closed the connection: the rest was never buffered
      }
      InputStream in = s.getInputStream();
      try {
        while (in.read() >= 0) {
          // the err frame, then EOF
        }
      } catch (IOException reset) {
        // or a reset
      }
    }
    try (Client c = new Client(bridgePort, token)) {
      c.write(TcpBridgeTest.ping());
      assertEquals("pong", c.read().getString("type"));
      c.rawBytes("{not json".getBytes());
      assertTrue(c.readErr().contains("a frame is a JSON object"));
      c.assertClosed();
    }
    try (Client c = new Client(bridgePort, token)) {
      c.write(TcpBridgeTest.ping());
      assertEquals("pong", c.read().getString("type"), "the bridge serves the next client");
    }
    long heapAfter = heapUsedKb(services.pid());
    System.out.printf("services JVM heap used: %d KiB before, %d KiB after the length-prefix attacks (-Xmx256m); "
      + "%d MiB sent after a 2 GiB prefix before the bridge closed%n", heapBefore, heapAfter, sent >> 20);
    assertTrue(sent < 256L << 20, "the bridge closed the connection before 256 MiB arrived");
    assertFalse(services.printed(l -> l.contains("OutOfMemoryError")), "no OOM in the services JVM");
    aliceStillChats();
  }

  @Test
  @Order(4)
  @DisplayName("leaves the whole chat protocol working at /chat")
  void chatAfterwards() {
    new ChatScenario(vertx, port, "/chat", "after-").run();
    aliceStillChats();
  }

  // -- helpers -------------------------------------------------------------------------------------

  /** Opens a /py_chatroom session that reaches the attacker: its open names the real gateway and a session id. */
  private static void learnGateway(Client attacker) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      try (WsClient probe = WsClient.connect(vertx, port, "/py_chatroom", "probe")) {
        JsonObject open = attacker.readWithin(3000);
        while (open != null && !"open".equals(open.getJsonObject("headers", new JsonObject()).getString("sb.op"))) {
          open = attacker.readWithin(3000);
        }
        if (open != null) {
          realGateway = open.getJsonObject("headers").getString("sb.gw");
          probeSid = open.getJsonObject("headers").getString("sb.sid");
          attacker.write(new JsonObject().put("type", "send").put("address", open.getString("replyAddress"))
            .put("failureCode", 1013).put("message", "probe"));
          probe.awaitClose();
          return;
        }
      }
      assertTrue(System.currentTimeMillis() < deadline, "no open reached the attacker's py_chat registration");
    }
  }

  private static WsClient awaitChat(String name) {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      WsClient c = WsClient.connect(vertx, port, "/chat", name);
      try {
        assertEquals("name", c.nextJson().getString("query"));
        assertEquals("listing", c.nextJson().getJsonObject("event").getString("type"));
        c.send("{\"type\":\"name\",\"name\":\"" + name + "\"}");
        return c;
      } catch (AssertionError e) {
        c.close();
        if (System.currentTimeMillis() > deadline) {
          throw e;
        }
      }
    }
  }

  /** A request and its answer on alice's session: she is still served by the real chat. */
  private static void aliceStillChats() {
    String room = "nowhere-" + (++rounds);
    alice.send("{\"type\":\"join\",\"chatroom\":\"" + room + "\"}");
    JsonObject notice = new JsonObject().put("type", "notice").put("notice", "Chatroom " + room + " not found.");
    for (JsonObject got = alice.nextJson(); !notice.equals(got); got = alice.nextJson()) {
      assertEquals("event", got.getString("type"), "alice gets only the chat's room events besides her answer: " + got);
    }
    assertFalse(alice.isClosed());
  }

  private static int httpStatus(String path) throws Exception {
    HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
      .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
    return r.statusCode();
  }

  private static void fail256(long sent) {
    throw new AssertionError("the bridge took " + (sent >> 20) + " MiB after a 2 GiB length prefix without closing");
  }

  /** The used heap of a JVM, from {@code jcmd <pid> GC.heap_info}, in KiB (-1 when jcmd cannot tell). */
  private static long heapUsedKb(long pid) throws Exception {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
      Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    p.waitFor(30, TimeUnit.SECONDS);
    Matcher m = java.util.regex.Pattern.compile("total \\d+K, used (\\d+)K").matcher(out);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }
}
