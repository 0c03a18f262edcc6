package io.switchboard.gateway.impl;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The gateway's message assembler")
class MessageAssemblerTest {

  /** What the assembler handed on: "text:..." / "binary:<length>" / "fail:<code>". */
  private final List<String> out = new ArrayList<>();
  private final MessageAssembler assembler = new MessageAssembler(1000,
    (text, data) -> out.add(text ? "text:" + data.toString(StandardCharsets.UTF_8) : "binary:" + data.length()),
    (code, reason) -> out.add("fail:" + code));

  private static Buffer bytes(int... values) {
    Buffer b = Buffer.buffer();
    for (int v : values) {
      b.appendByte((byte) v);
    }
    return b;
  }

  /** A text frame with exactly these bytes (textFrame(String) would re-encode them). */
  private static WebSocketFrame rawText(Buffer data, boolean fin) {
    return new WebSocketFrameImpl(WebSocketFrameType.TEXT, data.getBytes(), fin);
  }

  private static WebSocketFrame more(Buffer data, boolean fin) {
    return WebSocketFrame.continuationFrame(data, fin);
  }

  @Test
  @DisplayName("hands on whole and fragmented messages, text as text and binary as binary")
  void assembles() {
    assembler.accept(WebSocketFrame.textFrame("héllo ✓", true));
    assembler.accept(WebSocketFrame.binaryFrame(Buffer.buffer(new byte[10]), false));
    assertTrue(assembler.inMessage());
    assembler.accept(more(Buffer.buffer(new byte[5]), true));
    assembler.accept(WebSocketFrame.textFrame("ab", false));
    assembler.accept(more(Buffer.buffer(""), false));
    assembler.accept(more(Buffer.buffer("cd"), true));
    assertEquals(List.of("text:héllo ✓", "binary:15", "text:abcd"), out);
    assertFalse(assembler.inMessage());
  }

  @Test
  @DisplayName("accepts a character split across fragments")
  void splitCharacter() {
    Buffer euro = Buffer.buffer("€"); // E2 82 AC
    assembler.accept(rawText(euro.getBuffer(0, 1), false));
    assembler.accept(more(euro.getBuffer(1, 2), false));
    assembler.accept(more(euro.getBuffer(2, 3), true));
    assertEquals(List.of("text:€"), out);
  }

  @Test
  @DisplayName("fails with 1007 at the fragment holding the first bad byte, before the message ends")
  void failsFast() {
    assembler.accept(rawText(Buffer.buffer("κόσμε"), false));
    assertEquals(List.of(), out);
    assembler.accept(more(bytes(0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCF, 0x83, 0xCE, 0xBC, 0xCE, 0xB5, 0xF4, 0x90, 0x80, 0x80), false));
    assertEquals(List.of("fail:1007"), out);
    assertFalse(assembler.inMessage());
  }

  @Test
  @DisplayName("refuses overlong forms, surrogates, code points above U+10FFFF and stray continuation bytes")
  void refusesInvalidSequences() {
    int[][] invalid = {
      {0xC0, 0xAF}, {0xE0, 0x80, 0xAF}, {0xF0, 0x80, 0x80, 0xAF}, // overlong '/'
      {0xED, 0xA0, 0x80}, {0xED, 0xBF, 0xBF},                      // surrogates
      {0xF4, 0x90, 0x80, 0x80}, {0xF5, 0x80, 0x80, 0x80},          // above U+10FFFF
      {0x80}, {0xBF}, {0xFE}, {0xFF}, {0xC2, 0x41},                // stray / bad continuation
    };
    for (int[] seq : invalid) {
      Utf8Validator v = new Utf8Validator();
      assertFalse(v.feed(bytes(seq)), () -> "accepted " + java.util.Arrays.toString(seq));
    }
    int[][] valid = {{0x7F}, {0xC2, 0x80}, {0xE0, 0xA0, 0x80}, {0xED, 0x9F, 0xBF}, {0xEE, 0x80, 0x80},
      {0xF0, 0x90, 0x80, 0x80}, {0xF4, 0x8F, 0xBF, 0xBF}};
    for (int[] seq : valid) {
      Utf8Validator v = new Utf8Validator();
      assertTrue(v.feed(bytes(seq)) && v.atBoundary(), () -> "refused " + java.util.Arrays.toString(seq));
    }
  }

  @Test
  @DisplayName("fails with 1007 when a text message ends inside a character")
  void truncatedCharacter() {
    assembler.accept(rawText(bytes(0x61, 0xE2, 0x82), true));
    assertEquals(List.of("fail:1007"), out);
  }

  @Test
  @DisplayName("fails with 1002 on a continuation with nothing to continue")
  void continuationWithoutStart() {
    assembler.accept(more(Buffer.buffer("x"), true));
    assertEquals(List.of("fail:1002"), out);
  }

  @Test
  @DisplayName("fails with 1002 on a new message inside a fragmented one, and ignores every frame after")
  void newMessageInsideOne() {
    assembler.accept(WebSocketFrame.textFrame("a", false));
    assembler.accept(WebSocketFrame.binaryFrame(Buffer.buffer("b"), true));
    assembler.accept(WebSocketFrame.textFrame("after", true));
    assertEquals(List.of("fail:1002"), out);
  }

  @Test
  @DisplayName("fails with 1009 when the fragments together exceed the message limit")
  void tooBig() {
    assembler.accept(WebSocketFrame.binaryFrame(Buffer.buffer(new byte[600]), false));
    assembler.accept(more(Buffer.buffer(new byte[600]), true));
    assertEquals(List.of("fail:1009"), out);
  }
}
