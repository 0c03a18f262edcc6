package io.switchboard.gateway.impl;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.switchboard.gateway.BridgeOptions;
import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Headers;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one hook every bridge action passes. vertx-web checks the permissions after it; this hook
 * adds what the permissions cannot say:
 * <ul>
 *   <li>the token, when configured: in the socket URL ({@code ?token=}) on connect, and in the
 *       {@code token} header of every send, publish and register (removed before the bus);</li>
 *   <li>who sent it: the socket's cluster-unique id in {@link Headers#BRIDGE_SOCKET}, overwriting
 *       whatever the browser put there, so a service can tell browsers apart;</li>
 *   <li>a send or publish without a body to an address whose permissions all carry a
 *       {@code match} is refused (vertx-web lets a missing body pass any match);</li>
 *   <li>a closed socket is announced on {@link Addresses#BRIDGE_CLOSED}.</li>
 * </ul>
 * A refusal here reaches the browser as the bridge's {@code rejected} error. State: one id per
 * live socket, added on SOCKET_CREATED, freed on SOCKET_CLOSED; confined to the gateway node's
 * event loop.
 */
final class BridgeHook implements Handler<BridgeEvent> {

  /** The query parameter and the frame header that carry the token. */
  static final String TOKEN = "token";

  private static final System.Logger LOG = System.getLogger(BridgeHook.class.getName());

  private final EventBus bus;
  private final String nodeId;
  private final String token;
  private final List<BridgeOptions.Permission> inbound;
  private final List<BridgeOptions.Permission> outbound;
  private final Map<SockJSSocket, SocketState> sockets = new HashMap<>();
  private final ConnectionLimiter limiter;
  private final int maxHandlersPerIp;

  /** What the hook keeps per live socket: its id, its client's IP, the registrations it holds. */
  private static final class SocketState {
    final String id;
    final String ip;
    /** Registrations counted against the IP's budget, by address. */
    final Map<String, Integer> registered = new HashMap<>();
    int handlers;

    SocketState(String id, String ip) {
      this.id = id;
      this.ip = ip;
    }
  }

  private final TokenCheck jwt;

  BridgeHook(EventBus bus, String nodeId, BridgeOptions options, TokenCheck jwt, ConnectionLimiter limiter,
             int maxHandlersPerIp) {
    this.bus = bus;
    this.limiter = limiter;
    this.maxHandlersPerIp = maxHandlersPerIp;
    this.jwt = jwt;
    this.nodeId = nodeId;
    this.token = options.token();
    this.inbound = options.inbound();
    this.outbound = options.outbound();
  }

  @Override
  public void handle(BridgeEvent event) {
    switch (event.type()) {
      case SOCKET_CREATED:
        if (jwt == null) {
          event.complete(accept(event.socket()));
        } else {
          // the gateway's auth applies to the bridge too: a valid JWT in ?access_token=
          List<String> given = new QueryStringDecoder(event.socket().uri()).parameters().get(TokenCheck.QUERY_PARAM);
          jwt.verify(given == null || given.isEmpty() ? null : given.get(0))
            .onSuccess(claims -> event.complete(accept(event.socket())))
            .onFailure(err -> {
              LOG.log(System.Logger.Level.DEBUG, "Bridge socket from " + event.socket().remoteAddress() + " refused: "
                + err.getMessage());
              event.complete(false);
            });
        }
        break;
      case SEND:
      case PUBLISH:
        event.complete(admitMessage(event.socket(), event.getRawMessage()));
        break;
      case REGISTER:
        event.complete(tokenInHeaders(event.getRawMessage())
          && admitRegistration(event.socket(), event.getRawMessage().getString("address")));
        break;
      case UNREGISTER:
        unregistered(event.socket(), event.getRawMessage().getString("address"));
        event.complete(tokenInHeaders(event.getRawMessage()));
        break;
      case SOCKET_CLOSED:
        closed(event.socket());
        event.complete(true);
        break;
      default:
        event.complete(true);
    }
  }

  /** Announces every live socket of this node as closed: the node is going away. */
  void closeAll() {
    sockets.values().forEach(state -> {
      limiter.releaseHandlers(state.ip, state.handlers);
      announceClosed(state.id);
    });
    sockets.clear();
  }

  private boolean accept(SockJSSocket socket) {
    if (token != null) {
      List<String> given = new QueryStringDecoder(socket.uri()).parameters().get(TOKEN);
      if (given == null || given.size() != 1 || !tokenMatches(given.get(0))) {
        LOG.log(System.Logger.Level.DEBUG, "Bridge socket from " + socket.remoteAddress() + " refused: no valid token");
        return false;
      }
    }
    String ip = socket.remoteAddress() == null ? "?" : socket.remoteAddress().hostAddress();
    sockets.put(socket, new SocketState(nodeId + ".b" + Secrets.randomId(), ip));
    return true;
  }

  private boolean admitMessage(SockJSSocket socket, JsonObject raw) {
    SocketState state = sockets.get(socket);
    if (state == null || !tokenInHeaders(raw)) {
      return false;
    }
    if (raw.getValue("body") == null && onlyMatchPermits(raw.getString("address"))) {
      return false;
    }
    JsonObject headers = raw.getValue("headers") instanceof JsonObject ? raw.getJsonObject("headers") : new JsonObject();
    headers.getMap().values().removeIf(Objects::isNull); // vertx-web cannot forward a null header
    headers.put(Headers.BRIDGE_SOCKET, state.id);
    raw.put("headers", headers);
    return true;
  }

  /** Checks the token header when a token is configured, and strips it so it never reaches the bus. */
  private boolean tokenInHeaders(JsonObject raw) {
    if (token == null) {
      return true;
    }
    Object headers = raw.getValue("headers");
    Object given = headers instanceof JsonObject ? ((JsonObject) headers).remove(TOKEN) : null;
    return given instanceof String && tokenMatches((String) given);
  }

  private boolean tokenMatches(String given) {
    return Secrets.constantTimeEquals(given, token);
  }

  /**
   * A registration counts against its client IP's budget ({@code limits.maxBridgeHandlersPerIp},
   * over every socket of that IP); vertx-web's {@code maxHandlersPerSocket} bounds each socket.
   */
  private boolean admitRegistration(SockJSSocket socket, String address) {
    SocketState state = sockets.get(socket);
    if (state == null) {
      return false;
    }
    if (address == null || outbound.stream().noneMatch(p -> p.coversAddress(address))) {
      return true; // the permissions refuse it (access_denied): it will hold nothing
    }
    if (!limiter.tryAcquireHandler(state.ip, maxHandlersPerIp)) {
      LOG.log(System.Logger.Level.DEBUG, "Bridge registration from " + state.ip + " refused: more than "
        + maxHandlersPerIp + " from that IP");
      return false;
    }
    state.handlers++;
    state.registered.merge(address, 1, Integer::sum);
    return true;
  }

  private void unregistered(SockJSSocket socket, String address) {
    SocketState state = sockets.get(socket);
    if (state != null && address != null && state.registered.containsKey(address)) {
      state.registered.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
      state.handlers--;
      limiter.releaseHandlers(state.ip, 1);
    }
  }

  /** Whether some inbound permission covers the address and every such permission needs a match. */
  private boolean onlyMatchPermits(String address) {
    if (address == null) {
      return false;
    }
    boolean covered = false;
    for (BridgeOptions.Permission p : inbound) {
      if (p.coversAddress(address)) {
        if (p.match() == null) {
          return false;
        }
        covered = true;
      }
    }
    return covered;
  }

  private void closed(SockJSSocket socket) {
    SocketState state = sockets.remove(socket);
    if (state != null) {
      limiter.releaseHandlers(state.ip, state.handlers);
      announceClosed(state.id);
    }
  }

  private void announceClosed(String id) {
    bus.publish(Addresses.BRIDGE_CLOSED, null, new DeliveryOptions().addHeader(Headers.BRIDGE_SOCKET, id));
  }
}
