package io.switchboard.registry;

import io.switchboard.protocol.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.function.Supplier;

/**
 * Keeps one piece of Switchboard visible in the registry: publishes its announce when started,
 * every heartbeat after, and at once when a gateway says hello; publishes a withdraw on stop.
 * Each announce says which cluster member the piece runs in ({@link Announce#MEMBER}) and how long
 * it may stay silent ({@link Announce#HEARTBEAT_TIMEOUT_MS}). One hello consumer per piece;
 * nothing per socket.
 *
 * <p>The heartbeat runs on the owner's event loop (the announce reads the owner's state), so a
 * burst of work delays it; that is why peers take a piece for dead only when its JVM leaves the
 * cluster or it stays silent for the generous {@code heartbeatTimeoutMs} ({@link Directory}).
 */
public final class Announcer {

  private final Vertx vertx;
  private final Supplier<JsonObject> announce;
  private final long heartbeatMs;
  private final long heartbeatTimeoutMs;
  private final ClusterMembership membership;
  private MessageConsumer<Object> hello;
  private long timer = -1;

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
      timer = vertx.setPeriodic(heartbeatMs, id -> publish());
    });
  }

  /** Publishes the announce now (e.g. after a change worth telling at once). */
  public void publish() {
    vertx.eventBus().publish(Addresses.REGISTRY, current());
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
    vertx.eventBus().publish(Addresses.REGISTRY, Announce.withdraw(current()));
    return hello == null ? Future.succeededFuture() : hello.unregister();
  }
}
