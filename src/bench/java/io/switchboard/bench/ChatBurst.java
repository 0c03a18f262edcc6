package io.switchboard.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The seed chat's join burst (issue 12), driven against a running gateway: {@code members}
 * WebSocket clients on the chat's path each send {@code name}, then all {@code join} one new room
 * at once. Each join announces the joiner to the room and the new count to everyone: about
 * 1.5 M deliveries for 1 000 members. Then {@code senders} members post {@code messagesEach}
 * messages each, which every member must get. Used by the bench's {@code burst} scenario and by
 * {@code ChatBurstTest}.
 */
public final class ChatBurst {

  /** How long the traffic must have stopped before the burst counts as delivered. */
  static final long QUIET_MS = 1_000;
  static final int CONNECT_CONCURRENCY = 64;
  /** How long a burst may make no progress (no join confirmed, no message delivered) before it is given up. */
  static final long STALL_MS = 20_000;
  static final Duration GREETING_TIMEOUT = Duration.ofSeconds(30);
  /** How often {@link #connectAndJoin} reports its progress. */
  static final long PROGRESS_MS = 30_000;

  /**
   * What a burst did.
   *
   * @param members the clients that connected
   * @param confirmed the joins confirmed ({@code {"type":"join",...}} received)
   * @param joinMs from the first join sent to the last confirmation
   * @param deliveries every frame the members got from the first join until the traffic stopped
   * @param deliveryMs from the first join to the last of those frames
   * @param messagesExpected later messages × members
   * @param messagesDelivered later messages received, over all members
   * @param listedCount the room's member count in a newcomer's listing afterwards
   */
  public record Result(int members, int confirmed, long joinMs, long deliveries, long deliveryMs,
                       long messagesExpected, long messagesDelivered, long listedCount) {

    /** Deliveries per second during the burst. */
    public double deliveriesPerSecond() {
      return deliveryMs == 0 ? 0 : deliveries * 1000.0 / deliveryMs;
    }

    public JsonObject toJson() {
      return new JsonObject().put("members", members).put("confirmed", confirmed).put("joinMs", joinMs)
        .put("deliveries", deliveries).put("deliveryMs", deliveryMs).put("deliveriesPerSecond", Math.round(deliveriesPerSecond()))
        .put("messagesExpected", messagesExpected).put("messagesDelivered", messagesDelivered).put("listedCount", listedCount);
    }
  }

  private ChatBurst() {
  }

  /** Runs one burst on the gateways at {@code ports} (members spread over them); never longer than about 3 × {@code timeout}. */
  public static Result run(Vertx vertx, List<Integer> ports, String path, int members, int senders, int messagesEach, Duration timeout) {
    try (LoadClient client = new LoadClient(vertx)) {
      LoadClient.Opened opened = client.connectAll(ports, path, members, CONNECT_CONCURRENCY, ChatBurst::greeted, timeout);
      if (opened.failures() > 0) {
        LoadClient.closeAll(opened.conns(), Duration.ofSeconds(30));
        throw new IllegalStateException(opened.failures() + " of " + members + " chat clients failed to connect: " + opened.firstError());
      }
      List<Conn> conns = opened.conns();
      try {
        return burst(client, ports, path, conns, senders, messagesEach, timeout);
      } finally {
        LoadClient.closeAll(conns, Duration.ofSeconds(30));
      }
    }
  }

  static Future<?> greeted(Conn c) {
    Promise<Void> greeted = Promise.promise();
    c.onText(t -> {
      if (t.contains("\"listing\"")) {
        greeted.tryComplete();
      }
    });
    return greeted.future().timeout(GREETING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * What a join burst did: the room, the joins confirmed, from the first join sent to the last
   * confirmation, and every frame the members got until the traffic stopped.
   */
  public record Joined(String room, int confirmed, long joinMs, long deliveries, long deliveryMs) {
  }

  /**
   * The burst itself on open, greeted sockets: each names itself, one creates a new room, then
   * all join it at once; returns once every join is confirmed and the traffic stopped (bounded).
   */
  static Joined joinBurst(List<Conn> conns, Duration timeout) {
    String room = "burst-" + UUID.randomUUID().toString().substring(0, 8);
    String confirm = new JsonObject().put("type", "join").put("chatroom", room).encode();
    AtomicLong frames = new AtomicLong();
    AtomicLong lastFrame = new AtomicLong(System.nanoTime());
    AtomicLong lastConfirm = new AtomicLong();
    AtomicInteger confirmed = new AtomicInteger();
    Promise<Void> created = Promise.promise();
    for (Conn c : conns) {
      AtomicBoolean joined = new AtomicBoolean();
      c.onText(t -> {
        frames.incrementAndGet();
        long now = System.nanoTime();
        lastFrame.set(now);
        if (t.equals(confirm)) {
          if (joined.compareAndSet(false, true)) {
            confirmed.incrementAndGet();
            lastConfirm.set(now);
          }
        } else if (t.contains("\"newchatroom\"") && t.contains("\"" + room + "\"")) {
          created.tryComplete();
        }
      });
    }
    for (Conn c : conns) {
      c.run(() -> c.ws.writeTextMessage(new JsonObject().put("type", "name").put("name", "b" + c.index).encode()));
    }
    Conn creator = conns.get(0);
    creator.run(() -> creator.ws.writeTextMessage(new JsonObject().put("type", "create").put("chatroom", room).encode()));
    LoadClient.await(created.future(), timeout);
    awaitQuiet(lastFrame, timeout);

    frames.set(0);
    long t0 = System.nanoTime();
    String join = new JsonObject().put("type", "join").put("chatroom", room).encode();
    for (Conn c : conns) {
      c.run(() -> c.ws.writeTextMessage(join));
    }
    awaitProgress(confirmed::get, conns.size(), conns, timeout);
    long joinMs = confirmed.get() == 0 ? 0 : TimeUnit.NANOSECONDS.toMillis(lastConfirm.get() - t0);
    awaitQuiet(lastFrame, timeout);
    return new Joined(room, confirmed.get(), joinMs, frames.get(), TimeUnit.NANOSECONDS.toMillis(lastFrame.get() - t0));
  }

  /** Sockets that joined as they connected ({@link #connectAndJoin}), and how long that took. */
  record Members(List<Conn> conns, Joined joined, int failures, String firstError) {
  }

  /**
   * The join of a big room as members arrive: the first client names itself, creates a new room
   * and joins it; then {@code members - 1} more connect ({@code concurrency} at a time, spread over
   * the ports), each sending {@code name} and {@code join} once greeted, and count once their join
   * is confirmed. Every join sends the new count to every client connected so far and a newuser to
   * every member, so this costs about members² frames, two thirds of an all-at-once burst on
   * members already connected.
   */
  static Members connectAndJoin(LoadClient client, List<Integer> ports, String path, int members, int concurrency, Duration timeout,
                                java.util.function.Consumer<String> progress) {
    String room = "big-" + UUID.randomUUID().toString().substring(0, 8);
    String join = new JsonObject().put("type", "join").put("chatroom", room).encode();
    AtomicLong frames = new AtomicLong();
    AtomicLong lastFrame = new AtomicLong(System.nanoTime());
    AtomicLong lastConfirm = new AtomicLong();
    AtomicInteger confirmed = new AtomicInteger();
    java.util.function.BiFunction<Conn, Boolean, Future<?>> joinOnce = (c, create) -> {
      Promise<Void> joined = Promise.promise();
      c.onText(t -> {
        frames.incrementAndGet();
        lastFrame.set(System.nanoTime());
        if (t.contains("\"listing\"") && !joined.future().isComplete()) {
          c.ws.writeTextMessage(new JsonObject().put("type", "name").put("name", "m" + c.index).encode());
          if (create) {
            c.ws.writeTextMessage(new JsonObject().put("type", "create").put("chatroom", room).encode());
          } else {
            c.ws.writeTextMessage(join);
          }
        } else if (create && t.contains("\"newchatroom\"") && t.contains("\"" + room + "\"")) {
          c.ws.writeTextMessage(join);
        } else if (t.equals(join) && joined.tryComplete()) {
          lastConfirm.set(System.nanoTime());
          confirmed.incrementAndGet();
        }
      });
      c.closed().onComplete(code -> joined.tryFail("closed with " + code.result() + " before its join was confirmed"));
      return joined.future().timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    };
    long t0 = System.nanoTime();
    long timer = client.vertx().setPeriodic(PROGRESS_MS, id -> progress.accept(String.format("%d of %d members joined, %d frames, after %.0f s",
      confirmed.get(), members, frames.get(), (System.nanoTime() - t0) / 1e9)));
    try {
      return connectAndJoin(client, ports, path, members, concurrency, timeout, room, joinOnce, frames, lastFrame, lastConfirm, t0);
    } finally {
      client.vertx().cancelTimer(timer);
    }
  }

  private static Members connectAndJoin(LoadClient client, List<Integer> ports, String path, int members, int concurrency, Duration timeout,
                                        String room, java.util.function.BiFunction<Conn, Boolean, Future<?>> joinOnce,
                                        AtomicLong frames, AtomicLong lastFrame, AtomicLong lastConfirm, long t0) {
    LoadClient.Opened first = client.connectAll(List.of(ports.get(0)), path, 1, 1, c -> joinOnce.apply(c, true), timeout);
    if (first.failures() > 0) {
      return new Members(first.conns(), new Joined(room, 0, 0, 0, 0), members, first.firstError());
    }
    LoadClient.Opened rest = client.connectAll(ports, path, members - 1, concurrency, c -> joinOnce.apply(c, false), timeout);
    List<Conn> conns = new java.util.ArrayList<>(first.conns());
    conns.addAll(rest.conns());
    long joinMs = TimeUnit.NANOSECONDS.toMillis(lastConfirm.get() - t0);
    awaitQuiet(lastFrame, timeout);
    return new Members(conns, new Joined(room, conns.size(), joinMs, frames.get(), TimeUnit.NANOSECONDS.toMillis(lastFrame.get() - t0)),
      rest.failures(), rest.firstError());
  }

  private static Result burst(LoadClient client, List<Integer> ports, String path, List<Conn> conns, int senders, int messagesEach, Duration timeout) {
    Joined joined = joinBurst(conns, timeout);
    String room = joined.room();
    AtomicLong lastFrame = new AtomicLong(System.nanoTime());
    AtomicLong delivered = new AtomicLong();
    for (Conn c : conns) {
      c.onText(t -> {
        lastFrame.set(System.nanoTime());
        if (t.contains("burst-msg ")) {
          delivered.incrementAndGet();
        }
      });
    }
    int n = Math.min(senders, conns.size());
    long expected = (long) n * messagesEach * conns.size();
    for (int s = 0; s < n; s++) {
      Conn c = conns.get(s * conns.size() / n);
      int sender = s;
      c.run(() -> {
        for (int k = 0; k < messagesEach; k++) {
          c.ws.writeTextMessage(new JsonObject().put("type", "message").put("message", "burst-msg " + sender + " " + k).encode());
        }
      });
    }
    awaitProgress(delivered::get, expected, conns, timeout);
    awaitQuiet(lastFrame, timeout);
    return new Result(conns.size(), joined.confirmed(), joined.joinMs(), joined.deliveries(), joined.deliveryMs(), expected, delivered.get(),
      listedCount(client, ports.get(0), path, room, timeout));
  }

  /**
   * Waits until {@code value} reaches {@code target}; gives up when it made no progress for
   * {@link #STALL_MS}, when a socket closed, or after {@code timeout}.
   */
  static void awaitProgress(java.util.function.LongSupplier value, long target, List<Conn> conns, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long last = -1;
    long lastChange = System.nanoTime();
    while (value.getAsLong() < target && System.nanoTime() < deadline && conns.stream().noneMatch(Conn::isClosed)) {
      long v = value.getAsLong();
      if (v != last) {
        last = v;
        lastChange = System.nanoTime();
      } else if (System.nanoTime() - lastChange > TimeUnit.MILLISECONDS.toNanos(STALL_MS)) {
        return;
      }
      LoadClient.sleep(20);
    }
  }

  /** Waits (bounded) until no frame arrived for {@link #QUIET_MS}. */
  static void awaitQuiet(AtomicLong lastFrame, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() - lastFrame.get() < TimeUnit.MILLISECONDS.toNanos(QUIET_MS) && System.nanoTime() < deadline) {
      LoadClient.sleep(50);
    }
  }

  /** The room's count in the listing a new client gets (-1 when not listed). */
  private static long listedCount(LoadClient client, int port, String path, String room, Duration timeout) {
    Promise<JsonArray> listing = Promise.promise();
    LoadClient.Opened opened = client.connectAll(List.of(port), path, 1, 1, c -> {
      c.onText(t -> {
        if (t.contains("\"listing\"")) {
          listing.tryComplete(new JsonObject(t).getJsonObject("event").getJsonArray("chatrooms"));
        }
      });
      return listing.future().timeout(GREETING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }, timeout);
    try {
      if (opened.failures() > 0) {
        throw new IllegalStateException("a newcomer could not connect: " + opened.firstError());
      }
      JsonArray rooms = listing.future().result();
      for (int i = 0; i < rooms.size(); i++) {
        if (room.equals(rooms.getJsonArray(i).getString(0))) {
          return rooms.getJsonArray(i).getLong(1);
        }
      }
      return -1;
    } finally {
      LoadClient.closeAll(opened.conns(), Duration.ofSeconds(5));
    }
  }
}
