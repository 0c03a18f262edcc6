package io.switchboard.gateway.impl;

import io.vertx.core.buffer.Buffer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * What a session of a {@code rebind} service sent in the last few seconds, bounded in age, count
 * and bytes, so that what a lost instance may not have processed can be replayed to the next one.
 * It also remembers when the newest message it had to let go was sent: if the instance may have
 * died after that, the replay would be incomplete and the session is closed 1012 instead.
 * Allocated only for sessions of a {@code rebind} service; confined to the gateway node's event loop.
 */
final class ReplayBuffer {

  /**
   * Long enough to cover the time a lost instance goes unnoticed: a killed JVM about a second, a
   * host cut off by a partition Hazelcast's {@code max.no.heartbeat.seconds} (5 s in
   * conf/cluster.xml, 10 s in conf/cluster-network.xml). The count and byte bounds cap the cost.
   */
  static final long WINDOW_MS = 15_000;
  static final int MAX_MESSAGES = 256;
  static final int MAX_BYTES = 1 << 20;

  private final long windowMs;
  private final int maxMessages;
  private final int maxBytes;
  /** Null until the client sends (an idle socket pays nothing for it) and again once all aged out. */
  private ArrayDeque<Sent> recent;
  private int bytes;
  /** When the newest evicted message was sent (ms of System.nanoTime); MIN_VALUE for none. */
  private long lastEvictedAt = Long.MIN_VALUE;

  ReplayBuffer() {
    this(WINDOW_MS, MAX_MESSAGES, MAX_BYTES);
  }

  ReplayBuffer(long windowMs, int maxMessages, int maxBytes) {
    this.windowMs = windowMs;
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
  }

  /** Keeps a message (String, Buffer, or a v1 client's Numbered text) the client sent at {@code now}, letting the oldest go past the bounds. */
  void remember(Object message, long now) {
    if (recent == null) {
      recent = new ArrayDeque<>(4);
    }
    recent.addLast(new Sent(now, message));
    bytes += size(message);
    evict(now);
  }

  /** Lets go of what aged past the window (the keep-alive round calls it, so a socket gone quiet frees its messages). */
  void expire(long now) {
    if (recent != null) {
      evict(now);
    }
  }

  private void evict(long now) {
    while (!recent.isEmpty() && (now - recent.peekFirst().at > windowMs
      || recent.size() > maxMessages || bytes > maxBytes)) {
      Sent evicted = recent.pollFirst();
      bytes -= size(evicted.message);
      lastEvictedAt = Math.max(lastEvictedAt, evicted.at);
    }
    if (recent.isEmpty()) {
      recent = null;
    }
  }

  /**
   * The overflow verdict: whether every message sent at or after {@code since} is still kept.
   * False means a replay from {@code since} would lose some, and the session must close 1012.
   */
  boolean covers(long since) {
    return lastEvictedAt < since;
  }

  /** The messages sent at or after {@code since}, oldest first. */
  List<Object> since(long since) {
    List<Object> out = new ArrayList<>();
    if (recent == null) {
      return out;
    }
    for (Sent sent : recent) {
      if (sent.at >= since) {
        out.add(sent.message);
      }
    }
    return out;
  }

  int size() {
    return recent == null ? 0 : recent.size();
  }

  int bytes() {
    return bytes;
  }

  private static int size(Object message) {
    if (message instanceof ClientProtocol.Numbered) {
      return ((ClientProtocol.Numbered) message).text().length();
    }
    return message instanceof String ? ((String) message).length() : ((Buffer) message).length();
  }

  /** One message the client sent, and when (ms of System.nanoTime). */
  private static final class Sent {
    final long at;
    final Object message;

    Sent(long at, Object message) {
      this.at = at;
      this.message = message;
    }
  }
}
