package io.switchboard.gateway.impl;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which page origins may open WebSockets (against cross-site WebSocket hijacking). An origin is
 * parsed as scheme, host and port (RFC 6454), never matched as text: {@code http://localhost:*}
 * allows {@code http://localhost:3000} but not {@code http://localhost:80.evil.example} (not a
 * port) nor {@code http://localhost:80@evil.example} (user info, host evil.example). A pattern
 * is {@code *} for any origin, or {@code scheme://host[:port]} where the port may be {@code *}
 * (any port; without a port, the scheme's default) and a host label may be {@code *} (one DNS
 * label, e.g. {@code https://*.example.com}).
 */
public final class OriginPolicy {

  private final List<Rule> allowed;
  private final boolean allowAny;
  private final boolean allowMissing;

  private record Rule(String scheme, Pattern host, int port) {
    static final int ANY_PORT = -2;

    boolean matches(Origin o) {
      return scheme.equals(o.scheme) && host.matcher(o.host).matches() && (port == ANY_PORT || port == o.port);
    }
  }

  private record Origin(String scheme, String host, int port) {
  }

  public OriginPolicy(List<String> patterns, boolean allowMissing) {
    this.allowAny = patterns.contains("*");
    this.allowed = patterns.stream().filter(p -> !p.equals("*")).map(OriginPolicy::rule).toList();
    this.allowMissing = allowMissing;
  }

  /** Whether a request with this Origin header (null when absent) may upgrade. */
  public boolean allows(String origin) {
    if (origin == null) {
      return allowMissing;
    }
    if (allowAny) {
      return true;
    }
    Origin parsed = parse(origin);
    if (parsed == null) {
      return false;
    }
    for (Rule rule : allowed) {
      if (rule.matches(parsed)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code pattern} is a valid allowedOrigins entry (for the config check). */
  public static boolean isValidPattern(String pattern) {
    try {
      return pattern.equals("*") || rule(pattern) != null;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** scheme://host[:port] with nothing else (no user info, path, query or fragment); null otherwise. */
  private static Origin parse(String origin) {
    try {
      URI uri = new URI(origin.trim());
      String scheme = uri.getScheme();
      String host = uri.getHost();
      if (scheme == null || host == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
        || uri.getRawFragment() != null || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())) {
        return null;
      }
      // the authority must be exactly host[:port]: rejects anything URI was lenient about
      String authority = uri.getRawAuthority();
      String expected = uri.getPort() < 0 ? host : host + ":" + uri.getPort();
      if (!expected.equalsIgnoreCase(authority)) {
        return null;
      }
      scheme = scheme.toLowerCase(Locale.ROOT);
      return new Origin(scheme, host.toLowerCase(Locale.ROOT), uri.getPort() < 0 ? defaultPort(scheme) : uri.getPort());
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static Rule rule(String pattern) {
    int sep = pattern.indexOf("://");
    if (sep <= 0) {
      throw new IllegalArgumentException("not scheme://host[:port]: " + pattern);
    }
    String scheme = pattern.substring(0, sep).toLowerCase(Locale.ROOT);
    String rest = pattern.substring(sep + 3);
    String host;
    String port = null;
    if (rest.startsWith("[")) {
      int end = rest.indexOf(']');
      if (end < 0) {
        throw new IllegalArgumentException("unclosed [ in " + pattern);
      }
      host = rest.substring(0, end + 1);
      if (end + 1 < rest.length()) {
        if (rest.charAt(end + 1) != ':') {
          throw new IllegalArgumentException("not scheme://host[:port]: " + pattern);
        }
        port = rest.substring(end + 2);
      }
    } else {
      int colon = rest.lastIndexOf(':');
      host = colon < 0 ? rest : rest.substring(0, colon);
      port = colon < 0 ? null : rest.substring(colon + 1);
    }
    if (host.isEmpty() || host.contains("/") || host.contains("@")) {
      throw new IllegalArgumentException("not scheme://host[:port]: " + pattern);
    }
    int p;
    if (port == null) {
      p = defaultPort(scheme);
    } else if (port.equals("*")) {
      p = Rule.ANY_PORT;
    } else {
      p = Integer.parseInt(port);
    }
    StringBuilder regex = new StringBuilder();
    String[] parts = host.toLowerCase(Locale.ROOT).split("\\*", -1);
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        regex.append("[a-z0-9-]+"); // one DNS label: never a dot, colon, @ or /
      }
      regex.append(Pattern.quote(parts[i]));
    }
    return new Rule(scheme, Pattern.compile(regex.toString()), p);
  }

  private static int defaultPort(String scheme) {
    return scheme.equals("https") || scheme.equals("wss") ? 443 : 80;
  }
}
