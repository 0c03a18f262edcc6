package io.switchboard;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Batch;
import io.switchboard.protocol.Close;
import io.switchboard.protocol.Headers;
import io.switchboard.protocol.Op;
import io.switchboard.protocol.PeerReader;
import io.switchboard.service.Failover;
import io.switchboard.service.ServiceVerticle;
import io.switchboard.service.Session;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The service side of "each message a client numbered is taken once" (sb.seq, issue 13): a
 * service instance driven by raw event-bus messages from two fake gateways, as a gateway speaking
 * to a {@code switchboard.v1} client would send them.
 */
@DisplayName("Numbered client messages on the service side")
class SeqDedupTest {

  private static final String G1 = Addresses.gateway("fake1");
  private static final String G2 = Addresses.gateway("fake2");

  private Vertx vertx;
  private String instance;
  /** What the service saw, in order: "open sid rebind resume", "text sid TEXT", "close sid CODE". */
  private final List<String> seen = new CopyOnWriteArrayList<>();
  /** What each fake gateway got: "G text sid TEXT" / "G expired sid". */
  private final List<String> pushes = new CopyOnWriteArrayList<>();

  /** Records its callbacks; {@code who} answers the session's gateway and whether it was resumed. */
  public class Recorder extends ServiceVerticle {
    @Override
    protected String defaultName() {
      return "rec";
    }

    @Override
    protected Failover defaultFailover() {
      return Failover.REBIND;
    }

    @Override
    protected void onOpen(Session session) {
      seen.add("open " + session.id() + " " + session.isRebind() + " " + session.isResume());
    }

    @Override
    protected void onMessage(Session session, String text) {
      seen.add("text " + session.id() + " " + text);
      if ("who".equals(text)) {
        session.send("at " + session.gateway() + " resume " + session.isResume());
      }
    }

    @Override
    protected void onClose(Session session, int code, String reason) {
      seen.add("close " + session.id() + " " + code);
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    for (String g : List.of(G1, G2)) {
      String name = g.equals(G1) ? "G1" : "G2";
      await(vertx.eventBus().consumer(g, (Message<Object> msg) -> PeerReader.read(msg, new PeerReader.Receiver() {
        @Override
        public void text(String sid, String text) {
          pushes.add(name + " text " + sid + " " + text);
        }

        @Override
        public void binary(String sid, Buffer data) {
        }

        @Override
        public void close(String sid, Close close) {
          pushes.add(name + " close " + sid);
        }

        @Override
        public void expired(String sid) {
          pushes.add(name + " expired " + sid);
        }
      })).completion());
    }
    await(vertx.deployVerticle(new Recorder()));
  }

  @AfterEach
  void tearDown() throws Exception {
    await(vertx.close());
  }

  private void open(String sid, String gateway, boolean rebind, boolean resume) throws Exception {
    DeliveryOptions options = new DeliveryOptions().addHeader(Headers.OP, Op.OPEN.wire()).addHeader(Headers.SESSION, sid)
      .addHeader(Headers.GATEWAY, gateway);
    if (rebind) {
      options.addHeader(Headers.REBIND, "true");
    }
    if (resume) {
      options.addHeader(Headers.RESUME, "true");
    }
    String target = instance == null ? Addresses.service("rec") : instance;
    Message<Object> reply = await(vertx.eventBus().request(target, new JsonObject().put("path", "/rec"), options));
    instance = reply.headers().get(Headers.INSTANCE);
  }

  /** One batch from {@code gateway}: numbered texts ({@code seq} 0: unnumbered). */
  private void texts(String gateway, String sid, Object... seqAndText) {
    Buffer batch = Buffer.buffer();
    for (int i = 0; i < seqAndText.length; i += 2) {
      long seq = ((Number) seqAndText[i]).longValue();
      String text = (String) seqAndText[i + 1];
      if (seq > 0) {
        Batch.append(batch, Op.TEXT_SEQ, sid, Buffer.buffer().appendLong(seq).appendString(text));
      } else {
        Batch.append(batch, Op.TEXT, sid, Buffer.buffer(text));
      }
    }
    vertx.eventBus().send(instance, batch, new DeliveryOptions().addHeader(Headers.OP, Op.BATCH.wire())
      .addHeader(Headers.INSTANCE, gateway));
  }

  private void close(String gateway, String sid) {
    vertx.eventBus().send(instance, null, new DeliveryOptions().addHeader(Headers.OP, Op.CLOSE.wire())
      .addHeader(Headers.SESSION, sid).addHeader(Headers.CODE, "1001").addHeader(Headers.REASON, "gone")
      .addHeader(Headers.INSTANCE, gateway));
  }

  @Test
  @DisplayName("a numbered message whose number the session took already is dropped; unnumbered ones all pass")
  void duplicatesDropped() throws Exception {
    open("s1", G1, false, false);
    texts(G1, "s1", 1, "a", 2, "b", 2, "b again", 1, "a again", 3, "c", 0, "plain", 0, "plain");
    texts(G1, "s1", 3, "c again", 4, "d");
    until("the last message taken", () -> seen.contains("text s1 d"));
    assertEquals(List.of("open s1 false false", "text s1 a", "text s1 b", "text s1 c", "text s1 plain", "text s1 plain",
      "text s1 d"), seen);
  }

  @Test
  @DisplayName("a rebind open of a session that ended here continues from its last number: what the client sends again is not taken twice")
  void endedSessionContinues() throws Exception {
    open("s2", G1, false, false);
    texts(G1, "s2", 1, "one", 2, "two", 3, "three");
    close(G1, "s2");
    until("the session closed", () -> seen.contains("close s2 1001"));
    open("s2", G2, true, true);
    texts(G2, "s2", 2, "two", 3, "three", 4, "four");
    until("the new message taken", () -> seen.contains("text s2 four"));
    assertEquals(List.of("open s2 false false", "text s2 one", "text s2 two", "text s2 three", "close s2 1001",
      "open s2 true true", "text s2 four"), seen);
  }

  @Test
  @DisplayName("a rebind open of a session held here moves it to the new gateway and tells the old one expired: "
    + "no onClose, no onOpen, its numbers go on, and a late close from the old gateway is ignored")
  void heldSessionMoves() throws Exception {
    open("s3", G1, false, false);
    texts(G1, "s3", 1, "hello", 2, "who");
    until("the answer at G1", () -> pushes.contains("G1 text s3 at " + G1 + " resume false"));

    open("s3", G2, true, true);
    until("the old gateway told expired", () -> pushes.contains("G1 expired s3"));
    close(G1, "s3"); // the old socket closing: not the session's end any more
    texts(G2, "s3", 2, "who", 3, "who");
    until("the answer at G2", () -> pushes.contains("G2 text s3 at " + G2 + " resume true"));
    texts(G2, "s3", 4, "last");
    until("the last message taken", () -> seen.contains("text s3 last"));
    assertEquals(List.of("open s3 false false", "text s3 hello", "text s3 who", "text s3 who", "text s3 last"), seen,
      "one open, no close, number 2 taken once");
    assertEquals(List.of("G1 text s3 at " + G1 + " resume false", "G1 expired s3", "G2 text s3 at " + G2 + " resume true"),
      pushes);
  }
}
