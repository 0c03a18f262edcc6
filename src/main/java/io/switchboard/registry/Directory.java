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
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What one gateway node (or service instance) knows of the cluster: the live service instances
 * (with their paths), service hosts and gateways, learnt from their announces. Local state,
 * confined to the node's event loop; it only holds what is alive, so it does not grow as
 * instances come and go.
 *
 * <p><b>When an entry is lost</b> (reported to the lost-entry listener): when its JVM leaves the
 * cluster ({@link ClusterMembership}: a kill is noticed in about a second), when a TCP bridge says
 * its client's connection dropped ({@link Announce#OP_LOST}), or when it sends no heartbeat for its
 * {@link Announce#HEARTBEAT_TIMEOUT_MS} (default {@value Announce#DEFAULT_HEARTBEAT_TIMEOUT_MS} ms)
 * although its JVM is still a member. Load cannot fake any of these: a saturated event loop delays
 * heartbeats (theirs or ours) by seconds, never by the timeout, and membership does not depend on
 * event loops at all. A withdrawn entry is dropped quietly (it drains its own sessions).
 *
 * <p><b>Who may speak for an entry</b>: the first announce of an instance address binds it to its
 * role, service, {@code node} and {@code member}, and fixes its heartbeat timeout. A later announce,
 * withdraw or lost for that address from another node or member (or claiming another role or
 * service) is ignored, as is an announce from a JVM that is not a cluster member now (one cut off by
 * a partition, whose queued announces arrive late), an announce whose address does not have its
 * role's shape ({@link Addresses}), whose heartbeat is below {@link Announce#MIN_HEARTBEAT_MS}, or
 * that is not well-formed; a path a gateway keeps for itself ({@link Announce#reservedPath}) never
 * routes to a service. So a peer cannot make others drop a real gateway or instance by announcing
 * for it. (Cluster members are trusted to say their own node truly; untrusted processes come in
 * over the TCP bridge, which stamps their announces with its own member and lets them announce only
 * their own instances: docs/protocol.md.)
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
    private long timeout;

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

    /** The cluster node id of the JVM it runs in (or that speaks for it), or {@code null} when it did not say. */
    public String member() {
      return announce.getString(Announce.MEMBER);
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

    /** How long it may stay silent while its JVM is a member, as its first announce gave it. */
    public long heartbeatTimeoutMs() {
      return timeout;
    }
  }

  private final Vertx vertx;
  /** The cluster's members now, or null when not clustered (then heartbeats alone decide). */
  private final Supplier<Set<String>> membership;
  private Set<String> members = Set.of();
  private Consumer<Entry> onLost = e -> { };
  private Consumer<Entry> onAdded = e -> { };
  private Consumer<Entry> onWithdrawn = e -> { };
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private Map<String, String> pathToService = Collections.emptyMap();
  /**
   * Addresses withdrawn lately, with when: an announce for one of them (a heartbeat that was on its
   * way when the piece stopped) is ignored. Instance, gateway and host addresses are random per
   * piece, so a withdrawn one never comes back. The oldest go past {@link #MAX_WITHDRAWN}.
   */
  private final LinkedHashMap<String, Long> withdrawn = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > MAX_WITHDRAWN;
    }
  };
  private static final int MAX_WITHDRAWN = 4096;
  private MessageConsumer<JsonObject> consumer;
  private long sweeper = -1;
  private long lastIgnoredLog = Long.MIN_VALUE / 2;

  public Directory(Vertx vertx) {
    this(vertx, membershipOf(vertx));
  }

  /**
   * A directory that reads the cluster's members from {@code membership} (null: not clustered,
   * heartbeats alone decide).
   */
  public Directory(Vertx vertx, Supplier<Set<String>> membership) {
    this.vertx = vertx;
    this.membership = membership;
    if (membership != null) {
      members = membership.get();
    }
  }

  private static Supplier<Set<String>> membershipOf(Vertx vertx) {
    ClusterMembership cluster = ClusterMembership.of(vertx);
    return cluster == null ? null : cluster::members;
  }

  /** Sets what to do, on the event loop, for each entry withdrawn by its announcer (it stopped). */
  public Directory onWithdrawn(Consumer<Entry> onWithdrawn) {
    this.onWithdrawn = onWithdrawn;
    return this;
  }

  /** Sets what to do, on the event loop, for each entry that appears (a first announce). */
  public Directory onAdded(Consumer<Entry> onAdded) {
    this.onAdded = onAdded;
    return this;
  }

  /** Sets what to do, on the event loop, for each entry (of any role) that is lost (see the class doc). */
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
    String op = msg.getString(Announce.OP);
    if (Announce.OP_WITHDRAW.equals(op) || Announce.OP_LOST.equals(op)) {
      if (known == null) {
        return;
      }
      if (!sameSpeaker(known, msg)) {
        ignore("a " + op + " of " + address + " from node " + msg.getValue(Announce.NODE), "it was announced by " + known.node());
      } else if (Announce.OP_WITHDRAW.equals(op)) {
        entries.remove(address);
        withdrawn.put(address, now());
        LOG.log(System.Logger.Level.INFO, "Withdrawn: " + describe(known));
        rebuildPaths();
        onWithdrawn.accept(known);
      } else {
        entries.remove(address);
        rebuildPaths();
        LOG.log(System.Logger.Level.WARNING, "Lost (its bridge connection dropped): " + describe(known));
        onLost.accept(known);
      }
      return;
    }
    if (!Announce.OP_ANNOUNCE.equals(msg.getString(Announce.OP)) || (known == null && withdrawn.containsKey(address))) {
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
    Object timeout = msg.getValue(Announce.HEARTBEAT_TIMEOUT_MS);
    if (timeout != null && !(timeout instanceof Number)) {
      ignore("an announce of " + address, "heartbeatTimeoutMs " + timeout + " is not a number");
      return;
    }
    msg.getJsonArray(Announce.PATHS); // a wrong type throws here, before anything changes
    Object member = msg.getValue(Announce.MEMBER);
    if (member != null && !(member instanceof String)) {
      ignore("an announce of " + address, "member " + member + " is not a string");
      return;
    }
    if (member != null && !isMember((String) member)) {
      ignore("an announce of " + address + " from member " + member, "that JVM is not in the cluster now");
      return;
    }
    if (known != null && (!sameSpeaker(known, msg) || !role.equals(known.role()) || !Objects.equals(service, known.service()))) {
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
      entry.timeout = Math.max(Announce.MISSED_HEARTBEATS * entry.heartbeat,
        timeout == null ? Announce.DEFAULT_HEARTBEAT_TIMEOUT_MS : ((Number) timeout).longValue());
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
    if (isNew) {
      onAdded.accept(entry);
    }
  }

  /** Whether a registry message comes from the node and member that announced the entry. */
  private static boolean sameSpeaker(Entry known, JsonObject msg) {
    return Objects.equals(known.announce.getValue(Announce.NODE), msg.getValue(Announce.NODE))
      && Objects.equals(known.announce.getValue(Announce.MEMBER), msg.getValue(Announce.MEMBER));
  }

  /** Whether a node id is a member of the cluster now (always, when not clustered). */
  private boolean isMember(String member) {
    if (membership == null || members.contains(member)) {
      return true;
    }
    members = membership.get(); // it may have joined since the last sweep
    return members.contains(member);
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
    if (membership != null) {
      members = membership.get();
    }
    Map<Entry, String> lost = new LinkedHashMap<>();
    entries.values().removeIf(e -> {
      String why = null;
      if (membership != null && e.member() != null && !members.contains(e.member())) {
        why = "its JVM left the cluster";
      } else if (now - e.lastSeen > e.timeout) {
        why = "no heartbeat for " + (now - e.lastSeen) + " ms";
      }
      if (why != null) {
        lost.put(e, why);
      }
      return why != null;
    });
    if (lost.isEmpty()) {
      return;
    }
    rebuildPaths();
    lost.forEach((e, why) -> {
      LOG.log(System.Logger.Level.WARNING, "Lost (" + why + "): " + describe(e));
      onLost.accept(e);
    });
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
