package io.switchboard.gateway.impl;

import io.switchboard.gateway.GatewayOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.switchboard.history.Appended;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * Resume tokens of {@code switchboard.v1} sessions: what a client shows to take its session up
 * again on any gateway of the cluster. A token is {@code base64url(JSON) "." base64url(HMAC-SHA256)}
 * and carries the session's id, service, instance, attributes and groups (with their meta), where
 * each group's stream stood when the session joined it, and an expiry. Signed, not encrypted: the
 * client can read it (attributes included: keep secrets out of session attributes) but cannot
 * change it. Nothing is stored per session: the
 * gateways only share the key, set in {@code resume.secret} or else drawn once per cluster and kept
 * in the cluster-wide map {@code switchboard.resume}.
 */
final class ResumeTokens {

  private static final String MAP = "switchboard.resume";
  private static final String KEY = "hmac-sha256";
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64D = Base64.getUrlDecoder();

  /** A verified token's session, or why it cannot be resumed. */
  record Claim(String sessionId, String service, String instance, JsonObject attributes, JsonObject groups,
               Map<String, Appended> joinedAt, String refusal) {
    boolean valid() {
      return refusal == null;
    }

    static Claim refused(String why) {
      return new Claim(null, null, null, null, null, Map.of(), why);
    }
  }

  private final long ttlMs;
  /** One initialised Mac per thread (a provider lookup and key set-up per token cost more than the HMAC). */
  private final ThreadLocal<Mac> mac;

  private ResumeTokens(byte[] key, long ttlMs) {
    SecretKeySpec spec = new SecretKeySpec(key, "HmacSHA256");
    this.ttlMs = ttlMs;
    this.mac = ThreadLocal.withInitial(() -> {
      try {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(spec);
        return m;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 unavailable", e);
      }
    });
  }

  /** The tokens of this gateway: with the configured key, or the cluster's shared one (drawn by the first gateway). */
  static Future<ResumeTokens> start(Vertx vertx, GatewayOptions options) {
    if (options.resumeSecret() != null) {
      return Future.succeededFuture(new ResumeTokens(options.resumeSecret().getBytes(StandardCharsets.UTF_8),
        options.resumeTokenTtlMs()));
    }
    byte[] mine = new byte[32];
    new SecureRandom().nextBytes(mine);
    String drawn = B64.encodeToString(mine);
    return vertx.sharedData().<String, String>getAsyncMap(MAP)
      .compose(map -> map.putIfAbsent(KEY, drawn))
      .map(previous -> new ResumeTokens(B64D.decode(previous != null ? previous : drawn), options.resumeTokenTtlMs()));
  }

  /** A token for the session as it is now, valid for {@code resume.tokenTtlMs}. */
  String issue(GatewaySession session, long nowMs) {
    JsonObject groups = session.serviceGroups();
    JsonObject claim = new JsonObject()
      .put("sid", session.id)
      .put("svc", session.service)
      .put("inst", session.instance)
      .put("exp", nowMs + ttlMs)
      .put("attrs", session.attributes == null ? new JsonObject() : session.attributes)
      .put("groups", groups);
    if (session.v1 != null && session.v1.joinedAt != null) {
      JsonObject base = new JsonObject();
      session.v1.joinedAt.forEach((group, at) -> {
        if (groups.containsKey(group)) {
          base.put(group, new JsonArray().add(at.epoch()).add(at.position()));
        }
      });
      claim.put("base", base);
    }
    String body = B64.encodeToString(claim.toBuffer().getBytes());
    return body + "." + B64.encodeToString(sign(body));
  }

  /** Checks a token shown for {@code service} at {@code nowMs} (ms since the epoch). */
  Claim verify(String token, String service, long nowMs) {
    int dot = token == null ? -1 : token.indexOf('.');
    if (dot <= 0) {
      return Claim.refused("malformed token");
    }
    String body = token.substring(0, dot);
    byte[] mac;
    JsonObject claim;
    try {
      mac = B64D.decode(token.substring(dot + 1));
      if (!MessageDigest.isEqual(mac, sign(body))) {
        return Claim.refused("token not signed by this cluster");
      }
      claim = new JsonObject(Buffer.buffer(B64D.decode(body)));
    } catch (IllegalArgumentException | DecodeException e) {
      return Claim.refused("malformed token");
    }
    if (claim.getLong("exp", 0L) < nowMs) {
      return Claim.refused("token expired");
    }
    if (!service.equals(claim.getString("svc"))) {
      return Claim.refused("token of another service");
    }
    Object attrs = claim.getValue("attrs");
    Object groups = claim.getValue("groups");
    Map<String, Appended> joinedAt = new HashMap<>();
    if (claim.getValue("base") instanceof JsonObject) {
      for (Map.Entry<String, Object> e : claim.getJsonObject("base")) {
        if (e.getValue() instanceof JsonArray && ((JsonArray) e.getValue()).size() == 2) {
          JsonArray at = (JsonArray) e.getValue();
          joinedAt.put(e.getKey(), new Appended(((Number) at.getValue(1)).longValue(), (String) at.getValue(0)));
        }
      }
    }
    return new Claim(claim.getString("sid"), service, claim.getString("inst"),
      attrs instanceof JsonObject ? (JsonObject) attrs : new JsonObject(),
      groups instanceof JsonObject ? (JsonObject) groups : new JsonObject(), joinedAt, null);
  }

  private byte[] sign(String body) {
    return mac.get().doFinal(body.getBytes(StandardCharsets.US_ASCII)); // doFinal resets it for the next
  }
}
