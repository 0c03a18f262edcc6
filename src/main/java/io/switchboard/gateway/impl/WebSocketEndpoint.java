package io.switchboard.gateway.impl;

import io.switchboard.protocol.CloseCodes;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

/**
 * The route of one WebSocket path: upgrades the request, opens a session with the path's
 * service, relays frames both ways and tells the service when the socket closes.
 */
public final class WebSocketEndpoint implements Handler<RoutingContext> {

  private static final System.Logger LOG = System.getLogger(WebSocketEndpoint.class.getName());
  private static final int MAX_REASON_BYTES = 123;

  private final String service;
  private final SessionRegistry registry;
  private final ServiceRelay relay;
  private final List<String> forwardHeaders;
  private final Supplier<String> ids;

  public WebSocketEndpoint(String service, SessionRegistry registry, ServiceLink link, List<String> forwardHeaders) {
    this.service = service;
    this.registry = registry;
    this.relay = link.relay;
    this.forwardHeaders = forwardHeaders;
    this.ids = link::nextSessionId;
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (!isUpgrade(request)) {
      ctx.response().setStatusCode(426).putHeader(HttpHeaders.UPGRADE, "websocket")
        .end(request.path() + " takes WebSocket connections only\n");
      return;
    }
    JsonObject info = openInfo(request);
    request.toWebSocket()
      .onSuccess(ws -> accept(ws, info))
      .onFailure(err -> LOG.log(System.Logger.Level.DEBUG, "Upgrade failed: " + err.getMessage()));
  }

  private void accept(ServerWebSocket ws, JsonObject info) {
    ws.pause(); // frames wait in the socket until the service accepted the session
    GatewaySession session = new GatewaySession(ids.get(), service, ws);
    registry.add(session);
    ws.textMessageHandler(text -> relay.text(session, text));
    ws.binaryMessageHandler(data -> relay.binary(session, data));
    ws.exceptionHandler(err -> LOG.log(System.Logger.Level.DEBUG, "Session " + session.id + ": " + err.getMessage()));
    ws.closeHandler(v -> onSocketClosed(session));
    relay.open(session, info).onComplete(ar -> {
      if (ar.succeeded()) {
        bind(session, ar.result());
      } else if (!session.closed) {
        refuse(session, ar.cause());
      }
    });
  }

  private void bind(GatewaySession session, String instance) {
    session.instance = instance;
    if (session.closed) {
      relay.close(session, closeCode(session.ws), session.ws.closeReason());
    } else {
      session.ws.resume();
    }
  }

  private void onSocketClosed(GatewaySession session) {
    session.closed = true;
    registry.remove(session);
    if (session.isBound()) {
      relay.close(session, closeCode(session.ws), session.ws.closeReason());
    }
  }

  private void refuse(GatewaySession session, Throwable cause) {
    int code = CloseCodes.TRY_AGAIN_LATER;
    String reason;
    if (cause instanceof ReplyException) {
      ReplyException re = (ReplyException) cause;
      switch (re.failureType()) {
        case NO_HANDLERS:
          reason = "Service " + service + " is not running";
          break;
        case TIMEOUT:
          reason = "Service " + service + " did not answer in time";
          break;
        default:
          code = CloseCodes.isSendable(re.failureCode()) ? re.failureCode() : CloseCodes.INTERNAL_ERROR;
          reason = re.getMessage() == null ? "Refused by service " + service : re.getMessage();
      }
    } else {
      reason = "Service " + service + " failed: " + cause.getMessage();
    }
    session.ws.close((short) code, truncateReason(reason));
  }

  private JsonObject openInfo(HttpServerRequest request) {
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

  private static int closeCode(ServerWebSocket ws) {
    Short code = ws.closeStatusCode();
    return code == null ? 1006 : code;
  }

  /** A close reason cut to the 123 bytes a close frame can carry. */
  static String truncateReason(String reason) {
    if (reason == null) {
      return "";
    }
    byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_REASON_BYTES) {
      return reason;
    }
    String cut = new String(bytes, 0, MAX_REASON_BYTES, StandardCharsets.UTF_8);
    // a multi-byte character cut in half decodes to U+FFFD (3 bytes): drop it
    while (cut.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES || cut.endsWith("\uFFFD")) {
      cut = cut.substring(0, cut.length() - 1);
    }
    return cut;
  }
}
