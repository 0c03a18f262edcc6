package io.switchboard.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.CharsetUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The netty baseline's pipeline ({@link NettyEchoVerticle#init}) on an embedded channel: what an
 * open socket keeps, and what it answers. The same pipeline on real sockets is run by
 * {@code BenchSmokeTest}.
 */
@DisplayName("The netty bench baseline's pipeline")
class NettyEchoVerticleTest {

  private static final String UPGRADE = "GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

  private final EmbeddedChannel server = new EmbeddedChannel();
  private final EmbeddedChannel clientEncoder = new EmbeddedChannel(new WebSocket13FrameEncoder(true));
  private final EmbeddedChannel clientDecoder = new EmbeddedChannel(new WebSocket13FrameDecoder(false, false, 65536));

  @AfterEach
  void finish() {
    server.finishAndReleaseAll();
    clientEncoder.finishAndReleaseAll();
    clientDecoder.finishAndReleaseAll();
  }

  @Test
  @DisplayName("after the upgrade an open socket's pipeline is the WebSocket frame codec and the echo handler, nothing else")
  void pipelineAfterUpgrade() {
    String response = upgrade();
    assertTrue(response.startsWith("HTTP/1.1 101"), response);
    assertTrue(response.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), response); // RFC 6455's example accept key
    List<String> names = server.pipeline().names(); // the last is the pipeline's own tail
    assertEquals(Set.of("wsdecoder", "wsencoder", "echo"), Set.copyOf(names.subList(0, names.size() - 1)), names.toString());
    assertEquals(4, names.size(), names.toString());
  }

  @Test
  @DisplayName("text and binary frames come back with the same payload, a ping gets a pong with its payload")
  void echoes() {
    upgrade();
    send(new TextWebSocketFrame("hello"));
    send(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
    send(new PingWebSocketFrame(Unpooled.copiedBuffer("p", CharsetUtil.UTF_8)));
    WebSocketFrame text = receive();
    assertInstanceOf(TextWebSocketFrame.class, text);
    assertEquals("hello", ((TextWebSocketFrame) text).text());
    WebSocketFrame binary = receive();
    assertInstanceOf(BinaryWebSocketFrame.class, binary);
    assertArrayEquals(new byte[] {1, 2, 3}, bytes(binary.content()));
    WebSocketFrame pong = receive();
    assertInstanceOf(PongWebSocketFrame.class, pong);
    assertEquals("p", pong.content().toString(CharsetUtil.UTF_8));
    text.release();
    binary.release();
    pong.release();
  }

  @Test
  @DisplayName("a close frame is answered with the same close code, then the connection is closed")
  void close() {
    upgrade();
    send(new CloseWebSocketFrame(1000, "bye"));
    WebSocketFrame close = receive();
    assertInstanceOf(CloseWebSocketFrame.class, close);
    assertEquals(1000, ((CloseWebSocketFrame) close).statusCode());
    close.release();
    assertFalse(server.isOpen());
  }

  @Test
  @DisplayName("a request that is no WebSocket upgrade gets 400, an unsupported version 426, and the connection is closed")
  void refusals() {
    NettyEchoVerticle.init(server);
    server.writeInbound(Unpooled.copiedBuffer("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", CharsetUtil.US_ASCII));
    String plain = outbound(server);
    assertTrue(plain.startsWith("HTTP/1.1 400"), plain);
    assertFalse(server.isOpen());

    EmbeddedChannel other = new EmbeddedChannel();
    NettyEchoVerticle.init(other);
    other.writeInbound(Unpooled.copiedBuffer(UPGRADE.replace("Version: 13", "Version: 8"), CharsetUtil.US_ASCII));
    String old = outbound(other);
    assertTrue(old.startsWith("HTTP/1.1 426"), old);
    assertTrue(old.toLowerCase().contains("sec-websocket-version: 13"), old);
    assertFalse(other.isOpen());
    other.finishAndReleaseAll();
  }

  /** Sends the upgrade request; returns the response's text. */
  private String upgrade() {
    NettyEchoVerticle.init(server);
    server.writeInbound(Unpooled.copiedBuffer(UPGRADE, CharsetUtil.US_ASCII));
    return outbound(server);
  }

  private void send(WebSocketFrame frame) {
    clientEncoder.writeOutbound(frame);
    for (ByteBuf b; (b = clientEncoder.readOutbound()) != null; ) {
      server.writeInbound(b);
    }
  }

  private WebSocketFrame receive() {
    for (ByteBuf b; (b = server.readOutbound()) != null; ) {
      clientDecoder.writeInbound(b);
    }
    WebSocketFrame f = clientDecoder.readInbound();
    assertNotNull(f, "no frame back");
    return f;
  }

  private static String outbound(EmbeddedChannel ch) {
    StringBuilder s = new StringBuilder();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      s.append(b.toString(CharsetUtil.US_ASCII));
      b.release();
    }
    return s.toString();
  }

  private static byte[] bytes(ByteBuf b) {
    byte[] out = new byte[b.readableBytes()];
    b.getBytes(b.readerIndex(), out);
    return out;
  }
}
