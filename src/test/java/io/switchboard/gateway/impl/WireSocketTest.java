package io.switchboard.gateway.impl;

import io.switchboard.demo.EchoService;
import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
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
}
