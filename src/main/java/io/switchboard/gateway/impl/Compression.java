package io.switchboard.gateway.impl;

import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.compression.ZlibCodecFactory;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionFilterProvider;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.switchboard.gateway.GatewayOptions;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;

import java.util.HashMap;
import java.util.Map;

/**
 * permessage-deflate (RFC 7692) with bounded memory, in place of the one Vert.x 5.0.7 installs.
 * Vert.x builds Netty's handshaker without an inflation limit, so one compressed frame within
 * {@code maxFrameSize} could inflate to about a thousand times its size (a zip bomb) before any
 * limit is checked. This one inflates a frame into at most {@code limits.maxFrameSize} bytes:
 * beyond it Netty's inflater throws, and {@link WireSocket} closes the socket with 1009.
 * With {@code serverNoContextTakeover} the gateway's compressor is reset (its zlib memory freed)
 * after each message, even if the client did not ask; with {@code clientNoContextTakeover} the
 * client is told to do the same, so the gateway's inflater is freed after each message too: an
 * idle socket then holds no zlib state at all.
 */
public final class Compression {

  /** The name Vert.x gives its extension handler in the pipeline. */
  static final String VERTX_EXTENSION_HANDLER = "webSocketExtensionHandler";
  private static final String SERVER_NO_CONTEXT = "server_no_context_takeover";
  private static final String CLIENT_NO_CONTEXT = "client_no_context_takeover";
  private static final String SERVER_MAX_WINDOW = "server_max_window_bits";

  private Compression() {
  }

  /**
   * The connection handler part that puts the bounded extension handler in each new HTTP/1.x
   * connection's pipeline; {@code null} when compression is off.
   */
  public static Handler<HttpConnection> installer(GatewayOptions options) {
    if (!options.compressionEnabled()) {
      return null;
    }
    WebSocketServerExtensionHandshaker handshaker = handshaker(options);
    return connection -> {
      Channel channel = VertxInternals.channel(connection);
      ChannelPipeline pipeline = channel == null ? null : channel.pipeline();
      if (pipeline != null && pipeline.get(VERTX_EXTENSION_HANDLER) != null) {
        pipeline.replace(VERTX_EXTENSION_HANDLER, VERTX_EXTENSION_HANDLER, new WebSocketServerExtensionHandler(handshaker));
      }
    };
  }

  /** The handshaker: level, context takeover and the inflation limit from the options. */
  static WebSocketServerExtensionHandshaker handshaker(GatewayOptions options) {
    boolean windows = ZlibCodecFactory.isSupportingWindowSizeAndMemLevel();
    PerMessageDeflateServerExtensionHandshaker netty = new PerMessageDeflateServerExtensionHandshaker(
      options.compressionLevel(), windows, 15, true, options.compressionClientNoContextTakeover(),
      WebSocketExtensionFilterProvider.DEFAULT, options.maxFrameSize());
    boolean server = options.compressionServerNoContextTakeover();
    boolean client = options.compressionClientNoContextTakeover();
    return offer -> {
      Map<String, String> params = new HashMap<>(offer.parameters());
      // RFC 7692 7.1.1: the server may answer server_ and client_no_context_takeover to an offer
      // without them; Netty's handshaker answers only what was offered, so they are added to it
      if (server) {
        params.put(SERVER_NO_CONTEXT, null);
      }
      if (client) {
        params.put(CLIENT_NO_CONTEXT, null);
      }
      // without JZlib the JDK's deflater has a 15-bit window: an offer that limits it to less is
      // declined (7.1.2.1), one that allows 15 is accepted with 15 (Netty would decline both)
      String serverBits = params.get(SERVER_MAX_WINDOW);
      boolean fullWindow = "15".equals(serverBits);
      if (!windows && fullWindow) {
        params.remove(SERVER_MAX_WINDOW);
      }
      WebSocketServerExtension accepted = netty.handshakeExtension(new WebSocketExtensionData(offer.name(), params));
      if (accepted == null || windows || !fullWindow) {
        return accepted;
      }
      return new WebSocketServerExtension() {
        @Override
        public int rsv() {
          return accepted.rsv();
        }

        @Override
        public WebSocketExtensionEncoder newExtensionEncoder() {
          return accepted.newExtensionEncoder();
        }

        @Override
        public WebSocketExtensionDecoder newExtensionDecoder() {
          return accepted.newExtensionDecoder();
        }

        @Override
        public WebSocketExtensionData newReponseData() {
          WebSocketExtensionData data = accepted.newReponseData();
          Map<String, String> answer = new HashMap<>(data.parameters());
          answer.put(SERVER_MAX_WINDOW, "15");
          return new WebSocketExtensionData(data.name(), answer);
        }
      };
    };
  }
}
