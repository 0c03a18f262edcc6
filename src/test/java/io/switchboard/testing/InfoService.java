package io.switchboard.testing;

import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
import io.vertx.core.json.JsonObject;

/**
 * A fake service for gateway tests that tells a client what the service was told about its
 * session: {@code info} answers a JSON object with the session's id, path, query, headers and
 * claims; anything else is echoed.
 */
public class InfoService extends ServiceVerticle {

  @Override
  protected String defaultName() {
    return "info";
  }

  @Override
  protected void onOpen(Session session) {
  }

  @Override
  protected void onMessage(Session session, String text) {
    if (text.equals("info")) {
      session.send(new JsonObject().put("id", session.id()).put("path", session.path())
        .put("query", session.query()).put("headers", session.headers()).put("claims", session.claims()).encode());
    } else {
      session.send(text);
    }
  }

  @Override
  protected void onClose(Session session, int code, String reason) {
  }
}
