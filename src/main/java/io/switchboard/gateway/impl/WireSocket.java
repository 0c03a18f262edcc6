package io.switchboard.gateway.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.switchboard.protocol.Close;
import io.switchboard.protocol.CloseCodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * A gateway WebSocket on Netty's own frame codec. Once a routed upgrade is accepted
 * ({@link WireUpgrade}), this handler takes the place of Vert.x's in the connection's pipeline:
 * Netty's {@code WebSocket13FrameDecoder}/{@code Encoder} (and permessage-deflate when
 * negotiated) carry the frames, {@link ConnectionGuard} sits in front of it as for every
 * connection, and nothing of Vert.x's HTTP connection, request or response stays reachable. An
 * idle socket is the Netty channel, its pipeline and this object (issue 18: Vert.x's
 * {@code ServerWebSocket} and the HTTP/1 objects it keeps cost ~3.8 KB per idle socket).
 *
 * <p>It does what the gateway used of {@code ServerWebSocket}, the way Vert.x does it: a ping is
 * answered with a pong of its payload; a client's close frame is answered with the same code and
 * the connection is closed once the answer is written; {@link #close} sends a close frame and
 * closes the connection when the client's answer arrives or after {@link #CLOSING_TIMEOUT_MS};
 * data, ping and pong frames go to the {@link Listener} (their payload copied to the heap, as
 * Vert.x does), nothing after a close frame. {@link #pause} stops reading: the frames already
 * decoded from the last read wait here (at most one read's worth, and at most
 * {@link #MAX_HELD_FRAMES}: past that the connection fails with 1008) and are handed over on
 * {@link #resume}. Writes are bounded by the channel's write-buffer high-water mark
 * ({@link #writeQueueFull}).
 *
 * <p><b>A client that breaks the protocol</b> reads its close code ({@link #fail}): a frame
 * Netty's decoder rejects (reserved opcode, a frame over {@code maxFrameSize}, a bad control or
 * close frame) fails with the decoder's code, reserved bits without a negotiated extension with
 * 1002, a compressed frame that inflates past {@code maxFrameSize} with 1009, data that does not
 * inflate with 1007. Input is discarded from then on; replies already on their way from the
 * service still reach the client for {@link #FAIL_GRACE_MS}; then the close frame is sent and
 * flushed, the output shut down (FIN), and the input read and discarded until the client closes,
 * for at most {@link #DRAIN_MS}, so that no RST destroys the close frame (closing the channel at
 * once, as Vert.x's handler did, lost it).
 *
 * <p>The events go to one {@link Listener} shared by every socket of a gateway node, with the
 * socket's {@link #attachment} (its session): a socket holds no callbacks of its own. Confined to
 * the channel's event loop, which is the gateway verticle's: Vert.x registers an accepted
 * connection on the loop of the server instance that takes it. The listener runs on the
 * verticle's context.
 */
final class WireSocket extends ChannelInboundHandlerAdapter {

  /** What happens to the sockets of a gateway node; one instance serves all of them. */
  interface Listener {
    /** A data, ping or pong frame (in order; not while paused). */
    void frame(WireSocket socket, WebSocketFrame frame);

    /** An error the socket does not handle itself (a broken connection, mostly); the connection is closed after. */
    void error(WireSocket socket, Throwable error);

    /**
     * The socket is about to send its protocol-failure close frame; false if it is already
     * closing another way (its own close frame is on its way: none is sent).
     */
    boolean failing(WireSocket socket);

    /** The client stopped reading: its unread bytes passed the connection's bound ({@link ConnectionGuard}). */
    void overflow(WireSocket socket);

    /** The connection closed; runs once. */
    void closed(WireSocket socket);
  }

  /** How long a close frame sent waits for the client's before the connection is closed (Vert.x's setting was 5 s). */
  static final long CLOSING_TIMEOUT_MS = 5000;
  /** How long replies to the client's earlier, valid messages may still reach it after a protocol failure. */
  static final long FAIL_GRACE_MS = 250;
  /** How long, after a protocol failure's close frame, the input is drained before the connection is dropped. */
  static final long DRAIN_MS = 2000;
  /**
   * How many frames may wait while the socket is paused. Pausing stops reading, so what waits is
   * what was decoded from one read (at most 64 KB of wire bytes), but tiny frames pipelined behind
   * the upgrade request would turn that into ~10 000 frames on the heap: past this many the
   * connection fails with 1008.
   */
  static final int MAX_HELD_FRAMES = 1024;

  private final ContextInternal context;
  private final Listener listener;
  private String subProtocol;
  private final int maxFrameSize;
  private ChannelHandlerContext ctx;
  private Object attachment;
  /** Frames decoded while paused, in order; null while none wait. */
  private ArrayDeque<WebSocketFrame> held;
  private boolean paused;
  private boolean closeSent;
  private boolean closeReceived;
  private boolean closed;
  /** Whether the client broke the protocol: its input is discarded (see {@link #fail}). */
  private boolean failing;
  /** The client's close code (1005 for a close frame without one), or the code of the protocol failure sent; -1 before either. */
  private short closeStatusCode = -1;
  private String closeReason;

  WireSocket(ContextInternal context, Listener listener, String subProtocol, int maxFrameSize) {
    this.context = context;
    this.listener = listener;
    this.subProtocol = subProtocol;
    this.maxFrameSize = maxFrameSize;
  }

  /**
   * A socket that starts paused, put in the pipeline before the handshake ({@link WireUpgrade}):
   * frames a client sent right behind its upgrade request wait in it until {@link #resume}.
   */
  static WireSocket paused(ContextInternal context, Listener listener, int maxFrameSize) {
    WireSocket socket = new WireSocket(context, listener, null, maxFrameSize);
    socket.paused = true;
    return socket;
  }

  /** Sets the subprotocol the handshake selected (once, before the gateway sees the socket). */
  void subProtocol(String selected) {
    this.subProtocol = selected;
  }

  // ---- what the gateway's session uses ----

  /** The subprotocol the handshake selected, or null. */
  String subProtocol() {
    return subProtocol;
  }

  Channel channel() {
    return ctx.channel();
  }

  /** What the listener keeps with the socket (its session). */
  Object attachment() {
    return attachment;
  }

  void attach(Object attachment) {
    this.attachment = attachment;
  }

  /** Stops handing frames over (and reading) until {@link #resume}. */
  void pause() {
    if (!paused) {
      paused = true;
      ctx.channel().config().setAutoRead(false);
    }
  }

  /** Hands over the frames that waited, then reads again. */
  void resume() {
    if (!paused) {
      return;
    }
    paused = false;
    WebSocketFrame frame;
    while (!paused && held != null && (frame = held.poll()) != null) {
      listener.frame(this, frame);
    }
    if (held != null && held.isEmpty()) {
      held = null;
    }
    if (!paused && !closeSent && !closeReceived && !failing) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  /**
   * Whether nothing more may be written: the connection closed, or a close frame went either way
   * (as Vert.x, which refuses writes once it read the client's close frame).
   */
  boolean isClosed() {
    return closed || closeSent || closeReceived;
  }

  /** Whether the client broke the protocol ({@link #fail}): nothing it sends is handed over any more. */
  boolean isFailing() {
    return failing;
  }

  /** Whether the connection's unwritten bytes passed its high-water mark. */
  boolean writeQueueFull() {
    return !ctx.channel().isWritable();
  }

  /**
   * The code of the close: the client's (1005 when its close frame had none), or the protocol
   * failure's this socket sent; null before either (1006 when the connection just ended).
   */
  Short closeStatusCode() {
    return closeStatusCode < 0 ? null : closeStatusCode;
  }

  /** The reason that goes with {@link #closeStatusCode}, or null. */
  String closeReason() {
    return closeReason;
  }

  /** Writes a text message from its UTF-8 bytes, in frames of at most {@code maxFrameSize}. */
  void writeText(Buffer utf8) {
    writeMessage(true, ((BufferInternal) utf8).getByteBuf());
  }

  void writeText(String text) {
    ByteBuf utf8 = Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8));
    writeMessage(true, utf8);
    utf8.release(); // the frames hold their own references
  }

  void writeBinary(Buffer data) {
    writeMessage(false, ((BufferInternal) data).getByteBuf());
  }

  void writePing() {
    if (!isClosed()) {
      ctx.writeAndFlush(new PingWebSocketFrame(), ctx.voidPromise());
    }
  }

  /** Sends a close frame; the connection closes when the client answers, or after {@link #CLOSING_TIMEOUT_MS}. */
  void close(short code, String reason) {
    if (closeSent || closed) {
      return;
    }
    closeSent = true;
    Channel channel = ctx.channel();
    CloseWebSocketFrame frame = new CloseWebSocketFrame(code, reason);
    if (closeReceived) {
      ctx.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.writeAndFlush(frame, ctx.voidPromise());
      ctx.executor().schedule(() -> {
        channel.close();
      }, CLOSING_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Fails the connection because the client broke the protocol (once; later calls are ignored):
   * see the class comment.
   */
  void fail(short code, String reason) {
    if (failing) {
      return;
    }
    failing = true;
    ctx.executor().schedule(() -> closeAndDrain(code, reason), FAIL_GRACE_MS, TimeUnit.MILLISECONDS);
  }

  private void closeAndDrain(short code, String reason) {
    Channel channel = ctx.channel();
    if (closed || closeSent || !channel.isActive() || !listener.failing(this)) {
      return;
    }
    closeSent = true;
    closeStatusCode = code;
    closeReason = Close.truncate(reason);
    channel.config().setAutoRead(true); // drained until the client closes
    ctx.writeAndFlush(new CloseWebSocketFrame(code, closeReason)).addListener(done -> {
      if (done.isSuccess() && channel instanceof DuplexChannel) {
        ((DuplexChannel) channel).shutdownOutput();
      } else {
        channel.close();
      }
    });
    ctx.executor().schedule(() -> channel.close(), DRAIN_MS, TimeUnit.MILLISECONDS);
  }

  /** The client stopped reading (see {@link ConnectionGuard}): the listener closes the session. */
  void overflowed() {
    listener.overflow(this);
  }

  private void writeMessage(boolean text, ByteBuf payload) {
    if (isClosed()) {
      return;
    }
    int length = payload.readableBytes();
    if (length <= maxFrameSize) {
      ByteBuf data = payload.retainedDuplicate();
      ctx.writeAndFlush(text ? new TextWebSocketFrame(true, 0, data) : new BinaryWebSocketFrame(true, 0, data),
        ctx.voidPromise());
      return;
    }
    int index = payload.readerIndex();
    int end = index + length;
    boolean first = true;
    while (index < end) {
      int size = Math.min(maxFrameSize, end - index);
      ByteBuf data = payload.retainedSlice(index, size);
      index += size;
      boolean last = index == end;
      io.netty.handler.codec.http.websocketx.WebSocketFrame frame = !first ? new ContinuationWebSocketFrame(last, 0, data)
        : text ? new TextWebSocketFrame(last, 0, data) : new BinaryWebSocketFrame(last, 0, data);
      first = false;
      ctx.write(frame, ctx.voidPromise());
    }
    ctx.flush();
  }

  // ---- the pipeline's side ----

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (paused) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof io.netty.handler.codec.http.websocketx.WebSocketFrame) || closeReceived || failing) {
      ReferenceCountUtil.release(msg); // the upgrade request's end, or anything after a close frame or a failure
      return;
    }
    io.netty.handler.codec.http.websocketx.WebSocketFrame frame = (io.netty.handler.codec.http.websocketx.WebSocketFrame) msg;
    if (frame.rsv() != 0) {
      // with compression negotiated its decoder cleared RSV1; anything left is unexpected
      int rsv = frame.rsv();
      frame.release();
      fail(CloseCodes.PROTOCOL_ERROR, "Reserved bits " + rsv + " set without a negotiated extension");
      return;
    }
    if (frame instanceof CloseWebSocketFrame) {
      onClose((CloseWebSocketFrame) frame);
      return;
    }
    if (frame instanceof PingWebSocketFrame && !closeSent) {
      ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retainedDuplicate()), ctx.voidPromise());
    }
    if (paused && held != null && held.size() >= MAX_HELD_FRAMES) {
      frame.release();
      held = null;
      fail(CloseCodes.POLICY_VIOLATION, "More than " + MAX_HELD_FRAMES + " frames sent while the session was not ready");
      return;
    }
    WebSocketFrame copy = new WebSocketFrameImpl(type(frame), heapCopy(frame.content()), frame.isFinalFragment());
    frame.release();
    if (paused) {
      if (held == null) {
        held = new ArrayDeque<>(4);
      }
      held.add(copy);
    } else {
      context.emit(copy, f -> listener.frame(this, f));
    }
  }

  private void onClose(CloseWebSocketFrame frame) {
    closeReceived = true;
    int code = frame.statusCode();
    closeStatusCode = (short) (code < 0 ? 1005 : code);
    closeReason = code < 0 ? null : frame.reasonText();
    if (closeSent) {
      frame.release();
      ctx.close(); // the answer to ours: the server closes the connection
    } else {
      closeSent = true;
      // the same code back (an empty close frame gets an empty one), then the connection ends
      ctx.writeAndFlush(new CloseWebSocketFrame(true, 0, frame.content().retainedDuplicate()))
        .addListener(ChannelFutureListener.CLOSE);
      frame.release();
    }
    ctx.channel().config().setAutoRead(true); // a paused socket reads on, to see the connection end
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
      // what the socket does not handle (a broken connection, mostly): as Vert.x, tell and close
      context.emit(cause, err -> listener.error(this, err));
      ctx.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    boolean first = !closed;
    closed = true;
    held = null;
    if (first) {
      context.emit(this, listener::closed);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    ReferenceCountUtil.release(event); // Vert.x's server shutdown event and the like: the gateway closes its sessions itself
  }

  private static WebSocketFrameType type(io.netty.handler.codec.http.websocketx.WebSocketFrame frame) {
    if (frame instanceof TextWebSocketFrame) {
      return WebSocketFrameType.TEXT;
    } else if (frame instanceof BinaryWebSocketFrame) {
      return WebSocketFrameType.BINARY;
    } else if (frame instanceof ContinuationWebSocketFrame) {
      return WebSocketFrameType.CONTINUATION;
    } else if (frame instanceof PingWebSocketFrame) {
      return WebSocketFrameType.PING;
    } else {
      return WebSocketFrameType.PONG;
    }
  }

  /** The payload on the heap, unpooled, so that it may outlive the read (as Vert.x's frames). */
  private static ByteBuf heapCopy(ByteBuf content) {
    int length = content.readableBytes();
    return length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.buffer(length, length).writeBytes(content);
  }
}
