package io.switchboard.protocol;

/**
 * What a Switchboard event-bus message means, carried in the {@link Headers#OP} header.
 *
 * <p>Gateway to service: {@link #OPEN} (a request; body: the session's {@code JsonObject} info),
 * {@link #TEXT} (body: {@code String}), {@link #BINARY} (body: {@code Buffer}), {@link #CLOSE}
 * (code and reason in headers).
 *
 * <p>Service to gateway: {@link #TEXT}, {@link #BINARY}, {@link #CLOSE}, {@link #JOIN},
 * {@link #LEAVE} to one session; {@link #TEXT} and {@link #BINARY} to a group.
 */
public enum Op {
  OPEN("open"),
  TEXT("text"),
  BINARY("binary"),
  CLOSE("close"),
  JOIN("join"),
  LEAVE("leave");

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
      default: return null;
    }
  }
}
