package io.switchboard.gateway.impl;

import io.netty.channel.ChannelHandler;
import io.switchboard.gateway.GatewayOptions;
import io.switchboard.testing.Await;
import io.switchboard.testing.RawWebSocket;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.RawWebSocket.TEXT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link WireUpgrade} and {@link WireSocket} on a plain Vert.x HTTP server: what the gateway's
 * WebSocket relies on of Vert.x 5.0.7's internals ({@link VertxInternals#takeOver}), pinned.
 */
@DisplayName("A WebSocket the gateway takes over from Vert.x")
class WireUpgradeTest {

  private static Vertx vertx;
  private static int port;
  /** What the server side did with each upgrade, by the path it came on. */
  private static final Map<String, CompletableFuture<Upgraded>> upgrades = new java.util.concurrent.ConcurrentHashMap<>();

  /** One upgraded socket: weak references to what Vert.x made for it, and what its listener heard. */
  static final class Upgraded {
    final WireSocket socket;
    /** Whether its text frames are written back. */
    final boolean echo;
    final WeakReference<Object> request;
    final WeakReference<Object> connection;
    final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    volatile int deliveredWhilePaused = -1;

    Upgraded(WireSocket socket, boolean echo, Object request, Object connection) {
      this.socket = socket;
      this.echo = echo;
      this.request = new WeakReference<>(request);
      this.connection = new WeakReference<>(connection);
    }
  }

  /** Records text frames (and writes them back on "/echo") and the close. */
  private static final WireSocket.Listener LISTENER = new WireSocket.Listener() {
    @Override
    public void frame(WireSocket socket, WebSocketFrame frame) {
      Upgraded u = (Upgraded) socket.attachment();
      if (frame.isText()) {
        u.frames.add(frame.textData());
        if (u.echo) {
          socket.writeText(frame.binaryData());
        }
      }
    }

    @Override
    public void error(WireSocket socket, Throwable error) {
    }

    @Override
    public boolean failing(WireSocket socket) {
      return true;
    }

    @Override
    public void overflow(WireSocket socket) {
    }

    @Override
    public void closed(WireSocket socket) {
      ((Upgraded) socket.attachment()).closed.complete(null);
    }
  };

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    WireUpgrade wire = new WireUpgrade(GatewayOptions.fromJson(new JsonObject(), Map.of()));
    HttpServer server = vertx.createHttpServer().requestHandler(request -> {
      CompletableFuture<Upgraded> slot = upgrades.computeIfAbsent(request.path(), p -> new CompletableFuture<>());
      ContextInternal context = (ContextInternal) vertx.getOrCreateContext(); // the server's, on this event loop
      Object connection = request.connection();
      WireSocket socket = wire.upgrade(request, context, LISTENER);
      if (socket == null) {
        slot.completeExceptionally(new IllegalStateException("no socket"));
        return;
      }
      Upgraded upgraded = new Upgraded(socket, request.path().equals("/echo"), request, connection);
      socket.attach(upgraded);
      if (request.path().equals("/paused")) {
        socket.pause(); // as it comes from the upgrade
        vertx.setTimer(500, id -> {
          upgraded.deliveredWhilePaused = upgraded.frames.size();
          socket.resume();
        });
      } else {
        socket.resume(); // the upgrade hands the socket over paused
      }
      slot.complete(upgraded);
    });
    port = await(server.listen(0, "127.0.0.1")).actualPort();
  }

  @AfterAll
  static void stop() throws Exception {
    await(vertx.close());
  }

  private static Upgraded upgraded(String path) throws Exception {
    return upgrades.computeIfAbsent(path, p -> new CompletableFuture<>()).get(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("leaves nothing of Vert.x's HTTP connection or request reachable once upgraded, and only Netty's frame codec and the socket in the pipeline")
  void takesOver() throws Exception {
    try (RawWebSocket ws = RawWebSocket.open(port, "/echo")) {
      ws.frame(TEXT, "echo".getBytes(StandardCharsets.UTF_8));
      assertEquals("echo", ws.readText());
      Upgraded u = upgraded("/echo");
      List<String> vertxHandlers = new ArrayList<>();
      for (Map.Entry<String, ChannelHandler> e : u.socket.channel().pipeline()) {
        if (e.getValue().getClass().getName().startsWith("io.vertx.")) {
          vertxHandlers.add(e.getKey() + "=" + e.getValue().getClass().getSimpleName());
        }
      }
      assertEquals(List.of(), vertxHandlers, "no Vert.x handler is left in the pipeline");
      assertTrue(u.socket.channel().pipeline().last() instanceof WireSocket, "the socket ends the pipeline");
      Await.until("Vert.x's request and connection collected", 10_000, () -> {
        System.gc();
        return u.request.get() == null && u.connection.get() == null;
      });
      ws.frame(TEXT, "still there".getBytes(StandardCharsets.UTF_8));
      assertEquals("still there", ws.readText(), "the socket works on without them");
    }
  }

  @Test
  @DisplayName("hands over no frame while paused, then every frame that waited, in order")
  void pauseHoldsFrames() throws Exception {
    try (RawWebSocket ws = RawWebSocket.open(port, "/paused")) {
      for (int i = 1; i <= 3; i++) {
        ws.frame(TEXT, ("m" + i).getBytes(StandardCharsets.UTF_8));
      }
      Upgraded u = upgraded("/paused");
      List<String> got = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        String frame = u.frames.poll(10, TimeUnit.SECONDS);
        assertNotNull(frame, "frame " + (i + 1) + " handed over after the resume");
        got.add(frame);
      }
      assertEquals(0, u.deliveredWhilePaused, "nothing was handed over while paused");
      assertEquals(List.of("m1", "m2", "m3"), got);
    }
  }

  @Test
  @DisplayName("answers a client's close frame with its code, ends the connection and keeps the client's code and reason")
  void clientCloses() throws Exception {
    try (RawWebSocket ws = RawWebSocket.open(port, "/client-closes")) {
      byte[] reason = "bye".getBytes(StandardCharsets.UTF_8);
      byte[] payload = new byte[2 + reason.length];
      payload[0] = (byte) (4000 >> 8);
      payload[1] = (byte) (4000 & 0xff);
      System.arraycopy(reason, 0, payload, 2, reason.length);
      ws.frame(RawWebSocket.CLOSE, payload);
      assertEquals(4000, ws.awaitCloseCode());
      Upgraded u = upgraded("/client-closes");
      u.closed.get(10, TimeUnit.SECONDS);
      assertEquals((short) 4000, u.socket.closeStatusCode());
      assertEquals("bye", u.socket.closeReason());
      assertTrue(u.socket.isClosed());
    }
  }

  @Test
  @DisplayName("sends its own close frame, writes nothing after it, and ends the connection once the client answers")
  void serverCloses() throws Exception {
    try (RawWebSocket ws = RawWebSocket.open(port, "/server-closes")) {
      Upgraded u = upgraded("/server-closes");
      u.socket.channel().eventLoop().execute(() -> { // the socket is confined to its event loop
        u.socket.close((short) 4001, "done");
        u.socket.writeText("after the close");
      });
      assertEquals(4001, ws.awaitCloseCode(), "the close frame comes first: nothing was written after it");
      assertFalse(u.closed.isDone(), "the connection waits for the client's answer");
      ws.frame(RawWebSocket.CLOSE, new byte[]{(byte) (4001 >> 8), (byte) (4001 & 0xff)});
      u.closed.get(10, TimeUnit.SECONDS);
      assertEquals(-1, ws.socket().getInputStream().read(), "nothing after the close frame, then the end of the connection");
    }
  }

  @Test
  @DisplayName("refuses a handshake without a Sec-WebSocket-Key with 400, before any upgrade")
  void missingKey() throws IOException {
    int status = RawWebSocket.handshakeStatus(port, "GET /no-key HTTP/1.1", "Host: 127.0.0.1",
      "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13");
    assertEquals(400, status);
  }
}
