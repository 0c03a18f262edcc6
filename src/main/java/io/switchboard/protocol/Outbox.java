package io.switchboard.protocol;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects the session messages bound for each peer during one event-loop turn and sends them
 * as one {@link Batch} per peer at the end of the turn (or sooner, at {@link Batch#MAX_BYTES}).
 * Confined to one context; order per peer is kept.
 *
 * <p>An outbox can be {@linkplain #hold() held}: nothing is sent (batches that fill up wait too)
 * until {@link #release()}, or until the records of one stretch are {@linkplain #cut() cut} off to
 * be sent at a chosen moment. A service holds its outbox while a group publish waits for its
 * history append, so that what it sends its sessions afterwards does not overtake that publish.
 * At most {@link #MAX_HELD_BYTES} wait: beyond, the outbox lets go (with a warning).
 */
public final class Outbox {

  private final EventBus bus;
  private final Context context;
  /** The sender's instance address, sent as {@link Headers#INSTANCE} on every batch; null for none. */
  private final String source;
  private final Map<String, Buffer> pending = new LinkedHashMap<>();
  private boolean scheduled;
  /** Full batches that wait while the outbox is held, in order. */
  private final List<Map.Entry<String, Buffer>> full = new ArrayList<>();
  private boolean held;
  private long heldBytes;

  /** The most bytes a held outbox keeps before it sends them anyway. */
  public static final long MAX_HELD_BYTES = 64L * 1024 * 1024;
  private static final System.Logger LOG = System.getLogger(Outbox.class.getName());

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
    if (held) {
      heldBytes += payload.length() + 64;
      if (heldBytes > MAX_HELD_BYTES) {
        LOG.log(System.Logger.Level.WARNING, "Outbox held over " + MAX_HELD_BYTES + " bytes: sending them before the "
          + "group publish they were to follow");
        release();
        return;
      }
    }
    if (batch.length() >= Batch.MAX_BYTES) {
      Buffer ready = pending.remove(address);
      if (held) {
        full.add(Map.entry(address, ready));
      } else {
        send(address, ready);
      }
    } else if (!scheduled) {
      scheduled = true;
      context.runOnContext(v -> flush());
    }
  }

  /** Sends what is pending now (before a message on another address that must not overtake it). */
  public void flush() {
    scheduled = false;
    if (held || pending.isEmpty()) {
      return;
    }
    pending.forEach(this::send);
    pending.clear();
  }

  /** Holds what is added from now on until {@link #release()} (or a {@link #cut()}). */
  public void hold() {
    held = true;
  }

  /** Whether the outbox is held. */
  public boolean isHeld() {
    return held;
  }

  /** Stops holding and sends everything that waits, in order. */
  public void release() {
    held = false;
    heldBytes = 0;
    full.forEach(e -> send(e.getKey(), e.getValue()));
    full.clear();
    flush();
  }

  /**
   * Takes what waits now out of the held outbox: the returned action sends it (in order, when
   * run, on this context); the outbox stays held for what comes next.
   */
  public Runnable cut() {
    List<Map.Entry<String, Buffer>> batches = new ArrayList<>(full);
    pending.forEach((address, batch) -> batches.add(Map.entry(address, batch)));
    full.clear();
    pending.clear();
    heldBytes = 0;
    return batches.isEmpty() ? () -> { } : () -> batches.forEach(e -> send(e.getKey(), e.getValue()));
  }

  private void send(String address, Buffer batch) {
    DeliveryOptions options = new DeliveryOptions().addHeader(Headers.OP, Op.BATCH.wire());
    if (source != null) {
      options.addHeader(Headers.INSTANCE, source);
    }
    bus.send(address, batch, options);
  }
}
