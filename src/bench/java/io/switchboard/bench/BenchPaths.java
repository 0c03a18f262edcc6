package io.switchboard.bench;

/** The WebSocket paths every bench target serves, and the bench's own event-bus addresses. */
final class BenchPaths {

  /** Echo: every text message comes back to its sender. */
  static final String ECHO = "/echo";
  /** One room: every text message goes to every socket on this path. */
  static final String ROOM = "/room";
  /** The seed chat's protocol ({@code ChatService} for ours; {@link BareChat} and the node script for the baselines). */
  static final String CHAT = "/bench_chat";
  /** Routed to a service that is started late and killed (the runtime scenario). */
  static final String LATE = "/late";

  /** The naive relay's echo consumer, in another JVM. */
  static final String NAIVE_ECHO = "bench.naive.echo";
  /** The naive relay's room: published by a gateway, consumed by every gateway. */
  static final String NAIVE_ROOM = "bench.naive.room";

  private BenchPaths() {
  }
}
