package io.switchboard.protocol;

/**
 * What a Switchboard event-bus message means, carried in the {@link Headers#OP} header.
 *
 * <p>Gateway to service: {@link #OPEN} (a request; body: the session's {@code JsonObject} info),
 * {@link #TEXT} (body: {@code String}), {@link #BINARY} (body: {@code Buffer}), {@link #CLOSE}
 * (code and reason in headers).
 *
 * <p>Service to gateway: {@link #TEXT}, {@link #BINARY}, {@link #CLOSE}, {@link #JOIN},
 * {@link #LEAVE} to one session; {@link #TEXT} and {@link #BINARY} to a group; {@link #DRAIN} (a
 * request: body {@code {"sessions":[ids],"failover":"close"|"rebind"}}) when an instance stops.
 *
 * <p>Both ways, between peers that announced {@code "batch": true}: {@link #BATCH} (body: a
 * {@link Batch} of session messages).
 *
 * <p>Gateway to service host: {@link #DEPLOY} and {@link #UNDEPLOY} (requests, admin API).
 */
public enum Op {
  OPEN("open"),
  TEXT("text"),
  BINARY("binary"),
  CLOSE("close"),
  JOIN("join"),
  LEAVE("leave"),
  DRAIN("drain"),
  BATCH("batch"),
  DEPLOY("deploy"),
  UNDEPLOY("undeploy");

  private final String wire;

  Op(String wire) {
    this.wire = wire;
  }

  /** The header value. */
  public String wire() {
    return wire;
  }

  /** The op for a header value, or {@code null} when the value names none. */
  public static Op of(String wire) {
    if (wire == null) {
      return null;
    }
    switch (wire) {
      case "open": return OPEN;
      case "text": return TEXT;
      case "binary": return BINARY;
      case "close": return CLOSE;
      case "join": return JOIN;
      case "leave": return LEAVE;
      case "drain": return DRAIN;
      case "batch": return BATCH;
      case "deploy": return DEPLOY;
      case "undeploy": return UNDEPLOY;
      default: return null;
    }
  }
}
