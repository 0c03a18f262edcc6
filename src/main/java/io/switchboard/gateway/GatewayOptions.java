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
 *   "limits": { "maxFrameSize": 65536, "maxMessageSize": 262144, "openTimeoutMs": 5000 },
 *   "bridge": { "inbound": [], "outbound": [] }   // browser event-bus bridge, see BridgeOptions
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

  /** Environment variable that overrides {@code host}. */
  public static final String ENV_HOST = "SWITCHBOARD_HOST";
  /** Environment variable that overrides {@code port}. */
  public static final String ENV_PORT = "SWITCHBOARD_PORT";

  private final String host;
  private final int port;
  private final String webRoot;
  private final Map<String, String> routes;
  private final List<String> forwardHeaders;
  private final int maxFrameSize;
  private final int maxMessageSize;
  private final int openTimeoutMs;
  private final BridgeOptions bridge;

  private GatewayOptions(ConfigReader conf) {
    host = conf.stringOrEnv("host", ENV_HOST, DEFAULT_HOST);
    port = conf.integerOrEnv("port", ENV_PORT, DEFAULT_PORT, 0, 65535);
    webRoot = conf.string("webRoot", DEFAULT_WEB_ROOT);
    routes = readRoutes(conf);
    forwardHeaders = conf.strings("forwardHeaders", DEFAULT_FORWARD_HEADERS);
    ConfigReader limits = conf.nested("limits");
    maxFrameSize = limits.integer("maxFrameSize", DEFAULT_MAX_FRAME_SIZE, 125, 16 << 20);
    maxMessageSize = limits.integer("maxMessageSize", DEFAULT_MAX_MESSAGE_SIZE, 125, 64 << 20);
    openTimeoutMs = limits.integer("openTimeoutMs", DEFAULT_OPEN_TIMEOUT_MS, 100, 600_000);
    limits.rejectUnknownKeys();
    bridge = BridgeOptions.read(conf.nested("bridge"));
    conf.rejectUnknownKeys();
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

  private static Map<String, String> readRoutes(ConfigReader conf) {
    JsonObject json = conf.object("routes");
    Map<String, String> routes = new LinkedHashMap<>();
    for (String path : json.fieldNames()) {
      Object service = json.getValue(path);
      if (!path.startsWith("/") || path.length() < 2 || path.contains("?") || path.contains("*")) {
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

  /** How long the gateway waits for a service to accept a new session. */
  public int openTimeoutMs() {
    return openTimeoutMs;
  }

  /** The browser event-bus bridge at {@code /eventbus}: permissions (none by default) and limits. */
  public BridgeOptions bridge() {
    return bridge;
  }
}
