package io.switchboard.bench;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** The other half of the <b>naive</b> baseline: replies to every request with its own body. */
public class NaiveEchoConsumer extends VerticleBase {

  @Override
  public Future<?> start() {
    return vertx.eventBus().<String>consumer(BenchPaths.NAIVE_ECHO, msg -> msg.reply(msg.body())).completion()
      .onSuccess(v -> System.out.println("bench: naive echo consumer ready"));
  }
}
