package io.switchboard.gateway.impl;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.protocol.PresenceWire;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A gateway node's side of presence: it owns its sessions' memberships ({@link SessionRegistry})
 * and tells every instance of each service about them (protocol.PresenceWire). Membership
 * changes are collected per service during one event-loop turn and published as one numbered
 * delta message per service on {@link Addresses#presence(String)} at the end of the turn (sooner
 * past {@link #MAX_ENTRIES}); a beacon every {@link #BEACON_MS} restates each service's last
 * number; a {@link Op#SYNC} is answered with a snapshot sent to the asking instance. No
 * cluster-wide registration: the only structures are per service (bounded by the services
 * routed here) and the pending entries of the current turn. Confined to the node's event loop.
 */
final class PresenceOut implements SessionRegistry.Listener {

  private static final System.Logger LOG = System.getLogger(PresenceOut.class.getName());
  /** A delta message is published once it has this many entries, without waiting for the end of the turn. */
  static final int MAX_ENTRIES = 4096;
  /** How often each service's last change number is restated (a replica that missed one then asks for a snapshot). */
  static final long BEACON_MS = 2000;
  /**
   * An instance gets at most one snapshot per this many ms: a sync inside the window is answered
   * once at its end (a snapshot of a big group is the node's largest presence cost, and any bridge
   * client may ask).
   */
  static final long SYNC_INTERVAL_MS = 500;
  /** Instances whose last snapshot is remembered for {@link #SYNC_INTERVAL_MS}; past this, syncs are refused with a log line. */
  static final int MAX_SYNCING = 4096;

  private final Vertx vertx;
  private final Context context;
  private final String gateway;
  private final SessionRegistry registry;
  /** Per service: the number of its last published delta message. */
  private final Map<String, Long> seq = new HashMap<>();
  private final Map<String, JsonArray> pending = new LinkedHashMap<>();
  private boolean scheduled;
  private long beaconTimer = -1;
  /** Instance to when its last snapshot left (ms of System.nanoTime), within the last SYNC_INTERVAL_MS or so. */
  private final Map<String, Long> lastSnapshot = new HashMap<>();
  /** Instances owed a snapshot at the end of their window, with their service. */
  private final Map<String, String> deferred = new HashMap<>();

  PresenceOut(Vertx vertx, Context context, String gateway, SessionRegistry registry) {
    this.vertx = vertx;
    this.context = context;
    this.gateway = gateway;
    this.registry = registry;
  }

  void start() {
    beaconTimer = vertx.setPeriodic(BEACON_MS, id -> beacon());
  }

  void stop() {
    flush();
    vertx.cancelTimer(beaconTimer);
  }

  @Override
  public void joined(GatewaySession session, String group, JsonObject meta) {
    int slash = group.indexOf('/');
    if (slash > 0) {
      add(group.substring(0, slash), PresenceWire.joined(group.substring(slash + 1), session.id, meta));
    }
  }

  @Override
  public void left(GatewaySession session, String group) {
    int slash = group.indexOf('/');
    if (slash > 0) {
      add(group.substring(0, slash), PresenceWire.left(group.substring(slash + 1), session.id));
    }
  }

  /** Answers a {@link Op#SYNC}: what is pending goes out first, then the snapshot to {@code instance}. */
  void sync(String service, String instance) {
    if (service == null || instance == null || !instance.startsWith(Addresses.serviceInstance(service, ""))) {
      LOG.log(System.Logger.Level.WARNING, "Ignoring a sync for service " + service + " to " + instance);
      return;
    }
    long now = System.nanoTime() / 1_000_000;
    Long last = lastSnapshot.get(instance);
    if (last != null && now - last < SYNC_INTERVAL_MS) {
      if (deferred.put(instance, service) == null) {
        vertx.setTimer(Math.max(1, last + SYNC_INTERVAL_MS - now), id -> {
          String owed = deferred.remove(instance);
          if (owed != null) {
            snapshot(owed, instance, System.nanoTime() / 1_000_000);
          }
        });
      }
      return;
    }
    if (last == null && lastSnapshot.size() >= MAX_SYNCING) {
      lastSnapshot.values().removeIf(at -> now - at >= SYNC_INTERVAL_MS);
      if (lastSnapshot.size() >= MAX_SYNCING) {
        LOG.log(System.Logger.Level.WARNING, "Refusing a sync from " + instance + ": " + MAX_SYNCING
          + " instances asked for snapshots in the last " + SYNC_INTERVAL_MS + " ms");
        return;
      }
    }
    snapshot(service, instance, now);
  }

  private void snapshot(String service, String instance, long now) {
    lastSnapshot.put(instance, now);
    flush();
    vertx.eventBus().send(instance, PresenceWire.snapshot(gateway, seq.getOrDefault(service, 0L), registry.snapshot(service)),
      new DeliveryOptions().addHeader(Headers.OP, Op.PRESENCE.wire()));
  }

  private void add(String service, JsonArray entry) {
    JsonArray entries = pending.computeIfAbsent(service, s -> new JsonArray());
    entries.add(entry);
    if (entries.size() >= MAX_ENTRIES) {
      publish(service, pending.remove(service));
    } else if (!scheduled) {
      scheduled = true;
      context.runOnContext(v -> flush());
    }
  }

  /** Publishes what is pending, one delta message per service. */
  void flush() {
    scheduled = false;
    if (!pending.isEmpty()) {
      pending.forEach(this::publish);
      pending.clear();
    }
  }

  private void publish(String service, JsonArray entries) {
    long n = seq.merge(service, 1L, Long::sum);
    vertx.eventBus().publish(Addresses.presence(service), PresenceWire.deltas(gateway, n, entries),
      new DeliveryOptions().addHeader(Headers.OP, Op.PRESENCE.wire()));
  }

  private void beacon() {
    long now = System.nanoTime() / 1_000_000;
    lastSnapshot.values().removeIf(at -> now - at >= SYNC_INTERVAL_MS);
    flush();
    seq.forEach((service, n) -> vertx.eventBus().publish(Addresses.presence(service), PresenceWire.beacon(gateway, n),
      new DeliveryOptions().addHeader(Headers.OP, Op.PRESENCE.wire())));
  }
}
