package io.switchboard.testing;

import io.vertx.core.Future;

import java.util.concurrent.TimeUnit;

/** Blocks a test thread (never an event loop) on a Vert.x future, for at most 30 s. */
public final class Await {

  private Await() {
  }

  public static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
