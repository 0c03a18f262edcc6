package io.switchboard.registry;

import io.switchboard.protocol.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What one gateway node (or service instance) knows of the cluster: the live service instances (with their paths),
 * service hosts and gateways, learnt from their announces. An instance whose heartbeats stop
 * ({@link Announce#MISSED_HEARTBEATS} in a row) is dropped and reported to the lost-entry
 * listener; a withdrawn one is dropped quietly (it drains its own sessions). Local state,
 * confined to the node's event loop; it only holds what is alive, so it does not grow as
 * instances come and go.
 */
public final class Directory {

  private static final System.Logger LOG = System.getLogger(Directory.class.getName());
  /** How often expiry is checked. */
  public static final long DEFAULT_SWEEP_MS = 250;

  /** One announced piece: a service instance, a gateway node or a service host. */
  public static final class Entry {
    private JsonObject announce;
    private long lastSeen;

    public String role() {
      return announce.getString(Announce.ROLE, Announce.ROLE_SERVICE);
    }

    public String address() {
      return announce.getString(Announce.INSTANCE);
    }

    public String service() {
      return announce.getString(Announce.SERVICE);
    }

    public String node() {
      return announce.getString(Announce.NODE, "?");
    }

    public String failover() {
      return announce.getString(Announce.FAILOVER, Announce.FAILOVER_CLOSE);
    }

    public List<String> paths() {
      JsonArray paths = announce.getJsonArray(Announce.PATHS, new JsonArray());
      List<String> out = new ArrayList<>(paths.size());
      for (Object p : paths) {
        if (p instanceof String) {
          out.add((String) p);
        }
      }
      return out;
    }

    /** The announce as last heard. */
    public JsonObject announce() {
      return announce;
    }

    /** When the last announce arrived, in ms of {@code System.nanoTime()}. */
    public long lastSeenMs() {
      return lastSeen;
    }

    /** The announced heartbeat interval. */
    public long heartbeatMs() {
      Object hb = announce.getValue(Announce.HEARTBEAT_MS);
      return hb instanceof Number && ((Number) hb).longValue() > 0 ? ((Number) hb).longValue() : Announce.DEFAULT_HEARTBEAT_MS;
    }
  }

  private final Vertx vertx;
  private Consumer<Entry> onLost = e -> { };
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private Map<String, String> pathToService = Collections.emptyMap();
  private MessageConsumer<JsonObject> consumer;
  private long sweeper = -1;

  public Directory(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Sets what to do, on the event loop, for each entry (of any role) whose heartbeats stopped. */
  public Directory onLost(Consumer<Entry> onLost) {
    this.onLost = onLost;
    return this;
  }

  /** Listens to announces, then asks everyone to announce now (a late gateway learns at once). */
  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(Addresses.REGISTRY, msg -> {
      if (msg.body() instanceof JsonObject) {
        onAnnounce(msg.body());
      }
    });
    return consumer.completion().onSuccess(v -> {
      vertx.eventBus().publish(Addresses.REGISTRY_HELLO, new JsonObject());
      sweeper = vertx.setPeriodic(DEFAULT_SWEEP_MS, id -> sweep());
    });
  }

  public Future<Void> stop() {
    if (sweeper >= 0) {
      vertx.cancelTimer(sweeper);
    }
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  /** The service that announced {@code path}, or {@code null}. */
  public String serviceForPath(String path) {
    return pathToService.get(path);
  }

  /** The live instances of a service, in announce order. */
  public List<Entry> instances(String service) {
    List<Entry> out = new ArrayList<>(2);
    for (Entry e : entries.values()) {
      if (Announce.ROLE_SERVICE.equals(e.role()) && service.equals(e.service())) {
        out.add(e);
      }
    }
    return out;
  }

  /** Every live entry. */
  public Collection<Entry> entries() {
    return Collections.unmodifiableCollection(entries.values());
  }

  /** The entry at an address, or {@code null}. */
  public Entry get(String address) {
    return entries.get(address);
  }

  /** Forgets an instance at once (it is draining). */
  public void forget(String address) {
    if (entries.remove(address) != null) {
      rebuildPaths();
    }
  }

  private void onAnnounce(JsonObject msg) {
    String address = msg.getString(Announce.INSTANCE);
    if (address == null) {
      return;
    }
    if (Announce.OP_WITHDRAW.equals(msg.getString(Announce.OP))) {
      Entry gone = entries.remove(address);
      if (gone != null) {
        LOG.log(System.Logger.Level.INFO, "Withdrawn: " + describe(gone));
        rebuildPaths();
      }
      return;
    }
    if (!Announce.OP_ANNOUNCE.equals(msg.getString(Announce.OP))) {
      return;
    }
    Entry entry = entries.get(address);
    boolean isNew = entry == null;
    List<String> oldPaths = isNew ? List.of() : entry.paths();
    if (isNew) {
      entry = new Entry();
      entries.put(address, entry);
    }
    entry.announce = msg;
    entry.lastSeen = now();
    if (isNew || !oldPaths.equals(entry.paths())) {
      if (isNew) {
        LOG.log(System.Logger.Level.INFO, "Announced: " + describe(entry));
      }
      rebuildPaths();
    }
  }

  private void sweep() {
    long now = now();
    List<Entry> lost = new ArrayList<>();
    entries.values().removeIf(e -> {
      boolean expired = now - e.lastSeen > Announce.MISSED_HEARTBEATS * e.heartbeatMs();
      if (expired) {
        lost.add(e);
      }
      return expired;
    });
    if (lost.isEmpty()) {
      return;
    }
    rebuildPaths();
    for (Entry e : lost) {
      LOG.log(System.Logger.Level.WARNING, "Lost (no heartbeat for " + (now - e.lastSeen) + " ms): " + describe(e));
      onLost.accept(e);
    }
  }

  private void rebuildPaths() {
    Map<String, String> paths = new HashMap<>();
    for (Entry e : entries.values()) {
      if (Announce.ROLE_SERVICE.equals(e.role()) && e.service() != null) {
        for (String p : e.paths()) {
          String previous = paths.putIfAbsent(p, e.service());
          if (previous != null && !previous.equals(e.service())) {
            LOG.log(System.Logger.Level.WARNING, "Path " + p + " is announced by " + previous + " and " + e.service()
              + "; routing it to " + previous);
          }
        }
      }
    }
    pathToService = paths;
  }

  private static String describe(Entry e) {
    return e.role() + (e.service() != null ? " " + e.service() : "") + " " + e.address() + " on " + e.node()
      + (e.paths().isEmpty() ? "" : " paths " + e.paths());
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }
}
