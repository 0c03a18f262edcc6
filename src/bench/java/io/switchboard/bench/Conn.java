package io.switchboard.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.http.WebSocket;

/**
 * One client socket of the load: the WebSocket, the event-loop context it lives on (timers and
 * writes for it run there), and the handler its text messages currently go to.
 */
final class Conn {

  private static final Handler<String> IGNORE = text -> { };

  final WebSocket ws;
  final Context context;
  final int index;
  private final Promise<Short> closed = Promise.promise();
  private volatile Handler<String> onText = IGNORE;

  Conn(WebSocket ws, Context context, int index) {
    this.ws = ws;
    this.context = context;
    this.index = index;
    ws.textMessageHandler(text -> onText.handle(text));
    ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode()));
    ws.exceptionHandler(err -> { });
  }

  /** Where text messages go from now on. */
  void onText(Handler<String> handler) {
    this.onText = handler == null ? IGNORE : handler;
  }

  /** Completes with the close code once the socket closed (by either side). */
  Future<Short> closed() {
    return closed.future();
  }

  boolean isClosed() {
    return closed.future().isComplete();
  }

  /** Runs an action on this socket's event loop. */
  void run(Runnable action) {
    context.runOnContext(v -> action.run());
  }
}
