package io.switchboard.protocol;

/**
 * The WebSocket close codes Switchboard sends, what each means and whether a client should
 * reconnect. docs/close-codes.md is the same list for client authors.
 */
public final class CloseCodes {

  /** The session ended normally (service or client closed it). Reconnect: only if the app wants. */
  public static final short NORMAL = 1000;
  /** The gateway is going away (shutdown). Reconnect: yes, with back-off. */
  public static final short GOING_AWAY = 1001;
  /** The client broke the WebSocket protocol. Reconnect: no, fix the client. */
  public static final short PROTOCOL_ERROR = 1002;
  /** A text frame was not valid UTF-8. Reconnect: no, fix the client. */
  public static final short INVALID_PAYLOAD = 1007;
  /**
   * The client broke a policy: it did not read what the gateway wrote (messages, or the pongs to
   * its pings) beyond the outbound bound. Reconnect: after fixing the cause.
   */
  public static final short POLICY_VIOLATION = 1008;
  /** A frame or message was larger than the gateway accepts. Reconnect: no, send less. */
  public static final short TOO_BIG = 1009;
  /** The service failed the session. Reconnect: yes, with back-off. */
  public static final short INTERNAL_ERROR = 1011;
  /**
   * The service instance restarted or went away (and the session could not be re-bound, or what
   * its client sent since the instance's last heartbeat no longer fits the replay buffer, so a
   * rebind would lose messages). Reconnect: yes, at once.
   */
  public static final short SERVICE_RESTART = 1012;
  /** The service is not available right now. Reconnect: yes, with back-off. */
  public static final short TRY_AGAIN_LATER = 1013;

  private CloseCodes() {
  }

  /** Whether {@code code} may be sent in a close frame by an application (RFC 6455, 7.4). */
  public static boolean isSendable(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  }
}
