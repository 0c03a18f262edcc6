package io.switchboard.protocol;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;

import java.util.function.BooleanSupplier;

/**
 * Writes session messages to one peer (a gateway node or a service instance) in the encoding the
 * peer reads: records of a {@link Batch}, through the context's {@link Outbox}, to a peer that
 * announced {@code "batch": true}; otherwise one event-bus message each, with the {@link Headers}
 * of docs/protocol.md (what the Python SDK reads). The one encoder of session messages;
 * {@link PeerReader} is its decoder. Confined to the outbox's context.
 */
public final class PeerLink {

  private final EventBus bus;
  private final Outbox outbox;
  private final String address;
  private final BooleanSupplier batched;

  /**
   * @param batched whether the peer reads batches now (asked at each write: a peer's announce may
   *                arrive after the first messages to it)
   */
  public PeerLink(EventBus bus, Outbox outbox, String address, BooleanSupplier batched) {
    this.bus = bus;
    this.outbox = outbox;
    this.address = address;
    this.batched = batched;
  }

  /** The peer's address. */
  public String address() {
    return address;
  }

  /** A text message; {@code utf8} is its bytes when at hand (saves encoding it again for a batch), else {@code null}. */
  public void text(String sessionId, String text, Buffer utf8) {
    text(sessionId, text, utf8, 0);
  }

  /**
   * A text message with the client's sequence number ({@code seq} &gt; 0; 0 for none), see
   * {@link Headers#SEQ}.
   */
  public void text(String sessionId, String text, Buffer utf8, long seq) {
    if (batched.getAsBoolean()) {
      Buffer bytes = utf8 != null ? utf8 : Buffer.buffer(text);
      if (seq > 0) {
        outbox.add(address, Op.TEXT_SEQ, sessionId, Buffer.buffer(8 + bytes.length()).appendLong(seq).appendBuffer(bytes));
      } else {
        outbox.add(address, Op.TEXT, sessionId, bytes);
      }
    } else {
      DeliveryOptions options = new DeliveryOptions();
      if (seq > 0) {
        options.addHeader(Headers.SEQ, Long.toString(seq));
      }
      send(Op.TEXT, sessionId, text, options);
    }
  }

  /** A binary message. */
  public void binary(String sessionId, Buffer data) {
    if (batched.getAsBoolean()) {
      outbox.add(address, Op.BINARY, sessionId, data);
    } else {
      send(Op.BINARY, sessionId, data, new DeliveryOptions());
    }
  }

  /** The session's close. */
  public void close(String sessionId, Close close) {
    if (batched.getAsBoolean()) {
      outbox.add(address, Op.CLOSE, sessionId, close.toPayload());
    } else {
      send(Op.CLOSE, sessionId, null, close.addTo(new DeliveryOptions()));
    }
  }

  /** Adds the session to a group ({@link Addresses#group qualified} name) with an empty member meta. */
  public void join(String sessionId, String group) {
    join(sessionId, group, null);
  }

  /**
   * Adds the session to a group ({@link Addresses#group qualified} name) with a member meta
   * ({@code null}: empty), or replaces its meta. In a batch, the payload is the group's UTF-8
   * length (2 bytes), the group, then the meta's JSON (nothing for an empty meta); alone, the
   * group is in {@link Headers#GROUP} and the meta is the body (or none).
   */
  public void join(String sessionId, String group, JsonObject meta) {
    boolean empty = meta == null || meta.isEmpty();
    if (batched.getAsBoolean()) {
      byte[] name = group.getBytes(StandardCharsets.UTF_8);
      Buffer payload = Buffer.buffer(2 + name.length + (empty ? 0 : 32)).appendShort((short) name.length).appendBytes(name);
      if (!empty) {
        payload.appendBuffer(meta.toBuffer());
      }
      outbox.add(address, Op.JOIN, sessionId, payload);
    } else {
      send(Op.JOIN, sessionId, empty ? null : meta, new DeliveryOptions().addHeader(Headers.GROUP, group));
    }
  }

  /**
   * Sets one session attribute ({@code value} {@code null}: removes it). The payload (in a batch)
   * or body (alone) is the JSON object {@code {"key": key, "value": value}}.
   */
  public void attribute(String sessionId, String key, Object value) {
    JsonObject attr = new JsonObject().put("key", key).put("value", value);
    if (batched.getAsBoolean()) {
      outbox.add(address, Op.ATTR, sessionId, attr.toBuffer());
    } else {
      send(Op.ATTR, sessionId, attr, new DeliveryOptions());
    }
  }

  /** Removes the session from a group ({@link Addresses#group qualified} name). */
  public void leave(String sessionId, String group) {
    group(Op.LEAVE, sessionId, group);
  }

  /** Says that this instance does not hold the session (it was closed on the instance's side). */
  public void expired(String sessionId) {
    if (batched.getAsBoolean()) {
      outbox.add(address, Op.EXPIRED, sessionId, Buffer.buffer());
    } else {
      send(Op.EXPIRED, sessionId, null, new DeliveryOptions());
    }
  }

  private void group(Op op, String sessionId, String group) { // leave
    if (batched.getAsBoolean()) {
      outbox.add(address, op, sessionId, Buffer.buffer(group));
    } else {
      send(op, sessionId, null, new DeliveryOptions().addHeader(Headers.GROUP, group));
    }
  }

  private void send(Op op, String sessionId, Object body, DeliveryOptions options) {
    bus.send(address, body, options.addHeader(Headers.OP, op.wire()).addHeader(Headers.SESSION, sessionId));
  }
}
