package io.switchboard.gateway.impl;

import io.switchboard.gateway.BridgeOptions;
import io.switchboard.gateway.GatewayOptions;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.core.Vertx;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;

import java.util.List;

/**
 * The browser event-bus bridge of one gateway node: vertx-web's SockJS bridge at {@link #PATH},
 * its permissions from {@link BridgeOptions}, every action through one {@link BridgeHook}. The
 * SockJS transports upgrade inside their routes, so the bridge must be mounted before the
 * gateway's catch-all that refuses unrouted upgrades.
 */
public final class BridgeMount {

  /** Where browsers reach the bridge ({@code new EventBus("/eventbus")}). */
  public static final String PATH = "/eventbus";
  /** The SockJS client the gateway serves from its web root (SockJS's iframe transports load it). */
  public static final String SOCKJS_LIBRARY_URL = "/vendor/sockjs-client/sockjs.min.js";

  private final BridgeHook hook;
  private final long bodyLimit;
  private final Router sockJs;

  /**
   * Builds the bridge of one gateway node.
   *
   * @param gateway the gateway's options: the bridge's own, the POST body limit ({@code limits.maxMessageSize})
   *                and the registration budget per IP
   * @param nodeId the node's id, the prefix of its bridge socket ids
   * @param jwt the gateway's token check when its {@code auth} is on (sockets then need
   *            {@code ?access_token=}), or {@code null}
   */
  public BridgeMount(Vertx vertx, GatewayOptions gateway, String nodeId, TokenCheck jwt) {
    BridgeOptions options = gateway.bridge();
    this.bodyLimit = gateway.maxMessageSize();
    this.hook = new BridgeHook(vertx.eventBus(), nodeId, options, jwt, ConnectionLimiter.of(vertx),
      gateway.maxBridgeHandlersPerIp());
    SockJSHandlerOptions sockJsOptions = new SockJSHandlerOptions()
      .setLibraryURL(SOCKJS_LIBRARY_URL)
      .setInsertJSESSIONID(false);
    SockJSBridgeOptions bridgeOptions = new SockJSBridgeOptions()
      .setInboundPermitteds(permitted(options.inbound()))
      .setOutboundPermitteds(permitted(options.outbound()))
      .setPingTimeout(options.pingTimeoutMs())
      .setReplyTimeout(options.replyTimeoutMs())
      .setMaxHandlersPerSocket(options.maxHandlersPerSocket())
      .setMaxAddressLength(options.maxAddressLength());
    this.sockJs = SockJSHandler.create(vertx, sockJsOptions).bridge(bridgeOptions, hook);
  }

  /** Mounts the bridge on the gateway's router; call before any catch-all route. */
  public void mountOn(Router router) {
    // SockJS's xhr_send and xhr transports POST their frames: read the body, bounded (413 over)
    router.post(PATH + "/*").handler(BodyHandler.create(false).setBodyLimit(bodyLimit));
    router.route(PATH + "/*").subRouter(sockJs);
  }

  /** Tells the services that this node's bridge sockets are gone (the node is stopping). */
  public void stop() {
    hook.closeAll();
  }

  private static List<PermittedOptions> permitted(List<BridgeOptions.Permission> permissions) {
    return permissions.stream().map(p -> new PermittedOptions()
      .setAddress(p.address())
      .setAddressRegex(p.addressRegex())
      .setMatch(p.match())).toList();
  }
}
