package io.switchboard.gateway.impl;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which page origins may open WebSockets (against cross-site WebSocket hijacking). Patterns are
 * exact origins, {@code *} for any, or origins with {@code *} standing for any run of characters
 * except {@code /}, e.g. {@code http://localhost:*}.
 */
public final class OriginPolicy {

  private final List<Pattern> allowed;
  private final boolean allowMissing;

  public OriginPolicy(List<String> patterns, boolean allowMissing) {
    this.allowed = patterns.stream().map(OriginPolicy::compile).toList();
    this.allowMissing = allowMissing;
  }

  /** Whether a request with this Origin header (null when absent) may upgrade. */
  public boolean allows(String origin) {
    if (origin == null) {
      return allowMissing;
    }
    for (Pattern p : allowed) {
      if (p.matcher(origin).matches()) {
        return true;
      }
    }
    return false;
  }

  private static Pattern compile(String pattern) {
    if (pattern.equals("*")) {
      return Pattern.compile(".*");
    }
    StringBuilder regex = new StringBuilder();
    String[] parts = pattern.split("\\*", -1);
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        regex.append("[^/]*");
      }
      regex.append(Pattern.quote(parts[i]));
    }
    return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE);
  }
}
