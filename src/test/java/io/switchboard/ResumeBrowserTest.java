package io.switchboard;

import io.switchboard.history.GroupHistory;
import io.switchboard.testing.Await;
import io.switchboard.testing.ChatPage;
import io.switchboard.testing.JvmProcess;
import io.switchboard.testing.RawWebSocket;
import io.switchboard.testing.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13 in real headless Chromium: the demo page {@code /} on {@code /switchboard.js}
 * ({@code switchboard.v1}) against two gateway JVMs and a services JVM whose chat rooms keep a
 * history, on a private Hazelcast cluster. The page lists both gateways ({@code ?gateways=}), so
 * when the one it is on dies ({@code kill -9}) it resumes through the other: it shows what was
 * posted meanwhile exactly once, in order, and what its user typed while disconnected reaches the
 * room exactly once, in order. While a page is "disconnected" here, its browser is also offline
 * (DevTools' network emulation: no new connection), so that what happens meanwhile is really
 * missed and really queued, however fast the page would reconnect. The steps build on each other.
 */
@DisplayName("The demo page on switchboard.js resumes through another gateway")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ResumeBrowserTest {

  /** Rooms whose names start with this keep a long history: {@code room:lobby*}. */
  private static final String ROOM = "lobby";
  /** Rooms whose names start with this keep only {@value #SHORT_HISTORY} messages: {@code room:tiny*}. */
  private static final String SHORT_ROOM = "tiny";
  private static final int SHORT_HISTORY = 3;
  private static final Duration RECONNECT = Duration.ofSeconds(60);

  private static final TestCluster cluster = new TestCluster();
  private static Path dir;
  private static int port1;
  private static int port2;
  private static JvmProcess gateway1;
  private static JvmProcess gateway2;
  private static JvmProcess services;
  private static final List<AutoCloseable> pages = new ArrayList<>();
  private static ChatPage ann;
  private static ChatPage bob;
  private static ChatPage cy;
  /** Why this build cannot run the tests (a part of issue 13 not built yet), or null. */
  private static String missing;

  @BeforeAll
  static void start() throws IOException {
    missing = groupHistoryMissing();
    if (missing != null) {
      return;
    }
    dir = Files.createDirectories(Path.of("target", "resume-browser-test"));
    port1 = TestCluster.freePort();
    port2 = TestCluster.freePort();
    gateway1 = launchGateway("resume-gateway-1", port1);
    gateway2 = launchGateway("resume-gateway-2", port2);
    services = JvmProcess.launch("resume-services", cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.host.ServiceHost", "-conf", servicesConf().toString(), "-cluster");
    services.await("Service chat ready at", 90_000);
    missing = resumeProtocolMissing();
    if (missing != null) {
      return;
    }
    // ann's page came from gateway 1 and may use both gateways; bob's lives on gateway 2
    ann = page("ann (page on gateway 1, may move to gateway 2)",
      "http://127.0.0.1:" + port1 + "/?gateways=127.0.0.1:" + port1 + ",127.0.0.1:" + port2);
    bob = page("bob (page on gateway 2)", "http://127.0.0.1:" + port2 + "/");
    ann.awaitStatus("connected", ChatPage.WAIT);
    bob.awaitStatus("connected", ChatPage.WAIT);
    ann.setName("ann");
    bob.setName("bob");
  }

  /**
   * Issue 13 lands in three parts (group history, the gateway's {@code switchboard.v1}, this
   * page); on a build without the other two this class is skipped, saying which part is missing.
   */
  private static String groupHistoryMissing() {
    Vertx vertx = Vertx.vertx();
    try {
      GroupHistory.of(vertx);
      return null;
    } catch (UnsupportedOperationException e) {
      return "group history is not built yet (issue 13): " + e.getMessage();
    } finally {
      vertx.close();
    }
  }

  /** Why the gateway cannot run this test: it does not accept the subprotocol {@code switchboard.v1} on /chat. */
  private static String resumeProtocolMissing() {
    RawWebSocket answer = awaitChatRouted(port1);
    String chosen = answer.headers.get("sec-websocket-protocol");
    return "switchboard.v1".equals(chosen) ? null
      : "the gateway does not speak switchboard.v1 yet (issue 13): it answered Sec-WebSocket-Protocol " + chosen;
  }

  /** Waits until the gateway on this port routes /chat (it learns the service from the cluster); returns its answer. */
  private static RawWebSocket awaitChatRouted(int port) {
    return Await.until("/chat routed at port " + port, 30_000,
      () -> RawWebSocket.handshake(port, RawWebSocket.head("GET", "/chat", "Sec-WebSocket-Protocol: switchboard.v1")),
      ws -> ws.status == 101);
  }

  /** The gateway URL a page's client is on. */
  private static String gatewayOf(ChatPage page) {
    return String.valueOf(page.script("return window.chatClient.url"));
  }

  /** Each test: skipped, saying why, on a build without the other parts of issue 13. */
  @BeforeEach
  void requireIssue13() {
    Assumptions.assumeTrue(missing == null, missing);
  }

  /** The demo chat with history for two families of rooms, long and short. */
  private static Path servicesConf() throws IOException {
    JsonObject chat = new JsonObject(Files.readString(Path.of("conf", "chat.json")))
      .put("history", new JsonObject()
        .put("room:" + ROOM + "*", new JsonObject().put("size", 1000).put("ttlSeconds", 3600))
        .put("room:" + SHORT_ROOM + "*", new JsonObject().put("size", SHORT_HISTORY).put("ttlSeconds", 3600)));
    Path chatConf = dir.resolve("chat.json");
    Files.writeString(chatConf, chat.encodePrettily());
    Path conf = dir.resolve("services.json");
    Files.writeString(conf, new JsonObject().put("services", new JsonArray()
      .add(new JsonObject().put("verticle", "io.switchboard.demo.ChatService").put("conf", chatConf.toString())))
      .encodePrettily());
    return conf;
  }

  private static JvmProcess launchGateway(String name, int port) throws IOException {
    Path conf = dir.resolve(name + ".json");
    Files.writeString(conf, new JsonObject().put("host", "127.0.0.1").put("port", port).encodePrettily());
    JvmProcess p = JvmProcess.launch(name, cluster.jvmArgs(), Map.of(),
      "run", "io.switchboard.gateway.GatewayVerticle", "-conf", conf.toString(), "-cluster");
    p.await("Gateway node .* ready", 90_000);
    return p;
  }

  private static ChatPage page(String name, String url) {
    ChatPage page = ChatPage.open(name, url);
    pages.add(page);
    return page;
  }

  @AfterAll
  static void stop() {
    List<AutoCloseable> all = new ArrayList<>(pages);
    all.add(services);
    all.add(gateway1);
    all.add(gateway2);
    for (AutoCloseable c : all) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception ignored) {
        // keep closing the others
      }
    }
  }

  @Test
  @Order(1)
  @DisplayName("after kill -9 of its gateway, a page resumes through the other: it shows the 5 messages it missed once, "
    + "in order, and the 3 its user typed meanwhile reach the room once, in order")
  void resumesThroughTheOtherGateway() {
    ann.createRoom(ROOM);
    bob.joinRoom(ROOM);
    ann.awaitNotice("bob joined the room");
    bob.say("hi ann");
    ann.awaitMessage("bob", "hi ann");
    ann.say("hi bob");
    bob.awaitMessage("ann", "hi bob");

    assertEquals("ws://127.0.0.1:" + port1 + "/chat", gatewayOf(ann), "ann on gateway 1");
    ann.offline(true);
    gateway1.kill();
    ann.awaitStatus("reconnecting", ChatPage.WAIT);

    List<String> missed = List.of("one", "two", "three", "four", "five");
    for (String text : missed) {
      bob.say(text);
      bob.awaitMessage("bob", text);
    }
    List<String> typed = List.of("typed while away 1", "typed while away 2", "typed while away 3");
    for (String text : typed) {
      ann.say(text);
    }
    assertTrue(ann.statusText().contains("reconnecting"), "ann still disconnected while typing: " + ann.statusText());
    ann.screenshot("resume-ann-disconnected.png");

    // measured, not asserted: from the start of the attempt that succeeds to "recovered"
    ann.script("const sb = window.chatClient, shown = sb.onEvent;"
      + "sb.onEvent = (e) => { (window.eventTimes = window.eventTimes || []).push([e.type, performance.now()]); shown(e); };");
    ann.offline(false);
    ann.awaitStatus("recovered", RECONNECT);
    assertEquals("ws://127.0.0.1:" + port2 + "/chat", gatewayOf(ann), "ann on gateway 2");
    System.out.println("ResumeBrowserTest: ann's resume through gateway 2 took " + ann.script(
      "const t = window.eventTimes, done = t.findLast((e) => e[0] === 'recovered'),"
        + " start = t.findLast((e) => e[0] === 'recovering' && e[1] <= done[1]); return Math.round(done[1] - start[1]);")
      + " ms (socket, resume, replay, resumed); then it said: " + ann.statusText());
    ann.awaitStatus("connected as ann", ChatPage.WAIT);
    ann.awaitRoom(ROOM);

    // one more message each way, live: anything shown twice would come before it
    bob.say("welcome back");
    ann.say("glad to be back");
    ann.awaitMessage("bob", "welcome back");
    bob.awaitMessage("ann", "glad to be back");

    List<String> fromBob = new ArrayList<>(List.of("hi ann"));
    fromBob.addAll(missed);
    fromBob.add("welcome back");
    assertEquals(fromBob, ann.messagesFrom("bob"), "what ann's page shows from bob");
    List<String> fromAnn = new ArrayList<>(List.of("hi bob"));
    fromAnn.addAll(typed);
    fromAnn.add("glad to be back");
    assertEquals(fromAnn, bob.messagesFrom("ann"), "what bob's page shows from ann");
    assertEquals(fromAnn, ann.messagesFrom("ann"), "what ann's page shows from herself");
    ann.screenshot("resume-ann-recovered.png");
    bob.screenshot("resume-bob.png");
  }

  @Test
  @Order(2)
  @DisplayName("a page that missed more than its room's history keeps says \"recovery failed\" and offers a reload")
  void historyTooShort() throws IOException {
    gateway1 = launchGateway("resume-gateway-1-again", port1);
    awaitChatRouted(port1);
    cy = page("cy (page on gateway 1, may move to gateway 2)",
      "http://127.0.0.1:" + port1 + "/?gateways=127.0.0.1:" + port1 + ",127.0.0.1:" + port2);
    cy.awaitStatus("connected", ChatPage.WAIT);
    cy.setName("cy");
    bob.createRoom(SHORT_ROOM);
    cy.joinRoom(SHORT_ROOM);
    bob.awaitNotice("cy joined the room");
    bob.say("before");
    cy.awaitMessage("bob", "before");

    assertEquals("ws://127.0.0.1:" + port1 + "/chat", gatewayOf(cy), "cy on gateway 1");
    cy.offline(true);
    gateway1.kill();
    cy.awaitStatus("reconnecting", ChatPage.WAIT);
    int missed = 10;
    for (int i = 1; i <= missed; i++) {
      bob.say("missed " + i);
      bob.awaitMessage("bob", "missed " + i);
    }
    cy.offline(false);

    cy.awaitStatus("recovery failed", RECONNECT);
    assertTrue(cy.statusText().contains("history too short for room:" + SHORT_ROOM), "the reason: " + cy.statusText());
    assertTrue(cy.shows("reload"), "the page offers a reload");
    // the session itself lives on (restored): still named, still in the room, chatting
    cy.awaitRoom(SHORT_ROOM);
    bob.say("after");
    cy.awaitMessage("bob", "after");
    cy.screenshot("resume-cy-recovery-failed.png");
    List<String> shown = cy.messagesFrom("bob");
    assertEquals(shown.stream().distinct().toList(), shown, "nothing shown twice");
    assertEquals("after", shown.get(shown.size() - 1), "the live message after the failed recovery comes last");
  }

  @Test
  @Order(3)
  @DisplayName("the seed's page on the plain protocol (/plain.html) still chats with the switchboard.js page")
  void plainPageUnchanged() {
    ChatPage dee = page("dee (plain page on gateway 2)", "http://127.0.0.1:" + port2 + "/plain.html");
    dee.awaitStatus("connected", ChatPage.WAIT);
    dee.setName("dee");
    dee.joinRoom(ROOM);
    ann.awaitNotice("dee joined the room");
    dee.say("plain hello");
    ann.awaitMessage("dee", "plain hello");
    ann.say("hello dee");
    dee.awaitMessage("ann", "hello dee");
    assertEquals(List.of("plain hello"), ann.messagesFrom("dee"));
  }

  @Test
  @Order(4)
  @DisplayName("after its gateway restarts, a page comes back by itself, in its room, and what its user typed meanwhile is delivered once")
  void gatewayRestart() throws IOException {
    // everyone into the lobby (its long history); ann, bob and cy are all on gateway 2 by now
    bob.joinRoom(ROOM);
    cy.joinRoom(ROOM);
    ann.awaitNotice("cy joined the room");
    // a page resumes a group from the last message it got of it: each gets one of the lobby first
    // (a page that got none gives no position, and the gateway replays nothing of that group)
    bob.say("all here?");
    for (ChatPage p : List.of(ann, bob, cy)) {
      p.awaitMessage("bob", "all here?");
    }
    for (ChatPage p : List.of(ann, bob, cy)) {
      assertEquals("ws://127.0.0.1:" + port2 + "/chat", gatewayOf(p), "on gateway 2");
    }
    gateway2.close(); // SIGTERM: every socket gets 1001, the JVM exits
    for (ChatPage p : List.of(ann, bob, cy)) {
      p.awaitStatus("reconnecting", ChatPage.WAIT);
    }
    bob.say("typed during the restart");
    gateway2 = launchGateway("resume-gateway-2-restarted", port2);

    for (ChatPage p : List.of(ann, bob, cy)) {
      p.awaitStatus("recovered", RECONNECT);
      p.awaitRoom(ROOM);
    }
    assertFalse(cy.shows("reload"), "no reload offered once recovered");
    bob.say("and after");
    for (ChatPage p : List.of(ann, cy)) {
      p.awaitMessage("bob", "and after");
      p.awaitMessage("bob", "typed during the restart");
      List<String> shown = p.messagesFrom("bob");
      assertEquals(List.of("typed during the restart", "and after"), shown.subList(shown.size() - 2, shown.size()),
        (p == ann ? "ann" : "cy") + " shows from bob: " + shown);
      assertEquals(1, shown.stream().filter("typed during the restart"::equals).count(), "delivered once: " + shown);
    }
    bob.screenshot("resume-bob-after-restart.png");
  }

}
