package io.switchboard.protocol;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Collects the session messages bound for each peer during one event-loop turn and sends them
 * as one {@link Batch} per peer at the end of the turn (or sooner, at {@link Batch#MAX_BYTES}).
 * Confined to one context; order per peer is kept.
 */
public final class Outbox {

  private final EventBus bus;
  private final Context context;
  /** The sender's instance address, sent as {@link Headers#INSTANCE} on every batch; null for none. */
  private final String source;
  private final Map<String, Buffer> pending = new LinkedHashMap<>();
  private boolean scheduled;

  public Outbox(EventBus bus, Context context) {
    this(bus, context, null);
  }

  /**
   * An outbox whose batches say which service instance sent them ({@link Headers#INSTANCE}), so
   * a gateway can drop what an instance sent for a session that has since moved to another.
   */
  public Outbox(EventBus bus, Context context, String source) {
    this.bus = bus;
    this.context = context;
    this.source = source;
  }

  /** Queues one record for {@code address}. */
  public void add(String address, Op op, String sessionId, Buffer payload) {
    Buffer batch = pending.computeIfAbsent(address, a -> Buffer.buffer(256));
    Batch.append(batch, op, sessionId, payload);
    if (batch.length() >= Batch.MAX_BYTES) {
      send(address, pending.remove(address));
    } else if (!scheduled) {
      scheduled = true;
      context.runOnContext(v -> flush());
    }
  }

  /** Sends what is pending now (before a message on another address that must not overtake it). */
  public void flush() {
    scheduled = false;
    if (pending.isEmpty()) {
      return;
    }
    pending.forEach(this::send);
    pending.clear();
  }

  private void send(String address, Buffer batch) {
    DeliveryOptions options = new DeliveryOptions().addHeader(Headers.OP, Op.BATCH.wire());
    if (source != null) {
      options.addHeader(Headers.INSTANCE, source);
    }
    bus.send(address, batch, options);
  }
}
