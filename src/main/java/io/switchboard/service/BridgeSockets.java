package io.switchboard.service;

import io.switchboard.protocol.Addresses;
import io.switchboard.protocol.Headers;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;

import java.util.function.Consumer;

/**
 * For services that also serve browsers over the gateway's event-bus bridge ({@code /eventbus}):
 * which bridge socket a message came from, and when such a socket closes.
 */
public final class BridgeSockets {

  private BridgeSockets() {
  }

  /**
   * The id of the bridge socket a browser sent {@code message} from (set by the gateway, so a
   * browser cannot forge it; unique in the cluster), or {@code null} when it did not come over the bridge.
   */
  public static String socketOf(Message<?> message) {
    return message.headers().get(Headers.BRIDGE_SOCKET);
  }

  /**
   * Calls {@code onClosed} with a bridge socket's id when it closes, on any gateway; one consumer
   * (unregister it to stop).
   */
  public static MessageConsumer<Object> onClosed(Vertx vertx, Consumer<String> onClosed) {
    return vertx.eventBus().consumer(Addresses.BRIDGE_CLOSED, msg -> onClosed.accept(socketOf(msg)));
  }
}
