package io.switchboard;

import io.switchboard.demo.ChatService;
import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.TestCluster;
import io.switchboard.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The services JVM under the attack of issue 10, item 4 (thousands of {@code create}s with 60 KB
 * room names from one client): the chat's bounds answer with notices, the JVM's heap stays small,
 * and another user's chat goes on. Also the SDK's per-service bounds ({@code maxMessageSize},
 * {@code maxMessagesPerSecond}) on an echo service.
 */
@DisplayName("A service's bounds hold against one client")
class ServiceLimitsTest {

  private static final TestCluster cluster = new TestCluster();
  private static Vertx vertx;
  private static JvmProcess gateway;
  private static JvmProcess services;
  private static int port;

  @BeforeAll
  static void startCluster() throws IOException {
    vertx = Vertx.vertx();
    port = TestCluster.freePort();
    Path conf = Files.createDirectories(Path.of("target", "limits-test")).resolve("services.json");
    Files.writeString(conf, new JsonObject().put("services", new JsonArray()
      .add(new JsonObject().put("verticle", "io.switchboard.demo.ChatService").put("conf", "conf/chat.json"))
      .add(new JsonObject().put("verticle", "io.switchboard.demo.EchoService").put("config", new JsonObject()
        .put("name", "echolimited").put("paths", new JsonArray().add("/echo-limited"))
        .put("maxMessageSize", 100).put("maxMessagesPerSecond", 5)))).encodePrettily());
    gateway = JvmProcess.launch("limits-gateway", cluster.jvmArgs(),
      Map.of("SWITCHBOARD_PORT", Integer.toString(port), "SWITCHBOARD_HOST", "127.0.0.1"),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", "conf/gateway.json", "-cluster");
    gateway.await("Succeeded in deploying verticle", 60_000);
    services = JvmProcess.launch("limits-services", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", conf.toString(), "-cluster");
    services.await("Service host deployed", 60_000);
    awaitRoutable("/chat");
    awaitRoutable("/echo-limited");
  }

  @AfterAll
  static void stopCluster() {
    for (JvmProcess p : new JvmProcess[]{services, gateway}) {
      if (p != null) {
        p.close();
      }
    }
    vertx.close();
  }

  @Test
  @DisplayName("thousands of creates with 60 KB room names get notices, the heap stays small, and another user's chat goes on")
  void roomFlood() {
    WsClient ada = named("ada");
    ada.send(new JsonObject().put("type", "create").put("chatroom", "lobby"));
    awaitEvent(ada, e -> "newchatroom".equals(e.getString("type")) && "lobby".equals(e.getString("name")));
    join(ada, "lobby");

    WsClient mallory = named("mallory");
    String huge = "x".repeat(60 * 1024);
    int hugeCreates = 1000;
    int smallCreates = ChatService.DEFAULT_MAX_ROOMS + 100;
    for (int i = 0; i < hugeCreates; i++) {
      mallory.send(new JsonObject().put("type", "create").put("chatroom", huge + i));
      if (i == hugeCreates / 2) {
        say(ada, "lobby", "still here");  // in the middle of the flood
      }
    }
    for (int i = 0; i < smallCreates; i++) {
      mallory.send(new JsonObject().put("type", "create").put("chatroom", "r" + i));
    }
    mallory.send(new JsonObject().put("type", "join").put("chatroom", "r0"));
    mallory.send(new JsonObject().put("type", "message").put("message", "y".repeat(ChatService.DEFAULT_MAX_MESSAGE_LENGTH + 1)));
    mallory.send(new JsonObject().put("type", "join").put("chatroom", huge));

    // every refusal is a notice: the long names (the join's too), the creates over maxRooms (lobby
    // is ada's), the long message
    int refusedCreates = smallCreates - (ChatService.DEFAULT_MAX_ROOMS - 1);
    int tooLong = 0;
    int tooMany = 0;
    int messageTooLong = 0;
    int created = 0;
    while (tooLong + tooMany + messageTooLong < hugeCreates + 1 + refusedCreates + 1) {
      JsonObject m = mallory.nextJson();
      if ("notice".equals(m.getString("type"))) {
        String notice = m.getString("notice");
        assertTrue(notice.length() < 200, "a notice never echoes a huge name: " + notice.length() + " characters");
        if (notice.equals("Room names are at most 64 characters.")) {
          tooLong++;
        } else if (notice.equals("There are 1000 chatrooms already; no more can be created.")) {
          tooMany++;
        } else {
          assertEquals("Messages are at most 4096 characters.", notice);
          messageTooLong++;
        }
      } else if ("event".equals(m.getString("type")) && "newchatroom".equals(m.getJsonObject("event").getString("type"))) {
        created++;
      }
    }
    assertEquals(hugeCreates + 1, tooLong, "a notice for each over-long room name (the join too)");
    assertEquals(refusedCreates, tooMany, "a notice for each create over maxRooms");
    assertEquals(1, messageTooLong, "a notice for the long message");
    assertEquals(ChatService.DEFAULT_MAX_ROOMS - 1, created, "rooms up to maxRooms were created");

    // the services JVM is alive with a small heap; an unbounded chat would hold 60+ MB of names
    long heap = usedHeapAfterGc(services.pid());
    System.out.printf("services JVM heap after the flood (after a full GC): %d KB%n", heap / 1024);
    assertTrue(heap < 64L * 1024 * 1024, "services JVM heap after the flood: " + heap / 1024 + " KB");

    // ada's chat went on, and a newcomer gets a bounded listing and joins her room by name
    awaitEvent(ada, e -> "message".equals(e.getString("type")) && "still here".equals(e.getString("message")));
    WsClient bob = WsClient.connect(vertx, port, "/chat", "bob");
    assertEquals("query", bob.nextJson().getString("type"));
    JsonArray listing = bob.nextJson().getJsonObject("event").getJsonArray("chatrooms");
    assertEquals(ChatService.DEFAULT_MAX_LISTED_ROOMS, listing.size());
    assertEquals("lobby", listing.getJsonArray(0).getString(0));
    bob.send(new JsonObject().put("type", "name").put("name", "bob"));
    join(bob, "lobby");
    say(bob, "lobby", "hello ada");
    awaitEvent(ada, e -> "message".equals(e.getString("type")) && "hello ada".equals(e.getString("message")));
    assertFalse(ada.isClosed() || bob.isClosed() || mallory.isClosed(), "nobody was disconnected");
    ada.close();
    bob.close();
    mallory.close();
  }

  @Test
  @DisplayName("a user name over maxUserNameLength gets a notice and the client stays un-named")
  void longUserName() {
    try (WsClient c = WsClient.connect(vertx, port, "/chat", "longname")) {
      c.nextJson();
      c.nextJson();
      c.send(new JsonObject().put("type", "name").put("name", "n".repeat(ChatService.DEFAULT_MAX_USER_NAME_LENGTH + 1)));
      assertEquals(new JsonObject().put("type", "notice").put("notice", "Names are at most 32 characters."), c.nextJson());
      c.send(new JsonObject().put("type", "create").put("chatroom", "x"));
      assertEquals(new JsonObject().put("type", "query").put("query", "name"), c.nextJson());
    }
  }

  @Test
  @DisplayName("a service's maxMessageSize closes a session 1009, its maxMessagesPerSecond closes one 1008, others go on")
  void sdkLimits() {
    try (WsClient normal = WsClient.connect(vertx, port, "/echo-limited", "normal")) {
      try (WsClient big = WsClient.connect(vertx, port, "/echo-limited", "big")) {
        big.send("b".repeat(100));
        assertEquals("b".repeat(100), big.next());
        big.send("b".repeat(101));
        assertEquals(1009, big.awaitClose());
        assertTrue(big.closeReason().startsWith("Message too big for service echolimited"), big.closeReason());
      }
      try (WsClient fast = WsClient.connect(vertx, port, "/echo-limited", "fast")) {
        for (int i = 0; i < 50; i++) {
          fast.send("m" + i);
        }
        assertEquals(1008, fast.awaitClose());
        assertTrue(fast.closeReason().startsWith("Too many messages for service echolimited"), fast.closeReason());
      }
      normal.send("still served");
      assertEquals("still served", normal.next());
    }
  }

  private static WsClient named(String name) {
    WsClient c = WsClient.connect(vertx, port, "/chat", name);
    assertEquals("query", c.nextJson().getString("type"));
    assertEquals("listing", c.nextJson().getJsonObject("event").getString("type"));
    c.send(new JsonObject().put("type", "name").put("name", name));
    return c;
  }

  private static void join(WsClient c, String room) {
    c.send(new JsonObject().put("type", "join").put("chatroom", room));
    while (!new JsonObject().put("type", "join").put("chatroom", room).equals(c.nextJson())) {
      // skip room events and counts
    }
  }

  private static void say(WsClient c, String room, String text) {
    c.send(new JsonObject().put("type", "message").put("message", text));
  }

  /** Skips messages until an event matching {@code test} arrives (each within WsClient's timeout). */
  private static void awaitEvent(WsClient c, Predicate<JsonObject> test) {
    for (int i = 0; i < 10_000; i++) {
      JsonObject m = c.nextJson();
      if ("event".equals(m.getString("type")) && test.test(m.getJsonObject("event"))) {
        return;
      }
    }
    throw new AssertionError("no matching event in 10 000 messages");
  }

  /** The used heap of a JVM after a full GC, from {@code jcmd <pid> GC.heap_info}. */
  private static long usedHeapAfterGc(long pid) {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    JvmProcess gc = JvmProcess.start("limits-jcmd-gc", List.of(jcmd, Long.toString(pid), "GC.run"), Map.of());
    assertEquals(0, gc.awaitExit(60_000), gc.output());
    JvmProcess info = JvmProcess.start("limits-jcmd-heap", List.of(jcmd, Long.toString(pid), "GC.heap_info"), Map.of());
    assertEquals(0, info.awaitExit(60_000), info.output());
    Matcher m = Pattern.compile("total \\d+K, used (\\d+)K").matcher(info.output());
    assertTrue(m.find(), info.output());
    return Long.parseLong(m.group(1)) * 1024;
  }

  private static void awaitRoutable(String path) {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      try (WsClient c = WsClient.connect(vertx, port, path)) {
        if (path.startsWith("/echo")) {
          c.send("ping");
        }
        c.next();
        return;
      } catch (AssertionError e) {
        if (System.currentTimeMillis() > deadline) {
          throw new AssertionError(path + " never became routable; gateway said:\n" + gateway.output(), e);
        }
      }
    }
  }
}
