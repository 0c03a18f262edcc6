package io.switchboard.history;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;

import static io.switchboard.testing.Await.await;
import static io.switchboard.testing.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link GroupHistory} store does, whatever holds it: the in-JVM store
 * ({@link GroupHistoryTest}) and the Hazelcast one ({@link HazelcastHistoryTest}) run these.
 */
abstract class HistorySemantics {

  /** The store appends go through. */
  abstract GroupHistory writer();

  /** The store reads go through (on Hazelcast, another member's). */
  abstract GroupHistory reader();

  abstract Vertx vertx();

  /** A service name no other test uses (declares are cluster-wide). */
  static String service() {
    return "t" + UUID.randomUUID().toString().substring(0, 8);
  }

  static Future<Appended> append(GroupHistory h, String group, Object... bodies) {
    return h.append(group, List.of(bodies));
  }

  /** Everything a group keeps after {@code position}, read in as many calls as it takes. */
  List<Replay.Entry> all(String group, String epoch, long position) throws Exception {
    List<Replay.Entry> out = new ArrayList<>();
    long from = position;
    while (true) {
      Replay r = await(reader().since(group, epoch, from, 300));
      assertEquals(Replay.Status.OK, r.status(), "reading " + group + " after " + from);
      out.addAll(r.entries());
      if (!r.more()) {
        return out;
      }
      from = r.entries().get(r.entries().size() - 1).position();
    }
  }

  @Test
  @DisplayName("positions are contiguous from 0, and each caller's appends are stored in its call order, under concurrent appends")
  void contiguousUnderConcurrency() throws Exception {
    String svc = service();
    await(writer().declare(svc, "room:*", new HistoryPolicy(10_000, 0)));
    String group = svc + "/room:a";
    int callers = 4;
    int each = 150;
    List<Future<List<Appended>>> done = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      int caller = c;
      Context context = vertx().getOrCreateContext();
      Promise<List<Appended>> all = Promise.promise();
      context.runOnContext(v -> {
        List<Future<Appended>> mine = new ArrayList<>();
        for (int i = 0; i < each; i++) {
          mine.add(append(writer(), group, caller + ":" + i));
        }
        Future.all(mine).map(cf -> {
          List<Appended> out = new ArrayList<>();
          mine.forEach(f -> out.add(f.result()));
          return out;
        }).onComplete(all);
      });
      done.add(all.future());
    }
    TreeMap<Long, String> byPosition = new TreeMap<>();
    String epoch = null;
    for (int c = 0; c < callers; c++) {
      List<Appended> appended = await(done.get(c));
      for (int i = 0; i < each; i++) {
        Appended a = appended.get(i);
        if (i > 0) {
          assertTrue(a.position() > appended.get(i - 1).position(), "caller " + c + "'s appends in call order");
        }
        assertNotNull(a.epoch());
        if (epoch == null) {
          epoch = a.epoch();
        }
        assertEquals(epoch, a.epoch(), "one epoch");
        assertEquals(null, byPosition.put(a.position(), c + ":" + i), "position " + a.position() + " given twice");
      }
    }
    assertEquals(0L, byPosition.firstKey());
    assertEquals(callers * each - 1L, byPosition.lastKey(), "contiguous: no position skipped");

    List<Replay.Entry> stored = all(group, epoch, -1);
    assertEquals(callers * each, stored.size());
    for (Replay.Entry e : stored) {
      assertEquals(byPosition.get(e.position()), e.body(), "the message stored at " + e.position());
    }
  }

  @Test
  @DisplayName("a String comes back a String and a Buffer a Buffer, byte for byte")
  void roundTrip() throws Exception {
    String svc = service();
    await(writer().declare(svc, "room:*", new HistoryPolicy(10, 0)));
    String group = svc + "/room:b";
    Buffer binary = Buffer.buffer(new byte[]{0, 1, 2, (byte) 0xff, 1});
    Appended first = await(append(writer(), group, "héllo ☃", binary, ""));
    assertEquals(0, first.position());
    List<Replay.Entry> stored = all(group, first.epoch(), -1);
    assertEquals(3, stored.size());
    assertEquals("héllo ☃", stored.get(0).body());
    assertInstanceOf(Buffer.class, stored.get(1).body());
    assertEquals(binary, stored.get(1).body());
    assertEquals("", stored.get(2).body());
  }

  @Test
  @DisplayName("a message kept with the session it was published except comes back with it, text or binary")
  void except() throws Exception {
    String svc = service();
    await(writer().declare(svc, "room:*", new HistoryPolicy(10, 0)));
    String group = svc + "/room:e";
    Buffer binary = Buffer.buffer(new byte[]{7, 0, 7});
    Appended first = await(append(writer(), group, new GroupHistory.Except("mine", "gw1.abcDEF_-"), "all",
      new GroupHistory.Except(binary, "gw2.x")));
    List<Replay.Entry> stored = all(group, first.epoch(), -1);
    assertEquals(3, stored.size());
    assertEquals("mine", stored.get(0).body());
    assertEquals("gw1.abcDEF_-", stored.get(0).except());
    assertEquals("all", stored.get(1).body());
    assertEquals(null, stored.get(1).except());
    assertEquals(binary, stored.get(2).body());
    assertEquals("gw2.x", stored.get(2).except());
  }

  @Test
  @DisplayName("a position the history no longer holds (pushed out by newer messages) reads TOO_OLD; one still held reads exactly what followed it")
  void tooOld() throws Exception {
    String svc = service();
    await(writer().declare(svc, "room:*", new HistoryPolicy(5, 0)));
    String group = svc + "/room:c";
    String epoch = null;
    for (int i = 0; i < 8; i++) {
      Appended a = await(append(writer(), group, "m" + i));
      assertEquals(i, a.position());
      epoch = a.epoch();
    }
    // kept: 3..7
    assertEquals(Replay.Status.TOO_OLD, await(reader().since(group, epoch, 0, 100)).status());
    assertEquals(Replay.Status.TOO_OLD, await(reader().since(group, epoch, 1, 100)).status());
    Replay fromTwo = await(reader().since(group, epoch, 2, 100));
    assertEquals(Replay.Status.OK, fromTwo.status());
    assertEquals(List.of("m3", "m4", "m5", "m6", "m7"), bodies(fromTwo));
    assertEquals(3, fromTwo.entries().get(0).position());
    Replay two = await(reader().since(group, epoch, 4, 2));
    assertEquals(List.of("m5", "m6"), bodies(two));
    assertTrue(two.more(), "more follow than the 2 asked for");
    Replay none = await(reader().since(group, epoch, 7, 100));
    assertEquals(Replay.Status.OK, none.status());
    assertTrue(none.entries().isEmpty() && !none.more(), "nothing after the last");
    assertEquals(List.of("m3", "m4", "m5", "m6", "m7"), bodies(await(reader().since(group, null, -1, 100))),
      "-1 reads all it keeps");
  }

  @Test
  @DisplayName("messages older than ttlSeconds are dropped: a position before them reads TOO_OLD, and positions go on")
  void timeToLive() throws Exception {
    String svc = service();
    await(writer().declare(svc, "room:*", new HistoryPolicy(100, 1)));
    String group = svc + "/room:d";
    Appended a = await(append(writer(), group, "old0", "old1", "old2"));
    until("the 1 s old messages dropped", 15_000,
      () -> await(reader().since(group, a.epoch(), 0, 100)).status() == Replay.Status.TOO_OLD);
    Appended next = await(append(writer(), group, "new"));
    assertEquals(3, next.position(), "positions go on after expired messages");
    assertEquals(a.epoch(), next.epoch());
    assertEquals(List.of("new"), bodies(await(reader().since(group, a.epoch(), 2, 100))));
  }

  @Test
  @DisplayName("another epoch, or a position past the stream's end (the stream started again), reads EPOCH_CHANGED")
  void epochChanged() throws Exception {
    String svc = service();
    await(writer().declare(svc, "room:*", new HistoryPolicy(10, 0)));
    String group = svc + "/room:e";
    Appended a = await(append(writer(), group, "a", "b"));
    Replay other = await(reader().since(group, "not-" + a.epoch(), 0, 10));
    assertEquals(Replay.Status.EPOCH_CHANGED, other.status());
    assertEquals(a.epoch(), other.epoch(), "with the epoch now");
    assertEquals(Replay.Status.EPOCH_CHANGED, await(reader().since(group, a.epoch(), 5, 10)).status());
    assertEquals(List.of("b"), bodies(await(reader().since(group, a.epoch(), 0, 10))));
  }

  @Test
  @DisplayName("a group never written reads OK and empty without an epoch, EPOCH_CHANGED for a client's epoch; "
    + "an append to a group no pattern declares fails")
  void neverWritten() throws Exception {
    String svc = service();
    await(writer().declare(svc, "room:*", new HistoryPolicy(10, 0)));
    Replay empty = await(reader().since(svc + "/room:never", null, -1, 10));
    assertEquals(Replay.Status.OK, empty.status());
    assertTrue(empty.entries().isEmpty());
    assertEquals(null, empty.epoch());
    assertEquals(Replay.Status.EPOCH_CHANGED, await(reader().since(svc + "/room:never", "e1", 3, 10)).status());
    Throwable refused = writer().append(svc + "/lobby", List.of("x")).toCompletionStage().handle((v, e) -> e)
      .toCompletableFuture().get();
    assertNotNull(refused, "an append outside the declared patterns");
    assertTrue(refused.getMessage().contains("has no history"), refused.getMessage());
  }

  @Test
  @DisplayName("declaring a pattern again with another policy fails naming both; the same policy again is fine")
  void declareConflict() throws Exception {
    String svc = service();
    await(writer().declare(svc, "room:*", new HistoryPolicy(10, 60)));
    await(reader().declare(svc, "room:*", new HistoryPolicy(10, 60)));
    Throwable conflict = reader().declare(svc, "room:*", new HistoryPolicy(20, 60)).toCompletionStage()
      .handle((v, e) -> e).toCompletableFuture().get();
    assertNotNull(conflict, "a conflicting declare");
    assertTrue(conflict.getMessage().contains(svc + "/room:*") && conflict.getMessage().contains("size 10")
      && conflict.getMessage().contains("size 20"), conflict.getMessage());
    Throwable bad = writer().declare(svc, "ro*m", new HistoryPolicy(10, 60)).toCompletionStage()
      .handle((v, e) -> e).toCompletableFuture().get();
    assertNotNull(bad);
    assertTrue(bad.getMessage().contains("prefix ending with one '*'"), bad.getMessage());
  }

  static List<Object> bodies(Replay r) {
    List<Object> out = new ArrayList<>();
    r.entries().forEach(e -> out.add(e.body()));
    return out;
  }
}
