package io.switchboard.history;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What both stores share: the declared patterns (which group keeps which history) and the order
 * of appends. The appends of one group leave this JVM one store call at a time: while one is in
 * flight, later ones queue (at most {@link #MAX_QUEUED} messages per group, beyond that an append
 * fails) and go together in the next call, so their positions are contiguous and in call order.
 * Every append's future fails after {@link #TIMEOUT_MS}; the queue itself moves on only when the
 * store call ends (the store's own timeout bounds that), so a late store never reorders it.
 * Thread-safe; futures complete on the caller's context.
 */
abstract class OrderedHistory implements GroupHistory {

  /** How long an append or a read may take before its future fails. */
  static final long TIMEOUT_MS = 5_000;
  /** Messages of one group that may wait behind the append in flight. */
  static final int MAX_QUEUED = 10_000;
  /** Messages one store call takes at most (Hazelcast's ring buffer batch limit). */
  static final int MAX_BATCH = 1_000;

  final Vertx vertx;
  /** Qualified pattern ({@code service/pattern}) to its policy. */
  private final Map<String, HistoryPolicy> patterns = new HashMap<>();
  /** Groups with an append in flight, and what waits behind it. Guarded by itself. */
  private final Map<String, ArrayDeque<Pending>> queues = new HashMap<>();

  private static final class Pending {
    final List<Object> bodies;
    final Promise<Appended> promise;

    Pending(List<Object> bodies, Promise<Appended> promise) {
      this.bodies = bodies;
      this.promise = promise;
    }
  }

  OrderedHistory(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Stores one batch at the end of a group's stream; completes with its first position and the epoch. */
  abstract Future<Appended> store(String group, HistoryPolicy policy, List<Object> bodies);

  /** Makes the store hold groups matching {@code qualifiedPattern} under {@code policy}. */
  abstract Future<Void> declareStore(String qualifiedPattern, HistoryPolicy policy);

  @Override
  public final Future<Void> declare(String service, String pattern, HistoryPolicy policy) {
    ContextInternal ctx = context();
    String qualified = service + "/" + pattern;
    int star = pattern.indexOf('*');
    if (pattern.isEmpty() || (star >= 0 && star != pattern.length() - 1)) {
      return ctx.failedFuture("history pattern \"" + pattern + "\" of service " + service
        + ": must be a group name or a prefix ending with one '*' (e.g. \"room:*\")");
    }
    synchronized (patterns) {
      HistoryPolicy held = patterns.get(qualified);
      if (held != null && !held.equals(policy)) {
        return ctx.failedFuture(conflict(qualified, held, policy));
      }
    }
    return declareStore(qualified, policy).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).onSuccess(v -> {
      synchronized (patterns) {
        patterns.put(qualified, policy);
      }
    });
  }

  static String conflict(String qualifiedPattern, HistoryPolicy held, HistoryPolicy asked) {
    return "history \"" + qualifiedPattern + "\" is already declared in the cluster with size " + held.size()
      + ", ttlSeconds " + held.ttlSeconds() + "; this instance declares size " + asked.size() + ", ttlSeconds "
      + asked.ttlSeconds() + " (give every instance of the service the same \"history\" config, or restart the cluster)";
  }

  /** The policy of the longest declared pattern matching a qualified group, or null. */
  final HistoryPolicy policyFor(String group) {
    HistoryPolicy best = null;
    int bestLength = -1;
    synchronized (patterns) {
      for (Map.Entry<String, HistoryPolicy> e : patterns.entrySet()) {
        String p = e.getKey();
        boolean match = p.endsWith("*") ? group.startsWith(p.substring(0, p.length() - 1)) : group.equals(p);
        if (match && p.length() > bestLength) {
          best = e.getValue();
          bestLength = p.length();
        }
      }
    }
    return best;
  }

  @Override
  public final Future<Appended> append(String group, List<Object> bodies) {
    ContextInternal ctx = context();
    if (bodies.isEmpty() || bodies.size() > MAX_BATCH) {
      return ctx.failedFuture("an append holds 1 to " + MAX_BATCH + " messages, not " + bodies.size());
    }
    for (Object message : bodies) {
      Object body = message instanceof GroupHistory.Except ? ((GroupHistory.Except) message).body() : message;
      if (!(body instanceof String) && !(body instanceof Buffer)) {
        return ctx.failedFuture("a history message is a String or a Buffer, not " + (body == null ? "null" : body.getClass().getName()));
      }
    }
    HistoryPolicy policy = policyFor(group);
    if (policy == null) {
      return ctx.failedFuture("group " + group + " has no history (no declared pattern matches it)");
    }
    Pending pending = new Pending(List.copyOf(bodies), ctx.promise());
    boolean first;
    synchronized (queues) {
      ArrayDeque<Pending> queue = queues.get(group);
      first = queue == null;
      if (first) {
        queues.put(group, new ArrayDeque<>());
      } else if (queued(queue) + bodies.size() > MAX_QUEUED) {
        return ctx.failedFuture("history of " + group + ": " + MAX_QUEUED + " messages already wait to be stored");
      } else {
        queue.add(pending);
      }
    }
    if (first) {
      run(group, policy, List.of(pending));
    }
    return pending.promise.future().timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private static int queued(ArrayDeque<Pending> queue) {
    int n = 0;
    for (Pending p : queue) {
      n += p.bodies.size();
    }
    return n;
  }

  /** One store call for {@code batch}; then the next batch of what queued meanwhile, or the group's queue ends. */
  private void run(String group, HistoryPolicy policy, List<Pending> batch) {
    List<Object> all = new ArrayList<>();
    batch.forEach(p -> all.addAll(p.bodies));
    Future<Appended> stored;
    try {
      stored = store(group, policy, all);
    } catch (RuntimeException e) {
      stored = Future.failedFuture(e);
    }
    stored.onComplete(ar -> {
      long offset = 0;
      for (Pending p : batch) {
        if (ar.succeeded()) {
          p.promise.tryComplete(new Appended(ar.result().position() + offset, ar.result().epoch()));
        } else {
          p.promise.tryFail(ar.cause());
        }
        offset += p.bodies.size();
      }
      List<Pending> next = new ArrayList<>();
      synchronized (queues) {
        ArrayDeque<Pending> queue = queues.get(group);
        int size = 0;
        while (!queue.isEmpty() && size + queue.peek().bodies.size() <= MAX_BATCH) {
          Pending p = queue.poll();
          size += p.bodies.size();
          next.add(p);
        }
        if (next.isEmpty()) {
          queues.remove(group);
        }
      }
      if (!next.isEmpty()) {
        run(group, policy, next);
      }
    });
  }

  /** The caller's context (futures complete there), or a new one off any context. */
  final ContextInternal context() {
    return (ContextInternal) vertx.getOrCreateContext();
  }

  /** A new epoch: random, short, printable. */
  static String newEpoch() {
    return Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 1, 36);
  }
}
