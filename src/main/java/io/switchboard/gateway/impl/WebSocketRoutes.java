package io.switchboard.gateway.impl;

import io.switchboard.registry.Directory;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Map;

/**
 * Maps request paths to services: the static {@code routes} of gateway.json first, then the
 * paths services announced. A routed upgrade becomes a session; a plain request on a routed path
 * gets 426; an upgrade on any other path gets 404 before the handshake; everything else goes on
 * to the next handler (static pages).
 */
public final class WebSocketRoutes implements Handler<RoutingContext> {

  private static final System.Logger LOG = System.getLogger(WebSocketRoutes.class.getName());

  private final Map<String, String> staticRoutes;
  private final Directory directory;
  private final SessionManager sessions;
  private final List<String> forwardHeaders;

  public WebSocketRoutes(Map<String, String> staticRoutes, Directory directory, SessionManager sessions,
                         List<String> forwardHeaders) {
    this.staticRoutes = staticRoutes;
    this.directory = directory;
    this.sessions = sessions;
    this.forwardHeaders = forwardHeaders;
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
    String target = service;
    JsonObject info = openInfo(request, service);
    request.toWebSocket()
      .onSuccess(ws -> sessions.accept(ws, target, info))
      .onFailure(err -> LOG.log(System.Logger.Level.DEBUG, "Upgrade failed: " + err.getMessage()));
  }

  private JsonObject openInfo(HttpServerRequest request, String service) {
    JsonObject headers = new JsonObject();
    for (String name : forwardHeaders) {
      String value = request.getHeader(name);
      if (value != null) {
        headers.put(name, value);
      }
    }
    return new JsonObject()
      .put("service", service)
      .put("path", request.path())
      .put("query", request.query())
      .put("remoteAddress", String.valueOf(request.remoteAddress()))
      .put("headers", headers);
  }

  /** Whether a request asks for a WebSocket upgrade. */
  public static boolean isUpgrade(HttpServerRequest request) {
    String upgrade = request.getHeader(HttpHeaders.UPGRADE);
    return upgrade != null && upgrade.equalsIgnoreCase("websocket");
  }
}
