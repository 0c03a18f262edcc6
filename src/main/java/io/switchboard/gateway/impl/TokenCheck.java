package io.switchboard.gateway.impl;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;

/**
 * Verifies the JWT a client presents at connect, before the upgrade. The token comes from the
 * {@code access_token} query parameter, an {@code Authorization: Bearer} header, or the
 * WebSocket subprotocols {@code bearer, <token>} (what a browser can send). The verified claims
 * go to the service with the session's open.
 */
public final class TokenCheck {

  /** The query parameter that carries the token. */
  public static final String QUERY_PARAM = "access_token";
  /** The subprotocol that announces a token as the next subprotocol. */
  public static final String SUBPROTOCOL = "bearer";

  private final JWTAuth jwt;

  public TokenCheck(Vertx vertx, JsonObject settings) {
    JWTOptions verify = new JWTOptions();
    if (settings.getString("issuer") != null) {
      verify.setIssuer(settings.getString("issuer"));
    }
    if (settings.getString("audience") != null) {
      verify.addAudience(settings.getString("audience"));
    }
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions().setJWTOptions(verify).addPubSecKey(new PubSecKeyOptions()
      .setAlgorithm(settings.getString("algorithm")).setBuffer(settings.getString("key"))));
  }

  /** The verified claims, or a failure whose message says what is wrong with the token. */
  public Future<JsonObject> verify(HttpServerRequest request) {
    return verify(token(request));
  }

  /** Verifies a token as given (null: none given). */
  public Future<JsonObject> verify(String token) {
    if (token == null || token.isBlank()) {
      return Future.failedFuture("a token is required (query parameter " + QUERY_PARAM
        + ", Authorization: Bearer, or subprotocols \"bearer, <token>\")");
    }
    return jwt.authenticate(new TokenCredentials(token))
      .map(user -> user.principal().copy())
      .recover(err -> Future.failedFuture("invalid token: " + err.getMessage()));
  }

  private static String token(HttpServerRequest request) {
    String query = request.getParam(QUERY_PARAM);
    if (query != null && !query.isBlank()) {
      return query;
    }
    String header = request.getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).trim();
    }
    String protocols = request.getHeader("Sec-WebSocket-Protocol");
    if (protocols != null) {
      String[] parts = protocols.split(",");
      for (int i = 0; i + 1 < parts.length; i++) {
        if (parts[i].trim().equalsIgnoreCase(SUBPROTOCOL)) {
          return parts[i + 1].trim();
        }
      }
    }
    return null;
  }
}
