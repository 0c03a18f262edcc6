package io.switchboard.bench;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The <b>bare</b> baseline: the framework's floor, a plain Vert.x WebSocket server in one JVM.
 * {@code /echo} writes every text message back; every socket on {@code /room} gets every text
 * message sent on {@code /room}; {@code /bench_chat} speaks the seed chat's protocol ({@link BareChat}). Config: {@code {"host": "127.0.0.1", "port": 0}}.
 */
public class BareEchoVerticle extends VerticleBase {

  public static final String DEFAULT_HOST = "127.0.0.1";

  private final Set<ServerWebSocket> room = new LinkedHashSet<>();
  private final BareChat chat = new BareChat();

  @Override
  public Future<?> start() {
    return vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true))
      .webSocketHandler(this::accept)
      .listen(config().getInteger("port", 0), config().getString("host", DEFAULT_HOST))
      .onSuccess(s -> System.out.println("bench: bare ready on port " + s.actualPort()));
  }

  private void accept(ServerWebSocket ws) {
    if (ws.path().equals(BenchPaths.ROOM)) {
      room.add(ws);
      ws.closeHandler(v -> room.remove(ws));
      ws.textMessageHandler(text -> room.forEach(member -> member.writeTextMessage(text)));
    } else if (ws.path().equals(BenchPaths.CHAT)) {
      chat.accept(ws);
    } else {
      ws.textMessageHandler(ws::writeTextMessage);
    }
  }
}
