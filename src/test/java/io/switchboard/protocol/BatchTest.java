package io.switchboard.protocol;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.switchboard.testing.Await.await;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("A batch of session messages")
class BatchTest {

  @Test
  @DisplayName("reads back every record, in order, with its op, session and payload")
  void roundTrip() {
    Buffer batch = Buffer.buffer();
    Batch.append(batch, Op.TEXT, "n1.0", Buffer.buffer("héllo ✓"));
    Batch.append(batch, Op.BINARY, "n1.1", Buffer.buffer(new byte[]{0, (byte) 255, 7}));
    Batch.append(batch, Op.CLOSE, "n1.2", new Close(4001, "bye now").toPayload());
    Batch.append(batch, Op.JOIN, "n1.0", Buffer.buffer("chat/room:lobby"));
    Batch.append(batch, Op.TEXT, "n1.3", Buffer.buffer());
    List<String> read = new ArrayList<>();
    Batch.read(batch, (op, sid, payload) -> read.add(op + " " + sid + " " + (op == Op.CLOSE
      ? Close.fromPayload(payload)
      : op == Op.BINARY ? payload.getByte(1) + "/" + payload.length() : payload.toString())));
    assertEquals(List.of("TEXT n1.0 héllo ✓", "BINARY n1.1 -1/3", "CLOSE n1.2 Close[code=4001, reason=bye now]",
      "JOIN n1.0 chat/room:lobby", "TEXT n1.3 "), read);
  }

  @Test
  @DisplayName("goes out at 64 KiB without waiting for the end of the turn, the rest at the end, one batch per peer, in order")
  void flushRules() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      BlockingQueue<String> sent = new LinkedBlockingQueue<>();
      for (String peer : List.of("peer.a", "peer.b")) {
        await(vertx.eventBus().<Buffer>consumer(peer, m -> {
          List<String> records = new ArrayList<>();
          Batch.read(m.body(), (op, sid, payload) -> records.add(sid));
          sent.add(peer + " " + records);
        }).completion());
      }
      Context context = vertx.getOrCreateContext();
      Buffer tenKb = Buffer.buffer(new byte[10 * 1024]);
      context.runOnContext(v -> {
        Outbox outbox = new Outbox(vertx.eventBus(), context);
        for (int i = 0; i < 10; i++) {
          outbox.add("peer.a", Op.BINARY, "a" + i, tenKb);
        }
        outbox.add("peer.b", Op.TEXT, "b0", Buffer.buffer("small"));
      });
      List<String> got = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        got.add(sent.poll(10, TimeUnit.SECONDS));
      }
      // 7 records of 10 KiB reach 64 KiB and go at once; the other 3 at the end of the turn
      assertEquals(List.of("peer.a [a0, a1, a2, a3, a4, a5, a6]", "peer.a [a7, a8, a9]"),
        got.stream().filter(b -> b != null && b.startsWith("peer.a")).toList());
      assertEquals(List.of("peer.b [b0]"), got.stream().filter(b -> b != null && b.startsWith("peer.b")).toList());
      assertEquals(null, sent.poll(200, TimeUnit.MILLISECONDS), "nothing else was sent");
    } finally {
      await(vertx.close());
    }
  }
}
