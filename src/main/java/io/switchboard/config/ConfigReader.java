package io.switchboard.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a verticle's JSON config strictly: every value is type-checked, and a key the options
 * class never asked for is reported by {@link #rejectUnknownKeys()} instead of being ignored.
 * Errors are {@link ConfigException}s that name the key, e.g. {@code gateway config: "port" must
 * be an integer from 1 to 65535, got "80a"}.
 */
public final class ConfigReader {

  private final String what;
  private final JsonObject json;
  private final Map<String, String> env;
  private final Set<String> known = new LinkedHashSet<>();

  /**
   * @param what how messages name this config, e.g. {@code "gateway config"}
   * @param json the config; {@code null} reads as empty
   * @param env environment variables consulted by the {@code *OrEnv} readers
   */
  public ConfigReader(String what, JsonObject json, Map<String, String> env) {
    this.what = what;
    this.json = json == null ? new JsonObject() : json;
    this.env = env;
  }

  public String string(String key, String def) {
    known.add(key);
    Object v = json.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof String)) {
      throw fail(key, "must be a string", v);
    }
    return (String) v;
  }

  public String requiredString(String key) {
    String v = string(key, null);
    if (v == null || v.isBlank()) {
      throw new ConfigException(what + ": \"" + key + "\" is required");
    }
    return v;
  }

  public int integer(String key, int def, int min, int max) {
    known.add(key);
    Object v = json.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
      throw fail(key, "must be an integer from " + min + " to " + max, v);
    }
    return ((Number) v).intValue();
  }

  public boolean bool(String key, boolean def) {
    known.add(key);
    Object v = json.getValue(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Boolean)) {
      throw fail(key, "must be true or false", v);
    }
    return (Boolean) v;
  }

  /** A string that an environment variable, when set, overrides. */
  public String stringOrEnv(String key, String envVar, String def) {
    String fromFile = string(key, def);
    String fromEnv = env.get(envVar);
    return fromEnv == null || fromEnv.isBlank() ? fromFile : fromEnv.trim();
  }

  /** An integer that an environment variable, when set, overrides. */
  public int integerOrEnv(String key, String envVar, int def, int min, int max) {
    int fromFile = integer(key, def, min, max);
    String fromEnv = env.get(envVar);
    if (fromEnv == null || fromEnv.isBlank()) {
      return fromFile;
    }
    try {
      int v = Integer.parseInt(fromEnv.trim());
      if (v >= min && v <= max) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new ConfigException("environment variable " + envVar + " must be an integer from " + min + " to " + max
      + ", got \"" + fromEnv + "\"");
  }

  public JsonObject object(String key) {
    known.add(key);
    Object v = json.getValue(key);
    if (v == null) {
      return new JsonObject();
    }
    if (!(v instanceof JsonObject)) {
      throw fail(key, "must be a JSON object", v);
    }
    return (JsonObject) v;
  }

  public JsonArray array(String key) {
    known.add(key);
    Object v = json.getValue(key);
    if (v == null) {
      return new JsonArray();
    }
    if (!(v instanceof JsonArray)) {
      throw fail(key, "must be a JSON array", v);
    }
    return (JsonArray) v;
  }

  public List<String> strings(String key, List<String> def) {
    if (!json.containsKey(key)) {
      known.add(key);
      return def;
    }
    JsonArray arr = array(key);
    List<String> out = new ArrayList<>(arr.size());
    for (Object o : arr) {
      if (!(o instanceof String)) {
        throw fail(key, "must be an array of strings", arr);
      }
      out.add((String) o);
    }
    return out;
  }

  /** A nested reader for an object-valued key; its errors name the key path. */
  public ConfigReader nested(String key) {
    return new ConfigReader(what + " \"" + key + "\"", object(key), env);
  }

  /** Fails on the first key that no reader method asked for. */
  public void rejectUnknownKeys() {
    for (String key : json.fieldNames()) {
      if (!known.contains(key)) {
        throw new ConfigException(what + ": unknown key \"" + key + "\"" + suggestion(key) + " (known keys: "
          + String.join(", ", known) + ")");
      }
    }
  }

  /** A failure naming {@code key}. */
  public ConfigException fail(String key, String problem, Object got) {
    return new ConfigException(what + ": \"" + key + "\" " + problem + ", got " + describe(got));
  }

  private String suggestion(String unknown) {
    String best = null;
    int bestDistance = 3;
    for (String k : known) {
      int d = distance(unknown.toLowerCase(), k.toLowerCase());
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best == null ? "" : "; did you mean \"" + best + "\"?";
  }

  private static String describe(Object v) {
    if (v instanceof String) {
      return "\"" + v + "\"";
    }
    return String.valueOf(v);
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
