package io.switchboard.gateway.impl;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.util.concurrent.GenericFutureListener;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.impl.ConnectionBase;

import java.nio.ByteBuffer;

/**
 * The one place the gateway reaches under Vert.x's public API (Vert.x 5.0.7), so an upgrade has
 * one file to check. Used for what the API does not offer:
 * <ul>
 *   <li>the Netty {@link Channel} of an HTTP connection: {@link ConnectionGuard} sits in its
 *       pipeline in front of Vert.x's {@code "handler"}, and a connection whose client never
 *       reads is dropped from the pipeline's head (a close would wait for a flush that never
 *       comes);</li>
 *   <li>taking a connection over once a routed upgrade is accepted: a {@link WireSocket} takes
 *       the place of Vert.x's handler, and Vert.x's connection is unhooked from the channel
 *       ({@link #takeOver});</li>
 *   <li>the bytes of a {@link Buffer} without a copy, to check a text message's UTF-8 and to
 *       write text frames from bytes already in UTF-8.</li>
 * </ul>
 */
final class VertxInternals {

  /** The name of Vert.x's own handler in an HTTP/1.x connection's pipeline. */
  static final String VERTX_HANDLER = "handler";
  /** The name of the handler Vert.x adds for chunked file writes when sendfile cannot serve. */
  private static final String CHUNKED_WRITER = "chunkedWriter";

  private VertxInternals() {
  }

  /** The connection's Netty channel, or null when it is not a Netty-backed HTTP/1.x connection. */
  static Channel channel(HttpConnection connection) {
    if (!(connection instanceof ConnectionBase)) {
      return null;
    }
    Channel channel = ((ConnectionBase) connection).channel();
    return channel.pipeline().get(VERTX_HANDLER) == null ? null : channel;
  }

  /** Closes the channel from its pipeline's head, not waiting for unflushed writes. */
  static void drop(Channel channel) {
    channel.pipeline().firstContext().close();
  }

  /**
   * Puts {@code handler} in the place of Vert.x's own handler in the connection's pipeline, and
   * unhooks the connection from its channel's close future (the one reference the channel keeps
   * to it), so that Vert.x's connection, request and response become garbage: the connection's
   * events go to {@code handler} from now on.
   */
  static void takeOver(HttpConnection connection, ChannelHandler handler) {
    ConnectionBase base = (ConnectionBase) connection;
    Channel channel = base.channel();
    channel.pipeline().replace(VERTX_HANDLER, VERTX_HANDLER, handler);
    if (channel.pipeline().get(CHUNKED_WRITER) != null) {
      channel.pipeline().remove(CHUNKED_WRITER); // file downloads only (with TLS or without sendfile)
    }
    Future<Void> closed = base.closeFuture();
    if (closed instanceof GenericFutureListener) {
      @SuppressWarnings("unchecked")
      GenericFutureListener<io.netty.util.concurrent.Future<Void>> listener = (GenericFutureListener<io.netty.util.concurrent.Future<Void>>) closed;
      channel.closeFuture().removeListener(listener);
    }
  }

  /** The buffer's readable bytes as a NIO view, without a copy. */
  static ByteBuffer nioView(Buffer buffer) {
    return ((BufferInternal) buffer).getByteBuf().nioBuffer();
  }

}
