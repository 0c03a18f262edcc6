package io.switchboard.gateway.impl;

import io.netty.channel.Channel;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.impl.ConnectionBase;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The one place the gateway reaches under Vert.x's public API (Vert.x 5.0.7), so an upgrade has
 * one file to check. Used for what the API does not offer:
 * <ul>
 *   <li>the Netty {@link Channel} of an HTTP connection: the guards ({@link ConnectionGuard},
 *       {@link ProtocolGuard}) sit in its pipeline in front of Vert.x's {@code "handler"}, and a
 *       connection whose client never reads is dropped from the pipeline's head
 *       ({@code HttpConnection.close()} would wait for a flush that never comes);</li>
 *   <li>the bytes of a {@link Buffer} without a copy, to check a text message's UTF-8;</li>
 *   <li>a text frame written from bytes already in UTF-8 ({@code writeTextMessage} takes only a
 *       String, which it encodes again for every socket).</li>
 * </ul>
 */
final class VertxInternals {

  /** The name of Vert.x's own handler in an HTTP/1.x connection's pipeline. */
  static final String VERTX_HANDLER = "handler";

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

  /** Closes the connection from its pipeline's head, not waiting for unflushed writes. */
  static void drop(HttpConnection connection) {
    Channel channel = connection instanceof ConnectionBase ? ((ConnectionBase) connection).channel() : null;
    if (channel != null) {
      channel.pipeline().firstContext().close();
    } else {
      connection.close();
    }
  }

  /** The buffer's readable bytes as a NIO view, without a copy. */
  static ByteBuffer nioView(Buffer buffer) {
    return ((BufferInternal) buffer).getByteBuf().nioBuffer();
  }

  /**
   * Writes {@code utf8} (valid UTF-8) as one text message: one frame when it fits in
   * {@code maxFrameSize}, as {@code writeTextMessage} would; a longer one goes through
   * {@code writeTextMessage}, which splits it into frames of that size.
   */
  static void writeText(ServerWebSocket ws, Buffer utf8, int maxFrameSize) {
    if (utf8.length() <= maxFrameSize) {
      ws.writeFrame(new WebSocketFrameImpl(WebSocketFrameType.TEXT, ((BufferInternal) utf8).getByteBuf(), true));
    } else {
      ws.writeTextMessage(utf8.toString(StandardCharsets.UTF_8));
    }
  }
}
