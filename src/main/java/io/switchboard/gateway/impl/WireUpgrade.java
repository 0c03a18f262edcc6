package io.switchboard.gateway.impl;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker13;
import io.switchboard.gateway.GatewayOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * Upgrades a routed request to a {@link WireSocket}: the handshake Vert.x's
 * {@code toWebSocket()} would make (Netty's RFC 6455 handshaker on the same pipeline, the same
 * frame decoder settings), but the socket it leaves in the pipeline is the gateway's own, so that
 * Vert.x's HTTP connection, request and response (and their headers) are garbage once the 101 is
 * written. Everything before the handshake (routing, origin, token, limits) is still Vert.x's
 * router, and every connection that does not become a gateway WebSocket (pages, {@code /eventbus},
 * admin, metrics) stays a Vert.x connection.
 */
final class WireUpgrade {

  private final String subprotocols;
  private final WebSocketDecoderConfig decoderConfig;
  private final int maxFrameSize;

  WireUpgrade(GatewayOptions options) {
    this.subprotocols = String.join(",", subprotocols(options));
    this.maxFrameSize = options.maxFrameSize();
    // as Vert.x's own server handshake: extensions only with compression, masked frames only,
    // and a protocol violation is raised, not answered (WireSocket answers it)
    this.decoderConfig = WebSocketDecoderConfig.newBuilder()
      .allowExtensions(options.compressionEnabled())
      .maxFramePayloadLength(options.maxFrameSize())
      .allowMaskMismatch(false)
      .closeOnProtocolViolation(false)
      .build();
  }

  /** The subprotocols the gateway accepts, in its order of preference. */
  static List<String> subprotocols(GatewayOptions options) {
    return options.jwt() != null ? List.of(ClientProtocol.SUBPROTOCOL, TokenCheck.SUBPROTOCOL)
      : List.of(ClientProtocol.SUBPROTOCOL);
  }

  /**
   * Answers the handshake and puts a {@link WireSocket} in the connection's pipeline, its events
   * to go to {@code listener} on {@code context}; null when there is no socket: the request was
   * answered with 400 (a header the handshake needs is wrong), or the connection is gone. The
   * socket comes paused (frames the client sent right behind its request wait in it): its owner
   * calls {@link WireSocket#resume} when it is ready for them.
   */
  WireSocket upgrade(HttpServerRequest request, ContextInternal context, WireSocket.Listener listener) {
    Channel channel = VertxInternals.channel(request.connection());
    if (channel == null || !channel.isActive()) {
      return null;
    }
    String connection = request.getHeader("Connection");
    if (connection == null || !connection.toLowerCase(Locale.ROOT).contains("upgrade")) {
      refuse(request, "The Connection header must be \"Upgrade\" for a WebSocket handshake");
      return null;
    }
    String key = request.getHeader("Sec-WebSocket-Key");
    if (key == null || key.isBlank()) {
      refuse(request, "A WebSocket handshake needs a Sec-WebSocket-Key header");
      return null;
    }
    FullHttpRequest handshake = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, request.uri(),
      Unpooled.EMPTY_BUFFER, (HttpHeaders) request.headers(), EmptyHttpHeaders.INSTANCE);
    String scheme = request.isSSL() ? "wss://" : "ws://";
    WebSocketServerHandshaker handshaker = new WebSocketServerHandshaker13(scheme + request.authority() + request.uri(),
      subprotocols, decoderConfig);
    // the socket takes Vert.x's place first, paused: the handshaker swaps the HTTP decoder for
    // the frame decoder, which hands on what the client sent right behind its request, and
    // those frames must wait in the socket (Vert.x's handler would drop them)
    WireSocket socket = WireSocket.paused(context, listener, maxFrameSize);
    VertxInternals.takeOver(request.connection(), socket);
    try {
      handshaker.handshake(channel, handshake, null, channel.newPromise());
    } catch (RuntimeException e) {
      // Vert.x's response is gone with its handler: the answer goes straight to the HTTP encoder
      FullHttpResponse bad = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
        Unpooled.copiedBuffer("Bad WebSocket handshake: " + e.getMessage() + "\n", StandardCharsets.UTF_8));
      bad.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .setInt(HttpHeaderNames.CONTENT_LENGTH, bad.content().readableBytes())
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      channel.writeAndFlush(bad).addListener(ChannelFutureListener.CLOSE);
      return null;
    }
    socket.subProtocol(canonical(handshaker.selectedSubprotocol()));
    ConnectionGuard.upgraded(channel);
    return socket;
  }

  /** The gateway's own instance of a subprotocol name (one String for every socket). */
  private static String canonical(String selected) {
    if (ClientProtocol.SUBPROTOCOL.equals(selected)) {
      return ClientProtocol.SUBPROTOCOL;
    }
    return TokenCheck.SUBPROTOCOL.equals(selected) ? TokenCheck.SUBPROTOCOL : selected;
  }

  private static void refuse(HttpServerRequest request, String reason) {
    request.response().setStatusCode(400).putHeader("Content-Type", "text/plain; charset=utf-8").end(reason + "\n");
  }
}
