package io.switchboard.gateway.impl;

import io.vertx.core.http.HttpServerRequest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The one place the gateway handles secrets: {@code Authorization: Bearer} parsing (the scheme
 * in any case, RFC 7235), constant-time comparison, and unguessable ids. Used by the admin API,
 * {@code /metrics}, the JWT check and the bridge token.
 */
public final class Secrets {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder URL_SAFE = Base64.getUrlEncoder().withoutPadding();

  private Secrets() {
  }

  /** The token of an {@code Authorization: Bearer <token>} header (scheme in any case), or null. */
  public static String bearer(String authorization) {
    if (authorization == null) {
      return null;
    }
    String header = authorization.trim();
    int space = header.indexOf(' ');
    if (space < 0 || !header.substring(0, space).equalsIgnoreCase("Bearer")) {
      return null;
    }
    String token = header.substring(space + 1).trim();
    return token.isEmpty() ? null : token;
  }

  /** The bearer token of a request's {@code Authorization} header, or null. */
  public static String bearer(HttpServerRequest request) {
    return bearer(request.getHeader("Authorization"));
  }

  /** Whether the request carries {@code Authorization: Bearer <expected>}; false when expected is null. */
  public static boolean bearerMatches(HttpServerRequest request, String expected) {
    return expected != null && constantTimeEquals(bearer(request), expected);
  }

  /** Compares two secrets in time independent of where they differ; null never matches. */
  public static boolean constantTimeEquals(String given, String expected) {
    if (given == null || expected == null) {
      return false;
    }
    return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
  }

  /** 128 random bits, URL-safe base64 (22 characters): an id nobody can guess. */
  public static String randomId() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return URL_SAFE.encodeToString(bytes);
  }
}
