package io.switchboard.service;

/**
 * What gateways do with the sessions of a service instance that is lost or stops, as the
 * service declares it ({@code "failover"} in its config, announced to every gateway).
 */
public enum Failover {
  /** Close them with 1012 (the default: right for services whose per-session state lives in the instance). */
  CLOSE("close"),
  /** Re-open them on a live instance ({@link Session#isRebind()}), replaying what the client sent since the last heartbeat. */
  REBIND("rebind");

  private final String wire;

  Failover(String wire) {
    this.wire = wire;
  }

  /** The name in configs and announces: {@code "close"} or {@code "rebind"}. */
  public String wire() {
    return wire;
  }

  /** The failover a config or announce names, or {@code null} when it names none. */
  public static Failover of(String wire) {
    for (Failover f : values()) {
      if (f.wire.equals(wire)) {
        return f;
      }
    }
    return null;
  }
}
