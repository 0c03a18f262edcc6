package io.switchboard.protocol;

/**
 * Names of the event-bus message headers that carry Switchboard metadata. Payloads travel
 * untouched in the message body; everything else is a header.
 */
public final class Headers {

  /** The {@link Op} of the message, by its wire name. */
  public static final String OP = "sb.op";
  /** The session id, unique in the cluster. */
  public static final String SESSION = "sb.sid";
  /** On an open: the address of the gateway node that holds the session. */
  public static final String GATEWAY = "sb.gw";
  /**
   * On an open's reply: the address of the service instance the session is bound to. On a batch
   * from a service: the instance that sent it. On a {@link Op#SYNC}: the instance to send the snapshot to.
   */
  public static final String INSTANCE = "sb.inst";
  /** On a {@link Op#SYNC}: the service whose members are asked for. */
  public static final String SERVICE = "sb.svc";
  /** On a close: the WebSocket close code. */
  public static final String CODE = "sb.code";
  /** On a close: the close reason, possibly empty. */
  public static final String REASON = "sb.reason";
  /** On join, leave and group publish: the qualified group name ({@link Addresses#group}). */
  public static final String GROUP = "sb.group";
  /** On an open: {@code "true"} when the session was bound to an instance that is gone (failover). */
  public static final String REBIND = "sb.rebind";
  /** On a group publish: a session id that must not receive it (typically the sender). */
  public static final String EXCEPT = "sb.except";
  /**
   * On a message a browser sent over the event-bus bridge: the id of its bridge socket, unique in
   * the cluster, set by the gateway (a browser cannot forge it). Also on {@link Addresses#BRIDGE_CLOSED}.
   */
  public static final String BRIDGE_SOCKET = "sb.bsid";
  /**
   * On a text message from a client that numbers what it sends (the {@code switchboard.v1}
   * protocol, see docs/protocol.md#resume): its sequence number in the session, from 1. A service
   * takes each number once, so that what a resuming client sends again is not processed twice.
   */
  public static final String SEQ = "sb.seq";
  /** On a group message of a group with a history: its position in the group's stream. */
  public static final String POSITION = "sb.pos";
  /** On a group message of a group with a history: the epoch of the group's stream. */
  public static final String EPOCH = "sb.epoch";
  /** On a rebind open: {@code "true"} when a client resumed the session (rather than a failover). */
  public static final String RESUME = "sb.resume";

  private Headers() {
  }
}
