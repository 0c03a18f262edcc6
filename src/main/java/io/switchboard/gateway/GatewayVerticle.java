package io.switchboard.gateway;

import io.switchboard.gateway.impl.BridgeMount;
import io.switchboard.gateway.impl.GatewayInbox;
import io.switchboard.gateway.impl.ServiceLink;
import io.switchboard.gateway.impl.SessionRegistry;
import io.switchboard.gateway.impl.WebSocketEndpoint;
import io.switchboard.protocol.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.Map;
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
  private GatewayInbox inbox;
  private BridgeMount bridge;
  private HttpServer server;

  @Override
  public Future<?> start() {
    GatewayOptions options;
    try {
      options = GatewayOptions.fromJson(config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    String nodeId = UUID.randomUUID().toString().substring(0, 8);
    String nodeAddress = Addresses.gateway(nodeId);
    inbox = new GatewayInbox(vertx.eventBus(), nodeAddress, registry);
    ServiceLink link = new ServiceLink(vertx.eventBus(), nodeId, nodeAddress, options.openTimeoutMs());
    bridge = new BridgeMount(vertx, options.bridge(), nodeId);
    Router router = router(options, link);
    server = vertx.createHttpServer(httpOptions(options)).requestHandler(router);
    return inbox.start()
      .compose(v -> server.listen(options.port(), options.host()).recover(err -> Future.failedFuture(
        new IllegalStateException("cannot listen on " + options.host() + ":" + options.port() + ": " + err.getMessage()
          + " (change \"port\" in the config or set " + GatewayOptions.ENV_PORT + ")", err))))
      .onSuccess(s -> LOG.log(System.Logger.Level.INFO, String.format(
        "Gateway node %s ready on http://%s:%d/ routes %s (JVM up %d ms)", nodeId, options.host(),
        s.actualPort(), options.routes(), ManagementFactory.getRuntimeMXBean().getUptime())));
  }

  @Override
  public Future<?> stop() {
    if (bridge != null) {
      bridge.stop();
    }
    return inbox == null ? Future.succeededFuture() : inbox.stop();
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

  private Router router(GatewayOptions options, ServiceLink link) {
    Router router = Router.router(vertx);
    for (Map.Entry<String, String> route : options.routes().entrySet()) {
      router.get(route.getKey())
        .handler(new WebSocketEndpoint(route.getValue(), registry, link, options.forwardHeaders()));
    }
    bridge.mountOn(router);
    router.route().handler(ctx -> {
      if (WebSocketEndpoint.isUpgrade(ctx.request())) {
        ctx.response().setStatusCode(404).end("No service is routed at " + ctx.request().path() + "\n");
      } else {
        ctx.next();
      }
    });
    router.route().handler(staticHandler(options.webRoot()));
    return router;
  }

  private static StaticHandler staticHandler(String webRoot) {
    StaticHandler handler = new File(webRoot).isAbsolute()
      ? StaticHandler.create(FileSystemAccess.ROOT, webRoot)
      : StaticHandler.create(webRoot);
    return handler.setCachingEnabled(false);
  }

  private static HttpServerOptions httpOptions(GatewayOptions options) {
    return new HttpServerOptions()
      .setMaxWebSocketFrameSize(options.maxFrameSize())
      .setMaxWebSocketMessageSize(options.maxMessageSize())
      .setTcpNoDelay(true);
  }
}
