package io.switchboard;

import static io.switchboard.testing.Await.await;

import io.switchboard.demo.EchoService;
import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.testing.Await;
import io.switchboard.testing.ProbeService;
import io.switchboard.testing.RawWebSocket;
import io.switchboard.testing.WsClient;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.switchboard.testing.RawWebSocket.BINARY;
import static io.switchboard.testing.RawWebSocket.CLOSE;
import static io.switchboard.testing.RawWebSocket.CONTINUATION;
import static io.switchboard.testing.RawWebSocket.PING;
import static io.switchboard.testing.RawWebSocket.TEXT;
import static io.switchboard.testing.RawWebSocket.head;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input and hostile clients: every malformed handshake and frame gets its documented answer
 * (docs/close-codes.md), and the gateway keeps serving with no session left behind.
 */
@DisplayName("A gateway under bad input and hostile clients")
class HardeningTest {

  private static final int MAX_FRAME = 1024;
  private static final int MAX_MESSAGE = 4096;
  private static final int MAX_OUTBOUND = 256 * 1024;
  private static Vertx vertx;
  private static GatewayVerticle gateway;
  private static int port;

  @BeforeAll
  static void deploy() throws Exception {
    vertx = Vertx.vertx();
    gateway = new GatewayVerticle();
    await(vertx.deployVerticle(new EchoService()).compose(id -> vertx.deployVerticle(new ProbeService()))
      .compose(id -> vertx.deployVerticle(gateway, new DeploymentOptions().setConfig(conf()))));
    port = gateway.actualPort();
  }

  private static JsonObject conf() {
    return new JsonObject().put("host", "127.0.0.1").put("port", 0)
      .put("routes", new JsonObject().put("/echo", "echo").put("/probe", "probe"))
      .put("limits", new JsonObject().put("maxFrameSize", MAX_FRAME).put("maxMessageSize", MAX_MESSAGE)
        .put("maxOutboundBytes", MAX_OUTBOUND).put("pingIntervalMs", 300).put("idleTimeoutMs", 1200)
        .put("maxHeaderSize", 4096));
  }

  /** {@link #conf()} without the idle timeout: a client that never pongs stays until shutdown. */
  private static JsonObject patientConf() {
    JsonObject conf = conf();
    conf.getJsonObject("limits").put("idleTimeoutMs", 600_000).put("pingIntervalMs", 60_000);
    return conf;
  }

  @AfterAll
  static void close() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("answers a corpus of malformed handshakes with the documented HTTP status, before any upgrade")
  void badHandshakes() throws IOException {
    Map<String, Integer> expected = new LinkedHashMap<>();
    Map<String, Integer> got = new LinkedHashMap<>();
    check(expected, got, "POST upgrade", 400, head("POST", "/echo"));
    check(expected, got, "PUT upgrade", 400, head("PUT", "/echo"));
    check(expected, got, "no Sec-WebSocket-Key", 400, "GET /echo HTTP/1.1", "Host: x", "Upgrade: websocket",
      "Connection: Upgrade", "Sec-WebSocket-Version: 13");
    check(expected, got, "WebSocket version 8", 426, "GET /echo HTTP/1.1", "Host: x", "Upgrade: websocket",
      "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 8");
    check(expected, got, "no Connection: Upgrade", 400, "GET /echo HTTP/1.1", "Host: x", "Upgrade: websocket",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13");
    check(expected, got, "unrouted path", 404, head("GET", "/nowhere"));
    check(expected, got, "plain GET on a WebSocket path", 426, "GET /echo HTTP/1.1", "Host: x");
    check(expected, got, "oversized head", 431, head("GET", "/echo", "X-Big: " + "a".repeat(8000)));
    check(expected, got, "foreign Origin", 403, head("GET", "/echo", "Origin: https://evil.example"));
    check(expected, got, "foreign Origin on the event-bus bridge", 403,
      head("GET", "/eventbus/websocket", "Origin: https://evil.example"));
    check(expected, got, "Origin null (file:// or sandboxed page)", 403, head("GET", "/echo", "Origin: null"));
    check(expected, got, "localhost page on another port", 101, head("GET", "/echo", "Origin: http://localhost:3000"));
    check(expected, got, "no Origin (not a browser)", 101, head("GET", "/echo"));
    check(expected, got, "garbage request line", 400, "HELLO THERE");
    assertEquals(expected, got);
    awaitNoSessions();
  }

  @Test
  @DisplayName("closes with 1002/1007/1009 for a corpus of bad frames, and 1000 for a clean close")
  void badFrames() throws IOException {
    byte[] invalidUtf8 = {(byte) 0xc3, (byte) 0x28, (byte) 0xff};
    Map<String, Integer> expected = new LinkedHashMap<>();
    Map<String, Integer> got = new LinkedHashMap<>();
    frames(expected, got, "text that is not UTF-8", 1007, ws -> ws.frame(TEXT, invalidUtf8));
    frames(expected, got, "frame over maxFrameSize", 1009, ws -> ws.frame(BINARY, new byte[MAX_FRAME + 1]));
    frames(expected, got, "fragments over maxMessageSize", 1009, ws -> {
      ws.frame(false, 0, BINARY, true, new byte[MAX_FRAME]);
      for (int i = 0; i < 4; i++) {
        ws.frame(false, 0, CONTINUATION, true, new byte[MAX_FRAME]);
      }
      ws.frame(true, 0, CONTINUATION, true, new byte[MAX_FRAME]);
    });
    frames(expected, got, "unmasked client frame", 1002, ws -> ws.frame(true, 0, TEXT, false, bytes("hi")));
    frames(expected, got, "reserved opcode 0x3", 1002, ws -> ws.frame(true, 0, 0x3, true, bytes("hi")));
    frames(expected, got, "RSV1 without an extension", 1002, ws -> ws.frame(true, 4, TEXT, true, bytes("hi")));
    frames(expected, got, "continuation with nothing to continue", 1002, ws -> ws.frame(true, 0, CONTINUATION, true, bytes("hi")));
    frames(expected, got, "fragmented ping", 1002, ws -> ws.frame(false, 0, PING, true, bytes("hi")));
    frames(expected, got, "ping over 125 bytes", 1002, ws -> ws.frame(true, 0, PING, true, new byte[126]));
    frames(expected, got, "new message inside a fragmented one", 1002, ws -> {
      ws.frame(false, 0, TEXT, true, bytes("part one"));
      ws.frame(true, 0, TEXT, true, bytes("another"));
    });
    frames(expected, got, "close code 999", 1002, ws -> ws.frame(CLOSE, new byte[]{0x03, (byte) 0xe7}));
    frames(expected, got, "close with a 1-byte payload", 1002, ws -> ws.frame(CLOSE, new byte[]{0x03}));
    frames(expected, got, "clean close 1000", 1000, ws -> ws.frame(CLOSE, new byte[]{0x03, (byte) 0xe8}));
    assertEquals(expected, got);

    try (RawWebSocket ws = RawWebSocket.open(port, "/echo")) {
      ws.frame(TEXT, bytes("still serving"));
      assertEquals("still serving", ws.readText());
    }
    awaitNoSessions();
  }

  @Test
  @DisplayName("closes a client that does not read with 1008 once its outbound queue overflows, keeping memory bounded")
  void slowConsumer() throws Exception {
    long before = heapAfterGc();
    int pushed = 400 * 65536; // 26 MB pushed at a client that reads nothing: 100 times maxOutboundBytes
    try (WsClient watcher = WsClient.connect(vertx, port, "/probe", "watcher");
         RawWebSocket ws = RawWebSocket.open(port, "/probe")) {
      watcher.send("join:flood-watch");
      assertEquals("joined flood-watch", watcher.next());
      ws.frame(TEXT, bytes("flood:400:65536:flood-watch"));
      // the gateway relays the probe's pushes in order and this publish after them: once the
      // watcher has it, every push met the full queue or was written
      assertEquals("flooded", watcher.poll(60_000), "the probe's publish after its 26 MB of pushes"); // bulk work: a generous bound
      // read now, before the gateway drops the connection (3 s): the close frame waits behind the data
      assertEquals(1008, ws.awaitCloseCode(), "the slow consumer's close code");
      long grown = heapAfterGc() - before;
      long bound = 4L * MAX_OUTBOUND + (4 << 20); // the queue, a frame over it, and 4 MB for the JVM's own churn
      System.out.printf("slow consumer closed with 1008 after %d MB pushed; heap growth after GC: %d KB (bound %d KB)%n",
        pushed >> 20, grown >> 10, bound >> 10);
      assertTrue(grown < bound, "heap grew by " + (grown >> 10) + " KB holding a client that reads nothing; bound "
        + (bound >> 10) + " KB (maxOutboundBytes " + (MAX_OUTBOUND >> 10) + " KB)");
    }
    awaitNoSessions();
  }

  @Test
  @DisplayName("keeps serving a group whose members sent their close frame but keep the connection open: the others get every message, pings go on")
  void halfClosedMembers() throws Exception {
    List<RawWebSocket> leaving = new ArrayList<>();
    try (WsClient stays = WsClient.connect(vertx, port, "/probe", "stays")) {
      for (int i = 0; i < 3; i++) {
        RawWebSocket ws = RawWebSocket.open(port, "/probe");
        leaving.add(ws);
        ws.frame(TEXT, bytes("join:half-closed"));
        assertEquals("joined half-closed", ws.readText());
      }
      stays.send("join:half-closed");
      assertEquals("joined half-closed", stays.next());
      for (RawWebSocket ws : leaving) {
        ws.frame(CLOSE, new byte[]{0x03, (byte) 0xE8}); // 1000, and the TCP connection stays open
      }
      Thread.sleep(200); // the close frames are read: Vert.x takes those sockets for closed, the gateway's sessions are still live
      stays.send("publish:half-closed:first");
      assertEquals("first", stays.poll(10_000), "a group message, written past three members that closed");
      Thread.sleep(700); // two ping rounds (pingIntervalMs 300) over the half-closed sockets
      stays.send("publish:half-closed:second");
      assertEquals("second", stays.poll(10_000), "a group message after the ping rounds");
    } finally {
      for (RawWebSocket ws : leaving) {
        ws.close();
      }
    }
    awaitNoSessions();
  }

  /** Used heap after full collections (the live set), in bytes. */
  private static long heapAfterGc() {
    java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  @Test
  @DisplayName("pings idle sessions: a peer that never answers is closed (1001), one that pongs stays")
  void keepAlive() throws Exception {
    try (RawWebSocket deaf = RawWebSocket.open(port, "/echo");
         WsClient alive = WsClient.connect(vertx, port, "/echo")) {
      assertEquals(1001, deaf.awaitCloseCode());
      alive.send("are you there?");
      assertEquals("are you there?", alive.next(), "a client that answers pings outlives the idle timeout");
    }
  }

  @Test
  @DisplayName("limits connections in total (503) and per client IP (429) before the upgrade")
  void connectionLimits() throws Exception {
    Vertx other = Vertx.vertx();
    try {
      GatewayVerticle limited = new GatewayVerticle();
      JsonObject conf = conf().put("limits", new JsonObject().put("maxConnections", 3).put("maxConnectionsPerIp", 2));
      await(other.deployVerticle(new EchoService()).compose(id -> other.deployVerticle(limited,
        new DeploymentOptions().setConfig(conf))));
      int p = limited.actualPort();
      try (RawWebSocket a = RawWebSocket.connectFrom(p, "/echo", "127.0.0.1");
           RawWebSocket b = RawWebSocket.connectFrom(p, "/echo", "127.0.0.1");
           RawWebSocket c = RawWebSocket.connectFrom(p, "/echo", "127.0.0.1");
           RawWebSocket d = RawWebSocket.connectFrom(p, "/echo", "127.0.0.2");
           RawWebSocket e = RawWebSocket.connectFrom(p, "/echo", "127.0.0.3")) {
        assertEquals(101, a.status);
        assertEquals(101, b.status);
        assertEquals(429, c.status, "a third from one IP");
        assertEquals(101, d.status);
        assertEquals(503, e.status, "a fourth in total");
      }
      Await.until("a slot given back once the sessions ended", 10_000, () -> {
        try (RawWebSocket again = RawWebSocket.connectFrom(p, "/echo", "127.0.0.1")) {
          return again.status;
        }
      }, status -> status == 101);
    } finally {
      await(other.close());
    }
  }

  @Test
  @DisplayName("shuts down gracefully: sessions get 1001, services hear of every close, new upgrades are refused (503)")
  void gracefulShutdown() throws Exception {
    Vertx other = Vertx.vertx();
    try {
      GatewayVerticle g = new GatewayVerticle();
      await(other.deployVerticle(new ProbeService()));
      String gatewayId = await(other.deployVerticle(g, new DeploymentOptions().setConfig(patientConf())));
      BlockingQueue<String> closes = new LinkedBlockingQueue<>();
      await(other.eventBus().<String>consumer("probe.closed", m -> closes.add(m.body())).completion());
      WsClient a = WsClient.connect(other, g.actualPort(), "/probe", "a");
      WsClient b = WsClient.connect(other, g.actualPort(), "/probe", "b");
      a.send("who");
      b.send("who");
      a.next();
      b.next();
      // a client that never answers a close frame keeps the shutdown going (up to the forced close)
      RawWebSocket deaf = RawWebSocket.open(g.actualPort(), "/probe");
      deaf.frame(TEXT, bytes("who"));
      deaf.readText();
      Future<Void> undeployed = other.undeploy(gatewayId);
      assertEquals(1001, a.awaitClose());
      assertEquals(1001, b.awaitClose());
      assertEquals("Gateway shutting down", a.closeReason());
      assertEquals(1001, deaf.awaitCloseCode(), "the client that will not answer got the close frame too");
      RawWebSocket refused = RawWebSocket.handshake(g.actualPort(), head("GET", "/probe"));
      assertEquals(503, refused.status, "an upgrade after the shutdown began");
      java.util.List<String> codes = new java.util.ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String close = closes.poll(10, TimeUnit.SECONDS);
        assertTrue(close != null, "the service heard of every close: " + codes);
        codes.add(close.substring(close.indexOf(' ') + 1));
      }
      java.util.Collections.sort(codes);
      // a and b answered the close; the deaf client's connection was dropped (1006, as docs/close-codes.md says)
      assertEquals(java.util.List.of("1001", "1001", "1006"), codes);
      await(undeployed);
      deaf.socket().setSoTimeout(30_000);
      assertEquals(-1, deaf.socket().getInputStream().read(), "the deaf client's connection was ended");
      deaf.close();
    } finally {
      await(other.close());
    }
  }

  @Test
  @DisplayName("bounds a shutdown by shutdownGraceMs: a client that never answers its close does not hold it up")
  void shutdownGrace() throws Exception {
    Vertx other = Vertx.vertx();
    try {
      GatewayVerticle g = new GatewayVerticle();
      await(other.deployVerticle(new ProbeService()));
      JsonObject conf = patientConf();
      conf.getJsonObject("limits").put("shutdownGraceMs", 200);
      String gatewayId = await(other.deployVerticle(g, new DeploymentOptions().setConfig(conf)));
      try (RawWebSocket deaf = RawWebSocket.open(g.actualPort(), "/probe")) {
        deaf.frame(TEXT, bytes("who"));
        deaf.readText();
        await(other.undeploy(gatewayId)); // completes (Await fails after 30 s): the grace bounds it
        assertEquals(1001, deaf.awaitCloseCode());
        // ended a few seconds later (measured: about 5 s after the undeploy): bounded, not left open
        deaf.socket().setSoTimeout(30_000);
        assertEquals(-1, deaf.socket().getInputStream().read(), "the connection was ended, not left open");
      }
    } finally {
      await(other.close());
    }
  }

  @Test
  @DisplayName("tells a client refused during shutdown when to retry (Retry-After)")
  void shutdownRetryAfter() throws Exception {
    Vertx other = Vertx.vertx();
    try {
      GatewayVerticle g = new GatewayVerticle();
      await(other.deployVerticle(new ProbeService()));
      String gatewayId = await(other.deployVerticle(g, new DeploymentOptions().setConfig(patientConf())));
      RawWebSocket deaf = RawWebSocket.open(g.actualPort(), "/probe");
      deaf.frame(TEXT, bytes("who"));
      deaf.readText();
      Future<Void> undeployed = other.undeploy(gatewayId);
      assertEquals(1001, deaf.awaitCloseCode());
      RawWebSocket refused = RawWebSocket.handshake(g.actualPort(), head("GET", "/probe"));
      assertEquals(503, refused.status);
      assertEquals("5", refused.headers.get("retry-after"));
      await(undeployed);
      deaf.close();
    } finally {
      await(other.close());
    }
  }

  private interface FrameScript {
    void run(RawWebSocket ws) throws IOException;
  }

  private static void check(Map<String, Integer> expected, Map<String, Integer> got, String name, int status,
                            String... head) throws IOException {
    expected.put(name, status);
    got.put(name, RawWebSocket.handshakeStatus(port, head));
  }

  private static void frames(Map<String, Integer> expected, Map<String, Integer> got, String name, int code,
                             FrameScript script) throws IOException {
    expected.put(name, code);
    try (RawWebSocket ws = RawWebSocket.open(port, "/echo")) {
      script.run(ws);
      got.put(name, ws.awaitCloseCode());
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void awaitNoSessions() {
    Await.until("no session left on the gateway", 15_000, () -> await(gateway.sessionCount()), n -> n == 0);
  }
}
