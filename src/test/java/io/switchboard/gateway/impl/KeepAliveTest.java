package io.switchboard.gateway.impl;

import io.switchboard.demo.EchoService;
import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.testing.RawWebSocket;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("The gateway's keep-alive, its round spread over slices of its interval")
class KeepAliveTest {

  private static final int PING_INTERVAL_MS = 3000; // three slices of a second
  private static final int IDLE_TIMEOUT_MS = 7000;
  private static Vertx vertx;
  private static int port;

  @BeforeAll
  static void deploy() throws Exception {
    vertx = Vertx.vertx();
    GatewayVerticle gateway = new GatewayVerticle();
    JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0)
      .put("routes", new JsonObject().put("/echo", "echo"))
      .put("limits", new JsonObject().put("pingIntervalMs", PING_INTERVAL_MS).put("idleTimeoutMs", IDLE_TIMEOUT_MS));
    await(vertx.deployVerticle(new EchoService())
      .compose(id -> vertx.deployVerticle(gateway, new DeploymentOptions().setConfig(conf))));
    port = gateway.actualPort();
  }

  @AfterAll
  static void close() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("pings every socket once per interval, and closes those that never answer with 1001 once idle past idleTimeoutMs")
  void everySocketPingedThenIdleClosed() throws IOException {
    List<RawWebSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < 12; i++) {
        sockets.add(RawWebSocket.open(port, "/echo"));
      }
      for (RawWebSocket ws : sockets) {
        ws.socket().setSoTimeout(PING_INTERVAL_MS * 2 + 1000);
        assertEquals(RawWebSocket.PING, nextOpcode(ws.socket().getInputStream()), "a ping within two intervals");
      }
      for (RawWebSocket ws : sockets) {
        ws.socket().setSoTimeout(IDLE_TIMEOUT_MS + PING_INTERVAL_MS * 2);
        assertEquals(1001, ws.awaitCloseCode(), "closed once idle: it answered no ping");
      }
    } finally {
      sockets.forEach(RawWebSocket::close);
    }
  }

  /** Reads one frame and returns its opcode. */
  private static int nextOpcode(InputStream in) throws IOException {
    int b0 = in.read();
    int b1 = in.read();
    if (b0 < 0 || b1 < 0) {
      throw new java.io.EOFException("the connection ended");
    }
    int len = b1 & 0x7f; // a server's ping or close frame here: no extended length
    in.readNBytes(len);
    return b0 & 0x0f;
  }
}
