package io.switchboard.bench;

import java.util.List;

/**
 * One system under measurement: the gateway port(s) load goes to, the JVMs holding those ports,
 * and every server JVM whose CPU counts (gateways and services).
 */
record Target(String name, List<Integer> ports, List<ServerJvm> gateways, List<ServerJvm> servers) {

  static final String SWITCHBOARD = "switchboard";
  static final String BARE = "bare";
  static final String NAIVE = "naive";
  static final String LOCAL = "local";

  /** Every target, ours first, in the order the report shows them. */
  static final List<String> ALL = List.of(SWITCHBOARD, BARE, NAIVE, LOCAL);

  int port() {
    return ports.get(0);
  }

  /** CPU time summed over the server JVMs, in nanoseconds. */
  long serverCpuNanos() {
    return servers.stream().mapToLong(s -> s.stats().workNanos()).sum();
  }
}
