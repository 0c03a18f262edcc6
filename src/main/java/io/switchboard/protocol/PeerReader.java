package io.switchboard.protocol;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;

/**
 * Reads session messages in both encodings {@link PeerLink} writes (one per message with
 * {@link Headers}, or a {@link Batch}) into one {@link Receiver}: the one decoder of session
 * messages, used by the gateway and the service runtime alike.
 */
public final class PeerReader {

  private static final System.Logger LOG = System.getLogger(PeerReader.class.getName());

  /** What a peer does with each session message; the session may be unknown to it (closed meanwhile). */
  public interface Receiver {
    void text(String sessionId, String text);

    /**
     * A text message with the client's sequence number ({@link Headers#SEQ}; 0 when the client
     * numbers nothing). By default the number is ignored.
     */
    default void text(String sessionId, String text, long seq) {
      text(sessionId, text);
    }

    /**
     * A text message of a batch, as its UTF-8 bytes (a slice of the batch; never changed). By
     * default decoded for {@link #text(String, String, long)}; a receiver that only passes the
     * text on can keep the bytes.
     */
    default void text(String sessionId, Buffer utf8) {
      text(sessionId, utf8.toString(StandardCharsets.UTF_8), 0);
    }

    void binary(String sessionId, Buffer data);

    void close(String sessionId, Close close);

    /**
     * A group join ({@link Addresses#group qualified} name) with the member meta (never
     * {@code null}; empty when none was given); only a gateway receives it.
     */
    default void join(String sessionId, String group, JsonObject meta) {
      LOG.log(System.Logger.Level.WARNING, "Ignoring a join for session " + sessionId);
    }

    /** A session attribute set ({@code value} {@code null}: removed); only a gateway receives it. */
    default void attribute(String sessionId, String key, Object value) {
      LOG.log(System.Logger.Level.WARNING, "Ignoring an attribute for session " + sessionId);
    }

    /** A group leave; only a gateway receives it. */
    default void leave(String sessionId, String group) {
      LOG.log(System.Logger.Level.WARNING, "Ignoring a leave for session " + sessionId);
    }

    /** The sending instance does not hold the session ({@link Op#EXPIRED}); only a gateway receives it. */
    default void expired(String sessionId) {
      LOG.log(System.Logger.Level.WARNING, "Ignoring an expired for session " + sessionId);
    }
  }

  private PeerReader() {
  }

  /**
   * Decodes {@code msg} if it is a session message or a batch of them, and says whether it was;
   * any other op (open, drain...) is left to the caller.
   */
  public static boolean read(Message<?> msg, Receiver receiver) {
    MultiMap headers = msg.headers();
    Op op = Op.of(headers.get(Headers.OP));
    if (op == Op.BATCH) {
      if (msg.body() instanceof Buffer) {
        Batch.read((Buffer) msg.body(), (recordOp, sid, payload) -> dispatch(recordOp, sid, null, payload, null, receiver));
      }
      return true;
    }
    if (op == null || !op.isSessionMessage()) {
      return false;
    }
    dispatch(op, headers.get(Headers.SESSION), headers, null, msg.body(), receiver);
    return true;
  }

  /** One session message: from a batch record ({@code payload}) or from a single message ({@code headers}, {@code body}). */
  private static void dispatch(Op op, String sid, MultiMap headers, Buffer payload, Object body, Receiver receiver) {
    if (op == null || sid == null) {
      LOG.log(System.Logger.Level.WARNING, "Ignoring a session message with an unknown op or no session");
      return;
    }
    try {
      dispatchKnown(op, sid, headers, payload, body, receiver);
    } catch (DecodeException | IndexOutOfBoundsException e) {
      LOG.log(System.Logger.Level.WARNING, "Ignoring a malformed " + op.wire() + " message for session " + sid + ": " + e.getMessage());
    }
  }

  /** The {@link Headers#SEQ} of a single message; 0 when absent or not a positive number. */
  private static long seq(MultiMap headers) {
    String seq = headers == null ? null : headers.get(Headers.SEQ);
    if (seq == null) {
      return 0;
    }
    try {
      return Math.max(0, Long.parseLong(seq));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static void dispatchKnown(Op op, String sid, MultiMap headers, Buffer payload, Object body, Receiver receiver) {
    switch (op) {
      case TEXT_SEQ:
        receiver.text(sid, payload.getString(8, payload.length(), "UTF-8"), payload.getLong(0));
        break;
      case TEXT:
      case BINARY:
        if (payload != null) {
          if (op == Op.TEXT) {
            receiver.text(sid, payload);
          } else {
            receiver.binary(sid, payload.copy());
          }
        } else if (body instanceof String) {
          receiver.text(sid, (String) body, seq(headers));
        } else if (body instanceof Buffer) {
          receiver.binary(sid, (Buffer) body);
        } else {
          LOG.log(System.Logger.Level.WARNING, "Ignoring a " + op.wire() + " message whose body is neither text nor binary");
        }
        break;
      case CLOSE:
        receiver.close(sid, payload != null ? Close.fromPayload(payload) : Close.fromHeaders(headers));
        break;
      case JOIN:
        if (payload != null) {
          int length = payload.getUnsignedShort(0);
          JsonObject meta = payload.length() > 2 + length
            ? new JsonObject(payload.slice(2 + length, payload.length())) : new JsonObject();
          receiver.join(sid, payload.getString(2, 2 + length, "UTF-8"), meta);
        } else {
          receiver.join(sid, headers.get(Headers.GROUP), body instanceof JsonObject ? (JsonObject) body : new JsonObject());
        }
        break;
      case ATTR:
        JsonObject attr = payload != null ? new JsonObject(payload) : body instanceof JsonObject ? (JsonObject) body : null;
        if (attr == null || !(attr.getValue("key") instanceof String)) {
          LOG.log(System.Logger.Level.WARNING, "Ignoring an attr message without a {\"key\": string} body for session " + sid);
        } else {
          receiver.attribute(sid, attr.getString("key"), attr.getValue("value"));
        }
        break;
      case LEAVE:
        receiver.leave(sid, payload != null ? payload.toString(StandardCharsets.UTF_8) : headers.get(Headers.GROUP));
        break;
      case EXPIRED:
        receiver.expired(sid);
        break;
      default:
        LOG.log(System.Logger.Level.WARNING, "Ignoring a session message with op " + op);
    }
  }
}
