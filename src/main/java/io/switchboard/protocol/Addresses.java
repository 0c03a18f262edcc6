package io.switchboard.protocol;

/**
 * Every event-bus address Switchboard uses. Nothing else in the code base spells an address.
 *
 * <ul>
 *   <li>{@link #service(String)}: where a gateway sends a new session's open, as a request; every
 *       instance of the service consumes it, so the event bus balances new sessions.</li>
 *   <li>{@link #serviceInstance(String, String)}: one per service instance; all frames and the
 *       close of a session bound to that instance go there, in order.</li>
 *   <li>{@link #gateway(String)}: one per gateway node (verticle instance); services push to their
 *       sessions through it.</li>
 *   <li>{@link #GROUPS}: published to by services; every gateway node consumes it and writes the
 *       message to its local members of the group.</li>
 *   <li>{@link #presence(String)}: one per service; every gateway node publishes there the
 *       membership deltas of that service's groups, every instance of the service consumes it.</li>
 *   <li>{@link #REGISTRY} and {@link #REGISTRY_HELLO}: service discovery (docs/protocol.md).</li>
 *   <li>{@link #BRIDGE_CLOSED}: a browser's event-bus bridge socket closed.</li>
 * </ul>
 */
public final class Addresses {

  /** Common prefix of every Switchboard address. */
  public static final String PREFIX = "switchboard.";

  /**
   * Service discovery: every service instance publishes its announce here when ready and every
   * second after (a heartbeat), and a withdraw when it stops. Gateways route by what they heard.
   */
  public static final String REGISTRY = PREFIX + "registry";

  /** A gateway that starts publishes here; every service instance then announces at once. */
  public static final String REGISTRY_HELLO = PREFIX + "registry.hello";

  /**
   * Published by a gateway when a browser's event-bus bridge socket closes, with the socket's id
   * in {@link Headers#BRIDGE_SOCKET}: services drop what they kept for that browser.
   */
  public static final String BRIDGE_CLOSED = PREFIX + "bridge.closed";

  /** Group fan-out: one publish reaches every gateway node once. */
  public static final String GROUPS = PREFIX + "groups";

  private Addresses() {
  }

  /** The address a service's instances share, where gateways send session opens. */
  public static String service(String serviceName) {
    return PREFIX + "service." + serviceName;
  }

  /** The private address of one instance of a service. */
  public static String serviceInstance(String serviceName, String instanceId) {
    return PREFIX + "service." + serviceName + "." + instanceId;
  }

  /**
   * Where gateway nodes publish the membership deltas ({@link Op#PRESENCE}) of one service's
   * groups; every instance of the service keeps its replica from them.
   */
  public static String presence(String serviceName) {
    return PREFIX + "presence." + serviceName;
  }

  /** The address of one gateway node. */
  public static String gateway(String nodeId) {
    return PREFIX + "gateway." + nodeId;
  }

  /** Whether an address has the shape of a gateway node's. */
  public static boolean isGateway(String address) {
    return address.startsWith(PREFIX + "gateway.") && address.length() > (PREFIX + "gateway.").length();
  }

  /** The address of a service host (a JVM that accepts deploy commands, see ServiceHost). */
  public static String host(String hostId) {
    return PREFIX + "host." + hostId;
  }

  /** The qualified name of a service's group, as gateways index it: groups never cross services. */
  public static String group(String serviceName, String group) {
    return serviceName + "/" + group;
  }

  /** A qualified group's name as its service (and its clients) know it: what follows the first {@code /}. */
  public static String groupName(String qualifiedGroup) {
    return qualifiedGroup.substring(qualifiedGroup.indexOf('/') + 1);
  }
}
