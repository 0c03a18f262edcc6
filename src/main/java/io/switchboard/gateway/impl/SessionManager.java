package io.switchboard.gateway.impl;

import io.switchboard.history.GroupHistory;
import io.switchboard.history.Replay;
import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Close;
import io.switchboard.protocol.CloseCodes;
import io.switchboard.registry.Directory;
import io.switchboard.service.Failover;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.switchboard.gateway.GatewayOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The life of a gateway node's sessions: accept an upgraded socket, bind it to a service
 * instance (balanced, sticky), relay its frames, and handle the instance going away (rebind or
 * close 1012, as the service declared). Confined to the node's event loop.
 */
public final class SessionManager {

  private static final System.Logger LOG = System.getLogger(SessionManager.class.getName());
  /** How long a close may take before the gateway drops the connection. */
  private static final long FORCE_CLOSE_MS = 3000;
  /** How many instances an open tries before giving up on a service. */
  private static final int OPEN_ATTEMPTS = 3;
  /** The WebSocket subprotocol of clients that number their messages and resume (docs/protocol.md#resume). */
  public static final String CLIENT_SUBPROTOCOL = ClientProtocol.SUBPROTOCOL;

  private final Vertx vertx;
  private final Context context;
  /** The events of every socket of this node, each with its session attached. */
  private final WireSocket.Listener socketEvents = new SocketEvents();
  private final GatewayOptions options;
  private final String nodeId;
  private final SessionRegistry registry;
  private final Directory directory;
  private final ServiceRelay relay;
  private final GatewayMetrics metrics;
  private long keepAliveTimer = -1;
  /** At most this many slices of the keep-alive round, one a second (25 with the default 25 s interval). */
  static final int KEEP_ALIVE_SLICES = 25;
  private long tokenTimer = -1;
  /** Strict UTF-8 (malformed input is an error, not U+FFFD); one per node, used on its event loop. */
  private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
  private Promise<Void> shutdown;
  private final InstancePicker<GatewaySession> picker = new InstancePicker<>();
  /** Signs and checks resume tokens; null until the gateway set it (then v1 clients cannot resume). */
  private ResumeTokens resumeTokens;
  private GroupHistory history;
  /**
   * The last position this node saw of each group with history (a bounded cache), so that a v1
   * session joining a group knows where the group stood without asking the history.
   */
  private final Map<String, io.switchboard.history.Appended> groupPositions = new java.util.LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, io.switchboard.history.Appended> eldest) {
      return size() > 10_000;
    }
  };
  /** The v1 sessions owed an ack or a new token at the end of this turn. */
  private final List<GatewaySession> clientFlushes = new ArrayList<>();

  public SessionManager(Vertx vertx, GatewayOptions options, String nodeId, String nodeAddress,
                        SessionRegistry registry, Directory directory) {
    this.vertx = vertx;
    this.options = options;
    this.nodeId = nodeId;
    this.registry = registry;
    this.directory = directory;
    this.context = vertx.getOrCreateContext();
    this.relay = new ServiceRelay(vertx.eventBus(), context, nodeAddress, options.openTimeoutMs());
    this.metrics = GatewayMetrics.of(vertx);
  }

  /**
   * Starts the keep-alive: pings every session every {@code pingIntervalMs}, closes sessions idle
   * past {@code idleTimeoutMs}. The round is spread over the interval in slices of a second (up to
   * {@link #KEEP_ALIVE_SLICES}), each session in the slice of its id's hash, so that a gateway with
   * 100 000 sockets does not write 100 000 pings in one turn of its event loop.
   */
  public void start() {
    int slices = (int) Math.max(1, Math.min(KEEP_ALIVE_SLICES, options.pingIntervalMs() / 1000));
    long[] tick = {0};
    keepAliveTimer = vertx.setPeriodic(Math.max(1, options.pingIntervalMs() / slices),
      id -> keepAlive((int) (tick[0]++ % slices), slices));
    tokenTimer = vertx.setPeriodic(Math.max(1000, options.resumeTokenTtlMs() / 4), id -> renewTokens());
  }

  /** A v1 client gets a new token well before its last one expires (past half its time-to-live). */
  private void renewTokens() {
    long now = System.currentTimeMillis();
    registry.forEach(s -> {
      if (s.v1 != null && s.v1.told && s.isLive() && now - s.v1.tokenIssuedAt > options.resumeTokenTtlMs() / 2) {
        stateChanged(s);
      }
    });
  }

  /**
   * Closes every session with 1001 (each close reaches its service as usual) and completes when
   * all are closed or after {@code shutdownGraceMs}. New upgrades get 503 from now on.
   */
  public Future<Void> shutdown() {
    if (shutdown == null) {
      shutdown = Promise.promise();
      vertx.cancelTimer(keepAliveTimer);
      vertx.cancelTimer(tokenTimer);
      List<GatewaySession> all = new ArrayList<>();
      registry.forEach(all::add);
      all.forEach(s -> closeSession(s, CloseCodes.GOING_AWAY, "Gateway shutting down"));
      vertx.setTimer(Math.max(1, options.shutdownGraceMs()), id -> shutdown.tryComplete());
      completeShutdownWhenEmpty();
    }
    return shutdown.future();
  }

  /**
   * Gets the key of resume tokens (configured, or the cluster's); completes when
   * {@code switchboard.v1} clients can resume.
   */
  public Future<Void> startResume() {
    return ResumeTokens.start(vertx, options).onSuccess(tokens -> resumeTokens = tokens).mapEmpty();
  }

  /** Where the sockets this node accepted tell what happens to them (one listener for all: a socket holds no callbacks). */
  WireSocket.Listener socketListener() {
    return socketEvents;
  }

  /** The gateway node's context: its event loop, where its sockets live. */
  io.vertx.core.internal.ContextInternal context() {
    return (io.vertx.core.internal.ContextInternal) context;
  }

  /** Whether the gateway is shutting down (new upgrades are refused). */
  public boolean isShuttingDown() {
    return shutdown != null;
  }

  /** Takes over an upgraded socket for {@code service}; {@code onEnd} runs once when it ends. */
  public void accept(WireSocket ws, String service, JsonObject info, Runnable onEnd) {
    ws.pause(); // (it comes paused from the upgrade) frames wait in the socket until an instance accepted the session
    // node prefix for reading logs, 128 random bits so that nobody can address another's session
    GatewaySession session = new GatewaySession(nodeId + "." + Secrets.randomId(), service, ws, info, onEnd);
    ws.attach(session); // its events come to socketEvents with it
    session.lastActivity = now();
    session.meters = metrics.service(service);
    session.meters.open.incrementAndGet();
    registry.add(session);
    if (ClientProtocol.SUBPROTOCOL.equals(ws.subProtocol())) {
      session.v1 = new ClientState();
      ws.resume(); // its first frame says hello or resume; the open waits for it
      vertx.setTimer(options.openTimeoutMs(), id -> {
        if (!session.v1.greeted) {
          closeSession(session, CloseCodes.POLICY_VIOLATION, "switchboard.v1: no hello or resume within "
            + options.openTimeoutMs() + " ms");
        }
      });
    } else {
      open(session, false, new HashSet<>());
    }
  }

  /** An instance is lost (its JVM left the cluster, or it hung): handle each of its sessions as its service declared. */
  public void instanceLost(Directory.Entry instance) {
    boolean rebind = instance.failover() == Failover.REBIND;
    // the instance may have died any time after it sent its last heartbeat
    long unsureSince = instance.lastSeenMs() - instance.heartbeatMs();
    List<GatewaySession> sessions = picker.boundTo(instance.address());
    for (GatewaySession session : sessions) {
      // it may be alive after all (hung past its heartbeat timeout): it must not keep the session
      if (rebind) {
        relay.expired(session); // the session lives on elsewhere: forget it without an onClose
      } else {
        relay.close(session, CloseCodes.SERVICE_RESTART, "Service instance taken for lost");
      }
      if (rebind && session.recent != null && !session.recent.covers(unsureSince)) {
        // some of what the instance may not have processed is no longer kept: say so (1012)
        unbind(session);
        closeSession(session, CloseCodes.SERVICE_RESTART, "Service instance lost; messages since its last heartbeat"
          + " exceed the replay buffer");
        continue;
      }
      if (rebind && session.recent != null) {
        // at least once: the lost instance may have processed some; nothing waits in pending while bound
        session.recent.since(unsureSince).forEach(session::hold);
      }
      moveOff(session, rebind, "Service instance lost");
    }
    if (!sessions.isEmpty()) {
      LOG.log(System.Logger.Level.INFO, (rebind ? "Rebinding " : "Closing ") + sessions.size() + " session(s) of lost instance "
        + instance.address());
    }
  }

  /**
   * The session's instance says it does not hold the session: it took this gateway for lost (a
   * stall longer than the heartbeat timeout, or a partition) and ended the session on its side.
   * Messages the client sent since then went nowhere, so the socket is closed with 1012: the client
   * reconnects instead of talking to nobody.
   */
  void expired(GatewaySession session) {
    if (session.isBound()) {
      LOG.log(System.Logger.Level.INFO, "Session " + session.id + ": instance " + session.instance + " no longer holds it");
      unbind(session);
      closeSession(session, CloseCodes.SERVICE_RESTART, "Service instance lost the session; reconnect");
    }
  }

  /**
   * An instance the session has moved away from still pushes to it (it was taken for lost but lives,
   * or its messages were held up in a partition): what it sends is dropped, and it is told the session
   * moved ({@code expired}), once per instance and session, so that it forgets it (without an onClose:
   * the session lives on).
   */
  void stale(GatewaySession session, String instance) {
    if (session.toldStale(instance)) {
      relay.expiredAt(instance, session.id);
    }
  }

  /** A draining instance hands its sessions back. */
  public void drain(String instance, List<String> sessionIds, boolean rebind) {
    directory.forget(instance);
    for (String id : sessionIds) {
      GatewaySession session = registry.get(id);
      if (session != null && !session.isClosed() && instance.equals(session.instance)) {
        moveOff(session, rebind, "Service instance is restarting");
      }
    }
  }

  /**
   * Starts presence for this node (issue 12): the registry's bounds from {@code limits}, its
   * membership changes relayed to the services' instances.
   */
  PresenceOut startPresence(String nodeAddress) {
    PresenceOut out = new PresenceOut(vertx, context, nodeAddress, registry);
    registry.configure(options.maxGroupsPerSession(), options.maxMemberMetaBytes(), options.maxSessionAttributeBytes(), out);
    out.start();
    return out;
  }

  /**
   * What a session's open tells its instance: the request's info, and its attributes and its
   * groups with their meta ({@code "attributes"}, {@code "groups"}: group to meta), which a
   * rebind hands over. Absent while the session has none.
   */
  private static JsonObject openInfo(GatewaySession session) {
    JsonObject info = session.openInfo();
    if (session.attributes != null && !session.attributes.isEmpty()) {
      info.put("attributes", session.attributes.copy());
    } else {
      info.remove("attributes");
    }
    if (session.groups().isEmpty()) {
      info.remove("groups");
      return info;
    }
    info.put("groups", session.serviceGroups());
    return info;
  }

  /** Counts group deliveries for the metrics. */
  void countFanout(int deliveries) {
    metrics.fanout(deliveries);
  }

  /** Writes a text push that came as UTF-8 bytes (a v1 client gets it as a {@code msg} frame). */
  void writeText(GatewaySession session, Buffer utf8) {
    if (session.v1 != null) {
      emit(session, ClientProtocol.msg(utf8.toString(java.nio.charset.StandardCharsets.UTF_8)), null, -1);
    } else {
      emit(session, new EncodedText(utf8), null, -1);
    }
  }

  /** Writes a push to the client (a v1 client gets it as a {@code msg} frame). */
  void write(GatewaySession session, Object message) {
    if (session.v1 != null && message instanceof String) {
      emit(session, ClientProtocol.msg((String) message), null, -1);
    } else {
      emit(session, message, null, -1);
    }
  }

  /**
   * Writes a group message: {@code body} to a plain client, {@code v1Frame} (the {@code msg} frame
   * with its group, epoch and position) to a v1 client; binary bodies ({@link Buffer}) go as they
   * are to both. Text is {@link EncodedText}, encoded once for all the members.
   */
  void writeGroup(GatewaySession session, Object body, EncodedText v1Frame, String group, long position) {
    if (session.v1 == null || !(body instanceof EncodedText)) {
      emit(session, body, null, -1);
    } else {
      emit(session, v1Frame, group, position);
    }
  }

  /** A group message with history passed through this node at {@code position} of {@code epoch}. */
  void groupPosition(String group, String epoch, long position) {
    io.switchboard.history.Appended known = groupPositions.get(group);
    if (known == null || !epoch.equals(known.epoch()) || position > known.position()) {
      groupPositions.put(group, new io.switchboard.history.Appended(position, epoch));
    }
  }

  /**
   * A v1 session became a member of {@code group}: note where the group's stream stands (this
   * node's last message of it, else asked of the history), for its token.
   */
  void joinedGroup(GatewaySession session, String group) {
    if (session.v1 == null) {
      return;
    }
    String clientGroup = Addresses.groupName(group);
    io.switchboard.history.Appended known = groupPositions.get(group);
    if (known != null) {
      joinedAt(session).put(clientGroup, known);
      return;
    }
    GroupHistory store;
    try {
      store = history();
    } catch (RuntimeException e) {
      return;
    }
    store.tail(group).onComplete(ar -> context.runOnContext(v -> {
      if (ar.succeeded() && session.isLive() && session.groups().containsKey(group)) {
        joinedAt(session).putIfAbsent(clientGroup, ar.result());
        stateChanged(session);
      }
    }));
  }

  /** A v1 session left {@code group}: where it joined no longer counts (a later join notes its own). */
  void leftGroup(GatewaySession session, String group) {
    if (session.v1 != null && session.v1.joinedAt != null) {
      session.v1.joinedAt.remove(Addresses.groupName(group));
    }
  }

  private static Map<String, io.switchboard.history.Appended> joinedAt(GatewaySession session) {
    if (session.v1.joinedAt == null) {
      session.v1.joinedAt = new HashMap<>(4);
    }
    return session.v1.joinedAt;
  }

  /** The session's groups, attributes or instance changed: a v1 client gets a new token at the end of the turn. */
  void stateChanged(GatewaySession session) {
    if (session.v1 != null) {
      session.v1.tokenStale = true;
      flushClientLater(session);
    }
  }

  /** Writes a frame, or holds it while the session resumes (see ClientState.Recovery). */
  private void emit(GatewaySession session, Object frame, String group, long position) {
    ClientState.Recovery recovery = session.v1 == null ? null : session.v1.recovery;
    if (recovery == null) {
      writeFrame(session, frame);
    } else if (session.isLive()) {
      if (recovery.held.size() < options.resumeMaxReplay()) {
        recovery.held.add(new ClientState.Held(frame, group, position));
      } else {
        recovery.fail("more than " + options.resumeMaxReplay() + " messages arrived while the session resumed");
      }
    }
  }

  /** Writes a frame to the client; a client that does not read past {@code maxOutboundBytes} is closed (1008). */
  private void writeFrame(GatewaySession session, Object message) {
    if (!session.isLive() || session.ws.isClosed()) {
      return; // a socket whose close frame was read before the gateway heard of the close: its end follows
    }
    if (session.ws.writeQueueFull()) {
      session.startClosing(); // closed on the next turn: the caller may be iterating a group
      context.runOnContext(v -> closeSlowConsumer(session));
    } else if (message instanceof EncodedText) {
      Buffer utf8 = ((EncodedText) message).utf8();
      session.ws.writeText(utf8);
      session.meters.framesOut.increment();
      session.meters.bytesOut.increment(utf8.length());
    } else if (message instanceof String) {
      session.ws.writeText((String) message);
      session.meters.framesOut.increment();
      session.meters.bytesOut.increment(((String) message).length());
    } else {
      session.ws.writeBinary((Buffer) message);
      session.meters.framesOut.increment();
      session.meters.bytesOut.increment(((Buffer) message).length());
    }
  }

  /** The client stopped reading (data, pongs or pings over {@code maxOutboundBytes}): close 1008, drop in 3 s. */
  private void slowConsumer(GatewaySession session) {
    if (session.startClosing()) {
      closeSlowConsumer(session);
    }
  }

  private void closeSlowConsumer(GatewaySession session) {
    if (session.isClosed()) {
      return;
    }
    session.ws.close(CloseCodes.POLICY_VIOLATION,
      "Slow consumer: more than " + options.maxOutboundBytes() + " bytes waiting to be read");
    forceCloseLater(session);
  }

  /** Closes a session from the gateway's side; nothing more is written to it. */
  void closeSession(GatewaySession session, short code, String reason) {
    if (session.startClosing()) {
      session.ws.close(code, Close.truncate(reason));
      forceCloseLater(session);
    }
  }

  /**
   * A close frame queued behind data the client never reads would wait forever, holding the
   * buffers: if the socket is not closed in time, drop the connection.
   */
  private void forceCloseLater(GatewaySession session) {
    vertx.setTimer(FORCE_CLOSE_MS, id -> {
      if (!session.isClosed()) {
        // a close would first flush what the client never reads: drop the channel
        VertxInternals.drop(session.ws.channel());
      }
    });
  }

  /**
   * Hands data frames to a {@link MessageAssembler}: a framework's aggregation neither checks UTF-8
   * (fragment by fragment) nor lets a message be refused before it is delivered. The session keeps
   * it only while a fragmented message is under way (an idle socket holds none); a valid message
   * in one frame goes straight to {@link #deliver}. A violation fails the socket, which reads
   * nothing more.
   */
  private void onFrame(GatewaySession session, WebSocketFrame frame) {
    session.lastActivity = now();
    if (!session.isLive() || session.ws.isFailing() || !(frame.isText() || frame.isBinary() || frame.isContinuation())) {
      return;
    }
    MessageAssembler assembler = session.assembler;
    if (assembler == null && frame.isFinal() && !frame.isContinuation()) {
      // one frame, one message (nearly always): a valid one needs no assembler
      Buffer data = frame.binaryData();
      if (data.length() <= options.maxMessageSize() && (frame.isBinary() || Utf8Validator.isValid(data))) {
        deliver(session, frame.isText(), data);
        return;
      }
    }
    if (assembler == null) { // the assembler says why an invalid one is refused
      assembler = new MessageAssembler(options.maxMessageSize(), (text, data) -> deliver(session, text, data),
        session.ws::fail);
    }
    assembler.accept(frame);
    session.assembler = assembler.inMessage() ? assembler : null;
  }

  private void deliver(GatewaySession session, boolean text, Buffer data) {
    session.meters.framesIn.increment();
    session.meters.bytesIn.increment(data.length());
    if (!text) {
      if (session.v1 != null && !session.v1.greeted) {
        closeSession(session, CloseCodes.POLICY_VIOLATION, "switchboard.v1: the first frame must be hello or resume");
        return;
      }
      relay(session, data);
      return;
    }
    try {
      String decoded = utf8.reset().decode(VertxInternals.nioView(data)).toString();
      if (session.v1 != null) {
        clientFrame(session, decoded);
      } else if (session.isBound()) {
        relay.text(session, decoded, data);
        if (session.rebind) {
          session.remember(decoded, now());
        }
      } else {
        relay(session, decoded);
      }
    } catch (CharacterCodingException e) {
      closeSession(session, CloseCodes.INVALID_PAYLOAD, "Text message is not valid UTF-8");
    }
  }

  /** A text message of a {@code switchboard.v1} client: its hello or resume first, then numbered messages. */
  private void clientFrame(GatewaySession session, String text) {
    ClientProtocol.Frame frame;
    try {
      frame = ClientProtocol.read(text);
    } catch (ClientProtocol.Violation v) {
      closeSession(session, CloseCodes.POLICY_VIOLATION, v.getMessage());
      return;
    }
    ClientState v1 = session.v1;
    if (frame instanceof ClientProtocol.Msg) {
      ClientProtocol.Msg msg = (ClientProtocol.Msg) frame;
      if (!v1.greeted) {
        closeSession(session, CloseCodes.POLICY_VIOLATION, "switchboard.v1: the first frame must be hello or resume");
      } else if (msg.seq() <= v1.lastSeq) {
        v1.acked = Math.min(v1.acked, v1.relayedSeq - 1); // sent twice on one connection: the ack says so again
        flushClientLater(session);
      } else {
        v1.lastSeq = msg.seq();
        relay(session, new ClientProtocol.Numbered(msg.seq(), msg.data()));
      }
      return;
    }
    if (v1.greeted) {
      closeSession(session, CloseCodes.POLICY_VIOLATION, "switchboard.v1: hello or resume comes once, first");
      return;
    }
    v1.greeted = true;
    session.ws.pause(); // what the client sends next waits for the open
    if (frame instanceof ClientProtocol.Resume) {
      resume(session, (ClientProtocol.Resume) frame);
    } else {
      open(session, false, new HashSet<>());
    }
  }

  /**
   * A client takes up its session: with a valid token, the session gets its id, attributes and
   * groups back (its groups at once, so that no group message is missed from now on), the missed
   * messages of its groups are read from their histories, and the session is re-opened (a rebind
   * with {@code sb.resume}, on its last instance when that lives). With a bad one, a new session
   * opens and the client is told it was not restored.
   */
  private void resume(GatewaySession session, ClientProtocol.Resume frame) {
    ResumeTokens.Claim claim = resumeTokens == null ? ResumeTokens.Claim.refused("resume is not available")
      : resumeTokens.verify(frame.token(), session.service, System.currentTimeMillis());
    if (!claim.valid()) {
      session.v1.recovery = new ClientState.Recovery(false, claim.refusal(), frame.positions());
      open(session, false, new HashSet<>());
      return;
    }
    GatewaySession old = registry.get(claim.sessionId());
    if (old != null && !old.isLive()) {
      // being closed (by its service, or for a reason of the gateway's): not taken up again
      session.v1.recovery = new ClientState.Recovery(false, "session closed", frame.positions());
      open(session, false, new HashSet<>());
      return;
    }
    if (old != null) {
      supersede(old);
    }
    registry.rename(session, claim.sessionId());
    ClientState.Recovery recovery = session.v1.recovery = new ClientState.Recovery(true, null, frame.positions());
    claim.attributes().forEach(e -> registry.setAttribute(session, e.getKey(), e.getValue()));
    claim.groups().forEach(e -> registry.join(session, Addresses.group(session.service, e.getKey()),
      e.getValue() instanceof JsonObject ? (JsonObject) e.getValue() : new JsonObject()));
    claim.joinedAt().forEach((group, at) -> {
      joinedAt(session).put(group, at);
      if (!recovery.positions.containsKey(group) && at.epoch() != null) {
        // no message of it reached the client: it missed what came after it joined
        recovery.positions.put(group, new JsonObject().put("epoch", at.epoch()).put("position", at.position()));
      } else if (!recovery.positions.containsKey(group)) {
        recovery.positions.put(group, new JsonObject().put("position", -1L)); // empty when it joined: all of it
      }
    });
    readMissed(session, recovery);
    long deadline = 2L * options.openTimeoutMs();
    vertx.setTimer(deadline, id -> {
      if (session.v1.recovery == recovery && recovery.reading > 0) {
        recovery.fail("the history did not answer within " + deadline + " ms");
        recovery.reading = 0;
        finishResume(session);
      }
    });
    String last = claim.instance();
    boolean lastLives = last != null && directory.instances(session.service).stream().anyMatch(e -> e.address().equals(last));
    open(session, true, new HashSet<>(), lastLives ? last : null);
  }

  /**
   * The same client's previous connection still looks open here (its network dropped, the socket
   * has not timed out), or another tab took it: the session moves to the new connection. The old
   * one leaves its groups, lets go of its instance without a close (the session lives on) and is
   * closed 1008, which a client does not retry.
   */
  private void supersede(GatewaySession old) {
    old.superseded = true;
    registry.remove(old);
    if (old.isBound()) {
      unbind(old);
    }
    // 1008, not a code clients retry: two tabs holding one token must not take it from each other forever
    closeSession(old, CloseCodes.POLICY_VIOLATION, "Session resumed on another connection");
  }

  /** Reads, for each group of the session the client gave a position for, what it missed. */
  private void readMissed(GatewaySession session, ClientState.Recovery recovery) {
    for (String group : recovery.positions.fieldNames()) {
      String qualified = Addresses.group(session.service, group);
      if (!session.groups().containsKey(qualified)) {
        continue; // not a member (any more): nothing to recover
      }
      Object at = recovery.positions.getValue(group);
      JsonObject position = at instanceof JsonObject ? (JsonObject) at : null;
      boolean fromStart = position != null && position.getValue("epoch") == null
        && position.getValue("position") instanceof Number && position.getLong("position") == -1L;
      if (position == null || !(fromStart || position.getValue("epoch") instanceof String)
        || !(position.getValue("position") instanceof Number)) {
        recovery.fail("no epoch and position for " + group);
        continue;
      }
      GroupHistory store;
      try {
        store = history();
      } catch (RuntimeException e) {
        recovery.fail("no history: " + e.getMessage());
        return;
      }
      long last = position.getNumber("position").longValue();
      Set<Long> gaps = gaps(position.getValue("missing"), last);
      long from = gaps.isEmpty() ? last : java.util.Collections.min(gaps) - 1;
      recovery.reading++;
      readGroup(session, recovery, store, group, qualified, position.getString("epoch"), from, last, gaps);
    }
  }

  /** How many positions below its last a client may say it lacks (messages overtaken by later ones). */
  static final int MAX_GAPS = 64;

  /**
   * The positions below {@code last} a client says it never got ({@code "missing"}: messages of
   * several publishers may reach it out of position order, so a later one may have come before it
   * lost its connection); at most {@link #MAX_GAPS}, the most recent.
   */
  private static Set<Long> gaps(Object missing, long last) {
    java.util.TreeSet<Long> gaps = new java.util.TreeSet<>();
    if (missing instanceof io.vertx.core.json.JsonArray) {
      for (Object p : (io.vertx.core.json.JsonArray) missing) {
        long at = p instanceof Number ? ((Number) p).longValue() : -1;
        if (at >= 0 && at < last && at >= last - MAX_GAPS) { // a far older "gap" would make the read long
          gaps.add(((Number) p).longValue());
          if (gaps.size() > MAX_GAPS) {
            gaps.pollFirst();
          }
        }
      }
    }
    return gaps;
  }

  /**
   * Reads a group's history after {@code after} and keeps, of what it holds, the messages after
   * {@code last} and those at the client's {@code gaps}.
   */
  private void readGroup(GatewaySession session, ClientState.Recovery recovery, GroupHistory store, String group,
                         String qualified, String epoch, long after, long last, Set<Long> gaps) {
    int room = options.resumeMaxReplay() - missedCount(recovery) + 1;
    store.since(qualified, epoch, after, room).onComplete(ar -> context.runOnContext(v -> {
      if (session.v1.recovery != recovery || recovery.reading == 0) {
        return; // timed out meanwhile
      }
      boolean more = false;
      if (ar.failed()) {
        recovery.fail("history of " + group + " unavailable: " + ar.cause().getMessage());
      } else if (ar.result().status() == Replay.Status.TOO_OLD) {
        recovery.fail("history too short for " + group);
      } else if (ar.result().status() == Replay.Status.EPOCH_CHANGED) {
        recovery.fail("epoch changed for " + group);
      } else {
        Replay replay = ar.result();
        recovery.epochs.put(group, replay.epoch());
        List<Replay.Entry> entries = recovery.missed.computeIfAbsent(group, g -> new ArrayList<>());
        for (Replay.Entry entry : replay.entries()) {
          if (entry.position() > last || gaps.contains(entry.position())) {
            entries.add(entry);
          }
        }
        if (missedCount(recovery) > options.resumeMaxReplay()) {
          recovery.fail("more than " + options.resumeMaxReplay() + " missed messages (resume.maxReplay)");
        } else if (replay.more() && !replay.entries().isEmpty()) {
          more = true;
          readGroup(session, recovery, store, group, qualified, epoch, replay.entries().get(replay.entries().size() - 1).position(),
            last, gaps);
        }
      }
      if (!more) {
        recovery.reading--;
        finishResume(session);
      }
    }));
  }

  /** About how many bytes the replay takes (characters of text, bytes of binary). */
  private static long replayBytes(ClientState.Recovery recovery) {
    long bytes = 0;
    for (List<Replay.Entry> entries : recovery.missed.values()) {
      for (Replay.Entry entry : entries) {
        bytes += 64 + (entry.body() instanceof String ? ((String) entry.body()).length() : ((Buffer) entry.body()).length());
      }
    }
    return bytes;
  }

  private static int missedCount(ClientState.Recovery recovery) {
    int n = 0;
    for (List<Replay.Entry> entries : recovery.missed.values()) {
      n += entries.size();
    }
    return n;
  }

  /**
   * Once the session is bound and every history read answered: the missed messages, then the
   * {@code resumed} frame, then what was held back meanwhile (but the group messages the replay had).
   */
  private void finishResume(GatewaySession session) {
    ClientState v1 = session.v1;
    ClientState.Recovery recovery = v1.recovery;
    if (recovery == null || !recovery.done() || !session.isLive()) {
      return;
    }
    v1.recovery = null;
    v1.told = true;
    int missed = 0;
    Map<String, Long> replayedTo = new HashMap<>();
    if (recovery.failure == null && replayBytes(recovery) > options.maxOutboundBytes() / 2) {
      // written in one turn, it would overflow the connection's outbound bound (1008, slow consumer)
      recovery.fail("more missed than half of limits.maxOutboundBytes (" + options.maxOutboundBytes() + " bytes)");
    }
    if (recovery.failure == null) {
      for (Map.Entry<String, List<Replay.Entry>> group : recovery.missed.entrySet()) {
        String epoch = recovery.epochs.get(group.getKey());
        for (Replay.Entry entry : group.getValue()) {
          replayedTo.put(group.getKey(), entry.position());
          if (session.id.equals(entry.except())) {
            continue; // published except this session (its own message, say): it never had it
          }
          writeFrame(session, entry.body() instanceof String
            ? ClientProtocol.groupMsg(group.getKey(), epoch, entry.position(), (String) entry.body()) : entry.body());
          missed++;
        }
      }
    }
    writeFrame(session, ClientProtocol.resumed(session.id, issueToken(session), recovery.restored,
      recovery.failure == null, missed, recovery.failure));
    for (ClientState.Held held : recovery.held) {
      Long upTo = held.group() == null ? null : replayedTo.get(held.group());
      if (upTo == null || held.position() > upTo) {
        writeFrame(session, held.frame());
      }
    }
    if (recovery.failure != null) {
      LOG.log(System.Logger.Level.INFO, "Session " + session.id + " resumed " + (recovery.restored ? "" : "as a new session ")
        + "without recovery: " + recovery.failure);
      if (recovery.restored) {
        // the client reloads its state now: a later resume starts from where each group stands now
        joinedAt(session).clear();
        for (String group : new ArrayList<>(session.groups().keySet())) {
          joinedGroup(session, group);
        }
        stateChanged(session);
      }
    }
  }

  /** A new token for a v1 session as it is now (empty when resume is not available). */
  private String issueToken(GatewaySession session) {
    long now = System.currentTimeMillis();
    session.v1.tokenStale = false;
    session.v1.tokenIssuedAt = now;
    return resumeTokens == null ? "" : resumeTokens.issue(session, now);
  }

  private void flushClientLater(GatewaySession session) {
    if (session.v1.flushQueued) {
      return;
    }
    session.v1.flushQueued = true;
    if (clientFlushes.isEmpty()) {
      context.runOnContext(v -> flushClients());
    }
    clientFlushes.add(session);
  }

  /** At the end of a turn: one ack per v1 session that had messages relayed, and new tokens where due. */
  private void flushClients() {
    List<GatewaySession> due = new ArrayList<>(clientFlushes);
    clientFlushes.clear();
    for (GatewaySession session : due) {
      ClientState v1 = session.v1;
      v1.flushQueued = false;
      if (!session.isLive()) {
        continue;
      }
      if (v1.relayedSeq > v1.acked) {
        v1.acked = v1.relayedSeq;
        writeFrame(session, ClientProtocol.ack(v1.acked));
      }
      if (v1.tokenStale && v1.told && v1.recovery == null && session.isBound()) {
        writeFrame(session, ClientProtocol.token(issueToken(session)));
      }
    }
  }

  private GroupHistory history() {
    if (history == null) {
      history = GroupHistory.of(vertx);
    }
    return history;
  }

  /** A frame broke the protocol: answer with the close code the decoder names (1002, 1007, 1009). */
  private void onSocketError(GatewaySession session, Throwable err) {
    if (err instanceof CorruptedWebSocketFrameException) {
      WebSocketCloseStatus status = ((CorruptedWebSocketFrameException) err).closeStatus();
      closeSession(session, (short) status.code(), err.getMessage());
    } else {
      LOG.log(System.Logger.Level.DEBUG, "Session " + session.id + ": " + err.getMessage());
    }
  }

  /** One slice of the keep-alive round: the sessions whose id hashes to {@code slice} of {@code slices}. */
  private void keepAlive(int slice, int slices) {
    long now = now();
    List<GatewaySession> idle = new ArrayList<>();
    List<GatewaySession> full = new ArrayList<>();
    registry.forEach(s -> {
      if (slices > 1 && Math.floorMod(s.id.hashCode(), slices) != slice) {
        return;
      }
      s.expireRecent(now);
      if (now - s.lastActivity > options.idleTimeoutMs()) {
        idle.add(s);
      } else if (s.isLive() && !s.ws.isClosed()) { // nothing is written after a close frame, either way
        if (s.ws.writeQueueFull()) {
          full.add(s); // a ping counts against the outbound bound like any frame
        } else {
          s.ws.writePing();
        }
      }
    });
    full.forEach(this::slowConsumer);
    idle.forEach(s -> closeSession(s, CloseCodes.GOING_AWAY, "Idle for more than " + options.idleTimeoutMs() + " ms"));
  }

  private void completeShutdownWhenEmpty() {
    if (shutdown != null && registry.size() == 0) {
      shutdown.tryComplete();
    }
  }

  private static long now() {
    return System.nanoTime() / 1_000_000;
  }

  private void relay(GatewaySession session, Object message) {
    if (!session.isBound()) {
      session.hold(message); // rare: a frame already read when the socket was paused
      return;
    }
    if (message instanceof String) {
      relay.text(session, (String) message, null);
    } else if (message instanceof ClientProtocol.Numbered) {
      ClientProtocol.Numbered numbered = (ClientProtocol.Numbered) message;
      relay.text(session, numbered.text(), numbered.seq());
      session.v1.relayedSeq = Math.max(session.v1.relayedSeq, numbered.seq());
      flushClientLater(session);
    } else {
      relay.binary(session, (Buffer) message);
    }
    if (session.rebind) {
      session.remember(message, now());
    }
  }

  private void open(GatewaySession session, boolean rebind, Set<String> tried) {
    open(session, rebind, tried, null);
  }

  /** Opens the session on {@code preferred} (an instance that lives) or the one the picker chooses. */
  private void open(GatewaySession session, boolean rebind, Set<String> tried, String preferred) {
    String target = preferred != null && tried.isEmpty() ? preferred : pick(session.service, tried);
    String address = target != null ? target : io.switchboard.protocol.Addresses.service(session.service);
    JsonObject info = openInfo(session);
    boolean resume = session.v1 != null && session.v1.recovery != null && session.v1.recovery.restored;
    relay.open(session, info, address, rebind, resume).onComplete(ar -> {
      if (ar.succeeded()) {
        bind(session, ar.result());
      } else if (session.isClosed()) {
        return;
      } else if (target != null && noHandlers(ar.cause()) && tried.size() + 1 < OPEN_ATTEMPTS) {
        tried.add(target); // it died just now: try another instance
        open(session, rebind, tried);
      } else {
        refuse(session, ar.cause(), rebind);
      }
    });
  }

  /** The live instance with the fewest sessions from this node, round-robin among equals; null if none. */
  private String pick(String service, Set<String> exclude) {
    List<String> instances = new ArrayList<>();
    directory.instances(service).forEach(e -> instances.add(e.address()));
    return picker.pick(service, instances, exclude);
  }

  private void bind(GatewaySession session, String instance) {
    if (session.superseded) {
      // its open completed after a resume took the session over: the new connection holds it
      GatewaySession current = registry.get(session.id);
      if (current != null && current.isBound() && !instance.equals(current.instance)) {
        relay.expiredAt(instance, session.id); // that instance forgets it, without an onClose
      }
      return;
    }
    Directory.Entry bound = directory.get(instance);
    if (bound != null) {
      instance = bound.address(); // the directory's String, one per instance (the reply's is one per session)
    }
    session.boundTo(instance);
    picker.bind(session, instance);
    if (session.isClosed()) {
      relay.close(session, closeCode(session.ws), session.ws.closeReason());
      unbind(session);
      return;
    }
    boolean rebindService = bound != null && bound.failover() == Failover.REBIND;
    session.batched = bound != null && bound.batches();
    session.replayable(rebindService);
    Object m;
    while ((m = session.nextHeld()) != null) {
      relay(session, m);
    }
    session.ws.resume();
    if (session.v1 != null) {
      bound(session);
    }
  }

  /** A v1 session was bound: the client hears of its (new) session, or its resume completes. */
  private void bound(GatewaySession session) {
    ClientState v1 = session.v1;
    if (v1.told) {
      stateChanged(session); // rebound after a failover: its token names the new instance
    } else if (v1.recovery == null) {
      v1.told = true;
      writeFrame(session, ClientProtocol.welcome(session.id, issueToken(session)));
    } else {
      v1.recovery.bound = true;
      finishResume(session);
    }
  }

  private void unbind(GatewaySession session) {
    if (session.instance != null) {
      picker.unbind(session, session.instance);
    }
    session.unbound();
  }

  private void moveOff(GatewaySession session, boolean rebind, String reason) {
    unbind(session);
    if (rebind && !directory.instances(session.service).isEmpty()) {
      session.ws.pause();
      open(session, true, new HashSet<>());
    } else {
      closeSession(session, CloseCodes.SERVICE_RESTART, reason);
    }
  }

  private void onSocketClosed(GatewaySession session) {
    int code = closeCode(session.ws); // the client's, or that of the protocol failure the socket sent
    String reason = session.ws.closeReason();
    session.closed();
    registry.remove(session);
    session.onEnd.run();
    session.meters.open.decrementAndGet();
    metrics.closed(code);
    if (session.isBound()) {
      relay.close(session, code, reason);
      unbind(session);
    }
    completeShutdownWhenEmpty();
  }

  private void refuse(GatewaySession session, Throwable cause, boolean rebind) {
    int code = rebind ? CloseCodes.SERVICE_RESTART : CloseCodes.TRY_AGAIN_LATER;
    String reason;
    if (cause instanceof ReplyException) {
      ReplyException re = (ReplyException) cause;
      metrics.busFailure(re.failureType().name());
      switch (re.failureType()) {
        case NO_HANDLERS:
          reason = "Service " + session.service + " is not running";
          break;
        case TIMEOUT:
          reason = "Service " + session.service + " did not answer in time";
          break;
        default:
          code = CloseCodes.isSendable(re.failureCode()) ? re.failureCode() : CloseCodes.INTERNAL_ERROR;
          reason = re.getMessage() == null ? "Refused by service " + session.service : re.getMessage();
      }
    } else {
      reason = "Service " + session.service + " failed: " + cause.getMessage();
    }
    closeSession(session, (short) code, reason);
  }

  private static boolean noHandlers(Throwable t) {
    return t instanceof ReplyException && ((ReplyException) t).failureType() == ReplyFailure.NO_HANDLERS;
  }

  private static int closeCode(WireSocket ws) {
    Short code = ws.closeStatusCode();
    return code == null ? 1006 : code;
  }

  /** The sockets' events, for the session each carries. */
  private final class SocketEvents implements WireSocket.Listener {
    @Override
    public void frame(WireSocket socket, WebSocketFrame frame) {
      GatewaySession session = (GatewaySession) socket.attachment();
      if (session != null) {
        onFrame(session, frame);
      }
    }

    @Override
    public void error(WireSocket socket, Throwable error) {
      GatewaySession session = (GatewaySession) socket.attachment();
      if (session != null) {
        onSocketError(session, error);
      }
    }

    @Override
    public boolean failing(WireSocket socket) {
      GatewaySession session = (GatewaySession) socket.attachment();
      return session == null || session.startClosing();
    }

    @Override
    public void overflow(WireSocket socket) {
      GatewaySession session = (GatewaySession) socket.attachment();
      if (session != null) {
        context.runOnContext(v -> slowConsumer(session)); // not from inside the guard's read or write
      }
    }

    @Override
    public void closed(WireSocket socket) {
      GatewaySession session = (GatewaySession) socket.attachment();
      if (session != null) {
        onSocketClosed(session);
      }
    }
  }
}
