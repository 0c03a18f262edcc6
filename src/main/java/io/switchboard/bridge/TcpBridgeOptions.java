package io.switchboard.bridge;

import io.switchboard.config.ConfigException;
import io.switchboard.config.ConfigReader;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The options of {@link TcpBridgeVerticle}, read strictly from its config:
 *
 * <pre>{@code
 * { "host": "127.0.0.1", "port": 7000,
 *   "services": { "py_chat": { "paths": ["/py_chatroom"] },
 *                 "billing": { "token": "s3cret", "paths": ["/billing"] } },
 *   "maxFrameBytes": 1048576 }
 * }</pre>
 *
 * <table>
 *   <caption>keys</caption>
 *   <tr><td>{@code host}</td><td>interface to listen on; {@value #DEFAULT_HOST} (loopback) unless
 *     set, {@value #ENV_HOST} overrides</td></tr>
 *   <tr><td>{@code port}</td><td>TCP port, {@value #DEFAULT_PORT} unless set, {@code 0} for any;
 *     {@value #ENV_PORT} overrides</td></tr>
 *   <tr><td>{@code services}</td><td>the services bridge clients may serve, by name; each with its
 *     own {@code token} (a fresh random one at every start when left out, written to the token
 *     file) and optionally the only {@code paths} it may announce. A client is only ever that one
 *     service. No services: every client is refused.</td></tr>
 *   <tr><td>{@code tokenFile}</td><td>where the tokens are written for local clients (mode 0600,
 *     its folder 0700); {@code ~/.switchboard/bridge-<port>.tokens} unless set;
 *     {@value #ENV_TOKEN_FILE} overrides</td></tr>
 *   <tr><td>{@code maxFrameBytes}</td><td>longest frame a client may send
 *     ({@value #DEFAULT_MAX_FRAME_BYTES}); a longer length prefix closes the connection before
 *     anything is buffered. Before the token is checked, frames are capped at
 *     {@value #DEFAULT_MAX_FIRST_FRAME_BYTES} bytes.</td></tr>
 *   <tr><td>{@code maxOutboundBytes}</td><td>bytes the bridge queues for a client that does not
 *     read ({@value #DEFAULT_MAX_OUTBOUND_BYTES}); over it the connection is closed</td></tr>
 *   <tr><td>{@code maxSessions}</td><td>sessions one client may hold ({@value #DEFAULT_MAX_SESSIONS});
 *     opens over it are refused with 1013</td></tr>
 *   <tr><td>{@code maxPendingReplies}</td><td>requests a client has not answered yet
 *     ({@value #DEFAULT_MAX_PENDING_REPLIES}); older ones are failed</td></tr>
 *   <tr><td>{@code maxConnections}</td><td>connections at once ({@value #DEFAULT_MAX_CONNECTIONS})</td></tr>
 *   <tr><td>{@code authTimeoutMs}</td><td>time a new connection has to send its first, token-bearing
 *     frame ({@value #DEFAULT_AUTH_TIMEOUT_MS})</td></tr>
 *   <tr><td>{@code minHeartbeatMs}</td><td>the smallest {@code heartbeatMs} a client may announce
 *     ({@value #DEFAULT_MIN_HEARTBEAT_MS})</td></tr>
 * </table>
 */
public final class TcpBridgeOptions {

  /** Loopback: only processes on this host reach the bridge unless the config says otherwise. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** The port the Python SDK tries when it is given none. */
  public static final int DEFAULT_PORT = 7000;
  /** Frames up to 1 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;
  /** The first frame (which must carry the token) is at most 64 KiB. */
  public static final int DEFAULT_MAX_FIRST_FRAME_BYTES = 64 * 1024;
  /** 4 MiB queued for a client that does not read. */
  public static final int DEFAULT_MAX_OUTBOUND_BYTES = 4 << 20;
  /** Sessions one client may hold. */
  public static final int DEFAULT_MAX_SESSIONS = 100_000;
  /** Requests a client has not answered yet. */
  public static final int DEFAULT_MAX_PENDING_REPLIES = 10_000;
  /** How long a pending request is kept (the requester has given up by then: Vert.x's send timeout). */
  public static final long DEFAULT_REPLY_TIMEOUT_MS = 30_000;
  /** Event-bus registrations one client may hold (its service, its instances, the hello). */
  public static final int DEFAULT_MAX_REGISTRATIONS = 64;
  /** Connections at once. */
  public static final int DEFAULT_MAX_CONNECTIONS = 256;
  /** Time to send the first frame. */
  public static final int DEFAULT_AUTH_TIMEOUT_MS = 10_000;
  /** The smallest heartbeat a client may announce. */
  public static final int DEFAULT_MIN_HEARTBEAT_MS = 100;
  /** Overrides {@code host}. */
  public static final String ENV_HOST = "SWITCHBOARD_BRIDGE_HOST";
  /** Overrides {@code port}. */
  public static final String ENV_PORT = "SWITCHBOARD_BRIDGE_PORT";
  /** What a client presents as its token (the Python SDK reads it); the bridge does not read it. */
  public static final String ENV_TOKEN = "SWITCHBOARD_BRIDGE_TOKEN";
  /** Overrides {@code tokenFile}, for the bridge and the Python SDK alike. */
  public static final String ENV_TOKEN_FILE = "SWITCHBOARD_BRIDGE_TOKEN_FILE";
  /** The folder of the default token file, under the user's home. */
  public static final String TOKEN_FOLDER = ".switchboard";
  /**
   * The frame header that carries the token. The bridge checks it and removes it before the
   * message reaches the event bus, so it never travels further.
   */
  public static final String TOKEN_HEADER = "sb.token";

  private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** One service a bridge client may serve. */
  public static final class ServiceGrant {
    private final String name;
    private final String token;
    private final boolean generated;
    private final List<String> paths;

    ServiceGrant(String name, String token, boolean generated, List<String> paths) {
      this.name = name;
      this.token = token;
      this.generated = generated;
      this.paths = paths;
    }

    /** The service name. */
    public String name() {
      return name;
    }

    /** The token that makes a client this service. */
    public String token() {
      return token;
    }

    /** Whether the token was generated at this start (none configured). */
    public boolean generated() {
      return generated;
    }

    /** The only paths the service may announce, or {@code null} for any servable path. */
    public List<String> paths() {
      return paths;
    }
  }

  private final String host;
  private final int port;
  private final Map<String, ServiceGrant> services;
  private final Path tokenFile;
  private final int maxFrameBytes;
  private final int maxOutboundBytes;
  private final int maxSessions;
  private final int maxPendingReplies;
  private final int maxConnections;
  private final int authTimeoutMs;
  private final int minHeartbeatMs;

  private TcpBridgeOptions(ConfigReader conf, Map<String, String> env) {
    host = conf.stringOrEnv("host", ENV_HOST, DEFAULT_HOST);
    if (host.isBlank()) {
      throw conf.fail("host", "must not be empty", host);
    }
    port = conf.integerOrEnv("port", ENV_PORT, DEFAULT_PORT, 0, 65535);
    services = readServices(conf);
    String file = conf.stringOrEnv("tokenFile", ENV_TOKEN_FILE, null);
    if (file != null && file.isBlank()) {
      throw conf.fail("tokenFile", "must not be empty (leave it out for the default)", file);
    }
    tokenFile = file == null ? null : Path.of(file);
    maxFrameBytes = conf.integer("maxFrameBytes", DEFAULT_MAX_FRAME_BYTES, 1024, 64 << 20);
    maxOutboundBytes = conf.integer("maxOutboundBytes", DEFAULT_MAX_OUTBOUND_BYTES, 64 * 1024, 1 << 30);
    maxSessions = conf.integer("maxSessions", DEFAULT_MAX_SESSIONS, 1, 10_000_000);
    maxPendingReplies = conf.integer("maxPendingReplies", DEFAULT_MAX_PENDING_REPLIES, 1, 1_000_000);
    maxConnections = conf.integer("maxConnections", DEFAULT_MAX_CONNECTIONS, 1, 100_000);
    authTimeoutMs = conf.integer("authTimeoutMs", DEFAULT_AUTH_TIMEOUT_MS, 100, 600_000);
    minHeartbeatMs = conf.integer("minHeartbeatMs", DEFAULT_MIN_HEARTBEAT_MS, 50, 60_000);
    conf.rejectUnknownKeys();
  }

  /** Reads and checks a config; a bad or unknown key throws a {@code ConfigException} naming it. */
  public static TcpBridgeOptions fromJson(JsonObject json, Map<String, String> env) {
    return new TcpBridgeOptions(new ConfigReader("TCP bridge config", json, env), env);
  }

  private static Map<String, ServiceGrant> readServices(ConfigReader conf) {
    JsonObject raw = conf.object("services");
    ConfigReader all = conf.nested("services");
    Map<String, ServiceGrant> out = new LinkedHashMap<>();
    Map<String, String> byToken = new LinkedHashMap<>();
    for (String name : raw.fieldNames()) {
      if (!SERVICE_NAME.matcher(name).matches()) {
        throw conf.fail("services", "names services of 1 to 64 letters, digits, '_' or '-'", name);
      }
      ConfigReader one = all.nested(name);
      String token = one.string("token", null);
      if (token != null && token.length() < 16) {
        throw all.fail(name, "has a token shorter than 16 characters (leave it out for a generated one)",
          token.length() + " characters");
      }
      List<String> paths = one.strings("paths", null);
      if (paths != null) {
        for (String p : paths) {
          if (!BridgeRules.servablePath(p)) {
            throw all.fail(name, "has a path a bridge service cannot serve (one segment like \"/py_chat\", not "
              + String.join(", ", BridgeRules.RESERVED_PATHS) + ")", p);
          }
        }
      }
      one.rejectUnknownKeys();
      boolean generated = token == null;
      if (generated) {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
      }
      String twin = byToken.put(token, name);
      if (twin != null) {
        throw new ConfigException("TCP bridge config: services \"" + twin + "\" and \"" + name
          + "\" have the same token; a token names one service");
      }
      out.put(name, new ServiceGrant(name, token, generated, paths == null ? null : List.copyOf(paths)));
    }
    all.rejectUnknownKeys(); // every name was read above; this only marks them known
    return Collections.unmodifiableMap(out);
  }

  /** The interface to listen on. */
  public String host() {
    return host;
  }

  /** The port to listen on; {@code 0} picks a free one. */
  public int port() {
    return port;
  }

  /** The services clients may serve, by name. */
  public Map<String, ServiceGrant> services() {
    return services;
  }

  /** The token file for a bridge listening on {@code actualPort}. */
  public Path tokenFile(int actualPort) {
    return tokenFile != null ? tokenFile : defaultTokenFile(actualPort);
  }

  /** {@code ~/.switchboard/bridge-<port>.tokens}: where the Python SDK looks by default. */
  public static Path defaultTokenFile(int port) {
    return Path.of(System.getProperty("user.home"), TOKEN_FOLDER, "bridge-" + port + ".tokens");
  }

  /** The longest frame a client may send, in bytes. */
  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /** The longest first frame (before the token is checked). */
  public int maxFirstFrameBytes() {
    return Math.min(maxFrameBytes, DEFAULT_MAX_FIRST_FRAME_BYTES);
  }

  /** Bytes queued for a client that does not read before it is closed. */
  public int maxOutboundBytes() {
    return maxOutboundBytes;
  }

  /** Sessions one client may hold. */
  public int maxSessions() {
    return maxSessions;
  }

  /** Requests a client may leave unanswered. */
  public int maxPendingReplies() {
    return maxPendingReplies;
  }

  /** Connections at once. */
  public int maxConnections() {
    return maxConnections;
  }

  /** Time a new connection has to send its first frame. */
  public int authTimeoutMs() {
    return authTimeoutMs;
  }

  /** The smallest announced heartbeat accepted. */
  public int minHeartbeatMs() {
    return minHeartbeatMs;
  }
}
