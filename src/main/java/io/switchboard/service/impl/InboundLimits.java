package io.switchboard.service.impl;

import io.switchboard.protocol.CloseCodes;
import io.switchboard.service.ServiceOptions;
import io.switchboard.service.Session;

import java.util.HashMap;
import java.util.Map;

/**
 * The service's own bounds on what one client sends it ({@code maxMessageSize},
 * {@code maxMessagesPerSecond}). Counts are kept per session only when a bound is set.
 */
final class InboundLimits {

  private final ServiceOptions options;
  private final Map<String, Budget> budgets = new HashMap<>();

  InboundLimits(ServiceOptions options) {
    this.options = options;
  }

  /** What one session sent in the current second, and whether it is already being closed. */
  private static final class Budget {
    long windowStart = System.nanoTime();
    int count;
    boolean closing;
  }

  /**
   * Whether a client message is within the service's {@code maxMessageSize} and
   * {@code maxMessagesPerSecond}. If not, the session is closed (1009 or 1008) once, and this and
   * its later messages are dropped until the close completes.
   */
  boolean admit(Session session, int size) {
    int maxSize = options.maxMessageSize();
    int maxRate = options.maxMessagesPerSecond();
    if (maxSize == 0 && maxRate == 0) {
      return true;
    }
    Budget budget = budgets.computeIfAbsent(session.id(), id -> new Budget());
    if (budget.closing) {
      return false;
    }
    if (maxSize > 0 && size > maxSize) {
      budget.closing = true;
      session.close(CloseCodes.TOO_BIG, "Message too big for service " + options.name() + " (at most " + maxSize + ")");
      return false;
    }
    if (maxRate > 0) {
      long now = System.nanoTime();
      if (now - budget.windowStart >= 1_000_000_000L) {
        budget.windowStart = now;
        budget.count = 0;
      }
      if (++budget.count > maxRate) {
        budget.closing = true;
        session.close(CloseCodes.POLICY_VIOLATION, "Too many messages for service " + options.name() + " (at most "
          + maxRate + " a second)");
        return false;
      }
    }
    return true;
  }

  /** Drops a closed session's counts. */
  void forget(String sessionId) {
    budgets.remove(sessionId);
  }
}
