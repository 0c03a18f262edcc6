package io.switchboard;

import io.switchboard.testing.Await;
import io.switchboard.testing.HeadlessChromium;
import io.switchboard.testing.TestCluster;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.chrome.ChromeDriver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /switchboard.js} in real headless Chromium against a scripted gateway in this JVM (a
 * Vert.x server that speaks the {@code switchboard.v1} frames the test tells it to, and records
 * what the client sends): every rule of the client side of the protocol, one at a time, without a
 * cluster. {@link ResumeBrowserTest} runs it against the real gateways.
 */
@DisplayName("switchboard.js against a scripted switchboard.v1 gateway")
class SwitchboardJsTest {

  private static final String PAGE = """
    <!doctype html><meta charset="utf-8"><title>switchboard.js test</title>
    <script src="/switchboard.js"></script>
    <script>
    window.events = []; window.msgs = [];
    window.start = function (urls, opts) {
      opts = opts || {};
      opts.onEvent = (e) => events.push(e);
      opts.onMessage = (d, m) => msgs.push({ data: typeof d === 'string' ? d : 'binary ' + Array.from(new Uint8Array(d)).join(','), meta: m });
      window.sb = new Switchboard(urls, opts);
    };
    </script>
    """;
  /** Fast reconnects: the delays are not what these tests are about. */
  private static final Map<String, Object> FAST = Map.of("minDelayMs", 20, "maxDelayMs", 100);

  private static Vertx vertx;
  private static HttpServer server;
  private static int port;
  private static HeadlessChromium browser;
  private static ChromeDriver driver;
  private static final BlockingQueue<Conn> conns = new LinkedBlockingQueue<>();

  /** One WebSocket the page opened, seen from the scripted gateway. */
  private record Conn(ServerWebSocket ws, BlockingQueue<Object> frames, CompletableFuture<Short> closed) {

    /** The next text frame the client sent, as JSON (fails after 10 s). */
    JsonObject next() {
      Object f = nextFrame();
      assertTrue(f instanceof String, "a text frame, not " + f);
      return new JsonObject((String) f);
    }

    Object nextFrame() {
      try {
        Object f = frames.poll(10, TimeUnit.SECONDS);
        assertNotNull(f, "a frame from the client within 10 s");
        return f;
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }

    void send(JsonObject frame) {
      ws.writeTextMessage(frame.encode());
    }

    void close(int code, String reason) {
      ws.close((short) code, reason);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    String script;
    try (InputStream in = SwitchboardJsTest.class.getClassLoader().getResourceAsStream("webroot/switchboard.js")) {
      assertNotNull(in, "webroot/switchboard.js on the classpath");
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    server = vertx.createHttpServer(new HttpServerOptions().setWebSocketSubProtocols(List.of("switchboard.v1")))
      .webSocketHandler(ws -> {
        Conn conn = new Conn(ws, new LinkedBlockingQueue<>(), new CompletableFuture<>());
        ws.textMessageHandler(conn.frames()::add);
        ws.binaryMessageHandler(b -> conn.frames().add(b.getBytes()));
        ws.closeHandler(v -> conn.closed().complete(ws.closeStatusCode()));
        conns.add(conn);
      })
      .requestHandler(req -> {
        boolean js = req.path().equals("/switchboard.js");
        req.response().putHeader("content-type", js ? "text/javascript" : "text/html").end(js ? script : PAGE);
      });
    port = Await.await(server.listen(0, "127.0.0.1")).actualPort();
    browser = HeadlessChromium.start(800, 600);
    driver = browser.driver();
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) {
      browser.close();
    }
    if (vertx != null) {
      Await.await(vertx.close());
    }
  }

  @BeforeEach
  void freshPage() {
    driver.get("about:blank"); // closes the previous test's sockets
    conns.clear();
    driver.get(base() + "/");
  }

  private static String base() {
    return "http://127.0.0.1:" + port;
  }

  private static String url() {
    return "ws://127.0.0.1:" + port + "/chat";
  }

  private static Object js(String script, Object... args) {
    return driver.executeScript(script, args);
  }

  private static void startClient(List<String> urls, Map<String, Object> options) {
    js("start(arguments[0], arguments[1])", urls, options);
  }

  private static boolean send(String text) {
    return (Boolean) js("return sb.send(arguments[0])", text);
  }

  private static Conn nextConn() {
    try {
      Conn c = conns.poll(10, TimeUnit.SECONDS);
      assertNotNull(c, "a connection from the page within 10 s");
      return c;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** Waits for the n-th (from 1) event of this type; returns it. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> awaitEvent(String type, int nth) {
    return Await.until("event " + type + " #" + nth, 10_000,
      () -> (Map<String, Object>) js("const e = events.filter((e) => e.type === arguments[0]); return e[arguments[1] - 1] || null;", type, nth),
      e -> e != null);
  }

  /** Opens a session: hello, then welcome with this session id and token. */
  private static Conn welcomed(String session, String token) {
    Conn c = nextConn();
    assertEquals("switchboard.v1", c.ws().subProtocol());
    assertEquals(new JsonObject().put("type", "hello"), c.next());
    c.send(new JsonObject().put("type", "welcome").put("session", session).put("token", token));
    awaitEvent("connected", 1);
    return c;
  }

  private static JsonObject msg(long seq, String data) {
    return new JsonObject().put("type", "msg").put("seq", seq).put("data", data);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> messages() {
    return (List<Map<String, Object>>) js("return msgs");
  }

  @Test
  @DisplayName("says hello, delivers a push that comes before welcome, then sends what was queued, numbered from 1")
  void helloAndWelcome() {
    startClient(List.of(url()), FAST);
    assertTrue(send("early"));
    Conn c = nextConn();
    assertEquals(new JsonObject().put("type", "hello"), c.next());
    c.send(new JsonObject().put("type", "msg").put("data", "pushed while opening"));
    c.send(new JsonObject().put("type", "welcome").put("session", "s1").put("token", "t1"));
    assertEquals(msg(1, "early"), c.next());
    Map<String, Object> connected = awaitEvent("connected", 1);
    assertEquals("s1", connected.get("session"));
    assertTrue(send("second"));
    assertEquals(msg(2, "second"), c.next());
    assertEquals("pushed while opening", messages().get(0).get("data"));
    assertEquals("open", js("return sb.state"));
  }

  @Test
  @DisplayName("after a drop it resumes with the latest token and positions, shows the replay once, "
    + "then sends again exactly what was not acknowledged, in order")
  void resumesBothWays() {
    startClient(List.of(url()), FAST);
    Conn c = welcomed("s1", "t1");
    for (String text : List.of("a", "b", "c")) {
      assertTrue(send(text));
    }
    assertEquals(msg(1, "a"), c.next());
    assertEquals(msg(2, "b"), c.next());
    assertEquals(msg(3, "c"), c.next());
    c.send(new JsonObject().put("type", "ack").put("seq", 1));
    c.send(new JsonObject().put("type", "msg").put("group", "room:x").put("epoch", "e1").put("position", 7).put("data", "g7"));
    c.send(new JsonObject().put("type", "msg").put("group", "all").put("data", "no history"));
    c.send(new JsonObject().put("type", "token").put("token", "t2"));
    Await.until("the ack and the token taken", 10_000, () -> "t2".equals(js("return sb.token")) && ((Long) js("return sb.pending")) == 2);
    c.close(1001, "Gateway shutting down");

    Map<String, Object> dropped = awaitEvent("disconnected", 1);
    assertEquals(1001L, dropped.get("code"));
    assertEquals(true, dropped.get("willReconnect"));
    assertTrue(send("d"), "queued while disconnected");

    Conn again = nextConn();
    assertEquals(new JsonObject().put("type", "resume").put("token", "t2")
      .put("positions", new JsonObject().put("room:x", new JsonObject().put("epoch", "e1").put("position", 7))), again.next());
    again.send(new JsonObject().put("type", "msg").put("group", "room:x").put("epoch", "e1").put("position", 7).put("data", "g7"));
    again.send(new JsonObject().put("type", "msg").put("group", "room:x").put("epoch", "e1").put("position", 8).put("data", "g8"));
    again.send(new JsonObject().put("type", "resumed").put("session", "s1").put("token", "t3")
      .put("restored", true).put("recovered", true).put("missed", 1));
    assertEquals(msg(2, "b"), again.next());
    assertEquals(msg(3, "c"), again.next());
    assertEquals(msg(4, "d"), again.next());
    assertTrue(send("e"));
    assertEquals(msg(5, "e"), again.next(), "nothing else was sent again");

    Map<String, Object> recovered = awaitEvent("recovered", 1);
    assertEquals(1L, recovered.get("missed"));
    assertEquals(1L, awaitEvent("recovering", 1).get("attempt"));
    List<Map<String, Object>> got = messages();
    assertEquals(List.of("g7", "no history", "g8"), got.stream().map(m -> m.get("data")).toList(), "g7 once");
    @SuppressWarnings("unchecked")
    Map<String, Object> g8 = (Map<String, Object>) got.get(2).get("meta");
    assertEquals(Map.of("replayed", true, "group", "room:x", "epoch", "e1", "position", 8L), g8);
  }

  private static JsonObject groupMsg(long position, String data) {
    return new JsonObject().put("type", "msg").put("group", "room:x").put("epoch", "e1").put("position", position).put("data", data);
  }

  private static JsonObject resumed(String token) {
    return new JsonObject().put("type", "resumed").put("session", "s1").put("token", token)
      .put("restored", true).put("recovered", true).put("missed", 0);
  }

  @Test
  @DisplayName("a message that overtook others leaves gaps: one that comes later is shown once, a resume names those still missing, "
    + "and after resumed none is asked for again")
  void gapsFromOvertakenMessages() {
    startClient(List.of(url()), FAST);
    Conn c = welcomed("s1", "t1");
    c.send(groupMsg(1, "p1"));
    c.send(groupMsg(4, "p4")); // 2 and 3 overtaken
    c.send(groupMsg(2, "p2"));
    c.send(groupMsg(2, "p2 again"));
    Await.until("three shown", 10_000, () -> messages().size() == 3);
    c.close(1001, "Gateway shutting down");

    Conn again = nextConn();
    JsonObject resume = again.next();
    assertEquals(new JsonObject().put("room:x", new JsonObject().put("epoch", "e1").put("position", 4).put("missing", new io.vertx.core.json.JsonArray().add(3))),
      resume.getJsonObject("positions"));
    again.send(groupMsg(3, "p3"));
    again.send(resumed("t2"));
    awaitEvent("recovered", 1);
    assertEquals(List.of("p1", "p4", "p2", "p3"), messages().stream().map(m -> m.get("data")).toList());
    again.send(groupMsg(6, "p6")); // 5 was published except this session: it never comes
    Await.until("p6 shown", 10_000, () -> messages().size() == 5);
    again.close(1001, "Gateway shutting down");

    Conn third = nextConn();
    JsonObject gap5 = third.next().getJsonObject("positions").getJsonObject("room:x");
    assertEquals(6, gap5.getInteger("position"));
    assertEquals(new io.vertx.core.json.JsonArray().add(5), gap5.getJsonArray("missing"), "a gap of the last moments before the drop");
    third.send(resumed("t3"));
    awaitEvent("recovered", 2);
    third.close(1001, "Gateway shutting down");
    Conn fourth = nextConn();
    assertEquals(new JsonObject().put("room:x", new JsonObject().put("epoch", "e1").put("position", 6)),
      fourth.next().getJsonObject("positions"), "what the gateway did not replay is not asked for again");
  }

  @Test
  @DisplayName("a gap older than gapTimeoutMs when the connection dropped is not asked for: it was no message in flight")
  void oldGapsForgotten() {
    startClient(List.of(url()), Map.of("minDelayMs", 20, "maxDelayMs", 100, "gapTimeoutMs", 100));
    Conn c = welcomed("s1", "t1");
    c.send(groupMsg(1, "p1"));
    c.send(groupMsg(3, "p3"));
    Await.until("both shown", 10_000, () -> messages().size() == 2);
    long shownAt = (Long) js("return Date.now()");
    Await.until("gapTimeoutMs passed in the page", 10_000, () -> (Long) js("return Date.now()") > shownAt + 200);
    c.close(1001, "Gateway shutting down");
    Conn again = nextConn();
    assertEquals(new JsonObject().put("room:x", new JsonObject().put("epoch", "e1").put("position", 3)),
      again.next().getJsonObject("positions"));
  }

  @Test
  @DisplayName("an attempt that fails goes on to the next gateway of the list")
  void nextGateway() {
    String nobody = "ws://127.0.0.1:" + TestCluster.freePort() + "/chat";
    startClient(List.of(nobody, url()), FAST);
    welcomed("s1", "t1");
    assertEquals(url(), js("return sb.url"));
  }

  @Test
  @DisplayName("an attempt without an answer within attemptTimeoutMs is given up (closed 4000) and the next one made")
  void silentGatewayGivenUp() throws Exception {
    startClient(List.of(url()), Map.of("minDelayMs", 20, "maxDelayMs", 100, "attemptTimeoutMs", 500));
    Conn silent = nextConn();
    assertEquals(new JsonObject().put("type", "hello"), silent.next());
    welcomed("s1", "t1");
    assertEquals((short) 4000, silent.closed().get(10, TimeUnit.SECONDS));
  }

  @Test
  @DisplayName("the outgoing queue is bounded in messages and bytes: send returns false when full, true once acknowledged")
  void boundedQueue() {
    startClient(List.of(url()), Map.of("maxQueue", 2, "maxQueueBytes", 12));
    assertTrue(send("x"));
    assertTrue(send("y"));
    assertEquals(false, send("z"), "a third message");
    Conn c = welcomed("s1", "t1");
    assertEquals(msg(1, "x"), c.next());
    assertEquals(msg(2, "y"), c.next());
    c.send(new JsonObject().put("type", "ack").put("seq", 2));
    Await.until("the ack taken", 10_000, () -> ((Long) js("return sb.pending")) == 0);
    assertEquals(false, send("ééééééé"), "14 bytes");
    assertTrue(send("éééééé"), "12 bytes");
    assertEquals(false, send("z"), "one byte more");
  }

  @Test
  @DisplayName("a resume that gets a new session (restored:false) says recovery failed, hands back what was not sent, numbers from 1 again")
  void newSessionOnResume() {
    startClient(List.of(url()), FAST);
    Conn c = welcomed("s1", "t1");
    assertTrue(send("lost"));
    assertEquals(msg(1, "lost"), c.next());
    c.close(1012, "Service instance lost");
    Conn again = nextConn();
    assertEquals("resume", again.next().getString("type"));
    again.send(new JsonObject().put("type", "resumed").put("session", "s2").put("token", "t9")
      .put("restored", false).put("recovered", false).put("missed", 0).put("reason", "token expired"));
    Map<String, Object> failed = awaitEvent("recovery-failed", 1);
    assertEquals("token expired", failed.get("reason"));
    assertEquals(false, failed.get("restored"));
    assertEquals(List.of("lost"), failed.get("unsent"));
    assertEquals("s2", js("return sb.session"));
    assertTrue(send("fresh"));
    assertEquals(msg(1, "fresh"), again.next());
  }

  @Test
  @DisplayName("a history that cannot be replayed: recovery failed with the reason, the session restored")
  void notRecovered() {
    startClient(List.of(url()), FAST);
    Conn c = welcomed("s1", "t1");
    c.close(1001, "Gateway shutting down");
    Conn again = nextConn();
    assertEquals("resume", again.next().getString("type"));
    again.send(new JsonObject().put("type", "resumed").put("session", "s1").put("token", "t2")
      .put("restored", true).put("recovered", false).put("missed", 0).put("reason", "history too short for room:x"));
    Map<String, Object> failed = awaitEvent("recovery-failed", 1);
    assertEquals("history too short for room:x", failed.get("reason"));
    assertEquals(true, failed.get("restored"));
    assertEquals("open", js("return sb.state"));
  }

  @Test
  @DisplayName("a close that says not to come back (1008) ends it: disconnected without a reconnect")
  void policyCloseIsFinal() {
    startClient(List.of(url()), FAST);
    Conn c = welcomed("s1", "t1");
    c.close(1008, "bad frame");
    Map<String, Object> closed = awaitEvent("disconnected", 1);
    assertEquals(1008L, closed.get("code"));
    assertEquals("bad frame", closed.get("reason"));
    assertEquals(false, closed.get("willReconnect"));
    assertEquals("closed", js("return sb.state"));
    assertEquals(false, send("after"));
    assertNull(js("return sb._timer"), "no reconnect scheduled");
  }

  @Test
  @DisplayName("binary frames pass through raw both ways, not numbered; refused while not connected; anything else is a TypeError")
  void binary() {
    startClient(List.of(url()), FAST);
    assertEquals(false, js("return sb.send(new Uint8Array([9]).buffer)"), "binary before welcome");
    Conn c = welcomed("s1", "t1");
    c.ws().writeBinaryMessage(Buffer.buffer(new byte[]{1, 2, 3}));
    Await.until("the binary message shown", 10_000, () -> messages().size() == 1);
    assertEquals("binary 1,2,3", messages().get(0).get("data"));
    assertEquals(Map.of("binary", true), messages().get(0).get("meta"));
    assertEquals(true, js("return sb.send(new Uint8Array([4, 5]).buffer)"));
    assertEquals(List.of((byte) 4, (byte) 5), toList((byte[]) c.nextFrame()));
    assertEquals(0L, js("return sb.pending"), "binary is not queued");
    assertEquals("TypeError", js("try { sb.send(5); return 'taken'; } catch (e) { return e.name; }"), "neither text nor binary");
  }

  @Test
  @DisplayName("with storageKey, a page reload resumes the session and sends again what was not acknowledged")
  void reloadResumes() {
    Map<String, Object> kept = Map.of("minDelayMs", 20, "maxDelayMs", 100, "storageKey", "switchboard-test");
    startClient(List.of(url()), kept);
    Conn c = welcomed("s1", "t1");
    c.send(new JsonObject().put("type", "msg").put("group", "room:x").put("epoch", "e1").put("position", 3).put("data", "g3"));
    assertTrue(send("unacked"));
    assertEquals(msg(1, "unacked"), c.next());
    driver.navigate().refresh();
    startClient(List.of(url()), kept);
    Conn again = nextConn();
    assertEquals(new JsonObject().put("type", "resume").put("token", "t1")
      .put("positions", new JsonObject().put("room:x", new JsonObject().put("epoch", "e1").put("position", 3))), again.next());
    again.send(new JsonObject().put("type", "resumed").put("session", "s1").put("token", "t2")
      .put("restored", true).put("recovered", true).put("missed", 0));
    assertEquals(msg(1, "unacked"), again.next());
    js("sessionStorage.clear()");
  }

  private static List<Byte> toList(byte[] bytes) {
    Byte[] boxed = new Byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      boxed[i] = bytes[i];
    }
    return List.of(boxed);
  }
}
