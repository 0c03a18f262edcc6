package io.switchboard.gateway.impl;

import io.switchboard.protocol.CloseCodes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;

/**
 * Assembles one socket's messages from its data frames (text, binary, continuation), checking
 * what Vert.x's own aggregation does not: the fragment order (1002), the message size across
 * fragments (1009) and text as valid UTF-8 fragment by fragment (1007, at the first bad
 * fragment). A complete message goes to {@link Messages}, the first violation to {@link Failures};
 * after it every frame is ignored. Control frames are not its concern. Not thread-safe: one per
 * session, on its event loop.
 */
final class MessageAssembler {

  /** Takes complete messages; for text, {@code data} is valid UTF-8. */
  interface Messages {
    void message(boolean text, Buffer data);
  }

  /** Takes the client's violation of the protocol: the connection fails with {@code code}. */
  interface Failures {
    void fail(short code, String reason);
  }

  private final int maxMessageSize;
  private final Messages messages;
  private final Failures failures;
  private boolean failed;
  private final Utf8Validator utf8 = new Utf8Validator();
  /** The fragments so far of an unfinished message, or {@code null} between messages. */
  private Buffer partial;
  private boolean partialText;

  MessageAssembler(int maxMessageSize, Messages messages, Failures failures) {
    this.maxMessageSize = maxMessageSize;
    this.messages = messages;
    this.failures = failures;
  }

  /** Takes the next frame of the socket (ignored once the socket broke the protocol). */
  void accept(WebSocketFrame frame) {
    if (failed) {
      return;
    }
    if (frame.isText() || frame.isBinary()) {
      if (partial != null) {
        fail(CloseCodes.PROTOCOL_ERROR, "A new message started inside a fragmented one");
        return;
      }
      boolean text = frame.isText();
      Buffer data = frame.binaryData();
      if (text) {
        utf8.reset();
      }
      if (data.length() > maxMessageSize) {
        fail(CloseCodes.TOO_BIG, "Message larger than " + maxMessageSize + " bytes");
      } else if (text && !utf8.feed(data)) {
        fail(CloseCodes.INVALID_PAYLOAD, "Text message is not valid UTF-8");
      } else if (frame.isFinal()) {
        complete(text, data);
      } else {
        partialText = text;
        partial = Buffer.buffer(Math.max(data.length(), 64)).appendBuffer(data);
      }
    } else if (frame.isContinuation()) {
      Buffer data = frame.binaryData();
      if (partial == null) {
        fail(CloseCodes.PROTOCOL_ERROR, "A continuation frame with nothing to continue");
      } else if (partial.length() + data.length() > maxMessageSize) {
        fail(CloseCodes.TOO_BIG, "Message larger than " + maxMessageSize + " bytes");
      } else if (partialText && !utf8.feed(data)) {
        fail(CloseCodes.INVALID_PAYLOAD, "Text message is not valid UTF-8");
      } else {
        partial.appendBuffer(data);
        if (frame.isFinal()) {
          Buffer message = partial;
          partial = null;
          complete(partialText, message);
        }
      }
    }
  }

  /** Whether a fragmented message is under way. */
  boolean inMessage() {
    return partial != null;
  }

  private void complete(boolean text, Buffer data) {
    if (text && !utf8.atBoundary()) {
      fail(CloseCodes.INVALID_PAYLOAD, "Text message is not valid UTF-8 (it ends inside a character)");
    } else {
      messages.message(text, data);
    }
  }

  private void fail(short code, String reason) {
    partial = null;
    failed = true;
    failures.fail(code, reason);
  }
}
