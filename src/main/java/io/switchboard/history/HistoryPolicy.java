package io.switchboard.history;

/**
 * How much history a group keeps: at most {@code size} messages, each for at most
 * {@code ttlSeconds} (0: until pushed out by newer ones).
 */
public record HistoryPolicy(int size, int ttlSeconds) {

  public HistoryPolicy {
    if (size < 1) {
      throw new IllegalArgumentException("history size must be at least 1, not " + size);
    }
    if (ttlSeconds < 0) {
      throw new IllegalArgumentException("history ttlSeconds must not be negative, not " + ttlSeconds);
    }
  }
}
