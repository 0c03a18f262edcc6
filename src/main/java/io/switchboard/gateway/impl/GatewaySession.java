package io.switchboard.gateway.impl;

import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * One browser connection as the gateway sees it. Created when the upgrade succeeds, confined to
 * the gateway node's event loop, and freed in one place: {@link SessionRegistry#remove}.
 */
final class GatewaySession {

  /** The session id; a resume gives the new connection the id of the session it takes up (before it opens). */
  String id;
  final String service;
  final WireSocket ws;
  /**
   * What the service is told on open (and again on a rebind): the JsonObject until the first open
   * is sent, then its JSON bytes (a map of a dozen strings costs ~1 KB per idle socket, its bytes ~250).
   */
  private Object info;
  /**
   * Groups this session is a member of (qualified names), with its member meta in each, so that
   * removal can clean them and a rebind hands them over. At most {@code limits.maxGroupsPerSession}.
   */
  private Map<String, JsonObject> groups;
  /** The session's attributes (see Session#attributes), or null while it has none. */
  JsonObject attributes;
  /** The encoded size of {@link #attributes} minus one (each entry counted with a ','); 0 when it has none. */
  int attributeBytes;
  /**
   * Messages (String or Buffer) to relay once bound: after a lost instance, the replay; then what
   * arrived while no instance was bound. Null while none wait (most of a session's life).
   */
  private ArrayDeque<Object> pending;
  /** The service instance holding the session (see {@link #isBound}), or null. */
  String instance;
  /** Whether the bound instance takes batches (it announced {@code "batch": true}). */
  boolean batched;
  /** The writer to {@link #instance} (see ServiceRelay), or null before the first message. */
  io.switchboard.protocol.PeerLink link;
  /** The frames so far of a fragmented message from the client; null between messages. */
  MessageAssembler assembler;
  /** Where the session is in its life; see {@link State}. */
  State state = State.OPENING;
  /** When the client last sent anything (a message or a pong), in ms of System.nanoTime. */
  long lastActivity;
  /**
   * For sessions of a {@code rebind} service: what the client sent in the last few seconds, for
   * a replay after its instance is lost. Null for {@code close} services, which pay nothing for
   * it, and for a {@code rebind} session until its client sends and again once that aged out.
   */
  ReplayBuffer recent;
  /** Whether its instance's service rebinds ({@link #recent} is kept for it, once the client sends). */
  boolean rebind;
  /** The last instance told the session moved away from it (see SessionManager#stale), or null. */
  private String toldStale;

  /**
   * A session's life. The first three are live (frames are relayed or wait in {@link #pending},
   * pushes are written); once closing, nothing more is written and frames are ignored.
   * {@link #instance} is set exactly while an instance holds the session: always when BOUND,
   * never when OPENING or REBINDING, and either way when CLOSING (a bound session's close still
   * reaches its instance).
   */
  enum State {
    /** Upgraded; no instance has accepted it yet. Frames wait. */
    OPENING,
    /** An instance accepted it; frames are relayed to it. */
    BOUND,
    /** Its instance went away; another is being asked (a {@code rebind} service). Frames wait. */
    REBINDING,
    /** The gateway started closing it (or the protocol guard did): nothing more is written. */
    CLOSING,
    /** The socket is closed and the session freed. */
    CLOSED
  }

  /** Whether a resume took this session over (its connection is closing; its late open reply is dropped). */
  boolean superseded;
  /** The {@code switchboard.v1} state of a client that speaks it (see ClientProtocol); null for plain clients. */
  ClientState v1;

  /** Its service's meters. */
  GatewayMetrics.ServiceMeters meters;
  /** Releases what the session held outside this node (its connection-limit slot). */
  final Runnable onEnd;

  GatewaySession(String id, String service, WireSocket ws, JsonObject info,
                 Runnable onEnd) {
    this.id = id;
    this.service = service;
    this.ws = ws;
    this.info = info;
    this.onEnd = onEnd;
  }

  /** The session's groups with its member meta in each (read only; empty while it has none). */
  Map<String, JsonObject> groups() {
    return groups == null ? Collections.emptyMap() : groups;
  }

  /** Records its membership of {@code group} (see SessionRegistry#join). */
  void putGroup(String group, JsonObject meta) {
    if (groups == null) {
      groups = new HashMap<>(4);
    }
    groups.put(group, meta);
  }

  /** Forgets its membership of {@code group}; the meta it had, or null. */
  JsonObject removeGroup(String group) {
    if (groups == null) {
      return null;
    }
    JsonObject meta = groups.remove(group);
    if (groups.isEmpty()) {
      groups = null;
    }
    return meta;
  }

  void clearGroups() {
    groups = null;
  }

  /** Bound to an instance of a {@code rebind} service or not: a replay buffer is kept only for the first. */
  void replayable(boolean rebind) {
    this.rebind = rebind;
    recent = null;
  }

  /** Remembers what the client sent at {@code now}, for a replay (a {@code rebind} session). */
  void remember(Object message, long now) {
    if (recent == null) {
      recent = new ReplayBuffer();
    }
    recent.remember(message, now);
  }

  /**
   * Lets what aged past the replay window go, and the buffer with it once empty: what it would
   * still tell ({@link ReplayBuffer#covers}) is then about times older than any instance can go
   * unnoticed, so a new one answers the same.
   */
  void expireRecent(long now) {
    if (recent != null) {
      recent.expire(now);
      if (recent.size() == 0) {
        recent = null;
      }
    }
  }

  /** Keeps a message for when an instance is bound (in order). */
  void hold(Object message) {
    if (pending == null) {
      pending = new ArrayDeque<>(4);
    }
    pending.add(message);
  }

  /** The next message kept for the bound instance, or null (then nothing is kept any more). */
  Object nextHeld() {
    Object next = pending == null ? null : pending.poll();
    if (next == null) {
      pending = null;
    }
    return next;
  }

  /** The open's info, to send (a JsonObject of its own). */
  JsonObject openInfo() {
    return info instanceof JsonObject ? (JsonObject) info : new JsonObject((io.vertx.core.buffer.Buffer) info);
  }

  /** Keeps the info just sent, compactly, for the next open. */
  void keepInfo(JsonObject sent) {
    info = sent.toBuffer();
  }

  /** The session's groups of its own service, by the service's names, each with its member meta. */
  JsonObject serviceGroups() {
    String prefix = service + "/";
    JsonObject own = new JsonObject();
    groups().forEach((group, meta) -> {
      if (group.startsWith(prefix)) {
        own.put(group.substring(prefix.length()), meta);
      }
    });
    return own;
  }

  /** Whether an instance holds the session (BOUND, or CLOSING after it was bound). */
  boolean isBound() {
    return instance != null;
  }

  /** Whether the session is still live: frames relayed or waiting, pushes written. */
  boolean isLive() {
    return state == State.OPENING || state == State.BOUND || state == State.REBINDING;
  }

  boolean isClosed() {
    return state == State.CLOSED;
  }

  /** Moves a live session to CLOSING; false if it was closing or closed already. */
  boolean startClosing() {
    if (!isLive()) {
      return false;
    }
    state = State.CLOSING;
    return true;
  }

  /** An instance accepted the session: it holds it now, and a live session is BOUND. */
  void boundTo(String address) {
    instance = address;
    if (isLive()) {
      state = State.BOUND;
    }
  }

  /** The instance no longer holds the session; a live session is REBINDING until the next bind or its close. */
  void unbound() {
    instance = null;
    batched = false;
    if (isLive()) {
      state = State.REBINDING;
    }
  }

  /** Whether {@code instance} still has to be told the session moved away from it; true once per instance in a row. */
  boolean toldStale(String instance) {
    if (instance.equals(toldStale)) {
      return false;
    }
    toldStale = instance;
    return true;
  }

  /** The socket closed: the end of the session's life. */
  void closed() {
    state = State.CLOSED;
  }
}
