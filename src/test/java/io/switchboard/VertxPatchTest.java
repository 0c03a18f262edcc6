package io.switchboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.streams.impl.MessagePassingQueue;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.Queue;

/**
 * Switchboard's one patch of Vert.x (docs/vertx-patch.md): the multi-producer queue under every
 * connection's outbound queue starts small. The patch is a copy of one Vert.x 5.0.7 source file:
 * this test fails on any other Vert.x version, so that an upgrade re-derives it.
 */
@DisplayName("The patch of Vert.x's MessagePassingQueue")
class VertxPatchTest {

  @Test
  @DisplayName("is built for the Vert.x on the classpath (5.0.7)")
  void pinnedVersion() throws Exception {
    try (InputStream in = MessagePassingQueue.class.getClassLoader().getResourceAsStream("META-INF/vertx/vertx-version.txt")) {
      assertTrue(in != null, "vertx-core's version file");
      assertEquals("5.0.7", new String(in.readAllBytes(), StandardCharsets.UTF_8).trim(),
        "src/main/java/io/vertx/core/streams/impl/MessagePassingQueue.java is Vert.x 5.0.7's with one line changed:"
          + " copy the new version's file and change that line again (docs/vertx-patch.md)");
    }
  }

  @Test
  @DisplayName("is the class in use, and its queue is a linked one that takes 100 000 elements in order")
  void inUse() throws Exception {
    String from = String.valueOf(MessagePassingQueue.class.getProtectionDomain().getCodeSource().getLocation());
    assertFalse(from.contains("vertx-core"), "the patched copy, not vertx-core's, is loaded: " + from);
    MessagePassingQueue.MpSc<Integer> mpsc = new MessagePassingQueue.MpSc<>(e -> true);
    Field field = MessagePassingQueue.class.getDeclaredField("queue");
    field.setAccessible(true);
    @SuppressWarnings("unchecked")
    Queue<Integer> q = (Queue<Integer>) field.get(mpsc);
    assertEquals(java.util.concurrent.ConcurrentLinkedQueue.class, q.getClass());
    for (int i = 0; i < 100_000; i++) {
      assertTrue(q.offer(i), "offer " + i);
    }
    for (int i = 0; i < 100_000; i++) {
      assertEquals(i, q.poll());
    }
  }
}
