package io.switchboard;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.switchboard.demo.EchoService;
import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.gateway.impl.OriginPolicy;
import io.switchboard.gateway.impl.Secrets;
import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.registry.Announce;
import io.switchboard.service.Failover;
import io.switchboard.testing.BridgeClient;
import io.switchboard.testing.InfoService;
import io.switchboard.testing.ProbeService;
import io.switchboard.testing.RawWebSocket;
import io.switchboard.testing.WsClient;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The attacks of issue 10 that target the gateway, each run against an in-JVM gateway while a
 * normal user's echo session on the same gateway keeps working: the attack gets its documented
 * answer (docs/close-codes.md), the user gets every message and no close. Heap and file
 * descriptors reached under each attack are printed (this JVM holds the gateway and the clients).
 */
@DisplayName("A gateway under attack answers each attack and keeps serving its users")
class GatewayAttackTest {

  private static final String SECRET = "attack-test-secret-that-is-long-enough-0123456789";
  private static final String ADMIN = "attack-admin-token";
  private static final ExecutorService ATTACKER = Executors.newCachedThreadPool();

  @AfterAll
  static void stopAttacker() {
    ATTACKER.shutdownNow();
  }

  // ---------------------------------------------------------------- 1. ping flood

  @Test
  @DisplayName("a client that floods pings and never reads is cut off (not read any more, 1008 behind its pongs,"
    + " dropped 3 s later), on /echo and /eventbus/websocket alike, with the heap bounded while another user echoes on")
  void pingFlood() throws Exception {
    try (Rig rig = Rig.start(limits().put("maxOutboundBytes", 256 * 1024))) {
      for (String path : List.of("/echo", "/eventbus/websocket")) {
        AtomicLong peakHeap = new AtomicLong();
        AtomicLong peakFds = new AtomicLong();
        Future<int[]> attack = ATTACKER.submit(() -> pingFlood(rig.port, path, peakHeap, peakFds));
        int echoed = echoWhile(rig, () -> !attack.isDone());
        int[] result = attack.get(90, TimeUnit.SECONDS);
        System.out.printf("ping flood on %s: %d pings (%d MB) sent before the gateway cut the client off; answer %d;"
            + " peak heap used %d MB, peak fds %d; user echoed %d messages meanwhile%n", path, result[0],
          result[0] * 131L >> 20, result[1], peakHeap.get() >> 20, peakFds.get(), echoed);
        assertEquals(1008, result[1], "the flooder reads its answer once the gateway stopped reading from it");
        assertTrue(peakHeap.get() < Runtime.getRuntime().maxMemory() / 2, "heap stays bounded: " + peakHeap.get());
        assertTrue(echoed > 0, "the user was served during the flood");
      }
      await(rig.gateway.sessionCount());
      assertAwait("the flooding sessions are gone", () -> sessions(rig) == 0);
    }
  }

  @Test
  @DisplayName("a bridge socket that registers and never reads is closed once its writes stay blocked, with the"
    + " heap bounded while another user echoes on")
  void bridgeNonReader() throws Exception {
    try (Rig rig = Rig.start(limits().put("maxOutboundBytes", 256 * 1024), new JsonObject().put("outbound",
      new JsonArray().add(new JsonObject().put("address", "attack.push"))))) {
      java.util.concurrent.CompletableFuture<String> closed = new java.util.concurrent.CompletableFuture<>();
      await(rig.vertx.eventBus().consumer(Addresses.BRIDGE_CLOSED,
        msg -> closed.complete(msg.headers().get(Headers.BRIDGE_SOCKET))).completion());
      Socket socket = new Socket();
      socket.setReceiveBufferSize(4096);
      socket.connect(new InetSocketAddress("127.0.0.1", rig.port));
      socket.setSoTimeout(15_000);
      socket.getOutputStream().write(handshake("/eventbus/websocket").getBytes(StandardCharsets.ISO_8859_1));
      assertEquals(101, readStatus(socket.getInputStream()));
      socket.getOutputStream().write(frame(0x1, new JsonObject().put("type", "register").put("address", "attack.push")
        .encode().getBytes(StandardCharsets.UTF_8)));
      String chunk = "x".repeat(64 * 1024);
      AtomicLong peakHeap = new AtomicLong();
      long pusher = rig.vertx.setPeriodic(5, id -> {
        rig.vertx.eventBus().publish("attack.push", chunk);
        Runtime rt = Runtime.getRuntime();
        peakHeap.accumulateAndGet(rt.totalMemory() - rt.freeMemory(), Math::max);
      });
      int echoed = echoWhile(rig, () -> !closed.isDone());
      rig.vertx.cancelTimer(pusher);
      assertTrue(closed.get(30, TimeUnit.SECONDS) != null, "the gateway closed the bridge socket");
      System.out.printf("bridge non-reader: closed; peak heap used %d MB (64 KB pushed every 5 ms);"
        + " user echoed %d messages meanwhile%n", peakHeap.get() >> 20, echoed);
      assertTrue(peakHeap.get() < Runtime.getRuntime().maxMemory() / 2, "heap stays bounded: " + peakHeap.get());
      int code = RawWebSocket.readCloseCode(socket.getInputStream());
      assertTrue(code == 1008 || code == 1006, "1008, or dropped with it unread, got " + code);
      socket.close();
    }
  }

  /** Floods pings (125-byte payloads) at a socket that reads almost nothing; returns {pings, close code}. */
  private static int[] pingFlood(int port, String path, AtomicLong peakHeap, AtomicLong peakFds) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress("127.0.0.1", port));
    socket.setSoTimeout(15_000);
    OutputStream out = socket.getOutputStream();
    InputStream in = socket.getInputStream();
    out.write(handshake(path).getBytes(StandardCharsets.ISO_8859_1));
    assertEquals(101, readStatus(in), "the flooder's upgrade");
    byte[] batch = pings(512);
    AtomicLong sent = new AtomicLong();
    Future<?> writer = ATTACKER.submit(() -> {
      try {
        while (sent.get() < 20_000_000) {
          out.write(batch);
          sent.addAndGet(512);
        }
      } catch (IOException cut) {
        // the gateway dropped the connection
      }
    });
    // the gateway stops reading from a client it cut off: once the writes stall, read what it sent
    long last = -1;
    long stalledSince = System.currentTimeMillis();
    long deadline = System.currentTimeMillis() + 60_000;
    while (!writer.isDone() && System.currentTimeMillis() - stalledSince < 300) {
      assertTrue(System.currentTimeMillis() < deadline, "the gateway let a client flood pings for 60 s");
      Runtime rt = Runtime.getRuntime();
      peakHeap.accumulateAndGet(rt.totalMemory() - rt.freeMemory(), Math::max);
      peakFds.accumulateAndGet(openFds(), Math::max);
      if (sent.get() != last) {
        last = sent.get();
        stalledSince = System.currentTimeMillis();
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
    }
    int code = RawWebSocket.readCloseCode(in);
    socket.close();
    return new int[]{(int) sent.get(), code};
  }

  private static byte[] pings(int n) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < n; i++) {
      out.writeBytes(frame(0x9, new byte[125]));
    }
    return out.toByteArray();
  }

  // ---------------------------------------------------------------- 5. /eventbus limits

  @Test
  @DisplayName("counts /eventbus sockets against the connection limits (429 per IP, 503 in total) and refuses "
    + "registrations over the per-IP budget with the bridge's error, while another user echoes on")
  void eventBusLimits() throws Exception {
    JsonObject limits = limits().put("maxConnectionsPerIp", 3).put("maxConnections", 5).put("maxBridgeHandlersPerIp", 4);
    try (Rig rig = Rig.start(limits, new JsonObject().put("outbound", new JsonArray()
      .add(new JsonObject().put("addressRegex", "attack\\..+"))))) {
      try (RawWebSocket user = RawWebSocket.open(rig.port, "/echo", "127.0.0.4")) {
        List<RawWebSocket> bridges = new ArrayList<>();
        try {
          for (int i = 0; i < 3; i++) {
            bridges.add(RawWebSocket.connectFrom(rig.port, "/eventbus/websocket", "127.0.0.2"));
          }
          bridges.forEach(b -> assertEquals(101, b.status, "the first 3 bridge sockets of an IP"));
          try (RawWebSocket fourth = RawWebSocket.connectFrom(rig.port, "/eventbus/websocket", "127.0.0.2")) {
            assertEquals(429, fourth.status, "a 4th bridge socket from one IP");
          }
          bridges.add(RawWebSocket.connectFrom(rig.port, "/eventbus/websocket", "127.0.0.3"));
          try (RawWebSocket overTotal = RawWebSocket.connectFrom(rig.port, "/eventbus/websocket", "127.0.0.5")) {
            assertEquals(503, overTotal.status, "a 6th connection in total (the user's is the 5th)");
          }
          echo(user, "still served while the bridge is full");
        } finally {
          bridges.forEach(RawWebSocket::close);
        }
      }
      assertAwait("the slots are given back", () -> {
        try (RawWebSocket again = RawWebSocket.connectFrom(rig.port, "/eventbus/websocket", "127.0.0.2")) {
          return again.status == 101;
        } catch (IOException e) {
          return false;
        }
      });
      try (BridgeClient a = BridgeClient.connect(rig.vertx, rig.port, "a");
           BridgeClient b = BridgeClient.connect(rig.vertx, rig.port, "b");
           WsClient user = WsClient.connect(rig.vertx, rig.port, "/echo")) {
        for (int i = 0; i < 4; i++) {
          a.register("attack." + i);
        }
        a.register("attack.over");
        assertEquals("rejected", a.nextError(), "a 5th registration from one IP");
        b.register("attack.b");
        assertEquals("rejected", b.nextError(), "the budget is per IP, over all its sockets");
        a.unregister("attack.0");
        assertAwait("an unregister gives a registration back", () -> {
          b.register("attack.b2");
          rig.vertx.eventBus().publish("attack.b2", "hello");
          try {
            return "hello".equals(b.await("a message on attack.b2 or an error",
              f -> "err".equals(f.getString("type")) || "attack.b2".equals(f.getString("address"))).getValue("body"));
          } catch (AssertionError e) {
            return false;
          }
        });
        user.send("user");
        assertEquals("user", user.next());
        assertFalse(user.isClosed());
      }
    }
  }

  // ---------------------------------------------------------------- 6. slowloris

  @Test
  @DisplayName("slowloris: of 200 half-sent request heads from one IP the 21st+ get 429 at once and the first 20"
    + " get 408 after the head timeout; another IP's /health and echo answer throughout")
  void slowloris() throws Exception {
    JsonObject limits = limits().put("maxConnectionsPerIp", 20).put("maxConnections", 1000)
      .put("requestHeadTimeoutMs", 1500);
    try (Rig rig = Rig.start(limits);
         RawWebSocket user = RawWebSocket.open(rig.port, "/echo", "127.0.0.2")) {
      List<Socket> heads = new ArrayList<>();
      long fdsBefore = openFds();
      try {
        for (int i = 0; i < 200; i++) {
          Socket s = new Socket(InetAddress.getByName("127.0.0.1"), rig.port, InetAddress.getByName("127.0.0.1"), 0);
          s.setSoTimeout(10_000);
          s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
          heads.add(s);
        }
        long fdsPeak = openFds();
        echo(user, "served during the slowloris");
        assertEquals(200, health("127.0.0.2", rig.port), "/health from another IP");
        List<Integer> refused = new ArrayList<>();
        for (int i = 20; i < 200; i++) {
          refused.add(readStatus(heads.get(i).getInputStream()));
          assertEquals(-1, heads.get(i).getInputStream().read(), "closed after the 429");
        }
        assertEquals(List.of(429), refused.stream().distinct().toList(), "the 21st and later heads");
        long start = System.nanoTime();
        List<Integer> timedOut = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          timedOut.add(readStatus(heads.get(i).getInputStream()));
        }
        System.out.printf("slowloris: fds %d before, %d with 200 half-heads open (client and gateway ends);"
            + " the 20 admitted got 408 after %d ms more%n", fdsBefore, fdsPeak,
          (System.nanoTime() - start) / 1_000_000);
        assertEquals(List.of(408), timedOut.stream().distinct().toList(), "the first 20 heads, after the head timeout");
        echo(user, "served after the slowloris");
        assertAwait("the attacker's IP gets its slots back", () -> {
          try {
            return health("127.0.0.1", rig.port) == 200;
          } catch (IOException e) {
            return false;
          }
        });
      } finally {
        for (Socket s : heads) {
          s.close();
        }
      }
    }
  }

  // ---------------------------------------------------------------- 8. rebind replay overflow

  @Test
  @DisplayName("rebind: a session whose messages since the lost instance's last heartbeat overflow the replay"
    + " buffer is closed 1012; one within it is replayed to the new instance and keeps working")
  void replayOverflow() throws Exception {
    try (Rig rig = Rig.start(limits(), null, new JsonObject().put("/r", "rb"))) {
      Vertx vertx = rig.vertx;
      // instance A of "rb": accepts sessions and ignores their messages, then dies without a word
      String a = Addresses.serviceInstance("rb", "dying");
      AtomicInteger opened = new AtomicInteger();
      MessageConsumer<Object> consumer = vertx.eventBus().consumer(a, msg -> {
        if (Op.OPEN.wire().equals(msg.headers().get(Headers.OP))) {
          opened.incrementAndGet();
          msg.reply(null, new DeliveryOptions().addHeader(Headers.INSTANCE, a));
        }
      });
      await(consumer.completion());
      // a fake in this JVM (no cluster): it is lost when silent for its heartbeat timeout
      JsonObject announce = Announce.service("rb", a, List.of(), Failover.REBIND, 0, 200)
        .put(Announce.HEARTBEAT_TIMEOUT_MS, 800);
      long heartbeat = vertx.setPeriodic(200, id -> vertx.eventBus().publish(Addresses.REGISTRY, announce));
      vertx.eventBus().publish(Addresses.REGISTRY, announce);
      assertAwait("A is known", () -> {
        try (WsClient probe = WsClient.connect(vertx, rig.port, "/r")) {
          return opened.get() > 0;
        }
      });
      try (WsClient over = WsClient.connect(vertx, rig.port, "/r", "over");
           WsClient within = WsClient.connect(vertx, rig.port, "/r", "within");
           WsClient user = WsClient.connect(vertx, rig.port, "/echo", "user")) {
        assertAwait("both sessions bound to A", () -> opened.get() >= 3);
        await(vertx.deployVerticle(new ProbeService(), new DeploymentOptions().setConfig(new JsonObject()
          .put("name", "rb").put("failover", "rebind").put("heartbeatMs", 200))));
        Thread.sleep(300); // B's announce reaches the gateway's directory (not a timing assertion)
        vertx.cancelTimer(heartbeat); // A is gone from now on: everything sent below may be lost with it
        for (int i = 0; i < 300; i++) {
          over.send("o" + i);
        }
        for (int i = 0; i < 5; i++) {
          within.send("w" + i);
        }
        assertEquals(1012, over.awaitClose(), "over the replay cap (256 messages)");
        assertTrue(over.closeReason().contains("replay"), over.closeReason());
        for (int i = 0; i < 5; i++) {
          assertEquals("/r w" + i, within.next(), "replayed to the new instance");
        }
        within.send("after");
        assertEquals("/r after", within.next());
        user.send("user");
        assertEquals("user", user.next());
        assertFalse(within.isClosed());
        assertFalse(user.isClosed());
      }
    }
  }

  // ---------------------------------------------------------------- 9. JWT

  @Test
  @DisplayName("JWT: the service never sees the raw token (query, claims, headers, bearer subprotocol), and a"
    + " token without exp gets 401 unless auth.requireExp is false")
  void jwtStripped() throws Exception {
    JsonObject auth = new JsonObject().put("algorithm", "HS256").put("secret", SECRET);
    try (Rig rig = Rig.start(limits(), null, null, new JsonObject().put("auth", auth)
      .put("forwardHeaders", new JsonArray().add("authorization").add("sec-websocket-protocol").add("user-agent")))) {
      JWTAuth signer = JWTAuth.create(rig.vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer(SECRET)));
      String token = signer.generateToken(new JsonObject().put("sub", "alice"), new JWTOptions().setExpiresInSeconds(60));
      try (WsClient c = WsClient.connect(rig.vertx, rig.port, "/info?room=lobby&access_token=" + token)) {
        c.send("info");
        String text = (String) c.next();
        JsonObject info = new JsonObject(text);
        assertEquals("room=lobby", info.getString("query"));
        assertEquals("alice", info.getJsonObject("claims").getString("sub"));
        assertNull(info.getJsonObject("claims").getValue("access_token"));
        assertFalse(text.contains(token), "no raw token anywhere: " + text);
      }
      WebSocketClient client = rig.vertx.createWebSocketClient();
      WebSocket ws = await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(rig.port)
        .setURI("/info").setSubProtocols(List.of("bearer", token))));
      java.util.concurrent.CompletableFuture<String> answer = new java.util.concurrent.CompletableFuture<>();
      ws.textMessageHandler(answer::complete);
      ws.writeTextMessage("info");
      String text = answer.get(10, TimeUnit.SECONDS);
      assertFalse(text.contains(token), "no raw token from the subprotocol: " + text);
      assertEquals("bearer", new JsonObject(text).getJsonObject("headers").getString("sec-websocket-protocol"));
      await(ws.close());
      String forever = signer.generateToken(new JsonObject().put("sub", "mallory"), new JWTOptions());
      assertEquals(401, WsClient.rejectedStatus(rig.vertx, rig.port, "/info?access_token=" + forever),
        "a token without exp (auth.requireExp defaults to true)");
      try (WsClient user = WsClient.connect(rig.vertx, rig.port, "/echo?access_token=" + token)) {
        user.send("user");
        assertEquals("user", user.next());
      }
    }
    try (Rig lenient = Rig.start(limits(), null, null, new JsonObject().put("auth", auth.copy().put("requireExp", false)))) {
      JWTAuth signer = JWTAuth.create(lenient.vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer(SECRET)));
      String forever = signer.generateToken(new JsonObject().put("sub", "bob"), new JWTOptions());
      try (WsClient c = WsClient.connect(lenient.vertx, lenient.port, "/info?access_token=" + forever)) {
        c.send("info");
        assertEquals("bob", new JsonObject((String) c.next()).getJsonObject("claims").getString("sub"),
          "with auth.requireExp false, a token without exp is accepted");
      }
    }
  }

  // ---------------------------------------------------------------- 11 and session ids

  @Test
  @DisplayName("SockJS xhr_send works (bounded body, 413 over), origins are parsed not pattern-matched, and"
    + " 'Authorization: bearer' in any case opens the admin API")
  void smallerItems() throws Exception {
    try (Rig rig = Rig.start(limits().put("maxMessageSize", 65536), new JsonObject().put("inbound", new JsonArray()),
      null, new JsonObject().put("admin", new JsonObject().put("token", ADMIN)))) {
      // HTTP/1.1 as a browser's SockJS speaks it (the JDK client's default first tries an h2c upgrade)
      Supplier<HttpClient> http = () -> HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      String base = "http://127.0.0.1:" + rig.port + "/eventbus/000/" + Secrets.randomId();
      HttpResponse<String> open = post(http, base + "/xhr", "");
      assertEquals("o\n", open.body(), "the SockJS session opens over xhr");
      HttpResponse<String> send = post(http, base + "/xhr_send",
        new JsonArray().add(new JsonObject().put("type", "send").put("address", "nowhere").put("body", "x").encode()).encode());
      assertEquals(204, send.statusCode(), "xhr_send is accepted: " + send.body());
      HttpResponse<String> poll = post(http, base + "/xhr", "");
      assertTrue(poll.body().contains("access_denied"), "the frame sent by xhr_send was processed: " + poll.body());
      // announced (Content-Length, Expect: 100-continue) and not sent: refused before it is read
      int tooBig;
      try (Socket raw = new Socket("127.0.0.1", rig.port)) {
        raw.setSoTimeout(10_000);
        raw.getOutputStream().write(("POST " + URI.create(base).getPath() + "/xhr_send HTTP/1.1\r\nHost: x\r\n"
          + "Content-Type: text/plain\r\nContent-Length: 70000\r\nExpect: 100-continue\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
        tooBig = readStatus(raw.getInputStream());
      }
      assertEquals(413, tooBig, "a body over limits.maxMessageSize");

      for (String evil : List.of("http://localhost:80.evil.example", "http://localhost:80@evil.example",
        "http://localhost.evil.example:80", "http://evil.example/http://localhost:80")) {
        assertEquals(403, RawWebSocket.handshakeStatus(rig.port, RawWebSocket.head("GET", "/echo", "Origin: " + evil)),
          evil);
      }
      assertEquals(101, RawWebSocket.handshakeStatus(rig.port, RawWebSocket.head("GET", "/echo",
        "Origin: http://localhost:3000")));
      OriginPolicy policy = new OriginPolicy(List.of("http://localhost:*", "https://*.example.com", "http://[::1]:*"),
        false);
      assertTrue(policy.allows("http://localhost"));
      assertTrue(policy.allows("HTTP://LOCALHOST:8080"));
      assertTrue(policy.allows("https://app.example.com"));
      assertTrue(policy.allows("http://[::1]:8080"));
      assertFalse(policy.allows("https://app.example.com:8443"), "no port in the pattern: the default port only");
      assertFalse(policy.allows("https://a.b.example.com"), "* is one DNS label");
      assertFalse(policy.allows("https://evil.com#.example.com"));
      assertFalse(policy.allows("null"));
      IllegalArgumentException bad = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> io.switchboard.gateway.GatewayOptions.fromJson(new JsonObject().put("allowedOrigins",
          new JsonArray().add("localhost:*"))));
      assertTrue(bad.getMessage().contains("allowedOrigins"), bad.getMessage());
      assertFalse(policy.allows(null));

      for (String scheme : List.of("Bearer", "bearer", "BEARER")) {
        HttpResponse<String> r = http.get().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rig.port
          + "/admin/nodes")).timeout(java.time.Duration.ofSeconds(15)).header("Authorization", scheme + " " + ADMIN).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), scheme);
      }
      HttpResponse<String> wrong = http.get().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rig.port
        + "/admin/nodes")).timeout(java.time.Duration.ofSeconds(15)).header("Authorization", "bearer " + ADMIN + "x").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(401, wrong.statusCode());
      assertEquals("t0k", Secrets.bearer("bEaReR   t0k "));
      assertNull(Secrets.bearer("Basic t0k"));
      assertNull(Secrets.bearer("Bearer"));
    }
  }

  @Test
  @DisplayName("session ids are the node's prefix and 128 random bits, not a counter")
  void unguessableSessionIds() throws Exception {
    try (Rig rig = Rig.start(limits())) {
      Set<String> ids = new HashSet<>();
      String prefix = null;
      for (int i = 0; i < 20; i++) {
        try (WsClient c = WsClient.connect(rig.vertx, rig.port, "/info")) {
          c.send("info");
          String id = new JsonObject((String) c.next()).getString("id");
          assertTrue(id.matches("[0-9a-f]{8}\\.[A-Za-z0-9_-]{22}"), id);
          String p = id.substring(0, id.indexOf('.'));
          assertTrue(prefix == null || prefix.equals(p), "one node, one prefix");
          prefix = p;
          ids.add(id);
        }
      }
      assertEquals(20, ids.size(), "20 sessions, 20 different ids");
    }
  }

  // ---------------------------------------------------------------- helpers

  private static JsonObject limits() {
    return new JsonObject().put("pingIntervalMs", 1000).put("idleTimeoutMs", 30_000);
  }

  /** A gateway in its own Vert.x (its own connection counters) with echo, info and probe services. */
  private static final class Rig implements AutoCloseable {
    final Vertx vertx = Vertx.vertx();
    final GatewayVerticle gateway = new GatewayVerticle();
    int port;

    static Rig start(JsonObject limits) throws Exception {
      return start(limits, null, null, null);
    }

    static Rig start(JsonObject limits, JsonObject bridge) throws Exception {
      return start(limits, bridge, null, null);
    }

    static Rig start(JsonObject limits, JsonObject bridge, JsonObject routes) throws Exception {
      return start(limits, bridge, routes, null);
    }

    static Rig start(JsonObject limits, JsonObject bridge, JsonObject routes, JsonObject extra) throws Exception {
      Rig rig = new Rig();
      JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0)
        .put("routes", (routes == null ? new JsonObject() : routes).copy().put("/echo", "echo").put("/info", "info")
          .put("/probe", "probe"))
        .put("limits", limits);
      if (bridge != null) {
        conf.put("bridge", bridge);
      }
      if (extra != null) {
        conf.mergeIn(extra);
      }
      await(rig.vertx.deployVerticle(new EchoService())
        .compose(id -> rig.vertx.deployVerticle(new InfoService()))
        .compose(id -> rig.vertx.deployVerticle(new ProbeService()))
        .compose(id -> rig.vertx.deployVerticle(rig.gateway, new DeploymentOptions().setConfig(conf))));
      rig.port = rig.gateway.actualPort();
      return rig;
    }

    @Override
    public void close() throws Exception {
      await(vertx.close());
    }
  }

  private static int sessions(Rig rig) {
    try {
      return await(rig.gateway.sessionCount());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Echoes messages on a new /echo session while {@code during} holds; returns how many came back. */
  private static int echoWhile(Rig rig, BooleanSupplier during) {
    int n = 0;
    try (WsClient user = WsClient.connect(rig.vertx, rig.port, "/echo", "user")) {
      while (during.getAsBoolean()) {
        user.send("m" + n);
        assertEquals("m" + n, user.next(), "the user's echo during the attack");
        n++;
      }
      assertFalse(user.isClosed(), "the user's session was not closed");
    }
    return n;
  }

  private static void echo(RawWebSocket user, String text) throws IOException {
    user.frame(RawWebSocket.TEXT, text.getBytes(StandardCharsets.UTF_8));
    assertEquals(text, user.readText());
  }

  private static void assertAwait(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 20_000;
    while (!condition.getAsBoolean()) {
      assertTrue(System.currentTimeMillis() < deadline, "timed out waiting until " + what);
      Thread.sleep(50);
    }
  }

  private static int health(String from, int port) throws IOException {
    try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), port, InetAddress.getByName(from), 0)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        .getBytes(StandardCharsets.ISO_8859_1));
      return readStatus(s.getInputStream());
    }
  }

  /**
   * A POST on a connection of its own: the JDK client does not retry a POST whose pooled keep-alive
   * connection was closed under it (a browser does), and that race is not what these tests check.
   */
  private static HttpResponse<String> post(Supplier<HttpClient> client, String url, String body) throws Exception {
    HttpClient http = client.get();
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(java.time.Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
      HttpResponse.BodyHandlers.ofString());
  }

  private static String handshake(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  }

  /** A masked client frame (the mask is zero: the payload goes as is). */
  private static byte[] frame(int opcode, byte[] payload) {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(0x80 | opcode);
    f.write(0x80 | payload.length);
    f.writeBytes(new byte[4]);
    f.writeBytes(payload);
    return f.toByteArray();
  }

  /** The status of the HTTP response head on {@code in} (the head is consumed), or -1 when none came. */
  private static int readStatus(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    int c;
    try {
      while ((c = in.read()) >= 0) {
        head.append((char) c);
        if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
          break;
        }
      }
    } catch (SocketTimeoutException e) {
      return -1;
    } catch (IOException e) {
      if (head.length() == 0) {
        return -1;
      }
    }
    String[] parts = head.toString().split(" ", 3);
    if (parts.length < 2) {
      return -1;
    }
    // skip a body announced by Content-Length
    String lower = head.toString().toLowerCase();
    int at = lower.indexOf("content-length:");
    if (at >= 0) {
      int len = Integer.parseInt(lower.substring(at + 15, lower.indexOf('\r', at)).trim());
      in.readNBytes(len);
    }
    return Integer.parseInt(parts[1]);
  }

  private static long openFds() {
    String[] fds = new File("/proc/self/fd").list();
    return fds == null ? -1 : fds.length;
  }
}
