package io.switchboard.protocol;

/**
 * What a Switchboard event-bus message means, carried in the {@link Headers#OP} header: the one
 * table of operations. A session message (one that concerns one session) also has the byte that
 * stands for it inside a {@link Batch}; {@link PeerLink} writes session messages and
 * {@link PeerReader} reads them, in either encoding.
 *
 * <p>Gateway to service: {@link #OPEN} (a request; body: the session's {@code JsonObject} info),
 * {@link #TEXT} (body: {@code String}), {@link #BINARY} (body: {@code Buffer}), {@link #CLOSE}
 * (code and reason in headers).
 *
 * <p>Service to gateway: {@link #TEXT}, {@link #BINARY}, {@link #CLOSE}, {@link #JOIN} (with a
 * member meta), {@link #LEAVE}, {@link #ATTR} (set one session attribute) to one session;
 * {@link #TEXT} and {@link #BINARY} to a group; {@link #DRAIN} (a request: body
 * {@code {"sessions":[ids],"failover":"close"|"rebind"}}) when an instance stops; {@link #SYNC}
 * (headers {@link Headers#SERVICE}, {@link Headers#INSTANCE}): "send that instance a snapshot of
 * your members of that service".
 *
 * <p>Gateway to services: {@link #PRESENCE}, published on {@link Addresses#presence(String)}
 * (membership deltas of one service, numbered per gateway node) or sent to one instance (a
 * snapshot, the answer to a {@link #SYNC}); body: see {@link PresenceWire}.
 *
 * <p>Service to gateway, too: {@link #EXPIRED} (no body) for a session the instance does not hold,
 * answering a message the gateway sent it (the instance took the gateway for lost and closed its
 * sessions on its side): the gateway closes the socket with 1012, so that the client reconnects
 * instead of talking to nobody. Gateway to service, {@link #EXPIRED} says the session moved to
 * another instance (the receiver was taken for lost, yet lives): it forgets the session without
 * an onClose.
 *
 * <p>Gateway to service, a text message a {@code switchboard.v1} client numbered: {@link #TEXT}
 * with {@link Headers#SEQ}; in a batch, {@link #TEXT_SEQ}.
 *
 * <p>Both ways, between peers that announced {@code "batch": true}: {@link #BATCH} (body: a
 * {@link Batch} of session messages).
 *
 * <p>Gateway to service host: {@link #DEPLOY} and {@link #UNDEPLOY} (requests, admin API).
 */
public enum Op {
  OPEN("open", 0),
  TEXT("text", 1),
  BINARY("binary", 2),
  CLOSE("close", 3),
  JOIN("join", 4),
  LEAVE("leave", 5),
  ATTR("attr", 6),
  EXPIRED("expired", 7),
  /**
   * A text message with its client sequence number ({@link Headers#SEQ}), inside a batch only:
   * the payload is the 8-byte number, then the UTF-8 text. Alone it travels as {@link #TEXT}
   * with the {@link Headers#SEQ} header.
   */
  TEXT_SEQ("text-seq", 8),
  DRAIN("drain", 0),
  PRESENCE("presence", 0),
  SYNC("sync", 0),
  BATCH("batch", 0),
  DEPLOY("deploy", 0),
  UNDEPLOY("undeploy", 0);

  private static final Op[] ALL = values();
  private static final Op[] BY_BATCH_BYTE = new Op[16];

  static {
    for (Op op : ALL) {
      if (op.batchByte != 0) {
        BY_BATCH_BYTE[op.batchByte] = op;
      }
    }
  }

  private final String wire;
  private final byte batchByte;

  Op(String wire, int batchByte) {
    this.wire = wire;
    this.batchByte = (byte) batchByte;
  }

  /** The header value. */
  public String wire() {
    return wire;
  }

  /** The byte that stands for this op in a {@link Batch} record; 0 for an op that is no session message. */
  public byte batchByte() {
    return batchByte;
  }

  /** Whether this op is a message to or from one session (it travels alone or in a batch). */
  public boolean isSessionMessage() {
    return batchByte != 0;
  }

  /** The op for a header value, or {@code null} when the value names none. */
  public static Op of(String wire) {
    if (wire != null) {
      for (Op op : ALL) {
        if (op.wire.equals(wire)) {
          return op;
        }
      }
    }
    return null;
  }

  /** The session message op for a batch record's byte, or {@code null} when the byte names none. */
  public static Op ofBatchByte(byte b) {
    return b > 0 && b < BY_BATCH_BYTE.length ? BY_BATCH_BYTE[b] : null;
  }
}
