package io.switchboard.gateway;

import io.switchboard.config.ConfigException;
import io.switchboard.config.ConfigReader;
import io.vertx.core.json.JsonObject;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's options, read from {@code conf/gateway.json}. Every key is documented in the
 * README; an unknown or mistyped key fails the deployment with a message naming it.
 *
 * <pre>{@code
 * {
 *   "host": "0.0.0.0",                      // env SWITCHBOARD_HOST overrides
 *   "port": 8080,                           // env SWITCHBOARD_PORT overrides
 *   "webRoot": "webroot",                   // static pages, from the classpath or a folder
 *   "routes": { "/chat": "chat" },          // WebSocket path -> service name
 *   "forwardHeaders": ["user-agent"],       // request headers passed to the service on open
 *   "allowedOrigins": ["http://localhost:*"], "allowMissingOrigin": true,
 *   "limits": { "maxFrameSize": 65536, "maxMessageSize": 262144, "openTimeoutMs": 5000, "maxConnections": 19000,
 *               "maxConnectionsPerIp": 4096, "maxHeaderSize": 8192, "maxOutboundBytes": 1048576,
 *               "pingIntervalMs": 25000, "idleTimeoutMs": 60000, "shutdownGraceMs": 5000,
 *               "requestHeadTimeoutMs": 10000, "maxBridgeHandlersPerIp": 10000,
 *               "maxGroupsPerSession": 64, "maxMemberMetaBytes": 1024, "maxSessionAttributeBytes": 16384,
 *               "heartbeatTimeoutMs": 30000 },  // silent this long while its JVM is a member: lost
 *   "admin": { "token": "s3cret" },         // admin API on /admin/*, off when absent; env SWITCHBOARD_ADMIN_TOKEN
 *   "metrics": { "enabled": true, "access": "loopback" },   // /metrics: public | loopback | admin
 *   "readyServices": ["chat"],              // /ready answers 503 until each has a live instance
 *   "auth": { "algorithm": "HS256", "secret": "...32+ chars...", "requireExp": true },   // JWT at connect (or "publicKey" PEM)
 *   "tls": { "certPath": "cert.pem", "keyPath": "key.pem" },        // wss
 *   "compression": { "enabled": false, "level": 6, "serverNoContextTakeover": true,
 *                    "clientNoContextTakeover": true },   // permessage-deflate (RFC 7692), off by default
 *   "bridge": { "inbound": [], "outbound": [] },  // browser event-bus bridge, see BridgeOptions
 *   "resume": { "secret": "...32+ chars...", "tokenTtlMs": 300000, "maxReplay": 1000 }
 *                    // switchboard.v1 clients (docs/protocol.md#resume); no secret: one shared through the cluster
 * }
 * }</pre>
 */
public final class GatewayOptions {

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 8080;
  public static final String DEFAULT_WEB_ROOT = "webroot";
  public static final List<String> DEFAULT_FORWARD_HEADERS = List.of("user-agent", "origin", "accept-language");
  public static final int DEFAULT_MAX_FRAME_SIZE = 65536;
  public static final int DEFAULT_MAX_MESSAGE_SIZE = 262144;
  public static final int DEFAULT_OPEN_TIMEOUT_MS = 5000;
  /** How long peers wait for this gateway's heartbeat while its JVM is a cluster member. */
  public static final int DEFAULT_HEARTBEAT_TIMEOUT_MS = (int) io.switchboard.registry.Announce.DEFAULT_HEARTBEAT_TIMEOUT_MS;
  public static final int DEFAULT_MAX_CONNECTIONS = 19_000;
  public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 4096;
  public static final int DEFAULT_MAX_HEADER_SIZE = 8192;
  public static final int DEFAULT_MAX_OUTBOUND_BYTES = 1 << 20;
  public static final int DEFAULT_PING_INTERVAL_MS = 25_000;
  public static final int DEFAULT_IDLE_TIMEOUT_MS = 60_000;
  public static final int DEFAULT_SHUTDOWN_GRACE_MS = 5000;
  /** Groups one session may be in (issue 12). */
  public static final int DEFAULT_MAX_GROUPS_PER_SESSION = 64;
  /** Encoded JSON bytes of one member meta. */
  public static final int DEFAULT_MAX_MEMBER_META_BYTES = 1024;
  /** Encoded JSON bytes of one session's attributes. */
  public static final int DEFAULT_MAX_SESSION_ATTRIBUTE_BYTES = 16 * 1024;
  /** A non-upgraded HTTP connection must send a complete request head within this time (else 408). */
  public static final int DEFAULT_REQUEST_HEAD_TIMEOUT_MS = 10_000;
  /** Registrations all bridge sockets of one client IP may hold together in one gateway JVM. */
  public static final int DEFAULT_MAX_BRIDGE_HANDLERS_PER_IP = 10_000;
  /** Tokens without {@code exp} are refused (401) unless {@code auth.requireExp} is false. */
  public static final boolean DEFAULT_REQUIRE_EXP = true;
  /** permessage-deflate is offered only when asked for: see BENCHMARKS.md, Compression. */
  public static final boolean DEFAULT_COMPRESSION_ENABLED = false;
  /** zlib level, 1 (fastest) to 9 (smallest); 0 stores only. */
  public static final int DEFAULT_COMPRESSION_LEVEL = 6;
  /** The gateway resets its compressor after each message: no zlib state kept between messages. */
  public static final boolean DEFAULT_COMPRESSION_SERVER_NO_CONTEXT_TAKEOVER = true;
  /** The client is told to reset its compressor after each message: the gateway's inflater is freed. */
  public static final boolean DEFAULT_COMPRESSION_CLIENT_NO_CONTEXT_TAKEOVER = true;
  /** Pages served from this machine, on any port; other sites' pages are refused (403). */
  public static final List<String> DEFAULT_ALLOWED_ORIGINS = List.of(
    "http://localhost:*", "https://localhost:*", "http://127.0.0.1:*", "https://127.0.0.1:*", "http://[::1]:*");

  /** Environment variable that overrides {@code host}. */
  public static final String ENV_HOST = "SWITCHBOARD_HOST";
  /** Environment variable that overrides {@code port}. */
  public static final String ENV_PORT = "SWITCHBOARD_PORT";
  /** Environment variable that overrides {@code admin.token}. */
  public static final String ENV_ADMIN_TOKEN = "SWITCHBOARD_ADMIN_TOKEN";
  /** Overrides {@code resume.secret}. */
  public static final String ENV_RESUME_SECRET = "SWITCHBOARD_RESUME_SECRET";

  private final String host;
  private final int port;
  private final String webRoot;
  private final Map<String, String> routes;
  private final List<String> forwardHeaders;
  private final int maxFrameSize;
  private final int maxMessageSize;
  private final int maxGroupsPerSession;
  private final int maxMemberMetaBytes;
  private final int maxSessionAttributeBytes;
  private final int openTimeoutMs;
  private final int heartbeatTimeoutMs;
  private final String adminToken;
  private final List<String> allowedOrigins;
  private final boolean allowMissingOrigin;
  private final int maxConnections;
  private final int maxConnectionsPerIp;
  private final int maxHeaderSize;
  private final int maxOutboundBytes;
  private final int pingIntervalMs;
  private final int idleTimeoutMs;
  private final int shutdownGraceMs;
  private final int requestHeadTimeoutMs;
  private final int maxBridgeHandlersPerIp;
  private final boolean metricsEnabled;
  private final String metricsAccess;
  private final List<String> readyServices;
  private final Jwt jwt;
  private final String tlsCertPath;
  private final String tlsKeyPath;

  /** Who may read {@code /metrics}: anyone, loopback clients only, or holders of the admin token. */
  public static final List<String> METRICS_ACCESS = List.of("public", "loopback", "admin");
  public static final String DEFAULT_METRICS_ACCESS = "loopback";
  private final BridgeOptions bridge;
  private final boolean compressionEnabled;
  private final int compressionLevel;
  private final boolean compressionServerNoContextTakeover;
  private final boolean compressionClientNoContextTakeover;
  /** How long a resume token stays valid after it was issued (a live session gets a new one well before). */
  public static final int DEFAULT_RESUME_TOKEN_TTL_MS = 300_000;
  /** How many missed group messages a resume replays at most (more: recovery fails, the client reloads). */
  public static final int DEFAULT_RESUME_MAX_REPLAY = 1000;
  private final String resumeSecret;
  private final int resumeTokenTtlMs;
  private final int resumeMaxReplay;

  private GatewayOptions(ConfigReader conf) {
    host = conf.stringOrEnv("host", ENV_HOST, DEFAULT_HOST);
    port = conf.integerOrEnv("port", ENV_PORT, DEFAULT_PORT, 0, 65535);
    webRoot = conf.string("webRoot", DEFAULT_WEB_ROOT);
    routes = readRoutes(conf);
    forwardHeaders = conf.strings("forwardHeaders", DEFAULT_FORWARD_HEADERS);
    allowedOrigins = conf.strings("allowedOrigins", DEFAULT_ALLOWED_ORIGINS);
    for (String origin : allowedOrigins) {
      if (!io.switchboard.gateway.impl.OriginPolicy.isValidPattern(origin)) {
        throw conf.fail("allowedOrigins", "entries must be \"*\" or scheme://host[:port] (port may be *)", origin);
      }
    }
    allowMissingOrigin = conf.bool("allowMissingOrigin", true);
    ConfigReader limits = conf.nested("limits");
    maxFrameSize = limits.integer("maxFrameSize", DEFAULT_MAX_FRAME_SIZE, 125, 16 << 20);
    maxMessageSize = limits.integer("maxMessageSize", DEFAULT_MAX_MESSAGE_SIZE, 125, 64 << 20);
    openTimeoutMs = limits.integer("openTimeoutMs", DEFAULT_OPEN_TIMEOUT_MS, 100, 600_000);
    heartbeatTimeoutMs = limits.integer("heartbeatTimeoutMs", DEFAULT_HEARTBEAT_TIMEOUT_MS, 4000, 3_600_000);
    maxConnections = limits.integer("maxConnections", DEFAULT_MAX_CONNECTIONS, 1, 10_000_000);
    maxConnectionsPerIp = limits.integer("maxConnectionsPerIp", DEFAULT_MAX_CONNECTIONS_PER_IP, 1, 10_000_000);
    maxHeaderSize = limits.integer("maxHeaderSize", DEFAULT_MAX_HEADER_SIZE, 1024, 1 << 20);
    maxOutboundBytes = limits.integer("maxOutboundBytes", DEFAULT_MAX_OUTBOUND_BYTES, 1024, 1 << 30);
    pingIntervalMs = limits.integer("pingIntervalMs", DEFAULT_PING_INTERVAL_MS, 100, 3_600_000);
    idleTimeoutMs = limits.integer("idleTimeoutMs", DEFAULT_IDLE_TIMEOUT_MS, 200, 86_400_000);
    shutdownGraceMs = limits.integer("shutdownGraceMs", DEFAULT_SHUTDOWN_GRACE_MS, 0, 600_000);
    requestHeadTimeoutMs = limits.integer("requestHeadTimeoutMs", DEFAULT_REQUEST_HEAD_TIMEOUT_MS, 100, 600_000);
    maxBridgeHandlersPerIp = limits.integer("maxBridgeHandlersPerIp", DEFAULT_MAX_BRIDGE_HANDLERS_PER_IP, 1, 10_000_000);
    maxGroupsPerSession = limits.integer("maxGroupsPerSession", DEFAULT_MAX_GROUPS_PER_SESSION, 1, 100_000);
    maxMemberMetaBytes = limits.integer("maxMemberMetaBytes", DEFAULT_MAX_MEMBER_META_BYTES, 2, 1 << 20);
    maxSessionAttributeBytes = limits.integer("maxSessionAttributeBytes", DEFAULT_MAX_SESSION_ATTRIBUTE_BYTES, 2, 16 << 20);
    limits.rejectUnknownKeys();
    ConfigReader admin = conf.nested("admin");
    String token = admin.stringOrEnv("token", ENV_ADMIN_TOKEN, null);
    adminToken = token == null || token.isBlank() ? null : token;
    admin.rejectUnknownKeys();
    ConfigReader metrics = conf.nested("metrics");
    metricsEnabled = metrics.bool("enabled", true);
    metricsAccess = metrics.string("access", DEFAULT_METRICS_ACCESS);
    if (!METRICS_ACCESS.contains(metricsAccess)) {
      throw metrics.fail("access", "must be one of " + METRICS_ACCESS, metricsAccess);
    }
    metrics.rejectUnknownKeys();
    readyServices = conf.strings("readyServices", List.of());
    jwt = readJwt(conf.nested("auth"));
    ConfigReader tls = conf.nested("tls");
    tlsCertPath = tls.string("certPath", null);
    tlsKeyPath = tls.string("keyPath", null);
    tls.rejectUnknownKeys();
    if ((tlsCertPath == null) != (tlsKeyPath == null)) {
      throw new ConfigException("gateway config \"tls\": give both \"certPath\" and \"keyPath\" (PEM files), or neither");
    }
    bridge = BridgeOptions.read(conf.nested("bridge"));
    ConfigReader compression = conf.nested("compression");
    compressionEnabled = compression.bool("enabled", DEFAULT_COMPRESSION_ENABLED);
    compressionLevel = compression.integer("level", DEFAULT_COMPRESSION_LEVEL, 0, 9);
    compressionServerNoContextTakeover = compression.bool("serverNoContextTakeover",
      DEFAULT_COMPRESSION_SERVER_NO_CONTEXT_TAKEOVER);
    compressionClientNoContextTakeover = compression.bool("clientNoContextTakeover",
      DEFAULT_COMPRESSION_CLIENT_NO_CONTEXT_TAKEOVER);
    compression.rejectUnknownKeys();
    ConfigReader resume = conf.nested("resume");
    resumeSecret = resume.stringOrEnv("secret", ENV_RESUME_SECRET, null);
    if (resumeSecret != null && resumeSecret.length() < 32) {
      throw resume.fail("secret", "must be at least 32 characters (it signs resume tokens)", "(" + resumeSecret.length()
        + " characters)");
    }
    resumeTokenTtlMs = resume.integer("tokenTtlMs", DEFAULT_RESUME_TOKEN_TTL_MS, 10_000, 86_400_000);
    resumeMaxReplay = resume.integer("maxReplay", DEFAULT_RESUME_MAX_REPLAY, 1, 100_000);
    resume.rejectUnknownKeys();
    conf.rejectUnknownKeys();
    if (metricsAccess.equals("admin") && adminToken == null) {
      throw new ConfigException("gateway config \"metrics\": \"access\": \"admin\" needs \"admin\": {\"token\": ...}");
    }
    if (idleTimeoutMs <= pingIntervalMs) {
      throw new ConfigException("gateway config \"limits\": \"idleTimeoutMs\" (" + idleTimeoutMs
        + ") must be larger than \"pingIntervalMs\" (" + pingIntervalMs + ")");
    }
    if (maxMessageSize < maxFrameSize) {
      throw new ConfigException("gateway config \"limits\": \"maxMessageSize\" (" + maxMessageSize
        + ") must not be smaller than \"maxFrameSize\" (" + maxFrameSize + ")");
    }
  }

  /** Reads and validates the options; the process environment supplies the overrides. */
  public static GatewayOptions fromJson(JsonObject json) {
    return fromJson(json, System.getenv());
  }

  /** Reads and validates the options with the given environment. */
  public static GatewayOptions fromJson(JsonObject json, Map<String, String> env) {
    return new GatewayOptions(new ConfigReader("gateway config", json, env));
  }

  /** Supported JWT signature algorithms: HMAC with a shared secret, or RSA/EC with a PEM public key. */
  public static final List<String> JWT_ALGORITHMS = List.of("HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
    "ES256", "ES384", "ES512");

  /**
   * How the gateway verifies the JWT a client connects with ({@code auth} in gateway.json).
   *
   * @param algorithm  one of {@link #JWT_ALGORITHMS}
   * @param key        the HMAC secret, or the PEM public key for RSA/EC
   * @param issuer     the required {@code iss}, or {@code null}
   * @param audience   the required {@code aud}, or {@code null}
   * @param requireExp whether a token without {@code exp} is refused
   */
  public record Jwt(String algorithm, String key, String issuer, String audience, boolean requireExp) {
  }

  private static Jwt readJwt(ConfigReader auth) {
    String algorithm = auth.string("algorithm", null);
    String secret = auth.stringOrEnv("secret", "SWITCHBOARD_JWT_SECRET", null);
    String publicKey = auth.string("publicKey", null);
    String issuer = auth.string("issuer", null);
    String audience = auth.string("audience", null);
    boolean requireExp = auth.bool("requireExp", DEFAULT_REQUIRE_EXP);
    auth.rejectUnknownKeys();
    if (algorithm == null) {
      if (secret != null || publicKey != null) {
        throw new ConfigException("gateway config \"auth\": \"algorithm\" is required (one of " + JWT_ALGORITHMS + ")");
      }
      return null;
    }
    if (!JWT_ALGORITHMS.contains(algorithm)) {
      throw auth.fail("algorithm", "must be one of " + JWT_ALGORITHMS, algorithm);
    }
    boolean hmac = algorithm.startsWith("HS");
    if (hmac && (secret == null || secret.length() < 32)) {
      throw new ConfigException("gateway config \"auth\": " + algorithm + " needs \"secret\" of at least 32 characters"
        + " (or SWITCHBOARD_JWT_SECRET)");
    }
    if (!hmac && publicKey == null) {
      throw new ConfigException("gateway config \"auth\": " + algorithm + " needs \"publicKey\" (PEM)");
    }
    return new Jwt(algorithm, hmac ? secret : publicKey, issuer, audience, requireExp);
  }

  private static Map<String, String> readRoutes(ConfigReader conf) {
    JsonObject json = conf.object("routes");
    Map<String, String> routes = new LinkedHashMap<>();
    for (String path : json.fieldNames()) {
      Object service = json.getValue(path);
      // "/" itself may be routed (the Autobahn conformance run does): plain requests there then get 426, not the web root
      if (!path.startsWith("/") || path.contains("?") || path.contains("*")) {
        throw new ConfigException("gateway config \"routes\": path \"" + path
          + "\" must start with / and name an exact path (no ?, no *)");
      }
      if (!(service instanceof String) || ((String) service).isBlank()) {
        throw new ConfigException("gateway config \"routes\": \"" + path + "\" must map to a service name, got " + service);
      }
      routes.put(path, (String) service);
    }
    return Collections.unmodifiableMap(routes);
  }

  /** {@code limits.maxGroupsPerSession}: groups one session may be in; a join past it is refused with a log line. */
  public int maxGroupsPerSession() {
    return maxGroupsPerSession;
  }

  /** {@code limits.maxMemberMetaBytes}: encoded JSON bytes of one member meta; a join over it is refused. */
  public int maxMemberMetaBytes() {
    return maxMemberMetaBytes;
  }

  /** {@code limits.maxSessionAttributeBytes}: encoded JSON bytes of a session's attributes; a set over it is refused. */
  public int maxSessionAttributeBytes() {
    return maxSessionAttributeBytes;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public String webRoot() {
    return webRoot;
  }

  /** WebSocket path to service name, in the order of the config. */
  public Map<String, String> routes() {
    return routes;
  }

  /** Request headers (lower case) passed to the service with a session's open. */
  public List<String> forwardHeaders() {
    return forwardHeaders;
  }

  public int maxFrameSize() {
    return maxFrameSize;
  }

  public int maxMessageSize() {
    return maxMessageSize;
  }

  /** Whether permessage-deflate is offered to clients that ask for it. */
  public boolean compressionEnabled() {
    return compressionEnabled;
  }

  /** The zlib level of the gateway's compressor (0-9). */
  public int compressionLevel() {
    return compressionLevel;
  }

  /** Whether the gateway resets its compressor after each message (server_no_context_takeover). */
  public boolean compressionServerNoContextTakeover() {
    return compressionServerNoContextTakeover;
  }

  /** Whether clients must reset theirs after each message (client_no_context_takeover). */
  public boolean compressionClientNoContextTakeover() {
    return compressionClientNoContextTakeover;
  }

  /** The admin API's bearer token; {@code null} turns the admin API off. */
  public String adminToken() {
    return adminToken;
  }

  /** Origins allowed to open WebSockets: exact, {@code *} for all, or with {@code *} as a wildcard part. */
  public List<String> allowedOrigins() {
    return allowedOrigins;
  }

  /** Whether clients that send no Origin (non-browsers) may connect. */
  public boolean allowMissingOrigin() {
    return allowMissingOrigin;
  }

  /** Sessions this gateway JVM holds at most; more get 503 before the upgrade. */
  public int maxConnections() {
    return maxConnections;
  }

  /** Sessions one client IP may hold at most; more get 429 before the upgrade. */
  public int maxConnectionsPerIp() {
    return maxConnectionsPerIp;
  }

  /** Largest request head accepted; larger gets 431. */
  public int maxHeaderSize() {
    return maxHeaderSize;
  }

  /** Bytes a session may have waiting to be written; a client that does not read beyond it gets 1008. */
  public int maxOutboundBytes() {
    return maxOutboundBytes;
  }

  /** How often idle sessions are pinged. */
  public int pingIntervalMs() {
    return pingIntervalMs;
  }

  /** A session that sent nothing (not even a pong) for this long is closed. */
  public int idleTimeoutMs() {
    return idleTimeoutMs;
  }

  /** On shutdown, how long sessions get to close (1001) before the gateway stops anyway. */
  public int shutdownGraceMs() {
    return shutdownGraceMs;
  }

  /**
   * How long an HTTP connection that is not (yet) a WebSocket may go without completing a request
   * head (from its accept, and between requests): then it gets 408 and is closed (slowloris).
   */
  public int requestHeadTimeoutMs() {
    return requestHeadTimeoutMs;
  }

  /** Registrations the bridge sockets of one client IP may hold together; more are refused. */
  public int maxBridgeHandlersPerIp() {
    return maxBridgeHandlersPerIp;
  }

  /** Whether {@code /metrics} serves the Prometheus series. */
  public boolean metricsEnabled() {
    return metricsEnabled;
  }

  /** {@code public}, {@code loopback} or {@code admin} (bearer admin token). */
  public String metricsAccess() {
    return metricsAccess;
  }

  /** Services that must have a live instance for {@code /ready} to answer 200. */
  public List<String> readyServices() {
    return readyServices;
  }

  /**
   * JWT settings, or {@code null} when connections need no token.
   */
  public Jwt jwt() {
    return jwt;
  }

  /** PEM certificate chain for wss, or {@code null} for plain ws. */
  public String tlsCertPath() {
    return tlsCertPath;
  }

  /** PEM private key for wss, or {@code null}. */
  public String tlsKeyPath() {
    return tlsKeyPath;
  }

  /** How long the gateway waits for a service to accept a new session. */
  public int openTimeoutMs() {
    return openTimeoutMs;
  }

  /**
   * How long services may hear no heartbeat from this gateway, while its JVM is still a cluster
   * member, before they take it for lost (a killed JVM is noticed by the cluster in about a second).
   */
  public int heartbeatTimeoutMs() {
    return heartbeatTimeoutMs;
  }

  /** The browser event-bus bridge at {@code /eventbus}: permissions (none by default) and limits. */
  public BridgeOptions bridge() {
    return bridge;
  }

  /**
   * The key that signs resume tokens ({@code resume.secret}, or {@code SWITCHBOARD_RESUME_SECRET}),
   * or {@code null}: then the gateways of a cluster share a random key through the cluster.
   */
  public String resumeSecret() {
    return resumeSecret;
  }

  /** How long a resume token is accepted after it was issued ({@code resume.tokenTtlMs}). */
  public int resumeTokenTtlMs() {
    return resumeTokenTtlMs;
  }

  /** How many missed group messages one resume replays at most ({@code resume.maxReplay}). */
  public int resumeMaxReplay() {
    return resumeMaxReplay;
  }
}
