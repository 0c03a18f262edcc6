package io.switchboard.gateway.impl;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The gateway's replay buffer")
class ReplayBufferTest {

  @Test
  @DisplayName("replays what was sent at or after a time, oldest first, text and binary alike")
  void since() {
    ReplayBuffer buffer = new ReplayBuffer(5000, 10, 1000);
    Buffer binary = Buffer.buffer("bin");
    buffer.remember("one", 100);
    buffer.remember("two", 200);
    buffer.remember(binary, 300);
    assertEquals(List.of("two", binary), buffer.since(200));
    assertSame(binary, buffer.since(300).get(0));
    assertEquals(List.of(), buffer.since(301));
    assertTrue(buffer.covers(Long.MIN_VALUE + 1), "nothing was let go");
  }

  @Test
  @DisplayName("lets messages older than its window go, and no longer covers their time")
  void window() {
    ReplayBuffer buffer = new ReplayBuffer(1000, 10, 1000);
    buffer.remember("old", 0);
    buffer.remember("new", 1500);
    assertEquals(List.of("new"), buffer.since(0));
    assertFalse(buffer.covers(0), "'old' (sent at 0) is gone");
    assertTrue(buffer.covers(1), "everything sent after 0 is kept");
  }

  @Test
  @DisplayName("lets a quiet socket's messages go once they age past the window, without a new message to push them out")
  void expire() {
    ReplayBuffer buffer = new ReplayBuffer(1000, 10, 1000);
    buffer.remember("one", 0);
    buffer.remember("two", 500);
    buffer.expire(1200);
    assertEquals(List.of("two"), buffer.since(0), "'one' aged out, 'two' has not yet");
    buffer.expire(1600);
    assertEquals(0, buffer.size());
    assertEquals(0, buffer.bytes());
    assertFalse(buffer.covers(500), "a replay from 500 would miss 'two'");
    assertTrue(buffer.covers(501));
  }

  @Test
  @DisplayName("keeps at most its message count, letting the oldest go")
  void count() {
    ReplayBuffer buffer = new ReplayBuffer(5000, 3, 1000);
    for (int i = 0; i < 5; i++) {
      buffer.remember("m" + i, i * 10);
    }
    assertEquals(3, buffer.size());
    assertEquals(List.of("m2", "m3", "m4"), buffer.since(0));
    assertFalse(buffer.covers(10), "m1, sent at 10, is gone");
    assertTrue(buffer.covers(11));
  }

  @Test
  @DisplayName("keeps at most its byte budget, counting text and binary sizes")
  void bytes() {
    ReplayBuffer buffer = new ReplayBuffer(5000, 100, 10);
    buffer.remember("12345", 1);
    buffer.remember(Buffer.buffer("1234"), 2);
    assertEquals(9, buffer.bytes());
    buffer.remember("12", 3);
    assertEquals(6, buffer.bytes());
    assertEquals(2, buffer.size());
    assertFalse(buffer.covers(1));
    assertTrue(buffer.covers(2));
  }

  @Test
  @DisplayName("a message larger than the byte budget is not kept, and its time is not covered")
  void oversized() {
    ReplayBuffer buffer = new ReplayBuffer(5000, 100, 10);
    buffer.remember("this is more than ten bytes", 7);
    assertEquals(0, buffer.size());
    assertEquals(0, buffer.bytes());
    assertFalse(buffer.covers(7), "a replay from 7 would miss it: the session must close 1012");
  }

  @Test
  @DisplayName("by default keeps 256 messages, 1 MiB and 15 seconds")
  void defaults() {
    ReplayBuffer buffer = new ReplayBuffer();
    for (int i = 0; i < 257; i++) {
      buffer.remember("m" + i, 0);
    }
    assertEquals(256, buffer.size());
    assertFalse(buffer.covers(0));

    ReplayBuffer big = new ReplayBuffer();
    big.remember(Buffer.buffer(new byte[1 << 20]), 0);
    assertEquals(1, big.size(), "exactly 1 MiB fits");
    big.remember("x", 0);
    assertEquals(1, big.size());
    assertEquals(List.of("x"), big.since(0));

    ReplayBuffer aged = new ReplayBuffer();
    aged.remember("a", 0);
    aged.remember("b", 15_000);
    assertEquals(2, aged.size(), "15 s old is still in the window");
    aged.remember("c", 15_001);
    assertEquals(List.of("b", "c"), aged.since(0));
  }
}
