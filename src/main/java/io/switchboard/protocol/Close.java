package io.switchboard.protocol;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;

import java.nio.charset.StandardCharsets;

/**
 * The close of a session, as one value: a WebSocket close code and a reason, cut to the
 * {@value #MAX_REASON_BYTES} UTF-8 bytes a close frame can carry (here, and nowhere else).
 *
 * @param code   the close code ({@link CloseCodes}); 1006 when the connection dropped without a close frame
 * @param reason the reason, never {@code null}, at most {@value #MAX_REASON_BYTES} UTF-8 bytes
 */
public record Close(int code, String reason) {

  /** The most a close frame's reason can hold (RFC 6455, 5.5: 125 bytes of payload less the code). */
  public static final int MAX_REASON_BYTES = 123;
  /** The code of a close whose code is missing or unreadable: the connection dropped (RFC 6455, 7.1.5). */
  public static final int ABNORMAL = 1006;

  public Close {
    reason = truncate(reason);
  }

  /** The code, or {@link CloseCodes#NORMAL} when it may not be sent in a close frame (e.g. 1006). */
  public short sendableCode() {
    return (short) (CloseCodes.isSendable(code) ? code : CloseCodes.NORMAL);
  }

  /** A reason cut to {@link #MAX_REASON_BYTES} UTF-8 bytes, on a character boundary; {@code ""} for {@code null}. */
  public static String truncate(String reason) {
    if (reason == null) {
      return "";
    }
    byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_REASON_BYTES) {
      return reason;
    }
    String cut = new String(bytes, 0, MAX_REASON_BYTES, StandardCharsets.UTF_8);
    while (cut.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES || cut.endsWith("\uFFFD")) {
      cut = cut.substring(0, cut.length() - 1);
    }
    return cut;
  }

  /** As a batch record's payload: 2-byte code, then the UTF-8 reason. */
  Buffer toPayload() {
    return Buffer.buffer().appendShort((short) code).appendString(reason);
  }

  /** As the headers of a single close message. */
  DeliveryOptions addTo(DeliveryOptions options) {
    return options.addHeader(Headers.CODE, Integer.toString(code)).addHeader(Headers.REASON, reason);
  }

  static Close fromPayload(Buffer payload) {
    return new Close(payload.getUnsignedShort(0), payload.getString(2, payload.length(), "UTF-8"));
  }

  static Close fromHeaders(MultiMap headers) {
    int code;
    try {
      code = Integer.parseInt(headers.get(Headers.CODE));
    } catch (NumberFormatException e) {
      code = ABNORMAL;
    }
    return new Close(code, headers.get(Headers.REASON));
  }
}
