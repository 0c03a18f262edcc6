package io.switchboard;

import io.switchboard.bridge.TcpBridgeVerticle;
import io.switchboard.protocol.Addresses;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TCP bridge in one JVM, spoken to with raw frames (4-byte length + JSON) from a plain socket,
 * as any language would: its config checks, its token, and what it lets a client do.
 */
@DisplayName("The TCP bridge")
class TcpBridgeTest {

  private static final long TIMEOUT_S = 20;

  private Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("fails the deploy naming a mistyped config key")
  void mistypedKey() {
    String error = deployFailure(new JsonObject().put("prot", 7000));
    assertTrue(error.contains("TCP bridge config: unknown key \"prot\"; did you mean \"port\"?"), error);
  }

  @Test
  @DisplayName("fails the deploy naming a port out of range, and an empty token")
  void badValues() {
    String port = deployFailure(new JsonObject().put("port", 70000));
    assertTrue(port.contains("\"port\" must be an integer from 0 to 65535, got 70000"), port);
    String token = deployFailure(new JsonObject().put("port", 0).put("token", ""));
    assertTrue(token.contains("\"token\" must not be empty"), token);
  }

  @Test
  @DisplayName("refuses a frame without the token, and closes the connection")
  void tokenRequired() throws Exception {
    int port = deploy(new JsonObject().put("port", 0).put("token", "s3cret"));
    try (Client c = new Client(port)) {
      c.write(new JsonObject().put("type", "register").put("address", Addresses.service("x")));
      JsonObject err = c.read();
      assertEquals("err", err.getString("type"));
      assertTrue(err.getString("message").contains("missing or wrong token"), err.encode());
      c.assertClosed();
    }
    try (Client c = new Client(port)) {
      c.write(new JsonObject().put("type", "register").put("address", Addresses.service("x"))
        .put("headers", new JsonObject().put("sb.token", "wrong")));
      assertTrue(c.read().getString("message").contains("missing or wrong token"));
    }
  }

  @Test
  @DisplayName("with the token, delivers to a registered service address and strips the token before the bus")
  void tokenAccepted() throws Exception {
    int port = deploy(new JsonObject().put("port", 0).put("token", "s3cret"));
    CompletableFuture<Message<Object>> atGateway = new CompletableFuture<>();
    vertx.eventBus().consumer(Addresses.gateway("g1"), atGateway::complete).completion()
      .toCompletionStage().toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
    JsonObject token = new JsonObject().put("sb.token", "s3cret");
    try (Client c = new Client(port)) {
      c.write(new JsonObject().put("type", "register").put("address", Addresses.service("x")).put("headers", token.copy()));
      JsonObject inbound = null;
      for (int i = 0; i < 100 && inbound == null; i++) { // the consumer is registered asynchronously
        vertx.eventBus().send(Addresses.service("x"), "hello");
        inbound = c.readWithin(200);
      }
      assertEquals("hello", inbound == null ? null : inbound.getString("body"));

      c.write(new JsonObject().put("type", "send").put("address", Addresses.gateway("g1")).put("body", "out")
        .put("headers", token.copy().put("sb.op", "text")));
      Message<Object> got = atGateway.get(TIMEOUT_S, TimeUnit.SECONDS);
      assertEquals("out", got.body());
      assertEquals("text", got.headers().get("sb.op"));
      assertNull(got.headers().get("sb.token"), "the token never reaches the bus");
    }
  }

  @Test
  @DisplayName("lets a client do only what a service does")
  void permissions() throws Exception {
    int port = deploy(new JsonObject().put("port", 0));
    try (Client c = new Client(port)) {
      c.write(new JsonObject().put("type", "register").put("address", Addresses.gateway("g1")));
      assertEquals("access_denied", c.read().getString("message"), "a client cannot listen to a gateway");
      c.write(new JsonObject().put("type", "register").put("address", Addresses.GROUPS));
      assertEquals("access_denied", c.read().getString("message"), "nor to the group fan-out");
      c.write(new JsonObject().put("type", "send").put("address", Addresses.service("chat")).put("body", "x"));
      assertEquals("access_denied", c.read().getString("message"), "a client cannot impersonate a gateway");
      c.write(new JsonObject().put("type", "publish").put("address", Addresses.gateway("g1")).put("body", "x"));
      assertTrue(c.readRefusal().contains("take a publish"), "a gateway node gets sends only");
      c.write(new JsonObject().put("type", "send").put("address", Addresses.GROUPS).put("body", "x"));
      assertTrue(c.readRefusal().contains("takes a publish, not a send"));
      c.write(new JsonObject().put("type", "ping"));
      JsonObject next = c.read();
      assertEquals("pong", next.getString("type"), "and the connection lives on");
    }
  }

  private int deploy(JsonObject config) throws Exception {
    TcpBridgeVerticle bridge = new TcpBridgeVerticle();
    vertx.deployVerticle(bridge, new DeploymentOptions().setConfig(config))
      .toCompletionStage().toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
    return bridge.actualPort();
  }

  private String deployFailure(JsonObject config) {
    Exception e = assertThrows(Exception.class, () -> deploy(config));
    return String.valueOf(e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
  }

  /** A bridge client over a plain blocking socket. */
  private static final class Client implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    Client(int port) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_S));
      in = new DataInputStream(socket.getInputStream());
      out = new DataOutputStream(socket.getOutputStream());
    }

    void write(JsonObject frame) throws IOException {
      byte[] json = frame.encode().getBytes(StandardCharsets.UTF_8);
      out.writeInt(json.length);
      out.write(json);
      out.flush();
    }

    JsonObject read() throws IOException {
      byte[] json = new byte[in.readInt()];
      in.readFully(json);
      return new JsonObject(new String(json, StandardCharsets.UTF_8));
    }

    /**
     * A refusal by Switchboard's veto hook: its own err frame naming the reason, then the bridge's
     * generic {@code "blocked by bridgeEvent handler"}. Returns the reason.
     */
    String readRefusal() throws IOException {
      String reason = read().getString("message");
      assertEquals("blocked by bridgeEvent handler", read().getString("message"));
      return reason;
    }

    /** The next frame, or {@code null} when none comes within {@code ms}. */
    JsonObject readWithin(int ms) throws IOException {
      socket.setSoTimeout(ms);
      try {
        return read();
      } catch (java.net.SocketTimeoutException e) {
        return null;
      } finally {
        socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(TIMEOUT_S));
      }
    }

    void assertClosed() throws IOException {
      try {
        while (true) {
          read(); // a trailing "blocked" err frame may come first
        }
      } catch (EOFException | java.net.SocketException e) {
        // closed by the bridge
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
