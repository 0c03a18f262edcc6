package io.switchboard.testing;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A client of the seed chat for tests that watch a conversation rather than script it frame by
 * frame: it keeps every text it gets (in arrival order), and waits for one that matches.
 */
public final class ChatUser implements AutoCloseable {

  public final String name;
  public final int port;
  private final WsClient ws;
  private final List<String> received = new ArrayList<>();

  private ChatUser(String name, int port, WsClient ws) {
    this.name = name;
    this.port = port;
    this.ws = ws;
  }

  /** Connects to the chat at {@code path} through the gateway at {@code port}; reads the greeting (name query, listing). */
  public static ChatUser connect(Vertx vertx, int port, String path, String name) {
    ChatUser u = new ChatUser(name, port, WsClient.connect(vertx, port, path, name));
    u.await(t -> t.contains("\"query\":\"name\""));
    u.await(t -> t.contains("\"listing\""));
    return u;
  }

  public void send(String text) {
    ws.send(text);
  }

  public void send(JsonObject msg) {
    ws.send(msg);
  }

  /** Sends {@code who} and returns the address of the chat instance this client is bound to. */
  public String who() {
    int from = size();
    ws.send("who");
    String answer = awaitFrom(from, t -> t.startsWith("who "), WsClient.TIMEOUT_MS);
    return answer.split(" ")[1];
  }

  /** Names the user (no reply in the protocol). */
  public void name() {
    ws.send(new JsonObject().put("type", "name").put("name", name));
  }

  /** Joins a room and waits for the confirmation. */
  public void join(String room) {
    int from = size();
    ws.send(new JsonObject().put("type", "join").put("chatroom", room));
    awaitFrom(from, t -> t.equals(new JsonObject().put("type", "join").put("chatroom", room).encode()), WsClient.TIMEOUT_MS);
  }

  /** How many texts arrived so far. */
  public synchronized int size() {
    drain();
    return received.size();
  }

  /** Every text so far, in order (a copy). */
  public synchronized List<String> texts() {
    drain();
    return new ArrayList<>(received);
  }

  /** The first text that matches, from the start; waits up to {@link WsClient#TIMEOUT_MS}. */
  public String await(Predicate<String> match) {
    return awaitFrom(0, match, WsClient.TIMEOUT_MS);
  }

  /** The first text at index {@code from} or later that matches; waits up to {@code timeoutMs}. */
  public String awaitFrom(int from, Predicate<String> match, long timeoutMs) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    int i = from;
    while (true) {
      synchronized (this) {
        drain();
        for (; i < received.size(); i++) {
          if (match.test(received.get(i))) {
            return received.get(i);
          }
        }
      }
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        throw new AssertionError(name + ": no matching message within " + timeoutMs + " ms; got " + texts());
      }
      Object m = ws.poll(Math.min(left, 200));
      if (m != null) {
        synchronized (this) {
          received.add(String.valueOf(m));
        }
      }
    }
  }

  private void drain() {
    Object m;
    while ((m = ws.poll(0)) != null) {
      received.add(String.valueOf(m));
    }
  }

  public boolean isClosed() {
    return ws.isClosed();
  }

  /** Closes the socket and waits until it is closed. */
  @Override
  public void close() {
    ws.close();
  }
}
