package io.switchboard.gateway.impl;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameDecoder;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.gateway.GatewayOptions;
import io.switchboard.protocol.CloseCodes;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Guards every TCP connection of the gateway from its accept to its close, whatever it becomes
 * (a WebSocket session, a SockJS bridge socket, a page download):
 * <ul>
 *   <li>the connection limits, counted from the accept: over {@code limits.maxConnections} the
 *       connection gets 503, over {@code limits.maxConnectionsPerIp} 429 (both with
 *       {@code Retry-After: 5}), and is closed at once; its slot is given back when it closes;</li>
 *   <li>the request-head timeout: a connection that is not a WebSocket and has no request in
 *       progress must complete a request head within {@code limits.requestHeadTimeoutMs} of its
 *       accept or its last request, else it gets 408 and is closed (slowloris);</li>
 *   <li>control frames count against the outbound bound ({@code limits.maxOutboundBytes}, the
 *       connection's write high-water mark): a ping that arrives while the client does not read
 *       is not answered and the connection is closed 1008; a WebSocket whose writes stay blocked
 *       for {@link #STALLED_MS} is closed the same way (bridge sockets push without checking).</li>
 * </ul>
 * One instance per connection, a Netty handler placed just before Vert.x's (or the WireSocket
 * that takes its place once a routed upgrade is accepted), confined to the
 * connection's event loop.
 */
public final class ConnectionGuard extends ChannelDuplexHandler implements ChannelFutureListener {

  private static final System.Logger LOG = System.getLogger(ConnectionGuard.class.getName());
  /** How long a refused connection stays half-open so the client reads its answer before the close. */
  private static final long LINGER_MS = 1000;
  /** How long a WebSocket's writes may stay blocked before the connection is closed 1008. */
  static final long STALLED_MS = 5000;
  /** How long a close may take before the connection is dropped. */
  private static final long FORCE_CLOSE_MS = 3000;

  private final GatewayOptions options;
  private final ConnectionLimiter limiter;
  private boolean refused;
  private boolean overflowed;
  private long requestsStarted;
  private long requestsEnded;
  private long requestsAtLastCheck;
  /** The pending request-head check, or null (none pending, or the connection became a WebSocket). */
  private ScheduledFuture<?> headCheck;

  private ConnectionGuard(GatewayOptions options, ConnectionLimiter limiter) {
    this.options = options;
    this.limiter = limiter;
  }

  /** The connection handler to give {@code HttpServer.connectionHandler}. */
  public static Handler<HttpConnection> installer(Vertx vertx, GatewayOptions options) {
    ConnectionLimiter limiter = ConnectionLimiter.of(vertx);
    return connection -> {
      Channel channel = VertxInternals.channel(connection);
      if (channel == null) {
        return; // not the HTTP/1.x pipeline the guard knows (HTTP/2 is not enabled on the gateway)
      }
      ConnectionGuard guard = new ConnectionGuard(options, limiter);
      channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(options.maxOutboundBytes() / 2,
        options.maxOutboundBytes()));
      channel.pipeline().addBefore(VertxInternals.VERTX_HANDLER, "switchboard-guard", guard);
    };
  }

  /**
   * The connection became a gateway WebSocket ({@link WireSocket}): no request head is due any
   * more, and a client that stops reading is the socket's to close (1008, with its session's
   * bookkeeping).
   */
  static void upgraded(Channel channel) {
    ConnectionGuard guard = channel.pipeline().get(ConnectionGuard.class);
    if (guard != null && guard.headCheck != null) {
      guard.headCheck.cancel(false);
      guard.headCheck = null;
    }
  }

  /** The client's IP address, as the limits count it (derived when needed: a connection keeps no String for it). */
  private static String ip(Channel channel) {
    return channel.remoteAddress() instanceof InetSocketAddress
      ? ((InetSocketAddress) channel.remoteAddress()).getAddress().getHostAddress() : "?";
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    String ip = ip(ctx.channel());
    switch (limiter.tryAcquire(ip, options.maxConnections(), options.maxConnectionsPerIp())) {
      case TOO_MANY:
        refuse(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE,
          "The gateway holds its maximum of " + options.maxConnections() + " connections");
        return;
      case TOO_MANY_FROM_IP:
        refuse(ctx, HttpResponseStatus.TOO_MANY_REQUESTS,
          "Too many connections from " + ip + " (at most " + options.maxConnectionsPerIp() + ")");
        return;
      default:
        ctx.channel().closeFuture().addListener(this);
        checkHeadLater(ctx);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (refused) {
      ReferenceCountUtil.release(msg); // read and dropped, so that the close is clean
      return;
    }
    if (msg instanceof HttpRequest) {
      requestsStarted++;
    } else if (msg instanceof PingWebSocketFrame) {
      if (overflowed || !ctx.channel().isWritable()) {
        ReferenceCountUtil.release(msg); // its pong would not fit: the client does not read
        overflow(ctx);
        return;
      }
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    if (msg instanceof LastHttpContent) {
      requestsEnded++;
    }
    super.write(ctx, msg, promise);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
    if (!ctx.channel().isWritable() && isWebSocket(ctx)) {
      ctx.executor().schedule(() -> {
        if (ctx.channel().isActive() && !ctx.channel().isWritable()) {
          overflow(ctx);
        }
      }, STALLED_MS, TimeUnit.MILLISECONDS);
    }
    super.channelWritabilityChanged(ctx);
  }

  private void overflow(ChannelHandlerContext ctx) {
    if (overflowed) {
      return;
    }
    overflowed = true;
    // read no more: the client is cut off, and a flood must not keep the event loop busy
    ctx.channel().config().setAutoRead(false);
    WireSocket socket = ctx.pipeline().get(WireSocket.class);
    if (socket != null) {
      socket.overflowed();
      return;
    }
    LOG.log(System.Logger.Level.DEBUG, "Closing a WebSocket from " + ip(ctx.channel()) + " that does not read (1008)");
    ctx.writeAndFlush(new CloseWebSocketFrame(CloseCodes.POLICY_VIOLATION,
      "Slow consumer: more than " + options.maxOutboundBytes() + " bytes waiting to be read"));
    ctx.executor().schedule(() -> {
      ctx.close();
    }, FORCE_CLOSE_MS, TimeUnit.MILLISECONDS);
  }

  /** The connection closed: its slot goes back to the limits. */
  @Override
  public void operationComplete(ChannelFuture closed) {
    limiter.release(ip(closed.channel()));
  }

  private void checkHeadLater(ChannelHandlerContext ctx) {
    headCheck = ctx.executor().schedule(() -> {
      headCheck = null;
      if (!ctx.channel().isActive() || isWebSocket(ctx)) {
        return;
      }
      boolean inProgress = requestsStarted > requestsEnded;
      boolean newRequest = requestsStarted > requestsAtLastCheck;
      if (inProgress || newRequest) {
        requestsAtLastCheck = requestsStarted;
        checkHeadLater(ctx);
      } else {
        refuse(ctx, HttpResponseStatus.REQUEST_TIMEOUT, "No complete request head within "
          + options.requestHeadTimeoutMs() + " ms");
      }
    }, options.requestHeadTimeoutMs(), TimeUnit.MILLISECONDS);
  }

  private static boolean isWebSocket(ChannelHandlerContext ctx) {
    return ctx.pipeline().get(WebSocketFrameDecoder.class) != null;
  }

  /** Answers with {@code status}, ends the output and closes once the client has had time to read it. */
  private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String reason) {
    refused = true;
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
      Unpooled.copiedBuffer(reason + "\n", StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
      .set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
      .set(HttpHeaderNames.CONNECTION, "close");
    if (status.code() != HttpResponseStatus.REQUEST_TIMEOUT.code()) {
      response.headers().set(HttpHeaderNames.RETRY_AFTER, "5");
    }
    ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
      if (f.channel() instanceof DuplexChannel) {
        ((DuplexChannel) f.channel()).shutdownOutput();
      }
      ctx.executor().schedule(() -> {
        ctx.close();
      }, LINGER_MS, TimeUnit.MILLISECONDS);
    });
  }
}
