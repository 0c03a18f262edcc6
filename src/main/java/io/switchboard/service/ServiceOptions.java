package io.switchboard.service;

import io.switchboard.config.ConfigException;
import io.switchboard.config.ConfigReader;

import io.switchboard.history.HistoryPolicy;
import io.vertx.core.json.JsonObject;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The options every service reads from its {@code conf/*.json}:
 * <pre>{@code { "name": "chat", "paths": ["/chat"], "failover": "close", "heartbeatMs": 500, "heartbeatTimeoutMs": 30000,
 *   "drainTimeoutMs": 3000, "maxMessageSize": 8192, "maxMessagesPerSecond": 50 }}</pre>
 * {@code name} is the service's name, as gateway routes refer to it; it defaults to the
 * service class's {@link ServiceVerticle#defaultName()}. {@code failover} defaults to the
 * class's {@link ServiceVerticle#defaultFailover()}. Keys of the service's own are read by
 * {@link ServiceVerticle#configure(ConfigReader)}.
 *
 * <p>{@code maxMessageSize} and {@code maxMessagesPerSecond} are the service's own bounds on what
 * one client may send it, enforced by the SDK before {@code onMessage}: a message larger than
 * {@code maxMessageSize} (characters of text, bytes of binary) closes the session with 1009, more
 * than {@code maxMessagesPerSecond} messages in one second close it with 1008. {@code 0} (the
 * default) leaves only the gateway's limits.
 *
 * <p>{@code history} gives groups a history (docs/protocol.md, "Group history"): pattern (a group
 * name, or a prefix ending with {@code *}) to its policy,
 * <pre>{@code "history": {"room:*": {"size": 1000, "ttlSeconds": 3600}}}</pre>
 * {@code size} is how many messages a group keeps (1 to 1 000 000, default
 * {@value #DEFAULT_HISTORY_SIZE}), {@code ttlSeconds} how long each is kept (0: until pushed out;
 * default {@value #DEFAULT_HISTORY_TTL_SECONDS}). Every instance of a service must declare the same.
 */
public final class ServiceOptions {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  /** How often an instance announces itself to the gateways. */
  public static final int DEFAULT_HEARTBEAT_MS = 500;
  /**
   * How long gateways may hear no heartbeat from an instance whose JVM is still a cluster member
   * before they take it for lost. A killed JVM is noticed by the cluster in about a second; this
   * only catches an instance that hangs, so it is generous: a burst of work never trips it.
   */
  public static final int DEFAULT_HEARTBEAT_TIMEOUT_MS = 30_000;
  /** How long a stopping instance waits for gateways to take its sessions back. */
  public static final int DEFAULT_DRAIN_TIMEOUT_MS = 3000;
  /** Largest message a client may send this service; 0: no bound of the service's own. */
  public static final int DEFAULT_MAX_MESSAGE_SIZE = 0;
  /** Messages per second one session may send this service; 0: no bound. */
  public static final int DEFAULT_MAX_MESSAGES_PER_SECOND = 0;

  /** Messages a group with history keeps when its pattern gives no {@code size}. */
  public static final int DEFAULT_HISTORY_SIZE = 1000;
  /** Seconds each message of a group with history is kept when its pattern gives no {@code ttlSeconds}. */
  public static final int DEFAULT_HISTORY_TTL_SECONDS = 3600;
  /** Most messages one group may keep. */
  public static final int MAX_HISTORY_SIZE = 1_000_000;
  /** Most patterns one service may declare. */
  public static final int MAX_HISTORY_PATTERNS = 100;

  private final String name;
  private final List<String> paths;
  private final Failover failover;
  private final int heartbeatMs;
  private final int heartbeatTimeoutMs;
  private final int drainTimeoutMs;
  private final int maxMessageSize;
  private final int maxMessagesPerSecond;
  private final Map<String, HistoryPolicy> history;

  ServiceOptions(ConfigReader conf, String defaultName, Failover defaultFailover) {
    String n = conf.string("name", defaultName);
    if (n == null) {
      throw new ConfigException("service config: \"name\" is required");
    }
    if (!NAME.matcher(n).matches()) {
      throw conf.fail("name", "must be 1 to 64 letters, digits, '_' or '-'", n);
    }
    this.name = n;
    this.paths = conf.strings("paths", List.of());
    for (String p : paths) {
      if (!p.startsWith("/") || p.length() < 2 || p.contains("?") || p.contains("*")) {
        throw conf.fail("paths", "must hold exact paths starting with / (no ?, no *)", p);
      }
    }
    String f = conf.string("failover", defaultFailover.wire());
    this.failover = Failover.of(f);
    if (failover == null) {
      throw conf.fail("failover", "must be \"close\" or \"rebind\"", f);
    }
    this.heartbeatMs = conf.integer("heartbeatMs", DEFAULT_HEARTBEAT_MS, 50, 60_000);
    this.heartbeatTimeoutMs = conf.integer("heartbeatTimeoutMs", DEFAULT_HEARTBEAT_TIMEOUT_MS, 200, 3_600_000);
    this.drainTimeoutMs = conf.integer("drainTimeoutMs", DEFAULT_DRAIN_TIMEOUT_MS, 0, 600_000);
    this.maxMessageSize = conf.integer("maxMessageSize", DEFAULT_MAX_MESSAGE_SIZE, 0, Integer.MAX_VALUE);
    this.maxMessagesPerSecond = conf.integer("maxMessagesPerSecond", DEFAULT_MAX_MESSAGES_PER_SECOND, 0, 1_000_000);
    this.history = history(conf);
  }

  private static Map<String, HistoryPolicy> history(ConfigReader conf) {
    JsonObject patterns = conf.object("history");
    if (patterns.size() > MAX_HISTORY_PATTERNS) {
      throw conf.fail("history", "may hold at most " + MAX_HISTORY_PATTERNS + " patterns", patterns.size() + " of them");
    }
    ConfigReader history = conf.nested("history");
    Map<String, HistoryPolicy> out = new LinkedHashMap<>();
    for (String pattern : patterns.fieldNames()) {
      int star = pattern.indexOf('*');
      if (pattern.isEmpty() || (star >= 0 && star != pattern.length() - 1)) {
        throw history.fail(pattern, "is no group pattern: a group name, or a prefix ending with one '*' (e.g. \"room:*\")",
          pattern);
      }
      if (!(patterns.getValue(pattern) instanceof JsonObject)) {
        throw history.fail(pattern, "must be an object like {\"size\": 1000, \"ttlSeconds\": 3600}", patterns.getValue(pattern));
      }
      ConfigReader policy = history.nested(pattern);
      int size = policy.integer("size", DEFAULT_HISTORY_SIZE, 1, MAX_HISTORY_SIZE);
      int ttl = policy.integer("ttlSeconds", DEFAULT_HISTORY_TTL_SECONDS, 0, 365 * 86_400);
      policy.rejectUnknownKeys();
      out.put(pattern, new HistoryPolicy(size, ttl));
    }
    return Collections.unmodifiableMap(out);
  }

  /** The service's name. */
  public String name() {
    return name;
  }

  /** The WebSocket paths this service announces; gateways route them here without a config edit. */
  public List<String> paths() {
    return paths;
  }

  /**
   * What gateways do with the sessions of an instance that is lost or stops: {@link Failover#CLOSE}
   * (1012) or {@link Failover#REBIND} (re-open them on a live instance; {@link Session#isRebind()}).
   */
  public Failover failover() {
    return failover;
  }

  /** How often the instance announces itself. */
  public int heartbeatMs() {
    return heartbeatMs;
  }

  /**
   * How long the instance may send no heartbeat while its JVM is a cluster member before gateways
   * take it for lost (at least 4 heartbeats).
   */
  public int heartbeatTimeoutMs() {
    return heartbeatTimeoutMs;
  }

  /** How long a stopping instance waits for gateways to take its sessions back. */
  public int drainTimeoutMs() {
    return drainTimeoutMs;
  }

  /** Largest message (characters of text, bytes of binary) a client may send; 0: unbounded here. */
  public int maxMessageSize() {
    return maxMessageSize;
  }

  /** Messages per second one session may send; 0: unbounded here. */
  public int maxMessagesPerSecond() {
    return maxMessagesPerSecond;
  }

  /**
   * The groups with a history: pattern (a group name, or a prefix ending with {@code *}) to its
   * policy, in config order; empty when the service keeps none.
   */
  public Map<String, HistoryPolicy> history() {
    return history;
  }
}
