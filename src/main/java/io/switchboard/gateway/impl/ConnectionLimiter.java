package io.switchboard.gateway.impl;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the connections of a whole gateway JVM (all its gateway nodes) and of each client IP, so
 * that the limits hold however many event loops serve the port: acquired at the TCP accept,
 * released once when the connection closes ({@link ConnectionGuard}). Also counts the event-bus
 * bridge registrations of each client IP.
 */
public final class ConnectionLimiter implements Shareable {

  /** What {@link #tryAcquire} decided. */
  public enum Verdict { OK, TOO_MANY, TOO_MANY_FROM_IP }

  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentHashMap<String, AtomicInteger> perIp = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> handlersPerIp = new ConcurrentHashMap<>();

  /** The JVM's limiter, shared by every gateway node of this Vert.x instance. */
  public static ConnectionLimiter of(Vertx vertx) {
    return (ConnectionLimiter) vertx.sharedData().getLocalMap("switchboard.gateway")
      .computeIfAbsent("connection-limiter", k -> new ConnectionLimiter());
  }

  public Verdict tryAcquire(String ip, int maxTotal, int maxPerIp) {
    if (total.incrementAndGet() > maxTotal) {
      total.decrementAndGet();
      return Verdict.TOO_MANY;
    }
    AtomicInteger count = perIp.computeIfAbsent(ip, k -> new AtomicInteger());
    if (count.incrementAndGet() > maxPerIp) {
      release(ip);
      return Verdict.TOO_MANY_FROM_IP;
    }
    return Verdict.OK;
  }

  public void release(String ip) {
    total.decrementAndGet();
    perIp.computeIfPresent(ip, (k, c) -> c.decrementAndGet() <= 0 ? null : c);
  }

  /** Takes one event-bus bridge registration of {@code ip}'s budget; false when it is spent. */
  public boolean tryAcquireHandler(String ip, int maxPerIp) {
    AtomicInteger count = handlersPerIp.computeIfAbsent(ip, k -> new AtomicInteger());
    if (count.incrementAndGet() > maxPerIp) {
      releaseHandlers(ip, 1);
      return false;
    }
    return true;
  }

  /** Gives back {@code n} registrations of {@code ip}. */
  public void releaseHandlers(String ip, int n) {
    if (n > 0) {
      handlersPerIp.computeIfPresent(ip, (k, c) -> c.addAndGet(-n) <= 0 ? null : c);
    }
  }
}
