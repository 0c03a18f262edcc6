package io.switchboard.history;

import com.hazelcast.config.InvalidConfigurationException;
import com.hazelcast.config.RingbufferConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.partition.PartitionAwareKey;
import com.hazelcast.partition.strategy.StringPartitioningStrategy;
import com.hazelcast.ringbuffer.OverflowPolicy;
import com.hazelcast.ringbuffer.Ringbuffer;
import com.hazelcast.ringbuffer.StaleSequenceException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Group history on the Hazelcast cluster the Vert.x is clustered with: one {@link Ringbuffer} per
 * group, {@code switchboard.history.<service>/<group>}, its capacity and time-to-live set by a
 * ring buffer config that {@link #declare} adds for the pattern (Hazelcast matches the {@code *}),
 * one synchronous backup. The stream's epoch is in the {@code IMap} {@link #EPOCHS}, under a key
 * kept in the ring buffer's partition: the two are lost together (all replicas of the partition
 * gone), and the next append starts a new epoch. Items are the message's bytes after a one-byte
 * tag (text or binary), so a {@code Buffer} comes back a {@code Buffer} and a {@code String} a
 * {@code String}.
 *
 * <p>Blocking Hazelcast calls (adding a config, making a proxy, head and tail sequences) run on a
 * worker thread; appends and reads use the ring buffer's async calls. Futures complete on the
 * caller's context and fail after {@link #TIMEOUT_MS}.
 */
final class HazelcastHistory extends OrderedHistory {

  /** Prefix of every ring buffer (and ring buffer config) name. */
  static final String PREFIX = "switchboard.history.";
  /** The map of group epochs (qualified group to epoch). */
  static final String EPOCHS = "switchboard.history.epochs";
  /** Ring buffer reads return at most this many (Hazelcast's limit per call). */
  private static final int MAX_READ = 1000;
  /** Proxies kept at hand; more are looked up again (cheap: Hazelcast keeps them too). */
  private static final int MAX_PROXIES = 10_000;

  private static final byte TEXT = 1;
  private static final byte BINARY = 2;
  private static final byte EXCEPT = 4;

  private final HazelcastInstance hz;
  private volatile IMap<Object, String> epochs;
  private final Map<String, Ringbuffer<byte[]>> rings = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Ringbuffer<byte[]>> eldest) {
      return size() > MAX_PROXIES;
    }
  };

  HazelcastHistory(Vertx vertx, HazelcastInstance hz) {
    super(vertx);
    this.hz = hz;
  }

  @Override
  Future<Void> declareStore(String qualifiedPattern, HistoryPolicy policy) {
    String name = PREFIX + qualifiedPattern;
    return blocking(() -> {
      RingbufferConfig config = new RingbufferConfig(name).setCapacity(policy.size())
        .setTimeToLiveSeconds(policy.ttlSeconds()).setBackupCount(1).setAsyncBackupCount(0);
      try {
        hz.getConfig().addRingBufferConfig(config);
      } catch (InvalidConfigurationException e) {
        RingbufferConfig held = hz.getConfig().getRingbufferConfigs().get(name);
        if (held != null) {
          throw new IllegalStateException(conflict(qualifiedPattern,
            new HistoryPolicy(held.getCapacity(), held.getTimeToLiveSeconds()), policy), e);
        }
        throw new IllegalStateException("history \"" + qualifiedPattern + "\": the cluster refused its config: " + e.getMessage(), e);
      }
      return null;
    });
  }

  @Override
  Future<Appended> store(String group, HistoryPolicy policy, List<Object> bodies) {
    ContextInternal ctx = context();
    List<byte[]> items = new ArrayList<>(bodies.size());
    bodies.forEach(b -> items.add(encode(b)));
    return epoch(group, true).compose(epoch -> ring(group).compose(ring ->
        Future.fromCompletionStage(ring.addAllAsync(items, OverflowPolicy.OVERWRITE), ctx))
      .map(last -> new Appended(last - items.size() + 1, epoch)));
  }

  @Override
  public Future<Replay> since(String group, String epoch, long position, int max) {
    ContextInternal ctx = context();
    Future<Replay> replay = epoch(group, false).compose(current -> {
      if (current == null) {
        return Future.succeededFuture(new Replay(epoch == null ? Replay.Status.OK : Replay.Status.EPOCH_CHANGED,
          null, List.of(), false));
      }
      if (epoch != null && !epoch.equals(current)) {
        return Future.succeededFuture(new Replay(Replay.Status.EPOCH_CHANGED, current, List.of(), false));
      }
      return ring(group).compose(ring -> blocking(() -> new long[]{ring.headSequence(), ring.tailSequence(), ring.capacity()})
        .compose(hts -> read(ctx, ring, current, position, max, hts[0], hts[1], hts[2])));
    });
    return replay.timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  @Override
  public Future<Appended> tail(String group) {
    return epoch(group, false).compose(current -> current == null
        ? Future.succeededFuture(new Appended(-1, null))
        : ring(group).compose(ring -> blocking(ring::tailSequence)).map(tail -> new Appended(tail, current)))
      .timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS);
  }

  private Future<Replay> read(ContextInternal ctx, Ringbuffer<byte[]> ring, String epoch, long position, int max,
                              long head, long tail, long capacity) {
    if (position > tail) {
      return Future.succeededFuture(new Replay(Replay.Status.EPOCH_CHANGED, epoch, List.of(), false));
    }
    if (position >= 0 && position + 1 < head) {
      return Future.succeededFuture(new Replay(Replay.Status.TOO_OLD, epoch, List.of(), false));
    }
    long from = Math.max(position + 1, head);
    if (from > tail || max <= 0) {
      return Future.succeededFuture(new Replay(Replay.Status.OK, epoch, List.of(), from <= tail));
    }
    // head and tail are read one after the other: appends in between can make their span exceed
    // the capacity, and Hazelcast refuses to read more than that at once
    int count = (int) Math.min(Math.min(Math.min(max, MAX_READ), tail - from + 1), capacity);
    return Future.fromCompletionStage(ring.readManyAsync(from, 0, count, null), ctx).map(result -> {
      if (result.size() > 0 && position >= 0 && result.getSequence(0) != position + 1) {
        return new Replay(Replay.Status.TOO_OLD, epoch, List.of(), false); // overwritten or expired meanwhile
      }
      List<Replay.Entry> entries = new ArrayList<>(result.size());
      for (int i = 0; i < result.size(); i++) {
        entries.add(entry(result.getSequence(i), result.get(i)));
      }
      long next = result.getNextSequenceToReadFrom();
      return new Replay(Replay.Status.OK, epoch, entries, next <= tail);
    }).recover(e -> {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      return cause instanceof StaleSequenceException
        ? Future.succeededFuture(new Replay(Replay.Status.TOO_OLD, epoch, List.of(), false))
        : Future.failedFuture(cause);
    });
  }

  /** The group's epoch; made (and put if absent) when {@code create} and the group has none. */
  private Future<String> epoch(String group, boolean create) {
    ContextInternal ctx = context();
    Object key = epochKey(group);
    return epochs().compose(map -> Future.fromCompletionStage(map.getAsync(key), ctx).compose(epoch -> {
      if (epoch != null || !create) {
        return Future.succeededFuture(epoch);
      }
      String fresh = newEpoch();
      return blocking(() -> {
        String prior = map.putIfAbsent(key, fresh);
        return prior != null ? prior : fresh;
      });
    }));
  }

  /** The key of a group's epoch: in the partition of the group's ring buffer. */
  private static Object epochKey(String group) {
    return new PartitionAwareKey<>(group, StringPartitioningStrategy.getPartitionKey(PREFIX + group));
  }

  private Future<IMap<Object, String>> epochs() {
    IMap<Object, String> map = epochs;
    if (map != null) {
      return Future.succeededFuture(map);
    }
    return blocking(() -> {
      IMap<Object, String> m = hz.getMap(EPOCHS);
      epochs = m;
      return m;
    });
  }

  private Future<Ringbuffer<byte[]>> ring(String group) {
    synchronized (rings) {
      Ringbuffer<byte[]> ring = rings.get(group);
      if (ring != null) {
        return Future.succeededFuture(ring);
      }
    }
    return blocking(() -> {
      Ringbuffer<byte[]> ring = hz.getRingbuffer(PREFIX + group);
      synchronized (rings) {
        rings.put(group, ring);
      }
      return ring;
    });
  }

  private <T> Future<T> blocking(Callable<T> call) {
    return context().executeBlocking(call, false);
  }

  /**
   * A stored item: a tag byte ({@link #TEXT} or {@link #BINARY}, plus {@link #EXCEPT} when the
   * message names a session it was not sent to), then with {@link #EXCEPT} that session id (1 byte
   * of length, then ASCII), then the body's bytes.
   */
  static byte[] encode(Object message) {
    GroupHistory.Except except = message instanceof GroupHistory.Except ? (GroupHistory.Except) message : null;
    Object body = except != null ? except.body() : message;
    byte[] sid = except == null ? null : except.sessionId().getBytes(StandardCharsets.UTF_8);
    if (sid != null && sid.length > 255) {
      sid = null; // not a session id of ours: kept without it
    }
    byte[] bytes = body instanceof Buffer ? ((Buffer) body).getBytes() : ((String) body).getBytes(StandardCharsets.UTF_8);
    int head = 1 + (sid == null ? 0 : 1 + sid.length);
    byte[] item = new byte[head + bytes.length];
    item[0] = (byte) ((body instanceof Buffer ? BINARY : TEXT) | (sid == null ? 0 : EXCEPT));
    if (sid != null) {
      item[1] = (byte) sid.length;
      System.arraycopy(sid, 0, item, 2, sid.length);
    }
    System.arraycopy(bytes, 0, item, head, bytes.length);
    return item;
  }

  static Object decode(byte[] item) {
    return entry(-1, item).body();
  }

  static Replay.Entry entry(long position, byte[] item) {
    if (item.length == 0) {
      return new Replay.Entry(position, "");
    }
    int tag = item[0];
    int head = 1;
    String except = null;
    if ((tag & EXCEPT) != 0 && item.length > 1) {
      int length = item[1] & 0xff;
      except = new String(item, 2, Math.min(length, item.length - 2), StandardCharsets.UTF_8);
      head = 2 + length;
    }
    int size = Math.max(0, item.length - head);
    Object body = (tag & BINARY) != 0 ? Buffer.buffer(size).appendBytes(item, Math.min(head, item.length), size)
      : new String(item, Math.min(head, item.length), size, StandardCharsets.UTF_8);
    return new Replay.Entry(position, body, except);
  }
}
