package io.switchboard.bridge;

import io.switchboard.protocol.Addresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.eventbus.bridge.tcp.BridgeEvent;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.regex.Pattern;

/**
 * Opens the Vert.x TCP event-bus bridge so that services written in other languages (the Python
 * SDK, {@code src/main/python/switchboard.py}) join the Switchboard bus as Java services do.
 * Deploy it in a services JVM ({@code conf/services.json} does) or next to a gateway:
 *
 * <pre>launcher/vertx run io.switchboard.bridge.TcpBridgeVerticle -conf conf/bridge.json -cluster</pre>
 *
 * <p>A bridge client may only do what a service does (docs/protocol.md, "Over the TCP bridge"):
 * register on service addresses and on {@link Addresses#REGISTRY_HELLO}; send to gateway nodes;
 * publish to {@link Addresses#GROUPS} and {@link Addresses#REGISTRY}; reply to the requests it
 * got. Anything else gets an {@code err} frame. With a {@linkplain TcpBridgeOptions#token() token}
 * configured, every frame must carry it in the {@value TcpBridgeOptions#TOKEN_HEADER} header; a
 * frame without it gets an {@code err} frame and the connection is closed.
 *
 * <p>{@link #start()} completes once the bridge listens.
 */
public class TcpBridgeVerticle extends VerticleBase {

  private static final System.Logger LOG = System.getLogger(TcpBridgeVerticle.class.getName());

  private static final int FREE_PORT_ATTEMPTS = 5;

  private TcpBridgeOptions options;
  private TcpEventBusBridge bridge;
  private int port;

  @Override
  public Future<?> start() {
    try {
      options = TcpBridgeOptions.fromJson(config(), System.getenv());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return listen(options.port() == 0 ? FREE_PORT_ATTEMPTS : 1)
      .recover(err -> Future.failedFuture(new IllegalStateException("TCP bridge cannot listen on " + options.host()
        + ":" + options.port() + ": " + err.getMessage() + " (change \"port\" in its config or set "
        + TcpBridgeOptions.ENV_PORT + ")", err)))
      .onSuccess(b -> LOG.log(System.Logger.Level.INFO, String.format(
        "TCP bridge ready on %s:%d%s (JVM up %d ms)", options.host(), port,
        options.token() == null ? "" : ", token required", ManagementFactory.getRuntimeMXBean().getUptime())));
  }

  @Override
  public Future<?> stop() {
    return bridge == null ? Future.succeededFuture() : bridge.close();
  }

  /** The port the bridge listens on (a free one when the config said {@code 0}). */
  public int actualPort() {
    return port;
  }

  /**
   * What bridge clients may do, built from {@link Addresses}. Inbound is what they send or
   * publish, outbound what they register on.
   */
  static BridgeOptions permissions() {
    return new BridgeOptions()
      .addInboundPermitted(new PermittedOptions().setAddressRegex(Pattern.quote(Addresses.gateway("")) + ".+"))
      .addInboundPermitted(new PermittedOptions().setAddress(Addresses.GROUPS))
      .addInboundPermitted(new PermittedOptions().setAddress(Addresses.REGISTRY))
      .addOutboundPermitted(new PermittedOptions().setAddressRegex(Pattern.quote(Addresses.service("")) + ".+"))
      .addOutboundPermitted(new PermittedOptions().setAddress(Addresses.REGISTRY_HELLO));
  }

  /**
   * Listens on the configured port. The bridge cannot tell which port it got, so {@code 0} is
   * resolved first to a port that was free a moment ago, and tried again if another process took it.
   */
  private Future<TcpEventBusBridge> listen(int attempts) {
    Future<Integer> chosen = options.port() != 0 ? Future.succeededFuture(options.port())
      : vertx.createNetServer().connectHandler(NetSocket::close).listen(0, options.host())
        .compose(probe -> probe.close().map(probe.actualPort()));
    TcpEventBusBridge attempt = TcpEventBusBridge.create(vertx, permissions(),
      new NetServerOptions().setTcpNoDelay(true), this::vet);
    return chosen.compose(p -> attempt.listen(p, options.host()).onSuccess(b -> {
        bridge = attempt;
        port = p;
      }))
      .recover(err -> attempts > 1 ? listen(attempts - 1) : Future.failedFuture(err));
  }

  /**
   * The one veto hook every client frame passes: the token, and publish-versus-send (address
   * patterns are checked by the bridge itself).
   */
  private void vet(BridgeEvent event) {
    BridgeEventType type = event.type();
    if (type == BridgeEventType.REGISTERED || type == BridgeEventType.SOCKET_PING
      || type == BridgeEventType.SOCKET_CREATED || type == BridgeEventType.SOCKET_CLOSED) {
      event.complete(true);
      return;
    }
    JsonObject frame = event.getRawMessage();
    if (options.token() != null && !takeToken(frame)) {
      refuse(event, "missing or wrong token: set the \"" + TcpBridgeOptions.TOKEN_HEADER + "\" header of every frame"
        + " (the Python SDK reads " + TcpBridgeOptions.ENV_TOKEN + ")");
      event.socket().close();
      return;
    }
    String address = frame == null ? null : frame.getString("address");
    boolean fanOut = Addresses.GROUPS.equals(address) || Addresses.REGISTRY.equals(address);
    if (type == BridgeEventType.PUBLISH && !fanOut) {
      refuse(event, "only " + Addresses.GROUPS + " and " + Addresses.REGISTRY + " take a publish, not " + address);
    } else if (type == BridgeEventType.SEND && fanOut) {
      refuse(event, address + " takes a publish, not a send");
    } else {
      event.complete(true);
    }
  }

  /** Checks the token header and removes it, so it never reaches the event bus. */
  private boolean takeToken(JsonObject frame) {
    JsonObject headers = frame == null ? null : frame.getJsonObject("headers");
    Object given = headers == null ? null : headers.remove(TcpBridgeOptions.TOKEN_HEADER);
    return given instanceof String && MessageDigest.isEqual(
      ((String) given).getBytes(StandardCharsets.UTF_8), options.token().getBytes(StandardCharsets.UTF_8));
  }

  private static void refuse(BridgeEvent event, String why) {
    LOG.log(System.Logger.Level.WARNING, "TCP bridge refused a frame from " + event.socket().remoteAddress() + ": " + why);
    byte[] json = new JsonObject().put("type", "err").put("message", "switchboard bridge: " + why).encode()
      .getBytes(StandardCharsets.UTF_8);
    event.socket().write(Buffer.buffer(json.length + 4).appendInt(json.length).appendBytes(json));
    event.complete(false);
  }
}
