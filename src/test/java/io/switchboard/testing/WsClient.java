package io.switchboard.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A blocking WebSocket test client: what a browser would do, with assertions on what it gets.
 * Messages from the server queue up; {@link #expect} takes the next ones.
 */
public final class WsClient implements AutoCloseable {

  /** How long any expectation waits before it fails. */
  public static final long TIMEOUT_MS = 10_000;

  private final WebSocket ws;
  /** Held for the socket's life: Vert.x 5 closes a client that becomes unreachable, and its sockets. */
  private final WebSocketClient client;
  private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
  private final CompletableFuture<Short> closed = new CompletableFuture<>();
  private final String name;
  private volatile Function<String, String> repeatKind;
  /** The last text of each kind (see dropRepeats); touched by the socket's handler only. */
  private final Map<String, String> lastOfKind = new HashMap<>();

  private WsClient(String name, WebSocketClient client, WebSocket ws) {
    this.name = name;
    this.client = client;
    this.ws = ws;
    if (ws.isClosed()) {
      // the server's close frame came in the same read as its 101: Vert.x took the socket for
      // closed before it was handed over, and refuses handlers (a refusal answered with a close)
      closed.complete(ws.closeStatusCode() == null ? (short) 1006 : ws.closeStatusCode());
      return;
    }
    ws.textMessageHandler(text -> {
      Function<String, String> kind = repeatKind;
      String k = kind == null ? null : kind.apply(text);
      if (k != null && (k.isEmpty() || text.equals(lastOfKind.put(k, text)))) {
        return; // the same as the last of its kind: dropped (see dropRepeats)
      }
      received.add(text);
    });
    ws.binaryMessageHandler(received::add);
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode() == null ? (short) 1006 : ws.closeStatusCode()));
  }

  public static WsClient connect(Vertx vertx, int port, String path) {
    return connect(vertx, port, path, path);
  }

  public static WsClient connect(Vertx vertx, int port, String path, String name) {
    return connect(vertx, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(path), name);
  }

  /** Connects with options as given (headers, subprotocols). */
  public static WsClient connect(Vertx vertx, WebSocketConnectOptions options, String name) {
    String path = options.getURI();
    WebSocketClient client = vertx.createWebSocketClient();
    try {
      // handlers are set on the event loop as the handshake completes, so no early frame is lost
      return client.connect(options).map(ws -> new WsClient(name, client, ws))
        .toCompletionStage().toCompletableFuture().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError(name + ": cannot connect to " + path + ": " + e, e);
    }
  }

  /** The HTTP status a refused upgrade got. */
  public static int rejectedStatus(Vertx vertx, int port, String path) {
    WebSocketClient client = vertx.createWebSocketClient();
    try {
      client.connect(port, "127.0.0.1", path).toCompletionStage().toCompletableFuture().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof UpgradeRejectedException) {
        return ((UpgradeRejectedException) e.getCause()).getStatus();
      }
      throw new AssertionError("upgrade to " + path + " failed without a status: " + e.getCause(), e);
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      client.close();
    }
    throw new AssertionError("upgrade to " + path + " was accepted");
  }

  /**
   * The answer to an upgrade: 101 when accepted (the socket is closed again at once), else the
   * HTTP status. A connection that fails without an HTTP answer (refused, reset) throws.
   */
  public static int upgradeStatus(Vertx vertx, int port, String path) {
    WebSocketClient client = vertx.createWebSocketClient();
    try {
      WebSocket ws = client.connect(port, "127.0.0.1", path).toCompletionStage().toCompletableFuture()
        .get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
      ws.close();
      return 101;
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof UpgradeRejectedException) {
        return ((UpgradeRejectedException) e.getCause()).getStatus();
      }
      throw new AssertionError("upgrade to " + path + " failed without a status: " + e.getCause(), e);
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      client.close();
    }
  }

  /**
   * From now on, a text identical to the last one of its kind ({@code kind} names it, returns null
   * for texts never dropped, or "" for texts always dropped) is dropped: for messages a client takes as idempotent state, such
   * as a room's count, which a service may restate.
   */
  public WsClient dropRepeats(Function<String, String> kind) {
    this.repeatKind = kind;
    // texts always dropped that came before the filter was set (between the connect and now)
    received.removeIf(m -> m instanceof String && "".equals(kind.apply((String) m)));
    return this;
  }

  public void send(String text) {
    ws.writeTextMessage(text);
  }

  public void send(JsonObject json) {
    send(json.encode());
  }

  public void send(Buffer data) {
    ws.writeBinaryMessage(data);
  }

  /** The next message, text or {@link Buffer}. */
  public Object next() {
    try {
      Object m = received.poll(TIMEOUT_MS, TimeUnit.MILLISECONDS);
      if (m == null) {
        fail(name + ": no message within " + TIMEOUT_MS + " ms");
      }
      return m;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** The next message within {@code timeoutMs}, or null: for polling with {@link Await#until}. */
  public Object poll(long timeoutMs) {
    try {
      return received.poll(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** The next message, which must be a JSON text. */
  public JsonObject nextJson() {
    Object m = next();
    if (!(m instanceof String)) {
      fail(name + ": expected a text message, got " + m);
    }
    return new JsonObject((String) m);
  }

  /**
   * The next {@code expected.length} messages are exactly these JSON texts, in any order (they
   * may travel different bus paths: a push to the session and a group publish).
   */
  public void expect(String... expected) {
    List<JsonObject> want = new ArrayList<>();
    Arrays.stream(expected).forEach(e -> want.add(new JsonObject(e)));
    List<JsonObject> got = new ArrayList<>();
    for (int i = 0; i < expected.length; i++) {
      got.add(nextJson());
    }
    List<JsonObject> missing = new ArrayList<>(want);
    got.forEach(missing::remove);
    if (!missing.isEmpty()) {
      fail(name + ": expected " + want + " but got " + got);
    }
  }

  /** Waits for the socket to close; returns the close code. */
  public short awaitClose() {
    return awaitClose(TIMEOUT_MS);
  }

  /** Waits up to {@code timeoutMs} for the socket to close; returns the close code. */
  public short awaitClose(long timeoutMs) {
    try {
      return closed.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError(name + ": socket did not close within " + timeoutMs + " ms", e);
    }
  }

  public String closeReason() {
    return ws.closeReason();
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  /** Asserts that nothing else was received so far. */
  public void assertQuiet() {
    assertEquals(List.of(), new ArrayList<>(received), name + ": unexpected messages");
  }

  /**
   * Asserts that nothing else arrives within {@code windowMs}: a negative check, so it can only
   * watch a window (the window is not a performance assertion; longer only makes it stricter).
   */
  public void assertQuiet(long windowMs) {
    try {
      Object m = received.poll(windowMs, TimeUnit.MILLISECONDS);
      if (m != null) {
        fail(name + ": expected nothing more, got " + m + (received.isEmpty() ? "" : " and " + received));
      }
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** This client's own address and port ("127.0.0.1:port"): what the gateway sees as its remote address. */
  public String localAddress() {
    return ws.localAddress().host() + ":" + ws.localAddress().port();
  }

  @Override
  public void close() {
    if (!ws.isClosed()) {
      ws.close();
      awaitClose();
    }
    client.close();
  }

}
