package io.switchboard.service;

import io.switchboard.config.ConfigReader;
import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Close;
import io.switchboard.protocol.CloseCodes;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.protocol.Outbox;
import io.switchboard.protocol.PeerLink;
import io.switchboard.protocol.PeerReader;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.switchboard.registry.Announce;
import io.switchboard.registry.Announcer;
import io.switchboard.registry.Directory;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The base of every Switchboard service. Extend it, override the {@code on*} callbacks, and run
 * it anywhere in the cluster:
 *
 * <pre>launcher/vertx run com.example.MyService -conf conf/my.json -cluster</pre>
 *
 * <p>Gateways route the paths mapped to this service's {@linkplain ServiceOptions#name() name}
 * here. Each new session is bound to one instance of the service for its whole life; its
 * callbacks arrive on this verticle's event loop, in order, one at a time, so a service's state
 * needs no locks. Callbacks must not block.
 *
 * <p>Callbacks for one session: {@link #onOpen} once, then {@link #onMessage(Session, String)} and
 * {@link #onMessage(Session, Buffer)} for each message, then {@link #onClose} once. An exception
 * thrown by {@code onOpen} refuses the session (the client gets close 1011); one thrown by
 * {@code onMessage} is logged and the session lives on. If the gateway holding a session is
 * killed, {@code onClose} comes with 1006 once its heartbeats stop (about 4 s).
 *
 * <p>The instance announces its {@code paths} and {@code failover} (see {@link ServiceOptions})
 * so gateways route it without a config edit; {@link #stop()} drains its sessions.
 */
public abstract class ServiceVerticle extends VerticleBase {

  private static final System.Logger LOG = System.getLogger(ServiceVerticle.class.getName());

  private final Map<String, Session> sessions = new HashMap<>();
  /** Per-session inbound counts, only when {@code maxMessagesPerSecond} or {@code maxMessageSize} is set. */
  private final Map<String, InboundBudget> budgets = new HashMap<>();
  private ServiceOptions options;
  private String instanceAddress;
  private Announcer announcer;
  private Directory gateways;
  private Outbox outbox;

  /** The name used when the config has no {@code name}; {@code null} makes it required. */
  protected String defaultName() {
    return null;
  }

  /**
   * The failover used when the config has no {@code failover}: {@code "close"} (the default,
   * right for services whose per-session state lives in the instance) or {@code "rebind"}.
   */
  protected String defaultFailover() {
    return Announce.FAILOVER_CLOSE;
  }

  /** Reads the service's own config keys; a key read nowhere fails the deployment. */
  protected void configure(ConfigReader conf) {
  }

  /** Called once the service's addresses are registered, before it is reported ready. */
  protected Future<?> onStart() {
    return Future.succeededFuture();
  }

  /** A session opened. Greet it, {@linkplain Session#join join} it to groups, keep state for it. */
  protected void onOpen(Session session) {
  }

  /** A text message arrived from the client. */
  protected void onMessage(Session session, String text) {
  }

  /** A binary message arrived from the client. */
  protected void onMessage(Session session, Buffer data) {
  }

  /**
   * The socket closed, by either side. {@code code} is the WebSocket close code (1006 when the
   * connection dropped without a close frame).
   */
  protected void onClose(Session session, int code, String reason) {
  }

  @Override
  public final Future<?> start() {
    try {
      ConfigReader conf = new ConfigReader(getClass().getSimpleName() + " config", config(), System.getenv());
      options = new ServiceOptions(conf, defaultName(), defaultFailover());
      configure(conf);
      conf.rejectUnknownKeys();
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    String name = options.name();
    instanceAddress = Addresses.serviceInstance(name, UUID.randomUUID().toString().substring(0, 8));
    EventBus bus = vertx.eventBus();
    MessageConsumer<JsonObject> opens = bus.consumer(Addresses.service(name), this::handleOpen);
    MessageConsumer<Object> frames = bus.consumer(instanceAddress, this::handleFrame);
    announcer = new Announcer(vertx, options.heartbeatMs(), () -> Announce.service(name, instanceAddress,
      options.paths(), options.failover(), sessions.size(), options.heartbeatMs()));
    gateways = new Directory(vertx).onLost(this::gatewayLost);
    outbox = new Outbox(bus, context);
    return Future.all(opens.completion(), frames.completion(), gateways.start())
      .compose(v -> onStart())
      .compose(v -> announcer.start())
      .onSuccess(v -> LOG.log(System.Logger.Level.INFO, String.format("Service %s ready at %s paths %s (JVM up %d ms)",
        name, instanceAddress, options.paths(), ManagementFactory.getRuntimeMXBean().getUptime())));
  }

  /**
   * Drains the instance: withdraws it (gateways route no new session here), hands every session
   * back to its gateway (re-bound elsewhere or closed with 1012, per {@code failover}), waits for
   * the gateways to confirm (at most {@code drainTimeoutMs}), then calls {@link #onStop()}.
   */
  @Override
  public final Future<?> stop() {
    if (announcer == null) {
      return onStop();
    }
    gateways.stop();
    outbox.flush();
    Future<Void> withdrawn = announcer.stop();
    Map<String, JsonArray> byGateway = new HashMap<>();
    for (Session s : sessions.values()) {
      byGateway.computeIfAbsent(s.gateway(), g -> new JsonArray()).add(s.id());
    }
    List<Future<?>> handedBack = new ArrayList<>();
    byGateway.forEach((gateway, ids) -> handedBack.add(vertx.eventBus().request(gateway,
      new JsonObject().put("sessions", ids).put("failover", options.failover()),
      new DeliveryOptions().setSendTimeout(Math.max(1, options.drainTimeoutMs()))
        .addHeader(Headers.OP, Op.DRAIN.wire()).addHeader(Headers.INSTANCE, instanceAddress))));
    if (!byGateway.isEmpty()) {
      LOG.log(System.Logger.Level.INFO, String.format("Service %s draining %d session(s) (%s)", name(), sessions.size(),
        options.failover()));
    }
    return Future.join(handedBack).otherwiseEmpty().compose(v -> withdrawn).compose(v -> onStop());
  }

  /** Called last when the instance stops, after its sessions were handed back. */
  protected Future<?> onStop() {
    return Future.succeededFuture();
  }

  /** The service's name. */
  public final String name() {
    return options.name();
  }

  /** This instance's own address (sessions bound here get their frames on it). */
  public final String instanceAddress() {
    return instanceAddress;
  }

  /** The open sessions bound to this instance. */
  public final Collection<Session> sessions() {
    return Collections.unmodifiableCollection(sessions.values());
  }

  /** Sends a text message to every member of a group, on every gateway. */
  protected final void publish(String group, String text) {
    publish(group, Op.TEXT, text, null);
  }

  /** Sends a text message to every member of a group but one (typically the sender). */
  protected final void publish(String group, String text, Session except) {
    publish(group, Op.TEXT, text, except);
  }

  /** Sends a binary message to every member of a group, on every gateway. */
  protected final void publish(String group, Buffer data) {
    publish(group, Op.BINARY, data, null);
  }

  /** Whether a gateway node reads batches (it announced {@code "batch": true}). */
  private boolean batches(String gateway) {
    Directory.Entry entry = gateways == null ? null : gateways.get(gateway);
    return entry != null && entry.announce().getBoolean(Announce.BATCH, false);
  }

  private void publish(String group, Op op, Object body, Session except) {
    outbox.flush(); // what was sent to sessions before this publish must not be overtaken by it
    DeliveryOptions options = new DeliveryOptions()
      .addHeader(Headers.OP, op.wire())
      .addHeader(Headers.GROUP, Addresses.group(name(), group));
    if (except != null) {
      options.addHeader(Headers.EXCEPT, except.id());
    }
    vertx.eventBus().publish(Addresses.GROUPS, body, options);
  }

  /** A gateway stopped heartbeating (killed): its sessions are gone, say so to the service. */
  private void gatewayLost(Directory.Entry lost) {
    if (!Announce.ROLE_GATEWAY.equals(lost.role())) {
      return;
    }
    List<Session> gone = new ArrayList<>();
    for (Session s : sessions.values()) {
      if (s.gateway().equals(lost.address())) {
        gone.add(s);
      }
    }
    for (Session s : gone) {
      try {
        closed(s, 1006, "Gateway lost");
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, name() + ": onClose failed for " + s, e);
      }
    }
    if (!gone.isEmpty()) {
      LOG.log(System.Logger.Level.INFO, String.format("Service %s closed %d session(s) of lost gateway %s", name(),
        gone.size(), lost.address()));
    }
  }

  private void handleOpen(Message<?> msg) {
    String id = msg.headers().get(Headers.SESSION);
    String gateway = msg.headers().get(Headers.GATEWAY);
    if (id == null || gateway == null) {
      msg.fail(CloseCodes.PROTOCOL_ERROR, "open without " + Headers.SESSION + " or " + Headers.GATEWAY);
      return;
    }
    JsonObject info = msg.body() instanceof JsonObject ? (JsonObject) msg.body() : new JsonObject();
    PeerLink link = new PeerLink(vertx.eventBus(), outbox, gateway, () -> batches(gateway));
    Session session = new Session(this, id, link, info, "true".equals(msg.headers().get(Headers.REBIND)));
    sessions.put(id, session);
    try {
      onOpen(session);
    } catch (RuntimeException e) {
      sessions.remove(id);
      session.markClosed();
      LOG.log(System.Logger.Level.WARNING, name() + ": onOpen failed for " + session, e);
      msg.fail(CloseCodes.INTERNAL_ERROR, "Service " + name() + " failed to open the session");
      return;
    }
    outbox.flush(); // the greeting onOpen sent goes out before the reply that lets the client's frames in
    msg.reply(null, new DeliveryOptions().addHeader(Headers.INSTANCE, instanceAddress));
  }

  private void handleFrame(Message<Object> msg) {
    if (Op.OPEN.wire().equals(msg.headers().get(Headers.OP))) {
      handleOpen(msg);
    } else if (!PeerReader.read(msg, frames)) {
      LOG.log(System.Logger.Level.WARNING, name() + ": ignoring a message with op " + msg.headers().get(Headers.OP));
    }
  }

  /** What the gateways send a session of this instance; one unknown here (closed meanwhile) is skipped. */
  private final PeerReader.Receiver frames = new PeerReader.Receiver() {
    @Override
    public void text(String sessionId, String text) {
      Session session = sessions.get(sessionId);
      if (session != null && admit(session, text.length())) {
        callback(session, "text", () -> onMessage(session, text));
      }
    }

    @Override
    public void binary(String sessionId, Buffer data) {
      Session session = sessions.get(sessionId);
      if (session != null && admit(session, data.length())) {
        callback(session, "binary", () -> onMessage(session, data));
      }
    }

    @Override
    public void close(String sessionId, Close close) {
      Session session = sessions.get(sessionId);
      if (session != null) {
        callback(session, "close", () -> closed(session, close.code(), close.reason()));
      }
    }
  };

  private void callback(Session session, String what, Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, name() + ": " + what + " callback failed for " + session, e);
    }
  }

  /** The one place a session ends on the service side: forgotten, marked closed, then onClose. */
  private void closed(Session session, int code, String reason) {
    sessions.remove(session.id());
    budgets.remove(session.id());
    session.markClosed();
    onClose(session, code, reason);
  }

  /** What one session sent in the current second, and whether it is already being closed. */
  private static final class InboundBudget {
    long windowStart = System.nanoTime();
    int count;
    boolean closing;
  }

  /**
   * Whether a client message is within the service's {@code maxMessageSize} and
   * {@code maxMessagesPerSecond}. If not, the session is closed (1009 or 1008) once, and this and
   * its later messages are dropped until the close completes.
   */
  private boolean admit(Session session, int size) {
    int maxSize = options.maxMessageSize();
    int maxRate = options.maxMessagesPerSecond();
    if (maxSize == 0 && maxRate == 0) {
      return true;
    }
    InboundBudget budget = budgets.computeIfAbsent(session.id(), id -> new InboundBudget());
    if (budget.closing) {
      return false;
    }
    if (maxSize > 0 && size > maxSize) {
      budget.closing = true;
      session.close(CloseCodes.TOO_BIG, "Message too big for service " + name() + " (at most " + maxSize + ")");
      return false;
    }
    if (maxRate > 0) {
      long now = System.nanoTime();
      if (now - budget.windowStart >= 1_000_000_000L) {
        budget.windowStart = now;
        budget.count = 0;
      }
      if (++budget.count > maxRate) {
        budget.closing = true;
        session.close(CloseCodes.POLICY_VIOLATION, "Too many messages for service " + name() + " (at most "
          + maxRate + " a second)");
        return false;
      }
    }
    return true;
  }
}
