package io.switchboard.gateway;

import io.switchboard.config.ConfigException;
import io.switchboard.config.ConfigReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The browser event-bus bridge's options: the {@code "bridge"} object of {@code conf/gateway.json}.
 * The bridge is always mounted at {@code /eventbus}; with no permissions it refuses everything.
 *
 * <pre>{@code
 * "bridge": {
 *   "inbound":  [ { "address": "demo.chat" } ],                      // browser -> bus (send, publish)
 *   "outbound": [ { "addressRegex": "demo\\.chat\\.room\\..+" } ],   // bus -> browser (register)
 *   "token": null,              // when set, required on connect (?token=) and on every frame (header "token")
 *   "pingTimeoutMs": 10000, "replyTimeoutMs": 30000, "maxHandlersPerSocket": 1000, "maxAddressLength": 200
 * }
 * }</pre>
 *
 * A permission names one {@code address} or one {@code addressRegex} (matched against the whole
 * address), and optionally a {@code match}: a JSON object whose fields the message body must
 * carry with equal values (nested objects match field by field).
 */
public final class BridgeOptions {

  public static final List<Permission> DEFAULT_INBOUND = List.of();
  public static final List<Permission> DEFAULT_OUTBOUND = List.of();
  public static final String DEFAULT_TOKEN = null;
  public static final int DEFAULT_PING_TIMEOUT_MS = 10_000;
  public static final int DEFAULT_REPLY_TIMEOUT_MS = 30_000;
  public static final int DEFAULT_MAX_HANDLERS_PER_SOCKET = 1000;
  public static final int DEFAULT_MAX_ADDRESS_LENGTH = 200;

  /**
   * One permitted address or address pattern, with an optional body {@code match}.
   *
   * @param address the exact address, or {@code null} when {@code addressRegex} is used
   * @param addressRegex a regular expression the whole address must match, or {@code null}
   * @param match fields the body must carry with equal values, or {@code null} for any body
   */
  public record Permission(String address, String addressRegex, JsonObject match) {

    /** Whether this permission covers {@code addr} (the body is not looked at). */
    public boolean coversAddress(String addr) {
      return address != null ? address.equals(addr) : Pattern.matches(addressRegex, addr);
    }
  }

  private final List<Permission> inbound;
  private final List<Permission> outbound;
  private final String token;
  private final int pingTimeoutMs;
  private final int replyTimeoutMs;
  private final int maxHandlersPerSocket;
  private final int maxAddressLength;

  private BridgeOptions(ConfigReader conf) {
    inbound = permissions(conf, "inbound");
    outbound = permissions(conf, "outbound");
    token = conf.string("token", DEFAULT_TOKEN);
    if (token != null && token.isEmpty()) {
      throw conf.fail("token", "must not be empty (leave it out for no token)", token);
    }
    pingTimeoutMs = conf.integer("pingTimeoutMs", DEFAULT_PING_TIMEOUT_MS, 1000, 600_000);
    replyTimeoutMs = conf.integer("replyTimeoutMs", DEFAULT_REPLY_TIMEOUT_MS, 100, 600_000);
    maxHandlersPerSocket = conf.integer("maxHandlersPerSocket", DEFAULT_MAX_HANDLERS_PER_SOCKET, 1, 100_000);
    maxAddressLength = conf.integer("maxAddressLength", DEFAULT_MAX_ADDRESS_LENGTH, 1, 10_000);
    conf.rejectUnknownKeys();
  }

  /** Reads and validates the {@code "bridge"} object of the gateway config. */
  public static BridgeOptions read(ConfigReader bridge) {
    return new BridgeOptions(bridge);
  }

  private static List<Permission> permissions(ConfigReader conf, String key) {
    JsonArray array = conf.array(key);
    List<Permission> list = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      String where = key + "[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject)) {
        throw conf.fail(where, "must be a JSON object like {\"address\": \"...\"}", array.getValue(i));
      }
      String what = "gateway config \"bridge\" \"" + where + "\"";
      ConfigReader entry = new ConfigReader(what, array.getJsonObject(i), Map.of());
      String address = entry.string("address", null);
      String regex = entry.string("addressRegex", null);
      JsonObject match = entry.object("match");
      entry.rejectUnknownKeys();
      if ((address == null) == (regex == null)) {
        throw conf.fail(where, "must name exactly one of \"address\" and \"addressRegex\"", array.getValue(i));
      }
      if (regex != null) {
        try {
          Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
          throw new ConfigException(what + ": \"addressRegex\" is not a valid regular expression: "
            + e.getDescription() + " in \"" + regex + "\"");
        }
      }
      list.add(new Permission(address, regex, array.getJsonObject(i).containsKey("match") ? match : null));
    }
    return Collections.unmodifiableList(list);
  }

  /** What browsers may send or publish to. Empty (the default) refuses everything. */
  public List<Permission> inbound() {
    return inbound;
  }

  /** What browsers may register for. Empty (the default) refuses everything. */
  public List<Permission> outbound() {
    return outbound;
  }

  /** The token every bridge socket and frame must carry, or {@code null} when none is required. */
  public String token() {
    return token;
  }

  /** A socket that sent nothing (not even a ping) for this long is closed. */
  public int pingTimeoutMs() {
    return pingTimeoutMs;
  }

  /** How long a browser's request waits for a reply from the bus. */
  public int replyTimeoutMs() {
    return replyTimeoutMs;
  }

  /** Registrations plus pending requests one socket may hold. */
  public int maxHandlersPerSocket() {
    return maxHandlersPerSocket;
  }

  /** The longest address a socket may register. */
  public int maxAddressLength() {
    return maxAddressLength;
  }
}
