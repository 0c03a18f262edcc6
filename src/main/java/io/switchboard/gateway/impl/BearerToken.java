package io.switchboard.gateway.impl;

import io.vertx.core.http.HttpServerRequest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Checks {@code Authorization: Bearer <token>} in constant time (admin API, restricted /metrics). */
final class BearerToken {

  private BearerToken() {
  }

  static boolean matches(HttpServerRequest request, String token) {
    String header = request.getHeader("Authorization");
    byte[] given = header != null && header.startsWith("Bearer ")
      ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
    return token != null && MessageDigest.isEqual(given, token.getBytes(StandardCharsets.UTF_8));
  }
}
