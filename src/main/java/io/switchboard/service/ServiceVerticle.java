package io.switchboard.service;

import io.switchboard.config.ConfigReader;
import io.switchboard.history.Replay;
import io.switchboard.service.impl.ServiceRuntime;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.util.Collection;

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
 * so gateways route it without a config edit; {@link #stop()} drains its sessions. The machinery
 * (consumers, dispatch, drain) is {@link ServiceRuntime}'s.
 */
public abstract class ServiceVerticle extends VerticleBase {

  private ServiceOptions options;
  private ServiceRuntime runtime;

  /** The name used when the config has no {@code name}; {@code null} makes it required. */
  protected String defaultName() {
    return null;
  }

  /**
   * The failover used when the config has no {@code failover}: {@link Failover#CLOSE} (the
   * default, right for services whose per-session state lives in the instance) or {@link Failover#REBIND}.
   */
  protected Failover defaultFailover() {
    return Failover.CLOSE;
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

  /**
   * A session joined a group of this service (or joined it again with a new meta: then
   * {@link #onLeft} with the old meta came first). Called on every instance of the service, for
   * every membership change of the service on any gateway, in order per gateway; see
   * {@link Presence} for when. {@code sessionId} may be a session bound to another instance.
   */
  protected void onJoined(String group, String sessionId, JsonObject meta) {
  }

  /**
   * A session left a group of this service: by {@link Session#leave}, because it closed, or
   * because its gateway was lost. Called on every instance of the service; see {@link Presence}
   * for the order against {@link #onClose}.
   */
  protected void onLeft(String group, String sessionId, JsonObject meta) {
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
    runtime = new ServiceRuntime(vertx, context, options, new ServiceRuntime.Callbacks() {
      @Override
      public void open(Session session) {
        onOpen(session);
      }

      @Override
      public void text(Session session, String text) {
        onMessage(session, text);
      }

      @Override
      public void binary(Session session, Buffer data) {
        onMessage(session, data);
      }

      @Override
      public void close(Session session, int code, String reason) {
        onClose(session, code, reason);
      }

      @Override
      public void joined(String group, String sessionId, JsonObject meta) {
        onJoined(group, sessionId, meta);
      }

      @Override
      public void left(String group, String sessionId, JsonObject meta) {
        onLeft(group, sessionId, meta);
      }
    });
    return runtime.start(this::onStart);
  }

  /**
   * Drains the instance: withdraws it (gateways route no new session here), hands every session
   * back to its gateway (re-bound elsewhere or closed with 1012, per {@code failover}), waits for
   * the gateways to confirm (at most {@code drainTimeoutMs}), then calls {@link #onStop()}.
   */
  @Override
  public final Future<?> stop() {
    return runtime == null ? onStop() : runtime.stop().compose(v -> onStop());
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
    return runtime.instanceAddress();
  }

  /** The open sessions bound to this instance. */
  public final Collection<Session> sessions() {
    return runtime.sessions();
  }

  /**
   * Who is in this service's groups, over every gateway of the cluster (a local replica, read
   * synchronously); see {@link Presence} for its contracts. Valid from {@link #onStart()} on.
   */
  public final Presence presence() {
    return runtime.presence();
  }

  /**
   * Sends a text message to every member of a group, on every gateway. For a group with a history
   * (the {@code history} config, see {@link ServiceOptions}) the message is stored first and
   * published with its position; the future completes with that position ({@code -1} for a group
   * without history, published at once). Publishes leave in call order, and what the service sends
   * its sessions after a publish never overtakes it. If the history cannot store the message
   * (timeout, cluster error) it is logged, published without a position (live members still get
   * it) and the future fails.
   */
  protected final Future<Long> publish(String group, String text) {
    return runtime.publish(group, text, null);
  }

  /** Like {@link #publish(String, String)}, to every member of a group but one (typically the sender). */
  protected final Future<Long> publish(String group, String text, Session except) {
    return runtime.publish(group, text, except);
  }

  /** Like {@link #publish(String, String)}, a binary message. */
  protected final Future<Long> publish(String group, Buffer data) {
    return runtime.publish(group, data, null);
  }

  /** Like {@link #publish(String, String)}, a binary message to every member of a group but one. */
  protected final Future<Long> publish(String group, Buffer data, Session except) {
    return runtime.publish(group, data, except);
  }

  /**
   * The messages a group of this service keeps in its history after position {@code since}
   * ({@code -1}: all it keeps), at most {@code max} of them, in order, in the stream's current
   * epoch ({@link Replay#more()} says whether more follow). A group without history has none.
   */
  public final Future<Replay> history(String group, long since, int max) {
    return runtime.history(group, since, max);
  }
}
