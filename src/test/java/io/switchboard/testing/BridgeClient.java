package io.switchboard.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A blocking event-bus bridge client over SockJS's raw WebSocket transport
 * ({@code /eventbus/websocket}), speaking the bridge's JSON frames as {@code vertx-eventbus.js}
 * does: {@code send}, {@code publish}, {@code register}, {@code ping} out; {@code rec} and
 * {@code err} in. Pings every two seconds so the bridge keeps the socket.
 */
public final class BridgeClient implements AutoCloseable {

  private final Vertx vertx;
  /** Held for the socket's life: Vert.x 5 closes a client that becomes unreachable, and its sockets. */
  private final WebSocketClient client;
  private final WebSocket ws;
  private final String name;
  private final BlockingQueue<JsonObject> incoming = new LinkedBlockingQueue<>();
  /** Frames passed over by {@link #await}, seen again by the next one. */
  private final List<JsonObject> held = new ArrayList<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();
  private final long pinger;

  private BridgeClient(Vertx vertx, String name, WebSocketClient client, WebSocket ws) {
    this.vertx = vertx;
    this.client = client;
    this.name = name;
    this.ws = ws;
    try {
      ws.textMessageHandler(text -> incoming.add(new JsonObject(text)));
      ws.binaryMessageHandler(data -> incoming.add(new JsonObject(data))); // the raw transport writes binary frames
      ws.closeHandler(v -> closed.complete(null));
    } catch (IllegalStateException alreadyClosed) {
      closed.complete(null); // the bridge refused the socket at once (e.g. no token)
    }
    pinger = vertx.setPeriodic(2000, id -> {
      if (!ws.isClosed()) {
        ws.writeTextMessage("{\"type\":\"ping\"}");
      }
    });
  }

  /** Connects to the bridge at {@code /eventbus}, with an optional query string (e.g. {@code token=x}). */
  public static BridgeClient connect(Vertx vertx, int port, String name, String query) {
    WebSocketClient client = vertx.createWebSocketClient();
    String uri = "/eventbus/websocket" + (query == null ? "" : "?" + query);
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri);
    try {
      return client.connect(options).map(ws -> new BridgeClient(vertx, name, client, ws))
        .toCompletionStage().toCompletableFuture().get(WsClient.TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError(name + ": cannot connect to the bridge: " + e, e);
    }
  }

  public static BridgeClient connect(Vertx vertx, int port, String name) {
    return connect(vertx, port, name, null);
  }

  /** Sends a point-to-point message (no reply expected). */
  public void send(String address, Object body, JsonObject headers) {
    write(frame("send", address, body, headers));
  }

  public void send(String address, Object body) {
    send(address, body, null);
  }

  public void publish(String address, Object body) {
    write(frame("publish", address, body, null));
  }

  /** Sends a request; returns the address its reply (a {@code rec} frame) will come back on. */
  public String request(String address, Object body, JsonObject headers) {
    String replyAddress = UUID.randomUUID().toString();
    write(frame("send", address, body, headers).put("replyAddress", replyAddress));
    return replyAddress;
  }

  /** Sends a request and waits for the reply's body. */
  public Object ask(String address, Object body) {
    String replyAddress = request(address, body, null);
    return await("the reply from " + address, f -> replyAddress.equals(f.getString("address"))).getValue("body");
  }

  public void register(String address) {
    write(new JsonObject().put("type", "register").put("address", address));
  }

  public void unregister(String address) {
    write(new JsonObject().put("type", "unregister").put("address", address));
  }

  /** The next frame the bridge sent. */
  public JsonObject next() {
    return await("any frame", f -> true);
  }

  /** The next {@code err} frame; its {@code body} says why (e.g. {@code access_denied}). */
  public String nextError() {
    return await("an error", f -> "err".equals(f.getString("type"))).getString("body");
  }

  /** The next message delivered on {@code address}: its body. */
  public Object nextOn(String address) {
    return await("a message on " + address, f -> "rec".equals(f.getString("type")) && address.equals(f.getString("address")))
      .getValue("body");
  }

  /** Waits for the first frame that passes {@code test}; frames passed over stay for later calls. */
  public synchronized JsonObject await(String what, Predicate<JsonObject> test) {
    for (int i = 0; i < held.size(); i++) {
      if (test.test(held.get(i))) {
        return held.remove(i);
      }
    }
    long deadline = System.currentTimeMillis() + WsClient.TIMEOUT_MS;
    try {
      while (true) {
        JsonObject f = incoming.poll(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        if (f == null) {
          fail(name + ": no " + what + " within " + WsClient.TIMEOUT_MS + " ms; passed over: " + held);
        }
        if (test.test(f)) {
          return f;
        }
        held.add(f);
      }
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** Every frame received and not yet taken. */
  public synchronized List<JsonObject> received() {
    incoming.drainTo(held);
    return new ArrayList<>(held);
  }

  /** Waits for the bridge to close the socket. */
  public void awaitClosed() {
    try {
      closed.get(WsClient.TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError(name + ": the bridge did not close the socket within " + WsClient.TIMEOUT_MS + " ms", e);
    }
  }

  @Override
  public void close() {
    vertx.cancelTimer(pinger);
    if (!ws.isClosed()) {
      ws.close();
      awaitClosed();
    }
    client.close();
  }

  private void write(JsonObject frame) {
    ws.writeTextMessage(frame.encode());
  }

  private static JsonObject frame(String type, String address, Object body, JsonObject headers) {
    JsonObject f = new JsonObject().put("type", type).put("address", address).put("body", body);
    if (headers != null) {
      f.put("headers", headers);
    }
    return f;
  }
}
