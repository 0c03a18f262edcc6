package io.switchboard.gateway.impl;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.protocol.Close;
import io.switchboard.protocol.CloseCodes;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Fails a WebSocket connection whose client broke the protocol so that the client reads the
 * close code. Sits in the socket's Netty pipeline just before its {@link WireSocket}: when Netty's
 * frame decoder rejects a frame (reserved bits or opcode, a frame over {@code maxFrameSize}, a bad
 * control frame) the error must not simply close the channel (as Vert.x's handler did, and as the
 * socket does with any other error): a close frame written then is never flushed, and unread
 * input makes the kernel answer with RST.
 *
 * <p>With compression on, Netty's frame decoder lets reserved bits through: a frame that still
 * has one here (none negotiated, RSV2/RSV3, a compressed control frame) fails with 1002. A frame
 * that inflates beyond {@code maxFrameSize} fails with 1009 (the inflater stops there), data
 * that does not inflate with 1007.
 *
 * <p>A failure here: input is discarded from then on; replies already on their way from the
 * service still reach the client for {@link #FAIL_GRACE_MS}; then the close frame is sent and
 * flushed, the output is shut down (FIN), and the input is read and discarded until the client
 * closes, for at most {@link #DRAIN_MS}, so no RST destroys the close frame. Confined to the
 * socket's event loop.
 */
final class ProtocolGuard extends ChannelInboundHandlerAdapter {

  /** The handler's name in the pipeline. */
  static final String NAME = "switchboard-protocol-guard";
  /** How long replies to the client's earlier, valid messages may still reach it. */
  static final long FAIL_GRACE_MS = 250;
  /** How long, after the close frame, the input is drained before the connection is dropped. */
  static final long DRAIN_MS = 2000;

  private final BooleanSupplier onClosing;
  private ChannelHandlerContext ctx;
  private boolean failing;
  /** The close code sent, 0 until the close frame is. */
  private short sentCode;
  private String sentReason;

  private ProtocolGuard(BooleanSupplier onClosing) {
    this.onClosing = onClosing;
  }

  /**
   * Puts a guard on an upgraded socket's connection; {@code onClosing} runs when its close frame
   * is due (nothing should be written after) and answers {@code false} if the session is already
   * closing another way (its close frame is sent; the guard sends none).
   */
  static ProtocolGuard install(Channel channel, BooleanSupplier onClosing) {
    ProtocolGuard guard = new ProtocolGuard(onClosing);
    channel.pipeline().addBefore(VertxInternals.VERTX_HANDLER, NAME, guard);
    return guard;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (failing) {
      ReferenceCountUtil.release(msg);
    } else if (msg instanceof WebSocketFrame && ((WebSocketFrame) msg).rsv() != 0) {
      int rsv = ((WebSocketFrame) msg).rsv();
      ReferenceCountUtil.release(msg);
      fail(CloseCodes.PROTOCOL_ERROR, "Reserved bits " + rsv + " set without a negotiated extension");
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof CorruptedWebSocketFrameException) {
      fail((short) ((CorruptedWebSocketFrameException) cause).closeStatus().code(), cause.getMessage());
    } else if (cause instanceof DecompressionException) {
      // ZlibDecoder's message when the inflated frame reached its maxAllocation (maxFrameSize)
      boolean tooBig = String.valueOf(cause.getMessage()).contains("maximum size");
      fail(tooBig ? CloseCodes.TOO_BIG : CloseCodes.INVALID_PAYLOAD, tooBig
        ? "Compressed frame inflates beyond the frame size limit" : "Compressed data does not inflate");
    } else {
      ctx.fireExceptionCaught(cause);
    }
  }

  /** Whether the connection is failing (its input is discarded). */
  boolean failing() {
    return failing;
  }

  /** The code of the close frame this guard sent, or 0 if it sent none (yet). */
  short sentCode() {
    return sentCode;
  }

  /** The reason of the close frame this guard sent. */
  String sentReason() {
    return sentReason;
  }

  /** Fails the connection with {@code code} (once; later calls are ignored). */
  void fail(short code, String reason) {
    if (failing) {
      return;
    }
    failing = true;
    ctx.executor().schedule(() -> closeAndDrain(code, reason), FAIL_GRACE_MS, TimeUnit.MILLISECONDS);
  }

  private void closeAndDrain(short code, String reason) {
    Channel channel = ctx.channel();
    if (!onClosing.getAsBoolean() || !channel.isActive()) {
      return;
    }
    sentCode = code;
    sentReason = Close.truncate(reason);
    ctx.writeAndFlush(new CloseWebSocketFrame(code, sentReason)).addListener(done -> {
      if (done.isSuccess() && channel instanceof DuplexChannel) {
        ((DuplexChannel) channel).shutdownOutput();
      } else {
        channel.close();
      }
    });
    ctx.executor().schedule(() -> channel.close(), DRAIN_MS, TimeUnit.MILLISECONDS);
  }
}
