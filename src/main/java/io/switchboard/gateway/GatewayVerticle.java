package io.switchboard.gateway;

import io.switchboard.gateway.impl.AdminApi;
import io.switchboard.gateway.impl.Compression;
import io.switchboard.gateway.impl.ConnectionGuard;
import io.switchboard.gateway.impl.BridgeMount;
import io.switchboard.gateway.impl.GatewayInbox;
import io.switchboard.gateway.impl.OpsRoutes;
import io.switchboard.gateway.impl.OriginPolicy;
import io.switchboard.gateway.impl.TokenCheck;
import io.switchboard.gateway.impl.SessionManager;
import io.switchboard.gateway.impl.SessionRegistry;
import io.switchboard.gateway.impl.WebSocketRoutes;
import io.switchboard.registry.Announce;
import io.switchboard.registry.Announcer;
import io.switchboard.registry.Directory;
import io.switchboard.protocol.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;

import java.io.File;
import io.vertx.core.net.PemKeyCertOptions;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.UUID;

/**
 * The HTTP/WebSocket gateway. Each instance (one per event loop with {@code -instances N}) is a
 * gateway node: it upgrades WebSocket requests on the routed paths, relays their frames to the
 * services over the clustered event bus, writes the services' pushes back, and serves the web
 * root. Any other upgrade gets 404 before the handshake. Browsers also reach permitted event-bus
 * addresses through the SockJS bridge at {@code /eventbus} ({@link BridgeOptions}).
 *
 * <pre>launcher/vertx run io.switchboard.gateway.GatewayVerticle -conf conf/gateway.json -cluster</pre>
 */
public class GatewayVerticle extends VerticleBase {

  private static final System.Logger LOG = System.getLogger(GatewayVerticle.class.getName());

  private final SessionRegistry registry = new SessionRegistry();
  private Directory directory;
  private GatewayInbox inbox;
  private Announcer announcer;
  private SessionManager sessions;
  private GatewayOptions options;
  private BridgeMount bridge;
  private TokenCheck tokens;
  private HttpServer server;

  @Override
  public Future<?> start() {
    try {
      options = GatewayOptions.fromJson(config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    String nodeId = UUID.randomUUID().toString().substring(0, 8);
    String nodeAddress = Addresses.gateway(nodeId);
    directory = new Directory(vertx);
    sessions = new SessionManager(vertx, options, nodeId, nodeAddress, registry, directory);
    directory.onLost(lost -> {
      if (Announce.ROLE_SERVICE.equals(lost.role())) {
        sessions.instanceLost(lost);
      }
    });
    inbox = new GatewayInbox(vertx.eventBus(), nodeAddress, registry, sessions);
    announcer = new Announcer(vertx, Announce.DEFAULT_HEARTBEAT_MS, options.heartbeatTimeoutMs(), () -> Announce.of(Announce.ROLE_GATEWAY, nodeAddress,
      Announce.DEFAULT_HEARTBEAT_MS).put(Announce.SESSIONS, registry.size()).put(Announce.BATCH, true));
    tokens = options.jwt() == null ? null : new TokenCheck(vertx, options.jwt());
    bridge = new BridgeMount(vertx, options, nodeId, tokens);
    Router router = router(options, sessions);
    server = vertx.createHttpServer(httpOptions(options)).requestHandler(router)
      .connectionHandler(connectionHandler(options))
      .exceptionHandler(err -> LOG.log(System.Logger.Level.DEBUG, "Connection error: " + err));
    return Future.all(inbox.start(), directory.start(), sessions.startResume())
      .compose(v -> server.listen(options.port(), options.host()).recover(err -> Future.failedFuture(
        new IllegalStateException("cannot listen on " + options.host() + ":" + options.port() + ": " + io.switchboard.config.TransportInfo.plainMessage(err)
          + " (change \"port\" in the config or set " + GatewayOptions.ENV_PORT + ")", err))))
      .compose(s -> announcer.start().map(s))
      .onSuccess(s -> sessions.start())
      .onSuccess(s -> LOG.log(System.Logger.Level.INFO, String.format(
        "Gateway node %s ready on %s://%s:%d/ routes %s (%s, JVM up %d ms)", nodeId,
        options.tlsCertPath() == null ? "http" : "https", options.host(),
        s.actualPort(), options.routes(), io.switchboard.config.TransportInfo.describe(vertx), ManagementFactory.getRuntimeMXBean().getUptime())));
  }

  /**
   * Graceful shutdown (undeploy, or SIGTERM through the launcher): refuses new upgrades (503),
   * closes every session with 1001 (their services hear of it), waits up to
   * {@code limits.shutdownGraceMs}, then stops listening and leaves the registry.
   */
  @Override
  public Future<?> stop() {
    if (inbox == null) {
      return Future.succeededFuture();
    }
    bridge.stop();
    return sessions.shutdown()
      .eventually(() -> Future.join(announcer.stop(), directory.stop(), inbox.stop()))
      .eventually(() -> server.close());
  }

  /** The port this gateway listens on (useful with {@code "port": 0}). */
  public int actualPort() {
    return server.actualPort();
  }

  /** The number of live sessions on this gateway node, read on its event loop. */
  public Future<Integer> sessionCount() {
    Promise<Integer> count = Promise.promise();
    context.runOnContext(v -> count.complete(registry.size()));
    return count.future();
  }

  private Router router(GatewayOptions options, SessionManager sessions) {
    Router router = Router.router(vertx);
    new OpsRoutes(vertx, options, directory, sessions).mount(router);
    if (options.adminToken() != null) {
      new AdminApi(vertx, directory, options.routes(), options.adminToken()).mount(router);
    }
    OriginPolicy origins = new OriginPolicy(options.allowedOrigins(), options.allowMissingOrigin());
    router.route(BridgeMount.PATH + "/*").handler(ctx -> {
      String origin = ctx.request().getHeader("Origin");
      if (origins.allows(origin)) {
        ctx.next();
      } else {
        ctx.response().setStatusCode(403).end("Origin " + origin + " is not allowed\n");
      }
    });
    bridge.mountOn(router); // before the WebSocket routes, which refuse every unrouted upgrade
    router.route().handler(new WebSocketRoutes(options, directory, sessions, tokens));
    router.route().handler(staticHandler(options.webRoot()));
    return router;
  }

  private static StaticHandler staticHandler(String webRoot) {
    StaticHandler handler = new File(webRoot).isAbsolute()
      ? StaticHandler.create(FileSystemAccess.ROOT, webRoot)
      : StaticHandler.create(webRoot);
    return handler.setCachingEnabled(false);
  }

  private Handler<HttpConnection> connectionHandler(GatewayOptions options) {
    Handler<HttpConnection> guard = ConnectionGuard.installer(vertx, options);
    Handler<HttpConnection> compression = Compression.installer(options);
    if (compression == null) {
      return guard;
    }
    return connection -> {
      compression.handle(connection);
      guard.handle(connection);
    };
  }

  private static HttpServerOptions httpOptions(GatewayOptions options) {
    HttpServerOptions http = new HttpServerOptions();
    // switchboard.v1: the resumable client protocol (docs/protocol.md#resume); others stay plain
    http.setWebSocketSubProtocols(options.jwt() != null ? List.of(SessionManager.CLIENT_SUBPROTOCOL, TokenCheck.SUBPROTOCOL)
      : List.of(SessionManager.CLIENT_SUBPROTOCOL));
    if (options.tlsCertPath() != null) {
      http.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(options.tlsCertPath())
        .setKeyPath(options.tlsKeyPath()));
    }
    return http
      .setMaxWebSocketFrameSize(options.maxFrameSize())
      .setMaxWebSocketMessageSize(options.maxMessageSize())
      .setMaxHeaderSize(options.maxHeaderSize())
      // no h2c: with it, Vert.x sees a connection (connectionHandler) only after its first full
      // request head, and the guard must count it from the accept
      .setHttp2ClearTextEnabled(false)
      // permessage-deflate when "compression.enabled"; Compression then swaps Vert.x's extension
      // handler for one whose inflater is bounded by maxFrameSize
      .setPerMessageWebSocketCompressionSupported(options.compressionEnabled())
      .setWebSocketCompressionLevel(options.compressionLevel())
      .setWebSocketAllowServerNoContext(true)
      .setWebSocketPreferredClientNoContext(options.compressionClientNoContextTakeover())
      .setPerFrameWebSocketCompressionSupported(false)
      .setWebSocketClosingTimeout(5)
      .setTcpNoDelay(true);
  }
}
