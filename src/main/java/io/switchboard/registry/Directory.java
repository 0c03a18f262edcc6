package io.switchboard.registry;

import io.switchboard.protocol.Addresses;
import io.switchboard.service.Failover;
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
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What one gateway node (or service instance) knows of the cluster: the live service instances (with their paths),
 * service hosts and gateways, learnt from their announces. An instance whose heartbeats stop
 * ({@link Announce#MISSED_HEARTBEATS} in a row) is dropped and reported to the lost-entry
 * listener; a withdrawn one is dropped quietly (it drains its own sessions). Local state,
 * confined to the node's event loop; it only holds what is alive, so it does not grow as
 * instances come and go.
 *
 * <p>Who may speak for an entry: the first announce of an instance address binds it to its role,
 * service and {@code node}, and fixes its heartbeat. A later announce or a withdraw for that address
 * from another node (or claiming another role or service) is ignored, as is an announce whose
 * address does not have its role's shape ({@link Addresses}), whose heartbeat is below
 * {@link Announce#MIN_HEARTBEAT_MS}, or that is not well-formed; a path a gateway keeps for itself
 * ({@link Announce#reservedPath}) never routes to a service. So a peer cannot make others drop a
 * real gateway or instance by announcing for it. (Cluster members are trusted to say their own node
 * truly; untrusted processes come in over the TCP bridge, which lets them announce only their own
 * instances: docs/protocol.md.)
 */
public final class Directory {

  private static final System.Logger LOG = System.getLogger(Directory.class.getName());
  /** How often expiry is checked. */
  public static final long DEFAULT_SWEEP_MS = 250;

  /** One announced piece: a service instance, a gateway node or a service host. */
  public static final class Entry {
    private JsonObject announce;
    private long lastSeen;
    private long heartbeat;

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

    /** What gateways do with its sessions when it is lost or stops; {@link Failover#CLOSE} when it does not say. */
    public Failover failover() {
      Failover f = Failover.of(announce.getString(Announce.FAILOVER));
      return f == null ? Failover.CLOSE : f;
    }

    /** Whether it reads and writes batches ({@code "batch": true}). */
    public boolean batches() {
      return announce.getBoolean(Announce.BATCH, false);
    }

    /** The sessions it said it holds. */
    public int sessions() {
      return announce.getInteger(Announce.SESSIONS, 0);
    }

    /** How long its JVM had been up when it announced, in ms. */
    public long uptimeMs() {
      return announce.getLong(Announce.UPTIME_MS, 0L);
    }

    /** A service host's deployments, as it announced them. */
    public JsonArray deployments() {
      return announce.getJsonArray(Announce.DEPLOYMENTS, new JsonArray());
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

    /** The heartbeat interval its first announce gave (later announces cannot shorten it). */
    public long heartbeatMs() {
      return heartbeat;
    }
  }

  private final Vertx vertx;
  private Consumer<Entry> onLost = e -> { };
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private Map<String, String> pathToService = Collections.emptyMap();
  private MessageConsumer<JsonObject> consumer;
  private long sweeper = -1;
  private long lastIgnoredLog = Long.MIN_VALUE / 2;

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
        try {
          onAnnounce(msg.body());
        } catch (ClassCastException e) { // a field of the wrong type
          ignore("a malformed announce", e.getMessage());
        }
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
    Entry known = entries.get(address);
    if (Announce.OP_WITHDRAW.equals(msg.getString(Announce.OP))) {
      if (known != null && !Objects.equals(known.announce.getValue(Announce.NODE), msg.getValue(Announce.NODE))) {
        ignore("a withdraw of " + address + " from node " + msg.getValue(Announce.NODE), "it was announced by " + known.node());
      } else if (known != null) {
        entries.remove(address);
        LOG.log(System.Logger.Level.INFO, "Withdrawn: " + describe(known));
        rebuildPaths();
      }
      return;
    }
    if (!Announce.OP_ANNOUNCE.equals(msg.getString(Announce.OP))) {
      return;
    }
    String role = msg.getString(Announce.ROLE, Announce.ROLE_SERVICE);
    String service = msg.getString(Announce.SERVICE);
    if (!shaped(role, service, address)) {
      ignore("an announce of " + address, "its address is not that of a " + role + (service == null ? "" : " of " + service));
      return;
    }
    Object hb = msg.getValue(Announce.HEARTBEAT_MS);
    if (hb != null && (!(hb instanceof Number) || ((Number) hb).longValue() < Announce.MIN_HEARTBEAT_MS)) {
      ignore("an announce of " + address, "heartbeatMs " + hb + " is below " + Announce.MIN_HEARTBEAT_MS);
      return;
    }
    msg.getJsonArray(Announce.PATHS); // a wrong type throws here, before anything changes
    if (known != null && (!Objects.equals(known.announce.getValue(Announce.NODE), msg.getValue(Announce.NODE))
      || !role.equals(known.role()) || !Objects.equals(service, known.service()))) {
      ignore("an announce of " + address + " from node " + msg.getValue(Announce.NODE),
        "it is " + describe(known));
      return;
    }
    Entry entry = known;
    boolean isNew = entry == null;
    List<String> oldPaths = isNew ? List.of() : entry.paths();
    if (isNew) {
      entry = new Entry();
      entry.heartbeat = hb == null ? Announce.DEFAULT_HEARTBEAT_MS : ((Number) hb).longValue();
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

  /** Whether an instance address has the shape {@link Addresses} gives its role. */
  private static boolean shaped(String role, String service, String address) {
    switch (role) {
      case Announce.ROLE_SERVICE:
        return service != null && !service.isEmpty()
          && address.startsWith(Addresses.serviceInstance(service, "")) && address.length() > Addresses.serviceInstance(service, "").length();
      case Announce.ROLE_GATEWAY:
        return address.startsWith(Addresses.gateway("")) && address.length() > Addresses.gateway("").length();
      case Announce.ROLE_HOST:
        return address.startsWith(Addresses.host("")) && address.length() > Addresses.host("").length();
      default:
        return false;
    }
  }

  /** Logs an ignored registry message, at most once a second (a flood of them does not flood the log). */
  private void ignore(String what, String why) {
    long now = now();
    if (now - lastIgnoredLog >= 1000) {
      lastIgnoredLog = now;
      LOG.log(System.Logger.Level.WARNING, "Registry: ignored " + what + ": " + why);
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
          if (Announce.reservedPath(p)) {
            continue; // the gateway serves it itself; it never routes to a service
          }
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
