package io.switchboard.gateway.impl;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The connection limiter")
class ConnectionLimiterTest {

  @Test
  @DisplayName("refuses past the JVM's total and past one IP's share, and a release frees exactly one slot")
  void limits() {
    ConnectionLimiter limiter = new ConnectionLimiter();
    assertEquals(ConnectionLimiter.Verdict.OK, limiter.tryAcquire("10.0.0.1", 3, 2));
    assertEquals(ConnectionLimiter.Verdict.OK, limiter.tryAcquire("10.0.0.1", 3, 2));
    assertEquals(ConnectionLimiter.Verdict.TOO_MANY_FROM_IP, limiter.tryAcquire("10.0.0.1", 3, 2));
    assertEquals(ConnectionLimiter.Verdict.OK, limiter.tryAcquire("10.0.0.2", 3, 2),
      "a refused attempt held no slot of the total");
    assertEquals(ConnectionLimiter.Verdict.TOO_MANY, limiter.tryAcquire("10.0.0.3", 3, 2));
    limiter.release("10.0.0.1");
    assertEquals(ConnectionLimiter.Verdict.OK, limiter.tryAcquire("10.0.0.3", 3, 2));
    assertEquals(ConnectionLimiter.Verdict.TOO_MANY, limiter.tryAcquire("10.0.0.1", 3, 2));
    limiter.release("10.0.0.3");
    assertEquals(ConnectionLimiter.Verdict.OK, limiter.tryAcquire("10.0.0.1", 3, 2));
  }

  @Test
  @DisplayName("keeps each IP's bridge registrations within its budget, and takes back several at once")
  void handlers() {
    ConnectionLimiter limiter = new ConnectionLimiter();
    assertTrue(limiter.tryAcquireHandler("10.0.0.1", 2));
    assertTrue(limiter.tryAcquireHandler("10.0.0.1", 2));
    assertFalse(limiter.tryAcquireHandler("10.0.0.1", 2));
    assertTrue(limiter.tryAcquireHandler("10.0.0.2", 2), "another IP has its own budget");
    limiter.releaseHandlers("10.0.0.1", 2);
    assertTrue(limiter.tryAcquireHandler("10.0.0.1", 2));
    assertTrue(limiter.tryAcquireHandler("10.0.0.1", 2));
    assertFalse(limiter.tryAcquireHandler("10.0.0.1", 2));
  }

  @Test
  @DisplayName("is one per Vert.x instance, shared by its gateway nodes")
  void sharedPerVertx() throws Exception {
    Vertx vertx = Vertx.vertx();
    Vertx other = Vertx.vertx();
    try {
      assertSame(ConnectionLimiter.of(vertx), ConnectionLimiter.of(vertx));
      assertFalse(ConnectionLimiter.of(vertx) == ConnectionLimiter.of(other));
    } finally {
      await(vertx.close());
      await(other.close());
    }
  }
}
