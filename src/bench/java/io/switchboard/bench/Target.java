package io.switchboard.bench;

import java.util.List;

/**
 * One system under measurement: the gateway port(s) load goes to, the JVMs holding those ports,
 * and every server process whose CPU counts (gateways and services).
 */
record Target(String name, List<Integer> ports, List<ServerJvm> gateways, List<ServerJvm> servers) {

  static final String SWITCHBOARD = "switchboard";
  static final String BARE = "bare";
  /** A plain Netty WebSocket echo pipeline on Vert.x's event loops ({@link NettyEchoVerticle}): echo only. */
  static final String NETTY = "netty";
  static final String NAIVE = "naive";
  static final String LOCAL = "local";
  /** A single Node.js process on the {@code ws} package (skipped when node is not installed). */
  static final String NODE = "node";

  /** Every target, ours first, in the order the report shows them. */
  static final List<String> ALL = List.of(SWITCHBOARD, BARE, NETTY, NAIVE, LOCAL, NODE);
  /** The baselines, in the report's order. */
  static final List<String> BASELINES = List.of(BARE, NETTY, NAIVE, LOCAL, NODE);
  /** Baselines that serve the echo path only (no {@code /room}, no chat): the fan-out scenarios skip them, with a note. */
  static final List<String> ECHO_ONLY = List.of(NETTY);

  /** Every target that has the room ({@code /room}), in the report's order. */
  static List<String> withRoom() {
    return ALL.stream().filter(t -> !ECHO_ONLY.contains(t)).toList();
  }

  int port() {
    return ports.get(0);
  }

  /** CPU time summed over the server JVMs, in nanoseconds. */
  long serverCpuNanos() {
    return servers.stream().mapToLong(s -> s.stats().workNanos()).sum();
  }
}
