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
 * One hello consumer per piece; nothing per socket.
 */
public final class Announcer {

  private final Vertx vertx;
  private final Supplier<JsonObject> announce;
  private final long heartbeatMs;
  private MessageConsumer<Object> hello;
  private long timer = -1;

  /**
   * @param announce builds the current announce (called on the owner's event loop each time)
   */
  public Announcer(Vertx vertx, long heartbeatMs, Supplier<JsonObject> announce) {
    this.vertx = vertx;
    this.heartbeatMs = heartbeatMs;
    this.announce = announce;
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
    vertx.eventBus().publish(Addresses.REGISTRY, announce.get());
  }

  /** Stops the heartbeat and publishes the withdraw. */
  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    vertx.eventBus().publish(Addresses.REGISTRY, Announce.withdraw(announce.get()));
    return hello == null ? Future.succeededFuture() : hello.unregister();
  }
}
