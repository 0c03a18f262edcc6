package io.switchboard.gateway.impl;

import io.switchboard.demo.EchoService;
import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.switchboard.testing.RawWebSocket;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.RawWebSocket.BINARY;
import static io.switchboard.testing.RawWebSocket.CONTINUATION;
import static io.switchboard.testing.RawWebSocket.TEXT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("A client that breaks the protocol")
class WireSocketTest {

  private static final int MAX_FRAME = 65536;
  private static Vertx vertx;
  private static int port;
  /** The codes the "closes" service's onClose was given. */
  private static final BlockingQueue<Integer> closeCodes = new LinkedBlockingQueue<>();

  /** Records the close code of each of its sessions. */
  static final class ClosesService extends ServiceVerticle {
    @Override
    protected String defaultName() {
      return "closes";
    }

    @Override
    protected void onClose(Session session, int code, String reason) {
      closeCodes.add(code);
    }
  }

  @BeforeAll
  static void deploy() throws Exception {
    vertx = Vertx.vertx();
    GatewayVerticle gateway = new GatewayVerticle();
    JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0)
      .put("routes", new JsonObject().put("/echo", "echo").put("/closes", "closes"))
      .put("limits", new JsonObject().put("maxFrameSize", MAX_FRAME));
    await(vertx.deployVerticle(new EchoService()).compose(id -> vertx.deployVerticle(new ClosesService()))
      .compose(id -> vertx.deployVerticle(gateway, new DeploymentOptions().setConfig(conf))));
    port = gateway.actualPort();
  }

  @AfterAll
  static void close() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("reads 1009 every time it sends a 4 MB frame over maxFrameSize: no reset destroys the close frame")
  void bigFrameAlwaysGetsItsCode() throws IOException {
    byte[] big = new byte[4 << 20];
    List<Integer> codes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      try (RawWebSocket ws = RawWebSocket.open(port, "/echo")) {
        ws.frame(BINARY, big);
        codes.add(ws.awaitCloseCode());
      }
    }
    assertEquals(Collections.nCopies(5, 1009), codes);
  }

  @Test
  @DisplayName("still gets the echo of its valid message sent just before a frame with a reserved opcode, then 1002")
  void replyBeforeFailure() throws IOException {
    try (RawWebSocket ws = RawWebSocket.open(port, "/echo")) {
      ws.frame(TEXT, "Hello, world!".getBytes(StandardCharsets.UTF_8));
      ws.frame(true, 0, 0x5, true, new byte[0]);
      assertEquals("Hello, world!", ws.readText());
      assertEquals(1002, ws.awaitCloseCode());
    }
  }

  @Test
  @DisplayName("gets 1007 as soon as a fragment holds invalid UTF-8, without sending the rest of the message")
  void failFastUtf8() throws IOException {
    try (RawWebSocket ws = RawWebSocket.open(port, "/echo")) {
      ws.frame(false, 0, TEXT, true, "κόσμε".getBytes(StandardCharsets.UTF_8));
      ws.frame(false, 0, CONTINUATION, true, new byte[]{(byte) 0xed, (byte) 0xa0, (byte) 0x80, 'a'});
      assertEquals(1007, ws.awaitCloseCode());
    }
  }

  @Test
  @DisplayName("has its service told the code it read, not 1006")
  void serviceGetsTheCode() throws Exception {
    try (RawWebSocket ws = RawWebSocket.open(port, "/closes")) {
      ws.frame(true, 4, TEXT, true, "hi".getBytes(StandardCharsets.UTF_8)); // RSV1 without an extension
      assertEquals(1002, ws.awaitCloseCode());
    }
    assertEquals(1002, closeCodes.poll(10, TimeUnit.SECONDS));
  }

  @Test
  @DisplayName("has at most MAX_HELD_FRAMES frames held while its socket is paused: one more and it reads 1008, the held ones dropped")
  void heldFramesAreCapped() {
    List<String> events = new ArrayList<>();
    WireSocket.Listener listener = new WireSocket.Listener() {
      @Override
      public void frame(WireSocket socket, io.vertx.core.http.WebSocketFrame frame) {
        events.add(frame.textData());
      }

      @Override
      public void error(WireSocket socket, Throwable error) {
        events.add("error");
      }

      @Override
      public boolean failing(WireSocket socket) {
        events.add("failing");
        return true;
      }

      @Override
      public void overflow(WireSocket socket) {
        events.add("overflow");
      }

      @Override
      public void closed(WireSocket socket) {
        events.add("closed");
      }
    };
    io.vertx.core.internal.ContextInternal context = (io.vertx.core.internal.ContextInternal) vertx.getOrCreateContext();
    // below the cap: held in order, handed over on resume
    WireSocket below = new WireSocket(context, listener, null, MAX_FRAME);
    EmbeddedChannel first = new EmbeddedChannel(below);
    below.pause();
    for (int i = 0; i < WireSocket.MAX_HELD_FRAMES; i++) {
      first.writeInbound(new TextWebSocketFrame("m" + i));
    }
    assertEquals(List.of(), events);
    below.resume();
    assertEquals(WireSocket.MAX_HELD_FRAMES, events.size());
    assertEquals("m0", events.get(0));
    assertEquals("m" + (WireSocket.MAX_HELD_FRAMES - 1), events.get(events.size() - 1));
    // one past the cap: the connection fails with 1008 and nothing held is handed over
    events.clear();
    WireSocket over = new WireSocket(context, listener, null, MAX_FRAME);
    EmbeddedChannel second = new EmbeddedChannel(over);
    second.freezeTime();
    over.pause();
    for (int i = 0; i <= WireSocket.MAX_HELD_FRAMES; i++) {
      second.writeInbound(new TextWebSocketFrame("m" + i));
    }
    assertTrue(over.isFailing());
    second.advanceTimeBy(WireSocket.FAIL_GRACE_MS, TimeUnit.MILLISECONDS);
    second.runScheduledPendingTasks();
    CloseWebSocketFrame close = second.readOutbound();
    assertEquals(1008, close.statusCode());
    close.release();
    over.resume();
    assertEquals("failing", events.get(0));
    assertTrue(events.stream().noneMatch(e -> e.startsWith("m")), "no held frame handed over: " + events);
    first.finishAndReleaseAll();
    second.finishAndReleaseAll();
  }

  @Test
  @DisplayName("gets the echo of each of 200 messages it sent right behind its upgrade request, in order (it did not wait for the 101)")
  void pipelinedFramesWait() throws IOException {
    java.io.ByteArrayOutputStream frames = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < 200; i++) {
      frames.writeBytes(RawWebSocket.encode(true, 0, TEXT, true, ("m" + i).getBytes(StandardCharsets.UTF_8)));
    }
    try (RawWebSocket ws = RawWebSocket.openPipelined(port, "/echo", frames.toByteArray())) {
      assertEquals(101, ws.status);
      for (int i = 0; i < 200; i++) {
        assertEquals("m" + i, ws.readText());
      }
    }
  }
}
