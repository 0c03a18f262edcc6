package io.switchboard.history;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.switchboard.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The in-JVM group history (a Vert.x not clustered with Hazelcast), against {@link HistorySemantics}. */
@DisplayName("Group history in one JVM")
class GroupHistoryTest extends HistorySemantics {

  private Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    await(vertx.close());
  }

  @Override
  GroupHistory writer() {
    return GroupHistory.of(vertx);
  }

  @Override
  GroupHistory reader() {
    return GroupHistory.of(vertx);
  }

  @Override
  Vertx vertx() {
    return vertx;
  }

  @Test
  @DisplayName("is one store per Vert.x instance, each with its own streams and epochs")
  void onePerVertx() throws Exception {
    assertSame(GroupHistory.of(vertx), GroupHistory.of(vertx));
    assertInstanceOf(LocalHistory.class, GroupHistory.of(vertx));
    Vertx other = Vertx.vertx();
    try {
      GroupHistory mine = GroupHistory.of(vertx);
      GroupHistory theirs = GroupHistory.of(other);
      await(mine.declare("s", "g", new HistoryPolicy(10, 0)));
      await(theirs.declare("s", "g", new HistoryPolicy(10, 0)));
      Appended a = await(mine.append("s/g", List.of("x")));
      Appended b = await(theirs.append("s/g", List.of("y")));
      assertEquals(0, a.position());
      assertEquals(0, b.position());
      assertNotEquals(a.epoch(), b.epoch());
    } finally {
      await(other.close());
    }
  }
}
