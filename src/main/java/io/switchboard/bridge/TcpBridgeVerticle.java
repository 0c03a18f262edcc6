package io.switchboard.bridge;

import io.switchboard.protocol.Addresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Opens a TCP event-bus bridge (the Vert.x TCP bridge's wire format) so that services written in
 * other languages (the Python SDK, {@code src/main/python/switchboard.py}) join the Switchboard bus
 * as Java services do. Deploy it in a services JVM ({@code conf/services.json} does) or next to a
 * gateway:
 *
 * <pre>launcher/vertx run io.switchboard.bridge.TcpBridgeVerticle -conf conf/bridge.json -cluster</pre>
 *
 * <p>A bridge client checks in with a token, and the token names one service
 * ({@link TcpBridgeOptions#services()}); from then on it may only act as that service
 * (docs/protocol.md, "Who a bridge client is"): register on that service's addresses and
 * {@link Addresses#REGISTRY_HELLO}; announce and withdraw only instances of that service it
 * registered, on servable paths; push to and close only sessions bound to its instances; publish
 * only to its service's groups; answer the requests it got. Anything else gets an {@code err}
 * frame and reaches nothing; a missing or wrong token, a malformed frame or an oversized length
 * prefix gets an {@code err} frame and the connection is closed.
 *
 * <p>Tokens left out of the config are generated at every start and written, with the configured
 * ones, to the token file (mode 0600) where the Python SDK finds them; {@link #stop()} removes it.
 *
 * <p>{@link #start()} completes once the token file is written and the bridge listens.
 */
public class TcpBridgeVerticle extends VerticleBase {

  private static final System.Logger LOG = System.getLogger(TcpBridgeVerticle.class.getName());

  private static final int FREE_PORT_ATTEMPTS = 5;
  private static final long SWEEP_MS = 1000;

  private TcpBridgeOptions options;
  private NetServer server;
  private final Set<BridgeConnection> connections = new LinkedHashSet<>();
  private long sweeper = -1;
  private int port;
  private Path tokenFile;

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
      .compose(v -> writeTokenFile())
      .onSuccess(v -> {
        sweeper = vertx.setPeriodic(SWEEP_MS, id -> {
          long now = System.nanoTime() / 1_000_000;
          new ArrayList<>(connections).forEach(c -> c.expireReplies(now));
        });
        LOG.log(System.Logger.Level.INFO, String.format(
          "TCP bridge ready on %s:%d for services %s; tokens in %s%s (JVM up %d ms)", options.host(), port,
          options.services().isEmpty() ? "none (every client is refused: add \"services\" to its config)"
            : String.join(", ", options.services().keySet()), tokenFile == null ? "no file" : tokenFile, generated(),
          ManagementFactory.getRuntimeMXBean().getUptime()));
      });
  }

  /** Stops listening and removes the token file (its tokens die with this bridge). */
  @Override
  public Future<?> stop() {
    if (sweeper >= 0) {
      vertx.cancelTimer(sweeper);
    }
    Path file = tokenFile;
    Future<Void> removed = file == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
      Files.deleteIfExists(file);
      return null;
    });
    return Future.join(server == null ? Future.succeededFuture() : server.close(), removed.otherwiseEmpty());
  }

  /** The port the bridge listens on (a free one when the config said {@code 0}). */
  public int actualPort() {
    return port;
  }

  /** Where the tokens were written, or {@code null} when they could not be (every token configured). */
  public Path tokenFile() {
    return tokenFile;
  }

  /** The token of a configured service (generated or configured), or {@code null}. */
  public String token(String service) {
    TcpBridgeOptions.ServiceGrant grant = options.services().get(service);
    return grant == null ? null : grant.token();
  }

  private String generated() {
    List<String> names = new ArrayList<>();
    options.services().values().forEach(g -> {
      if (g.generated()) {
        names.add(g.name());
      }
    });
    return names.isEmpty() ? "" : " (generated at this start for " + String.join(", ", names) + ")";
  }

  private Future<NetServer> listen(int attempts) {
    NetServer attempt = vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true)).connectHandler(this::accept);
    return attempt.listen(options.port(), options.host()).onSuccess(s -> {
        server = s;
        port = s.actualPort();
      })
      .recover(err -> attempts > 1 ? listen(attempts - 1) : Future.failedFuture(err));
  }

  private void accept(NetSocket socket) {
    if (connections.size() >= options.maxConnections()) {
      LOG.log(System.Logger.Level.WARNING, "TCP bridge refused " + socket.remoteAddress() + ": "
        + options.maxConnections() + " connections already (\"maxConnections\")");
      byte[] json = new JsonObject().put("type", "err").put("message", "switchboard bridge: too many connections")
        .encode().getBytes(StandardCharsets.UTF_8);
      socket.end(Buffer.buffer().appendInt(json.length).appendBytes(json));
      return;
    }
    BridgeConnection[] self = new BridgeConnection[1];
    self[0] = new BridgeConnection(vertx, options, socket, () -> connections.remove(self[0]));
    connections.add(self[0]);
  }

  /**
   * Writes every service's token where local clients find it: a 0600 file in a 0700 folder. When
   * it cannot, the start fails if a token was generated (no one could learn it), else it only warns.
   */
  private Future<Void> writeTokenFile() {
    tokenFile = options.tokenFile(port).toAbsolutePath();
    JsonObject tokens = new JsonObject();
    options.services().values().forEach(g -> tokens.put(g.name(), g.token()));
    String content = new JsonObject().put("host", options.host()).put("port", port).put("services", tokens)
      .encodePrettily() + "\n";
    Path file = tokenFile;
    return vertx.executeBlocking(() -> {
      try {
        Path dir = file.getParent();
        if (!Files.isDirectory(dir)) {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Path tmp = Files.createTempFile(dir, ".bridge-", ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return null;
      } catch (IOException | UnsupportedOperationException e) {
        throw new IllegalStateException("TCP bridge cannot write its token file " + file + ": " + e
          + " (set \"tokenFile\" in its config or " + TcpBridgeOptions.ENV_TOKEN_FILE + ")", e);
      }
    }).<Void>mapEmpty().recover(err -> {
      if (options.services().values().stream().anyMatch(TcpBridgeOptions.ServiceGrant::generated)) {
        return Future.failedFuture(err);
      }
      LOG.log(System.Logger.Level.WARNING, err.getMessage() + "; every token is configured, so clients are given theirs");
      tokenFile = null;
      return Future.succeededFuture();
    });
  }
}
