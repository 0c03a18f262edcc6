package io.switchboard.gateway.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/** A gateway node's sessions, memberships and attributes, without a server. */
@DisplayName("A session registry")
class SessionRegistryTest {

  private final List<String> heard = new ArrayList<>();
  private final SessionRegistry registry = new SessionRegistry();

  SessionRegistryTest() {
    registry.configure(2, 20, 30, new SessionRegistry.Listener() {
      @Override
      public void joined(GatewaySession session, String group, JsonObject meta) {
        heard.add("j " + session.id + " " + group + " " + meta.encode());
      }

      @Override
      public void left(GatewaySession session, String group) {
        heard.add("l " + session.id + " " + group);
      }
    });
  }

  @Test
  @DisplayName("counts a session's attributes as their encoded JSON: exactly the limit is kept, a byte over is refused")
  void attributeBytes() {
    GatewaySession s = session("s1");
    registry.setAttribute(s, "a", "x".repeat(30 - "{\"a\":\"\"}".length())); // exactly 30 bytes of JSON
    assertEquals(30, s.attributes.encode().length());
    registry.setAttribute(s, "a", "x".repeat(30 - "{\"a\":\"\"}".length() + 1));
    assertEquals(30, s.attributes.encode().length(), "a byte over: refused, the old value kept");
    registry.setAttribute(s, "a", null);
    for (int i = 0; i < 100; i++) { // replacing and removing never drifts
      registry.setAttribute(s, "k" + (i % 3), i % 2 == 0 ? new JsonArray().add(i) : "v" + i);
      registry.setAttribute(s, "k" + ((i + 1) % 3), null);
      assertEquals(s.attributes.isEmpty() ? 0 : s.attributes.encode().length() - 1, s.attributeBytes);
    }
  }

  @Test
  @DisplayName("keeps a member's meta, replaces it on a second join, refuses past maxGroupsPerSession or maxMemberMetaBytes, and tells each")
  void memberships() {
    GatewaySession s = session("s1");
    registry.join(s, "svc/a", new JsonObject().put("n", "ada"));
    registry.join(s, "svc/a", new JsonObject().put("n", "bo"));
    registry.join(s, "svc/b", new JsonObject());
    registry.join(s, "svc/c", new JsonObject()); // a third group: refused
    registry.join(s, "svc/a", new JsonObject().put("n", "x".repeat(30))); // meta over 20 bytes: refused
    registry.leave(s, "svc/b");
    assertEquals(List.of("j s1 svc/a {\"n\":\"ada\"}", "j s1 svc/a {\"n\":\"bo\"}", "j s1 svc/b {}", "l s1 svc/c",
      "j s1 svc/a {\"n\":\"bo\"}", "l s1 svc/b"), heard);
    assertEquals(new JsonObject().put("a", new JsonObject().put("s1", new JsonObject().put("n", "bo"))), registry.snapshot("svc"),
      "the snapshot a sync answers: unqualified groups, ids, metas");
    assertEquals(new JsonObject(), registry.snapshot("other"), "nothing of another service");
    heard.clear();
    registry.remove(s);
    assertEquals(List.of("l s1 svc/a"), heard, "a removed session leaves its groups");
    assertEquals(0, registry.members("svc/a").size());
    assertNull(s.attributes);
  }

  private GatewaySession session(String id) {
    GatewaySession s = new GatewaySession(id, "svc", null, new JsonObject(), () -> { });
    registry.add(s);
    return s;
  }
}
