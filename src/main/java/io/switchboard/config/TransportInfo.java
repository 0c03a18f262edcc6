package io.switchboard.config;

import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;

/**
 * What the running Vert.x says about its network transport, for the gateway's and services' ready
 * lines and error messages. Which transport to run is chosen by the launcher
 * ({@code io.switchboard.launcher.TransportChoice}); this only reads what runs, so the gateway and
 * the service runtime need nothing of the launcher.
 */
public final class TransportInfo {

  private TransportInfo() {
  }

  /** The name of the transport this Vert.x runs on: nio, epoll, io_uring (or kqueue). */
  public static String running(Vertx vertx) {
    if (!(vertx instanceof VertxInternal)) {
      return "nio";
    }
    String type = ((VertxInternal) vertx).transport().getClass().getSimpleName();
    switch (type) {
      case "EpollTransport":
        return "epoll";
      case "IoUringTransport":
        return "io_uring";
      case "KQueueTransport":
        return "kqueue";
      default:
        return "nio";
    }
  }

  /** How many event loops this Vert.x runs (its Netty event-loop group's size); 0 when unknown. */
  public static int eventLoops(Vertx vertx) {
    if (!(vertx instanceof VertxInternal)
      || !(((VertxInternal) vertx).nettyEventLoopGroup() instanceof io.netty.util.concurrent.MultithreadEventExecutorGroup)) {
      return 0;
    }
    return ((io.netty.util.concurrent.MultithreadEventExecutorGroup) ((VertxInternal) vertx).nettyEventLoopGroup()).executorCount();
  }

  /** "transport epoll, 1 event loop": what the ready lines say of the JVM's network side. */
  public static String describe(Vertx vertx) {
    int loops = eventLoops(vertx);
    return "transport " + running(vertx) + (loops == 0 ? "" : ", " + loops + (loops == 1 ? " event loop" : " event loops"));
  }

  /**
   * A socket error's message without the native transports' system-call prefix: epoll and
   * io_uring say {@code bind(..) failed with error(-98): Address already in use} where NIO says
   * {@code Address already in use}; users get the latter under every transport.
   */
  public static String plainMessage(Throwable err) {
    String m = String.valueOf(err.getMessage());
    return m.replaceFirst("^\\w+\\(\\.\\.\\) failed with error\\(-?\\d+\\): ", "");
  }
}
