package io.switchboard.gateway.impl;

import io.switchboard.gateway.GatewayOptions;
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
  private final boolean requireExp;

  public TokenCheck(Vertx vertx, GatewayOptions.Jwt settings) {
    this.requireExp = settings.requireExp();
    JWTOptions verify = new JWTOptions();
    if (settings.issuer() != null) {
      verify.setIssuer(settings.issuer());
    }
    if (settings.audience() != null) {
      verify.addAudience(settings.audience());
    }
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions().setJWTOptions(verify).addPubSecKey(new PubSecKeyOptions()
      .setAlgorithm(settings.algorithm()).setBuffer(settings.key())));
  }

  /**
   * The verified claims (without the raw token: services never see it), or a failure whose
   * message says what is wrong with the token. With {@code auth.requireExp} (the default), a
   * token without {@code exp} is refused: it would be valid forever.
   */
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
      .compose(user -> {
        JsonObject claims = user.principal().copy();
        claims.remove(QUERY_PARAM); // vertx-auth keeps the raw token in the principal
        // vertx-auth moves exp, iat and nbf out of the principal into the attributes
        if (requireExp && !(user.attributes().getValue("exp") instanceof Number)) {
          return Future.failedFuture("a token without \"exp\" is not accepted (auth.requireExp)");
        }
        return Future.succeededFuture(claims);
      })
      .recover(err -> Future.failedFuture(err.getMessage() != null && err.getMessage().contains("auth.requireExp")
        ? err.getMessage() : "invalid token: " + err.getMessage()));
  }

  /** The query string without the token parameter (what the service may see), or null. */
  public static String queryWithoutToken(String query) {
    if (query == null || query.isEmpty()) {
      return query;
    }
    StringBuilder kept = new StringBuilder();
    for (String pair : query.split("&")) {
      String name = pair.contains("=") ? pair.substring(0, pair.indexOf('=')) : pair;
      try {
        name = java.net.URLDecoder.decode(name, java.nio.charset.StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        // kept as written
      }
      if (!name.equals(QUERY_PARAM)) {
        kept.append(kept.length() == 0 ? "" : "&").append(pair);
      }
    }
    return kept.toString();
  }

  /** The Sec-WebSocket-Protocol value without the token that follows {@code bearer}. */
  public static String subprotocolsWithoutToken(String protocols) {
    if (protocols == null) {
      return null;
    }
    String[] parts = protocols.split(",");
    StringBuilder kept = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      kept.append(kept.length() == 0 ? "" : ", ").append(parts[i].trim());
      if (parts[i].trim().equalsIgnoreCase(SUBPROTOCOL)) {
        i++; // the token
      }
    }
    return kept.toString();
  }

  private static String token(HttpServerRequest request) {
    String query = request.getParam(QUERY_PARAM);
    if (query != null && !query.isBlank()) {
      return query;
    }
    String bearer = Secrets.bearer(request);
    if (bearer != null) {
      return bearer;
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
