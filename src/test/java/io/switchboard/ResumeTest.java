package io.switchboard;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.switchboard.gateway.GatewayVerticle;
import io.switchboard.testing.Await;
import io.switchboard.testing.PresenceService;
import io.switchboard.testing.WsClient;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code switchboard.v1} client protocol at one gateway (docs/protocol.md#resume): hello and
 * welcome, numbered messages and their acks, tokens, and a resume that restores the session's
 * id, attributes and groups, or says why it could not.
 */
@DisplayName("A switchboard.v1 client")
class ResumeTest {

  private static Vertx vertx;
  private static int port;

  @BeforeAll
  static void deploy() throws Exception {
    vertx = Vertx.vertx();
    GatewayVerticle gateway = new GatewayVerticle();
    JsonObject conf = new JsonObject().put("host", "127.0.0.1").put("port", 0)
      .put("routes", new JsonObject().put("/presence", "presence").put("/room", "room").put("/chat", "chat"));
    JsonObject room = new JsonObject().put("name", "room")
      .put("history", new JsonObject().put("room", new JsonObject().put("size", 5).put("ttlSeconds", 0))
        .put("room-*", new JsonObject().put("size", 5).put("ttlSeconds", 0)));
    await(vertx.deployVerticle(new PresenceService())
      .compose(id -> vertx.deployVerticle(new RoomService(), new DeploymentOptions().setConfig(room)))
      .compose(id -> vertx.deployVerticle(new io.switchboard.demo.ChatService(), new DeploymentOptions().setConfig(
        new JsonObject().put("history", new JsonObject().put("room:*", new JsonObject().put("size", 100))))))
      .compose(id -> vertx.deployVerticle(gateway, new DeploymentOptions().setConfig(conf))));
    port = gateway.actualPort();
  }

  @AfterAll
  static void close() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("says hello, is welcomed with its session and a token, and has its numbered messages acked and answered")
  void helloAndAcks() {
    try (V1 c = V1.connect("a")) {
      JsonObject welcome = c.hello();
      assertTrue(welcome.getString("session").contains("."), welcome.encode());
      assertFalse(welcome.getString("token").isEmpty());
      c.msg(1, "state");
      c.msg(2, "state");
      JsonObject state = c.data();
      assertEquals(welcome.getString("session"), state.getString("id"), "the service sees the session the client was told");
      c.data();
      assertEquals(2, c.lastAck, "both numbered messages were acked");
    }
  }

  @Test
  @DisplayName("is closed 1008 when its first frame is not hello or resume, or a frame is not the protocol's")
  void violations() {
    try (V1 c = V1.connect("b")) {
      c.ws.send(new JsonObject().put("type", "msg").put("seq", 1).put("data", "x"));
      assertEquals(1008, c.ws.awaitClose());
      assertTrue(c.ws.closeReason().contains("hello or resume"), c.ws.closeReason());
    }
    try (V1 c = V1.connect("c")) {
      c.hello();
      c.ws.send("not json");
      assertEquals(1008, c.ws.awaitClose());
    }
    try (V1 c = V1.connect("d")) {
      c.hello();
      c.ws.send(new JsonObject().put("type", "msg").put("seq", 0).put("data", "x"));
      assertEquals(1008, c.ws.awaitClose());
      assertTrue(c.ws.closeReason().contains("seq"), c.ws.closeReason());
    }
  }

  @Test
  @DisplayName("resumes its session on a new connection: same id, attributes and groups; what it sends again is taken once")
  void resumeRestores() {
    String sid;
    String token;
    try (V1 c = V1.connect("e")) {
      sid = c.hello().getString("session");
      c.msg(1, "join:room:{\"name\":\"eve\"}");
      c.data();
      c.msg(2, "attr:name:\"eve\"");
      c.data();
      token = c.awaitTokenAfter(2);
    }
    try (V1 c = V1.connect("e2")) {
      JsonObject resumed = c.resume(token, new JsonObject());
      assertEquals(sid, resumed.getString("session"));
      assertTrue(resumed.getBoolean("restored"), resumed.encode());
      assertTrue(resumed.getBoolean("recovered"), resumed.encode());
      c.msg(3, "state");
      JsonObject state = c.data();
      assertEquals(sid, state.getString("id"));
      assertTrue(state.getBoolean("rebind"), "the service sees a resumed session as a rebind");
      assertEquals("eve", state.getJsonObject("attributes").getString("name"));
      assertEquals(new JsonArray().add("room"), state.getJsonArray("groups"));
    }
  }

  @Test
  @DisplayName("takes its session over from its previous connection that still looks open (closed 1008)")
  void resumeSupersedes() {
    V1 old = V1.connect("f");
    String sid = old.hello().getString("session");
    old.msg(1, "join:lobby");
    old.data();
    String token = old.awaitTokenAfter(1);
    try (V1 c = V1.connect("f2")) {
      JsonObject resumed = c.resume(token, new JsonObject());
      assertEquals(sid, resumed.getString("session"));
      assertTrue(resumed.getBoolean("restored"), resumed.encode());
      assertEquals(1008, old.ws.awaitClose(), "the previous connection is closed, with a code clients do not retry");
      c.msg(2, "state");
      JsonObject state = c.data();
      assertEquals(sid, state.getString("id"));
      assertEquals(new JsonArray().add("lobby"), state.getJsonArray("groups"));
    } finally {
      old.close();
    }
  }

  @Test
  @DisplayName("with a token that is not the cluster's gets a new session, told it was not restored and why")
  void badToken() {
    try (V1 c = V1.connect("g")) {
      String real = c.hello().getString("token");
      String forged = real.substring(0, real.indexOf('.')) + ".AAAA";
      try (V1 d = V1.connect("g2")) {
        JsonObject resumed = d.resume(forged, new JsonObject());
        assertFalse(resumed.getBoolean("restored"), resumed.encode());
        assertFalse(resumed.getBoolean("recovered"), resumed.encode());
        assertTrue(resumed.getString("reason").contains("not signed"), resumed.encode());
        d.msg(1, "state");
        assertNotEquals(c.session, d.data().getString("id"), "a new session");
      }
    }
  }

  @Test
  @DisplayName("gets exactly the group messages it missed, in order, then resumed, then newer ones, none twice; what it sends again is taken once")
  void replaysMissed() {
    try (V1 b = V1.connect("/room", "h-b")) {
      b.hello();
      V1 a = V1.inRoom("h-a");
      String token = a.token;
      b.msg(1, "say m0");
      JsonObject m0 = a.next("msg");
      assertEquals("m0", m0.getString("data"));
      assertEquals("room", m0.getString("group"));
      a.close();
      for (int i = 1; i <= 3; i++) {
        b.msg(1 + i, "say m" + i);
      }
      long p3 = m0.getLong("position") + 3;
      Await.until("m3 stored", 10_000, () -> b.next("msg").getString("data"), d -> d.equals("said " + p3));
      try (V1 again = V1.connect("/room", "h-a2")) {
        again.ws.send(new JsonObject().put("type", "resume").put("token", token).put("positions", new JsonObject()
          .put("room", new JsonObject().put("epoch", m0.getString("epoch")).put("position", m0.getLong("position")))));
        for (int i = 1; i <= 3; i++) {
          JsonObject m = again.next("msg");
          assertEquals("m" + i, m.getString("data"));
          assertEquals(m0.getLong("position") + i, m.getLong("position"));
        }
        JsonObject resumed = again.next("resumed");
        assertTrue(resumed.getBoolean("recovered"), resumed.encode());
        assertEquals(3, resumed.getInteger("missed"));
        again.msg(1, "join"); // sent again, as if its ack had been lost: taken once, so no second "joined"
        again.next("ack");
        b.msg(5, "say m4");
        assertEquals("m4", again.next("msg").getString("data"));
        again.ws.assertQuiet(500);
      }
    }
  }

  @Test
  @DisplayName("gets the messages at the positions it says it lacks (overtaken by later ones) besides those after its last")
  void replaysGaps() {
    try (V1 b = V1.connect("/room", "g-b")) {
      b.hello();
      V1 a = V1.inRoom("g-a");
      String token = a.token;
      b.msg(1, "say g0");
      JsonObject g0 = a.next("msg");
      a.close();
      for (int i = 1; i <= 3; i++) {
        b.msg(1 + i, "say g" + i);
      }
      long p0 = g0.getLong("position");
      Await.until("g3 stored", 10_000, () -> b.next("msg").getString("data"), d -> d.equals("said " + (p0 + 3)));
      try (V1 again = V1.connect("/room", "g-a2")) {
        again.ws.send(new JsonObject().put("type", "resume").put("token", token).put("positions", new JsonObject()
          .put("room", new JsonObject().put("epoch", g0.getString("epoch")).put("position", p0 + 2)
            .put("missing", new JsonArray().add(p0 + 1)))));
        assertEquals("g1", again.next("msg").getString("data"));
        assertEquals("g3", again.next("msg").getString("data"), "g2 it had");
        assertEquals(2, again.next("resumed").getInteger("missed"));
      }
    }
  }

  @Test
  @DisplayName("recovers a group it got no message of, from where the group stood when it joined (new or not)")
  void recoversFromJoin() {
    try (V1 b = V1.connect("/room", "j-b")) {
      b.hello();
      b.msg(1, "in room-k k0"); // before a joins: not for it
      Await.until("k0 stored", 10_000, () -> b.next("msg").getString("data"), d -> d.startsWith("said"));
      V1 a = V1.connect("/room", "j-a");
      a.hello();
      a.msg(1, "join room-q"); // a group nobody wrote yet
      a.msg(2, "join room-k");
      String token = a.awaitToken();
      while (!claim(token).containsKey("base") || claim(token).getJsonObject("base").size() < 2) {
        token = a.awaitToken(); // the token once both joins noted where their groups stood
      }
      a.close();
      b.msg(2, "in room-q q1");
      b.msg(3, "in room-k k1");
      b.msg(4, "in room-q q2");
      for (int i = 0; i < 3; i++) {
        assertTrue(b.next("msg").getString("data").startsWith("said"), "each stored");
      }
      try (V1 again = V1.connect("/room", "j-a2")) {
        again.ws.send(new JsonObject().put("type", "resume").put("token", token).put("positions", new JsonObject()));
        List<String> got = new ArrayList<>();
        JsonObject resumed = null;
        while (resumed == null) {
          JsonObject frame = again.ws.nextJson();
          if ("msg".equals(frame.getString("type"))) {
            got.add(frame.getString("group") + ":" + frame.getString("data"));
          } else if ("resumed".equals(frame.getString("type"))) {
            resumed = frame;
          }
        }
        assertTrue(resumed.getBoolean("recovered"), resumed.encode());
        assertEquals(3, resumed.getInteger("missed"), got.toString());
        assertEquals(List.of("room-q:q1", "room-q:q2"), got.stream().filter(m -> m.startsWith("room-q")).toList());
        assertEquals(List.of("room-k:k1"), got.stream().filter(m -> m.startsWith("room-k")).toList(), "k0 came before it joined");
      }
    }
  }

  @Test
  @DisplayName("cannot resume a session its service closed: the resume gets the service's close again")
  void kickedStaysOut() {
    V1 a = V1.inRoom("k-a");
    String token = a.token;
    a.msg(2, "kick");
    assertEquals(4003, a.ws.awaitClose());
    try (V1 again = V1.connect("/room", "k-a2")) {
      again.ws.send(new JsonObject().put("type", "resume").put("token", token).put("positions", new JsonObject()));
      assertEquals(4003, again.ws.awaitClose(), "the service's close, not the session back");
      assertEquals("kicked", again.ws.closeReason());
    } finally {
      a.close();
    }
  }

  @Test
  @DisplayName("is closed 1008 for a binary frame before its hello")
  void binaryBeforeHello() {
    try (V1 c = V1.connect("/room", "bin")) {
      c.ws.send(io.vertx.core.buffer.Buffer.buffer(new byte[]{1, 2, 3}));
      assertEquals(1008, c.ws.awaitClose());
    }
  }

  @Test
  @DisplayName("is not replayed what was published except it (its own message), though the others are")
  void replaySkipsExcept() {
    try (V1 b = V1.connect("/room", "x-b")) {
      b.hello();
      b.msg(1, "join");
      b.next("msg");
      V1 a = V1.inRoom("x-a");
      String token = a.token;
      b.msg(2, "say before");
      JsonObject before = a.next("msg");
      assertEquals("before", before.getString("data"));
      a.msg(2, "tell from-a");
      Await.until("a's message stored", 10_000, () -> a.next("msg").getString("data"), d -> d.startsWith("told"));
      Await.until("b got a's message live", 10_000, () -> b.next("msg").getString("data"), "from-a"::equals);
      a.close();
      b.msg(3, "say after");
      try (V1 again = V1.connect("/room", "x-a2")) {
        again.ws.send(new JsonObject().put("type", "resume").put("token", token).put("positions", new JsonObject()
          .put("room", new JsonObject().put("epoch", before.getString("epoch")).put("position", before.getLong("position")))));
        assertEquals("after", again.next("msg").getString("data"), "its own message is not replayed to it");
        JsonObject resumed = again.next("resumed");
        assertTrue(resumed.getBoolean("recovered"), resumed.encode());
        assertEquals(1, resumed.getInteger("missed"));
      }
    }
  }

  @Test
  @DisplayName("is told recovery failed when the group's history no longer reaches back to it, or its epoch changed; the session lives on")
  void recoveryFails() {
    try (V1 b = V1.connect("/room", "f-b")) {
      b.hello();
      V1 a = V1.inRoom("f-a");
      String token = a.token;
      b.msg(1, "say first");
      JsonObject first = a.next("msg");
      a.close();
      for (int i = 0; i < 8; i++) {
        b.msg(2 + i, "say later" + i); // the history keeps 5
      }
      Await.until("all stored", 10_000, () -> b.next("msg").getString("data"), d -> d.equals("said " + (first.getLong("position") + 8)));
      try (V1 again = V1.connect("/room", "f-a2")) {
        JsonObject resumed = again.resume(token, new JsonObject().put("room", new JsonObject()
          .put("epoch", first.getString("epoch")).put("position", first.getLong("position"))));
        assertTrue(resumed.getBoolean("restored"), resumed.encode());
        assertFalse(resumed.getBoolean("recovered"), resumed.encode());
        assertEquals("history too short for room", resumed.getString("reason"));
        token = resumed.getString("token");
        again.msg(2, "say still here"); // numbers go on across resumes: 1 was "join"
        assertEquals("still here", again.next("msg").getString("data"), "the session lives on, in its group");
      }
      try (V1 third = V1.connect("/room", "f-a3")) {
        JsonObject resumed = third.resume(token, new JsonObject().put("room", new JsonObject()
          .put("epoch", "not-" + first.getString("epoch")).put("position", first.getLong("position") + 9)));
        assertFalse(resumed.getBoolean("recovered"), resumed.encode());
        assertEquals("epoch changed for room", resumed.getString("reason"));
      }
    }
  }

  @Test
  @DisplayName("in the demo chat: a user whose connection ended is heard to log off, and to come back when it resumes, in its room")
  void chatResume() {
    try (WsClient bob = WsClient.connect(vertx, port, "/chat", "bob")) {
      bob.nextJson();
      bob.nextJson();
      bob.send("{\"type\":\"name\",\"name\":\"bob\"}");
      bob.send("{\"type\":\"create\",\"chatroom\":\"r-lobby\"}");
      bob.send("{\"type\":\"join\",\"chatroom\":\"r-lobby\"}");
      V1 ada = V1.connect("/chat", "ada");
      ada.hello();
      ada.msg(1, "{\"type\":\"name\",\"name\":\"ada\"}");
      ada.msg(2, "{\"type\":\"join\",\"chatroom\":\"r-lobby\"}");
      Await.until("ada in the lobby, as bob hears", 10_000, () -> bob.nextJson().encode(), e -> e.contains("\"newuser\"") && e.contains("ada"));
      String token = ada.awaitToken();
      while (!claim(token).getJsonObject("groups").containsKey("room:r-lobby")) {
        token = ada.awaitToken(); // the token once the join took effect
      }
      ada.close();
      Await.until("ada logged off, as bob hears", 10_000, () -> bob.nextJson().encode(), e -> e.contains("\"logoff\"") && e.contains("ada"));
      try (V1 back = V1.connect("/chat", "ada2")) {
        assertTrue(back.resume(token, new JsonObject()).getBoolean("restored"));
        Await.until("ada back, as bob hears", 10_000, () -> bob.nextJson().encode(), e -> e.contains("\"newuser\"") && e.contains("ada"));
        bob.send("{\"type\":\"message\",\"message\":\"welcome back\"}");
        Await.until("bob's message reaches ada in the lobby", 10_000, () -> back.next("msg").getString("data"),
          d -> d.contains("welcome back"));
      }
    }
  }

  /** What a resume token carries (its signed JSON part; the client has no use for it, a test does). */
  private static JsonObject claim(String token) {
    return new JsonObject(io.vertx.core.buffer.Buffer.buffer(java.util.Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.')))));
  }

  /**
   * One group with a history of 5: {@code join} joins it; {@code say X} publishes X there and
   * answers {@code said <position>}; {@code tell X} the same to every member but the sender ({@code told}).
   */
  public static class RoomService extends io.switchboard.service.ServiceVerticle {
    @Override
    protected String defaultName() {
      return "room";
    }

    @Override
    protected void onMessage(io.switchboard.service.Session session, String text) {
      if (text.equals("join")) {
        session.join("room");
        session.send("joined");
      } else if (text.startsWith("say ")) {
        publish("room", text.substring(4)).onSuccess(p -> session.send("said " + p));
      } else if (text.equals("kick")) {
        session.close(4003, "kicked");
      } else if (text.startsWith("join ")) {
        session.join(text.substring(5));
        session.send("joined");
      } else if (text.startsWith("in ")) { // in <group> <text>
        String[] w = text.split(" ", 3);
        publish(w[1], w[2]).onSuccess(p -> session.send("said " + p));
      } else if (text.startsWith("tell ")) {
        publish("room", text.substring(5), session).onSuccess(p -> session.send("told " + p));
      }
    }
  }

  /** A switchboard.v1 client over the test WebSocket client. */
  private static final class V1 implements AutoCloseable {
    final WsClient ws;
    long lastAck;
    String token;
    String session;
    /** Pushes that came while another frame was awaited (e.g. before the welcome). */
    final java.util.ArrayDeque<JsonObject> early = new java.util.ArrayDeque<>();

    private V1(WsClient ws) {
      this.ws = ws;
    }

    static V1 connect(String name) {
      return connect("/presence", name);
    }

    static V1 connect(String path, String name) {
      return new V1(WsClient.connect(vertx, new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI(path).addSubProtocol("switchboard.v1"), name));
    }

    /** A client on /room in the group "room" (its join answered), holding the token that names the group. */
    static V1 inRoom(String name) {
      V1 c = connect("/room", name);
      c.hello();
      c.msg(1, "join");
      c.next("msg");
      c.token = c.awaitToken();
      return c;
    }

    /** The next token frame's token. */
    String awaitToken() {
      return next("token").getString("token");
    }

    JsonObject hello() {
      ws.send(new JsonObject().put("type", "hello"));
      JsonObject welcome;
      while (true) { // pushes the service made while it opened the session may come first
        JsonObject frame = ws.nextJson();
        if ("welcome".equals(frame.getString("type"))) {
          welcome = frame;
          break;
        }
        assertEquals("msg", frame.getString("type"), frame.encode());
        early.add(frame);
      }
      session = welcome.getString("session");
      token = welcome.getString("token");
      return welcome;
    }

    JsonObject resume(String token, JsonObject positions) {
      ws.send(new JsonObject().put("type", "resume").put("token", token).put("positions", positions));
      JsonObject resumed = next("resumed");
      this.token = resumed.getString("token");
      return resumed;
    }

    void msg(long seq, String data) {
      ws.send(new JsonObject().put("type", "msg").put("seq", seq).put("data", data));
    }

    /** The data of the next msg frame, as JSON. */
    JsonObject data() {
      return new JsonObject(next("msg").getString("data"));
    }

    /** The token of a token frame that comes once message {@code seq} was acked. */
    String awaitTokenAfter(long seq) {
      JsonObject frame = next("token");
      assertTrue(lastAck >= seq || lastAck == 0, "acks come in order");
      return frame.getString("token");
    }

    /** The next frame of that type; acks and tokens met on the way are noted, msg frames kept for later. */
    JsonObject next(String type) {
      if (type.equals("msg") && !early.isEmpty()) {
        return early.poll();
      }
      for (int i = 0; i < 100; i++) {
        JsonObject frame = ws.nextJson();
        String got = frame.getString("type");
        if ("ack".equals(got)) {
          assertTrue(frame.getLong("seq") > lastAck, "acks only grow: " + frame.encode());
          lastAck = frame.getLong("seq");
        } else if ("token".equals(got)) {
          token = frame.getString("token");
        }
        if (type.equals(got)) {
          return frame;
        }
        if ("msg".equals(got)) {
          early.add(frame); // kept for a later next("msg"), in order
        } else if (!"ack".equals(got) && !"token".equals(got)) {
          fail(ws + ": expected a " + type + " frame, got " + frame.encode());
        }
      }
      throw new AssertionError("no " + type + " frame");
    }

    @Override
    public void close() {
      ws.close();
    }
  }
}
