package io.switchboard.registry;

import io.switchboard.protocol.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Keeps one piece of Switchboard visible in the registry: publishes its announce when started,
 * every heartbeat after, and at once when a gateway says hello; publishes a withdraw on stop.
 * Each announce says which cluster member the piece runs in ({@link Announce#MEMBER}) and how long
 * it may stay silent ({@link Announce#HEARTBEAT_TIMEOUT_MS}). One hello consumer per piece;
 * nothing per socket.
 *
 * <p>Heartbeats do not wait behind the owner's work: they are published from one JVM-wide daemon
 * thread ({@code switchboard-heartbeat}), not from the owner's event loop, which a burst of work
 * can hold for many seconds (a gateway fanning 1.5 M messages out did, for over 30 s). What they
 * carry is built on the owner's event loop (the announce reads the owner's state) each heartbeat,
 * so under such a burst they repeat the last state built, a little stale, but on time. (The bytes
 * still leave through the event-bus connection to each peer, whose Netty channel may share an
 * event loop with the owner's work; the generous timeout covers that.) They stop when the owner's
 * loop has built no announce for {@code heartbeatTimeoutMs}: a loop stuck that long (a deadlock,
 * an endless loop) is a hung piece, and peers take it for lost one timeout later. Peers also take a
 * piece for dead when its JVM leaves the cluster ({@link Directory}).
 */
public final class Announcer {

  /** The one thread that publishes every piece's heartbeats in this JVM. */
  private static final ScheduledExecutorService HEARTBEATS = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "switchboard-heartbeat");
    t.setDaemon(true);
    return t;
  });

  private final Vertx vertx;
  private final Supplier<JsonObject> announce;
  private final long heartbeatMs;
  private final long heartbeatTimeoutMs;
  private final ClusterMembership membership;
  private MessageConsumer<Object> hello;
  private long timer = -1;
  /** The announce last built on the owner's event loop; what the heartbeat thread publishes. */
  private volatile JsonObject latest;
  /** When {@link #latest} was built (ms of System.nanoTime): its age tells a hung owner from a busy one. */
  private volatile long latestAt;
  private ScheduledFuture<?> beat;
  /** Set under the lock on stop: no heartbeat is published after the withdraw. */
  private boolean stopped;

  /**
   * @param announce builds the current announce (called on the owner's event loop each time)
   */
  public Announcer(Vertx vertx, long heartbeatMs, Supplier<JsonObject> announce) {
    this(vertx, heartbeatMs, Announce.DEFAULT_HEARTBEAT_TIMEOUT_MS, announce);
  }

  /**
   * @param heartbeatTimeoutMs how long peers wait for a heartbeat while this JVM is a cluster member
   * @param announce builds the current announce (called on the owner's event loop each time)
   */
  public Announcer(Vertx vertx, long heartbeatMs, long heartbeatTimeoutMs, Supplier<JsonObject> announce) {
    this.vertx = vertx;
    this.heartbeatMs = heartbeatMs;
    this.heartbeatTimeoutMs = heartbeatTimeoutMs;
    this.announce = announce;
    this.membership = ClusterMembership.of(vertx);
  }

  /** Starts announcing; completes once the first announce is out and hellos are heard. */
  public Future<Void> start() {
    hello = vertx.eventBus().consumer(Addresses.REGISTRY_HELLO, msg -> publish());
    return hello.completion().onSuccess(v -> {
      publish();
      timer = vertx.setPeriodic(heartbeatMs, id -> {
        latest = current();
        latestAt = now();
      });
      beat = HEARTBEATS.scheduleAtFixedRate(this::beat, heartbeatMs, heartbeatMs, TimeUnit.MILLISECONDS);
    });
  }

  /** Publishes the announce now (e.g. after a change worth telling at once). */
  public void publish() {
    JsonObject a = current();
    latest = a;
    latestAt = now();
    vertx.eventBus().publish(Addresses.REGISTRY, a.copy());
  }

  /** On the heartbeat thread: the last announce built, whatever the owner's event loop is doing. */
  private synchronized void beat() {
    JsonObject a = latest;
    if (stopped || a == null || now() - latestAt > heartbeatTimeoutMs) {
      return; // the owner's loop has built nothing for a whole timeout: it hangs, say nothing for it
    }
    try {
      vertx.eventBus().publish(Addresses.REGISTRY, a.copy());
    } catch (RuntimeException e) { // Vert.x closed under us without a stop
      stopped = true;
      beat.cancel(false);
    }
  }

  private JsonObject current() {
    JsonObject a = announce.get().put(Announce.HEARTBEAT_TIMEOUT_MS, heartbeatTimeoutMs);
    String member = membership == null ? null : membership.localNode();
    return member == null ? a : a.put(Announce.MEMBER, member);
  }

  /** Stops the heartbeat and publishes the withdraw. */
  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    synchronized (this) { // a heartbeat being published finishes before the withdraw goes out
      stopped = true;
      if (beat != null) {
        beat.cancel(false);
      }
    }
    vertx.eventBus().publish(Addresses.REGISTRY, Announce.withdraw(current()));
    return hello == null ? Future.succeededFuture() : hello.unregister();
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }
}
