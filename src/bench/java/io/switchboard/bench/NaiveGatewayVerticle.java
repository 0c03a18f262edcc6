package io.switchboard.bench;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The <b>naive</b> baseline: the relay a Vert.x user writes in twenty lines. On {@code /echo}
 * each text message is an {@code eventBus().request} to {@link NaiveEchoConsumer} in another
 * clustered JVM, and the reply is written back. On {@code /room} each message is published on
 * the bus and every gateway writes it to its room sockets.
 */
public class NaiveGatewayVerticle extends VerticleBase {

  private final Set<ServerWebSocket> room = new LinkedHashSet<>();

  @Override
  public Future<?> start() {
    var consumer = vertx.eventBus().<String>consumer(BenchPaths.NAIVE_ROOM,
      msg -> room.forEach(ws -> ws.writeTextMessage(msg.body())));
    var server = vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true)).webSocketHandler(this::accept);
    return consumer.completion()
      .compose(v -> server.listen(config().getInteger("port", 0), config().getString("host", BareEchoVerticle.DEFAULT_HOST)))
      .onSuccess(s -> System.out.println("bench: naive gateway ready on port " + s.actualPort()));
  }

  private void accept(ServerWebSocket ws) {
    if (ws.path().equals(BenchPaths.ROOM)) {
      room.add(ws);
      ws.closeHandler(v -> room.remove(ws));
      ws.textMessageHandler(text -> vertx.eventBus().publish(BenchPaths.NAIVE_ROOM, text));
    } else {
      ws.textMessageHandler(text -> vertx.eventBus().<String>request(BenchPaths.NAIVE_ECHO, text)
        .onSuccess(reply -> ws.writeTextMessage(reply.body())));
    }
  }
}
