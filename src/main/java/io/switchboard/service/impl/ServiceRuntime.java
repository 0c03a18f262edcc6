package io.switchboard.service.impl;

import io.switchboard.history.Appended;
import io.switchboard.history.GroupHistory;
import io.switchboard.history.HistoryPolicy;
import io.switchboard.history.Replay;
import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Close;
import io.switchboard.protocol.CloseCodes;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.protocol.Outbox;
import io.switchboard.protocol.PeerLink;
import io.switchboard.protocol.PeerReader;
import io.switchboard.registry.Announce;
import io.switchboard.registry.Announcer;
import io.switchboard.registry.Directory;
import io.switchboard.service.Presence;
import io.switchboard.service.ServiceOptions;
import io.switchboard.service.Session;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The machinery under a {@code ServiceVerticle}: the instance's consumers, the dispatch of what
 * gateways send to the service's callbacks, its announces, the drain on stop and the handling of
 * a lost gateway. Confined to the service verticle's context.
 */
public final class ServiceRuntime {

  private static final System.Logger LOG = System.getLogger(ServiceRuntime.class.getName());

  /** The service's callbacks, as the runtime calls them. */
  public interface Callbacks {
    void open(Session session);

    void text(Session session, String text);

    void binary(Session session, Buffer data);

    void close(Session session, int code, String reason);

    /** A session joined a group of the service (on any gateway). */
    default void joined(String group, String sessionId, JsonObject meta) {
    }

    /** A session left a group of the service (on any gateway). */
    default void left(String group, String sessionId, JsonObject meta) {
    }
  }

  private final Vertx vertx;
  private final ServiceOptions options;
  private final Callbacks callbacks;
  private final String instanceAddress;
  private final Map<String, SessionImpl> sessions = new HashMap<>();
  private final InboundLimits limits;
  private final Outbox outbox;
  private final PresenceReplica presence;
  private Announcer announcer;
  private Directory gateways;
  /** How long the sessions closed for a lost gateway are remembered, in case it comes back. */
  private static final long REMEMBER_LOST_MS = 10 * 60_000;
  /** The sessions closed for each lost gateway, to tell it if it comes back (see gatewayBack). */
  private final Map<String, ClosedForLost> closedForLost = new HashMap<>();

  private static final class ClosedForLost {
    final List<String> ids;
    final long since;

    ClosedForLost(List<String> ids, long since) {
      this.ids = ids;
      this.since = since;
    }
  }
  /** The store of group histories; null until the service declares or reads one. */
  private GroupHistory history;
  /**
   * Group publishes not sent yet, in call order: while the head waits for its history append,
   * every later publish and every push to a session (the outbox is held) waits behind it.
   */
  private final ArrayDeque<Outgoing> publishing = new ArrayDeque<>();

  private static final class Outgoing {
    final String group;
    final Object body;
    final String except;
    final Promise<Long> done = Promise.promise();
    /** Sends the pushes made between the previous publish and this one. */
    Runnable before;
    boolean ready;
    Appended appended;
    Throwable failure;

    Outgoing(String group, Object body, String except) {
      this.group = group;
      this.body = body;
      this.except = except;
    }
  }

  /** How long an ended session's last client sequence number is remembered (a resume may come back). */
  static final long REMEMBER_ENDED_MS = 10 * 60_000;
  /** At most this many ended sessions are remembered; the oldest are forgotten first. */
  static final int MAX_REMEMBERED_ENDED = 100_000;
  /** Ended sessions that had taken numbered messages: id to the last number, oldest first. */
  private final LinkedHashMap<String, Ended> ended = new LinkedHashMap<>();
  /** Numbered messages dropped as already taken. */
  private long duplicates;

  private static final class Ended {
    final long lastSeq;
    final long at;
    /** The close the service asked for, or null: such a session is not resumed. */
    Close closedByService;

    Ended(long lastSeq, long at) {
      this.lastSeq = lastSeq;
      this.at = at;
    }
  }

  /** The gateway that sent the message being read ({@link Headers#INSTANCE} of its batch), or null; set only while it is read. */
  private String sender;

  public ServiceRuntime(Vertx vertx, Context context, ServiceOptions options, Callbacks callbacks) {
    this.vertx = vertx;
    this.options = options;
    this.callbacks = callbacks;
    this.instanceAddress = Addresses.serviceInstance(options.name(), UUID.randomUUID().toString().substring(0, 8));
    this.limits = new InboundLimits(options);
    this.outbox = new Outbox(vertx.eventBus(), context, instanceAddress);
    this.presence = new PresenceReplica(vertx, options.name(), instanceAddress, new PresenceReplica.Events() {
      @Override
      public void joined(String group, String sessionId, JsonObject meta) {
        callbacks.joined(group, sessionId, meta);
      }

      @Override
      public void left(String group, String sessionId, JsonObject meta) {
        callbacks.left(group, sessionId, meta);
      }
    });
  }

  /**
   * Registers the instance's consumers and starts following the gateways, then runs
   * {@code onStart}, then announces the instance; completes when it is routable.
   */
  public Future<?> start(Supplier<Future<?>> onStart) {
    String name = options.name();
    EventBus bus = vertx.eventBus();
    MessageConsumer<Object> opens = bus.consumer(Addresses.service(name), this::handleOpen);
    MessageConsumer<Object> frames = bus.consumer(instanceAddress, this::handleFrame);
    MessageConsumer<Object> members = bus.consumer(Addresses.presence(name), msg -> presence.onMessage(msg.body()));
    announcer = new Announcer(vertx, options.heartbeatMs(), options.heartbeatTimeoutMs(), () -> Announce.service(name, instanceAddress,
      options.paths(), options.failover(), sessions.size(), options.heartbeatMs()));
    gateways = new Directory(vertx).onLost(this::gatewayLost).onAdded(this::gatewayBack).onWithdrawn(this::gatewayStopped);
    return Future.all(opens.completion(), frames.completion(), members.completion(), gateways.start())
      .onSuccess(v -> {
        presence.start();
        syncPresence();
      })
      .compose(v -> declareHistory())
      .compose(v -> onStart.get())
      .compose(v -> announcer.start())
      .onSuccess(v -> LOG.log(System.Logger.Level.INFO, String.format("Service %s ready at %s paths %s (%s, JVM up %d ms)",
        name, instanceAddress, options.paths(), io.switchboard.config.TransportInfo.describe(vertx), ManagementFactory.getRuntimeMXBean().getUptime())));
  }

  /**
   * Drains the instance: withdraws it, hands every session back to its gateway (re-bound
   * elsewhere or closed with 1012, per {@code failover}) and completes when the gateways
   * confirmed (at most {@code drainTimeoutMs}) and the withdraw is out.
   */
  public Future<?> stop() {
    if (announcer == null) {
      return Future.succeededFuture();
    }
    gateways.stop();
    presence.stop();
    outbox.release();
    Future<Void> withdrawn = announcer.stop();
    Map<String, JsonArray> byGateway = new HashMap<>();
    for (Session s : sessions.values()) {
      byGateway.computeIfAbsent(s.gateway(), g -> new JsonArray()).add(s.id());
    }
    List<Future<?>> handedBack = new ArrayList<>();
    byGateway.forEach((gateway, ids) -> handedBack.add(vertx.eventBus().request(gateway,
      new JsonObject().put("sessions", ids).put("failover", options.failover().wire()),
      new DeliveryOptions().setSendTimeout(Math.max(1, options.drainTimeoutMs()))
        .addHeader(Headers.OP, Op.DRAIN.wire()).addHeader(Headers.INSTANCE, instanceAddress))));
    if (!byGateway.isEmpty()) {
      LOG.log(System.Logger.Level.INFO, String.format("Service %s draining %d session(s) (%s)", options.name(),
        sessions.size(), options.failover().wire()));
    }
    return Future.join(handedBack).otherwiseEmpty().compose(v -> withdrawn);
  }

  /** This instance's own address. */
  public String instanceAddress() {
    return instanceAddress;
  }

  /** The open sessions bound to this instance. */
  public Collection<Session> sessions() {
    return Collections.unmodifiableCollection(sessions.values());
  }

  /** This instance's replica of the service's groups. */
  public Presence presence() {
    return presence;
  }

  /** Declares each history pattern of the service's config; fails naming the first refused. */
  private Future<?> declareHistory() {
    Map<String, HistoryPolicy> patterns = options.history();
    if (patterns.isEmpty()) {
      return Future.succeededFuture();
    }
    GroupHistory store = history();
    List<Future<Void>> declared = new ArrayList<>();
    patterns.forEach((pattern, policy) -> declared.add(store.declare(options.name(), pattern, policy)));
    return Future.all(declared).recover(e -> Future.failedFuture(new IllegalStateException(
      "service " + options.name() + ": cannot declare its history: " + e.getMessage(), e)));
  }

  private GroupHistory history() {
    if (history == null) {
      history = GroupHistory.of(vertx);
    }
    return history;
  }

  /** Whether a group of this service matches a pattern of its {@code history} config. */
  private boolean hasHistory(String group) {
    for (String pattern : options.history().keySet()) {
      if (pattern.endsWith("*") ? group.startsWith(pattern.substring(0, pattern.length() - 1)) : group.equals(pattern)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Sends a text or binary message to every member of a group (but {@code except}), on every
   * gateway. A group with history gets it appended first, then published with its position and
   * epoch; completes with its position ({@code -1} for a group without history). Publishes leave
   * in call order, and pushes made after a publish do not overtake it (the outbox is held while a
   * publish waits for its append). A failed append is logged and the message published without a
   * position (live members still get it); the future fails.
   */
  public Future<Long> publish(String group, Object body, Session except) {
    boolean keeps = hasHistory(group);
    if (!keeps && publishing.isEmpty()) {
      outbox.flush(); // what was sent to sessions before this publish must not be overtaken by it
      send(new Outgoing(group, body, except == null ? null : except.id()));
      return Future.succeededFuture(-1L);
    }
    Outgoing out = new Outgoing(group, body, except == null ? null : except.id());
    if (publishing.isEmpty()) {
      outbox.flush();
      outbox.hold();
    } else {
      out.before = outbox.cut();
    }
    publishing.add(out);
    if (!keeps) {
      out.ready = true;
    } else {
      Object stored = except == null ? body : new io.switchboard.history.GroupHistory.Except(body, except.id());
      history().append(Addresses.group(options.name(), group), List.of(stored)).onComplete(ar -> {
        out.ready = true;
        if (ar.succeeded()) {
          out.appended = ar.result();
        } else {
          out.failure = ar.cause();
          LOG.log(System.Logger.Level.WARNING, String.format("Service %s: history append to %s failed (%s); published without a position",
            options.name(), group, ar.cause().getMessage()));
        }
        sendReady();
      });
    }
    return out.done.future();
  }

  /** Sends the publishes at the head of the queue whose appends are done; releases the outbox once none waits. */
  private void sendReady() {
    while (!publishing.isEmpty() && publishing.peek().ready) {
      Outgoing out = publishing.poll();
      if (out.before != null) {
        out.before.run();
      }
      send(out);
      if (out.failure != null) {
        out.done.fail(out.failure);
      } else {
        out.done.complete(out.appended == null ? -1L : out.appended.position());
      }
    }
    if (publishing.isEmpty()) {
      outbox.release();
    }
  }

  private void send(Outgoing out) {
    DeliveryOptions delivery = new DeliveryOptions()
      .addHeader(Headers.OP, (out.body instanceof String ? Op.TEXT : Op.BINARY).wire())
      .addHeader(Headers.GROUP, Addresses.group(options.name(), out.group));
    if (out.except != null) {
      delivery.addHeader(Headers.EXCEPT, out.except);
    }
    if (out.appended != null) {
      delivery.addHeader(Headers.POSITION, Long.toString(out.appended.position()))
        .addHeader(Headers.EPOCH, out.appended.epoch());
    }
    vertx.eventBus().publish(Addresses.GROUPS, out.body, delivery);
  }

  /** The messages a group of this service keeps after {@code since} ({@code -1}: all), at most {@code max}, in the current epoch. */
  public Future<Replay> history(String group, long since, int max) {
    return history().since(Addresses.group(options.name(), group), null, since, max);
  }

  /** Numbered client messages dropped as already taken, since the instance started. */
  public long duplicates() {
    return duplicates;
  }

  /** Whether a gateway node reads batches (it announced {@code "batch": true}). */
  private boolean batches(String gateway) {
    Directory.Entry entry = gateways == null ? null : gateways.get(gateway);
    return entry != null && entry.batches();
  }

  /** Asks every gateway node known now for its part of the service's groups (a new instance). */
  private void syncPresence() {
    List<String> known = new ArrayList<>();
    for (Directory.Entry e : gateways.entries()) {
      if (Announce.ROLE_GATEWAY.equals(e.role())) {
        known.add(e.address());
      }
    }
    presence.syncAll(known);
  }

  /**
   * A gateway is lost: every member it held leaves every group in this instance's presence
   * (onLeft each), before any onClose of its sessions runs.
   */
  private void presenceGatewayLost(String gateway) {
    int left = presence.gatewayLost(gateway);
    if (left > 0) {
      LOG.log(System.Logger.Level.INFO, String.format("Service %s: %d membership(s) of lost gateway %s left", options.name(),
        left, gateway));
    }
  }

  /** A gateway stopped heartbeating (killed): its sessions are gone, say so to the service. */
  /**
   * A gateway stopped: it closed its sessions first (each close reaches its instance), but those
   * still open after its {@code shutdownGraceMs} were dropped without one. They and their group
   * memberships end here as for a lost gateway.
   */
  private void gatewayStopped(Directory.Entry stopped) {
    gatewayLost(stopped);
  }

  private void gatewayLost(Directory.Entry lost) {
    if (!Announce.ROLE_GATEWAY.equals(lost.role())) {
      return;
    }
    presenceGatewayLost(lost.address());
    List<SessionImpl> gone = new ArrayList<>();
    for (SessionImpl s : sessions.values()) {
      if (s.gateway().equals(lost.address())) {
        gone.add(s);
      }
    }
    for (SessionImpl s : gone) {
      callback(s, "close", () -> closed(s, Close.ABNORMAL, "Gateway lost"));
    }
    long now = System.nanoTime();
    closedForLost.values().removeIf(c -> now - c.since > TimeUnit.MILLISECONDS.toNanos(REMEMBER_LOST_MS));
    if (!gone.isEmpty()) {
      List<String> ids = new ArrayList<>(gone.size());
      gone.forEach(s -> ids.add(s.id()));
      closedForLost.put(lost.address(), new ClosedForLost(ids, now));
    }
    if (!gone.isEmpty()) {
      LOG.log(System.Logger.Level.INFO, String.format("Service %s closed %d session(s) of lost gateway %s",
        options.name(), gone.size(), lost.address()));
    }
  }

  /**
   * A gateway announced itself: if this instance took it for lost and closed its sessions, it may
   * have been alive all along (stalled past its heartbeat timeout, or cut off by a partition) and
   * still hold their sockets. Tell it, so that it closes them (1012) rather than leave them open
   * with nobody behind.
   */
  private void gatewayBack(Directory.Entry entry) {
    ClosedForLost closed = closedForLost.remove(entry.address());
    if (closed != null) {
      PeerLink link = new PeerLink(vertx.eventBus(), outbox, entry.address(), entry::batches);
      closed.ids.forEach(link::expired);
      LOG.log(System.Logger.Level.INFO, String.format("Service %s: gateway %s is back; told it %d session(s) ended here",
        options.name(), entry.address(), closed.ids.size()));
    }
  }

  private void handleOpen(Message<?> msg) {
    String id = msg.headers().get(Headers.SESSION);
    String gateway = msg.headers().get(Headers.GATEWAY);
    if (id == null || gateway == null) {
      msg.fail(CloseCodes.PROTOCOL_ERROR, "open without " + Headers.SESSION + " or " + Headers.GATEWAY);
      return;
    }
    boolean rebind = "true".equals(msg.headers().get(Headers.REBIND));
    boolean resume = "true".equals(msg.headers().get(Headers.RESUME));
    PeerLink link = new PeerLink(vertx.eventBus(), outbox, gateway, () -> batches(gateway));
    Close refused = rebind ? closedByService(id) : null;
    if (refused != null) {
      // the service closed this session (a kick, a ban): a client that resumes it gets that close again
      msg.fail(refused.sendableCode(), refused.reason());
      return;
    }
    if (rebind && sessions.containsKey(id)) {
      moved(sessions.get(id), link, resume);
      outbox.flush();
      msg.reply(null, new DeliveryOptions().addHeader(Headers.INSTANCE, instanceAddress));
      return;
    }
    JsonObject info = msg.body() instanceof JsonObject ? (JsonObject) msg.body() : new JsonObject();
    SessionImpl session = new SessionImpl(options.name(), id, link, info, rebind, resume, presence);
    if (rebind) {
      Ended before = ended.remove(id);
      if (before != null && System.nanoTime() - before.at <= TimeUnit.MILLISECONDS.toNanos(REMEMBER_ENDED_MS)) {
        session.lastSeq = before.lastSeq;
      }
    }
    sessions.put(id, session);
    try {
      callbacks.open(session);
    } catch (RuntimeException e) {
      sessions.remove(id);
      session.markClosed();
      LOG.log(System.Logger.Level.WARNING, options.name() + ": onOpen failed for " + session, e);
      msg.fail(CloseCodes.INTERNAL_ERROR, "Service " + options.name() + " failed to open the session");
      return;
    }
    outbox.flush(); // the greeting onOpen sent goes out before the reply that lets the client's frames in
    msg.reply(null, new DeliveryOptions().addHeader(Headers.INSTANCE, instanceAddress));
  }

  /** The close this service asked for a session it holds or remembers, or null. */
  private Close closedByService(String id) {
    SessionImpl held = sessions.get(id);
    if (held != null) {
      return held.closedByService;
    }
    Ended before = ended.get(id);
    return before == null || System.nanoTime() - before.at > TimeUnit.MILLISECONDS.toNanos(REMEMBER_ENDED_MS)
      ? null : before.closedByService;
  }

  /**
   * A rebind open for a session this instance holds: its client resumed through another gateway
   * while the old socket still looked open. The session lives on (its last sequence number,
   * attributes, groups), pushed to through the new gateway; the old gateway is told the session
   * expired there (it closes the old socket with 1012), and a close it sends later is ignored.
   * No onClose, no onOpen.
   */
  private void moved(SessionImpl session, PeerLink link, boolean resume) {
    String old = session.gateway();
    session.movedTo(link, resume);
    if (!old.equals(link.address())) {
      new PeerLink(vertx.eventBus(), outbox, old, () -> batches(old)).expired(session.id());
      LOG.log(System.Logger.Level.INFO, String.format("Service %s: session %s resumed through %s; told %s it expired there",
        options.name(), session.id(), link.address(), old));
    }
  }

  private void handleFrame(Message<Object> msg) {
    if (Op.OPEN.wire().equals(msg.headers().get(Headers.OP))) {
      handleOpen(msg);
      return;
    }
    if (Op.PRESENCE.wire().equals(msg.headers().get(Headers.OP))) {
      presence.onMessage(msg.body()); // a snapshot this instance asked for
      return;
    }
    sender = msg.headers().get(Headers.INSTANCE);
    try {
      if (!PeerReader.read(msg, frames)) {
        LOG.log(System.Logger.Level.WARNING, options.name() + ": ignoring a message with op " + msg.headers().get(Headers.OP));
      }
    } finally {
      sender = null;
    }
  }

  /** What the gateways send a session of this instance; one unknown here (closed meanwhile) is skipped. */
  private final PeerReader.Receiver frames = new PeerReader.Receiver() {
    @Override
    public void text(String sessionId, String text) {
      text(sessionId, text, 0);
    }

    /** A numbered text ({@code seq} &gt; 0) that the session took already is dropped: each is taken once. */
    @Override
    public void text(String sessionId, String text, long seq) {
      SessionImpl held = sessions.get(sessionId);
      if (held != null && seq > 0 && seq <= held.lastSeq) {
        duplicates++;
        LOG.log(System.Logger.Level.DEBUG, () -> options.name() + ": dropped message " + seq + " of session " + sessionId
          + ", taken already (last " + held.lastSeq + ")");
        return;
      }
      to(sessionId, "text", text.length(), session -> {
        if (seq > 0) {
          session.lastSeq = seq;
        }
        callbacks.text(session, text);
      });
    }

    @Override
    public void binary(String sessionId, Buffer data) {
      to(sessionId, "binary", data.length(), session -> callbacks.binary(session, data));
    }

    @Override
    public void close(String sessionId, Close close) {
      SessionImpl held = sessions.get(sessionId);
      if (held != null && sender != null && !sender.equals(held.gateway())) {
        LOG.log(System.Logger.Level.DEBUG, () -> options.name() + ": ignoring a close of session " + sessionId + " from "
          + sender + ", which no longer holds it");
        return;
      }
      to(sessionId, "close", -1, session -> closed(session, close.code(), close.reason()));
    }

    /**
     * The gateway moved the session to another instance (this one was taken for lost, but lives):
     * it lives on there with its attributes and groups, so it is forgotten here without onClose and
     * without leaving its groups.
     */
    @Override
    public void expired(String sessionId) {
      SessionImpl session = sessions.remove(sessionId);
      if (session != null) {
        limits.forget(sessionId);
        remember(session);
        session.markMoved();
        LOG.log(System.Logger.Level.INFO, options.name() + ": session " + sessionId + " moved to another instance");
      }
    }
  };

  /**
   * Runs a callback for a session of this instance, if it is one and the message ({@code size}
   * characters or bytes; -1 for a close) is within the service's limits; a callback that throws
   * is logged and the session lives on.
   */
  private void to(String sessionId, String what, int size, Consumer<SessionImpl> callback) {
    SessionImpl session = sessions.get(sessionId);
    if (session == null) {
      if (size >= 0 && sender != null) {
        expired(sender, sessionId);
      }
      return;
    }
    if (size < 0 || limits.admit(session, size)) {
      callback(session, what, () -> callback.accept(session));
    }
  }

  /**
   * A message for a session this instance does not hold, from a gateway that still does: the
   * instance took the gateway for lost and closed the session on its side. Tell the gateway, so that
   * its client gets a close (1012) instead of an open socket nobody answers.
   */
  private void expired(String gateway, String sessionId) {
    if (Addresses.isGateway(gateway)) {
      new PeerLink(vertx.eventBus(), outbox, gateway, () -> batches(gateway)).expired(sessionId);
    }
  }

  private void callback(Session session, String what, Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, options.name() + ": " + what + " callback failed for " + session, e);
    }
  }

  /** The one place a session ends on the service side: forgotten, marked closed, then onClose. */
  private void closed(SessionImpl session, int code, String reason) {
    sessions.remove(session.id());
    limits.forget(session.id());
    remember(session);
    session.markClosed();
    callbacks.close(session, code, reason);
  }

  /**
   * Remembers an ended session's last client sequence number (if it took numbered messages), and
   * the close the service asked for (if it did), for
   * {@link #REMEMBER_ENDED_MS}, at most {@link #MAX_REMEMBERED_ENDED} of them: a client that
   * resumes it continues from there, and what it sends again is not taken twice.
   */
  private void remember(SessionImpl session) {
    long now = System.nanoTime();
    for (Iterator<Ended> it = ended.values().iterator(); it.hasNext(); ) {
      if (now - it.next().at <= TimeUnit.MILLISECONDS.toNanos(REMEMBER_ENDED_MS)) {
        break;
      }
      it.remove();
    }
    if (session.lastSeq <= 0 && session.closedByService == null) {
      return;
    }
    ended.remove(session.id());
    Ended entry = new Ended(session.lastSeq, now);
    entry.closedByService = session.closedByService;
    ended.put(session.id(), entry);
    if (ended.size() > MAX_REMEMBERED_ENDED) {
      Iterator<String> oldest = ended.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
  }
}
