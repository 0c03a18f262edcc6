package io.switchboard.bridge;

import io.switchboard.config.ConfigReader;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * The options of {@link TcpBridgeVerticle}, read strictly from its config:
 *
 * <pre>{@code { "host": "127.0.0.1", "port": 7000, "token": "s3cret" }}</pre>
 *
 * <table>
 *   <caption>keys</caption>
 *   <tr><td>{@code host}</td><td>interface to listen on; {@value #DEFAULT_HOST} (loopback) unless
 *     set, {@value #ENV_HOST} overrides</td></tr>
 *   <tr><td>{@code port}</td><td>TCP port, {@value #DEFAULT_PORT} unless set, {@code 0} for any;
 *     {@value #ENV_PORT} overrides</td></tr>
 *   <tr><td>{@code token}</td><td>when set, every frame a client sends must carry it in the
 *     {@value #TOKEN_HEADER} header; {@value #ENV_TOKEN} overrides</td></tr>
 * </table>
 */
public final class TcpBridgeOptions {

  /** Loopback: only processes on this host reach the bridge unless the config says otherwise. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** The port the Python SDK tries when it is given none. */
  public static final int DEFAULT_PORT = 7000;
  /** Overrides {@code host}. */
  public static final String ENV_HOST = "SWITCHBOARD_BRIDGE_HOST";
  /** Overrides {@code port}. */
  public static final String ENV_PORT = "SWITCHBOARD_BRIDGE_PORT";
  /** Overrides {@code token}. */
  public static final String ENV_TOKEN = "SWITCHBOARD_BRIDGE_TOKEN";
  /**
   * The frame header that carries the token. The bridge checks it and removes it before the
   * message reaches the event bus, so it never travels further.
   */
  public static final String TOKEN_HEADER = "sb.token";

  private final String host;
  private final int port;
  private final String token;

  private TcpBridgeOptions(String host, int port, String token) {
    this.host = host;
    this.port = port;
    this.token = token;
  }

  /** Reads and checks a config; a bad or unknown key throws a {@code ConfigException} naming it. */
  public static TcpBridgeOptions fromJson(JsonObject json, Map<String, String> env) {
    ConfigReader conf = new ConfigReader("TCP bridge config", json, env);
    String host = conf.stringOrEnv("host", ENV_HOST, DEFAULT_HOST);
    if (host.isBlank()) {
      throw conf.fail("host", "must not be empty", host);
    }
    int port = conf.integerOrEnv("port", ENV_PORT, DEFAULT_PORT, 0, 65535);
    String token = conf.stringOrEnv("token", ENV_TOKEN, null);
    if (token != null && token.isEmpty()) {
      throw conf.fail("token", "must not be empty (leave it out for no token)", token);
    }
    conf.rejectUnknownKeys();
    return new TcpBridgeOptions(host, port, token);
  }

  /** The interface to listen on. */
  public String host() {
    return host;
  }

  /** The port to listen on; {@code 0} picks a free one. */
  public int port() {
    return port;
  }

  /** The token every client frame must carry, or {@code null} for none. */
  public String token() {
    return token;
  }
}
