package io.switchboard.service.impl;

import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.protocol.PresenceWire;
import io.switchboard.service.Presence;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * This instance's replica of its service's groups: per gateway node, the members it holds (a
 * {@link Part}), kept from the node's numbered deltas (protocol.PresenceWire); a node whose
 * numbers show a gap, or that is new here, is asked for a snapshot ({@link Op#SYNC}, answered
 * to this instance's address, at most {@link #SYNC_TIMEOUT_MS} awaited). Joins and leaves made
 * by this instance are applied at once and counted as pending until the node's delta confirms
 * them; the node's word then wins (it may have refused one). Confined to the service's context.
 */
final class PresenceReplica implements Presence {

  private static final System.Logger LOG = System.getLogger(PresenceReplica.class.getName());
  /** How long a snapshot is awaited before the node is asked again (at its next delta or beacon). */
  static final long SYNC_TIMEOUT_MS = 5000;
  /** Delta messages kept while a snapshot is awaited; past it they are dropped and the node asked again. */
  static final int MAX_BUFFERED = 1024;
  /**
   * A node with no member here and not heard of (delta or beacon, every 2 s) for this long is
   * forgotten: a node that stopped (or was lost while holding none) leaves nothing behind.
   */
  static final long FORGET_SILENT_MS = 10_000;

  /** Membership changes, as the service hears them. */
  interface Events {
    void joined(String group, String sessionId, JsonObject meta);

    void left(String group, String sessionId, JsonObject meta);
  }

  /** One gateway node's members of this service's groups. */
  private static final class Part {
    /** Group to session id to meta; an empty group is removed. */
    final Map<String, Map<String, JsonObject>> groups = new HashMap<>();
    /** The number of the node's last delta applied here. */
    long seq;
    /** Whether a snapshot was asked for and is awaited; deltas then wait in {@link #buffered}. */
    boolean syncing;
    long syncTimer = -1;
    final ArrayDeque<JsonObject> buffered = new ArrayDeque<>();
    /** When the node was last heard of, in ms of System.nanoTime. */
    long heard = now();
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }

  private final Vertx vertx;
  private final String service;
  private final String instanceAddress;
  private final Events events;
  private final Map<String, Part> parts = new HashMap<>();
  /**
   * Group to the map {@link #members} last returned for it, never changed once made: a change of
   * the group drops it. Repeated reads of an unchanged group cost nothing; at most one per group
   * with members.
   */
  private final Map<String, Map<String, JsonObject>> membersCache = new HashMap<>();
  private long sweepTimer = -1;
  /** Session id to group to the number of this instance's changes not yet confirmed by the node. */
  private final Map<String, Map<String, Integer>> pending = new HashMap<>();

  PresenceReplica(Vertx vertx, String service, String instanceAddress, Events events) {
    this.vertx = vertx;
    this.service = service;
    this.instanceAddress = instanceAddress;
    this.events = events;
  }

  @Override
  public Map<String, JsonObject> members(String group) {
    Map<String, JsonObject> cached = membersCache.get(group);
    if (cached != null) {
      return cached;
    }
    Map<String, JsonObject> members = null;
    for (Part part : parts.values()) {
      Map<String, JsonObject> here = part.groups.get(group);
      if (here != null) {
        if (members == null) {
          members = new HashMap<>(here.size() * 4 / 3 + 1);
        }
        members.putAll(here);
      }
    }
    if (members == null) {
      return Collections.emptyMap();
    }
    cached = Collections.unmodifiableMap(members);
    membersCache.put(group, cached);
    return cached;
  }

  @Override
  public int count(String group) {
    int n = 0;
    for (Part part : parts.values()) {
      Map<String, JsonObject> here = part.groups.get(group);
      if (here != null) {
        n += here.size();
      }
    }
    return n;
  }

  @Override
  public Set<String> groups() {
    Set<String> groups = new HashSet<>();
    for (Part part : parts.values()) {
      groups.addAll(part.groups.keySet());
    }
    return Collections.unmodifiableSet(groups);
  }

  /** Starts forgetting silent nodes that hold no member here. */
  void start() {
    sweepTimer = vertx.setPeriodic(FORGET_SILENT_MS / 2, id -> forgetSilent());
  }

  void stop() {
    vertx.cancelTimer(sweepTimer);
    parts.values().forEach(part -> vertx.cancelTimer(part.syncTimer));
  }

  private void forgetSilent() {
    long now = now();
    parts.entrySet().removeIf(e -> {
      Part part = e.getValue();
      boolean forget = part.groups.isEmpty() && !part.syncing && now - part.heard > FORGET_SILENT_MS;
      if (forget) {
        vertx.cancelTimer(part.syncTimer);
      }
      return forget;
    });
  }

  /** Memberships held here, over every node (for measurements). */
  int memberships() {
    int n = 0;
    for (Part part : parts.values()) {
      for (Map<String, JsonObject> members : part.groups.values()) {
        n += members.size();
      }
    }
    return n;
  }

  /** Asks every known gateway node for its part (a new instance). */
  void syncAll(Iterable<String> gateways) {
    for (String gateway : gateways) {
      Part part = parts.computeIfAbsent(gateway, g -> new Part());
      if (!part.syncing) {
        sync(gateway, part);
      }
    }
  }

  /** A join or leave this instance made ({@code meta} null: a leave): visible here at once. */
  void local(String gateway, String sessionId, String group, JsonObject meta) {
    pending.computeIfAbsent(sessionId, s -> new HashMap<>(4)).merge(group, 1, Integer::sum);
    set(parts.computeIfAbsent(gateway, g -> new Part()), group, sessionId, meta);
  }

  /** A session of this instance closed: it leaves its groups here now, before its onClose. */
  void closed(String gateway, String sessionId, Iterable<String> groups) {
    pending.remove(sessionId);
    Part part = parts.get(gateway);
    if (part != null) {
      for (String group : groups) {
        set(part, group, sessionId, null);
      }
    }
  }

  /**
   * A gateway node is lost: every member it held leaves every group here, each with
   * {@link Events#left}. Returns how many left.
   */
  int gatewayLost(String gateway) {
    Part part = parts.remove(gateway);
    if (part == null) {
      return 0;
    }
    vertx.cancelTimer(part.syncTimer);
    part.groups.keySet().forEach(membersCache::remove);
    int n = 0;
    for (Map.Entry<String, Map<String, JsonObject>> group : part.groups.entrySet()) {
      for (Map.Entry<String, JsonObject> member : group.getValue().entrySet()) {
        pending.remove(member.getKey());
        n++;
        fire(false, group.getKey(), member.getKey(), member.getValue());
      }
    }
    return n;
  }

  /** An {@link Op#PRESENCE} message: deltas, a beacon (published) or a snapshot (sent here). */
  void onMessage(Object body) {
    if (!(body instanceof JsonObject)) {
      LOG.log(System.Logger.Level.WARNING, service + ": ignoring a presence message that is no JSON object");
      return;
    }
    JsonObject msg = (JsonObject) body;
    String gateway = msg.getString(PresenceWire.GATEWAY);
    Long seq = msg.getLong(PresenceWire.SEQ);
    if (gateway == null || seq == null) {
      LOG.log(System.Logger.Level.WARNING, service + ": ignoring a presence message without gateway or seq");
      return;
    }
    Part part = parts.get(gateway);
    JsonObject snapshot = msg.getJsonObject(PresenceWire.SNAPSHOT);
    if (snapshot != null) {
      if (part != null && part.syncing) {
        part.heard = now();
        applySnapshot(gateway, part, seq, snapshot);
      }
      return;
    }
    if (part == null) {
      part = new Part();
      parts.put(gateway, part);
    }
    part.heard = now();
    if (!msg.containsKey(PresenceWire.DELTAS)) { // a beacon
      if (!part.syncing && seq > part.seq) {
        sync(gateway, part);
      }
      return;
    }
    if (part.syncing) {
      buffer(part, msg);
    } else if (seq == part.seq + 1) {
      applyDeltas(part, msg);
    } else if (seq > part.seq + 1) {
      buffer(part, msg);
      sync(gateway, part);
    } // else: one applied already (or covered by a snapshot)
  }

  private void buffer(Part part, JsonObject msg) {
    if (part.buffered.size() >= MAX_BUFFERED) {
      part.buffered.clear(); // what the snapshot does not cover is asked for again once it is in
    }
    part.buffered.add(msg);
  }

  private void sync(String gateway, Part part) {
    part.syncing = true;
    vertx.cancelTimer(part.syncTimer);
    vertx.eventBus().send(gateway, null, new DeliveryOptions().addHeader(Headers.OP, Op.SYNC.wire())
      .addHeader(Headers.SERVICE, service).addHeader(Headers.INSTANCE, instanceAddress));
    part.syncTimer = vertx.setTimer(SYNC_TIMEOUT_MS, id -> {
      if (part.syncing && parts.get(gateway) == part) {
        LOG.log(System.Logger.Level.INFO, String.format("%s: no presence snapshot from %s in %d ms; asking again at its next change",
          service, gateway, SYNC_TIMEOUT_MS));
        part.syncing = false;
        part.buffered.clear();
      }
    });
  }

  private void applySnapshot(String gateway, Part part, long seq, JsonObject snapshot) {
    part.syncing = false;
    vertx.cancelTimer(part.syncTimer);
    // the node's word, but for this instance's own changes it has not confirmed yet
    Map<String, Map<String, JsonObject>> fresh = new HashMap<>();
    for (Map.Entry<String, Object> group : snapshot) {
      if (group.getValue() instanceof JsonObject) {
        Map<String, JsonObject> members = new HashMap<>();
        for (Map.Entry<String, Object> member : (JsonObject) group.getValue()) {
          members.put(member.getKey(), member.getValue() instanceof JsonObject ? (JsonObject) member.getValue() : new JsonObject());
        }
        fresh.put(group.getKey(), members);
      }
    }
    for (Map.Entry<String, Map<String, Integer>> own : pending.entrySet()) {
      for (String group : own.getValue().keySet()) {
        JsonObject mine = memberMeta(part, group, own.getKey());
        Map<String, JsonObject> members = fresh.get(group);
        if (mine != null) {
          fresh.computeIfAbsent(group, g -> new HashMap<>()).put(own.getKey(), mine);
        } else if (members != null) {
          members.remove(own.getKey());
        }
      }
    }
    // diff: leaves first, then joins
    List<String[]> left = new ArrayList<>();
    part.groups.forEach((group, members) -> members.forEach((sid, meta) -> {
      Map<String, JsonObject> now = fresh.get(group);
      if (now == null || !meta.equals(now.get(sid))) {
        left.add(new String[] {group, sid});
      }
    }));
    for (String[] gs : left) {
      set(part, gs[0], gs[1], null);
    }
    fresh.forEach((group, members) -> members.forEach((sid, meta) -> {
      if (!meta.equals(memberMeta(part, group, sid))) {
        set(part, group, sid, meta);
      }
    }));
    part.seq = seq;
    while (!part.buffered.isEmpty() && !part.syncing) {
      JsonObject next = part.buffered.poll();
      long n = next.getLong(PresenceWire.SEQ);
      if (n == part.seq + 1) {
        applyDeltas(part, next);
      } else if (n > part.seq + 1) {
        part.buffered.addFirst(next);
        sync(gateway, part);
      }
    }
  }

  private void applyDeltas(Part part, JsonObject msg) {
    part.seq = msg.getLong(PresenceWire.SEQ);
    JsonArray deltas = msg.getJsonArray(PresenceWire.DELTAS);
    for (int i = 0; i < deltas.size(); i++) {
      Object o = deltas.getValue(i);
      if (!(o instanceof JsonArray) || ((JsonArray) o).size() < 3) {
        continue;
      }
      JsonArray d = (JsonArray) o;
      String group = d.getString(1);
      String sid = d.getString(2);
      boolean join = PresenceWire.JOINED.equals(d.getString(0));
      JsonObject meta = join ? (d.getValue(3) instanceof JsonObject ? d.getJsonObject(3) : new JsonObject()) : null;
      Map<String, Integer> mine = pending.get(sid);
      Integer unconfirmed = mine == null ? null : mine.get(group);
      if (unconfirmed != null) {
        if (unconfirmed > 1) {
          mine.put(group, unconfirmed - 1);
          continue; // a later change of this instance is still on its way: its view stands
        }
        mine.remove(group);
        if (mine.isEmpty()) {
          pending.remove(sid);
        }
      }
      set(part, group, sid, meta);
    }
  }

  private static JsonObject memberMeta(Part part, String group, String sid) {
    Map<String, JsonObject> members = part.groups.get(group);
    return members == null ? null : members.get(sid);
  }

  /** Makes {@code sid} a member of {@code group} with {@code meta} ({@code null}: not a member), with the events it takes. */
  private void set(Part part, String group, String sid, JsonObject meta) {
    Map<String, JsonObject> members = part.groups.get(group);
    JsonObject old = members == null ? null : members.get(sid);
    if (meta == null) {
      if (old != null) {
        membersCache.remove(group);
        members.remove(sid);
        if (members.isEmpty()) {
          part.groups.remove(group);
        }
        fire(false, group, sid, old);
      }
      return;
    }
    if (meta.equals(old)) {
      return;
    }
    membersCache.remove(group);
    if (members == null) {
      members = new HashMap<>();
      part.groups.put(group, members);
    }
    members.put(sid, meta);
    if (old != null) {
      fire(false, group, sid, old);
    }
    fire(true, group, sid, meta);
  }

  private void fire(boolean joined, String group, String sid, JsonObject meta) {
    try {
      if (joined) {
        events.joined(group, sid, meta);
      } else {
        events.left(group, sid, meta);
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, service + ": " + (joined ? "onJoined" : "onLeft") + " failed for " + sid + " in " + group, e);
    }
  }
}
