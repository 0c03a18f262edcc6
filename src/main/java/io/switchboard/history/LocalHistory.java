package io.switchboard.history;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The history of a Vert.x that is not clustered with Hazelcast: held in this JVM's heap, lost with
 * it. Same semantics as {@link HazelcastHistory}: a stream per group with contiguous positions
 * from 0, at most {@code size} messages each younger than {@code ttlSeconds}, a random epoch made
 * on the group's first append. At most {@link #MAX_GROUPS} groups are kept (the least recently
 * used forgotten first: a lost history, read as a new epoch). Thread-safe.
 */
final class LocalHistory extends OrderedHistory {

  /** Most groups kept; beyond, the one used least recently is forgotten (its epoch with it). */
  static final int MAX_GROUPS = 100_000;

  private final Map<String, Stream> streams = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Stream> eldest) {
      return size() > MAX_GROUPS;
    }
  };

  private static final class Stream {
    final String epoch = newEpoch();
    final ArrayDeque<Stored> entries = new ArrayDeque<>();
    /** The position the next message gets. */
    long next;
    /** The policy of the last append. */
    HistoryPolicy policy;

    /** Drops what the policy no longer keeps. */
    void trim(HistoryPolicy policy, long now) {
      while (entries.size() > policy.size()) {
        entries.poll();
      }
      if (policy.ttlSeconds() > 0) {
        long oldest = now - TimeUnit.SECONDS.toNanos(policy.ttlSeconds());
        while (!entries.isEmpty() && entries.peek().storedAt - oldest < 0) {
          entries.poll();
        }
      }
    }

    /** The position of the oldest message kept ({@code next} when none is). */
    long head() {
      return entries.isEmpty() ? next : entries.peek().position;
    }
  }

  private static final class Stored {
    final long position;
    final Object body;
    final String except;
    final long storedAt;

    Stored(long position, Object body, String except, long storedAt) {
      this.position = position;
      this.body = body;
      this.except = except;
      this.storedAt = storedAt;
    }
  }

  LocalHistory(Vertx vertx) {
    super(vertx);
  }

  @Override
  Future<Void> declareStore(String qualifiedPattern, HistoryPolicy policy) {
    return context().succeededFuture();
  }

  @Override
  Future<Appended> store(String group, HistoryPolicy policy, List<Object> bodies) {
    long now = System.nanoTime();
    synchronized (streams) {
      Stream stream = streams.computeIfAbsent(group, g -> new Stream());
      long first = stream.next;
      for (Object message : bodies) {
        GroupHistory.Except except = message instanceof GroupHistory.Except ? (GroupHistory.Except) message : null;
        Object body = except != null ? except.body() : message;
        stream.entries.add(new Stored(stream.next++, body instanceof Buffer ? ((Buffer) body).copy() : body,
          except != null ? except.sessionId() : null, now));
      }
      stream.policy = policy;
      stream.trim(policy, now);
      return context().succeededFuture(new Appended(first, stream.epoch));
    }
  }

  @Override
  public Future<Appended> tail(String group) {
    synchronized (streams) {
      Stream stream = streams.get(group);
      return context().succeededFuture(stream == null ? new Appended(-1, null) : new Appended(stream.next - 1, stream.epoch));
    }
  }

  @Override
  public Future<Replay> since(String group, String epoch, long position, int max) {
    long now = System.nanoTime();
    synchronized (streams) {
      Stream stream = streams.get(group);
      if (stream == null) {
        Replay.Status status = epoch == null ? Replay.Status.OK : Replay.Status.EPOCH_CHANGED;
        return context().succeededFuture(new Replay(status, null, List.of(), false));
      }
      stream.trim(stream.policy, now);
      return context().succeededFuture(read(stream, epoch, position, max));
    }
  }

  private static Replay read(Stream stream, String epoch, long position, int max) {
    long tail = stream.next - 1;
    if ((epoch != null && !epoch.equals(stream.epoch)) || position > tail) {
      return new Replay(Replay.Status.EPOCH_CHANGED, stream.epoch, List.of(), false);
    }
    if (position >= 0 && position + 1 < stream.head()) {
      return new Replay(Replay.Status.TOO_OLD, stream.epoch, List.of(), false);
    }
    List<Replay.Entry> out = new ArrayList<>(Math.min(max, stream.entries.size()));
    Iterator<Stored> it = stream.entries.iterator();
    boolean more = false;
    while (it.hasNext()) {
      Stored s = it.next();
      if (s.position <= position) {
        continue;
      }
      if (out.size() == max) {
        more = true;
        break;
      }
      out.add(new Replay.Entry(s.position, s.body instanceof Buffer ? ((Buffer) s.body).copy() : s.body, s.except));
    }
    return new Replay(Replay.Status.OK, stream.epoch, out, more);
  }
}
