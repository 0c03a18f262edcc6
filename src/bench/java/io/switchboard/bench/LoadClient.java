package io.switchboard.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The load's WebSocket clients, in the bench's own JVM. Each connection binds a source address
 * from a pool of {@code 127.0.<subnet>.1..n} (round robin), so tens of thousands of sockets never
 * run out of ephemeral ports. Blocking helpers here are called from the bench's main thread only.
 */
final class LoadClient implements AutoCloseable {

  static final int DEFAULT_SOURCE_ADDRESSES = 16;
  static final int DEFAULT_CONNECT_TIMEOUT_MS = 20_000;
  static final Duration PROBE_REPLY_TIMEOUT = Duration.ofSeconds(2);

  private static final AtomicInteger SUBNETS = new AtomicInteger(1 + (int) (ProcessHandle.current().pid() % 100));

  private final Vertx vertx;
  private final List<WebSocketClient> clients = new ArrayList<>();
  private final AtomicLong next = new AtomicLong();

  /** A client pool on a subnet of loopback addresses no other pool of this JVM uses. */
  LoadClient(Vertx vertx) {
    this.vertx = vertx;
    int subnet = 1 + (SUBNETS.getAndIncrement() % 250);
    for (int i = 1; i <= DEFAULT_SOURCE_ADDRESSES; i++) {
      clients.add(vertx.createWebSocketClient(new WebSocketClientOptions()
        .setLocalAddress("127.0." + subnet + "." + i)
        .setMaxConnections(Integer.MAX_VALUE)
        .setTcpNoDelay(true)
        .setConnectTimeout(DEFAULT_CONNECT_TIMEOUT_MS)));
    }
  }

  Vertx vertx() {
    return vertx;
  }

  /** Opens one socket on its own event-loop context. */
  Future<Conn> connect(int port, String path, int index) {
    WebSocketClient client = clients.get((int) (next.getAndIncrement() % clients.size()));
    Context ctx = vertx.getOrCreateContext();
    Promise<Conn> conn = Promise.promise();
    ctx.runOnContext(v -> client.connect(new WebSocketConnectOptions().setHost(Fleet.HOST).setPort(port).setURI(path))
      .map(ws -> new Conn(ws, ctx, index))
      .onComplete(conn));
    return conn.future();
  }

  /** What {@link #connectAll} did: the sockets, failures, and the time it took. */
  record Opened(List<Conn> conns, int failures, String firstError, long nanos) {
  }

  /**
   * Opens {@code n} sockets, at most {@code concurrency} handshakes at a time, spread over the
   * ports; {@code ready} (may be null) runs on each new socket and must complete before it counts.
   */
  Opened connectAll(List<Integer> ports, String path, int n, int concurrency, Function<Conn, Future<?>> ready, Duration timeout) {
    List<Conn> conns = Collections.synchronizedList(new ArrayList<>(n));
    AtomicInteger failures = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    String[] firstError = new String[1];
    CompletableFuture<Void> all = new CompletableFuture<>();
    Semaphore slots = new Semaphore(concurrency);
    long t0 = System.nanoTime();
    long deadline = t0 + timeout.toNanos();
    try {
      for (int i = 0; i < n; i++) {
        if (!slots.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          failures.addAndGet(n - i);
          firstError[0] = firstError[0] == null ? "timed out after " + timeout.toSeconds() + " s" : firstError[0];
          break;
        }
        int index = i;
        connect(ports.get(i % ports.size()), path, index)
          .compose(c -> ready == null ? Future.succeededFuture(c) : ready.apply(c).map(c))
          .onComplete(ar -> {
            if (ar.succeeded()) {
              conns.add(ar.result());
            } else {
              failures.incrementAndGet();
              synchronized (firstError) {
                if (firstError[0] == null) {
                  firstError[0] = String.valueOf(ar.cause().getMessage());
                }
              }
            }
            slots.release();
            if (done.incrementAndGet() == n) {
              all.complete(null);
            }
          });
      }
      if (done.get() + failures.get() < n || !all.isDone()) {
        all.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (java.util.concurrent.TimeoutException e) {
      firstError[0] = firstError[0] == null ? "timed out after " + timeout.toSeconds() + " s" : firstError[0];
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    long nanos = System.nanoTime() - t0;
    List<Conn> list;
    synchronized (conns) {
      list = new ArrayList<>(conns);
    }
    return new Opened(list, n - list.size(), firstError[0], nanos);
  }

  /** Sends one text message and completes with the first text message that comes back. */
  static Future<String> roundTrip(Conn c, String text, Duration timeout) {
    Promise<String> reply = Promise.promise();
    c.run(() -> {
      long timer = c.context.owner().setTimer(timeout.toMillis(),
        t -> reply.tryFail("no reply within " + timeout.toMillis() + " ms"));
      c.onText(t -> {
        c.context.owner().cancelTimer(timer);
        reply.tryComplete(t);
      });
      c.closed().onSuccess(code -> reply.tryFail("closed with " + code));
      c.ws.writeTextMessage(text);
    });
    return reply.future();
  }

  /** Retries a socket on the path until a message sent on it comes back (the path is routable). */
  void awaitEcho(int port, String path, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        Conn c = await(connect(port, path, 0), PROBE_REPLY_TIMEOUT.plusSeconds(5));
        try {
          await(roundTrip(c, "probe", PROBE_REPLY_TIMEOUT), PROBE_REPLY_TIMEOUT.plusSeconds(1));
          return;
        } finally {
          c.ws.close();
        }
      } catch (RuntimeException e) {
        last = e.getMessage();
        sleep(100);
      }
    }
    throw new IllegalStateException("ws://" + Fleet.HOST + ":" + port + path + " not routable within " + timeout.toSeconds() + " s: " + last);
  }

  /** Closes the sockets and waits (bounded) until they are closed. */
  static void closeAll(List<Conn> conns, Duration timeout) {
    List<Future<Short>> closed = new ArrayList<>(conns.size());
    for (Conn c : conns) {
      c.onText(null);
      c.run(() -> c.ws.close());
      closed.add(c.closed());
    }
    try {
      Future.join(closed).toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception ignored) {
      // some did not close in time; they will with the client
    }
  }

  /** Blocks the (non-event-loop) caller until the future completes. */
  static <T> T await(Future<T> future, Duration timeout) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("timed out after " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    for (WebSocketClient c : clients) {
      c.close();
    }
  }
}
