package io.switchboard.protocol;

import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;

/**
 * Several session messages in one event-bus message ({@link Op#BATCH}), so that a busy gateway
 * and service pay one bus message per event-loop turn instead of one per frame. The body is a
 * {@link Buffer} of records, in order:
 *
 * <pre>
 *   op        1 byte   {@link Op#batchByte()}: 1 text, 2 binary, 3 close, 4 join, 5 leave, 6 attr,
 *                      7 expired, 8 text with a client sequence number
 *   sid       2 bytes length + UTF-8
 *   payload   4 bytes length + bytes  (text: UTF-8; close: 2-byte code + UTF-8 reason;
 *                                      join: 2-byte group length + UTF-8 group + meta JSON (none when empty);
 *                                      leave: UTF-8 group; attr: JSON {"key": k, "value": v};
 *                                      expired: nothing; text-seq: 8-byte number + UTF-8)
 * </pre>
 *
 * Used only between peers that announced {@code "batch": true}; every other peer gets one
 * message per frame, as in the rest of docs/protocol.md. {@link PeerLink} writes records,
 * {@link PeerReader} reads them.
 */
public final class Batch {

  /** A batch is sent once it reaches this size, without waiting for the end of the turn. */
  public static final int MAX_BYTES = 64 * 1024;

  /** What a reader gets for each record: its op ({@code null} for an unknown byte), session and payload. */
  public interface Handler {
    void record(Op op, String sessionId, Buffer payload);
  }

  private Batch() {
  }

  /** Appends one record to {@code batch}. */
  public static void append(Buffer batch, Op op, String sessionId, Buffer payload) {
    byte[] sid = sessionId.getBytes(StandardCharsets.UTF_8);
    batch.appendByte(op.batchByte()).appendShort((short) sid.length).appendBytes(sid).appendInt(payload.length())
      .appendBuffer(payload);
  }

  /** Reads every record of a batch, in order. */
  public static void read(Buffer batch, Handler handler) {
    int pos = 0;
    while (pos < batch.length()) {
      byte op = batch.getByte(pos);
      int sidLength = batch.getUnsignedShort(pos + 1);
      String sid = batch.getString(pos + 3, pos + 3 + sidLength, "UTF-8");
      int at = pos + 3 + sidLength;
      int length = batch.getInt(at);
      handler.record(Op.ofBatchByte(op), sid, batch.slice(at + 4, at + 4 + length));
      pos = at + 4 + length;
    }
  }
}
