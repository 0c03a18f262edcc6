package io.switchboard.bridge;

import io.switchboard.protocol.Addresses;
import io.switchboard.registry.Announce;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What one bridge client, scoped to one service, may name: its addresses, its groups, its paths.
 * Pure functions, built from {@link Addresses}; {@link BridgeConnection} applies them.
 */
final class BridgeRules {

  /** Paths the gateway serves itself (and its static pages): never announced by a bridge client. */
  static final List<String> RESERVED_PATHS = List.of("/", "/admin", "/eventbus", "/health", "/ready", "/metrics",
    "/vendor", "static pages (names with a dot)");

  private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9_-]{1,64}");
  private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private BridgeRules() {
  }

  /** One segment of letters, digits, '_' or '-', and none the gateway keeps for itself. */
  static boolean servablePath(String path) {
    return path != null && PATH.matcher(path).matches() && !Announce.reservedPath(path)
      && !RESERVED_PATHS.contains(path);
  }

  /** {@code switchboard.service.<service>.<id>}: an instance address of {@code service}. */
  static boolean instanceAddress(String service, String address) {
    String prefix = Addresses.serviceInstance(service, "");
    return address != null && address.startsWith(prefix)
      && INSTANCE_ID.matcher(address.substring(prefix.length())).matches();
  }

  /**
   * Addresses a client of {@code service} may register on: its service and instance addresses,
   * the registry hello, and its own service's presence deltas ({@link Addresses#presence}); nothing
   * of other services.
   */
  static boolean mayRegister(String service, String address) {
    return Addresses.service(service).equals(address) || instanceAddress(service, address)
      || Addresses.REGISTRY_HELLO.equals(address) || Addresses.presence(service).equals(address);
  }

  /**
   * Whether a client of {@code service} may send this {@code sync} (a presence snapshot request)
   * to a gateway node: for its own service, answered to one of its own instance addresses.
   */
  static boolean ownSync(String service, String syncService, String replyInstance) {
    return service.equals(syncService) && instanceAddress(service, replyInstance);
  }

  /** A qualified group ({@link Addresses#group}) of {@code service}. */
  static boolean ownGroup(String service, String qualified) {
    String prefix = Addresses.group(service, "");
    return qualified != null && qualified.startsWith(prefix) && qualified.length() > prefix.length();
  }

  /** {@code switchboard.gateway.<node>}. */
  static boolean gatewayAddress(String address) {
    String prefix = Addresses.gateway("");
    return address != null && address.startsWith(prefix) && address.length() > prefix.length();
  }
}
