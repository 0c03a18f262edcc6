package io.switchboard.protocol;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.eventbus.DeliveryOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

@DisplayName("A peer link and a peer reader")
class PeerLinkTest {

  private static final String LONG_REASON = "é".repeat(100); // 200 UTF-8 bytes

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    await(vertx.close());
  }

  @Test
  @DisplayName("carry every session message through batches unchanged, in order")
  void batchRoundTrip() throws Exception {
    assertEquals(expected(), roundTrip("peer.batched", true));
  }

  @Test
  @DisplayName("carry every session message through single messages with headers unchanged, in order")
  void headerRoundTrip() throws Exception {
    assertEquals(expected(), roundTrip("peer.single", false));
  }

  @Test
  @DisplayName("read a single close with an unreadable code as 1006, which a gateway sends as 1000")
  void unreadableCode() {
    Close close = Close.fromHeaders(new DeliveryOptions().addHeader(Headers.CODE, "x").getHeaders());
    assertEquals(new Close(1006, ""), close);
    assertEquals(CloseCodes.NORMAL, close.sendableCode());
    assertEquals(4001, new Close(4001, null).sendableCode());
  }

  @Test
  @DisplayName("cut a close reason to 123 UTF-8 bytes on a character boundary")
  void truncation() {
    String cut = new Close(1000, LONG_REASON).reason();
    assertEquals(61, cut.length());
    assertEquals(122, cut.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    assertEquals("short", Close.truncate("short"));
  }

  @Test
  @DisplayName("leave every other op to the caller")
  void otherOps() throws Exception {
    BlockingQueue<Boolean> read = new LinkedBlockingQueue<>();
    await(vertx.eventBus().consumer("peer.other", m -> read.add(PeerReader.read(m, new Recorder(new ArrayList<>()))))
      .completion());
    vertx.eventBus().send("peer.other", null, new DeliveryOptions().addHeader(Headers.OP, Op.DRAIN.wire()));
    assertFalse(read.poll(10, TimeUnit.SECONDS));
  }

  @Test
  @DisplayName("number session ops one way in the op table, and no other op")
  void opTable() {
    for (Op op : Op.values()) {
      assertEquals(op.isSessionMessage() ? op : null, Op.ofBatchByte(op.batchByte()));
      assertEquals(op, Op.of(op.wire()));
    }
    assertNull(Op.ofBatchByte((byte) 99));
  }

  private static List<String> expected() {
    return List.of("text s1 héllo ✓", "binary s2 [0, -1, 7]", "join s1 chat/lobby {}", "join s1 chat/rööm {\"name\":\"ada ✓\"}",
      "attr s1 name \"ada\"", "attr s1 room null", "attr s1 seen [1,{\"a\":true}]", "text s1 ",
      "leave s1 chat/lobby", "close s2 4001 " + Close.truncate(LONG_REASON));
  }

  private static List<String> roundTrip(String address, boolean batched) throws Exception {
    List<String> got = new ArrayList<>();
    BlockingQueue<Boolean> done = new LinkedBlockingQueue<>();
    Recorder recorder = new Recorder(got) {
      @Override
      public void close(String sessionId, Close close) {
        super.close(sessionId, close);
        done.add(true);
      }
    };
    await(vertx.eventBus().consumer(address, m -> PeerReader.read(m, recorder)).completion());
    Context context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      PeerLink link = new PeerLink(vertx.eventBus(), new Outbox(vertx.eventBus(), context), address, () -> batched);
      link.text("s1", "héllo ✓", null);
      link.binary("s2", Buffer.buffer(new byte[]{0, (byte) 255, 7}));
      link.join("s1", "chat/lobby");
      link.join("s1", "chat/rööm", new JsonObject().put("name", "ada ✓"));
      link.attribute("s1", "name", "ada");
      link.attribute("s1", "room", null);
      link.attribute("s1", "seen", new JsonArray().add(1).add(new JsonObject().put("a", true)));
      link.text("s1", "", Buffer.buffer());
      link.leave("s1", "chat/lobby");
      link.close("s2", new Close(4001, LONG_REASON));
    });
    assertEquals(Boolean.TRUE, done.poll(10, TimeUnit.SECONDS));
    return got;
  }

  private static class Recorder implements PeerReader.Receiver {
    private final List<String> got;

    Recorder(List<String> got) {
      this.got = got;
    }

    @Override
    public void text(String sessionId, String text) {
      got.add("text " + sessionId + " " + text);
    }

    @Override
    public void binary(String sessionId, Buffer data) {
      got.add("binary " + sessionId + " " + java.util.Arrays.toString(data.getBytes()));
    }

    @Override
    public void close(String sessionId, Close close) {
      got.add("close " + sessionId + " " + close.code() + " " + close.reason());
    }

    @Override
    public void join(String sessionId, String group, JsonObject meta) {
      got.add("join " + sessionId + " " + group + " " + meta.encode());
    }

    @Override
    public void attribute(String sessionId, String key, Object value) {
      got.add("attr " + sessionId + " " + key + " " + io.vertx.core.json.Json.encode(value));
    }

    @Override
    public void leave(String sessionId, String group) {
      got.add("leave " + sessionId + " " + group);
    }
  }
}
