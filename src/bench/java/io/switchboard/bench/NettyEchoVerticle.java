package io.switchboard.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker13;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.CharsetUtil;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.VertxInternal;

import java.net.InetSocketAddress;

/**
 * The <b>netty</b> baseline: the floor under Vert.x, a plain Netty 4.2 WebSocket echo pipeline
 * bound on this Vert.x's own event loops (its acceptor group and {@code nettyEventLoopGroup()})
 * with the channel type of the transport this JVM runs on (epoll by default, like every server the
 * bench starts). A connection starts as {@code HttpServerCodec} + {@code HttpObjectAggregator}
 * ({@value #MAX_HANDSHAKE_BYTES} bytes) + the handshake handler; {@link WebSocketServerHandshaker13}
 * then swaps the HTTP codec for the WebSocket 13 frame decoder and encoder and the handshake handler
 * puts the {@link Echo} handler in its place, so an open socket's pipeline is the frame codec and
 * the echo handler, nothing else. Every path echoes: text and binary frames (and their
 * continuations) go back as they came, a ping gets a pong, a close frame is answered with the same
 * close and the connection closed. Netty's own defaults everywhere else (its default allocator,
 * 64 KB frames: a bigger one is closed with 1009 by the decoder). A socket whose writes back up
 * stops being read until they drain, so nothing queues without bound. Config:
 * {@code {"host": "127.0.0.1", "port": 0}}; prints {@code bench: netty ready on port N}.
 */
public class NettyEchoVerticle extends VerticleBase {

  public static final String DEFAULT_HOST = "127.0.0.1";
  /** The handshake request's limit (headers and body), as Netty's own WebSocket protocol handler uses. */
  public static final int MAX_HANDSHAKE_BYTES = 8192;

  private Channel server;

  @Override
  public Future<?> start() {
    VertxInternal vx = (VertxInternal) vertx;
    ServerBootstrap bootstrap = new ServerBootstrap()
      .group(vx.acceptorEventLoopGroup(), vx.nettyEventLoopGroup())
      .channelFactory(vx.transport().serverChannelFactory(false))
      .childOption(ChannelOption.TCP_NODELAY, true)
      .childHandler(new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel ch) {
          init(ch);
        }
      });
    Promise<Void> bound = Promise.promise();
    bootstrap.bind(config().getString("host", DEFAULT_HOST), config().getInteger("port", 0)).addListener((ChannelFutureListener) f -> {
      if (f.isSuccess()) {
        server = f.channel();
        System.out.println("bench: netty ready on port " + ((InetSocketAddress) server.localAddress()).getPort()
          + " (" + server.getClass().getSimpleName() + ", " + io.switchboard.config.TransportInfo.describe(vertx) + ")");
        bound.complete();
      } else {
        bound.fail(f.cause());
      }
    });
    return bound.future();
  }

  /** A new connection's pipeline: the HTTP codec, the aggregator and the handshake handler. */
  static void init(Channel ch) {
    ch.pipeline().addLast("http", new HttpServerCodec())
      .addLast("aggregator", new HttpObjectAggregator(MAX_HANDSHAKE_BYTES))
      .addLast("handshake", HANDSHAKE);
  }

  /** Closes the listening channel; open sockets end with the event loops when Vert.x closes. */
  @Override
  public Future<?> stop() {
    if (server == null) {
      return Future.succeededFuture();
    }
    Promise<Void> closed = Promise.promise();
    server.close().addListener(f -> closed.complete());
    return closed.future();
  }

  /** Netty's defaults: 64 KB frames, masked client frames, UTF-8 checked, no extensions. */
  private static final WebSocketDecoderConfig DECODER = WebSocketDecoderConfig.newBuilder().build();
  private static final Handshake HANDSHAKE = new Handshake();
  private static final Echo ECHO = new Echo();

  /** The upgrade: a GET with {@code Upgrade: websocket} and version 13, else an HTTP error and the connection closed. */
  @ChannelHandler.Sharable
  static final class Handshake extends SimpleChannelInboundHandler<FullHttpRequest> {

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      if (!req.decoderResult().isSuccess()) {
        refuse(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
        return;
      }
      if (!HttpMethod.GET.equals(req.method()) || !req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
        refuse(ctx, HttpResponseStatus.BAD_REQUEST, "a WebSocket upgrade (GET with Upgrade: websocket) is expected");
        return;
      }
      if (!WebSocketVersion.V13.toHttpHeaderValue().equals(req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
        WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel()).addListener(ChannelFutureListener.CLOSE);
        return;
      }
      WebSocketServerHandshaker13 handshaker = new WebSocketServerHandshaker13(
        "ws://" + req.headers().get(HttpHeaderNames.HOST) + req.uri(), null, DECODER);
      ctx.pipeline().replace(this, "echo", ECHO); // the handshaker removes the HTTP codec and the aggregator
      try {
        handshaker.handshake(ctx.channel(), req).addListener((ChannelFutureListener) f -> {
          if (!f.isSuccess()) {
            ctx.channel().close();
          }
        });
      } catch (WebSocketHandshakeException e) { // e.g. no Sec-WebSocket-Key: thrown before the pipeline changes
        refuse(ctx, HttpResponseStatus.BAD_REQUEST, String.valueOf(e.getMessage()));
      }
    }

    private static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String why) {
      FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.copiedBuffer(why + "\n", CharsetUtil.UTF_8));
      res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8").set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      HttpUtil.setContentLength(res, res.content().readableBytes());
      ctx.channel().writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** An open socket's only handler: writes every data frame back, answers pings, echoes a close and closes. */
  @ChannelHandler.Sharable
  static final class Echo extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame || msg instanceof ContinuationWebSocketFrame) {
        ctx.write(msg); // the same frame, its buffer handed to the encoder (which releases it)
      } else if (msg instanceof PingWebSocketFrame ping) {
        ctx.write(new PongWebSocketFrame(ping.content()));
      } else if (msg instanceof CloseWebSocketFrame close) {
        ctx.writeAndFlush(close).addListener(ChannelFutureListener.CLOSE);
      } else {
        ReferenceCountUtil.release(msg); // pongs (and, before the handshake's write completes, nothing else)
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush(); // one flush per read: the frames of one read go out together
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      ctx.channel().config().setAutoRead(ctx.channel().isWritable()); // a reader that does not read stops our reading
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // the frame decoder has already sent its close code (1002, 1007, 1009) for a protocol error
    }
  }
}
