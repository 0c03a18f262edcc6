package io.switchboard.gateway.impl;

import io.switchboard.gateway.GatewayOptions;
import io.switchboard.registry.Directory;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Map;

/**
 * Maps request paths to services: the static {@code routes} of gateway.json first, then the
 * paths services announced. A routed upgrade becomes a session; a plain request on a routed path
 * gets 426; an upgrade on any other path gets 404 before the handshake; everything else goes on
 * to the next handler (static pages). Before a routed upgrade: 400 unless GET, 503 while the
 * gateway shuts down, 403 for an origin not allowed, 401 for a missing or bad token when {@code auth} is on. An unsupported version gets 426, a handshake without its {@code Connection: Upgrade} or
 * {@code Sec-WebSocket-Key} 400 ({@link WireUpgrade}), an oversized head 431 (Vert.x); the
 * connection limits are applied at accept ({@link ConnectionGuard}). An accepted upgrade becomes
 * a {@link WireSocket}. The service is told the query and headers without the token.
 */
public final class WebSocketRoutes implements Handler<RoutingContext> {

  private static final System.Logger LOG = System.getLogger(WebSocketRoutes.class.getName());

  private final GatewayOptions options;
  private final Map<String, String> staticRoutes;
  private final Directory directory;
  private final SessionManager sessions;
  private final List<String> forwardHeaders;
  private final OriginPolicy origins;
  private final TokenCheck tokens;
  private final WireUpgrade wire;

  public WebSocketRoutes(GatewayOptions options, Directory directory, SessionManager sessions, TokenCheck tokens) {
    this.options = options;
    this.staticRoutes = options.routes();
    this.directory = directory;
    this.sessions = sessions;
    this.forwardHeaders = options.forwardHeaders();
    this.origins = new OriginPolicy(options.allowedOrigins(), options.allowMissingOrigin());
    this.tokens = tokens;
    this.wire = new WireUpgrade(options);
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String path = request.path();
    String service = staticRoutes.get(path);
    if (service == null) {
      service = directory.serviceForPath(path);
    }
    boolean upgrade = isUpgrade(request);
    if (service == null) {
      if (upgrade) {
        ctx.response().setStatusCode(404).end("No service is routed at " + path + "\n");
      } else {
        ctx.next();
      }
      return;
    }
    if (!upgrade) {
      ctx.response().setStatusCode(426).putHeader(HttpHeaders.UPGRADE, "websocket")
        .end(path + " takes WebSocket connections only\n");
      return;
    }
    if (request.method() != HttpMethod.GET) {
      refuse(ctx, 400, "A WebSocket upgrade must be a GET, not " + request.method());
      return;
    }
    String version = request.getHeader("Sec-WebSocket-Version");
    if (version != null && !version.trim().equals("13")) {
      ctx.response().putHeader("Sec-WebSocket-Version", "13");
      refuse(ctx, 426, "WebSocket version " + version + " is not supported; use 13 (RFC 6455)");
      return;
    }
    if (sessions.isShuttingDown()) {
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "5");
      refuse(ctx, 503, "The gateway is shutting down; connect again");
      return;
    }
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    if (!origins.allows(origin)) {
      refuse(ctx, 403, "Origin " + origin + " is not allowed");
      return;
    }
    String target = service;
    JsonObject info = openInfo(request, service);
    if (tokens == null) {
      upgrade(ctx, target, info);
      return;
    }
    request.pause();
    tokens.verify(request).onComplete(ar -> {
      request.resume();
      if (ar.failed()) {
        ctx.response().putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        refuse(ctx, 401, ar.cause().getMessage());
      } else {
        upgrade(ctx, target, info.put("claims", ar.result()));
      }
    });
  }

  private void upgrade(RoutingContext ctx, String service, JsonObject info) {
    WireSocket socket = wire.upgrade(ctx.request(), sessions.context(), sessions.socketListener());
    if (socket != null) {
      sessions.accept(socket, service, info, () -> { });
    }
  }

  private static void refuse(RoutingContext ctx, int status, String reason) {
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8").end(reason + "\n");
  }

  private JsonObject openInfo(HttpServerRequest request, String service) {
    JsonObject headers = new JsonObject();
    for (String name : forwardHeaders) {
      String value = request.getHeader(name);
      if (value != null && !name.equalsIgnoreCase("authorization")) {
        headers.put(name, name.equalsIgnoreCase("sec-websocket-protocol")
          ? TokenCheck.subprotocolsWithoutToken(value) : value);
      }
    }
    return new JsonObject()
      .put("service", service)
      .put("path", request.path())
      .put("query", TokenCheck.queryWithoutToken(request.query()))
      .put("remoteAddress", String.valueOf(request.remoteAddress()))
      .put("headers", headers);
  }

  /** Whether a request asks for a WebSocket upgrade. */
  public static boolean isUpgrade(HttpServerRequest request) {
    String upgrade = request.getHeader(HttpHeaders.UPGRADE);
    return upgrade != null && upgrade.equalsIgnoreCase("websocket");
  }
}
